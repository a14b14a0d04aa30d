/*  gavel_core: the replica's logic, driven by events with the time given.

    One file per concern would scatter a protocol that is easiest to check in
    one reading, so the sections below follow the life of a request: roles
    and terms, the primary's side (append, publish, count acks, commit,
    answer), the backup's side (store, verify, ack, catch up), the bully
    election, and the timers. docs/CORRECTNESS.md argues why it is safe.
*/
#include "gavel_core.h"
#include <stdarg.h>
#include "gavel_auction.h"
#include "gavel_entrylog.h"
#include "gavel_events.h"

//  A client request waiting for something: its entry to commit (writes),
//  a quorum to confirm we are still primary (reads), or a primary to exist
//  (held, on a replica that knows none).
typedef struct {
    zmsg_t *route;
    gavel_msg_t *request;
    uint64_t index;             //  writes: the entry; reads: the read index
    uint64_t seq;               //  reads: heartbeat a quorum must ack
    int64_t stamp;              //  reads: the stamp an entry appended on
                                //  arrival would have had
    int64_t deadline;
} waiting_t;

//  The last write a session has in this term's log: while not yet applied,
//  a resend of it (same session, same request id) waits for that entry
//  rather than logging a second copy that apply would only answer as a
//  replay. Once applied it stays, to be overwritten by the session's next
//  write: one allocation per session rather than per write.
typedef struct {
    uint64_t request_id;
    uint64_t index;
} pending_t;

#define PENDING_MAX     65536   //  sessions remembered; then they are forgotten at once

static void
s_pending_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  A SAVE_ENTRIES the shell has not reported persisted yet
typedef struct {
    uint64_t prev_index;        //  it drops every stored entry after this
    uint64_t index;             //  and leaves this one last, of term
    uint64_t term;
} save_t;

typedef enum {
    ROUND_PROBE = 1,            //  ELECTION sent: who is alive, who outranks us?
    ROUND_DEFER,                //  someone outranks us: give it time to win
    ROUND_COORDINATE            //  COORDINATOR sent: waiting for a majority
} round_phase_t;

struct _gavel_core_t {
    gavel_core_settings_t settings;
    size_t slot;                //  our position in settings.ids
    size_t majority;
    gavel_role_t role;
    uint64_t term;              //  durable
    uint64_t vote;              //  durable: coordinator accepted in term, or 0
    uint64_t primary;           //  the primary of our term, 0 when unknown
    gavel_entrylog_t *log;      //  durable up to `durable`
    uint64_t durable;           //  entries 1..durable are stored, and no
                                //  save not yet reported drops one of them
    zlistx_t *saves;            //  save_t, oldest first: not yet reported
    uint64_t commit;
    uint64_t applied;
    int64_t last_stamp;         //  entries' stamps never go back
    int64_t applied_stamp;      //  stamp of the last entry applied
    gavel_auction_t *auction;
    gavel_msg_t *snapshot;      //  the latest (taken, installed or loaded)
    gavel_events_t *history;    //  the last events applied, as HISTORY records
    zlistx_t *outbox;           //  of gavel_action_t

    bool started;
    int64_t heard;              //  when we last heard from our primary
    int64_t election_due;       //  backup: when silence becomes suspicion

    //  Candidate
    round_phase_t phase;
    int64_t round_deadline;
    int64_t round_sent;         //  when this phase's messages went out
    int64_t backoff;            //  round time-outs x this: doubles per
                                //  round that ends undecided, 1 once led
    int64_t rtt;                //  round trip to the other replicas, ms:
                                //  the slowest lately seen
    bool answered [GAVEL_CORE_REPLICAS_MAX];

    //  Primary
    uint64_t match [GAVEL_CORE_REPLICAS_MAX];       //  highest index stored there
    uint64_t acked_seq [GAVEL_CORE_REPLICAS_MAX];   //  highest heartbeat acked
    int64_t acked_at [GAVEL_CORE_REPLICAS_MAX];     //  when it last acked
    uint64_t term_start;        //  our NOOP: no CLOSE before it is applied
    uint64_t published;         //  last index sent in a LOG
    uint64_t hb_seq;
    int64_t hb_sent [16];       //  when heartbeat seq went out, by seq % 16
    bool hb_wanted;             //  a read waits for a fresh heartbeat round
    int64_t hb_due;
    int64_t primary_since;
    int64_t close_stamp;        //  stamp of the last CLOSE appended
    zlistx_t *writes;           //  waiting_t, by index
    zhashx_t *pending;          //  session -> pending_t
    zlistx_t *reads;            //  waiting_t, by seq
    zlistx_t *held;             //  waiting_t: no primary known yet

    //  Backup
    uint64_t verified;          //  our log matches the primary's up to here
    bool diverged;              //  our tail disagreed with the primary's
    uint64_t seq_seen;          //  highest heartbeat seq from our primary
    uint64_t acked;             //  index of our last ACK to that primary
    gavel_msg_t *batch;         //  entries stored from LOGs in a row, not yet saved
    bool ack_owed;              //  a LOG came since our last ACK
    int64_t fetch_due;          //  no new FETCH before this

    uint64_t refused;           //  peer messages refused as invalid
    gavel_core_stats_t stats;
    gavel_core_reporter_fn *reporter;
    void *reporter_arg;
    bool busy;                  //  a request or message came since the last flush
    gavel_core_tracer_fn *tracer;   //  who hears what we have to say, or NULL
    void *tracer_arg;
};

static void s_apply_committed (gavel_core_t *self, int64_t now);
static void s_serve_reads (gavel_core_t *self, int64_t now);
static void s_request_as_primary (gavel_core_t *self, waiting_t *waiting, int64_t now);
static void s_redirect_held (gavel_core_t *self, int64_t now);
static void s_save_batch (gavel_core_t *self);

//  ---------------------------------------------------------------------------
//  Settings, slots, outbox

void
gavel_core_settings_default (gavel_core_settings_t *settings, uint64_t id, size_t replicas)
{
    assert (replicas >= 1 && replicas <= GAVEL_CORE_REPLICAS_MAX);
    memset (settings, 0, sizeof *settings);
    settings->id = id;
    settings->replicas = replicas;
    for (size_t slot = 0; slot < replicas; slot++) {
        settings->ids [slot] = slot + 1;
        settings->clients [slot] = "";
    }
    settings->heartbeat = 50;
    settings->election = 250;
    settings->election_spread = 50;
    settings->request_timeout = 1000;
    settings->fetch_max = 1000;
    settings->snapshot_every = 10000;
}

static size_t
s_slot (gavel_core_t *self, uint64_t id)
{
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        if (self->settings.ids [slot] == id)
            return slot;
    return SIZE_MAX;
}

static void
s_action_free (void **item_p)
{
    gavel_action_destroy ((gavel_action_t **) item_p);
}

void
gavel_action_destroy (gavel_action_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_action_t *self = *self_p;
        zmsg_destroy (&self->route);
        gavel_msg_destroy (&self->msg);
        free (self);
        *self_p = NULL;
    }
}

static void
s_emit (gavel_core_t *self, gavel_action_kind_t kind, uint64_t to,
        zmsg_t **route_p, gavel_msg_t *msg)
{
    gavel_action_t *action = (gavel_action_t *) zmalloc (sizeof (gavel_action_t));
    assert (action);
    action->kind = kind;
    action->to = to;
    if (route_p) {
        action->route = *route_p;
        *route_p = NULL;
    }
    action->msg = msg;
    zlistx_add_end (self->outbox, action);
}

static void
s_reply (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t *reply)
{
    s_emit (self, GAVEL_ACTION_REPLY, 0, route_p, reply);
}

//  A peer message with our term and id filled in
static gavel_msg_t *
s_peer_msg (gavel_core_t *self, gavel_msg_id_t id)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_term (msg, self->term);
    gavel_msg_set_from (msg, self->settings.id);
    return msg;
}

static void
s_send_mesh_all (gavel_core_t *self, gavel_msg_t *msg)
{
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        if (slot != self->slot)
            s_emit (self, GAVEL_ACTION_MESH, self->settings.ids [slot], NULL, gavel_msg_dup (msg));
    gavel_msg_destroy (&msg);
}

static void
s_save_state (gavel_core_t *self)
{
    s_emit (self, GAVEL_ACTION_SAVE_STATE, 0, NULL, NULL);
    gavel_action_t *action = (gavel_action_t *) zlistx_last (self->outbox);
    action->term = self->term;
    action->vote = self->vote;
}

static void
s_save_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  Entries to store. The action carries what the shell reports once they
//  are durable; until then nothing this save drops counts as durable
//  (it may be on disk now, and gone once the save is carried out).
static void
s_save_entries (gavel_core_t *self, gavel_msg_t *save)
{
    save_t *pending = (save_t *) zmalloc (sizeof (save_t));
    assert (pending);
    pending->prev_index = gavel_msg_prev_index (save);
    pending->index = pending->prev_index + gavel_msg_entries (save);
    pending->term = gavel_entrylog_term_at (self->log, pending->index);
    zlistx_add_end (self->saves, pending);
    self->stats.saves++;
    self->stats.saved += gavel_msg_entries (save);
    if (self->durable > pending->prev_index)
        self->durable = pending->prev_index;
    s_emit (self, GAVEL_ACTION_SAVE_ENTRIES, 0, NULL, save);
    gavel_action_t *action = (gavel_action_t *) zlistx_last (self->outbox);
    action->index = pending->index;
    action->term = pending->term;
}

//  A snapshot is stored synchronously: what it covers is durable at once
static void
s_save_snapshot (gavel_core_t *self, gavel_msg_t *snapshot)
{
    s_emit (self, GAVEL_ACTION_SAVE_SNAPSHOT, 0, NULL, snapshot);
    if (self->durable < gavel_msg_index (snapshot))
        self->durable = gavel_msg_index (snapshot);
}

static void
s_trace (gavel_core_t *self, int64_t now, gavel_trace_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  What we have to say goes to the tracer, with the time of the event
static void
s_trace (gavel_core_t *self, int64_t now, gavel_trace_level_t level, const char *format, ...)
{
    if (!self->tracer)
        return;
    char text [GAVEL_RECORD_MAX + 256];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    self->tracer (self->tracer_arg, now, level, text);
}

//  ---------------------------------------------------------------------------
//  Waiting requests

static void
s_waiting_free (void **item_p)
{
    waiting_t *waiting = (waiting_t *) *item_p;
    if (waiting) {
        zmsg_destroy (&waiting->route);
        gavel_msg_destroy (&waiting->request);
        free (waiting);
        *item_p = NULL;
    }
}

static zlistx_t *
s_waiting_list (void)
{
    zlistx_t *list = zlistx_new ();
    assert (list);
    zlistx_set_destructor (list, s_waiting_free);
    return list;
}

//  Writes wait in entry order, resends beside their first copy
static int
s_waiting_compare_index (const void *item1, const void *item2)
{
    const waiting_t *first = (const waiting_t *) item1;
    const waiting_t *second = (const waiting_t *) item2;
    return first->index < second->index? -1: first->index > second->index? 1: 0;
}

static waiting_t *
s_waiting_new (zmsg_t **route_p, gavel_msg_t **request_p, int64_t deadline)
{
    waiting_t *waiting = (waiting_t *) zmalloc (sizeof (waiting_t));
    assert (waiting);
    waiting->route = *route_p;
    *route_p = NULL;
    waiting->request = *request_p;
    *request_p = NULL;
    waiting->deadline = deadline;
    return waiting;
}

//  Answer a waiting request with an exception and drop it
static void
s_give_up (gavel_core_t *self, waiting_t *waiting, const char *reason, const char *message)
{
    gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (waiting->request),
                                              GAVEL_EXCEPTION, reason, "%s", message);
    s_reply (self, &waiting->route, reply);
}

//  Drop every request whose time is up; each gets no-quorum
static void
s_expire (gavel_core_t *self, zlistx_t *list, int64_t now)
{
    void *handle = zlistx_first (list)? zlistx_cursor (list): NULL;
    while (handle) {
        waiting_t *waiting = (waiting_t *) zlistx_handle_item (handle);
        void *next = zlistx_next (list)? zlistx_cursor (list): NULL;
        if (waiting->deadline <= now) {
            s_give_up (self, waiting, "no-quorum",
                       "no majority of replicas confirmed this request in time; "
                       "retry it with the same request id to learn its outcome");
            zlistx_delete (list, handle);
        }
        handle = next;
    }
}

static int64_t
s_earliest (zlistx_t *list)
{
    int64_t earliest = INT64_MAX;
    for (waiting_t *waiting = (waiting_t *) zlistx_first (list); waiting;
         waiting = (waiting_t *) zlistx_next (list))
        if (waiting->deadline < earliest)
            earliest = waiting->deadline;
    return earliest;
}

//  ---------------------------------------------------------------------------
//  Roles and terms: every role change goes through here, and is logged

static int64_t
s_election_timeout (gavel_core_t *self)
{
    //  Higher ids wait less, so the replica that wins ties of rank usually
    //  asks first; the term varies it so two rounds do not collide twice.
    size_t replicas = self->settings.replicas;
    int64_t spread = self->settings.election_spread;
    int64_t rank_wait = replicas > 1? spread * (int64_t) (replicas - 1 - self->slot) / (int64_t) (replicas - 1): 0;
    int64_t jitter = spread? (int64_t) ((self->term * 7 + self->settings.id * 13) % 11) * spread / 20: 0;
    return self->settings.election + rank_wait + jitter;
}

//  Timers that wait for an answer from the other replicas must outlast the
//  round trip, or on a slow link no round ever completes: each is at least
//  twice the round trip measured plus a heartbeat, and a round that ended
//  with no decision doubles them for the next (up to 16 times), so that
//  even a replica that has measured nothing yet gets there.
static int64_t
s_answer_time (gavel_core_t *self, int64_t base)
{
    int64_t floor = 2 * self->rtt + self->settings.heartbeat;
    return (base > floor? base: floor) * self->backoff;
}

//  How long a request may wait for a majority: the configured time, or on
//  a link so slow that a write's round trip would not fit in it, that round
//  trip plus a heartbeat (not stretched by failed rounds: a replica cut off
//  says no-quorum on time)
static int64_t
s_request_time (gavel_core_t *self)
{
    int64_t floor = 2 * self->rtt + self->settings.heartbeat;
    return self->settings.request_timeout > floor? self->settings.request_timeout: floor;
}

//  The slowest round trip lately: a new maximum at once, lower ones slowly
static void
s_measure_rtt (gavel_core_t *self, int64_t sample)
{
    if (sample < 0)
        return;
    if (sample > 60000)
        sample = 60000;
    self->rtt = sample > self->rtt? sample: (7 * self->rtt + sample) / 8;
}

static const char *s_role_names [] = { "", "backup", "candidate", "primary" };

static void
s_log_role (gavel_core_t *self, const char *what, int64_t now)
{
    s_trace (self, now, GAVEL_TRACE_INFO, "replica %" PRIu64 " %s term %" PRIu64 ": %s",
             self->settings.id, s_role_names [self->role], self->term, what);
}

//  Requests waiting on the primary are handed on: a deposed primary cannot
//  know whether its uncommitted entries will survive, so the client is sent
//  to the new primary with the same request id, where de-duplication tells.
static void s_save_unpublished (gavel_core_t *self);

static void
s_become_backup (gavel_core_t *self, int64_t now)
{
    bool was_primary = self->role == GAVEL_ROLE_PRIMARY;
    gavel_role_t before = self->role;
    self->role = GAVEL_ROLE_BACKUP;
    self->election_due = now + s_election_timeout (self);
    if (was_primary) {
        s_save_unpublished (self);
        zhashx_purge (self->pending);
        waiting_t *waiting;
        while ((waiting = (waiting_t *) zlistx_detach (self->writes, NULL)))
            zlistx_add_end (self->held, waiting);
        while ((waiting = (waiting_t *) zlistx_detach (self->reads, NULL)))
            zlistx_add_end (self->held, waiting);
        s_log_role (self, "stepped down", now);
    }
    else
    if (before == GAVEL_ROLE_CANDIDATE)
        s_log_role (self, "round over", now);
}

static bool
s_raise_term (gavel_core_t *self, uint64_t term)
{
    if (term <= self->term)
        return false;
    self->term = term;
    self->vote = 0;
    self->primary = 0;
    self->verified = 0;
    self->stats.terms++;
    s_save_state (self);
    return true;
}

//  A message of a higher term: adopt it, forget our vote, and stop leading
static void
s_observe_term (gavel_core_t *self, uint64_t term, int64_t now)
{
    if (s_raise_term (self, term) && self->role != GAVEL_ROLE_BACKUP)
        s_become_backup (self, now);
}

//  We hear from the primary of our term
static void
s_follow (gavel_core_t *self, uint64_t primary, int64_t now)
{
    if (self->role == GAVEL_ROLE_CANDIDATE)
        s_become_backup (self, now);
    if (self->primary != primary) {
        self->primary = primary;
        self->verified = 0;
        self->seq_seen = 0;
        self->acked = 0;
        s_trace (self, now, GAVEL_TRACE_INFO, "replica %" PRIu64 " backup term %" PRIu64
                 ": following primary %" PRIu64, self->settings.id, self->term, primary);
    }
    self->heard = now;
    self->backoff = 1;
    self->election_due = now + s_election_timeout (self);
    s_redirect_held (self, now);
}

//  A backup that heard its primary lately ignores elections: a replica cut
//  off from the primary must not depose it while the rest still hear it.
static bool
s_primary_is_fresh (gavel_core_t *self, int64_t now)
{
    if (self->role == GAVEL_ROLE_PRIMARY)
        return true;
    return self->primary != 0
        && now - self->heard < self->settings.election - self->settings.heartbeat;
}

static void
s_append (gavel_core_t *self, gavel_msg_t **entry_p, int64_t now)
{
    gavel_msg_t *entry = *entry_p;
    if (now > self->last_stamp)
        self->last_stamp = now;
    gavel_msg_set_term (entry, self->term);
    gavel_msg_set_index (entry, gavel_entrylog_last_index (self->log) + 1);
    gavel_msg_set_stamp (entry, self->last_stamp);
    gavel_entrylog_append (self->log, entry_p);
}

static void
s_become_primary (gavel_core_t *self, int64_t now)
{
    self->role = GAVEL_ROLE_PRIMARY;
    self->primary = self->settings.id;
    self->stats.elected++;
    zhashx_purge (self->pending);
    self->backoff = 1;
    memset (self->match, 0, sizeof self->match);
    memset (self->acked_seq, 0, sizeof self->acked_seq);
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        self->acked_at [slot] = now;
    //  Backups fetch what they lack; we publish only what we append now
    self->published = gavel_entrylog_last_index (self->log);
    self->close_stamp = 0;
    self->primary_since = now;
    self->hb_due = now;
    gavel_msg_t *noop = gavel_msg_new (GAVEL_MSG_NOOP);
    gavel_msg_set_from (noop, self->settings.id);
    s_append (self, &noop, now);
    self->term_start = gavel_entrylog_last_index (self->log);
    s_log_role (self, "elected primary", now);
    waiting_t *waiting;
    while ((waiting = (waiting_t *) zlistx_detach (self->held, NULL)))
        s_request_as_primary (self, waiting, now);
}

//  ---------------------------------------------------------------------------
//  Client requests

static void
s_status (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t *request)
{
    gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "id=%" PRIu64 " role=%s term=%" PRIu64 " commit=%" PRIu64
                          " applied=%" PRIu64 " last=%" PRIu64 " primary=%" PRIu64
                          " auctions=%zu open=%zu bidders=%zu",
                          self->settings.id, s_role_names [self->role], self->term,
                          self->commit, self->applied, gavel_entrylog_last_index (self->log),
                          self->primary, gavel_auction_count (self->auction),
                          gavel_auction_open_count (self->auction),
                          gavel_auction_bidders (self->auction));
    const gavel_core_stats_t *stats = &self->stats;
    gavel_msg_add_record (reply, "turns=%" PRIu64 " requests=%" PRIu64 " logs_out=%" PRIu64
                          " entries_out=%" PRIu64 " acks_in=%" PRIu64 " logs_in=%" PRIu64
                          " entries_in=%" PRIu64 " saves=%" PRIu64 " saved=%" PRIu64
                          " acks_out=%" PRIu64 " rounds=%" PRIu64 " terms=%" PRIu64
                          " elected=%" PRIu64, stats->turns, stats->requests, stats->logs_out,
                          stats->entries_out, stats->acks_in, stats->logs_in, stats->entries_in,
                          stats->saves, stats->saved, stats->acks_out, stats->rounds,
                          stats->terms, stats->elected);
    if (self->reporter)
        self->reporter (self->reporter_arg, reply);
    s_reply (self, route_p, reply);
}

//  HISTORY: the events kept here from a seq on (0: the last COUNT), oldest
//  first. Committed events only, so any replica may answer; a backup that
//  lags ends earlier, and one that started since begins later.
static void
s_history (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t *request)
{
    gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request), GAVEL_SUCCESS, NULL, NULL);
    uint64_t from = gavel_msg_seq (request);
    size_t count = gavel_msg_count (request);
    size_t kept = gavel_events_size (self->history);
    size_t position = from == 0 && kept > count? kept - count: 0;
    for (; position < kept && count; position++) {
        uint64_t seq;
        const char *line = gavel_events_at (self->history, position, &seq);
        if (seq >= from) {
            gavel_msg_add_record (reply, "%s", line);
            count--;
        }
    }
    s_reply (self, route_p, reply);
}

static void
s_redirect (gavel_core_t *self, waiting_t *waiting)
{
    size_t slot = s_slot (self, self->primary);
    assert (slot != SIZE_MAX);
    gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (waiting->request), GAVEL_REDIRECT,
                                              "not-primary", "replica %" PRIu64 " is primary",
                                              self->primary);
    gavel_msg_add_record (reply, "primary=%" PRIu64 " client=%s", self->primary,
                          self->settings.clients [slot]);
    s_reply (self, &waiting->route, reply);
}

//  Held requests go to the primary as soon as we know one
static void
s_redirect_held (gavel_core_t *self, int64_t now)
{
    if (self->role == GAVEL_ROLE_PRIMARY || self->primary == 0)
        return;
    waiting_t *waiting;
    while ((waiting = (waiting_t *) zlistx_first (self->held))) {
        s_redirect (self, waiting);
        zlistx_delete (self->held, zlistx_cursor (self->held));
    }
}

static void
s_append_request (gavel_core_t *self, waiting_t *waiting, int64_t now)
{
    const char *session = gavel_msg_session (waiting->request);
    uint64_t request_id = gavel_msg_request_id (waiting->request);
    pending_t *pending = (pending_t *) zhashx_lookup (self->pending, session);
    if (pending && pending->request_id == request_id && pending->index > self->applied) {
        //  A resend while the first copy waits for a majority
        waiting->index = pending->index;
        zlistx_insert (self->writes, waiting, false);
        return;
    }
    gavel_msg_t *entry = gavel_msg_dup (waiting->request);
    s_append (self, &entry, now);
    waiting->index = gavel_entrylog_last_index (self->log);
    zlistx_add_end (self->writes, waiting);
    if (!pending) {
        //  Bounded: forgetting them all costs at worst a resend logged twice
        if (zhashx_size (self->pending) >= PENDING_MAX)
            zhashx_purge (self->pending);
        pending = (pending_t *) zmalloc (sizeof (pending_t));
        assert (pending);
        zhashx_insert (self->pending, session, pending);
    }
    pending->request_id = request_id;
    pending->index = waiting->index;
}

//  Writes go in the log. Reads, and writes whose answer every later state
//  would give too (refusals, replays: they change nothing), are answered
//  from the state once it is known to be current: a quorum has acked a
//  heartbeat sent after the request arrived (so no newer primary exists),
//  and the state has applied every entry that was in our log when it
//  arrived (this term's first entry among them). docs/CORRECTNESS.md,
//  "Reads and the deadline", argues why the log's end and not the commit
//  index.
static void
s_request_as_primary (gavel_core_t *self, waiting_t *waiting, int64_t now)
{
    int64_t stamp = now > self->last_stamp? now: self->last_stamp;
    gavel_msg_id_t id = gavel_msg_id (waiting->request);
    gavel_msg_t *answer = gavel_auction_answer_unlogged (self->auction, waiting->request, stamp);
    bool write = (id == GAVEL_MSG_OPEN || id == GAVEL_MSG_BID) && !answer;
    gavel_msg_destroy (&answer);
    if (write)
        s_append_request (self, waiting, now);
    else {
        //  Read as if appended now: after every entry already in the log
        //  (committed or not, so that an entry stamped before a deadline is
        //  seen by any read that says the auction closed), at this stamp
        waiting->index = gavel_entrylog_last_index (self->log);
        waiting->stamp = stamp;
        waiting->seq = self->hb_seq + 1;
        self->hb_wanted = true;
        zlistx_add_end (self->reads, waiting);
    }
}

void
gavel_core_request (gavel_core_t *self, zmsg_t **route_p, gavel_msg_t **request_p, int64_t now)
{
    assert (request_p && *request_p);
    s_save_batch (self);
    self->stats.requests++;
    self->busy = true;
    gavel_msg_id_t id = gavel_msg_id (*request_p);
    if (id == GAVEL_MSG_STATUS || id == GAVEL_MSG_HISTORY) {
        if (id == GAVEL_MSG_STATUS)
            s_status (self, route_p, *request_p);
        else
            s_history (self, route_p, *request_p);
        gavel_msg_destroy (request_p);
        return;
    }
    if (id != GAVEL_MSG_OPEN && id != GAVEL_MSG_BID && id != GAVEL_MSG_RESULT && id != GAVEL_MSG_LIST) {
        gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (*request_p), GAVEL_EXCEPTION,
                                                  "unknown-command", "%s is not a client request",
                                                  gavel_msg_command (*request_p));
        s_reply (self, route_p, reply);
        gavel_msg_destroy (request_p);
        return;
    }
    zmsg_t *no_route = NULL;
    waiting_t *waiting = s_waiting_new (route_p? route_p: &no_route, request_p,
                                        now + s_request_time (self));
    //  A primary silent for two heartbeats may be dead: rather than send the
    //  client there, hold the request until it speaks or a new one is elected
    bool primary_alive = self->primary && now - self->heard < 2 * self->settings.heartbeat;
    if (self->role == GAVEL_ROLE_PRIMARY)
        s_request_as_primary (self, waiting, now);
    else
    if (primary_alive) {
        s_redirect (self, waiting);
        s_waiting_free ((void **) &waiting);
    }
    else
        zlistx_add_end (self->held, waiting);
}

//  ---------------------------------------------------------------------------
//  Applying committed entries, answering writes and reads

//  The primary publishes what each committed entry changed, for watchers:
//  topic "event", each event numbered in the replicated state (seq 1, 2, ...
//  with no holes), so a subscriber can tell a dropped event from none.
//  Every replica numbers and keeps the last events, so any answers HISTORY.
static void
s_publish_event (gavel_core_t *self, gavel_msg_t *entry, const char *format, ...)
{
    char record [GAVEL_RECORD_MAX + 1];
    va_list args;
    va_start (args, format);
    vsnprintf (record, sizeof record, format, args);
    va_end (args);
    uint64_t seq = gavel_auction_next_event (self->auction);
    gavel_events_add (self->history, seq, gavel_msg_index (entry), gavel_msg_term (entry),
                      gavel_msg_stamp (entry), record);
    if (self->role != GAVEL_ROLE_PRIMARY)
        return;
    gavel_msg_t *event = s_peer_msg (self, GAVEL_MSG_EVENT);
    gavel_msg_set_index (event, gavel_msg_index (entry));
    gavel_msg_set_seq (event, seq);
    gavel_msg_set_stamp (event, gavel_msg_stamp (entry));
    gavel_msg_add_record (event, "%s", record);
    s_emit (self, GAVEL_ACTION_PUBLISH, 0, NULL, event);
}

static gavel_msg_t *
s_apply_request (gavel_core_t *self, gavel_msg_t *entry)
{
    bool replay = gavel_auction_is_replay (self->auction, entry);
    gavel_msg_t *reply = gavel_auction_apply (self->auction, entry, gavel_msg_stamp (entry));
    if (replay || gavel_msg_outcome (reply) != GAVEL_SUCCESS)
        return reply;
    char auction [24];
    gavel_record_get (gavel_msg_record (reply, 0), "auction", auction, sizeof auction);
    if (gavel_msg_id (entry) == GAVEL_MSG_OPEN)
        s_publish_event (self, entry, "event=opened auction=%s item=%s by=%s closes_at=%" PRId64
                         " reserve=%" PRId64, auction, gavel_msg_item (entry), gavel_msg_name (entry),
                         gavel_auction_deadline (gavel_msg_stamp (entry), gavel_msg_duration (entry)),
                         gavel_msg_reserve (entry));
    else
        s_publish_event (self, entry, "event=bid auction=%s bidder=%s amount=%" PRId64,
                         auction, gavel_msg_name (entry), gavel_msg_amount (entry));
    return reply;
}

static void
s_apply_entry (gavel_core_t *self, gavel_msg_t *entry, int64_t now)
{
    gavel_msg_id_t id = gavel_msg_id (entry);
    gavel_msg_t *reply = NULL;
    if (id == GAVEL_MSG_OPEN || id == GAVEL_MSG_BID)
        reply = s_apply_request (self, entry);
    else
    if (id == GAVEL_MSG_NOOP)
        //  Each term's primary opens it with a no-op naming itself
        s_publish_event (self, entry, "event=primary primary=%" PRIu64 " term=%" PRIu64,
                         gavel_msg_from (entry), gavel_msg_term (entry));
    else
    if (id == GAVEL_MSG_CLOSE) {
        zlist_t *closed = zlist_new ();
        zlist_autofree (closed);
        gavel_auction_close_due (self->auction, gavel_msg_stamp (entry), closed);
        for (char *line = (char *) zlist_first (closed); line; line = (char *) zlist_next (closed)) {
            s_trace (self, now, GAVEL_TRACE_INFO, "replica %" PRIu64 " %s term %" PRIu64 ": closed %s",
                     self->settings.id, s_role_names [self->role], self->term, line);
            s_publish_event (self, entry, "event=closed %s", line);
        }
        zlist_destroy (&closed);
    }
    self->applied = gavel_msg_index (entry);
    self->applied_stamp = gavel_msg_stamp (entry);
    //  The primary answers the clients whose entries these are
    waiting_t *waiting = (waiting_t *) zlistx_first (self->writes);
    while (waiting && waiting->index <= self->applied) {
        if (waiting->index == self->applied && reply)
            s_reply (self, &waiting->route, gavel_msg_share (reply));
        zlistx_delete (self->writes, zlistx_cursor (self->writes));
        waiting = (waiting_t *) zlistx_first (self->writes);
    }
    gavel_msg_destroy (&reply);
}

static uint64_t
s_snapshot_index (gavel_core_t *self)
{
    return self->snapshot? gavel_msg_index (self->snapshot): 0;
}

//  Every snapshot_every applied entries, the state goes to disk and the log
//  before it can go. Memory keeps the entries since the previous snapshot,
//  so a backup a little behind still gets entries rather than a snapshot.
static void
s_take_snapshot (gavel_core_t *self)
{
    uint64_t previous = s_snapshot_index (self);
    if (self->applied - previous < self->settings.snapshot_every)
        return;
    gavel_msg_t *snapshot = s_peer_msg (self, GAVEL_MSG_SNAPSHOT);
    gavel_msg_set_index (snapshot, self->applied);
    gavel_msg_set_last_term (snapshot, gavel_entrylog_term_at (self->log, self->applied));
    gavel_msg_set_commit (snapshot, self->applied);
    zmsg_t *state = gavel_auction_save (self->auction);
    gavel_msg_set_payload (snapshot, &state);
    s_save_snapshot (self, gavel_msg_dup (snapshot));
    gavel_entrylog_compact (self->log, previous, gavel_entrylog_term_at (self->log, previous));
    gavel_msg_destroy (&self->snapshot);
    self->snapshot = snapshot;
}

static void
s_apply_committed (gavel_core_t *self, int64_t now)
{
    while (self->applied < self->commit)
        s_apply_entry (self, gavel_entrylog_at (self->log, self->applied + 1), now);
    s_take_snapshot (self);
    if (self->role == GAVEL_ROLE_PRIMARY)
        s_serve_reads (self, now);
}

static size_t
s_seq_quorum (gavel_core_t *self, uint64_t seq)
{
    size_t count = 1;           //  ourselves
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        if (slot != self->slot && self->acked_seq [slot] >= seq)
            count++;
    return count;
}

static void
s_serve_reads (gavel_core_t *self, int64_t now)
{
    waiting_t *waiting;
    while ((waiting = (waiting_t *) zlistx_first (self->reads))) {
        if (self->applied < waiting->index
        ||  s_seq_quorum (self, waiting->seq) < self->majority)
            break;
        //  The state now holds every entry stamped before `stamp`, and every
        //  entry after it is stamped at `stamp` or later
        int64_t stamp = waiting->stamp > self->applied_stamp? waiting->stamp: self->applied_stamp;
        if (gavel_auction_closing (self->auction, waiting->request, stamp)) {
            //  Closed by our clock only: wait for the CLOSE entry (s_close_due
            //  appends it at once), so that "closed" stays true under any
            //  later primary, whatever its clock says
            if (waiting->index >= gavel_entrylog_last_index (self->log))
                break;
            waiting->index = gavel_entrylog_last_index (self->log);
            continue;
        }
        zlistx_detach (self->reads, NULL);
        gavel_msg_id_t id = gavel_msg_id (waiting->request);
        if (id == GAVEL_MSG_BID || id == GAVEL_MSG_OPEN) {
            //  Decided now, at the state of now: still an answer of its own,
            //  or (the state moved on meanwhile) one for the log to decide
            gavel_msg_t *reply = gavel_auction_answer_unlogged (self->auction, waiting->request, stamp);
            if (reply) {
                s_reply (self, &waiting->route, reply);
                s_waiting_free ((void **) &waiting);
            }
            else
                s_append_request (self, waiting, now);
        }
        else {
            s_reply (self, &waiting->route, gavel_auction_query (self->auction, waiting->request, stamp));
            s_waiting_free ((void **) &waiting);
        }
    }
}

static int
s_compare_desc (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y? 1: x > y? -1: 0;
}

//  An entry is committed once a majority stores it, but only entries of our
//  own term are counted: older ones commit with them (the Raft rule that
//  stops a deposed term's entry from being committed and then overwritten).
//  We count ourselves up to what the shell reported durable, as a backup
//  acks only that.
static void
s_advance_commit (gavel_core_t *self, int64_t now)
{
    uint64_t stored [GAVEL_CORE_REPLICAS_MAX];
    size_t replicas = self->settings.replicas;
    for (size_t slot = 0; slot < replicas; slot++)
        stored [slot] = slot != self->slot? self->match [slot]
                      : self->durable < self->published? self->durable: self->published;
    qsort (stored, replicas, sizeof stored [0], s_compare_desc);
    uint64_t candidate = stored [self->majority - 1];
    if (candidate > self->commit && gavel_entrylog_term_at (self->log, candidate) == self->term) {
        self->commit = candidate;
        s_apply_committed (self, now);
    }
}

//  ---------------------------------------------------------------------------
//  The primary's side: publish, heartbeat, acks, fetches

static void
s_heartbeat (gavel_core_t *self, int64_t now)
{
    gavel_msg_t *hb = s_peer_msg (self, GAVEL_MSG_HB);
    gavel_msg_set_commit (hb, self->commit);
    gavel_msg_set_last_index (hb, gavel_entrylog_last_index (self->log));
    gavel_msg_set_seq (hb, ++self->hb_seq);
    self->hb_sent [self->hb_seq % 16] = now;
    s_emit (self, GAVEL_ACTION_PUBLISH, 0, NULL, hb);
    self->hb_due = now + self->settings.heartbeat;
    self->hb_wanted = false;
}

//  Store what was appended since the last publish. The flush does it after
//  publishing; a primary that steps down between appending and its flush
//  (it lost its quorum, or heard a newer term, in the same loop turn) never
//  publishes what it appended, but stores it all the same, so that its log
//  in memory is never
//  ahead of its disk. Otherwise a later term of ours would count those
//  entries as held here without any store holding them, and the store
//  would be asked to append after a hole.
static void
s_save_unpublished (gavel_core_t *self)
{
    uint64_t last = gavel_entrylog_last_index (self->log);
    if (last == self->published)
        return;
    gavel_msg_t *save = gavel_msg_new (GAVEL_MSG_LOG);
    gavel_msg_set_prev_index (save, self->published);
    for (uint64_t index = self->published + 1; index <= last; index++) {
        gavel_msg_t *entry = gavel_msg_share (gavel_entrylog_at (self->log, index));
        gavel_msg_add_entry (save, &entry);
    }
    s_save_entries (self, save);
    self->published = last;
}

//  Entries appended since the last flush: one LOG message, then stored. The
//  backups store them while we do (with fsync always, the two waits overlap
//  instead of adding up); we count ourselves only once our save is
//  reported persisted (gavel_core_persisted), so every reply comes after it.
static void
s_publish (gavel_core_t *self, int64_t now)
{
    uint64_t last = gavel_entrylog_last_index (self->log);
    if (last == self->published)
        return;
    gavel_msg_t *log = s_peer_msg (self, GAVEL_MSG_LOG);
    gavel_msg_set_prev_index (log, self->published);
    gavel_msg_set_prev_term (log, gavel_entrylog_term_at (self->log, self->published));
    gavel_msg_set_commit (log, self->commit);
    //  Entries never change once in the log: the messages share them
    for (uint64_t index = self->published + 1; index <= last; index++) {
        gavel_msg_t *entry = gavel_msg_share (gavel_entrylog_at (self->log, index));
        gavel_msg_add_entry (log, &entry);
    }
    self->stats.logs_out++;
    self->stats.entries_out += last - self->published;
    s_emit (self, GAVEL_ACTION_PUBLISH, 0, NULL, log);
    s_save_unpublished (self);
    s_advance_commit (self, now);
}

static void
s_on_ack (gavel_core_t *self, gavel_msg_t *ack, int64_t now)
{
    if (self->role != GAVEL_ROLE_PRIMARY || gavel_msg_term (ack) != self->term)
        return;
    size_t slot = s_slot (self, gavel_msg_from (ack));
    if (slot == SIZE_MAX || slot == self->slot)
        return;
    self->stats.acks_in++;
    uint64_t index = gavel_msg_index (ack);
    if (index > self->published)
        index = self->published;
    if (index > self->match [slot])
        self->match [slot] = index;
    uint64_t seq = gavel_msg_seq (ack);
    if (seq > self->acked_seq [slot] && seq <= self->hb_seq) {
        //  The first ack of a heartbeat times the round trip
        if (seq + 16 > self->hb_seq)
            s_measure_rtt (self, now - self->hb_sent [seq % 16]);
        self->acked_seq [slot] = seq;
    }
    self->acked_at [slot] = now;
    s_advance_commit (self, now);
    s_serve_reads (self, now);
}

static void
s_on_fetch (gavel_core_t *self, gavel_msg_t *fetch, int64_t now)
{
    if (self->role != GAVEL_ROLE_PRIMARY)
        return;
    uint64_t last = gavel_entrylog_last_index (self->log);
    uint64_t first = gavel_msg_index (fetch);
    if (first == 0)
        first = 1;              //  entry 0 does not exist: the log starts at 1
    if (first <= gavel_entrylog_base (self->log)) {
        //  A base above zero came from a snapshot, which we keep
        assert (self->snapshot);
        //  What it lacks is only in our snapshot now: send that
        gavel_msg_t *snapshot = gavel_msg_dup (self->snapshot);
        gavel_msg_set_term (snapshot, self->term);
        gavel_msg_set_from (snapshot, self->settings.id);
        gavel_msg_set_commit (snapshot, self->commit);
        s_emit (self, GAVEL_ACTION_MESH, gavel_msg_from (fetch), NULL, snapshot);
        return;
    }
    if (first > last + 1)
        first = last + 1;
    gavel_msg_t *entries = s_peer_msg (self, GAVEL_MSG_ENTRIES);
    gavel_msg_set_prev_index (entries, first - 1);
    gavel_msg_set_prev_term (entries, gavel_entrylog_term_at (self->log, first - 1));
    gavel_msg_set_commit (entries, self->commit);
    gavel_msg_set_last_index (entries, last);
    for (uint64_t index = first; index <= last && index < first + self->settings.fetch_max; index++) {
        gavel_msg_t *entry = gavel_msg_share (gavel_entrylog_at (self->log, index));
        gavel_msg_add_entry (entries, &entry);
    }
    s_emit (self, GAVEL_ACTION_MESH, gavel_msg_from (fetch), NULL, entries);
}

//  A primary that no majority has acked for an election time-out is cut
//  off: it steps down so that its clients go and find the real one.
static void
s_check_quorum (gavel_core_t *self, int64_t now)
{
    int64_t window = s_answer_time (self, self->settings.election);
    if (now - self->primary_since < window)
        return;
    size_t heard = 1;
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        if (slot != self->slot && now - self->acked_at [slot] < window)
            heard++;
    if (heard < self->majority) {
        self->primary = 0;
        s_become_backup (self, now);
    }
}

//  ---------------------------------------------------------------------------
//  The backup's side: verify, store, ack, catch up

//  What a backup acks: where its log matches the primary's, and no further
//  than what is durable here
static uint64_t
s_ack_index (gavel_core_t *self)
{
    return self->verified < self->durable? self->verified: self->durable;
}

static void
s_ack (gavel_core_t *self)
{
    gavel_msg_t *ack = s_peer_msg (self, GAVEL_MSG_ACK);
    self->stats.acks_out++;
    self->acked = s_ack_index (self);
    gavel_msg_set_index (ack, self->acked);
    gavel_msg_set_seq (ack, self->seq_seen);
    s_emit (self, GAVEL_ACTION_ACK, self->primary, NULL, ack);
}

//  A backup saves the entries of the LOGs it takes in a row with one save,
//  and acks them with one ACK: its batches grow with the load. Anything
//  else that happens to the core first saves and acks what came so far
//  (s_save_batch), so that no other message leaves ahead of the save it
//  may count on; a cut of the log saves what the batch holds before it.
static void
s_save_batch_entries (gavel_core_t *self)
{
    if (self->batch) {
        gavel_msg_t *batch = self->batch;
        self->batch = NULL;
        s_save_entries (self, batch);
    }
}

static void
s_save_batch (gavel_core_t *self)
{
    s_save_batch_entries (self);
    if (self->ack_owed) {
        self->ack_owed = false;
        //  An ACK that would say nothing new is left out: what was just
        //  saved is acked once it is persisted (s_ack_durable), and with a
        //  writer behind the loop that is a later turn
        if (self->role == GAVEL_ROLE_BACKUP && self->primary && s_ack_index (self) > self->acked)
            s_ack (self);
    }
}

//  Tell a replica of an older term that it is one: its primary steps down
static void
s_fence (gavel_core_t *self, uint64_t stale)
{
    gavel_msg_t *ack = s_peer_msg (self, GAVEL_MSG_ACK);
    s_emit (self, GAVEL_ACTION_ACK, stale, NULL, ack);
}

//  Ask the primary for what we lack. Everything up to our commit index is
//  known to match, so asking from there always converges.
static void
s_fetch (gavel_core_t *self, int64_t now)
{
    if (now < self->fetch_due)
        return;
    //  Optimistic: ask for what follows our log; after a disagreement, from
    //  the last point known to match
    uint64_t from = gavel_entrylog_last_index (self->log) + 1;
    if (self->diverged)
        from = (self->verified > self->commit? self->verified: self->commit) + 1;
    gavel_msg_t *fetch = s_peer_msg (self, GAVEL_MSG_FETCH);
    gavel_msg_set_index (fetch, from);
    s_emit (self, GAVEL_ACTION_MESH, self->primary, NULL, fetch);
    self->fetch_due = now + 2 * self->settings.heartbeat;
}

static void
s_learn_commit (gavel_core_t *self, uint64_t commit, int64_t now)
{
    if (commit > self->verified)
        commit = self->verified;
    if (commit > self->commit) {
        self->commit = commit;
        s_apply_committed (self, now);
    }
}

//  Store the entries of a LOG or ENTRIES that follow prev_index, keeping
//  what we already hold of the same term and cutting at the first conflict.
//  Entries up to our commit index are known to match (that is the whole
//  protocol): those are skipped, and s_log_fits has refused a message that
//  disagrees with them. Returns false when prev_index does not match our log
//  (then we fetch).
static bool
s_store (gavel_core_t *self, gavel_msg_t *msg)
{
    uint64_t prev_index = gavel_msg_prev_index (msg);
    uint64_t last = gavel_entrylog_last_index (self->log);
    if (prev_index > last)
        return false;           //  a gap: we missed something
    if (prev_index > self->commit
    &&  gavel_entrylog_term_at (self->log, prev_index) != gavel_msg_prev_term (msg)) {
        self->diverged = true;
        return false;
    }
    self->diverged = false;
    for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry; entry = gavel_msg_next_entry (msg)) {
        uint64_t index = gavel_msg_index (entry);
        if (index <= self->commit)
            continue;
        if (index <= gavel_entrylog_last_index (self->log)) {
            if (gavel_entrylog_term_at (self->log, index) == gavel_msg_term (entry))
                continue;
            //  What the batch holds must be saved as it was before the cut
            s_save_batch_entries (self);
            gavel_entrylog_truncate (self->log, index - 1);
        }
        //  Appends follow the log's end, and the batch ends there too: a cut
        //  saved it above, and all else the core does saves it first
        assert (!self->batch
                || gavel_msg_prev_index (self->batch) + gavel_msg_entries (self->batch) == index - 1);
        if (!self->batch) {
            self->batch = gavel_msg_new (GAVEL_MSG_LOG);
            gavel_msg_set_prev_index (self->batch, index - 1);
        }
        gavel_msg_t *copy = gavel_msg_share (entry);
        gavel_entrylog_append (self->log, &copy);
        copy = gavel_msg_share (entry);
        gavel_msg_add_entry (self->batch, &copy);
        if (gavel_msg_stamp (entry) > self->last_stamp)
            self->last_stamp = gavel_msg_stamp (entry);
    }
    uint64_t matched = prev_index + gavel_msg_entries (msg);
    if (matched > self->verified)
        self->verified = matched;
    return true;
}

//  LOG, ENTRIES and HB: the primary of a term speaking. Returns false when
//  the message is from an older term (and we have told its sender so).
static bool
s_from_primary (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    uint64_t term = gavel_msg_term (msg);
    uint64_t from = gavel_msg_from (msg);
    if (s_slot (self, from) == SIZE_MAX || from == self->settings.id)
        return false;
    if (term < self->term) {
        s_fence (self, from);
        return false;
    }
    s_observe_term (self, term, now);
    if (self->role == GAVEL_ROLE_PRIMARY)
        return false;           //  one primary per term: cannot be another
    s_follow (self, from, now);
    return true;
}

static void
s_on_log (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    if (!s_from_primary (self, msg, now))
        return;
    self->stats.logs_in++;
    self->stats.entries_in += gavel_msg_entries (msg);
    bool entries = gavel_msg_id (msg) == GAVEL_MSG_ENTRIES;
    if (entries)
        self->fetch_due = 0;        //  the answer came: free to ask again
    if (!s_store (self, msg))
        s_fetch (self, now);
    else
    if (entries && gavel_msg_last_index (msg) > gavel_entrylog_last_index (self->log))
        s_fetch (self, now);        //  more to come
    s_learn_commit (self, gavel_msg_commit (msg), now);
    self->ack_owed = true;
}

//  A snapshot from the primary replaces what we have up to its index
static void
s_on_snapshot (gavel_core_t *self, gavel_msg_t *snapshot, int64_t now)
{
    if (!s_from_primary (self, snapshot, now))
        return;
    self->fetch_due = 0;
    uint64_t index = gavel_msg_index (snapshot);
    uint64_t last_term = gavel_msg_last_term (snapshot);
    if (index > self->commit) {
        gavel_auction_t *state = gavel_msg_payload (snapshot)?
            gavel_auction_load (gavel_msg_payload (snapshot)): NULL;
        if (!state) {
            s_trace (self, now, GAVEL_TRACE_ERROR, "replica %" PRIu64 ": snapshot at %" PRIu64
                     " from replica %" PRIu64 " does not load; ignored", self->settings.id, index,
                     gavel_msg_from (snapshot));
            return;
        }
        gavel_auction_destroy (&self->auction);
        self->auction = state;
        bool matches = gavel_entrylog_term_at (self->log, index) == last_term;
        if (!matches)
            gavel_entrylog_truncate (self->log, gavel_entrylog_base (self->log));
        gavel_entrylog_compact (self->log, index, last_term);
        gavel_msg_destroy (&self->snapshot);
        self->snapshot = gavel_msg_dup (snapshot);
        s_save_snapshot (self, gavel_msg_dup (snapshot));
        if (!matches) {
            //  Whatever we held after index was not the primary's
            gavel_msg_t *cut = gavel_msg_new (GAVEL_MSG_LOG);
            gavel_msg_set_prev_index (cut, index);
            s_save_entries (self, cut);
        }
        self->commit = self->applied = index;
        if (self->verified < index)
            self->verified = index;
        self->diverged = false;
        s_trace (self, now, GAVEL_TRACE_INFO, "replica %" PRIu64 " backup term %" PRIu64
                 ": installed a snapshot at %" PRIu64, self->settings.id, self->term, index);
        s_fetch (self, now);
    }
    s_ack (self);
}

static void
s_on_heartbeat (gavel_core_t *self, gavel_msg_t *hb, int64_t now)
{
    if (!s_from_primary (self, hb, now))
        return;
    if (gavel_msg_seq (hb) > self->seq_seen)
        self->seq_seen = gavel_msg_seq (hb);
    if (self->verified < gavel_msg_last_index (hb))
        s_fetch (self, now);
    s_learn_commit (self, gavel_msg_commit (hb), now);
    s_ack (self);
}

//  ---------------------------------------------------------------------------
//  The bully election

//  Rank: the better-informed log wins, the higher id breaks ties
static int
s_compare_rank (uint64_t last_term_a, uint64_t last_index_a, uint64_t id_a,
                uint64_t last_term_b, uint64_t last_index_b, uint64_t id_b)
{
    if (last_term_a != last_term_b)
        return last_term_a > last_term_b? 1: -1;
    if (last_index_a != last_index_b)
        return last_index_a > last_index_b? 1: -1;
    return id_a > id_b? 1: id_a < id_b? -1: 0;
}

static int
s_outranks_us (gavel_core_t *self, gavel_msg_t *msg)
{
    return s_compare_rank (gavel_msg_last_term (msg), gavel_msg_last_index (msg), gavel_msg_from (msg),
                           gavel_entrylog_last_term (self->log),
                           gavel_entrylog_last_index (self->log), self->settings.id) > 0;
}

static gavel_msg_t *
s_ranked_msg (gavel_core_t *self, gavel_msg_id_t id, uint64_t term)
{
    gavel_msg_t *msg = s_peer_msg (self, id);
    gavel_msg_set_term (msg, term);
    gavel_msg_set_last_term (msg, gavel_entrylog_last_term (self->log));
    gavel_msg_set_last_index (msg, gavel_entrylog_last_index (self->log));
    return msg;
}

static void
s_coordinate (gavel_core_t *self, int64_t now)
{
    if (self->term >= GAVEL_CORE_TERM_MAX) {
        //  Only a damaged store could bring us here: refuse to wrap
        s_log_role (self, "term at its bound: not running for primary", now);
        s_become_backup (self, now);
        return;
    }
    self->term++;
    self->stats.terms++;
    self->vote = self->settings.id;
    self->primary = 0;
    s_save_state (self);
    self->phase = ROUND_COORDINATE;
    self->round_sent = now;
    self->round_deadline = now + s_answer_time (self, self->settings.election);
    memset (self->answered, 0, sizeof self->answered);
    s_log_role (self, "announcing itself coordinator", now);
    if (self->majority == 1)
        s_become_primary (self, now);
    else
        s_send_mesh_all (self, s_ranked_msg (self, GAVEL_MSG_COORDINATOR, self->term));
}

//  Suspicion: ask everyone whether they are alive and how well informed.
//  The term is not raised yet, so a round that finds no majority leaves no
//  trace that could depose a primary the others still hear.
static void
s_start_round (gavel_core_t *self, int64_t now)
{
    self->role = GAVEL_ROLE_CANDIDATE;
    self->primary = 0;
    self->stats.rounds++;
    self->phase = ROUND_PROBE;
    self->round_sent = now;
    self->round_deadline = now + s_answer_time (self, 2 * self->settings.heartbeat);
    memset (self->answered, 0, sizeof self->answered);
    s_log_role (self, "primary silent: starting a bully round", now);
    if (self->majority == 1)
        s_coordinate (self, now);
    else
        s_send_mesh_all (self, s_ranked_msg (self, GAVEL_MSG_ELECTION, self->term + 1));
}

static size_t
s_answers (gavel_core_t *self)
{
    size_t count = 1;
    for (size_t slot = 0; slot < self->settings.replicas; slot++)
        count += self->answered [slot];
    return count;
}

static void
s_on_election (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    uint64_t from = gavel_msg_from (msg);
    if (s_slot (self, from) == SIZE_MAX || from == self->settings.id)
        return;
    if (self->role == GAVEL_ROLE_PRIMARY) {
        //  Alive and leading: a heartbeat straight to the asker ends its round
        gavel_msg_t *hb = s_peer_msg (self, GAVEL_MSG_HB);
        gavel_msg_set_commit (hb, self->commit);
        gavel_msg_set_last_index (hb, gavel_entrylog_last_index (self->log));
        gavel_msg_set_seq (hb, self->hb_seq);
        s_emit (self, GAVEL_ACTION_MESH, from, NULL, hb);
        return;
    }
    if (s_primary_is_fresh (self, now))
        return;
    s_emit (self, GAVEL_ACTION_MESH, from, NULL, s_ranked_msg (self, GAVEL_MSG_ALIVE, self->term));
    if (self->role == GAVEL_ROLE_BACKUP && !s_outranks_us (self, msg))
        s_start_round (self, now);
    else
    if (self->role == GAVEL_ROLE_CANDIDATE && self->phase == ROUND_PROBE && !s_outranks_us (self, msg)) {
        //  An asker we outrank is alive and will defer to us once it hears
        //  our ALIVE: it counts as an answer. Without this, a replica whose
        //  own ELECTION was lost (sent while the other was down) waits out
        //  its whole probe, which grows long after rounds alone
        if (gavel_msg_term (msg) > 0)
            s_raise_term (self, gavel_msg_term (msg) - 1);
        self->answered [s_slot (self, from)] = true;
        if (s_answers (self) >= self->majority)
            s_coordinate (self, now);
    }
}

static void
s_on_alive (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    size_t slot = s_slot (self, gavel_msg_from (msg));
    if (slot == SIZE_MAX || slot == self->slot)
        return;
    //  A newer term learnt here does not end our round: the round's own
    //  term will be above it
    if (self->role == GAVEL_ROLE_CANDIDATE && self->phase != ROUND_COORDINATE)
        s_raise_term (self, gavel_msg_term (msg));
    else
        s_observe_term (self, gavel_msg_term (msg), now);
    if (self->role != GAVEL_ROLE_CANDIDATE || self->phase == ROUND_COORDINATE)
        return;
    if (self->phase == ROUND_PROBE)
        s_measure_rtt (self, now - self->round_sent);
    if (s_outranks_us (self, msg)) {
        //  The bully rule: a better-informed replica is alive; let it lead
        if (self->phase == ROUND_PROBE) {
            self->phase = ROUND_DEFER;
            self->round_deadline = now + s_answer_time (self, self->settings.election);
        }
        return;
    }
    self->answered [slot] = true;
    if (self->phase == ROUND_PROBE && s_answers (self) >= self->majority)
        s_coordinate (self, now);
}

static void
s_on_coordinator (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    uint64_t from = gavel_msg_from (msg);
    if (s_slot (self, from) == SIZE_MAX || from == self->settings.id)
        return;
    uint64_t term = gavel_msg_term (msg);
    bool fresh = term > self->term && s_primary_is_fresh (self, now);
    if (!fresh)
        s_observe_term (self, term, now);
    //  One coordinator per term, and only one at least as well informed as
    //  we are: then a majority can never accept two, nor one that lacks a
    //  committed entry.
    bool up_to_date = s_compare_rank (gavel_msg_last_term (msg), gavel_msg_last_index (msg), 0,
                                      gavel_entrylog_last_term (self->log),
                                      gavel_entrylog_last_index (self->log), 0) >= 0;
    bool grant = !fresh && term == self->term && up_to_date
              && (self->vote == 0 || self->vote == from)
              && self->role != GAVEL_ROLE_PRIMARY;
    if (grant) {
        if (self->vote != from) {
            self->vote = from;
            s_save_state (self);
        }
        if (self->role == GAVEL_ROLE_CANDIDATE)
            s_become_backup (self, now);
        self->heard = now;
        self->election_due = now + s_election_timeout (self);
    }
    gavel_msg_t *accept = s_peer_msg (self, GAVEL_MSG_ACCEPT);
    gavel_msg_set_granted (accept, grant);
    s_emit (self, GAVEL_ACTION_MESH, from, NULL, accept);
}

static void
s_on_accept (gavel_core_t *self, gavel_msg_t *msg, int64_t now)
{
    size_t slot = s_slot (self, gavel_msg_from (msg));
    if (slot == SIZE_MAX || slot == self->slot)
        return;
    s_observe_term (self, gavel_msg_term (msg), now);
    if (self->role != GAVEL_ROLE_CANDIDATE || self->phase != ROUND_COORDINATE
    ||  gavel_msg_term (msg) != self->term || !gavel_msg_granted (msg))
        return;
    s_measure_rtt (self, now - self->round_sent);
    self->answered [slot] = true;
    if (s_answers (self) >= self->majority)
        s_become_primary (self, now);
}

//  ---------------------------------------------------------------------------
//  Validating peer messages: what no honest replica sends is refused before
//  it touches our term, log or store. Returns why, or NULL when it may pass.

static const char *
s_entries_invalid (gavel_core_t *self, gavel_msg_t *msg)
{
    uint64_t term = gavel_msg_term (msg);
    uint64_t index = gavel_msg_prev_index (msg);
    uint64_t entry_term = gavel_msg_prev_term (msg);
    if (index > GAVEL_CORE_INDEX_MAX - gavel_msg_entries (msg) || entry_term > term)
        return "previous entry out of range";
    for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry; entry = gavel_msg_next_entry (msg)) {
        gavel_msg_id_t id = gavel_msg_id (entry);
        if (id != GAVEL_MSG_OPEN && id != GAVEL_MSG_BID && id != GAVEL_MSG_NOOP && id != GAVEL_MSG_CLOSE)
            return "an entry that is not a log entry";
        if (gavel_msg_index (entry) != ++index)
            return "entries that do not follow prev_index one by one";
        if (gavel_msg_term (entry) < entry_term || gavel_msg_term (entry) > term)
            return "an entry term out of order";
        //  Not their order: a primary restarted on a snapshot knows no stamp
        //  before its clock, and an honest one may then stamp below its log
        if (gavel_msg_stamp (entry) < 0 || gavel_msg_stamp (entry) > GAVEL_CORE_STAMP_MAX)
            return "an entry stamp out of range";
        entry_term = gavel_msg_term (entry);
    }
    //  A primary of our term or newer holds every entry we know committed
    if (term < self->term)
        return NULL;
    uint64_t known = self->commit < gavel_entrylog_last_index (self->log)
                   ? self->commit: gavel_entrylog_last_index (self->log);
    index = gavel_msg_prev_index (msg);
    if (index > gavel_entrylog_base (self->log) && index <= known
    &&  gavel_entrylog_term_at (self->log, index) != gavel_msg_prev_term (msg))
        return "a previous entry that contradicts a committed one";
    for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry; entry = gavel_msg_next_entry (msg)) {
        index = gavel_msg_index (entry);
        if (index > known)
            break;
        if (index > gavel_entrylog_base (self->log)
        &&  gavel_entrylog_term_at (self->log, index) != gavel_msg_term (entry))
            return "an entry that contradicts a committed one";
    }
    return NULL;
}

static const char *
s_peer_invalid (gavel_core_t *self, gavel_msg_t *msg)
{
    size_t slot = s_slot (self, gavel_msg_from (msg));
    if (slot == SIZE_MAX || slot == self->slot)
        return "not from another replica of the cluster";
    uint64_t term = gavel_msg_term (msg);
    if (term > GAVEL_CORE_TERM_MAX || term > self->term + GAVEL_CORE_TERM_LEAP)
        return "a term out of range";
    switch (gavel_msg_id (msg)) {
        case GAVEL_MSG_LOG:
        case GAVEL_MSG_ENTRIES:
            if (gavel_msg_commit (msg) > GAVEL_CORE_INDEX_MAX
            ||  gavel_msg_last_index (msg) > GAVEL_CORE_INDEX_MAX)
                return "an index out of range";
            return s_entries_invalid (self, msg);
        case GAVEL_MSG_SNAPSHOT:
            if (gavel_msg_index (msg) == 0 || gavel_msg_index (msg) > GAVEL_CORE_INDEX_MAX
            ||  gavel_msg_last_term (msg) > term || gavel_msg_commit (msg) > GAVEL_CORE_INDEX_MAX)
                return "a snapshot index or term out of range";
            if (!gavel_msg_payload (msg))
                return "a snapshot without a state";
            return NULL;
        case GAVEL_MSG_HB:
        case GAVEL_MSG_ACK:
        case GAVEL_MSG_FETCH:
            if (gavel_msg_commit (msg) > GAVEL_CORE_INDEX_MAX
            ||  gavel_msg_last_index (msg) > GAVEL_CORE_INDEX_MAX
            ||  gavel_msg_index (msg) > GAVEL_CORE_INDEX_MAX)
                return "an index out of range";
            return NULL;
        case GAVEL_MSG_ELECTION:
        case GAVEL_MSG_ALIVE:
        case GAVEL_MSG_COORDINATOR:
            if (gavel_msg_last_index (msg) > GAVEL_CORE_INDEX_MAX || gavel_msg_last_term (msg) > term)
                return "a log position out of range";
            return NULL;
        default:
            //  ACCEPT carries nothing more to check; anything else (an EVENT
            //  on the primary's PUB) is not for us and dropped quietly
            return NULL;
    }
}

void
gavel_core_receive (gavel_core_t *self, gavel_msg_t **msg_p, int64_t now)
{
    assert (msg_p && *msg_p);
    gavel_msg_t *msg = *msg_p;
    self->busy = true;
    if (gavel_msg_id (msg) != GAVEL_MSG_LOG && gavel_msg_id (msg) != GAVEL_MSG_ENTRIES)
        s_save_batch (self);
    const char *invalid = s_peer_invalid (self, msg);
    if (invalid) {
        if (self->refused++ % 1000 == 0)
            s_trace (self, now, GAVEL_TRACE_WARNING, "replica %" PRIu64 ": refused %s from %" PRIu64
                     " (%" PRIu64 " so far): %s", self->settings.id, gavel_msg_command (msg),
                     gavel_msg_from (msg), self->refused, invalid);
        gavel_msg_destroy (msg_p);
        return;
    }
    switch (gavel_msg_id (msg)) {
        case GAVEL_MSG_LOG:
        case GAVEL_MSG_ENTRIES:     s_on_log (self, msg, now); break;
        case GAVEL_MSG_HB:          s_on_heartbeat (self, msg, now); break;
        case GAVEL_MSG_SNAPSHOT:    s_on_snapshot (self, msg, now); break;
        case GAVEL_MSG_ACK:
            s_observe_term (self, gavel_msg_term (msg), now);
            s_on_ack (self, msg, now);
            break;
        case GAVEL_MSG_FETCH:
            s_observe_term (self, gavel_msg_term (msg), now);
            s_on_fetch (self, msg, now);
            break;
        case GAVEL_MSG_ELECTION:    s_on_election (self, msg, now); break;
        case GAVEL_MSG_ALIVE:       s_on_alive (self, msg, now); break;
        case GAVEL_MSG_COORDINATOR: s_on_coordinator (self, msg, now); break;
        case GAVEL_MSG_ACCEPT:      s_on_accept (self, msg, now); break;
        default:
            break;                  //  not a replica's message: dropped
    }
    gavel_msg_destroy (msg_p);
}

//  ---------------------------------------------------------------------------
//  Durability: the shell reports what it wrote

//  A backup tells its primary what became durable: an ACK still in the
//  outbox carries it (the shell that writes before it takes the next
//  action sends no more messages than before), or else a new one
static void
s_ack_durable (gavel_core_t *self)
{
    uint64_t index = s_ack_index (self);
    if (index <= self->acked)
        return;
    for (gavel_action_t *action = (gavel_action_t *) zlistx_last (self->outbox); action;
         action = (gavel_action_t *) zlistx_prev (self->outbox))
        if (action->kind == GAVEL_ACTION_ACK && action->to == self->primary
        &&  gavel_msg_term (action->msg) == self->term) {
            gavel_msg_set_index (action->msg, index);
            self->acked = index;
            return;
        }
    s_ack (self);
}

void
gavel_core_persisted (gavel_core_t *self, uint64_t index, uint64_t term, int64_t now)
{
    s_save_batch (self);
    //  The oldest save we wait for that leaves this entry last; every save
    //  before it is done too, since the shell writes them in order
    size_t done = 0;
    save_t *save;
    for (save = (save_t *) zlistx_first (self->saves); save; save = (save_t *) zlistx_next (self->saves)) {
        done++;
        if (save->index == index && save->term == term)
            break;
    }
    if (!save)
        return;                 //  reported before, or by a save since replaced
    while (done--)
        zlistx_delete (self->saves, zlistx_first (self->saves)? zlistx_cursor (self->saves): NULL);
    //  Durable up to that entry, unless a later save, still to be carried
    //  out, drops it again
    uint64_t durable = index;
    for (save = (save_t *) zlistx_first (self->saves); save; save = (save_t *) zlistx_next (self->saves))
        if (save->prev_index < durable)
            durable = save->prev_index;
    if (durable <= self->durable)
        return;
    self->durable = durable;
    assert (self->durable <= gavel_entrylog_last_index (self->log));
    if (self->role == GAVEL_ROLE_PRIMARY)
        s_advance_commit (self, now);
    else
    if (self->role == GAVEL_ROLE_BACKUP && self->primary)
        s_ack_durable (self);
}

void
gavel_core_peer_lost (gavel_core_t *self, uint64_t id, int64_t now)
{
    s_save_batch (self);
    if (self->role != GAVEL_ROLE_BACKUP || id == 0 || id != self->primary)
        return;
    //  Not fresh any more: others' rounds get our answer, clients wait here
    //  for the next primary rather than go to this one
    self->heard = now - self->settings.election;
    int64_t due = now + s_election_timeout (self) - self->settings.election;
    if (due < self->election_due)
        self->election_due = due;
    s_trace (self, now, GAVEL_TRACE_INFO, "replica %" PRIu64 " backup term %" PRIu64
             ": lost the connection to primary %" PRIu64, self->settings.id, self->term, id);
}

//  ---------------------------------------------------------------------------
//  Time

//  The primary closes auctions by logging CLOSE, so that every replica
//  closes them at the same point of the log.
static void
s_close_due (gavel_core_t *self, int64_t now)
{
    int64_t due = gavel_auction_next_deadline (self->auction);
    if (due <= now && due > self->close_stamp && self->applied >= self->term_start) {
        gavel_msg_t *close = gavel_msg_new (GAVEL_MSG_CLOSE);
        s_append (self, &close, now);
        self->close_stamp = self->last_stamp;
    }
}

void
gavel_core_tick (gavel_core_t *self, int64_t now)
{
    s_save_batch (self);
    if (!self->started) {
        self->started = true;
        self->heard = now;
        self->election_due = self->majority == 1? now: now + s_election_timeout (self);
    }
    switch (self->role) {
        case GAVEL_ROLE_BACKUP:
            if (now >= self->election_due)
                s_start_round (self, now);
            break;
        case GAVEL_ROLE_CANDIDATE:
            if (now >= self->round_deadline) {
                if (self->backoff < 16)
                    self->backoff *= 2;
                s_become_backup (self, now);
            }
            break;
        case GAVEL_ROLE_PRIMARY:
            s_check_quorum (self, now);
            if (self->role == GAVEL_ROLE_PRIMARY) {
                s_close_due (self, now);
                if (now >= self->hb_due)
                    s_heartbeat (self, now);
            }
            break;
    }
    s_expire (self, self->writes, now);
    s_expire (self, self->reads, now);
    s_expire (self, self->held, now);
}

void
gavel_core_flush (gavel_core_t *self, int64_t now)
{
    s_save_batch (self);
    if (self->busy)
        self->stats.turns++;
    self->busy = false;
    if (self->role != GAVEL_ROLE_PRIMARY)
        return;
    s_publish (self, now);
    if (self->hb_wanted)
        s_heartbeat (self, now);
    s_serve_reads (self, now);
}

int64_t
gavel_core_next_deadline (gavel_core_t *self)
{
    if (!self->started)
        return 0;
    int64_t next = INT64_MAX;
    if (self->role == GAVEL_ROLE_BACKUP)
        next = self->election_due;
    else
    if (self->role == GAVEL_ROLE_CANDIDATE)
        next = self->round_deadline;
    else {
        next = self->hb_due;
        int64_t due = gavel_auction_next_deadline (self->auction);
        if (due > self->close_stamp && due < next && self->applied >= self->term_start)
            next = due;
    }
    zlistx_t *lists [] = { self->writes, self->reads, self->held };
    for (size_t index = 0; index < 3; index++) {
        int64_t earliest = s_earliest (lists [index]);
        if (earliest < next)
            next = earliest;
    }
    return next;
}

//  ---------------------------------------------------------------------------
//  Construction, restore, accessors

gavel_core_t *
gavel_core_new (const gavel_core_settings_t *settings)
{
    gavel_core_t *self = (gavel_core_t *) zmalloc (sizeof (gavel_core_t));
    assert (self);
    self->settings = *settings;
    self->slot = s_slot (self, settings->id);
    assert (self->slot != SIZE_MAX);
    self->majority = settings->replicas / 2 + 1;
    self->role = GAVEL_ROLE_BACKUP;
    self->backoff = 1;
    self->log = gavel_entrylog_new ();
    self->saves = zlistx_new ();
    assert (self->saves);
    zlistx_set_destructor (self->saves, s_save_free);
    self->auction = gavel_auction_new ();
    self->outbox = zlistx_new ();
    assert (self->outbox);
    zlistx_set_destructor (self->outbox, s_action_free);
    self->writes = s_waiting_list ();
    zlistx_set_comparator (self->writes, s_waiting_compare_index);
    self->pending = zhashx_new ();
    assert (self->pending);
    zhashx_set_destructor (self->pending, s_pending_free);
    self->reads = s_waiting_list ();
    self->held = s_waiting_list ();
    self->history = gavel_events_new (GAVEL_HISTORY_MAX);
    return self;
}

void
gavel_core_destroy (gavel_core_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_core_t *self = *self_p;
        zlistx_destroy (&self->writes);
        zhashx_destroy (&self->pending);
        zlistx_destroy (&self->reads);
        zlistx_destroy (&self->held);
        gavel_events_destroy (&self->history);
        zlistx_destroy (&self->outbox);
        gavel_auction_destroy (&self->auction);
        gavel_entrylog_destroy (&self->log);
        zlistx_destroy (&self->saves);
        gavel_msg_destroy (&self->snapshot);
        gavel_msg_destroy (&self->batch);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_core_set_tracer (gavel_core_t *self, gavel_core_tracer_fn *tracer, void *arg)
{
    self->tracer = tracer;
    self->tracer_arg = arg;
}

void
gavel_core_set_reporter (gavel_core_t *self, gavel_core_reporter_fn *reporter, void *arg)
{
    self->reporter = reporter;
    self->reporter_arg = arg;
}

void
gavel_core_restore_snapshot (gavel_core_t *self, gavel_msg_t **snapshot_p)
{
    assert (!self->started);
    assert (snapshot_p && *snapshot_p);
    gavel_msg_t *snapshot = *snapshot_p;
    *snapshot_p = NULL;
    gavel_auction_t *state = gavel_auction_load (gavel_msg_payload (snapshot));
    //  The store loaded it once before handing it over: failing now is a bug
    assert (state);
    gavel_auction_destroy (&self->auction);
    self->auction = state;
    uint64_t index = gavel_msg_index (snapshot);
    gavel_entrylog_compact (self->log, index, gavel_msg_last_term (snapshot));
    self->commit = self->applied = index;
    self->durable = index;
    gavel_msg_destroy (&self->snapshot);
    self->snapshot = snapshot;
}

void
gavel_core_restore (gavel_core_t *self, uint64_t term, uint64_t vote, zlistx_t **entries_p)
{
    assert (!self->started);
    self->term = term;
    self->vote = vote;
    if (entries_p && *entries_p) {
        gavel_msg_t *entry;
        while ((entry = (gavel_msg_t *) zlistx_detach (*entries_p, NULL))) {
            if (gavel_msg_stamp (entry) > self->last_stamp)
                self->last_stamp = gavel_msg_stamp (entry);
            gavel_entrylog_append (self->log, &entry);
        }
        zlistx_destroy (entries_p);
    }
    //  What was loaded was on disk
    self->durable = gavel_entrylog_last_index (self->log);
}

gavel_action_t *
gavel_core_next_action (gavel_core_t *self)
{
    return (gavel_action_t *) zlistx_detach (self->outbox, NULL);
}

gavel_role_t gavel_core_role (gavel_core_t *self) { return self->role; }
const char *gavel_core_role_name (gavel_core_t *self) { return s_role_names [self->role]; }
uint64_t gavel_core_id (gavel_core_t *self) { return self->settings.id; }
uint64_t gavel_core_term (gavel_core_t *self) { return self->term; }
uint64_t gavel_core_primary (gavel_core_t *self) { return self->primary; }
uint64_t gavel_core_commit (gavel_core_t *self) { return self->commit; }
uint64_t gavel_core_applied (gavel_core_t *self) { return self->applied; }
uint64_t gavel_core_last_index (gavel_core_t *self) { return gavel_entrylog_last_index (self->log); }
uint64_t gavel_core_durable (gavel_core_t *self) { return self->durable; }
uint64_t gavel_core_base (gavel_core_t *self) { return gavel_entrylog_base (self->log); }
gavel_msg_t *gavel_core_entry (gavel_core_t *self, uint64_t index) { return gavel_entrylog_at (self->log, index); }
gavel_auction_t *gavel_core_auction (gavel_core_t *self) { return self->auction; }
const gavel_core_stats_t *gavel_core_stats (gavel_core_t *self) { return &self->stats; }
