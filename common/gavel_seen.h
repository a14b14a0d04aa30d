/*  gavel_seen: a window of the events a watcher has printed.

    The same event may arrive twice (from an old and a new primary across a
    failover, or from a history replay), and (index, record) names it, since
    one entry can close several auctions. A window of the most recent ones is
    enough to print each once; the oldest is forgotten first.
*/
#ifndef GAVEL_SEEN_H_INCLUDED
#define GAVEL_SEEN_H_INCLUDED

#include <czmq.h>

typedef struct _gavel_seen_t gavel_seen_t;

//  A window remembering the last `size` events.
gavel_seen_t *
    gavel_seen_new (size_t size);

void
    gavel_seen_destroy (gavel_seen_t **self_p);

//  True when this event is in the window; otherwise remembers it and
//  returns false.
bool
    gavel_seen_check (gavel_seen_t *self, uint64_t index, const char *record);

void
    gavel_seen_test (bool verbose);

#endif
