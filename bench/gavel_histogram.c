/*  gavel_histogram: latencies in constant memory, log-bucketed.
*/
#include "gavel_histogram.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS    GAVEL_HISTOGRAM_SUB_BITS
#define SUB         GAVEL_HISTOGRAM_SUB
#define TOP_BITS    GAVEL_HISTOGRAM_TOP_BITS
#define BUCKETS     GAVEL_HISTOGRAM_BUCKETS

struct _gavel_histogram_t {
    uint64_t counts [BUCKETS];
    uint64_t total;
    int64_t max;
    double sum;
};

gavel_histogram_t *
gavel_histogram_new (void)
{
    gavel_histogram_t *self = (gavel_histogram_t *) calloc (1, sizeof (gavel_histogram_t));
    assert (self);
    return self;
}

void
gavel_histogram_destroy (gavel_histogram_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
gavel_histogram_reset (gavel_histogram_t *self)
{
    memset (self, 0, sizeof *self);
}

size_t
gavel_histogram_bucket (int64_t value)
{
    if (value < SUB)
        return value < 0? 0: (size_t) value;
    int top = 63 - __builtin_clzll ((unsigned long long) value);
    if (top >= TOP_BITS)
        return BUCKETS - 1;
    int shift = top - SUB_BITS;
    return (size_t) (shift + 1) * SUB + (size_t) ((value >> shift) & (SUB - 1));
}

int64_t
gavel_histogram_bucket_top (size_t index)
{
    assert (index < BUCKETS);
    if (index < SUB)
        return (int64_t) index;
    int shift = (int) (index / SUB) - 1;
    int64_t low = (int64_t) (SUB + index % SUB) << shift;
    return low + ((int64_t) 1 << shift) - 1;
}

void
gavel_histogram_record (gavel_histogram_t *self, int64_t value)
{
    self->counts [gavel_histogram_bucket (value)]++;
    self->total++;
    self->sum += (double) value;
    if (value > self->max)
        self->max = value;
}

int64_t
gavel_histogram_percentile (gavel_histogram_t *self, double percentile)
{
    if (self->total == 0)
        return 0;
    uint64_t rank = (uint64_t) ((percentile / 100.0) * (double) self->total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t index = 0; index < BUCKETS; index++) {
        seen += self->counts [index];
        if (seen >= rank) {
            int64_t top = gavel_histogram_bucket_top (index);
            return top < self->max? top: self->max;
        }
    }
    return self->max;
}

double
gavel_histogram_mean (gavel_histogram_t *self)
{
    return self->total? self->sum / (double) self->total: 0;
}

int64_t
gavel_histogram_max (gavel_histogram_t *self)
{
    return self->max;
}

uint64_t
gavel_histogram_total (gavel_histogram_t *self)
{
    return self->total;
}

uint64_t
gavel_histogram_count (gavel_histogram_t *self, size_t index)
{
    assert (index < BUCKETS);
    return self->counts [index];
}

//  -------------------------------------------------------------------------
//  Self test

static int
s_compare (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return a < b? -1: a > b;
}

//  The promise the bench's figures rest on: asked for the percentile of
//  rank r, the histogram answers a value no lower than the r-th smallest
//  value recorded and less than 1/64 of it higher (exact below 64).
static void
s_check_error_bound (gavel_histogram_t *self, int64_t *values, size_t count, bool verbose)
{
    qsort (values, count, sizeof (int64_t), s_compare);
    double worst = 0;
    for (size_t rank = 1; rank <= count; rank++) {
        int64_t exact = values [rank - 1];
        int64_t got = gavel_histogram_percentile (self, 100.0 * (double) rank / (double) count);
        if (got < exact || (got - exact) * SUB >= (exact < SUB? 1: exact)) {
            fprintf (stderr, "gavel_histogram: rank %zu of %zu: %lld for %lld, beyond 1/%d\n",
                     rank, count, (long long) got, (long long) exact, SUB);
            assert (false);
        }
        if (exact && (double) (got - exact) / (double) exact > worst)
            worst = (double) (got - exact) / (double) exact;
    }
    if (verbose)
        printf ("  %zu ranks, worst relative error %.5f (bound %.5f)\n", count, worst, 1.0 / SUB);
}

void
gavel_histogram_test (bool verbose)
{
    printf (" * gavel_histogram: ");
    if (verbose)
        printf ("\n");

    gavel_histogram_t *self = gavel_histogram_new ();
    assert (gavel_histogram_total (self) == 0);
    assert (gavel_histogram_percentile (self, 50) == 0);
    assert (gavel_histogram_mean (self) == 0);

    //  Every bucket's top is the value just below the next bucket's bottom
    for (size_t index = 0; index + 1 < BUCKETS; index++) {
        int64_t top = gavel_histogram_bucket_top (index);
        assert (gavel_histogram_bucket (top) == index);
        assert (gavel_histogram_bucket (top + 1) == index + 1);
    }

    //  Every value below 2000 once, each power of two and its neighbours up
    //  to the top, and values spread over every magnitude (a fixed
    //  xorshift, so a failure repeats)
    size_t capacity = 2000 + 3 * TOP_BITS + 4000, count = 0;
    int64_t *values = (int64_t *) malloc (capacity * sizeof (int64_t));
    assert (values);
    for (int64_t value = 0; value < 2000; value++)
        values [count++] = value;
    for (int bit = 1; bit < TOP_BITS; bit++) {
        values [count++] = ((int64_t) 1 << bit) - 1;
        values [count++] = (int64_t) 1 << bit;
        values [count++] = ((int64_t) 1 << bit) + 1;
    }
    uint64_t state = 88172645463325252ULL;
    while (count < capacity) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        int bits = 1 + (int) (state % (TOP_BITS - 1));
        values [count++] = (int64_t) ((state >> 20) & (((uint64_t) 1 << bits) - 1));
    }
    double sum = 0;
    int64_t max = 0;
    for (size_t index = 0; index < count; index++) {
        gavel_histogram_record (self, values [index]);
        sum += (double) values [index];
        if (values [index] > max)
            max = values [index];
    }
    assert (gavel_histogram_total (self) == count);
    assert (gavel_histogram_max (self) == max);
    assert (gavel_histogram_percentile (self, 100) == max);
    assert (gavel_histogram_mean (self) == sum / (double) count);
    uint64_t counted = 0;
    for (size_t index = 0; index < BUCKETS; index++)
        counted += gavel_histogram_count (self, index);
    assert (counted == count);
    s_check_error_bound (self, values, count, verbose);

    //  One value alone: every percentile is that value (the max caps the
    //  bucket's top)
    gavel_histogram_reset (self);
    assert (gavel_histogram_total (self) == 0 && gavel_histogram_max (self) == 0);
    gavel_histogram_record (self, 12345);
    assert (gavel_histogram_percentile (self, 0) == 12345);
    assert (gavel_histogram_percentile (self, 50) == 12345);

    //  Beyond the top: clamped into the last bucket, counted, max exact
    gavel_histogram_reset (self);
    gavel_histogram_record (self, (int64_t) 1 << 50);
    gavel_histogram_record (self, -5);
    assert (gavel_histogram_count (self, BUCKETS - 1) == 1);
    assert (gavel_histogram_count (self, 0) == 1);
    assert (gavel_histogram_max (self) == (int64_t) 1 << 50);
    assert (gavel_histogram_percentile (self, 100) == gavel_histogram_bucket_top (BUCKETS - 1));

    free (values);
    gavel_histogram_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
