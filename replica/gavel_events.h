/*  gavel_events: the last events a replica applied, for HISTORY.

    Every replica numbers the events of the committed log (seq 1, 2, ...)
    and keeps the newest ones, so that any replica can answer HISTORY
    (docs/PROTOCOL.md, "HISTORY"). Each is kept as its HISTORY record,
    "seq=N index=I term=T stamp=MS EVENT-RECORD". A ring of lines whose
    buffers are reused: keeping an event allocates nothing once the ring is
    full, which matters at one event per committed bid on every replica.
*/
#ifndef GAVEL_EVENTS_H_INCLUDED
#define GAVEL_EVENTS_H_INCLUDED

#include "gavel_msg.h"

typedef struct _gavel_events_t gavel_events_t;

//  A ring that keeps the newest capacity events (1 or more)
gavel_events_t *
    gavel_events_new (size_t capacity);

void
    gavel_events_destroy (gavel_events_t **self_p);

//  Keep an event as the newest, forgetting the oldest when full. record is
//  the event's own record ("event=bid auction=1 ..."), at most
//  GAVEL_RECORD_MAX bytes. Returns that record as kept, borrowed until the
//  next add.
const char *
    gavel_events_add (gavel_events_t *self, uint64_t seq, uint64_t index, uint64_t term,
                      int64_t stamp, const char *record);

//  How many events are kept
size_t
    gavel_events_size (gavel_events_t *self);

//  The kept event at position (0 the oldest), as its HISTORY record; its
//  number in seq when not NULL. Borrowed until the next add.
const char *
    gavel_events_at (gavel_events_t *self, size_t position, uint64_t *seq);

void
    gavel_events_test (bool verbose);

#endif
