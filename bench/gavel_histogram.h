/*  gavel_histogram: latencies (or any non-negative values) in constant
    memory, log-bucketed (HdrHistogram's idea).

    Values below 64 have a bucket each; above, every power of two is cut
    into 64 buckets, so a percentile is off by less than 1/64 (1.6 %) of
    the value it stands for, and never below it. Values of 2^40 and more
    (12 days in us) are clamped into the last bucket.
*/
#ifndef GAVEL_HISTOGRAM_H_INCLUDED
#define GAVEL_HISTOGRAM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GAVEL_HISTOGRAM_SUB_BITS    6
#define GAVEL_HISTOGRAM_SUB         (1 << GAVEL_HISTOGRAM_SUB_BITS)
#define GAVEL_HISTOGRAM_TOP_BITS    40
#define GAVEL_HISTOGRAM_BUCKETS     ((GAVEL_HISTOGRAM_TOP_BITS - GAVEL_HISTOGRAM_SUB_BITS + 1) \
                                     * GAVEL_HISTOGRAM_SUB)

typedef struct _gavel_histogram_t gavel_histogram_t;

gavel_histogram_t *
    gavel_histogram_new (void);

void
    gavel_histogram_destroy (gavel_histogram_t **self_p);

//  Forget every value.
void
    gavel_histogram_reset (gavel_histogram_t *self);

void
    gavel_histogram_record (gavel_histogram_t *self, int64_t value);

//  The value at percentile (0-100): the top of its bucket, never above the
//  largest value seen, so p100 is the exact max. 0 when empty.
int64_t
    gavel_histogram_percentile (gavel_histogram_t *self, double percentile);

//  0 when empty.
double
    gavel_histogram_mean (gavel_histogram_t *self);

//  The largest value recorded, 0 when empty.
int64_t
    gavel_histogram_max (gavel_histogram_t *self);

//  How many values were recorded.
uint64_t
    gavel_histogram_total (gavel_histogram_t *self);

//  How many values fell in bucket index (< GAVEL_HISTOGRAM_BUCKETS).
uint64_t
    gavel_histogram_count (gavel_histogram_t *self, size_t index);

//  The bucket value falls in.
size_t
    gavel_histogram_bucket (int64_t value);

//  The highest value that falls in bucket index.
int64_t
    gavel_histogram_bucket_top (size_t index);

void
    gavel_histogram_test (bool verbose);

#endif
