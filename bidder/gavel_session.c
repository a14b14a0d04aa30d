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

//  A request sent ahead (--pipeline), printed in script order once ended
typedef struct {
    gavel_script_command_t command;
    gavel_msg_t *request;           //  as sent, for the history
    uint64_t id;
    uint64_t auction;               //  BID and RESULT: theirs; else 0
    int64_t invoked;                //  µs
    int64_t completed;              //  µs, once ended
    bool ended;
    gavel_msg_t *reply;             //  NULL: none, error says why
    char error [320];
} ahead_t;

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
    size_t pipeline;                //  requests out at once, at most
    ahead_t ahead [GAVEL_CLIENT_PIPELINE_MAX];  //  sent ahead, in script order
    size_t aheads;
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
    self->pipeline = 1;
    return self;
}

void
gavel_session_destroy (gavel_session_t **self_p)
{
    assert (self_p);
    gavel_session_t *self = *self_p;
    if (self) {
        for (size_t index = 0; index < self->aheads; index++) {
            gavel_msg_destroy (&self->ahead [index].request);
            gavel_msg_destroy (&self->ahead [index].reply);
        }
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
gavel_session_set_pipeline (gavel_session_t *self, size_t depth)
{
    assert (self);
    assert (depth >= 1 && depth <= GAVEL_CLIENT_PIPELINE_MAX);
    self->pipeline = depth;
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
//  A request ended, between invoked and completed: into the history, and
//  when it got no answer, said so (why is in error)
static void
s_ended (gavel_session_t *self, gavel_msg_t *request, gavel_msg_t *reply,
         int64_t invoked, int64_t completed, const char *error)
{
    char failure [512];
    if (self->history
    &&  gavel_history_put (self->history, gavel_msg_session (request), request,
                           reply, invoked, completed, failure, sizeof (failure))) {
        fprintf (stderr, "bidder: cannot write --history: %s\n", failure);
        self->status = 1;
    }
    //  An interrupted request is reported by the loop that reads commands
    if (!reply && !zsys_interrupted)
        gavel_answer_print (self->answer, "exception", "no-answer", NULL, error);
}

static gavel_msg_t *
s_request (gavel_session_t *self, gavel_msg_t *request)
{
    gavel_msg_set_name (request, self->name);
    char error [512];
    int64_t invoked = zclock_usecs ();
    gavel_msg_t *reply = gavel_client_request (self->client, request,
                                               error, sizeof (error));
    s_ended (self, request, reply, invoked, zclock_usecs (), error);
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

//  --------------------------------------------------------------------------
//  Commands

//  The request of the line parsed (OPEN, BID, RESULT, LIST or STATUS), on
//  auction for BID and RESULT
static gavel_msg_t *
s_build (gavel_session_t *self, uint64_t auction)
{
    gavel_msg_t *request = NULL;
    switch (gavel_script_command (self->script)) {
        case GAVEL_SCRIPT_OPEN:
            request = gavel_msg_new (GAVEL_MSG_OPEN);
            gavel_msg_set_item (request, gavel_script_item (self->script));
            gavel_msg_set_duration (request, gavel_script_duration (self->script));
            gavel_msg_set_reserve (request, gavel_script_reserve (self->script));
            break;
        case GAVEL_SCRIPT_BID:
            request = gavel_msg_new (GAVEL_MSG_BID);
            gavel_msg_set_auction (request, auction);
            gavel_msg_set_amount (request, gavel_script_amount (self->script));
            break;
        case GAVEL_SCRIPT_RESULT:
            request = gavel_msg_new (GAVEL_MSG_RESULT);
            gavel_msg_set_auction (request, auction);
            break;
        case GAVEL_SCRIPT_LIST:
            request = gavel_msg_new (GAVEL_MSG_LIST);
            break;
        default:
            request = gavel_msg_new (GAVEL_MSG_STATUS);
            break;
    }
    assert (request);
    gavel_msg_set_name (request, self->name);
    return request;
}

//  What an answer to command means to the session, and its lines printed
static void
s_answered (gavel_session_t *self, gavel_script_command_t command, uint64_t auction,
            gavel_msg_t **reply_p)
{
    gavel_msg_t *reply = *reply_p;
    if (!reply)
        return;
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (command == GAVEL_SCRIPT_OPEN && outcome == GAVEL_SUCCESS && gavel_msg_records (reply) > 0) {
        uint64_t opened = gavel_record_auction (gavel_msg_record (reply, 0));
        if (opened)
            self->last_auction = opened;
    }
    if (command == GAVEL_SCRIPT_BID) {
        //  A refused bid still makes it "our" auction for a later result;
        //  an unknown one does not
        if (outcome != GAVEL_EXCEPTION)
            self->last_auction = auction;
        //  Our bid may beat our SUBs' connect; the feed must still know
        //  that we led, to say when we are outbid
        if (outcome == GAVEL_SUCCESS)
            gavel_watch_set_leader (self->watch, auction, self->name);
    }
    //  LIST: one line per auction, so that a script can grep or count them
    if (command == GAVEL_SCRIPT_LIST && outcome == GAVEL_SUCCESS) {
        if (gavel_msg_records (reply) == 0)
            gavel_answer_print (self->answer, "success", NULL, "count=0", NULL);
        for (size_t index = 0; index < gavel_msg_records (reply); index++)
            gavel_answer_print (self->answer, "success", NULL,
                                gavel_msg_record (reply, index), NULL);
    }
    else
        gavel_answer_print_reply (self->answer, reply);
    gavel_msg_destroy (reply_p);
}

//  OPEN, BID, RESULT, LIST, STATUS, waiting for the answer; "bid AMOUNT"
//  and "result" find their auction first
static void
s_do_request (gavel_session_t *self)
{
    gavel_script_command_t command = gavel_script_command (self->script);
    uint64_t auction = gavel_script_auction (self->script);
    if (command == GAVEL_SCRIPT_RESULT && !auction)
        auction = self->last_auction;
    if ((command == GAVEL_SCRIPT_BID || command == GAVEL_SCRIPT_RESULT)
    &&  !auction && s_only_open (self, &auction))
        return;
    gavel_msg_t *request = s_build (self, auction);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    s_answered (self, command, auction, &reply);
}

//  --------------------------------------------------------------------------
//  Pipelining (--pipeline D): a line whose request depends on no answer
//  still to come is sent at once, up to D out at a time, and answers are
//  printed in script order. OPEN goes ahead; BID and RESULT naming their
//  auction go ahead unless a request still out names that auction or is an
//  OPEN; every other line (LIST and STATUS too: they read every auction)
//  waits for all those before it. So a script reads its own writes as it
//  would one line at a time.

//  The oldest request out: wait until it ended, then print it and what
//  ended after it
static void
s_ahead_advance (gavel_session_t *self)
{
    while (self->aheads && !self->ahead [0].ended) {
        char error [320];
        uint64_t id;
        int64_t ended = 0;
        gavel_msg_t *reply = gavel_client_wait (self->client, &id, &ended, error, sizeof error);
        for (size_t index = 0; index < self->aheads; index++) {
            ahead_t *ahead = &self->ahead [index];
            if (ahead->id == id && !ahead->ended) {
                ahead->ended = true;
                ahead->completed = ended;
                ahead->reply = reply;
                if (!reply)
                    snprintf (ahead->error, sizeof ahead->error, "%s", error);
            }
        }
        //  Nothing left out while lines still wait: interrupted, the client
        //  dropped them, and each ends unknown
        for (size_t index = 0; gavel_client_outstanding (self->client) == 0 && index < self->aheads; index++) {
            ahead_t *ahead = &self->ahead [index];
            if (!ahead->ended) {
                ahead->ended = true;
                ahead->completed = ended;
                snprintf (ahead->error, sizeof ahead->error, "interrupted");
            }
        }
    }
    while (self->aheads && self->ahead [0].ended) {
        ahead_t *ahead = &self->ahead [0];
        s_ended (self, ahead->request, ahead->reply, ahead->invoked, ahead->completed, ahead->error);
        s_answered (self, ahead->command, ahead->auction, &ahead->reply);
        gavel_msg_destroy (&ahead->request);
        memmove (self->ahead, self->ahead + 1, (self->aheads - 1) * sizeof (ahead_t));
        self->aheads--;
    }
}

static void
s_ahead_finish (gavel_session_t *self)
{
    while (self->aheads)
        s_ahead_advance (self);
}

//  Whether a line on auction must wait for a request still out: one on
//  the same auction, or an OPEN (it may be opening that very auction, as
//  a replayed script's next line expects)
static bool
s_ahead_names (gavel_session_t *self, uint64_t auction)
{
    for (size_t index = 0; index < self->aheads; index++)
        if (self->ahead [index].auction == auction || self->ahead [index].command == GAVEL_SCRIPT_OPEN)
            return true;
    return false;
}

//  Sends the line's request ahead when it may go; false when it must wait
//  for the answers before it
static bool
s_ahead_send (gavel_session_t *self)
{
    gavel_script_command_t command = gavel_script_command (self->script);
    uint64_t auction = gavel_script_auction (self->script);
    //  LIST and STATUS read every auction: they wait for all, as other lines
    bool independent = command == GAVEL_SCRIPT_OPEN
                    || ((command == GAVEL_SCRIPT_BID || command == GAVEL_SCRIPT_RESULT) && auction);
    if (self->pipeline < 2 || !independent)
        return false;
    while (auction && s_ahead_names (self, auction))
        s_ahead_advance (self);
    while (self->aheads >= self->pipeline)
        s_ahead_advance (self);
    if (zsys_interrupted)
        return true;
    ahead_t *ahead = &self->ahead [self->aheads++];
    memset (ahead, 0, sizeof *ahead);
    ahead->command = command;
    ahead->auction = auction;
    ahead->request = s_build (self, auction);
    ahead->invoked = zclock_usecs ();
    //  The client stamps our request with its id and session, then keeps
    //  its own copy: ours goes to the history as it was sent
    ahead->id = gavel_client_send (self->client, ahead->request);
    return true;
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
    gavel_script_command_t command = gavel_script_command (self->script);
    if (command == GAVEL_SCRIPT_NONE || s_ahead_send (self))
        return true;
    s_ahead_finish (self);
    switch (command) {
        case GAVEL_SCRIPT_NONE:
            break;
        case GAVEL_SCRIPT_OPEN:
        case GAVEL_SCRIPT_BID:
        case GAVEL_SCRIPT_RESULT:
        case GAVEL_SCRIPT_LIST:
        case GAVEL_SCRIPT_STATUS:
            s_do_request (self);
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
    s_ahead_finish (self);
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
//  script gives for that command. It holds its answer to a BID on auction
//  4 back until the next request comes, and answers that one first.
static void
s_fake_replica (zsock_t *pipe, void *args)
{
    zmsg_t *held = NULL;
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
        bool hold = gavel_msg_id (request) == GAVEL_MSG_BID && gavel_msg_auction (request) == 4;
        gavel_msg_destroy (&request);
        msg = gavel_msg_encode (reply);
        gavel_msg_destroy (&reply);
        zmsg_prepend (msg, &identity);
        if (hold && !held)
            held = msg;
        else {
            zmsg_send (&msg, router);
            if (held)
                zmsg_send (&held, router);
        }
    }
    zmsg_destroy (&held);
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

    //  Pipelined: "bid 4 10" is answered only once the next request comes,
    //  so only a session that sent the lines after it ahead gets its answer
    //  (one at a time, it would time out); answers print in script order
    stream = open_memstream (&text, &size);
    assert (stream);
    session = gavel_session_new ("ann", NULL, false, stream);
    client = gavel_session_client (session);
    assert (gavel_client_connect (client, endpoint, error, sizeof (error)) == 0);
    gavel_client_set_timeout (client, 2000);
    gavel_client_set_retries (client, 0);
    gavel_session_set_pipeline (session, 4);
    char lines [] = "bid 4 10\nbid 5 11\nbid 5 12\nresult 9\nlist\n";
    FILE *script = fmemopen (lines, strlen (lines), "r");
    assert (script);
    gavel_session_run_file (session, script, "p");
    fclose (script);
    assert (gavel_client_outstanding (client) == 0);
    fflush (stream);
    if (verbose)
        printf ("%s", text);
    assert (streq (text,
        "fail reason=closed\n"
        "success\n"
        "success\n"
        "exception reason=unknown-auction message=\"no auction 9\"\n"
        "success auction=4 state=closed\n"
        "success auction=5 state=open\n"));
    gavel_session_destroy (&session);
    fclose (stream);
    free (text);
    zactor_destroy (&replica);
    printf ("OK\n");
}
