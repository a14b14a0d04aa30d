/*  gavel-bench: load generator and failover timer for a Gavel replica set.

    Load mode runs K closed-loop bidders in one thread. Each has its own
    session, name and DEALERs (one per replica it has talked to), keeps one
    request outstanding and sends the next the moment an answer comes. One
    zmq_poll waits on every socket, so a bidder costs a few sockets and no
    thread, and nothing needs a lock. It reports committed bids/s (success),
    decided bids/s (success + fail) and the latency of every bid from its
    first send to its answer, retries and redirects included.

    Failover mode runs one such bidder against a local cluster (gavel-local)
    and, trial after trial, kills the primary and measures how long bidding
    stops; at the end it checks that no acknowledged bid was lost and none
    was applied twice.

    Both modes act as docs/PROTOCOL.md asks of a client: after a time-out
    the same request id goes to the next replica, redirects are followed,
    `exception reason=no-quorum` is retried. gavel_client does the same for
    one blocking request at a time; here many are outstanding, so each
    bidder is a small state machine driven by the shared poll loop.
*/
#define _GNU_SOURCE             //  close_range, pipe2
#include "gavel_config.h"
#include "gavel_msg.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_OK             0
#define EXIT_FAIL           1
#define EXIT_USAGE          2
#define EXIT_INTERRUPTED    130     //  128 + SIGINT, as a shell reports it

#define LOAD_TIMEOUT        200     //  ms per attempt, load mode
#define FAILOVER_TIMEOUT    50      //  ms per attempt, failover mode: short,
                                    //  so that the retry granularity does
                                    //  not dominate the measured gap
#define CLIENTS_MAX         1000
#define TRIALS_MAX          1000
#define REDIRECTS_MAX       5       //  followed per attempt: more is a loop,
                                    //  i.e. an election under way
#define REDIRECT_PAUSE      5       //  ms before asking again after a
                                    //  redirect we do not follow
#define STATUS_TIMEOUT      500     //  ms a replica has to answer STATUS
#define PRIMARY_WAIT        3000    //  ms to wait out an election at the start
#define SETUP_TIMEOUT       10000   //  ms to open the auctions
#define BID_TIME            1000    //  ms of bidding before each kill
#define RECOVER_TIMEOUT     10000   //  ms from a kill to the first success
#define CATCHUP_TIMEOUT     10000   //  ms for a restarted replica to catch up
#define CATCHUP_INTERVAL    100     //  ms between STATUS rounds meanwhile
#define DRAIN_TIMEOUT       10000   //  ms for the last bid and the RESULT
#define CHILD_TIMEOUT       60000   //  ms for one gavel-local command
#define WAKE_MAX            1000    //  ms: the loop looks at the clock at least this often
#define SESSION_BYTES       8       //  16 hex digits, as gavel_client
#define RECENT_MAX          1024    //  answers kept to compare duplicates with
#define ANOMALIES_SHOWN     10

//  -------------------------------------------------------------------------
//  Latency histogram: log-bucketed, constant memory (HdrHistogram's idea).
//  Values below 64 us have a bucket each; above, every power of two is cut
//  into 64 buckets, so a percentile is off by less than 1/64 (1.6 %).

#define HIST_SUB_BITS   6
#define HIST_SUB        (1 << HIST_SUB_BITS)
#define HIST_TOP_BITS   40          //  2^40 us is 12 days: more is clamped
#define HIST_BUCKETS    ((HIST_TOP_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

typedef struct {
    uint64_t counts [HIST_BUCKETS];
    uint64_t total;
    int64_t max;
    double sum;
} histogram_t;

static size_t
s_hist_bucket (int64_t value)
{
    if (value < HIST_SUB)
        return value < 0? 0: (size_t) value;
    int top = 63 - __builtin_clzll ((unsigned long long) value);
    if (top >= HIST_TOP_BITS)
        return HIST_BUCKETS - 1;
    int shift = top - HIST_SUB_BITS;
    return (size_t) (shift + 1) * HIST_SUB + (size_t) ((value >> shift) & (HIST_SUB - 1));
}

//  The highest value that falls in bucket index.
static int64_t
s_hist_bucket_top (size_t index)
{
    if (index < HIST_SUB)
        return (int64_t) index;
    int shift = (int) (index / HIST_SUB) - 1;
    int64_t low = (int64_t) (HIST_SUB + index % HIST_SUB) << shift;
    return low + ((int64_t) 1 << shift) - 1;
}

static void
s_hist_reset (histogram_t *self)
{
    memset (self, 0, sizeof *self);
}

static void
s_hist_record (histogram_t *self, int64_t value)
{
    self->counts [s_hist_bucket (value)]++;
    self->total++;
    self->sum += (double) value;
    if (value > self->max)
        self->max = value;
}

//  The value at percentile (0-100): the top of its bucket, never above the
//  largest value seen, so p100 is the exact max. 0 when empty.
static int64_t
s_hist_percentile (histogram_t *self, double percentile)
{
    if (self->total == 0)
        return 0;
    uint64_t rank = (uint64_t) ((percentile / 100.0) * (double) self->total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t index = 0; index < HIST_BUCKETS; index++) {
        seen += self->counts [index];
        if (seen >= rank) {
            int64_t top = s_hist_bucket_top (index);
            return top < self->max? top: self->max;
        }
    }
    return self->max;
}

static double
s_hist_mean (histogram_t *self)
{
    return self->total? self->sum / (double) self->total: 0;
}

//  -------------------------------------------------------------------------
//  The command line

typedef struct {
    const char *cluster;        //  load: the cluster file
    uint64_t clients;           //  load: closed-loop bidders
    uint64_t seconds;           //  load: measured seconds
    uint64_t warmup;            //  load: seconds before measuring
    bool shared;                //  load: one auction for all, else one each
    uint64_t trials;            //  failover: kills; 0 in load mode
    const char *dir;            //  failover: the cluster directory
    uint64_t replicas;          //  failover: replicas to start
    int64_t timeout;            //  ms per attempt
    bool json;
    bool verbose;
    bool insecure;              //  no CURVE
    const char *plot;           //  --plot FILE: an SVG drawn by gnuplot
} options_t;

//  --insecure, for s_config_load, which both modes use
static bool s_insecure = false;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: gavel-bench --cluster FILE [--clients K] [--seconds S] [--warmup S]\n"
        "                   [--auctions one|per-client] [--timeout MS] [--json]\n"
        "                   [--plot FILE]\n"
        "       gavel-bench --failover N --dir DIR [--replicas R] [--timeout MS] [--json]\n"
        "                   [--plot FILE]\n"
        "\n"
        "Load mode: K closed-loop bidders (one thread, each its own session, name\n"
        "and sockets) bid strictly increasing amounts as fast as answers come, for\n"
        "S seconds after a warm-up. Reports committed bids/s (success), decided\n"
        "bids/s (success or fail), and the latency of each bid from its first send\n"
        "to its answer (retries included): p50, p90, p99, p99.9 and max. Every\n"
        "replica is asked STATUS at the start and at the end: the primary's term\n"
        "change is the number of elections seen.\n"
        "\n"
        "  --cluster FILE        the cluster file (gavel-local writes DIR/cluster.cfg)\n"
        "  --clients K           bidders, 1 to %d (default 16)\n"
        "  --seconds S           seconds measured (default 10)\n"
        "  --warmup S            seconds of bidding before measuring (default 1)\n"
        "  --auctions one        all bid on one auction, bidder i of K bidding\n"
        "                        1 + nK + i, so some bids fail too-low (default)\n"
        "  --auctions per-client each bidder opens and bids on its own auction\n"
        "  --timeout MS          wait per attempt before the same request goes to\n"
        "                        the next replica (default %d)\n"
        "  --json                print one JSON object on one line instead\n"
        "  --plot FILE           also draw the latency histogram of the measured\n"
        "                        window as an SVG in FILE, with p50, p99 and p99.9\n"
        "                        marked (needs gnuplot: apt-get install gnuplot-nox)\n"
        "\n"
        "Failover mode: times N failovers of a local cluster. Uses the cluster in\n"
        "DIR, or starts one there with 'gavel-local up R --dir DIR' when DIR has\n"
        "no cluster.cfg (and stops it at the end). One bidder bids continuously;\n"
        "each trial bids for 1 s, runs 'gavel-local kill primary', measures the\n"
        "gap to the first success served by another replica, restarts the killed\n"
        "replica and waits until it has caught up. Then checks that every bid\n"
        "acknowledged with success is in the final state and none was applied\n"
        "twice, and prints a table and a summary line.\n"
        "\n"
        "  --failover N          trials, 1 to %d\n"
        "  --dir DIR             the cluster directory\n"
        "  --replicas R          replicas to start: 3, 5 or 7 (default 3)\n"
        "  --timeout MS          wait per attempt (default %d)\n"
        "  --json                print one JSON object on one line instead\n"
        "  --plot FILE           also draw the failover timeline as an SVG in FILE:\n"
        "                        each trial's gap, and the median (needs gnuplot)\n"
        "\n"
        "  --verbose             trace time-outs and redirects on stderr\n"
        "  --insecure            CURVE off, for a cluster that runs without it (and\n"
        "                        failover mode starts one so); by default each\n"
        "                        bidder has a key pair of its own, made in memory\n"
        "  --help                this text\n"
        "\n"
        "gavel-local must be in the same directory as gavel-bench.\n"
        "Exit status: 0 done; 1 failed (no bid succeeded, a command or a trial\n"
        "failed, an acknowledged bid was lost or a bid applied twice); 2 usage\n"
        "error; 130 interrupted (Ctrl-C: a cluster gavel-bench started is stopped).\n",
        CLIENTS_MAX, LOAD_TIMEOUT, TRIALS_MAX, FAILOVER_TIMEOUT);
}

//  A usage error: what is wrong, and where to read more. Returns EXIT_USAGE.
static int
s_usage_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static int
s_usage_error (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "gavel-bench: ");
    vfprintf (stderr, format, args);
    va_end (args);
    fprintf (stderr, "\nRun 'gavel-bench --help' for usage.\n");
    return EXIT_USAGE;
}

static int
s_parse_number (const char *flag, const char *text, uint64_t min, uint64_t max,
                uint64_t *value)
{
    const char *why;
    if (gavel_text_parse_uint (text, min, max, value, &why))
        return s_usage_error ("%s '%s' %s (%" PRIu64 " to %" PRIu64 ")",
                              flag, text, why, min, max);
    return 0;
}

//  Options that take a value, and the mode each belongs to.
#define MODE_LOAD       1
#define MODE_FAILOVER   2
#define MODE_BOTH       3

typedef struct {
    const char *name;
    unsigned modes;
} value_option_t;

static const value_option_t s_value_options [] = {
    { "--cluster", MODE_LOAD }, { "--clients", MODE_LOAD }, { "--seconds", MODE_LOAD },
    { "--warmup", MODE_LOAD }, { "--auctions", MODE_LOAD }, { "--failover", MODE_FAILOVER },
    { "--dir", MODE_FAILOVER }, { "--replicas", MODE_FAILOVER }, { "--timeout", MODE_BOTH },
    { "--plot", MODE_BOTH },
};
#define VALUE_OPTIONS (sizeof s_value_options / sizeof s_value_options [0])

static int
s_value_option (const char *arg)
{
    for (size_t index = 0; index < VALUE_OPTIONS; index++)
        if (streq (s_value_options [index].name, arg))
            return (int) index;
    return -1;
}

//  --plot FILE, checked before anything is measured: a name gnuplot can
//  take, in a directory that exists and that we may write in (the plot
//  goes to FILE.tmp there first, then is renamed). 0 or EXIT_USAGE.
static int
s_plot_check (const char *file)
{
    if (!*file)
        return s_usage_error ("--plot needs a file name");
    if (strchr (file, '\n'))
        return s_usage_error ("--plot: the file name has a newline in it");
    if (strlen (file) + sizeof ".tmp" > PATH_MAX)
        return s_usage_error ("--plot %s: the path is too long", file);
    char dir [PATH_MAX];
    snprintf (dir, sizeof dir, "%s", file);
    char *slash = strrchr (dir, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else
    if (slash == dir)
        dir [1] = '\0';         //  "/x.svg": the root
    else
        *slash = '\0';
    struct stat info;
    if (stat (dir, &info) || !S_ISDIR (info.st_mode))
        return s_usage_error ("--plot %s: no directory %s", file, dir);
    if (access (dir, W_OK | X_OK))
        return s_usage_error ("--plot %s: cannot write in %s: %s", file, dir, strerror (errno));
    if (stat (file, &info) == 0 && S_ISDIR (info.st_mode))
        return s_usage_error ("--plot %s: is a directory", file);
    return 0;
}

//  One option's value, checked. Returns 0 or EXIT_USAGE.
static int
s_parse_value (options_t *options, const char *arg, const char *value)
{
    uint64_t number;
    int rc = 0;
    if (streq (arg, "--cluster"))
        options->cluster = value;
    else
    if (streq (arg, "--dir"))
        options->dir = value;
    else
    if (streq (arg, "--plot")) {
        rc = s_plot_check (value);
        options->plot = value;
    }
    else
    if (streq (arg, "--auctions")) {
        if (!streq (value, "one") && !streq (value, "per-client"))
            return s_usage_error ("--auctions '%s': say one or per-client", value);
        options->shared = streq (value, "one");
    }
    else
    if (streq (arg, "--clients"))
        rc = s_parse_number (arg, value, 1, CLIENTS_MAX, &options->clients);
    else
    if (streq (arg, "--seconds"))
        rc = s_parse_number (arg, value, 1, 86400, &options->seconds);
    else
    if (streq (arg, "--warmup"))
        rc = s_parse_number (arg, value, 0, 3600, &options->warmup);
    else
    if (streq (arg, "--failover"))
        rc = s_parse_number (arg, value, 1, TRIALS_MAX, &options->trials);
    else
    if (streq (arg, "--replicas")) {
        rc = s_parse_number (arg, value, 3, GAVEL_REPLICAS_MAX, &options->replicas);
        if (rc == 0 && options->replicas % 2 == 0)
            rc = s_usage_error ("--replicas %s: say 3, 5 or 7 (odd, so that a "
                                "majority survives the kill)", value);
    }
    else {
        assert (streq (arg, "--timeout"));
        rc = s_parse_number (arg, value, 1, 60000, &number);
        options->timeout = (int64_t) number;
    }
    return rc;
}

//  After the options: the mode they make, and the defaults that depend on
//  it. Returns -1 when the command line is complete, else EXIT_USAGE.
static int
s_check_mode (options_t *options, const char *load_flag, const char *failover_flag)
{
    if (load_flag && failover_flag)
        return s_usage_error ("%s is for load mode and %s for failover mode: "
                              "choose one mode", load_flag, failover_flag);
    if (failover_flag) {
        if (!options->trials)
            return s_usage_error ("%s is for failover mode: give --failover N", failover_flag);
        if (!options->dir)
            return s_usage_error ("--failover needs --dir DIR (the cluster directory)");
        if (!options->timeout)
            options->timeout = FAILOVER_TIMEOUT;
        return -1;
    }
    if (!options->cluster)
        return s_usage_error ("say what to run: --cluster FILE (load) or "
                              "--failover N --dir DIR");
    if (!options->timeout)
        options->timeout = LOAD_TIMEOUT;
    return -1;
}

//  Returns -1 when the command line is complete, else the exit code.
static int
s_parse_options (options_t *options, int argc, char *argv [])
{
    *options = (options_t) { .clients = 16, .seconds = 10, .warmup = 1,
                             .shared = true, .replicas = 3 };
    bool given [VALUE_OPTIONS] = { false };
    const char *load_flag = NULL, *failover_flag = NULL;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return EXIT_OK;
        }
        if (streq (arg, "--json")) {
            options->json = true;
            continue;
        }
        if (streq (arg, "--verbose")) {
            options->verbose = true;
            continue;
        }
        if (streq (arg, "--insecure")) {
            options->insecure = true;
            continue;
        }
        int option = s_value_option (arg);
        if (option < 0)
            return s_usage_error ("%s '%s'", arg [0] == '-'? "unknown option":
                                  "unexpected argument", arg);
        //  "--cluster --json" is a forgotten value, not a file name
        const char *value = index + 1 < argc? argv [index + 1]: NULL;
        if (!value || !*value || strncmp (value, "--", 2) == 0)
            return s_usage_error ("%s needs a value", arg);
        if (given [option])
            return s_usage_error ("%s is given twice", arg);
        given [option] = true;
        if (s_parse_value (options, arg, value))
            return EXIT_USAGE;
        index++;
        if (s_value_options [option].modes == MODE_LOAD)
            load_flag = arg;
        else
        if (s_value_options [option].modes == MODE_FAILOVER)
            failover_flag = arg;
    }
    return s_check_mode (options, load_flag, failover_flag);
}

//  -------------------------------------------------------------------------
//  Replica STATUS, asked without blocking the bidders: a probe is one
//  STATUS request on its own socket, polled in the bidders' loop

typedef struct {
    uint64_t id;
    char role [16];             //  "" when it did not answer
    int64_t term;               //  -1 when unknown
    int64_t commit;
    int64_t applied;
    int64_t primary;
} replica_state_t;

typedef struct {
    zsock_t *sock;
    int64_t deadline;           //  us
    bool unsent;                //  waiting for the socket to connect
    bool done;                  //  answered or given up
    replica_state_t state;
} probe_t;

static int64_t
s_record_number (const char *record, const char *key)
{
    char text [24];
    uint64_t value;
    if (gavel_record_get (record, key, text, sizeof text)
    ||  gavel_text_parse_uint (text, 0, INT64_MAX, &value, NULL))
        return -1;
    return (int64_t) value;
}

static void
s_probe_stop (probe_t *self)
{
    zsock_destroy (&self->sock);
    self->done = true;
}

static void
s_probe_transmit (probe_t *self)
{
    //  STATUS changes nothing, so any session and request id will do
    char session [32];
    snprintf (session, sizeof session, "gavel-bench-%d", (int) getpid ());
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_STATUS);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, "gavel-bench");
    zmsg_t *msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);
    self->unsent = zmsg_send (&msg, self->sock) != 0;
    zmsg_destroy (&msg);        //  left to us when the send failed
}

static void
s_probe_start (probe_t *self, const gavel_replica_conf_t *conf, int64_t timeout)
{
    zsock_destroy (&self->sock);
    *self = (probe_t) { .deadline = zclock_usecs () + timeout * 1000 };
    self->state = (replica_state_t) { .id = conf->id, .term = -1, .commit = -1,
                                      .applied = -1, .primary = -1 };
    char error [256];
    self->sock = gavel_sock_new_client (conf->client, error, sizeof error);
    if (!self->sock) {
        self->done = true;
        return;
    }
    zsock_set_rcvtimeo (self->sock, 0);
    s_probe_transmit (self);
}

static void
s_probe_read (probe_t *self)
{
    zmsg_t *msg;
    while (!self->done && (msg = zmsg_recv (self->sock))) {
        gavel_msg_error_t error;
        gavel_msg_t *reply = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        if (reply && gavel_msg_id (reply) == GAVEL_MSG_REPLY
        &&  gavel_msg_outcome (reply) == GAVEL_SUCCESS && gavel_msg_records (reply) > 0) {
            const char *record = gavel_msg_record (reply, 0);
            replica_state_t *state = &self->state;
            if (gavel_record_get (record, "role", state->role, sizeof state->role))
                state->role [0] = '\0';
            state->term = s_record_number (record, "term");
            state->commit = s_record_number (record, "commit");
            state->applied = s_record_number (record, "applied");
            state->primary = s_record_number (record, "primary");
            s_probe_stop (self);
        }
        gavel_msg_destroy (&reply);
    }
}

//  Fills item if the probe waits for something; returns whether it does.
static bool
s_probe_item (probe_t *self, zmq_pollitem_t *item)
{
    if (self->done)
        return false;
    *item = (zmq_pollitem_t) { zsock_resolve (self->sock), 0,
                               (short) (ZMQ_POLLIN | (self->unsent? ZMQ_POLLOUT: 0)), 0 };
    return true;
}

static void
s_probe_handle (probe_t *self, short revents, int64_t now)
{
    if (!self->done && self->unsent && (revents & ZMQ_POLLOUT))
        s_probe_transmit (self);
    if (!self->done && (revents & ZMQ_POLLIN))
        s_probe_read (self);
    if (!self->done && now >= self->deadline)
        s_probe_stop (self);
}

//  Ask every replica STATUS at once and wait for all answers, at most
//  STATUS_TIMEOUT. A replica that does not answer keeps role "".
static void
s_status_all (gavel_config_t *config, replica_state_t *states)
{
    size_t count = gavel_config_replicas (config);
    probe_t probes [GAVEL_REPLICAS_MAX] = { { 0 } };
    for (size_t index = 0; index < count; index++)
        s_probe_start (&probes [index], gavel_config_replica (config, index), STATUS_TIMEOUT);
    while (true) {
        zmq_pollitem_t items [GAVEL_REPLICAS_MAX];
        size_t owners [GAVEL_REPLICAS_MAX];
        size_t waiting = 0;
        int64_t deadline = INT64_MAX;
        for (size_t index = 0; index < count; index++)
            if (s_probe_item (&probes [index], &items [waiting])) {
                owners [waiting++] = index;
                if (probes [index].deadline < deadline)
                    deadline = probes [index].deadline;
            }
        if (waiting == 0)
            break;
        int64_t left = deadline - zclock_usecs ();
        if (zmq_poll (items, (int) waiting, left > 0? (long) ((left + 999) / 1000): 0) < 0)
            for (size_t item = 0; item < waiting; item++)
                items [item].revents = 0;
        int64_t now = zclock_usecs ();
        for (size_t item = 0; item < waiting; item++)
            s_probe_handle (&probes [owners [item]], items [item].revents, now);
    }
    for (size_t index = 0; index < count; index++) {
        states [index] = probes [index].state;
        s_probe_stop (&probes [index]);
    }
}

//  The replica that says it is primary, of the highest term if two do (the
//  old one may not have heard of the new term yet); -1 when none does.
static int
s_primary_of (const replica_state_t *states, size_t count)
{
    int best = -1;
    for (size_t index = 0; index < count; index++)
        if (streq (states [index].role, "primary")
        &&  (best < 0 || states [index].term > states [best].term))
            best = (int) index;
    return best;
}

//  -------------------------------------------------------------------------
//  gavel-local, run as a child whose output we collect. Waiting for it is
//  an event in the poll loop (its pidfd), so bidding goes on meanwhile.

typedef struct {
    pid_t pid;                  //  0 when none runs
    int out_fd;                 //  its stdout and stderr; -1 once closed
    int pid_fd;                 //  readable once it exits; -1 if unsupported
    int64_t deadline;           //  us: killed after this
    char command [256];         //  for messages
    char output [4096];
    size_t size;
    bool exited;
    int status;                 //  waitpid's, once exited
} child_t;

//  In the child between fork and exec: only async-signal-safe calls.
static void __attribute__ ((noreturn))
s_child_exec (const char *program, char *const argv [], int out_fd)
{
    dup2 (out_fd, STDOUT_FILENO);
    dup2 (out_fd, STDERR_FILENO);
    //  Leave it none of our descriptors (our ZeroMQ sockets)
    if (close_range (3, ~0U, 0))
        for (int fd = 3; fd < 1024; fd++)
            close (fd);
    execv (program, argv);
    const char *message = "gavel-bench: cannot exec gavel-local\n";
    ssize_t ignored = write (STDERR_FILENO, message, strlen (message));
    (void) ignored;
    _exit (127);
}

//  Start program with argv; 0, or -1 with the reason in the child's output.
static int
s_child_start (child_t *self, const char *program, char *const argv [])
{
    *self = (child_t) { .out_fd = -1, .pid_fd = -1,
                        .deadline = zclock_usecs () + (int64_t) CHILD_TIMEOUT * 1000 };
    size_t used = 0;
    for (size_t index = 1; argv [index] && used < sizeof self->command; index++)
        used += snprintf (self->command + used, sizeof self->command - used, "%s%s",
                          index > 1? " ": "", argv [index]);
    int fds [2];
    if (pipe2 (fds, O_CLOEXEC)) {
        self->size = snprintf (self->output, sizeof self->output, "pipe: %s", strerror (errno));
        return -1;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid == 0)
        s_child_exec (program, argv, fds [1]);
    int fork_errno = errno;
    close (fds [1]);
    if (pid == -1) {
        close (fds [0]);
        self->size = snprintf (self->output, sizeof self->output, "fork: %s", strerror (fork_errno));
        return -1;
    }
    self->pid = pid;
    self->out_fd = fds [0];
    fcntl (self->out_fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
    self->pid_fd = (int) syscall (SYS_pidfd_open, pid, 0);
#endif
    return 0;
}

static bool
s_child_running (child_t *self)
{
    return self->pid && !self->exited;
}

//  Keep output, as much as fits.
static void
s_child_append (child_t *self, const char *text, size_t size)
{
    size_t room = sizeof self->output - 1 - self->size;
    size_t take = size < room? size: room;
    memcpy (self->output + self->size, text, take);
    self->size += take;
    self->output [self->size] = '\0';
}

//  Read what output is there; the tail beyond our buffer is dropped.
static void
s_child_read (child_t *self)
{
    while (self->out_fd >= 0) {
        char buffer [1024];
        ssize_t size = read (self->out_fd, buffer, sizeof buffer);
        if (size > 0)
            s_child_append (self, buffer, (size_t) size);
        else
        if (size == 0 || errno != EINTR) {
            if (size == 0) {
                close (self->out_fd);
                self->out_fd = -1;
            }
            break;
        }
    }
}

static void
s_child_close (child_t *self)
{
    if (self->out_fd >= 0)
        close (self->out_fd);
    if (self->pid_fd >= 0)
        close (self->pid_fd);
    self->out_fd = self->pid_fd = -1;
}

//  Collect output and reap the child if it exited; kill it (it is ours)
//  when it ran past its deadline. Cheap: call it every loop turn.
static void
s_child_update (child_t *self, int64_t now)
{
    if (!s_child_running (self))
        return;
    s_child_read (self);
    pid_t reaped = waitpid (self->pid, &self->status, WNOHANG);
    if (reaped == 0 && now >= self->deadline) {
        kill (self->pid, SIGKILL);
        //  SIGKILL cannot be caught: the wait is short
        reaped = waitpid (self->pid, &self->status, 0);
        char note [64];
        int length = snprintf (note, sizeof note, "(killed: still running after %d s)\n",
                               CHILD_TIMEOUT / 1000);
        s_child_append (self, note, (size_t) length);
    }
    if (reaped == self->pid || reaped == -1) {
        if (reaped == -1)
            self->status = -1;
        s_child_read (self);    //  whatever it wrote before it went
        self->exited = true;
        s_child_close (self);
    }
}

//  Its descriptors to poll, into items (room for 2); how many.
static size_t
s_child_items (child_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    if (!s_child_running (self))
        return 0;
    if (self->out_fd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, self->out_fd, ZMQ_POLLIN, 0 };
    if (self->pid_fd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, self->pid_fd, ZMQ_POLLIN, 0 };
    return count;
}

//  When the loop must look at the child next: its deadline, or soon if
//  its exit cannot be awaited as an event (no pidfd) and its output is
//  closed already.
static int64_t
s_child_wake (child_t *self, int64_t now)
{
    if (!s_child_running (self))
        return INT64_MAX;
    if (self->pid_fd < 0 && self->out_fd < 0)
        return now + 10000;
    return self->deadline;
}

static bool
s_child_succeeded (child_t *self)
{
    return self->exited && self->status != -1
        && WIFEXITED (self->status) && WEXITSTATUS (self->status) == 0;
}

//  Why it failed, for a message.
static void
s_child_failure (child_t *self, char *text, size_t size)
{
    if (self->status == -1 || !self->exited)
        snprintf (text, size, "could not run it");
    else
    if (WIFSIGNALED (self->status))
        snprintf (text, size, "killed by signal %d", WTERMSIG (self->status));
    else
        snprintf (text, size, "exit status %d", WEXITSTATUS (self->status));
}

static void
s_child_report (child_t *self)
{
    char why [64];
    s_child_failure (self, why, sizeof why);
    fprintf (stderr, "gavel-bench: '%s' failed (%s)%s\n%s", self->command, why,
             self->size? ":": "", self->output);
    if (self->size && self->output [self->size - 1] != '\n')
        fprintf (stderr, "\n");
}

//  Run to the end, waiting on nothing else (when no bidder runs). Goes on
//  after Ctrl-C: the last command run is 'down', which must finish.
static int
s_child_run (child_t *self, const char *program, char *const argv [])
{
    if (s_child_start (self, program, argv))
        return -1;
    while (s_child_running (self)) {
        zmq_pollitem_t items [2];
        size_t count = s_child_items (self, items);
        int64_t now = zclock_usecs ();
        int64_t wake = s_child_wake (self, now);
        if (wake > now + WAKE_MAX * 1000)
            wake = now + WAKE_MAX * 1000;
        zmq_poll (items, (int) count, (long) ((wake - now + 999) / 1000));
        s_child_update (self, zclock_usecs ());
    }
    return s_child_succeeded (self)? 0: -1;
}

//  gavel-local sits next to us in the build and install.
static int
s_local_program (char *path)
{
    char self [PATH_MAX];
    ssize_t size = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (size <= 0) {
        fprintf (stderr, "gavel-bench: cannot find my own executable: %s\n", strerror (errno));
        return -1;
    }
    self [size] = '\0';
    char *slash = strrchr (self, '/');
    assert (slash);
    *slash = '\0';
    if (snprintf (path, PATH_MAX, "%s/gavel-local", self) >= PATH_MAX) {
        fprintf (stderr, "gavel-bench: %s: the path is too long\n", self);
        return -1;
    }
    if (access (path, X_OK)) {
        fprintf (stderr, "gavel-bench: cannot run %s: %s (gavel-bench runs the "
                 "gavel-local next to it)\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

//  -------------------------------------------------------------------------
//  Bidders and their poll loop

typedef struct _engine_t engine_t;
typedef struct _client_t client_t;

//  A final answer (success, fail, or an exception other than no-quorum) to
//  the client's request, from replica index `replica`, `latency` us after
//  the request was first sent. The handler may send the client's next
//  request; request and reply are destroyed after it returns.
typedef void (answer_fn) (client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
                          size_t replica, int64_t latency);
//  A reply to a request id that is no longer outstanding: a duplicate
//  answer to an earlier attempt. May be NULL.
typedef void (late_fn) (client_t *client, gavel_msg_t *reply, size_t replica);

struct _client_t {
    engine_t *engine;
    size_t index;
    char session [SESSION_BYTES * 2 + 1];
    char name [GAVEL_NAME_MAX + 1];
    zcert_t *cert;              //  its own CURVE key pair; NULL without CURVE
    uint64_t last_id;
    //  One DEALER per replica, made on first use and kept: a late answer
    //  to the outstanding request from a replica we gave up on is as good
    //  as any (the replica applies a request id at most once), and takes
    //  a hop off a failover
    zsock_t *socks [GAVEL_REPLICAS_MAX];
    size_t current;             //  the replica a new request starts at: the
                                //  last one that answered
    //  A replica that let a hop time out is presumed down for as long as
    //  its peers take to notice (the election time-out): meanwhile their
    //  redirects to it are stale, and following them would only time out
    //  again
    int64_t silent_until [GAVEL_REPLICAS_MAX];
    gavel_msg_t *request;       //  outstanding, or NULL
    int64_t sent_at;            //  us, first send of the request
    int64_t deadline;           //  us, end of this hop
    size_t origin;              //  where this attempt started; the next
                                //  attempt starts after it, whatever
                                //  replicas redirects named meanwhile
    size_t target;              //  the replica of this hop
    bool unsent;                //  waiting for target's socket to take it
    bool parked;                //  nowhere to send it: waits for the deadline
                                //  (a short pause) before the next replica
    unsigned hops;              //  redirects followed in this attempt
    //  The mode's own
    uint64_t auction;
    int64_t round;              //  bids made, load mode
};

struct _engine_t {
    gavel_config_t *config;     //  borrowed
    size_t replicas;
    int64_t timeout;            //  us per hop
    int64_t silence;            //  us a silent replica is passed over
    client_t *clients;
    size_t count;
    answer_fn *on_answer;
    late_fn *on_late;
    void *arg;                  //  the mode's state
    bool verbose;
    int64_t started;            //  us, for traces
    //  Since the start
    uint64_t timeouts;          //  hops that got no answer in time
    uint64_t redirects;
    uint64_t no_quorum;
    //  Load mode waits with epoll on the sockets' ZMQ_FDs and looks only at
    //  those that signalled: polling all K x R sockets each turn costs two
    //  syscalls a socket, most of them idle (a fifth of all the CPU a bid
    //  took, in the profile)
    int epoll;
    //  Sockets sent on since their last check: a send can take their
    //  ZMQ_FD signal with it, so they are checked without waiting for one
    uint64_t *dirty;
    size_t dirty_count;
    //  One turn's poll set: client sockets, then the caller's extras
    zmq_pollitem_t *items;
    client_t **item_client;
    size_t *item_replica;
    size_t capacity;
};

static void
s_trace (engine_t *self, client_t *client, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_trace (engine_t *self, client_t *client, const char *format, ...)
{
    if (!self->verbose)
        return;
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%9.3f %s: ", (double) (zclock_usecs () - self->started) / 1e6, client->name);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

static uint64_t
s_replica_id (engine_t *self, size_t replica)
{
    return gavel_config_replica (self->config, replica)->id;
}

static void
s_random_hex (char *text, size_t bytes)
{
    unsigned char random [32];
    assert (bytes <= sizeof random);
    randombytes_buf (random, bytes);
    for (size_t index = 0; index < bytes; index++)
        snprintf (text + 2 * index, 3, "%02x", random [index]);
}

static engine_t *
s_engine_new (gavel_config_t *config, size_t count, int64_t timeout, const char *prefix,
              answer_fn *on_answer, late_fn *on_late, void *arg, bool verbose)
{
    engine_t *self = (engine_t *) zmalloc (sizeof (engine_t));
    assert (self);
    self->config = config;
    self->replicas = gavel_config_replicas (config);
    self->timeout = timeout * 1000;
    const gavel_settings_t *settings = gavel_config_settings (config);
    self->silence = (settings->election + settings->election_spread) * 1000;
    self->count = count;
    self->on_answer = on_answer;
    self->on_late = on_late;
    self->arg = arg;
    self->verbose = verbose;
    self->started = zclock_usecs ();
    self->clients = (client_t *) zmalloc (count * sizeof (client_t));
    assert (self->clients);
    self->epoll = epoll_create1 (EPOLL_CLOEXEC);
    assert (self->epoll >= 0);
    self->dirty = (uint64_t *) zmalloc (count * GAVEL_REPLICAS_MAX * sizeof (uint64_t));
    assert (self->dirty);
    //  Names are registered for good: a tag per run keeps runs apart
    char tag [5];
    s_random_hex (tag, 2);
    for (size_t index = 0; index < count; index++) {
        client_t *client = &self->clients [index];
        client->engine = self;
        client->index = index;
        s_random_hex (client->session, SESSION_BYTES);
        client->cert = gavel_sock_curve_on ()? zcert_new (): NULL;
        if (count == 1)
            snprintf (client->name, sizeof client->name, "%s-%s", prefix, tag);
        else
            snprintf (client->name, sizeof client->name, "%s-%s-%zu", prefix, tag, index);
    }
    return self;
}

static void
s_engine_destroy (engine_t **self_p)
{
    engine_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        client_t *client = &self->clients [index];
        for (size_t replica = 0; replica < GAVEL_REPLICAS_MAX; replica++)
            zsock_destroy (&client->socks [replica]);
        gavel_msg_destroy (&client->request);
        zcert_destroy (&client->cert);
    }
    free (self->clients);
    close (self->epoll);
    free (self->dirty);
    free (self->items);
    free (self->item_client);
    free (self->item_replica);
    free (self);
    *self_p = NULL;
}

//  A socket's key in the epoll set and the dirty list
static uint64_t
s_sock_key (client_t *client, size_t replica)
{
    return (uint64_t) client->index * GAVEL_REPLICAS_MAX + replica;
}

static void
s_client_transmit (client_t *self)
{
    zmsg_t *msg = gavel_msg_encode (self->request);
    self->unsent = zmsg_send (&msg, self->socks [self->target]) != 0;
    zmsg_destroy (&msg);        //  left to us when the send failed
    engine_t *engine = self->engine;
    engine->dirty [engine->dirty_count++ % (engine->count * GAVEL_REPLICAS_MAX)]
        = s_sock_key (self, self->target);
}

//  Send the outstanding request to replica, with a fresh deadline. A socket
//  that cannot take it yet (not connected: the replica may be down) is
//  polled for POLLOUT until the deadline.
static void
s_client_hop (client_t *self, size_t replica)
{
    engine_t *engine = self->engine;
    self->target = replica;
    self->deadline = zclock_usecs () + engine->timeout;
    self->parked = false;
    self->unsent = false;
    if (!self->socks [replica]) {
        char error [256];
        const char *endpoint = gavel_config_replica (engine->config, replica)->client;
        self->socks [replica] = gavel_sock_new_keyed (ZMQ_DEALER, endpoint, false, NULL,
                                                      self->cert, error, sizeof error);
        if (!self->socks [replica]) {
            s_trace (engine, self, "%s", error);
            self->parked = true;
            return;
        }
        zsock_set_rcvtimeo (self->socks [replica], 0);
        struct epoll_event event = { .events = EPOLLIN, .data.u64 = s_sock_key (self, replica) };
        int rc = epoll_ctl (engine->epoll, EPOLL_CTL_ADD, zsock_fd (self->socks [replica]), &event);
        assert (rc == 0);
    }
    s_client_transmit (self);
}

static void
s_client_attempt (client_t *self, size_t replica)
{
    self->origin = replica;
    self->hops = 0;
    s_client_hop (self, replica);
}

//  The replica after `after` in turn that is not presumed down; if all
//  are, simply the next one.
static size_t
s_client_next (client_t *self, size_t after, int64_t now)
{
    size_t replicas = self->engine->replicas;
    for (size_t step = 1; step <= replicas; step++) {
        size_t replica = (after + step) % replicas;
        if (self->silent_until [replica] <= now)
            return replica;
    }
    return (after + 1) % replicas;
}

//  Send a request (takes ownership): stamped with the next request id, the
//  session and the name, to the replica that answered last.
static void
s_client_send (client_t *self, gavel_msg_t **request_p)
{
    assert (!self->request);
    self->request = *request_p;
    *request_p = NULL;
    gavel_msg_set_request_id (self->request, ++self->last_id);
    gavel_msg_set_session (self->request, self->session);
    gavel_msg_set_name (self->request, self->name);
    self->sent_at = zclock_usecs ();
    s_client_attempt (self, self->current);
}

//  Where a redirect points: the replica whose client endpoint it names (or,
//  failing that, whose id), or -1 when it names none we know.
static int
s_redirect_target (engine_t *self, gavel_msg_t *reply)
{
    if (gavel_msg_records (reply) == 0)
        return -1;
    const char *record = gavel_msg_record (reply, 0);
    char endpoint [256];
    if (gavel_record_get (record, "client", endpoint, sizeof endpoint) == 0)
        for (size_t replica = 0; replica < self->replicas; replica++)
            if (streq (gavel_config_replica (self->config, replica)->client, endpoint))
                return (int) replica;
    int64_t primary = s_record_number (record, "primary");
    for (size_t replica = 0; replica < self->replicas; replica++)
        if ((int64_t) s_replica_id (self, replica) == primary)
            return (int) replica;
    return -1;
}

static void
s_client_redirected (client_t *self, size_t replica, gavel_msg_t *reply)
{
    engine_t *engine = self->engine;
    engine->redirects++;
    int target = s_redirect_target (engine, reply);
    bool silent = target >= 0 && self->silent_until [target] > zclock_usecs ();
    if (target >= 0 && !silent && self->hops < REDIRECTS_MAX) {
        s_trace (engine, self, "#%" PRIu64 ": replica %" PRIu64 " redirects to %" PRIu64,
                 self->last_id, s_replica_id (engine, replica), s_replica_id (engine, (size_t) target));
        self->hops++;
        s_client_hop (self, (size_t) target);
    }
    else {
        //  Mid-election: going round at once would only spin, but waiting
        //  a whole time-out would see the new primary up to a time-out
        //  late, and a failover timer would measure itself
        s_trace (engine, self, "#%" PRIu64 ": replica %" PRIu64 " redirects %s; waiting",
                 self->last_id, s_replica_id (engine, replica),
                 target < 0? "nowhere we know": silent? "to a silent replica": "again");
        int64_t pause = zclock_usecs () + (int64_t) REDIRECT_PAUSE * 1000;
        if (pause < self->deadline)
            self->deadline = pause;
        self->parked = true;
        self->unsent = false;
    }
}

static void
s_client_answered (client_t *self, size_t replica, gavel_msg_t *reply)
{
    engine_t *engine = self->engine;
    int64_t latency = zclock_usecs () - self->sent_at;
    self->current = replica;
    gavel_msg_t *request = self->request;
    self->request = NULL;
    engine->on_answer (self, request, reply, replica, latency);
    gavel_msg_destroy (&request);
}

//  One reply from replica: the answer, a redirect, a retry, or a late one.
static void
s_client_dispatch (client_t *self, size_t replica, gavel_msg_t *reply)
{
    engine_t *engine = self->engine;
    self->silent_until [replica] = 0;
    if (gavel_msg_id (reply) != GAVEL_MSG_REPLY || !self->request
    ||  gavel_msg_request_id (reply) != gavel_msg_request_id (self->request)) {
        if (engine->on_late)
            engine->on_late (self, reply, replica);
    }
    else
    if (gavel_msg_outcome (reply) == GAVEL_REDIRECT)
        s_client_redirected (self, replica, reply);
    else
    if (gavel_msg_outcome (reply) == GAVEL_EXCEPTION && streq (gavel_msg_reason (reply), "no-quorum")) {
        //  Not an answer: the request may still take effect, and a retry
        //  with the same id learns how it ended
        engine->no_quorum++;
        s_trace (engine, self, "#%" PRIu64 ": no-quorum from replica %" PRIu64,
                 self->last_id, s_replica_id (engine, replica));
        s_client_attempt (self, s_client_next (self, replica, zclock_usecs ()));
    }
    else
        s_client_answered (self, replica, reply);
}

static void
s_client_receive (client_t *self, size_t replica)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv (self->socks [replica]))) {
        gavel_msg_error_t error;
        gavel_msg_t *reply = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        if (reply)
            s_client_dispatch (self, replica, reply);
        else
            s_trace (self->engine, self, "dropped an undecodable reply: %s", error.message);
        gavel_msg_destroy (&reply);
    }
}

static void
s_client_expire (client_t *self, int64_t now)
{
    if (!self->request || now < self->deadline)
        return;
    engine_t *engine = self->engine;
    if (!self->parked) {
        engine->timeouts++;
        self->silent_until [self->target] = now + engine->silence;
        s_trace (engine, self, "#%" PRIu64 ": no answer from replica %" PRIu64 " within %" PRId64 " ms",
                 self->last_id, s_replica_id (engine, self->target), engine->timeout / 1000);
    }
    s_client_attempt (self, s_client_next (self, self->origin, now));
}

static void
s_engine_reserve (engine_t *self, size_t count)
{
    if (count <= self->capacity)
        return;
    self->capacity = count * 2;
    self->items = (zmq_pollitem_t *) realloc (self->items, self->capacity * sizeof (zmq_pollitem_t));
    self->item_client = (client_t **) realloc (self->item_client, self->capacity * sizeof (client_t *));
    self->item_replica = (size_t *) realloc (self->item_replica, self->capacity * sizeof (size_t));
    assert (self->items && self->item_client && self->item_replica);
}

//  The client sockets to poll this turn; returns how many, and lowers
//  wake_at to the first deadline.
static size_t
s_engine_items (engine_t *self, int64_t *wake_at)
{
    size_t count = 0;
    for (size_t index = 0; index < self->count; index++) {
        client_t *client = &self->clients [index];
        for (size_t replica = 0; replica < self->replicas; replica++) {
            if (!client->socks [replica])
                continue;
            short events = ZMQ_POLLIN;
            if (client->request && client->unsent && client->target == replica)
                events |= ZMQ_POLLOUT;
            self->items [count] = (zmq_pollitem_t) { zsock_resolve (client->socks [replica]), 0, events, 0 };
            self->item_client [count] = client;
            self->item_replica [count] = replica;
            count++;
        }
        if (client->request && client->deadline < *wake_at)
            *wake_at = client->deadline;
    }
    return count;
}

//  Everything one socket has for us now: its answers, and the send it was
//  waiting for. ZMQ_EVENTS is what re-arms its ZMQ_FD.
static void
s_engine_service (engine_t *self, uint64_t key)
{
    client_t *client = &self->clients [key / GAVEL_REPLICAS_MAX];
    size_t replica = key % GAVEL_REPLICAS_MAX;
    for (int round = 0; round < 16 && client->socks [replica]; round++) {
        int events = zsock_events (client->socks [replica]);
        bool send = (events & ZMQ_POLLOUT) && client->request && client->unsent
                 && client->target == replica;
        if (!send && !(events & ZMQ_POLLIN))
            break;
        if (send)
            s_client_transmit (client);
        if (events & ZMQ_POLLIN)
            s_client_receive (client, replica);
    }
}

//  The load mode's turn: epoll on the sockets that may have something,
//  then those sent on since their last look, then deadlines
static void
s_engine_turn_epoll (engine_t *self, int64_t wake_at)
{
    int64_t now = zclock_usecs ();
    for (size_t index = 0; index < self->count; index++) {
        client_t *client = &self->clients [index];
        if (client->request && client->deadline < wake_at)
            wake_at = client->deadline;
    }
    int wait = self->dirty_count? 0: wake_at <= now? 0: (int) ((wake_at - now + 999) / 1000);
    if (wait > WAKE_MAX)
        wait = WAKE_MAX;
    struct epoll_event events [256];
    int ready = epoll_wait (self->epoll, events, 256, wait);
    for (int index = 0; index < ready; index++)
        s_engine_service (self, events [index].data.u64);
    //  Servicing sends more; each pass looks at what the last one sent on
    size_t capacity = self->count * GAVEL_REPLICAS_MAX;
    for (int pass = 0; pass < 4 && self->dirty_count; pass++) {
        size_t count = self->dirty_count < capacity? self->dirty_count: capacity;
        uint64_t *keys = (uint64_t *) malloc (count * sizeof (uint64_t));
        assert (keys);
        memcpy (keys, self->dirty, count * sizeof (uint64_t));
        self->dirty_count = 0;
        for (size_t index = 0; index < count; index++)
            s_engine_service (self, keys [index]);
        free (keys);
    }
    now = zclock_usecs ();
    for (size_t index = 0; index < self->count; index++)
        s_client_expire (&self->clients [index], now);
}

//  One turn: wait until a socket (a bidder's or one of extras) is ready, a
//  bidder's deadline passes, or wake_at (us); handle the bidders. The
//  caller handles its extras from their revents.
static void
s_engine_turn (engine_t *self, zmq_pollitem_t *extras, size_t extra_count, int64_t wake_at)
{
    if (extra_count == 0) {
        s_engine_turn_epoll (self, wake_at);
        return;
    }
    self->dirty_count = 0;      //  zmq_poll looks at every socket anyway
    s_engine_reserve (self, self->count * self->replicas + extra_count);
    size_t client_items = s_engine_items (self, &wake_at);
    if (extra_count)
        memcpy (self->items + client_items, extras, extra_count * sizeof (zmq_pollitem_t));
    int64_t now = zclock_usecs ();
    int64_t wait = wake_at <= now? 0: (wake_at - now + 999) / 1000;
    if (wait > WAKE_MAX)
        wait = WAKE_MAX;
    int rc = zmq_poll (self->items, (int) (client_items + extra_count), (long) wait);
    for (size_t index = 0; index < extra_count; index++)
        extras [index].revents = rc > 0? self->items [client_items + index].revents: 0;
    for (size_t index = 0; rc > 0 && index < client_items; index++) {
        short revents = self->items [index].revents;
        client_t *client = self->item_client [index];
        size_t replica = self->item_replica [index];
        if ((revents & ZMQ_POLLOUT) && client->request && client->unsent && client->target == replica)
            s_client_transmit (client);
        if (revents & ZMQ_POLLIN)
            s_client_receive (client, replica);
    }
    now = zclock_usecs ();
    for (size_t index = 0; index < self->count; index++)
        s_client_expire (&self->clients [index], now);
}

static int64_t
s_reply_number (gavel_msg_t *reply, const char *key)
{
    return gavel_msg_records (reply) > 0? s_record_number (gavel_msg_record (reply, 0), key): -1;
}

//  "fail too-low: auction=1 highest=5 bidder=x", for messages.
static void
s_reply_text (gavel_msg_t *reply, char *text, size_t size)
{
    snprintf (text, size, "%s%s%s%s%s", gavel_msg_outcome_word (reply),
              *gavel_msg_reason (reply)? " ": "", gavel_msg_reason (reply),
              gavel_msg_records (reply)? ": ": "",
              gavel_msg_records (reply)? gavel_msg_record (reply, 0): gavel_msg_message (reply));
}

static gavel_msg_t *
s_open_request (const char *item, int64_t duration)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_item (request, item);
    gavel_msg_set_duration (request, duration < GAVEL_DURATION_MAX? duration: GAVEL_DURATION_MAX);
    gavel_msg_set_reserve (request, 0);
    return request;
}

static void
s_send_bid (client_t *client, int64_t amount)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_auction (request, client->auction);
    gavel_msg_set_amount (request, amount);
    s_client_send (client, &request);
}

//  K bidders have K DEALERs per replica at most, each a descriptor for
//  its connection and one for its mailbox. Raise the soft limit if that is
//  needed and allowed; false (with a message) when it is not enough.
static bool
s_enough_descriptors (size_t sockets)
{
    rlim_t needed = (rlim_t) sockets * 2 + 64;
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < needed) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed
                       ? needed: limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < needed) {
            fprintf (stderr, "gavel-bench: %zu sockets need about %lu file descriptors; "
                     "the limit is %lu (ulimit -n)\n", sockets, (unsigned long) needed,
                     (unsigned long) limit.rlim_cur);
            return false;
        }
    }
    //  ZeroMQ's own socket limit, 1024 by default
    if (sockets + 64 > 1024)
        zsys_set_max_sockets (sockets + 64);
    return true;
}

static gavel_config_t *
s_config_load (const char *path)
{
    char error [512];
    gavel_config_t *config = gavel_config_load (path, error, sizeof error);
    if (!config)
        fprintf (stderr, "gavel-bench: %s\n", error);
    else
    if (gavel_sock_curve_setup ("gavel-bench", config, s_insecure, NULL, false))
        gavel_config_destroy (&config);
    return config;
}

//  -------------------------------------------------------------------------
//  Load mode

typedef struct {
    const options_t *options;
    engine_t *engine;
    size_t opened;              //  bidders whose auction is open
    char error [1024];          //  the auctions could not be opened
    int64_t started;            //  us
    int64_t measure_from;       //  us; 0 until every auction is open
    int64_t measure_until;
    //  Answers to bids within the measured window
    uint64_t success;
    uint64_t fail;
    uint64_t too_low;
    uint64_t exceptions;
    histogram_t latency;
    //  Engine counters when the window opened
    bool measuring;
    uint64_t timeouts, redirects, no_quorum;
    //  The last second, for the progress line
    uint64_t second_success;
    uint64_t second_fail;
    histogram_t second_latency;
    bool progress_shown;
} load_t;

//  Bidder i of K on a shared auction bids 1 + nK + i: amounts interleave,
//  so bids race and some fail too-low; on its own auction it bids 1 + n.
static int64_t
s_load_amount (load_t *self, client_t *client)
{
    if (!self->options->shared)
        return 1 + client->round;
    return 1 + client->round * (int64_t) self->options->clients + (int64_t) client->index;
}

//  After an answer: the next round, and after too-low the first round
//  whose amount beats the highest bid, so that a bidder that fell behind
//  does not fail for ever.
static void
s_load_next_round (load_t *self, client_t *client, gavel_msg_t *reply)
{
    client->round++;
    int64_t highest = s_reply_number (reply, "highest");
    if (gavel_msg_outcome (reply) != GAVEL_FAIL || !streq (gavel_msg_reason (reply), "too-low")
    ||  highest < 0)
        return;
    int64_t stride = self->options->shared? (int64_t) self->options->clients: 1;
    int64_t offset = self->options->shared? (int64_t) client->index: 0;
    int64_t above = highest - 1 - offset < 0? 0: (highest - 1 - offset) / stride + 1;
    if (above > client->round)
        client->round = above;
}

static void
s_load_count (load_t *self, gavel_msg_t *reply, int64_t latency, int64_t now)
{
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (outcome == GAVEL_SUCCESS || outcome == GAVEL_FAIL) {
        s_hist_record (&self->second_latency, latency);
        if (outcome == GAVEL_SUCCESS)
            self->second_success++;
        else
            self->second_fail++;
    }
    if (!self->measure_from || now < self->measure_from || now >= self->measure_until)
        return;
    if (outcome == GAVEL_SUCCESS)
        self->success++;
    else
    if (outcome == GAVEL_FAIL) {
        self->fail++;
        if (streq (gavel_msg_reason (reply), "too-low"))
            self->too_low++;
    }
    else
        self->exceptions++;
    if (outcome != GAVEL_EXCEPTION)
        s_hist_record (&self->latency, latency);
}

static void
s_load_bid (load_t *self, client_t *client)
{
    s_send_bid (client, s_load_amount (self, client));
}

static void
s_load_opened (load_t *self, client_t *client, gavel_msg_t *reply)
{
    int64_t auction = s_reply_number (reply, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || auction < 1) {
        char text [512];
        s_reply_text (reply, text, sizeof text);
        snprintf (self->error, sizeof self->error, "could not open an auction: %s", text);
        return;
    }
    engine_t *engine = self->engine;
    if (self->options->shared)
        for (size_t index = 0; index < engine->count; index++) {
            engine->clients [index].auction = (uint64_t) auction;
            engine->clients [index].current = client->current;
            s_load_bid (self, &engine->clients [index]);
        }
    else {
        client->auction = (uint64_t) auction;
        s_load_bid (self, client);
    }
    self->opened += self->options->shared? engine->count: 1;
    if (self->opened == engine->count) {
        int64_t now = zclock_usecs ();
        self->measure_from = now + (int64_t) self->options->warmup * 1000000;
        self->measure_until = self->measure_from + (int64_t) self->options->seconds * 1000000;
    }
}

static void
s_load_answer (client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
               size_t replica, int64_t latency)
{
    load_t *self = (load_t *) client->engine->arg;
    if (gavel_msg_id (request) == GAVEL_MSG_OPEN) {
        s_load_opened (self, client, reply);
        return;
    }
    s_load_count (self, reply, latency, zclock_usecs ());
    s_load_next_round (self, client, reply);
    s_load_bid (self, client);
}

static void
s_load_start (load_t *self)
{
    engine_t *engine = self->engine;
    //  Bids for as long as the run, and a minute more
    int64_t duration = ((int64_t) (self->options->warmup + self->options->seconds) + 60) * 1000;
    if (self->options->shared) {
        gavel_msg_t *request = s_open_request ("gavel-bench", duration);
        s_client_send (&engine->clients [0], &request);
    }
    else
        for (size_t index = 0; index < engine->count; index++) {
            gavel_msg_t *request = s_open_request ("gavel-bench", duration);
            s_client_send (&engine->clients [index], &request);
        }
}

static void
s_load_progress (load_t *self, int64_t now)
{
    const char *phase = !self->measure_from? "opening"
                      : now < self->measure_from? "warm-up": "measuring";
    fprintf (stderr, "\r%5.0f s  %-9s  committed %8" PRIu64 "/s  decided %8" PRIu64 "/s"
             "  p50 %7.3f ms  p99 %7.3f ms  time-outs %" PRIu64 "\033[K",
             (double) (now - self->started) / 1e6, phase, self->second_success,
             self->second_success + self->second_fail,
             (double) s_hist_percentile (&self->second_latency, 50) / 1000,
             (double) s_hist_percentile (&self->second_latency, 99) / 1000,
             self->engine->timeouts);
    fflush (stderr);
    self->progress_shown = true;
    self->second_success = self->second_fail = 0;
    s_hist_reset (&self->second_latency);
}

//  Bid until the window closes, the auctions cannot be opened, or Ctrl-C.
static void
s_load_run (load_t *self)
{
    bool terminal = isatty (STDERR_FILENO);
    int64_t next_progress = self->started + 1000000;
    int64_t setup_until = self->started + (int64_t) SETUP_TIMEOUT * 1000;
    while (!zsys_interrupted && !*self->error) {
        int64_t now = zclock_usecs ();
        if (self->measure_from && now >= self->measure_until)
            break;
        if (self->measure_from && now >= self->measure_from && !self->measuring) {
            //  Retries count from here, as answers do
            self->measuring = true;
            self->timeouts = self->engine->timeouts;
            self->redirects = self->engine->redirects;
            self->no_quorum = self->engine->no_quorum;
        }
        if (!self->measure_from && now >= setup_until) {
            snprintf (self->error, sizeof self->error, "could not open the auctions "
                      "within %d s: no replica answered (%" PRIu64 " time-outs)",
                      SETUP_TIMEOUT / 1000, self->engine->timeouts);
            break;
        }
        if (terminal && now >= next_progress) {
            s_load_progress (self, now);
            next_progress += 1000000;
        }
        int64_t wake = !self->measure_from? setup_until
                     : self->measuring? self->measure_until: self->measure_from;
        if (terminal && next_progress < wake)
            wake = next_progress;
        s_engine_turn (self->engine, NULL, 0, wake);
    }
    if (self->progress_shown)
        fprintf (stderr, "\r\033[K");
}

//  The primary's term, or -1; and its id, or 0.
static int64_t
s_primary_term (const replica_state_t *states, size_t count, uint64_t *primary)
{
    int best = s_primary_of (states, count);
    *primary = best < 0? 0: states [best].id;
    return best < 0? -1: states [best].term;
}

static void
s_print_number_or_null (const char *key, int64_t value, const char *after)
{
    if (value < 0)
        printf ("\"%s\":null%s", key, after);
    else
        printf ("\"%s\":%" PRId64 "%s", key, value, after);
}

typedef struct {
    double seconds;             //  measured
    uint64_t timeouts, redirects, no_quorum;
    int64_t term_start, term_end;
    uint64_t primary_start, primary_end;
    size_t replicas;
} load_figures_t;

static void
s_load_json (load_t *self, load_figures_t *figures)
{
    const options_t *options = self->options;
    histogram_t *latency = &self->latency;
    uint64_t decided = self->success + self->fail;
    printf ("{\"mode\":\"load\",\"replicas\":%zu,\"clients\":%" PRIu64 ",\"auctions\":\"%s\","
            "\"warmup_s\":%" PRIu64 ",\"seconds\":%.3f,\"timeout_ms\":%" PRId64 ","
            "\"committed\":%" PRIu64 ",\"decided\":%" PRIu64 ",\"fail\":%" PRIu64 ","
            "\"too_low\":%" PRIu64 ",\"exceptions\":%" PRIu64 ","
            "\"committed_per_s\":%.1f,\"decided_per_s\":%.1f,"
            "\"p50_us\":%" PRId64 ",\"p90_us\":%" PRId64 ",\"p99_us\":%" PRId64 ","
            "\"p999_us\":%" PRId64 ",\"max_us\":%" PRId64 ",\"mean_us\":%.0f,"
            "\"timeouts\":%" PRIu64 ",\"redirects\":%" PRIu64 ",\"no_quorum\":%" PRIu64 ",",
            figures->replicas, options->clients, options->shared? "one": "per-client",
            options->warmup, figures->seconds, options->timeout,
            self->success, decided, self->fail, self->too_low, self->exceptions,
            figures->seconds > 0? (double) self->success / figures->seconds: 0,
            figures->seconds > 0? (double) decided / figures->seconds: 0,
            s_hist_percentile (latency, 50), s_hist_percentile (latency, 90),
            s_hist_percentile (latency, 99), s_hist_percentile (latency, 99.9),
            latency->max, s_hist_mean (latency),
            figures->timeouts, figures->redirects, figures->no_quorum);
    s_print_number_or_null ("term_start", figures->term_start, ",");
    s_print_number_or_null ("term_end", figures->term_end, ",");
    s_print_number_or_null ("elections", figures->term_start >= 0 && figures->term_end >= 0
                            ? figures->term_end - figures->term_start: -1, ",");
    s_print_number_or_null ("primary_start", figures->primary_start? (int64_t) figures->primary_start: -1, ",");
    s_print_number_or_null ("primary_end", figures->primary_end? (int64_t) figures->primary_end: -1, ",");
    printf ("\"interrupted\":%s}\n", zsys_interrupted? "true": "false");
}

static void
s_print_term (int64_t term, uint64_t primary)
{
    if (term < 0)
        printf ("no primary answered");
    else
        printf ("primary %" PRIu64 " in term %" PRId64, primary, term);
}

static void
s_load_text (load_t *self, load_figures_t *figures)
{
    const options_t *options = self->options;
    histogram_t *latency = &self->latency;
    uint64_t decided = self->success + self->fail;
    double seconds = figures->seconds > 0? figures->seconds: 1;
    printf ("gavel-bench: %" PRIu64 " bidder%s on %s, %zu replica%s, %.1f s measured after "
            "%" PRIu64 " s warm-up%s\n", options->clients, options->clients == 1? "": "s",
            options->shared? "one shared auction": "an auction each",
            figures->replicas, figures->replicas == 1? "": "s", figures->seconds,
            options->warmup, zsys_interrupted? " (interrupted)": "");
    printf ("committed   %10.1f bids/s  (%" PRIu64 " success)\n",
            (double) self->success / seconds, self->success);
    printf ("decided     %10.1f bids/s  (%" PRIu64 " success or fail; fail: %" PRIu64
            " too-low, %" PRIu64 " other)\n", (double) decided / seconds, decided,
            self->too_low, self->fail - self->too_low);
    printf ("exceptions  %10" PRIu64 "\n", self->exceptions);
    printf ("latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms"
            "  (mean %.3f ms; first send to answer)\n",
            (double) s_hist_percentile (latency, 50) / 1000,
            (double) s_hist_percentile (latency, 90) / 1000,
            (double) s_hist_percentile (latency, 99) / 1000,
            (double) s_hist_percentile (latency, 99.9) / 1000,
            (double) latency->max / 1000, s_hist_mean (latency) / 1000);
    printf ("retries     %" PRIu64 " time-outs (%" PRId64 " ms), %" PRIu64 " redirects, %"
            PRIu64 " no-quorum\n", figures->timeouts, options->timeout, figures->redirects,
            figures->no_quorum);
    printf ("elections   ");
    if (figures->term_start >= 0 && figures->term_end >= 0)
        printf ("%" PRId64 " (", figures->term_end - figures->term_start);
    else
        printf ("unknown (");
    s_print_term (figures->term_start, figures->primary_start);
    printf (" at the start, ");
    s_print_term (figures->term_end, figures->primary_end);
    printf (" at the end)\n");
}

//  -------------------------------------------------------------------------
//  --plot FILE: a gnuplot script with the data inline (datablocks), fed to
//  gnuplot on its stdin; gnuplot writes FILE.tmp, renamed to FILE once it
//  has succeeded, so a failed plot leaves no half file. gnuplot is
//  optional: without it we say so and the measurement stands.

#define PLOT_TIMEOUT    30000   //  ms for gnuplot to draw

//  gnuplot on PATH, into path (PATH_MAX); false when there is none.
static bool
s_plot_find_gnuplot (char *path)
{
    const char *search = getenv ("PATH");
    if (!search || !*search)
        search = "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const char *end = strchr (search, ':');
        size_t length = end? (size_t) (end - search): strlen (search);
        //  An empty entry is the current directory
        if (snprintf (path, PATH_MAX, "%.*s/gnuplot", length? (int) length: 1,
                      length? search: ".") < PATH_MAX) {
            struct stat info;
            if (stat (path, &info) == 0 && S_ISREG (info.st_mode) && access (path, X_OK) == 0)
                return true;
        }
        if (!end)
            return false;
        search = end + 1;
    }
}

//  text as a gnuplot single-quoted string: '' stands for '.
static void
s_plot_quote (FILE *script, const char *text)
{
    fputc ('\'', script);
    for (; *text; text++)
        if (*text == '\'')
            fputs ("''", script);
        else
            fputc (*text, script);
    fputc ('\'', script);
}

//  The script's start: the terminal and the output, FILE.tmp.
static void
s_plot_header (FILE *script, const char *tmp)
{
    fprintf (script, "set terminal svg size 900,500 dynamic noenhanced font 'sans,12'\n"
                     "set output ");
    s_plot_quote (script, tmp);
    fprintf (script, "\nset grid\n");
}

//  In the child between fork and exec: only async-signal-safe calls.
static void __attribute__ ((noreturn))
s_plot_exec (const char *gnuplot, int in_fd)
{
    dup2 (in_fd, STDIN_FILENO);
    dup2 (STDERR_FILENO, STDOUT_FILENO);    //  keep our stdout ours (--json)
    if (close_range (3, ~0U, 0))
        for (int fd = 3; fd < 1024; fd++)
            close (fd);
    //  -d: no ~/.gnuplot, the same plot for everyone
    char *const argv [] = { (char *) "gnuplot", (char *) "-d", NULL };
    execvp (gnuplot, argv);
    const char *message = "gavel-bench: cannot exec gnuplot\n";
    ssize_t ignored = write (STDERR_FILENO, message, strlen (message));
    (void) ignored;
    _exit (127);
}

//  Write the script to gnuplot's stdin, giving up at deadline (us); false
//  when gnuplot stopped reading.
static bool
s_plot_feed (int fd, const char *text, size_t size, int64_t deadline)
{
    while (size) {
        int64_t now = zclock_usecs ();
        if (now >= deadline)
            return false;
        zmq_pollitem_t item = { NULL, fd, ZMQ_POLLOUT, 0 };
        if (zmq_poll (&item, 1, (long) ((deadline - now + 999) / 1000)) <= 0)
            continue;
        ssize_t written = write (fd, text, size);
        if (written < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (written > 0) {
            text += written;
            size -= (size_t) written;
        }
    }
    return true;
}

//  Wait for gnuplot until deadline (us), then kill it. Its status, or -1.
static int
s_plot_wait (pid_t pid, int64_t deadline)
{
    int status;
    while (true) {
        pid_t reaped = waitpid (pid, &status, WNOHANG);
        if (reaped == pid)
            return status;
        if (reaped == -1 && errno != EINTR)
            return -1;
        if (zclock_usecs () >= deadline) {
            fprintf (stderr, "gavel-bench: gnuplot still running after %d s: killed\n",
                     PLOT_TIMEOUT / 1000);
            kill (pid, SIGKILL);
            while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
                ;
            return -1;
        }
        zclock_sleep (10);
    }
}

//  Run gnuplot on script, which draws into tmp; rename tmp to file when it
//  succeeded, else remove it. The outcome is one line on stderr.
static void
s_plot_run (const char *gnuplot, const char *script, size_t size,
            const char *tmp, const char *file, bool quiet)
{
    int fds [2];
    if (pipe2 (fds, O_CLOEXEC)) {
        fprintf (stderr, "gavel-bench: --plot: pipe: %s; no plot written\n", strerror (errno));
        return;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid == 0)
        s_plot_exec (gnuplot, fds [0]);
    int fork_errno = errno;
    close (fds [0]);
    if (pid == -1) {
        close (fds [1]);
        fprintf (stderr, "gavel-bench: --plot: fork: %s; no plot written\n", strerror (fork_errno));
        return;
    }
    //  gnuplot may stop reading (an error): a write must fail, not kill us
    struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
    sigemptyset (&ignore.sa_mask);
    sigaction (SIGPIPE, &ignore, &previous);
    fcntl (fds [1], F_SETFL, O_NONBLOCK);
    int64_t deadline = zclock_usecs () + (int64_t) PLOT_TIMEOUT * 1000;
    s_plot_feed (fds [1], script, size, deadline);
    close (fds [1]);            //  end of script: gnuplot exits
    int status = s_plot_wait (pid, deadline);
    sigaction (SIGPIPE, &previous, NULL);

    struct stat info;
    if (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0
    &&  stat (tmp, &info) == 0 && info.st_size > 0) {
        if (rename (tmp, file) == 0) {
            if (!quiet)
                fprintf (stderr, "gavel-bench: plot written to %s\n", file);
            return;
        }
        fprintf (stderr, "gavel-bench: --plot: rename %s: %s; no plot written\n",
                 tmp, strerror (errno));
    }
    else
    if (status == -1)
        fprintf (stderr, "gavel-bench: gnuplot did not finish; no plot written\n");
    else
    if (WIFSIGNALED (status))
        fprintf (stderr, "gavel-bench: gnuplot killed by signal %d; no plot written\n",
                 WTERMSIG (status));
    else
    if (WEXITSTATUS (status))
        fprintf (stderr, "gavel-bench: gnuplot failed (exit status %d); no plot written\n",
                 WEXITSTATUS (status));
    else
        fprintf (stderr, "gavel-bench: gnuplot wrote nothing to %s; no plot written\n", tmp);
    unlink (tmp);
}

//  The script is written by draw into memory, then run. Nothing happens
//  without --plot; without gnuplot, one line says so.
typedef void (plot_fn) (FILE *script, void *arg);

static void
s_plot (const options_t *options, plot_fn *draw, void *arg)
{
    if (!options->plot)
        return;
    char gnuplot [PATH_MAX];
    if (!s_plot_find_gnuplot (gnuplot)) {
        fprintf (stderr, "gavel-bench: --plot needs gnuplot (Debian: apt-get install "
                 "gnuplot-nox); no plot written\n");
        return;
    }
    char tmp [PATH_MAX];
    snprintf (tmp, sizeof tmp, "%s.tmp", options->plot);    //  fits: s_plot_check
    char *script = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&script, &size);
    if (!stream) {
        fprintf (stderr, "gavel-bench: --plot: %s; no plot written\n", strerror (errno));
        return;
    }
    s_plot_header (stream, tmp);
    draw (stream, arg);
    fprintf (stream, "unset output\n");
    if (fclose (stream) == 0)
        s_plot_run (gnuplot, script, size, tmp, options->plot, options->json);
    else
        fprintf (stderr, "gavel-bench: --plot: %s; no plot written\n", strerror (errno));
    free (script);
}

//  The percentiles marked on the histogram
static const struct {
    const char *name;
    double percentile;
    const char *colour;
} s_plot_marks [] = {
    { "p50", 50, "#1a7f37" }, { "p99", 99, "#bf8700" }, { "p99.9", 99.9, "#cf222e" }
};
#define PLOT_MARKS (sizeof s_plot_marks / sizeof s_plot_marks [0])

typedef struct {
    load_t *load;
    load_figures_t *figures;
} load_plot_t;

//  The latency histogram of the measured window: one box per non-empty
//  bucket, from its lowest value to its highest + 1 us, on a log scale.
static void
s_load_plot_draw (FILE *script, void *arg)
{
    load_t *self = ((load_plot_t *) arg)->load;
    load_figures_t *figures = ((load_plot_t *) arg)->figures;
    const options_t *options = self->options;
    histogram_t *latency = &self->latency;
    double seconds = figures->seconds > 0? figures->seconds: 1;
    uint64_t decided = self->success + self->fail;
    fprintf (script, "$latency << EOD\n");
    for (size_t index = 0; index < HIST_BUCKETS; index++) {
        if (!latency->counts [index])
            continue;
        double low = index? (double) s_hist_bucket_top (index - 1) + 1: 0;
        double high = (double) s_hist_bucket_top (index) + 1;
        if (low <= 0)
            low = high / 2;     //  bucket 0 (0 us and below): keep it off 0
        fprintf (script, "%.6g %.6g %.6g %" PRIu64 "\n", (low + high) / 2000, low / 1000,
                 high / 1000, latency->counts [index]);
    }
    fprintf (script, "EOD\n");
    fprintf (script, "set title \"gavel-bench: %" PRIu64 " bidder%s, %s, %zu replicas: "
             "%.1f committed/s, %.1f decided/s\\n%" PRIu64 " bids answered in %.1f s "
             "measured, latency from first send to answer%s\"\n",
             options->clients, options->clients == 1? "": "s",
             options->shared? "one shared auction": "an auction each (per-client)",
             figures->replicas, (double) self->success / seconds, (double) decided / seconds,
             latency->total, figures->seconds, zsys_interrupted? " (interrupted)": "");
    fprintf (script, "set logscale x 10\nset format x '%%g'\n"
             "set xlabel 'latency (ms, log scale; bucket midpoints)'\n"
             "set ylabel 'bids per bucket'\nset yrange [0:*]\n");
    //  A dashed vertical line at each percentile, named in the key (a
    //  line with no points: NaN)
    double marks [PLOT_MARKS];
    for (size_t index = 0; index < PLOT_MARKS; index++) {
        marks [index] = (double) s_hist_percentile (latency, s_plot_marks [index].percentile) / 1000;
        if (marks [index] > 0)  //  else no place on a log scale
            fprintf (script, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead lw 1.5 "
                     "dt 2 lc rgb '%s' front\n", marks [index], marks [index],
                     s_plot_marks [index].colour);
    }
    fprintf (script, "set key above horizontal\n"
             "plot $latency using 1:4:2:3:(0):4 with boxxyerror "
             "fs solid 0.6 noborder lc rgb '#0969da' title 'bids'");
    for (size_t index = 0; index < PLOT_MARKS; index++)
        if (marks [index] > 0)
            fprintf (script, ", NaN with lines dt 2 lw 1.5 lc rgb '%s' title '%s %.3f ms'",
                     s_plot_marks [index].colour, s_plot_marks [index].name, marks [index]);
    fprintf (script, "\n");
}

static void
s_load_plot (load_t *self, load_figures_t *figures)
{
    if (!self->options->plot)
        return;
    if (!self->latency.total) {
        fprintf (stderr, "gavel-bench: --plot: no bid answered in the measured window; "
                 "no plot written\n");
        return;
    }
    load_plot_t arg = { self, figures };
    s_plot (self->options, s_load_plot_draw, &arg);
}

static int
s_load_report (load_t *self, replica_state_t *start, replica_state_t *end)
{
    int64_t now = zclock_usecs ();
    load_figures_t figures = { .replicas = self->engine->replicas };
    if (self->measuring) {
        int64_t until = now < self->measure_until? now: self->measure_until;
        figures.seconds = (double) (until - self->measure_from) / 1e6;
        figures.timeouts = self->engine->timeouts - self->timeouts;
        figures.redirects = self->engine->redirects - self->redirects;
        figures.no_quorum = self->engine->no_quorum - self->no_quorum;
    }
    figures.term_start = s_primary_term (start, figures.replicas, &figures.primary_start);
    figures.term_end = s_primary_term (end, figures.replicas, &figures.primary_end);
    if (self->options->json)
        s_load_json (self, &figures);
    else
        s_load_text (self, &figures);
    s_load_plot (self, &figures);
    if (zsys_interrupted)
        return EXIT_INTERRUPTED;
    if (self->success == 0) {
        fprintf (stderr, "gavel-bench: no bid succeeded\n");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int
s_load_mode (const options_t *options)
{
    gavel_config_t *config = s_config_load (options->cluster);
    if (!config)
        return EXIT_FAIL;
    size_t replicas = gavel_config_replicas (config);
    if (!s_enough_descriptors (options->clients * replicas + replicas)) {
        gavel_config_destroy (&config);
        return EXIT_FAIL;
    }
    replica_state_t start [GAVEL_REPLICAS_MAX], end [GAVEL_REPLICAS_MAX];
    s_status_all (config, start);

    load_t *self = (load_t *) zmalloc (sizeof (load_t));
    assert (self);
    self->options = options;
    self->engine = s_engine_new (config, options->clients, options->timeout, "bench",
                                 s_load_answer, NULL, self, options->verbose);
    //  Start at the primary rather than be redirected to it
    int primary = s_primary_of (start, replicas);
    for (size_t index = 0; primary >= 0 && index < options->clients; index++)
        self->engine->clients [index].current = (size_t) primary;
    self->started = zclock_usecs ();
    s_load_start (self);
    s_load_run (self);

    int rc = EXIT_FAIL;
    if (*self->error)
        fprintf (stderr, "gavel-bench: %s\n", self->error);
    else {
        s_status_all (config, end);
        rc = s_load_report (self, start, end);
    }
    s_engine_destroy (&self->engine);
    free (self);
    gavel_config_destroy (&config);
    return rc;
}

//  -------------------------------------------------------------------------
//  Failover mode

typedef enum {
    PHASE_OPEN,                 //  opening the auction
    PHASE_BID,                  //  bidding before the kill
    PHASE_KILL,                 //  killed (or killing): waiting for a success
    PHASE_RESTART,              //  restarting the killed replica
    PHASE_CATCHUP,              //  waiting until it has caught up
    PHASE_DRAIN,                //  trials done: the last bid's answer
    PHASE_RESULT,               //  the final RESULT
    PHASE_END
} phase_t;

typedef struct {
    uint64_t killed;            //  replica id
    uint64_t successor;         //  replica id that served the first success after
    int64_t term_before;        //  primary's term before and after; -1 unknown
    int64_t term_after;
    int64_t gap_kill;           //  us, kill to the first success after it
    int64_t gap_answer;         //  us, last answer before the kill to that success
    uint64_t timeouts;          //  during the trial
    uint64_t redirects;
    uint64_t no_quorum;
} trial_t;

//  An answer to remember, to compare a duplicate answer with.
typedef struct {
    uint64_t request_id;
    gavel_outcome_t outcome;
    int64_t amount;             //  success: amount; too-low: highest
} recent_t;

typedef struct {
    const options_t *options;
    char program [PATH_MAX];    //  gavel-local
    char cluster [PATH_MAX];    //  DIR/cluster.cfg
    bool started;               //  we ran up, so we run down
    gavel_config_t *config;
    engine_t *engine;
    client_t *bidder;
    phase_t phase;
    int64_t phase_at;           //  us
    char error [1024];          //  what stopped the run
    //  The trial under way
    trial_t *trials;
    size_t done;                //  trials done
    int64_t kill_at;            //  us, when gavel-local kill started; 0 before any
    int64_t answer_at_kill;     //  us, the last answer before kill_at
    int64_t last_answer [GAVEL_REPLICAS_MAX];       //  us, by replica
    int64_t first_success [GAVEL_REPLICAS_MAX];     //  us, by replica, since kill_at
    uint64_t timeouts, redirects, no_quorum;        //  engine's, at the kill
    int64_t term;               //  primary's term before this trial
    child_t child;
    //  Catching up: rounds of STATUS to every replica
    probe_t probes [GAVEL_REPLICAS_MAX];
    bool probing;
    int64_t next_round;         //  us
    int64_t catchup_commit;     //  the primary's commit to reach; -1 unknown
    //  What the checks need
    int64_t *successes;         //  amounts answered success, in order
    size_t success_count;
    size_t success_capacity;
    uint64_t answers;
    uint64_t own_too_low;       //  too-low naming this request's own amount
    uint64_t duplicates;        //  duplicate final answers seen
    uint64_t conflicting;       //  ... that disagree with the first answer
    uint64_t anomalies;         //  any other unexpected answer
    recent_t recent [RECENT_MAX];
    bool have_result;
    int64_t final_highest;
    char final_bidder [GAVEL_NAME_MAX + 1];
} failover_t;

static void
s_failover_error (failover_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_failover_error (failover_t *self, const char *format, ...)
{
    if (*self->error)
        return;                 //  the first one is the cause
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
}

static void
s_failover_phase (failover_t *self, phase_t phase)
{
    self->phase = phase;
    self->phase_at = zclock_usecs ();
}

static void
s_failover_anomaly (failover_t *self, gavel_msg_t *request, gavel_msg_t *reply, size_t replica)
{
    if (self->anomalies++ >= ANOMALIES_SHOWN)
        return;
    char text [512];
    s_reply_text (reply, text, sizeof text);
    fprintf (stderr, "gavel-bench: unexpected answer to #%" PRIu64 " (bid %" PRId64
             ") from replica %" PRIu64 ": %s\n", gavel_msg_request_id (request),
             gavel_msg_amount (request), s_replica_id (self->engine, replica), text);
}

static void
s_recent_note (failover_t *self, uint64_t request_id, gavel_msg_t *reply)
{
    recent_t *recent = &self->recent [request_id % RECENT_MAX];
    recent->request_id = request_id;
    recent->outcome = gavel_msg_outcome (reply);
    recent->amount = s_reply_number (reply, recent->outcome == GAVEL_SUCCESS? "amount": "highest");
}

//  A second final answer to a request already answered (an earlier
//  attempt's): the replicas promise the first answer again, so one that
//  differs means the request was evaluated twice.
static void
s_failover_late (client_t *client, gavel_msg_t *reply, size_t replica)
{
    failover_t *self = (failover_t *) client->engine->arg;
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (gavel_msg_id (reply) != GAVEL_MSG_REPLY || outcome == GAVEL_REDIRECT
    ||  (outcome == GAVEL_EXCEPTION && streq (gavel_msg_reason (reply), "no-quorum")))
        return;
    uint64_t request_id = gavel_msg_request_id (reply);
    recent_t *recent = &self->recent [request_id % RECENT_MAX];
    if (recent->request_id != request_id)
        return;
    self->duplicates++;
    int64_t amount = s_reply_number (reply, outcome == GAVEL_SUCCESS? "amount": "highest");
    if (outcome != recent->outcome || amount != recent->amount) {
        self->conflicting++;
        char text [512];
        s_reply_text (reply, text, sizeof text);
        fprintf (stderr, "gavel-bench: replica %" PRIu64 " answered #%" PRIu64 " again, "
                 "differently: %s (first answer: %s %" PRId64 ")\n",
                 s_replica_id (client->engine, replica), request_id, text,
                 gavel_outcome_word (recent->outcome), recent->amount);
    }
}

static void
s_successes_push (failover_t *self, int64_t amount)
{
    if (self->success_count == self->success_capacity) {
        self->success_capacity = self->success_capacity? self->success_capacity * 2: 4096;
        self->successes = (int64_t *) realloc (self->successes,
                                               self->success_capacity * sizeof (int64_t));
        assert (self->successes);
    }
    self->successes [self->success_count++] = amount;
}

//  What a bid's answer tells. The bidder is alone on its auction and bids
//  1, 2, 3... one at a time, so every bid must succeed. The one way a
//  `fail too-low` can come is a request evaluated twice: its first
//  application (by an attempt whose answer we never got) set the highest
//  bid to this very amount, and a retry was then judged again instead of
//  getting the first answer back. That is what "doubled" counts.
static void
s_failover_bid_answer (failover_t *self, gavel_msg_t *request, gavel_msg_t *reply,
                       size_t replica, int64_t now)
{
    int64_t amount = gavel_msg_amount (request);
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    self->answers++;
    self->last_answer [replica] = now;
    s_recent_note (self, gavel_msg_request_id (request), reply);
    if (outcome == GAVEL_SUCCESS && s_reply_number (reply, "amount") == amount) {
        if (self->success_count && amount <= self->successes [self->success_count - 1])
            s_failover_anomaly (self, request, reply, replica);
        s_successes_push (self, amount);
        if (self->kill_at && !self->first_success [replica])
            self->first_success [replica] = now;
        return;
    }
    char bidder [GAVEL_NAME_MAX + 1] = "";
    if (gavel_msg_records (reply))
        gavel_record_get (gavel_msg_record (reply, 0), "bidder", bidder, sizeof bidder);
    if (outcome == GAVEL_FAIL && streq (gavel_msg_reason (reply), "too-low")
    &&  s_reply_number (reply, "highest") == amount && streq (bidder, self->bidder->name)) {
        self->own_too_low++;
        fprintf (stderr, "gavel-bench: bid #%" PRIu64 " of %" PRId64 " was applied twice: "
                 "replica %" PRIu64 " says too-low, the highest being that very bid\n",
                 gavel_msg_request_id (request), amount, s_replica_id (self->engine, replica));
    }
    else
        s_failover_anomaly (self, request, reply, replica);
}

static void
s_failover_opened (failover_t *self, gavel_msg_t *reply)
{
    int64_t auction = s_reply_number (reply, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || auction < 1) {
        char text [512];
        s_reply_text (reply, text, sizeof text);
        s_failover_error (self, "could not open an auction: %s", text);
        return;
    }
    self->bidder->auction = (uint64_t) auction;
    s_failover_phase (self, PHASE_BID);
}

static void
s_failover_result (failover_t *self, gavel_msg_t *reply)
{
    const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
    int64_t highest = s_record_number (record, "highest");
    if (highest < 0)
        highest = s_record_number (record, "amount");       //  closed
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || highest < 0) {
        char text [512];
        s_reply_text (reply, text, sizeof text);
        s_failover_error (self, "the final RESULT did not succeed: %s", text);
        return;
    }
    if (gavel_record_get (record, "bidder", self->final_bidder, sizeof self->final_bidder))
        gavel_record_get (record, "winner", self->final_bidder, sizeof self->final_bidder);
    self->final_highest = highest;
    self->have_result = true;
    s_failover_phase (self, PHASE_END);
}

//  The bidder's next request: a bid one higher, or, once the trials are
//  done and this last bid is answered, the RESULT to check against.
static void
s_failover_next (failover_t *self)
{
    client_t *bidder = self->bidder;
    if (self->phase == PHASE_DRAIN) {
        gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
        gavel_msg_set_auction (request, bidder->auction);
        s_client_send (bidder, &request);
        s_failover_phase (self, PHASE_RESULT);
    }
    else {
        bidder->round++;
        s_send_bid (bidder, bidder->round);
    }
}

static void
s_failover_answer (client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
                   size_t replica, int64_t latency)
{
    failover_t *self = (failover_t *) client->engine->arg;
    switch (gavel_msg_id (request)) {
        case GAVEL_MSG_OPEN:
            s_failover_opened (self, reply);
            break;
        case GAVEL_MSG_BID:
            s_failover_bid_answer (self, request, reply, replica, zclock_usecs ());
            break;
        default:
            s_failover_result (self, reply);
            return;
    }
    if (!*self->error)
        s_failover_next (self);
}

//  gavel-local COMMAND ARG --dir DIR, in the background.
static void
s_failover_command (failover_t *self, const char *command, const char *arg)
{
    char *const argv [] = { self->program, (char *) command, (char *) arg,
                            "--dir", (char *) self->options->dir, NULL };
    if (s_child_start (&self->child, self->program, argv))
        s_failover_error (self, "cannot run gavel-local %s: %s", command, self->child.output);
}

static void
s_failover_kill (failover_t *self, int64_t now)
{
    engine_t *engine = self->engine;
    self->kill_at = now;
    self->answer_at_kill = 0;
    for (size_t replica = 0; replica < engine->replicas; replica++) {
        self->first_success [replica] = 0;
        if (self->last_answer [replica] > self->answer_at_kill)
            self->answer_at_kill = self->last_answer [replica];
    }
    self->timeouts = engine->timeouts;
    self->redirects = engine->redirects;
    self->no_quorum = engine->no_quorum;
    trial_t *trial = &self->trials [self->done];
    *trial = (trial_t) { .term_before = self->term, .term_after = -1 };
    s_failover_phase (self, PHASE_KILL);
    s_failover_command (self, "kill", "primary");
}

static int
s_replica_index (engine_t *self, uint64_t id)
{
    for (size_t replica = 0; replica < self->replicas; replica++)
        if (s_replica_id (self, replica) == id)
            return (int) replica;
    return -1;
}

//  gavel-local kill says "replica N: killed pid P".
static void
s_failover_killed (failover_t *self)
{
    if (!s_child_succeeded (&self->child)) {
        s_child_report (&self->child);
        s_failover_error (self, "trial %zu: 'gavel-local kill primary' failed", self->done + 1);
        return;
    }
    unsigned long id = 0;
    const char *line = strstr (self->child.output, "replica ");
    int pid;
    if (!line || sscanf (line, "replica %lu: killed pid %d", &id, &pid) != 2
    ||  s_replica_index (self->engine, id) < 0) {
        s_failover_error (self, "trial %zu: cannot tell from gavel-local which replica it "
                          "killed: %s", self->done + 1, self->child.output);
        return;
    }
    self->trials [self->done].killed = id;
}

//  Once we know which replica died: its successor's first success ends
//  the gap. Answers from the killed replica after kill_at came before the
//  signal (gavel-local asks STATUS around before it kills), so the kill
//  was no earlier than the last of them; and the first success after the
//  kill is the first one another replica served.
static void
s_failover_recovered (failover_t *self)
{
    engine_t *engine = self->engine;
    trial_t *trial = &self->trials [self->done];
    size_t killed = (size_t) s_replica_index (engine, trial->killed);
    int successor = -1;
    for (size_t replica = 0; replica < engine->replicas; replica++)
        if (replica != killed && self->first_success [replica]
        &&  (successor < 0 || self->first_success [replica] < self->first_success [successor]))
            successor = (int) replica;
    if (successor < 0)
        return;
    int64_t first = self->first_success [successor];
    int64_t old_last = self->last_answer [killed];
    int64_t killed_at = old_last > self->kill_at? old_last: self->kill_at;
    int64_t answered_at = old_last > self->answer_at_kill? old_last: self->answer_at_kill;
    trial->successor = s_replica_id (engine, (size_t) successor);
    trial->gap_kill = first - killed_at;
    trial->gap_answer = first - answered_at;
    trial->timeouts = engine->timeouts - self->timeouts;
    trial->redirects = engine->redirects - self->redirects;
    trial->no_quorum = engine->no_quorum - self->no_quorum;
    char id [24];
    snprintf (id, sizeof id, "%" PRIu64, trial->killed);
    s_failover_phase (self, PHASE_RESTART);
    s_failover_command (self, "restart", id);
}

static void
s_catchup_round (failover_t *self, int64_t now)
{
    for (size_t replica = 0; replica < self->engine->replicas; replica++)
        s_probe_start (&self->probes [replica], gavel_config_replica (self->config, replica),
                       STATUS_TIMEOUT);
    self->probing = true;
    self->next_round = now + (int64_t) CATCHUP_INTERVAL * 1000;
}

static void
s_failover_trial_done (failover_t *self, int64_t term)
{
    self->trials [self->done].term_after = term;
    self->term = term;
    self->done++;
    if (!self->options->json)
        fprintf (stderr, "trial %zu of %" PRIu64 ": killed replica %" PRIu64 ", replica %"
                 PRIu64 " took over, bidding stopped for %.1f ms\n", self->done,
                 self->options->trials, self->trials [self->done - 1].killed,
                 self->trials [self->done - 1].successor,
                 (double) self->trials [self->done - 1].gap_answer / 1000);
    s_failover_phase (self, self->done == self->options->trials? PHASE_DRAIN: PHASE_BID);
}

//  A STATUS round ended: the restarted replica has caught up once it is a
//  backup that has applied everything the primary had committed when we
//  first asked (it goes on advancing as we bid).
static void
s_catchup_check (failover_t *self)
{
    engine_t *engine = self->engine;
    replica_state_t states [GAVEL_REPLICAS_MAX];
    for (size_t replica = 0; replica < engine->replicas; replica++) {
        states [replica] = self->probes [replica].state;
        s_probe_stop (&self->probes [replica]);
    }
    self->probing = false;
    int primary = s_primary_of (states, engine->replicas);
    if (primary >= 0 && self->catchup_commit < 0)
        self->catchup_commit = states [primary].commit;
    int killed = s_replica_index (engine, self->trials [self->done].killed);
    replica_state_t *restarted = &states [killed];
    if (primary >= 0 && self->catchup_commit >= 0 && streq (restarted->role, "backup")
    &&  restarted->applied >= self->catchup_commit)
        s_failover_trial_done (self, states [primary].term);
}

static bool
s_probes_done (failover_t *self)
{
    for (size_t replica = 0; replica < self->engine->replicas; replica++)
        if (!self->probes [replica].done)
            return false;
    return true;
}

//  Move the trials on after a loop turn.
static void
s_failover_step (failover_t *self, int64_t now)
{
    trial_t *trial = &self->trials [self->done];
    bool child_done = self->child.pid && self->child.exited;
    if (child_done)
        self->child.pid = 0;    //  seen: the next command may start
    switch (self->phase) {
        case PHASE_OPEN:
            if (now - self->phase_at > (int64_t) SETUP_TIMEOUT * 1000)
                s_failover_error (self, "could not open an auction within %d s", SETUP_TIMEOUT / 1000);
            break;
        case PHASE_BID:
            if (now - self->phase_at >= (int64_t) BID_TIME * 1000)
                s_failover_kill (self, now);
            break;
        case PHASE_KILL:
            if (child_done)
                s_failover_killed (self);
            if (trial->killed && !*self->error)
                s_failover_recovered (self);
            if (self->phase == PHASE_KILL && now - self->kill_at > (int64_t) RECOVER_TIMEOUT * 1000)
                s_failover_error (self, "trial %zu: no bid succeeded within %d s of the kill",
                                  self->done + 1, RECOVER_TIMEOUT / 1000);
            break;
        case PHASE_RESTART:
            if (child_done && !s_child_succeeded (&self->child)) {
                s_child_report (&self->child);
                s_failover_error (self, "trial %zu: could not restart replica %" PRIu64,
                                  self->done + 1, trial->killed);
            }
            else
            if (child_done) {
                s_failover_phase (self, PHASE_CATCHUP);
                self->catchup_commit = -1;
                s_catchup_round (self, now);
            }
            break;
        case PHASE_CATCHUP:
            if (self->probing && s_probes_done (self))
                s_catchup_check (self);
            if (self->phase == PHASE_CATCHUP && !self->probing && now >= self->next_round)
                s_catchup_round (self, now);
            if (self->phase == PHASE_CATCHUP && now - self->phase_at > (int64_t) CATCHUP_TIMEOUT * 1000)
                s_failover_error (self, "trial %zu: replica %" PRIu64 " did not catch up within "
                                  "%d s of its restart", self->done + 1, trial->killed,
                                  CATCHUP_TIMEOUT / 1000);
            break;
        case PHASE_DRAIN:
        case PHASE_RESULT:
            if (now - self->phase_at > (int64_t) DRAIN_TIMEOUT * 1000)
                s_failover_error (self, "no answer to the %s within %d s",
                                  self->phase == PHASE_DRAIN? "last bid": "final RESULT",
                                  DRAIN_TIMEOUT / 1000);
            break;
        case PHASE_END:
            break;
    }
}

//  When the phase wants the loop back: its timer, the child's, a probe's.
static int64_t
s_failover_wake (failover_t *self, int64_t now)
{
    int64_t wake = s_child_wake (&self->child, now);
    int64_t timer = INT64_MAX;
    switch (self->phase) {
        case PHASE_BID:     timer = self->phase_at + (int64_t) BID_TIME * 1000; break;
        case PHASE_KILL:    timer = self->kill_at + (int64_t) RECOVER_TIMEOUT * 1000; break;
        case PHASE_CATCHUP: timer = self->probing? self->phase_at + (int64_t) CATCHUP_TIMEOUT * 1000
                                                 : self->next_round; break;
        default:            timer = self->phase_at + (int64_t) DRAIN_TIMEOUT * 1000; break;
    }
    if (timer < wake)
        wake = timer;
    for (size_t replica = 0; self->probing && replica < self->engine->replicas; replica++)
        if (!self->probes [replica].done && self->probes [replica].deadline < wake)
            wake = self->probes [replica].deadline;
    return wake;
}

//  The loop: the bidder, the gavel-local child, the probes.
static void
s_failover_run (failover_t *self)
{
    size_t replicas = self->engine->replicas;
    while (!zsys_interrupted && !*self->error && self->phase != PHASE_END) {
        zmq_pollitem_t extras [2 + GAVEL_REPLICAS_MAX];
        size_t owners [2 + GAVEL_REPLICAS_MAX];
        size_t count = s_child_items (&self->child, extras);
        size_t child_items = count;
        for (size_t replica = 0; self->probing && replica < replicas; replica++)
            if (s_probe_item (&self->probes [replica], &extras [count]))
                owners [count++] = replica;
        int64_t now = zclock_usecs ();
        s_engine_turn (self->engine, extras, count, s_failover_wake (self, now));
        now = zclock_usecs ();
        s_child_update (&self->child, now);
        for (size_t index = child_items; index < count; index++)
            s_probe_handle (&self->probes [owners [index]], extras [index].revents, now);
        for (size_t replica = 0; self->probing && replica < replicas; replica++)
            s_probe_handle (&self->probes [replica], 0, now);
        s_failover_step (self, now);
    }
}

static int
s_compare_gaps (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return a < b? -1: a > b;
}

typedef struct {
    double median;              //  ms, kill to first success
    double worst;
    double answer_median;       //  ms, last answer to first success
    double answer_worst;
    uint64_t lost;              //  successes above the final highest bid
    bool unacknowledged;        //  the final highest is no bid we got success for
    uint64_t doubled;
    bool checked;               //  the final RESULT came
} failover_figures_t;

static double
s_median (int64_t *values, size_t count)
{
    qsort (values, count, sizeof (int64_t), s_compare_gaps);
    if (count == 0)
        return 0;
    if (count % 2)
        return (double) values [count / 2];
    return (double) (values [count / 2 - 1] + values [count / 2]) / 2;
}

static void
s_failover_figures (failover_t *self, failover_figures_t *figures)
{
    *figures = (failover_figures_t) { 0 };
    if (self->done) {
        int64_t *gaps = (int64_t *) malloc (self->done * sizeof (int64_t));
        assert (gaps);
        for (size_t index = 0; index < self->done; index++)
            gaps [index] = self->trials [index].gap_kill;
        figures->median = s_median (gaps, self->done) / 1000;
        figures->worst = (double) gaps [self->done - 1] / 1000;
        for (size_t index = 0; index < self->done; index++)
            gaps [index] = self->trials [index].gap_answer;
        figures->answer_median = s_median (gaps, self->done) / 1000;
        figures->answer_worst = (double) gaps [self->done - 1] / 1000;
        free (gaps);
    }
    figures->doubled = self->own_too_low + self->conflicting;
    figures->checked = self->have_result;
    if (!self->have_result)
        return;
    for (size_t index = 0; index < self->success_count; index++)
        if (self->successes [index] > self->final_highest)
            figures->lost++;
    int64_t best = self->success_count? self->successes [self->success_count - 1]: 0;
    figures->unacknowledged = self->final_highest > best
        || (self->final_highest > 0 && !streq (self->final_bidder, self->bidder->name));
}

static void
s_failover_table (failover_t *self)
{
    printf ("trial  killed  took over  term     kill->success  last answer->success"
            "  time-outs  redirects  no-quorum\n");
    for (size_t index = 0; index < self->done; index++) {
        trial_t *trial = &self->trials [index];
        char term [48];
        if (trial->term_before >= 0 && trial->term_after >= 0)
            snprintf (term, sizeof term, "%" PRId64 "->%" PRId64, trial->term_before, trial->term_after);
        else
            snprintf (term, sizeof term, "?");
        printf ("%5zu  %6" PRIu64 "  %9" PRIu64 "  %-7s  %10.1f ms  %17.1f ms  %9" PRIu64
                "  %9" PRIu64 "  %9" PRIu64 "\n", index + 1, trial->killed, trial->successor,
                term, (double) trial->gap_kill / 1000, (double) trial->gap_answer / 1000,
                trial->timeouts, trial->redirects, trial->no_quorum);
    }
}

static void
s_failover_text (failover_t *self, failover_figures_t *figures)
{
    s_failover_table (self);
    printf ("\nkill->success: from the start of 'gavel-local kill primary' (or the old primary's\n"
            "  last answer, if later) to the first success another replica served.\n"
            "last answer->success: from the last answer before the kill to that success:\n"
            "  the pause the bidder saw. Attempts time out after %" PRId64 " ms.\n",
            self->options->timeout);
    printf ("bids: %" PRIu64 " answered, %zu success (amounts strictly increasing: %s)\n",
            self->answers, self->success_count, self->anomalies? "see above": "yes");
    if (figures->checked) {
        printf ("final RESULT: highest=%" PRId64 " bidder=%s; highest acknowledged: %" PRId64 "\n",
                self->final_highest, self->final_bidder,
                self->success_count? self->successes [self->success_count - 1]: 0);
        printf ("lost: %" PRIu64 " (bids answered success but above the final highest bid)%s\n",
                figures->lost, figures->unacknowledged
                ? "; and the final highest bid is not one answered success to us": "");
    }
    else
        printf ("lost: not checked (no final RESULT)\n");
    printf ("doubled: %" PRIu64 " (fail too-low naming the request's own amount as the highest,\n"
            "  i.e. a retry judged again after its first attempt was applied: %" PRIu64 ";\n"
            "  duplicate answers to one request that disagree: %" PRIu64 " of %" PRIu64 ")\n",
            figures->doubled, self->own_too_low, self->conflicting, self->duplicates);
    if (self->anomalies)
        printf ("unexpected answers: %" PRIu64 "\n", self->anomalies);
    printf ("failover: %zu trial%s, median %.0f ms, worst %.0f ms, lost %" PRIu64 ", doubled %"
            PRIu64 "%s\n", self->done, self->done == 1? "": "s", figures->median, figures->worst,
            figures->lost, figures->doubled, zsys_interrupted? " (interrupted)": "");
}

static void
s_failover_json (failover_t *self, failover_figures_t *figures)
{
    printf ("{\"mode\":\"failover\",\"replicas\":%zu,\"trials\":%zu,\"timeout_ms\":%" PRId64 ","
            "\"median_ms\":%.1f,\"worst_ms\":%.1f,\"answer_median_ms\":%.1f,\"answer_worst_ms\":%.1f,"
            "\"bids\":%" PRIu64 ",\"success\":%zu,", self->engine->replicas, self->done,
            self->options->timeout, figures->median, figures->worst, figures->answer_median,
            figures->answer_worst, self->answers, self->success_count);
    if (figures->checked)
        printf ("\"final_highest\":%" PRId64 ",\"lost\":%" PRIu64 ",\"unacknowledged\":%s,",
                self->final_highest, figures->lost, figures->unacknowledged? "true": "false");
    else
        printf ("\"final_highest\":null,\"lost\":null,\"unacknowledged\":null,");
    printf ("\"doubled\":%" PRIu64 ",\"own_too_low\":%" PRIu64 ",\"conflicting\":%" PRIu64 ","
            "\"unexpected\":%" PRIu64 ",\"gaps_ms\":[", figures->doubled, self->own_too_low,
            self->conflicting, self->anomalies);
    for (size_t index = 0; index < self->done; index++)
        printf ("%s%.1f", index? ",": "", (double) self->trials [index].gap_kill / 1000);
    printf ("],\"interrupted\":%s", zsys_interrupted? "true": "false");
    if (*self->error) {
        printf (",\"error\":\"");
        for (const char *c = self->error; *c; c++)
            if (*c == '"' || *c == '\\')
                printf ("\\%c", *c);
            else
                putchar ((unsigned char) *c < 32? ' ': *c);
        printf ("\"");
    }
    printf ("}\n");
}

typedef struct {
    failover_t *failover;
    failover_figures_t *figures;
} failover_plot_t;

//  The failover timeline: per trial two bars side by side, kill->success
//  and last answer->success, and the median of kill->success as a line.
static void
s_failover_plot_draw (FILE *script, void *arg)
{
    failover_t *self = ((failover_plot_t *) arg)->failover;
    failover_figures_t *figures = ((failover_plot_t *) arg)->figures;
    fprintf (script, "$trials << EOD\n");
    for (size_t index = 0; index < self->done; index++)
        fprintf (script, "%zu %.3f %.3f\n", index + 1,
                 (double) self->trials [index].gap_kill / 1000,
                 (double) self->trials [index].gap_answer / 1000);
    fprintf (script, "EOD\n");
    char lost [32];
    if (figures->checked)
        snprintf (lost, sizeof lost, "%" PRIu64 "%s", figures->lost,
                  figures->unacknowledged? " (+ unacknowledged highest)": "");
    else
        snprintf (lost, sizeof lost, "not checked");
    fprintf (script, "set title \"gavel-bench failover: %zu trial%s, %zu replicas, attempts "
             "time out after %" PRId64 " ms\\nkill->success median %.0f ms, worst %.0f ms; "
             "lost %s, doubled %" PRIu64 "%s\"\n", self->done, self->done == 1? "": "s",
             self->engine->replicas, self->options->timeout, figures->median, figures->worst,
             lost, figures->doubled, zsys_interrupted? " (interrupted)": "");
    fprintf (script, "set xlabel 'trial'\nset ylabel 'bidding stopped (ms)'\n"
             "set xrange [0.5:%zu.5]\nset yrange [0:*]\n", self->done);
    if (self->done <= 30)
        fprintf (script, "set xtics 1\n");
    fprintf (script, "set arrow from graph 0, first %.3f to graph 1, first %.3f nohead "
             "dt 2 lw 1.5 lc rgb '#cf222e' front\n", figures->median, figures->median);
    fprintf (script, "set key above horizontal\n"
             "plot $trials using ($1 - 0.17):2:(0.32) with boxes fs solid 0.7 noborder "
             "lc rgb '#0969da' title 'kill -> first success', "
             "$trials using ($1 + 0.17):3:(0.32) with boxes fs solid 0.7 noborder "
             "lc rgb '#bf8700' title 'last answer -> first success', "
             "NaN with lines dt 2 lw 1.5 lc rgb '#cf222e' title 'median %.0f ms'\n",
             figures->median);
}

static void
s_failover_plot (failover_t *self, failover_figures_t *figures)
{
    if (!self->options->plot)
        return;
    if (!self->done) {
        fprintf (stderr, "gavel-bench: --plot: no trial completed; no plot written\n");
        return;
    }
    failover_plot_t arg = { self, figures };
    s_plot (self->options, s_failover_plot_draw, &arg);
}

static int
s_failover_report (failover_t *self)
{
    failover_figures_t figures;
    s_failover_figures (self, &figures);
    if (self->options->json)
        s_failover_json (self, &figures);
    else
        s_failover_text (self, &figures);
    if (*self->error)
        fprintf (stderr, "gavel-bench: %s\n", self->error);
    s_failover_plot (self, &figures);
    if (figures.lost || figures.unacknowledged || figures.doubled || self->anomalies)
        return EXIT_FAIL;
    if (zsys_interrupted)
        return EXIT_INTERRUPTED;
    return *self->error? EXIT_FAIL: EXIT_OK;
}

//  Use the cluster in DIR, or start one there.
static int
s_failover_cluster (failover_t *self)
{
    const options_t *options = self->options;
    if (snprintf (self->cluster, sizeof self->cluster, "%s/cluster.cfg", options->dir)
        >= (int) sizeof self->cluster) {
        fprintf (stderr, "gavel-bench: %s: the path is too long\n", options->dir);
        return -1;
    }
    if (access (self->cluster, F_OK) == 0)
        return 0;
    char count [24];
    snprintf (count, sizeof count, "%" PRIu64, options->replicas);
    char *const argv [] = { self->program, "up", count, "--dir", (char *) options->dir,
                            options->insecure? "--insecure": NULL, NULL };
    if (!options->json)
        fprintf (stderr, "gavel-bench: starting %s replicas in %s\n", count, options->dir);
    if (s_child_run (&self->child, self->program, argv)) {
        s_child_report (&self->child);
        self->child.pid = 0;
        //  up stops what it started when it fails; down tidies anyway
        self->started = true;
        return -1;
    }
    self->child.pid = 0;
    self->started = true;
    return 0;
}

static void
s_failover_down (failover_t *self)
{
    //  A command still running (Ctrl-C) must end before down
    while (s_child_running (&self->child)) {
        zmq_pollitem_t items [2];
        size_t count = s_child_items (&self->child, items);
        zmq_poll (items, (int) count, 100);
        s_child_update (&self->child, zclock_usecs ());
    }
    if (!self->started)
        return;
    char *const argv [] = { self->program, "down", "--dir", (char *) self->options->dir, NULL };
    if (s_child_run (&self->child, self->program, argv))
        s_child_report (&self->child);
    else
    if (!self->options->json)
        fprintf (stderr, "gavel-bench: stopped the cluster in %s\n", self->options->dir);
}

//  A cluster just started, or just failed over, may be mid-election: ask
//  again for a while, as long as some replica answers.
static int
s_wait_primary (gavel_config_t *config, replica_state_t *states)
{
    size_t replicas = gavel_config_replicas (config);
    int64_t deadline = zclock_usecs () + (int64_t) PRIMARY_WAIT * 1000;
    while (true) {
        s_status_all (config, states);
        int primary = s_primary_of (states, replicas);
        bool answered = false;
        for (size_t index = 0; index < replicas; index++)
            answered |= states [index].role [0] != '\0';
        if (primary >= 0 || !answered || zsys_interrupted || zclock_usecs () >= deadline)
            return primary;
        zclock_sleep (CATCHUP_INTERVAL);
    }
}

static void
s_no_primary (failover_t *self, replica_state_t *states, size_t replicas)
{
    const char *dir = self->options->dir;
    bool answered = false;
    for (size_t index = 0; index < replicas; index++)
        answered |= states [index].role [0] != '\0';
    if (answered)
        fprintf (stderr, "gavel-bench: no replica of %s became primary within %d s "
                 "(gavel-local status --dir %s)\n", self->cluster, PRIMARY_WAIT / 1000, dir);
    else
        fprintf (stderr, "gavel-bench: the cluster in %s is not running (no replica answered "
                 "STATUS): start it with 'gavel-local up %" PRIu64 " --dir %s', or name a "
                 "directory without cluster.cfg and gavel-bench starts and stops one\n",
                 dir, self->options->replicas, dir);
}

//  Everything up to bidding: the cluster, its primary, our bidder.
static int
s_failover_prepare (failover_t *self)
{
    if (s_local_program (self->program) || s_failover_cluster (self))
        return -1;
    self->config = s_config_load (self->cluster);
    if (!self->config)
        return -1;
    size_t replicas = gavel_config_replicas (self->config);
    if (replicas < 3) {
        fprintf (stderr, "gavel-bench: %s has %zu replica%s: a failover needs at least 3\n",
                 self->cluster, replicas, replicas == 1? "": "s");
        return -1;
    }
    replica_state_t states [GAVEL_REPLICAS_MAX];
    int primary = s_wait_primary (self->config, states);
    if (primary < 0) {
        s_no_primary (self, states, replicas);
        return -1;
    }
    self->term = states [primary].term;
    self->engine = s_engine_new (self->config, 1, self->options->timeout, "failover",
                                 s_failover_answer, s_failover_late, self, self->options->verbose);
    self->bidder = &self->engine->clients [0];
    self->bidder->current = (size_t) primary;
    return 0;
}

static int
s_failover_mode (const options_t *options)
{
    failover_t *self = (failover_t *) zmalloc (sizeof (failover_t));
    assert (self);
    self->options = options;
    self->trials = (trial_t *) zmalloc (options->trials * sizeof (trial_t));
    assert (self->trials);
    int rc = EXIT_FAIL;
    if (s_failover_prepare (self) == 0 && !zsys_interrupted) {
        //  Each trial takes about 2 s: the auction outlives them all
        int64_t duration = ((int64_t) options->trials * 30 + 300) * 1000;
        gavel_msg_t *request = s_open_request ("gavel-failover", duration);
        s_client_send (self->bidder, &request);
        s_failover_phase (self, PHASE_OPEN);
        s_failover_run (self);
        rc = s_failover_report (self);
    }
    else
    if (zsys_interrupted)
        rc = EXIT_INTERRUPTED;
    for (size_t replica = 0; replica < GAVEL_REPLICAS_MAX; replica++)
        s_probe_stop (&self->probes [replica]);
    s_engine_destroy (&self->engine);
    s_failover_down (self);
    gavel_config_destroy (&self->config);
    free (self->successes);
    free (self->trials);
    free (self);
    return rc;
}

//  -------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    options_t options;
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0)
        return rc;
    //  Ctrl-C now sets zsys_interrupted instead of killing us, so that we
    //  report what we measured and stop the cluster we started
    zsys_init ();
    if (sodium_init () < 0) {
        fprintf (stderr, "gavel-bench: cannot initialise libsodium\n");
        return EXIT_FAIL;
    }
    s_insecure = options.insecure;
    rc = options.trials? s_failover_mode (&options): s_load_mode (&options);
    gavel_sock_curve_end ();
    return rc;
}
