/*  gavel_fixture: the world that tests run gavel cores in.

    One queue of events ordered by (time, insertion number) drives
    everything: deliveries, loop turns, a disk's writes, resumes and the
    owner's alarms. Timers live inside their owner and are moved, never
    freed; a message is allocated per copy and freed once handled.

    The order in which the fixture draws random numbers is part of its
    contract: the simulator's traces are replayed byte for byte from a seed,
    so a change here that draws one number more or less changes every run.
*/
#include "gavel_fixture.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOT_QUEUED SIZE_MAX

static const char *s_endpoints [GAVEL_CORE_REPLICAS_MAX] = {
    "tcp://sim-1:21001", "tcp://sim-2:21001", "tcp://sim-3:21001",
    "tcp://sim-4:21001", "tcp://sim-5:21001", "tcp://sim-6:21001",
    "tcp://sim-7:21001"
};

typedef enum {
    EV_PEER = 1,        //  replica to replica: PUB copy, ack or mesh message
    EV_REQUEST,         //  client to replica
    EV_REPLY,           //  replica to client
    EV_TICK,            //  a replica's loop turn: a deadline came, or messages wait
    EV_RESUME,          //  a paused replica runs again
    EV_DISK,            //  a replica's disk finished writing
    EV_ALARM,           //  the owner's
    EV_LOST             //  a replica sees its connection to another break
} event_kind_t;

typedef struct {
    int64_t time;
    uint64_t seq;               //  insertion order breaks ties
    size_t pos;                 //  heap slot, or NOT_QUEUED
    event_kind_t kind;
    bool timer;                 //  embedded in its owner: never freed
    size_t source;              //  sending replica, or client of a request
    size_t target;              //  receiving replica or client; alarm number
    uint64_t incarnation;       //  of the target replica when sent
    gavel_msg_t *msg;
} event_t;

//  A binary heap on (time, seq)
typedef struct {
    event_t **items;
    size_t size;
    size_t capacity;
    uint64_t sequence;
} queue_t;

//  A save of entries the disk has yet to write, and what its report says
typedef struct {
    gavel_msg_t *save;
    uint64_t index;
    uint64_t term;
} write_t;

typedef struct {
    size_t index;               //  0-based; the core's id is index + 1
    gavel_core_t *core;         //  NULL while crashed
    uint64_t incarnation;       //  bumped by every crash and boot
    bool paused;
    bool woken;                 //  its core was given events by hand: a turn is owed
    event_t tick;
    event_t resume;
    event_t **inbox;            //  what arrived for its next loop turn, in order
    size_t inboxed;
    size_t paused_from;         //  inbox [paused_from..] arrived while paused
    int64_t busy_until;         //  a loop turn takes time: the next one waits
    int side;                   //  partition side
    int64_t skew;               //  its clock minus the fixture's, ms
    int64_t spin_time;          //  ticks at one instant, to catch a busy loop
    size_t spins;
    //  Durable storage, which survives crashes
    uint64_t term;
    uint64_t vote;
    gavel_msg_t *snapshot;      //  the latest SNAPSHOT stored, or NULL
    uint64_t base;              //  its index, 0 without one
    char **lines;               //  entry base + 1 + i is lines [i]
    size_t stored;              //  lines
    size_t lines_capacity;
    //  The disk, behind the loop: saves of entries not yet written, in
    //  order, and reports of written ones for the core's next loop turn
    event_t disk;
    write_t *writes;
    size_t writing;
    size_t writes_capacity;
    uint64_t (*reports) [2];    //  index, term
    size_t reported;
    size_t reports_capacity;
    bool holding;               //  reports wait for gavel_fixture_release
} replica_t;

//  A message on its way out, encoded once however many copies are made
typedef struct {
    gavel_msg_t *msg;
    zmsg_t *frames;
} parcel_t;

struct _gavel_fixture_t {
    gavel_fixture_settings_t settings;
    gavel_fixture_hooks_t hooks;
    uint64_t rng;               //  without the owner's source
    int64_t now;
    uint64_t steps;
    queue_t queue;
    replica_t replicas [GAVEL_CORE_REPLICAS_MAX];
    event_t alarms [GAVEL_FIXTURE_ALARMS];
    char *violation;            //  the first, or NULL
};


//  --------------------------------------------------------------------------
//  Random numbers, in the simulator's formulas: a seed's run depends on them

uint64_t
gavel_fixture_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
s_draw (gavel_fixture_t *self)
{
    return self->hooks.random? self->hooks.random (self->hooks.arg)
                             : gavel_fixture_random (&self->rng);
}

static uint64_t
s_below (gavel_fixture_t *self, uint64_t limit)
{
    return limit? s_draw (self) % limit: 0;
}

static int64_t
s_between (gavel_fixture_t *self, int64_t low, int64_t high)
{
    return low + (int64_t) s_below (self, (uint64_t) (high - low) + 1);
}

static bool
s_chance (gavel_fixture_t *self, double probability)
{
    return (double) (s_draw (self) >> 11) * 0x1.0p-53 < probability;
}


//  --------------------------------------------------------------------------
//  The event queue

static bool
s_earlier (const event_t *a, const event_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void
s_queue_place (queue_t *queue, size_t pos, event_t *event)
{
    queue->items [pos] = event;
    event->pos = pos;
}

static void
s_queue_up (queue_t *queue, size_t pos)
{
    event_t *event = queue->items [pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!s_earlier (event, queue->items [parent]))
            break;
        s_queue_place (queue, pos, queue->items [parent]);
        pos = parent;
    }
    s_queue_place (queue, pos, event);
}

static void
s_queue_down (queue_t *queue, size_t pos)
{
    event_t *event = queue->items [pos];
    while (true) {
        size_t child = 2 * pos + 1;
        if (child >= queue->size)
            break;
        if (child + 1 < queue->size
        &&  s_earlier (queue->items [child + 1], queue->items [child]))
            child++;
        if (!s_earlier (queue->items [child], event))
            break;
        s_queue_place (queue, pos, queue->items [child]);
        pos = child;
    }
    s_queue_place (queue, pos, event);
}

static void
s_queue_push (queue_t *queue, event_t *event, int64_t time)
{
    assert (event->pos == NOT_QUEUED);
    if (queue->size == queue->capacity) {
        queue->capacity = queue->capacity? queue->capacity * 2: 256;
        queue->items = (event_t **) realloc (queue->items,
                                             queue->capacity * sizeof (event_t *));
        assert (queue->items);
    }
    event->time = time;
    event->seq = ++queue->sequence;
    s_queue_place (queue, queue->size++, event);
    s_queue_up (queue, event->pos);
}

static event_t *
s_queue_pop (queue_t *queue)
{
    if (queue->size == 0)
        return NULL;
    event_t *first = queue->items [0];
    if (--queue->size > 0) {
        s_queue_place (queue, 0, queue->items [queue->size]);
        s_queue_down (queue, 0);
    }
    first->pos = NOT_QUEUED;
    return first;
}

static void
s_queue_remove (queue_t *queue, event_t *event)
{
    if (event->pos == NOT_QUEUED)
        return;
    size_t pos = event->pos;
    event->pos = NOT_QUEUED;
    if (pos == --queue->size)
        return;
    event_t *last = queue->items [queue->size];
    s_queue_place (queue, pos, last);
    s_queue_up (queue, pos);
    s_queue_down (queue, last->pos);
}

//  (Re)arm a timer: a new sequence number, as if inserted now
static void
s_queue_set (queue_t *queue, event_t *event, int64_t time)
{
    s_queue_remove (queue, event);
    s_queue_push (queue, event, time);
}

static event_t *
s_event_new (event_kind_t kind, size_t source, size_t target)
{
    event_t *self = (event_t *) zmalloc (sizeof (event_t));
    assert (self);
    self->kind = kind;
    self->source = source;
    self->target = target;
    self->pos = NOT_QUEUED;
    return self;
}

static void
s_event_destroy (event_t **self_p)
{
    event_t *self = *self_p;
    if (self) {
        assert (!self->timer && self->pos == NOT_QUEUED);
        gavel_msg_destroy (&self->msg);
        free (self);
        *self_p = NULL;
    }
}

static void
s_timer_init (event_t *timer, event_kind_t kind, size_t target)
{
    memset (timer, 0, sizeof *timer);
    timer->kind = kind;
    timer->timer = true;
    timer->target = target;
    timer->pos = NOT_QUEUED;
}


//  --------------------------------------------------------------------------
//  What the owner hears

static void
s_fail (gavel_fixture_t *self, const char *invariant, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fail (gavel_fixture_t *self, const char *invariant, const char *format, ...)
{
    char text [2048];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (!self->violation)
        self->violation = zsys_sprintf ("%s: %s", invariant, text);
    if (self->hooks.violation)
        self->hooks.violation (self->hooks.arg, invariant, text);
}

static void
s_trace (gavel_fixture_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_trace (gavel_fixture_t *self, const char *format, ...)
{
    if (!self->hooks.trace)
        return;
    char text [2048];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    self->hooks.trace (self->hooks.arg, self->now, text);
}

//  A core's own lines (role changes, refusals, closings), at its virtual
//  time: the replica's clock, skew and all
static void
s_core_trace (void *arg, int64_t now, gavel_trace_level_t level, const char *text)
{
    gavel_fixture_t *self = (gavel_fixture_t *) arg;
    self->hooks.trace (self->hooks.arg, now, text);
}


//  --------------------------------------------------------------------------
//  Durable storage: what SAVE_STATE, SAVE_ENTRIES and SAVE_SNAPSHOT wrote,
//  with the semantics of replica/gavel_store.c. Entries are kept as the
//  lines the log file would hold, and a boot decodes them again.

static void
s_store_state (gavel_fixture_t *self, replica_t *replica, uint64_t term, uint64_t vote)
{
    if (term < replica->term)
        s_fail (self, "storage", "replica %zu stored term %" PRIu64 " after term %" PRIu64,
                replica->index + 1, term, replica->term);
    else
    if (term == replica->term && replica->vote && vote != replica->vote)
        s_fail (self, "one-vote-per-term", "replica %zu changed its vote in term %" PRIu64
                " from %" PRIu64 " to %" PRIu64, replica->index + 1, term, replica->vote, vote);
    replica->term = term;
    replica->vote = vote;
}

static uint64_t
s_stored_last (replica_t *replica)
{
    return replica->base + replica->stored;
}

static const char *
s_stored_line (replica_t *replica, uint64_t index)
{
    if (index <= replica->base || index > s_stored_last (replica))
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
static void
s_store_truncate (replica_t *replica, uint64_t index)
{
    while (s_stored_last (replica) > index && replica->stored > 0)
        free (replica->lines [--replica->stored]);
}

//  gavel_store_save_entries, rule for rule: drop what follows prev_index
//  (when something does), skip the entries the snapshot holds, and append
//  the rest, each of which must come right after what is stored (the store
//  asserts it: a core that asks otherwise aborts the replica). Checked here,
//  entry by entry, as the store does; a violation is reported, not skipped.
//  What the cut took goes to the owner, who may know it was committed.
static void
s_store_entries (gavel_fixture_t *self, replica_t *replica, gavel_msg_t *msg)
{
    uint64_t prev = gavel_msg_prev_index (msg);
    size_t id = replica->index + 1;
    uint64_t from = prev > replica->base? prev + 1: replica->base + 1;
    size_t cut = from <= s_stored_last (replica)
               ? (size_t) (s_stored_last (replica) + 1 - from): 0;
    char **before = (char **) malloc ((cut + 1) * sizeof (char *));
    assert (before);
    for (size_t offset = 0; offset < cut; offset++)
        before [offset] = strdup (s_stored_line (replica, from + offset));
    if (cut)
        s_store_truncate (replica, from - 1);

    char line [GAVEL_ENTRY_MAX];
    for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry;
         entry = gavel_msg_next_entry (msg)) {
        uint64_t index = gavel_msg_index (entry);
        if (index <= replica->base)
            continue;
        if (index != s_stored_last (replica) + 1) {
            s_fail (self, "storage", "replica %zu saves entry %" PRIu64 " (prev_index %"
                    PRIu64 ") but its storage ends at %" PRIu64 ": gavel_store would abort"
                    " (entry index == base + count + 1)", id, index, prev,
                    s_stored_last (replica));
            break;
        }
        gavel_msg_encode_entry (entry, line, sizeof line);
        s_store_append (replica, line);
    }
    if (self->hooks.cut)
        self->hooks.cut (self->hooks.arg, replica->index, from, before, cut);
    for (size_t offset = 0; offset < cut; offset++)
        free (before [offset]);
    free (before);
}

//  Store the snapshot and drop the entries it holds, keeping those after
//  it; one older than the stored one is ignored
static void
s_store_snapshot (gavel_fixture_t *self, replica_t *replica, gavel_msg_t *snapshot)
{
    uint64_t index = gavel_msg_index (snapshot);
    if (gavel_msg_id (snapshot) != GAVEL_MSG_SNAPSHOT || index == 0) {
        s_fail (self, "storage", "replica %zu saves a %s at index %" PRIu64 " as a snapshot",
                replica->index + 1, gavel_msg_command (snapshot), index);
        return;
    }
    if (index < replica->base)
        return;
    if (self->hooks.snapshot)
        self->hooks.snapshot (self->hooks.arg, replica->index, snapshot);
    size_t drop = index >= s_stored_last (replica)? replica->stored
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

static void s_schedule_tick (gavel_fixture_t *self, replica_t *replica);

//  The replica's own clock: hosts' clocks differ by a bounded skew
static int64_t
s_clock (gavel_fixture_t *self, replica_t *replica)
{
    return self->now + replica->skew;
}

static void
s_disk_report (replica_t *replica, uint64_t index, uint64_t term)
{
    if (replica->reported == replica->reports_capacity) {
        replica->reports_capacity = replica->reports_capacity? replica->reports_capacity * 2: 16;
        replica->reports = realloc (replica->reports, replica->reports_capacity * sizeof replica->reports [0]);
        assert (replica->reports);
    }
    replica->reports [replica->reported][0] = index;
    replica->reports [replica->reported][1] = term;
    replica->reported++;
}

//  The first count saves waiting are written; reported: each, or the last
static void
s_disk_write (gavel_fixture_t *self, replica_t *replica, size_t count, bool each)
{
    for (size_t index = 0; index < count; index++) {
        write_t *write = &replica->writes [index];
        s_store_entries (self, replica, write->save);
        if (each || index == count - 1)
            s_disk_report (replica, write->index, write->term);
        gavel_msg_destroy (&write->save);
    }
    memmove (replica->writes, replica->writes + count, (replica->writing - count) * sizeof (write_t));
    replica->writing -= count;
}

static void
s_disk_queue (gavel_fixture_t *self, replica_t *replica, gavel_action_t *action)
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
        s_queue_set (&self->queue, &replica->disk,
                     self->now + s_between (self, 1, self->settings.disk_max));
}

//  A write is done: some saves are on disk, their report on its way
static void
s_on_disk (gavel_fixture_t *self, replica_t *replica)
{
    if (!replica->core || replica->writing == 0)
        return;
    size_t count = 1 + (size_t) s_below (self, replica->writing);
    s_trace (self, "r%zu disk wrote %zu of %zu saves", replica->index + 1, count, replica->writing);
    s_disk_write (self, replica, count, s_chance (self, 0.5));
    if (replica->writing)
        s_queue_set (&self->queue, &replica->disk,
                     self->now + s_between (self, 1, self->settings.disk_max));
    s_schedule_tick (self, replica);
}

//  The process died: a prefix of what waited made it to disk, the rest not
static void
s_disk_crash (gavel_fixture_t *self, replica_t *replica)
{
    size_t written = (size_t) s_below (self, replica->writing + 1);
    if (written)
        s_disk_write (self, replica, written, false);
    if (replica->writing && s_chance (self, 0.5)) {
        //  Torn: the cut done, and some of the entries
        gavel_msg_t *save = replica->writes [0].save;
        gavel_msg_t *torn = gavel_msg_new (GAVEL_MSG_LOG);
        gavel_msg_set_prev_index (torn, gavel_msg_prev_index (save));
        size_t keep = (size_t) s_below (self, gavel_msg_entries (save));
        for (gavel_msg_t *entry = gavel_msg_first_entry (save); entry && keep;
             entry = gavel_msg_next_entry (save), keep--) {
            gavel_msg_t *copy = gavel_msg_share (entry);
            gavel_msg_add_entry (torn, &copy);
        }
        s_store_entries (self, replica, torn);
        gavel_msg_destroy (&torn);
    }
    s_trace (self, "  r%zu disk: %zu saves written, %zu lost", replica->index + 1, written,
             replica->writing);
    for (size_t index = 0; index < replica->writing; index++)
        gavel_msg_destroy (&replica->writes [index].save);
    replica->writing = 0;
    replica->reported = 0;
    s_queue_remove (&self->queue, &replica->disk);
}

//  The reports that arrived, in order, at the start of a loop turn
static void
s_disk_reports (gavel_fixture_t *self, replica_t *replica)
{
    if (replica->holding)
        return;
    for (size_t index = 0; index < replica->reported; index++) {
        s_trace (self, "r%zu <- disk: persisted %" PRIu64 " term %" PRIu64, replica->index + 1,
                 replica->reports [index][0], replica->reports [index][1]);
        gavel_core_persisted (replica->core, replica->reports [index][0], replica->reports [index][1],
                              s_clock (self, replica));
    }
    replica->reported = 0;
}


//  --------------------------------------------------------------------------
//  The network: every copy may be lost, delayed (which reorders) or doubled

static bool
s_linked (gavel_fixture_t *self, size_t a, size_t b)
{
    return self->replicas [a].side == self->replicas [b].side;
}

//  What the receiver would decode: a field the codec does not carry cannot
//  reach the receiver either
static gavel_msg_t *
s_wire_copy (gavel_fixture_t *self, parcel_t *parcel)
{
    if (!self->settings.wire)
        return gavel_msg_dup (parcel->msg);
    if (!parcel->frames)
        parcel->frames = gavel_msg_encode (parcel->msg);
    gavel_msg_error_t error;
    gavel_msg_t *copy = gavel_msg_decode (parcel->frames, &error);
    if (!copy)
        s_fail (self, "codec", "a %s message does not survive the wire: %s: %s",
                gavel_msg_command (parcel->msg), error.reason, error.message);
    return copy;
}

//  Target sees its connection to source break, a network delay from now;
//  with no chance set, nothing is drawn, so seeds keep their runs
static void
s_hint (gavel_fixture_t *self, size_t source, size_t target, double chance)
{
    if (chance <= 0 || !self->replicas [target].core || !s_chance (self, chance))
        return;
    event_t *event = s_event_new (EV_LOST, source, target);
    event->incarnation = self->replicas [target].incarnation;
    s_queue_push (&self->queue, event, self->now
                  + s_between (self, self->settings.delay_min, self->settings.delay_max));
}

static void
s_transmit (gavel_fixture_t *self, event_kind_t kind, size_t source, size_t target,
            parcel_t *parcel)
{
    size_t copies = s_chance (self, self->settings.duplication)? 2: 1;
    for (size_t copy = 0; copy < copies; copy++) {
        if (s_chance (self, self->settings.loss)) {
            if (kind == EV_PEER)
                s_hint (self, source, target, self->settings.false_hints);
            continue;
        }
        event_t *event = s_event_new (kind, source, target);
        event->msg = s_wire_copy (self, parcel);
        if (!event->msg) {
            s_event_destroy (&event);
            continue;
        }
        if (kind != EV_REPLY)
            event->incarnation = self->replicas [target].incarnation;
        s_queue_push (&self->queue, event, self->now
                      + s_between (self, self->settings.delay_min, self->settings.delay_max));
    }
}

static void
s_send_peer (gavel_fixture_t *self, replica_t *replica, size_t peer, parcel_t *parcel)
{
    //  Nobody listens on a crashed host, and a partition cuts the link
    if (self->replicas [peer].core && s_linked (self, replica->index, peer))
        s_transmit (self, EV_PEER, replica->index, peer, parcel);
}


//  --------------------------------------------------------------------------
//  Carrying out a core's actions

static void
s_reply_out (gavel_fixture_t *self, replica_t *replica, gavel_action_t *action)
{
    zframe_t *frame = action->route? zmsg_first (action->route): NULL;
    char text [8] = "";
    if (frame && zframe_size (frame) < sizeof text) {
        memcpy (text, zframe_data (frame), zframe_size (frame));
        text [zframe_size (frame)] = '\0';
    }
    char *end;
    unsigned long client = strtoul (text, &end, 10);
    if (!*text || *end || client >= self->settings.clients) {
        s_fail (self, "actions", "replica %zu replies without the envelope it was given",
                replica->index + 1);
        return;
    }
    if (self->hooks.reply)
        self->hooks.reply (self->hooks.arg, replica->index, client, action->msg);
    parcel_t parcel = { action->msg, NULL };
    s_transmit (self, EV_REPLY, replica->index, client, &parcel);
    zmsg_destroy (&parcel.frames);
}

static void
s_trace_action (gavel_fixture_t *self, replica_t *replica, gavel_action_t *action)
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
        gavel_fixture_describe_msg (action->msg, text, sizeof text);
    s_trace (self, "  r%zu %s to %" PRIu64 ": %s", replica->index + 1, kind,
             action->to, text);
}

static void
s_save_entries (gavel_fixture_t *self, replica_t *replica, gavel_action_t *action)
{
    if (self->settings.disk_max)
        s_disk_queue (self, replica, action);
    else {
        s_store_entries (self, replica, action->msg);
        if (replica->holding)
            s_disk_report (replica, action->index, action->term);
        else
            gavel_core_persisted (replica->core, action->index, action->term,
                                  s_clock (self, replica));
    }
}

static void
s_act (gavel_fixture_t *self, replica_t *replica, gavel_action_t *action)
{
    size_t id = replica->index + 1;
    size_t replicas = self->settings.replicas;
    if (self->hooks.trace)
        s_trace_action (self, replica, action);
    if (action->kind == GAVEL_ACTION_SAVE_STATE) {
        s_store_state (self, replica, action->term, action->vote);
        return;
    }
    if (!action->msg) {
        s_fail (self, "actions", "replica %zu: action %d without a message", id, action->kind);
        return;
    }
    parcel_t parcel = { action->msg, NULL };
    switch (action->kind) {
        case GAVEL_ACTION_REPLY:
            s_reply_out (self, replica, action);
            break;
        case GAVEL_ACTION_PUBLISH:
            for (size_t peer = 0; peer < replicas; peer++)
                if (peer != replica->index)
                    s_send_peer (self, replica, peer, &parcel);
            break;
        case GAVEL_ACTION_ACK:
        case GAVEL_ACTION_MESH:
            if (action->to < 1 || action->to > replicas || action->to == id)
                s_fail (self, "actions", "replica %zu sends %s to replica %" PRIu64, id,
                        gavel_msg_command (action->msg), action->to);
            else
                s_send_peer (self, replica, action->to - 1, &parcel);
            break;
        case GAVEL_ACTION_SAVE_ENTRIES:
            s_save_entries (self, replica, action);
            break;
        case GAVEL_ACTION_SAVE_SNAPSHOT:
            if (replica->writing)
                s_disk_write (self, replica, replica->writing, false);
            s_store_snapshot (self, replica, action->msg);
            break;
        default:
            s_fail (self, "actions", "replica %zu: unknown action %d", id, action->kind);
            break;
    }
    zmsg_destroy (&parcel.frames);
}

//  Carry out the outbox in order. When the owner says so, the process is
//  killed partway through (kill -9): what was done is done, the rest never
//  happens. That is where an ACK sent before its SAVE would show. Returns
//  false when the replica died.
static bool
s_carry_out (gavel_fixture_t *self, replica_t *replica)
{
    bool dying = self->hooks.kill && self->hooks.kill (self->hooks.arg, replica->index);
    gavel_action_t *action;
    while ((action = gavel_core_next_action (replica->core))) {
        if (dying && s_chance (self, 0.3)) {
            gavel_action_destroy (&action);
            s_trace (self, "FAULT kill r%zu partway through its outbox", replica->index + 1);
            gavel_fixture_crash (self, replica->index);
            return false;
        }
        s_act (self, replica, action);
        gavel_action_destroy (&action);
    }
    if (dying) {
        gavel_fixture_crash (self, replica->index);
        return false;
    }
    if (self->hooks.carried)
        self->hooks.carried (self->hooks.arg, replica->index);
    return true;
}


//  --------------------------------------------------------------------------
//  Loop turns

//  The next loop turn: when the core's next deadline comes, or as soon as
//  the turn before is over when messages or reports wait, or the owner woke it
static void
s_schedule_tick (gavel_fixture_t *self, replica_t *replica)
{
    int64_t deadline = gavel_core_next_deadline (replica->core);
    if (deadline != INT64_MAX)
        deadline -= replica->skew;      //  from its clock to the fixture's
    if ((replica->inboxed > 0 || (replica->reported > 0 && !replica->holding) || replica->woken)
    &&  deadline > self->now)
        deadline = self->now;
    if (replica->paused || deadline == INT64_MAX) {
        s_queue_remove (&self->queue, &replica->tick);
        return;
    }
    if (deadline < replica->busy_until)
        deadline = replica->busy_until;
    if (deadline < self->now)
        deadline = self->now;
    if (replica->tick.pos == NOT_QUEUED || replica->tick.time != deadline)
        s_queue_set (&self->queue, &replica->tick, deadline);
}

static void
s_inbox_clear (replica_t *replica)
{
    for (size_t index = 0; index < replica->inboxed; index++)
        s_event_destroy (&replica->inbox [index]);
    replica->inboxed = 0;
    replica->paused_from = 0;
}

//  A message waits in its socket until the next loop turn; a full queue
//  (the socket's HWM) drops it
static void
s_inbox_add (gavel_fixture_t *self, replica_t *replica, event_t *event)
{
    if (replica->inboxed == GAVEL_FIXTURE_STASH) {
        s_event_destroy (&event);
        return;
    }
    if (!replica->inbox) {
        replica->inbox = (event_t **) malloc (GAVEL_FIXTURE_STASH * sizeof (event_t *));
        assert (replica->inbox);
    }
    replica->inbox [replica->inboxed++] = event;
    s_schedule_tick (self, replica);
}

//  What waits on one kind of socket, in order, up to GAVEL_FIXTURE_TURN,
//  into the core; the rest stays for the next turn
static void
s_drain (gavel_fixture_t *self, replica_t *replica, event_kind_t kind)
{
    bool tracing = self->hooks.trace != NULL;
    size_t taken = 0, kept = 0;
    for (size_t index = 0; index < replica->inboxed; index++) {
        event_t *event = replica->inbox [index];
        if (event->kind != kind || taken == GAVEL_FIXTURE_TURN) {
            replica->inbox [kept++] = event;
            continue;
        }
        taken++;
        char text [256] = "";
        if (tracing && event->msg)
            gavel_fixture_describe_msg (event->msg, text, sizeof text);
        if (kind == EV_LOST) {
            s_trace (self, "r%zu <- its connection to r%zu broke", event->target + 1, event->source + 1);
            gavel_core_peer_lost (replica->core, event->source + 1, s_clock (self, replica));
        }
        else
        if (kind == EV_REQUEST) {
            s_trace (self, "r%zu <- client %zu: %s", event->target + 1, event->source, text);
            zmsg_t *route = gavel_fixture_envelope (self, event->source);
            gavel_core_request (replica->core, &route, &event->msg, s_clock (self, replica));
        }
        else {
            s_trace (self, "r%zu <- r%zu: %s", event->target + 1, event->source + 1, text);
            gavel_core_receive (replica->core, &event->msg, s_clock (self, replica));
        }
        event->msg = NULL;
        s_event_destroy (&event);
    }
    replica->inboxed = kept;
}

//  One loop turn of the node's shell, in gavel_node_run's order: what
//  waits on the client socket, then on the peers' sockets; a tick if a
//  deadline is due; then flush, and carry out the outbox. So a primary may
//  take requests and lose its quorum at the tick of the same turn, before
//  the flush that would store them (issue 12, finding 2).
static void
s_turn (gavel_fixture_t *self, replica_t *replica)
{
    replica->paused_from = 0;
    replica->woken = false;
    s_disk_reports (self, replica);
    s_drain (self, replica, EV_REQUEST);
    s_drain (self, replica, EV_PEER);
    s_drain (self, replica, EV_LOST);
    int64_t now = s_clock (self, replica);
    if (gavel_core_next_deadline (replica->core) <= now) {
        if (replica->spin_time == self->now) {
            if (++replica->spins > GAVEL_FIXTURE_SPINS)
                s_fail (self, "liveness", "replica %zu asks for %d ticks at one instant: a"
                        " busy loop", replica->index + 1, GAVEL_FIXTURE_SPINS);
        }
        else {
            replica->spin_time = self->now;
            replica->spins = 0;
        }
        s_trace (self, "r%zu tick", replica->index + 1);
        gavel_core_tick (replica->core, now);
    }
    gavel_core_flush (replica->core, now);
    if (!s_carry_out (self, replica))
        return;
    replica->busy_until = self->now + s_between (self, 0, self->settings.turn_max);
    s_schedule_tick (self, replica);
    if (self->hooks.trace) {
        char state [128];
        s_trace (self, "  %s", gavel_fixture_describe_replica (self, replica->index,
                                                              state, sizeof state));
    }
}


//  --------------------------------------------------------------------------
//  Handling events

static bool
s_reachable (replica_t *replica, event_t *event)
{
    return replica->core && event->incarnation == replica->incarnation;
}

static void
s_on_peer (gavel_fixture_t *self, event_t *event)
{
    replica_t *replica = &self->replicas [event->target];
    if (!s_reachable (replica, event) || !s_linked (self, event->source, event->target))
        s_event_destroy (&event);
    else
        s_inbox_add (self, replica, event);
}

static void
s_on_request (gavel_fixture_t *self, event_t *event)
{
    replica_t *replica = &self->replicas [event->target];
    if (!s_reachable (replica, event))
        s_event_destroy (&event);
    else
        s_inbox_add (self, replica, event);
}

static void
s_on_reply (gavel_fixture_t *self, event_t *event)
{
    if (self->hooks.answer)
        self->hooks.answer (self->hooks.arg, event->target, event->source, event->msg);
    s_event_destroy (&event);
}

static void
s_on_tick (gavel_fixture_t *self, replica_t *replica)
{
    if (replica->core && !replica->paused)
        s_turn (self, replica);
}

bool
gavel_fixture_step (gavel_fixture_t *self)
{
    event_t *event = s_queue_pop (&self->queue);
    if (!event)
        return false;
    assert (event->time >= self->now);
    self->now = event->time;
    self->steps++;
    switch (event->kind) {
        case EV_PEER:
        case EV_LOST:
            s_on_peer (self, event);
            break;
        case EV_REQUEST:
            s_on_request (self, event);
            break;
        case EV_REPLY:
            s_on_reply (self, event);
            break;
        case EV_TICK:
            s_on_tick (self, &self->replicas [event->target]);
            break;
        case EV_RESUME:
            gavel_fixture_resume (self, event->target);
            break;
        case EV_DISK:
            s_on_disk (self, &self->replicas [event->target]);
            break;
        case EV_ALARM:
            if (self->hooks.alarm)
                self->hooks.alarm (self->hooks.arg, event->target);
            break;
    }
    return true;
}

int64_t
gavel_fixture_next (gavel_fixture_t *self)
{
    return self->queue.size? self->queue.items [0]->time: INT64_MAX;
}

void
gavel_fixture_run (gavel_fixture_t *self, int64_t until)
{
    int64_t instant = self->now;
    size_t events = 0;          //  at this instant, in this run
    while (!self->violation && gavel_fixture_next (self) <= until) {
        gavel_fixture_step (self);
        if (self->now != instant) {
            instant = self->now;
            events = 0;
        }
        else
        if (++events > GAVEL_FIXTURE_INSTANT)
            s_fail (self, "liveness", "%d events at one instant: the cores keep each"
                    " other busy without time passing", GAVEL_FIXTURE_INSTANT);
    }
    if (self->now < until)
        self->now = until;
}

int64_t
gavel_fixture_now (gavel_fixture_t *self)
{
    return self->now;
}

uint64_t
gavel_fixture_steps (gavel_fixture_t *self)
{
    return self->steps;
}

void
gavel_fixture_alarm (gavel_fixture_t *self, size_t alarm, int64_t time)
{
    assert (alarm < GAVEL_FIXTURE_ALARMS);
    s_queue_set (&self->queue, &self->alarms [alarm], time);
}

void
gavel_fixture_alarm_cancel (gavel_fixture_t *self, size_t alarm)
{
    assert (alarm < GAVEL_FIXTURE_ALARMS);
    s_queue_remove (&self->queue, &self->alarms [alarm]);
}


//  --------------------------------------------------------------------------
//  Clients and the network, for the owner

void
gavel_fixture_send (gavel_fixture_t *self, size_t client, size_t replica,
                    gavel_msg_t *request)
{
    assert (client < self->settings.clients && replica < self->settings.replicas);
    if (!self->replicas [replica].core)
        return;
    parcel_t parcel = { request, NULL };
    s_transmit (self, EV_REQUEST, client, replica, &parcel);
    zmsg_destroy (&parcel.frames);
}

zmsg_t *
gavel_fixture_envelope (gavel_fixture_t *self, size_t client)
{
    zmsg_t *route = zmsg_new ();
    assert (route);
    zmsg_addstrf (route, "%zu", client);
    return route;
}

void
gavel_fixture_wake (gavel_fixture_t *self, size_t replica)
{
    assert (self->replicas [replica].core);
    self->replicas [replica].woken = true;
    s_schedule_tick (self, &self->replicas [replica]);
}

void
gavel_fixture_set_side (gavel_fixture_t *self, size_t replica, int side)
{
    self->replicas [replica].side = side;
}

int
gavel_fixture_side (gavel_fixture_t *self, size_t replica)
{
    return self->replicas [replica].side;
}

void
gavel_fixture_heal (gavel_fixture_t *self)
{
    for (size_t index = 0; index < self->settings.replicas; index++)
        self->replicas [index].side = 0;
}

void
gavel_fixture_set_loss (gavel_fixture_t *self, double loss, double duplication)
{
    self->settings.loss = loss;
    self->settings.duplication = duplication;
}


//  --------------------------------------------------------------------------
//  Replica lifecycle: boot, crash, restart, pause, resume

static void
s_entry_destroy (void **item_p)
{
    gavel_msg_destroy ((gavel_msg_t **) item_p);
}

void
gavel_fixture_set_skew (gavel_fixture_t *self, size_t replica, int64_t skew)
{
    self->replicas [replica].skew = skew;
}

void
gavel_fixture_boot (gavel_fixture_t *self, size_t index)
{
    replica_t *replica = &self->replicas [index];
    assert (!replica->core);
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, index + 1, self->settings.replicas);
    if (self->settings.snapshot_every)
        settings.snapshot_every = self->settings.snapshot_every;
    if (self->settings.request_timeout)
        settings.request_timeout = self->settings.request_timeout;
    for (size_t peer = 0; peer < self->settings.replicas; peer++)
        settings.clients [peer] = s_endpoints [peer];
    replica->core = gavel_core_new (&settings);
    assert (replica->core);
    if (self->hooks.trace)
        gavel_core_set_tracer (replica->core, s_core_trace, self);
    if (replica->snapshot) {
        gavel_msg_t *snapshot = gavel_msg_dup (replica->snapshot);
        gavel_core_restore_snapshot (replica->core, &snapshot);
    }
    zlistx_t *entries = zlistx_new ();
    assert (entries);
    zlistx_set_destructor (entries, s_entry_destroy);
    for (size_t line = 0; line < replica->stored; line++) {
        gavel_msg_error_t error;
        gavel_msg_t *entry = gavel_msg_decode_entry (replica->lines [line], &error);
        if (!entry) {
            s_fail (self, "storage", "replica %zu stored '%s', which does not decode: %s",
                    index + 1, replica->lines [line], error.message);
            break;
        }
        zlistx_add_end (entries, entry);
    }
    gavel_core_restore (replica->core, replica->term, replica->vote, &entries);
    replica->incarnation++;
    replica->spins = 0;
    replica->busy_until = self->now;
    if (self->hooks.booted)
        self->hooks.booted (self->hooks.arg, index);
    if (s_carry_out (self, replica))
        s_schedule_tick (self, replica);
}

void
gavel_fixture_crash (gavel_fixture_t *self, size_t index)
{
    replica_t *replica = &self->replicas [index];
    s_trace (self, "FAULT crash r%zu", index + 1);
    gavel_core_destroy (&replica->core);
    s_disk_crash (self, replica);
    replica->incarnation++;
    replica->paused = false;
    replica->woken = false;
    s_queue_remove (&self->queue, &replica->tick);
    s_queue_remove (&self->queue, &replica->resume);
    s_inbox_clear (replica);
    for (size_t peer = 0; peer < self->settings.replicas; peer++)
        if (peer != index)
            s_hint (self, index, peer, self->settings.hints);
}

void
gavel_fixture_restart (gavel_fixture_t *self, size_t index)
{
    replica_t *replica = &self->replicas [index];
    s_trace (self, "FAULT restart r%zu (term %" PRIu64 " vote %" PRIu64 ", snapshot at %"
             PRIu64 ", %zu entries)", index + 1, replica->term, replica->vote,
             replica->base, replica->stored);
    gavel_fixture_boot (self, index);
}

void
gavel_fixture_pause (gavel_fixture_t *self, size_t index, int64_t duration)
{
    replica_t *replica = &self->replicas [index];
    assert (replica->core);
    s_trace (self, "FAULT pause r%zu for %" PRId64 " ms", index + 1, duration);
    replica->paused = true;
    replica->paused_from = replica->inboxed;
    s_queue_remove (&self->queue, &replica->tick);
    s_queue_set (&self->queue, &replica->resume, self->now + duration);
}

void
gavel_fixture_resume (gavel_fixture_t *self, size_t index)
{
    replica_t *replica = &self->replicas [index];
    if (!replica->paused)
        return;
    s_trace (self, "FAULT resume r%zu (%zu messages waiting)", index + 1, replica->inboxed);
    replica->paused = false;
    s_queue_remove (&self->queue, &replica->resume);
    event_t **stash = replica->inbox + replica->paused_from;
    for (size_t count = replica->inboxed - replica->paused_from; count > 1; count--) {
        size_t other = (size_t) s_below (self, count);
        event_t *event = stash [count - 1];
        stash [count - 1] = stash [other];
        stash [other] = event;
    }
    replica->paused_from = 0;
    replica->busy_until = self->now;
    s_schedule_tick (self, replica);
}

void
gavel_fixture_hold (gavel_fixture_t *self, size_t replica)
{
    //  Only a disk that writes at once has its reports held
    assert (self->settings.disk_max == 0);
    self->replicas [replica].holding = true;
}

void
gavel_fixture_release (gavel_fixture_t *self, size_t index)
{
    replica_t *replica = &self->replicas [index];
    replica->holding = false;
    if (replica->core)
        s_schedule_tick (self, replica);
}


//  --------------------------------------------------------------------------
//  What tests look at

gavel_core_t *
gavel_fixture_core (gavel_fixture_t *self, size_t replica)
{
    assert (replica < self->settings.replicas);
    return self->replicas [replica].core;
}

bool
gavel_fixture_paused (gavel_fixture_t *self, size_t replica)
{
    return self->replicas [replica].paused;
}

uint64_t
gavel_fixture_stored_base (gavel_fixture_t *self, size_t replica)
{
    return self->replicas [replica].base;
}

uint64_t
gavel_fixture_stored_last (gavel_fixture_t *self, size_t replica)
{
    return s_stored_last (&self->replicas [replica]);
}

const char *
gavel_fixture_stored_line (gavel_fixture_t *self, size_t replica, uint64_t index)
{
    return s_stored_line (&self->replicas [replica], index);
}

const char *
gavel_fixture_violation (gavel_fixture_t *self)
{
    return self->violation;
}

const char *
gavel_fixture_endpoint (size_t replica)
{
    assert (replica < GAVEL_CORE_REPLICAS_MAX);
    return s_endpoints [replica];
}

const char *
gavel_fixture_describe_msg (gavel_msg_t *msg, char *text, size_t size)
{
    uint64_t term = gavel_msg_term (msg);
    uint64_t from = gavel_msg_from (msg);
    switch (gavel_msg_id (msg)) {
        case GAVEL_MSG_OPEN:
            snprintf (text, size, "OPEN #%" PRIu64 " %s %s %" PRId64 "ms",
                      gavel_msg_request_id (msg), gavel_msg_session (msg),
                      gavel_msg_item (msg), gavel_msg_duration (msg));
            break;
        case GAVEL_MSG_BID:
            snprintf (text, size, "BID #%" PRIu64 " %s auction=%" PRIu64 " amount=%" PRId64,
                      gavel_msg_request_id (msg), gavel_msg_session (msg),
                      gavel_msg_auction (msg), gavel_msg_amount (msg));
            break;
        case GAVEL_MSG_RESULT:
            snprintf (text, size, "RESULT #%" PRIu64 " %s auction=%" PRIu64,
                      gavel_msg_request_id (msg), gavel_msg_session (msg),
                      gavel_msg_auction (msg));
            break;
        case GAVEL_MSG_LIST:
            snprintf (text, size, "LIST #%" PRIu64 " %s", gavel_msg_request_id (msg),
                      gavel_msg_session (msg));
            break;
        case GAVEL_MSG_REPLY:
            snprintf (text, size, "REPLY #%" PRIu64 " %s %s '%s'",
                      gavel_msg_request_id (msg), gavel_msg_outcome_word (msg),
                      gavel_msg_reason (msg),
                      gavel_msg_records (msg)? gavel_msg_record (msg, 0): "");
            break;
        case GAVEL_MSG_LOG:
        case GAVEL_MSG_ENTRIES:
            snprintf (text, size, "%s t%" PRIu64 " from %" PRIu64 " prev=%" PRIu64 "/t%" PRIu64
                      " commit=%" PRIu64 " last=%" PRIu64 " entries=%zu",
                      gavel_msg_command (msg), term, from, gavel_msg_prev_index (msg),
                      gavel_msg_prev_term (msg), gavel_msg_commit (msg),
                      gavel_msg_last_index (msg), gavel_msg_entries (msg));
            break;
        case GAVEL_MSG_HB:
            snprintf (text, size, "HB t%" PRIu64 " from %" PRIu64 " commit=%" PRIu64
                      " last=%" PRIu64 " seq=%" PRIu64, term, from, gavel_msg_commit (msg),
                      gavel_msg_last_index (msg), gavel_msg_seq (msg));
            break;
        case GAVEL_MSG_ACK:
        case GAVEL_MSG_FETCH:
            snprintf (text, size, "%s t%" PRIu64 " from %" PRIu64 " index=%" PRIu64
                      " seq=%" PRIu64, gavel_msg_command (msg), term, from,
                      gavel_msg_index (msg), gavel_msg_seq (msg));
            break;
        case GAVEL_MSG_ELECTION:
        case GAVEL_MSG_COORDINATOR:
            snprintf (text, size, "%s t%" PRIu64 " from %" PRIu64 " last=%" PRIu64 "/t%" PRIu64,
                      gavel_msg_command (msg), term, from,
                      gavel_msg_last_index (msg), gavel_msg_last_term (msg));
            break;
        case GAVEL_MSG_SNAPSHOT:
            snprintf (text, size, "SNAPSHOT t%" PRIu64 " from %" PRIu64 " index=%" PRIu64
                      "/t%" PRIu64 " commit=%" PRIu64, term, from, gavel_msg_index (msg),
                      gavel_msg_last_term (msg), gavel_msg_commit (msg));
            break;
        case GAVEL_MSG_ACCEPT:
            snprintf (text, size, "ACCEPT t%" PRIu64 " from %" PRIu64 " granted=%d",
                      term, from, gavel_msg_granted (msg));
            break;
        default:
            snprintf (text, size, "%s t%" PRIu64 " from %" PRIu64 " #%" PRIu64,
                      gavel_msg_command (msg), term, from, gavel_msg_request_id (msg));
            break;
    }
    return text;
}

const char *
gavel_fixture_describe_replica (gavel_fixture_t *self, size_t index, char *text, size_t size)
{
    replica_t *replica = &self->replicas [index];
    if (!replica->core)
        snprintf (text, size, "r%zu down", index + 1);
    else
        snprintf (text, size, "r%zu %s%s t%" PRIu64 " p%" PRIu64 " c%" PRIu64
                  " a%" PRIu64 " l%" PRIu64, index + 1,
                  gavel_core_role_name (replica->core), replica->paused? "(paused)": "",
                  gavel_core_term (replica->core), gavel_core_primary (replica->core),
                  gavel_core_commit (replica->core), gavel_core_applied (replica->core),
                  gavel_core_last_index (replica->core));
    return text;
}

void
gavel_fixture_describe (gavel_fixture_t *self, char *text, size_t size)
{
    size_t used = 0;
    text [0] = '\0';
    for (size_t index = 0; index < self->settings.replicas && used < size; index++) {
        char state [128];
        used += snprintf (text + used, size - used, "%s%s", index? "; ": "",
                          gavel_fixture_describe_replica (self, index, state, sizeof state));
    }
}


//  --------------------------------------------------------------------------
//  Construction

gavel_fixture_t *
gavel_fixture_new (const gavel_fixture_settings_t *settings, const gavel_fixture_hooks_t *hooks)
{
    assert (settings->replicas >= 1 && settings->replicas <= GAVEL_CORE_REPLICAS_MAX);
    assert (settings->delay_min >= 0 && settings->delay_min <= settings->delay_max);
    gavel_fixture_t *self = (gavel_fixture_t *) zmalloc (sizeof (gavel_fixture_t));
    assert (self);
    self->settings = *settings;
    if (hooks)
        self->hooks = *hooks;
    self->rng = settings->seed;
    self->now = GAVEL_FIXTURE_T0;
    for (size_t index = 0; index < settings->replicas; index++) {
        replica_t *replica = &self->replicas [index];
        replica->index = index;
        s_timer_init (&replica->tick, EV_TICK, index);
        s_timer_init (&replica->resume, EV_RESUME, index);
        s_timer_init (&replica->disk, EV_DISK, index);
    }
    for (size_t alarm = 0; alarm < GAVEL_FIXTURE_ALARMS; alarm++)
        s_timer_init (&self->alarms [alarm], EV_ALARM, alarm);
    return self;
}

void
gavel_fixture_destroy (gavel_fixture_t **self_p)
{
    assert (self_p);
    gavel_fixture_t *self = *self_p;
    if (!self)
        return;
    event_t *event;
    while ((event = s_queue_pop (&self->queue)))
        if (!event->timer)
            s_event_destroy (&event);
    free (self->queue.items);
    for (size_t index = 0; index < self->settings.replicas; index++) {
        replica_t *replica = &self->replicas [index];
        gavel_core_destroy (&replica->core);
        s_inbox_clear (replica);
        free (replica->inbox);
        for (size_t write = 0; write < replica->writing; write++)
            gavel_msg_destroy (&replica->writes [write].save);
        free (replica->writes);
        free (replica->reports);
        s_store_truncate (replica, 0);
        free (replica->lines);
        gavel_msg_destroy (&replica->snapshot);
    }
    free (self->violation);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Self test: the world's own mechanics, with cores in it

typedef struct {
    size_t replies;             //  answers clients got
    size_t alarms [2];          //  each alarm's firings, in order:
    size_t fired [4];
    size_t fires;
    size_t cut;                 //  stored entries cut
    size_t booted;
} s_test_log_t;

static void
s_test_answer (void *arg, size_t client, size_t replica, gavel_msg_t *reply)
{
    s_test_log_t *log = (s_test_log_t *) arg;
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    log->replies++;
}

static void
s_test_alarm (void *arg, size_t alarm)
{
    s_test_log_t *log = (s_test_log_t *) arg;
    assert (alarm < 2 && log->fires < 4);
    log->alarms [alarm]++;
    log->fired [log->fires++] = alarm;
}

static void
s_test_cut (void *arg, size_t replica, uint64_t from, char **lines, size_t count)
{
    ((s_test_log_t *) arg)->cut += count;
}

static void
s_test_booted (void *arg, size_t replica)
{
    ((s_test_log_t *) arg)->booted++;
}

static size_t
s_test_primary (gavel_fixture_t *self)
{
    for (size_t index = 0; index < self->settings.replicas; index++) {
        gavel_core_t *core = gavel_fixture_core (self, index);
        if (core && !gavel_fixture_paused (self, index)
        &&  gavel_core_role (core) == GAVEL_ROLE_PRIMARY)
            return index;
    }
    return SIZE_MAX;
}

static gavel_msg_t *
s_test_open (uint64_t request_id)
{
    gavel_msg_t *open = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_request_id (open, request_id);
    gavel_msg_set_session (open, "fixture");
    gavel_msg_set_name (open, "carol");
    gavel_msg_set_item (open, "lamp");
    gavel_msg_set_duration (open, 600000);
    return open;
}

void
gavel_fixture_test (bool verbose)
{
    printf (" * gavel_fixture: ");
    s_test_log_t log = { 0 };
    gavel_fixture_hooks_t hooks = {
        .arg = &log, .answer = s_test_answer, .alarm = s_test_alarm,
        .cut = s_test_cut, .booted = s_test_booted
    };
    gavel_fixture_settings_t settings = {
        .replicas = 3, .clients = 1, .delay_min = 5, .delay_max = 5, .wire = true, .seed = 1
    };
    gavel_fixture_t *self = gavel_fixture_new (&settings, &hooks);
    assert (gavel_fixture_now (self) == GAVEL_FIXTURE_T0);
    assert (gavel_fixture_next (self) == INT64_MAX);
    assert (!gavel_fixture_step (self));
    for (size_t index = 0; index < 3; index++)
        gavel_fixture_boot (self, index);
    assert (log.booted == 3);
    //  A fresh core wants a turn at once
    assert (gavel_fixture_next (self) == GAVEL_FIXTURE_T0);

    //  Alarms go off in time order, ties in the order they were set; one
    //  set again moves behind the other, one cancelled never goes off
    gavel_fixture_alarm (self, 0, GAVEL_FIXTURE_T0 + 100);
    gavel_fixture_alarm (self, 1, GAVEL_FIXTURE_T0 + 100);
    gavel_fixture_alarm (self, 0, GAVEL_FIXTURE_T0 + 100);
    gavel_fixture_run (self, GAVEL_FIXTURE_T0 + 100);
    assert (gavel_fixture_now (self) == GAVEL_FIXTURE_T0 + 100);
    assert (log.fires == 2 && log.fired [0] == 1 && log.fired [1] == 0);
    gavel_fixture_alarm (self, 1, GAVEL_FIXTURE_T0 + 150);
    gavel_fixture_alarm_cancel (self, 1);
    gavel_fixture_run (self, GAVEL_FIXTURE_T0 + 200);
    assert (log.fires == 2);

    //  The cluster elects a primary over the made-up network, and a request
    //  sent over it is answered over it: a round trip of two delays at least
    gavel_fixture_run (self, GAVEL_FIXTURE_T0 + 1000);
    size_t primary = s_test_primary (self);
    assert (primary != SIZE_MAX);
    gavel_msg_t *open = s_test_open (1);
    gavel_fixture_send (self, 0, primary, open);
    gavel_msg_destroy (&open);
    int64_t sent = gavel_fixture_now (self);
    for (size_t step = 0; step < 1000 && log.replies == 0; step++)
        gavel_fixture_step (self);
    assert (log.replies == 1);
    assert (gavel_fixture_now (self) - sent >= 10);
    gavel_fixture_run (self, gavel_fixture_now (self) + 200);
    //  Every replica stored the entries, as lines that decode
    gavel_core_t *core = gavel_fixture_core (self, primary);
    uint64_t last = gavel_core_last_index (core);
    for (size_t index = 0; index < 3; index++) {
        assert (gavel_fixture_stored_last (self, index) == last);
        assert (gavel_fixture_stored_base (self, index) == 0);
        assert (gavel_fixture_stored_line (self, index, 0) == NULL);
        assert (gavel_fixture_stored_line (self, index, last + 1) == NULL);
        gavel_msg_error_t error;
        gavel_msg_t *entry = gavel_msg_decode_entry (gavel_fixture_stored_line (self, index, last),
                                                     &error);
        assert (entry && gavel_msg_index (entry) == last);
        gavel_msg_destroy (&entry);
    }

    //  A replica on a side of its own hears nothing; healed, it catches up
    size_t away = (primary + 1) % 3;
    gavel_fixture_set_side (self, away, 1);
    assert (gavel_fixture_side (self, away) == 1);
    open = s_test_open (2);
    gavel_fixture_send (self, 0, primary, open);
    gavel_msg_destroy (&open);
    gavel_fixture_run (self, gavel_fixture_now (self) + 100);
    assert (log.replies == 2);
    assert (gavel_fixture_stored_last (self, away) == last);
    gavel_fixture_heal (self);
    gavel_fixture_run (self, gavel_fixture_now (self) + 300);
    assert (gavel_fixture_stored_last (self, away) > last);

    //  A crash keeps storage; a restart loads it into a fresh core
    last = gavel_fixture_stored_last (self, away);
    gavel_fixture_crash (self, away);
    assert (!gavel_fixture_core (self, away));
    gavel_fixture_restart (self, away);
    assert (log.booted == 4);
    assert (gavel_core_last_index (gavel_fixture_core (self, away)) == last);

    //  Held reports: the disk writes at once, the core hears of it only
    //  once released, so the write does not count until then
    gavel_fixture_run (self, gavel_fixture_now (self) + 300);
    primary = s_test_primary (self);
    assert (primary != SIZE_MAX);
    core = gavel_fixture_core (self, primary);
    gavel_fixture_hold (self, primary);
    open = s_test_open (3);
    zmsg_t *route = gavel_fixture_envelope (self, 0);
    gavel_core_request (core, &route, &open, gavel_fixture_now (self));
    gavel_fixture_wake (self, primary);
    gavel_fixture_run (self, gavel_fixture_now (self));
    assert (gavel_fixture_stored_last (self, primary) == gavel_core_last_index (core));
    assert (gavel_core_durable (core) < gavel_core_last_index (core));
    gavel_fixture_release (self, primary);
    gavel_fixture_run (self, gavel_fixture_now (self) + 50);
    assert (gavel_core_durable (core) == gavel_core_last_index (core));
    assert (log.replies == 3);

    //  A paused replica runs no turn; what reaches it waits for the resume
    gavel_fixture_pause (self, primary, 1000);
    assert (gavel_fixture_paused (self, primary));
    uint64_t steps = gavel_fixture_steps (self);
    gavel_fixture_run (self, gavel_fixture_now (self) + 2000);
    assert (!gavel_fixture_paused (self, primary));
    assert (gavel_fixture_steps (self) > steps);
    assert (gavel_fixture_violation (self) == NULL);
    gavel_fixture_destroy (&self);

    //  A late disk: writes come later than the saves, and a crash loses
    //  what was not written. The world's own rules hold throughout.
    settings = (gavel_fixture_settings_t) {
        .replicas = 1, .clients = 1, .delay_max = 3, .turn_max = 2, .disk_max = 20,
        .loss = 0.1, .duplication = 0.1, .wire = true, .seed = 7
    };
    log = (s_test_log_t) { 0 };
    self = gavel_fixture_new (&settings, &hooks);
    gavel_fixture_boot (self, 0);
    gavel_fixture_run (self, GAVEL_FIXTURE_T0 + 10);
    assert (s_test_primary (self) == 0);
    core = gavel_fixture_core (self, 0);
    for (uint64_t request = 1; request <= 20; request++) {
        open = s_test_open (request);
        route = gavel_fixture_envelope (self, 0);
        gavel_core_request (core, &route, &open, gavel_fixture_now (self));
    }
    gavel_fixture_wake (self, 0);
    gavel_fixture_run (self, gavel_fixture_now (self));
    assert (gavel_fixture_stored_last (self, 0) < gavel_core_last_index (core));
    gavel_fixture_crash (self, 0);
    gavel_fixture_boot (self, 0);
    core = gavel_fixture_core (self, 0);
    assert (gavel_core_last_index (core) == gavel_fixture_stored_last (self, 0));
    gavel_fixture_run (self, gavel_fixture_now (self) + 1000);
    assert (gavel_core_role (core) == GAVEL_ROLE_PRIMARY);
    assert (gavel_fixture_violation (self) == NULL);
    gavel_fixture_destroy (&self);

    //  An action no shell could carry out is the world's violation
    settings = (gavel_fixture_settings_t) { .replicas = 1, .clients = 1 };
    self = gavel_fixture_new (&settings, NULL);
    gavel_fixture_boot (self, 0);
    gavel_fixture_run (self, GAVEL_FIXTURE_T0);
    open = s_test_open (1);
    gavel_core_request (gavel_fixture_core (self, 0), NULL, &open, gavel_fixture_now (self));
    gavel_fixture_wake (self, 0);
    gavel_fixture_run (self, gavel_fixture_now (self));
    assert (gavel_fixture_violation (self));
    assert (strstr (gavel_fixture_violation (self), "actions: replica 1 replies without"));
    gavel_fixture_destroy (&self);

    //  What a trace shows of a message
    char text [256];
    open = s_test_open (4);
    assert (streq (gavel_fixture_describe_msg (open, text, sizeof text),
                   "OPEN #4 fixture lamp 600000ms"));
    gavel_msg_destroy (&open);
    assert (streq (gavel_fixture_endpoint (1), "tcp://sim-2:21001"));
    printf ("OK\n");
}
