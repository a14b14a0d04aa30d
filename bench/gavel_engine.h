/*  gavel_engine: many bidders in one thread, driven by one poll loop
    (gavel-bench's load and failover modes).

    A bidder keeps one request outstanding. What to send where, and when
    to retry (redirects followed, the same request id resent after a
    time-out or a `no-quorum`, silent replicas passed over) is
    gavel_attempt's policy (docs/PROTOCOL.md, "Retrying"); the engine owns
    the sockets and the clock, and hands the final answer to the mode's
    answer handler, which may send the bidder's next request.
*/
#ifndef GAVEL_ENGINE_H_INCLUDED
#define GAVEL_ENGINE_H_INCLUDED

#include "gavel_attempt.h"
#include "gavel_config.h"
#include "gavel_msg.h"

#define GAVEL_ENGINE_SESSION_BYTES  8   //  16 hex digits, as gavel_client

typedef struct _gavel_engine_t gavel_engine_t;
typedef struct _gavel_engine_client_t gavel_engine_client_t;

//  A final answer (success, fail, or an exception other than no-quorum) to
//  the client's request, from replica index `replica`, `latency` us after
//  the request was first sent. The handler may send the client's next
//  request; request and reply are destroyed after it returns.
typedef void (gavel_engine_answer_fn) (gavel_engine_client_t *client, gavel_msg_t *request,
                                       gavel_msg_t *reply, size_t replica, int64_t latency);
//  A reply to a request id that is no longer outstanding: a duplicate
//  answer to an earlier attempt. May be NULL.
typedef void (gavel_engine_late_fn) (gavel_engine_client_t *client, gavel_msg_t *reply,
                                     size_t replica);

//  A bidder. The modes read index and name and keep their own state in
//  auction and round; the rest is the engine's.
struct _gavel_engine_client_t {
    gavel_engine_t *engine;
    size_t index;
    //  The bidder whose sockets (and key) this one shares: itself, unless
    //  gavel_engine_set_depth made lanes of one connection
    gavel_engine_client_t *host;
    size_t lane;                //  its place among its host's lanes, 0 first
    char session [GAVEL_ENGINE_SESSION_BYTES * 2 + 1];
    char name [GAVEL_NAME_MAX + 1];
    zcert_t *cert;              //  its own CURVE key pair; NULL without CURVE
    uint64_t last_id;
    //  One DEALER per replica, made on first use and kept: a late answer
    //  to the outstanding request from a replica we gave up on is as good
    //  as any (the replica applies a request id at most once), and takes
    //  a hop off a failover
    zsock_t *socks [GAVEL_REPLICAS_MAX];
    //  Where its request goes and when: its own view of the replicas, as
    //  each of K bidder processes would have
    gavel_attempt_t *attempts;
    int64_t deadline;           //  us, its attempts' next; INT64_MAX: none
    gavel_msg_t *request;       //  outstanding, or NULL
    int64_t sent_at;            //  us, first send of the request
    size_t target;              //  the replica it was last sent to
    bool unsent;                //  waiting for target's socket to take it
    //  The mode's own
    uint64_t auction;
    int64_t round;              //  bids made, load mode
};

//  count bidders named PREFIX-TAG-INDEX (PREFIX-TAG when alone; TAG is
//  random per run), on the replicas of config (borrowed), each attempt
//  given timeout ms. Answers go to on_answer, late replies to on_late;
//  arg is the mode's, for them.
gavel_engine_t *
    gavel_engine_new (gavel_config_t *config, size_t count, int64_t timeout, const char *prefix,
                      gavel_engine_answer_fn *on_answer, gavel_engine_late_fn *on_late, void *arg,
                      bool verbose);

void
    gavel_engine_destroy (gavel_engine_t **self_p);

//  One turn: wait until a socket (a bidder's or one of extras) is ready, a
//  bidder's deadline passes, or wake_at (us); handle the bidders. The
//  caller handles its extras from their revents.
void
    gavel_engine_turn (gavel_engine_t *self, zmq_pollitem_t *extras, size_t extra_count,
                       int64_t wake_at);

//  Pipelining (load mode): bidders depth at a time share one connection
//  per replica (the first of each group's sockets and key), so that each
//  connection has up to depth requests in flight, each lane with its own
//  session. Lane l numbers its requests l + 1, l + 1 + depth, ..., so a
//  reply's request id names its lane. Call before the first send; the
//  bidder count must be a multiple of depth.
void
    gavel_engine_set_depth (gavel_engine_t *self, size_t depth);

//  Send a request (takes ownership): stamped with the next request id, the
//  session and the name, to the replica that answered last (or the one
//  gavel_engine_prefer named).
void
    gavel_engine_send (gavel_engine_client_t *client, gavel_msg_t **request_p);

//  Send OPEN item for duration ms (cut to the protocol's maximum), no reserve.
void
    gavel_engine_open (gavel_engine_client_t *client, const char *item, int64_t duration);

//  Send BID amount on the client's auction.
void
    gavel_engine_bid (gavel_engine_client_t *client, int64_t amount);

gavel_engine_client_t *
    gavel_engine_client (gavel_engine_t *self, size_t index);

//  Where every bidder's next request starts, until a replica answers it:
//  the primary, when the mode knows it.
void
    gavel_engine_prefer (gavel_engine_t *self, size_t replica);

//  How many bidders.
size_t
    gavel_engine_size (gavel_engine_t *self);

size_t
    gavel_engine_replicas (gavel_engine_t *self);

//  The mode's arg, as given to gavel_engine_new.
void *
    gavel_engine_arg (gavel_engine_t *self);

//  Since the start: hops that got no answer in time, redirects followed,
//  no-quorum exceptions.
uint64_t
    gavel_engine_timeouts (gavel_engine_t *self);
uint64_t
    gavel_engine_redirects (gavel_engine_t *self);
uint64_t
    gavel_engine_no_quorum (gavel_engine_t *self);

//  Replica index's id in the cluster file, and back (-1 when none).
uint64_t
    gavel_engine_replica_id (gavel_engine_t *self, size_t replica);
int
    gavel_engine_replica_index (gavel_engine_t *self, uint64_t id);

//  The cluster file at path, with CURVE set up for the bidders' sockets
//  (off when insecure); NULL having said why on stderr.
gavel_config_t *
    gavel_engine_config_load (const char *path, bool insecure);

//  A number in a record (or in a reply's first record); -1 when absent or
//  not a number.
int64_t
    gavel_engine_record_number (const char *record, const char *key);
int64_t
    gavel_engine_reply_number (gavel_msg_t *reply, const char *key);

//  "fail too-low: auction=1 highest=5 bidder=x", for messages.
void
    gavel_engine_reply_text (gavel_msg_t *reply, char *text, size_t size);

void
    gavel_engine_test (bool verbose);

#endif
