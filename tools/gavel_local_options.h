/*  gavel_local_options: gavel-local's command line: its commands, the
    options each takes, their help, and the strict parsing of it all.

        gavel-local COMMAND [OPERAND] --dir DIR [options]

    Options may come before or after the operand; each at most once; a
    value that starts with "--" is a forgotten value. --help (or -h) after
    a command prints its help; alone, the list of commands.
*/
#ifndef GAVEL_LOCAL_OPTIONS_H_INCLUDED
#define GAVEL_LOCAL_OPTIONS_H_INCLUDED

#include <czmq.h>

typedef struct _gavel_local_command_t gavel_local_command_t;

//  What the command line says; unset values are NULL (false).
typedef struct {
    const gavel_local_command_t *command;
    const char *operand;        //  N for up, ID for kill and friends
    const char *dir;
    const char *base_port;
    const char *heartbeat;      //  up: cluster/settings, when given
    const char *election;
    const char *fsync;          //  up: always or never (the default)
    const char *snapshot_every;
    const char *brokers;        //  up: how many brokers
    bool json;
    bool insecure;              //  up: no CURVE
} gavel_local_options_t;

//  Parse argv into options. Returns -1 when the command line is complete
//  and the command is to run; else the exit code to leave with: 0 when
//  help was asked for (and printed), 2 on a usage error (printed).
int
    gavel_local_options_parse (gavel_local_options_t *options, int argc, char *argv []);

//  The command's name (up, status, down, kill, pause, resume, restart).
const char *
    gavel_local_options_command (const gavel_local_options_t *options);

//  Print a usage error of the command: what is wrong, and where to read
//  more. Returns 2, the exit code for it.
int
    gavel_local_options_usage_error (const gavel_local_options_t *options,
                                     const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

void
    gavel_local_options_test (bool verbose);

#endif
