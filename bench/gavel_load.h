/*  gavel_load: gavel-bench's load mode: K closed-loop bidders for S
    seconds, reported as bids/s, latency percentiles and elections seen.
*/
#ifndef GAVEL_LOAD_H_INCLUDED
#define GAVEL_LOAD_H_INCLUDED

#include "gavel_bench_options.h"

typedef struct _gavel_load_t gavel_load_t;

//  A load run as options say (borrowed: they outlive it).
gavel_load_t *
    gavel_load_new (const gavel_bench_options_t *options);

void
    gavel_load_destroy (gavel_load_t **self_p);

//  Bid until the window closes (or the auctions cannot be opened, or
//  Ctrl-C), print the report on stdout (and the plot). Returns the exit
//  code: 0, 1 (no bid succeeded, or a failure), 130 (interrupted).
int
    gavel_load_run (gavel_load_t *self);

void
    gavel_load_test (bool verbose);

#endif
