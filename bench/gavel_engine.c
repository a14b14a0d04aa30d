/*  gavel_engine: many bidders in one thread, driven by one poll loop
    (gavel-bench's load and failover modes).

    Each bidder (a gavel_engine_client_t) has its own session, name, CURVE
    key pair and DEALERs (one per replica it has talked to), and keeps one
    request outstanding. Each has its own gavel_attempt, which says where
    its request goes and when: the engine sends what it says to send,
    gives it every reply, and ticks it when its deadline comes. One per
    bidder, not one for all, because the bench stands in for K bidder
    processes, each with its own view of the replicas: shared, one slow
    hop on a loaded machine would send every bidder round the backups.
*/
#include "gavel_engine.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#include <sodium.h>
#include <sys/epoll.h>
#include <unistd.h>

#define PAUSE               5       //  ms before asking again after a
                                    //  redirect we do not follow, or a
                                    //  no-quorum: a failover timer sees the
                                    //  end of an election within this
#define WAKE_MAX            1000    //  ms: the loop looks at the clock at least this often

struct _gavel_engine_t {
    gavel_config_t *config;     //  borrowed
    size_t replicas;
    gavel_engine_client_t *clients;
    size_t count;
    gavel_engine_answer_fn *on_answer;
    gavel_engine_late_fn *on_late;
    void *arg;                  //  the mode's state
    size_t depth;               //  lanes per connection
    bool verbose;
    int64_t started;            //  us, for traces
    //  Load mode waits with epoll on the sockets' ZMQ_FDs and looks only at
    //  those that signalled: polling all K x R sockets each turn costs two
    //  syscalls a socket, most of them idle (a fifth of all the CPU a bid
    //  took, in the profile)
    int epoll;
    //  Sockets sent on since their last check: a send can take their
    //  ZMQ_FD signal with it, so they are checked without waiting for one
    uint64_t *dirty;
    size_t dirty_count;
    //  One turn's poll set: client sockets, then the caller's extras
    zmq_pollitem_t *items;
    gavel_engine_client_t **item_client;
    size_t *item_replica;
    size_t capacity;
};

static void
s_trace (gavel_engine_t *self, gavel_engine_client_t *client, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_trace (gavel_engine_t *self, gavel_engine_client_t *client, const char *format, ...)
{
    if (!self->verbose)
        return;
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%9.3f %s: ", (double) (zclock_usecs () - self->started) / 1e6, client->name);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

//  The attempts' clock, in ms. Deadlines are set from the ms rounded up
//  and found due by the ms rounded down, so that no hop is cut short by
//  the rounding: a hop waits its whole time-out, and up to a ms more.
static int64_t
s_now_up (void)
{
    return (zclock_usecs () + 999) / 1000;
}

static int64_t
s_now_down (void)
{
    return zclock_usecs () / 1000;
}

static uint64_t
s_replica_id (gavel_engine_t *self, size_t replica)
{
    return gavel_config_replica (self->config, replica)->id;
}

static void
s_random_hex (char *text, size_t bytes)
{
    unsigned char random [32];
    assert (bytes <= sizeof random);
    randombytes_buf (random, bytes);
    for (size_t index = 0; index < bytes; index++)
        snprintf (text + 2 * index, 3, "%02x", random [index]);
}

gavel_engine_t *
gavel_engine_new (gavel_config_t *config, size_t count, int64_t timeout, const char *prefix,
                  gavel_engine_answer_fn *on_answer, gavel_engine_late_fn *on_late, void *arg,
                  bool verbose)
{
    gavel_engine_t *self = (gavel_engine_t *) zmalloc (sizeof (gavel_engine_t));
    assert (self);
    self->config = config;
    self->replicas = gavel_config_replicas (config);
    //  A load generator never gives up (no budget): it measures how long
    //  answers take, however long that is
    const gavel_settings_t *cluster = gavel_config_settings (config);
    gavel_attempt_settings_t settings;
    gavel_attempt_settings_default (&settings);
    settings.timeout = timeout;
    settings.budget = 0;
    settings.pause = PAUSE;
    settings.silence = cluster->election + cluster->election_spread;
    self->count = count;
    self->on_answer = on_answer;
    self->on_late = on_late;
    self->arg = arg;
    self->verbose = verbose;
    self->started = zclock_usecs ();
    self->depth = 1;
    self->clients = (gavel_engine_client_t *) zmalloc (count * sizeof (gavel_engine_client_t));
    assert (self->clients);
    self->epoll = epoll_create1 (EPOLL_CLOEXEC);
    assert (self->epoll >= 0);
    self->dirty = (uint64_t *) zmalloc (count * GAVEL_REPLICAS_MAX * sizeof (uint64_t));
    assert (self->dirty);
    //  Names are registered for good: a tag per run keeps runs apart
    char tag [5];
    s_random_hex (tag, 2);
    for (size_t index = 0; index < count; index++) {
        gavel_engine_client_t *client = &self->clients [index];
        client->engine = self;
        client->index = index;
        client->host = client;
        s_random_hex (client->session, GAVEL_ENGINE_SESSION_BYTES);
        client->cert = gavel_sock_curve_on ()? zcert_new (): NULL;
        //  Redirects name replicas of the cluster file only, so the targets
        //  are the replicas, index for index
        client->attempts = gavel_attempt_new (&settings);
        for (size_t replica = 0; replica < self->replicas; replica++) {
            const gavel_replica_conf_t *entry = gavel_config_replica (config, replica);
            int target = gavel_attempt_add_target (client->attempts, entry->id, entry->client);
            assert (target == (int) replica);
        }
        client->deadline = INT64_MAX;
        if (count == 1)
            snprintf (client->name, sizeof client->name, "%s-%s", prefix, tag);
        else
            snprintf (client->name, sizeof client->name, "%s-%s-%zu", prefix, tag, index);
    }
    return self;
}

void
gavel_engine_destroy (gavel_engine_t **self_p)
{
    gavel_engine_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        gavel_engine_client_t *client = &self->clients [index];
        for (size_t replica = 0; replica < GAVEL_REPLICAS_MAX; replica++)
            zsock_destroy (&client->socks [replica]);
        gavel_msg_destroy (&client->request);
        zcert_destroy (&client->cert);
        gavel_attempt_destroy (&client->attempts);
    }
    free (self->clients);
    close (self->epoll);
    free (self->dirty);
    free (self->items);
    free (self->item_client);
    free (self->item_replica);
    free (self);
    *self_p = NULL;
}

//  A socket's key in the epoll set and the dirty list
static uint64_t
s_sock_key (gavel_engine_client_t *client, size_t replica)
{
    return (uint64_t) client->index * GAVEL_REPLICAS_MAX + replica;
}

static void
s_client_transmit (gavel_engine_client_t *self)
{
    zmsg_t *msg = gavel_msg_encode (self->request);
    self->unsent = zmsg_send (&msg, self->host->socks [self->target]) != 0;
    zmsg_destroy (&msg);        //  left to us when the send failed
    gavel_engine_t *engine = self->engine;
    engine->dirty [engine->dirty_count++ % (engine->count * GAVEL_REPLICAS_MAX)]
        = s_sock_key (self->host, self->target);
}

//  Send the outstanding request to replica. A socket that cannot take it
//  yet (not connected: the replica may be down, or the connection is
//  still being made) is polled for POLLOUT until the hop ends. Returns
//  false when there is no socket to be had.
static bool
s_client_hop (gavel_engine_client_t *self, size_t replica)
{
    gavel_engine_t *engine = self->engine;
    gavel_engine_client_t *host = self->host;
    self->target = replica;
    self->unsent = false;
    if (!host->socks [replica]) {
        char error [256];
        const char *endpoint = gavel_config_replica (engine->config, replica)->client;
        host->socks [replica] = gavel_sock_new_keyed (ZMQ_DEALER, endpoint, false, NULL,
                                                      host->cert, error, sizeof error);
        if (!host->socks [replica]) {
            s_trace (engine, self, "%s", error);
            return false;
        }
        zsock_set_rcvtimeo (host->socks [replica], 0);
        struct epoll_event event = { .events = EPOLLIN, .data.u64 = s_sock_key (host, replica) };
        int rc = epoll_ctl (engine->epoll, EPOLL_CTL_ADD, zsock_fd (host->socks [replica]), &event);
        assert (rc == 0);
    }
    s_client_transmit (self);
    return true;
}

static void
s_client_answered (gavel_engine_client_t *self, size_t replica, gavel_msg_t *reply)
{
    gavel_engine_t *engine = self->engine;
    int64_t latency = zclock_usecs () - self->sent_at;
    gavel_msg_t *request = self->request;
    self->request = NULL;
    self->unsent = false;
    engine->on_answer (self, request, reply, replica, latency);
    gavel_msg_destroy (&request);
}

//  Carry out what the bidder's attempts said, in order. An answer handler
//  that sends the bidder's next request comes back here for its first send.
static void
s_client_act (gavel_engine_client_t *self)
{
    gavel_engine_t *engine = self->engine;
    gavel_attempt_action_t *action;
    while ((action = gavel_attempt_next_action (self->attempts))) {
        if (action->kind == GAVEL_ATTEMPT_SEND) {
            if (*action->note)
                s_trace (engine, self, "#%" PRIu64 ": %s", action->key, action->note);
            if (!s_client_hop (self, action->target))
                gavel_attempt_unreachable (self->attempts, action->key, action->target, s_now_up ());
        }
        else
        if (action->kind == GAVEL_ATTEMPT_TIMED_OUT) {
            s_trace (engine, self, "#%" PRIu64 ": %s", action->key, action->note);
            self->unsent = false;
        }
        else {
            //  Without a budget nothing is given up
            assert (action->kind == GAVEL_ATTEMPT_DONE);
            s_client_answered (self, action->target, action->reply);
        }
        gavel_attempt_action_destroy (&action);
    }
    int64_t deadline = gavel_attempt_next_deadline (self->attempts);
    self->deadline = deadline == INT64_MAX? INT64_MAX: deadline * 1000;
}

//  Send a request (takes ownership): stamped with the next request id, the
//  session and the name, to the replica that answered last.
void
gavel_engine_send (gavel_engine_client_t *self, gavel_msg_t **request_p)
{
    assert (!self->request);
    self->request = *request_p;
    *request_p = NULL;
    //  Lane l: l + 1, then every depth-th id
    self->last_id = self->last_id? self->last_id + self->engine->depth: self->lane + 1;
    gavel_msg_set_request_id (self->request, self->last_id);
    gavel_msg_set_session (self->request, self->session);
    gavel_msg_set_name (self->request, self->name);
    self->sent_at = zclock_usecs ();
    gavel_attempt_start (self->attempts, self->last_id, s_now_up ());
    s_client_act (self);
}

//  One reply from replica: to the outstanding request, for the attempts
//  to weigh (an answer, a redirect, a retry); else late.
static void
s_client_dispatch (gavel_engine_client_t *self, size_t replica, gavel_msg_t **reply_p)
{
    gavel_engine_t *engine = self->engine;
    gavel_msg_t *reply = *reply_p;
    if (gavel_msg_id (reply) == GAVEL_MSG_REPLY && self->request
    &&  gavel_msg_request_id (reply) == self->last_id) {
        bool taken = gavel_attempt_reply (self->attempts, self->last_id, replica, reply_p, s_now_up ());
        assert (taken);
        s_client_act (self);
    }
    else {
        gavel_attempt_alive (self->attempts, replica);
        if (engine->on_late)
            engine->on_late (self, reply, replica);
    }
}

//  What a host's socket received, each reply to the lane its request id
//  names
static void
s_client_receive (gavel_engine_client_t *self, size_t replica)
{
    size_t depth = self->engine->depth;
    zmsg_t *msg;
    while ((msg = zmsg_recv (self->socks [replica]))) {
        gavel_msg_error_t error;
        gavel_msg_t *reply = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        uint64_t id = reply? gavel_msg_request_id (reply): 0;
        if (reply)
            s_client_dispatch (id? self + (id - 1) % depth: self, replica, &reply);
        else
            s_trace (self->engine, self, "dropped an undecodable reply: %s", error.message);
        gavel_msg_destroy (&reply);
    }
}

//  The first of the bidders' deadlines, in us; INT64_MAX when none.
static int64_t
s_engine_deadline (gavel_engine_t *self)
{
    int64_t deadline = INT64_MAX;
    for (size_t index = 0; index < self->count; index++)
        if (self->clients [index].deadline < deadline)
            deadline = self->clients [index].deadline;
    return deadline;
}

//  Hops that timed out, pauses that ended
static void
s_engine_expire (gavel_engine_t *self)
{
    int64_t now = zclock_usecs ();
    for (size_t index = 0; index < self->count; index++) {
        gavel_engine_client_t *client = &self->clients [index];
        if (client->deadline <= now) {
            gavel_attempt_tick (client->attempts, s_now_down ());
            s_client_act (client);
        }
    }
}

static void
s_engine_reserve (gavel_engine_t *self, size_t count)
{
    if (count <= self->capacity)
        return;
    self->capacity = count * 2;
    self->items = (zmq_pollitem_t *) realloc (self->items, self->capacity * sizeof (zmq_pollitem_t));
    self->item_client = (gavel_engine_client_t **) realloc (self->item_client,
                                                           self->capacity * sizeof (gavel_engine_client_t *));
    self->item_replica = (size_t *) realloc (self->item_replica, self->capacity * sizeof (size_t));
    assert (self->items && self->item_client && self->item_replica);
}

//  Whether a lane of host waits to send to replica
static bool
s_lanes_unsent (gavel_engine_client_t *host, size_t replica)
{
    for (size_t lane = 0; lane < host->engine->depth; lane++) {
        gavel_engine_client_t *client = host + lane;
        if (client->request && client->unsent && client->target == replica)
            return true;
    }
    return false;
}

static void
s_lanes_transmit (gavel_engine_client_t *host, size_t replica)
{
    for (size_t lane = 0; lane < host->engine->depth; lane++) {
        gavel_engine_client_t *client = host + lane;
        if (client->request && client->unsent && client->target == replica)
            s_client_transmit (client);
    }
}

//  The client sockets to poll this turn; returns how many.
static size_t
s_engine_items (gavel_engine_t *self)
{
    size_t count = 0;
    for (size_t index = 0; index < self->count; index++) {
        gavel_engine_client_t *client = &self->clients [index];
        for (size_t replica = 0; replica < self->replicas; replica++) {
            if (!client->socks [replica])
                continue;           //  none yet, or a lane's (its host's)
            short events = ZMQ_POLLIN;
            if (s_lanes_unsent (client, replica))
                events |= ZMQ_POLLOUT;
            self->items [count] = (zmq_pollitem_t) { zsock_resolve (client->socks [replica]), 0, events, 0 };
            self->item_client [count] = client;
            self->item_replica [count] = replica;
            count++;
        }
    }
    return count;
}

//  Everything one socket has for us now: its answers, and the send it was
//  waiting for. ZMQ_EVENTS is what re-arms its ZMQ_FD.
static void
s_engine_service (gavel_engine_t *self, uint64_t key)
{
    gavel_engine_client_t *client = &self->clients [key / GAVEL_REPLICAS_MAX];
    size_t replica = key % GAVEL_REPLICAS_MAX;
    for (int round = 0; round < 16 && client->socks [replica]; round++) {
        int events = zsock_events (client->socks [replica]);
        bool send = (events & ZMQ_POLLOUT) && s_lanes_unsent (client, replica);
        if (!send && !(events & ZMQ_POLLIN))
            break;
        if (send)
            s_lanes_transmit (client, replica);
        if (events & ZMQ_POLLIN)
            s_client_receive (client, replica);
    }
}

//  The load mode's turn: epoll on the sockets that may have something,
//  then those sent on since their last look, then deadlines
static void
s_engine_turn_epoll (gavel_engine_t *self, int64_t wake_at)
{
    int64_t now = zclock_usecs ();
    int64_t deadline = s_engine_deadline (self);
    if (deadline < wake_at)
        wake_at = deadline;
    int wait = self->dirty_count? 0: wake_at <= now? 0: (int) ((wake_at - now + 999) / 1000);
    if (wait > WAKE_MAX)
        wait = WAKE_MAX;
    struct epoll_event events [256];
    int ready = epoll_wait (self->epoll, events, 256, wait);
    for (int index = 0; index < ready; index++)
        s_engine_service (self, events [index].data.u64);
    //  Servicing sends more; each pass looks at what the last one sent on
    size_t capacity = self->count * GAVEL_REPLICAS_MAX;
    for (int pass = 0; pass < 4 && self->dirty_count; pass++) {
        size_t count = self->dirty_count < capacity? self->dirty_count: capacity;
        uint64_t *keys = (uint64_t *) malloc (count * sizeof (uint64_t));
        assert (keys);
        memcpy (keys, self->dirty, count * sizeof (uint64_t));
        self->dirty_count = 0;
        for (size_t index = 0; index < count; index++)
            s_engine_service (self, keys [index]);
        free (keys);
    }
    s_engine_expire (self);
}

//  One turn: wait until a socket (a bidder's or one of extras) is ready, a
//  bidder's deadline passes, or wake_at (us); handle the bidders. The
//  caller handles its extras from their revents.
void
gavel_engine_turn (gavel_engine_t *self, zmq_pollitem_t *extras, size_t extra_count, int64_t wake_at)
{
    if (extra_count == 0) {
        s_engine_turn_epoll (self, wake_at);
        return;
    }
    self->dirty_count = 0;      //  zmq_poll looks at every socket anyway
    s_engine_reserve (self, self->count * self->replicas + extra_count);
    size_t client_items = s_engine_items (self);
    int64_t deadline = s_engine_deadline (self);
    if (deadline < wake_at)
        wake_at = deadline;
    if (extra_count)
        memcpy (self->items + client_items, extras, extra_count * sizeof (zmq_pollitem_t));
    int64_t now = zclock_usecs ();
    int64_t wait = wake_at <= now? 0: (wake_at - now + 999) / 1000;
    if (wait > WAKE_MAX)
        wait = WAKE_MAX;
    int rc = zmq_poll (self->items, (int) (client_items + extra_count), (long) wait);
    for (size_t index = 0; index < extra_count; index++)
        extras [index].revents = rc > 0? self->items [client_items + index].revents: 0;
    for (size_t index = 0; rc > 0 && index < client_items; index++) {
        short revents = self->items [index].revents;
        gavel_engine_client_t *client = self->item_client [index];
        size_t replica = self->item_replica [index];
        if (revents & ZMQ_POLLOUT)
            s_lanes_transmit (client, replica);
        if (revents & ZMQ_POLLIN)
            s_client_receive (client, replica);
    }
    s_engine_expire (self);
}

void
gavel_engine_set_depth (gavel_engine_t *self, size_t depth)
{
    assert (depth >= 1 && self->count % depth == 0);
    self->depth = depth;
    for (size_t index = 0; index < self->count; index++) {
        gavel_engine_client_t *client = &self->clients [index];
        assert (!client->request && client->last_id == 0);
        client->lane = index % depth;
        client->host = client - client->lane;
        if (client->lane)
            zcert_destroy (&client->cert);  //  the host's key speaks for it
    }
}

gavel_engine_client_t *
gavel_engine_client (gavel_engine_t *self, size_t index)
{
    assert (index < self->count);
    return &self->clients [index];
}

void
gavel_engine_prefer (gavel_engine_t *self, size_t replica)
{
    assert (replica < self->replicas);
    for (size_t index = 0; index < self->count; index++)
        gavel_attempt_prefer (self->clients [index].attempts, (int) replica);
}

size_t
gavel_engine_size (gavel_engine_t *self)
{
    return self->count;
}

size_t
gavel_engine_replicas (gavel_engine_t *self)
{
    return self->replicas;
}

void *
gavel_engine_arg (gavel_engine_t *self)
{
    return self->arg;
}

uint64_t
gavel_engine_timeouts (gavel_engine_t *self)
{
    uint64_t sum = 0;
    for (size_t index = 0; index < self->count; index++)
        sum += gavel_attempt_timeouts (self->clients [index].attempts);
    return sum;
}

uint64_t
gavel_engine_redirects (gavel_engine_t *self)
{
    uint64_t sum = 0;
    for (size_t index = 0; index < self->count; index++)
        sum += gavel_attempt_redirects (self->clients [index].attempts);
    return sum;
}

uint64_t
gavel_engine_no_quorum (gavel_engine_t *self)
{
    uint64_t sum = 0;
    for (size_t index = 0; index < self->count; index++)
        sum += gavel_attempt_no_quorums (self->clients [index].attempts);
    return sum;
}

uint64_t
gavel_engine_replica_id (gavel_engine_t *self, size_t replica)
{
    return s_replica_id (self, replica);
}

int
gavel_engine_replica_index (gavel_engine_t *self, uint64_t id)
{
    for (size_t replica = 0; replica < self->replicas; replica++)
        if (s_replica_id (self, replica) == id)
            return (int) replica;
    return -1;
}

int64_t
gavel_engine_reply_number (gavel_msg_t *reply, const char *key)
{
    return gavel_msg_records (reply) > 0? gavel_engine_record_number (gavel_msg_record (reply, 0), key): -1;
}

void
gavel_engine_reply_text (gavel_msg_t *reply, char *text, size_t size)
{
    snprintf (text, size, "%s%s%s%s%s", gavel_msg_outcome_word (reply),
              *gavel_msg_reason (reply)? " ": "", gavel_msg_reason (reply),
              gavel_msg_records (reply)? ": ": "",
              gavel_msg_records (reply)? gavel_msg_record (reply, 0): gavel_msg_message (reply));
}

void
gavel_engine_open (gavel_engine_client_t *client, const char *item, int64_t duration)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_item (request, item);
    gavel_msg_set_duration (request, duration < GAVEL_DURATION_MAX? duration: GAVEL_DURATION_MAX);
    gavel_msg_set_reserve (request, 0);
    gavel_engine_send (client, &request);
}

void
gavel_engine_bid (gavel_engine_client_t *client, int64_t amount)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_auction (request, client->auction);
    gavel_msg_set_amount (request, amount);
    gavel_engine_send (client, &request);
}

gavel_config_t *
gavel_engine_config_load (const char *path, bool insecure)
{
    char error [512];
    gavel_config_t *config = gavel_config_load (path, error, sizeof error);
    if (!config)
        fprintf (stderr, "gavel-bench: %s\n", error);
    else
    if (gavel_sock_curve_setup ("gavel-bench", config, insecure, NULL, false))
        gavel_config_destroy (&config);
    return config;
}

int64_t
gavel_engine_record_number (const char *record, const char *key)
{
    char text [24];
    uint64_t value;
    if (gavel_record_get (record, key, text, sizeof text)
    ||  gavel_text_parse_uint (text, 0, INT64_MAX, &value, NULL))
        return -1;
    return (int64_t) value;
}
//  -------------------------------------------------------------------------
//  Self test: one bidder against three stand-in replicas (ROUTERs on
//  loopback) that answer as each step scripts: a redirect is followed, a
//  no-quorum retried at the next replica, a silent replica timed out and
//  passed over, each time with the same request id; a late answer is late.
//  Then two bidders: each has its own view of the replicas, and their
//  requests, with the same ids, are each their own

typedef enum { STAND_SILENT, STAND_SUCCESS, STAND_REDIRECT, STAND_NO_QUORUM } stand_t;

typedef struct {
    zsock_t *servers [3];
    char endpoints [3][64];
    stand_t stands [3];         //  how each answers this step
    uint64_t asked [3];         //  the last request id each got
    gavel_msg_t *held;          //  the answer a silent one gives late
    zframe_t *held_route;
    //  What the engine handed us
    size_t answers;
    size_t answered_by;
    uint64_t answered_id;
    int64_t latency;
    size_t late;
} stand_in_t;

static void
s_test_answer (gavel_engine_client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
               size_t replica, int64_t latency)
{
    stand_in_t *test = (stand_in_t *) gavel_engine_arg (client->engine);
    assert (gavel_msg_request_id (reply) == gavel_msg_request_id (request));
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    test->answers++;
    test->answered_by = replica;
    test->answered_id = gavel_msg_request_id (request);
    test->latency = latency;
}

static void
s_test_late (gavel_engine_client_t *client, gavel_msg_t *reply, size_t replica)
{
    stand_in_t *test = (stand_in_t *) gavel_engine_arg (client->engine);
    assert (replica == 2 && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    test->late++;
}

static void
s_test_send (zsock_t *server, zframe_t *route, gavel_msg_t *reply)
{
    zmsg_t *msg = gavel_msg_encode (reply);
    zframe_t *copy = zframe_dup (route);
    zmsg_prepend (msg, &copy);
    zmsg_send (&msg, server);
}

//  Each request that reached a stand-in, answered as scripted.
static void
s_test_serve (stand_in_t *test)
{
    for (size_t server = 0; server < 3; server++) {
        zmsg_t *msg;
        while ((msg = zmsg_recv (test->servers [server]))) {
            zframe_t *route = zmsg_pop (msg);
            gavel_msg_error_t error;
            gavel_msg_t *request = gavel_msg_decode (msg, &error);
            zmsg_destroy (&msg);
            assert (request && gavel_msg_id (request) == GAVEL_MSG_BID);
            uint64_t id = gavel_msg_request_id (request);
            test->asked [server] = id;
            stand_t stand = test->stands [server];
            gavel_msg_t *reply = gavel_msg_new_reply (id, stand == STAND_REDIRECT? GAVEL_REDIRECT
                                                    : stand == STAND_NO_QUORUM? GAVEL_EXCEPTION
                                                    : GAVEL_SUCCESS,
                                                      stand == STAND_REDIRECT? "not-primary"
                                                    : stand == STAND_NO_QUORUM? "no-quorum": NULL,
                                                      NULL);
            if (stand == STAND_REDIRECT)
                gavel_msg_add_record (reply, "primary=2 client=%s", test->endpoints [1]);
            else
            if (stand != STAND_NO_QUORUM)
                gavel_msg_add_record (reply, "auction=1 amount=%" PRId64, gavel_msg_amount (request));
            if (stand == STAND_SILENT) {
                gavel_msg_destroy (&test->held);
                zframe_destroy (&test->held_route);
                test->held = reply;
                test->held_route = route;
                route = NULL;
            }
            else {
                s_test_send (test->servers [server], route, reply);
                gavel_msg_destroy (&reply);
            }
            gavel_msg_destroy (&request);
            zframe_destroy (&route);
        }
    }
}

//  Turns until the answers reach count (or late answers reach late), at
//  most 10 s; with_extras, the stand-ins are polled in the engine's turn
//  (the failover mode's way), else beside it (the load mode's epoll).
static void
s_test_run (gavel_engine_t *engine, stand_in_t *test, size_t answers, size_t late, bool with_extras)
{
    int64_t deadline = zclock_usecs () + 10000000;
    while ((test->answers < answers || test->late < late) && zclock_usecs () < deadline) {
        zmq_pollitem_t extras [3];
        for (size_t server = 0; server < 3; server++)
            extras [server] = (zmq_pollitem_t) { zsock_resolve (test->servers [server]), 0, ZMQ_POLLIN, 0 };
        gavel_engine_turn (engine, with_extras? extras: NULL, with_extras? 3: 0,
                           zclock_usecs () + 10000);
        s_test_serve (test);
    }
    assert (test->answers == answers && test->late == late);
}

void
gavel_engine_test (bool verbose)
{
    printf (" * gavel_engine: ");
    if (verbose)
        printf ("\n");
    int rc = sodium_init ();
    assert (rc >= 0);
    stand_in_t test = { .answers = 0 };
    for (size_t server = 0; server < 3; server++) {
        test.servers [server] = zsock_new (ZMQ_ROUTER);
        assert (test.servers [server]);
        int port = zsock_bind (test.servers [server], "tcp://127.0.0.1:*");
        assert (port > 0);
        zsock_set_rcvtimeo (test.servers [server], 0);
        snprintf (test.endpoints [server], sizeof test.endpoints [server], "tcp://127.0.0.1:%d", port);
    }
    char text [1024], error [256];
    snprintf (text, sizeof text, "replica\n"
              "    1\n        client = %s\n        pub = tcp://127.0.0.1:9\n"
              "        ack = tcp://127.0.0.1:9\n        mesh = tcp://127.0.0.1:9\n"
              "    2\n        client = %s\n        pub = tcp://127.0.0.1:9\n"
              "        ack = tcp://127.0.0.1:9\n        mesh = tcp://127.0.0.1:9\n"
              "    3\n        client = %s\n        pub = tcp://127.0.0.1:9\n"
              "        ack = tcp://127.0.0.1:9\n        mesh = tcp://127.0.0.1:9\n",
              test.endpoints [0], test.endpoints [1], test.endpoints [2]);
    gavel_config_t *config = gavel_config_parse (text, "test", error, sizeof error);
    assert (config);
    //  Attempts time out after 1 s: no stand-in that answers is that slow,
    //  even on a loaded machine
    gavel_engine_t *engine = gavel_engine_new (config, 1, 1000, "engine-test", s_test_answer,
                                               s_test_late, &test, verbose);
    assert (gavel_engine_size (engine) == 1 && gavel_engine_replicas (engine) == 3);
    assert (gavel_engine_replica_id (engine, 2) == 3 && gavel_engine_replica_index (engine, 2) == 1);
    assert (gavel_engine_replica_index (engine, 7) == -1);
    gavel_engine_client_t *client = gavel_engine_client (engine, 0);
    assert (strncmp (client->name, "engine-test-", 12) == 0);
    client->auction = 1;

    //  Replica 1 redirects to replica 2, which answers
    test.stands [0] = STAND_REDIRECT;
    test.stands [1] = STAND_SUCCESS;
    test.stands [2] = STAND_SUCCESS;
    gavel_engine_bid (client, 10);
    s_test_run (engine, &test, 1, 0, true);
    assert (test.answered_by == 1 && test.answered_id == 1);
    assert (test.asked [0] == 1 && test.asked [1] == 1 && test.asked [2] == 0);
    assert (gavel_engine_redirects (engine) == 1 && gavel_engine_timeouts (engine) == 0);

    //  The next starts where the last was answered: no-quorum there, so
    //  the same id goes to the next replica
    test.stands [1] = STAND_NO_QUORUM;
    gavel_engine_bid (client, 11);
    s_test_run (engine, &test, 2, 0, true);
    assert (test.answered_by == 2 && test.answered_id == 2);
    assert (test.asked [1] == 2 && test.asked [2] == 2 && test.asked [0] == 1);
    assert (gavel_engine_no_quorum (engine) == 1);

    //  Replica 3 stays silent: after the time-out the same id goes on
    //  round to replica 1; the late answer then is only late
    test.stands [0] = STAND_SUCCESS;
    test.stands [2] = STAND_SILENT;
    gavel_engine_bid (client, 12);
    s_test_run (engine, &test, 3, 0, true);
    assert (test.answered_by == 0 && test.answered_id == 3 && test.asked [2] == 3);
    assert (gavel_engine_timeouts (engine) == 1);
    assert (test.latency >= 1000 * 1000);
    assert (test.held);
    s_test_send (test.servers [2], test.held_route, test.held);
    s_test_run (engine, &test, 3, 1, true);

    //  The load mode's loop (epoll on the sockets) does the same
    gavel_engine_bid (client, 13);
    s_test_run (engine, &test, 4, 1, false);
    assert (test.answered_by == 0 && test.answered_id == 4);
    gavel_engine_destroy (&engine);
    assert (engine == NULL);

    //  Two bidders, each with its own view, as two processes would have:
    //  starting at replica 2, which stays silent, the first times out
    //  there and is answered by replica 3; the second does too
    engine = gavel_engine_new (config, 2, 300, "engine-test", s_test_answer, s_test_late,
                               &test, verbose);
    gavel_engine_client (engine, 0)->auction = 1;
    gavel_engine_client (engine, 1)->auction = 1;
    gavel_engine_prefer (engine, 1);
    test.stands [0] = STAND_SUCCESS;
    test.stands [1] = STAND_SILENT;
    test.stands [2] = STAND_SUCCESS;
    gavel_engine_bid (gavel_engine_client (engine, 0), 20);
    s_test_run (engine, &test, 5, 1, true);
    assert (test.answered_by == 2 && test.answered_id == 1);
    assert (gavel_engine_timeouts (engine) == 1);
    gavel_engine_bid (gavel_engine_client (engine, 1), 21);
    s_test_run (engine, &test, 6, 1, true);
    assert (test.answered_by == 2 && test.answered_id == 1);
    assert (gavel_engine_timeouts (engine) == 2);
    assert (test.latency >= 300 * 1000);
    //  Both outstanding at once, with the same request id, each answered
    gavel_engine_bid (gavel_engine_client (engine, 0), 22);
    gavel_engine_bid (gavel_engine_client (engine, 1), 23);
    s_test_run (engine, &test, 8, 1, false);
    assert (test.answered_by == 2 && test.answered_id == 2);
    assert (gavel_engine_timeouts (engine) == 2);
    gavel_engine_destroy (&engine);

    //  Pipelining: three lanes on one connection, each request in flight
    //  at once and its answer handed to the lane that asked (lane l's ids
    //  are l + 1, l + 4, ...: a reply to the wrong lane would be late)
    engine = gavel_engine_new (config, 3, 1000, "engine-test", s_test_answer, s_test_late,
                               &test, verbose);
    gavel_engine_set_depth (engine, 3);
    test.stands [0] = STAND_SUCCESS;
    for (uint64_t round = 0; round < 2; round++) {
        for (size_t lane = 0; lane < 3; lane++) {
            gavel_engine_client (engine, lane)->auction = 1;
            gavel_engine_bid (gavel_engine_client (engine, lane), 30 + (int64_t) lane);
        }
        s_test_run (engine, &test, 11 + 3 * round, 1, false);
        assert (test.asked [0] == 3 * round + 3);
        for (size_t lane = 0; lane < 3; lane++)
            assert (gavel_engine_client (engine, lane)->last_id == 3 * round + lane + 1);
    }
    //  One socket, the first lane's; the others have none of their own
    assert (gavel_engine_client (engine, 0)->socks [0]);
    for (size_t lane = 1; lane < 3; lane++)
        for (size_t replica = 0; replica < 3; replica++)
            assert (!gavel_engine_client (engine, lane)->socks [replica]);
    gavel_engine_destroy (&engine);
    gavel_msg_destroy (&test.held);
    zframe_destroy (&test.held_route);
    for (size_t server = 0; server < 3; server++)
        zsock_destroy (&test.servers [server]);
    gavel_config_destroy (&config);
    printf ("OK\n");
}
