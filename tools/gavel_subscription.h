/*  gavel_subscription: one PUB endpoint followed, by a SUB of its own.

    Its own SUB, so that a monitor on it tells when that endpoint comes and
    goes; the monitor listens before the first handshake, so "connected"
    is a fact and not a guess. The caller polls both sockets, reads the
    SUB, and hands what the monitor says to gavel_subscription_on_monitor.
*/
#ifndef GAVEL_SUBSCRIPTION_H_INCLUDED
#define GAVEL_SUBSCRIPTION_H_INCLUDED

#include <czmq.h>

typedef struct _gavel_subscription_t gavel_subscription_t;

//  Subscription number id of this process (unique in it) to endpoint, with
//  topics (topic_count of them; none: nothing comes) and a high-water mark
//  of about hwm messages (0: libzmq's default), CURVE as gavel_sock set it
//  up. NULL with the reason in error when endpoint cannot be followed.
gavel_subscription_t *
    gavel_subscription_new (const char *endpoint, size_t id, const char *const *topics,
                            size_t topic_count, int64_t hwm, char *error, size_t size);

void
    gavel_subscription_destroy (gavel_subscription_t **self_p);

const char *
    gavel_subscription_endpoint (gavel_subscription_t *self);

//  The SUB to read messages from, and the monitor to poll with it.
zsock_t *
    gavel_subscription_sub (gavel_subscription_t *self);
zactor_t *
    gavel_subscription_monitor (gavel_subscription_t *self);

//  Read one word of the monitor. Returns true with a note for the user in
//  note when it changes what we know: connected, lost, reconnected (raw:
//  nothing tells what was missed meanwhile), refused (said once until a
//  handshake succeeds).
#define GAVEL_SUBSCRIPTION_NOTE_MAX 1024
bool
    gavel_subscription_on_monitor (gavel_subscription_t *self, bool raw,
                                   char *note, size_t size);

void
    gavel_subscription_test (bool verbose);

#endif
