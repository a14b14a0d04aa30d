/*  broker: the front door of a Gavel cluster.

    broker --cluster FILE --id B [--hold MS] [--verbose]

    Serves bidders on broker B's client endpoint of the cluster file and
    re-publishes the committed event feed on its pub endpoint, until SIGINT
    or SIGTERM. It keeps nothing on disk: run as many as you like.
*/
#include "gavel_broker.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_cli.h"

//  The replica's rule (docs/OPERATIONS.md): 2 when what it was given does
//  not do (a flag, the cluster file, a key), 1 when the run fails
#define EXIT_FAILED 1
#define EXIT_USAGE  2

static const char *s_synopsis =
    "usage: broker --cluster FILE --id B [--hold MS] [--insecure] [--verbose]\n";

static const char *s_notes =
    "Exit status: 0 stopped (SIGINT or SIGTERM), 1 failed at run time, 2 usage\n"
    "error or bad configuration.\n";

int
main (int argc, char *argv [])
{
    const char *cluster = NULL;
    int64_t id = 0, hold = 0;
    bool verbose = false, insecure = false;
    const gavel_cli_option_t options [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &cluster, "FILE", 0, 0,
          "the cluster file; its broker section lists B" },
        { "id", 0, GAVEL_CLI_INT, &id, "B", 1, GAVEL_BROKERS_MAX, "which broker of the file this is" },
        { "hold", 0, GAVEL_CLI_INT, &hold, "MS", 1, 3600000,
          "how long a request may wait for a primary before the\n"
          "bidder hears no-quorum (default: the file's\n"
          "cluster/settings/broker_hold, else 5000)" },
        { "insecure", 0, GAVEL_CLI_FLAG, &insecure, NULL, 0, 0,
          "CURVE off: traffic in clear, anyone may connect (for\n"
          "debugging; the replicas must run so too). With CURVE (the\n"
          "default) the file lists every server's public_key and\n"
          "this broker's secret certificate (broker/B/secret)" },
        { "verbose", 'v', GAVEL_CLI_FLAG, &verbose, NULL, 0, 0, "log each history fetch" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "broker", s_synopsis, NULL, s_notes, options, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: EXIT_USAGE;
    if (!cluster || !id) {
        gavel_cli_usage_error ("broker", s_synopsis, "--cluster and --id are required");
        return EXIT_USAGE;
    }

    zsys_init ();
    char error [512];
    gavel_config_t *config = gavel_config_load (cluster, error, sizeof error);
    if (!config) {
        fprintf (stderr, "broker: %s\n", error);
        return EXIT_USAGE;
    }
    const gavel_broker_conf_t *me = gavel_config_find_broker (config, (uint64_t) id);
    if (!me) {
        fprintf (stderr, "broker: %s lists no broker %" PRId64 "\n", cluster, id);
        gavel_config_destroy (&config);
        return EXIT_USAGE;
    }
    if (gavel_sock_curve_setup_server (config, cluster, "broker", (uint64_t) id, me->secret,
                                       me->public_key, insecure)) {
        gavel_config_destroy (&config);
        return EXIT_USAGE;
    }
    gavel_broker_t *broker = gavel_broker_new (config, (uint64_t) id, error, sizeof error);
    if (!broker) {
        fprintf (stderr, "broker: %s: %s\n", cluster, error);
        gavel_sock_curve_end ();
        gavel_config_destroy (&config);
        return EXIT_FAILED;
    }
    if (hold)
        gavel_broker_set_hold (broker, hold);
    gavel_broker_set_verbose (broker, verbose);
    gavel_broker_run (broker);
    gavel_broker_destroy (&broker);
    gavel_sock_curve_end ();
    gavel_config_destroy (&config);
    return 0;
}
