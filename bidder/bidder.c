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

    This file parses the options, connects, and runs the prompt; the
    commands are gavel_session's, their lines gavel_answer's, the history
    gavel_history's and the feed gavel_watch's.
*/
#include <czmq.h>
#include <inttypes.h>
#include <pwd.h>
#include <editline/readline.h>
#include "gavel_cli.h"
#include "gavel_msg.h"
#include "gavel_text.h"
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_script.h"
#include "gavel_session.h"

#define EXIT_USAGE      2
#define TIMEOUT_MAX     (3600 * 1000)   //  ms, --timeout
#define RETRIES_MAX     1000            //  --retries

static const char *s_usage =
    "usage: bidder [--cluster FILE] [--connect ENDPOINT ...] [--name NAME]\n"
    "              [--script FILE|-] [--pipeline D] [--json] [--timeout MS] [--retries N]\n"
    "              [--history FILE] [--keys DIR] [--insecure] [--verbose] [--help]\n";

static const char *s_notes =
    "watch needs --cluster (the feed's endpoints are in it). In a script,\n"
    "events are printed during 'sleep MS' only; at the prompt, as they come.\n"
    "Exit status: 0 when every command got an answer (success or fail), 1 when\n"
    "one got an exception or none, or a line was bad, 2 usage error or bad\n"
    "configuration.\n";

typedef struct {
    const char *cluster;
    gavel_cli_list_t endpoints;     //  --connect, in order given
    const char *name;
    const char *script;
    const char *history;
    const char *keys;               //  --keys DIR
    bool insecure;
    bool json;
    bool verbose;
    int64_t timeout;                //  0: not given
    int64_t retries;                //  -1: not given
    int64_t pipeline;               //  0: not given
} s_options_t;

//  --------------------------------------------------------------------------
//  Input: a script (file or stdin) or the prompt

//  libedit's line callback takes no argument: the session at the prompt
static gavel_session_t *s_repl_session;
static bool s_repl_done;
static bool s_repl_line;            //  a line was run: prompt again
static bool s_repl_prompt;          //  the prompt is on screen, waiting

static void s_on_line (char *line);

static void
s_install_prompt (gavel_session_t *session)
{
    char prompt [GAVEL_NAME_MAX + 16];
    snprintf (prompt, sizeof (prompt), "gavel %s> ", gavel_session_name (session));
    rl_callback_handler_install (prompt, s_on_line);
}

//  While the prompt waits, an event goes above it and the prompt, with
//  what was typed so far, is drawn again below.
static void
s_make_way (bool before)
{
    if (!s_repl_prompt)
        return;
    if (before)
        printf ("\r\033[K");
    else
        rl_forced_update_display ();
}

//  Runs a line typed at the prompt; NULL is Ctrl-D.
static void
s_on_line (char *line)
{
    gavel_session_t *session = s_repl_session;
    s_repl_prompt = false;
    s_repl_line = true;
    if (!line) {
        printf ("\n");                 //  the shell's prompt on a line of its own
        s_repl_done = true;
        return;
    }
    if (line [strspn (line, " \t")])
        add_history (line);
    bool more = gavel_session_execute_line (session, line, NULL, 0);
    free (line);
    if (zsys_interrupted) {
        fprintf (stderr, "interrupted\n");
        gavel_session_fail (session);
        zsys_interrupted = 0;
    }
    s_repl_done = !more;
}

//  At the prompt, Ctrl-C gives up the line being typed or the request in
//  progress, not the session; Ctrl-D or quit ends it. The prompt reads a
//  key at a time (libedit's callback interface), so that events can be
//  printed while the user types.
static void
s_run_repl (gavel_session_t *session)
{
    s_repl_session = session;
    s_repl_done = false;
    gavel_watch_t *watch = gavel_session_watch (session);
    gavel_watch_set_prompt (watch, s_make_way);
    s_install_prompt (session);
    while (!s_repl_done) {
        s_repl_prompt = true;
        bool readable = gavel_watch_wait (watch, -1, true);
        if (zsys_interrupted) {
            //  Reinstalling starts an empty line under the dropped one
            zsys_interrupted = 0;
            rl_callback_handler_remove ();
            printf ("\n");
            s_install_prompt (session);
        }
        else
        if (readable) {
            //  libedit leaves the terminal as the line left it: installing
            //  again draws the prompt (with a new name after "as")
            s_repl_line = false;
            rl_callback_read_char ();
            if (s_repl_line && !s_repl_done)
                s_install_prompt (session);
        }
    }
    s_repl_prompt = false;
    rl_callback_handler_remove ();
    clear_history ();
}

static int
s_run_script (gavel_session_t *session, const char *path)
{
    if (streq (path, "-")) {
        gavel_session_run_file (session, stdin, "stdin");
        return 0;
    }
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "bidder: cannot open script %s: %s\n", path, strerror (errno));
        return -1;
    }
    gavel_session_run_file (session, file, path);
    fclose (file);
    return 0;
}


//  --------------------------------------------------------------------------
//  Start-up: options, name, endpoints

//  One wording for usage errors across Gavel's programs (common/gavel_cli)
#define s_usage_error(...) gavel_cli_usage_error ("bidder", s_usage, __VA_ARGS__)

//  Returns 0 to go on, 1 when --help was served, -1 on a usage error.
static int
s_parse_options (s_options_t *options, int argc, char *argv [])
{
    const gavel_cli_option_t table [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &options->cluster, "FILE", 0, 0,
          "send to the brokers of this cluster file, or to its\n"
          "replicas when it lists no broker" },
        { "connect", 0, GAVEL_CLI_LIST, &options->endpoints, "ENDPOINT", 0, 0,
          "send to this replica (repeat for several); with\n"
          "--cluster, to these of its endpoints only (CURVE\n"
          "needs the file: it lists the servers' keys)" },
        { "name", 0, GAVEL_CLI_TEXT, &options->name, "NAME", 0, 0,
          "bid as NAME (default: your login name)" },
        { "script", 0, GAVEL_CLI_TEXT, &options->script, "FILE|-", 0, 0,
          "run the commands in FILE (- for stdin); without it,\n"
          "a prompt when stdin is a terminal, else stdin" },
        { "pipeline", 0, GAVEL_CLI_INT, &options->pipeline, "D", 1, GAVEL_CLIENT_PIPELINE_MAX,
          "with --script: send up to D requests without waiting\n"
          "(open, and bid and result naming their auction, unless\n"
          "one out names it too or is an open); answers are\n"
          "printed in script order (default 1: one at a time)" },
        { "json", 0, GAVEL_CLI_FLAG, &options->json, NULL, 0, 0, "print one JSON object per line" },
        { "timeout", 0, GAVEL_CLI_INT, &options->timeout, "MS", 1, TIMEOUT_MAX,
          "wait MS for each reply (default: the cluster file's\n"
          "request_timeout, else 500)" },
        { "retries", 0, GAVEL_CLI_INT, &options->retries, "N", 0, RETRIES_MAX,
          "give each request (N+1) time-outs in all, resending\n"
          "it to another replica when no reply comes (default 10)" },
        { "history", 0, GAVEL_CLI_TEXT, &options->history, "FILE", 0, 0,
          "append a line to FILE for each open, bid and result\n"
          "done: invoke and complete times (us, monotonic),\n"
          "session, name, op, auction, amount (the reserve for\n"
          "open), outcome (none: no answer), reason, record" },
        { "keys", 0, GAVEL_CLI_TEXT, &options->keys, "DIR", 0, 0,
          "key directory: one CURVE key pair per bidder name,\n"
          "DIR/NAME and DIR/NAME_secret, made on first use\n"
          "(default: $GAVEL_KEYS, else ~/.config/gavel/keys);\n"
          "'as NAME' switches to NAME's key" },
        { "insecure", 0, GAVEL_CLI_FLAG, &options->insecure, NULL, 0, 0,
          "CURVE off: requests in clear, to a cluster that runs\n"
          "insecure too (for debugging)" },
        { "verbose", 0, GAVEL_CLI_FLAG, &options->verbose, NULL, 0, 0,
          "trace requests and replies on stderr" },
        { 0 }
    };
    //  The script language's help follows the options'
    char *notes = zsys_sprintf ("%s\n%s", s_notes, gavel_script_help ());
    const gavel_cli_spec_t spec = { "bidder", s_usage, NULL, notes, table, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    zstr_free (&notes);
    if (parsed)
        return parsed;
    if (!options->cluster && !options->endpoints.count) {
        s_usage_error ("no replica to talk to: give --cluster FILE or --connect ENDPOINT");
        return -1;
    }
    if (options->pipeline && !options->script) {
        s_usage_error ("--pipeline needs --script: at the prompt, each answer comes before the next line");
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
s_set_name (char *name, size_t size, const s_options_t *options)
{
    if (!options->name)
        return s_default_name (name, size);
    if (!gavel_text_valid_name (options->name)) {
        char quoted [48];
        gavel_text_quote (options->name, strlen (options->name), quoted, sizeof (quoted));
        s_usage_error ("--name '%s' is not valid: 1 to %d of A-Z a-z 0-9 _ . -",
                       quoted, GAVEL_NAME_MAX);
        return -1;
    }
    snprintf (name, size, "%s", options->name);
    return 0;
}

static int
s_open_history (gavel_session_t *session, const char *path)
{
    if (!path)
        return 0;
    char error [256];
    gavel_history_t *history = gavel_history_new (path, error, sizeof (error));
    if (!history) {
        s_usage_error ("cannot open --history %s: %s", path, error);
        return -1;
    }
    gavel_session_set_history (session, &history);
    return 0;
}

//  Connects to the replicas of the cluster file and takes its time-out.
static int
s_connect_cluster (gavel_client_t *client, const char *path, bool connect, int64_t *timeout)
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
        rc = gavel_client_connect (client, broker->client, error, sizeof (error));
        if (rc)
            fprintf (stderr, "bidder: %s: broker %" PRIu64 ": %s\n", path, broker->id, error);
    }
    for (size_t index = 0; connect && rc == 0 && gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        rc = gavel_client_connect (client, replica->client, error, sizeof (error));
        if (rc)
            fprintf (stderr, "bidder: %s: replica %" PRIu64 ": %s\n", path, replica->id, error);
    }
    if (connect && rc == 0 && gavel_client_endpoints (client) == 0) {
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
s_setup_curve (gavel_session_t *session, const s_options_t *options)
{
    if (options->insecure)
        return gavel_sock_curve_setup ("bidder", NULL, true, NULL, false);
    if (!options->cluster) {
        s_usage_error ("--connect alone gives no server key for CURVE: add --cluster FILE "
                       "(it lists the keys), or --insecure for a cluster that runs without CURVE");
        return -1;
    }
    char error [PATH_MAX + 256];
    char keys [PATH_MAX];
    if (gavel_keys_dir (options->keys, keys, sizeof (keys), error, sizeof (error))) {
        fprintf (stderr, "bidder: %s\n", error);
        return -1;
    }
    gavel_session_set_keys (session, keys);
    zcert_t *cert = gavel_keys_for_name (keys, gavel_session_name (session), error, sizeof (error));
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
s_connect (gavel_client_t *client, const s_options_t *options)
{
    int64_t timeout = GAVEL_CLIENT_TIMEOUT;
    if (options->cluster) {
        if (s_connect_cluster (client, options->cluster, options->endpoints.count == 0, &timeout))
            return -1;
    }
    for (size_t index = 0; index < options->endpoints.count; index++) {
        char error [512];
        if (gavel_client_connect (client, options->endpoints.items [index],
                                  error, sizeof (error))) {
            s_usage_error ("%s", error);
            return -1;
        }
    }
    if (options->timeout)
        timeout = options->timeout;
    gavel_client_set_timeout (client, timeout > 0? timeout: GAVEL_CLIENT_TIMEOUT);
    if (options->retries >= 0)
        gavel_client_set_retries (client, (unsigned) options->retries);
    gavel_client_set_verbose (client, options->verbose);
    return 0;
}

static int
s_run (gavel_session_t *session, const s_options_t *options)
{
    //  Answers must come out as they happen, interleaved right with errors
    //  on stderr, also when stdout is a pipe to a test or a tee
    setvbuf (stdout, NULL, _IOLBF, 0);
    if (options->script) {
        if (options->pipeline)
            gavel_session_set_pipeline (session, (size_t) options->pipeline);
        if (s_run_script (session, options->script))
            return EXIT_USAGE;
    }
    else
    if (isatty (STDIN_FILENO))
        s_run_repl (session);
    else
        gavel_session_run_file (session, stdin, "stdin");
    return gavel_session_status (session);
}

int
main (int argc, char *argv [])
{
    s_options_t options = { .retries = -1 };
    int rc = s_parse_options (&options, argc, argv);

    char name [GAVEL_NAME_MAX + 1];
    if (rc == 0 && s_set_name (name, sizeof (name), &options))
        rc = -1;
    gavel_session_t *session = NULL;
    if (rc == 0) {
        session = gavel_session_new (name, options.cluster, options.json, stdout);
        if (s_open_history (session, options.history)
        ||  s_setup_curve (session, &options)
        ||  s_connect (gavel_session_client (session), &options))
            rc = -1;
    }
    int status = rc > 0? EXIT_SUCCESS: rc < 0? EXIT_USAGE: s_run (session, &options);

    gavel_session_destroy (&session);
    gavel_sock_curve_end ();
    return status;
}
