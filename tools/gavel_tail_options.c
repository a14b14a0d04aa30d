/*  gavel_tail_options: zmq-tail's command line, its help, and the strict
    parsing of it.
*/
#include "gavel_tail_options.h"
#include "gavel_capture.h"
#include "gavel_cli.h"


#define EXIT_USAGE      2
#define COUNT_MAX       INT64_MAX
#define LINES_MAX       1000000     //  -n

static const char *s_usage =
    "usage: zmq-tail [ENDPOINT...] [--cluster FILE] [--json | --raw]\n"
    "                [--auction ID] [--topic PREFIX]... [--count N] [-n N]\n"
    "                [--hwm N] [--insecure]\n"
    "                [--help]\n";

static const char *s_about =
    "Follows ZeroMQ PUB sockets like tail -f: Gavel's event feed, one line per\n"
    "event, or with --raw the frames of any PUB socket: each ENDPOINT given\n"
    "(tcp://HOST:PORT, ipc://PATH), or the cluster's with --cluster.\n";

static const char *s_notes =
    "Notes on stderr: connected, lost and reconnected endpoints, and holes in\n"
    "the feed's numbering (events missed: fetched back when --cluster is given).\n"
    "Exits 0 on SIGINT or SIGTERM and after --count; 2 for usage errors.\n";

//  One wording for usage errors across Gavel's programs (common/gavel_cli)
#define s_usage_error(...) gavel_cli_usage_error ("zmq-tail", s_usage, __VA_ARGS__)

static int
s_check_options (gavel_tail_options_t *options)
{
    if (!options->cluster && !options->endpoints.count) {
        s_usage_error ("nothing to follow: give ENDPOINT... or --cluster FILE");
        return -1;
    }
    if (options->raw && options->json) {
        s_usage_error ("--raw prints frames as they are; --json is for events");
        return -1;
    }
    if (options->raw && options->auction) {
        s_usage_error ("--raw decodes nothing, so it cannot pick an --auction");
        return -1;
    }
    if (options->raw && options->lines) {
        s_usage_error ("-n needs a Gavel event feed's history; --raw has none");
        return -1;
    }
    if (options->topics.count == 0)
        options->topics.items [options->topics.count++] = options->raw? "": "event";
    if (!options->insecure && !options->cluster) {
        s_usage_error ("with CURVE the servers' keys come from --cluster FILE: give it (it "
                       "must list the ENDPOINTs), or --insecure for a plain PUB socket");
        return -1;
    }
    return 0;
}

int
gavel_tail_options_parse (gavel_tail_options_t *options, int argc, char *argv [])
{
    *options = (gavel_tail_options_t) { 0 };
    int64_t auction = 0;
    const gavel_cli_option_t table [] = {
        { "cluster", 0, GAVEL_CLI_TEXT, &options->cluster, "FILE", 0, 0,
          "connect to every broker's pub endpoint in FILE, or\n"
          "every replica's when it lists no broker" },
        { "json", 0, GAVEL_CLI_FLAG, &options->json, NULL, 0, 0,
          "one JSON object per event: index, term, from, stamp\n"
          "and the record's keys (numbers as numbers)" },
        { "raw", 0, GAVEL_CLI_FLAG, &options->raw, NULL, 0, 0,
          "decode nothing: print each message's frames, as text\n"
          "when printable UTF-8, else as 0x hex" },
        { "auction", 0, GAVEL_CLI_INT, &auction, "ID", 1, INT64_MAX, "only the events of auction ID" },
        { "topic", 0, GAVEL_CLI_LIST, &options->topics, "PREFIX", 0, 0,
          "subscribe to PREFIX (repeat for several); default\n"
          "'event', or everything with --raw" },
        { "count", 0, GAVEL_CLI_INT, &options->count, "N", 1, COUNT_MAX,
          "exit after printing N events (messages with --raw)" },
        { "lines", 'n', GAVEL_CLI_INT, &options->lines, "N", 0, LINES_MAX,
          "print the last N events first (a history request\n"
          "to the cluster's brokers or replicas: needs --cluster)" },
        { "hwm", 0, GAVEL_CLI_INT, &options->hwm, "N", 1, INT32_MAX,
          "queue about N events per feed at most (ZMQ_RCVHWM and\n"
          "a kernel buffer to match; default: libzmq's 1000 and\n"
          "the kernel's); a subscriber that falls further behind\n"
          "misses events and fetches them back from the history" },
        { "insecure", 0, GAVEL_CLI_FLAG, &options->insecure, NULL, 0, 0,
          "CURVE off: follow a plain PUB socket (any ZeroMQ\n"
          "publisher, or a cluster run with --insecure). With\n"
          "CURVE (the default) the servers' keys come from\n"
          "--cluster FILE, which must name every ENDPOINT, and\n"
          "the cluster's feed is its brokers' (the replicas'\n"
          "pub admits only the cluster's own keys)" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "zmq-tail", s_usage, s_about, s_notes, table, &options->endpoints };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: EXIT_USAGE;
    options->auction = (uint64_t) auction;
    return s_check_options (options) == 0? -1: EXIT_USAGE;
}


//  gavel_tail_options_parse on line (words split on spaces), with what it
//  printed in printed. The caller frees printed, and words (the options
//  point into it) once done.
static int
s_test_parse_into (void *options, int argc, char *argv [])
{
    return gavel_tail_options_parse ((gavel_tail_options_t *) options, argc, argv);
}

static int
s_test_parse (gavel_tail_options_t *options, const char *line, char **printed, char **words)
{
    return gavel_cli_try ("zmq-tail", line, s_test_parse_into, options, printed, words);
}

void
gavel_tail_options_test (bool verbose)
{
    printf (" * gavel_tail_options: ");
    fflush (stdout);
    gavel_tail_options_t options;
    char *printed, *words;
    struct {
        const char *line;
        int rc;
        const char *says;       //  in what it printed
    } cases [] = {
        { "--help", 0, "usage: zmq-tail [ENDPOINT...]" },
        { "-h", 0, "  -h, --help           print this and exit\n" },
        { "", 2, "zmq-tail: nothing to follow: give ENDPOINT... or --cluster FILE\n"
                 "usage: zmq-tail" },
        { "e --insecure --raw --json", 2, "--raw prints frames as they are" },
        { "e --insecure --raw --auction 3", 2, "--raw decodes nothing" },
        { "e --insecure --raw -n 3", 2, "-n needs a Gavel event feed's history" },
        { "e --insecure --count 0", 2, "zmq-tail: --count '0' is out of range (1 to " },
        { "e --insecure -n 1000001", 2, "-n '1000001' is out of range (0 to 1000000)" },
        { "e --insecure --hwm x", 2, "--hwm 'x'" },
        { "e --insecure --auction -1", 2, "--auction '-1'" },
        { "--cluster a --cluster b", 2, "zmq-tail: give --cluster once\n" },
        { "e", 2, "with CURVE the servers' keys come from --cluster FILE" },
        { "e --insecure --bogus", 2, "(zmq-tail --help for more)\n" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        int rc = s_test_parse (&options, cases [index].line, &printed, &words);
        if (verbose || rc != cases [index].rc || !strstr (printed, cases [index].says))
            fprintf (stderr, "\n  '%s': %d, said '%s'\n", cases [index].line, rc, printed);
        assert (rc == cases [index].rc);
        assert (strstr (printed, cases [index].says));
        zstr_free (&printed);
        zstr_free (&words);
    }

    //  A complete line: endpoints in order, topics, numbers
    int rc = s_test_parse (&options, "tcp://a:1 --json --topic x --cluster c.txt tcp://b:2 "
                           "--topic y --auction 5 --count 9 -n 4 --hwm 100", &printed, &words);
    assert (rc == -1 && streq (printed, ""));
    assert (options.endpoints.count == 2);
    assert (streq (options.endpoints.items [0], "tcp://a:1") && streq (options.endpoints.items [1], "tcp://b:2"));
    assert (options.topics.count == 2);
    assert (streq (options.topics.items [0], "x") && streq (options.topics.items [1], "y"));
    assert (streq (options.cluster, "c.txt") && options.json && !options.raw && !options.insecure);
    assert (options.auction == 5 && options.count == 9 && options.lines == 4 && options.hwm == 100);
    zstr_free (&printed);
    zstr_free (&words);

    //  The default topic: events, or everything with --raw
    rc = s_test_parse (&options, "tcp://a:1 --insecure", &printed, &words);
    assert (rc == -1 && options.topics.count == 1 && streq (options.topics.items [0], "event"));
    assert (options.insecure && options.count == 0 && options.lines == 0 && options.hwm == 0);
    zstr_free (&printed);
    zstr_free (&words);
    rc = s_test_parse (&options, "tcp://a:1 --insecure --raw", &printed, &words);
    assert (rc == -1 && options.topics.count == 1 && streq (options.topics.items [0], ""));
    zstr_free (&printed);
    zstr_free (&words);
    printf ("OK\n");
}
