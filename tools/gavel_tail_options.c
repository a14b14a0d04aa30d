/*  gavel_tail_options: zmq-tail's command line, its help, and the strict
    parsing of it.
*/
#include "gavel_tail_options.h"
#include "gavel_capture.h"
#include "gavel_cli.h"

#include <getopt.h>

#define EXIT_USAGE      2
#define COUNT_MAX       INT64_MAX
#define LINES_MAX       1000000     //  -n

static const char *s_usage =
    "usage: zmq-tail [ENDPOINT...] [--cluster FILE] [--json | --raw]\n"
    "                [--auction ID] [--topic PREFIX]... [--count N] [-n N]\n"
    "                [--hwm N] [--insecure]\n"
    "                [--help]\n";

static const char *s_options_help =
    "Follows ZeroMQ PUB sockets like tail -f: Gavel's event feed, one line per\n"
    "event, or with --raw the frames of any PUB socket.\n"
    "\n"
    "  ENDPOINT             connect to this PUB socket (tcp://HOST:PORT, ipc://PATH)\n"
    "  --cluster FILE       connect to every broker's pub endpoint in FILE, or\n"
    "                       every replica's when it lists no broker\n"
    "  --json               one JSON object per event: index, term, from, stamp\n"
    "                       and the record's keys (numbers as numbers)\n"
    "  --raw                decode nothing: print each message's frames, as text\n"
    "                       when printable UTF-8, else as 0x hex\n"
    "  --auction ID         only the events of auction ID\n"
    "  --topic PREFIX       subscribe to PREFIX (repeat for several); default\n"
    "                       'event', or everything with --raw\n"
    "  --count N            exit after printing N events (messages with --raw)\n"
    "  -n, --lines N        print the last N events first (a history request\n"
    "                       to the cluster's brokers or replicas: needs --cluster)\n"
    "  --hwm N              queue about N events per feed at most (ZMQ_RCVHWM and\n"
    "                       a kernel buffer to match; default: libzmq's 1000 and\n"
    "                       the kernel's); a subscriber that falls further behind\n"
    "                       misses events and fetches them back from the history\n"
    "  --insecure           CURVE off: follow a plain PUB socket (any ZeroMQ\n"
    "                       publisher, or a cluster run with --insecure). With\n"
    "                       CURVE (the default) the servers' keys come from\n"
    "                       --cluster FILE, which must name every ENDPOINT, and\n"
    "                       the cluster's feed is its brokers' (the replicas'\n"
    "                       pub admits only the cluster's own keys)\n"
    "  -h, --help           print this and exit\n"
    "\n"
    "Notes on stderr: connected, lost and reconnected endpoints, and holes in\n"
    "the feed's numbering (events missed: fetched back when --cluster is given).\n"
    "Exits 0 on SIGINT or SIGTERM and after --count; 2 for usage errors.\n";

//  One wording for usage errors across Gavel's programs (common/gavel_cli)
#define s_usage_error(...) gavel_cli_usage_error ("zmq-tail", s_usage, __VA_ARGS__)
#define s_option_int(option, text, min, max, value) \
    gavel_cli_option_int ("zmq-tail", s_usage, (option), (text), (min), (max), (value))

static int
s_check_options (gavel_tail_options_t *options)
{
    if (!options->cluster && !options->endpoint_count) {
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
    if (options->topic_count == 0)
        options->topics [options->topic_count++] = options->raw? "": "event";
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
    //  Room for every argument, whichever they turn out to be
    options->endpoints = (const char **) zmalloc ((argc + 1) * sizeof (char *));
    options->topics = (const char **) zmalloc ((argc + 1) * sizeof (char *));
    assert (options->endpoints && options->topics);
    optind = 0;                 //  getopt starts afresh: the self test parses many
    static const struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "json",    no_argument,       NULL, 'j' },
        { "raw",     no_argument,       NULL, 'r' },
        { "auction", required_argument, NULL, 'a' },
        { "topic",   required_argument, NULL, 't' },
        { "count",   required_argument, NULL, 'N' },
        { "lines",   required_argument, NULL, 'n' },
        { "hwm",     required_argument, NULL, 'H' },
        { "insecure", no_argument,      NULL, 'I' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    int64_t value;
    while ((option = getopt_long (argc, argv, "hn:", longopts, NULL)) != -1) {
        switch (option) {
            case 'c':
                if (options->cluster) {
                    s_usage_error ("give --cluster once");
                    return EXIT_USAGE;
                }
                options->cluster = optarg;
                break;
            case 'j': options->json = true; break;
            case 'r': options->raw = true; break;
            case 'I': options->insecure = true; break;
            case 't': options->topics [options->topic_count++] = optarg; break;
            case 'a':
                if (s_option_int ("--auction", optarg, 1, INT64_MAX, &value))
                    return EXIT_USAGE;
                options->auction = (uint64_t) value;
                break;
            case 'N':
                if (s_option_int ("--count", optarg, 1, COUNT_MAX, &options->count))
                    return EXIT_USAGE;
                break;
            case 'n':
                if (s_option_int ("-n", optarg, 0, LINES_MAX, &options->lines))
                    return EXIT_USAGE;
                break;
            case 'H':
                if (s_option_int ("--hwm", optarg, 1, INT32_MAX, &options->hwm))
                    return EXIT_USAGE;
                break;
            case 'h':
                printf ("%s\n%s", s_usage, s_options_help);
                return 0;
            default:            //  getopt has said what is wrong
                fprintf (stderr, "%s(zmq-tail --help for more)\n", s_usage);
                return EXIT_USAGE;
        }
    }
    while (optind < argc)
        options->endpoints [options->endpoint_count++] = argv [optind++];
    return s_check_options (options) == 0? -1: EXIT_USAGE;
}

void
gavel_tail_options_end (gavel_tail_options_t *options)
{
    free (options->endpoints);
    free (options->topics);
    options->endpoints = options->topics = NULL;
}


//  gavel_tail_options_parse on line (words split on spaces), with what it
//  printed in printed. The caller frees printed, and words (the options
//  point into it) once done.
static int
s_test_parse (gavel_tail_options_t *options, const char *line, char **printed, char **words)
{
    char *copy = strdup (line);
    assert (copy);
    *words = copy;
    char *argv [32] = { "zmq-tail" };
    int argc = 1;
    for (char *word = strtok (copy, " "); word; word = strtok (NULL, " ")) {
        assert (argc < 31);
        argv [argc++] = word;
    }
    gavel_capture_t *capture = gavel_capture_new ();
    int rc = gavel_tail_options_parse (options, argc, argv);
    *printed = gavel_capture_since (capture);
    gavel_capture_destroy (&capture);
    return rc;
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
        gavel_tail_options_end (&options);
        zstr_free (&printed);
        zstr_free (&words);
    }

    //  A complete line: endpoints in order, topics, numbers
    int rc = s_test_parse (&options, "tcp://a:1 --json --topic x --cluster c.txt tcp://b:2 "
                           "--topic y --auction 5 --count 9 -n 4 --hwm 100", &printed, &words);
    assert (rc == -1 && streq (printed, ""));
    assert (options.endpoint_count == 2);
    assert (streq (options.endpoints [0], "tcp://a:1") && streq (options.endpoints [1], "tcp://b:2"));
    assert (options.topic_count == 2);
    assert (streq (options.topics [0], "x") && streq (options.topics [1], "y"));
    assert (streq (options.cluster, "c.txt") && options.json && !options.raw && !options.insecure);
    assert (options.auction == 5 && options.count == 9 && options.lines == 4 && options.hwm == 100);
    gavel_tail_options_end (&options);
    zstr_free (&printed);
    zstr_free (&words);

    //  The default topic: events, or everything with --raw
    rc = s_test_parse (&options, "tcp://a:1 --insecure", &printed, &words);
    assert (rc == -1 && options.topic_count == 1 && streq (options.topics [0], "event"));
    assert (options.insecure && options.count == 0 && options.lines == 0 && options.hwm == 0);
    gavel_tail_options_end (&options);
    zstr_free (&printed);
    zstr_free (&words);
    rc = s_test_parse (&options, "tcp://a:1 --insecure --raw", &printed, &words);
    assert (rc == -1 && options.topic_count == 1 && streq (options.topics [0], ""));
    gavel_tail_options_end (&options);
    zstr_free (&printed);
    zstr_free (&words);
    printf ("OK\n");
}
