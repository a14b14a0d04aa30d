/*  gavel_feed: the follower of the numbered event feed, without sockets.

    The header states the rules. Held events are kept sorted by number;
    they nearly always arrive in order, so an insert looks from the end.
*/
#include "gavel_feed.h"

typedef struct {
    gavel_msg_t *event;
    uint64_t seq;
    size_t source;              //  feed endpoint it came from
} s_held_t;

struct _gavel_feed_t {
    gavel_feed_settings_t settings;
    gavel_feed_check_fn *check;
    uint64_t next;              //  number wanted next; 0: none delivered yet
    zlistx_t *held;             //  s_held_t, by number
    zlistx_t *outbox;           //  gavel_feed_action_t
    int64_t *heard;             //  per feed endpoint: last heartbeat
    bool *heard_once;
    size_t overflowed;
    //  The fetch outstanding, when fetching
    bool fetching;
    bool catching_up;           //  from 0: the last count events
    uint64_t gap_from;          //  the hole's first number, for FILLED
    uint64_t to;                //  its last; UINT64_MAX: the history's end
    uint64_t count;             //  asked for in the request outstanding
    size_t endpoint;            //  history endpoint asked
    unsigned failures;          //  requests unanswered since the last answer
    unsigned attempt;           //  requests for this hole
    uint64_t request_id;
    int64_t deadline;
};

static void
s_held_destroy (s_held_t **self_p)
{
    if (*self_p) {
        gavel_msg_destroy (&(*self_p)->event);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_held_compare (const s_held_t *one, const s_held_t *two)
{
    return one->seq < two->seq? -1: one->seq > two->seq? 1: 0;
}

gavel_feed_t *
gavel_feed_new (const gavel_feed_settings_t *settings)
{
    assert (settings);
    assert (settings->history_endpoints == 0 || settings->fetch_tries > 0);
    assert (settings->backlog_max > 0);
    assert (!settings->history_at_source
         || settings->feed_endpoints == settings->history_endpoints);
    gavel_feed_t *self = (gavel_feed_t *) zmalloc (sizeof (gavel_feed_t));
    assert (self);
    self->settings = *settings;
    self->held = zlistx_new ();
    assert (self->held);
    zlistx_set_destructor (self->held, (zlistx_destructor_fn *) s_held_destroy);
    zlistx_set_comparator (self->held, (zlistx_comparator_fn *) s_held_compare);
    self->outbox = zlistx_new ();
    assert (self->outbox);
    zlistx_set_destructor (self->outbox, (zlistx_destructor_fn *) gavel_feed_action_destroy);
    self->heard = (int64_t *) zmalloc ((settings->feed_endpoints + 1) * sizeof (int64_t));
    self->heard_once = (bool *) zmalloc ((settings->feed_endpoints + 1) * sizeof (bool));
    assert (self->heard && self->heard_once);
    return self;
}

void
gavel_feed_destroy (gavel_feed_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_feed_t *self = *self_p;
        zlistx_destroy (&self->held);
        zlistx_destroy (&self->outbox);
        free (self->heard);
        free (self->heard_once);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_feed_set_check (gavel_feed_t *self, gavel_feed_check_fn *check)
{
    self->check = check;
}

void
gavel_feed_action_destroy (gavel_feed_action_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_msg_destroy (&(*self_p)->event);
        free ((*self_p)->record);
        free (*self_p);
        *self_p = NULL;
    }
}

gavel_feed_action_t *
gavel_feed_next_action (gavel_feed_t *self)
{
    return (gavel_feed_action_t *) zlistx_detach (self->outbox, NULL);
}

uint64_t
gavel_feed_last_seq (gavel_feed_t *self)
{
    return self->next? self->next - 1: 0;
}

bool
gavel_feed_fetching (gavel_feed_t *self)
{
    return self->fetching;
}

size_t
gavel_feed_overflowed (gavel_feed_t *self)
{
    return self->overflowed;
}

int64_t
gavel_feed_next_deadline (gavel_feed_t *self)
{
    return self->fetching? self->deadline: INT64_MAX;
}

//  -------------------------------------------------------------------------

static gavel_feed_action_t *
s_push (gavel_feed_t *self, gavel_feed_action_kind_t kind, uint64_t from, uint64_t to)
{
    gavel_feed_action_t *action = (gavel_feed_action_t *) zmalloc (sizeof (gavel_feed_action_t));
    assert (action);
    action->kind = kind;
    action->from = from;
    action->to = to;
    zlistx_add_end (self->outbox, action);
    return action;
}

static void
s_lost (gavel_feed_t *self, uint64_t from, uint64_t to, gavel_feed_lost_t cause)
{
    s_push (self, GAVEL_FEED_LOST, from, to)->cause = cause;
}

static void
s_deliver (gavel_feed_t *self, gavel_msg_t **event_p)
{
    self->next = gavel_msg_seq (*event_p) + 1;
    s_push (self, GAVEL_FEED_DELIVER, 0, 0)->event = *event_p;
    *event_p = NULL;
}

static void
s_fetch_send (gavel_feed_t *self, int64_t now)
{
    uint64_t count = self->catching_up || self->to == UINT64_MAX? self->count
                   : self->to - self->next + 1;
    if (count > GAVEL_HISTORY_MAX)
        count = GAVEL_HISTORY_MAX;
    self->count = count;
    gavel_feed_action_t *fetch = s_push (self, GAVEL_FEED_FETCH,
                                         self->catching_up? 0: self->next, 0);
    fetch->count = count;
    fetch->endpoint = self->endpoint;
    fetch->request_id = ++self->request_id;
    fetch->attempt = ++self->attempt;
    self->deadline = now + self->settings.fetch_timeout;
}

//  A fetch of from..to, first from history endpoint `endpoint`
static void
s_fetch_start (gavel_feed_t *self, uint64_t from, uint64_t to, size_t endpoint,
               bool catching_up, uint64_t count, int64_t now)
{
    self->fetching = true;
    self->catching_up = catching_up;
    self->gap_from = from;
    self->to = to;
    self->count = count;
    self->endpoint = endpoint % self->settings.history_endpoints;
    self->failures = 0;
    self->attempt = 0;
    s_fetch_send (self, now);
}

//  The history endpoint to ask first about what feed endpoint source
//  missed: its own when each feed endpoint answers HISTORY too (a
//  replica), else the first
static size_t
s_history_for (gavel_feed_t *self, size_t source)
{
    return self->settings.history_at_source? source: 0;
}

//  Deliver what is held in order; with pass_holes, holes before held
//  events are passed over as lost (nobody answers); else, when no fetch
//  is out, the first hole starts one.
static void
s_drain (gavel_feed_t *self, bool pass_holes, int64_t now)
{
    while (zlistx_size (self->held)) {
        s_held_t *first = (s_held_t *) zlistx_first (self->held);
        if (self->next && first->seq < self->next) {
            zlistx_delete (self->held, zlistx_cursor (self->held));
            continue;           //  a repeat: history brought it too
        }
        if (first->seq == self->next || (self->next == 0 && !self->fetching)) {
            s_deliver (self, &first->event);
            zlistx_delete (self->held, zlistx_cursor (self->held));
            if (self->fetching && !self->catching_up && self->to != UINT64_MAX
            &&  self->next > self->to) {
                //  Live events filled the hole before the history did
                self->fetching = false;
                s_push (self, GAVEL_FEED_FILLED, self->gap_from, self->to);
            }
            continue;
        }
        if (self->fetching)
            break;
        if (pass_holes) {
            s_lost (self, self->next, first->seq - 1, GAVEL_FEED_LOST_UNANSWERED);
            self->next = first->seq;
            continue;
        }
        s_push (self, GAVEL_FEED_GAP, self->next, first->seq - 1);
        if (self->settings.history_endpoints == 0) {
            self->next = first->seq;        //  nowhere to ask: go on
            continue;
        }
        s_fetch_start (self, self->next, first->seq - 1, s_history_for (self, first->source),
                       false, 0, now);
        break;
    }
}

//  Nobody answered the request outstanding: the next endpoint, or give up
static void
s_no_answer (gavel_feed_t *self, int64_t now)
{
    if (++self->failures < self->settings.fetch_tries) {
        self->endpoint = (self->endpoint + 1) % self->settings.history_endpoints;
        s_fetch_send (self, now);
        return;
    }
    self->fetching = false;
    if (self->catching_up)
        s_lost (self, 0, UINT64_MAX, GAVEL_FEED_LOST_UNANSWERED);
    else {
        s_lost (self, self->next, self->to, GAVEL_FEED_LOST_UNANSWERED);
        if (self->to != UINT64_MAX)
            self->next = self->to + 1;
    }
    s_drain (self, true, now);
}

void
gavel_feed_event (gavel_feed_t *self, gavel_msg_t **event_p, size_t source, int64_t now)
{
    assert (event_p && *event_p);
    uint64_t seq = gavel_msg_seq (*event_p);
    if (self->next && seq < self->next) {
        if (self->next - 1 - seq < GAVEL_HISTORY_MAX) {
            gavel_msg_destroy (event_p);
            return;             //  a repeat: from a second primary, or history
        }
        s_push (self, GAVEL_FEED_RESTART, self->next - 1, seq);
        self->fetching = false;
        self->next = 0;
        zlistx_purge (self->held);
    }
    for (s_held_t *held = (s_held_t *) zlistx_last (self->held); held;
         held = (s_held_t *) zlistx_prev (self->held))
        if (held->seq <= seq) {
            if (held->seq == seq) {
                gavel_msg_destroy (event_p);
                return;         //  held already
            }
            break;
        }
    if (zlistx_size (self->held) >= self->settings.backlog_max) {
        self->overflowed++;     //  the hole it leaves is fetched later
        gavel_msg_destroy (event_p);
        return;
    }
    s_held_t *held = (s_held_t *) zmalloc (sizeof (s_held_t));
    assert (held);
    held->event = *event_p;
    held->seq = seq;
    held->source = source;
    *event_p = NULL;
    zlistx_insert (self->held, held, false);
    s_drain (self, false, now);
}

void
gavel_feed_last (gavel_feed_t *self, uint64_t seq, size_t source, int64_t now)
{
    if (self->next == 0 || seq < self->next || self->fetching)
        return;
    s_push (self, GAVEL_FEED_GAP, self->next, seq);
    if (self->settings.history_endpoints == 0)
        self->next = seq + 1;
    else
        s_fetch_start (self, self->next, seq, s_history_for (self, source), false, 0, now);
}

void
gavel_feed_heartbeat (gavel_feed_t *self, size_t source, int64_t now)
{
    if (self->settings.reconnect == 0 || source >= self->settings.feed_endpoints)
        return;
    bool silent = !self->heard_once [source]
               || now - self->heard [source] > self->settings.reconnect;
    self->heard [source] = now;
    self->heard_once [source] = true;
    if (silent && self->next && !self->fetching && self->settings.history_endpoints)
        s_fetch_start (self, self->next, UINT64_MAX, s_history_for (self, source),
                       false, GAVEL_HISTORY_MAX, now);
}

void
gavel_feed_catch_up (gavel_feed_t *self, uint64_t count, int64_t now)
{
    assert (count > 0);
    if (self->next == 0 && !self->fetching && self->settings.history_endpoints)
        s_fetch_start (self, 0, UINT64_MAX, 0, true, count, now);
}

//  One record of a HISTORY answer in its place; whether it moved us on
static bool
s_take_record (gavel_feed_t *self, const char *record, uint64_t from)
{
    gavel_msg_t *event = gavel_msg_new_history_event (record, from);
    gavel_feed_action_t probe = { 0 };
    const char *problem = event? (self->check? self->check (event, probe.why, sizeof probe.why): NULL)
                               : "not a history record";
    if (problem) {
        gavel_feed_action_t *bad = s_push (self, GAVEL_FEED_BAD_RECORD, 0, 0);
        snprintf (bad->why, sizeof bad->why, "%s", problem);
        bad->endpoint = self->endpoint;
        bad->record = strdup (record);
        assert (bad->record);
        gavel_msg_destroy (&event);
        return false;
    }
    uint64_t seq = gavel_msg_seq (event);
    bool fits = (self->next == 0 || seq >= self->next)
             && (self->catching_up || self->to == UINT64_MAX || seq <= self->to);
    if (fits) {
        if (self->next && seq > self->next)
            s_lost (self, self->next, seq - 1, GAVEL_FEED_LOST_NOT_KEPT);
        s_deliver (self, &event);
    }
    gavel_msg_destroy (&event);
    return fits;
}

void
gavel_feed_history (gavel_feed_t *self, gavel_msg_t *reply, size_t endpoint,
                    uint64_t from, int64_t now)
{
    if (!self->fetching || !reply || gavel_msg_id (reply) != GAVEL_MSG_REPLY
    ||  gavel_msg_request_id (reply) != self->request_id)
        return;                 //  stale: not the request outstanding
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS) {
        s_no_answer (self, now);
        return;
    }
    self->endpoint = endpoint;
    bool moved = false;
    size_t records = gavel_msg_records (reply);
    for (size_t index = 0; index < records; index++)
        moved |= s_take_record (self, gavel_msg_record (reply, index), from);
    if (self->catching_up)
        self->fetching = false;
    else
    if (self->to == UINT64_MAX) {
        if (moved && records >= self->count) {
            self->failures = 0;
            s_fetch_send (self, now);       //  a full answer: there is more
            return;
        }
        self->fetching = false;
    }
    else
    if (self->next > self->to) {
        self->fetching = false;
        s_push (self, GAVEL_FEED_FILLED, self->gap_from, self->to);
    }
    else
    if (moved) {
        self->failures = 0;
        s_fetch_send (self, now);
        return;
    }
    else {
        //  The history ends before the hole does: it has them no more,
        //  or the replica that answered lags
        self->fetching = false;
        s_lost (self, self->next, self->to, GAVEL_FEED_LOST_NOT_FETCHED);
        self->next = self->to + 1;
    }
    s_drain (self, false, now);
}

void
gavel_feed_history_failed (gavel_feed_t *self, int64_t now)
{
    if (self->fetching)
        s_no_answer (self, now);
}

void
gavel_feed_tick (gavel_feed_t *self, int64_t now)
{
    if (self->fetching && now >= self->deadline)
        s_no_answer (self, now);
}

//  -------------------------------------------------------------------------
//  Self test, in virtual time: events in, actions checked one by one

static gavel_msg_t *
s_test_event (uint64_t seq, uint64_t from)
{
    gavel_msg_t *event = gavel_msg_new (GAVEL_MSG_EVENT);
    gavel_msg_set_term (event, 1);
    gavel_msg_set_from (event, from);
    gavel_msg_set_index (event, seq + 10);
    gavel_msg_set_seq (event, seq);
    gavel_msg_set_stamp (event, 1000 + (int64_t) seq);
    gavel_msg_add_record (event, "event=bid auction=1 bidder=ann amount=%" PRIu64, seq);
    return event;
}

static void
s_test_live (gavel_feed_t *feed, uint64_t seq, size_t source, int64_t now)
{
    gavel_msg_t *event = s_test_event (seq, source + 1);
    gavel_feed_event (feed, &event, source, now);
    assert (event == NULL);
}

//  A HISTORY answer to request id holding events first..last
static gavel_msg_t *
s_test_answer (uint64_t request_id, uint64_t first, uint64_t last)
{
    gavel_msg_t *reply = gavel_msg_new_reply (request_id, GAVEL_SUCCESS, NULL, NULL);
    for (uint64_t seq = first; seq && seq <= last; seq++)
        gavel_msg_add_record (reply, "seq=%" PRIu64 " index=%" PRIu64 " term=1 stamp=%" PRIu64
                              " event=bid auction=1 bidder=bo amount=%" PRIu64,
                              seq, seq + 10, 1000 + seq, seq);
    return reply;
}

static gavel_feed_action_t *
s_test_next (gavel_feed_t *feed, gavel_feed_action_kind_t kind)
{
    gavel_feed_action_t *action = gavel_feed_next_action (feed);
    assert (action && action->kind == kind);
    return action;
}

//  The next actions deliver first..last, in order
static void
s_test_delivers (gavel_feed_t *feed, uint64_t first, uint64_t last)
{
    for (uint64_t seq = first; seq <= last; seq++) {
        gavel_feed_action_t *action = s_test_next (feed, GAVEL_FEED_DELIVER);
        assert (gavel_msg_seq (action->event) == seq);
        gavel_feed_action_destroy (&action);
    }
}

static void
s_test_range (gavel_feed_t *feed, gavel_feed_action_kind_t kind, uint64_t from, uint64_t to)
{
    gavel_feed_action_t *action = s_test_next (feed, kind);
    assert (action->from == from && action->to == to);
    gavel_feed_action_destroy (&action);
}

//  The next action is a FETCH of from, count to endpoint: its request id
static uint64_t
s_test_fetch (gavel_feed_t *feed, size_t endpoint, uint64_t from, uint64_t count)
{
    gavel_feed_action_t *action = s_test_next (feed, GAVEL_FEED_FETCH);
    assert (action->endpoint == endpoint && action->from == from && action->count == count);
    uint64_t request_id = action->request_id;
    gavel_feed_action_destroy (&action);
    return request_id;
}

static void
s_test_answered (gavel_feed_t *feed, uint64_t request_id, uint64_t first, uint64_t last,
                 size_t endpoint, int64_t now)
{
    gavel_msg_t *reply = s_test_answer (request_id, first, last);
    gavel_feed_history (feed, reply, endpoint, endpoint + 1, now);
    gavel_msg_destroy (&reply);
}

//  The next actions: the gap from..to, its fetch from endpoint; answered
//  in full, its events go out and it is filled
static void
s_test_fill (gavel_feed_t *feed, uint64_t from, uint64_t to, size_t endpoint, int64_t now)
{
    s_test_range (feed, GAVEL_FEED_GAP, from, to);
    uint64_t request = s_test_fetch (feed, endpoint, from, to - from + 1);
    s_test_answered (feed, request, from, to, endpoint, now);
    s_test_delivers (feed, from, to);
    s_test_range (feed, GAVEL_FEED_FILLED, from, to);
}

static void
s_test_quiet (gavel_feed_t *feed)
{
    gavel_feed_action_t *action = gavel_feed_next_action (feed);
    assert (action == NULL);
}

static const char *
s_test_check (gavel_msg_t *event, char *why, size_t size)
{
    if (strstr (gavel_msg_record (event, 0), "amount=13"))
        return "unlucky";
    return NULL;
}

void
gavel_feed_test (bool verbose)
{
    printf (" * gavel_feed: ");
    gavel_feed_settings_t settings = {
        .feed_endpoints = 3, .history_endpoints = 3, .history_at_source = true,
        .fetch_timeout = 300,
        .fetch_tries = 3, .backlog_max = 4, .reconnect = 1000
    };
    int64_t now = 1000;

    //  The first event goes out whatever its number; repeats are dropped
    gavel_feed_t *feed = gavel_feed_new (&settings);
    assert (gavel_feed_last_seq (feed) == 0 && gavel_feed_next_deadline (feed) == INT64_MAX);
    s_test_live (feed, 3, 0, now);
    s_test_live (feed, 3, 1, now);
    s_test_live (feed, 2, 0, now);
    s_test_live (feed, 4, 1, now);
    s_test_delivers (feed, 3, 4);
    s_test_quiet (feed);
    assert (gavel_feed_last_seq (feed) == 4);

    //  A hole: the event after it is held, the hole fetched from its sender;
    //  the history goes out in its place, then what was held
    s_test_live (feed, 7, 2, now);
    s_test_live (feed, 8, 0, now);
    s_test_live (feed, 8, 1, now);         //  held already: dropped
    s_test_range (feed, GAVEL_FEED_GAP, 5, 6);
    uint64_t request = s_test_fetch (feed, 2, 5, 2);
    s_test_quiet (feed);
    assert (gavel_feed_fetching (feed) && gavel_feed_next_deadline (feed) == now + 300);
    //  A stale answer changes nothing
    s_test_answered (feed, request + 1, 5, 6, 2, now);
    s_test_quiet (feed);
    s_test_answered (feed, request, 5, 9, 2, now);
    s_test_delivers (feed, 5, 6);
    s_test_range (feed, GAVEL_FEED_FILLED, 5, 6);
    //  History beyond the hole is not taken: the held copies go out
    gavel_feed_action_t *action = s_test_next (feed, GAVEL_FEED_DELIVER);
    assert (gavel_msg_seq (action->event) == 7 && gavel_msg_from (action->event) == 3);
    gavel_feed_action_destroy (&action);
    s_test_delivers (feed, 8, 8);
    s_test_quiet (feed);
    assert (!gavel_feed_fetching (feed));

    //  Reordered: the late event fills the hole before history does, and
    //  the answer that comes after is stale
    s_test_live (feed, 10, 1, now);
    s_test_range (feed, GAVEL_FEED_GAP, 9, 9);
    request = s_test_fetch (feed, 1, 9, 1);
    s_test_live (feed, 9, 0, now);
    s_test_delivers (feed, 9, 9);
    s_test_range (feed, GAVEL_FEED_FILLED, 9, 9);
    s_test_delivers (feed, 10, 10);
    s_test_answered (feed, request, 9, 9, 1, now);
    s_test_quiet (feed);

    //  History that never comes: each endpoint in turn, then the hole is
    //  passed over as lost, and so is any other before what is held
    s_test_live (feed, 12, 0, now);
    s_test_live (feed, 15, 0, now);
    s_test_range (feed, GAVEL_FEED_GAP, 11, 11);
    s_test_fetch (feed, 0, 11, 1);
    gavel_feed_tick (feed, now + 299);
    s_test_quiet (feed);
    now += 300;
    gavel_feed_tick (feed, now);
    s_test_fetch (feed, 1, 11, 1);
    gavel_feed_history_failed (feed, now);      //  could not send it
    s_test_fetch (feed, 2, 11, 1);
    now += 300;
    gavel_feed_tick (feed, now);
    action = s_test_next (feed, GAVEL_FEED_LOST);
    assert (action->from == 11 && action->to == 11 && action->cause == GAVEL_FEED_LOST_UNANSWERED);
    gavel_feed_action_destroy (&action);
    s_test_delivers (feed, 12, 12);
    action = s_test_next (feed, GAVEL_FEED_LOST);
    assert (action->from == 13 && action->to == 14 && action->cause == GAVEL_FEED_LOST_UNANSWERED);
    gavel_feed_action_destroy (&action);
    s_test_delivers (feed, 15, 15);
    s_test_quiet (feed);
    assert (gavel_feed_next_deadline (feed) == INT64_MAX);

    //  An answer that jumps over events, and one that stops short: lost;
    //  one not a success counts as no answer; a record that is no event is
    //  reported, as is one the follower's check refuses
    gavel_feed_set_check (feed, s_test_check);
    s_test_live (feed, 22, 1, now);
    s_test_range (feed, GAVEL_FEED_GAP, 16, 21);
    request = s_test_fetch (feed, 1, 16, 6);
    gavel_msg_t *refusal = gavel_msg_new_reply (request, GAVEL_EXCEPTION, "no-quorum", NULL);
    gavel_feed_history (feed, refusal, 1, 2, now);
    gavel_msg_destroy (&refusal);
    request = s_test_fetch (feed, 2, 16, 6);
    gavel_msg_t *reply = s_test_answer (request, 18, 19);
    gavel_msg_add_record (reply, "seq=20 index=30 term=1 event=bid");
    gavel_feed_history (feed, reply, 2, 3, now);
    gavel_msg_destroy (&reply);
    action = s_test_next (feed, GAVEL_FEED_LOST);
    assert (action->from == 16 && action->to == 17 && action->cause == GAVEL_FEED_LOST_NOT_KEPT);
    gavel_feed_action_destroy (&action);
    s_test_delivers (feed, 18, 19);
    action = s_test_next (feed, GAVEL_FEED_BAD_RECORD);
    assert (streq (action->record, "seq=20 index=30 term=1 event=bid"));
    assert (streq (action->why, "not a history record") && action->endpoint == 2);
    gavel_feed_action_destroy (&action);
    //  It moved on: ask again for the rest, from the one that answered
    request = s_test_fetch (feed, 2, 20, 2);
    s_test_answered (feed, request, 0, 0, 2, now);
    action = s_test_next (feed, GAVEL_FEED_LOST);
    assert (action->from == 20 && action->to == 21 && action->cause == GAVEL_FEED_LOST_NOT_FETCHED);
    gavel_feed_action_destroy (&action);
    s_test_delivers (feed, 22, 22);
    s_test_quiet (feed);
    s_test_live (feed, 24, 0, now);
    s_test_range (feed, GAVEL_FEED_GAP, 23, 23);
    request = s_test_fetch (feed, 0, 23, 1);
    s_test_answered (feed, request, 13, 13, 0, now);
    action = s_test_next (feed, GAVEL_FEED_BAD_RECORD);
    assert (streq (action->why, "unlucky"));
    gavel_feed_action_destroy (&action);
    s_test_range (feed, GAVEL_FEED_LOST, 23, 23);
    s_test_delivers (feed, 24, 24);
    gavel_feed_set_check (feed, NULL);

    //  The backlog is bounded: what it cannot hold is dropped, and fetched
    //  once the hole before it is filled
    s_test_live (feed, 30, 0, now);
    s_test_range (feed, GAVEL_FEED_GAP, 25, 29);
    request = s_test_fetch (feed, 0, 25, 5);
    for (uint64_t seq = 31; seq <= 36; seq++)
        s_test_live (feed, seq, 0, now);
    s_test_live (feed, 33, 1, now);         //  held already: no room taken
    assert (gavel_feed_overflowed (feed) == 3);
    s_test_quiet (feed);
    s_test_answered (feed, request, 25, 29, 0, now);
    s_test_delivers (feed, 25, 29);
    s_test_range (feed, GAVEL_FEED_FILLED, 25, 29);
    s_test_delivers (feed, 30, 33);
    s_test_quiet (feed);
    s_test_live (feed, 37, 1, now);
    s_test_fill (feed, 34, 36, 1, now);
    s_test_delivers (feed, 37, 37);

    //  A LAST beyond what we have is a hole up to it
    gavel_feed_last (feed, 37, 0, now);
    s_test_quiet (feed);
    gavel_feed_last (feed, 39, 2, now);
    s_test_fill (feed, 38, 39, 2, now);

    //  A heartbeat after a silence: what came meanwhile, to the end
    gavel_feed_heartbeat (feed, 1, now);
    request = s_test_fetch (feed, 1, 40, GAVEL_HISTORY_MAX);
    s_test_live (feed, 41, 0, now);         //  held meanwhile, and history has it
    s_test_answered (feed, request, 40, 41, 1, now);
    s_test_delivers (feed, 40, 41);
    s_test_quiet (feed);
    gavel_feed_heartbeat (feed, 1, now + 1000);
    s_test_quiet (feed);
    gavel_feed_heartbeat (feed, 1, now + 2001);
    request = s_test_fetch (feed, 1, 42, GAVEL_HISTORY_MAX);
    s_test_answered (feed, request, 0, 0, 1, now + 2001);
    s_test_quiet (feed);

    gavel_feed_destroy (&feed);
    gavel_feed_destroy (&feed);

    //  A restart far below: a new feed, followed from there; a number
    //  less far below is a repeat
    feed = gavel_feed_new (&settings);
    s_test_live (feed, 20000, 0, now);
    s_test_delivers (feed, 20000, 20000);
    s_test_live (feed, 20000 - GAVEL_HISTORY_MAX + 1, 0, now);
    s_test_quiet (feed);
    s_test_live (feed, 1, 0, now);
    s_test_range (feed, GAVEL_FEED_RESTART, 20000, 1);
    s_test_delivers (feed, 1, 1);
    s_test_live (feed, 2, 0, now);
    s_test_delivers (feed, 2, 2);
    s_test_quiet (feed);
    gavel_feed_destroy (&feed);

    //  Catch-up first: the last events of the history, then live ones
    settings.feed_endpoints = 2;
    settings.history_endpoints = 3;
    settings.history_at_source = false;
    feed = gavel_feed_new (&settings);
    gavel_feed_catch_up (feed, 3, now);
    request = s_test_fetch (feed, 0, 0, 3);
    s_test_live (feed, 9, 0, now);
    s_test_quiet (feed);
    s_test_answered (feed, request, 6, 8, 0, now);
    s_test_delivers (feed, 6, 9);
    s_test_quiet (feed);
    //  The history endpoints are not the feed's: the first is asked first
    s_test_live (feed, 11, 1, now);
    s_test_fill (feed, 10, 10, 0, now);
    s_test_delivers (feed, 11, 11);
    gavel_feed_destroy (&feed);
    //  Nobody answers it: said, and live events go on
    feed = gavel_feed_new (&settings);
    gavel_feed_catch_up (feed, 3, now);
    s_test_fetch (feed, 0, 0, 3);
    s_test_live (feed, 9, 0, now);
    gavel_feed_history_failed (feed, now);
    s_test_fetch (feed, 1, 0, 3);
    gavel_feed_history_failed (feed, now);
    s_test_fetch (feed, 2, 0, 3);
    gavel_feed_history_failed (feed, now);
    s_test_range (feed, GAVEL_FEED_LOST, 0, UINT64_MAX);
    s_test_delivers (feed, 9, 9);
    s_test_quiet (feed);
    gavel_feed_destroy (&feed);

    //  Nowhere to ask: a hole is said and passed over at once
    settings.history_endpoints = 0;
    feed = gavel_feed_new (&settings);
    s_test_live (feed, 1, 0, now);
    s_test_live (feed, 4, 0, now);
    s_test_live (feed, 3, 0, now);
    s_test_delivers (feed, 1, 1);
    s_test_range (feed, GAVEL_FEED_GAP, 2, 3);
    s_test_delivers (feed, 4, 4);
    gavel_feed_last (feed, 6, 0, now);
    s_test_range (feed, GAVEL_FEED_GAP, 5, 6);
    s_test_live (feed, 7, 0, now);
    s_test_delivers (feed, 7, 7);
    s_test_quiet (feed);
    gavel_feed_destroy (&feed);
    if (verbose)
        printf ("(virtual time) ");
    printf ("OK\n");
}
