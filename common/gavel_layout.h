/*  gavel_layout: a cluster laid out on this machine's loopback, in one
    directory: its ports, its key pairs and its cluster file.

    Replica I (1 to N) gets GAVEL_LAYOUT_REPLICA_PORTS consecutive ports
    (client, pub, ack, mesh) on 127.0.0.1, then broker I gets
    GAVEL_LAYOUT_BROKER_PORTS (client, pub), all in one run of ports. Its
    data directory is DIR/rI; the key pairs are DIR/keys/replicaI and
    DIR/keys/brokerI with their _secret files. The cluster file's text is
    gavel_config's format; a layout without keys makes an insecure cluster.
*/
#ifndef GAVEL_LAYOUT_H_INCLUDED
#define GAVEL_LAYOUT_H_INCLUDED

#include <czmq.h>

#define GAVEL_LAYOUT_REPLICA_PORTS  4   //  client, pub, ack, mesh
#define GAVEL_LAYOUT_BROKER_PORTS   2   //  client, pub

//  What goes into cluster/settings; 0 leaves a setting to the replicas.
typedef struct {
    uint64_t heartbeat;
    uint64_t election;
    uint64_t snapshot_every;
    bool fsync;                 //  always written: replicas default to always
    bool fsync_writer;          //  fsync = writer (with fsync)
} gavel_layout_settings_t;

typedef struct _gavel_layout_t gavel_layout_t;

//  A layout of replicas (1 to GAVEL_REPLICAS_MAX) and brokers (0 to
//  GAVEL_BROKERS_MAX) in dir, an absolute path without '"' or control
//  characters (the cluster file holds it as a value).
gavel_layout_t *
    gavel_layout_new (const char *dir, size_t replicas, size_t brokers);

//  Releases the ports it still holds.
void
    gavel_layout_destroy (gavel_layout_t **self_p);

void
    gavel_layout_set_settings (gavel_layout_t *self, const gavel_layout_settings_t *settings);

//  Make (or reuse, when their secrets load) a key pair per replica and
//  broker in DIR/keys (mode 0700); the text then lists them. Returns 0, or
//  -1 with the reason in error.
int
    gavel_layout_make_keys (gavel_layout_t *self, char *error, size_t error_size);

//  Take the ports: from base_port on, or when base_port is 0 the first free
//  run from a random base between 20000 and 32000 (below Linux's ephemeral
//  range, so that no outgoing connection holds one). Each port is held (a
//  socket bound to it, never listening, which a server binding with
//  SO_REUSEADDR can take over) until released: two layouts made side by
//  side cannot both take a port. Returns 0, or -1 with the reason in error.
int
    gavel_layout_hold_ports (gavel_layout_t *self, uint64_t base_port,
                             char *error, size_t error_size);

//  How many ports the layout takes.
size_t
    gavel_layout_port_count (gavel_layout_t *self);

//  The index-th port, once held.
int
    gavel_layout_port (gavel_layout_t *self, size_t index);

//  Let go of the ports, once the servers have bound them.
void
    gavel_layout_release_ports (gavel_layout_t *self);

//  The cluster file's text, once the ports are held. The caller frees it.
char *
    gavel_layout_text (gavel_layout_t *self);

//  Write the text to path: written aside (path.tmp) and renamed, so that no
//  server reads half a file. Returns 0, or -1 with the reason in error.
int
    gavel_layout_save (gavel_layout_t *self, const char *path, char *error, size_t error_size);

void
    gavel_layout_test (bool verbose);

#endif
