/*  gavel_session: a bidder's commands, run against the cluster
    (gavel_session.h).
*/
#include <czmq.h>
#include <inttypes.h>
#include "gavel_record.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_text.h"
#include "gavel_script.h"
#include "gavel_answer.h"
#include "gavel_session.h"

struct _gavel_session_t {
    gavel_client_t *client;
    gavel_script_t *script;
    gavel_answer_t *answer;
    gavel_watch_t *watch;
    gavel_history_t *history;       //  NULL: no --history
    FILE *stream;
    char name [GAVEL_NAME_MAX + 1];
    char keys [PATH_MAX];           //  key directory, with CURVE
    uint64_t last_auction;          //  last opened or bid on; 0: none yet
    int status;                     //  failures other than exceptions
};

gavel_session_t *
gavel_session_new (const char *name, const char *cluster, bool json, FILE *stream)
{
    assert (name);
    assert (stream);
    gavel_session_t *self = (gavel_session_t *) zmalloc (sizeof (gavel_session_t));
    assert (self);
    self->client = gavel_client_new ();
    self->script = gavel_script_new ();
    self->answer = gavel_answer_new (stream, json);
    self->watch = gavel_watch_new (cluster, json, stream);
    assert (self->client && self->script && self->answer && self->watch);
    self->stream = stream;
    snprintf (self->name, sizeof (self->name), "%s", name);
    gavel_watch_set_name (self->watch, self->name);
    return self;
}

void
gavel_session_destroy (gavel_session_t **self_p)
{
    assert (self_p);
    gavel_session_t *self = *self_p;
    if (self) {
        gavel_watch_destroy (&self->watch);
        gavel_client_destroy (&self->client);
        gavel_script_destroy (&self->script);
        gavel_answer_destroy (&self->answer);
        gavel_history_destroy (&self->history);
        free (self);
        *self_p = NULL;
    }
}

gavel_client_t *
gavel_session_client (gavel_session_t *self)
{
    assert (self);
    return self->client;
}

gavel_watch_t *
gavel_session_watch (gavel_session_t *self)
{
    assert (self);
    return self->watch;
}

void
gavel_session_set_keys (gavel_session_t *self, const char *keys)
{
    assert (self);
    snprintf (self->keys, sizeof (self->keys), "%s", keys);
}

void
gavel_session_set_history (gavel_session_t *self, gavel_history_t **history_p)
{
    assert (self);
    assert (history_p);
    gavel_history_destroy (&self->history);
    self->history = *history_p;
    *history_p = NULL;
}

const char *
gavel_session_name (gavel_session_t *self)
{
    assert (self);
    return self->name;
}

void
gavel_session_fail (gavel_session_t *self)
{
    assert (self);
    self->status = 1;
}

int
gavel_session_status (gavel_session_t *self)
{
    assert (self);
    return self->status || gavel_answer_excepted (self->answer)? 1: 0;
}


//  --------------------------------------------------------------------------
//  Requests

//  'as NAME': with CURVE, NAME's own key pair from the key directory, and
//  fresh connections that present it; the name stays when it has none.
static void
s_take_name (gavel_session_t *self, const char *name)
{
    if (gavel_sock_curve_on () && !streq (name, self->name)) {
        char error [PATH_MAX + 256];
        zcert_t *cert = gavel_keys_for_name (self->keys, name, error, sizeof (error));
        if (!cert) {
            gavel_answer_print (self->answer, "exception", "no-key", NULL, error);
            return;
        }
        gavel_sock_curve_set_cert (&cert);
        gavel_client_reset (self->client);
    }
    snprintf (self->name, sizeof (self->name), "%s", name);
    gavel_watch_set_name (self->watch, self->name);
}

//  Sends request as the current name; prints the no-answer exception itself
//  and returns NULL when there is no reply.
static gavel_msg_t *
s_request (gavel_session_t *self, gavel_msg_t *request)
{
    gavel_msg_set_name (request, self->name);
    char error [512];
    int64_t invoked = zclock_usecs ();
    gavel_msg_t *reply = gavel_client_request (self->client, request,
                                               error, sizeof (error));
    if (self->history
    &&  gavel_history_put (self->history, gavel_client_session (self->client), request,
                           reply, invoked, zclock_usecs (), error, sizeof (error))) {
        fprintf (stderr, "bidder: cannot write --history: %s\n", error);
        self->status = 1;
    }
    //  An interrupted request is reported by the loop that reads commands
    if (!reply && !zsys_interrupted)
        gavel_answer_print (self->answer, "exception", "no-answer", NULL, error);
    return reply;
}

static bool
s_record_is_open (const char *record)
{
    char state [16];
    return gavel_record_get (record, "state", state, sizeof (state)) == 0
        && streq (state, "open");
}

//  Appends ", ID" to a list of ids, ending in "..." once it is full.
static void
s_append_id (char *list, size_t size, uint64_t id)
{
    size_t used = strlen (list);
    if (used + 30 >= size) {
        if (used + 4 < size && !strstr (list, "..."))
            strcat (list, ", ...");
        return;
    }
    snprintf (list + used, size - used, "%s%" PRIu64, used? ", ": "", id);
}

//  Finds the only open auction with a LIST. Returns 0 and sets *auction_p,
//  or -1 when it printed why there is none to pick.
static int
s_only_open (gavel_session_t *self, uint64_t *auction_p)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    assert (request);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (!reply)
        return -1;
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS) {
        gavel_answer_print_reply (self->answer, reply);
        gavel_msg_destroy (&reply);
        return -1;
    }
    size_t open = 0;
    char ids [200] = "";
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        uint64_t auction = gavel_record_auction (record);
        if (auction && s_record_is_open (record)) {
            open++;
            *auction_p = auction;
            s_append_id (ids, sizeof (ids), auction);
        }
    }
    gavel_msg_destroy (&reply);
    if (open == 1)
        return 0;
    if (open == 0)
        gavel_answer_print (self->answer, "exception", "no-open-auction", NULL,
                            "no auction is open");
    else {
        char message [256];
        snprintf (message, sizeof (message),
                  "%zu auctions are open (%s): say which one", open, ids);
        gavel_answer_print (self->answer, "exception", "ambiguous", NULL, message);
    }
    return -1;
}

//  A request whose reply is printed as it comes
static void
s_ask (gavel_session_t *self, gavel_msg_t **request_p)
{
    gavel_msg_t *reply = s_request (self, *request_p);
    gavel_msg_destroy (request_p);
    if (reply) {
        gavel_answer_print_reply (self->answer, reply);
        gavel_msg_destroy (&reply);
    }
}


//  --------------------------------------------------------------------------
//  Commands

static void
s_do_open (gavel_session_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_OPEN);
    assert (request);
    gavel_msg_set_item (request, gavel_script_item (self->script));
    gavel_msg_set_duration (request, gavel_script_duration (self->script));
    gavel_msg_set_reserve (request, gavel_script_reserve (self->script));
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (reply) {
        if (gavel_msg_outcome (reply) == GAVEL_SUCCESS
        &&  gavel_msg_records (reply) > 0) {
            uint64_t auction = gavel_record_auction (gavel_msg_record (reply, 0));
            if (auction)
                self->last_auction = auction;
        }
        gavel_answer_print_reply (self->answer, reply);
        gavel_msg_destroy (&reply);
    }
}

static void
s_do_bid (gavel_session_t *self)
{
    uint64_t auction = gavel_script_auction (self->script);
    if (!auction && s_only_open (self, &auction))
        return;
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_BID);
    assert (request);
    gavel_msg_set_auction (request, auction);
    gavel_msg_set_amount (request, gavel_script_amount (self->script));
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (reply) {
        //  A refused bid still makes it "our" auction for a later result;
        //  an unknown one does not
        if (gavel_msg_outcome (reply) != GAVEL_EXCEPTION)
            self->last_auction = auction;
        //  Our bid may beat our SUBs' connect; the feed must still know
        //  that we led, to say when we are outbid
        if (gavel_msg_outcome (reply) == GAVEL_SUCCESS)
            gavel_watch_set_leader (self->watch, auction, self->name);
        gavel_answer_print_reply (self->answer, reply);
        gavel_msg_destroy (&reply);
    }
}

static void
s_do_result (gavel_session_t *self)
{
    uint64_t auction = gavel_script_auction (self->script);
    if (!auction)
        auction = self->last_auction;
    if (!auction && s_only_open (self, &auction))
        return;
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
    assert (request);
    gavel_msg_set_auction (request, auction);
    s_ask (self, &request);
}

//  One line per auction, so that a script can grep or count them.
static void
s_do_list (gavel_session_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    assert (request);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (!reply)
        return;
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS)
        gavel_answer_print_reply (self->answer, reply);
    else
    if (gavel_msg_records (reply) == 0)
        gavel_answer_print (self->answer, "success", NULL, "count=0", NULL);
    else
        for (size_t index = 0; index < gavel_msg_records (reply); index++)
            gavel_answer_print (self->answer, "success", NULL,
                                gavel_msg_record (reply, index), NULL);
    gavel_msg_destroy (&reply);
}

static void
s_do_status (gavel_session_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_STATUS);
    assert (request);
    s_ask (self, &request);
}

static void
s_do_watch (gavel_session_t *self)
{
    char error [512];
    uint64_t auction = gavel_script_auction (self->script);
    if (gavel_watch_start (self->watch, auction, error, sizeof (error))) {
        gavel_answer_print (self->answer, "exception", "no-feed", NULL, error);
        return;
    }
    char record [48];
    if (auction)
        snprintf (record, sizeof (record), "watching auction=%" PRIu64, auction);
    else
        snprintf (record, sizeof (record), "watching=all");
    gavel_answer_print (self->answer, "success", NULL, record, NULL);
}

static void
s_do_unwatch (gavel_session_t *self)
{
    gavel_watch_stop (self->watch);
    gavel_answer_print (self->answer, "success", NULL, "unwatched", NULL);
}

//  The user asked for the pause, so sleeping is right here; SIGINT cuts it
//  short. While watching, the events of the pause are printed in it.
static void
s_do_sleep (gavel_session_t *self)
{
    int64_t deadline = zclock_mono () + gavel_script_sleep (self->script);
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        if (gavel_watch_active (self->watch))
            gavel_watch_wait (self->watch, left, false);
        else
            zclock_sleep ((int) left);
    }
}

//  Runs the parsed command. Returns false when it asks to stop.
static bool
s_execute (gavel_session_t *self)
{
    switch (gavel_script_command (self->script)) {
        case GAVEL_SCRIPT_NONE:
            break;
        case GAVEL_SCRIPT_OPEN:
            s_do_open (self);
            break;
        case GAVEL_SCRIPT_BID:
            s_do_bid (self);
            break;
        case GAVEL_SCRIPT_RESULT:
            s_do_result (self);
            break;
        case GAVEL_SCRIPT_LIST:
            s_do_list (self);
            break;
        case GAVEL_SCRIPT_STATUS:
            s_do_status (self);
            break;
        case GAVEL_SCRIPT_AS:
            s_take_name (self, gavel_script_name (self->script));
            break;
        case GAVEL_SCRIPT_SLEEP:
            s_do_sleep (self);
            break;
        case GAVEL_SCRIPT_WATCH:
            s_do_watch (self);
            break;
        case GAVEL_SCRIPT_UNWATCH:
            s_do_unwatch (self);
            break;
        case GAVEL_SCRIPT_HELP:
            fputs (gavel_script_help (), self->stream);
            break;
        case GAVEL_SCRIPT_QUIT:
            return false;
    }
    return true;
}

bool
gavel_session_execute_line (gavel_session_t *self, const char *line, const char *origin,
                            size_t line_number)
{
    assert (self);
    assert (line);
    if (gavel_script_parse (self->script, line) == 0)
        return s_execute (self);
    if (origin)
        fprintf (stderr, "%s:%zu: %s\n", origin, line_number,
                 gavel_script_error (self->script));
    else
        fprintf (stderr, "%s\n", gavel_script_error (self->script));
    self->status = 1;
    return true;
}

void
gavel_session_run_file (gavel_session_t *self, FILE *file, const char *origin)
{
    assert (self);
    assert (file);
    char *line = NULL;
    size_t size = 0;
    size_t line_number = 0;
    while (!zsys_interrupted && getline (&line, &size, file) != -1) {
        line_number++;
        if (!gavel_session_execute_line (self, line, origin, line_number))
            break;
    }
    free (line);
    if (zsys_interrupted) {
        fprintf (stderr, "bidder: interrupted\n");
        self->status = 1;
    }
    else
    if (ferror (file)) {
        fprintf (stderr, "bidder: cannot read %s: %s\n", origin, strerror (errno));
        self->status = 1;
    }
}


//  --------------------------------------------------------------------------
//  Self test

//  A replica that answers each request once, with the reply its test
//  script gives for that command
static void
s_fake_replica (zsock_t *pipe, void *args)
{
    char error [256];
    zsock_t *router = gavel_sock_new_server ((const char *) args, error, sizeof (error));
    assert (router);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    assert (poller);
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        gavel_msg_error_t error;
        gavel_msg_t *request = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        assert (request);
        gavel_msg_t *reply;
        if (gavel_msg_id (request) == GAVEL_MSG_LIST) {
            reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS, NULL, NULL);
            gavel_msg_add_record (reply, "auction=4 state=closed");
            gavel_msg_add_record (reply, "auction=5 state=open");
        }
        else
        if (gavel_msg_id (request) == GAVEL_MSG_BID)
            reply = gavel_msg_new_reply (gavel_msg_request_id (request),
                                         gavel_msg_auction (request) == 5? GAVEL_SUCCESS:
                                         GAVEL_FAIL, gavel_msg_auction (request) == 5? NULL:
                                         "closed", NULL);
        else
            reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_EXCEPTION,
                                         "unknown-auction", "no auction %" PRIu64,
                                         gavel_msg_auction (request));
        gavel_msg_destroy (&request);
        msg = gavel_msg_encode (reply);
        gavel_msg_destroy (&reply);
        zmsg_prepend (msg, &identity);
        zmsg_send (&msg, router);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

void
gavel_session_test (bool verbose)
{
    printf (" * gavel_session: ");
    char error [256];
    const char *endpoint = "inproc://session-test-replica";
    zactor_t *replica = zactor_new (s_fake_replica, (void *) endpoint);
    assert (replica);

    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    gavel_session_t *session = gavel_session_new ("ann", NULL, false, stream);
    assert (streq (gavel_session_name (session), "ann"));
    gavel_client_t *client = gavel_session_client (session);
    assert (gavel_client_connect (client, endpoint, error, sizeof (error)) == 0);
    gavel_client_set_timeout (client, 2000);
    gavel_client_set_retries (client, 0);

    //  "bid AMOUNT" finds the only open auction with a LIST first, and a
    //  result then defaults to it
    assert (gavel_session_execute_line (session, "bid 60\n", "t", 1));
    assert (gavel_session_status (session) == 0);
    //  A bad line is skipped and fails the session
    assert (gavel_session_execute_line (session, "bid x y z\n", "t", 2));
    assert (gavel_session_status (session) == 1);
    assert (gavel_session_execute_line (session, "result\n", "t", 3));
    //  "as" changes the name
    assert (gavel_session_execute_line (session, "as bob\n", "t", 4));
    assert (streq (gavel_session_name (session), "bob"));
    //  watch needs a cluster file
    assert (gavel_session_execute_line (session, "watch\n", "t", 5));
    assert (!gavel_session_execute_line (session, "quit\n", "t", 6));
    fflush (stream);
    if (verbose)
        printf ("\n%s", text);
    assert (streq (text,
        "success\n"
        "exception reason=unknown-auction message=\"no auction 5\"\n"
        "exception reason=no-feed message=\"watch needs --cluster FILE\"\n"));
    assert (gavel_session_status (session) == 1);
    gavel_session_destroy (&session);
    fclose (stream);
    free (text);
    zactor_destroy (&replica);
    printf ("OK\n");
}
