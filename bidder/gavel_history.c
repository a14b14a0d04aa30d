/*  gavel_history: the bidder's --history file (gavel_history.h).
*/
#include <czmq.h>
#include <inttypes.h>
#include <fcntl.h>
#include "gavel_record.h"
#include "gavel_answer.h"
#include "gavel_history.h"

struct _gavel_history_t {
    int fd;                         //  -1 once a write failed
};

gavel_history_t *
gavel_history_new (const char *path, char *error, size_t size)
{
    assert (path);
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf (error, size, "%s", strerror (errno));
        return NULL;
    }
    gavel_history_t *self = (gavel_history_t *) zmalloc (sizeof (gavel_history_t));
    assert (self);
    self->fd = fd;
    return self;
}

void
gavel_history_destroy (gavel_history_t **self_p)
{
    assert (self_p);
    gavel_history_t *self = *self_p;
    if (self) {
        if (self->fd >= 0)
            close (self->fd);
        free (self);
        *self_p = NULL;
    }
}

//  A faulty replica could send text that breaks the one-line, space
//  separated form of a line: such bytes become '?'.
static const char *
s_history_word (char *text, bool spaces_allowed)
{
    for (unsigned char *c = (unsigned char *) text; *c; c++)
        if (*c < ' ' || *c >= 127 || (*c == ' ' && !spaces_allowed))
            *c = '?';
    return *text? text: "-";
}

//  The times bracket the whole request, retries included: a wider interval
//  can only make the checker more lenient, never report a correct history
//  as wrong.
int
gavel_history_put (gavel_history_t *self, const char *session, gavel_msg_t *request,
                   gavel_msg_t *reply, int64_t invoked, int64_t completed,
                   char *error, size_t size)
{
    assert (self);
    assert (request);
    gavel_msg_id_t command = gavel_msg_id (request);
    if (self->fd < 0 || (command != GAVEL_MSG_OPEN
    &&  command != GAVEL_MSG_BID && command != GAVEL_MSG_RESULT))
        return 0;
    uint64_t auction = gavel_msg_auction (request);
    int64_t amount = gavel_msg_amount (request);
    //  The checker needs an auction's reserve; the open's reply lacks it
    if (command == GAVEL_MSG_OPEN) {
        amount = gavel_msg_reserve (request);
        auction = reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS
               && gavel_msg_records (reply)?
                  gavel_record_auction (gavel_msg_record (reply, 0)): 0;
    }
    char reason [64];
    snprintf (reason, sizeof (reason), "%s", !reply? (zsys_interrupted?
              "interrupted": "no-answer"): gavel_msg_reason (reply));
    char *record = reply? gavel_answer_joined_records (reply): strdup ("");
    assert (record);
    char *line = zsys_sprintf ("%" PRId64 " %" PRId64 " %s %s %s %" PRIu64
                               " %" PRId64 " %s %s %s\n",
                               invoked, completed, session,
                               gavel_msg_name (request),
                               command == GAVEL_MSG_OPEN? "open":
                               command == GAVEL_MSG_BID? "bid": "result",
                               auction, amount,
                               reply? gavel_msg_outcome_word (reply): "none",
                               s_history_word (reason, false),
                               s_history_word (record, true));
    assert (line);
    ssize_t length = (ssize_t) strlen (line);
    int rc = 0;
    if (write (self->fd, line, length) != length) {
        snprintf (error, size, "%s", strerror (errno));
        close (self->fd);
        self->fd = -1;
        rc = -1;
    }
    free (line);
    free (record);
    return rc;
}


//  --------------------------------------------------------------------------
//  Self test

void
gavel_history_test (bool verbose)
{
    printf (" * gavel_history: ");
    char error [256];
    char path [] = "/tmp/gavel_history_test_XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    close (fd);
    gavel_history_t *history = gavel_history_new (path, error, sizeof (error));
    assert (history);

    //  An open: the reserve as amount, the auction from the reply's record
    gavel_msg_t *open = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_name (open, "ann");
    gavel_msg_set_item (open, "vase");
    gavel_msg_set_duration (open, 1000);
    gavel_msg_set_reserve (open, 50);
    gavel_msg_t *reply = gavel_msg_new_reply (1, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "auction=7 state=open");
    assert (gavel_history_put (history, "abc", open, reply, 10, 20, error, sizeof (error)) == 0);
    gavel_msg_destroy (&reply);
    //  A bid with no answer; a reason with a space and a control byte
    gavel_msg_t *bid = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_name (bid, "bob");
    gavel_msg_set_auction (bid, 7);
    gavel_msg_set_amount (bid, 60);
    assert (gavel_history_put (history, "abc", bid, NULL, 30, 40, error, sizeof (error)) == 0);
    reply = gavel_msg_new_reply (2, GAVEL_FAIL, "too low\t", NULL);
    assert (gavel_history_put (history, "abc", bid, reply, 50, 60, error, sizeof (error)) == 0);
    gavel_msg_destroy (&reply);
    //  Other requests write nothing
    gavel_msg_t *list = gavel_msg_new (GAVEL_MSG_LIST);
    assert (gavel_history_put (history, "abc", list, NULL, 70, 80, error, sizeof (error)) == 0);
    gavel_msg_destroy (&list);
    gavel_history_destroy (&history);

    FILE *file = fopen (path, "r");
    assert (file);
    char text [512] = "";
    size_t length = fread (text, 1, sizeof (text) - 1, file);
    text [length] = '\0';
    fclose (file);
    if (verbose)
        printf ("\n%s", text);
    assert (streq (text,
        "10 20 abc ann open 7 50 success - auction=7 state=open\n"
        "30 40 abc bob bid 7 60 none no-answer -\n"
        "50 60 abc bob bid 7 60 fail too?low? -\n"));

    //  Appends, never truncates
    history = gavel_history_new (path, error, sizeof (error));
    assert (history);
    assert (gavel_history_put (history, "abc", bid, NULL, 90, 99, error, sizeof (error)) == 0);
    gavel_history_destroy (&history);
    file = fopen (path, "r");
    assert (file);
    length = fread (text, 1, sizeof (text) - 1, file);
    text [length] = '\0';
    fclose (file);
    assert (strstr (text, "10 20 abc") == text);
    assert (strstr (text, "\n90 99 abc bob bid 7 60 none no-answer -\n"));
    unlink (path);

    //  A directory cannot be opened for appending
    assert (gavel_history_new ("/", error, sizeof (error)) == NULL);
    assert (*error);

    gavel_msg_destroy (&open);
    gavel_msg_destroy (&bid);
    printf ("OK\n");
}
