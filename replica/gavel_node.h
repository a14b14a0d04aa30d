/*  gavel_node: the replica's shell. Sockets, the poll loop, the clock.

    Feeds the pure core (gavel_core) with what arrives and the time, and sends
    what the core puts in its outbox. Runs in the replica's main thread, or as
    a zactor so that a test can run a replica in-process:

        zactor_t *node = zactor_new (gavel_node_actor, "tcp://127.0.0.1:*");
        zstr_send (node, "PORT");
        char *port = zstr_recv (node);      //  where it bound
        zactor_destroy (&node);             //  stops it
*/
#ifndef GAVEL_NODE_H_INCLUDED
#define GAVEL_NODE_H_INCLUDED

#include <czmq.h>
#include "gavel_config.h"

typedef struct _gavel_node_t gavel_node_t;

//  Replica `id` of the cluster file: load its data directory, bind its
//  endpoints, connect to its peers. NULL with the reason in error, and,
//  when bad_data is not NULL, *bad_data true when that reason is the data
//  directory (a file that does not load: no retry helps, unlike a port in
//  use), so that the program can say which with its exit status.
gavel_node_t *
    gavel_node_new (gavel_config_t *config, uint64_t id, bool *bad_data,
                    char *error, size_t error_size);

void
    gavel_node_destroy (gavel_node_t **self_p);

//  Serve until interrupted (SIGINT/SIGTERM) or, when pipe is not NULL, until
//  the pipe says $TERM (or PORT: answers the client port). Returns 0.
int
    gavel_node_run (gavel_node_t *self, zsock_t *pipe);

//  The TCP port the client endpoint is bound to.
int
    gavel_node_port (gavel_node_t *self);

//  zactor body: args is the client endpoint (a const char *). Sends the
//  signal 0 when serving, -1 (and stops) when it could not bind.
void
    gavel_node_actor (zsock_t *pipe, void *args);

void
    gavel_node_test (bool verbose);

#endif
