/*  broker: the front door of a Gavel cluster.

    broker --cluster FILE --id B [--hold MS] [--verbose]

    Serves bidders on broker B's client endpoint of the cluster file and
    re-publishes the committed event feed on its pub endpoint, until SIGINT
    or SIGTERM. It keeps nothing on disk: run as many as you like.
*/
#include "gavel_broker.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_text.h"

//  The replica's rule (docs/OPERATIONS.md): 2 when what it was given does
//  not do (a flag, the cluster file, a key), 1 when the run fails
#define EXIT_FAILED 1
#define EXIT_USAGE  2

static const char *s_usage =
    "usage: broker --cluster FILE --id B [--hold MS] [--insecure] [--verbose]\n"
    "  --cluster FILE   the cluster file; its broker section lists B\n"
    "  --id B           which broker of the file this is\n"
    "  --hold MS        how long a request may wait for a primary before the\n"
    "                   bidder hears no-quorum (default: the file's\n"
    "                   cluster/settings/broker_hold, else 5000)\n"
    "  --insecure       CURVE off: traffic in clear, anyone may connect (for\n"
    "                   debugging; the replicas must run so too). With CURVE (the\n"
    "                   default) the file lists every server's public_key and\n"
    "                   this broker's secret certificate (broker/B/secret)\n"
    "  --verbose        log each history fetch\n";

static int
s_usage_error (const char *format, const char *arg)
{
    fprintf (stderr, "broker: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, "\n%s", s_usage);
    return EXIT_USAGE;
}

int
main (int argc, char *argv [])
{
    const char *cluster = NULL, *id_text = NULL, *hold_text = NULL;
    bool verbose = false, insecure = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char **value = streq (arg, "--cluster")? &cluster:
                             streq (arg, "--id")? &id_text:
                             streq (arg, "--hold")? &hold_text: NULL;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            printf ("%s", s_usage);
            return 0;
        }
        if (streq (arg, "--verbose") || streq (arg, "-v"))
            verbose = true;
        else
        if (streq (arg, "--insecure"))
            insecure = true;
        else
        if (!value)
            return s_usage_error ("unknown argument '%s'", arg);
        else
        if (index + 1 >= argc)
            return s_usage_error ("%s needs a value", arg);
        else
            *value = argv [++index];
    }
    if (!cluster || !id_text)
        return s_usage_error ("%s", "--cluster and --id are required");
    uint64_t id;
    int64_t hold = 0;
    const char *why;
    if (gavel_text_parse_uint (id_text, 1, GAVEL_BROKERS_MAX, &id, &why))
        return s_usage_error ("--id '%s' is not a broker id (1 to 7)", id_text);
    if (hold_text && gavel_text_parse_int (hold_text, 1, 3600000, &hold, &why))
        return s_usage_error ("--hold '%s' is not a time in ms (1 to 3600000)", hold_text);

    zsys_init ();
    char error [512];
    gavel_config_t *config = gavel_config_load (cluster, error, sizeof error);
    if (!config) {
        fprintf (stderr, "broker: %s\n", error);
        return EXIT_USAGE;
    }
    const gavel_broker_conf_t *me = gavel_config_find_broker (config, id);
    if (!me) {
        fprintf (stderr, "broker: %s lists no broker %" PRIu64 "\n", cluster, id);
        gavel_config_destroy (&config);
        return EXIT_USAGE;
    }
    if (gavel_sock_curve_setup_server (config, cluster, "broker", id, me->secret,
                                       me->public_key, insecure)) {
        gavel_config_destroy (&config);
        return EXIT_USAGE;
    }
    gavel_broker_t *broker = gavel_broker_new (config, id, error, sizeof error);
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
