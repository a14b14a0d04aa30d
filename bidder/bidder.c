/*  bidder: open auctions, bid and read results, from a prompt or a script.

    Each command line becomes one request (two for "the only open auction":
    a LIST first) sent through gavel_client, and each answer becomes one
    output line on stdout: the outcome word, the reason, the reply's record
    as is, and the message of an exception. --json prints the same keys as
    one JSON object a line. Bad lines are reported on stderr and skipped.

    --history FILE appends one line per OPEN, BID and RESULT to FILE when
    it completes, for gavel-lincheck (tests/gavel_lincheck.c has the format).

    watch subscribes to the cluster file's event feed and prints events as
    lines starting with "* " (with --json: the event's index and record as
    one object), each event number once (gavel_feed); the prompt reads a key at a time
    so that they can appear while the user types; a script sees them during
    sleep.

    Exit status: 0 when every command got an answer (success or fail), 1 when
    any got an exception or no answer, or a line was bad, 2 for usage errors.
*/
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pwd.h>
#include <editline/readline.h>
#include "gavel_cli.h"
#include "gavel_json.h"
#include "gavel_msg.h"
#include "gavel_text.h"
#include "gavel_config.h"
#include "gavel_feed.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_client.h"
#include "gavel_script.h"

#define EXIT_USAGE      2
#define TIMEOUT_MAX     (3600 * 1000)   //  ms, --timeout
#define RETRIES_MAX     1000            //  --retries

static const char *s_usage =
    "usage: bidder [--cluster FILE] [--connect ENDPOINT ...] [--name NAME]\n"
    "              [--script FILE|-] [--json] [--timeout MS] [--retries N]\n"
    "              [--history FILE] [--keys DIR] [--insecure] [--verbose] [--help]\n";

static const char *s_options_help =
    "  --cluster FILE       send to the brokers of this cluster file, or to its\n"
    "                       replicas when it lists no broker\n"
    "  --connect ENDPOINT   send to this replica (repeat for several); with\n"
    "                       --cluster, to these of its endpoints only (CURVE\n"
    "                       needs the file: it lists the servers' keys)\n"
    "  --name NAME          bid as NAME (default: your login name)\n"
    "  --script FILE|-      run the commands in FILE (- for stdin); without it,\n"
    "                       a prompt when stdin is a terminal, else stdin\n"
    "  --json               print one JSON object per line\n"
    "  --timeout MS         wait MS for each reply (default: the cluster file's\n"
    "                       request_timeout, else 500)\n"
    "  --retries N          give each request (N+1) time-outs in all, resending\n"
    "                       it to another replica when no reply comes (default 10)\n"
    "  --history FILE       append a line to FILE for each open, bid and result\n"
    "                       done: invoke and complete times (us, monotonic),\n"
    "                       session, name, op, auction, amount (the reserve for\n"
    "                       open), outcome (none: no answer), reason, record\n"
    "  --keys DIR           key directory: one CURVE key pair per bidder name,\n"
    "                       DIR/NAME and DIR/NAME_secret, made on first use\n"
    "                       (default: $GAVEL_KEYS, else ~/.config/gavel/keys);\n"
    "                       'as NAME' switches to NAME's key\n"
    "  --insecure           CURVE off: requests in clear, to a cluster that runs\n"
    "                       insecure too (for debugging)\n"
    "  --verbose            trace requests and replies on stderr\n"
    "  --help               print this and exit\n"
    "watch needs --cluster (the feed's endpoints are in it). In a script,\n"
    "events are printed during 'sleep MS' only; at the prompt, as they come.\n";

typedef struct {
    const char *cluster;
    const char **endpoints;         //  --connect, in order given
    size_t endpoint_count;
    const char *name;
    const char *script;
    const char *history;
    const char *keys;               //  --keys DIR
    bool insecure;
    bool json;
    bool verbose;
    int64_t timeout;                //  0: not given
    int64_t retries;                //  -1: not given
} s_options_t;

typedef struct {
    gavel_client_t *client;
    gavel_script_t *script;
    char name [GAVEL_NAME_MAX + 1];
    bool json;
    uint64_t last_auction;          //  last opened or bid on; 0: none yet
    int history;                    //  --history file descriptor; -1: none
    char keys [PATH_MAX];           //  key directory, with CURVE
    int status;                     //  exit status so far
    const char *cluster;            //  --cluster file: where the feed is
    zsock_t **feeds;                //  SUB sockets while watching, else NULL
    size_t feed_count;
    uint64_t watched;               //  0: every auction
    gavel_feed_t *feed;             //  events in order, repeats (old and new
                                    //  primary) dropped; from the first watch
    zhashx_t *leaders;              //  auction id -> last bidder seen
    bool prompt;                    //  the prompt is on screen, waiting
} s_bidder_t;


//  --------------------------------------------------------------------------
//  Output: one line per answer, as key=value text or as JSON

//  Text values are quoted with " and \ escaped, so a message cannot end
//  its own quotes or forge more keys on the line.
static void
s_put_quoted (const char *text)
{
    putchar ('"');
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (*c == '"' || *c == '\\')
            printf ("\\%c", *c);
        else
        if (*c < ' ' || *c >= 127)
            printf ("\\x%02x", *c);
        else
            putchar (*c);
    }
    putchar ('"');
}

//  Prints one answer line. record and message may be NULL; the message is
//  shown for exceptions only, as the brief for people it is.
static void
s_emit (s_bidder_t *self, const char *outcome, const char *reason,
        const char *record, const char *message)
{
    bool exception = streq (outcome, "exception");
    bool has_reason = reason && *reason;
    bool has_message = exception && message && *message;
    if (exception)
        self->status = 1;
    if (self->json) {
        printf ("{\"outcome\":");
        gavel_json_put_string (outcome, strlen (outcome));
        const char *separator = ",";
        if (has_reason)
            gavel_record_put_json_pair (stdout, "reason", 6, reason, strlen (reason), &separator);
        if (record)
            gavel_record_put_json (stdout, record, false, &separator);
        if (has_message) {
            printf (",\"message\":");
            gavel_json_put_string (message, strlen (message));
        }
        printf ("}\n");
    }
    else {
        printf ("%s", outcome);
        if (has_reason)
            printf (" reason=%s", reason);
        if (record && *record)
            printf (" %s", record);
        if (has_message) {
            printf (" message=");
            s_put_quoted (message);
        }
        printf ("\n");
    }
}

//  The records of a reply on one line, which the caller frees: a reply
//  other than LIST carries at most one, but the line must not lose any the
//  replica sent.
static char *
s_joined_records (gavel_msg_t *reply)
{
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

static void
s_emit_reply (s_bidder_t *self, gavel_msg_t *reply)
{
    char *record = s_joined_records (reply);
    s_emit (self, gavel_msg_outcome_word (reply), gavel_msg_reason (reply),
            record, gavel_msg_message (reply));
    free (record);
}


//  --------------------------------------------------------------------------
//  Requests

//  Reads an auction id from a record; 0 when it has none.
static uint64_t
s_record_auction (const char *record)
{
    uint64_t auction;
    return gavel_record_get_unsigned (record, "auction", 1, UINT64_MAX, &auction) == 0? auction: 0;
}

//  A faulty replica could send text that breaks the one-line, space
//  separated form of a history line: such bytes become '?'.
static const char *
s_history_word (char *text, bool spaces_allowed)
{
    for (unsigned char *c = (unsigned char *) text; *c; c++)
        if (*c < ' ' || *c >= 127 || (*c == ' ' && !spaces_allowed))
            *c = '?';
    return *text? text: "-";
}

//  Appends the line for an OPEN, BID or RESULT with a single write(), which
//  O_APPEND keeps whole when several bidders share the file. The times
//  bracket the whole request, retries included: a wider interval can only
//  make the checker more lenient, never report a correct history as wrong.
static void
s_history_put (s_bidder_t *self, gavel_msg_t *request, gavel_msg_t *reply,
               int64_t invoked, int64_t completed)
{
    gavel_msg_id_t command = gavel_msg_id (request);
    if (self->history < 0 || (command != GAVEL_MSG_OPEN
    &&  command != GAVEL_MSG_BID && command != GAVEL_MSG_RESULT))
        return;
    uint64_t auction = gavel_msg_auction (request);
    int64_t amount = gavel_msg_amount (request);
    //  The checker needs an auction's reserve; the open's reply lacks it
    if (command == GAVEL_MSG_OPEN) {
        amount = gavel_msg_reserve (request);
        auction = reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS
               && gavel_msg_records (reply)?
                  s_record_auction (gavel_msg_record (reply, 0)): 0;
    }
    char reason [64];
    snprintf (reason, sizeof (reason), "%s", !reply? (zsys_interrupted?
              "interrupted": "no-answer"): gavel_msg_reason (reply));
    char *record = reply? s_joined_records (reply): strdup ("");
    assert (record);
    char *line = zsys_sprintf ("%" PRId64 " %" PRId64 " %s %s %s %" PRIu64
                               " %" PRId64 " %s %s %s\n",
                               invoked, completed,
                               gavel_client_session (self->client),
                               gavel_msg_name (request),
                               command == GAVEL_MSG_OPEN? "open":
                               command == GAVEL_MSG_BID? "bid": "result",
                               auction, amount,
                               reply? gavel_msg_outcome_word (reply): "none",
                               s_history_word (reason, false),
                               s_history_word (record, true));
    assert (line);
    ssize_t length = (ssize_t) strlen (line);
    if (write (self->history, line, length) != length) {
        //  A history with holes would mislead the checker: stop it for good
        fprintf (stderr, "bidder: cannot write --history: %s\n",
                 strerror (errno));
        close (self->history);
        self->history = -1;
        self->status = 1;
    }
    free (line);
    free (record);
}

//  'as NAME': with CURVE, NAME's own key pair from the key directory, and
//  fresh connections that present it; the name stays when it has none.
static void
s_take_name (s_bidder_t *self, const char *name)
{
    if (gavel_sock_curve_on () && !streq (name, self->name)) {
        char error [PATH_MAX + 256];
        zcert_t *cert = gavel_keys_for_name (self->keys, name, error, sizeof (error));
        if (!cert) {
            s_emit (self, "exception", "no-key", NULL, error);
            return;
        }
        gavel_sock_curve_set_cert (&cert);
        gavel_client_reset (self->client);
    }
    snprintf (self->name, sizeof (self->name), "%s", name);
}

//  Sends request as the current name; prints the no-answer exception itself
//  and returns NULL when there is no reply.
static gavel_msg_t *
s_request (s_bidder_t *self, gavel_msg_t *request)
{
    gavel_msg_set_name (request, self->name);
    char error [512];
    int64_t invoked = zclock_usecs ();
    gavel_msg_t *reply = gavel_client_request (self->client, request,
                                               error, sizeof (error));
    s_history_put (self, request, reply, invoked, zclock_usecs ());
    //  An interrupted request is reported by the loop that reads commands
    if (!reply && !zsys_interrupted)
        s_emit (self, "exception", "no-answer", NULL, error);
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
s_only_open (s_bidder_t *self, uint64_t *auction_p)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    assert (request);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (!reply)
        return -1;
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS) {
        s_emit_reply (self, reply);
        gavel_msg_destroy (&reply);
        return -1;
    }
    size_t open = 0;
    char ids [200] = "";
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        uint64_t auction = s_record_auction (record);
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
        s_emit (self, "exception", "no-open-auction", NULL,
                "no auction is open");
    else {
        char message [256];
        snprintf (message, sizeof (message),
                  "%zu auctions are open (%s): say which one", open, ids);
        s_emit (self, "exception", "ambiguous", NULL, message);
    }
    return -1;
}


//  --------------------------------------------------------------------------
//  Event feed: watch prints the cluster's events between answers

//  The brokers' feed when the file lists brokers (one gap-free stream),
//  else every replica's, since whichever is primary publishes.
static int
s_feed_endpoints (const char *path, zlistx_t *endpoints, char *error, size_t size)
{
    gavel_config_t *config = gavel_config_load (path, error, size);
    if (!config)
        return -1;
    //  With CURVE a replica's pub admits only the cluster's own keys
    if (gavel_sock_curve_on () && gavel_config_brokers (config) == 0) {
        snprintf (error, size, "%s lists no broker, and with CURVE the replicas' feed admits "
                  "only the cluster's own keys: watch follows a broker's feed", path);
        gavel_config_destroy (&config);
        return -1;
    }
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        zlistx_add_end (endpoints, gavel_config_broker (config, index)->pub);
    for (size_t index = 0; gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++)
        if (*gavel_config_replica (config, index)->pub)
            zlistx_add_end (endpoints, gavel_config_replica (config, index)->pub);
    gavel_config_destroy (&config);
    if (zlistx_size (endpoints) == 0) {
        snprintf (error, size, "%s lists no pub endpoint", path);
        return -1;
    }
    return 0;
}

static void
s_unwatch (s_bidder_t *self)
{
    for (size_t index = 0; index < self->feed_count; index++)
        zsock_destroy (&self->feeds [index]);
    free (self->feeds);
    self->feeds = NULL;
    self->feed_count = 0;
}

static int
s_open_feeds (s_bidder_t *self, char *error, size_t size)
{
    zlistx_t *endpoints = zlistx_new ();
    assert (endpoints);
    zlistx_set_duplicator (endpoints, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (endpoints, (zlistx_destructor_fn *) zstr_free);
    int rc = s_feed_endpoints (self->cluster, endpoints, error, size);
    if (rc == 0) {
        self->feeds = (zsock_t **) zmalloc (zlistx_size (endpoints) * sizeof (zsock_t *));
        assert (self->feeds);
    }
    for (const char *endpoint = (const char *) zlistx_first (endpoints);
         endpoint && rc == 0; endpoint = (const char *) zlistx_next (endpoints)) {
        zsock_t *sub = gavel_sock_new (ZMQ_SUB, endpoint, false, NULL, error, size);
        if (!sub)
            rc = -1;
        else {
            zsock_set_subscribe (sub, "event");
            self->feeds [self->feed_count++] = sub;
        }
    }
    zlistx_destroy (&endpoints);
    if (rc)
        s_unwatch (self);
    return rc;
}

static void
s_do_watch (s_bidder_t *self)
{
    if (!self->cluster) {
        s_emit (self, "exception", "no-feed", NULL, "watch needs --cluster FILE");
        return;
    }
    s_unwatch (self);
    char error [512];
    if (s_open_feeds (self, error, sizeof (error))) {
        s_emit (self, "exception", "no-feed", NULL, error);
        return;
    }
    if (!self->feed) {
        //  No history to fetch a hole from: it is passed over
        gavel_feed_settings_t settings = {
            .feed_endpoints = self->feed_count, .backlog_max = 1
        };
        self->feed = gavel_feed_new (&settings);
    }
    self->watched = gavel_script_auction (self->script);
    char record [48];
    if (self->watched)
        snprintf (record, sizeof (record), "watching auction=%" PRIu64, self->watched);
    else
        snprintf (record, sizeof (record), "watching=all");
    s_emit (self, "success", NULL, record, NULL);
}

static void
s_do_unwatch (s_bidder_t *self)
{
    s_unwatch (self);
    s_emit (self, "success", NULL, "unwatched", NULL);
}

//  "outbid" needs to know who led before this bid, so every bid seen is
//  kept, shown or not.
static void
s_bid_text (s_bidder_t *self, const gavel_record_event_t *event, char *text, size_t size)
{
    const char *leader = (const char *) zhashx_lookup (self->leaders, event->auction);
    if (leader && streq (leader, self->name) && !streq (event->name, self->name))
        snprintf (text, size, "* outbid by %s: %s", event->name, event->amount);
    else
        snprintf (text, size, "* %s bids %s on auction %s", event->name, event->amount,
                  event->auction);
    zhashx_update (self->leaders, event->auction, (void *) event->name);
}

//  The line for a record, in words; a kind this bidder does not know is
//  shown as it came, and what a record lacks shows empty.
static void
s_event_text (s_bidder_t *self, const char *record, char *text, size_t size)
{
    gavel_record_event_t event;
    char why [64];
    gavel_record_event (record, &event, why, sizeof (why));
    if (streq (event.kind, "bid"))
        s_bid_text (self, &event, text, size);
    else
    if (streq (event.kind, "closed")) {
        if (*event.name && !streq (event.name, "none"))
            snprintf (text, size, "* closed: %s wins %s at %s", event.name, event.item,
                      event.amount);
        else
            snprintf (text, size, "* closed: %s, no bids", event.item);
        zhashx_delete (self->leaders, event.auction);
    }
    else
    if (streq (event.kind, "opened"))
        snprintf (text, size, "* opened: %s by %s (auction %s)", event.item, event.name,
                  event.auction);
    else
    if (streq (event.kind, "primary"))
        snprintf (text, size, "* primary is now replica %s (term %s)", event.primary,
                  event.term);
    else
        snprintf (text, size, "* %s", record);
}

//  While the prompt waits, the event goes above it and the prompt, with
//  what was typed so far, is drawn again below.
static void
s_show_event (s_bidder_t *self, uint64_t seq, const char *record, const char *text)
{
    if (self->prompt)
        printf ("\r\033[K");
    if (self->json) {
        printf ("{\"seq\":%" PRIu64, seq);
        const char *separator = ",";
        gavel_record_put_json (stdout, record, false, &separator);
        printf ("}\n");
    }
    else
        printf ("%s\n", text);
    if (self->prompt)
        rl_forced_update_display ();
}

static bool
s_wanted (s_bidder_t *self, const char *record)
{
    if (self->watched == 0)
        return true;
    uint64_t auction = s_record_auction (record);
    return auction == self->watched;
}

//  A message off feed number source; the follower says what to show
static void
s_on_event (s_bidder_t *self, zsock_t *sub, size_t source)
{
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return;
    gavel_msg_error_t error;
    gavel_msg_t *event = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    //  A malformed event is the publisher's problem, not the user's
    if (event && gavel_msg_id (event) == GAVEL_MSG_EVENT
    &&  gavel_msg_records (event) == 1)
        gavel_feed_event (self->feed, &event, source, zclock_mono ());
    gavel_msg_destroy (&event);
    gavel_feed_action_t *action;
    while ((action = gavel_feed_next_action (self->feed))) {
        if (action->kind == GAVEL_FEED_DELIVER) {
            const char *record = gavel_msg_record (action->event, 0);
            char text [GAVEL_ITEM_MAX + 2 * GAVEL_NAME_MAX + 256];
            s_event_text (self, record, text, sizeof (text));
            if (s_wanted (self, record))
                s_show_event (self, gavel_msg_seq (action->event), record, text);
        }
        gavel_feed_action_destroy (&action);
    }
}

//  Waits up to timeout ms (-1: for ever) for input on stdin, when asked,
//  printing the events that come meanwhile. Returns true when stdin is
//  readable; false on time-out or a signal.
static bool
s_wait (s_bidder_t *self, int64_t timeout, bool with_stdin)
{
    zmq_pollitem_t items [self->feed_count + 1];
    size_t count = 0;
    if (with_stdin)
        items [count++] = (zmq_pollitem_t) { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 };
    for (size_t index = 0; index < self->feed_count; index++)
        items [count++] = (zmq_pollitem_t) { zsock_resolve (self->feeds [index]), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (items, (int) count, (long) timeout) <= 0)
        return false;
    size_t first = with_stdin? 1: 0;
    for (size_t index = first; index < count && self->feeds; index++)
        if (items [index].revents & ZMQ_POLLIN)
            s_on_event (self, self->feeds [index - first], index - first);
    return with_stdin && (items [0].revents & ZMQ_POLLIN);
}


//  --------------------------------------------------------------------------
//  Commands

static void
s_do_open (s_bidder_t *self)
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
            uint64_t auction = s_record_auction (gavel_msg_record (reply, 0));
            if (auction)
                self->last_auction = auction;
        }
        s_emit_reply (self, reply);
        gavel_msg_destroy (&reply);
    }
}

static void
s_do_bid (s_bidder_t *self)
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
        if (gavel_msg_outcome (reply) == GAVEL_SUCCESS) {
            char key [24];
            snprintf (key, sizeof (key), "%" PRIu64, auction);
            zhashx_update (self->leaders, key, self->name);
        }
        s_emit_reply (self, reply);
        gavel_msg_destroy (&reply);
    }
}

static void
s_do_result (s_bidder_t *self)
{
    uint64_t auction = gavel_script_auction (self->script);
    if (!auction)
        auction = self->last_auction;
    if (!auction && s_only_open (self, &auction))
        return;
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
    assert (request);
    gavel_msg_set_auction (request, auction);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (reply) {
        s_emit_reply (self, reply);
        gavel_msg_destroy (&reply);
    }
}

//  One line per auction, so that a script can grep or count them.
static void
s_do_list (s_bidder_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    assert (request);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (!reply)
        return;
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS)
        s_emit_reply (self, reply);
    else
    if (gavel_msg_records (reply) == 0)
        s_emit (self, "success", NULL, "count=0", NULL);
    else
        for (size_t index = 0; index < gavel_msg_records (reply); index++)
            s_emit (self, "success", NULL, gavel_msg_record (reply, index), NULL);
    gavel_msg_destroy (&reply);
}

static void
s_do_status (s_bidder_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_STATUS);
    assert (request);
    gavel_msg_t *reply = s_request (self, request);
    gavel_msg_destroy (&request);
    if (reply) {
        s_emit_reply (self, reply);
        gavel_msg_destroy (&reply);
    }
}

//  The user asked for the pause, so sleeping is right here; SIGINT cuts it
//  short. While watching, the events of the pause are printed in it.
static void
s_do_sleep (s_bidder_t *self)
{
    int64_t deadline = zclock_mono () + gavel_script_sleep (self->script);
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        if (self->feeds)
            s_wait (self, left, false);
        else
            zclock_sleep ((int) left);
    }
}

static void s_on_line (char *line);

//  Runs the parsed command. Returns false when it asks to stop.
static bool
s_execute (s_bidder_t *self)
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
            fputs (gavel_script_help (), stdout);
            break;
        case GAVEL_SCRIPT_QUIT:
            return false;
    }
    return true;
}

//  Parses and runs one line; origin is NULL at the prompt, where the user
//  knows which line it was. Returns false when the line asks to stop.
static bool
s_execute_line (s_bidder_t *self, const char *line, const char *origin,
                size_t line_number)
{
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


//  --------------------------------------------------------------------------
//  Input: a script (file or stdin) or the prompt

static void
s_run_file (s_bidder_t *self, FILE *file, const char *origin)
{
    char *line = NULL;
    size_t size = 0;
    size_t line_number = 0;
    while (!zsys_interrupted && getline (&line, &size, file) != -1) {
        line_number++;
        if (!s_execute_line (self, line, origin, line_number))
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

//  libedit's line callback takes no argument: the bidder at the prompt
static s_bidder_t *s_repl_bidder;
static bool s_repl_done;
static bool s_repl_line;            //  a line was run: prompt again

static void
s_install_prompt (s_bidder_t *self)
{
    char prompt [GAVEL_NAME_MAX + 16];
    snprintf (prompt, sizeof (prompt), "gavel %s> ", self->name);
    rl_callback_handler_install (prompt, s_on_line);
}

//  Runs a line typed at the prompt; NULL is Ctrl-D.
static void
s_on_line (char *line)
{
    s_bidder_t *self = s_repl_bidder;
    self->prompt = false;
    s_repl_line = true;
    if (!line) {
        printf ("\n");                 //  the shell's prompt on a line of its own
        s_repl_done = true;
        return;
    }
    if (line [strspn (line, " \t")])
        add_history (line);
    bool more = s_execute_line (self, line, NULL, 0);
    free (line);
    if (zsys_interrupted) {
        fprintf (stderr, "interrupted\n");
        self->status = 1;
        zsys_interrupted = 0;
    }
    s_repl_done = !more;
}

//  At the prompt, Ctrl-C gives up the line being typed or the request in
//  progress, not the session; Ctrl-D or quit ends it. The prompt reads a
//  key at a time (libedit's callback interface), so that events can be
//  printed while the user types.
static void
s_run_repl (s_bidder_t *self)
{
    s_repl_bidder = self;
    s_repl_done = false;
    s_install_prompt (self);
    while (!s_repl_done) {
        self->prompt = true;
        bool readable = s_wait (self, -1, true);
        if (zsys_interrupted) {
            //  Reinstalling starts an empty line under the dropped one
            zsys_interrupted = 0;
            rl_callback_handler_remove ();
            printf ("\n");
            s_install_prompt (self);
        }
        else
        if (readable) {
            //  libedit leaves the terminal as the line left it: installing
            //  again draws the prompt (with a new name after "as")
            s_repl_line = false;
            rl_callback_read_char ();
            if (s_repl_line && !s_repl_done)
                s_install_prompt (self);
        }
    }
    self->prompt = false;
    rl_callback_handler_remove ();
    clear_history ();
}

static int
s_run_script (s_bidder_t *self, const char *path)
{
    if (streq (path, "-")) {
        s_run_file (self, stdin, "stdin");
        return 0;
    }
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "bidder: cannot open script %s: %s\n", path, strerror (errno));
        return -1;
    }
    s_run_file (self, file, path);
    fclose (file);
    return 0;
}


//  --------------------------------------------------------------------------
//  Start-up: options, name, endpoints

//  One wording for usage errors across Gavel's programs (common/gavel_cli)
#define s_usage_error(...) gavel_cli_usage_error ("bidder", s_usage, __VA_ARGS__)
#define s_option_int(option, text, min, max, value) \
    gavel_cli_option_int ("bidder", s_usage, (option), (text), (min), (max), (value))

//  Returns 0 to go on, 1 when --help was served, -1 on a usage error.
static int
s_parse_options (s_options_t *options, int argc, char *argv [])
{
    static const struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "connect", required_argument, NULL, 'e' },
        { "name",    required_argument, NULL, 'n' },
        { "script",  required_argument, NULL, 's' },
        { "json",    no_argument,       NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "retries", required_argument, NULL, 'r' },
        { "history", required_argument, NULL, 'H' },
        { "verbose", no_argument,       NULL, 'v' },
        { "keys",    required_argument, NULL, 'k' },
        { "insecure", no_argument,      NULL, 'I' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': options->cluster = optarg; break;
            case 'e': options->endpoints [options->endpoint_count++] = optarg; break;
            case 'n': options->name = optarg; break;
            case 's': options->script = optarg; break;
            case 'H': options->history = optarg; break;
            case 'j': options->json = true; break;
            case 'v': options->verbose = true; break;
            case 'k': options->keys = optarg; break;
            case 'I': options->insecure = true; break;
            case 't':
                if (s_option_int ("--timeout", optarg, 1, TIMEOUT_MAX, &options->timeout))
                    return -1;
                break;
            case 'r':
                if (s_option_int ("--retries", optarg, 0, RETRIES_MAX, &options->retries))
                    return -1;
                break;
            case 'h':
                printf ("%s%s\n%s", s_usage, s_options_help, gavel_script_help ());
                return 1;
            default:            //  getopt has said what is wrong
                fprintf (stderr, "%s(bidder --help for more)\n", s_usage);
                return -1;
        }
    }
    if (optind < argc) {
        s_usage_error ("unexpected argument '%s'", argv [optind]);
        return -1;
    }
    if (!options->cluster && !options->endpoint_count) {
        s_usage_error ("no replica to talk to: give --cluster FILE or --connect ENDPOINT");
        return -1;
    }
    return 0;
}

//  The login name, with every byte outside the name charset made '_' and
//  cut to length; a name of nothing but '_' says nothing, so it is refused.
static int
s_default_name (char *name, size_t size)
{
    const char *login = getlogin ();
    if (!login || !*login) {
        struct passwd *entry = getpwuid (geteuid ());
        login = entry? entry->pw_name: NULL;
    }
    if (!login || !*login) {
        s_usage_error ("cannot tell your login name; give --name NAME");
        return -1;
    }
    size_t length = strlen (login) < size - 1? strlen (login): size - 1;
    bool meaningful = false;
    for (size_t index = 0; index < length; index++) {
        char c = login [index];
        bool valid = isalnum ((unsigned char) c) || c == '_' || c == '.' || c == '-';
        name [index] = valid && (unsigned char) c < 128? c: '_';
        meaningful |= name [index] != '_';
    }
    name [length] = '\0';
    if (!meaningful || !gavel_text_valid_name (name)) {
        char quoted [48];
        gavel_text_quote (login, strlen (login), quoted, sizeof (quoted));
        s_usage_error ("cannot make a bidder name of login '%s'; give --name NAME", quoted);
        return -1;
    }
    return 0;
}

static int
s_set_name (s_bidder_t *self, const s_options_t *options)
{
    if (!options->name)
        return s_default_name (self->name, sizeof (self->name));
    if (!gavel_text_valid_name (options->name)) {
        char quoted [48];
        gavel_text_quote (options->name, strlen (options->name), quoted, sizeof (quoted));
        s_usage_error ("--name '%s' is not valid: 1 to %d of A-Z a-z 0-9 _ . -",
                       quoted, GAVEL_NAME_MAX);
        return -1;
    }
    strcpy (self->name, options->name);
    return 0;
}

//  O_APPEND, so that lines from several bidders sharing the file never
//  overwrite each other.
static int
s_open_history (s_bidder_t *self, const char *path)
{
    if (!path)
        return 0;
    self->history = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (self->history < 0) {
        s_usage_error ("cannot open --history %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

//  Connects to the replicas of the cluster file and takes its time-out.
static int
s_connect_cluster (s_bidder_t *self, const char *path, bool connect, int64_t *timeout)
{
    char error [512];
    gavel_config_t *config = gavel_config_load (path, error, sizeof (error));
    if (!config) {
        fprintf (stderr, "bidder: %s\n", error);
        return -1;
    }
    int rc = 0;
    //  Brokers are the cluster's stable front door: when there are any,
    //  they follow the primary for us and the replicas are theirs to reach
    for (size_t index = 0; connect && rc == 0 && index < gavel_config_brokers (config); index++) {
        const gavel_broker_conf_t *broker = gavel_config_broker (config, index);
        rc = gavel_client_connect (self->client, broker->client, error, sizeof (error));
        if (rc)
            fprintf (stderr, "bidder: %s: broker %" PRIu64 ": %s\n", path, broker->id, error);
    }
    for (size_t index = 0; connect && rc == 0 && gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        rc = gavel_client_connect (self->client, replica->client, error, sizeof (error));
        if (rc)
            fprintf (stderr, "bidder: %s: replica %" PRIu64 ": %s\n", path, replica->id, error);
    }
    if (connect && rc == 0 && gavel_client_endpoints (self->client) == 0) {
        fprintf (stderr, "bidder: %s names no replica\n", path);
        rc = -1;
    }
    *timeout = gavel_config_request_timeout (config);
    gavel_config_destroy (&config);
    return rc;
}

//  CURVE with the name's key pair and the cluster file's server keys, or
//  --insecure. Before any socket: CURVE options are set before connect.
static int
s_setup_curve (s_bidder_t *self, const s_options_t *options)
{
    if (options->insecure)
        return gavel_sock_curve_setup ("bidder", NULL, true, NULL, false);
    if (!options->cluster) {
        s_usage_error ("--connect alone gives no server key for CURVE: add --cluster FILE "
                       "(it lists the keys), or --insecure for a cluster that runs without CURVE");
        return -1;
    }
    char error [PATH_MAX + 256];
    if (gavel_keys_dir (options->keys, self->keys, sizeof (self->keys), error, sizeof (error))) {
        fprintf (stderr, "bidder: %s\n", error);
        return -1;
    }
    zcert_t *cert = gavel_keys_for_name (self->keys, self->name, error, sizeof (error));
    if (!cert) {
        fprintf (stderr, "bidder: %s\n", error);
        return -1;
    }
    gavel_config_t *config = gavel_config_load (options->cluster, error, sizeof (error));
    if (!config) {
        fprintf (stderr, "bidder: %s\n", error);
        zcert_destroy (&cert);
        return -1;
    }
    int rc = gavel_sock_curve_setup ("bidder", config, false, &cert, false);
    gavel_config_destroy (&config);
    return rc;
}

static int
s_connect (s_bidder_t *self, const s_options_t *options)
{
    int64_t timeout = GAVEL_CLIENT_TIMEOUT;
    if (options->cluster) {
        if (s_connect_cluster (self, options->cluster, options->endpoint_count == 0, &timeout))
            return -1;
    }
    for (size_t index = 0; index < options->endpoint_count; index++) {
        char error [512];
        if (gavel_client_connect (self->client, options->endpoints [index],
                                  error, sizeof (error))) {
            s_usage_error ("%s", error);
            return -1;
        }
    }
    if (options->timeout)
        timeout = options->timeout;
    gavel_client_set_timeout (self->client, timeout > 0? timeout: GAVEL_CLIENT_TIMEOUT);
    if (options->retries >= 0)
        gavel_client_set_retries (self->client, (unsigned) options->retries);
    gavel_client_set_verbose (self->client, options->verbose);
    return 0;
}

static int
s_run (s_bidder_t *self, const s_options_t *options)
{
    //  Answers must come out as they happen, interleaved right with errors
    //  on stderr, also when stdout is a pipe to a test or a tee
    setvbuf (stdout, NULL, _IOLBF, 0);
    if (options->script) {
        if (s_run_script (self, options->script))
            return EXIT_USAGE;
    }
    else
    if (isatty (STDIN_FILENO))
        s_run_repl (self);
    else
        s_run_file (self, stdin, "stdin");
    return self->status;
}

int
main (int argc, char *argv [])
{
    s_options_t options = { .retries = -1 };
    options.endpoints = (const char **) zmalloc (argc * sizeof (char *));
    assert (options.endpoints);
    int rc = s_parse_options (&options, argc, argv);

    s_bidder_t bidder = { .json = options.json, .history = -1,
                          .cluster = options.cluster };
    bidder.leaders = zhashx_new ();
    assert (bidder.leaders);
    zhashx_set_duplicator (bidder.leaders, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (bidder.leaders, (zhashx_destructor_fn *) zstr_free);
    if (rc == 0 && s_set_name (&bidder, &options))
        rc = -1;
    if (rc == 0 && s_open_history (&bidder, options.history))
        rc = -1;
    if (rc == 0) {
        bidder.client = gavel_client_new ();
        bidder.script = gavel_script_new ();
        if (s_setup_curve (&bidder, &options) || s_connect (&bidder, &options))
            rc = -1;
    }
    int status = rc > 0? EXIT_SUCCESS: rc < 0? EXIT_USAGE: s_run (&bidder, &options);

    s_unwatch (&bidder);
    gavel_feed_destroy (&bidder.feed);
    zhashx_destroy (&bidder.leaders);
    gavel_client_destroy (&bidder.client);
    gavel_script_destroy (&bidder.script);
    gavel_sock_curve_end ();
    free (options.endpoints);
    if (bidder.history >= 0)
        close (bidder.history);
    return status;
}
