/*  gavel_failover: gavel-bench's failover mode: times N failovers of a
    local cluster, then checks no acknowledged bid was lost or doubled.
*/
#ifndef GAVEL_FAILOVER_H_INCLUDED
#define GAVEL_FAILOVER_H_INCLUDED

#include "gavel_bench_options.h"

typedef struct _gavel_failover_t gavel_failover_t;

//  A failover run as options say (borrowed: they outlive it).
gavel_failover_t *
    gavel_failover_new (const gavel_bench_options_t *options);

void
    gavel_failover_destroy (gavel_failover_t **self_p);

//  Use the cluster in options->dir or start one there, run the trials,
//  check, print the report on stdout (and the plot), stop the cluster if
//  we started it. Returns the exit code: 0, 1 (a trial or a check
//  failed), 130 (interrupted).
int
    gavel_failover_run (gavel_failover_t *self);

void
    gavel_failover_test (bool verbose);

#endif
