/*  sim_check: The checker: the replication invariants after every event, what
    the bidders were told against the committed log, and the deadline as
    an operation.
*/
#include "sim.h"

//  --------------------------------------------------------------------------
//  Failure and tracing

void
sim_fail (sim_t *self, const char *invariant, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Only the first violation counts: later ones are usually its echoes
void
sim_fail (sim_t *self, const char *invariant, const char *format, ...)
{
    if (self->failed)
        return;
    self->failed = true;
    self->invariant = invariant;
    va_list args;
    va_start (args, format);
    vsnprintf (self->failure, sizeof self->failure, format, args);
    va_end (args);
}

void
sim_trace (sim_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

void
sim_trace (sim_t *self, const char *format, ...)
{
    if (!self->options->verbose)
        return;
    printf ("[%9.3f #%06" PRIu64 "] ", (double) (sim_now (self) - SIM_T0) / 1000.0,
            sim_steps (self));
    va_list args;
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
}

static const char *
s_kind_name (gavel_msg_id_t kind)
{
    return kind == GAVEL_MSG_OPEN? "OPEN": kind == GAVEL_MSG_BID? "BID":
           kind == GAVEL_MSG_RESULT? "RESULT": kind == GAVEL_MSG_LIST? "LIST": "request";
}

static size_t
s_majority (sim_t *self)
{
    return self->replica_count / 2 + 1;
}


//  --------------------------------------------------------------------------
//  The checker: invariants after every event

static void
s_check_primary (sim_t *self, uint64_t term, uint64_t id)
{
    if (term == 0) {
        sim_fail (self, "one-primary-per-term", "replica %" PRIu64 " is primary in term 0", id);
        return;
    }
    if (term >= self->terms) {
        size_t terms = self->terms? self->terms: 64;
        while (terms <= term)
            terms *= 2;
        self->primaries = (uint64_t *) realloc (self->primaries, terms * sizeof (uint64_t));
        assert (self->primaries);
        memset (self->primaries + self->terms, 0, (terms - self->terms) * sizeof (uint64_t));
        self->terms = terms;
    }
    if (self->primaries [term] == 0) {
        self->primaries [term] = id;
        self->elections++;
        sim_trace (self, "ELECTED r%" PRIu64 " primary of term %" PRIu64, id, term);
    }
    else
    if (self->primaries [term] != id)
        sim_fail (self, "one-primary-per-term", "term %" PRIu64 " has two primaries: "
                "replica %" PRIu64 " and replica %" PRIu64, term, self->primaries [term], id);
}

static void
s_request_key (const char *session, uint64_t request_id, char *key, size_t size)
{
    snprintf (key, size, "%s %" PRIu64, session, request_id);
}

//  The committed log applied by the simulator, the way the protocol says a
//  replica applies it: a request at its entry's stamp, a CLOSE closes what
//  is due at its stamp, a NOOP starts a term. Each request applied with
//  success (not a retry), each auction closed and each NOOP is one event of
//  the feed, numbered in the state.
//  Returns the reply of an OPEN or BID applied for the first time (not a
//  retry), or NULL.
static gavel_msg_t *
s_reference_apply (gavel_auction_t *state, gavel_msg_t *entry)
{
    gavel_msg_id_t kind = gavel_msg_id (entry);
    gavel_msg_t *reply = NULL;
    size_t events = 0;
    if (kind == GAVEL_MSG_OPEN || kind == GAVEL_MSG_BID) {
        bool replay = gavel_auction_is_replay (state, entry);
        reply = gavel_auction_apply (state, entry, gavel_msg_stamp (entry));
        events = !replay && gavel_msg_outcome (reply) == GAVEL_SUCCESS;
        if (replay)
            gavel_msg_destroy (&reply);
    }
    else
    if (kind == GAVEL_MSG_CLOSE)
        events = gavel_auction_close_due (state, gavel_msg_stamp (entry), NULL);
    else
        events = 1;
    while (events--)
        gavel_auction_next_event (state);
    return reply;
}

static gavel_msg_t *
s_reference_grow (sim_t *self)
{
    gavel_msg_t *reply = s_reference_apply (self->reference,
                                            self->entries [self->committed - 1]);
    if (self->committed % SIM_CHECKPOINT == 0)
        self->checkpoints [self->committed / SIM_CHECKPOINT - 1]
            = gavel_auction_save (self->reference);
    return reply;
}

//  The state after committed entries 1..index, as frames: from the
//  checkpoint below it, applying the rest
static zmsg_t *
s_reference_state (sim_t *self, uint64_t index)
{
    assert (index <= self->committed);
    if (index == self->committed)
        return gavel_auction_save (self->reference);
    size_t checkpoint = index / SIM_CHECKPOINT;
    gavel_auction_t *state = checkpoint
                           ? gavel_auction_load (self->checkpoints [checkpoint - 1])
                           : gavel_auction_new ();
    assert (state);
    for (uint64_t next = checkpoint * SIM_CHECKPOINT + 1; next <= index; next++) {
        gavel_msg_t *reply = s_reference_apply (state, self->entries [next - 1]);
        gavel_msg_destroy (&reply);
    }
    zmsg_t *frames = gavel_auction_save (state);
    gavel_auction_destroy (&state);
    return frames;
}

static int
s_compare_records (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  A saved state as sorted records, one per auction, bidder and session (a
//  session with its reply's frames), so that equal states compare equal
//  whatever order the saver wrote them in. Returns the count.
static size_t
s_state_records (zmsg_t *state, char ***records_p)
{
    char **records = (char **) malloc ((zmsg_size (state) + 1) * sizeof (char *));
    assert (records);
    size_t count = 0;
    for (zframe_t *frame = zmsg_first (state); frame; frame = zmsg_next (state)) {
        char *record = zframe_strdup (frame);
        char token [GAVEL_SESSION_MAX + 1];
        uint64_t request_id;
        size_t parts = 0;
        if (sscanf (record, "S %64s %" SCNu64 " %zu", token, &request_id, &parts) != 3)
            parts = 0;
        for (; parts > 0 && (frame = zmsg_next (state)); parts--) {
            char *part = zframe_strdup (frame);
            char *joined = zsys_sprintf ("%s\n%s", record, part);
            free (part);
            free (record);
            record = joined;
        }
        records [count++] = record;
        if (!frame)
            break;
    }
    qsort (records, count, sizeof (char *), s_compare_records);
    *records_p = records;
    return count;
}

//  Whether two saved states hold the same; if not, says where they differ
static bool
s_same_state (zmsg_t *a, zmsg_t *b, char *where, size_t size)
{
    if (!a || !b) {
        snprintf (where, size, "no state");
        return false;
    }
    char **ours, **theirs;
    size_t count = s_state_records (a, &ours);
    size_t other = s_state_records (b, &theirs);
    size_t index = 0;
    while (index < count && index < other && streq (ours [index], theirs [index]))
        index++;
    bool same = index == count && index == other;
    if (!same)
        snprintf (where, size, "'%.200s' where we have '%.200s'",
                  index < other? theirs [index]: "(nothing)",
                  index < count? ours [index]: "(nothing)");
    for (size_t record = 0; record < count; record++)
        free (ours [record]);
    for (size_t record = 0; record < other; record++)
        free (theirs [record]);
    free (ours);
    free (theirs);
    return same;
}


//  What a committed OPEN or BID did, for the deadline checks: an OPEN
//  fixes its auction's deadline; a BID that raises an auction that a reply
//  said was closed, with a lower winner, shows that reply was wrong (it
//  missed a bid stamped before the deadline).
static void
s_reference_applied (sim_t *self, gavel_msg_t *entry, gavel_msg_t *reply, const char *line)
{
    const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
    int64_t auction = sim_record_number (record, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || !sim_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    if (gavel_msg_id (entry) == GAVEL_MSG_OPEN)
        view->deadline = gavel_msg_stamp (entry) + gavel_msg_duration (entry);
    else
    if (view->claimed)
        sim_fail (self, "closed-final", "%s said auction %" PRId64 " is closed with winner=%s"
                " amount=%" PRId64 ", but committed entry %" PRIu64 " '%s', stamped before"
                " the deadline %" PRId64 ", raises it", view->claim_by, auction,
                view->claim_winner, view->claim_amount, self->committed, line,
                view->deadline);
}

//  The global log grows by one entry: it must be stored by a majority
//  right now (crashed replicas' storage counts), or a failover could lose it
static void
s_commit (sim_t *self, gavel_msg_t *entry, const char *line)
{
    if (self->committed == self->log_capacity) {
        self->log_capacity = self->log_capacity? self->log_capacity * 2: 1024;
        self->log = (char **) realloc (self->log, self->log_capacity * sizeof (char *));
        self->entries = (gavel_msg_t **) realloc (self->entries,
                                                  self->log_capacity * sizeof (gavel_msg_t *));
        self->checkpoints = (zmsg_t **) realloc (self->checkpoints,
            (self->log_capacity / SIM_CHECKPOINT) * sizeof (zmsg_t *));
        assert (self->log && self->entries && self->checkpoints);
    }
    self->entries [self->committed] = gavel_msg_dup (entry);
    self->log [self->committed++] = strdup (line);
    gavel_msg_t *reply = s_reference_grow (self);
    if (reply)
        s_reference_applied (self, entry, reply, line);
    gavel_msg_destroy (&reply);
    uint64_t index = self->committed;
    size_t copies = 0;
    for (size_t peer = 0; peer < self->replica_count; peer++)
        copies += sim_stores_committed (self, peer, index);
    if (index > 1 && gavel_msg_stamp (entry) < gavel_msg_stamp (self->entries [index - 2]))
        sim_fail (self, "stamps-monotonic", "committed entry %" PRIu64 " '%s' is stamped"
                " before entry %" PRIu64 " '%s'", index, line, index - 1, self->log [index - 2]);
    if (copies < s_majority (self))
        sim_fail (self, "committed-on-majority", "entry %" PRIu64 " '%s' is committed but"
                " stored by only %zu of %zu replicas", index, line, copies,
                self->replica_count);
    gavel_msg_id_t kind = gavel_msg_id (entry);
    if (kind != GAVEL_MSG_OPEN && kind != GAVEL_MSG_BID)
        return;
    char key [GAVEL_SESSION_MAX + 32];
    s_request_key (gavel_msg_session (entry), gavel_msg_request_id (entry), key, sizeof key);
    if (zhashx_lookup (self->requests, key))
        return;                 //  a retry logged again: the first one was applied
    committed_t *request = (committed_t *) zmalloc (sizeof (committed_t));
    assert (request);
    request->index = index;
    request->kind = kind;
    request->auction = gavel_msg_auction (entry);
    request->amount = gavel_msg_amount (entry);
    zhashx_insert (self->requests, key, request);
}

//  Field by field, as the entry line would show them, without formatting one
static bool
s_same_entry (gavel_msg_t *a, gavel_msg_t *b)
{
    return gavel_msg_id (a) == gavel_msg_id (b)
        && gavel_msg_term (a) == gavel_msg_term (b)
        && gavel_msg_index (a) == gavel_msg_index (b)
        && gavel_msg_stamp (a) == gavel_msg_stamp (b)
        && gavel_msg_request_id (a) == gavel_msg_request_id (b)
        && gavel_msg_duration (a) == gavel_msg_duration (b)
        && gavel_msg_reserve (a) == gavel_msg_reserve (b)
        && gavel_msg_auction (a) == gavel_msg_auction (b)
        && gavel_msg_amount (a) == gavel_msg_amount (b)
        && streq (gavel_msg_session (a), gavel_msg_session (b))
        && streq (gavel_msg_name (a), gavel_msg_name (b))
        && streq (gavel_msg_item (a), gavel_msg_item (b));
}

static void
s_check_entry (sim_t *self, size_t replica, uint64_t index)
{
    size_t id = replica + 1;
    gavel_core_t *core = gavel_fixture_core (self->world, replica);
    gavel_msg_t *entry = gavel_core_entry (core, index);
    if (!entry) {
        sim_fail (self, "committed-log", "replica %zu has commit %" PRIu64
                " but no entry %" PRIu64, id, gavel_core_commit (core), index);
        return;
    }
    if (gavel_msg_index (entry) != index) {
        sim_fail (self, "committed-log", "replica %zu's entry %" PRIu64 " says index %" PRIu64,
                id, index, gavel_msg_index (entry));
        return;
    }
    if (index <= self->committed && s_same_entry (entry, self->entries [index - 1]))
        return;
    char line [GAVEL_ENTRY_MAX];
    gavel_msg_encode_entry (entry, line, sizeof line);
    if (index <= self->committed)
        sim_fail (self, "committed-log", "committed entry %" PRIu64 " was '%s' but replica"
                " %zu has '%s'", index, self->log [index - 1], id, line);
    else {
        assert (index == self->committed + 1);
        s_commit (self, entry, line);
    }
}

void
sim_check_replica (sim_t *self, size_t replica)
{
    gavel_core_t *core = gavel_fixture_core (self->world, replica);
    watch_t *watch = &self->watches [replica];
    size_t id = replica + 1;
    if (gavel_core_role (core) == GAVEL_ROLE_PRIMARY)
        s_check_primary (self, gavel_core_term (core), id);
    uint64_t commit = gavel_core_commit (core);
    uint64_t applied = gavel_core_applied (core);
    if (applied > commit)
        sim_fail (self, "applied-committed", "replica %zu applied %" PRIu64
                " but commit is %" PRIu64, id, applied, commit);
    if (commit < watch->last_commit)
        sim_fail (self, "committed-log", "replica %zu's commit went back from %" PRIu64
                " to %" PRIu64, id, watch->last_commit, commit);
    watch->last_commit = commit;
    if (commit > gavel_core_last_index (core))
        sim_fail (self, "committed-log", "replica %zu has commit %" PRIu64 " beyond its last"
                " index %" PRIu64, id, commit, gavel_core_last_index (core));
    //  What a snapshot holds was checked as a state when it was taken
    uint64_t base = gavel_core_base (core);
    if (base > applied || base > self->committed)
        sim_fail (self, "snapshot-committed", "replica %zu's snapshot ends at %" PRIu64
                ", beyond what it applied (%" PRIu64 ") or what is committed (%" PRIu64 ")",
                id, base, applied, self->committed);
    if (watch->checked < base)
        watch->checked = base;
    while (watch->checked < commit && !self->failed)
        s_check_entry (self, replica, ++watch->checked);
    //  A committed entry may still be overwritten later: look again at the
    //  newest and at one that moves around the log with the step count
    if (watch->checked > base && !self->failed) {
        uint64_t span = watch->checked - base;
        s_check_entry (self, replica, watch->checked);
        s_check_entry (self, replica, base + 1 + (sim_steps (self) * 2654435761u) % span);
    }
}

//  A snapshot is the state after the committed entries it covers: the same
//  frames as the simulator's own state machine after them
void
sim_check_snapshot (sim_t *self, size_t replica, gavel_msg_t *snapshot)
{
    uint64_t index = gavel_msg_index (snapshot);
    if (gavel_fixture_core (self->world, replica))
        sim_check_replica (self, replica);
    if (self->failed)
        return;
    if (index > self->committed) {
        sim_fail (self, "snapshot-committed", "replica %zu stores a snapshot at %" PRIu64
                " but only %" PRIu64 " entries are committed", replica + 1, index,
                self->committed);
        return;
    }
    zmsg_t *expected = s_reference_state (self, index);
    char where [512] = "";
    if (gavel_msg_last_term (snapshot) != gavel_msg_term (self->entries [index - 1]))
        sim_fail (self, "snapshot-state", "replica %zu stores a snapshot at %" PRIu64
                " of term %" PRIu64 " but committed entry %" PRIu64 " is '%s'",
                replica + 1, index, gavel_msg_last_term (snapshot), index,
                self->log [index - 1]);
    else
    if (!s_same_state (expected, gavel_msg_payload (snapshot), where, sizeof where))
        sim_fail (self, "snapshot-state", "replica %zu stores a snapshot at %" PRIu64
                " that is not the state after committed entries 1..%" PRIu64 ": it has %s",
                replica + 1, index, index, where);
    zmsg_destroy (&expected);
}

//  Whether the replica stores committed entry index, in its log or in its
//  snapshot: what counts towards the majority that keeps it
bool
sim_stores_committed (sim_t *self, size_t replica, uint64_t index)
{
    if (index > self->committed)
        return false;
    if (index <= gavel_fixture_stored_base (self->world, replica))
        return true;
    const char *line = gavel_fixture_stored_line (self->world, replica, index);
    return line && streq (line, self->log [index - 1]);
}

//  A committed entry stored here must stay: it is part of the majority that
//  committed it. Compares what a save of entries cut with what is there now.
void
sim_check_kept (sim_t *self, size_t replica, uint64_t from, char **lines, size_t count)
{
    for (size_t offset = 0; offset < count && !self->failed; offset++) {
        uint64_t index = from + offset;
        if (index > self->committed || !streq (lines [offset], self->log [index - 1]))
            continue;
        if (!sim_stores_committed (self, replica, index))
            sim_fail (self, "committed-entry-kept", "replica %zu loses committed entry '%s'"
                    " from its storage (cut by a save of entries)", replica + 1,
                    lines [offset]);
    }
}

//  A success answered for an OPEN or BID must be in the committed log
void
sim_check_answered (sim_t *self, client_t *client, uint64_t request_id, const char *when)
{
    sent_t *sent = &client->sent [request_id];
    char key [GAVEL_SESSION_MAX + 32];
    s_request_key (client->session, request_id, key, sizeof key);
    committed_t *request = (committed_t *) zhashx_lookup (self->requests, key);
    if (!request)
        sim_fail (self, "success-committed", "client %zu %s success for request %" PRIu64
                " (%s auction=%" PRIu64 " amount=%" PRId64 ") but the committed log"
                " (%" PRIu64 " entries) does not hold it", client->index, when, request_id,
                sent->kind == GAVEL_MSG_OPEN? "OPEN": "BID", sent->auction, sent->amount,
                self->committed);
    else
    if (request->kind != sent->kind
    || (sent->kind == GAVEL_MSG_BID
        && (request->auction != sent->auction || request->amount != sent->amount)))
        sim_fail (self, "success-committed", "client %zu's request %" PRIu64 " is committed"
                " at %" PRIu64 " with other content (auction=%" PRIu64 " amount=%" PRId64 ")",
                client->index, request_id, request->index, request->auction,
                request->amount);
}

//  The first record in which two replies differ, or -1
static int
s_differ (gavel_msg_t *a, gavel_msg_t *b)
{
    size_t count = gavel_msg_records (a) > gavel_msg_records (b)
                 ? gavel_msg_records (a): gavel_msg_records (b);
    for (size_t index = 0; index < count; index++)
        if (index >= gavel_msg_records (a) || index >= gavel_msg_records (b)
        ||  !streq (gavel_msg_record (a, index), gavel_msg_record (b, index)))
            return (int) index;
    return -1;
}

static const char *
s_record_or_none (gavel_msg_t *reply, int index)
{
    return (size_t) index < gavel_msg_records (reply)
         ? gavel_msg_record (reply, (size_t) index): "(none)";
}

//  Replicas that applied the same entries hold the same auctions: asked
//  for a LIST at the same instant, they answer alike
void
sim_check_states (sim_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_t *lists [SIM_REPLICAS_MAX] = { NULL };
    gavel_core_t *cores [SIM_REPLICAS_MAX] = { NULL };
    for (size_t index = 0; index < self->replica_count; index++) {
        cores [index] = gavel_fixture_core (self->world, index);
        if (cores [index])
            lists [index] = gavel_auction_query (gavel_core_auction (cores [index]), request,
                                                 sim_now (self));
    }
    for (size_t index = 0; index < self->replica_count; index++)
        for (size_t other = 0; other < index && lists [index]; other++) {
            if (!lists [other]
            ||  gavel_core_applied (cores [index]) != gavel_core_applied (cores [other]))
                continue;
            int differ = s_differ (lists [other], lists [index]);
            if (differ >= 0)
                sim_fail (self, "same-state", "replicas %zu and %zu applied %" PRIu64
                        " entries but list auctions differently: '%s' and '%s'",
                        other + 1, index + 1, gavel_core_applied (cores [index]),
                        s_record_or_none (lists [other], differ),
                        s_record_or_none (lists [index], differ));
        }
    //  And those that applied the whole committed log list what we do
    gavel_msg_t *ours = gavel_auction_query (self->reference, request, sim_now (self));
    for (size_t index = 0; index < self->replica_count && !self->failed; index++) {
        if (!lists [index] || gavel_core_applied (cores [index]) != self->committed)
            continue;
        int differ = s_differ (ours, lists [index]);
        if (differ >= 0)
            sim_fail (self, "same-state", "replica %zu applied the %" PRIu64 " committed"
                    " entries but lists '%s' where they give '%s'", index + 1,
                    self->committed, s_record_or_none (lists [index], differ),
                    s_record_or_none (ours, differ));
    }
    gavel_msg_destroy (&ours);
    for (size_t index = 0; index < self->replica_count; index++)
        gavel_msg_destroy (&lists [index]);
    gavel_msg_destroy (&request);
}

void
sim_check (sim_t *self)
{
    for (size_t index = 0; index < self->replica_count && !self->failed; index++)
        if (gavel_fixture_core (self->world, index))
            sim_check_replica (self, index);
    for (size_t index = 0; index < self->emitted_count && !self->failed; index++) {
        emitted_t *emitted = &self->emitted [index];
        sim_check_answered (self, &self->clients [emitted->client], emitted->request_id,
                          "was sent");
    }
    self->emitted_count = 0;
    if (sim_steps (self) % 128 == 0 && !self->failed)
        sim_check_states (self);
}


//  --------------------------------------------------------------------------
//  What the bidders were told, in the order they were told it. Each
//  confirmation (an auction opened, or a bid higher than any before that a
//  bidder heard succeed) takes the next epoch. A request remembers the epoch
//  it was first sent in, and any answer to it must reflect every confirmation
//  up to there: what completed before a request began is visible to it.

void
sim_confirm_open (sim_t *self, uint64_t auction)
{
    auction_view_t *view = &self->auctions [auction];
    if (!view->known_epoch)
        view->known_epoch = ++self->epoch;
}

void
sim_confirm_bid (sim_t *self, uint64_t auction, int64_t amount, size_t client)
{
    auction_view_t *view = &self->auctions [auction];
    if (amount <= view->best)
        return;                 //  an older success whose answer came late
    view->best = amount;
    view->best_client = client;
    if (view->raises == view->history_capacity) {
        view->history_capacity = view->history_capacity? view->history_capacity * 2: 16;
        view->history = (confirmation_t *) realloc (
            view->history, view->history_capacity * sizeof (confirmation_t));
        assert (view->history);
    }
    view->history [view->raises++] = (confirmation_t) { ++self->epoch, amount };
}

bool
sim_auction_valid (int64_t auction)
{
    return auction >= 1 && auction <= SIM_AUCTIONS_MAX;
}

//  The highest bid on the auction confirmed by epoch, or 0
static int64_t
s_confirmed (sim_t *self, uint64_t auction, uint64_t epoch)
{
    auction_view_t *view = &self->auctions [auction];
    size_t low = 0;
    size_t high = view->raises;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (view->history [middle].epoch <= epoch)
            low = middle + 1;
        else
            high = middle;
    }
    return low? view->history [low - 1].amount: 0;
}

static bool
s_known (sim_t *self, uint64_t auction, uint64_t epoch)
{
    uint64_t known = sim_auction_valid ((int64_t) auction)
                   ? self->auctions [auction].known_epoch: 0;
    return known && known <= epoch;
}


//  --------------------------------------------------------------------------
//  Replies, checked as they leave the replica: whether or not the network
//  delivers them, and whether or not their client still waits for them

//  A number out of a reply record, or -1 when the key is absent
int64_t
sim_record_number (const char *record, const char *key)
{
    char value [32];
    if (gavel_record_get (record, key, value, sizeof value))
        return -1;
    return strtoll (value, NULL, 10);
}

const char *
sim_first_record (gavel_msg_t *reply)
{
    return gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
}

//  An amount the reply reports for an auction (its highest bid, or winning
//  one) must be at least what was confirmed before the request was sent
static void
s_check_fresh (sim_t *self, client_t *client, uint64_t request_id,
               const char *record, const char *key)
{
    int64_t auction = sim_record_number (record, "auction");
    int64_t amount = sim_record_number (record, key);
    if (!sim_auction_valid (auction) || amount < 0)
        return;
    int64_t confirmed = s_confirmed (self, auction, client->sent [request_id].epoch);
    if (amount < confirmed)
        sim_fail (self, "linearizable", "client %zu's request %" PRIu64 " is answered"
                " '%s', but a bid of %" PRId64 " on auction %" PRId64 " had succeeded"
                " before it was sent", client->index, request_id, record, confirmed,
                auction);
}

//  --------------------------------------------------------------------------
//  The deadline as an operation of its own. An auction's deadline passes on
//  a replica when its clock reaches the committed OPEN's stamp + duration:
//  in the simulation's time, between deadline - skew_high and deadline -
//  skew_low. In the order of operations it comes after every BID stamped
//  before it (all that will ever commit) and before every other. So an
//  answer that says closed comes after that span began and shows the
//  auction's final state, which no later commit may change; an answer that
//  says open (a success, a too-low or below-reserve fail, a read showing it
//  open) answers a request sent before that span ended, and before any
//  bidder was told the auction is closed.

static const char *s_kind_name (gavel_msg_id_t kind);

static void
s_reply_name (sim_t *self, client_t *client, uint64_t request_id, size_t from,
              char *text, size_t size)
{
    snprintf (text, size, "replica %zu's answer to client %zu's %s #%" PRIu64 " at t=+%.3fs",
              from + 1, client->index, s_kind_name (client->sent [request_id].kind),
              request_id, (double) (sim_now (self) - SIM_T0) / 1000.0);
}

//  The auction as the committed log has it, at its deadline: "state=closed
//  winner=.. amount=.." (or "state=open highest=.. bidder=.." if the rules
//  say otherwise: the two are compared by amount and name)
static void
s_reference_result (sim_t *self, uint64_t auction, char *record, size_t size)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_set_auction (request, auction);
    gavel_msg_t *reply = gavel_auction_query (self->reference, request,
                                              self->auctions [auction].deadline);
    snprintf (record, size, "%s", sim_first_record (reply));
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
}

static void
s_check_closed (sim_t *self, client_t *client, uint64_t request_id, size_t from,
                const char *record)
{
    int64_t auction = sim_record_number (record, "auction");
    if (!sim_auction_valid (auction) || !self->auctions [auction].deadline)
        return;
    auction_view_t *view = &self->auctions [auction];
    char by [128];
    s_reply_name (self, client, request_id, from, by, sizeof by);
    if (sim_now (self) < view->deadline - self->skew_high) {
        sim_fail (self, "deadline", "%s is '%s', but the deadline passes on no replica"
                " before t=+%.3fs", by, record,
                (double) (view->deadline - self->skew_high - SIM_T0) / 1000.0);
        return;
    }
    char winner [GAVEL_NAME_MAX + 1] = "";
    gavel_record_get (record, "winner", winner, sizeof winner);
    int64_t amount = sim_record_number (record, "amount");
    char final [GAVEL_RECORD_MAX];
    s_reference_result (self, (uint64_t) auction, final, sizeof final);
    char final_winner [GAVEL_NAME_MAX + 1] = "";
    if (gavel_record_get (final, "winner", final_winner, sizeof final_winner))
        gavel_record_get (final, "bidder", final_winner, sizeof final_winner);
    int64_t final_amount = sim_record_number (final, "amount");
    if (final_amount < 0)
        final_amount = sim_record_number (final, "highest");
    if (amount != final_amount || !streq (winner, final_winner)) {
        sim_fail (self, "closed-final", "%s is '%s', but the committed log has '%s'",
                by, record, final);
        return;
    }
    if (!view->claimed) {
        view->claimed = true;
        view->claim_amount = amount;
        snprintf (view->claim_winner, sizeof view->claim_winner, "%s", winner);
        snprintf (view->claim_by, sizeof view->claim_by, "%s", by);
    }
}

static void
s_check_open (sim_t *self, client_t *client, uint64_t request_id, size_t from,
              const char *record)
{
    int64_t auction = sim_record_number (record, "auction");
    if (!sim_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    sent_t *sent = &client->sent [request_id];
    char by [128];
    s_reply_name (self, client, request_id, from, by, sizeof by);
    if (view->deadline && sent->sent_at >= view->deadline - self->skew_low)
        sim_fail (self, "deadline", "%s is '%s', but it was sent at t=+%.3fs, when the"
                " deadline had passed on every replica (by t=+%.3fs)", by, record,
                (double) (sent->sent_at - SIM_T0) / 1000.0,
                (double) (view->deadline - self->skew_low - SIM_T0) / 1000.0);
    else
    if (view->closed_epoch && view->closed_epoch <= sent->epoch)
        sim_fail (self, "linearizable", "%s is '%s', but a bidder had been told auction %"
                PRId64 " is closed before it was sent", by, record, auction);
}

//  A RESULT or LIST record: "state=open highest=.." or "state=closed amount=.."
static void
s_check_state_record (sim_t *self, client_t *client, uint64_t request_id,
                      size_t from, const char *record)
{
    char state [16] = "";
    gavel_record_get (record, "state", state, sizeof state);
    bool closed = streq (state, "closed");
    s_check_fresh (self, client, request_id, record, closed? "amount": "highest");
    if (closed)
        s_check_closed (self, client, request_id, from, record);
    else
        s_check_open (self, client, request_id, from, record);
}

static void
s_check_list (sim_t *self, client_t *client, uint64_t request_id, size_t from,
              gavel_msg_t *reply)
{
    bool listed [SIM_AUCTIONS_MAX + 1] = { false };
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        int64_t auction = sim_record_number (record, "auction");
        if (sim_auction_valid (auction))
            listed [auction] = true;
        s_check_state_record (self, client, request_id, from, record);
    }
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++)
        if (!listed [auction] && s_known (self, auction, client->sent [request_id].epoch))
            sim_fail (self, "linearizable", "client %zu's LIST %" PRIu64 " misses auction %"
                    PRIu64 ", opened before it was sent", client->index, request_id,
                    auction);
}

static void
s_check_bid_success (sim_t *self, client_t *client, uint64_t request_id,
                     const char *record)
{
    sent_t *sent = &client->sent [request_id];
    if (sim_record_number (record, "auction") != (int64_t) sent->auction
    ||  sim_record_number (record, "amount") != sent->amount)
        sim_fail (self, "client", "client %zu's BID %" PRIu64 " auction=%" PRIu64 " amount=%"
                PRId64 " succeeds as '%s'", client->index, request_id, sent->auction,
                sent->amount, record);
    if (!sim_auction_valid ((int64_t) sent->auction))
        return;
    int64_t confirmed = s_confirmed (self, sent->auction, sent->epoch);
    if (sent->amount <= confirmed)
        sim_fail (self, "linearizable", "client %zu's bid of %" PRId64 " on auction %" PRIu64
                " succeeds, but a bid of %" PRId64 " had succeeded before it was sent",
                client->index, sent->amount, sent->auction, confirmed);
}

//  A success for a write is looked up in the committed log once the event
//  is over and every core's commit has been taken in
static void
s_note_write (sim_t *self, client_t *client, uint64_t request_id)
{
    if (self->emitted_count == self->emitted_capacity) {
        self->emitted_capacity = self->emitted_capacity? self->emitted_capacity * 2: 16;
        self->emitted = (emitted_t *) realloc (self->emitted,
                                               self->emitted_capacity * sizeof (emitted_t));
        assert (self->emitted);
    }
    self->emitted [self->emitted_count++] = (emitted_t) { client->index, request_id };
}

static void
s_check_success (sim_t *self, client_t *client, uint64_t request_id, size_t from,
                 gavel_msg_t *reply)
{
    sent_t *sent = &client->sent [request_id];
    const char *record = sim_first_record (reply);
    switch (sent->kind) {
        case GAVEL_MSG_OPEN: {
            int64_t auction = sim_record_number (record, "auction");
            if (auction < 1 || (uint64_t) auction > self->opens_sent)
                sim_fail (self, "at-most-once", "client %zu's OPEN %" PRIu64 " gets auction %"
                        PRId64 " but only %zu OPENs were ever sent", client->index,
                        request_id, auction, self->opens_sent);
            s_note_write (self, client, request_id);
            break;
        }
        case GAVEL_MSG_BID:
            s_check_bid_success (self, client, request_id, record);
            s_check_open (self, client, request_id, from, record);
            s_note_write (self, client, request_id);
            break;
        case GAVEL_MSG_RESULT:
            s_check_state_record (self, client, request_id, from, record);
            break;
        case GAVEL_MSG_LIST:
            s_check_list (self, client, request_id, from, reply);
            break;
        default:
            break;
    }
}

static void
s_check_exception (sim_t *self, client_t *client, uint64_t request_id, gavel_msg_t *reply)
{
    const char *reason = gavel_msg_reason (reply);
    sent_t *sent = &client->sent [request_id];
    if (streq (reason, "unknown-auction") && s_known (self, sent->auction, sent->epoch))
        sim_fail (self, "linearizable", "client %zu's request %" PRIu64 " is told auction %"
                PRIu64 " is unknown, but it was opened before the request was sent",
                client->index, request_id, sent->auction);
    //  A copy of an older request may come late and be refused as stale; the
    //  current one never can: nothing newer was sent in its session
    if ((streq (reason, "stale-request") && request_id == client->request_id)
    ||  streq (reason, "malformed") || streq (reason, "unknown-command"))
        sim_fail (self, "client", "client %zu's request %" PRIu64 " gets exception %s: %s",
                client->index, request_id, reason, gavel_msg_message (reply));
}

static void
s_check_redirect (sim_t *self, gavel_msg_t *reply, size_t from)
{
    const char *record = sim_first_record (reply);
    int64_t primary = sim_record_number (record, "primary");
    char endpoint [64] = "";
    gavel_record_get (record, "client", endpoint, sizeof endpoint);
    if (primary >= 1 && (size_t) primary <= self->replica_count
    &&  !streq (endpoint, gavel_fixture_endpoint ((size_t) primary - 1)))
        sim_fail (self, "client", "replica %zu redirects to primary %" PRId64 " at '%s'",
                from + 1, primary, endpoint);
}

void
sim_check_reply (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    uint64_t request_id = gavel_msg_request_id (reply);
    if (request_id == 0 || request_id > client->request_id) {
        sim_fail (self, "client", "replica %zu answers client %zu's request %" PRIu64
                ", which was never sent", from + 1, client->index, request_id);
        return;
    }
    const char *record = sim_first_record (reply);
    const char *reason = gavel_msg_reason (reply);
    switch (gavel_msg_outcome (reply)) {
        case GAVEL_SUCCESS:
            s_check_success (self, client, request_id, from, reply);
            break;
        case GAVEL_FAIL:
            if (streq (reason, "too-low"))
                s_check_fresh (self, client, request_id, record, "highest");
            else
            if (streq (reason, "closed")) {
                s_check_fresh (self, client, request_id, record, "amount");
                s_check_closed (self, client, request_id, from, record);
            }
            if (streq (reason, "too-low") || streq (reason, "below-reserve"))
                s_check_open (self, client, request_id, from, record);
            break;
        case GAVEL_EXCEPTION:
            s_check_exception (self, client, request_id, reply);
            break;
        case GAVEL_REDIRECT:
            s_check_redirect (self, reply, from);
            break;
        default:
            sim_fail (self, "client", "replica %zu answers with outcome %d", from + 1,
                    gavel_msg_outcome (reply));
            break;
    }
}
