/*  gavel_bench_options: what gavel-bench's command line asked for, as its
    main parsed it (gavel_bench.c), for the modes to read; and the exit
    codes every mode answers with.
*/
#ifndef GAVEL_BENCH_OPTIONS_H_INCLUDED
#define GAVEL_BENCH_OPTIONS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define GAVEL_BENCH_EXIT_OK             0
#define GAVEL_BENCH_EXIT_FAIL           1
#define GAVEL_BENCH_EXIT_USAGE          2
#define GAVEL_BENCH_EXIT_INTERRUPTED    130     //  128 + SIGINT, as a shell reports it

typedef struct {
    const char *cluster;        //  load: the cluster file
    uint64_t clients;           //  load: connections, each a closed-loop bidder
    uint64_t depth;             //  load: bidders (lanes) per connection, 1 or more
    uint64_t seconds;           //  load: measured seconds
    uint64_t warmup;            //  load: seconds before measuring
    bool shared;                //  load: one auction for all, else one each
    uint64_t trials;            //  failover: kills; 0 in load mode
    const char *dir;            //  failover: the cluster directory
    uint64_t replicas;          //  failover: replicas to start
    int64_t timeout;            //  ms per attempt
    bool json;
    bool verbose;
    bool insecure;              //  no CURVE
    const char *plot;           //  --plot FILE: an SVG drawn by gnuplot
} gavel_bench_options_t;

#endif
