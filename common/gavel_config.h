/*  gavel_config: the cluster file (czmq ZPL), validated.

    Every program takes --cluster FILE. The file names the replicas and their
    endpoints, and the cluster-wide settings:

        cluster
            name = demo
            settings
                request_timeout = 1000      #  ms, clients
        replica
            1
                client = tcp://127.0.0.1:21001
                data = /tmp/demo/r1

    Loading checks every key and value and names the first bad one, with the
    file and line, instead of guessing.
*/
#ifndef GAVEL_CONFIG_H_INCLUDED
#define GAVEL_CONFIG_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

#define GAVEL_REPLICAS_MAX 7

typedef struct {
    uint64_t id;                //  1..GAVEL_REPLICAS_MAX, unique
    char *client;               //  ROUTER endpoint for requests (required)
    char *data;                 //  data directory ("" when not set)
} gavel_replica_conf_t;

typedef struct _gavel_config_t gavel_config_t;

//  Load and validate a cluster file. On error returns NULL and writes a
//  message naming the file, the key and the problem into error.
gavel_config_t *
    gavel_config_load (const char *path, char *error, size_t error_size);

//  Same from ZPL text already in memory (tests); origin names it in errors.
gavel_config_t *
    gavel_config_parse (const char *text, const char *origin,
                        char *error, size_t error_size);

void
    gavel_config_destroy (gavel_config_t **self_p);

const char *
    gavel_config_name (gavel_config_t *self);
size_t
    gavel_config_replicas (gavel_config_t *self);
//  The index-th replica (0-based, in file order), or NULL.
const gavel_replica_conf_t *
    gavel_config_replica (gavel_config_t *self, size_t index);
//  The replica with this id, or NULL.
const gavel_replica_conf_t *
    gavel_config_find (gavel_config_t *self, uint64_t id);
//  Client request time-out in ms (settings/request_timeout, default 1000).
int64_t
    gavel_config_request_timeout (gavel_config_t *self);

void
    gavel_config_test (bool verbose);

#endif
