/*  gavel-bench: load generator and failover timer for a Gavel replica set.

    Load mode runs K closed-loop bidders in one thread (gavel_load);
    failover mode runs one such bidder against a local cluster and, trial
    after trial, kills the primary and measures how long bidding stops
    (gavel_failover). The bidders are gavel_engine's. This file reads the
    command line and runs the mode it names.
*/
#include "gavel_bench_options.h"
#include "gavel_cli.h"
#include "gavel_config.h"
#include "gavel_failover.h"
#include "gavel_load.h"
#include "gavel_sock.h"

#include <limits.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOAD_TIMEOUT        200     //  ms per attempt, load mode
#define FAILOVER_TIMEOUT    50      //  ms per attempt, failover mode: short,
                                    //  so that the retry granularity does
                                    //  not dominate the measured gap
#define CLIENTS_MAX         1000
#define DEPTH_MAX           64
#define BIDDERS_MAX         4096    //  clients x depth
#define TRIALS_MAX          1000

//  -------------------------------------------------------------------------
//  The command line

#define STR(x) STR_(x)
#define STR_(x) #x

static const char *s_synopsis =
    "usage: gavel-bench --cluster FILE [--clients K] [--depth D] [--seconds S]\n"
    "                   [--warmup S] [--auctions one|per-client] [--timeout MS]\n"
    "                   [--json] [--plot FILE]\n"
    "       gavel-bench --failover N --dir DIR [--replicas R] [--timeout MS] [--json]\n"
    "                   [--plot FILE]\n";

static const char *s_about =
    "Load mode (--cluster): K closed-loop bidders (one thread, each its own\n"
    "session, name and sockets) bid strictly increasing amounts as fast as\n"
    "answers come, for S seconds after a warm-up. Reports committed bids/s\n"
    "(success), decided bids/s (success or fail), and the latency of each bid\n"
    "from its first send to its answer (retries included): p50, p90, p99,\n"
    "p99.9 and max. Every replica is asked STATUS at the start and at the\n"
    "end: the primary's term change is the number of elections seen.\n"
    "\n"
    "Failover mode (--failover): times N failovers of a local cluster. Uses the\n"
    "cluster in DIR, or starts one there with 'gavel-local up R --dir DIR' when\n"
    "DIR has no cluster.cfg (and stops it at the end). One bidder bids\n"
    "continuously; each trial bids for 1 s, runs 'gavel-local kill primary',\n"
    "measures the gap to the first success served by another replica, restarts\n"
    "the killed replica and waits until it has caught up. Then checks that\n"
    "every bid acknowledged with success is in the final state and none was\n"
    "applied twice, and prints a table and a summary line.\n";

static const char *s_notes =
    "gavel-local must be in the same directory as gavel-bench.\n"
    "Exit status: 0 done; 1 failed (no bid succeeded, a command or a trial\n"
    "failed, an acknowledged bid was lost or a bid applied twice); 2 usage\n"
    "error, or a cluster file or key that does not load; 130 interrupted\n"
    "(Ctrl-C: a cluster gavel-bench started is stopped).\n";

//  A usage error: what is wrong, and where to read more. Returns GAVEL_BENCH_EXIT_USAGE.
static int
s_usage_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static int
s_usage_error (const char *format, ...)
{
    char what [PATH_MAX + 256];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof what, format, args);
    va_end (args);
    gavel_cli_usage_error ("gavel-bench", s_synopsis, "%s", what);
    return GAVEL_BENCH_EXIT_USAGE;
}

//  --plot FILE, checked before anything is measured: a name gnuplot can
//  take, in a directory that exists and that we may write in (the plot
//  goes to FILE.tmp there first, then is renamed). 0 or GAVEL_BENCH_EXIT_USAGE.
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

//  After the options: the mode they make, and the defaults that depend on
//  it. Returns -1 when the command line is complete, else GAVEL_BENCH_EXIT_USAGE.
static int
s_check_mode (gavel_bench_options_t *options, const char *load_flag, const char *failover_flag)
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
    //  D requests in flight on a connection take about D times as long
    //  each: a hop waits as much longer before it is resent
    if (!options->timeout)
        options->timeout = LOAD_TIMEOUT * (int64_t) options->depth;
    return -1;
}

//  Returns -1 when the command line is complete, else the exit code.
static int
s_parse_options (gavel_bench_options_t *options, int argc, char *argv [])
{
    *options = (gavel_bench_options_t) { 0 };
    //  0 (-1 for the warm-up) until given: the mode is what was given
    int64_t clients = 0, seconds = 0, warmup = -1, trials = 0, replicas = 0, depth = 0;
    const char *auctions = NULL;
    const gavel_cli_option_t table [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &options->cluster, "FILE", 0, 0,
          "load: the cluster file (gavel-local's DIR/cluster.cfg)" },
        { "clients", 0, GAVEL_CLI_INT, &clients, "K", 1, CLIENTS_MAX,
          "load: bidders, 1 to " STR (CLIENTS_MAX) " (default 16)" },
        { "depth", 0, GAVEL_CLI_INT, &depth, "D", 1, DEPTH_MAX,
          "load: requests in flight per client connection,\n"
          "1 to " STR (DEPTH_MAX) " (default 1): D bidders share each\n"
          "client's connections, each with its own session\n"
          "(the default --timeout grows D times)" },
        { "seconds", 0, GAVEL_CLI_INT, &seconds, "S", 1, 86400, "load: seconds measured (default 10)" },
        { "warmup", 0, GAVEL_CLI_INT, &warmup, "S", 0, 3600,
          "load: seconds of bidding before measuring (default 1)" },
        { "auctions", 0, GAVEL_CLI_TEXT, &auctions, "one|per-client", 0, 0,
          "load: one: all bid on one auction, bidder i of K\n"
          "bidding 1 + nK + i, so some bids fail too-low\n"
          "(default); per-client: each bidder opens and bids\n"
          "on its own auction" },
        { "failover", 0, GAVEL_CLI_INT, &trials, "N", 1, TRIALS_MAX,
          "failover: trials, 1 to " STR (TRIALS_MAX) },
        { "dir", 0, GAVEL_CLI_TEXT, &options->dir, "DIR", 0, 0, "failover: the cluster directory" },
        { "replicas", 0, GAVEL_CLI_INT, &replicas, "R", 3, GAVEL_REPLICAS_MAX,
          "failover: replicas to start: 3, 5 or 7 (default 3)" },
        { "timeout", 0, GAVEL_CLI_INT, &options->timeout, "MS", 1, 60000,
          "wait per attempt before the same request goes to\n"
          "the next replica (default " STR (LOAD_TIMEOUT) "; failover: " STR (FAILOVER_TIMEOUT) ")" },
        { "json", 0, GAVEL_CLI_FLAG, &options->json, NULL, 0, 0,
          "print one JSON object on one line instead" },
        { "plot", 0, GAVEL_CLI_TEXT, &options->plot, "FILE", 0, 0,
          "also draw an SVG in FILE (needs gnuplot: apt-get\n"
          "install gnuplot-nox): load, the latency histogram of\n"
          "the measured window with p50, p99 and p99.9 marked;\n"
          "failover, each trial's gap and the median" },
        { "verbose", 0, GAVEL_CLI_FLAG, &options->verbose, NULL, 0, 0,
          "trace time-outs and redirects on stderr" },
        { "insecure", 0, GAVEL_CLI_FLAG, &options->insecure, NULL, 0, 0,
          "CURVE off, for a cluster that runs without it (and\n"
          "failover mode starts one so); by default each\n"
          "bidder has a key pair of its own, made in memory" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "gavel-bench", s_synopsis, s_about, s_notes, table, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? GAVEL_BENCH_EXIT_OK: GAVEL_BENCH_EXIT_USAGE;
    if (auctions && !streq (auctions, "one") && !streq (auctions, "per-client"))
        return s_usage_error ("--auctions '%s': say one or per-client", auctions);
    if (replicas % 2 == 0 && replicas)
        return s_usage_error ("--replicas %" PRId64 ": say 3, 5 or 7 (odd, so that a "
                              "majority survives the kill)", replicas);
    if (options->plot && s_plot_check (options->plot))
        return GAVEL_BENCH_EXIT_USAGE;
    const char *load_flag = options->cluster? "--cluster": clients? "--clients":
                            depth? "--depth": seconds? "--seconds": warmup >= 0? "--warmup":
                            auctions? "--auctions": NULL;
    const char *failover_flag = trials? "--failover": options->dir? "--dir":
                                replicas? "--replicas": NULL;
    options->clients = clients? (uint64_t) clients: 16;
    options->depth = depth? (uint64_t) depth: 1;
    if (options->clients * options->depth > BIDDERS_MAX)
        return s_usage_error ("--clients %" PRIu64 " x --depth %" PRIu64 " is over %d bidders",
                              options->clients, options->depth, BIDDERS_MAX);
    options->seconds = seconds? (uint64_t) seconds: 10;
    options->warmup = warmup >= 0? (uint64_t) warmup: 1;
    options->shared = !auctions || streq (auctions, "one");
    options->trials = (uint64_t) trials;
    options->replicas = replicas? (uint64_t) replicas: 3;
    return s_check_mode (options, load_flag, failover_flag);
}

//  -------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    gavel_bench_options_t options;
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0)
        return rc;
    //  Ctrl-C now sets zsys_interrupted instead of killing us, so that we
    //  report what we measured and stop the cluster we started
    zsys_init ();
    if (sodium_init () < 0) {
        fprintf (stderr, "gavel-bench: cannot initialise libsodium\n");
        return GAVEL_BENCH_EXIT_FAIL;
    }
    if (options.trials) {
        gavel_failover_t *failover = gavel_failover_new (&options);
        rc = gavel_failover_run (failover);
        gavel_failover_destroy (&failover);
    }
    else {
        gavel_load_t *load = gavel_load_new (&options);
        rc = gavel_load_run (load);
        gavel_load_destroy (&load);
    }
    gavel_sock_curve_end ();
    return rc;
}
