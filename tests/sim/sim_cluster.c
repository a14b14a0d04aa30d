/*  sim_cluster: The world the cores run in: durable storage, a disk that writes
    late, a network that loses, delays and doubles, the shell's loop turn,
    and replicas that crash, restart and pause.
*/
#include "sim.h"

const char *sim_endpoints [SIM_REPLICAS_MAX] = {
    "tcp://sim-1:21001", "tcp://sim-2:21001", "tcp://sim-3:21001",
    "tcp://sim-4:21001", "tcp://sim-5:21001", "tcp://sim-6:21001",
    "tcp://sim-7:21001"
};


//  --------------------------------------------------------------------------
//  Durable storage: what SAVE_STATE, SAVE_ENTRIES and SAVE_SNAPSHOT wrote,
//  with the semantics of replica/gavel_store.c. Entries are kept as the
//  lines the log file would hold, and a restart decodes them again.

static void
s_store_state (sim_t *self, replica_t *replica, uint64_t term, uint64_t vote)
{
    if (term < replica->term)
        sim_fail (self, "storage", "replica %zu stored term %" PRIu64 " after term %" PRIu64,
                replica->index + 1, term, replica->term);
    else
    if (term == replica->term && replica->vote && vote != replica->vote)
        sim_fail (self, "one-vote-per-term", "replica %zu changed its vote in term %" PRIu64
                " from %" PRIu64 " to %" PRIu64, replica->index + 1, term, replica->vote, vote);
    replica->term = term;
    replica->vote = vote;
}

//  The last index stored, in the snapshot or after it
uint64_t
sim_stored_last (replica_t *replica)
{
    return replica->base + replica->stored;
}

//  The stored line of entry index, or NULL (not stored, or in the snapshot)
const char *
sim_stored_line (replica_t *replica, uint64_t index)
{
    if (index <= replica->base || index > sim_stored_last (replica))
        return NULL;
    return replica->lines [index - replica->base - 1];
}

static void
s_store_append (replica_t *replica, const char *line)
{
    if (replica->stored == replica->lines_capacity) {
        replica->lines_capacity = replica->lines_capacity? replica->lines_capacity * 2: 256;
        replica->lines = (char **) realloc (replica->lines,
                                            replica->lines_capacity * sizeof (char *));
        assert (replica->lines);
    }
    replica->lines [replica->stored] = strdup (line);
    assert (replica->lines [replica->stored]);
    replica->stored++;
}

//  Keep the entries up to index (at least those in the snapshot)
void
sim_store_truncate (replica_t *replica, uint64_t index)
{
    while (sim_stored_last (replica) > index && replica->stored > 0)
        free (replica->lines [--replica->stored]);
}

//  Whether the replica stores committed entry index, in its log or in its
//  snapshot: what counts towards the majority that keeps it
bool
sim_stores_committed (sim_t *self, replica_t *replica, uint64_t index)
{
    if (index > self->committed)
        return false;
    if (index <= replica->base)
        return true;
    const char *line = sim_stored_line (replica, index);
    return line && streq (line, self->log [index - 1]);
}

//  A committed entry stored here must stay: it is part of the majority that
//  committed it. Compares what was stored before a save with what is after.
static void
s_store_kept (sim_t *self, replica_t *replica, uint64_t from, char **before,
              size_t count, const char *why)
{
    for (size_t offset = 0; offset < count && !self->failed; offset++) {
        uint64_t index = from + offset;
        if (index > self->committed || !streq (before [offset], self->log [index - 1]))
            continue;
        if (!sim_stores_committed (self, replica, index))
            sim_fail (self, "committed-entry-kept", "replica %zu loses committed entry '%s'"
                    " from its storage (%s)", replica->index + 1, before [offset], why);
    }
}

//  gavel_store_save_entries, rule for rule: drop what follows prev_index
//  (when something does), skip the entries the snapshot holds, and append
//  the rest, each of which must come right after what is stored (the store
//  asserts it: a core that asks otherwise aborts the replica). Checked here,
//  entry by entry, as the store does; a violation is reported, not skipped.
static void
s_store_entries (sim_t *self, replica_t *replica, gavel_msg_t *msg)
{
    uint64_t prev = gavel_msg_prev_index (msg);
    size_t id = replica->index + 1;
    //  What the cut takes away, to check it against what replaces it
    uint64_t from = prev > replica->base? prev + 1: replica->base + 1;
    size_t cut = from <= sim_stored_last (replica)
               ? (size_t) (sim_stored_last (replica) + 1 - from): 0;
    char **before = (char **) malloc ((cut + 1) * sizeof (char *));
    assert (before);
    for (size_t offset = 0; offset < cut; offset++)
        before [offset] = strdup (sim_stored_line (replica, from + offset));
    if (cut)
        sim_store_truncate (replica, from - 1);

    char line [GAVEL_ENTRY_MAX];
    for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry;
         entry = gavel_msg_next_entry (msg)) {
        uint64_t index = gavel_msg_index (entry);
        if (index <= replica->base)
            continue;
        if (index != sim_stored_last (replica) + 1) {
            sim_fail (self, "storage", "replica %zu saves entry %" PRIu64 " (prev_index %"
                    PRIu64 ") but its storage ends at %" PRIu64 ": gavel_store would abort"
                    " (entry index == base + count + 1)", id, index, prev,
                    sim_stored_last (replica));
            break;
        }
        gavel_msg_encode_entry (entry, line, sizeof line);
        s_store_append (replica, line);
    }
    s_store_kept (self, replica, from, before, cut, "cut by a save of entries");
    for (size_t offset = 0; offset < cut; offset++)
        free (before [offset]);
    free (before);
}


//  Store the snapshot and drop the entries it holds, keeping those after
//  it; one older than the stored one is ignored
static void
s_store_snapshot (sim_t *self, replica_t *replica, gavel_msg_t *snapshot)
{
    uint64_t index = gavel_msg_index (snapshot);
    if (gavel_msg_id (snapshot) != GAVEL_MSG_SNAPSHOT || index == 0) {
        sim_fail (self, "storage", "replica %zu saves a %s at index %" PRIu64 " as a snapshot",
                replica->index + 1, gavel_msg_command (snapshot), index);
        return;
    }
    if (index < replica->base)
        return;
    sim_check_snapshot (self, replica, snapshot);
    size_t drop = index >= sim_stored_last (replica)? replica->stored
                : (size_t) (index - replica->base);
    for (size_t offset = 0; offset < drop; offset++)
        free (replica->lines [offset]);
    memmove (replica->lines, replica->lines + drop,
             (replica->stored - drop) * sizeof (char *));
    replica->stored -= drop;
    replica->base = index;
    gavel_msg_destroy (&replica->snapshot);
    replica->snapshot = gavel_msg_dup (snapshot);
}


//  --------------------------------------------------------------------------
//  The disk: saves of entries written late, behind the loop, as a writer
//  thread would. Each write takes up to disk_max ms; one write may take
//  several saves at once and report only the last of them (a group
//  commit), or each. Reports reach the core at its next loop turn, often
//  after it has issued later saves, cut its log and refilled it. A crash
//  loses what was not written: a prefix of the saves waiting survives,
//  the last one perhaps torn (its cut done, some of its entries written).
//  Snapshots and term/vote are written at once, as the core expects; a
//  snapshot waits for the saves before it.

static void
s_disk_report (replica_t *replica, write_t *write)
{
    if (replica->reported == replica->reports_capacity) {
        replica->reports_capacity = replica->reports_capacity? replica->reports_capacity * 2: 16;
        replica->reports = realloc (replica->reports, replica->reports_capacity * sizeof replica->reports [0]);
        assert (replica->reports);
    }
    replica->reports [replica->reported][0] = write->index;
    replica->reports [replica->reported][1] = write->term;
    replica->reported++;
}

//  The first count saves waiting are written; reported: each, or the last
static void
s_disk_write (sim_t *self, replica_t *replica, size_t count, bool each)
{
    for (size_t index = 0; index < count; index++) {
        write_t *write = &replica->writes [index];
        s_store_entries (self, replica, write->save);
        if (each || index == count - 1)
            s_disk_report (replica, write);
        gavel_msg_destroy (&write->save);
    }
    memmove (replica->writes, replica->writes + count, (replica->writing - count) * sizeof (write_t));
    replica->writing -= count;
}

static void
s_disk_queue (sim_t *self, replica_t *replica, gavel_action_t *action)
{
    if (replica->writing == replica->writes_capacity) {
        replica->writes_capacity = replica->writes_capacity? replica->writes_capacity * 2: 16;
        replica->writes = (write_t *) realloc (replica->writes, replica->writes_capacity * sizeof (write_t));
        assert (replica->writes);
    }
    replica->writes [replica->writing++] = (write_t) {
        gavel_msg_share (action->msg), action->index, action->term
    };
    if (replica->disk.pos == NOT_QUEUED)
        sim_queue_set (&self->queue, &replica->disk, self->now + sim_between (self, 1, self->disk_max));
}

static void s_schedule_tick (sim_t *self, replica_t *replica);
static int64_t s_clock (sim_t *self, replica_t *replica);

//  A write is done: some saves are on disk, their report on its way
void
sim_on_disk (sim_t *self, replica_t *replica)
{
    if (!replica->core || replica->writing == 0)
        return;
    size_t count = 1 + (size_t) sim_below (self, replica->writing);
    sim_trace (self, "r%zu disk wrote %zu of %zu saves", replica->index + 1, count, replica->writing);
    s_disk_write (self, replica, count, sim_chance (self, 0.5));
    if (replica->writing)
        sim_queue_set (&self->queue, &replica->disk, self->now + sim_between (self, 1, self->disk_max));
    s_schedule_tick (self, replica);
}

//  The process died: a prefix of what waited made it to disk, the rest not
static void
s_disk_crash (sim_t *self, replica_t *replica)
{
    size_t written = (size_t) sim_below (self, replica->writing + 1);
    if (written)
        s_disk_write (self, replica, written, false);
    if (replica->writing && sim_chance (self, 0.5)) {
        //  Torn: the cut done, and some of the entries
        gavel_msg_t *save = replica->writes [0].save;
        gavel_msg_t *torn = gavel_msg_new (GAVEL_MSG_LOG);
        gavel_msg_set_prev_index (torn, gavel_msg_prev_index (save));
        size_t keep = (size_t) sim_below (self, gavel_msg_entries (save));
        for (gavel_msg_t *entry = gavel_msg_first_entry (save); entry && keep;
             entry = gavel_msg_next_entry (save), keep--) {
            gavel_msg_t *copy = gavel_msg_share (entry);
            gavel_msg_add_entry (torn, &copy);
        }
        s_store_entries (self, replica, torn);
        gavel_msg_destroy (&torn);
    }
    sim_trace (self, "  r%zu disk: %zu saves written, %zu lost", replica->index + 1, written,
             replica->writing);
    for (size_t index = 0; index < replica->writing; index++)
        gavel_msg_destroy (&replica->writes [index].save);
    replica->writing = 0;
    replica->reported = 0;
    sim_queue_remove (&self->queue, &replica->disk);
}

//  The reports that arrived, in order, at the start of a loop turn
static void
s_disk_reports (sim_t *self, replica_t *replica)
{
    for (size_t index = 0; index < replica->reported; index++) {
        sim_trace (self, "r%zu <- disk: persisted %" PRIu64 " term %" PRIu64, replica->index + 1,
                 replica->reports [index][0], replica->reports [index][1]);
        gavel_core_persisted (replica->core, replica->reports [index][0], replica->reports [index][1],
                              s_clock (self, replica));
    }
    replica->reported = 0;
}


//  --------------------------------------------------------------------------
//  The network: every copy may be lost, delayed (which reorders) or doubled

bool
sim_linked (sim_t *self, size_t a, size_t b)
{
    return self->replicas [a].side == self->replicas [b].side;
}


parcel_t
sim_parcel (gavel_msg_t *msg)
{
    return (parcel_t) { msg, NULL };
}

//  What the receiver would decode: a field the codec does not carry cannot
//  reach the receiver in the sim either
static gavel_msg_t *
s_wire_copy (sim_t *self, parcel_t *parcel)
{
    if (!self->options->wire)
        return gavel_msg_dup (parcel->msg);
    if (!parcel->frames)
        parcel->frames = gavel_msg_encode (parcel->msg);
    gavel_msg_error_t error;
    gavel_msg_t *copy = gavel_msg_decode (parcel->frames, &error);
    if (!copy)
        sim_fail (self, "codec", "a %s message does not survive the wire: %s: %s",
                gavel_msg_command (parcel->msg), error.reason, error.message);
    return copy;
}

void
sim_transmit (sim_t *self, event_kind_t kind, size_t source, size_t target,
            parcel_t *parcel)
{
    size_t copies = sim_chance (self, self->duplication)? 2: 1;
    for (size_t copy = 0; copy < copies; copy++) {
        if (sim_chance (self, self->loss))
            continue;
        event_t *event = sim_event_new (kind, source, target);
        event->msg = s_wire_copy (self, parcel);
        if (!event->msg) {
            sim_event_destroy (&event);
            continue;
        }
        if (kind != EV_REPLY)
            event->incarnation = self->replicas [target].incarnation;
        sim_queue_push (&self->queue, event, self->now + sim_between (self, 0, self->delay_max));
    }
}

static void
s_send_peer (sim_t *self, replica_t *replica, size_t peer, parcel_t *parcel)
{
    //  Nobody listens on a crashed host, and a partition cuts the link
    if (self->replicas [peer].core && sim_linked (self, replica->index, peer))
        sim_transmit (self, EV_PEER, replica->index, peer, parcel);
}


//  --------------------------------------------------------------------------
//  Carrying out a core's actions


static void
s_reply_out (sim_t *self, replica_t *replica, gavel_action_t *action)
{
    zframe_t *frame = action->route? zmsg_first (action->route): NULL;
    char text [8] = "";
    if (frame && zframe_size (frame) < sizeof text) {
        memcpy (text, zframe_data (frame), zframe_size (frame));
        text [zframe_size (frame)] = '\0';
    }
    char *end;
    unsigned long client = strtoul (text, &end, 10);
    if (!*text || *end || client >= self->client_count) {
        sim_fail (self, "actions", "replica %zu replies without the envelope it was given",
                replica->index + 1);
        return;
    }
    //  A success claims its entry is committed, and an answer shows a state
    //  of the committed log: take in what the sender has committed before
    //  the rest of its outbox (which a kill may cut short)
    gavel_outcome_t outcome = gavel_msg_outcome (action->msg);
    if (outcome == GAVEL_SUCCESS || outcome == GAVEL_FAIL)
        sim_check_replica (self, replica);
    sim_check_reply (self, &self->clients [client], action->msg, replica->index);
    parcel_t parcel = sim_parcel (action->msg);
    sim_transmit (self, EV_REPLY, replica->index, client, &parcel);
    zmsg_destroy (&parcel.frames);
}

static void
s_trace_action (sim_t *self, replica_t *replica, gavel_action_t *action)
{
    static const char *kinds [] = {
        "", "REPLY", "PUBLISH", "ACK", "MESH", "SAVE_STATE", "SAVE_ENTRIES", "SAVE_SNAPSHOT"
    };
    const char *kind = action->kind >= 1 && action->kind <= 7? kinds [action->kind]: "?";
    char text [256] = "";
    if (action->kind == GAVEL_ACTION_SAVE_STATE)
        snprintf (text, sizeof text, "term %" PRIu64 " vote %" PRIu64,
                  action->term, action->vote);
    else
    if (action->msg)
        sim_describe (action->msg, text, sizeof text);
    sim_trace (self, "  r%zu %s to %" PRIu64 ": %s", replica->index + 1, kind,
             action->to, text);
}

static void
s_act (sim_t *self, replica_t *replica, gavel_action_t *action)
{
    size_t id = replica->index + 1;
    if (self->options->verbose)
        s_trace_action (self, replica, action);
    if (action->kind == GAVEL_ACTION_SAVE_STATE) {
        s_store_state (self, replica, action->term, action->vote);
        return;
    }
    if (!action->msg) {
        sim_fail (self, "actions", "replica %zu: action %d without a message", id, action->kind);
        return;
    }
    parcel_t parcel = sim_parcel (action->msg);
    switch (action->kind) {
        case GAVEL_ACTION_REPLY:
            s_reply_out (self, replica, action);
            break;
        case GAVEL_ACTION_PUBLISH:
            for (size_t peer = 0; peer < self->replica_count; peer++)
                if (peer != replica->index)
                    s_send_peer (self, replica, peer, &parcel);
            break;
        case GAVEL_ACTION_ACK:
        case GAVEL_ACTION_MESH:
            if (action->to < 1 || action->to > self->replica_count || action->to == id)
                sim_fail (self, "actions", "replica %zu sends %s to replica %" PRIu64, id,
                        gavel_msg_command (action->msg), action->to);
            else
                s_send_peer (self, replica, action->to - 1, &parcel);
            break;
        case GAVEL_ACTION_SAVE_ENTRIES:
            if (self->disk_max)
                s_disk_queue (self, replica, action);
            else {
                s_store_entries (self, replica, action->msg);
                gavel_core_persisted (replica->core, action->index, action->term,
                                      s_clock (self, replica));
            }
            break;
        case GAVEL_ACTION_SAVE_SNAPSHOT:
            if (replica->writing)
                s_disk_write (self, replica, replica->writing, false);
            s_store_snapshot (self, replica, action->msg);
            break;
        default:
            sim_fail (self, "actions", "replica %zu: unknown action %d", id, action->kind);
            break;
    }
    zmsg_destroy (&parcel.frames);
}


//  Carry out the outbox in order. Now and then in a storm the process is
//  killed partway through (kill -9): what was done is done, the rest never
//  happens. That is where an ACK sent before its SAVE would show. Returns
//  false when the replica died.
static bool
s_carry_out (sim_t *self, replica_t *replica)
{
    bool dying = self->storm && sim_crashed (self) < self->crash_limit
              && sim_chance (self, 0.002);
    gavel_action_t *action;
    while ((action = gavel_core_next_action (replica->core))) {
        if (dying && sim_chance (self, 0.3)) {
            gavel_action_destroy (&action);
            sim_trace (self, "FAULT kill r%zu partway through its outbox", replica->index + 1);
            sim_crash (self, replica);
            return false;
        }
        s_act (self, replica, action);
        gavel_action_destroy (&action);
    }
    if (dying)
        sim_crash (self, replica);
    return !dying;
}

//  The replica's own clock: hosts' clocks differ by a bounded skew
static int64_t
s_clock (sim_t *self, replica_t *replica)
{
    return self->now + replica->skew;
}

//  The next loop turn: when the core's next deadline comes, or as soon as
//  the turn before is over when messages wait
static void
s_schedule_tick (sim_t *self, replica_t *replica)
{
    int64_t deadline = gavel_core_next_deadline (replica->core);
    if (deadline != INT64_MAX)
        deadline -= replica->skew;      //  from its clock to the simulation's
    if ((replica->inboxed > 0 || replica->reported > 0) && deadline > self->now)
        deadline = self->now;
    if (replica->paused || deadline == INT64_MAX) {
        sim_queue_remove (&self->queue, &replica->tick);
        return;
    }
    if (deadline < replica->busy_until)
        deadline = replica->busy_until;
    if (deadline < self->now)
        deadline = self->now;
    if (replica->tick.pos == NOT_QUEUED || replica->tick.time != deadline)
        sim_queue_set (&self->queue, &replica->tick, deadline);
}

void
sim_inbox_clear (replica_t *replica)
{
    for (size_t index = 0; index < replica->inboxed; index++)
        sim_event_destroy (&replica->inbox [index]);
    replica->inboxed = 0;
    replica->paused_from = 0;
}

//  A message waits in its socket until the next loop turn; a full queue
//  (the socket's HWM) drops it
void
sim_inbox_add (sim_t *self, replica_t *replica, event_t *event)
{
    if (replica->inboxed == SIM_STASH_MAX) {
        sim_event_destroy (&event);
        return;
    }
    if (!replica->inbox) {
        replica->inbox = (event_t **) malloc (SIM_STASH_MAX * sizeof (event_t *));
        assert (replica->inbox);
    }
    replica->inbox [replica->inboxed++] = event;
    s_schedule_tick (self, replica);
}

//  What waits on one kind of socket, in order, up to SIM_TURN_MAX, into the
//  core; the rest stays for the next turn
static void
s_drain (sim_t *self, replica_t *replica, event_kind_t kind)
{
    size_t taken = 0, kept = 0;
    for (size_t index = 0; index < replica->inboxed; index++) {
        event_t *event = replica->inbox [index];
        if (event->kind != kind || taken == SIM_TURN_MAX) {
            replica->inbox [kept++] = event;
            continue;
        }
        taken++;
        char text [256];
        if (kind == EV_REQUEST) {
            sim_trace (self, "r%zu <- client %zu: %s", event->target + 1, event->source,
                     self->options->verbose? sim_describe (event->msg, text, sizeof text): "");
            zmsg_t *route = zmsg_new ();
            assert (route);
            zmsg_addstrf (route, "%zu", event->source);
            gavel_core_request (replica->core, &route, &event->msg, s_clock (self, replica));
        }
        else {
            sim_trace (self, "r%zu <- r%zu: %s", event->target + 1, event->source + 1,
                     self->options->verbose? sim_describe (event->msg, text, sizeof text): "");
            gavel_core_receive (replica->core, &event->msg, s_clock (self, replica));
        }
        event->msg = NULL;
        sim_event_destroy (&event);
    }
    replica->inboxed = kept;
}

//  One loop turn of the node's shell, in gavel_node_run's order: what
//  waits on the client socket, then on the peers' sockets; a tick if a
//  deadline is due; then flush, and carry out the outbox. So a primary may
//  take requests and lose its quorum at the tick of the same turn, before
//  the flush that would store them (issue 12, finding 2).
void
sim_turn (sim_t *self, replica_t *replica)
{
    replica->paused_from = 0;
    s_disk_reports (self, replica);
    s_drain (self, replica, EV_REQUEST);
    s_drain (self, replica, EV_PEER);
    int64_t now = s_clock (self, replica);
    if (gavel_core_next_deadline (replica->core) <= now) {
        if (replica->spin_time == self->now) {
            if (++replica->spins > SIM_SPIN_MAX)
                sim_fail (self, "liveness", "replica %zu asks for %d ticks at one instant: a"
                        " busy loop", replica->index + 1, SIM_SPIN_MAX);
        }
        else {
            replica->spin_time = self->now;
            replica->spins = 0;
        }
        sim_trace (self, "r%zu tick", replica->index + 1);
        gavel_core_tick (replica->core, now);
    }
    gavel_core_flush (replica->core, now);
    if (!s_carry_out (self, replica))
        return;
    replica->busy_until = self->now + sim_between (self, 0, self->turn_max);
    s_schedule_tick (self, replica);
    if (self->options->verbose) {
        char state [128];
        sim_trace (self, "  %s", sim_replica_state (replica, state, sizeof state));
    }
}


//  --------------------------------------------------------------------------
//  Replica lifecycle: start, crash, restart, pause, resume

static void
s_settings (sim_t *self, size_t index, gavel_core_settings_t *settings)
{
    gavel_core_settings_default (settings, index + 1, self->replica_count);
    settings->snapshot_every = self->snapshot_every;
    for (size_t peer = 0; peer < self->replica_count; peer++)
        settings->clients [peer] = sim_endpoints [peer];
}

static void
s_entry_destroy (void **item_p)
{
    gavel_msg_destroy ((gavel_msg_t **) item_p);
}

//  A core's own lines (role changes, refusals, closings), at its virtual
//  time: the replica's clock, skew and all
static void
s_core_trace (void *arg, int64_t now, gavel_trace_level_t level, const char *text)
{
    sim_t *self = (sim_t *) arg;
    printf ("[%9.3f #%06" PRIu64 "] %s\n", (double) (now - SIM_T0) / 1000.0, self->steps, text);
}

void
sim_crash (sim_t *self, replica_t *replica)
{
    sim_trace (self, "FAULT crash r%zu", replica->index + 1);
    gavel_core_destroy (&replica->core);
    s_disk_crash (self, replica);
    replica->incarnation++;
    replica->paused = false;
    sim_queue_remove (&self->queue, &replica->tick);
    sim_queue_remove (&self->queue, &replica->resume);
    sim_inbox_clear (replica);
}

//  A new process: a fresh core that loads term, vote and log from storage,
//  as the node does at every start
void
sim_boot (sim_t *self, replica_t *replica)
{
    gavel_core_settings_t settings;
    s_settings (self, replica->index, &settings);
    replica->core = gavel_core_new (&settings);
    assert (replica->core);
    if (self->options->verbose)
        gavel_core_set_tracer (replica->core, s_core_trace, self);
    if (replica->snapshot) {
        gavel_msg_t *snapshot = gavel_msg_dup (replica->snapshot);
        gavel_core_restore_snapshot (replica->core, &snapshot);
    }
    zlistx_t *entries = zlistx_new ();
    assert (entries);
    zlistx_set_destructor (entries, s_entry_destroy);
    for (size_t index = 0; index < replica->stored; index++) {
        gavel_msg_error_t error;
        gavel_msg_t *entry = gavel_msg_decode_entry (replica->lines [index], &error);
        if (!entry) {
            sim_fail (self, "storage", "replica %zu stored '%s', which does not decode: %s",
                    replica->index + 1, replica->lines [index], error.message);
            break;
        }
        zlistx_add_end (entries, entry);
    }
    gavel_core_restore (replica->core, replica->term, replica->vote, &entries);
    replica->incarnation++;
    replica->checked = 0;
    replica->last_commit = 0;
    replica->spins = 0;
    replica->busy_until = self->now;
    if (s_carry_out (self, replica))
        s_schedule_tick (self, replica);
}

void
sim_restart (sim_t *self, replica_t *replica)
{
    sim_trace (self, "FAULT restart r%zu (term %" PRIu64 " vote %" PRIu64 ", snapshot at %"
             PRIu64 ", %zu entries)", replica->index + 1, replica->term, replica->vote,
             replica->base, replica->stored);
    sim_boot (self, replica);
}

void
sim_pause (sim_t *self, replica_t *replica, int64_t duration)
{
    sim_trace (self, "FAULT pause r%zu for %" PRId64 " ms", replica->index + 1, duration);
    replica->paused = true;
    replica->paused_from = replica->inboxed;
    sim_queue_remove (&self->queue, &replica->tick);
    sim_queue_set (&self->queue, &replica->resume, self->now + duration);
}

//  What queued up while stopped is all there at once, for one turn that
//  ends with the overdue tick. The node drains one socket after another, so
//  the order across sockets is not the order of sending: shuffle.
void
sim_resume (sim_t *self, replica_t *replica)
{
    if (!replica->paused)
        return;
    sim_trace (self, "FAULT resume r%zu (%zu messages waiting)", replica->index + 1,
             replica->inboxed);
    replica->paused = false;
    sim_queue_remove (&self->queue, &replica->resume);
    event_t **stash = replica->inbox + replica->paused_from;
    for (size_t index = replica->inboxed - replica->paused_from; index > 1; index--) {
        size_t other = (size_t) sim_below (self, index);
        event_t *event = stash [index - 1];
        stash [index - 1] = stash [other];
        stash [other] = event;
    }
    replica->paused_from = 0;
    replica->busy_until = self->now;
    s_schedule_tick (self, replica);
}
