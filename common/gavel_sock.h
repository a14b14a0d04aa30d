/*  gavel_sock: every socket Gavel opens is made here.

    One place to set what all our sockets share (no linger, sends that never
    block, a message size bound on public endpoints, CURVE), so no program
    forgets one.

    CURVE is a process-wide setting, like czmq's zsys_set_*: a program turns
    it on once at start, from its main thread, before it makes a socket
    (gavel_sock_curve_start), and every socket made after that is secure:

    - a socket that connects to an endpoint of the cluster file is a CURVE
      client of the server listed there (its public_key), with our key pair;
    - a socket bound to an endpoint of the cluster file is a CURVE server
      with our key pair, under the ZAP domain "peer ENDPOINT" (a replica's
      pub, ack and mesh: only the cluster's replica and broker keys) or
      "client ENDPOINT" (client endpoints and a broker's pub: any bidder
      key, or those of cluster/settings/bidder_allow); a process that binds
      starts gavel_zap to enforce that and to log refusals;
    - an endpoint the cluster file does not list cannot be used securely
      (there is no server key to check, no policy to apply): an error says
      so. inproc:// endpoints stay as they are (nothing leaves the process).

    Without gavel_sock_curve_start (--insecure, and the self tests) sockets
    are plain ZeroMQ.
*/
#ifndef GAVEL_SOCK_H_INCLUDED
#define GAVEL_SOCK_H_INCLUDED

#include <czmq.h>
#include "gavel_config.h"

//  Largest message a public endpoint accepts; a peer that sends a bigger one
//  is disconnected by libzmq before we read it.
#define GAVEL_SOCK_MAXMSGSIZE (64 * 1024)

//  Sockets made by gavel_sock_new and gavel_sock_new_keyed (the replicas'
//  PUB/SUB, PUSH/PULL and mesh ROUTER/DEALER, a broker's and a client's
//  connections to replicas) find a dead connection themselves: without it
//  a link cut silently (a partition, a host gone) holds its TCP connection
//  until the kernel's retransmission back-off gives up or a retransmission
//  gets through after a heal, seconds after the link is back. Each side
//  sends a ZMTP PING every HEARTBEAT_IVL ms and drops a connection silent
//  for HEARTBEAT_TIMEOUT ms after one (a few heartbeats, and several round
//  trips of a slow link); the connecting side then tries again every
//  RECONNECT_IVL ms, with no back-off (an attempt costs one SYN, and a
//  cluster has a handful of peers), each TCP connect abandoned after
//  CONNECT_TIMEOUT ms (a SYN lost in a partition would otherwise wait for
//  the kernel's SYN retries, 1 s, then 3 s, then 7 s; it must stay above
//  the round trip of the slowest link, 400 ms in the fault campaign). So a
//  healed link carries messages again within about CONNECT_TIMEOUT +
//  RECONNECT_IVL and a handshake.
#define GAVEL_SOCK_HEARTBEAT_IVL        200
#define GAVEL_SOCK_HEARTBEAT_TIMEOUT    1000
#define GAVEL_SOCK_RECONNECT_IVL        100
#define GAVEL_SOCK_CONNECT_TIMEOUT      500

//  A socket of type (ZMQ_ROUTER, ZMQ_PUB...) bound to, or connected to,
//  endpoint. Sends never block: a message that cannot go at once is dropped
//  (send returns -1), since every Gavel protocol recovers from loss and a
//  blocked replica recovers from nothing. Receives do not block either when
//  nonblocking is set. NULL on failure, with the reason in error.
//  identity, when not NULL, is the socket's routing id (set before connect).
zsock_t *
    gavel_sock_new (int type, const char *endpoint, bool bind, const char *identity,
                    char *error, size_t error_size);

//  A ROUTER bound to endpoint, for clients' requests (size bound on).
zsock_t *
    gavel_sock_new_server (const char *endpoint, char *error, size_t error_size);

//  A PUB bound to endpoint, for subscribers we do not run (a broker's feed).
//  Its kernel send buffer per subscriber is bounded: left to itself, the
//  kernel would hold megabytes for a subscriber that stopped reading, far
//  beyond the high-water mark, and that subscriber would learn of its loss
//  only long after (docs/OPERATIONS.md, "Holes, and how they are filled").
#define GAVEL_SOCK_FEED_SNDBUF (128 * 1024)
zsock_t *
    gavel_sock_new_feed (const char *endpoint, char *error, size_t error_size);

//  A DEALER connected to endpoint, for a client.
zsock_t *
    gavel_sock_new_client (const char *endpoint, char *error, size_t error_size);

//  The same with key pair cert (borrowed) instead of the process's: a load
//  generator's many clients, each its own bidder.
zsock_t *
    gavel_sock_new_keyed (int type, const char *endpoint, bool bind, const char *identity,
                          zcert_t *cert, char *error, size_t error_size);

//  For a socket made here that the caller binds or connects itself later
//  (after setting up a monitor, say): the CURVE options for that bind or
//  connect to endpoint, which must come before it. Returns 0 (also when
//  CURVE is off), or -1 with the reason in error.
int
    gavel_sock_curve_apply (zsock_t *sock, const char *endpoint, bool bind,
                            char *error, size_t error_size);

//  Start libzmq's monitor on sock for events (a ZMQ_EVENT_* mask), on an
//  inproc endpoint named anew each time in the process (libzmq frees a
//  monitor's endpoint only a while after its socket closed, so a name
//  given again could still be taken), written into address for a PAIR to
//  connect to. Returns 0, or -1 (zmq_errno says why).
int
    gavel_sock_monitor (zsock_t *sock, int events, char *address, size_t size);

//  A monitor's message: its event (0 when it is no monitor message), and
//  its value (an errno, a descriptor...) into *value when not NULL.
uint16_t
    gavel_sock_monitor_event (zmsg_t *msg, uint32_t *value);

//  The TCP port a bound socket ended up on (for "tcp://127.0.0.1:*"), or -1.
int
    gavel_sock_port (zsock_t *sock);

//  For self tests: a TCP port on 127.0.0.1 that is free right now (a
//  cluster file must name its endpoints before anything binds them).
int
    gavel_sock_free_port (void);

//  The warning every program prints at start under --insecure.
#define GAVEL_SOCK_INSECURE_WARNING \
    "warning: --insecure: CURVE is off, traffic is in clear and anyone can connect"

//  CURVE on, for a program that uses the cluster file config: our key pair
//  is *cert_p (taken; NULL for a fresh one made in memory, enough for a
//  client that is no bidder), each server's public key and each endpoint's
//  policy come from config. serve: this process binds (a replica, a
//  broker): start the ZAP handler with the cluster's keys and the bidder
//  allow-list. Returns 0, or -1 with the reason in error (a file without
//  public keys, an allow-list that cannot be read).
int
    gavel_sock_curve_start (gavel_config_t *config, zcert_t **cert_p, bool serve,
                            char *error, size_t error_size);

//  For programs: what to do about CURVE. With insecure, print the warning
//  (program: its name) and leave CURVE off; else turn it on as above.
//  Returns 0, or -1 having printed "program: reason" on stderr.
int
    gavel_sock_curve_setup (const char *program, gavel_config_t *config, bool insecure,
                            zcert_t **cert_p, bool serve);

//  For a server (role "replica" or "broker"): its own secret certificate as
//  the cluster file (named cluster, for messages) lists it, then as
//  gavel_sock_curve_setup, then a log line saying whether CURVE is on.
//  Returns 0, or -1 having printed "role: reason" on stderr.
int
    gavel_sock_curve_setup_server (gavel_config_t *config, const char *cluster, const char *role,
                                   uint64_t id, const char *secret, const char *public_key,
                                   bool insecure);

//  Change our key pair (taken): sockets made after this use it (a bidder
//  that takes another name).
void
    gavel_sock_curve_set_cert (zcert_t **cert_p);

//  Whether CURVE is on; our public key (Z85) then, else "".
bool
    gavel_sock_curve_on (void);
const char *
    gavel_sock_curve_public (void);

//  Handshakes refused by this process's ZAP handler so far (0 without one).
uint64_t
    gavel_sock_curve_refused (void);

//  CURVE off again: stops the ZAP handler, forgets keys. Call at exit,
//  after the last socket is destroyed: libzmq's I/O thread would block on
//  the monitor of a server socket that outlived the handler reading it.
void
    gavel_sock_curve_end (void);

void
    gavel_sock_test (bool verbose);

#endif
