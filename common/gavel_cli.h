/*  gavel_cli: what a command-line program says when its arguments are wrong.

    One wording for every program: "PROGRAM: what is wrong", the synopsis,
    and where to read more; numbers in options parsed strictly.
*/
#ifndef GAVEL_CLI_H_INCLUDED
#define GAVEL_CLI_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

//  Print a usage error for program to stderr, followed by its synopsis.
void
    gavel_cli_usage_error (const char *program, const char *synopsis, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Print a failure of program to stderr: "PROGRAM: what went wrong". Returns
//  1, the exit code for a failure at run time.
int
    gavel_cli_fail (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Parse an option's value as a decimal integer in [min, max]. Returns 0, or
//  prints a usage error naming the option and the value and returns -1.
int
    gavel_cli_option_int (const char *program, const char *synopsis, const char *option,
                          const char *text, int64_t min, int64_t max, int64_t *value);

//  SIGINT and SIGTERM call on_stop, however the program was started: czmq's
//  own handler is taken out first, because it leaves a SIGINT that the
//  shell ignored for a background job ignored.
void
    gavel_cli_catch_stop (void (*on_stop) (int));

void
    gavel_cli_test (bool verbose);

#endif
