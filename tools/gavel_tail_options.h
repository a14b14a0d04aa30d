/*  gavel_tail_options: zmq-tail's command line, its help, and the strict
    parsing of it.

        zmq-tail [ENDPOINT...] [--cluster FILE] [--json | --raw] ...

    Usage errors are said on stderr in the wording of every Gavel program
    (gavel_cli); --help prints the synopsis and the options on stdout.
*/
#ifndef GAVEL_TAIL_OPTIONS_H_INCLUDED
#define GAVEL_TAIL_OPTIONS_H_INCLUDED

#include <czmq.h>
#include "gavel_cli.h"

typedef struct {
    gavel_cli_list_t endpoints;     //  in the order given
    const char *cluster;
    gavel_cli_list_t topics;
    bool json;
    bool raw;
    uint64_t auction;               //  0: every auction
    int64_t count;                  //  0: for ever
    int64_t lines;                  //  -n; 0: none
    int64_t hwm;                    //  --hwm; 0: libzmq's default
    bool insecure;                  //  --insecure: no CURVE
} gavel_tail_options_t;

//  Parse argv into options (the strings stay argv's). Returns -1 when the
//  command line is complete and the tail is to run; else the exit code to
//  leave with: 0 when help was asked for (and printed), 2 on a usage error
//  (printed).
int
    gavel_tail_options_parse (gavel_tail_options_t *options, int argc, char *argv []);

void
    gavel_tail_options_test (bool verbose);

#endif
