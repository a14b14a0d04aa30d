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
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_layout.h"
#include "gavel_local_status.h"
#include "gavel_msg.h"
#include "gavel_proc.h"
#include "gavel_sock.h"
#include "gavel_spawn.h"
#include "gavel_text.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK         0
#define EXIT_FAIL       1
#define EXIT_USAGE      2

#define UP_TIMEOUT      10000   //  ms for every started replica to answer,
                                //  and for up, for one of them to be primary
#define PRIMARY_WAIT    3000    //  ms 'primary' waits out an election
//  Brokers share the replicas' code paths under ids above this one: broker
//  I is process BROKER_SLOT + I (its files in DIR/bI)
#define BROKER_SLOT     100
#define STATUS_TIMEOUT  500     //  ms a running replica has to answer status
#define ASK_INTERVAL    250     //  ms per STATUS attempt while waiting
#define TERM_TIMEOUT    3000    //  ms from SIGTERM to SIGKILL
#define KILL_TIMEOUT    3000    //  ms for a SIGKILLed process to go
#define SIGNAL_TIMEOUT  1000    //  ms for SIGSTOP/SIGCONT to take effect
#define POLL_INTERVAL   20      //  ms between looks at a process
#define LOG_TAIL_LINES  12
#define LOG_TAIL_BYTES  16384

//  -------------------------------------------------------------------------
//  The command line

typedef struct _command_t command_t;

typedef struct {
    const command_t *command;
    const char *operand;        //  N for up, ID for kill and friends
    const char *dir;
    const char *base_port;
    const char *heartbeat;      //  up: cluster/settings, when given
    const char *election;
    const char *fsync;          //  up: always or never (the default)
    const char *snapshot_every;
    const char *brokers;        //  up: how many brokers
    bool json;
    bool insecure;              //  up: no CURVE
} options_t;

typedef int (command_fn) (options_t *options);

#define OPT_BASE_PORT   1
#define OPT_JSON        2
#define OPT_SETTINGS    4
#define OPT_BROKERS     8
#define OPT_INSECURE    16

struct _command_t {
    const char *name;
    const char *operand;        //  "N", "ID" or NULL
    unsigned options;           //  OPT_xxx it accepts besides --dir
    command_fn *run;
    const char *synopsis;
    const char *help;
};

static command_fn s_cmd_up, s_cmd_status, s_cmd_down,
                  s_cmd_kill, s_cmd_pause, s_cmd_resume, s_cmd_restart;

#define ID_HELP \
    "ID is a replica number, 'primary' (the replica whose STATUS says\n" \
    "role=primary, of the highest term if two do; waits up to 3 s for an\n" \
    "election to end), 'all', or bI for broker I.\n"

static const command_t s_commands [] = {
    { "up", "N", OPT_BASE_PORT | OPT_SETTINGS | OPT_BROKERS | OPT_INSECURE, s_cmd_up,
      "up N --dir DIR [--brokers B] [--base-port P] [--heartbeat MS]\n"
      "              [--election MS] [--fsync WHEN] [--snapshot-every N] [--insecure]",
      "Starts a cluster of N replicas (1, 3, 5 or 7) on 127.0.0.1, writes\n"
      "DIR/cluster.cfg, and waits up to 10 s until every replica answers STATUS\n"
      "and one of them says it is primary. The replicas keep running after\n"
      "gavel-local exits; stop them with 'gavel-local down --dir DIR'.\n"
      "\n"
      "  --dir DIR         cluster directory, created if needed; refused if a\n"
      "                    cluster is already running there\n"
      "  --brokers B       also start B brokers (0 to 7), listed under 'broker'\n"
      "                    in DIR/cluster.cfg (two ports each, after the\n"
      "                    replicas'); up waits until each answers a STATUS,\n"
      "                    which it forwards to the primary. A bidder given\n"
      "                    the cluster file then talks to the brokers\n"
      "  --base-port P     replica I gets ports P+4(I-1) to P+4(I-1)+3 for its\n"
      "                    client, pub, ack and mesh endpoints (default: free\n"
      "                    ports from a random base between 20000 and 32000)\n"
      "  --heartbeat MS    cluster/settings/heartbeat: ms between the primary's\n"
      "                    heartbeats (default: the replicas' own, 50)\n"
      "  --election MS     cluster/settings/election: ms of silence before a\n"
      "                    backup runs an election (default: the replicas' own,\n"
      "                    250); at least twice the heartbeat\n"
      "  --fsync WHEN      cluster/settings/fsync, 'always' or 'never': always\n"
      "                    puts each save on disk before the ack (survives a\n"
      "                    power cut); never (the default here, for speed)\n"
      "                    leaves it to the kernel (survives kill -9 only)\n"
      "  --snapshot-every N  cluster/settings/snapshot_every: entries applied\n"
      "                    between snapshots (default: the replicas' own, 10000)\n"
      "  --insecure        no CURVE: no keys in the cluster file, every replica\n"
      "                    and broker started with --insecure (traffic in clear,\n"
      "                    anyone may connect; for debugging). Without it, up\n"
      "                    makes a key pair per replica and broker in DIR/keys\n"
      "                    (reusing those already there) and lists them\n" },
    { "status", NULL, OPT_JSON, s_cmd_status,
      "status --dir DIR [--json]",
      "One line per replica of DIR/cluster.cfg:\n"
      "    replica 1  primary    term 1  commit 42  last 42  primary 1  pid 12345\n"
      "The role is what the replica's STATUS says (primary, backup, candidate),\n"
      "or 'down' (not running) or 'no-answer' (running, but silent for 500 ms,\n"
      "e.g. paused). last is the last index in its log, primary the replica it\n"
      "takes for primary (0: none known). Unknown values show as '-'. Then one\n"
      "line per broker: 'broker 1  up  pid 12346' (up: a STATUS through it was\n"
      "answered), or down or no-answer. Exit status 0 when every replica and\n"
      "broker answered.\n"
      "\n"
      "  --json            one JSON object per line instead:\n"
      "                    {\"id\":1,\"role\":\"primary\",\"term\":1,\"commit\":42,\n"
      "                     \"last\":42,\"primary\":1,\"pid\":12345}\n"
      "                    (on one line; null for unknown values);\n"
      "                    brokers: {\"broker\":1,\"state\":\"up\",\"pid\":12346}\n" },
    { "down", NULL, 0, s_cmd_down,
      "down --dir DIR",
      "Stops every replica and broker running from DIR: SIGTERM, then SIGKILL after 3 s,\n"
      "and removes its pid file. Succeeds when nothing was running, too.\n" },
    { "kill", "ID", 0, s_cmd_kill,
      "kill ID --dir DIR",
      "Kills replica ID with SIGKILL, as a crash would, and waits until it is\n"
      "gone.\n\n" ID_HELP },
    { "pause", "ID", 0, s_cmd_pause,
      "pause ID --dir DIR",
      "Freezes replica ID with SIGSTOP: it keeps its sockets but answers\n"
      "nothing, like a hung or partitioned process.\n\n" ID_HELP },
    { "resume", "ID", 0, s_cmd_resume,
      "resume ID --dir DIR",
      "Lets a paused replica ID run again (SIGCONT). A paused replica cannot\n"
      "answer STATUS, so name it by number rather than 'primary'.\n\n" ID_HELP },
    { "restart", "ID", 0, s_cmd_restart,
      "restart ID --dir DIR",
      "Stops replica ID if it is running (as down does), starts it again with\n"
      "the same cluster file and data directory, and waits up to 10 s until it\n"
      "answers STATUS (not until it is primary: it comes back as a backup).\n\n"
      ID_HELP },
};
#define COMMANDS (sizeof s_commands / sizeof s_commands [0])

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: gavel-local COMMAND [arguments]\n"
        "\n"
        "Runs a Gavel cluster on this machine, on 127.0.0.1 only. A cluster lives\n"
        "in its directory DIR: DIR/cluster.cfg, and for each replica I the data\n"
        "directory DIR/rI with its pid file and replica.log.\n"
        "\n"
        "Commands:\n");
    for (size_t index = 0; index < COMMANDS; index++)
        fprintf (stream, "  gavel-local %s\n", s_commands [index].synopsis);
    fprintf (stream,
        "\n"
        ID_HELP
        "'gavel-local COMMAND --help' tells more about a command.\n"
        "Exit status: 0 done, 1 failed, 2 usage error.\n");
}

static void
s_command_usage (const command_t *command, FILE *stream)
{
    fprintf (stream, "Usage: gavel-local %s\n\n%s", command->synopsis, command->help);
}

//  A usage error: what is wrong, and where to read more. Returns EXIT_USAGE.
static int
s_usage_error (const command_t *command, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "gavel-local%s%s: ", command? " ": "", command? command->name: "");
    vfprintf (stderr, format, args);
    va_end (args);
    fprintf (stderr, "\nRun 'gavel-local %s%s--help' for usage.\n",
             command? command->name: "", command? " ": "");
    return EXIT_USAGE;
}

//  A failure: what went wrong. Returns EXIT_FAIL.
static int
s_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "gavel-local: ");
    vfprintf (stderr, format, args);
    va_end (args);
    fprintf (stderr, "\n");
    return EXIT_FAIL;
}

static const command_t *
s_command_find (const char *name)
{
    for (size_t index = 0; index < COMMANDS; index++)
        if (streq (s_commands [index].name, name))
            return &s_commands [index];
    return NULL;
}

//  Options may come before or after the operand. Returns -1 when the
//  command line is complete, else the exit code to leave with.
static int
s_parse_options (options_t *options, int argc, char *argv [])
{
    const command_t *command = options->command;
    for (int index = 2; index < argc; index++) {
        const char *arg = argv [index];
        bool has_value = index + 1 < argc;
        const char **value = NULL;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_command_usage (command, stdout);
            return EXIT_OK;
        }
        else
        if (streq (arg, "--dir"))
            value = &options->dir;
        else
        if (streq (arg, "--base-port") && (command->options & OPT_BASE_PORT))
            value = &options->base_port;
        else
        if (streq (arg, "--heartbeat") && (command->options & OPT_SETTINGS))
            value = &options->heartbeat;
        else
        if (streq (arg, "--election") && (command->options & OPT_SETTINGS))
            value = &options->election;
        else
        if (streq (arg, "--fsync") && (command->options & OPT_SETTINGS))
            value = &options->fsync;
        else
        if (streq (arg, "--snapshot-every") && (command->options & OPT_SETTINGS))
            value = &options->snapshot_every;
        else
        if (streq (arg, "--brokers") && (command->options & OPT_BROKERS))
            value = &options->brokers;
        else
        if (streq (arg, "--json") && (command->options & OPT_JSON))
            options->json = true;
        else
        if (streq (arg, "--insecure") && (command->options & OPT_INSECURE))
            options->insecure = true;
        else
        if (arg [0] == '-' && arg [1] != '\0')
            return s_usage_error (command, "unknown option '%s'", arg);
        else
        if (command->operand && !options->operand)
            options->operand = arg;
        else
            return s_usage_error (command, "unexpected argument '%s'", arg);

        if (value) {
            if (*value)
                return s_usage_error (command, "%s is given twice", arg);
            //  "--dir --json" is a forgotten value, not a directory
            if (!has_value || !*argv [index + 1] || strncmp (argv [index + 1], "--", 2) == 0)
                return s_usage_error (command, "%s needs a value", arg);
            *value = argv [++index];
        }
    }
    if (command->operand && !options->operand)
        return s_usage_error (command, "missing %s", command->operand);
    if (!options->dir)
        return s_usage_error (command, "--dir DIR is required (the cluster directory)");
    return -1;
}

//  -------------------------------------------------------------------------
//  The cluster directory

typedef struct {
    char dir [PATH_MAX];        //  absolute, as realpath gives it
    char cluster [PATH_MAX];    //  dir/cluster.cfg, as replicas get it in argv
    gavel_config_t *config;     //  loaded by s_local_load
} local_t;

//  Room left after dir for "/rI/replica.log" and temporary names.
#define DIR_SUFFIX_MAX 32

//  Resolve DIR to an absolute path, creating it first if asked. Returns 0,
//  1 when DIR does not exist (and was not to be created), -1 on error.
static int
s_local_open (local_t *self, const char *dir, bool create)
{
    memset (self, 0, sizeof *self);
    if (create && zsys_dir_create ("%s", dir)) {
        s_fail ("cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    char resolved [PATH_MAX];
    if (!realpath (dir, resolved)) {
        if (errno == ENOENT)
            return 1;
        s_fail ("%s: %s", dir, strerror (errno));
        return -1;
    }
    struct stat info;
    if (stat (resolved, &info) || !S_ISDIR (info.st_mode)) {
        s_fail ("%s is not a directory", dir);
        return -1;
    }
    if (strlen (resolved) + DIR_SUFFIX_MAX >= PATH_MAX) {
        s_fail ("%s: the path is too long", dir);
        return -1;
    }
    //  The path goes into the cluster file as a ZPL value
    for (const char *c = resolved; *c; c++)
        if (*c == '"' || (unsigned char) *c < 32 || *c == 127) {
            s_fail ("%s: the cluster file cannot hold a path with quotes or control characters", dir);
            return -1;
        }
    snprintf (self->dir, sizeof self->dir, "%s", resolved);
    snprintf (self->cluster, sizeof self->cluster, "%s/cluster.cfg", resolved);
    return 0;
}

//  The insecure warning, once per run.
static void
s_warn_insecure (void)
{
    static bool s_warned = false;
    if (!s_warned)
        fprintf (stderr, "gavel-local: %s\n", GAVEL_SOCK_INSECURE_WARNING);
    s_warned = true;
}

//  Load the cluster file; prints gavel_config's error on failure. Our own
//  STATUS requests use CURVE when the file lists keys: with replica 1's key
//  pair when we can read it (the cluster's own keys pass a bidder
//  allow-list), else with one made in memory. A file without keys (up
//  --insecure) means an insecure cluster.
static int
s_local_load (local_t *self)
{
    char error [1024];
    self->config = gavel_config_load (self->cluster, error, sizeof error);
    if (!self->config)
        return s_fail ("%s", error);
    const gavel_replica_conf_t *first = gavel_config_replica (self->config, 0);
    zcert_t *cert = NULL;
    if (gavel_config_secure (self->config) && *first->secret && access (first->secret, R_OK) == 0)
        cert = gavel_keys_load_secret (first->secret, first->public_key, error, sizeof error);
    if (!gavel_config_secure (self->config))
        s_warn_insecure ();
    else
    if (gavel_sock_curve_start (self->config, &cert, false, error, sizeof error)) {
        gavel_config_destroy (&self->config);
        return s_fail ("%s: %s", self->cluster, error);
    }
    return 0;
}

static void
s_local_close (local_t *self)
{
    gavel_sock_curve_end ();
    gavel_config_destroy (&self->config);
}

//  DIR/rI/leaf; s_local_open left room for it.
static bool
s_is_broker (uint64_t id)
{
    return id > BROKER_SLOT;
}

//  "replica 2" or "broker 1", for messages.
static const char *
s_name (uint64_t id, char *text, size_t size)
{
    snprintf (text, size, "%s %" PRIu64, s_is_broker (id)? "broker": "replica",
              s_is_broker (id)? id - BROKER_SLOT: id);
    return text;
}

//  The same in a buffer of its own, for one-line messages (gavel-local is
//  single-threaded, and each message uses it once).
static const char *
s_label (uint64_t id)
{
    static char text [32];
    return s_name (id, text, sizeof text);
}

//  DIR/rI/leaf, or DIR/bI/leaf for a broker.
static void
s_replica_path (local_t *self, uint64_t id, const char *leaf, char *path)
{
    int length = snprintf (path, PATH_MAX, "%s/%c%" PRIu64 "%s%s", self->dir,
                           s_is_broker (id)? 'b': 'r', s_is_broker (id)? id - BROKER_SLOT: id,
                           *leaf? "/": "", leaf);
    assert (length > 0 && length < PATH_MAX);
}

//  -------------------------------------------------------------------------
//  Processes

//  Whether pid is replica id of this cluster: started from a program named
//  replica with "--cluster CLUSTER --id ID". A pid file outlives its process,
//  and the pid may since belong to anything.
static bool
s_owns_pid (local_t *self, uint64_t id, pid_t pid)
{
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%" PRIu64, s_is_broker (id)? id - BROKER_SLOT: id);
    const char *const options [] = { "--cluster", self->cluster, "--id", id_text, NULL };
    return gavel_proc_runs (pid, s_is_broker (id)? "broker": "replica", options);
}

//  The pid in DIR/rI/pid, or 0 when there is none or it is not a pid.
static pid_t
s_read_pid (local_t *self, uint64_t id)
{
    char path [PATH_MAX];
    s_replica_path (self, id, "pid", path);
    return gavel_proc_pid_read (path);
}

static bool
s_pid_file_exists (local_t *self, uint64_t id)
{
    char path [PATH_MAX];
    s_replica_path (self, id, "pid", path);
    return zsys_file_exists (path);
}

static int
s_write_pid (local_t *self, uint64_t id, pid_t pid)
{
    char path [PATH_MAX], error [PATH_MAX + 256];
    s_replica_path (self, id, "pid", path);
    if (gavel_proc_pid_write (path, pid, error, sizeof error))
        return s_fail ("%s", error);
    return 0;
}

static void
s_remove_pid (local_t *self, uint64_t id)
{
    char path [PATH_MAX];
    s_replica_path (self, id, "pid", path);
    unlink (path);
}

//  Replica id's pid if it is running (alive, and ours), else 0.
static pid_t
s_running_pid (local_t *self, uint64_t id)
{
    pid_t pid = s_read_pid (self, id);
    return pid && gavel_proc_alive (pid) && s_owns_pid (self, id, pid)? pid: 0;
}

//  Stop a process the caller has checked is ours: SIGTERM, SIGKILL if that
//  does not do. Returns 0 if it stopped on SIGTERM, 1 if it had to be
//  killed, -1 if it is still there.
static int
s_stop_pid (pid_t pid)
{
    return gavel_proc_stop (pid, TERM_TIMEOUT, KILL_TIMEOUT);
}

//  -------------------------------------------------------------------------
//  Asking a replica

//  Ask replica conf for its state; role down, no-answer or bad-answer when
//  it cannot say.
static void
s_replica_state (local_t *self, const gavel_replica_conf_t *conf, gavel_local_state_t *state)
{
    memset (state, 0, sizeof *state);
    state->id = conf->id;
    state->term = state->commit = state->last = state->primary = -1;
    state->pid = s_running_pid (self, conf->id);
    if (!state->pid) {
        snprintf (state->role, sizeof state->role, "down");
        return;
    }
    gavel_msg_t *reply = gavel_local_status_ask (conf->client, STATUS_TIMEOUT);
    if (!reply)
        snprintf (state->role, sizeof state->role, "no-answer");
    else
    if (!gavel_local_status_parse (reply, state)) {
        snprintf (state->role, sizeof state->role, "bad-answer");
        state->term = state->commit = state->last = state->primary = -1;
    }
    gavel_msg_destroy (&reply);
}

//  -------------------------------------------------------------------------
//  Starting replicas

typedef struct {
    uint64_t id;
    const char *client;         //  endpoint, from the cluster file
    pid_t pid;                  //  0 once reaped: the pid is no longer ours
    off_t log_start;            //  where this run's lines begin in its log
    bool ready;                 //  has answered STATUS
} spawned_t;

//  Its log's name in its directory.
static const char *
s_log_leaf (uint64_t id)
{
    return s_is_broker (id)? "broker.log": "replica.log";
}

//  Start replica (or broker slot) id of this cluster; fills spawned.
static int
s_spawn_replica (local_t *self, const char *program, uint64_t id, spawned_t *spawned)
{
    memset (spawned, 0, sizeof *spawned);
    const gavel_replica_conf_t *conf = s_is_broker (id)? NULL: gavel_config_find (self->config, id);
    const gavel_broker_conf_t *broker = s_is_broker (id)?
        gavel_config_find_broker (self->config, id - BROKER_SLOT): NULL;
    assert (conf || broker);
    spawned->id = id;
    spawned->client = conf? conf->client: broker->client;
    char data [PATH_MAX], log [PATH_MAX];
    s_replica_path (self, id, "", data);
    s_replica_path (self, id, s_log_leaf (id), log);
    if (zsys_dir_create ("%s", data))
        return s_fail ("cannot create %s: %s", data, strerror (errno));
    if (conf && *conf->data && zsys_dir_create ("%s", conf->data))
        return s_fail ("cannot create %s: %s", conf->data, strerror (errno));

    char id_text [24];
    snprintf (id_text, sizeof id_text, "%" PRIu64, s_is_broker (id)? id - BROKER_SLOT: id);
    bool insecure = !gavel_config_secure (self->config);
    char *const argv [] = {
        (char *) program, "--cluster", self->cluster, "--id", id_text,
        insecure? "--insecure": NULL, NULL
    };
    char error [PATH_MAX + 256];
    pid_t pid = gavel_spawn_detached (program, argv, s_name (id, data, sizeof data), log,
                                      &spawned->log_start, error, sizeof error);
    if (pid == -1)
        return s_fail ("%s", error);
    spawned->pid = pid;
    if (s_write_pid (self, id, pid)) {
        //  Without its pid file nobody could stop it later
        s_stop_pid (pid);
        spawned->pid = 0;
        return -1;
    }
    return 0;
}

//  The last lines this run wrote to a replica's log, for a failure report.
static void
s_print_log_tail (const char *path, off_t start)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "    (cannot read %s: %s)\n", path, strerror (errno));
        return;
    }
    fseeko (file, 0, SEEK_END);
    off_t end = ftello (file);
    if (end - start > LOG_TAIL_BYTES)
        start = end - LOG_TAIL_BYTES;
    fseeko (file, start, SEEK_SET);
    char text [LOG_TAIL_BYTES + 1];
    size_t size = fread (text, 1, LOG_TAIL_BYTES, file);
    fclose (file);
    while (size > 0 && text [size - 1] == '\n')
        size--;
    text [size] = '\0';
    if (size == 0) {
        fprintf (stderr, "    (%s is empty)\n", path);
        return;
    }
    char *from = text + size;
    for (int lines = 0; from > text && lines < LOG_TAIL_LINES; ) {
        from--;
        if (*from == '\n' && ++lines == LOG_TAIL_LINES)
            from++;
    }
    fprintf (stderr, "    --- %s ---\n", path);
    for (char *line = strtok (from, "\n"); line; line = strtok (NULL, "\n"))
        fprintf (stderr, "    %s\n", line);
}

static void
s_report_exit (local_t *self, spawned_t *spawned, int status)
{
    char log [PATH_MAX], name [32];
    s_replica_path (self, spawned->id, s_log_leaf (spawned->id), log);
    s_name (spawned->id, name, sizeof name);
    if (WIFSIGNALED (status))
        s_fail ("%s (pid %d) was killed by signal %d (%s) before it answered",
                name, (int) spawned->pid, WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        s_fail ("%s (pid %d) exited with status %d before it answered",
                name, (int) spawned->pid, WEXITSTATUS (status));
    s_print_log_tail (log, spawned->log_start);
}

//  Whether a spawned replica died or we were interrupted: either ends the
//  wait, and a death is reported with its log.
static bool
s_wait_broken (local_t *self, spawned_t *replica)
{
    int status;
    if (waitpid (replica->pid, &status, WNOHANG) == replica->pid) {
        s_report_exit (self, replica, status);
        s_remove_pid (self, replica->id);
        replica->pid = 0;
        return true;
    }
    if (zsys_interrupted) {
        s_fail ("interrupted");
        return true;
    }
    return false;
}

//  Wait until every spawned replica answers STATUS, one dies, we are
//  interrupted, or the deadline passes. Returns 0 when all answered.
static int
s_wait_ready (local_t *self, spawned_t *spawned, size_t count, int64_t deadline)
{
    size_t ready = 0;
    while (ready < count) {
        for (size_t index = 0; index < count; index++) {
            spawned_t *replica = &spawned [index];
            if (replica->ready)
                continue;
            if (s_wait_broken (self, replica))
                return -1;
            int64_t left = deadline - zclock_mono ();
            if (left <= 0) {
                char log [PATH_MAX], name [32];
                s_replica_path (self, replica->id, s_log_leaf (replica->id), log);
                s_fail ("%s (pid %d) did not answer on %s within %d s",
                        s_name (replica->id, name, sizeof name),
                        (int) replica->pid, replica->client, UP_TIMEOUT / 1000);
                s_print_log_tail (log, replica->log_start);
                return -1;
            }
            gavel_msg_t *reply = gavel_local_status_ask (replica->client, left < ASK_INTERVAL? left: ASK_INTERVAL);
            if (reply) {
                replica->ready = true;
                ready++;
            }
            gavel_msg_destroy (&reply);
        }
    }
    return 0;
}

//  Ask a spawned replica for its state, waiting at most until deadline.
//  Leaves state as it was when no answer came: the last answer is what a
//  failure report should show.
static void
s_spawned_state (spawned_t *replica, int64_t deadline, gavel_local_state_t *state)
{
    int64_t left = deadline - zclock_mono ();
    if (left <= 0)
        return;
    gavel_msg_t *reply = gavel_local_status_ask (replica->client, left < ASK_INTERVAL? left: ASK_INTERVAL);
    if (reply) {
        gavel_local_state_t answer = { .id = replica->id };
        if (gavel_local_status_parse (reply, &answer))
            *state = answer;
        else
            snprintf (state->role, sizeof state->role, "bad-answer");
    }
    gavel_msg_destroy (&reply);
}

//  The wait for a primary ran out: what each replica said last, and why.
static void
s_report_no_primary (local_t *self, spawned_t *spawned, size_t count,
                     const gavel_local_state_t *states)
{
    s_fail ("no replica became primary within %d s", UP_TIMEOUT / 1000);
    for (size_t index = 0; index < count; index++) {
        char log [PATH_MAX];
        s_replica_path (self, spawned [index].id, "replica.log", log);
        char term [24];
        gavel_local_status_format (term, sizeof term, states [index].term, "-");
        fprintf (stderr, "    replica %" PRIu64 " (pid %d) said last: role %s, term %s\n",
                 spawned [index].id, (int) spawned [index].pid, states [index].role, term);
        s_print_log_tail (log, spawned [index].log_start);
    }
}

//  Once all answer: wait until one of them says it is primary (the first
//  election takes a few hundred ms). Returns its index, or -1.
static int
s_wait_primary (local_t *self, spawned_t *spawned, size_t count, int64_t deadline)
{
    gavel_local_state_t states [GAVEL_REPLICAS_MAX];
    for (size_t index = 0; index < count; index++) {
        states [index] = (gavel_local_state_t) { .id = spawned [index].id, .term = -1 };
        snprintf (states [index].role, sizeof states [index].role, "no-answer");
    }
    while (true) {
        for (size_t index = 0; index < count; index++) {
            if (s_wait_broken (self, &spawned [index]))
                return -1;
            s_spawned_state (&spawned [index], deadline, &states [index]);
            if (streq (states [index].role, "primary")) {
                printf ("replica %" PRIu64 " is primary, term %" PRId64 "\n",
                        states [index].id, states [index].term);
                return (int) index;
            }
        }
        if (zclock_mono () >= deadline) {
            s_report_no_primary (self, spawned, count, states);
            return -1;
        }
        zclock_sleep (POLL_INTERVAL);
    }
}

//  On a failure path: leave none of the replicas we started behind. An
//  unreaped child's pid cannot have been reused, so these are still ours.
static void
s_stop_spawned (local_t *self, spawned_t *spawned, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        if (spawned [index].pid == 0)
            continue;
        int rc = s_stop_pid (spawned [index].pid);
        char name [32];
        fprintf (stderr, "gavel-local: %s %s (pid %d)\n",
                 rc == 0? "stopped": rc == 1? "killed": "could not stop",
                 s_name (spawned [index].id, name, sizeof name), (int) spawned [index].pid);
        if (rc >= 0)
            s_remove_pid (self, spawned [index].id);
        spawned [index].pid = 0;
    }
}

//  Start the given replicas and wait for them (and, if asked, for one of
//  them to be primary); on any failure stop those started. Prints one line
//  per replica once all answer, so that their pids are on record even if
//  the wait for a primary then fails.
static int
s_start_replicas (local_t *self, const uint64_t *ids, size_t count, bool want_primary)
{
    char program [PATH_MAX], error [PATH_MAX + 256];
    if (gavel_spawn_program (program, count && s_is_broker (ids [0])? "broker": "replica",
                             error, sizeof error))
        return s_fail ("%s", error);
    spawned_t spawned [GAVEL_REPLICAS_MAX];
    size_t started = 0;
    int rc = 0;
    for (size_t index = 0; index < count && rc == 0; index++) {
        rc = s_spawn_replica (self, program, ids [index], &spawned [started]);
        if (rc == 0)
            started++;
    }
    int64_t deadline = zclock_mono () + UP_TIMEOUT;
    if (rc == 0)
        rc = s_wait_ready (self, spawned, started, deadline);
    if (rc == 0) {
        for (size_t index = 0; index < started; index++) {
            char name [32];
            printf ("%s  pid %d  client %s\n", s_name (spawned [index].id, name, sizeof name),
                    (int) spawned [index].pid, spawned [index].client);
        }
        if (want_primary && s_wait_primary (self, spawned, started, deadline) < 0)
            rc = -1;
    }
    if (rc) {
        s_stop_spawned (self, spawned, started);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

//  -------------------------------------------------------------------------
//  up

//  The first replica of DIR that is running, 0 if none.
static uint64_t
s_any_running (local_t *self, pid_t *pid)
{
    for (uint64_t id = 1; id <= GAVEL_REPLICAS_MAX; id++)
        if ((*pid = s_running_pid (self, id)))
            return id;
    for (uint64_t id = BROKER_SLOT + 1; id <= BROKER_SLOT + GAVEL_BROKERS_MAX; id++)
        if ((*pid = s_running_pid (self, id)))
            return id;
    return 0;
}

//  An optional setting in ms, within the range gavel_config takes.
static int
s_parse_setting (options_t *options, const char *flag, const char *text, const char *unit,
                 uint64_t min, uint64_t max, uint64_t *value)
{
    const char *why;
    *value = 0;
    if (text && gavel_text_parse_uint (text, min, max, value, &why))
        return s_usage_error (options->command, "%s '%s' %s (%s, %" PRIu64 " to %" PRIu64 ")",
                              flag, text, why, unit, min, max);
    return 0;
}

static int
s_parse_up (options_t *options, uint64_t *count, uint64_t *brokers, uint64_t *base_port,
            gavel_layout_settings_t *settings)
{
    const char *why;
    *brokers = 0;
    if (options->brokers
    &&  gavel_text_parse_uint (options->brokers, 0, GAVEL_BROKERS_MAX, brokers, &why))
        return s_usage_error (options->command, "--brokers '%s' %s (0 to %d)",
                              options->brokers, why, GAVEL_BROKERS_MAX);
    if (gavel_text_parse_uint (options->operand, 1, GAVEL_REPLICAS_MAX, count, &why))
        return s_usage_error (options->command, "N '%s' %s (1, 3, 5 or 7)", options->operand, why);
    if (*count % 2 == 0)
        return s_usage_error (options->command, "N must be odd (1, 3, 5 or 7): "
                              "a majority must survive a split");
    *base_port = 0;
    uint64_t last_base = 65536 - *count * GAVEL_LAYOUT_REPLICA_PORTS - *brokers * GAVEL_LAYOUT_BROKER_PORTS;
    if (options->base_port
    &&  gavel_text_parse_uint (options->base_port, 1, last_base, base_port, &why))
        return s_usage_error (options->command, "--base-port '%s' %s (1 to %" PRIu64
                              ": %" PRIu64 " replicas take %" PRIu64 " ports)",
                              options->base_port, why, last_base, *count,
                              *count * GAVEL_LAYOUT_REPLICA_PORTS + *brokers * GAVEL_LAYOUT_BROKER_PORTS);
    if (s_parse_setting (options, "--heartbeat", options->heartbeat, "ms", 1, 60000,
                         &settings->heartbeat)
    ||  s_parse_setting (options, "--election", options->election, "ms", 2, 600000,
                         &settings->election)
    ||  s_parse_setting (options, "--snapshot-every", options->snapshot_every, "entries", 10,
                         1000000000, &settings->snapshot_every))
        return EXIT_USAGE;
    if (options->fsync && !streq (options->fsync, "always") && !streq (options->fsync, "never"))
        return s_usage_error (options->command, "--fsync '%s' is not 'always' or 'never'",
                              options->fsync);
    settings->fsync = options->fsync && streq (options->fsync, "always");
    return 0;
}

//  Once the replicas serve: start the brokers, and wait until a STATUS
//  through each is answered (they forward it to the primary). On failure
//  the replicas are stopped too: up starts all or nothing.
static int
s_start_brokers (local_t *self, size_t brokers)
{
    uint64_t ids [GAVEL_BROKERS_MAX];
    for (size_t index = 0; index < brokers; index++)
        ids [index] = BROKER_SLOT + gavel_config_broker (self->config, index)->id;
    int rc = brokers? s_start_replicas (self, ids, brokers, false): EXIT_OK;
    if (rc != EXIT_OK)
        for (size_t index = 0; index < gavel_config_replicas (self->config); index++) {
            uint64_t id = gavel_config_replica (self->config, index)->id;
            pid_t pid = s_running_pid (self, id);
            if (pid && s_stop_pid (pid) >= 0)
                s_remove_pid (self, id);
        }
    return rc;
}

static int
s_cmd_up (options_t *options)
{
    uint64_t count, brokers, base_port;
    gavel_layout_settings_t settings = { 0 };
    if (s_parse_up (options, &count, &brokers, &base_port, &settings))
        return EXIT_USAGE;
    local_t local;
    if (s_local_open (&local, options->dir, true))
        return EXIT_FAIL;
    pid_t pid;
    uint64_t running = s_any_running (&local, &pid);
    if (running)
        return s_fail ("%s already has a running cluster (replica %" PRIu64 ", pid %d); "
                       "stop it first with: gavel-local down --dir %s",
                       local.dir, running, (int) pid, options->dir);
    gavel_layout_t *layout = gavel_layout_new (local.dir, count, brokers);
    gavel_layout_set_settings (layout, &settings);
    char error [PATH_MAX + 256];
    if (options->insecure)
        s_warn_insecure ();
    else
    if (gavel_layout_make_keys (layout, error, sizeof error)) {
        gavel_layout_destroy (&layout);
        return s_fail ("%s", error);
    }
    if (gavel_layout_hold_ports (layout, base_port, error, sizeof error)) {
        gavel_layout_destroy (&layout);
        return s_fail ("%s", error);
    }
    //  Checked as the replicas will read it, before it is written: settings
    //  that only clash together (election below twice the heartbeat) are a
    //  usage error, not a broken cluster file left behind
    char *text = gavel_layout_text (layout);
    gavel_config_t *config = gavel_config_parse (text, local.cluster, error, sizeof error);
    free (text);
    int rc = config? 0: s_usage_error (options->command, "%s", error);
    gavel_config_destroy (&config);
    if (rc == 0 && gavel_layout_save (layout, local.cluster, error, sizeof error))
        rc = s_fail ("%s", error);
    if (rc == 0 && s_local_load (&local))
        rc = EXIT_FAIL;
    if (rc) {
        gavel_layout_destroy (&layout);
        return rc;
    }

    uint64_t ids [GAVEL_REPLICAS_MAX];
    for (size_t index = 0; index < count; index++)
        ids [index] = gavel_config_replica (local.config, index)->id;
    rc = s_start_replicas (&local, ids, count, true);
    if (rc == EXIT_OK)
        rc = s_start_brokers (&local, brokers);
    gavel_layout_destroy (&layout);
    if (rc == EXIT_OK)
        printf ("cluster file: %s\n", local.cluster);
    s_local_close (&local);
    return rc;
}

//  -------------------------------------------------------------------------
//  Opening an existing cluster

//  Open DIR and load its cluster file, for every command but up and down.
static int
s_local_open_cluster (local_t *self, const char *dir)
{
    int rc = s_local_open (self, dir, false);
    if (rc == 1)
        return s_fail ("no cluster in %s (no such directory)", dir);
    if (rc || s_local_load (self)) {
        s_local_close (self);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

//  The replica that says it is primary. Two may claim it for a while after
//  a failover (the old one has not heard of the new term yet): the newer
//  term wins. Returns false when none does.
static bool
s_ask_primary (local_t *self, uint64_t *id)
{
    int64_t best_term = -1;
    for (size_t index = 0; index < gavel_config_replicas (self->config); index++) {
        gavel_local_state_t state;
        s_replica_state (self, gavel_config_replica (self->config, index), &state);
        if (streq (state.role, "primary") && state.term > best_term) {
            best_term = state.term;
            *id = state.id;
        }
    }
    return best_term >= 0;
}

//  Right after a failover nobody is primary until the election ends: ask
//  again for a while rather than fail a script that is a moment early.
static bool
s_find_primary (local_t *self, uint64_t *id)
{
    int64_t deadline = zclock_mono () + PRIMARY_WAIT;
    while (!s_ask_primary (self, id)) {
        if (zclock_mono () >= deadline || zsys_interrupted)
            return false;
        zclock_sleep (POLL_INTERVAL * 2);
    }
    return true;
}

//  The replicas an ID operand names: a number, primary or all. Returns an
//  exit code, EXIT_OK with ids and count filled.
static int
s_targets (local_t *self, options_t *options, uint64_t *ids, size_t *count)
{
    const char *operand = options->operand;
    *count = 0;
    if (streq (operand, "all")) {
        for (size_t index = 0; index < gavel_config_replicas (self->config); index++)
            ids [(*count)++] = gavel_config_replica (self->config, index)->id;
        return EXIT_OK;
    }
    if (streq (operand, "primary")) {
        if (!s_find_primary (self, &ids [0]))
            return s_fail ("no replica of %s answered as primary within %d s "
                           "(a paused replica cannot answer: name it by number)",
                           self->dir, PRIMARY_WAIT / 1000);
        *count = 1;
        return EXIT_OK;
    }
    uint64_t id;
    if (operand [0] == 'b') {
        if (gavel_text_parse_uint (operand + 1, 1, GAVEL_BROKERS_MAX, &id, NULL)
        ||  !gavel_config_find_broker (self->config, id))
            return s_usage_error (options->command, "%s lists no broker '%s'",
                                  self->cluster, operand + 1);
        ids [0] = BROKER_SLOT + id;
        *count = 1;
        return EXIT_OK;
    }
    if (gavel_text_parse_uint (operand, 1, GAVEL_REPLICAS_MAX, &id, NULL))
        return s_usage_error (options->command, "ID '%s' is not a replica number (1 to %d), "
                              "'primary' or 'all'", operand, GAVEL_REPLICAS_MAX);
    if (!gavel_config_find (self->config, id))
        return s_usage_error (options->command, "%s lists no replica %" PRIu64,
                              self->cluster, id);
    ids [0] = id;
    *count = 1;
    return EXIT_OK;
}

//  -------------------------------------------------------------------------
//  status

//  Roles are lower-case words by construction, safe to print in JSON as is.
static void
s_print_state (gavel_local_state_t *state, bool json)
{
    const char *none = json? "null": "-";
    char term [24], commit [24], last [24], primary [24], pid [24];
    gavel_local_status_format (term, sizeof term, state->term, none);
    gavel_local_status_format (commit, sizeof commit, state->commit, none);
    gavel_local_status_format (last, sizeof last, state->last, none);
    gavel_local_status_format (primary, sizeof primary, state->primary, none);
    gavel_local_status_format (pid, sizeof pid, state->pid? state->pid: -1, none);
    if (json)
        printf ("{\"id\":%" PRIu64 ",\"role\":\"%s\",\"term\":%s,\"commit\":%s,"
                "\"last\":%s,\"primary\":%s,\"pid\":%s}\n",
                state->id, state->role, term, commit, last, primary, pid);
    else
        printf ("replica %" PRIu64 "  %-9s  term %s  commit %s  last %s  primary %s  pid %s\n",
                state->id, state->role, term, commit, last, primary, pid);
}

//  A broker is up when a STATUS through it is answered.
static bool
s_print_broker (local_t *self, const gavel_broker_conf_t *conf, bool json)
{
    pid_t pid = s_running_pid (self, BROKER_SLOT + conf->id);
    gavel_msg_t *reply = pid? gavel_local_status_ask (conf->client, STATUS_TIMEOUT): NULL;
    const char *state = !pid? "down": reply? "up": "no-answer";
    gavel_msg_destroy (&reply);
    char pid_text [24];
    gavel_local_status_format (pid_text, sizeof pid_text, pid? pid: -1, json? "null": "-");
    if (json)
        printf ("{\"broker\":%" PRIu64 ",\"state\":\"%s\",\"pid\":%s}\n",
                conf->id, state, pid_text);
    else
        printf ("broker %" PRIu64 "   %-9s  pid %s\n", conf->id, state, pid_text);
    return streq (state, "up");
}

static int
s_cmd_status (options_t *options)
{
    local_t local;
    if (s_local_open_cluster (&local, options->dir))
        return EXIT_FAIL;
    bool all_up = true;
    for (size_t index = 0; index < gavel_config_replicas (local.config); index++) {
        gavel_local_state_t state;
        s_replica_state (&local, gavel_config_replica (local.config, index), &state);
        s_print_state (&state, options->json);
        if (state.term < 0)
            all_up = false;
    }
    for (size_t index = 0; index < gavel_config_brokers (local.config); index++)
        if (!s_print_broker (&local, gavel_config_broker (local.config, index), options->json))
            all_up = false;
    s_local_close (&local);
    return all_up? EXIT_OK: EXIT_FAIL;
}

//  -------------------------------------------------------------------------
//  down

//  Stop replica id if its pid file names our running replica; tidy the pid
//  file either way. Returns 1 if it stopped one, 0 if none ran, -1 on error.
static int
s_down_replica (local_t *self, uint64_t id)
{
    if (!s_pid_file_exists (self, id))
        return 0;
    pid_t pid = s_read_pid (self, id);
    char name [32];
    s_name (id, name, sizeof name);
    if (!pid)
        printf ("%s: removed a pid file that held no pid\n", name);
    else
    if (!gavel_proc_alive (pid))
        printf ("%s: pid %d had already stopped; removed its pid file\n", name, (int) pid);
    else
    if (!s_owns_pid (self, id, pid))
        printf ("%s: pid %d is no longer this cluster's process "
                "(pid reused); left it alone, removed the stale pid file\n", name, (int) pid);
    else {
        int rc = s_stop_pid (pid);
        if (rc < 0) {
            s_fail ("%s (pid %d) is still there after SIGKILL; kept its pid file", name, (int) pid);
            return -1;
        }
        printf ("%s: %s pid %d%s\n", name, rc == 0? "stopped": "killed",
                (int) pid, rc == 0? "": " (still running 3 s after SIGTERM)");
        s_remove_pid (self, id);
        return 1;
    }
    s_remove_pid (self, id);
    return 0;
}

//  Needs only the pid files, not the cluster file: down must work on a
//  directory whose cluster file was removed or broken.
static int
s_cmd_down (options_t *options)
{
    local_t local;
    int rc = s_local_open (&local, options->dir, false);
    if (rc == 1) {
        printf ("nothing running in %s (no such directory)\n", options->dir);
        return EXIT_OK;
    }
    if (rc)
        return EXIT_FAIL;
    size_t stopped = 0;
    int exit_code = EXIT_OK;
    //  Brokers first: they would only log the replicas going away
    uint64_t ids [GAVEL_BROKERS_MAX + GAVEL_REPLICAS_MAX];
    size_t count = 0;
    for (uint64_t id = 1; id <= GAVEL_BROKERS_MAX; id++)
        ids [count++] = BROKER_SLOT + id;
    for (uint64_t id = 1; id <= GAVEL_REPLICAS_MAX; id++)
        ids [count++] = id;
    for (size_t index = 0; index < count; index++) {
        rc = s_down_replica (&local, ids [index]);
        if (rc < 0)
            exit_code = EXIT_FAIL;
        else
            stopped += (size_t) rc;
    }
    if (stopped == 0 && exit_code == EXIT_OK)
        printf ("nothing running in %s\n", local.dir);
    return exit_code;
}

//  -------------------------------------------------------------------------
//  kill, pause, resume

typedef int (s_act_fn) (local_t *self, uint64_t id, pid_t pid);

static int
s_act_kill (local_t *self, uint64_t id, pid_t pid)
{
    kill (pid, SIGKILL);
    char name [32];
    s_name (id, name, sizeof name);
    if (!gavel_proc_wait_gone (pid, KILL_TIMEOUT))
        return s_fail ("%s (pid %d) is still there %d s after SIGKILL",
                       name, (int) pid, KILL_TIMEOUT / 1000);
    s_remove_pid (self, id);
    printf ("%s: killed pid %d\n", name, (int) pid);
    return 0;
}

static int
s_act_pause (local_t *self, uint64_t id, pid_t pid)
{
    if (gavel_proc_state (pid) == 'T') {
        printf ("%s: pid %d was already paused\n", s_label (id), (int) pid);
        return 0;
    }
    kill (pid, SIGSTOP);
    //  So that a status right after us sees it silent
    if (!gavel_proc_wait_stopped (pid, true, SIGNAL_TIMEOUT))
        return s_fail ("%s (pid %d) did not stop on SIGSTOP", s_label (id), (int) pid);
    printf ("%s: paused pid %d\n", s_label (id), (int) pid);
    return 0;
}

static int
s_act_resume (local_t *self, uint64_t id, pid_t pid)
{
    bool was_paused = gavel_proc_state (pid) == 'T';
    kill (pid, SIGCONT);
    if (!gavel_proc_wait_stopped (pid, false, SIGNAL_TIMEOUT))
        return s_fail ("%s (pid %d) did not resume on SIGCONT", s_label (id), (int) pid);
    if (was_paused)
        printf ("%s: resumed pid %d\n", s_label (id), (int) pid);
    else
        printf ("%s: pid %d was not paused\n", s_label (id), (int) pid);
    return 0;
}

//  Apply act to each running replica ID names. With 'all', replicas that
//  are not running are passed over; a named one that is not is an error.
static int
s_for_targets (options_t *options, s_act_fn *act)
{
    local_t local;
    if (s_local_open_cluster (&local, options->dir))
        return EXIT_FAIL;
    uint64_t ids [GAVEL_REPLICAS_MAX];
    size_t count;
    int exit_code = s_targets (&local, options, ids, &count);
    bool all = streq (options->operand, "all");
    for (size_t index = 0; index < count && exit_code != EXIT_USAGE; index++) {
        pid_t pid = s_running_pid (&local, ids [index]);
        if (pid) {
            if (act (&local, ids [index], pid))
                exit_code = EXIT_FAIL;
        }
        else
        if (all)
            printf ("%s: not running\n", s_label (ids [index]));
        else
            exit_code = s_fail ("%s is not running", s_label (ids [index]));
    }
    s_local_close (&local);
    return exit_code;
}

static int
s_cmd_kill (options_t *options)
{
    return s_for_targets (options, s_act_kill);
}

static int
s_cmd_pause (options_t *options)
{
    return s_for_targets (options, s_act_pause);
}

static int
s_cmd_resume (options_t *options)
{
    return s_for_targets (options, s_act_resume);
}

//  -------------------------------------------------------------------------
//  restart

static int
s_cmd_restart (options_t *options)
{
    local_t local;
    if (s_local_open_cluster (&local, options->dir))
        return EXIT_FAIL;
    uint64_t ids [GAVEL_REPLICAS_MAX];
    size_t count;
    int exit_code = s_targets (&local, options, ids, &count);
    for (size_t index = 0; index < count && exit_code == EXIT_OK; index++) {
        pid_t pid = s_running_pid (&local, ids [index]);
        if (!pid)
            continue;
        int rc = s_stop_pid (pid);
        if (rc < 0)
            exit_code = s_fail ("%s (pid %d) is still there after SIGKILL",
                                s_label (ids [index]), (int) pid);
        else {
            printf ("%s: %s pid %d\n", s_label (ids [index]),
                    rc == 0? "stopped": "killed", (int) pid);
            s_remove_pid (&local, ids [index]);
        }
    }
    if (exit_code == EXIT_OK)
        exit_code = s_start_replicas (&local, ids, count, false);
    s_local_close (&local);
    return exit_code;
}

//  -------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    if (argc < 2)
        return s_usage_error (NULL, "missing command");
    const char *name = argv [1];
    if (streq (name, "--help") || streq (name, "-h") || streq (name, "help")) {
        s_usage (stdout);
        return EXIT_OK;
    }
    options_t options = { .command = s_command_find (name) };
    if (!options.command)
        return s_usage_error (NULL, "unknown command '%s' (commands: up, status, down, "
                              "kill, pause, resume, restart)", name);
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0)
        return rc;
    //  Ctrl-C now sets zsys_interrupted instead of killing us, so that a
    //  failing up can still stop what it started
    zsys_init ();
    return options.command->run (&options);
}
