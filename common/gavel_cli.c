/*  gavel_cli: what a command-line program says when its arguments are wrong.
*/
#include "gavel_cli.h"
#include "gavel_capture.h"
#include "gavel_text.h"

#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
gavel_cli_usage_error (const char *program, const char *synopsis, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n%s(%s --help for more)\n", synopsis, program);
    va_end (args);
}

int
gavel_cli_fail (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    gavel_cli_vnote (program, format, args);
    va_end (args);
    return 1;
}

void
gavel_cli_note (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    gavel_cli_vnote (program, format, args);
    va_end (args);
}

void
gavel_cli_vnote (const char *program, const char *format, va_list args)
{
    //  One write, so that lines of two threads do not interleave
    char *text = zsys_vprintf (format, args);
    if (text)
        fprintf (stderr, "%s: %s\n", program, text);
    zstr_free (&text);
}

int
gavel_cli_option_int (const char *program, const char *synopsis, const char *option,
                      const char *text, int64_t min, int64_t max, int64_t *value)
{
    const char *why = NULL;
    if (gavel_text_parse_int (text, min, max, value, &why) == 0)
        return 0;
    char quoted [48];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    gavel_cli_usage_error (program, synopsis, "%s '%s' %s (%" PRId64 " to %" PRId64 ")",
                           option, quoted, why? why: "is not valid", min, max);
    return -1;
}

//  ---------------------------------------------------------------------------
//  The declared command line

#define OPTIONS_MAX 64          //  per table: a program with more needs a redesign

//  Column where an option's help starts
#define HELP_COLUMN 23

static const char *s_help_line = "print this and exit";

static const gavel_cli_option_t *
s_find_long (const gavel_cli_spec_t *spec, const char *name, size_t length)
{
    for (const gavel_cli_option_t *option = spec->options; option && option->name; option++)
        if (strlen (option->name) == length && memcmp (option->name, name, length) == 0)
            return option;
    return NULL;
}

static const gavel_cli_option_t *
s_find_letter (const gavel_cli_spec_t *spec, char letter)
{
    for (const gavel_cli_option_t *option = spec->options; option && option->name; option++)
        if (option->letter && option->letter == letter)
            return option;
    return NULL;
}

static void
s_usage_quoted (const gavel_cli_spec_t *spec, const char *format, const char *text)
{
    char quoted [80];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    gavel_cli_usage_error (spec->program, spec->synopsis, format, quoted);
}

static int
s_list_add (const gavel_cli_spec_t *spec, gavel_cli_list_t *list, const char *what, const char *item)
{
    if (list->count == GAVEL_CLI_LIST_MAX) {
        gavel_cli_usage_error (spec->program, spec->synopsis, "at most %d %s", GAVEL_CLI_LIST_MAX, what);
        return -1;
    }
    list->items [list->count++] = item;
    return 0;
}

//  Store one option's value; spelled is how the user wrote the option
static int
s_store (const gavel_cli_spec_t *spec, const gavel_cli_option_t *option, bool *seen,
         const char *spelled, const char *value)
{
    if (option->kind == GAVEL_CLI_LIST)
        return s_list_add (spec, (gavel_cli_list_t *) option->value, spelled, value);
    if (*seen) {
        gavel_cli_usage_error (spec->program, spec->synopsis, "give %s once", spelled);
        return -1;
    }
    *seen = true;
    if (option->kind == GAVEL_CLI_TEXT)
        *(const char **) option->value = value;
    else {
        assert (option->kind == GAVEL_CLI_INT);
        return gavel_cli_option_int (spec->program, spec->synopsis, spelled, value,
                                     option->min, option->max, (int64_t *) option->value);
    }
    return 0;
}

int
gavel_cli_parse (const gavel_cli_spec_t *spec, int argc, char *argv [])
{
    bool seen [OPTIONS_MAX] = { false };
    bool operands_only = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        if (operands_only || arg [0] != '-' || arg [1] == '\0') {
            if (!spec->operands) {
                s_usage_quoted (spec, "unexpected argument '%s'", arg);
                return -1;
            }
            if (s_list_add (spec, spec->operands, "arguments", arg))
                return -1;
            continue;
        }
        if (streq (arg, "--")) {
            operands_only = true;
            continue;
        }
        //  --name, --name=VALUE, -x, -xVALUE
        const gavel_cli_option_t *option = NULL;
        const char *attached = NULL;
        char spelled [64];
        if (arg [1] == '-') {
            const char *equals = strchr (arg + 2, '=');
            size_t length = equals? (size_t) (equals - arg - 2): strlen (arg + 2);
            if (length == 4 && memcmp (arg + 2, "help", 4) == 0 && !equals) {
                gavel_cli_help (spec, stdout);
                return 1;
            }
            option = s_find_long (spec, arg + 2, length);
            attached = equals? equals + 1: NULL;
            if (option)
                snprintf (spelled, sizeof spelled, "--%s", option->name);
        }
        else {
            if (streq (arg, "-h")) {
                gavel_cli_help (spec, stdout);
                return 1;
            }
            option = s_find_letter (spec, arg [1]);
            attached = arg [2]? arg + 2: NULL;
            if (option)
                snprintf (spelled, sizeof spelled, "-%c", option->letter);
        }
        if (!option) {
            s_usage_quoted (spec, "unrecognized option '%s'", arg);
            return -1;
        }
        size_t position = (size_t) (option - spec->options);
        assert (position < OPTIONS_MAX);
        if (option->kind == GAVEL_CLI_FLAG) {
            if (attached) {
                s_usage_quoted (spec, "%s takes no value", arg);
                return -1;
            }
            *(bool *) option->value = true;
            continue;
        }
        const char *value = attached;
        if (!value) {
            //  "--dir --json" is a forgotten value, not a directory
            if (index + 1 == argc || strncmp (argv [index + 1], "--", 2) == 0) {
                gavel_cli_usage_error (spec->program, spec->synopsis, "%s needs a value: %s",
                                       spelled, option->value_name);
                return -1;
            }
            value = argv [++index];
        }
        if (s_store (spec, option, &seen [position], spelled, value))
            return -1;
    }
    return 0;
}

static void
s_help_entry (FILE *stream, char letter, const char *name, const char *value_name, const char *help)
{
    char left [96];
    int length;
    if (letter)
        length = snprintf (left, sizeof left, "  -%c, --%s%s%s", letter, name,
                           value_name? " ": "", value_name? value_name: "");
    else
        length = snprintf (left, sizeof left, "  --%s%s%s", name,
                           value_name? " ": "", value_name? value_name: "");
    fputs (left, stream);
    //  A long left part gets its help on the next line
    int column = length;
    if (column >= HELP_COLUMN - 1) {
        fputc ('\n', stream);
        column = 0;
    }
    const char *line = help? help: "";
    while (true) {
        const char *end = strchr (line, '\n');
        int line_length = end? (int) (end - line): (int) strlen (line);
        fprintf (stream, "%*s%.*s\n", HELP_COLUMN - column, "", line_length, line);
        if (!end || !end [1])
            break;
        line = end + 1;
        column = 0;
    }
}

void
gavel_cli_help (const gavel_cli_spec_t *spec, FILE *stream)
{
    fputs (spec->synopsis, stream);
    if (spec->about)
        fprintf (stream, "\n%s", spec->about);
    fputc ('\n', stream);
    for (const gavel_cli_option_t *option = spec->options; option && option->name; option++)
        s_help_entry (stream, option->letter, option->name,
                      option->kind == GAVEL_CLI_FLAG? NULL: option->value_name, option->help);
    s_help_entry (stream, 'h', "help", NULL, s_help_line);
    if (spec->notes)
        fprintf (stream, "\n%s", spec->notes);
}

int
gavel_cli_split (const char *program, const char *line, char **argv, int max, char **copy)
{
    assert (max >= 2);
    *copy = strdup (line);
    assert (*copy);
    int argc = 0;
    argv [argc++] = (char *) program;
    char *rest = NULL;
    for (char *word = strtok_r (*copy, " ", &rest); word; word = strtok_r (NULL, " ", &rest)) {
        assert (argc < max - 1);
        argv [argc++] = word;
    }
    argv [argc] = NULL;
    return argc;
}

int
gavel_cli_try (const char *program, const char *line, gavel_cli_parse_fn *parse, void *arg,
               char **printed, char **copy)
{
    char *argv [64];
    int argc = gavel_cli_split (program, line, argv, 64, copy);
    gavel_capture_t *capture = gavel_capture_new ();
    int rc = parse (arg, argc, argv);
    *printed = gavel_capture_since (capture);
    gavel_capture_destroy (&capture);
    return rc;
}

//  ---------------------------------------------------------------------------
//  Self test: the words a user reads, caught as printed

void
gavel_cli_catch_stop (void (*on_stop) (int))
{
    zsys_handler_set (NULL);
    struct sigaction action = { .sa_handler = on_stop };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
}

static volatile sig_atomic_t s_stops_caught;

static void
s_count_stop (int signal)
{
    s_stops_caught++;
}

//  A command line for the parser's test, and where it puts what it read
static bool s_test_verbose;
static const char *s_test_cluster;
static int64_t s_test_count;
static gavel_cli_list_t s_test_connect;
static gavel_cli_list_t s_test_operands;
static char *s_test_words;

static const gavel_cli_option_t s_test_options [] = {
    { "cluster", 0, GAVEL_CLI_TEXT, &s_test_cluster, "FILE", 0, 0, "the cluster file" },
    { "count", 'n', GAVEL_CLI_INT, &s_test_count, "N", 1, 100, "how many\n(1 to 100)" },
    { "connect", 0, GAVEL_CLI_LIST, &s_test_connect, "ENDPOINT", 0, 0, "send there" },
    { "verbose", 'v', GAVEL_CLI_FLAG, &s_test_verbose, NULL, 0, 0, "say more" },
    { 0 }
};

static const gavel_cli_spec_t s_test_spec = {
    "prog", "usage: prog [options] [NAME...]\n", "Does things.\n", "Notes.\n",
    s_test_options, &s_test_operands
};

//  Parse line (words split on spaces) by the test spec from defaults;
//  returns what parse returned, with what it printed in *printed
static int
s_test_parse_spec (void *arg, int argc, char *argv [])
{
    return gavel_cli_parse ((const gavel_cli_spec_t *) arg, argc, argv);
}

static int
s_test_parse (const char *line, char **printed)
{
    s_test_verbose = false;
    s_test_cluster = NULL;
    s_test_count = 7;
    s_test_connect.count = s_test_operands.count = 0;
    //  The values point into the words: kept until the next parse
    zstr_free (&s_test_words);
    return gavel_cli_try ("prog", line, s_test_parse_spec, (void *) &s_test_spec, printed,
                          &s_test_words);
}

static void
s_test_table (gavel_capture_t *capture)
{
    char *said;
    //  Every spelling of a value, flags, lists and operands in any order
    assert (s_test_parse ("a --cluster c.cfg -n 5 --connect x -v --connect=y b -- -z", &said) == 0);
    assert (streq (said, ""));
    zstr_free (&said);
    assert (s_test_verbose && streq (s_test_cluster, "c.cfg") && s_test_count == 5);
    assert (s_test_connect.count == 2 && streq (s_test_connect.items [1], "y"));
    assert (s_test_operands.count == 3 && streq (s_test_operands.items [2], "-z"));
    assert (s_test_parse ("-n42 --count=43", &said) == -1);
    assert (strstr (said, "prog: give --count once\n"));
    zstr_free (&said);
    assert (s_test_parse ("-n42 -", &said) == 0 && s_test_count == 42);
    assert (s_test_operands.count == 1 && streq (s_test_operands.items [0], "-"));
    zstr_free (&said);
    assert (s_test_parse ("", &said) == 0 && s_test_count == 7 && !s_test_cluster);
    zstr_free (&said);

    //  Each mistake named, then the synopsis; nothing else printed
    const char *mistakes [][2] = {
        { "--bogus", "prog: unrecognized option '--bogus'\n" },
        { "-x", "prog: unrecognized option '-x'\n" },
        { "--verbose=yes", "prog: --verbose=yes takes no value\n" },
        { "--cluster", "prog: --cluster needs a value: FILE\n" },
        { "--cluster --verbose", "prog: --cluster needs a value: FILE\n" },
        { "--cluster a --cluster b", "prog: give --cluster once\n" },
        { "-n 0", "prog: -n '0' " },
        { "--count many", "prog: --count 'many' " },
        { "--help=no", "prog: unrecognized option '--help=no'\n" },
    };
    for (size_t index = 0; index < sizeof mistakes / sizeof mistakes [0]; index++) {
        assert (s_test_parse (mistakes [index][0], &said) == -1);
        assert (strncmp (said, mistakes [index][1], strlen (mistakes [index][1])) == 0);
        assert (strstr (said, "usage: prog [options] [NAME...]\n(prog --help for more)\n"));
        zstr_free (&said);
    }
    //  A program that takes no operands refuses one
    gavel_cli_spec_t closed = s_test_spec;
    closed.operands = NULL;
    char *argv [] = { "prog", "stray", NULL };
    assert (gavel_cli_parse (&closed, 2, argv) == -1);
    said = gavel_capture_since (capture);
    assert (strncmp (said, "prog: unexpected argument 'stray'\n", 34) == 0);
    zstr_free (&said);

    //  --help and -h print the help from the table, and stop there
    assert (s_test_parse ("--help --bogus", &said) == 1);
    assert (streq (said,
        "usage: prog [options] [NAME...]\n"
        "\n"
        "Does things.\n"
        "\n"
        "  --cluster FILE       the cluster file\n"
        "  -n, --count N        how many\n"
        "                       (1 to 100)\n"
        "  --connect ENDPOINT   send there\n"
        "  -v, --verbose        say more\n"
        "  -h, --help           print this and exit\n"
        "\n"
        "Notes.\n"));
    zstr_free (&said);
    assert (s_test_parse ("-h", &said) == 1 && strstr (said, "  -v, --verbose"));
    zstr_free (&said);
    zstr_free (&s_test_words);
}

void
gavel_cli_test (bool verbose)
{
    printf (" * gavel_cli: ");
    fflush (stdout);
    const char *synopsis = "usage: prog --n N\n";
    gavel_capture_t *capture = gavel_capture_new ();

    int64_t value = -1;
    assert (gavel_cli_option_int ("prog", synopsis, "--n", "42", 1, 100, &value) == 0);
    assert (value == 42);
    char *said = gavel_capture_since (capture);
    assert (streq (said, ""));
    zstr_free (&said);

    //  Out of range, not a number, trailing junk: refused, with the option,
    //  the value and the range named, then the synopsis
    const char *bad [] = { "101", "0", "ten", "4x", "", "-1" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        value = -1;
        assert (gavel_cli_option_int ("prog", synopsis, "--n", bad [index], 1, 100, &value) == -1);
        said = gavel_capture_since (capture);
        char expected [64];
        snprintf (expected, sizeof expected, "prog: --n '%s' ", bad [index]);
        assert (strncmp (said, expected, strlen (expected)) == 0);
        assert (strstr (said, "(1 to 100)\nusage: prog --n N\n(prog --help for more)\n"));
        zstr_free (&said);
    }
    //  A value a terminal would show oddly is quoted, not printed raw
    assert (gavel_cli_option_int ("prog", synopsis, "--n", "1\n2", 1, 100, &value) == -1);
    said = gavel_capture_since (capture);
    assert (!strstr (said, "'1\n2'"));
    zstr_free (&said);

    s_test_table (capture);

    assert (gavel_cli_fail ("prog", "cannot bind %s", "tcp://x:1") == 1);
    said = gavel_capture_since (capture);
    assert (streq (said, "prog: cannot bind tcp://x:1\n"));
    zstr_free (&said);
    gavel_capture_destroy (&capture);
    //  Both stop signals reach the handler, and neither ends the process
    struct sigaction saved_int, saved_term;
    sigaction (SIGINT, NULL, &saved_int);
    sigaction (SIGTERM, NULL, &saved_term);
    gavel_cli_catch_stop (s_count_stop);
    raise (SIGINT);
    raise (SIGTERM);
    assert (s_stops_caught == 2);
    sigaction (SIGINT, &saved_int, NULL);
    sigaction (SIGTERM, &saved_term, NULL);

    printf ("OK\n");
}
