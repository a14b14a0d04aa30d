/*  gavel-local: runs a Gavel cluster on this machine, on loopback only.

    The one tool that tests, the demo, benchmarks and people use to start,
    inspect, disturb and stop a local cluster. It keeps no state of its own:
    everything lives in the cluster directory, so any later command, from any
    shell, finds the same cluster:

        DIR/cluster.cfg         the cluster file (gavel_config format)
        DIR/rI/                 replica I's data directory
        DIR/rI/pid              replica I's process id, while it runs
        DIR/rI/replica.log      replica I's stdout and stderr, appended
        DIR/bI/pid              broker I's process id, while it runs (up --brokers)
        DIR/bI/broker.log       broker I's stdout and stderr, appended
        DIR/keys/               the CURVE key pairs: replicaI, brokerI and their
                                _secret files (mode 0600), made by up unless
                                --insecure; the cluster file lists them

    A cluster file without public keys (up --insecure) makes every later
    command run without CURVE too, and pass --insecure to what it restarts.

    A pid file is only a hint: pids are reused, so before signalling a pid we
    check that it is still replica I of this cluster file (its command line).
*/
#include "gavel_cli.h"
#include "gavel_clusterdir.h"
#include "gavel_launch.h"
#include "gavel_layout.h"
#include "gavel_local_options.h"
#include "gavel_sock.h"
#include "gavel_survey.h"
#include "gavel_text.h"

#define EXIT_OK         0
#define EXIT_FAIL       1
#define EXIT_USAGE      2

#define PRIMARY_WAIT    3000    //  ms 'primary' waits out an election

//  A failure: what went wrong. Returns EXIT_FAIL.
#define s_fail(...) gavel_cli_fail ("gavel-local", __VA_ARGS__)

//  The insecure warning, once per run.
static void
s_warn_insecure (void)
{
    static bool s_warned = false;
    if (!s_warned)
        fprintf (stderr, "gavel-local: %s\n", GAVEL_SOCK_INSECURE_WARNING);
    s_warned = true;
}

//  "replica 2" or "broker 1" in a buffer of its own, for one-line messages
//  (gavel-local is single-threaded, and each message uses it once).
static const char *
s_label (uint64_t id)
{
    static char text [32];
    return gavel_clusterdir_name (id, text, sizeof text);
}

//  Open the cluster directory; NULL with the failure printed, or with
//  *missing set when it does not exist (and was not to be created).
static gavel_clusterdir_t *
s_open (const char *dir, bool create, bool *missing)
{
    char error [PATH_MAX + 256];
    gavel_clusterdir_t *local = gavel_clusterdir_new (dir, create, missing, error, sizeof error);
    if (!local && !*missing)
        s_fail ("%s", error);
    return local;
}

//  Load its cluster file; a file without keys (up --insecure) means an
//  insecure cluster, which we say once.
static int
s_load (gavel_clusterdir_t *local)
{
    char error [PATH_MAX + 1024];
    if (gavel_clusterdir_load (local, error, sizeof error))
        return s_fail ("%s", error);
    if (!gavel_config_secure (gavel_clusterdir_config (local)))
        s_warn_insecure ();
    return EXIT_OK;
}

//  Open DIR and load its cluster file, for every command but up and down.
static gavel_clusterdir_t *
s_open_cluster (const char *dir)
{
    bool missing;
    gavel_clusterdir_t *local = s_open (dir, false, &missing);
    if (missing)
        s_fail ("no cluster in %s (no such directory)", dir);
    if (local && s_load (local))
        gavel_clusterdir_destroy (&local);
    return local;
}

//  The processes the ID operand names. Returns an exit code, EXIT_OK with
//  ids and count filled.
static int
s_targets (gavel_local_options_t *options, gavel_clusterdir_t *local,
           uint64_t *ids, size_t *count)
{
    char error [PATH_MAX + 256];
    int rc = gavel_survey_targets (local, options->operand, PRIMARY_WAIT, ids, count,
                                   error, sizeof error);
    if (rc > 0)
        return gavel_local_options_usage_error (options, "%s", error);
    return rc < 0? s_fail ("%s", error): EXIT_OK;
}

//  -------------------------------------------------------------------------
//  up

//  An optional setting in ms, within the range gavel_config takes.
static int
s_parse_setting (gavel_local_options_t *options, const char *flag, const char *text,
                 const char *unit, uint64_t min, uint64_t max, uint64_t *value)
{
    const char *why;
    *value = 0;
    if (text && gavel_text_parse_uint (text, min, max, value, &why))
        return gavel_local_options_usage_error (options, "%s '%s' %s (%s, %" PRIu64 " to %"
                                                PRIu64 ")", flag, text, why, unit, min, max);
    return 0;
}

static int
s_parse_up (gavel_local_options_t *options, uint64_t *count, uint64_t *brokers,
            uint64_t *base_port, gavel_layout_settings_t *settings)
{
    const char *why;
    *brokers = 0;
    if (options->brokers
    &&  gavel_text_parse_uint (options->brokers, 0, GAVEL_BROKERS_MAX, brokers, &why))
        return gavel_local_options_usage_error (options, "--brokers '%s' %s (0 to %d)",
                                                options->brokers, why, GAVEL_BROKERS_MAX);
    if (gavel_text_parse_uint (options->operand, 1, GAVEL_REPLICAS_MAX, count, &why))
        return gavel_local_options_usage_error (options, "N '%s' %s (1, 3, 5 or 7)",
                                                options->operand, why);
    if (*count % 2 == 0)
        return gavel_local_options_usage_error (options, "N must be odd (1, 3, 5 or 7): "
                                                "a majority must survive a split");
    *base_port = 0;
    uint64_t last_base = 65536 - *count * GAVEL_LAYOUT_REPLICA_PORTS
                       - *brokers * GAVEL_LAYOUT_BROKER_PORTS;
    if (options->base_port
    &&  gavel_text_parse_uint (options->base_port, 1, last_base, base_port, &why))
        return gavel_local_options_usage_error (options, "--base-port '%s' %s (1 to %" PRIu64
                                                ": %" PRIu64 " replicas take %" PRIu64 " ports)",
                                                options->base_port, why, last_base, *count,
                                                *count * GAVEL_LAYOUT_REPLICA_PORTS
                                                + *brokers * GAVEL_LAYOUT_BROKER_PORTS);
    if (s_parse_setting (options, "--heartbeat", options->heartbeat, "ms", 1, 60000,
                         &settings->heartbeat)
    ||  s_parse_setting (options, "--election", options->election, "ms", 2, 600000,
                         &settings->election)
    ||  s_parse_setting (options, "--snapshot-every", options->snapshot_every, "entries", 10,
                         1000000000, &settings->snapshot_every))
        return EXIT_USAGE;
    if (options->fsync && !streq (options->fsync, "always") && !streq (options->fsync, "never")
    &&  !streq (options->fsync, "writer"))
        return gavel_local_options_usage_error (options, "--fsync '%s' is not 'always', 'writer' "
                                                "or 'never'", options->fsync);
    settings->fsync = options->fsync && !streq (options->fsync, "never");
    settings->fsync_writer = options->fsync && streq (options->fsync, "writer");
    return 0;
}

//  Lay the cluster out in local: keys unless insecure, ports (held until
//  the caller destroys the layout), the cluster file. NULL with the
//  failure printed and *rc set.
static gavel_layout_t *
s_lay_out (gavel_local_options_t *options, gavel_clusterdir_t *local, size_t count,
           size_t brokers, uint64_t base_port, gavel_layout_settings_t *settings, int *rc)
{
    gavel_layout_t *layout = gavel_layout_new (gavel_clusterdir_dir (local), count, brokers);
    gavel_layout_set_settings (layout, settings);
    char error [PATH_MAX + 256];
    *rc = EXIT_OK;
    if (options->insecure)
        s_warn_insecure ();
    else
    if (gavel_layout_make_keys (layout, error, sizeof error))
        *rc = s_fail ("%s", error);
    if (*rc == EXIT_OK && gavel_layout_hold_ports (layout, base_port, error, sizeof error))
        *rc = s_fail ("%s", error);
    if (*rc == EXIT_OK) {
        //  Checked as the replicas will read it before it is written:
        //  settings that only clash together (election below twice the
        //  heartbeat) are a usage error, not a broken cluster file left
        char *text = gavel_layout_text (layout);
        gavel_config_t *config = gavel_config_parse (text, gavel_clusterdir_cluster (local),
                                                     error, sizeof error);
        free (text);
        if (!config)
            *rc = gavel_local_options_usage_error (options, "%s", error);
        gavel_config_destroy (&config);
    }
    if (*rc == EXIT_OK
    &&  gavel_layout_save (layout, gavel_clusterdir_cluster (local), error, sizeof error))
        *rc = s_fail ("%s", error);
    if (*rc == EXIT_OK)
        *rc = s_load (local);
    if (*rc)
        gavel_layout_destroy (&layout);
    return layout;
}

static int
s_cmd_up (gavel_local_options_t *options)
{
    uint64_t count, brokers, base_port;
    gavel_layout_settings_t settings = { 0 };
    if (s_parse_up (options, &count, &brokers, &base_port, &settings))
        return EXIT_USAGE;
    bool missing;
    gavel_clusterdir_t *local = s_open (options->dir, true, &missing);
    if (!local)
        return EXIT_FAIL;
    pid_t pid;
    uint64_t running = gavel_clusterdir_any_running (local, &pid);
    int rc = EXIT_OK;
    if (running)
        rc = s_fail ("%s already has a running cluster (replica %" PRIu64 ", pid %d); "
                     "stop it first with: gavel-local down --dir %s",
                     gavel_clusterdir_dir (local), running, (int) pid, options->dir);
    gavel_layout_t *layout = rc? NULL:
        s_lay_out (options, local, count, brokers, base_port, &settings, &rc);
    if (layout) {
        uint64_t ids [GAVEL_REPLICAS_MAX];
        for (size_t index = 0; index < count; index++)
            ids [index] = gavel_config_replica (gavel_clusterdir_config (local), index)->id;
        gavel_launch_t *launch = gavel_launch_new (local);
        if (gavel_launch_start (launch, ids, count, true) || gavel_launch_brokers (launch))
            rc = EXIT_FAIL;
        gavel_launch_destroy (&launch);
        gavel_layout_destroy (&layout);
    }
    if (rc == EXIT_OK)
        printf ("cluster file: %s\n", gavel_clusterdir_cluster (local));
    gavel_clusterdir_destroy (&local);
    return rc;
}

//  -------------------------------------------------------------------------
//  status, down

static int
s_cmd_status (gavel_local_options_t *options)
{
    gavel_clusterdir_t *local = s_open_cluster (options->dir);
    if (!local)
        return EXIT_FAIL;
    gavel_survey_state_t states [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
    size_t count = gavel_survey_take (local, states);
    bool all_up = true;
    for (size_t index = 0; index < count; index++) {
        gavel_survey_print (&states [index], options->json, stdout);
        if (states [index].broker? !streq (states [index].role, "up"): states [index].term < 0)
            all_up = false;
    }
    gavel_clusterdir_destroy (&local);
    return all_up? EXIT_OK: EXIT_FAIL;
}

//  Needs only the pid files, not the cluster file: down must work on a
//  directory whose cluster file was removed or broken.
static int
s_cmd_down (gavel_local_options_t *options)
{
    bool missing;
    gavel_clusterdir_t *local = s_open (options->dir, false, &missing);
    if (missing) {
        printf ("nothing running in %s (no such directory)\n", options->dir);
        return EXIT_OK;
    }
    if (!local)
        return EXIT_FAIL;
    size_t stopped = 0;
    int exit_code = EXIT_OK;
    //  Brokers first: they would only log the replicas going away
    for (uint64_t slot = 1; slot <= GAVEL_BROKERS_MAX + GAVEL_REPLICAS_MAX; slot++) {
        uint64_t id = slot <= GAVEL_BROKERS_MAX? GAVEL_CLUSTERDIR_BROKER_SLOT + slot:
                                                 slot - GAVEL_BROKERS_MAX;
        char report [PATH_MAX + 256];
        int rc = gavel_clusterdir_down (local, id, report, sizeof report);
        if (rc < 0)
            exit_code = s_fail ("%s", report);
        else {
            stopped += (size_t) rc;
            if (*report)
                printf ("%s\n", report);
        }
    }
    if (stopped == 0 && exit_code == EXIT_OK)
        printf ("nothing running in %s\n", gavel_clusterdir_dir (local));
    gavel_clusterdir_destroy (&local);
    return exit_code;
}

//  -------------------------------------------------------------------------
//  kill, pause, resume, restart

typedef int (s_act_fn) (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                        char *report, size_t report_size);

//  Apply act to each running process ID names. With 'all', replicas that
//  are not running are passed over; a named one that is not is an error.
static int
s_for_targets (gavel_local_options_t *options, s_act_fn *act)
{
    gavel_clusterdir_t *local = s_open_cluster (options->dir);
    if (!local)
        return EXIT_FAIL;
    uint64_t ids [GAVEL_REPLICAS_MAX];
    size_t count;
    int exit_code = s_targets (options, local, ids, &count);
    bool all = streq (options->operand, "all");
    for (size_t index = 0; index < count && exit_code != EXIT_USAGE; index++) {
        pid_t pid = gavel_clusterdir_pid (local, ids [index]);
        char report [PATH_MAX + 256];
        if (pid) {
            if (act (local, ids [index], pid, report, sizeof report))
                exit_code = s_fail ("%s", report);
            else
                printf ("%s\n", report);
        }
        else
        if (all)
            printf ("%s: not running\n", s_label (ids [index]));
        else
            exit_code = s_fail ("%s is not running", s_label (ids [index]));
    }
    gavel_clusterdir_destroy (&local);
    return exit_code;
}

static int
s_cmd_kill (gavel_local_options_t *options)
{
    return s_for_targets (options, gavel_clusterdir_kill);
}

static int
s_cmd_pause (gavel_local_options_t *options)
{
    return s_for_targets (options, gavel_clusterdir_pause);
}

static int
s_cmd_resume (gavel_local_options_t *options)
{
    return s_for_targets (options, gavel_clusterdir_resume);
}

static int
s_cmd_restart (gavel_local_options_t *options)
{
    gavel_clusterdir_t *local = s_open_cluster (options->dir);
    if (!local)
        return EXIT_FAIL;
    uint64_t ids [GAVEL_REPLICAS_MAX];
    size_t count;
    int exit_code = s_targets (options, local, ids, &count);
    for (size_t index = 0; index < count && exit_code == EXIT_OK; index++) {
        pid_t pid = gavel_clusterdir_pid (local, ids [index]);
        int rc = pid? gavel_clusterdir_stop (local, ids [index], pid): -2;
        if (rc == -1)
            exit_code = s_fail ("%s (pid %d) is still there after SIGKILL",
                                s_label (ids [index]), (int) pid);
        else
        if (rc >= 0)
            printf ("%s: %s pid %d\n", s_label (ids [index]),
                    rc == 0? "stopped": "killed", (int) pid);
    }
    if (exit_code == EXIT_OK) {
        gavel_launch_t *launch = gavel_launch_new (local);
        if (gavel_launch_start (launch, ids, count, false))
            exit_code = EXIT_FAIL;
        gavel_launch_destroy (&launch);
    }
    gavel_clusterdir_destroy (&local);
    return exit_code;
}

//  -------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    gavel_local_options_t options;
    int rc = gavel_local_options_parse (&options, argc, argv);
    if (rc >= 0)
        return rc;
    static const struct {
        const char *name;
        int (*run) (gavel_local_options_t *options);
    } s_runs [] = {
        { "up", s_cmd_up }, { "status", s_cmd_status }, { "down", s_cmd_down },
        { "kill", s_cmd_kill }, { "pause", s_cmd_pause }, { "resume", s_cmd_resume },
        { "restart", s_cmd_restart },
    };
    //  Ctrl-C now sets zsys_interrupted instead of killing us, so that a
    //  failing up can still stop what it started
    zsys_init ();
    for (size_t index = 0; index < sizeof s_runs / sizeof s_runs [0]; index++)
        if (streq (s_runs [index].name, gavel_local_options_command (&options)))
            return s_runs [index].run (&options);
    assert (false);             //  the parser knows no other command
    return EXIT_FAIL;
}
