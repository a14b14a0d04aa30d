/*  gavel_client: a bidder's connection to the replica set.

    Holds the list of endpoints (replicas, or brokers), one DEALER for
    each, the session token (16 random hex digits) and the request counter
    (1, 2, 3... for the whole life of the client), and waits for the answer
    to one request at a time. When to resend, where to, and when to give up
    is gavel_attempt's policy (docs/PROTOCOL.md, "Retrying"): redirects
    followed to the endpoint they name (added to the list if it is new),
    the same request id sent again after a time-out or a no-quorum, silent
    endpoints passed over, and a budget of (retries + 1) time-outs in all.
    Since OPEN and BID are applied at most once per (session, request id),
    a retry can never bid twice, and an earlier attempt's late answer is as
    good as the last one's. Replies to other request ids are dropped; a
    redirect is never returned to the caller.
*/
#ifndef GAVEL_CLIENT_H_INCLUDED
#define GAVEL_CLIENT_H_INCLUDED

#include "gavel_msg.h"

#define GAVEL_CLIENT_TIMEOUT    500     //  ms per attempt, by default (the
                                        //  cluster file's request_timeout)
//  Extra attempts' time, by default: enough to ride through a failover (an
//  election takes E + a few heartbeats, well under 10 x 500 ms)
#define GAVEL_CLIENT_RETRIES    10

typedef struct _gavel_client_t gavel_client_t;

//  Create a client with no endpoint yet and a fresh session token.
gavel_client_t *
    gavel_client_new (void);

//  Destroy; closes every socket; sets the caller's pointer to NULL.
void
    gavel_client_destroy (gavel_client_t **self_p);

//  Add a replica's client endpoint and connect to it. Returns 0, or -1 with
//  the reason in error (a malformed endpoint, or too many).
int
    gavel_client_connect (gavel_client_t *self, const char *endpoint,
                          char *error, size_t error_size);

//  Close every socket; each is made afresh, with the process's CURVE key
//  pair of the moment (gavel_sock), when next used. For a bidder that takes
//  another name, and so another key.
void
    gavel_client_reset (gavel_client_t *self);

//  Number of endpoints added.
size_t
    gavel_client_endpoints (gavel_client_t *self);

//  Time to wait for each attempt's reply, in ms (at least 1).
void
    gavel_client_set_timeout (gavel_client_t *self, int64_t timeout);

//  Attempts after the first one when no reply comes (0 or more): the
//  request's budget is (retries + 1) time-outs.
void
    gavel_client_set_retries (gavel_client_t *self, unsigned retries);

//  Trace every attempt and every dropped reply on stderr.
void
    gavel_client_set_verbose (gavel_client_t *self, bool verbose);

//  The session token sent with every request.
const char *
    gavel_client_session (gavel_client_t *self);

//  Send request and wait for its reply, following redirects. Stamps the
//  request with the next request id and the session token (the caller sets
//  the rest, including the name). Returns the reply (success, fail or
//  exception; never redirect), which the caller owns, or NULL when no
//  replica answered within the retries or the process was interrupted (then
//  zsys_interrupted is set); error then says which.
gavel_msg_t *
    gavel_client_request (gavel_client_t *self, gavel_msg_t *request,
                          char *error, size_t error_size);

//  Pipelining: several requests outstanding on one client (the protocol
//  allows it: each has its own request id, and a replica answers each).
//  Each request in flight goes in a session of its own (the first one is
//  gavel_client_session's), so that a retry is never refused as stale.
//  send stamps request as gavel_client_request does, keeps a copy to send
//  again, sends it, and returns its request id without waiting; at most
//  GAVEL_CLIENT_PIPELINE_MAX may be outstanding. wait returns the first
//  outstanding request (in the order sent) that has ended, its id in *id_p
//  and, when ended_p is not NULL, when it ended (µs, zclock_usecs: when its
//  answer came, not when wait returned it): its reply, which the caller
//  owns, or NULL with error (no answer within the retries; or interrupted:
//  the requests that ended still come first, then the rest are dropped).
//  gavel_client_request is send then wait, with none outstanding.
#define GAVEL_CLIENT_PIPELINE_MAX   64

uint64_t
    gavel_client_send (gavel_client_t *self, gavel_msg_t *request);

gavel_msg_t *
    gavel_client_wait (gavel_client_t *self, uint64_t *id_p, int64_t *ended_p,
                       char *error, size_t error_size);

//  Requests sent and not yet returned by wait.
size_t
    gavel_client_outstanding (gavel_client_t *self);

void
    gavel_client_test (bool verbose);

#endif
