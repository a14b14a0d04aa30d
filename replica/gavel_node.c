/*  gavel_node: the replica's shell. Sockets, the poll loop, the clock, disk.

    Everything the pure core cannot do: it reads what arrives on the four
    endpoints, gives it to the core with the time, and carries out the
    core's actions in order (store, then send). With fsync never, every
    save is done when it returns, so it reports the entries it wrote
    persisted at once: an ACK or a reply that counts on them comes later in
    the outbox; so with fsync always, the write synced. With fsync writer, a
    thread (gavel_writer) writes and syncs the log while the loop goes on,
    and the loop reports what it synced when it says so: an ACK or reply
    that counts on it waits in the core until then. Term, vote and snapshots are still written at once,
    after the log saves before them.
*/
#include "gavel_node.h"
#include "gavel_core.h"
#include "gavel_msg.h"
#include "gavel_keys.h"
#include "gavel_sock.h"
#include "gavel_store.h"
#include "gavel_writer.h"
#include "gavel_record.h"
#include "gavel_status.h"
#include "gavel_report.h"

//  What one loop turn reads from one socket at most, so no socket starves
#define TURN_MAX 256

static void s_report (void *arg, gavel_msg_t *reply);

struct _gavel_node_t {
    uint64_t id;
    size_t replicas;
    zsock_t *client;            //  ROUTER: clients' requests
    zsock_t *pub;               //  PUB: log, heartbeats
    zsock_t *sub [GAVEL_CORE_REPLICAS_MAX];     //  SUB: each peer's log and heartbeats
    zsock_t *pull;              //  PULL: backups' acks
    zsock_t *mesh;              //  ROUTER: peers' elections and fetches
    zsock_t *push [GAVEL_CORE_REPLICAS_MAX];    //  to each peer's ack
    zsock_t *dealer [GAVEL_CORE_REPLICAS_MAX];  //  to each peer's mesh
    zsock_t *lost [GAVEL_CORE_REPLICAS_MAX];    //  PAIR: sub [slot]'s broken connections
    uint64_t ids [GAVEL_CORE_REPLICAS_MAX];
    gavel_core_t *core;
    gavel_store_t *store;       //  NULL: nothing is kept (tests)
    gavel_writer_t *writer;     //  with fsync always: writes and syncs the log
    int64_t hold_max;           //  ms a turn's flush may wait for the writer
    int64_t held_since;         //  when the flush began to wait; 0: it does not
    int64_t clock_offset;       //  wall clock at start minus monotonic clock
    uint64_t requests;          //  decoded client requests
    uint64_t rejected;          //  client requests that failed to decode
    uint64_t dropped;           //  peer messages that failed to decode
    gavel_report_t report;      //  replies, their latency, log writes: for STATUS
    //  CURVE: the brokers' public keys, whose K: routing frame names the
    //  bidder a request is from (docs/PROTOCOL.md, "CURVE")
    char broker_keys [GAVEL_BROKERS_MAX][GAVEL_KEY_Z85 + 1];
    size_t broker_count;
};

//  Stamps are wall-clock time, but timers must not jump with the wall
//  clock: the monotonic clock, offset once to read as wall-clock time.
static int64_t
s_now (gavel_node_t *self)
{
    return zclock_mono () + self->clock_offset;
}

//  That offset, in ms: the wall clock's reading minus the monotonic
//  clock's, from a wall-clock read that two monotonic reads bracket within
//  S_CLOCK_BRACKET us. Read once, unbracketed, it was off by whatever came
//  between the two reads: a replica preempted there, or a slow first
//  wall-clock call (libfaketime's set-up, under the fault campaign), then
//  stamped every entry that much off, and two replicas started apart
//  disagreed by 20 ms on an auction's deadline (a fault campaign's run on
//  2026-12-06, no clock fault injected)
#define S_CLOCK_BRACKET 200
#define S_CLOCK_TRIES   20
typedef int64_t (s_clock_fn) (void);

static int64_t
s_clock_offset (s_clock_fn *mono_usecs, s_clock_fn *wall_msecs)
{
    int64_t offset = 0, width = INT64_MAX;
    for (int attempt = 0; attempt < S_CLOCK_TRIES && width > S_CLOCK_BRACKET; attempt++) {
        int64_t before = mono_usecs ();
        int64_t wall = wall_msecs ();
        int64_t after = mono_usecs ();
        if (after - before < width) {
            width = after - before;
            offset = wall - (before + after) / 2000;
        }
    }
    return offset;
}

//  Our sockets receive only after a poll said so: reads never wait
static zsock_t *
s_socket (int type, const char *endpoint, bool bind, char *error, size_t error_size)
{
    zsock_t *sock = gavel_sock_new (type, endpoint, bind, NULL, error, error_size);
    if (sock)
        zsock_set_rcvtimeo (sock, 0);
    return sock;
}

//  A peer's PUB connection that breaks (its process died, so its host
//  closed it; or it went silent past the link's heartbeat) is the fastest
//  sign that a primary is gone: libzmq's monitor tells, and the core takes
//  it as a hint (gavel_core_peer_lost) instead of waiting out the silence.
static zsock_t *
s_watch_disconnects (gavel_node_t *self, size_t slot, char *error, size_t size)
{
    char endpoint [64];
    if (gavel_sock_monitor (self->sub [slot], ZMQ_EVENT_DISCONNECTED, endpoint, sizeof endpoint)) {
        snprintf (error, size, "cannot watch the connection to replica %" PRIu64 ": %s",
                  self->ids [slot], zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_t *pair = zsock_new (ZMQ_PAIR);
    assert (pair);
    if (zsock_connect (pair, "%s", endpoint)) {
        snprintf (error, size, "cannot watch the connection to replica %" PRIu64, self->ids [slot]);
        zsock_destroy (&pair);
        return NULL;
    }
    zsock_set_rcvtimeo (pair, 0);
    return pair;
}

static int
s_open_sockets (gavel_node_t *self, gavel_config_t *config, char *error, size_t size)
{
    const gavel_replica_conf_t *me = gavel_config_find (config, self->id);
    self->client = gavel_sock_new_server (me->client, error, size);
    if (!self->client)
        return -1;
    zsock_set_rcvtimeo (self->client, 0);
    //  A replica alone needs no acks and no mesh, but still publishes the
    //  event feed that brokers, zmq-tail and gavel-web follow
    if (self->replicas == 1 && !*me->pub)
        return 0;
    if (self->replicas == 1)
        return (self->pub = s_socket (ZMQ_PUB, me->pub, true, error, size))? 0: -1;
    if (!(self->pub = s_socket (ZMQ_PUB, me->pub, true, error, size))
    ||  !(self->pull = s_socket (ZMQ_PULL, me->ack, true, error, size))
    ||  !(self->mesh = s_socket (ZMQ_ROUTER, me->mesh, true, error, size)))
        return -1;
    //  A peer's message names its sender; the mesh ROUTER only receives, so
    //  routing ids serve nothing, and a fixed one would harm: a ROUTER keeps
    //  the first connection under an id and leaves a second one with the
    //  same id unread for good. A peer's connection is made again while the
    //  old one stands whenever either side was paused or starved past the
    //  heartbeat time-out (the old one goes only once its queue is read),
    //  and a backup whose primary's ENTRIES went there never caught up. Our
    //  DEALERs take no id, and one that does (another implementation) has
    //  its newest connection heard.
    zsock_set_router_handover (self->mesh, 1);
    for (size_t slot = 0; slot < self->replicas; slot++) {
        const gavel_replica_conf_t *peer = gavel_config_replica (config, slot);
        if (peer->id == self->id)
            continue;
        if (!(self->sub [slot] = s_socket (ZMQ_SUB, peer->pub, false, error, size))
        ||  !(self->push [slot] = s_socket (ZMQ_PUSH, peer->ack, false, error, size))
        ||  !(self->dealer [slot] = s_socket (ZMQ_DEALER, peer->mesh, false, error, size)))
            return -1;
        zsock_set_subscribe (self->sub [slot], "log");
        zsock_set_subscribe (self->sub [slot], "hb");
        if (!(self->lost [slot] = s_watch_disconnects (self, slot, error, size)))
            return -1;
    }
    return 0;
}

//  The core's tracer: its lines in the replica's log, as zsys stamps them
static void
s_trace (void *arg, int64_t now, gavel_trace_level_t level, const char *text)
{
    switch (level) {
        case GAVEL_TRACE_DEBUG:     zsys_debug ("%s", text); break;
        case GAVEL_TRACE_INFO:      zsys_info ("%s", text); break;
        case GAVEL_TRACE_WARNING:   zsys_warning ("%s", text); break;
        case GAVEL_TRACE_ERROR:     zsys_error ("%s", text); break;
    }
}

static int
s_open_store (gavel_node_t *self, const char *directory, bool fsync, bool writer,
              char *error, size_t size)
{
    uint64_t term = 0, vote = 0;
    zlistx_t *entries = NULL;
    gavel_msg_t *snapshot = NULL;
    if (directory && *directory) {
        self->store = gavel_store_new (directory, fsync, error, size);
        if (!self->store
        ||  gavel_store_load (self->store, &term, &vote, &snapshot, &entries, error, size))
            return -1;
        zsys_info ("replica %" PRIu64 ": loaded term %" PRIu64 ", a snapshot at %" PRIu64
                   " and %zu entries after it from %s (fsync %s)", self->id, term,
                   snapshot? gavel_msg_index (snapshot): 0, zlistx_size (entries), directory,
                   fsync? (writer? "writer": "always"): "never");
        //  Only when asked (fsync = writer): on a machine whose fdatasync is
        //  quick next to the CPU a message costs, the loop that waits for
        //  it makes bigger batches, and more bids a second (PERFORMANCE.md)
        if (fsync && writer && !(self->writer = gavel_writer_new (self->store))) {
            snprintf (error, size, "cannot start the log writer: %s", strerror (errno));
            zlistx_destroy (&entries);
            gavel_msg_destroy (&snapshot);
            return -1;
        }
    }
    if (snapshot)
        gavel_core_restore_snapshot (self->core, &snapshot);
    gavel_core_restore (self->core, term, vote, &entries);
    return 0;
}

gavel_node_t *
gavel_node_new (gavel_config_t *config, uint64_t id, bool *bad_data, char *error, size_t error_size)
{
    if (bad_data)
        *bad_data = false;
    const gavel_replica_conf_t *me = gavel_config_find (config, id);
    if (!me) {
        snprintf (error, error_size, "the cluster file lists no replica %" PRIu64, id);
        return NULL;
    }
    gavel_node_t *self = (gavel_node_t *) zmalloc (sizeof (gavel_node_t));
    assert (self);
    self->id = id;
    self->replicas = gavel_config_replicas (config);
    self->clock_offset = s_clock_offset (zclock_usecs, zclock_time);

    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, id, self->replicas);
    const gavel_settings_t *cluster = gavel_config_settings (config);
    for (size_t slot = 0; slot < self->replicas; slot++) {
        settings.ids [slot] = gavel_config_replica (config, slot)->id;
        settings.clients [slot] = gavel_config_replica (config, slot)->client;
        self->ids [slot] = settings.ids [slot];
    }
    settings.heartbeat = cluster->heartbeat;
    self->hold_max = cluster->heartbeat / 2 > 1? cluster->heartbeat / 2: 1;
    settings.election = cluster->election;
    settings.election_spread = cluster->election_spread;
    settings.request_timeout = cluster->commit_timeout;
    settings.snapshot_every = (uint64_t) cluster->snapshot_every;
    self->core = gavel_core_new (&settings);
    gavel_core_set_tracer (self->core, s_trace, self);
    gavel_core_set_reporter (self->core, s_report, self);
    gavel_report_init (&self->report);
    for (size_t index = 0; index < gavel_config_brokers (config); index++) {
        const char *key = gavel_config_broker (config, index)->public_key;
        if (*key)
            snprintf (self->broker_keys [self->broker_count++], GAVEL_KEY_Z85 + 1, "%s", key);
    }

    if (s_open_store (self, me->data, cluster->fsync, cluster->fsync_writer, error, error_size)) {
        if (bad_data)
            *bad_data = true;
        gavel_node_destroy (&self);
    }
    else
    if (s_open_sockets (self, config, error, error_size))
        gavel_node_destroy (&self);
    return self;
}

void
gavel_node_destroy (gavel_node_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_node_t *self = *self_p;
        gavel_writer_destroy (&self->writer);
        gavel_core_destroy (&self->core);
        gavel_store_destroy (&self->store);
        zsock_destroy (&self->client);
        zsock_destroy (&self->pub);
        zsock_destroy (&self->pull);
        zsock_destroy (&self->mesh);
        for (size_t slot = 0; slot < GAVEL_CORE_REPLICAS_MAX; slot++) {
            //  The monitor stopped before its reader goes: an event sent to
            //  a reader that is gone would stall libzmq's I/O thread
            if (self->sub [slot] && self->lost [slot])
                zmq_socket_monitor (zsock_resolve (self->sub [slot]), NULL, 0);
            zsock_destroy (&self->lost [slot]);
            zsock_destroy (&self->sub [slot]);
            zsock_destroy (&self->push [slot]);
            zsock_destroy (&self->dealer [slot]);
        }
        free (self);
        *self_p = NULL;
    }
}

int
gavel_node_port (gavel_node_t *self)
{
    return gavel_sock_port (self->client);
}

//  ---------------------------------------------------------------------------
//  Carrying out the core's actions

//  Split a ROUTER message into its envelope and the body that the codec
//  reads. The envelope is the peer's identity and, when the body follows an
//  empty delimiter, every frame up to it: a REQ peer's delimiter, or the
//  routing frames of a broker or any ROUTER/DEALER proxy in between. It goes
//  back, as it came, in front of the reply.
static zmsg_t *
s_split_envelope (zmsg_t *msg)
{
    size_t frames = 0;
    bool delimited = false;
    for (zframe_t *frame = zmsg_first (msg); frame && frames < 8; frame = zmsg_next (msg)) {
        frames++;
        if (frames > 1 && zframe_size (frame) == 0) {
            zframe_t *next = zmsg_next (msg);
            delimited = next && zframe_size (next) >= 6 && memcmp (zframe_data (next), "GAVEL/", 6) == 0;
            break;
        }
    }
    zmsg_t *route = zmsg_new ();
    for (size_t index = 0; index < (delimited? frames: 1); index++) {
        zframe_t *frame = zmsg_pop (msg);
        zmsg_append (route, &frame);
    }
    return route;
}

//  A request's arrival, in us of the monotonic clock, rides at the end of
//  its route: the core hands routes back untouched with the reply, so the
//  reply's latency needs no table of requests in flight here
static void
s_stamp_route (zmsg_t *route)
{
    int64_t arrived = zclock_usecs ();
    zmsg_addmem (route, &arrived, sizeof arrived);
}

static void
s_send_reply (gavel_node_t *self, zmsg_t **route_p, gavel_msg_t **reply_p)
{
    //  No route: nobody to answer (a request the core made itself)
    if (*route_p) {
        zframe_t *stamp = zmsg_last (*route_p);
        assert (stamp && zframe_size (stamp) == sizeof (int64_t));
        int64_t arrived;
        memcpy (&arrived, zframe_data (stamp), sizeof arrived);
        zmsg_remove (*route_p, stamp);
        zframe_destroy (&stamp);
        //  Counted only when it went: a reply the socket would not take
        //  (the client gone) was never served
        if (gavel_msg_send (*reply_p, *route_p, zsock_resolve (self->client)) == 0) {
            int64_t latency = zclock_usecs () - arrived;
            gavel_report_reply (&self->report, *reply_p, latency > 0? (uint64_t) latency: 0);
        }
    }
    zmsg_destroy (route_p);
    gavel_msg_destroy (reply_p);
}

//  What STATUS says beyond the core's records: the replies sent, the disk
static void
s_report (void *arg, gavel_msg_t *reply)
{
    gavel_node_t *self = (gavel_node_t *) arg;
    uint64_t log_bytes = 0, snapshot_bytes = 0;
    if (self->store)
        gavel_store_sizes (self->store, &log_bytes, &snapshot_bytes);
    gavel_report_add_served (&self->report, reply);
    gavel_report_add_disk (&self->report, reply, log_bytes, snapshot_bytes,
                           self->store? gavel_store_syncs (self->store): NULL);
}

//  A message that cannot leave at once is dropped: the protocol resends
static void
s_send (zsock_t *sock, gavel_msg_t *msg)
{
    if (sock)
        gavel_msg_send (msg, NULL, zsock_resolve (sock));
}

static size_t
s_slot (gavel_node_t *self, uint64_t id)
{
    for (size_t slot = 0; slot < self->replicas; slot++)
        if (self->ids [slot] == id)
            return slot;
    return SIZE_MAX;
}

static void
s_store_failed (gavel_node_t *self, const char *what)
{
    //  Acking what is not stored would break the protocol's promise: stop
    zsys_error ("replica %" PRIu64 ": cannot write %s: %s; stopping", self->id, what, strerror (errno));
    exit (EXIT_FAILURE);
}

static void
s_carry_out (gavel_node_t *self, gavel_action_t *action)
{
    size_t slot = s_slot (self, action->to);
    switch (action->kind) {
        case GAVEL_ACTION_REPLY:
            s_send_reply (self, &action->route, &action->msg);
            break;
        case GAVEL_ACTION_PUBLISH:
            s_send (self->pub, action->msg);
            break;
        case GAVEL_ACTION_ACK:
            s_send (slot == SIZE_MAX? NULL: self->push [slot], action->msg);
            break;
        case GAVEL_ACTION_MESH:
            s_send (slot == SIZE_MAX? NULL: self->dealer [slot], action->msg);
            break;
        case GAVEL_ACTION_SAVE_STATE:
            //  The store is the writer's until what it holds is written
            if (self->writer && gavel_writer_wait (self->writer))
                s_store_failed (self, "the log");
            if (self->store && gavel_store_save_state (self->store, action->term, action->vote))
                s_store_failed (self, "the state file");
            break;
        case GAVEL_ACTION_SAVE_SNAPSHOT:
            if (self->writer && gavel_writer_wait (self->writer))
                s_store_failed (self, "the log");
            if (self->store && gavel_store_save_snapshot (self->store, action->msg))
                s_store_failed (self, "a snapshot");
            break;
        case GAVEL_ACTION_SAVE_ENTRIES:
            gavel_report_write (&self->report, gavel_msg_entries (action->msg));
            if (self->writer)
                gavel_writer_save (self->writer, &action->msg, action->index, action->term);
            else {
                if (self->store && gavel_store_save_entries (self->store, gavel_msg_prev_index (action->msg),
                                                             action->msg))
                    s_store_failed (self, "the log");
                //  Written: durable (as fsync never means it) before the
                //  next action, as the core's acks and commits now count on
                gavel_core_persisted (self->core, action->index, action->term, s_now (self));
            }
            break;
    }
}

static void
s_carry_out_all (gavel_node_t *self)
{
    gavel_action_t *action;
    while ((action = gavel_core_next_action (self->core))) {
        s_carry_out (self, action);
        gavel_action_destroy (&action);
    }
}

//  The writer synced the log up to index (of term)
static void
s_persisted (void *arg, uint64_t index, uint64_t term)
{
    gavel_node_t *self = (gavel_node_t *) arg;
    gavel_core_persisted (self->core, index, term, s_now (self));
}

//  ---------------------------------------------------------------------------
//  Reading

//  Whether key is one of the cluster's brokers'.
static bool
s_is_broker (gavel_node_t *self, const char *key)
{
    for (size_t index = 0; *key && index < self->broker_count; index++)
        if (streq (self->broker_keys [index], key))
            return true;
    return false;
}

//  The key a request is from: the connection's own (its CURVE User-Id,
//  "" without CURVE), or, from a broker only, the bidder's that the broker
//  put in the routing frame "K:KEY" right before the delimiter. Anyone
//  else's K: frame is routing like any other, and ignored.
static void
s_request_key (gavel_node_t *self, const char *user, zmsg_t *route, char *key)
{
    snprintf (key, GAVEL_KEY_Z85 + 1, "%s", user);
    size_t frames = zmsg_size (route);
    if (frames < 3 || !s_is_broker (self, user))
        return;
    zframe_t *frame = zmsg_first (route);
    for (size_t index = 0; index + 2 < frames; index++)
        frame = zmsg_next (route);
    zframe_t *delimiter = zmsg_next (route);
    if (zframe_size (delimiter) == 0 && zframe_size (frame) == 2 + GAVEL_KEY_Z85
    &&  memcmp (zframe_data (frame), "K:", 2) == 0) {
        char forwarded [GAVEL_KEY_Z85 + 1];
        memcpy (forwarded, zframe_data (frame) + 2, GAVEL_KEY_Z85);
        forwarded [GAVEL_KEY_Z85] = '\0';
        if (gavel_keys_valid (forwarded))
            memcpy (key, forwarded, GAVEL_KEY_Z85 + 1);
    }
}

static void
s_read_client (gavel_node_t *self, zmsg_t *msg)
{
    //  Every frame but the routing id carries the connection's metadata
    const char *user = zmsg_size (msg) > 1? zframe_meta (zmsg_last (msg), "User-Id"): NULL;
    char user_key [GAVEL_KEY_Z85 + 1];
    snprintf (user_key, sizeof user_key, "%s", user && gavel_keys_valid (user)? user: "");
    zmsg_t *route = s_split_envelope (msg);
    char key [GAVEL_KEY_Z85 + 1];
    s_request_key (self, user_key, route, key);
    s_stamp_route (route);
    gavel_msg_error_t error;
    gavel_msg_t *request = gavel_msg_decode (msg, &error);
    if (request) {
        gavel_msg_set_key (request, key);
        self->requests++;
        gavel_core_request (self->core, &route, &request, s_now (self));
    }
    else {
        //  Bad input is answered and counted, never fatal
        self->rejected++;
        zsys_warning ("replica %" PRIu64 ": rejected a request: %s: %s",
                      self->id, error.reason, error.message);
        gavel_msg_t *reply = gavel_msg_new_error_reply (&error);
        s_send_reply (self, &route, &reply);
    }
}

static void
s_read_peer (gavel_node_t *self, zmsg_t *msg, bool routed)
{
    if (routed)
        zframe_destroy ((zframe_t *[]) { zmsg_pop (msg) });
    gavel_msg_error_t error;
    gavel_msg_t *peer_msg = gavel_msg_decode (msg, &error);
    if (peer_msg)
        gavel_core_receive (self->core, &peer_msg, s_now (self));
    else
    if (self->dropped++ % 1000 == 0)
        zsys_warning ("replica %" PRIu64 ": dropped a peer message (%" PRIu64 " so far): %s",
                      self->id, self->dropped, error.message);
}

//  The slot whose broken connections sock reports, or SIZE_MAX
static size_t
s_lost_slot (gavel_node_t *self, zsock_t *sock)
{
    for (size_t slot = 0; slot < self->replicas; slot++)
        if (self->lost [slot] == sock)
            return slot;
    return SIZE_MAX;
}

//  A monitor event: only disconnections were asked for
static void
s_read_lost (gavel_node_t *self, zmsg_t *msg, size_t slot)
{
    if (gavel_sock_monitor_event (msg, NULL) == ZMQ_EVENT_DISCONNECTED)
        gavel_core_peer_lost (self->core, self->ids [slot], s_now (self));
}

//  Everything waiting on one socket, up to TURN_MAX messages
static void
s_drain (gavel_node_t *self, zsock_t *sock)
{
    for (size_t count = 0; count < TURN_MAX; count++) {
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            break;
        size_t slot = s_lost_slot (self, sock);
        if (sock == self->client)
            s_read_client (self, msg);
        else
        if (slot != SIZE_MAX)
            s_read_lost (self, msg, slot);
        else
            s_read_peer (self, msg, sock == self->mesh);
        zmsg_destroy (&msg);
    }
}

//  While the writer syncs, the loop goes on reading and lets the flush
//  (which publishes a primary's appends and stores a backup's) wait for it:
//  the next batch then holds everything that came during the sync, as it
//  did when the loop itself waited for fdatasync. Without this the loop
//  publishes a LOG and queues a save for every request or two, and at
//  full load the many small messages cost more CPU than the overlap saves
//  (measured: 5.0k bids/s against 9.0k). Never longer than half a
//  heartbeat, so that a slow disk does not silence the primary.
static bool
s_hold_flush (gavel_node_t *self, int64_t now)
{
    if (!self->writer || !gavel_writer_busy (self->writer)) {
        self->held_since = 0;
        return false;
    }
    if (!self->held_since)
        self->held_since = now;
    if (now - self->held_since < self->hold_max)
        return true;
    self->held_since = 0;
    return false;
}

static long
s_poll_timeout (gavel_node_t *self)
{
    int64_t deadline = gavel_core_next_deadline (self->core);
    if (self->held_since && self->held_since + self->hold_max < deadline)
        deadline = self->held_since + self->hold_max;
    if (deadline == INT64_MAX)
        return 1000;
    int64_t wait = deadline - s_now (self);
    return wait < 0? 0: wait > 1000? 1000: (long) wait;
}

int
gavel_node_run (gavel_node_t *self, zsock_t *pipe)
{
    zmq_pollitem_t items [5 + 3 * GAVEL_CORE_REPLICAS_MAX];
    zsock_t *socks [5 + 3 * GAVEL_CORE_REPLICAS_MAX];
    size_t count = 0;
    zsock_t *candidates [] = { pipe, self->client, self->pull, self->mesh };
    for (size_t index = 0; index < 4; index++)
        if (candidates [index])
            socks [count++] = candidates [index];
    for (size_t slot = 0; slot < self->replicas; slot++)
        if (self->sub [slot])
            socks [count++] = self->sub [slot];
    for (size_t slot = 0; slot < self->replicas; slot++)
        if (self->lost [slot])
            socks [count++] = self->lost [slot];
    for (size_t index = 0; index < count; index++)
        items [index] = (zmq_pollitem_t) { zsock_resolve (socks [index]), 0, ZMQ_POLLIN, 0 };
    if (self->writer) {
        socks [count] = NULL;
        items [count++] = (zmq_pollitem_t) { NULL, gavel_writer_fd (self->writer), ZMQ_POLLIN, 0 };
    }

    zsys_info ("replica %" PRIu64 ": serving on port %d, %zu replica%s",
               self->id, gavel_node_port (self), self->replicas, self->replicas == 1? "": "s");
    bool stop = false;
    while (!stop && !zsys_interrupted) {
        int rc = zmq_poll (items, (int) count, s_poll_timeout (self));
        if (rc == -1 && errno != EINTR)
            break;
        for (size_t index = 0; rc > 0 && index < count; index++) {
            if (!(items [index].revents & ZMQ_POLLIN))
                continue;
            if (!socks [index]) {
                if (gavel_writer_report (self->writer, s_persisted, self))
                    s_store_failed (self, "the log");
            }
            else
            if (socks [index] == pipe) {
                char *command = zstr_recv (pipe);
                stop = !command || streq (command, "$TERM");
                if (command && streq (command, "PORT"))
                    zstr_sendf (pipe, "%d", gavel_node_port (self));
                zstr_free (&command);
            }
            else
                s_drain (self, socks [index]);
        }
        int64_t now = s_now (self);
        if (gavel_core_next_deadline (self->core) <= now)
            gavel_core_tick (self->core, now);
        if (!s_hold_flush (self, now))
            gavel_core_flush (self->core, now);
        s_carry_out_all (self);
    }
    zsys_info ("replica %" PRIu64 ": stopping after %" PRIu64 " requests (%" PRIu64 " rejected)",
               self->id, self->requests, self->rejected);
    return 0;
}

void
gavel_node_actor (zsock_t *pipe, void *args)
{
    char text [256], error [256];
    snprintf (text, sizeof text, "replica\n    1\n        client = %s\n", (const char *) args);
    gavel_config_t *config = gavel_config_parse (text, "actor", error, sizeof error);
    gavel_node_t *self = config? gavel_node_new (config, 1, NULL, error, sizeof error): NULL;
    gavel_config_destroy (&config);
    if (!self) {
        zsys_error ("%s", error);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    gavel_node_run (self, pipe);
    gavel_node_destroy (&self);
}

//  -------------------------------------------------------------------------
//  Self test: a replica in-process, fed raw frames, not through the codec,
//  so that the test does not share the codec's blind spots.

//  Send the given frames on sock and return the reply, or NULL after 2 s.
static zmsg_t *
s_exchange (zsock_t *sock, size_t count, const char **frames)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; index < count; index++)
        zmsg_addstr (msg, frames [index]);
    //  Our client sockets queue nothing before they are connected
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLOUT, 0 };
    assert (zmq_poll (&item, 1, 2000) == 1);
    zmsg_send (&msg, sock);
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *reply = zpoller_wait (poller, 2000)? zmsg_recv (sock): NULL;
    zpoller_destroy (&poller);
    return reply;
}
#define EXCHANGE(sock, ...) s_exchange ((sock), \
    sizeof ((const char *[]) { __VA_ARGS__ }) / sizeof (const char *), (const char *[]) { __VA_ARGS__ })

//  Check a raw reply: request id, outcome, reason, and that the message
//  (frame 5) or else the first record (frame 6) contains the given text.
static void
s_expect (zmsg_t **reply_p, const char *request_id, const char *outcome,
          const char *reason, const char *contains)
{
    zmsg_t *reply = *reply_p;
    assert (reply);
    assert (zmsg_size (reply) >= 6);
    char *frames [7] = { NULL };
    for (size_t index = 0; index < 7; index++)
        frames [index] = zmsg_popstr (reply);       //  NULL past the end
    assert (streq (frames [0], "GAVEL/1"));
    assert (streq (frames [1], "REPLY"));
    if (!streq (frames [2], request_id) || !streq (frames [3], outcome)
    ||  !streq (frames [4], reason)
    ||  !(strstr (frames [5], contains) || (frames [6] && strstr (frames [6], contains)))) {
        printf ("\nunexpected reply: %s %s %s '%s' '%s'\n", frames [2], frames [3],
                frames [4], frames [5], frames [6]? frames [6]: "");
        assert (false);
    }
    for (size_t index = 0; index < 7; index++)
        zstr_free (&frames [index]);
    zmsg_destroy (reply_p);
}

//  Replica 1 of the cluster file given (a gavel_config_t *); with keys, the
//  process's CURVE state must be on already.
static void
s_config_actor (zsock_t *pipe, void *args)
{
    char error [256];
    gavel_node_t *self = gavel_node_new ((gavel_config_t *) args, 1, NULL, error, sizeof error);
    zsock_signal (pipe, self? 0: 1);
    if (self)
        gavel_node_run (self, pipe);
    gavel_node_destroy (&self);
}

//  A BID as name, on a socket with key, with "K:forward" (when not NULL)
//  and a delimiter before it as a broker sends it. The reply's outcome and
//  reason, as "outcome reason".
static void
s_secure_bid (const char *endpoint, zcert_t *key, const char *forward, const char *name,
              const char *request_id, char *result, size_t size)
{
    char error [256];
    zsock_t *sock = gavel_sock_new_keyed (ZMQ_DEALER, endpoint, false, NULL, key, error, sizeof error);
    assert (sock);
    zmsg_t *reply = NULL;
    if (forward) {
        char frame [64];
        snprintf (frame, sizeof frame, "K:%s", forward);
        reply = EXCHANGE (sock, "bidder-1", frame, "", "GAVEL/1", "BID", request_id, "s9", name, "1", request_id);
        //  The routing comes back, K: frame and all, for the broker to strip
        assert (reply && zmsg_size (reply) > 3);
        for (size_t index = 0; index < 3; index++) {
            char *text = zmsg_popstr (reply);
            assert (index != 1 || streq (text, frame));
            zstr_free (&text);
        }
    }
    else
        reply = EXCHANGE (sock, "GAVEL/1", "BID", request_id, "s9", name, "1", request_id);
    assert (reply && zmsg_size (reply) >= 5);
    char *frames [5];
    for (size_t index = 0; index < 5; index++)
        frames [index] = zmsg_popstr (reply);
    snprintf (result, size, "%s %s", frames [3], frames [4]);
    for (size_t index = 0; index < 5; index++)
        zstr_free (&frames [index]);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
}

//  The key a request is from: a bidder's own, or the one a broker names in
//  its K: frame, and only a broker. (The names bound to keys by the first
//  bid show which key the replica took.)
static void
s_test_keys (bool verbose)
{
    int port = gavel_sock_free_port ();
    zcert_t *server = zcert_new (), *broker = zcert_new ();
    zcert_t *ann = zcert_new (), *eve = zcert_new ();
    char *text = zsys_sprintf (
        "replica\n    1\n        client = tcp://127.0.0.1:%d\n        public_key = \"%s\"\n"
        "broker\n    1\n        client = tcp://127.0.0.1:1\n        pub = tcp://127.0.0.1:2\n"
        "        public_key = \"%s\"\n", port, zcert_public_txt (server), zcert_public_txt (broker));
    char error [512], endpoint [64], result [128];
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config);
    zstr_free (&text);
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zcert_t *cert = zcert_dup (server);
    assert (gavel_sock_curve_start (config, &cert, true, error, sizeof error) == 0);
    zactor_t *node = zactor_new (s_config_actor, config);
    assert (node);
    zsock_set_rcvtimeo (zactor_sock (node), 2000);      //  a node that failed says nothing
    zstr_send (node, "PORT");
    char *bound = zstr_recv (node);
    assert (bound && atoi (bound) == port);
    zstr_free (&bound);

    //  An auction, opened by ann; her name is hers (her key's) from now
    zsock_t *sock = gavel_sock_new_keyed (ZMQ_DEALER, endpoint, false, NULL, ann, error, sizeof error);
    zmsg_t *reply = EXCHANGE (sock, "GAVEL/1", "OPEN", "1", "s8", "ann", "lamp", "60000", "0");
    s_expect (&reply, "1", "success", "", "auction=1");
    zsock_destroy (&sock);
    //  A broker speaks for ann with her key
    s_secure_bid (endpoint, broker, zcert_public_txt (ann), "ann", "10", result, sizeof result);
    assert (streq (result, "success "));
    //  Eve cannot: her K: frame is ignored, her own key is not ann's
    s_secure_bid (endpoint, eve, zcert_public_txt (ann), "ann", "11", result, sizeof result);
    assert (streq (result, "exception name-taken"));
    //  Nor is the broker ann without a K: frame
    s_secure_bid (endpoint, broker, NULL, "ann", "12", result, sizeof result);
    assert (streq (result, "exception name-taken"));
    //  A K: frame that is no key is ignored too
    s_secure_bid (endpoint, broker, "not-a-key-but-forty-characters-long-xxxx", "ann", "13",
                  result, sizeof result);
    assert (streq (result, "exception name-taken"));
    if (verbose)
        printf ("K: frames trusted from the broker only; ");

    zactor_destroy (&node);
    gavel_sock_curve_end ();
    gavel_config_destroy (&config);
    zcert_destroy (&server);
    zcert_destroy (&broker);
    zcert_destroy (&ann);
    zcert_destroy (&eve);
}

//  Replica 2, primary of term, sends entry index (after index - 1 of
//  prev_term) on sock, and waits (at most 5 s) for replica 1 to hold it
static bool
s_mesh_send_entry (zsock_t *sock, const char *endpoint, uint64_t term, uint64_t index, uint64_t prev_term)
{
    gavel_msg_t *msg = gavel_msg_new (GAVEL_MSG_ENTRIES);
    gavel_msg_set_from (msg, 2);
    gavel_msg_set_term (msg, term);
    gavel_msg_set_prev_index (msg, index - 1);
    gavel_msg_set_prev_term (msg, prev_term);
    gavel_msg_set_last_index (msg, index);
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_NOOP);
    gavel_msg_set_from (entry, 2);
    gavel_msg_set_term (entry, term);
    gavel_msg_set_index (entry, index);
    gavel_msg_set_stamp (entry, zclock_time ());
    gavel_msg_add_entry (msg, &entry);
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLOUT, 0 };
    assert (zmq_poll (&item, 1, 2000) == 1);
    gavel_msg_send (msg, NULL, zsock_resolve (sock));
    gavel_msg_destroy (&msg);
    gavel_status_answer_t answer;
    for (int64_t until = zclock_mono () + 5000; zclock_mono () < until; zclock_sleep (20))
        if (gavel_status_ask ("node-test", endpoint, 2000, &answer) == GAVEL_STATUS_ANSWERED
        &&  answer.last == (int64_t) index)
            return true;
    return false;
}

//  A peer's mesh connection made again while the old one still stands (the
//  old one drained only once the node reads it, after a pause or a heartbeat
//  time-out) is heard: a ROUTER that kept the first connection under a
//  routing id would leave the new one unread for good, and a backup whose
//  primary's ENTRIES go there never catches up.
//  A cluster file of three replicas on free ports, settings given; ports
//  [replica][client, pub, ack, mesh] say which
static gavel_config_t *
s_test_config3 (int ports [3][4], const char *settings)
{
    for (size_t replica = 0; replica < 3; replica++)
        for (size_t kind = 0; kind < 4; kind++)
            ports [replica][kind] = gavel_sock_free_port ();
    char *text = zsys_sprintf (
        "cluster\n    settings\n%s"
        "replica\n"
        "    1\n        client = tcp://127.0.0.1:%d\n        pub = tcp://127.0.0.1:%d\n"
        "        ack = tcp://127.0.0.1:%d\n        mesh = tcp://127.0.0.1:%d\n"
        "    2\n        client = tcp://127.0.0.1:%d\n        pub = tcp://127.0.0.1:%d\n"
        "        ack = tcp://127.0.0.1:%d\n        mesh = tcp://127.0.0.1:%d\n"
        "    3\n        client = tcp://127.0.0.1:%d\n        pub = tcp://127.0.0.1:%d\n"
        "        ack = tcp://127.0.0.1:%d\n        mesh = tcp://127.0.0.1:%d\n", settings,
        ports [0][0], ports [0][1], ports [0][2], ports [0][3], ports [1][0], ports [1][1],
        ports [1][2], ports [1][3], ports [2][0], ports [2][1], ports [2][2], ports [2][3]);
    char error [512];
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config);
    zstr_free (&text);
    return config;
}

static void
s_test_mesh_reconnect (bool verbose)
{
    int ports [3][4];
    gavel_config_t *config = s_test_config3 (ports, "        heartbeat = 1000\n        election = 600000\n"
                                                    "        fsync = never\n");
    char error [512], client [64], mesh [64];
    snprintf (client, sizeof client, "tcp://127.0.0.1:%d", ports [0][0]);
    snprintf (mesh, sizeof mesh, "tcp://127.0.0.1:%d", ports [0][3]);
    zactor_t *node = zactor_new (s_config_actor, config);
    assert (node);

    //  Replica 2's first connection, with the routing id a peer may give it
    zsock_t *first = gavel_sock_new (ZMQ_DEALER, mesh, false, "2", error, sizeof error);
    assert (first);
    assert (s_mesh_send_entry (first, client, 7, 1, 0));
    //  Its second, while the first stands
    zsock_t *second = gavel_sock_new (ZMQ_DEALER, mesh, false, "2", error, sizeof error);
    assert (second);
    assert (s_mesh_send_entry (second, client, 7, 2, 7));
    //  And once the first is gone
    zsock_destroy (&first);
    assert (s_mesh_send_entry (second, client, 7, 3, 7));
    if (verbose)
        printf ("a peer's second mesh connection is heard; ");
    zsock_destroy (&second);
    zactor_destroy (&node);
    gavel_config_destroy (&config);

    //  Nodes made and destroyed one after another each watch their peers
    //  (a monitor's endpoint named after the node's address met itself
    //  again: 139 of 300 failed)
    for (size_t round = 0; round < 30; round++) {
        config = s_test_config3 (ports, "");
        gavel_node_t *made = gavel_node_new (config, 1, NULL, error, sizeof error);
        if (!made)
            printf ("\nround %zu: %s\n", round, error);
        assert (made);
        gavel_node_destroy (&made);
        gavel_config_destroy (&config);
    }
}

//  Clocks for s_clock_offset's test: the wall clock is 1,000,000 ms ahead
//  of the monotonic one, and its first read takes 20 ms
static int64_t s_test_mono_us;
static int s_test_wall_reads;

static int64_t
s_test_mono_usecs (void)
{
    return s_test_mono_us += 10;
}

static int64_t
s_test_wall_msecs (void)
{
    if (s_test_wall_reads++ == 0)
        s_test_mono_us += 20000;            //  what it reads is of before
    return (s_test_mono_us - (s_test_wall_reads == 1? 20000: 0)) / 1000 + 1000000;
}

void
gavel_node_test (bool verbose)
{
    printf (" * gavel_node: ");
    //  A slow first read of the wall clock is not the offset
    s_test_mono_us = 5000000;
    int64_t offset = s_clock_offset (s_test_mono_usecs, s_test_wall_msecs);
    assert (offset >= 999999 && offset <= 1000001);
    assert (s_test_wall_reads == 2);
    offset = s_clock_offset (zclock_usecs, zclock_time);
    assert (llabs (offset - (zclock_time () - zclock_mono ())) <= 5);
    zactor_t *node = zactor_new (gavel_node_actor, "tcp://127.0.0.1:*");
    assert (node);
    zstr_send (node, "PORT");
    char *port = zstr_recv (node);
    assert (port && atoi (port) > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", port);
    zstr_free (&port);
    char error [256];
    zsock_t *client = gavel_sock_new_client (endpoint, error, sizeof error);
    assert (client);

    zmsg_t *reply = EXCHANGE (client, "GAVEL/1", "OPEN", "1", "s1", "alice", "lamp", "60000", "0");
    s_expect (&reply, "1", "success", "", "auction=1 closes_in=60000");

    //  Each kind of bad input gets an exception naming the problem
    reply = EXCHANGE (client, "GAVEL/1", "BID", "2", "s1", "alice", "1", "12x");
    s_expect (&reply, "2", "exception", "malformed", "frame 6 (amount): '12x' is not a number");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "3", "s1", "alice", "one", "10");
    s_expect (&reply, "3", "exception", "malformed", "frame 5 (auction): 'one' is not a number");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "4", "s1", "alice", "1");
    s_expect (&reply, "4", "exception", "malformed", "BID takes 7 frames, got 6");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "5", "s1", "alice", "1", "10", "11");
    s_expect (&reply, "5", "exception", "malformed", "BID takes 7 frames, got 8");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "6", "s1", "alice", "1", "99999999999999999999");
    s_expect (&reply, "6", "exception", "malformed", "out of range");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "7", "s1", "alice", "1", "-5");
    s_expect (&reply, "7", "exception", "malformed", "out of range");
    reply = EXCHANGE (client, "GAVEL/1", "STEAL", "8", "s1", "alice");
    s_expect (&reply, "8", "exception", "unknown-command", "'STEAL' is not a command");
    reply = EXCHANGE (client, "GAVEL/9", "BID", "9", "s1", "alice", "1", "10");
    s_expect (&reply, "9", "exception", "unsupported-version", "GAVEL/9");
    reply = EXCHANGE (client, "hello");
    s_expect (&reply, "0", "exception", "malformed", "expected 'GAVEL/1'");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "x", "s1", "alice", "1", "10");
    s_expect (&reply, "0", "exception", "malformed", "frame 2 (request id)");
    char long_name [100];
    memset (long_name, 'n', 99);
    long_name [99] = '\0';
    reply = EXCHANGE (client, "GAVEL/1", "BID", "10", "s1", long_name, "1", "10");
    s_expect (&reply, "10", "exception", "malformed", "frame 4 (name)");
    char long_item [2000];
    memset (long_item, 'i', sizeof long_item - 1);
    long_item [sizeof long_item - 1] = '\0';
    reply = EXCHANGE (client, "GAVEL/1", "OPEN", "11", "s1", "alice", long_item, "1000", "0");
    s_expect (&reply, "11", "exception", "malformed", "over the limit");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "12", "s1", "alice", "7", "10");
    s_expect (&reply, "12", "exception", "unknown-auction", "");

    //  Binary garbage, and a frame with a NUL in it
    zmsg_t *garbage = zmsg_new ();
    zmsg_addmem (garbage, "\xff\x00\x13", 3);
    zmsg_addmem (garbage, "BI\0D", 4);
    zmsg_send (&garbage, client);
    zpoller_t *poller = zpoller_new (client, NULL);
    assert (zpoller_wait (poller, 2000) == client);
    reply = zmsg_recv (client);
    s_expect (&reply, "0", "exception", "malformed", "frame 0 (tag)");

    //  A message over the size bound costs the sender its connection, and
    //  nobody else anything: a fresh client is served at once.
    zmsg_t *huge = zmsg_new ();
    zmsg_addstr (huge, "GAVEL/1");
    zframe_t *big = zframe_new (NULL, 100 * 1024);
    memset (zframe_data (big), 'x', zframe_size (big));
    zmsg_append (huge, &big);
    zmsg_send (&huge, client);
    assert (zpoller_wait (poller, 300) == NULL);
    zpoller_destroy (&poller);
    zsock_destroy (&client);
    client = gavel_sock_new_client (endpoint, error, sizeof error);
    assert (client);

    //  The replica still answers good requests correctly
    reply = EXCHANGE (client, "GAVEL/1", "BID", "13", "s1", "alice", "1", "10");
    s_expect (&reply, "13", "success", "", "auction=1 amount=10");
    reply = EXCHANGE (client, "GAVEL/1", "BID", "13", "s1", "alice", "1", "10");
    s_expect (&reply, "13", "success", "", "auction=1 amount=10");
    reply = EXCHANGE (client, "GAVEL/1", "RESULT", "14", "s1", "alice", "1");
    s_expect (&reply, "14", "success", "", "state=open highest=10 bidder=alice");

    //  Through a proxy: routing frames before an empty delimiter come back
    reply = EXCHANGE (client, "proxy-hop", "client-7", "", "GAVEL/1", "RESULT", "15", "s1", "alice", "1");
    assert (reply && zmsg_size (reply) >= 9);
    char *hop = zmsg_popstr (reply), *origin = zmsg_popstr (reply), *empty = zmsg_popstr (reply);
    assert (streq (hop, "proxy-hop") && streq (origin, "client-7") && streq (empty, ""));
    zstr_free (&hop);
    zstr_free (&origin);
    zstr_free (&empty);
    s_expect (&reply, "15", "success", "", "state=open highest=10 bidder=alice");

    //  A REQ peer gets its delimiter back, so plain REQ clients work
    zsock_t *req = zsock_new_req (endpoint);
    assert (req);
    zsock_set_rcvtimeo (req, 2000);
    reply = EXCHANGE (req, "GAVEL/1", "LIST", "1", "req1", "carol");
    s_expect (&reply, "1", "success", "", "auction=1 item=lamp state=open");
    zsock_destroy (&req);

    //  STATUS: the state, then the counts of the loop's work so far (every
    //  request above that decoded, this one too)
    reply = EXCHANGE (client, "GAVEL/1", "STATUS", "16", "s1", "alice");
    assert (reply && zmsg_size (reply) == 10);
    gavel_msg_error_t status_error;
    gavel_msg_t *status = gavel_msg_decode (reply, &status_error);
    zmsg_destroy (&reply);
    assert (status);
    gavel_status_answer_t answer;
    assert (gavel_status_decode (status, &answer) == 0);
    gavel_msg_destroy (&status);
    assert (answer.stats [GAVEL_STAT_REQUESTS] == 8 && answer.stats [GAVEL_STAT_TURNS] >= 1);
    assert (answer.stats [GAVEL_STAT_ELECTED] == 1);    //  alone: it elected itself once
    //  and what the shell adds: every reply sent so far, by reason, each
    //  one's latency counted; no disk here
    const gavel_report_t *report = &answer.report;
    assert (report->served && report->disk && !report->broker);
    assert (report->replies [GAVEL_REPLY_SUCCESS] == 6);
    assert (report->replies [GAVEL_REPLY_MALFORMED] == 11);
    assert (report->replies [GAVEL_REPLY_UNKNOWN_COMMAND] == 1);
    assert (report->replies [GAVEL_REPLY_UNSUPPORTED_VERSION] == 1);
    assert (report->replies [GAVEL_REPLY_UNKNOWN_AUCTION] == 1);
    assert (gavel_buckets_count (&report->latency) == 20);
    assert (report->log_bytes == 0 && gavel_buckets_count (&report->fsync) == 0);

    zsock_destroy (&client);
    zactor_destroy (&node);
    s_test_keys (verbose);
    s_test_mesh_reconnect (verbose);
    printf ("OK\n");
}
