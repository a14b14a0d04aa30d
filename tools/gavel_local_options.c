/*  gavel_local_options: gavel-local's command line: its commands, the
    options each takes, their help, and the strict parsing of it all.
*/
#include "gavel_local_options.h"
#include "gavel_capture.h"
#include "gavel_cli.h"

#define EXIT_OK         0
#define EXIT_USAGE      2

#define OPT_BASE_PORT   1
#define OPT_JSON        2
#define OPT_SETTINGS    4
#define OPT_BROKERS     8
#define OPT_INSECURE    16

struct _gavel_local_command_t {
    const char *name;
    const char *operand;        //  "N", "ID" or NULL
    unsigned options;           //  OPT_xxx it accepts besides --dir
    const char *synopsis;
    const char *help;
};

#define ID_HELP \
    "ID is a replica number, 'primary' (the replica whose STATUS says\n" \
    "role=primary, of the highest term if two do; waits up to 3 s for an\n" \
    "election to end), 'all', or bI for broker I.\n"

static const gavel_local_command_t s_commands [] = {
    { "up", "N", OPT_BASE_PORT | OPT_SETTINGS | OPT_BROKERS | OPT_INSECURE,
      "up N --dir DIR [--brokers B] [--base-port P] [--heartbeat MS]\n"
      "              [--election MS] [--fsync WHEN] [--snapshot-every N] [--insecure]",
      "Starts a cluster of N replicas (1, 3, 5 or 7) on 127.0.0.1, writes\n"
      "DIR/cluster.cfg, and waits up to 10 s until every replica answers STATUS\n"
      "and one of them says it is primary. The replicas keep running after\n"
      "gavel-local exits; stop them with 'gavel-local down --dir DIR'. DIR is\n"
      "created if needed; up refuses it if a cluster is already running there.\n" },
    { "status", NULL, OPT_JSON,
      "status --dir DIR [--json]",
      "One line per replica of DIR/cluster.cfg:\n"
      "    replica 1  primary    term 1  commit 42  last 42  primary 1  pid 12345\n"
      "The role is what the replica's STATUS says (primary, backup, candidate),\n"
      "or 'down' (not running) or 'no-answer' (running, but silent for 500 ms,\n"
      "e.g. paused). last is the last index in its log, primary the replica it\n"
      "takes for primary (0: none known). Unknown values show as '-'. Then one\n"
      "line per broker: 'broker 1  up  pid 12346' (up: a STATUS through it was\n"
      "answered), or down or no-answer. Exit status 0 when every replica and\n"
      "broker answered.\n" },
    { "down", NULL, 0,
      "down --dir DIR",
      "Stops every replica and broker running from DIR: SIGTERM, then SIGKILL after 3 s,\n"
      "and removes its pid file. Succeeds when nothing was running, too.\n" },
    { "kill", "ID", 0,
      "kill ID --dir DIR",
      "Kills replica ID with SIGKILL, as a crash would, and waits until it is\n"
      "gone.\n\n" ID_HELP },
    { "pause", "ID", 0,
      "pause ID --dir DIR",
      "Freezes replica ID with SIGSTOP: it keeps its sockets but answers\n"
      "nothing, like a hung or partitioned process.\n\n" ID_HELP },
    { "resume", "ID", 0,
      "resume ID --dir DIR",
      "Lets a paused replica ID run again (SIGCONT). A paused replica cannot\n"
      "answer STATUS, so name it by number rather than 'primary'.\n\n" ID_HELP },
    { "restart", "ID", 0,
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
        "usage: gavel-local COMMAND [arguments]\n"
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

//  What the command's usage errors are signed with, and its synopsis
static void
s_command_words (const gavel_local_command_t *command, char *program, size_t program_size,
                 char *synopsis, size_t synopsis_size)
{
    snprintf (program, program_size, "gavel-local%s%s", command? " ": "", command? command->name: "");
    if (command)
        snprintf (synopsis, synopsis_size, "usage: gavel-local %s\n", command->synopsis);
    else
        snprintf (synopsis, synopsis_size, "usage: gavel-local COMMAND [arguments]\n");
}

//  A usage error: what is wrong, and where to read more. Returns EXIT_USAGE.
static int
s_usage_error_va (const gavel_local_command_t *command, const char *format, va_list args)
{
    char program [32], synopsis [256], what [512];
    s_command_words (command, program, sizeof program, synopsis, sizeof synopsis);
    vsnprintf (what, sizeof what, format, args);
    gavel_cli_usage_error (program, synopsis, "%s", what);
    return EXIT_USAGE;
}

static int
s_usage_error (const gavel_local_command_t *command, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_usage_error_va (command, format, args);
    va_end (args);
    return EXIT_USAGE;
}

int
gavel_local_options_usage_error (const gavel_local_options_t *options, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_usage_error_va (options->command, format, args);
    va_end (args);
    return EXIT_USAGE;
}

static const gavel_local_command_t *
s_command_find (const char *name)
{
    for (size_t index = 0; index < COMMANDS; index++)
        if (streq (s_commands [index].name, name))
            return &s_commands [index];
    return NULL;
}

//  Every option of every command, with the commands (OPT_xxx) that take it;
//  0 is every command
typedef struct {
    unsigned commands;
    gavel_cli_option_t option;
} s_option_t;

static void
s_options_table (gavel_local_options_t *options, gavel_cli_option_t *table, size_t size)
{
    const s_option_t all [] = {
        { 0, { "dir", 0, GAVEL_CLI_TEXT, &options->dir, "DIR", 0, 0,
               "the cluster directory: DIR/cluster.cfg, and DIR/rI\n"
               "for replica I" } },
        { OPT_BROKERS, { "brokers", 0, GAVEL_CLI_TEXT, &options->brokers, "B", 0, 0,
               "also start B brokers (0 to 7), listed under 'broker'\n"
               "in DIR/cluster.cfg (two ports each, after the\n"
               "replicas'); up waits until each answers a STATUS,\n"
               "which it forwards to the primary. A bidder given\n"
               "the cluster file then talks to the brokers" } },
        { OPT_BASE_PORT, { "base-port", 0, GAVEL_CLI_TEXT, &options->base_port, "P", 0, 0,
               "replica I gets ports P+4(I-1) to P+4(I-1)+3 for its\n"
               "client, pub, ack and mesh endpoints (default: free\n"
               "ports from a random base between 20000 and 32000)" } },
        { OPT_SETTINGS, { "heartbeat", 0, GAVEL_CLI_TEXT, &options->heartbeat, "MS", 0, 0,
               "cluster/settings/heartbeat: ms between the primary's\n"
               "heartbeats (default: the replicas' own, 50)" } },
        { OPT_SETTINGS, { "election", 0, GAVEL_CLI_TEXT, &options->election, "MS", 0, 0,
               "cluster/settings/election: ms of silence before a\n"
               "backup runs an election (default: the replicas' own,\n"
               "250); at least twice the heartbeat" } },
        { OPT_SETTINGS, { "fsync", 0, GAVEL_CLI_TEXT, &options->fsync, "WHEN", 0, 0,
               "cluster/settings/fsync, 'always', 'writer' or\n"
               "'never': always puts each save on disk before the ack\n"
               "(survives a power cut); writer does so from a thread\n"
               "behind the loop; never (the default here, for speed)\n"
               "leaves it to the kernel (survives kill -9 only)" } },
        { OPT_SETTINGS, { "snapshot-every", 0, GAVEL_CLI_TEXT, &options->snapshot_every, "N", 0, 0,
               "cluster/settings/snapshot_every: entries applied\n"
               "between snapshots (default: the replicas' own, 10000)" } },
        { OPT_INSECURE, { "insecure", 0, GAVEL_CLI_FLAG, &options->insecure, NULL, 0, 0,
               "no CURVE: no keys in the cluster file, every replica\n"
               "and broker started with --insecure (traffic in clear,\n"
               "anyone may connect; for debugging). Without it, up\n"
               "makes a key pair per replica and broker in DIR/keys\n"
               "(reusing those already there) and lists them" } },
        { OPT_JSON, { "json", 0, GAVEL_CLI_FLAG, &options->json, NULL, 0, 0,
               "one JSON object per line instead:\n"
               "{\"id\":1,\"role\":\"primary\",\"term\":1,\"commit\":42,\n"
               " \"last\":42,\"primary\":1,\"pid\":12345}\n"
               "(on one line; null for unknown values);\n"
               "brokers: {\"broker\":1,\"state\":\"up\",\"pid\":12346}" } },
    };
    size_t count = 0;
    for (size_t index = 0; index < sizeof all / sizeof all [0]; index++)
        if (all [index].commands == 0 || (all [index].commands & options->command->options)) {
            assert (count + 1 < size);
            table [count++] = all [index].option;
        }
    table [count] = (gavel_cli_option_t) { 0 };
}

//  Options may come before or after the operand.
static int
s_parse_options (gavel_local_options_t *options, int argc, char *argv [])
{
    const gavel_local_command_t *command = options->command;
    gavel_cli_option_t table [16];
    s_options_table (options, table, sizeof table / sizeof table [0]);
    char program [32], synopsis [256];
    s_command_words (command, program, sizeof program, synopsis, sizeof synopsis);
    gavel_cli_list_t operands = { .count = 0 };
    const gavel_cli_spec_t spec = { program, synopsis, command->help, NULL, table, &operands };
    //  argv [1] is the command: the command's own line starts after it
    int parsed = gavel_cli_parse (&spec, argc - 1, argv + 1);
    if (parsed)
        return parsed == 1? EXIT_OK: EXIT_USAGE;
    if (operands.count > (command->operand? 1: 0))
        return s_usage_error (command, "unexpected argument '%s'",
                              operands.items [command->operand? 1: 0]);
    if (command->operand && operands.count == 0)
        return s_usage_error (command, "missing %s", command->operand);
    options->operand = operands.count? operands.items [0]: NULL;
    if (!options->dir)
        return s_usage_error (command, "--dir DIR is required (the cluster directory)");
    return -1;
}

int
gavel_local_options_parse (gavel_local_options_t *options, int argc, char *argv [])
{
    memset (options, 0, sizeof *options);
    if (argc < 2)
        return s_usage_error (NULL, "missing command");
    const char *name = argv [1];
    if (streq (name, "--help") || streq (name, "-h") || streq (name, "help")) {
        s_usage (stdout);
        return EXIT_OK;
    }
    options->command = s_command_find (name);
    if (!options->command)
        return s_usage_error (NULL, "unknown command '%s' (commands: up, status, down, "
                              "kill, pause, resume, restart)", name);
    return s_parse_options (options, argc, argv);
}

const char *
gavel_local_options_command (const gavel_local_options_t *options)
{
    return options->command->name;
}

//  -------------------------------------------------------------------------
//  Self test

//  Parse a command line given as one string of words; returns what
//  gavel_local_options_parse does, with what it printed in printed. The
//  caller frees printed, and words (the options point into it) once done.
static int
s_test_parse_into (void *options, int argc, char *argv [])
{
    return gavel_local_options_parse ((gavel_local_options_t *) options, argc, argv);
}

static int
s_test_parse (gavel_local_options_t *options, const char *line, char **printed, char **words)
{
    return gavel_cli_try ("gavel-local", line, s_test_parse_into, options, printed, words);
}

void
gavel_local_options_test (bool verbose)
{
    printf (" * gavel_local_options: ");
    gavel_local_options_t options;
    char *printed, *words;
    struct {
        const char *line;
        int rc;
        const char *says;       //  in what it printed
    } cases [] = {
        { "", 2, "gavel-local: missing command\nusage: gavel-local COMMAND [arguments]\n(gavel-local --help for more)\n" },
        { "--help", 0, "usage: gavel-local COMMAND" },
        { "help", 0, "gavel-local restart ID --dir DIR" },
        { "bogus", 2, "unknown command 'bogus'" },
        { "up --help", 0, "usage: gavel-local up N --dir DIR" },
        { "kill -h", 0, "'primary' (the replica whose STATUS says" },
        { "up 3", 2, "gavel-local up: --dir DIR is required (the cluster directory)\n"
                     "usage: gavel-local up N --dir DIR" },
        { "up --dir d", 2, "gavel-local up: missing N" },
        { "up 3 --dir", 2, "--dir needs a value: DIR" },
        { "up 3 --dir --json", 2, "--dir needs a value" },
        { "up 3 --dir d --dir e", 2, "give --dir once" },
        { "up 3 4 --dir d", 2, "unexpected argument '4'" },
        { "up 3 --dir d --json", 2, "unrecognized option '--json'" },
        { "status --dir d --insecure", 2, "gavel-local status: unrecognized option '--insecure'" },
        { "status 1 --dir d", 2, "unexpected argument '1'" },
        { "kill --dir d", 2, "missing ID" },
        { "down --dir d --base-port 1", 2, "unrecognized option '--base-port'" },
        { "status --dir d --json --help", 0, "  --json               one JSON object per line instead:\n" },
        { "up --help", 0, "  --snapshot-every N   cluster/settings/snapshot_every" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        int rc = s_test_parse (&options, cases [index].line, &printed, &words);
        if (verbose)
            printf ("\n   '%s': %d", cases [index].line, rc);
        assert (rc == cases [index].rc);
        assert (strstr (printed, cases [index].says));
        free (printed);
        free (words);
    }

    //  Complete command lines, options before or after the operand
    assert (s_test_parse (&options, "up --dir d 5 --brokers 2 --base-port 21000 --heartbeat 40 "
                          "--election 200 --fsync always --snapshot-every 50 --insecure",
                          &printed, &words) == -1);
    assert (*printed == '\0');
    free (printed);
    assert (streq (gavel_local_options_command (&options), "up"));
    assert (streq (options.operand, "5") && streq (options.dir, "d"));
    assert (streq (options.brokers, "2") && streq (options.base_port, "21000"));
    assert (streq (options.heartbeat, "40") && streq (options.election, "200"));
    assert (streq (options.fsync, "always") && streq (options.snapshot_every, "50"));
    assert (options.insecure && !options.json);
    free (words);
    assert (s_test_parse (&options, "status --json --dir /x", &printed, &words) == -1);
    free (printed);
    assert (streq (gavel_local_options_command (&options), "status"));
    assert (options.json && streq (options.dir, "/x") && !options.operand);
    free (words);
    assert (s_test_parse (&options, "restart b2 --dir x", &printed, &words) == -1);
    free (printed);
    assert (streq (gavel_local_options_command (&options), "restart"));
    assert (streq (options.operand, "b2"));
    free (words);
    printf ("OK\n");
}
