/*  gavel_events: the last events a replica applied, for HISTORY.
*/
#include "gavel_events.h"

//  "seq=N index=I term=T stamp=MS ": four numbers of 20 digits at most
#define PREFIX_MAX  (4 * 20 + 32)

typedef struct {
    uint64_t seq;
    char *line;                 //  allocated once per slot, then reused
    size_t size;                //  of line's buffer
} slot_t;

struct _gavel_events_t {
    slot_t *slots;
    size_t capacity;
    size_t oldest;              //  slot of position 0
    size_t size;
};

gavel_events_t *
gavel_events_new (size_t capacity)
{
    assert (capacity > 0);
    gavel_events_t *self = (gavel_events_t *) zmalloc (sizeof (gavel_events_t));
    assert (self);
    self->slots = (slot_t *) calloc (capacity, sizeof (slot_t));
    assert (self->slots);
    self->capacity = capacity;
    return self;
}

void
gavel_events_destroy (gavel_events_t **self_p)
{
    assert (self_p);
    gavel_events_t *self = *self_p;
    if (self) {
        for (size_t slot = 0; slot < self->capacity; slot++)
            free (self->slots [slot].line);
        free (self->slots);
        free (self);
        *self_p = NULL;
    }
}

const char *
gavel_events_add (gavel_events_t *self, uint64_t seq, uint64_t index, uint64_t term,
                  int64_t stamp, const char *record)
{
    size_t slot;
    if (self->size < self->capacity)
        slot = (self->oldest + self->size++) % self->capacity;
    else {
        slot = self->oldest;
        self->oldest = (self->oldest + 1) % self->capacity;
    }
    slot_t *kept = &self->slots [slot];
    size_t length = strlen (record);
    assert (length <= GAVEL_RECORD_MAX);
    if (kept->size < PREFIX_MAX + length + 1) {
        //  Lines are mostly alike in length: a buffer a little roomier than
        //  this one will mostly serve the events that reuse the slot
        kept->size = PREFIX_MAX + length + 1 + 64;
        free (kept->line);
        kept->line = (char *) malloc (kept->size);
        assert (kept->line);
    }
    int prefix = snprintf (kept->line, PREFIX_MAX, "seq=%" PRIu64 " index=%" PRIu64 " term=%"
                           PRIu64 " stamp=%" PRId64 " ", seq, index, term, stamp);
    assert (prefix > 0 && prefix < PREFIX_MAX);
    memcpy (kept->line + prefix, record, length + 1);
    kept->seq = seq;
    return kept->line + prefix;
}

size_t
gavel_events_size (gavel_events_t *self)
{
    return self->size;
}

const char *
gavel_events_at (gavel_events_t *self, size_t position, uint64_t *seq)
{
    assert (position < self->size);
    slot_t *kept = &self->slots [(self->oldest + position) % self->capacity];
    if (seq)
        *seq = kept->seq;
    return kept->line;
}

void
gavel_events_test (bool verbose)
{
    printf (" * gavel_events: ");
    gavel_events_t *self = gavel_events_new (3);
    assert (gavel_events_size (self) == 0);
    const char *record = gavel_events_add (self, 1, 4, 2, 1700000000000, "event=bid auction=1 bidder=ann amount=5");
    assert (streq (record, "event=bid auction=1 bidder=ann amount=5"));
    uint64_t seq = 0;
    assert (streq (gavel_events_at (self, 0, &seq),
                   "seq=1 index=4 term=2 stamp=1700000000000 event=bid auction=1 bidder=ann amount=5"));
    assert (seq == 1);
    //  Full at three: the fourth and fifth push out the oldest, in order
    for (uint64_t next = 2; next <= 5; next++) {
        char text [64];
        snprintf (text, sizeof text, "event=bid auction=1 bidder=bob amount=%" PRIu64, next * 10);
        gavel_events_add (self, next, next + 3, 2, 1700000000000 + (int64_t) next, text);
    }
    assert (gavel_events_size (self) == 3);
    for (size_t position = 0; position < 3; position++) {
        gavel_events_at (self, position, &seq);
        assert (seq == position + 3);
    }
    assert (streq (gavel_events_at (self, 2, NULL),
                   "seq=5 index=8 term=2 stamp=1700000000005 event=bid auction=1 bidder=bob amount=50"));
    //  A record at the longest fits a slot that held a short one
    char longest [GAVEL_RECORD_MAX + 1];
    memset (longest, 'x', GAVEL_RECORD_MAX);
    longest [GAVEL_RECORD_MAX] = '\0';
    record = gavel_events_add (self, UINT64_MAX, UINT64_MAX, UINT64_MAX, INT64_MIN, longest);
    assert (streq (record, longest));
    const char *line = gavel_events_at (self, 2, &seq);
    assert (seq == UINT64_MAX && strlen (line) > GAVEL_RECORD_MAX);
    assert (strncmp (line, "seq=18446744073709551615 index=18446744073709551615", 51) == 0);
    gavel_events_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
