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
#include <inttypes.h>
#include <signal.h>
#include "gavel_cli.h"
#include "gavel_eventline.h"
#include "gavel_frames.h"
#include "gavel_fetcher.h"
#include "gavel_subscription.h"
#include "gavel_tail_options.h"
#include "gavel_msg.h"
#include "gavel_config.h"
#include "gavel_feed.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#define EXIT_FAIL       1
#define EXIT_USAGE      2
#define POLL_INTERVAL   1000        //  ms: a signal ends the wait anyway

typedef struct {
    const gavel_tail_options_t *options;
    gavel_config_t *config;         //  --cluster's, loaded once; or NULL
    gavel_subscription_t **feeds;
    size_t feed_count;
    zpoller_t *poller;
    gavel_fetcher_t *history;       //  where HISTORY can go (--cluster)
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
//  Events: checked, filtered, printed (gavel_record reads and prints them)

//  A message that is not the event it should be: in pretty mode a line of
//  the feed like any other, in JSON mode on stderr so stdout stays JSON
static void
s_print_malformed (s_tail_t *self, zmsg_t *msg, const char *why)
{
    if (self->options->json)
        gavel_eventline_put_malformed (stderr, "zmq-tail", msg, why);
    else
        gavel_eventline_put_malformed (stdout, NULL, msg, why);
}

static void s_note (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
static bool s_done (s_tail_t *self);
static void s_fetch (s_tail_t *self, gavel_feed_action_t *fetch);

//  A checked event, next in the numbering: printed unless filtered out.
static void
s_print_event (s_tail_t *self, gavel_msg_t *event)
{
    if (gavel_eventline_put (stdout, event, self->options->json, self->options->auction))
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
    const char *problem = event? gavel_eventline_check (event, &fields, why, sizeof why): error.message;
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
    gavel_frames_put (stdout, msg);
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

//  What a feed's monitor says, on stderr
static void
s_on_monitor (s_tail_t *self, gavel_subscription_t *feed)
{
    char note [GAVEL_SUBSCRIPTION_NOTE_MAX];
    if (gavel_subscription_on_monitor (feed, self->options->raw, note, sizeof note))
        s_note ("%s", note);
}

//  The endpoints of the cluster file's feeds, appended to endpoints.
//  Today every replica's pub: the primary of the moment publishes there.
//  Brokers, when the file lists them, will each re-publish the whole feed
//  without gaps or repeats: then their pub endpoints go here instead, and
//  nothing else changes.
static int
s_cluster_endpoints (gavel_config_t *config, const char *path, zlistx_t *endpoints)
{
    //  With CURVE a replica's pub admits only the cluster's own keys
    if (gavel_sock_curve_on () && gavel_config_brokers (config) == 0) {
        s_note ("%s lists no broker, and with CURVE the replicas' pub endpoints admit only "
                "the cluster's own keys: follow a broker's feed (list one in the file), or a "
                "cluster run with --insecure (then give --insecure too)", path);
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
    for (size_t index = 0; index < self->options->endpoints.count; index++)
        zlistx_add_end (endpoints, (void *) self->options->endpoints.items [index]);
    int rc = self->config? s_cluster_endpoints (self->config, self->options->cluster, endpoints): 0;
    self->feeds = (gavel_subscription_t **) zmalloc ((zlistx_size (endpoints) + 1)
                                                     * sizeof (gavel_subscription_t *));
    assert (self->feeds);
    self->poller = zpoller_new (NULL);
    assert (self->poller);
    for (const char *endpoint = (const char *) zlistx_first (endpoints);
         endpoint && rc == 0; endpoint = (const char *) zlistx_next (endpoints)) {
        bool repeat = false;
        for (size_t index = 0; index < self->feed_count; index++)
            repeat |= streq (gavel_subscription_endpoint (self->feeds [index]), endpoint);
        if (repeat)
            continue;
        char error [512];
        gavel_subscription_t *feed = gavel_subscription_new (
            endpoint, self->feed_count, self->options->topics.items, self->options->topics.count,
            self->options->hwm, error, sizeof error);
        if (!feed) {
            s_note ("%s", error);
            rc = -1;
            break;
        }
        self->feeds [self->feed_count++] = feed;
        zpoller_add (self->poller, gavel_subscription_sub (feed));
        zpoller_add (self->poller, gavel_subscription_monitor (feed));
    }
    zlistx_destroy (&endpoints);
    return rc;
}


//  --------------------------------------------------------------------------
//  Running

//  The follower's HISTORY request, answered or not before we go on: the
//  feed waits meanwhile, its sockets holding what comes
static void
s_fetch (s_tail_t *self, gavel_feed_action_t *fetch)
{
    gavel_msg_t *reply = gavel_fetcher_ask (self->history, fetch->endpoint, fetch->request_id,
                                            fetch->from, fetch->count);
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
    return gavel_eventline_check (event, &fields, why, size);
}

//  The follower, with the cluster's client endpoints to ask for history
static void
s_follower_new (s_tail_t *self)
{
    //  Without a cluster file, nobody to ask
    self->history = gavel_fetcher_new ("zmq-tail", self->config);
    gavel_feed_settings_t settings = {
        .feed_endpoints = self->feed_count,
        .history_endpoints = gavel_fetcher_size (self->history),
        .fetch_timeout = GAVEL_FETCHER_ASK_WAIT,    //  gavel_fetcher_ask waits itself
        .fetch_tries = (unsigned) gavel_fetcher_size (self->history),
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
    if (gavel_fetcher_size (self->history) == 0)
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
            gavel_subscription_t *feed = self->feeds [index];
            if (which == gavel_subscription_monitor (feed))
                s_on_monitor (self, feed);
            else
            if (which == gavel_subscription_sub (feed)
            &&  s_receive (self, gavel_subscription_sub (feed), index)) {
                s_note ("cannot read %s: %s", gavel_subscription_endpoint (feed),
                        zmq_strerror (zmq_errno ()));
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
    gavel_fetcher_destroy (&self->history);
    for (size_t index = 0; index < self->feed_count; index++)
        gavel_subscription_destroy (&self->feeds [index]);
    free (self->feeds);
    gavel_config_destroy (&self->config);
}


//  CURVE, with a key pair made in memory and the servers' keys from the
//  cluster file, or --insecure. Before any socket.
static int
s_setup_curve (const gavel_tail_options_t *options, gavel_config_t *config)
{
    if (options->insecure)
        return gavel_sock_curve_setup ("zmq-tail", NULL, true, NULL, false);
    return gavel_sock_curve_setup ("zmq-tail", config, false, NULL, false);
}

int
main (int argc, char *argv [])
{
    //  SIGINT and SIGTERM stop us cleanly however we were started
    gavel_cli_catch_stop (s_on_signal);
    struct sigaction on_alarm = { .sa_handler = s_on_alarm };
    sigemptyset (&on_alarm.sa_mask);
    sigaction (SIGALRM, &on_alarm, NULL);
    //  Lines must come out as they happen, also into a pipe or a file
    setvbuf (stdout, NULL, _IOLBF, 0);

    gavel_tail_options_t options;
    int status = gavel_tail_options_parse (&options, argc, argv);
    s_tail_t tail = { .options = &options };
    if (status == -1 && options.cluster) {
        char error [512];
        tail.config = gavel_config_load (options.cluster, error, sizeof error);
        if (!tail.config) {
            s_note ("%s", error);
            status = EXIT_USAGE;
        }
    }
    if (status == -1 && s_setup_curve (&options, tail.config))
        status = EXIT_USAGE;
    if (status == -1)
        status = s_open_feeds (&tail) == 0? s_run (&tail): EXIT_USAGE;
    s_tail_destroy (&tail);
    gavel_sock_curve_end ();
    return status;
}
