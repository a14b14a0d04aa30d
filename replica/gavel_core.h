/*  gavel_core: the replica's logic, driven by events with the time given.

    The single entry point of the pure core: a request arrived, time passed.
    Replies come out through an outbox that the shell drains after each call.
    It never touches a socket, a clock or a file, so tests drive it directly.

    Today it is a cluster of one: a state-changing request is stamped with
    `now` and applied at once. Replication puts a log between the two.
*/
#ifndef GAVEL_CORE_H_INCLUDED
#define GAVEL_CORE_H_INCLUDED

#include "gavel_msg.h"

typedef struct _gavel_core_t gavel_core_t;

gavel_core_t *
    gavel_core_new (uint64_t replica_id);

void
    gavel_core_destroy (gavel_core_t **self_p);

//  A decoded client request arrived at `now` (ms, wall clock). Takes ownership
//  of route (the opaque envelope the shell needs to answer; may be NULL) and
//  of the request. The reply goes to the outbox.
void
    gavel_core_request (gavel_core_t *self, zmsg_t **route_p,
                        gavel_msg_t **request_p, int64_t now);

//  Time passed: closes auctions whose deadline is due.
void
    gavel_core_tick (gavel_core_t *self, int64_t now);

//  The next time the core wants a tick, or INT64_MAX.
int64_t
    gavel_core_next_deadline (gavel_core_t *self);

//  Take the next reply from the outbox, or NULL when empty; the envelope it
//  goes to is handed back through route_p. Caller owns both.
gavel_msg_t *
    gavel_core_next_reply (gavel_core_t *self, zmsg_t **route_p);

uint64_t
    gavel_core_applied (gavel_core_t *self);     //  entries applied so far

void
    gavel_core_test (bool verbose);

#endif
