/*  fuzz_core: peer messages fed to a gavel_core in a valid state.

    The first byte picks the state the core is brought to through its own
    API, as a real cluster would bring it (see s_build): a backup with a log,
    a backup with a snapshot, a primary with committed and uncommitted
    entries with and without a snapshot, a candidate, a fresh replica, and a
    cluster of one. The rest is a sequence of messages separated by lines
    "%%" (a snapshot's payload holds empty frames, so an empty line cannot
    part them), each a message's frames split at '\n'. A peer message goes
    to gavel_core_receive, a client request to gavel_core_request, and a
    message "+MS" lets MS milliseconds pass; each is followed by flush and
    any tick due. After every step the core's invariants are checked through
    its accessors, and every action it takes must be sound: the messages it
    sends decode, the entries it saves follow one another, the snapshots it
    saves load.
*/
#include "fuzz.h"
#include "gavel_auction.h"
#include "gavel_core.h"

#define T0 1700000000000LL
#define STEPS_MAX 64            //  messages per input
#define TICKS_MAX 1000          //  ticks per step

typedef struct {
    gavel_core_t *core;
    int64_t now;
    uint64_t term;              //  the highest term seen: terms never go back
    //  Committed entries never change: their terms as last seen
    uint64_t committed_base;
    uint64_t committed_count;
    uint64_t committed [256];
} harness_t;

//  -------------------------------------------------------------------------
//  Invariants

static void
s_check_message (gavel_msg_t *msg, const char *what)
{
    zmsg_t *frames = gavel_msg_encode (msg);
    gavel_msg_error_t error;
    gavel_msg_t *again = gavel_msg_decode (frames, &error);
    FUZZ_CHECK (again, "the core sent a %s %s that does not decode: %s", what,
                gavel_msg_command (msg), error.message);
    gavel_msg_destroy (&again);
    zmsg_destroy (&frames);
}

static void
s_check_action (harness_t *self, gavel_action_t *action)
{
    gavel_msg_t *msg = action->msg;
    switch (action->kind) {
        case GAVEL_ACTION_REPLY:
            FUZZ_CHECK (msg && gavel_msg_id (msg) == GAVEL_MSG_REPLY, "a reply that is not a REPLY");
            s_check_message (msg, "reply");
            break;
        case GAVEL_ACTION_PUBLISH:
        case GAVEL_ACTION_ACK:
        case GAVEL_ACTION_MESH:
            FUZZ_CHECK (msg, "a message action without a message");
            s_check_message (msg, "peer message");
            if (action->kind != GAVEL_ACTION_PUBLISH)
                FUZZ_CHECK (action->to >= 1 && action->to <= GAVEL_CORE_REPLICAS_MAX
                            && action->to != gavel_core_id (self->core),
                            "a message to replica %" PRIu64, action->to);
            if (gavel_msg_id (msg) == GAVEL_MSG_FETCH)
                FUZZ_CHECK (gavel_msg_index (msg) >= 1, "FETCH from index %" PRIu64, gavel_msg_index (msg));
            break;
        case GAVEL_ACTION_SAVE_STATE:
            FUZZ_CHECK (action->vote <= GAVEL_CORE_REPLICAS_MAX, "saved vote %" PRIu64, action->vote);
            break;
        case GAVEL_ACTION_SAVE_ENTRIES: {
            uint64_t expect = gavel_msg_prev_index (msg) + 1;
            for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry; entry = gavel_msg_next_entry (msg)) {
                FUZZ_CHECK (gavel_msg_index (entry) == expect, "saving entry %" PRIu64 " where %"
                            PRIu64 " follows", gavel_msg_index (entry), expect);
                expect++;
            }
            break;
        }
        case GAVEL_ACTION_SAVE_SNAPSHOT: {
            FUZZ_CHECK (msg && gavel_msg_id (msg) == GAVEL_MSG_SNAPSHOT, "saving a snapshot that is not one");
            FUZZ_CHECK (gavel_msg_index (msg) >= 1 && gavel_msg_index (msg) < UINT64_MAX,
                        "saving a snapshot at %" PRIu64, gavel_msg_index (msg));
            gavel_auction_t *state = gavel_msg_payload (msg)? gavel_auction_load (gavel_msg_payload (msg)): NULL;
            FUZZ_CHECK (state, "saving a snapshot at %" PRIu64 " that does not load", gavel_msg_index (msg));
            gavel_auction_destroy (&state);
            break;
        }
    }
}

static void
s_drain (harness_t *self)
{
    gavel_action_t *action;
    while ((action = gavel_core_next_action (self->core))) {
        s_check_action (self, action);
        //  Stored at once, as gavel_node reports it
        if (action->kind == GAVEL_ACTION_SAVE_ENTRIES)
            gavel_core_persisted (self->core, action->index, action->term, self->now);
        gavel_action_destroy (&action);
    }
}

static void
s_check (harness_t *self)
{
    gavel_core_t *core = self->core;
    uint64_t term = gavel_core_term (core);
    uint64_t base = gavel_core_base (core);
    uint64_t applied = gavel_core_applied (core);
    uint64_t commit = gavel_core_commit (core);
    uint64_t last = gavel_core_last_index (core);
    FUZZ_CHECK (term >= self->term, "term went back from %" PRIu64 " to %" PRIu64, self->term, term);
    FUZZ_CHECK (term < UINT64_MAX, "term reached 2^64-1: the next one wraps");
    self->term = term;
    FUZZ_CHECK (applied <= commit && commit <= last, "applied %" PRIu64 " commit %" PRIu64
                " last %" PRIu64, applied, commit, last);
    FUZZ_CHECK (base <= commit, "base %" PRIu64 " above commit %" PRIu64, base, commit);
    FUZZ_CHECK (last - base <= 100000, "base %" PRIu64 " last %" PRIu64 ": more entries than "
                "any input could give", base, last);
    uint64_t previous = 0;
    for (uint64_t index = base + 1; index <= last && index > base; index++) {
        gavel_msg_t *entry = gavel_core_entry (core, index);
        FUZZ_CHECK (entry, "no entry %" PRIu64 " in %" PRIu64 "..%" PRIu64, index, base + 1, last);
        FUZZ_CHECK (gavel_msg_index (entry) == index, "entry %" PRIu64 " says index %" PRIu64,
                    index, gavel_msg_index (entry));
        FUZZ_CHECK (gavel_msg_term (entry) >= previous, "entry %" PRIu64 " has term %" PRIu64
                    " after %" PRIu64, index, gavel_msg_term (entry), previous);
        FUZZ_CHECK (gavel_msg_term (entry) <= term, "entry %" PRIu64 " of term %" PRIu64
                    " beyond the core's %" PRIu64, index, gavel_msg_term (entry), term);
        previous = gavel_msg_term (entry);
    }
    if (gavel_core_role (core) == GAVEL_ROLE_PRIMARY)
        FUZZ_CHECK (gavel_core_primary (core) == gavel_core_id (core), "a primary that names another");
    //  What was committed stays: same index, same term, while in the log
    for (uint64_t index = 0; index < self->committed_count; index++) {
        uint64_t at = self->committed_base + 1 + index;
        gavel_msg_t *entry = at > base? gavel_core_entry (core, at): NULL;
        if (entry)
            FUZZ_CHECK (gavel_msg_term (entry) == self->committed [index], "committed entry %"
                        PRIu64 " changed term from %" PRIu64 " to %" PRIu64, at,
                        self->committed [index], gavel_msg_term (entry));
    }
    if (commit >= base && commit - base <= 256 && commit - base >= self->committed_count) {
        self->committed_base = base;
        self->committed_count = commit - base;
        for (uint64_t index = 0; index < self->committed_count; index++)
            self->committed [index] = gavel_msg_term (gavel_core_entry (core, base + 1 + index));
    }
}

//  Every tick due by now, then the end of the loop turn
static void
s_settle (harness_t *self)
{
    gavel_core_flush (self->core, self->now);
    s_drain (self);
    for (size_t ticks = 0; ticks < TICKS_MAX && gavel_core_next_deadline (self->core) <= self->now; ticks++) {
        gavel_core_tick (self->core, self->now);
        gavel_core_flush (self->core, self->now);
        s_drain (self);
    }
    s_check (self);
}

//  Let time pass up to until, a deadline at a time
static void
s_advance (harness_t *self, int64_t until)
{
    for (size_t ticks = 0; ticks < TICKS_MAX; ticks++) {
        int64_t next = gavel_core_next_deadline (self->core);
        if (next > until)
            break;
        if (next > self->now)
            self->now = next;
        gavel_core_tick (self->core, self->now);
        gavel_core_flush (self->core, self->now);
        s_drain (self);
        s_check (self);
    }
    if (until > self->now)
        self->now = until;
}

//  -------------------------------------------------------------------------
//  Building a state through the core's own API

static gavel_msg_t *
s_peer (gavel_msg_id_t id, uint64_t term, uint64_t from)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_term (msg, term);
    gavel_msg_set_from (msg, from);
    return msg;
}

static gavel_msg_t *
s_request (gavel_msg_id_t id, uint64_t request_id, const char *name, int64_t value)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_request_id (msg, request_id);
    gavel_msg_set_session (msg, name);
    gavel_msg_set_name (msg, name);
    if (id == GAVEL_MSG_OPEN) {
        gavel_msg_set_item (msg, "lamp");
        gavel_msg_set_duration (msg, value);
        gavel_msg_set_reserve (msg, 10);
    }
    else {
        gavel_msg_set_auction (msg, 1);
        gavel_msg_set_amount (msg, value);
    }
    return msg;
}

//  Entries 1.. of a log: index i has term terms [i - 1]; the first is a
//  primary's NOOP, then an OPEN and BIDs
static zlistx_t *
s_entries (uint64_t first, uint64_t last, const uint64_t *terms)
{
    zlistx_t *entries = zlistx_new ();
    for (uint64_t index = first; index <= last; index++) {
        gavel_msg_t *entry;
        if (index == 1 || terms [index - 1] != terms [index - 2]) {
            entry = gavel_msg_new (GAVEL_MSG_NOOP);
            gavel_msg_set_from (entry, 3);
        }
        else
        if (index == 2)
            entry = s_request (GAVEL_MSG_OPEN, index, "ann", 60000);
        else
            entry = s_request (GAVEL_MSG_BID, index, "bob", (int64_t) (100 + index));
        gavel_msg_set_term (entry, terms [index - 1]);
        gavel_msg_set_index (entry, index);
        gavel_msg_set_stamp (entry, T0 + (int64_t) index);
        zlistx_add_end (entries, entry);
    }
    return entries;
}

//  The state after entries 1..index of that log, as a SNAPSHOT
static gavel_msg_t *
s_snapshot (uint64_t index, const uint64_t *terms)
{
    zlistx_t *entries = s_entries (1, index, terms);
    gavel_auction_t *house = gavel_auction_new ();
    for (gavel_msg_t *entry = (gavel_msg_t *) zlistx_first (entries); entry;
         entry = (gavel_msg_t *) zlistx_next (entries)) {
        if (gavel_msg_id (entry) == GAVEL_MSG_OPEN || gavel_msg_id (entry) == GAVEL_MSG_BID) {
            gavel_msg_t *reply = gavel_auction_apply (house, entry, gavel_msg_stamp (entry));
            gavel_msg_destroy (&reply);
        }
        gavel_msg_t *own = entry;
        gavel_msg_destroy (&own);
    }
    zlistx_destroy (&entries);
    gavel_msg_t *snapshot = s_peer (GAVEL_MSG_SNAPSHOT, terms [index - 1], 3);
    gavel_msg_set_index (snapshot, index);
    gavel_msg_set_last_term (snapshot, terms [index - 1]);
    gavel_msg_set_commit (snapshot, index);
    zmsg_t *state = gavel_auction_save (house);
    gavel_msg_set_payload (snapshot, &state);
    gavel_auction_destroy (&house);
    return snapshot;
}

static void
s_receive (harness_t *self, gavel_msg_t *msg)
{
    gavel_core_receive (self->core, &msg, self->now);
    s_settle (self);
}

static void
s_client (harness_t *self, gavel_msg_t *msg)
{
    gavel_core_request (self->core, NULL, &msg, self->now);
    s_settle (self);
}

//  A log message from primary 3 of term after prev with the given entries
static gavel_msg_t *
s_log (uint64_t term, uint64_t prev, uint64_t prev_term, uint64_t commit,
       uint64_t first, uint64_t last, const uint64_t *terms)
{
    gavel_msg_t *log = s_peer (GAVEL_MSG_LOG, term, 3);
    gavel_msg_set_prev_index (log, prev);
    gavel_msg_set_prev_term (log, prev_term);
    gavel_msg_set_commit (log, commit);
    zlistx_t *entries = first <= last? s_entries (first, last, terms): NULL;
    gavel_msg_t *entry;
    while (entries && (entry = (gavel_msg_t *) zlistx_detach (entries, NULL)))
        gavel_msg_add_entry (log, &entry);
    zlistx_destroy (&entries);
    return log;
}

//  Replica id of replicas, restored from a snapshot at snapshot (0: none),
//  then entries after it up to last, at term
static void
s_restore (harness_t *self, uint64_t id, size_t replicas, uint64_t snapshot,
           uint64_t last, uint64_t term, const uint64_t *terms)
{
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, id, replicas);
    static const char *clients [] = { "tcp://10.0.0.1:1", "tcp://10.0.0.2:1", "tcp://10.0.0.3:1",
                                      "tcp://10.0.0.4:1", "tcp://10.0.0.5:1" };
    for (size_t slot = 0; slot < replicas; slot++)
        settings.clients [slot] = clients [slot];
    settings.snapshot_every = 10;
    self->core = gavel_core_new (&settings);
    if (snapshot) {
        gavel_msg_t *state = s_snapshot (snapshot, terms);
        gavel_core_restore_snapshot (self->core, &state);
    }
    zlistx_t *entries = s_entries (snapshot + 1, last, terms);
    gavel_core_restore (self->core, term, 0, &entries);
    self->now = T0 + 1000;
    gavel_core_tick (self->core, self->now);
    s_settle (self);
}

//  Replica 3 of 3 wins a round: an ALIVE, an ACCEPT; then appends requests
//  and hears acks for all but the last
static void
s_elect_primary (harness_t *self, uint64_t peer_last_term, uint64_t peer_last)
{
    for (size_t ticks = 0; ticks < 10 && gavel_core_role (self->core) != GAVEL_ROLE_CANDIDATE; ticks++)
        s_advance (self, gavel_core_next_deadline (self->core));
    assert (gavel_core_role (self->core) == GAVEL_ROLE_CANDIDATE);
    gavel_msg_t *alive = s_peer (GAVEL_MSG_ALIVE, gavel_core_term (self->core), 1);
    gavel_msg_set_last_term (alive, peer_last_term);
    gavel_msg_set_last_index (alive, peer_last);
    s_receive (self, alive);
    gavel_msg_t *accept = s_peer (GAVEL_MSG_ACCEPT, gavel_core_term (self->core), 1);
    gavel_msg_set_granted (accept, true);
    s_receive (self, accept);
    assert (gavel_core_role (self->core) == GAVEL_ROLE_PRIMARY);
    uint64_t term = gavel_core_term (self->core);
    gavel_msg_t *ack = s_peer (GAVEL_MSG_ACK, term, 1);
    gavel_msg_set_index (ack, gavel_core_last_index (self->core));
    s_receive (self, ack);
    s_client (self, s_request (GAVEL_MSG_OPEN, 1, "cat", 60000));
    s_client (self, s_request (GAVEL_MSG_BID, 1, "dan", 500));
    s_client (self, s_request (GAVEL_MSG_BID, 2, "dan", 600));
    self->now += 5;
    ack = s_peer (GAVEL_MSG_ACK, term, 2);
    gavel_msg_set_index (ack, gavel_core_last_index (self->core) - 1);
    gavel_msg_set_seq (ack, 1);
    s_receive (self, ack);
    s_client (self, s_request (GAVEL_MSG_BID, 3, "dan", 700));
    self->now += 5;
    s_settle (self);
}

static void
s_build (harness_t *self, uint8_t kind)
{
    static const uint64_t terms [] = { 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
    switch (kind % 7) {
        case 0:         //  backup 1 following primary 3, some entries committed
            s_restore (self, 1, 3, 0, 6, 2, terms);
            s_receive (self, s_log (2, 6, 2, 4, 7, 8, terms));
            break;
        case 1:         //  the same with a snapshot at 4
            s_restore (self, 1, 3, 4, 7, 2, terms);
            s_receive (self, s_log (2, 7, 2, 6, 8, 9, terms));
            break;
        case 2:         //  primary 3 with a snapshot at 4
            s_restore (self, 3, 3, 4, 6, 2, terms);
            s_elect_primary (self, 1, 3);
            break;
        case 3:         //  primary 3 without a snapshot
            s_restore (self, 3, 3, 0, 5, 2, terms);
            s_elect_primary (self, 1, 3);
            break;
        case 4:         //  replica 2 running a round (probe sent)
            s_restore (self, 2, 3, 0, 6, 2, terms);
            s_advance (self, self->now + 400);
            break;
        case 5:         //  replica 1 of 5, fresh: nothing stored
            s_restore (self, 1, 5, 0, 0, 0, terms);
            break;
        case 6:         //  a cluster of one: primary at once
            s_restore (self, 1, 1, 0, 4, 1, terms);
            s_client (self, s_request (GAVEL_MSG_OPEN, 1, "eve", 5000));
            break;
    }
}

//  -------------------------------------------------------------------------

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    fuzz_init ();
    return 0;
}

#define SEPARATOR "\n%%\n"

//  Where the next message ends: at a separator, or at the end
static size_t
s_message_end (const uint8_t *data, size_t size)
{
    for (size_t index = 0; index + 4 <= size; index++)
        if (memcmp (data + index, SEPARATOR, 4) == 0)
            return index;
    return size;
}

static void
s_step (harness_t *self, const uint8_t *data, size_t size)
{
    if (size >= 2 && size <= 7 && data [0] == '+') {
        char text [8];
        memcpy (text, data + 1, size - 1);
        text [size - 1] = '\0';
        int64_t ms = atoll (text);
        if (ms > 0)
            s_advance (self, self->now + ms);
        return;
    }
    zmsg_t *frames = fuzz_frames (data, size);
    gavel_msg_error_t error;
    gavel_msg_t *msg = gavel_msg_decode (frames, &error);
    zmsg_destroy (&frames);
    self->now++;
    if (!msg)
        s_settle (self);
    else {
        gavel_msg_id_t id = gavel_msg_id (msg);
        if (id == GAVEL_MSG_OPEN || id == GAVEL_MSG_BID || id == GAVEL_MSG_RESULT
        ||  id == GAVEL_MSG_LIST || id == GAVEL_MSG_STATUS || id == GAVEL_MSG_HISTORY)
            s_client (self, msg);
        else
            s_receive (self, msg);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_init ();
    if (size < 1)
        return 0;
    harness_t self;
    memset (&self, 0, sizeof self);
    s_build (&self, data [0]);
    data++;
    size--;
    for (size_t steps = 0; size > 0 && steps < STEPS_MAX; steps++) {
        size_t end = s_message_end (data, size);
        s_step (&self, data, end);
        size_t used = end + 4 <= size? end + 4: size;
        data += used;
        size -= used;
    }
    s_advance (&self, self.now + 2000);
    gavel_core_destroy (&self.core);
    return 0;
}
