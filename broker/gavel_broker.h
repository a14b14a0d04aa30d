/*  gavel_broker: the stateless front door of a Gavel cluster.

    Bidders send requests to the broker's ROUTER as they would to a replica,
    directly or through ROUTER/DEALER proxies. The broker keeps each one's
    routing, forwards the request, frames unchanged, to the primary it learnt
    from the replicas' heartbeats, behind a routing frame of its own that
    names the request (the replicas send routing back with the reply), and
    passes the answer back behind the bidder's routing. It follows redirects
    itself (gavel_attempt), and while no replica answers it holds the
    request, sending it again with the same request id, until the hold bound
    runs out; only then does the bidder hear `exception no-quorum`.

    It also re-publishes the replicas' committed event feed on its own PUB,
    each event number once and in order, what a failover lost fetched with
    HISTORY from the replicas in turn (gavel_feed decides; the broker wires
    its sockets to it).

    The broker keeps no state worth saving: kill it and start another.
*/
#ifndef GAVEL_BROKER_H_INCLUDED
#define GAVEL_BROKER_H_INCLUDED

#include <czmq.h>
#include "gavel_config.h"

#define GAVEL_BROKER_ATTEMPT    300     //  ms a replica has to answer a forward
#define GAVEL_BROKER_BACKLOG    10000   //  live events held while history loads

typedef struct _gavel_broker_t gavel_broker_t;

//  A broker for broker id of this cluster, its sockets bound and connected.
//  Borrows config, which must outlive it. NULL with a reason in error.
gavel_broker_t *
    gavel_broker_new (gavel_config_t *config, uint64_t id, char *error, size_t error_size);

void
    gavel_broker_destroy (gavel_broker_t **self_p);

//  How long a request may be held (ms) before the bidder hears no-quorum;
//  the cluster file's broker_hold by default.
void
    gavel_broker_set_hold (gavel_broker_t *self, int64_t hold);

//  How long one forward may go unanswered (ms) before it is sent again.
void
    gavel_broker_set_attempt (gavel_broker_t *self, int64_t attempt);

void
    gavel_broker_set_verbose (gavel_broker_t *self, bool verbose);

//  One turn: wait up to timeout ms for input, handle what came and what
//  timed out. Returns -1 when interrupted.
int
    gavel_broker_poll (gavel_broker_t *self, int timeout);

//  Turns until interrupted (SIGINT, SIGTERM).
void
    gavel_broker_run (gavel_broker_t *self);

//  Messages that could not even be framed, dropped.
size_t
    gavel_broker_dropped (gavel_broker_t *self);

void
    gavel_broker_test (bool verbose);

#endif
