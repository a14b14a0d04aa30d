/*  zmq-tail: follows ZeroMQ PUB feeds like tail -f.

    By default it follows Gavel's event feed (docs/PROTOCOL.md, "The event
    feed") and prints one line per committed event; --json prints the same
    as JSON lines; --raw prints the frames of any PUB socket, ours or not,
    and decodes nothing.

    With --cluster it follows every replica's PUB at once: only the primary
    publishes, and after a failover the new one does, so no single replica
    has the whole feed. An event that reaches us twice (an old and a new
    primary both applied its entry) is printed once.

    Events are numbered without holes (seq), so a repeat is dropped by its
    number and a hole is known for what it is: events this subscriber did
    not get, because it fell behind the publisher's high-water mark or its
    connection dropped. It says so on stderr, fetches the missing events
    with a HISTORY request to the cluster (--cluster) and prints them in
    their place; what the history no longer holds it names as lost.

    Exit status: 0 on SIGINT or SIGTERM, or after --count events; 1 when
    the feed cannot be read; 2 for usage errors (an option, an endpoint or
    the cluster file).
*/
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include "gavel_cli.h"
#include "gavel_msg.h"
#include "gavel_config.h"
#include "gavel_feed.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#define EXIT_FAIL       1
#define EXIT_USAGE      2
#define FRAME_SHOWN     1024        //  bytes of one frame shown, at most
#define POLL_INTERVAL   1000        //  ms: a signal ends the wait anyway
#define COUNT_MAX       INT64_MAX
#define LINES_MAX       1000000     //  -n

static const char *s_usage =
    "usage: zmq-tail [ENDPOINT...] [--cluster FILE] [--json | --raw]\n"
    "                [--auction ID] [--topic PREFIX]... [--count N] [-n N]\n"
    "                [--hwm N] [--insecure]\n"
    "                [--help]\n";

static const char *s_options_help =
    "Follows ZeroMQ PUB sockets like tail -f: Gavel's event feed, one line per\n"
    "event, or with --raw the frames of any PUB socket.\n"
    "\n"
    "  ENDPOINT             connect to this PUB socket (tcp://HOST:PORT, ipc://PATH)\n"
    "  --cluster FILE       connect to every broker's pub endpoint in FILE, or\n"
    "                       every replica's when it lists no broker\n"
    "  --json               one JSON object per event: index, term, from, stamp\n"
    "                       and the record's keys (numbers as numbers)\n"
    "  --raw                decode nothing: print each message's frames, as text\n"
    "                       when printable UTF-8, else as 0x hex\n"
    "  --auction ID         only the events of auction ID\n"
    "  --topic PREFIX       subscribe to PREFIX (repeat for several); default\n"
    "                       'event', or everything with --raw\n"
    "  --count N            exit after printing N events (messages with --raw)\n"
    "  -n, --lines N        print the last N events first (a history request\n"
    "                       to the cluster's brokers or replicas: needs --cluster)\n"
    "  --hwm N              queue about N events per feed at most (ZMQ_RCVHWM and\n"
    "                       a kernel buffer to match; default: libzmq's 1000 and\n"
    "                       the kernel's); a subscriber that falls further behind\n"
    "                       misses events and fetches them back from the history\n"
    "  --insecure           CURVE off: follow a plain PUB socket (any ZeroMQ\n"
    "                       publisher, or a cluster run with --insecure). With\n"
    "                       CURVE (the default) the servers' keys come from\n"
    "                       --cluster FILE, which must name every ENDPOINT, and\n"
    "                       the cluster's feed is its brokers' (the replicas'\n"
    "                       pub admits only the cluster's own keys)\n"
    "  -h, --help           print this and exit\n"
    "\n"
    "Notes on stderr: connected, lost and reconnected endpoints, and holes in\n"
    "the feed's numbering (events missed: fetched back when --cluster is given).\n"
    "Exits 0 on SIGINT or SIGTERM and after --count; 2 for usage errors.\n";

typedef struct {
    const char **endpoints;         //  in the order given
    size_t endpoint_count;
    const char *cluster;
    const char **topics;
    size_t topic_count;
    bool json;
    bool raw;
    uint64_t auction;               //  0: every auction
    int64_t count;                  //  0: for ever
    int64_t lines;                  //  -n; 0: none
    int64_t hwm;                    //  --hwm; 0: libzmq's default
    bool insecure;                  //  --insecure: no CURVE
} s_options_t;

//  One PUB we follow: a SUB of its own, so that its monitor tells us when
//  that endpoint comes and goes
typedef struct {
    char *endpoint;
    zsock_t *sub;
    zactor_t *monitor;
    bool connected;
    bool lost;                      //  was connected, then dropped
    bool refused;                   //  a handshake failed: said once
} s_feed_t;

typedef struct {
    const s_options_t *options;
    s_feed_t **feeds;
    size_t feed_count;
    zpoller_t *poller;
    zlistx_t *history;              //  where HISTORY can go (--cluster)
    gavel_feed_t *feed;             //  the events' order, holes, repeats
    int64_t printed;
} s_tail_t;

#define STOP_GRACE      10          //  s: after SIGINT/SIGTERM, exit by then

//  Closing down must not outlive the signal that asked for it: once a stop
//  is asked, an alarm ends the process if it is still here
//  STOP_GRACE seconds later, wherever it hangs (a CI run once saw zmq-tail
//  stay after SIGTERM; it never came back in 60 tries, so this is a net,
//  not a fix)
static void
s_on_alarm (int signal)
{
    static const char text [] = "zmq-tail: still closing down after a stop; exiting\n";
    ssize_t written = write (STDERR_FILENO, text, sizeof text - 1);
    (void) written;
    _exit (EXIT_FAIL);
}

static void
s_on_signal (int signal)
{
    zsys_interrupted = 1;           //  the poll loop checks it every turn
    alarm (STOP_GRACE);
}


//  --------------------------------------------------------------------------
//  Showing text that came off the wire: nothing it holds may reach the
//  terminal as a control sequence, nor break the one-line-per-message rule

//  Length of the UTF-8 sequence at text that encodes a printable character
//  (no C0 or C1 control, no DEL, no overlong form, no surrogate, none of
//  the marks that reorder or break a line), or 0.
static size_t
s_printable_char (const unsigned char *text, size_t left)
{
    unsigned char c = text [0];
    if (c >= 0x20 && c < 0x7f)
        return 1;
    size_t length = c >= 0xc2 && c <= 0xdf? 2: c >= 0xe0 && c <= 0xef? 3:
                    c >= 0xf0 && c <= 0xf4? 4: 0;
    if (length == 0 || length > left)
        return 0;
    uint32_t code = c & (0x7f >> length);
    for (size_t index = 1; index < length; index++) {
        if ((text [index] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (text [index] & 0x3f);
    }
    static const uint32_t lowest [] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (code < lowest [length] || code > 0x10ffff
    ||  (code >= 0xd800 && code <= 0xdfff) || code <= 0x9f
    ||  (code >= 0x200e && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e)
    ||  (code >= 0x2066 && code <= 0x2069))
        return 0;
    return length;
}

static bool
s_printable (const unsigned char *data, size_t size)
{
    for (size_t index = 0; index < size; ) {
        size_t length = s_printable_char (data + index, size - index);
        if (length == 0)
            return false;
        index += length;
    }
    return true;
}

//  One frame: text as is, anything else as 0x hex; cut after FRAME_SHOWN
//  bytes with the full size said, so a huge frame cannot flood the screen.
static void
s_put_frame (FILE *stream, zframe_t *frame)
{
    const unsigned char *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    if (size == 0) {
        fputs ("\"\"", stream);
        return;
    }
    bool text = s_printable (data, size);
    size_t shown = size;
    if (shown > FRAME_SHOWN) {
        shown = text? 0: FRAME_SHOWN;
        //  Cut text on a character boundary
        while (text) {
            size_t length = s_printable_char (data + shown, size - shown);
            if (shown + length > FRAME_SHOWN)
                break;
            shown += length;
        }
    }
    if (text)
        fwrite (data, 1, shown, stream);
    else {
        fputs ("0x", stream);
        for (size_t index = 0; index < shown; index++)
            fprintf (stream, "%02x", data [index]);
    }
    if (shown < size)
        fprintf (stream, "...(%zu bytes)", size);
}

//  One message on one line: "[COUNT] frame | frame | ...", no newline
static void
s_put_frames (FILE *stream, zmsg_t *msg)
{
    fprintf (stream, "[%zu]", zmsg_size (msg));
    const char *separator = " ";
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        fputs (separator, stream);
        s_put_frame (stream, frame);
        separator = " | ";
    }
}

//  --------------------------------------------------------------------------
//  Events: checked, filtered, printed (gavel_record reads and prints them)

//  The record's keys win over the envelope's ("primary" events carry a
//  term of their own), and a key said twice is printed once: JSON objects
//  must not repeat a key
static void
s_print_json (gavel_msg_t *event, const char *record)
{
    const char *keys [] = { "seq", "index", "term", "from", "stamp" };
    char values [5][24];
    snprintf (values [0], sizeof values [0], "%" PRIu64, gavel_msg_seq (event));
    snprintf (values [1], sizeof values [1], "%" PRIu64, gavel_msg_index (event));
    snprintf (values [2], sizeof values [2], "%" PRIu64, gavel_msg_term (event));
    snprintf (values [3], sizeof values [3], "%" PRIu64, gavel_msg_from (event));
    snprintf (values [4], sizeof values [4], "%" PRId64, gavel_msg_stamp (event));
    putchar ('{');
    const char *separator = "";
    for (size_t index = 0; index < 5; index++)
        if (!gavel_record_has (record, keys [index]))
            gavel_record_put_json_pair (stdout, keys [index], strlen (keys [index]),
                                        values [index], strlen (values [index]), &separator);
    gavel_record_put_json (stdout, record, true, &separator);
    printf ("}\n");
}

//  A message that is not the event it should be: in pretty mode a line of
//  the feed like any other, in JSON mode on stderr so stdout stays JSON
static void
s_print_malformed (s_tail_t *self, zmsg_t *msg, const char *why)
{
    FILE *stream = self->options->json? stderr: stdout;
    if (self->options->json)
        fprintf (stream, "zmq-tail: ");
    fprintf (stream, "malformed (");
    for (const unsigned char *c = (const unsigned char *) why; *c; c++)
        fputc (*c >= 0x20 && *c < 0x7f? *c: '?', stream);
    fprintf (stream, "): ");
    s_put_frames (stream, msg);
    fputc ('\n', stream);
}

static void s_note (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
static bool s_done (s_tail_t *self);
static void s_fetch (s_tail_t *self, gavel_feed_action_t *fetch);

//  An event, checked; NULL with why filled in when it is not one
static const char *
s_check_event (gavel_msg_t *event, gavel_record_event_t *fields, char *why, size_t size)
{
    if (gavel_msg_id (event) != GAVEL_MSG_EVENT) {
        snprintf (why, size, "%s, not an event", gavel_msg_command (event));
        return why;
    }
    if (gavel_msg_records (event) != 1)
        return "an event carries one record";
    return gavel_record_event (gavel_msg_record (event, 0), fields, why, size);
}

//  A checked event, next in the numbering: printed unless filtered out.
static void
s_print_event (s_tail_t *self, gavel_msg_t *event)
{
    gavel_record_event_t fields;
    char why [GAVEL_MESSAGE_MAX + 64];
    char wanted [24];
    snprintf (wanted, sizeof wanted, "%" PRIu64, self->options->auction);
    if (s_check_event (event, &fields, why, sizeof why)
    || (self->options->auction && !streq (fields.auction, wanted)))
        return;
    if (self->options->json)
        s_print_json (event, gavel_msg_record (event, 0));
    else
        gavel_record_put_event (stdout, gavel_msg_record (event, 0), &fields,
                                gavel_msg_seq (event), gavel_msg_stamp (event));
    self->printed++;
}

//  What the feed follower asks for, until --count is reached: print,
//  fetch from the history (waiting for the answer here), or say what is
//  missed, fetched or lost
static void
s_feed_actions (s_tail_t *self)
{
    gavel_feed_action_t *action;
    while ((action = gavel_feed_next_action (self->feed))) {
        if (s_done (self) || zsys_interrupted)
            ;                   //  nothing more to print: leaving
        else
        if (action->kind == GAVEL_FEED_DELIVER)
            s_print_event (self, action->event);
        else
        if (action->kind == GAVEL_FEED_FETCH)
            s_fetch (self, action);
        else
        if (action->kind == GAVEL_FEED_GAP)
            s_note ("gap: events %" PRIu64 " to %" PRIu64 " were missed (this subscriber fell "
                    "behind, or its connection dropped); %s", action->from, action->to,
                    self->options->cluster? "fetching them from the history"
                                          : "--cluster FILE would fetch them");
        else
        if (action->kind == GAVEL_FEED_FILLED)
            s_note ("gap: events %" PRIu64 " to %" PRIu64 " fetched", action->from, action->to);
        else
        if (action->kind == GAVEL_FEED_LOST && action->from == 0)
            s_note ("-n %" PRId64 ": nobody answered the history request; following live "
                    "events only", self->options->lines);
        else
        if (action->kind == GAVEL_FEED_LOST)
            s_note ("events %" PRIu64 " to %" PRIu64 " %s: lost to this subscriber",
                    action->from, action->to, action->cause == GAVEL_FEED_LOST_NOT_KEPT?
                    "are no longer in the history": "could not be fetched");
        else
        if (action->kind == GAVEL_FEED_RESTART)
            s_note ("event numbers went back from %" PRIu64 " to %" PRIu64 ": a new feed; "
                    "following it", action->from, action->to);
        else
        if (action->kind == GAVEL_FEED_BAD_RECORD) {
            char quoted [128];
            gavel_text_quote (action->record, strlen (action->record), quoted, sizeof quoted);
            s_note ("history answer: %s, dropped: '%s'", action->why, quoted);
        }
        gavel_feed_action_destroy (&action);
    }
}

//  A message off feed number source
static void
s_on_event (s_tail_t *self, zmsg_t *msg, size_t source)
{
    gavel_msg_error_t error;
    gavel_msg_t *event = gavel_msg_decode (msg, &error);
    char why [GAVEL_MESSAGE_MAX + 64];
    gavel_record_event_t fields;
    if (event && gavel_msg_id (event) == GAVEL_MSG_LAST) {
        //  A broker's word on how far the feed has gone: events up to it
        //  that never came are a hole, even if no event follows them
        gavel_feed_last (self->feed, gavel_msg_seq (event), source, zclock_mono ());
        gavel_msg_destroy (&event);
        s_feed_actions (self);
        return;
    }
    const char *problem = event? s_check_event (event, &fields, why, sizeof why): error.message;
    if (problem)
        s_print_malformed (self, msg, problem);
    else
        gavel_feed_event (self->feed, &event, source, zclock_mono ());
    gavel_msg_destroy (&event);
    s_feed_actions (self);
}

static void
s_on_raw (s_tail_t *self, zmsg_t *msg)
{
    s_put_frames (stdout, msg);
    putchar ('\n');
    self->printed++;
}


//  --------------------------------------------------------------------------
//  Feeds: one SUB per endpoint, watched by a monitor

static void
s_note (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "zmq-tail: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

static void
s_feed_destroy (s_feed_t **self_p)
{
    s_feed_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->monitor);
    zsock_destroy (&self->sub);
    zstr_free (&self->endpoint);
    free (self);
    *self_p = NULL;
}

//  Feed number id of this process follows endpoint
static s_feed_t *
s_feed_new (const char *endpoint, size_t id, const s_options_t *options,
            char *error, size_t size)
{
    if (strncmp (endpoint, "inproc://", 9) == 0) {
        snprintf (error, size, "cannot follow %s: inproc endpoints exist only inside "
                  "their own process", endpoint);
        return NULL;
    }
    //  gavel_sock_new binds or connects at once, but the monitor must be
    //  listening before the first handshake, or "connected" would be a
    //  guess: so the socket starts on an endpoint of its own that nobody
    //  uses, and connects to the feed once the monitor listens
    char private [64];
    snprintf (private, sizeof private, "inproc://zmq-tail-feed-%zu", id);
    zsock_t *sub = gavel_sock_new (ZMQ_SUB, private, true, NULL, error, size);
    if (!sub)
        return NULL;
    //  The kernel's receive buffer would otherwise hold megabytes of events
    //  behind the high-water mark: size it to match, at about 256 bytes an
    //  event (the kernel doubles it and keeps a floor of its own)
    if (options->hwm) {
        zsock_set_rcvhwm (sub, (int) options->hwm);
        zsock_set_rcvbuf (sub, (int) (options->hwm < INT32_MAX / 256? options->hwm * 256: INT32_MAX));
    }
    for (size_t index = 0; index < options->topic_count; index++)
        zsock_set_subscribe (sub, options->topics [index]);
    zactor_t *monitor = zactor_new (zmonitor, sub);
    assert (monitor);
    zstr_sendx (monitor, "LISTEN", "HANDSHAKE_SUCCEEDED", "DISCONNECTED",
                "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_NO_DETAIL", NULL);
    zstr_sendx (monitor, "START", NULL);
    zsock_wait (monitor);
    //  CURVE options go on before the connect: the server's key from the
    //  cluster file, our key pair
    if (gavel_sock_curve_apply (sub, endpoint, false, error, size)) {
        zactor_destroy (&monitor);
        zsock_destroy (&sub);
        return NULL;
    }
    if (zsock_connect (sub, "%s", endpoint)) {
        snprintf (error, size, "cannot connect to %s: %s%s", endpoint, zmq_strerror (zmq_errno ()),
                  strstr (endpoint, "://")? "": " (endpoints look like tcp://HOST:PORT)");
        zactor_destroy (&monitor);
        zsock_destroy (&sub);
        return NULL;
    }
    s_feed_t *self = (s_feed_t *) zmalloc (sizeof (s_feed_t));
    assert (self);
    self->endpoint = strdup (endpoint);
    self->sub = sub;
    self->monitor = monitor;
    return self;
}

//  zmonitor says "EVENT VALUE ENDPOINT"; each feed has one endpoint, so
//  the event's name is all we need
static void
s_on_monitor (s_tail_t *self, s_feed_t *feed)
{
    char *event = zstr_recv (feed->monitor);
    zsock_flush (feed->monitor);
    if (!event)
        return;
    if (streq (event, "HANDSHAKE_SUCCEEDED") && !feed->connected) {
        if (feed->lost && self->options->raw)
            s_note ("reconnected to %s; messages published meanwhile may be missing",
                    feed->endpoint);
        else
        if (feed->lost)
            s_note ("reconnected to %s; the next event shows whether any were missed",
                    feed->endpoint);
        else
            s_note ("connected to %s", feed->endpoint);
        feed->connected = true;
        feed->refused = false;
    }
    else
    if (streq (event, "DISCONNECTED") && feed->connected) {
        s_note ("lost %s; reconnecting", feed->endpoint);
        feed->connected = false;
        feed->lost = true;
    }
    else
    if (strncmp (event, "HANDSHAKE_FAILED", 16) == 0 && !feed->refused) {
        s_note ("%s: handshake failed: is it a ZeroMQ PUB socket%s? retrying", feed->endpoint,
                gavel_sock_curve_on ()? " with CURVE, one that admits our key": "");
        feed->refused = true;
    }
    zstr_free (&event);
}

//  The endpoints of the cluster file's feeds, appended to endpoints.
//  Today every replica's pub: the primary of the moment publishes there.
//  Brokers, when the file lists them, will each re-publish the whole feed
//  without gaps or repeats: then their pub endpoints go here instead, and
//  nothing else changes.
static int
s_cluster_endpoints (const char *path, zlistx_t *endpoints)
{
    char error [512];
    gavel_config_t *config = gavel_config_load (path, error, sizeof error);
    if (!config) {
        s_note ("%s", error);
        return -1;
    }
    //  With CURVE a replica's pub admits only the cluster's own keys
    if (gavel_sock_curve_on () && gavel_config_brokers (config) == 0) {
        s_note ("%s lists no broker, and with CURVE the replicas' pub endpoints admit only "
                "the cluster's own keys: follow a broker's feed (list one in the file), or a "
                "cluster run with --insecure (then give --insecure too)", path);
        gavel_config_destroy (&config);
        return -1;
    }
    //  Brokers re-publish one gap-free feed: follow them when there are any
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        zlistx_add_end (endpoints, gavel_config_broker (config, index)->pub);
    for (size_t index = 0; gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        if (*replica->pub)
            zlistx_add_end (endpoints, replica->pub);
        else
            s_note ("%s: replica %" PRIu64 " has no pub endpoint: it publishes nothing",
                    path, replica->id);
    }
    gavel_config_destroy (&config);
    if (zlistx_size (endpoints) == 0) {
        s_note ("%s lists no pub endpoint to follow", path);
        return -1;
    }
    return 0;
}

//  Every endpoint once (a repeat would print each message twice in --raw)
static int
s_open_feeds (s_tail_t *self)
{
    zlistx_t *endpoints = zlistx_new ();
    zlistx_set_duplicator (endpoints, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (endpoints, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (endpoints, (zlistx_comparator_fn *) strcmp);
    for (size_t index = 0; index < self->options->endpoint_count; index++)
        zlistx_add_end (endpoints, (void *) self->options->endpoints [index]);
    int rc = self->options->cluster? s_cluster_endpoints (self->options->cluster, endpoints): 0;
    self->feeds = (s_feed_t **) zmalloc ((zlistx_size (endpoints) + 1) * sizeof (s_feed_t *));
    assert (self->feeds);
    self->poller = zpoller_new (NULL);
    assert (self->poller);
    for (const char *endpoint = (const char *) zlistx_first (endpoints);
         endpoint && rc == 0; endpoint = (const char *) zlistx_next (endpoints)) {
        bool repeat = false;
        for (size_t index = 0; index < self->feed_count; index++)
            repeat |= streq (self->feeds [index]->endpoint, endpoint);
        if (repeat)
            continue;
        char error [512];
        s_feed_t *feed = s_feed_new (endpoint, self->feed_count, self->options,
                                     error, sizeof error);
        if (!feed) {
            s_note ("%s", error);
            rc = -1;
            break;
        }
        self->feeds [self->feed_count++] = feed;
        zpoller_add (self->poller, feed->sub);
        zpoller_add (self->poller, feed->monitor);
    }
    zlistx_destroy (&endpoints);
    return rc;
}


//  --------------------------------------------------------------------------
//  Running

//  Where a history request can go: the brokers' client endpoints, else the
//  replicas' (any replica answers HISTORY from the events it applied)
static void
s_history_endpoints (const char *path, zlistx_t *endpoints)
{
    char error [512];
    gavel_config_t *config = gavel_config_load (path, error, sizeof error);
    if (!config)
        return;
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        zlistx_add_end (endpoints, gavel_config_broker (config, index)->client);
    for (size_t index = 0; index < gavel_config_replicas (config); index++)
        zlistx_add_end (endpoints, gavel_config_replica (config, index)->client);
    gavel_config_destroy (&config);
}

//  Ask one endpoint for `count` events from event `from` on (0: the last
//  count); the reply, or NULL
static gavel_msg_t *
s_ask_history (const char *endpoint, uint64_t request_id, uint64_t from, uint64_t count)
{
    char error [256];
    zsock_t *sock = gavel_sock_new_client (endpoint, error, sizeof error);
    if (!sock)
        return NULL;
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_HISTORY);
    gavel_msg_set_request_id (request, request_id);
    char session [32];
    snprintf (session, sizeof session, "zmq-tail-%d", (int) getpid ());
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, "zmq-tail");
    gavel_msg_set_seq (request, from);
    gavel_msg_set_count (request, count < GAVEL_HISTORY_MAX? count: GAVEL_HISTORY_MAX);
    gavel_msg_t *reply = NULL;
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLOUT, 0 };
    if (zmq_poll (&item, 1, 500) == 1) {
        zmsg_t *frames = gavel_msg_encode (request);
        zmsg_send (&frames, sock);
        zmsg_destroy (&frames);
        item.events = ZMQ_POLLIN;
        if (zmq_poll (&item, 1, 1000) == 1 && (frames = zmsg_recv (sock))) {
            gavel_msg_error_t decode_error;
            reply = gavel_msg_decode (frames, &decode_error);
            zmsg_destroy (&frames);
        }
    }
    gavel_msg_destroy (&request);
    zsock_destroy (&sock);
    return reply;
}

//  The follower's HISTORY request, answered or not before we go on: the
//  feed waits meanwhile, its sockets holding what comes
static void
s_fetch (s_tail_t *self, gavel_feed_action_t *fetch)
{
    const char *endpoint = NULL;
    size_t index = 0;
    for (endpoint = (const char *) zlistx_first (self->history); endpoint && index < fetch->endpoint;
         endpoint = (const char *) zlistx_next (self->history))
        index++;
    assert (endpoint);
    gavel_msg_t *reply = s_ask_history (endpoint, fetch->request_id, fetch->from, fetch->count);
    if (reply)
        gavel_feed_history (self->feed, reply, fetch->endpoint, 1, zclock_mono ());
    else
        gavel_feed_history_failed (self->feed, zclock_mono ());
    gavel_msg_destroy (&reply);
}

static const char *
s_check_history (gavel_msg_t *event, char *why, size_t size)
{
    gavel_record_event_t fields;
    return s_check_event (event, &fields, why, size);
}

//  The follower, with the cluster's client endpoints to ask for history
static void
s_follower_new (s_tail_t *self)
{
    self->history = zlistx_new ();
    assert (self->history);
    zlistx_set_duplicator (self->history, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (self->history, (zlistx_destructor_fn *) zstr_free);
    if (self->options->cluster)
        s_history_endpoints (self->options->cluster, self->history);
    gavel_feed_settings_t settings = {
        .feed_endpoints = self->feed_count,
        .history_endpoints = zlistx_size (self->history),
        .fetch_timeout = 1500,          //  s_ask_history waits itself
        .fetch_tries = (unsigned) zlistx_size (self->history),
        .backlog_max = GAVEL_HISTORY_MAX
    };
    self->feed = gavel_feed_new (&settings);
    gavel_feed_set_check (self->feed, s_check_history);
}

//  -n N: the last N events, from a HISTORY request to a broker or replica,
//  then live ones from there on (the numbering drops those seen twice).
static void
s_print_history (s_tail_t *self)
{
    if (self->options->lines == 0)
        return;
    if (!self->options->cluster) {
        s_note ("-n %" PRId64 ": history comes from the client endpoints of a cluster file "
                "(--cluster FILE); following live events only", self->options->lines);
        return;
    }
    if (zlistx_size (self->history) == 0)
        s_note ("-n %" PRId64 ": nobody answered the history request; following live events only",
                self->options->lines);
    gavel_feed_catch_up (self->feed, (uint64_t) self->options->lines, zclock_mono ());
    s_feed_actions (self);
}

static bool
s_done (s_tail_t *self)
{
    return self->options->count > 0 && self->printed >= self->options->count;
}

static int
s_receive (s_tail_t *self, zsock_t *sub, size_t source)
{
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return zsys_interrupted? 0: -1;
    if (self->options->raw)
        s_on_raw (self, msg);
    else
        s_on_event (self, msg, source);
    zmsg_destroy (&msg);
    return 0;
}

static int
s_run (s_tail_t *self)
{
    s_follower_new (self);
    s_print_history (self);
    while (!zsys_interrupted && !s_done (self)) {
        void *which = zpoller_wait (self->poller, POLL_INTERVAL);
        if (!which) {
            if (zpoller_terminated (self->poller) && !zsys_interrupted) {
                s_note ("cannot read the feed: %s", zmq_strerror (zmq_errno ()));
                return EXIT_FAIL;
            }
            continue;
        }
        for (size_t index = 0; index < self->feed_count; index++) {
            s_feed_t *feed = self->feeds [index];
            if (which == feed->monitor)
                s_on_monitor (self, feed);
            else
            if (which == feed->sub && s_receive (self, feed->sub, index)) {
                s_note ("cannot read %s: %s", feed->endpoint, zmq_strerror (zmq_errno ()));
                return EXIT_FAIL;
            }
        }
    }
    return EXIT_SUCCESS;
}

static void
s_tail_destroy (s_tail_t *self)
{
    zpoller_destroy (&self->poller);
    gavel_feed_destroy (&self->feed);
    zlistx_destroy (&self->history);
    for (size_t index = 0; index < self->feed_count; index++)
        s_feed_destroy (&self->feeds [index]);
    free (self->feeds);
}


//  --------------------------------------------------------------------------
//  Start-up: options

//  One wording for usage errors across Gavel's programs (common/gavel_cli)
#define s_usage_error(...) gavel_cli_usage_error ("zmq-tail", s_usage, __VA_ARGS__)
#define s_option_int(option, text, min, max, value) \
    gavel_cli_option_int ("zmq-tail", s_usage, (option), (text), (min), (max), (value))

static int
s_check_options (s_options_t *options)
{
    if (!options->cluster && !options->endpoint_count) {
        s_usage_error ("nothing to follow: give ENDPOINT... or --cluster FILE");
        return -1;
    }
    if (options->raw && options->json) {
        s_usage_error ("--raw prints frames as they are; --json is for events");
        return -1;
    }
    if (options->raw && options->auction) {
        s_usage_error ("--raw decodes nothing, so it cannot pick an --auction");
        return -1;
    }
    if (options->raw && options->lines) {
        s_usage_error ("-n needs a Gavel event feed's history; --raw has none");
        return -1;
    }
    if (options->topic_count == 0)
        options->topics [options->topic_count++] = options->raw? "": "event";
    return 0;
}

//  Returns 0 to go on, 1 when --help was served, -1 on a usage error.
static int
s_parse_options (s_options_t *options, int argc, char *argv [])
{
    static const struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "json",    no_argument,       NULL, 'j' },
        { "raw",     no_argument,       NULL, 'r' },
        { "auction", required_argument, NULL, 'a' },
        { "topic",   required_argument, NULL, 't' },
        { "count",   required_argument, NULL, 'N' },
        { "lines",   required_argument, NULL, 'n' },
        { "hwm",     required_argument, NULL, 'H' },
        { "insecure", no_argument,      NULL, 'I' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    int64_t value;
    while ((option = getopt_long (argc, argv, "hn:", longopts, NULL)) != -1) {
        switch (option) {
            case 'c':
                if (options->cluster) {
                    s_usage_error ("give --cluster once");
                    return -1;
                }
                options->cluster = optarg;
                break;
            case 'j': options->json = true; break;
            case 'r': options->raw = true; break;
            case 'I': options->insecure = true; break;
            case 't': options->topics [options->topic_count++] = optarg; break;
            case 'a':
                if (s_option_int ("--auction", optarg, 1, INT64_MAX, &value))
                    return -1;
                options->auction = (uint64_t) value;
                break;
            case 'N':
                if (s_option_int ("--count", optarg, 1, COUNT_MAX, &options->count))
                    return -1;
                break;
            case 'n':
                if (s_option_int ("-n", optarg, 0, LINES_MAX, &options->lines))
                    return -1;
                break;
            case 'H':
                if (s_option_int ("--hwm", optarg, 1, INT32_MAX, &options->hwm))
                    return -1;
                break;
            case 'h':
                printf ("%s\n%s", s_usage, s_options_help);
                return 1;
            default:            //  getopt has said what is wrong
                fprintf (stderr, "%s(zmq-tail --help for more)\n", s_usage);
                return -1;
        }
    }
    while (optind < argc)
        options->endpoints [options->endpoint_count++] = argv [optind++];
    return s_check_options (options);
}

//  CURVE, with a key pair made in memory and the servers' keys from the
//  cluster file, or --insecure. Before any socket.
static int
s_setup_curve (const s_options_t *options)
{
    if (options->insecure)
        return gavel_sock_curve_setup ("zmq-tail", NULL, true, NULL, false);
    if (!options->cluster) {
        s_usage_error ("with CURVE the servers' keys come from --cluster FILE: give it (it "
                       "must list the ENDPOINTs), or --insecure for a plain PUB socket");
        return -1;
    }
    char error [512];
    gavel_config_t *config = gavel_config_load (options->cluster, error, sizeof error);
    if (!config) {
        s_note ("%s", error);
        return -1;
    }
    int rc = gavel_sock_curve_setup ("zmq-tail", config, false, NULL, false);
    gavel_config_destroy (&config);
    return rc;
}

int
main (int argc, char *argv [])
{
    //  Our own handler, installed before czmq's: czmq's leaves a SIGINT
    //  that the shell ignored for a background job ignored, and we want
    //  SIGINT and SIGTERM to stop us cleanly however we were started
    zsys_handler_set (NULL);
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    struct sigaction on_alarm = { .sa_handler = s_on_alarm };
    sigemptyset (&on_alarm.sa_mask);
    sigaction (SIGALRM, &on_alarm, NULL);
    //  Lines must come out as they happen, also into a pipe or a file
    setvbuf (stdout, NULL, _IOLBF, 0);

    s_options_t options = { 0 };
    options.endpoints = (const char **) zmalloc ((argc + 1) * sizeof (char *));
    options.topics = (const char **) zmalloc ((argc + 1) * sizeof (char *));
    assert (options.endpoints && options.topics);
    int rc = s_parse_options (&options, argc, argv);
    int status = rc > 0? EXIT_SUCCESS: EXIT_USAGE;
    if (rc == 0 && s_setup_curve (&options)) {
        rc = -1;
        status = EXIT_USAGE;
    }
    if (rc == 0) {
        s_tail_t tail = { .options = &options };
        status = s_open_feeds (&tail) == 0? s_run (&tail): EXIT_USAGE;
        s_tail_destroy (&tail);
    }
    gavel_sock_curve_end ();
    free (options.endpoints);
    free (options.topics);
    return status;
}
