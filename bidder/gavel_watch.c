/*  gavel_watch: the bidder's `watch` (gavel_watch.h).
*/
#include <czmq.h>
#include <inttypes.h>
#include "gavel_config.h"
#include "gavel_feed.h"
#include "gavel_sock.h"
#include "gavel_text.h"
#include "gavel_watch.h"

struct _gavel_watch_t {
    char *cluster;                  //  cluster file: where the feed is
    bool json;
    FILE *stream;
    gavel_watch_prompt_fn *prompt;  //  NULL: no prompt on screen
    char name [GAVEL_NAME_MAX + 1];
    zsock_t **feeds;                //  SUB sockets while watching, else NULL
    size_t feed_count;
    uint64_t watched;               //  0: every auction
    gavel_feed_t *feed;             //  events in order, repeats (old and new
                                    //  primary) dropped; from the first watch
    zhashx_t *leaders;              //  auction id -> last bidder seen
};

gavel_watch_t *
gavel_watch_new (const char *cluster, bool json, FILE *stream)
{
    assert (stream);
    gavel_watch_t *self = (gavel_watch_t *) zmalloc (sizeof (gavel_watch_t));
    assert (self);
    self->cluster = cluster? strdup (cluster): NULL;
    self->json = json;
    self->stream = stream;
    self->leaders = zhashx_new ();
    assert (self->leaders);
    zhashx_set_duplicator (self->leaders, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->leaders, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
gavel_watch_destroy (gavel_watch_t **self_p)
{
    assert (self_p);
    gavel_watch_t *self = *self_p;
    if (self) {
        gavel_watch_stop (self);
        gavel_feed_destroy (&self->feed);
        zhashx_destroy (&self->leaders);
        free (self->cluster);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_watch_set_prompt (gavel_watch_t *self, gavel_watch_prompt_fn *prompt)
{
    assert (self);
    self->prompt = prompt;
}

void
gavel_watch_set_name (gavel_watch_t *self, const char *name)
{
    assert (self);
    snprintf (self->name, sizeof (self->name), "%s", name);
}

void
gavel_watch_set_leader (gavel_watch_t *self, uint64_t auction, const char *name)
{
    assert (self);
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, auction);
    zhashx_update (self->leaders, key, (void *) name);
}

//  The brokers' feed when the file lists brokers, else every replica's.
static int
s_feed_endpoints (const char *path, zlistx_t *endpoints, char *error, size_t size)
{
    gavel_config_t *config = gavel_config_load (path, error, size);
    if (!config)
        return -1;
    //  With CURVE a replica's pub admits only the cluster's own keys
    if (gavel_sock_curve_on () && gavel_config_brokers (config) == 0) {
        snprintf (error, size, "%s lists no broker, and with CURVE the replicas' feed admits "
                  "only the cluster's own keys: watch follows a broker's feed", path);
        gavel_config_destroy (&config);
        return -1;
    }
    for (size_t index = 0; index < gavel_config_brokers (config); index++)
        zlistx_add_end (endpoints, gavel_config_broker (config, index)->pub);
    for (size_t index = 0; gavel_config_brokers (config) == 0
                           && index < gavel_config_replicas (config); index++)
        if (*gavel_config_replica (config, index)->pub)
            zlistx_add_end (endpoints, gavel_config_replica (config, index)->pub);
    gavel_config_destroy (&config);
    if (zlistx_size (endpoints) == 0) {
        snprintf (error, size, "%s lists no pub endpoint", path);
        return -1;
    }
    return 0;
}

void
gavel_watch_stop (gavel_watch_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->feed_count; index++)
        zsock_destroy (&self->feeds [index]);
    free (self->feeds);
    self->feeds = NULL;
    self->feed_count = 0;
}

bool
gavel_watch_active (gavel_watch_t *self)
{
    assert (self);
    return self->feeds != NULL;
}

static int
s_open_feeds (gavel_watch_t *self, char *error, size_t size)
{
    zlistx_t *endpoints = zlistx_new ();
    assert (endpoints);
    zlistx_set_duplicator (endpoints, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (endpoints, (zlistx_destructor_fn *) zstr_free);
    int rc = s_feed_endpoints (self->cluster, endpoints, error, size);
    if (rc == 0) {
        self->feeds = (zsock_t **) zmalloc (zlistx_size (endpoints) * sizeof (zsock_t *));
        assert (self->feeds);
    }
    for (const char *endpoint = (const char *) zlistx_first (endpoints);
         endpoint && rc == 0; endpoint = (const char *) zlistx_next (endpoints)) {
        zsock_t *sub = gavel_sock_new (ZMQ_SUB, endpoint, false, NULL, error, size);
        if (!sub)
            rc = -1;
        else {
            zsock_set_subscribe (sub, "event");
            self->feeds [self->feed_count++] = sub;
        }
    }
    zlistx_destroy (&endpoints);
    if (rc)
        gavel_watch_stop (self);
    return rc;
}

int
gavel_watch_start (gavel_watch_t *self, uint64_t auction, char *error, size_t size)
{
    assert (self);
    if (!self->cluster) {
        snprintf (error, size, "watch needs --cluster FILE");
        return -1;
    }
    gavel_watch_stop (self);
    if (s_open_feeds (self, error, size))
        return -1;
    if (!self->feed) {
        //  No history to fetch a hole from: it is passed over
        gavel_feed_settings_t settings = {
            .feed_endpoints = self->feed_count, .backlog_max = 1
        };
        self->feed = gavel_feed_new (&settings);
    }
    self->watched = auction;
    return 0;
}

//  "outbid" needs to know who led before this bid, so every bid seen is
//  kept, shown or not.
static void
s_bid_text (gavel_watch_t *self, const gavel_record_event_t *event, char *text, size_t size)
{
    const char *leader = (const char *) zhashx_lookup (self->leaders, event->auction);
    if (leader && streq (leader, self->name) && !streq (event->name, self->name))
        snprintf (text, size, "* outbid by %s: %s", event->name, event->amount);
    else
        snprintf (text, size, "* %s bids %s on auction %s", event->name, event->amount,
                  event->auction);
    zhashx_update (self->leaders, event->auction, (void *) event->name);
}

void
gavel_watch_event_text (gavel_watch_t *self, const char *record, char *text, size_t size)
{
    assert (self);
    gavel_record_event_t event;
    char why [64];
    gavel_record_event (record, &event, why, sizeof (why));
    if (streq (event.kind, "bid"))
        s_bid_text (self, &event, text, size);
    else
    if (streq (event.kind, "closed")) {
        if (*event.name && !streq (event.name, "none"))
            snprintf (text, size, "* closed: %s wins %s at %s", event.name, event.item,
                      event.amount);
        else
            snprintf (text, size, "* closed: %s, no bids", event.item);
        zhashx_delete (self->leaders, event.auction);
    }
    else
    if (streq (event.kind, "opened"))
        snprintf (text, size, "* opened: %s by %s (auction %s)", event.item, event.name,
                  event.auction);
    else
    if (streq (event.kind, "primary"))
        snprintf (text, size, "* primary is now replica %s (term %s)", event.primary,
                  event.term);
    else
        snprintf (text, size, "* %s", record);
}

static void
s_show_event (gavel_watch_t *self, uint64_t seq, const char *record, const char *text)
{
    if (self->prompt)
        self->prompt (true);
    if (self->json) {
        fprintf (self->stream, "{\"seq\":%" PRIu64, seq);
        const char *separator = ",";
        gavel_record_put_json (self->stream, record, false, &separator);
        fprintf (self->stream, "}\n");
    }
    else
        fprintf (self->stream, "%s\n", text);
    if (self->prompt)
        self->prompt (false);
}

static bool
s_wanted (gavel_watch_t *self, const char *record)
{
    if (self->watched == 0)
        return true;
    uint64_t auction;
    if (gavel_record_get_unsigned (record, "auction", 1, UINT64_MAX, &auction))
        auction = 0;
    return auction == self->watched;
}

//  A message off feed number source; the follower says what to show
static void
s_on_event (gavel_watch_t *self, zsock_t *sub, size_t source)
{
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return;
    gavel_msg_error_t error;
    gavel_msg_t *event = gavel_msg_decode (msg, &error);
    zmsg_destroy (&msg);
    //  A malformed event is the publisher's problem, not the user's
    if (event && gavel_msg_id (event) == GAVEL_MSG_EVENT
    &&  gavel_msg_records (event) == 1)
        gavel_feed_event (self->feed, &event, source, zclock_mono ());
    gavel_msg_destroy (&event);
    gavel_feed_action_t *action;
    while ((action = gavel_feed_next_action (self->feed))) {
        if (action->kind == GAVEL_FEED_DELIVER) {
            const char *record = gavel_msg_record (action->event, 0);
            char text [GAVEL_ITEM_MAX + 2 * GAVEL_NAME_MAX + 256];
            gavel_watch_event_text (self, record, text, sizeof (text));
            if (s_wanted (self, record))
                s_show_event (self, gavel_msg_seq (action->event), record, text);
        }
        gavel_feed_action_destroy (&action);
    }
}

bool
gavel_watch_wait (gavel_watch_t *self, int64_t timeout, bool with_stdin)
{
    assert (self);
    zmq_pollitem_t items [self->feed_count + 1];
    size_t count = 0;
    if (with_stdin)
        items [count++] = (zmq_pollitem_t) { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 };
    for (size_t index = 0; index < self->feed_count; index++)
        items [count++] = (zmq_pollitem_t) { zsock_resolve (self->feeds [index]), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (items, (int) count, (long) timeout) <= 0)
        return false;
    size_t first = with_stdin? 1: 0;
    for (size_t index = first; index < count && self->feeds; index++)
        if (items [index].revents & ZMQ_POLLIN)
            s_on_event (self, self->feeds [index - first], index - first);
    return with_stdin && (items [0].revents & ZMQ_POLLIN);
}


//  --------------------------------------------------------------------------
//  Self test

void
gavel_watch_test (bool verbose)
{
    printf (" * gavel_watch: ");
    char error [512];
    char text [512];
    gavel_watch_t *watch = gavel_watch_new (NULL, false, stdout);
    assert (watch);
    gavel_watch_set_name (watch, "ann");

    //  Each kind in words
    gavel_watch_event_text (watch, "event=opened auction=3 item=vase by=bob", text, sizeof (text));
    assert (streq (text, "* opened: vase by bob (auction 3)"));
    gavel_watch_event_text (watch, "event=primary primary=2 term=5", text, sizeof (text));
    assert (streq (text, "* primary is now replica 2 (term 5)"));
    gavel_watch_event_text (watch, "event=odd x=1", text, sizeof (text));
    assert (streq (text, "* event=odd x=1"));
    //  Our own lead taken by another is "outbid"; a bid after it is not
    gavel_watch_set_leader (watch, 3, "ann");
    gavel_watch_event_text (watch, "event=bid auction=3 bidder=cy amount=70", text, sizeof (text));
    assert (streq (text, "* outbid by cy: 70"));
    gavel_watch_event_text (watch, "event=bid auction=3 bidder=dee amount=80", text, sizeof (text));
    assert (streq (text, "* dee bids 80 on auction 3"));
    //  Seen on the feed, our bid makes us lead too
    gavel_watch_event_text (watch, "event=bid auction=3 bidder=ann amount=90", text, sizeof (text));
    assert (streq (text, "* ann bids 90 on auction 3"));
    gavel_watch_event_text (watch, "event=bid auction=3 bidder=cy amount=95", text, sizeof (text));
    assert (streq (text, "* outbid by cy: 95"));
    //  Closing forgets the leader
    gavel_watch_event_text (watch, "event=closed auction=3 item=vase winner=cy amount=95",
                            text, sizeof (text));
    assert (streq (text, "* closed: cy wins vase at 95"));
    gavel_watch_event_text (watch, "event=closed auction=4 item=jug winner=none",
                            text, sizeof (text));
    assert (streq (text, "* closed: jug, no bids"));
    gavel_watch_set_leader (watch, 3, "ann");
    gavel_watch_event_text (watch, "event=closed auction=3 item=vase winner=ann amount=1",
                            text, sizeof (text));
    gavel_watch_event_text (watch, "event=bid auction=3 bidder=cy amount=2", text, sizeof (text));
    assert (streq (text, "* cy bids 2 on auction 3"));

    //  No cluster file: nothing to watch, and waiting on nothing times out
    assert (gavel_watch_start (watch, 0, error, sizeof (error)) == -1);
    assert (streq (error, "watch needs --cluster FILE"));
    assert (!gavel_watch_active (watch));
    assert (!gavel_watch_wait (watch, 1, false));
    gavel_watch_destroy (&watch);

    //  A cluster file that cannot be read is said so
    watch = gavel_watch_new ("/nonexistent/gavel-watch-test.cluster", false, stdout);
    assert (gavel_watch_start (watch, 0, error, sizeof (error)) == -1);
    assert (strstr (error, "/nonexistent/gavel-watch-test.cluster"));
    assert (!gavel_watch_active (watch));
    gavel_watch_destroy (&watch);
    if (verbose)
        printf ("(event lines, leaders, start errors) ");
    printf ("OK\n");
}
