/*  sim_clients: Clients: closed loops of one request at a time, retried with the
    same request id.
*/
#include "sim.h"

//  --------------------------------------------------------------------------
//  Clients: closed loops of one request at a time, retried with the same
//  request id until they get an answer that is not a redirect or a time-out

static size_t
s_other_replica (sim_t *self, size_t replica)
{
    if (self->replica_count == 1)
        return 0;
    size_t other = (size_t) sim_below (self, self->replica_count - 1);
    return other >= replica? other + 1: other;
}

static void
s_client_send (sim_t *self, client_t *client)
{
    char text [256];
    sim_trace (self, "client %zu -> r%zu: %s", client->index, client->target + 1,
             self->options->verbose? gavel_fixture_describe_msg (client->request, text,
                                                                 sizeof text): "");
    gavel_fixture_send (self->world, client->index, client->target, client->request);
    client->waiting = true;
    gavel_fixture_alarm (self->world, SIM_ALARM_CLIENT + client->index,
                         sim_now (self) + SIM_CLIENT_TIMEOUT);
}

void
sim_client_later (sim_t *self, client_t *client, int64_t delay)
{
    client->waiting = false;
    gavel_fixture_alarm (self->world, SIM_ALARM_CLIENT + client->index, sim_now (self) + delay);
}

//  An auction to bid on or read: mostly one that is known and not closed
static uint64_t
s_pick_auction (sim_t *self)
{
    uint64_t choices [SIM_AUCTIONS_MAX];
    size_t count = 0;
    bool open_only = sim_chance (self, 0.8);
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++) {
        auction_view_t *view = &self->auctions [auction];
        if (view->known_epoch && !(open_only && view->closed))
            choices [count++] = auction;
    }
    if (count == 0 || sim_chance (self, 0.05))
        return 1 + sim_below (self, self->opens_sent + 1);
    return choices [sim_below (self, count)];
}

//  The auction whose deadline, as bidders heard it, is nearest to now, if
//  one is due within the next 120 ms or passed in the last 20; or 0
static uint64_t
s_racing_auction (sim_t *self)
{
    uint64_t racing = 0;
    int64_t now = sim_now (self);
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++) {
        auction_view_t *view = &self->auctions [auction];
        if (view->known_epoch && view->due >= now - 20 && view->due <= now + 120
        && (!racing || llabs (view->due - now) < llabs (self->auctions [racing].due - now)))
            racing = auction;
    }
    return racing;
}

static int64_t
s_pick_amount (sim_t *self, client_t *client, uint64_t auction)
{
    auction_view_t *view = &self->auctions [sim_auction_valid ((int64_t) auction)? auction: 0];
    int64_t level = view->hint > view->best? view->hint: view->best;
    //  Some bids are too low on purpose
    if (level > 0 && sim_chance (self, 0.2))
        return sim_between (self, 1, level);
    int64_t base = level > client->last_amount? level: client->last_amount;
    client->last_amount = base + sim_between (self, 1, 25);
    return client->last_amount;
}

static gavel_msg_id_t
s_pick_kind (sim_t *self, client_t *client)
{
    double roll = sim_unit (self);
    if (client->request_id == 1 && client->index < self->opens_planned)
        return GAVEL_MSG_OPEN;
    if (roll < 0.04 && self->opens_sent < SIM_OPENS_MAX)
        return GAVEL_MSG_OPEN;
    if (roll < 0.78)
        return GAVEL_MSG_BID;
    if (roll < 0.92)
        return GAVEL_MSG_RESULT;
    return GAVEL_MSG_LIST;
}

static gavel_msg_t *
s_client_compose (sim_t *self, client_t *client)
{
    uint64_t request_id = ++client->request_id;
    if (request_id >= client->sent_capacity) {
        client->sent_capacity = client->sent_capacity? client->sent_capacity * 2: 64;
        client->sent = (sent_t *) realloc (client->sent,
                                           client->sent_capacity * sizeof (sent_t));
        assert (client->sent);
    }
    sent_t *sent = &client->sent [request_id];
    memset (sent, 0, sizeof *sent);
    sent->kind = s_pick_kind (self, client);
    sent->epoch = self->epoch;
    sent->sent_at = sim_now (self);
    //  Most bids and reads in the last moments of an auction race its
    //  deadline: half bids, half reads
    uint64_t racing = 0;
    if ((sent->kind == GAVEL_MSG_BID || sent->kind == GAVEL_MSG_RESULT)
    &&  (racing = s_racing_auction (self)) && sim_chance (self, 0.7))
        sent->kind = sim_chance (self, 0.5)? GAVEL_MSG_BID: GAVEL_MSG_RESULT;
    else
        racing = 0;

    gavel_msg_t *request = gavel_msg_new (sent->kind);
    gavel_msg_set_request_id (request, request_id);
    gavel_msg_set_session (request, client->session);
    gavel_msg_set_name (request, client->name);
    if (sent->kind == GAVEL_MSG_OPEN) {
        char item [32];
        snprintf (item, sizeof item, "lot-%zu", ++self->opens_sent);
        gavel_msg_set_item (request, item);
        //  Most close during the run, many within a second or two (so that
        //  requests race their deadlines), some outlive it
        double roll = sim_unit (self);
        gavel_msg_set_duration (request, roll < 0.4? sim_between (self, 300, 1500)
                                       : roll < 0.75? sim_between (self, 1500, 6000)
                                       : sim_between (self, 20000, 60000));
        gavel_msg_set_reserve (request, sim_chance (self, 0.2)? sim_between (self, 10, 60): 0);
    }
    else
    if (sent->kind == GAVEL_MSG_BID || sent->kind == GAVEL_MSG_RESULT) {
        sent->auction = racing? racing: s_pick_auction (self);
        gavel_msg_set_auction (request, sent->auction);
        if (sent->kind == GAVEL_MSG_BID) {
            sent->amount = s_pick_amount (self, client, sent->auction);
            gavel_msg_set_amount (request, sent->amount);
        }
    }
    return request;
}

static void
s_client_next (sim_t *self, client_t *client)
{
    client->request = s_client_compose (self, client);
    client->redirects = 0;
    //  Like a bidder: mostly the replica that answered last, sometimes any
    client->target = sim_chance (self, self->stickiness)? client->primary
                   : (size_t) sim_below (self, self->replica_count);
    s_client_send (self, client);
}

static void
s_client_finish (sim_t *self, client_t *client)
{
    gavel_msg_destroy (&client->request);
    client->waiting = false;
    gavel_fixture_alarm_cancel (self->world, SIM_ALARM_CLIENT + client->index);
    if (!self->settling)
        sim_client_later (self, client, sim_between (self, 0, 40));
}

//  Amounts heard of, so that bids are pitched where the action is
static void
s_client_learn (sim_t *self, gavel_msg_t *reply)
{
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        int64_t auction = sim_record_number (record, "auction");
        if (!sim_auction_valid (auction))
            continue;
        auction_view_t *view = &self->auctions [auction];
        int64_t highest = sim_record_number (record, "highest");
        int64_t amount = sim_record_number (record, "amount");
        if (highest > view->hint)
            view->hint = highest;
        if (amount > view->hint)
            view->hint = amount;
        char state [16] = "";
        gavel_record_get (record, "state", state, sizeof state);
        if (streq (state, "closed") || streq (gavel_msg_reason (reply), "closed")) {
            view->closed = true;
            if (!view->closed_epoch)
                view->closed_epoch = ++self->epoch;
        }
        int64_t closes_in = sim_record_number (record, "closes_in");
        if (closes_in >= 0)
            view->due = sim_now (self) + closes_in;
    }
}

static void
s_client_opened (sim_t *self, client_t *client, gavel_msg_t *reply)
{
    int64_t auction = sim_record_number (sim_first_record (reply), "auction");
    if (!sim_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    if (view->known_epoch && (view->opener != client->index
                              || view->open_request != client->request_id))
        sim_fail (self, "at-most-once", "auction %" PRId64 " was opened by client %zu's"
                " request %" PRIu64 " and by client %zu's request %" PRIu64, auction,
                view->opener, view->open_request, client->index, client->request_id);
    view->opener = client->index;
    view->open_request = client->request_id;
    sim_confirm_open (self, auction);
}

static void
s_client_success (sim_t *self, client_t *client, gavel_msg_t *reply)
{
    sent_t *sent = &client->sent [client->request_id];
    if (sent->kind == GAVEL_MSG_OPEN)
        s_client_opened (self, client, reply);
    if (sent->kind == GAVEL_MSG_BID && sim_auction_valid ((int64_t) sent->auction))
        sim_confirm_bid (self, sent->auction, sent->amount, client->index);
    if (sent->kind == GAVEL_MSG_OPEN || sent->kind == GAVEL_MSG_BID) {
        sent->succeeded = true;
        self->successes++;
        sim_check_answered (self, client, client->request_id, "received");
    }
}

static void
s_client_redirected (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    self->redirects++;
    client->redirects++;
    int64_t primary = sim_record_number (sim_first_record (reply), "primary");
    if (primary >= 1 && (size_t) primary <= self->replica_count
    &&  (size_t) primary != from + 1) {
        client->target = (size_t) primary - 1;
        if (client->redirects <= 2) {
            s_client_send (self, client);
            return;
        }
    }
    else
        client->target = s_other_replica (self, from);
    //  No primary known, or going round in circles: give the election time
    sim_client_later (self, client, sim_between (self, 10, 60));
}

void
sim_client_answer (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    char text [256];
    sim_trace (self, "client %zu <- r%zu: %s", client->index, from + 1,
             self->options->verbose? gavel_fixture_describe_msg (reply, text, sizeof text): "");
    //  A late or doubled answer to an earlier request
    if (!client->request || gavel_msg_request_id (reply) != client->request_id)
        return;
    gavel_fixture_alarm_cancel (self->world, SIM_ALARM_CLIENT + client->index);
    client->waiting = false;
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (outcome == GAVEL_REDIRECT)
        s_client_redirected (self, client, reply, from);
    else
    if (outcome == GAVEL_EXCEPTION && !streq (gavel_msg_reason (reply), "unknown-auction")) {
        //  No quorum in time, or the like: the same request id again
        client->target = (size_t) sim_below (self, self->replica_count);
        sim_client_later (self, client, sim_between (self, 20, 100));
    }
    else {
        client->primary = from;
        s_client_learn (self, reply);
        if (outcome == GAVEL_SUCCESS)
            s_client_success (self, client, reply);
        s_client_finish (self, client);
    }
}

void
sim_client_timer (sim_t *self, client_t *client)
{
    if (client->waiting) {
        //  No answer in time: the same request to another replica
        client->waiting = false;
        self->timeouts++;
        client->target = s_other_replica (self, client->target);
        s_client_send (self, client);
    }
    else
    if (client->request)
        s_client_send (self, client);
    else
    if (!self->settling)
        s_client_next (self, client);
}
