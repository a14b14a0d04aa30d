/*  gavel_sock: every socket Gavel opens is made here.

    One place to set what all our sockets share (no linger, sends that never
    block, a message size bound on public endpoints, and later CURVE), so no
    program forgets one.
*/
#ifndef GAVEL_SOCK_H_INCLUDED
#define GAVEL_SOCK_H_INCLUDED

#include <czmq.h>

//  Largest message a public endpoint accepts; a peer that sends a bigger one
//  is disconnected by libzmq before we read it.
#define GAVEL_SOCK_MAXMSGSIZE (64 * 1024)

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

//  A DEALER connected to endpoint, for a client.
zsock_t *
    gavel_sock_new_client (const char *endpoint, char *error, size_t error_size);

//  The TCP port a bound socket ended up on (for "tcp://127.0.0.1:*"), or -1.
int
    gavel_sock_port (zsock_t *sock);

#endif
