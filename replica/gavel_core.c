/*  gavel_core: the replica's logic, driven by events with the time given.
*/
#include "gavel_core.h"
#include "gavel_auction.h"

typedef struct {
    zmsg_t *route;              //  the shell's envelope for the reply
    gavel_msg_t *reply;
} outgoing_t;

struct _gavel_core_t {
    uint64_t id;
    uint64_t term;              //  one term while serving alone
    uint64_t applied;           //  index of the last applied entry
    gavel_auction_t *auction;
    zlistx_t *outbox;           //  of outgoing_t
};

static void
s_outgoing_destroy (void **item_p)
{
    outgoing_t *outgoing = (outgoing_t *) *item_p;
    if (outgoing) {
        zmsg_destroy (&outgoing->route);
        gavel_msg_destroy (&outgoing->reply);
        free (outgoing);
        *item_p = NULL;
    }
}

gavel_core_t *
gavel_core_new (uint64_t replica_id)
{
    gavel_core_t *self = (gavel_core_t *) zmalloc (sizeof (gavel_core_t));
    assert (self);
    self->id = replica_id;
    self->term = 1;
    self->auction = gavel_auction_new ();
    self->outbox = zlistx_new ();
    assert (self->outbox);
    zlistx_set_destructor (self->outbox, s_outgoing_destroy);
    return self;
}

void
gavel_core_destroy (gavel_core_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_core_t *self = *self_p;
        zlistx_destroy (&self->outbox);
        gavel_auction_destroy (&self->auction);
        free (self);
        *self_p = NULL;
    }
}

static void
s_send (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t *reply)
{
    outgoing_t *outgoing = (outgoing_t *) zmalloc (sizeof (outgoing_t));
    assert (outgoing);
    outgoing->route = route_p? *route_p: NULL;
    if (route_p)
        *route_p = NULL;
    outgoing->reply = reply;
    zlistx_add_end (self->outbox, outgoing);
}

static gavel_msg_t *
s_status (gavel_core_t *self, gavel_msg_t *request)
{
    gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "id=%" PRIu64 " role=primary term=%" PRIu64
                          " commit=%" PRIu64 " applied=%" PRIu64 " auctions=%zu open=%zu bidders=%zu",
                          self->id, self->term, self->applied, self->applied,
                          gavel_auction_count (self->auction),
                          gavel_auction_open_count (self->auction),
                          gavel_auction_bidders (self->auction));
    return reply;
}

//  Deadlines that passed are closed before anything else is applied at the
//  same time, so the log reads in time order and a late bid sees "closed".
void
gavel_core_tick (gavel_core_t *self, int64_t now)
{
    zlist_t *closed = zlist_new ();
    zlist_autofree (closed);
    size_t count = gavel_auction_close_due (self->auction, now, closed);
    self->applied += count;
    for (char *line = (char *) zlist_first (closed); line; line = (char *) zlist_next (closed))
        zsys_info ("replica %" PRIu64 " primary term %" PRIu64 ": closed %s",
                   self->id, self->term, line);
    zlist_destroy (&closed);
}

void
gavel_core_request (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t **request_p, int64_t now)
{
    assert (request_p && *request_p);
    gavel_msg_t *request = *request_p;
    gavel_core_tick (self, now);
    gavel_msg_t *reply = NULL;
    switch (gavel_msg_id (request)) {
        case GAVEL_MSG_OPEN:
        case GAVEL_MSG_BID:
            reply = gavel_auction_apply (self->auction, request, now);
            self->applied++;
            break;
        case GAVEL_MSG_RESULT:
        case GAVEL_MSG_LIST:
            reply = gavel_auction_query (self->auction, request, now);
            break;
        case GAVEL_MSG_STATUS:
            reply = s_status (self, request);
            break;
        case GAVEL_MSG_REPLY:
            reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_EXCEPTION,
                                         "unknown-command", "REPLY is not a request");
            break;
    }
    if (gavel_msg_id (request) == GAVEL_MSG_OPEN && gavel_msg_outcome (reply) == GAVEL_SUCCESS)
        zsys_info ("replica %" PRIu64 " primary term %" PRIu64 ": %s opened %s: %s",
                   self->id, self->term, gavel_msg_name (request), gavel_msg_item (request),
                   gavel_msg_record (reply, 0));
    s_send (self, route_p, reply);
    gavel_msg_destroy (request_p);
}

int64_t
gavel_core_next_deadline (gavel_core_t *self)
{
    return gavel_auction_next_deadline (self->auction);
}

gavel_msg_t *
gavel_core_next_reply (gavel_core_t *self, zmsg_t **route_p)
{
    outgoing_t *outgoing = (outgoing_t *) zlistx_first (self->outbox);
    if (!outgoing)
        return NULL;
    gavel_msg_t *reply = outgoing->reply;
    *route_p = outgoing->route;
    outgoing->reply = NULL;
    outgoing->route = NULL;
    zlistx_delete (self->outbox, zlistx_cursor (self->outbox));
    return reply;
}

uint64_t
gavel_core_applied (gavel_core_t *self)
{
    return self->applied;
}

//  -------------------------------------------------------------------------
//  Self test: drive the core with no sockets and a made-up clock

static gavel_msg_t *
s_request (gavel_msg_id_t id, uint64_t request_id)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_request_id (msg, request_id);
    gavel_msg_set_session (msg, "test");
    gavel_msg_set_name (msg, "alice");
    return msg;
}

//  Run one request through the core and return its reply.
static gavel_msg_t *
s_call (gavel_core_t *core, gavel_msg_t *request, int64_t now)
{
    zmsg_t *route = zmsg_new ();
    zmsg_addstr (route, "client-1");
    gavel_core_request (core, &route, &request, now);
    assert (route == NULL && request == NULL);
    gavel_msg_t *reply = gavel_core_next_reply (core, &route);
    assert (reply);
    assert (route && zframe_streq (zmsg_first (route), "client-1"));
    zmsg_destroy (&route);
    assert (gavel_core_next_reply (core, &route) == NULL);
    return reply;
}

void
gavel_core_test (bool verbose)
{
    printf (" * gavel_core: ");
    int64_t t0 = 1700000000000;
    gavel_core_t *core = gavel_core_new (1);
    assert (gavel_core_next_deadline (core) == INT64_MAX);

    gavel_msg_t *open = s_request (GAVEL_MSG_OPEN, 1);
    gavel_msg_set_item (open, "lamp");
    gavel_msg_set_duration (open, 1000);
    gavel_msg_t *reply = s_call (core, open, t0);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    assert (gavel_msg_request_id (reply) == 1);
    gavel_msg_destroy (&reply);
    assert (gavel_core_next_deadline (core) == t0 + 1000);

    gavel_msg_t *bid = s_request (GAVEL_MSG_BID, 2);
    gavel_msg_set_auction (bid, 1);
    gavel_msg_set_amount (bid, 50);
    reply = s_call (core, bid, t0 + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    assert (gavel_core_applied (core) == 2);

    //  A tick at the deadline closes the auction: no more deadline wanted
    gavel_core_tick (core, t0 + 1000);
    assert (gavel_core_next_deadline (core) == INT64_MAX);
    assert (gavel_core_applied (core) == 3);

    gavel_msg_t *status = s_request (GAVEL_MSG_STATUS, 3);
    reply = s_call (core, status, t0 + 1001);
    char value [32];
    assert (gavel_record_get (gavel_msg_record (reply, 0), "role", value, sizeof value) == 0);
    assert (streq (value, "primary"));
    assert (gavel_record_get (gavel_msg_record (reply, 0), "applied", value, sizeof value) == 0);
    assert (streq (value, "3"));
    assert (gavel_record_get (gavel_msg_record (reply, 0), "open", value, sizeof value) == 0);
    assert (streq (value, "0"));
    gavel_msg_destroy (&reply);

    gavel_msg_t *result = s_request (GAVEL_MSG_RESULT, 4);
    gavel_msg_set_auction (result, 1);
    reply = s_call (core, result, t0 + 2000);
    assert (streq (gavel_msg_record (reply, 0), "auction=1 state=closed winner=alice amount=50"));
    gavel_msg_destroy (&reply);

    //  Replies left in the outbox are freed with the core
    gavel_msg_t *list = s_request (GAVEL_MSG_LIST, 5);
    gavel_core_request (core, NULL, &list, t0 + 2000);
    gavel_core_destroy (&core);
    gavel_core_destroy (&core);
    printf ("OK\n");
}
