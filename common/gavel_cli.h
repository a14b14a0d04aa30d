/*  gavel_cli: what a command-line program says when its arguments are wrong.

    One wording for every program: "PROGRAM: what is wrong", the synopsis,
    and where to read more; numbers in options parsed strictly.
*/
#ifndef GAVEL_CLI_H_INCLUDED
#define GAVEL_CLI_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

//  A program's command line, declared: each option once, with its value's
//  kind, where the value goes and its line of help. gavel_cli_parse reads
//  argv by it, gavel_cli_help prints --help from it, so the two cannot
//  disagree. Every program parses so: "--name VALUE", "--name=VALUE" and
//  "-x VALUE"; "--" ends the options; a value option given twice, an
//  unknown option, a missing or bad value is a usage error, and so is a
//  value that starts with "--" (a forgotten value: "--dir --json").
typedef enum {
    GAVEL_CLI_FLAG = 1,         //  bool *: set to true
    GAVEL_CLI_TEXT,             //  const char **: the value, argv's own
    GAVEL_CLI_INT,              //  int64_t *: a decimal integer in [min, max]
    GAVEL_CLI_LIST              //  gavel_cli_list_t *: each value, in order
} gavel_cli_kind_t;

//  At most this many values of a repeated option, or operands
#define GAVEL_CLI_LIST_MAX 64

typedef struct {
    const char *items [GAVEL_CLI_LIST_MAX];
    size_t count;
} gavel_cli_list_t;

typedef struct {
    const char *name;           //  long name, without "--"; NULL ends a table
    char letter;                //  short name, or 0
    gavel_cli_kind_t kind;
    void *value;                //  where the value goes, as kind says
    const char *value_name;     //  FILE, MS... in the help; NULL for a flag
    int64_t min, max;           //  GAVEL_CLI_INT: the values accepted
    const char *help;           //  its help, lines joined with '\n'
} gavel_cli_option_t;

typedef struct {
    const char *program;        //  as it names itself in messages
    const char *synopsis;       //  "usage: ..." lines, each ending in '\n'
    const char *about;          //  help before the options, or NULL
    const char *notes;          //  help after the options, or NULL
    const gavel_cli_option_t *options;
    gavel_cli_list_t *operands; //  where other arguments go; NULL: none taken
} gavel_cli_spec_t;

//  Parse argv by spec into the options' values, which the caller set to
//  their defaults. Returns 0 to go on, 1 when --help (or -h) was asked for
//  and printed on stdout, -1 on a usage error, said on stderr.
int
    gavel_cli_parse (const gavel_cli_spec_t *spec, int argc, char *argv []);

//  Print the help that --help prints: synopsis, about, every option (-h,
//  --help last) and the notes.
void
    gavel_cli_help (const gavel_cli_spec_t *spec, FILE *stream);

//  For the self tests of command lines: line's words (split on spaces) as
//  an argv after program, in argv (room for max, one kept for the ending
//  NULL). The words live in *copy, which the caller frees. Returns argc.
int
    gavel_cli_split (const char *program, const char *line, char **argv, int max, char **copy);

//  For the self tests of command lines: parse, called on line's words as
//  gavel_cli_split makes them, with stdout and stderr caught. Returns what
//  parse returned, with what it printed in *printed and the words in *copy
//  (the caller frees both).
typedef int (gavel_cli_parse_fn) (void *arg, int argc, char *argv []);
int
    gavel_cli_try (const char *program, const char *line, gavel_cli_parse_fn *parse, void *arg,
                   char **printed, char **copy);

//  Print a usage error for program to stderr, followed by its synopsis.
void
    gavel_cli_usage_error (const char *program, const char *synopsis, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Print a failure of program to stderr: "PROGRAM: what went wrong". Returns
//  1, the exit code for a failure at run time.
int
    gavel_cli_fail (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  A line for people on stderr: "PROGRAM: what happened" (a log line of a
//  server, a note of a tool). Thread safe: one write per line.
void
    gavel_cli_note (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
void
    gavel_cli_vnote (const char *program, const char *format, va_list args);

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
