/*  gavel_answer: the bidder's output, one line per answer (gavel_answer.h).
*/
#include <czmq.h>
#include "gavel_json.h"
#include "gavel_record.h"
#include "gavel_answer.h"

struct _gavel_answer_t {
    FILE *stream;
    bool json;
    bool excepted;                  //  an exception was printed
};

gavel_answer_t *
gavel_answer_new (FILE *stream, bool json)
{
    assert (stream);
    gavel_answer_t *self = (gavel_answer_t *) zmalloc (sizeof (gavel_answer_t));
    assert (self);
    self->stream = stream;
    self->json = json;
    return self;
}

void
gavel_answer_destroy (gavel_answer_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  " and \ escaped, other bytes outside printable ASCII as \xHH
static void
s_put_quoted (FILE *stream, const char *text)
{
    fputc ('"', stream);
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf (stream, "\\%c", *c);
        else
        if (*c < ' ' || *c >= 127)
            fprintf (stream, "\\x%02x", *c);
        else
            fputc (*c, stream);
    }
    fputc ('"', stream);
}

void
gavel_answer_print (gavel_answer_t *self, const char *outcome, const char *reason,
                    const char *record, const char *message)
{
    assert (self);
    assert (outcome);
    bool exception = streq (outcome, "exception");
    bool has_reason = reason && *reason;
    bool has_message = exception && message && *message;
    if (exception)
        self->excepted = true;
    FILE *stream = self->stream;
    if (self->json) {
        fprintf (stream, "{\"outcome\":");
        gavel_json_fput_string (stream, outcome, strlen (outcome));
        const char *separator = ",";
        if (has_reason)
            gavel_record_put_json_pair (stream, "reason", 6, reason, strlen (reason), &separator);
        if (record)
            gavel_record_put_json (stream, record, false, &separator);
        if (has_message) {
            fprintf (stream, ",\"message\":");
            gavel_json_fput_string (stream, message, strlen (message));
        }
        fprintf (stream, "}\n");
    }
    else {
        fprintf (stream, "%s", outcome);
        if (has_reason)
            fprintf (stream, " reason=%s", reason);
        if (record && *record)
            fprintf (stream, " %s", record);
        if (has_message) {
            fprintf (stream, " message=");
            s_put_quoted (stream, message);
        }
        fprintf (stream, "\n");
    }
}

char *
gavel_answer_joined_records (gavel_msg_t *reply)
{
    assert (reply);
    size_t count = gavel_msg_records (reply);
    size_t length = 1;
    for (size_t index = 0; index < count; index++)
        length += strlen (gavel_msg_record (reply, index)) + 1;
    char *record = (char *) zmalloc (length);
    assert (record);
    for (size_t index = 0; index < count; index++) {
        if (index)
            strcat (record, " ");
        strcat (record, gavel_msg_record (reply, index));
    }
    return record;
}

void
gavel_answer_print_reply (gavel_answer_t *self, gavel_msg_t *reply)
{
    assert (self);
    char *record = gavel_answer_joined_records (reply);
    gavel_answer_print (self, gavel_msg_outcome_word (reply), gavel_msg_reason (reply),
                        record, gavel_msg_message (reply));
    free (record);
}

bool
gavel_answer_excepted (gavel_answer_t *self)
{
    assert (self);
    return self->excepted;
}


//  --------------------------------------------------------------------------
//  Self test

//  The lines printed by one call, as text the caller frees
static char *
s_printed (bool json, const char *outcome, const char *reason, const char *record,
           const char *message, bool *excepted)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    gavel_answer_t *answer = gavel_answer_new (stream, json);
    gavel_answer_print (answer, outcome, reason, record, message);
    *excepted = gavel_answer_excepted (answer);
    gavel_answer_destroy (&answer);
    fclose (stream);
    return text;
}

void
gavel_answer_test (bool verbose)
{
    printf (" * gavel_answer: ");
    bool excepted;

    //  Text: a success with its record, no message shown
    char *text = s_printed (false, "success", NULL, "auction=7 state=open", "ignored", &excepted);
    assert (streq (text, "success auction=7 state=open\n"));
    assert (!excepted);
    free (text);
    //  A fail shows its reason, and an empty record adds nothing
    text = s_printed (false, "fail", "too-low", "", NULL, &excepted);
    assert (streq (text, "fail reason=too-low\n"));
    assert (!excepted);
    free (text);
    //  An exception's message is quoted: it cannot forge a key or a line
    text = s_printed (false, "exception", "no-answer", NULL,
                      "say \"hi\"\\ x=1\n", &excepted);
    assert (streq (text, "exception reason=no-answer message=\"say \\\"hi\\\"\\\\ x=1\\x0a\"\n"));
    assert (excepted);
    free (text);
    //  JSON: the same keys, numbers bare
    text = s_printed (true, "success", NULL, "auction=7 item=vase", NULL, &excepted);
    assert (streq (text, "{\"outcome\":\"success\",\"auction\":7,\"item\":\"vase\"}\n"));
    free (text);
    text = s_printed (true, "exception", "no-key", NULL, "no \"key\"", &excepted);
    assert (streq (text, "{\"outcome\":\"exception\",\"reason\":\"no-key\","
                         "\"message\":\"no \\\"key\\\"\"}\n"));
    assert (excepted);
    free (text);

    //  Every record of a reply is kept, in order
    gavel_msg_t *reply = gavel_msg_new (GAVEL_MSG_LIST);
    assert (reply);
    gavel_msg_add_record (reply, "auction=1");
    gavel_msg_add_record (reply, "auction=2");
    char *joined = gavel_answer_joined_records (reply);
    assert (streq (joined, "auction=1 auction=2"));
    free (joined);
    gavel_msg_destroy (&reply);

    if (verbose)
        printf ("(text, quoting, JSON, joined records) ");
    printf ("OK\n");
}
