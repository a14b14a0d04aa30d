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
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    return 1;
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
