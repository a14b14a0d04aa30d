/*  gavel_follower: Gavel's event feed followed from a cluster, each event
    once and in order, holes fetched from the history.
*/
#include "gavel_follower.h"
#include "gavel_eventline.h"
#include "gavel_fetcher.h"
#include "gavel_subscription.h"
#include "gavel_sock.h"
#include "gavel_text.h"

#include <inttypes.h>

struct _gavel_follower_t {
    gavel_follower_handler_t handler;
    gavel_subscription_t **feeds;
    size_t feed_count;
    zpoller_t *poller;
    gavel_fetcher_t *history;       //  where HISTORY can go (the cluster's)
    gavel_feed_t *feed;             //  the events' order, holes, repeats
    bool stopping;                  //  fetch nothing more
};

//  The endpoints of the cluster file's feeds, appended to endpoints: the
//  brokers' pub (each re-publishes the whole feed without gaps), or without
//  brokers every replica's (the primary of the moment publishes there)
static int
s_cluster_endpoints (gavel_config_t *config, const char *path, zlistx_t *endpoints,
                     char *error, size_t size)
{
    //  With CURVE a replica's pub admits only the cluster's own keys
    if (gavel_sock_curve_on () && gavel_config_brokers (config) == 0) {
        snprintf (error, size, "%s lists no broker, and with CURVE the replicas' pub endpoints "
                  "admit only the cluster's own keys: follow a broker's feed (list one in the "
                  "file), or a cluster run with --insecure (then give --insecure too)", path);
        return -1;
    }
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        zlistx_add_end (endpoints, gavel_config_broker (config, index)->pub);
    for (size_t index = 0; gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++) {
        const gavel_replica_conf_t *replica = gavel_config_replica (config, index);
        if (*replica->pub)
            zlistx_add_end (endpoints, replica->pub);
    }
    if (zlistx_size (endpoints) == 0) {
        snprintf (error, size, "%s lists no pub endpoint to follow", path);
        return -1;
    }
    return 0;
}

//  One SUB per endpoint, each endpoint once (a repeat would bring every
//  message twice)
static int
s_open_feeds (gavel_follower_t *self, zlistx_t *endpoints, const char *const *topics,
              size_t topic_count, int64_t hwm, char *error, size_t size)
{
    self->feeds = (gavel_subscription_t **) zmalloc ((zlistx_size (endpoints) + 1)
                                                     * sizeof (gavel_subscription_t *));
    assert (self->feeds);
    self->poller = zpoller_new (NULL);
    assert (self->poller);
    for (const char *endpoint = (const char *) zlistx_first (endpoints); endpoint;
         endpoint = (const char *) zlistx_next (endpoints)) {
        bool repeat = false;
        for (size_t index = 0; index < self->feed_count; index++)
            repeat |= streq (gavel_subscription_endpoint (self->feeds [index]), endpoint);
        if (repeat)
            continue;
        gavel_subscription_t *feed = gavel_subscription_new (
            endpoint, self->feed_count, topics, topic_count, hwm, error, size);
        if (!feed)
            return -1;
        self->feeds [self->feed_count++] = feed;
        zpoller_add (self->poller, gavel_subscription_sub (feed));
        zpoller_add (self->poller, gavel_subscription_monitor (feed));
    }
    return 0;
}

static const char *
s_check_history (gavel_msg_t *event, char *why, size_t size)
{
    gavel_record_event_t fields;
    return gavel_eventline_check (event, &fields, why, size);
}

gavel_follower_t *
gavel_follower_new (const char *program, gavel_config_t *config, const char *path,
                    const char *const *endpoints, size_t count,
                    const char *const *topics, size_t topic_count, int64_t hwm,
                    const gavel_follower_handler_t *handler, char *error, size_t size)
{
    assert (program && handler && handler->action && handler->malformed && handler->note);
    gavel_follower_t *self = (gavel_follower_t *) zmalloc (sizeof (gavel_follower_t));
    assert (self);
    self->handler = *handler;
    zlistx_t *wanted = zlistx_new ();
    zlistx_set_duplicator (wanted, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (wanted, (zlistx_destructor_fn *) zstr_free);
    for (size_t index = 0; index < count; index++)
        zlistx_add_end (wanted, (void *) endpoints [index]);
    int rc = config? s_cluster_endpoints (config, path? path: "the cluster file", wanted,
                                          error, size): 0;
    if (rc == 0 && zlistx_size (wanted) == 0) {
        snprintf (error, size, "no endpoint to follow");
        rc = -1;
    }
    if (rc == 0)
        rc = s_open_feeds (self, wanted, topics, topic_count, hwm, error, size);
    zlistx_destroy (&wanted);
    if (rc) {
        gavel_follower_destroy (&self);
        return NULL;
    }
    //  Without a cluster file, nobody to ask for history
    self->history = gavel_fetcher_new (program, config);
    gavel_feed_settings_t settings = {
        .feed_endpoints = self->feed_count,
        .history_endpoints = gavel_fetcher_size (self->history),
        .fetch_timeout = GAVEL_FETCHER_ASK_WAIT,    //  gavel_fetcher_ask waits itself
        .fetch_tries = (unsigned) gavel_fetcher_size (self->history),
        .backlog_max = GAVEL_HISTORY_MAX
    };
    self->feed = gavel_feed_new (&settings);
    gavel_feed_set_check (self->feed, s_check_history);
    return self;
}

void
gavel_follower_destroy (gavel_follower_t **self_p)
{
    assert (self_p);
    gavel_follower_t *self = *self_p;
    if (self) {
        zpoller_destroy (&self->poller);
        gavel_feed_destroy (&self->feed);
        gavel_fetcher_destroy (&self->history);
        for (size_t index = 0; index < self->feed_count; index++)
            gavel_subscription_destroy (&self->feeds [index]);
        free (self->feeds);
        free (self);
        *self_p = NULL;
    }
}

size_t
gavel_follower_history_endpoints (gavel_follower_t *self)
{
    assert (self);
    return gavel_fetcher_size (self->history);
}

//  The follower's HISTORY request, answered or not before we go on: the
//  feed waits meanwhile, its sockets holding what comes
static void
s_fetch (gavel_follower_t *self, gavel_feed_action_t *fetch)
{
    if (self->stopping || zsys_interrupted) {
        gavel_feed_history_failed (self->feed, zclock_mono ());
        return;
    }
    gavel_msg_t *reply = gavel_fetcher_ask (self->history, fetch->endpoint, fetch->request_id,
                                            fetch->from, fetch->count);
    if (reply)
        gavel_feed_history (self->feed, reply, fetch->endpoint, 1, zclock_mono ());
    else
        gavel_feed_history_failed (self->feed, zclock_mono ());
    gavel_msg_destroy (&reply);
}

static void
s_feed_actions (gavel_follower_t *self)
{
    gavel_feed_action_t *action;
    while ((action = gavel_feed_next_action (self->feed))) {
        if (action->kind == GAVEL_FEED_FETCH)
            s_fetch (self, action);
        else
            self->handler.action (self->handler.arg, action);
        gavel_feed_action_destroy (&action);
    }
}

void
gavel_follower_catch_up (gavel_follower_t *self, uint64_t count)
{
    assert (self);
    gavel_feed_catch_up (self->feed, count, zclock_mono ());
    s_feed_actions (self);
}

//  A message off feed number source
static void
s_on_message (gavel_follower_t *self, zmsg_t *msg, size_t source)
{
    if (self->handler.raw) {
        self->handler.raw (self->handler.arg, msg);
        return;
    }
    gavel_msg_error_t error;
    gavel_msg_t *event = gavel_msg_decode (msg, &error);
    if (event && gavel_msg_id (event) == GAVEL_MSG_LAST)
        //  A broker's word on how far the feed has gone: events up to it
        //  that never came are a hole, even if no event follows them
        gavel_feed_last (self->feed, gavel_msg_seq (event), source, zclock_mono ());
    else {
        char why [GAVEL_MESSAGE_MAX + 64];
        gavel_record_event_t fields;
        const char *problem = event? gavel_eventline_check (event, &fields, why, sizeof why)
                                   : error.message;
        if (problem)
            self->handler.malformed (self->handler.arg, msg, problem);
        else
            gavel_feed_event (self->feed, &event, source, zclock_mono ());
    }
    gavel_msg_destroy (&event);
    s_feed_actions (self);
}

int
gavel_follower_wait (gavel_follower_t *self, int timeout, char *error, size_t size)
{
    assert (self);
    void *which = zpoller_wait (self->poller, timeout);
    if (!which) {
        if (zpoller_terminated (self->poller) && !zsys_interrupted) {
            snprintf (error, size, "cannot read the feed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        gavel_feed_tick (self->feed, zclock_mono ());
        s_feed_actions (self);
        return 0;
    }
    for (size_t index = 0; index < self->feed_count; index++) {
        gavel_subscription_t *feed = self->feeds [index];
        if (which == gavel_subscription_monitor (feed)) {
            char note [GAVEL_SUBSCRIPTION_NOTE_MAX];
            if (gavel_subscription_on_monitor (feed, self->handler.raw != NULL, note, sizeof note))
                self->handler.note (self->handler.arg, note);
        }
        else
        if (which == gavel_subscription_sub (feed)) {
            zmsg_t *msg = zmsg_recv (gavel_subscription_sub (feed));
            if (!msg) {
                if (zsys_interrupted)
                    return 0;
                snprintf (error, size, "cannot read %s: %s", gavel_subscription_endpoint (feed),
                          zmq_strerror (zmq_errno ()));
                return -1;
            }
            s_on_message (self, msg, index);
            zmsg_destroy (&msg);
        }
    }
    return 0;
}

void
gavel_follower_stop (gavel_follower_t *self)
{
    assert (self);
    self->stopping = true;
}

uint64_t
gavel_follower_last_seq (gavel_follower_t *self)
{
    assert (self);
    return gavel_feed_last_seq (self->feed);
}


//  --------------------------------------------------------------------------
//  Self test

typedef struct {
    uint64_t delivered [8];
    size_t delivered_count;
    size_t malformed;
    size_t notes;
    size_t gaps;
} s_test_seen_t;

static void
s_test_action (void *arg, gavel_feed_action_t *action)
{
    s_test_seen_t *seen = (s_test_seen_t *) arg;
    if (action->kind == GAVEL_FEED_DELIVER && seen->delivered_count < 8)
        seen->delivered [seen->delivered_count++] = gavel_msg_seq (action->event);
    if (action->kind == GAVEL_FEED_GAP)
        seen->gaps++;
}

static void
s_test_malformed (void *arg, zmsg_t *msg, const char *why)
{
    ((s_test_seen_t *) arg)->malformed++;
}

static void
s_test_note (void *arg, const char *note)
{
    ((s_test_seen_t *) arg)->notes++;
}

static void
s_test_publish (zsock_t *pub, uint64_t seq)
{
    char record [200];
    snprintf (record, sizeof record, "seq=%" PRIu64 " index=%" PRIu64 " term=1 stamp=1000 "
              "event=bid auction=1 bidder=al amount=%" PRIu64, seq, seq + 1, 100 + seq);
    gavel_msg_t *event = gavel_msg_new_history_event (record, 1);
    assert (event);
    assert (gavel_msg_send (event, NULL, zsock_resolve (pub)) == 0);
    gavel_msg_destroy (&event);
}

void
gavel_follower_test (bool verbose)
{
    printf (" * gavel_follower: ");
    fflush (stdout);
    char error [512];
    s_test_seen_t seen = { 0 };
    gavel_follower_handler_t handler = {
        .action = s_test_action, .malformed = s_test_malformed, .note = s_test_note, .arg = &seen
    };
    const char *topics [] = { "event" };

    //  Nothing to follow, and an endpoint that cannot be followed
    assert (!gavel_follower_new ("test", NULL, NULL, NULL, 0, topics, 1, 0, &handler,
                                 error, sizeof error));
    assert (streq (error, "no endpoint to follow"));
    const char *bad [] = { "inproc://x" };
    assert (!gavel_follower_new ("test", NULL, NULL, bad, 1, topics, 1, 0, &handler,
                                 error, sizeof error));
    assert (strstr (error, "inproc endpoints exist only inside their own process"));

    //  Events in order, a repeat dropped, a hole noticed (no history to ask:
    //  passed over), a message that is no event told apart
    zsock_t *pub = zsock_new (ZMQ_PUB);
    assert (pub);
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    const char *endpoints [] = { endpoint, endpoint };
    gavel_follower_t *self = gavel_follower_new ("test", NULL, NULL, endpoints, 2, topics, 1, 0,
                                                 &handler, error, sizeof error);
    assert (self);
    assert (gavel_follower_history_endpoints (self) == 0);
    //  The subscription reaches the publisher a moment after it connects:
    //  publish the first event until it comes (bounded)
    int64_t give_up = zclock_mono () + 5000;
    while (seen.delivered_count == 0 && zclock_mono () < give_up) {
        s_test_publish (pub, 1);
        assert (gavel_follower_wait (self, 50, error, sizeof error) == 0);
    }
    assert (seen.delivered_count == 1 && seen.delivered [0] == 1);
    assert (seen.notes >= 1);               //  "connected to ..."
    s_test_publish (pub, 1);
    s_test_publish (pub, 2);
    s_test_publish (pub, 4);
    zstr_sendm (pub, "event");
    zstr_send (pub, "GAVEL/1");
    give_up = zclock_mono () + 5000;
    while ((seen.delivered_count < 3 || seen.malformed == 0) && zclock_mono () < give_up)
        assert (gavel_follower_wait (self, 50, error, sizeof error) == 0);
    assert (seen.delivered_count == 3);
    assert (seen.delivered [1] == 2 && seen.delivered [2] == 4);
    assert (seen.gaps == 1);
    assert (seen.malformed == 1);
    assert (gavel_follower_last_seq (self) == 4);
    gavel_follower_destroy (&self);
    assert (self == NULL);
    zsock_destroy (&pub);
    printf ("OK\n");
}
