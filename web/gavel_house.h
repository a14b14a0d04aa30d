/*  gavel_house: the auction house as its committed event feed tells it,
    for people who watch.

    Events go in, in the feed's order (docs/PROTOCOL.md, "The event feed");
    out comes the house as JSON: every auction it heard opened, with its
    item, seller, deadline, highest bid and bidder, and once closed its
    winner; the last bids placed; the primary the feed last named. What it
    never heard of (an auction opened before the events it caught up on)
    shows from its first bid on, item unknown. It keeps at most
    GAVEL_HOUSE_AUCTIONS auctions, forgetting the oldest closed ones first,
    so memory stays bounded however long it runs. No socket, clock or
    thread: gavel-web feeds it from its feed loop.
*/
#ifndef GAVEL_HOUSE_H_INCLUDED
#define GAVEL_HOUSE_H_INCLUDED

#include <czmq.h>
#include "gavel_msg.h"

#define GAVEL_HOUSE_AUCTIONS    1000    //  auctions kept at most
#define GAVEL_HOUSE_RECENT      20      //  last bids kept

typedef struct _gavel_house_t gavel_house_t;

gavel_house_t *
    gavel_house_new (void);

void
    gavel_house_destroy (gavel_house_t **self_p);

//  One committed event, the next in the feed's order. Returns false (and
//  changes nothing) when it is not an event this class can read.
bool
    gavel_house_apply (gavel_house_t *self, gavel_msg_t *event);

//  Forget everything: the feed started again (its numbers went back).
void
    gavel_house_clear (gavel_house_t *self);

//  The number of the last event applied, 0 before the first.
uint64_t
    gavel_house_seq (gavel_house_t *self);

//  The house as one JSON object, caller frees:
//  {"seq":N,"primary":ID,"term":T,"auctions":[{"auction":ID,"item":"...",
//  "seller":"...","closes_at":MS,"reserve":N,"state":"open"|"closed",
//  "amount":N,"bidder":"...","bids":N,"winner":"..."}...],
//  "recent":[{"seq":N,"stamp":MS,"auction":ID,"bidder":"...","amount":N}...]}
//  Auctions newest first; amount and bidder are the highest bid (0 and ""
//  before any), winner "" until closed (and when nobody bid).
char *
    gavel_house_json (gavel_house_t *self);

void
    gavel_house_test (bool verbose);

#endif
