/*  gavel_metrics: the cluster as Prometheus reads it.

    What every replica and broker said when a census last asked them
    STATUS (gavel_census), and what gavel-web saw itself, in Prometheus's
    text exposition format (version 0.0.4), named as its conventions say:
    a `gavel_` prefix, base units, `_total` on counters, one label per
    server (`replica="1"`, `broker="1"`). A replica that did not answer
    has `gavel_replica_up 0` and none of its other series, rather than
    made-up values. No socket, clock or thread.
*/
#ifndef GAVEL_METRICS_H_INCLUDED
#define GAVEL_METRICS_H_INCLUDED

#include <czmq.h>
#include "gavel_census.h"

//  What gavel-web counts itself
typedef struct {
    uint64_t feed_seq;          //  the last event it delivered
    uint64_t events;            //  events delivered since it started
    uint64_t gaps;              //  holes in the numbering it noticed
    uint64_t lost;              //  events it could not fetch
    uint64_t term_changes;      //  rises of the highest term censuses saw
    uint64_t censuses;          //  STATUS rounds taken
    uint64_t readers;           //  event-stream connections open now
    uint64_t readers_dropped;   //  event streams told to reload: left behind
    uint64_t idle_dropped;      //  connections that moved nothing for --idle
    uint64_t http_requests;     //  HTTP requests answered
} gavel_metrics_web_t;

//  The exposition text, caller frees: the rows of a census (count of
//  them; 0 before the first was taken) and gavel-web's own counts.
char *
    gavel_metrics_render (const gavel_census_row_t *rows, size_t count,
                          const gavel_metrics_web_t *web);

void
    gavel_metrics_test (bool verbose);

#endif
