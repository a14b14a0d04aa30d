/*  gavel_buckets: how many values fell in each of a fixed set of buckets.

    A replica counts how long its requests took, how long each fdatasync
    took and how many entries each log write held; STATUS carries the
    counts (docs/PROTOCOL.md, "STATUS"), and gavel-web renders them as
    Prometheus histograms. This class is both sides: counting, and the
    record's text form, written and read.

    A value type, not an object: it is embedded where it counts (a replica's
    shell, a STATUS answer that a census copies), so there is nothing to
    create or destroy; gavel_buckets_init makes one empty. Adding is
    atomic (relaxed), so that a writer thread may count its syncs while the
    loop formats the counts; a format may then mix counts from just before
    and just after an add, which a scrape once a second does not mind.

    Two scales, each a fixed list of upper bounds and one bucket above the
    last: MICROS for durations (50 us to 1 s) and ENTRIES for batch sizes
    (1 to 1024). A record holds a histogram as two pairs,
    `KEY=C0,C1,...,CN KEY_sum=S`: the count in each bucket (not cumulative,
    in the order of the bounds, the last above them all) and the sum of the
    values counted.
*/
#ifndef GAVEL_BUCKETS_H_INCLUDED
#define GAVEL_BUCKETS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GAVEL_BUCKETS_MAX 16

typedef enum {
    GAVEL_BUCKETS_MICROS,     //  durations in us: 50, 100, 250 ... 1000000
    GAVEL_BUCKETS_ENTRIES     //  batch sizes: 1, 2, 4 ... 1024
} gavel_buckets_scale_t;

typedef struct {
    gavel_buckets_scale_t scale;
    uint64_t counts [GAVEL_BUCKETS_MAX];
    uint64_t sum;
} gavel_buckets_t;

//  An empty histogram on scale.
void
    gavel_buckets_init (gavel_buckets_t *self, gavel_buckets_scale_t scale);

//  Count one value: in the first bucket whose bound it does not exceed.
void
    gavel_buckets_add (gavel_buckets_t *self, uint64_t value);

//  How many buckets the scale has, the last one above every bound.
size_t
    gavel_buckets_buckets (const gavel_buckets_t *self);

//  The upper bound of bucket index (below gavel_buckets_buckets - 1).
uint64_t
    gavel_buckets_bound (const gavel_buckets_t *self, size_t index);

//  Values counted, in all.
uint64_t
    gavel_buckets_count (const gavel_buckets_t *self);

//  Append " KEY=C0,...,CN KEY_sum=S" (with a leading space) to text, which
//  holds a string and has room for size bytes. Returns 0, or -1 when it
//  did not fit (text is then unchanged).
int
    gavel_buckets_format (const gavel_buckets_t *self, const char *key,
                            char *text, size_t size);

//  Read KEY and KEY_sum from a record into self (whose scale says how many
//  buckets to expect). Returns 0; 1 when the record has no KEY (self is
//  then empty); -1 when KEY or KEY_sum is there but not as the scale says
//  (self is then empty).
int
    gavel_buckets_parse (gavel_buckets_t *self, const char *record, const char *key);

void
    gavel_buckets_test (bool verbose);

#endif
