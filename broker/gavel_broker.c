/*  gavel_broker: the stateless front door of a Gavel cluster.

    Requests are only ever looked at, never rebuilt: the replica decides what
    is malformed, and a request id is never changed, so that the replicas'
    de-duplication makes every resend safe.

    A bidder's routing (its id on our ROUTER, and the frames of every
    ROUTER/DEALER proxy between it and us) stays here with its request; the
    replica sees one routing frame of ours, a token naming the request ("T"
    and a number), so that however long a bidder's routing is, the
    replica's envelope is the same few frames and its reply finds the
    request in one lookup. The broker's own HISTORY requests carry the
    one-byte routing frame "\0" instead, so their answers are told from
    bidders' at a glance.
*/
#include "gavel_broker.h"
#include "gavel_report.h"
#include "gavel_status.h"
#include "gavel_attempt.h"
#include "gavel_feed.h"
#include "gavel_msg.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#define S_TICK          20      //  ms: how late a time-out may fire
#define S_RECONNECT     1000    //  ms of heartbeat silence that count as a
                                //  lost connection: fetch history after it
#define S_SYNC_TRIES    10      //  HISTORY attempts before giving up a gap
#define S_LAST_EVERY    1000    //  ms between LAST messages on the feed

typedef struct {
    uint64_t id;
    zsock_t *dealer;            //  requests, to its client ROUTER
    zsock_t *sub;               //  its hb and event topics
    int64_t last_hb;            //  mono ms, 0 before the first
} s_replica_t;

//  A bidder's request, held until answered or the hold runs out.
typedef struct {
    char token [24];            //  "T" and a serial: our routing frame for it
    char *route_key;            //  its routing and request id, as text
    zframe_t *identity;         //  the bidder's routing id on our ROUTER
    zmsg_t *route;              //  the routing frames after it, before the
                                //  delimiter: proxies in between; may be empty
    char key [GAVEL_KEY_MAX + 1];   //  its CURVE key, as our handshake
                                    //  proved it; "" without CURVE
    zmsg_t *body;               //  every frame after it and its delimiter
    bool delimited;             //  an empty delimiter ended the routing
    uint64_t request_id;        //  0 when it could not be read
    uint64_t serial;            //  its token's number: its key in forwarding
    bool status;                //  a STATUS: its answer says ours too
} s_pending_t;

struct _gavel_broker_t {
    gavel_config_t *config;     //  borrowed
    uint64_t id;
    int64_t hold;
    int64_t attempt;
    bool verbose;
    zsock_t *router;
    zsock_t *pub;
    zpoller_t *poller;
    size_t replica_count;
    s_replica_t replicas [GAVEL_REPLICAS_MAX];
    uint64_t primary;           //  replica id, 0 when unknown
    uint64_t primary_term;
    gavel_attempt_t *forwarding;    //  where each pending request goes
                                    //  next, keyed by serial; its targets
                                    //  are the replicas, in their order
    zhashx_t *pending;          //  token -> s_pending_t
    zhashx_t *routes;           //  route key -> its pending's token: a
                                //  resend replaces what is held
    uint64_t serial;            //  the last token's
    size_t dropped;
    uint64_t forwards;          //  requests sent to a replica, resends too
    uint64_t no_quorum;         //  requests we gave up on ourselves
    //  The feed: each replica's pub in, ours out
    gavel_feed_t *feed;
    int64_t published;
    int64_t last_due;           //  mono ms: next LAST on the feed
};

static void
s_pending_destroy (s_pending_t **self_p)
{
    if (*self_p) {
        zstr_free (&(*self_p)->route_key);
        zframe_destroy (&(*self_p)->identity);
        zmsg_destroy (&(*self_p)->route);
        zmsg_destroy (&(*self_p)->body);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_log (gavel_broker_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    zsys_info ("broker %" PRIu64 ": %s", self->id, text);
    zstr_free (&text);
}

static void s_feed_new (gavel_broker_t *self);

static int
s_replica_index (gavel_broker_t *self, uint64_t id)
{
    for (size_t index = 0; index < self->replica_count; index++)
        if (self->replicas [index].id == id)
            return (int) index;
    return -1;
}

//  The client policy (gavel_attempt) with the broker's numbers: the hold is
//  the budget, a forward waits `attempt`, pauses last two loop turns (a
//  time-out fires up to a turn late), and a replica that let a forward time
//  out is passed over for as long as its peers take to elect another.
static void
s_forwarding_settings (gavel_broker_t *self)
{
    const gavel_settings_t *cluster = gavel_config_settings (self->config);
    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    settings.timeout = self->attempt > 0? self->attempt: 1;
    settings.budget = self->hold > 0? self->hold: 1;
    settings.pause = S_TICK * 2;
    settings.silence = cluster->election + cluster->election_spread;
    gavel_attempt_set_settings (self->forwarding, &settings);
}

//  -------------------------------------------------------------------------
//  Sockets

static int
s_open_replica (gavel_broker_t *self, const gavel_replica_conf_t *conf,
                char *error, size_t error_size)
{
    s_replica_t *replica = &self->replicas [self->replica_count++];
    replica->id = conf->id;
    replica->dealer = gavel_sock_new_client (conf->client, error, error_size);
    if (!replica->dealer)
        return -1;
    zpoller_add (self->poller, replica->dealer);
    if (!*conf->pub)
        return 0;               //  a lone replica may publish nothing
    replica->sub = gavel_sock_new (ZMQ_SUB, conf->pub, false, NULL, error, error_size);
    if (!replica->sub)
        return -1;
    zsock_set_subscribe (replica->sub, "hb");
    zsock_set_subscribe (replica->sub, "event");
    zpoller_add (self->poller, replica->sub);
    return 0;
}

gavel_broker_t *
gavel_broker_new (gavel_config_t *config, uint64_t id, char *error, size_t error_size)
{
    const gavel_broker_conf_t *conf = gavel_config_find_broker (config, id);
    if (!conf) {
        snprintf (error, error_size, "the cluster file lists no broker %" PRIu64, id);
        return NULL;
    }
    gavel_broker_t *self = (gavel_broker_t *) zmalloc (sizeof (gavel_broker_t));
    assert (self);
    self->config = config;
    self->id = id;
    self->hold = gavel_config_settings (config)->broker_hold;
    self->attempt = GAVEL_BROKER_ATTEMPT;
    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    self->forwarding = gavel_attempt_new (&settings);
    s_forwarding_settings (self);
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, (zhashx_destructor_fn *) s_pending_destroy);
    self->routes = zhashx_new ();
    self->poller = zpoller_new (NULL);
    self->router = gavel_sock_new_server (conf->client, error, error_size);
    if (self->router)
        self->pub = gavel_sock_new_feed (conf->pub, error, error_size);
    int rc = self->router && self->pub? 0: -1;
    if (rc == 0)
        zpoller_add (self->poller, self->router);
    for (size_t index = 0; rc == 0 && index < gavel_config_replicas (config); index++)
        rc = s_open_replica (self, gavel_config_replica (config, index), error, error_size);
    for (size_t index = 0; rc == 0 && index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        gavel_attempt_add_target (self->forwarding, replica->id, replica->client);
    }
    if (rc == 0)
        s_feed_new (self);
    if (rc)
        gavel_broker_destroy (&self);
    return self;
}

void
gavel_broker_destroy (gavel_broker_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_broker_t *self = *self_p;
        for (size_t index = 0; index < self->replica_count; index++) {
            zsock_destroy (&self->replicas [index].dealer);
            zsock_destroy (&self->replicas [index].sub);
        }
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->router);
        zsock_destroy (&self->pub);
        zhashx_destroy (&self->pending);
        zhashx_destroy (&self->routes);
        gavel_attempt_destroy (&self->forwarding);
        gavel_feed_destroy (&self->feed);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_broker_set_hold (gavel_broker_t *self, int64_t hold)
{
    self->hold = hold;
    s_forwarding_settings (self);
}

void
gavel_broker_set_attempt (gavel_broker_t *self, int64_t attempt)
{
    self->attempt = attempt;
    s_forwarding_settings (self);
    s_feed_new (self);          //  its HISTORY requests wait as long
}

void
gavel_broker_set_verbose (gavel_broker_t *self, bool verbose)
{
    self->verbose = verbose;
}

size_t
gavel_broker_dropped (gavel_broker_t *self)
{
    return self->dropped;
}

//  -------------------------------------------------------------------------
//  Requests

//  Who asked and what: the routing frames in hex, dot-separated, then the
//  request id; two bidders behind one proxy differ in a frame after it.
static char *
s_route_key (s_pending_t *pending)
{
    char *key = zframe_strhex (pending->identity);
    for (zframe_t *frame = zmsg_first (pending->route); frame; frame = zmsg_next (pending->route)) {
        char *hex = zframe_strhex (frame);
        char *longer = zsys_sprintf ("%s.%s", key, hex);
        zstr_free (&hex);
        zstr_free (&key);
        key = longer;
    }
    char *full = zsys_sprintf ("%s/%" PRIu64, key, pending->request_id);
    zstr_free (&key);
    return full;
}

static void
s_pending_remove (gavel_broker_t *self, const char *token)
{
    s_pending_t *pending = (s_pending_t *) zhashx_lookup (self->pending, token);
    if (pending) {
        gavel_attempt_cancel (self->forwarding, pending->serial);
        zhashx_delete (self->routes, pending->route_key);
        zhashx_delete (self->pending, token);
    }
}

static s_pending_t *
s_pending_by_serial (gavel_broker_t *self, uint64_t serial)
{
    char token [sizeof ((s_pending_t *) 0)->token];
    snprintf (token, sizeof token, "T%" PRIu64, serial);
    return (s_pending_t *) zhashx_lookup (self->pending, token);
}

//  What the heartbeats tell the forwarding: the primary is where to go
//  first, and a replica heard lately is up, whatever a forward's time-out
//  made of it.
static void
s_forwarding_hints (gavel_broker_t *self, int64_t now)
{
    int primary = s_replica_index (self, self->primary);
    if (primary >= 0)
        gavel_attempt_prefer (self->forwarding, primary);
    for (size_t index = 0; index < self->replica_count; index++)
        if (self->replicas [index].last_hb
        &&  now - self->replicas [index].last_hb < self->attempt / 2)
            gavel_attempt_alive (self->forwarding, index);
}

//  Send [token, "K:" key, "", body...] to replica index (no key frame
//  without CURVE): the replica believes the key because the connection is
//  ours, a broker of its cluster file. Returns -1 when the socket refused
//  it at once (immediate: we are not connected to that replica).
static int
s_forward (gavel_broker_t *self, s_pending_t *pending, size_t index)
{
    zmsg_t *out = zmsg_dup (pending->body);
    zmsg_pushmem (out, "", 0);
    if (*pending->key)
        zmsg_pushstrf (out, "K:%s", pending->key);
    zmsg_pushstr (out, pending->token);
    if (zmsg_send (&out, self->replicas [index].dealer) == 0) {
        self->forwards++;
        return 0;
    }
    zmsg_destroy (&out);
    return -1;
}

//  A replica finds where routing ends by the GAVEL/ frame after the
//  delimiter; without one its answer could not find the bidder. The codec
//  gives the same exception the replica would.
static bool
s_unroutable_frame (zframe_t *frame)
{
    return zframe_size (frame) < 6 || memcmp (zframe_data (frame), "GAVEL/", 6) != 0;
}

static bool
s_unroutable (zmsg_t *body)
{
    return s_unroutable_frame (zmsg_first (body));
}

static void s_answer (gavel_broker_t *self, s_pending_t *pending, zmsg_t **body_p);
static void s_forwarding_act (gavel_broker_t *self, uint64_t serial, zmsg_t **body_p);

//  Where a bidder's routing ends, as the replica finds it (docs/PROTOCOL.md,
//  "Transport"): at the first empty frame, when a GAVEL/ frame follows it,
//  or when it comes first (a REQ bidder, whatever it sent after). Its
//  position among the frames after the routing id, or -1: no routing.
static int
s_delimiter (zmsg_t *msg)
{
    int position = 0;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg), position++)
        if (zframe_size (frame) == 0) {
            zframe_t *next = zmsg_next (msg);
            return next && (position == 0 || !s_unroutable_frame (next))? position: -1;
        }
    return -1;
}

static void
s_on_request (gavel_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg || zmsg_size (msg) < 2) {
        //  No identity and request: nothing to forward, nobody to answer
        self->dropped++;
        zmsg_destroy (&msg);
        return;
    }
    s_pending_t *pending = (s_pending_t *) zmalloc (sizeof (s_pending_t));
    assert (pending);
    //  Every frame after the routing id carries the connection's metadata
    const char *user = zframe_meta (zmsg_last (msg), "User-Id");
    if (user && gavel_text_valid_key (user))
        snprintf (pending->key, sizeof pending->key, "%s", user);
    pending->identity = zmsg_pop (msg);
    //  The routing and its delimiter are ours to give back: the replica
    //  must see one delimiter, after our own routing, before the request
    pending->route = zmsg_new ();
    int delimiter = s_delimiter (msg);
    if (delimiter >= 0) {
        pending->delimited = true;
        for (int index = 0; index < delimiter; index++) {
            zframe_t *frame = zmsg_pop (msg);
            zmsg_append (pending->route, &frame);
        }
        zframe_t *empty = zmsg_pop (msg);
        zframe_destroy (&empty);
    }
    pending->body = msg;
    gavel_msg_error_t error = { 0 };
    gavel_msg_t *request = gavel_msg_decode (msg, &error);
    pending->request_id = request? gavel_msg_request_id (request): error.request_id;
    pending->status = request && gavel_msg_id (request) == GAVEL_MSG_STATUS;
    gavel_msg_destroy (&request);
    if (s_unroutable (msg)) {
        gavel_msg_t *reply = gavel_msg_new_error_reply (&error);
        zmsg_t *body = gavel_msg_encode (reply);
        gavel_msg_destroy (&reply);
        s_answer (self, pending, &body);
        s_pending_destroy (&pending);
        return;
    }
    pending->route_key = s_route_key (pending);
    //  A resend of a request still held replaces it: one answer is enough
    const char *held = (const char *) zhashx_lookup (self->routes, pending->route_key);
    if (held) {
        char token [sizeof pending->token];
        snprintf (token, sizeof token, "%s", held);
        s_pending_remove (self, token);
    }
    pending->serial = ++self->serial;
    snprintf (pending->token, sizeof pending->token, "T%" PRIu64, pending->serial);
    zhashx_insert (self->pending, pending->token, pending);
    zhashx_insert (self->routes, pending->route_key, pending->token);
    int64_t now = zclock_mono ();
    s_forwarding_hints (self, now);
    gavel_attempt_start (self->forwarding, pending->serial, now);
    s_forwarding_act (self, 0, NULL);
}

//  Send reply frames to the bidder, with its routing in front, as it came.
static void
s_answer (gavel_broker_t *self, s_pending_t *pending, zmsg_t **body_p)
{
    zmsg_t *out = zmsg_new ();
    zmsg_addmem (out, zframe_data (pending->identity), zframe_size (pending->identity));
    for (zframe_t *frame = zmsg_first (pending->route); frame; frame = zmsg_next (pending->route))
        zmsg_addmem (out, zframe_data (frame), zframe_size (frame));
    if (pending->delimited)
        zmsg_addmem (out, "", 0);
    zframe_t *frame;
    while ((frame = zmsg_pop (*body_p)))
        zmsg_append (out, &frame);
    zmsg_destroy (body_p);
    if (zmsg_send (&out, self->router))
        zmsg_destroy (&out);
}

//  A replica's successful STATUS answer, passed back, says our state too
//  (docs/PROTOCOL.md, "STATUS"): gavel-web's metrics of the broker
static void
s_add_broker_record (gavel_broker_t *self, s_pending_t *pending, zmsg_t **body_p)
{
    if (!pending->status)
        return;
    gavel_msg_error_t error;
    gavel_msg_t *answer = gavel_msg_decode (*body_p, &error);
    if (answer && gavel_msg_id (answer) == GAVEL_MSG_REPLY
    &&  gavel_msg_outcome (answer) == GAVEL_SUCCESS) {
        //  The replica's records, but never a broker's: ours is the one
        //  record of its kind (a reader refuses two)
        gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (answer), GAVEL_SUCCESS,
                                                  NULL, NULL);
        size_t records = gavel_msg_records (answer);
        for (size_t index = 0; index < records && index < GAVEL_STATUS_RECORDS_MAX - 1; index++)
            if (!gavel_report_is_broker (gavel_msg_record (answer, index)))
                gavel_msg_add_record (reply, "%s", gavel_msg_record (answer, index));
        gavel_report_t report;
        gavel_report_init (&report);
        report.broker_id = self->id;
        report.held = zhashx_size (self->pending) - 1;     //  not this STATUS
        report.feed_seq = self->feed? gavel_feed_last_seq (self->feed): 0;
        report.forwards = self->forwards;
        report.no_quorum = self->no_quorum;
        gavel_report_add_broker (&report, reply);
        zmsg_destroy (body_p);
        *body_p = gavel_msg_encode (reply);
        gavel_msg_destroy (&reply);
    }
    gavel_msg_destroy (&answer);
}

static void
s_answer_no_quorum (gavel_broker_t *self, s_pending_t *pending)
{
    self->no_quorum++;
    gavel_msg_t *reply = gavel_msg_new_reply (pending->request_id, GAVEL_EXCEPTION, "no-quorum",
        "no replica answered within the broker's hold of %" PRId64 " ms; "
        "retry with the same request id", self->hold);
    zmsg_t *body = gavel_msg_encode (reply);
    gavel_msg_destroy (&reply);
    s_answer (self, pending, &body);
    s_log (self, "request %" PRIu64 ": no answer within %" PRId64 " ms, told no-quorum",
           pending->request_id, self->hold);
}

//  Carry out what the forwarding decided: forwards, answers, give-ups. A
//  reply to request `serial` that was just given to it comes in body_p:
//  when it is the answer, or the no-quorum the request ends on, the bidder
//  gets its frames as the replica sent them.
static void
s_forwarding_act (gavel_broker_t *self, uint64_t serial, zmsg_t **body_p)
{
    gavel_attempt_action_t *action;
    while ((action = gavel_attempt_next_action (self->forwarding))) {
        s_pending_t *pending = s_pending_by_serial (self, action->key);
        assert (pending);
        bool heard = body_p && *body_p && action->key == serial && action->reply;
        if (action->kind == GAVEL_ATTEMPT_SEND) {
            if (s_forward (self, pending, action->target))
                gavel_attempt_unreachable (self->forwarding, action->key, action->target,
                                           zclock_mono ());
        }
        else
        if (action->kind == GAVEL_ATTEMPT_DONE || action->kind == GAVEL_ATTEMPT_GIVE_UP) {
            if (heard) {
                if (action->kind == GAVEL_ATTEMPT_DONE)
                    s_add_broker_record (self, pending, body_p);
                s_answer (self, pending, body_p);
            }
            else
            if (action->kind == GAVEL_ATTEMPT_DONE) {
                zmsg_t *body = gavel_msg_encode (action->reply);
                s_add_broker_record (self, pending, &body);
                s_answer (self, pending, &body);
            }
            else
                s_answer_no_quorum (self, pending);
            s_pending_remove (self, pending->token);
        }
        gavel_attempt_action_destroy (&action);
    }
}

//  A replica's answer to a bidder's request, found by our token. The
//  forwarding decides what it means: an answer to pass on, a redirect to
//  follow, a no-quorum to retry while the hold lasts. What it cannot read
//  is the replica's to say: passed on as it came.
static void
s_on_bidder_reply (gavel_broker_t *self, size_t from, zframe_t *routing, zmsg_t *body)
{
    gavel_msg_error_t error = { 0 };
    gavel_msg_t *reply = gavel_msg_decode (body, &error);
    //  Our token came back as the routing frame; anything else is no request
    //  of ours (nor is a frame with a NUL in it, which would read shorter)
    char key [sizeof ((s_pending_t *) 0)->token] = "";
    size_t size = zframe_size (routing);
    if (size < sizeof key && !memchr (zframe_data (routing), 0, size)) {
        memcpy (key, zframe_data (routing), size);
        key [size] = '\0';
    }
    s_pending_t *pending = *key? (s_pending_t *) zhashx_lookup (self->pending, key): NULL;
    if (!pending)
        ;                       //  a late answer to one already answered
    else
    if (!reply || gavel_msg_id (reply) != GAVEL_MSG_REPLY) {
        s_answer (self, pending, &body);
        s_pending_remove (self, key);
    }
    else {
        uint64_t serial = pending->serial;
        int64_t now = zclock_mono ();
        s_forwarding_hints (self, now);
        gavel_attempt_reply (self->forwarding, serial, from, &reply, now);
        s_forwarding_act (self, serial, &body);
    }
    zmsg_destroy (&body);
    gavel_msg_destroy (&reply);
}

//  Resend what a replica left unanswered; answer what the hold gave up on.
static void
s_check_pending (gavel_broker_t *self)
{
    int64_t now = zclock_mono ();
    if (gavel_attempt_next_deadline (self->forwarding) > now)
        return;
    s_forwarding_hints (self, now);
    gavel_attempt_tick (self->forwarding, now);
    s_forwarding_act (self, 0, NULL);
}

//  -------------------------------------------------------------------------
//  The feed

//  The feed follower: events in order and once, holes fetched with HISTORY
//  from the replica that published after them, then from each next one
//  (gavel_feed). Replica index i is both its feed and its history endpoint.
static void
s_feed_new (gavel_broker_t *self)
{
    gavel_feed_settings_t settings = {
        .feed_endpoints = self->replica_count,
        .history_endpoints = self->replica_count,
        .history_at_source = true,
        .fetch_timeout = self->attempt,
        .fetch_tries = S_SYNC_TRIES,
        .backlog_max = GAVEL_BROKER_BACKLOG,
        .reconnect = S_RECONNECT
    };
    gavel_feed_destroy (&self->feed);
    self->feed = gavel_feed_new (&settings);
}

static void
s_publish (gavel_broker_t *self, gavel_msg_t *event)
{
    zmsg_t *msg = gavel_msg_encode (event);
    if (zmsg_send (&msg, self->pub))
        zmsg_destroy (&msg);
    self->published++;
}

//  HISTORY to a replica, behind our one-byte routing frame "\0". One that
//  cannot be sent waits for the follower's deadline, as an unanswered one.
static void
s_sync_send (gavel_broker_t *self, gavel_feed_action_t *fetch)
{
    s_replica_t *replica = &self->replicas [fetch->endpoint];
    if (fetch->attempt == 1)
        s_log (self, "fetching events from %" PRIu64 " from replica %" PRIu64,
               fetch->from, replica->id);
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_HISTORY);
    char session [32];
    snprintf (session, sizeof session, "broker-%" PRIu64 "-%d", self->id, (int) getpid ());
    gavel_msg_set_request_id (request, fetch->request_id);
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, "broker");
    gavel_msg_set_seq (request, fetch->from);
    gavel_msg_set_count (request, fetch->count);
    zmsg_t *msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);
    zmsg_pushmem (msg, "", 0);
    zmsg_pushmem (msg, "", 1);      //  our routing frame: one zero byte
    if (zmsg_send (&msg, replica->dealer))
        zmsg_destroy (&msg);
}

//  What the follower asks for: re-publish, fetch, or say what is lost
static void
s_sync_actions (gavel_broker_t *self)
{
    gavel_feed_action_t *action;
    while ((action = gavel_feed_next_action (self->feed))) {
        if (action->kind == GAVEL_FEED_DELIVER)
            s_publish (self, action->event);
        else
        if (action->kind == GAVEL_FEED_FETCH)
            s_sync_send (self, action);
        else
        if (action->kind == GAVEL_FEED_LOST && action->to == UINT64_MAX)
            s_log (self, "no replica answered HISTORY from event %" PRIu64 ": the feed may "
                   "have a hole there", action->from);
        else
        if (action->kind == GAVEL_FEED_LOST)
            s_log (self, "events %" PRIu64 " to %" PRIu64 " are in no replica's history %s: "
                   "the feed goes on without them", action->from, action->to,
                   action->cause == GAVEL_FEED_LOST_UNANSWERED? "that answered": "any more");
        else
        if (action->kind == GAVEL_FEED_RESTART)
            s_log (self, "event numbers went back from %" PRIu64 " to %" PRIu64 ": the "
                   "replicas' feed started again; following it", action->from, action->to);
        else
        if (action->kind == GAVEL_FEED_BAD_RECORD) {
            //  Passed over: re-published, it would be an event that our
            //  subscribers cannot decode, or one with the wrong number
            char quoted [128];
            gavel_text_quote (action->record, strlen (action->record), quoted, sizeof quoted);
            s_log (self, "replica %" PRIu64 " answered HISTORY with a record that is not "
                   "an event, dropped: '%s'", self->replicas [action->endpoint].id, quoted);
            self->dropped++;
        }
        gavel_feed_action_destroy (&action);
    }
}

static void
s_on_event (gavel_broker_t *self, size_t index, gavel_msg_t **event_p)
{
    gavel_feed_event (self->feed, event_p, index, zclock_mono ());
    s_sync_actions (self);
}

static void
s_on_history (gavel_broker_t *self, size_t from, zmsg_t *body)
{
    gavel_msg_error_t error;
    gavel_msg_t *reply = gavel_msg_decode (body, &error);
    gavel_feed_history (self->feed, reply, from, self->replicas [from].id, zclock_mono ());
    gavel_msg_destroy (&reply);
    s_sync_actions (self);
}

//  Every second, the number of the last event re-published (0 before the
//  first): a subscriber that lost the last events before a quiet spell
//  learns of it from this, without waiting for the next event, and a new
//  subscriber learns that its subscription has reached us, even on a
//  quiet feed
static void
s_check_last (gavel_broker_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->last_due)
        return;
    self->last_due = now + S_LAST_EVERY;
    gavel_msg_t *last = gavel_msg_new (GAVEL_MSG_LAST);
    gavel_msg_set_seq (last, gavel_feed_last_seq (self->feed));
    gavel_msg_send (last, NULL, zsock_resolve (self->pub));
    gavel_msg_destroy (&last);
}

static void
s_check_sync (gavel_broker_t *self)
{
    gavel_feed_tick (self->feed, zclock_mono ());
    s_sync_actions (self);
}

//  A heartbeat names the primary of its term; the highest term wins. One
//  heard again after a silence may have published events we missed.
static void
s_on_heartbeat (gavel_broker_t *self, gavel_msg_t *hb)
{
    int index = s_replica_index (self, gavel_msg_from (hb));
    if (index < 0 || gavel_msg_term (hb) < self->primary_term)
        return;
    int64_t now = zclock_mono ();
    s_replica_t *replica = &self->replicas [index];
    replica->last_hb = now;
    if (self->primary != replica->id || self->primary_term != gavel_msg_term (hb))
        s_log (self, "primary is replica %" PRIu64 ", term %" PRIu64,
               replica->id, gavel_msg_term (hb));
    self->primary = replica->id;
    self->primary_term = gavel_msg_term (hb);
    gavel_feed_heartbeat (self->feed, (size_t) index, now);
    s_sync_actions (self);
}

static void
s_on_sub (gavel_broker_t *self, size_t index)
{
    zmsg_t *msg = zmsg_recv (self->replicas [index].sub);
    if (!msg)
        return;
    gavel_msg_error_t error;
    gavel_msg_t *decoded = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    if (!decoded)
        self->dropped++;
    else
    if (gavel_msg_id (decoded) == GAVEL_MSG_HB)
        s_on_heartbeat (self, decoded);
    else
    if (gavel_msg_id (decoded) == GAVEL_MSG_EVENT)
        s_on_event (self, index, &decoded);
    gavel_msg_destroy (&decoded);
}

//  A replica's answer: [routing, "", reply...]; our own routing is "\0".
static void
s_on_dealer (gavel_broker_t *self, size_t index)
{
    zmsg_t *msg = zmsg_recv (self->replicas [index].dealer);
    if (!msg || zmsg_size (msg) < 3) {
        self->dropped += msg? 1: 0;
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *identity = zmsg_pop (msg);
    zframe_t *delimiter = zmsg_pop (msg);
    //  The key frame we added comes back with the routing: ours, dropped
    if (zframe_size (delimiter) == 2 + GAVEL_KEY_MAX && memcmp (zframe_data (delimiter), "K:", 2) == 0
    &&  zmsg_size (msg) > 1) {
        zframe_destroy (&delimiter);
        delimiter = zmsg_pop (msg);
    }
    if (zframe_size (delimiter) != 0) {
        self->dropped++;
        zmsg_destroy (&msg);
    }
    else
    if (zframe_size (identity) == 1 && *zframe_data (identity) == 0) {
        s_on_history (self, index, msg);
        zmsg_destroy (&msg);
    }
    else
        s_on_bidder_reply (self, index, identity, msg);
    zframe_destroy (&identity);
    zframe_destroy (&delimiter);
}

//  -------------------------------------------------------------------------

int
gavel_broker_poll (gavel_broker_t *self, int timeout)
{
    void *which = zpoller_wait (self->poller, timeout);
    if (zpoller_terminated (self->poller))
        return -1;
    if (which == self->router)
        s_on_request (self);
    for (size_t index = 0; which && index < self->replica_count; index++) {
        if (which == self->replicas [index].dealer)
            s_on_dealer (self, index);
        else
        if (which == self->replicas [index].sub)
            s_on_sub (self, index);
    }
    s_check_pending (self);
    s_check_sync (self);
    s_check_last (self);
    return 0;
}

void
gavel_broker_run (gavel_broker_t *self)
{
    s_log (self, "serving; hold %" PRId64 " ms, %zu replicas", self->hold, self->replica_count);
    while (!zsys_interrupted && gavel_broker_poll (self, S_TICK) == 0)
        ;
    s_log (self, "stopping; %" PRId64 " events re-published, %zu messages dropped",
           self->published, self->dropped);
}

//  -------------------------------------------------------------------------
//  Self test: one fake replica (ROUTER and PUB) and one bidder, in process.

static zmsg_t *
s_recv_within (zsock_t *sock, gavel_broker_t *broker, int64_t timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        gavel_broker_poll (broker, 5);
        zpoller_t *poller = zpoller_new (sock, NULL);
        void *which = zpoller_wait (poller, 5);
        zpoller_destroy (&poller);
        if (which)
            return zmsg_recv (sock);
    }
    return NULL;
}

static zmsg_t *
s_test_request_in (uint64_t id, const char *session)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
    gavel_msg_set_request_id (request, id);
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, "ann");
    gavel_msg_set_auction (request, 1);
    zmsg_t *msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);
    return msg;
}

static zmsg_t *
s_test_request (uint64_t id)
{
    return s_test_request_in (id, "test");
}

//  The replica's side answers, to the routing frames its request came with
static void
s_test_reply (zsock_t *replica, zframe_t **dealer, zframe_t **routing, zframe_t **delimiter,
              gavel_msg_t **reply_p)
{
    zmsg_t *msg = gavel_msg_encode (*reply_p);
    gavel_msg_destroy (reply_p);
    zmsg_prepend (msg, delimiter);
    zmsg_prepend (msg, routing);
    zmsg_prepend (msg, dealer);
    zmsg_send (&msg, replica);
}

//  The fake replica takes the forward of request id, which carries our
//  routing only (dealer id, token, "", 6 frames), and answers it with reply.
static void
s_test_serve (zsock_t *replica, gavel_broker_t *broker, uint64_t id, gavel_msg_t *reply)
{
    zmsg_t *msg = s_recv_within (replica, broker, 1000);
    assert (msg && zmsg_size (msg) >= 8);     //  3 of ours, 5 or more of the request
    zframe_t *dealer = zmsg_pop (msg);
    zframe_t *routing = zmsg_pop (msg);
    zframe_t *delimiter = zmsg_pop (msg);
    assert (zframe_size (delimiter) == 0);
    gavel_msg_error_t error;
    gavel_msg_t *request = gavel_msg_decode (msg, &error);
    assert (request && gavel_msg_request_id (request) == id);
    gavel_msg_destroy (&request);
    zmsg_destroy (&msg);
    s_test_reply (replica, &dealer, &routing, &delimiter, &reply);
}

//  The bidder gets the answer to request id, with outcome.
static void
s_test_answered (zsock_t *bidder, gavel_broker_t *broker, uint64_t id, gavel_outcome_t outcome)
{
    zmsg_t *msg = s_recv_within (bidder, broker, 1000);
    assert (msg);
    gavel_msg_error_t error;
    gavel_msg_t *reply = gavel_msg_decode (msg, &error);
    assert (reply && gavel_msg_outcome (reply) == outcome && gavel_msg_request_id (reply) == id);
    gavel_msg_destroy (&reply);
    zmsg_destroy (&msg);
}

//  A ROUTER/DEALER proxy from frontend (bound) to backend (connected)
static zactor_t *
s_test_proxy (const char *frontend, const char *backend)
{
    zactor_t *proxy = zactor_new (zproxy, NULL);
    assert (proxy);
    zstr_sendx (proxy, "FRONTEND", "ROUTER", frontend, NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "BACKEND", "DEALER", backend, NULL);
    zsock_wait (proxy);
    return proxy;
}

void
gavel_broker_test (bool verbose)
{
    printf (" * gavel_broker: ");
    char error [256];
    gavel_config_t *config = gavel_config_parse (
        "replica\n    1\n        client = inproc://broker-test-r1\n"
        "        pub = inproc://broker-test-r1-pub\n"
        "broker\n    1\n        client = inproc://broker-test-b1\n"
        "        pub = inproc://broker-test-b1-pub\n", "test", error, sizeof error);
    assert (config);
    zsock_t *replica = gavel_sock_new_server ("inproc://broker-test-r1", error, sizeof error);
    zsock_t *replica_pub = gavel_sock_new (ZMQ_PUB, "inproc://broker-test-r1-pub", true, NULL,
                                           error, sizeof error);
    assert (replica && replica_pub);
    gavel_broker_t *broker = gavel_broker_new (config, 1, error, sizeof error);
    assert (broker);
    assert (gavel_broker_new (config, 2, error, sizeof error) == NULL);
    gavel_broker_set_hold (broker, 300);
    gavel_broker_set_attempt (broker, 100);
    zsock_t *bidder = gavel_sock_new_client ("inproc://broker-test-b1", error, sizeof error);
    zsock_t *feed = gavel_sock_new (ZMQ_SUB, "inproc://broker-test-b1-pub", false, NULL,
                                    error, sizeof error);
    assert (bidder && feed);
    zsock_set_subscribe (feed, "event");
    zclock_sleep (50);

    //  A quiet feed says so every second: LAST 0, nothing re-published yet
    int64_t deadline = zclock_mono () + 2500;
    bool heard = false;
    while (!heard && zclock_mono () < deadline) {
        gavel_broker_poll (broker, 5);
        zmsg_t *quiet = zmsg_recv_nowait (feed);
        gavel_msg_error_t quiet_error;
        gavel_msg_t *last = quiet? gavel_msg_decode (quiet, &quiet_error): NULL;
        assert (!quiet || (last && gavel_msg_id (last) == GAVEL_MSG_LAST && gavel_msg_seq (last) == 0));
        heard = last != NULL;
        gavel_msg_destroy (&last);
        zmsg_destroy (&quiet);
    }
    assert (heard);

    //  A request goes out with the bidder's routing; the answer comes back
    zmsg_t *msg = s_test_request (7);
    zmsg_send (&msg, bidder);
    s_test_serve (replica, broker, 7, gavel_msg_new_reply (7, GAVEL_SUCCESS, NULL, NULL));
    s_test_answered (bidder, broker, 7, GAVEL_SUCCESS);
    zframe_t *dealer, *routing, *delimiter;
    gavel_msg_error_t decode_error;
    gavel_msg_t *request, *reply;

    //  Nobody answers: resent after each attempt, then no-quorum
    msg = s_test_request (8);
    zmsg_send (&msg, bidder);
    size_t forwards = 0;
    reply = NULL;
    deadline = zclock_mono () + 2000;
    while (!reply && zclock_mono () < deadline) {
        gavel_broker_poll (broker, 5);
        while ((msg = zmsg_recv_nowait (replica))) {
            forwards++;
            zmsg_destroy (&msg);
        }
        if ((msg = zmsg_recv_nowait (bidder))) {
            reply = gavel_msg_decode (msg, &decode_error);
            zmsg_destroy (&msg);
        }
    }
    assert (reply && gavel_msg_request_id (reply) == 8);
    assert (streq (gavel_msg_reason (reply), "no-quorum"));
    assert (forwards >= 2);
    gavel_msg_destroy (&reply);

    //  A no-quorum is not passed on while the hold has room for another
    //  forward: the same request goes again, and its answer is the bidder's
    msg = s_test_request (9);
    zmsg_send (&msg, bidder);
    s_test_serve (replica, broker, 9, gavel_msg_new_reply (9, GAVEL_EXCEPTION, "no-quorum", NULL));
    s_test_serve (replica, broker, 9, gavel_msg_new_reply (9, GAVEL_SUCCESS, NULL, NULL));
    s_test_answered (bidder, broker, 9, GAVEL_SUCCESS);
    while ((msg = zmsg_recv_nowait (replica)))
        zmsg_destroy (&msg);    //  a resend a slow turn may have made

    //  A STATUS answer comes back with our own record after the replica's
    //  (and never another broker's, which a reader would refuse beside
    //  ours); any other answer as it came
    request = gavel_msg_new (GAVEL_MSG_STATUS);
    gavel_msg_set_request_id (request, 10);
    gavel_msg_set_session (request, "test");
    gavel_msg_set_name (request, "ann");
    msg = gavel_msg_encode (request);
    gavel_msg_destroy (&request);
    zmsg_send (&msg, bidder);
    reply = gavel_msg_new_reply (10, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "id=1 role=primary term=1 commit=5");
    gavel_msg_add_record (reply, "broker=9 held=9 feed_seq=9 forwards=9 no_quorum=9");
    s_test_serve (replica, broker, 10, reply);
    msg = s_recv_within (bidder, broker, 1000);
    assert (msg);
    reply = gavel_msg_decode (msg, &decode_error);
    zmsg_destroy (&msg);
    assert (reply && gavel_msg_records (reply) == 2);
    assert (streq (gavel_msg_record (reply, 0), "id=1 role=primary term=1 commit=5"));
    gavel_report_t report;
    gavel_report_init (&report);
    assert (gavel_report_read (&report, gavel_msg_record (reply, 1)) == 0);
    assert (report.broker && report.broker_id == 1 && report.held == 0);
    assert (report.no_quorum == 1 && report.forwards >= 5);
    gavel_msg_destroy (&reply);

    //  Events: duplicates and late ones dropped, a hole fetched from history
    uint64_t seqs [] = { 3, 3, 2, 4, 6 };
    for (size_t index = 0; index < 5; index++) {
        gavel_msg_t *event = gavel_msg_new (GAVEL_MSG_EVENT);
        gavel_msg_set_term (event, 1);
        gavel_msg_set_from (event, 1);
        gavel_msg_set_index (event, 10 + seqs [index]);
        gavel_msg_set_seq (event, seqs [index]);
        gavel_msg_set_stamp (event, 1000);
        gavel_msg_add_record (event, "event=bid auction=1 bidder=ann amount=%zu", index);
        msg = gavel_msg_encode (event);
        gavel_msg_destroy (&event);
        zmsg_send (&msg, replica_pub);
    }
    //  6 left a hole: the broker asks for the events from 5 on
    msg = s_recv_within (replica, broker, 1000);
    assert (msg && zmsg_size (msg) == 10);      //  dealer id, "\0", "", 7 frames
    dealer = zmsg_pop (msg);
    routing = zmsg_pop (msg);
    delimiter = zmsg_pop (msg);
    request = gavel_msg_decode (msg, &decode_error);
    assert (request && gavel_msg_id (request) == GAVEL_MSG_HISTORY && gavel_msg_seq (request) == 5);
    reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "seq=5 index=15 term=1 stamp=1000 event=bid auction=1 bidder=bo amount=9");
    //  A record that is not an event is dropped, not re-published as one
    //  its subscribers cannot decode (a stamp below 0) nor as event 6
    gavel_msg_add_record (reply, "seq=6 index=16 term=1 stamp=-5 event=bid auction=1 bidder=ann amount=4");
    gavel_msg_add_record (reply, "seq=+6 index=16 term=1 stamp=1000 event=bid auction=1 bidder=ann amount=4");
    gavel_msg_add_record (reply, "seq=6 index=16 term=1 stamp=1000 event=bid auction=1 bidder=ann amount=4");
    size_t dropped = gavel_broker_dropped (broker);
    gavel_msg_destroy (&request);
    zmsg_destroy (&msg);
    s_test_reply (replica, &dealer, &routing, &delimiter, &reply);
    uint64_t seen [8];
    size_t count = 0;
    deadline = zclock_mono () + 500;
    while (zclock_mono () < deadline && count < 4) {
        gavel_broker_poll (broker, 5);
        while ((msg = zmsg_recv_nowait (feed))) {
            gavel_msg_t *event = gavel_msg_decode (msg, &decode_error);
            assert (event);
            if (gavel_msg_id (event) == GAVEL_MSG_EVENT) {
                assert (count < 8);
                seen [count++] = gavel_msg_seq (event);
            }
            gavel_msg_destroy (&event);
            zmsg_destroy (&msg);
        }
    }
    assert (count == 4 && seen [0] == 3 && seen [1] == 4 && seen [2] == 5 && seen [3] == 6);
    assert (gavel_broker_dropped (broker) == dropped + 2);
    //  Every second the feed says how far it has gone
    uint64_t last_seen = 0;
    deadline = zclock_mono () + 2500;
    while (zclock_mono () < deadline && last_seen == 0) {
        gavel_broker_poll (broker, 5);
        while ((msg = zmsg_recv_nowait (feed))) {
            gavel_msg_t *last = gavel_msg_decode (msg, &decode_error);
            if (last && gavel_msg_id (last) == GAVEL_MSG_LAST)
                last_seen = gavel_msg_seq (last);
            gavel_msg_destroy (&last);
            zmsg_destroy (&msg);
        }
    }
    assert (last_seen == 6);
    if (verbose)
        printf ("%zu forwards before no-quorum; ", forwards);

    //  A request the replica could not route back is answered here
    msg = zmsg_new ();
    zmsg_addstr (msg, "junk");
    zmsg_send (&msg, bidder);
    msg = s_recv_within (bidder, broker, 1000);
    assert (msg);
    reply = gavel_msg_decode (msg, &decode_error);
    assert (reply && streq (gavel_msg_reason (reply), "malformed"));
    gavel_msg_destroy (&reply);
    zmsg_destroy (&msg);

    //  A REQ bidder gets its delimiter back
    zsock_t *req = zsock_new_req ("inproc://broker-test-b1");
    assert (req);
    msg = s_test_request (1);
    zmsg_send (&msg, req);
    msg = s_recv_within (replica, broker, 1000);
    assert (msg && zmsg_size (msg) == 9);
    zframe_t *frame = zmsg_first (msg);
    frame = zmsg_next (msg);
    frame = zmsg_next (msg);
    assert (zframe_size (frame) == 0);
    frame = zmsg_next (msg);
    assert (zframe_streq (frame, GAVEL_PROTOCOL_TAG));
    zframe_t *route [3];
    for (size_t index = 0; index < 3; index++)
        route [index] = zmsg_pop (msg);
    zmsg_destroy (&msg);
    reply = gavel_msg_new_reply (1, GAVEL_FAIL, "too-low", NULL);
    msg = gavel_msg_encode (reply);
    gavel_msg_destroy (&reply);
    for (size_t index = 3; index > 0; index--)
        zmsg_prepend (msg, &route [index - 1]);
    zmsg_send (&msg, replica);
    msg = s_recv_within (req, broker, 1000);
    assert (msg);
    reply = gavel_msg_decode (msg, &decode_error);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_FAIL);
    gavel_msg_destroy (&reply);
    zmsg_destroy (&msg);
    zsock_destroy (&req);

    //  Through two ROUTER/DEALER proxies: the routing of each bidder comes
    //  back in front of its own answer, though both use request id 5
    zactor_t *outer = s_test_proxy ("@inproc://broker-test-p1", ">inproc://broker-test-p2");
    zactor_t *inner = s_test_proxy ("@inproc://broker-test-p2", ">inproc://broker-test-b1");
    zsock_t *routed = zsock_new_dealer (">inproc://broker-test-p1");
    req = zsock_new_req (">inproc://broker-test-p1");
    assert (routed && req);
    msg = s_test_request_in (5, "routed");
    zmsg_pushmem (msg, "", 0);          //  a DEALER behind proxies adds one
    zmsg_send (&msg, routed);
    msg = s_test_request_in (5, "req");
    zmsg_send (&msg, req);
    for (size_t answered = 0; answered < 2; answered++) {
        //  The replica sees our routing only: dealer id, token, ""
        msg = s_recv_within (replica, broker, 1000);
        assert (msg && zmsg_size (msg) == 9);
        for (size_t index = 0; index < 3; index++)
            route [index] = zmsg_pop (msg);
        assert (zframe_size (route [2]) == 0);
        request = gavel_msg_decode (msg, &decode_error);
        assert (request && gavel_msg_request_id (request) == 5);
        bool from_req = streq (gavel_msg_session (request), "req");
        gavel_msg_destroy (&request);
        zmsg_destroy (&msg);
        reply = gavel_msg_new_reply (5, from_req? GAVEL_FAIL: GAVEL_SUCCESS, from_req? "closed": NULL, NULL);
        msg = gavel_msg_encode (reply);
        gavel_msg_destroy (&reply);
        for (size_t index = 3; index > 0; index--)
            zmsg_prepend (msg, &route [index - 1]);
        zmsg_send (&msg, replica);
    }
    msg = s_recv_within (routed, broker, 1000);
    assert (msg && zmsg_size (msg) == 7);   //  "", the 6 frames of the reply
    frame = zmsg_pop (msg);
    assert (zframe_size (frame) == 0);
    zframe_destroy (&frame);
    reply = gavel_msg_decode (msg, &decode_error);
    assert (reply && gavel_msg_request_id (reply) == 5 && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    zmsg_destroy (&msg);
    msg = s_recv_within (req, broker, 1000);
    assert (msg);
    reply = gavel_msg_decode (msg, &decode_error);
    assert (reply && gavel_msg_request_id (reply) == 5 && gavel_msg_outcome (reply) == GAVEL_FAIL);
    gavel_msg_destroy (&reply);
    zmsg_destroy (&msg);
    zsock_destroy (&req);
    zsock_destroy (&routed);
    zactor_destroy (&inner);
    zactor_destroy (&outer);

    zsock_destroy (&feed);
    zsock_destroy (&bidder);
    gavel_broker_destroy (&broker);
    gavel_broker_destroy (&broker);
    zsock_destroy (&replica_pub);
    zsock_destroy (&replica);
    gavel_config_destroy (&config);
    printf ("OK\n");
}
