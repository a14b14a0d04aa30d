/*  gavel_zap: who may connect to our CURVE endpoints (a ZAP handler).

    libzmq asks the ZAP handler of its context, on inproc://zeromq.zap.01,
    about every CURVE handshake on a server socket; the request names the
    socket's ZAP domain and the client's public key. We need two policies
    in one process: a replica's mesh, ack and pub endpoints admit only the
    cluster's own keys (replicas and brokers), while its client endpoint
    admits any bidder, or only those of an allow-list. czmq's zauth cannot
    do that: it keeps one set of certificates (or "allow any") for the whole
    context and never looks at the domain. So this small actor decides per
    domain instead. A domain is a policy word and the endpoint, for example
    "peer tcp://127.0.0.1:21004" or "client tcp://127.0.0.1:21001":

    - "peer": the client's key must be one added with gavel_zap_allow_peer;
    - "client": any key, unless keys were added with gavel_zap_allow_client,
      then only those and the peers' (a broker forwards bidders' requests);
    - anything else, and any mechanism but CURVE: refused.

    An accepted client gets its Z85 public key as its ZMQ "User-Id", so the
    replica knows which key sent a request. Every refusal is logged, one
    line naming the endpoint, the key and the address, at most a few lines
    a second (a flood is counted, not logged line by line). Handshakes that
    fail before ZAP is asked (a client without CURVE) are logged too, for
    the sockets given to gavel_zap_monitor.

    One per process (libzmq allows one ZAP handler per context, and czmq
    has one context): gavel_sock starts it when a process serves with CURVE.
*/
#ifndef GAVEL_ZAP_H_INCLUDED
#define GAVEL_ZAP_H_INCLUDED

#include <czmq.h>

typedef struct _gavel_zap_t gavel_zap_t;

//  Start the handler. NULL with the reason in error (another ZAP handler is
//  bound already).
gavel_zap_t *
    gavel_zap_new (char *error, size_t error_size);

void
    gavel_zap_destroy (gavel_zap_t **self_p);

//  Admit key (Z85) on "peer" domains (and on "client" domains).
void
    gavel_zap_allow_peer (gavel_zap_t *self, const char *key);

//  Admit key on "client" domains; the first call makes "client" domains
//  admit only the keys so added (and the peers'). An empty key adds none:
//  an empty allow-list admits no bidder.
void
    gavel_zap_allow_client (gavel_zap_t *self, const char *key);

//  Log the handshakes that fail on sock before ZAP is asked (a client
//  without CURVE, or with a bad handshake), naming endpoint. Call after
//  the bind, from the thread that owns sock; destroy sock before the
//  handler (libzmq would block on events nobody reads).
void
    gavel_zap_monitor (gavel_zap_t *self, zsock_t *sock, const char *endpoint);

//  Handshakes refused so far (by ZAP, or failed on a monitored socket).
uint64_t
    gavel_zap_refused (gavel_zap_t *self);

void
    gavel_zap_test (bool verbose);

#endif
