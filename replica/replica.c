/*  replica: a member of a Gavel replica set.

    Today a cluster of one: it serves the auction house alone on its client
    endpoint. Settings come from the cluster file, flags override them.
*/
#include "gavel_cli.h"
#include "gavel_node.h"
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_text.h"

static void
s_on_signal (int signal)
{
    zsys_interrupted = 1;       //  the poll loop checks it every turn
}

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: replica --cluster FILE --id ID [options]\n"
        "       replica --client ENDPOINT [options]\n"
        "\n"
        "Serves a Gavel auction house (docs/PROTOCOL.md) on a ZeroMQ ROUTER.\n"
        "\n"
        "  --cluster FILE      cluster file (ZPL) listing the replicas\n"
        "  --id ID             which replica of the cluster file this is (1-7)\n"
        "  --client ENDPOINT   serve alone on this endpoint, keeping nothing on\n"
        "                      disk (for example tcp://127.0.0.1:21001)\n"
        "  --insecure          CURVE off: traffic in clear, anyone may connect (for\n"
        "                      debugging; every process of the cluster must say it)\n"
        "  --verbose           log more\n"
        "  --help              this text\n"
        "\n"
        "With CURVE (the default) the cluster file lists every server's public_key\n"
        "and this replica's secret certificate (secret = PATH, docs/OPERATIONS.md).\n"
        "Stops cleanly on SIGINT or SIGTERM.\n");
}

int
main (int argc, char *argv [])
{
    //  SIGINT and SIGTERM stop a replica cleanly however it was started
    gavel_cli_catch_stop (s_on_signal);
    const char *cluster_file = NULL;
    const char *id_text = NULL;
    const char *client = NULL;
    bool insecure = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        bool has_value = index + 1 < argc;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "--verbose"))
            ;       //  reserved: every event is logged already
        else
        if (streq (arg, "--insecure"))
            insecure = true;
        else
        if (streq (arg, "--cluster") && has_value)
            cluster_file = argv [++index];
        else
        if (streq (arg, "--id") && has_value)
            id_text = argv [++index];
        else
        if (streq (arg, "--client") && has_value)
            client = argv [++index];
        else {
            fprintf (stderr, "replica: %s '%s'\n", has_value || arg [0] != '-'
                     ? "unknown argument": "missing value for", arg);
            s_usage (stderr);
            return 2;
        }
    }
    uint64_t id = 1;
    const char *why;
    if (id_text && gavel_text_parse_uint (id_text, 1, GAVEL_REPLICAS_MAX, &id, &why)) {
        fprintf (stderr, "replica: --id '%s' %s (1 to %d)\n", id_text, why, GAVEL_REPLICAS_MAX);
        return 2;
    }
    if (cluster_file && client) {
        fprintf (stderr, "replica: give --cluster FILE --id ID, or --client ENDPOINT, not both\n");
        return 2;
    }
    if (!cluster_file && !client) {
        fprintf (stderr, "replica: say where to serve: --cluster FILE --id ID, or --client ENDPOINT\n");
        s_usage (stderr);
        return 2;
    }
    if (cluster_file && !id_text) {
        fprintf (stderr, "replica: --cluster needs --id to say which replica this is\n");
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
