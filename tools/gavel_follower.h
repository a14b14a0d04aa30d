/*  gavel_follower: Gavel's event feed followed from a cluster, each event
    once and in order, holes fetched from the history.

    The socket wiring around gavel_feed that zmq-tail and gavel-web share:
    one SUB per feed endpoint (gavel_subscription, each with a monitor),
    the cluster file's feeds (its brokers' pub endpoints, or without
    brokers every replica's), HISTORY asked of the cluster's client
    endpoints (gavel_fetcher) when the follower wants it, and the poll.
    What happens goes to the caller's handler: each delivered event and
    what the follower says of holes, each message that is no event, each
    note of a monitor; or, raw, every message undecoded.
*/
#ifndef GAVEL_FOLLOWER_H_INCLUDED
#define GAVEL_FOLLOWER_H_INCLUDED

#include <czmq.h>
#include "gavel_config.h"
#include "gavel_feed.h"

typedef struct {
    //  What the feed follower says, but its fetches (done here): DELIVER an
    //  event, GAP, FILLED, LOST, RESTART, BAD_RECORD. The action is
    //  destroyed after the call.
    void (*action) (void *arg, gavel_feed_action_t *action);
    //  A message off a feed that is no event it can read, with why
    void (*malformed) (void *arg, zmsg_t *msg, const char *why);
    //  A monitor's word for people: connected, lost, refused...
    void (*note) (void *arg, const char *note);
    //  When set, every message goes here as it came, nothing decoded
    void (*raw) (void *arg, zmsg_t *msg);
    void *arg;
} gavel_follower_handler_t;

typedef struct _gavel_follower_t gavel_follower_t;

//  A follower for program (its name in HISTORY requests) of the endpoints
//  given (count of them) and, when config is not NULL, of the cluster's
//  feeds, asking config's client endpoints for history (config is
//  borrowed; path names it in errors). topics and hwm as
//  gavel_subscription_new takes them. CURVE must be set up. NULL with the
//  reason in error when there is nothing to follow or an endpoint cannot
//  be followed.
gavel_follower_t *
    gavel_follower_new (const char *program, gavel_config_t *config, const char *path,
                        const char *const *endpoints, size_t count,
                        const char *const *topics, size_t topic_count, int64_t hwm,
                        const gavel_follower_handler_t *handler, char *error, size_t size);

void
    gavel_follower_destroy (gavel_follower_t **self_p);

//  How many endpoints HISTORY can be asked of (0 without a cluster file).
size_t
    gavel_follower_history_endpoints (gavel_follower_t *self);

//  The last count events of the history first, then live ones.
void
    gavel_follower_catch_up (gavel_follower_t *self, uint64_t count);

//  Wait at most timeout ms for messages and handle what came (a fetch the
//  follower wants waits for its answer here). 0, or -1 when a feed cannot
//  be read, with why in error. A signal ends the wait early.
int
    gavel_follower_wait (gavel_follower_t *self, int timeout, char *error, size_t size);

//  The caller wants nothing more (zmq-tail --count reached): a hole from
//  now on is not fetched, and so never makes a wait block on a history
//  request. A signal (zsys_interrupted) does the same.
void
    gavel_follower_stop (gavel_follower_t *self);

//  The number of the last event delivered, 0 before the first.
uint64_t
    gavel_follower_last_seq (gavel_follower_t *self);

void
    gavel_follower_test (bool verbose);

#endif
