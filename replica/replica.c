/*  replica: a member of a Gavel replica set.

    Today a cluster of one: it serves the auction house alone on its client
    endpoint. Settings come from the cluster file, flags override them.
*/
#include "gavel_cli.h"
#include "gavel_node.h"
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_sock.h"

static void
s_on_signal (int signal)
{
    zsys_interrupted = 1;       //  the poll loop checks it every turn
}

static const char *s_synopsis =
    "usage: replica --cluster FILE --id ID [options]\n"
    "       replica --client ENDPOINT [options]\n";

static const char *s_about =
    "Serves a Gavel auction house (docs/PROTOCOL.md) on a ZeroMQ ROUTER.\n";

static const char *s_notes =
    "With CURVE (the default) the cluster file lists every server's public_key\n"
    "and this replica's secret certificate (secret = PATH, docs/OPERATIONS.md).\n"
    "Stops cleanly on SIGINT or SIGTERM. Exit status: 0 stopped, 1 failed at\n"
    "run time, 2 usage error or bad configuration.\n";

int
main (int argc, char *argv [])
{
    //  SIGINT and SIGTERM stop a replica cleanly however it was started
    gavel_cli_catch_stop (s_on_signal);
    const char *cluster_file = NULL;
    int64_t id_given = 0;       //  0: not given
    const char *client = NULL;
    bool insecure = false, verbose = false;
    const gavel_cli_option_t options [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &cluster_file, "FILE", 0, 0,
          "cluster file (ZPL) listing the replicas" },
        { "id", 0, GAVEL_CLI_INT, &id_given, "ID", 1, GAVEL_REPLICAS_MAX,
          "which replica of the cluster file this is (1-7)" },
        { "client", 0, GAVEL_CLI_TEXT, &client, "ENDPOINT", 0, 0,
          "serve alone on this endpoint, keeping nothing on\n"
          "disk (for example tcp://127.0.0.1:21001)" },
        { "insecure", 0, GAVEL_CLI_FLAG, &insecure, NULL, 0, 0,
          "CURVE off: traffic in clear, anyone may connect (for\n"
          "debugging; every process of the cluster must say it)" },
        //  Reserved: every event is logged already
        { "verbose", 0, GAVEL_CLI_FLAG, &verbose, NULL, 0, 0, "log more" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "replica", s_synopsis, s_about, s_notes, options, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: 2;
    uint64_t id = id_given? (uint64_t) id_given: 1;
    const char *problem = cluster_file && client? "give --cluster FILE --id ID, or --client ENDPOINT, not both":
                          !cluster_file && !client? "say where to serve: --cluster FILE --id ID, or --client ENDPOINT":
                          cluster_file && !id_given? "--cluster needs --id to say which replica this is": NULL;
    if (problem) {
        gavel_cli_usage_error ("replica", s_synopsis, "%s", problem);
        return 2;
    }
    char error [512];
    gavel_config_t *config = NULL;
    if (cluster_file)
        config = gavel_config_load (cluster_file, error, sizeof error);
    else {
        //  A replica alone, with nothing kept: for trying things out
        char text [600];
        snprintf (text, sizeof text, "replica\n    %" PRIu64 "\n        client = %s\n", id, client);
        config = gavel_config_parse (text, "--client", error, sizeof error);
    }
    if (!config) {
        fprintf (stderr, "replica: %s\n", error);
        return 2;
    }
    if (!gavel_config_find (config, id)) {
        fprintf (stderr, "replica: %s lists no replica %" PRIu64 "\n", cluster_file, id);
        gavel_config_destroy (&config);
        return 2;
    }
    char ident [32];
    snprintf (ident, sizeof ident, "replica-%" PRIu64, id);
    zsys_set_logident (ident);
    const gavel_replica_conf_t *me = gavel_config_find (config, id);
    if (gavel_sock_curve_setup_server (config, cluster_file, "replica", id, me->secret,
                                       me->public_key, insecure)) {
        gavel_config_destroy (&config);
        return 2;
    }
    bool bad_data;
    gavel_node_t *node = gavel_node_new (config, id, &bad_data, error, sizeof error);
    int rc = 1;
    if (node) {
        rc = gavel_node_run (node, NULL);
        gavel_node_destroy (&node);
    }
    else {
        //  A data directory that does not load is a bad input, like a bad
        //  cluster file (2); a port in use or the like may pass (1)
        fprintf (stderr, "replica: %s\n", error);
        rc = bad_data? 2: 1;
    }
    gavel_sock_curve_end ();
    gavel_config_destroy (&config);
    return rc;
}
