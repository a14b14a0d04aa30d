/*  gavel_fetcher: asks a cluster for past events of its feed (HISTORY).

    The endpoints that answer are the brokers' client endpoints, then the
    replicas' (any replica answers from the events it applied). An ask is
    blocking and bounded: a feed follower that waits for the answer leaves
    its own sockets holding what comes meanwhile.
*/
#ifndef GAVEL_FETCHER_H_INCLUDED
#define GAVEL_FETCHER_H_INCLUDED

#include <czmq.h>
#include "gavel_config.h"
#include "gavel_msg.h"

typedef struct _gavel_fetcher_t gavel_fetcher_t;

//  A history asker for program (its name and session in the requests),
//  with config's endpoints (borrowed; NULL: none).
gavel_fetcher_t *
    gavel_fetcher_new (const char *program, gavel_config_t *config);

void
    gavel_fetcher_destroy (gavel_fetcher_t **self_p);

//  How many endpoints can be asked.
size_t
    gavel_fetcher_size (gavel_fetcher_t *self);

//  Ask endpoint number endpoint (below size) for count events from event
//  from on (0: the last count; count capped at GAVEL_HISTORY_MAX). The
//  decoded reply, or NULL when none came within about 1.5 s.
gavel_msg_t *
    gavel_fetcher_ask (gavel_fetcher_t *self, size_t endpoint, uint64_t request_id,
                       uint64_t from, uint64_t count);

//  The longest an ask waits, in ms.
#define GAVEL_FETCHER_ASK_WAIT  1500

void
    gavel_fetcher_test (bool verbose);

#endif
