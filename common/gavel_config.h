/*  gavel_config: the cluster file (czmq ZPL), validated.

    Every program takes --cluster FILE. The file names the replicas and their
    endpoints, and the cluster-wide settings:

        cluster
            name = demo
            settings
                request_timeout = 500       #  ms, clients
                heartbeat = 50              #  ms, replicas
                fsync = always              #  or writer, or never (tests)
                bidder_allow = /etc/gavel/bidders   #  optional allow-list
        replica
            1
                client = tcp://127.0.0.1:21001
                pub = tcp://127.0.0.1:21002
                ack = tcp://127.0.0.1:21003
                mesh = tcp://127.0.0.1:21004
                data = /tmp/demo/r1
                public_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
                secret = keys/replica1_secret
        broker
            1
                client = tcp://127.0.0.1:21101
                pub = tcp://127.0.0.1:21102
                public_key = "..."
                secret = keys/broker1_secret

    With more than one replica, pub, ack and mesh are required for each.
    Brokers are optional; each needs both of its endpoints. An endpoint is
    at most GAVEL_ENDPOINT_MAX bytes.

    CURVE keys. public_key is the server's CURVE public key in Z85 (40
    characters, as gavel-keygen prints it; quote it, since Z85 may hold
    '#', which ZPL otherwise takes for a comment). Either every replica and
    broker lists one, or none does: a file without keys can only be used
    with --insecure. secret is where that server finds its own secret
    certificate (the PATH_secret file gavel-keygen wrote, mode 0600); a
    relative path is taken from the cluster file's directory. Only the
    server itself reads it, so the copy of the file given to bidders may
    leave it out. cluster/settings/bidder_allow names a directory of public
    certificates: the only bidder keys the client endpoints then admit
    (without it, any key).

    Loading checks every key and value and names the first bad one, with the
    file and line, instead of guessing.
*/
#ifndef GAVEL_CONFIG_H_INCLUDED
#define GAVEL_CONFIG_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

#define GAVEL_REPLICAS_MAX 7
#define GAVEL_BROKERS_MAX 7
//  Longest endpoint, bytes: a replica's client endpoint travels in the
//  record of every redirect ("primary=ID client=ENDPOINT"), which must fit
//  GAVEL_RECORD_MAX; the other endpoints are held to the same.
#define GAVEL_ENDPOINT_MAX 256

typedef struct {
    uint64_t id;                //  1..GAVEL_REPLICAS_MAX, unique
    char *client;               //  ROUTER endpoint for requests (required)
    char *pub;                  //  PUB endpoint: log, heartbeats, events
    char *ack;                  //  PULL endpoint: backups' acks
    char *mesh;                 //  ROUTER endpoint: elections, catch-up
    char *data;                 //  data directory ("" when not set)
    char *public_key;           //  CURVE public key, Z85 ("" when not set)
    char *secret;               //  its secret certificate's path ("" when not set)
} gavel_replica_conf_t;

typedef struct {
    uint64_t id;                //  1..GAVEL_BROKERS_MAX, unique
    char *client;               //  ROUTER endpoint for bidders' requests
    char *pub;                  //  PUB endpoint: the re-published event feed
    char *public_key;           //  CURVE public key, Z85 ("" when not set)
    char *secret;               //  its secret certificate's path ("" when not set)
} gavel_broker_conf_t;

//  cluster/settings, each in ms but fsync
typedef struct {
    int64_t request_timeout;    //  a client's wait for each attempt (500)
    int64_t heartbeat;          //  between the primary's heartbeats (50)
    int64_t election;           //  silence before a backup runs a round (250)
    int64_t election_spread;    //  extra wait of lower ids, up to this (50),
                                //  plus up to half of it varying with the term
    int64_t commit_timeout;     //  a request's wait for a quorum (400): below
                                //  request_timeout, so clients hear no-quorum
    int64_t snapshot_every;     //  entries applied between snapshots (10000)
    int64_t broker_hold;        //  a broker's hold on a request while no
                                //  replica answers it, before no-quorum (5000)
    bool fsync;                 //  "always" (true): group commit, every save
                                //  on disk before the ack; "never": for tests
    bool fsync_writer;          //  "writer": fsync, by a thread behind the loop
    const char *bidder_allow;   //  directory of bidders' public certificates
                                //  the client endpoints admit; "": any key
} gavel_settings_t;

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
//  Brokers, in file order (none when the file has no broker section).
size_t
    gavel_config_brokers (gavel_config_t *self);
//  The index-th broker (0-based, in file order), or NULL.
const gavel_broker_conf_t *
    gavel_config_broker (gavel_config_t *self, size_t index);
//  The broker with this id, or NULL.
const gavel_broker_conf_t *
    gavel_config_find_broker (gavel_config_t *self, uint64_t id);
//  Client request time-out in ms (settings/request_timeout).
int64_t
    gavel_config_request_timeout (gavel_config_t *self);
//  Every setting.
const gavel_settings_t *
    gavel_config_settings (gavel_config_t *self);
//  Whether the file lists CURVE public keys (then every server has one).
bool
    gavel_config_secure (gavel_config_t *self);
//  Whether key (Z85) is the public key of one of the file's brokers.
bool
    gavel_config_is_broker_key (gavel_config_t *self, const char *key);

void
    gavel_config_test (bool verbose);

#endif
