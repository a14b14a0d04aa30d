/*  gavel-bench: load generator and failover timer for a Gavel replica set.

    Load mode runs K closed-loop bidders in one thread (gavel_load);
    failover mode runs one such bidder against a local cluster and, trial
    after trial, kills the primary and measures how long bidding stops
    (gavel_failover). The bidders are gavel_engine's. This file reads the
    command line and runs the mode it names.
*/
#include "gavel_bench_options.h"
#include "gavel_config.h"
#include "gavel_failover.h"
#include "gavel_load.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#include <limits.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOAD_TIMEOUT        200     //  ms per attempt, load mode
#define FAILOVER_TIMEOUT    50      //  ms per attempt, failover mode: short,
                                    //  so that the retry granularity does
                                    //  not dominate the measured gap
#define CLIENTS_MAX         1000
#define TRIALS_MAX          1000

//  -------------------------------------------------------------------------
//  The command line

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
        "error, or a cluster file or key that does not load; 130 interrupted\n"
        "(Ctrl-C: a cluster gavel-bench started is stopped).\n",
        CLIENTS_MAX, LOAD_TIMEOUT, TRIALS_MAX, FAILOVER_TIMEOUT);
}

//  A usage error: what is wrong, and where to read more. Returns GAVEL_BENCH_EXIT_USAGE.
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
    return GAVEL_BENCH_EXIT_USAGE;
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

//  One option's value, checked. Returns 0 or GAVEL_BENCH_EXIT_USAGE.
static int
s_parse_value (gavel_bench_options_t *options, const char *arg, const char *value)
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
    if (!options->timeout)
        options->timeout = LOAD_TIMEOUT;
    return -1;
}

//  Returns -1 when the command line is complete, else the exit code.
static int
s_parse_options (gavel_bench_options_t *options, int argc, char *argv [])
{
    *options = (gavel_bench_options_t) { .clients = 16, .seconds = 10, .warmup = 1,
                             .shared = true, .replicas = 3 };
    bool given [VALUE_OPTIONS] = { false };
    const char *load_flag = NULL, *failover_flag = NULL;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return GAVEL_BENCH_EXIT_OK;
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
            return GAVEL_BENCH_EXIT_USAGE;
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
