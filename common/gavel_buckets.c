/*  gavel_buckets: how many values fell in each of a fixed set of buckets.
*/
#include "gavel_buckets.h"
#include "gavel_record.h"
#include "gavel_text.h"

#include <czmq.h>
#include <inttypes.h>

//  Upper bounds, ascending; a last bucket holds what is above them all
static const uint64_t s_micros [] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000
};
static const uint64_t s_entries [] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };

#define S_COUNT(array) (sizeof (array) / sizeof (array) [0])

static const uint64_t *
s_bounds (const gavel_buckets_t *self, size_t *count)
{
    assert (self->scale == GAVEL_BUCKETS_MICROS || self->scale == GAVEL_BUCKETS_ENTRIES);
    *count = self->scale == GAVEL_BUCKETS_MICROS? S_COUNT (s_micros): S_COUNT (s_entries);
    return self->scale == GAVEL_BUCKETS_MICROS? s_micros: s_entries;
}

void
gavel_buckets_init (gavel_buckets_t *self, gavel_buckets_scale_t scale)
{
    memset (self, 0, sizeof *self);
    self->scale = scale;
    size_t count;
    s_bounds (self, &count);
    assert (count + 1 <= GAVEL_BUCKETS_MAX);
}

void
gavel_buckets_add (gavel_buckets_t *self, uint64_t value)
{
    size_t count;
    const uint64_t *bounds = s_bounds (self, &count);
    size_t bucket = 0;
    while (bucket < count && value > bounds [bucket])
        bucket++;
    __atomic_fetch_add (&self->counts [bucket], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add (&self->sum, value, __ATOMIC_RELAXED);
}

size_t
gavel_buckets_buckets (const gavel_buckets_t *self)
{
    size_t count;
    s_bounds (self, &count);
    return count + 1;
}

uint64_t
gavel_buckets_bound (const gavel_buckets_t *self, size_t index)
{
    size_t count;
    const uint64_t *bounds = s_bounds (self, &count);
    assert (index < count);
    return bounds [index];
}

uint64_t
gavel_buckets_count (const gavel_buckets_t *self)
{
    uint64_t total = 0;
    for (size_t bucket = 0; bucket < gavel_buckets_buckets (self); bucket++)
        total += __atomic_load_n (&self->counts [bucket], __ATOMIC_RELAXED);
    return total;
}

int
gavel_buckets_format (const gavel_buckets_t *self, const char *key, char *text, size_t size)
{
    //  Written whole on the side, then appended only if it fits
    char pairs [64 + GAVEL_BUCKETS_MAX * 21 + 64 + 24];
    size_t used = (size_t) snprintf (pairs, sizeof pairs, " %.60s=", key);
    for (size_t bucket = 0; bucket < gavel_buckets_buckets (self); bucket++)
        used += (size_t) snprintf (pairs + used, sizeof pairs - used, "%s%" PRIu64,
                                   bucket == 0? "": ",",
                                   __atomic_load_n (&self->counts [bucket], __ATOMIC_RELAXED));
    snprintf (pairs + used, sizeof pairs - used, " %.60s_sum=%" PRIu64, key,
              __atomic_load_n (&self->sum, __ATOMIC_RELAXED));
    size_t length = strlen (text);
    if (length + strlen (pairs) >= size)
        return -1;
    memcpy (text + length, pairs, strlen (pairs) + 1);
    return 0;
}

int
gavel_buckets_parse (gavel_buckets_t *self, const char *record, const char *key)
{
    gavel_buckets_init (self, self->scale);
    //  Room for every bucket at 20 digits and a comma, and one byte more,
    //  so that a longer value is cut, and seen
    char value [GAVEL_BUCKETS_MAX * 21 + 2];
    if (gavel_record_get (record, key, value, sizeof value))
        return 1;
    char sum_key [64];
    snprintf (sum_key, sizeof sum_key, "%s_sum", key);
    gavel_buckets_t read = { .scale = self->scale };
    size_t buckets = gavel_buckets_buckets (self);
    size_t bucket = 0;
    bool good = strlen (value) < sizeof value - 1
             && gavel_record_get_unsigned (record, sum_key, 0, UINT64_MAX, &read.sum) == 0;
    uint64_t total = 0;
    for (char *number = value; good && number; bucket++) {
        char *comma = strchr (number, ',');
        if (comma)
            *comma = '\0';
        //  The counts' total must fit too: a reader sums them (cumulative
        //  buckets, _count) and a wrapped sum is no histogram
        good = bucket < buckets
            && gavel_text_parse_uint (number, 0, UINT64_MAX, &read.counts [bucket], NULL) == 0
            && read.counts [bucket] <= UINT64_MAX - total;
        if (good)
            total += read.counts [bucket];
        number = comma? comma + 1: NULL;
    }
    if (!good || bucket != buckets)
        return -1;
    *self = read;
    return 0;
}


//  --------------------------------------------------------------------------
//  Self test

void
gavel_buckets_test (bool verbose)
{
    printf (" * gavel_buckets: ");
    fflush (stdout);
    gavel_buckets_t latency;
    gavel_buckets_init (&latency, GAVEL_BUCKETS_MICROS);
    assert (gavel_buckets_buckets (&latency) == 15);
    assert (gavel_buckets_bound (&latency, 0) == 50);
    assert (gavel_buckets_bound (&latency, 13) == 1000000);
    //  A value on a bound is in that bound's bucket
    uint64_t values [] = { 0, 50, 51, 1000, 1001, 1000000, 1000001, UINT64_MAX / 2 };
    for (size_t index = 0; index < S_COUNT (values); index++)
        gavel_buckets_add (&latency, values [index]);
    assert (latency.counts [0] == 2 && latency.counts [1] == 1 && latency.counts [4] == 1);
    assert (latency.counts [5] == 1 && latency.counts [13] == 1 && latency.counts [14] == 2);
    assert (gavel_buckets_count (&latency) == 8);

    char text [512] = "replies=3";
    assert (gavel_buckets_format (&latency, "latency_us", text, sizeof text) == 0);
    if (verbose)
        printf ("\n%s\n", text);
    assert (streq (text, "replies=3 latency_us=2,1,0,0,1,1,0,0,0,0,0,0,0,1,2 latency_us_sum="
                         "9223372036856777910"));
    gavel_buckets_t read = { .scale = GAVEL_BUCKETS_MICROS };
    assert (gavel_buckets_parse (&read, text, "latency_us") == 0);
    assert (memcmp (&read, &latency, sizeof read) == 0);
    assert (gavel_buckets_parse (&read, text, "fsync_us") == 1);
    assert (gavel_buckets_count (&read) == 0);

    //  Too little room: nothing is written
    char small [40] = "replies=3";
    assert (gavel_buckets_format (&latency, "latency_us", small, sizeof small) == -1);
    assert (streq (small, "replies=3"));

    //  What a peer might send instead
    const char *bad [] = {
        "latency_us=1,2 latency_us_sum=3",                                  //  too few
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 latency_us_sum=0",      //  too many
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",                         //  no sum
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,x latency_us_sum=0",
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0, latency_us_sum=0",
        "latency_us=,0,0,0,0,0,0,0,0,0,0,0,0,0,0 latency_us_sum=0",
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,-1 latency_us_sum=0",
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 latency_us_sum=-1",
        "latency_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,18446744073709551616 latency_us_sum=0",
        "latency_us=18446744073709551615,2,0,0,0,0,0,0,0,0,0,0,0,0,0 latency_us_sum=0",
    };
    for (size_t index = 0; index < S_COUNT (bad); index++) {
        gavel_buckets_add (&read, 7);
        assert (gavel_buckets_parse (&read, bad [index], "latency_us") == -1);
        assert (gavel_buckets_count (&read) == 0 && read.sum == 0);
    }
    //  A value too long for any scale is cut, and refused
    char *flood = (char *) malloc (8192);
    assert (flood);
    int length = snprintf (flood, 8192, "latency_us=");
    while (length < 8000)
        length += snprintf (flood + length, 8192 - (size_t) length, "0,");
    snprintf (flood + length, 8192 - (size_t) length, "0 latency_us_sum=0");
    assert (gavel_buckets_parse (&read, flood, "latency_us") == -1);
    free (flood);

    gavel_buckets_t batch;
    gavel_buckets_init (&batch, GAVEL_BUCKETS_ENTRIES);
    assert (gavel_buckets_buckets (&batch) == 12);
    gavel_buckets_add (&batch, 1);
    gavel_buckets_add (&batch, 3);
    gavel_buckets_add (&batch, 5000);
    char batch_text [256] = "";
    assert (gavel_buckets_format (&batch, "batch", batch_text, sizeof batch_text) == 0);
    assert (streq (batch_text, " batch=1,0,1,0,0,0,0,0,0,0,0,1 batch_sum=5004"));
    gavel_buckets_t batch_read = { .scale = GAVEL_BUCKETS_ENTRIES };
    assert (gavel_buckets_parse (&batch_read, batch_text + 1, "batch") == 0);
    assert (memcmp (&batch_read, &batch, sizeof batch) == 0);
    //  A micros histogram is not an entries one
    assert (gavel_buckets_parse (&read, batch_text + 1, "batch") == -1);
    printf ("OK\n");
}
