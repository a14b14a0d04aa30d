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
#include "gavel_follower.h"
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
    gavel_follower_t *follower;
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

#define s_note(...)     gavel_cli_note ("zmq-tail", __VA_ARGS__)

static bool
s_done (s_tail_t *self)
{
    return self->options->count > 0 && self->printed >= self->options->count;
}

//  What the feed follower says, until --count is reached: print, or say
//  what is missed, fetched or lost
static void
s_on_action (void *arg, gavel_feed_action_t *action)
{
    s_tail_t *self = (s_tail_t *) arg;
    if (s_done (self) || zsys_interrupted)
        ;                       //  nothing more to print: leaving
    else
    if (action->kind == GAVEL_FEED_DELIVER) {
        if (gavel_eventline_put (stdout, action->event, self->options->json,
                                 self->options->auction))
            self->printed++;
        if (s_done (self))
            gavel_follower_stop (self->follower);
    }
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
}

//  A message that is not the event it should be: in pretty mode a line of
//  the feed like any other, in JSON mode on stderr so stdout stays JSON
static void
s_on_malformed (void *arg, zmsg_t *msg, const char *why)
{
    s_tail_t *self = (s_tail_t *) arg;
    if (self->options->json)
        gavel_eventline_put_malformed (stderr, "zmq-tail", msg, why);
    else
        gavel_eventline_put_malformed (stdout, NULL, msg, why);
}

static void
s_on_raw (void *arg, zmsg_t *msg)
{
    s_tail_t *self = (s_tail_t *) arg;
    gavel_frames_put (stdout, msg);
    putchar ('\n');
    self->printed++;
}


//  What a feed's monitor says, on stderr
static void
s_on_note (void *arg, const char *note)
{
    s_note ("%s", note);
}


//  --------------------------------------------------------------------------
//  Running

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
    if (gavel_follower_history_endpoints (self->follower) == 0)
        s_note ("-n %" PRId64 ": nobody answered the history request; following live events only",
                self->options->lines);
    gavel_follower_catch_up (self->follower, (uint64_t) self->options->lines);
}

static int
s_run (s_tail_t *self)
{
    gavel_follower_handler_t handler = {
        .action = s_on_action, .malformed = s_on_malformed, .note = s_on_note,
        .raw = self->options->raw? s_on_raw: NULL, .arg = self
    };
    char error [1024];
    self->follower = gavel_follower_new (
        "zmq-tail", self->config, self->options->cluster,
        (const char *const *) self->options->endpoints.items, self->options->endpoints.count,
        (const char *const *) self->options->topics.items, self->options->topics.count,
        self->options->hwm, &handler, error, sizeof error);
    if (!self->follower) {
        s_note ("%s", error);
        return EXIT_USAGE;
    }
    s_print_history (self);
    while (!zsys_interrupted && !s_done (self))
        if (gavel_follower_wait (self->follower, POLL_INTERVAL, error, sizeof error)) {
            s_note ("%s", error);
            return EXIT_FAIL;
        }
    return EXIT_SUCCESS;
}

static void
s_tail_destroy (s_tail_t *self)
{
    gavel_follower_destroy (&self->follower);
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
        status = s_run (&tail);
    s_tail_destroy (&tail);
    gavel_sock_curve_end ();
    return status;
}
