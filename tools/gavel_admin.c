/*  gavel-admin: a cluster seen from any host that has its cluster file.

    gavel-admin --cluster FILE [options] status | watch | keys check

    status asks every replica and broker STATUS at once (gavel_census) and
    prints a row each; watch does so every --interval and prints what
    changed; keys check tells, for every server of the file, whether its
    secret certificate here (if this host has it) holds the file's public
    key, and whether the server answers a CURVE handshake made with that
    key. Its own key pair is made in memory: client endpoints admit any key
    unless cluster/settings/bidder_allow says otherwise.
*/
#include "gavel_cli.h"
#include "gavel_census.h"
#include "gavel_eventline.h"
#include "gavel_fetcher.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#define EXIT_UNHEALTHY  1
#define EXIT_USAGE      2
#define INTERVAL_MAX    3600000

static const char *s_synopsis =
    "usage: gavel-admin --cluster FILE [--json] [--timeout MS] [--insecure] status\n"
    "       gavel-admin --cluster FILE [--interval MS] [--count N] [--timeout MS] [--insecure] watch\n"
    "       gavel-admin --cluster FILE [--json] [--insecure] history N\n"
    "       gavel-admin --cluster FILE [--timeout MS] keys check\n";

static const char *s_about =
    "The cluster of FILE seen from this host: every replica's state (role,\n"
    "term, commit, applied and last index, lag behind the primary's log) and\n"
    "every broker's, each asked STATUS over the network.\n"
    "\n"
    "  status       one row per server, or one JSON object per line (--json)\n"
    "  watch        the rows every --interval, then what changed: a new\n"
    "               primary, a server down or up, a replica falling behind\n"
    "               (1000 entries or more) or caught up; until SIGINT, or\n"
    "               --count rounds\n"
    "  history N    the last N events of the feed (1 to 10000), asked of the\n"
    "               brokers, then the replicas, one line each (or JSON)\n"
    "  keys check   per server: does its secret certificate on this host\n"
    "               (if here) hold the file's public key, and does the\n"
    "               server answer a CURVE handshake made with that key\n";

static const char *s_notes =
    "Exit status: 0 healthy (status: every server up, one primary, none\n"
    "behind; history: answered; keys check: every key matches and is\n"
    "answered), 1 not, 2 usage error or a cluster file that does not load.\n";

typedef struct {
    const char *cluster;
    bool json;
    bool insecure;
    int64_t timeout;
    int64_t interval;
    int64_t count;
    gavel_cli_list_t operands;
} s_options_t;

//  STATUS once, printed; healthy or not
static int
s_status (gavel_config_t *config, const s_options_t *options)
{
    gavel_census_t *census = gavel_census_new (config, "gavel-admin");
    gavel_census_take (census, options->timeout);
    gavel_census_print (census, options->json, stdout);
    bool healthy = gavel_census_healthy (census);
    gavel_census_destroy (&census);
    return healthy? 0: EXIT_UNHEALTHY;
}

//  The rows every interval, and the changes since the round before
static int
s_watch (gavel_config_t *config, const s_options_t *options)
{
    gavel_census_t *census = gavel_census_new (config, "gavel-admin");
    gavel_census_t *before = gavel_census_new (config, "gavel-admin");
    bool healthy = false;
    for (int64_t round = 0; !zsys_interrupted && (!options->count || round < options->count); round++) {
        int64_t started = zclock_mono ();
        gavel_census_take (census, options->timeout);
        time_t now = time (NULL);
        char stamp [32];
        strftime (stamp, sizeof stamp, "%H:%M:%S", localtime (&now));
        printf ("-- %s\n", stamp);
        gavel_census_print (census, false, stdout);
        if (round)
            gavel_census_changes (census, before, stdout);
        fflush (stdout);
        healthy = gavel_census_healthy (census);
        gavel_census_t *swap = before;
        before = census;
        census = swap;
        int64_t left = started + options->interval - zclock_mono ();
        if ((!options->count || round + 1 < options->count) && left > 0 && !zsys_interrupted)
            zclock_sleep ((int) left);
    }
    gavel_census_destroy (&census);
    gavel_census_destroy (&before);
    return healthy? 0: EXIT_UNHEALTHY;
}

//  The last count events, from the first broker or replica that answers
static int
s_history (gavel_config_t *config, const s_options_t *options, uint64_t count)
{
    gavel_fetcher_t *fetcher = gavel_fetcher_new ("gavel-admin", config);
    gavel_msg_t *reply = NULL;
    for (size_t endpoint = 0; !reply && endpoint < gavel_fetcher_size (fetcher); endpoint++) {
        reply = gavel_fetcher_ask (fetcher, endpoint, endpoint + 1, 0, count);
        if (reply && gavel_msg_outcome (reply) != GAVEL_SUCCESS)
            gavel_msg_destroy (&reply);
    }
    gavel_fetcher_destroy (&fetcher);
    if (!reply) {
        fprintf (stderr, "gavel-admin: no broker or replica answered the history request\n");
        return EXIT_UNHEALTHY;
    }
    //  Each record as the event it stands for, put as zmq-tail puts it
    //  (which, like zmq-tail, names replica 1 as its sender: a record
    //  does not say which replica published it)
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        gavel_msg_t *event = gavel_msg_new_history_event (record, 1);
        if (!event || !gavel_eventline_put (stdout, event, options->json, 0))
            puts (record);      //  not an event we know: as it came
        gavel_msg_destroy (&event);
    }
    gavel_msg_destroy (&reply);
    return 0;
}

//  One server's key: its secret here, and a handshake with its public key
static bool
s_check_key (const char *kind, uint64_t id, const char *client, const char *public_key,
             const char *secret, int64_t timeout)
{
    char error [PATH_MAX + 256];
    const char *here = "its secret is not on this host";
    bool matches = true;
    if (*secret && access (secret, F_OK) == 0) {
        zcert_t *cert = gavel_keys_load_secret (secret, public_key, error, sizeof error);
        here = cert? "its secret here holds that key": error;
        matches = cert != NULL;
        zcert_destroy (&cert);
    }
    gavel_status_answer_t answer;
    bool answered = gavel_status_ask ("gavel-admin", client, timeout, &answer) == GAVEL_STATUS_ANSWERED;
    printf ("%s %" PRIu64 ": %s; %s; %s\n", kind, id, matches && answered? "ok": "BAD", here,
            answered? "it answers a handshake with that key"
                    : "no answer to a handshake with that key (down, or it holds another)");
    return matches && answered;
}

static int
s_keys_check (gavel_config_t *config, const s_options_t *options)
{
    bool good = true;
    for (size_t index = 0; index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *conf = gavel_config_replica (config, index);
        good &= s_check_key ("replica", conf->id, conf->client, conf->public_key, conf->secret,
                             options->timeout);
    }
    for (size_t index = 0; index < gavel_config_brokers (config); index++) {
        const gavel_broker_conf_t *conf = gavel_config_broker (config, index);
        good &= s_check_key ("broker", conf->id, conf->client, conf->public_key, conf->secret,
                             options->timeout);
    }
    return good? 0: EXIT_UNHEALTHY;
}

int
main (int argc, char *argv [])
{
    s_options_t options = { .timeout = 500, .interval = 1000 };
    const gavel_cli_option_t table [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &options.cluster, "FILE", 0, 0,
          "the cluster file (required)" },
        { "json", 0, GAVEL_CLI_FLAG, &options.json, NULL, 0, 0,
          "status: one JSON object per server and line" },
        { "timeout", 0, GAVEL_CLI_INT, &options.timeout, "MS", 1, 60000,
          "wait MS for each server's answer (default 500)" },
        { "interval", 0, GAVEL_CLI_INT, &options.interval, "MS", 10, INTERVAL_MAX,
          "watch: between rounds (default 1000)" },
        { "count", 0, GAVEL_CLI_INT, &options.count, "N", 1, INT64_MAX,
          "watch: stop after N rounds (default: at SIGINT)" },
        { "insecure", 0, GAVEL_CLI_FLAG, &options.insecure, NULL, 0, 0,
          "CURVE off, for a cluster that runs without it" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "gavel-admin", s_synopsis, s_about, s_notes, table,
                                    &options.operands };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: EXIT_USAGE;
    const char *command = options.operands.count? options.operands.items [0]: "";
    bool keys = streq (command, "keys") && options.operands.count == 2
             && streq (options.operands.items [1], "check");
    bool history = streq (command, "history");
    uint64_t count = 0;
    if (history && (options.operands.count != 2
                    || gavel_text_parse_uint (options.operands.items [1], 1, GAVEL_HISTORY_MAX, &count, NULL))) {
        gavel_cli_usage_error ("gavel-admin", s_synopsis, "history takes how many events: N, 1 to %d",
                               GAVEL_HISTORY_MAX);
        return EXIT_USAGE;
    }
    if (!options.cluster) {
        gavel_cli_usage_error ("gavel-admin", s_synopsis, "give the cluster file: --cluster FILE");
        return EXIT_USAGE;
    }
    if (!keys && !history
    &&  (options.operands.count != 1 || (!streq (command, "status") && !streq (command, "watch")))) {
        gavel_cli_usage_error ("gavel-admin", s_synopsis, "say what to do: status, watch, history N or keys check");
        return EXIT_USAGE;
    }
    if (keys && options.insecure) {
        gavel_cli_usage_error ("gavel-admin", s_synopsis, "keys check needs CURVE: leave out --insecure");
        return EXIT_USAGE;
    }
    char error [PATH_MAX + 256];
    gavel_config_t *config = gavel_config_load (options.cluster, error, sizeof error);
    if (!config) {
        fprintf (stderr, "gavel-admin: %s\n", error);
        return EXIT_USAGE;
    }
    if (keys && !gavel_config_secure (config)) {
        printf ("the cluster file lists no keys: the cluster runs without CURVE\n");
        gavel_config_destroy (&config);
        return EXIT_UNHEALTHY;
    }
    int rc = EXIT_USAGE;
    if (gavel_sock_curve_setup ("gavel-admin", config, options.insecure, NULL, false) == 0)
        rc = keys? s_keys_check (config, &options)
           : history? s_history (config, &options, count)
           : streq (command, "status")? s_status (config, &options)
           : s_watch (config, &options);
    gavel_config_destroy (&config);
    gavel_sock_curve_end ();
    return rc;
}
