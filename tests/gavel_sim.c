/*  gavel_sim: the deterministic simulator.

    Runs N pure cores (replica/gavel_core.h) over a made-up network and a
    made-up clock, with simulated bidders talking to them through the same
    network, and checks the invariants after every event. Everything random
    comes from one seed; nothing reads the wall clock or iterates a hash, so
    `gavel_sim --seed S --events E --replicas N` replays a run exactly.

    One run is a priority queue of events ordered by (time, insertion number):
    deliveries, loop turns, client timers, faults. The earliest is stepped.
    A message delivered to a replica waits for its next loop turn, which
    runs as gavel_node_run's does: the client requests waiting, then the
    peer messages, then a tick if a core deadline is due, then a flush, and
    the outbox carried out in order. A turn takes 0-2 ms (by seed), and what
    arrives meanwhile waits for the next; a paused replica takes everything
    that queued up in one turn that ends with its overdue tick. So a primary
    can take requests and lose its quorum at the tick of the same turn.
    Messages cross the codec (encode, decode), so a field the wire does not
    carry cannot sneak through.

    Faults. Per seed: loss 0-20% (none in a tenth of seeds), duplication 0-5%,
    delay uniform 0..X with X up to 30 ms (which reorders), clock skew between
    hosts (none, up to 25 ms, or now and then beyond an election time-out),
    and a disk that writes entries late (in four seeds of five): each write
    takes 1..X ms with X up to 20, may take several saves at once, and is
    reported persisted to the core at its next loop turn, after later saves
    and cuts; a crash keeps only a prefix of the saves not yet written, the
    last perhaps torn.
    Storms of 1-4 s alternate with calms of 1-3 s. In a storm, every 30-500 ms:
    a crash (the primary half the time; at most a minority down, in a tenth of
    storms any number), a restart from durable storage, a pause of 50-1500 ms
    (what arrives meanwhile waits and is then read in shuffled order), a
    partition into two sides, or a heal; and now and then a replica is killed
    partway through its outbox. A calm heals everything and restarts enough
    replicas for a majority. At the end: heal, stop the faults, settle. Cores
    snapshot every 10-200 applied entries (in a fifth of seeds, rarely), so
    snapshots are taken, sent to laggards, stored and restored from.

    Workload. 4-8 bidders, one request at a time; 40% of auctions last
    0.3-1.5 s, and 70% of the bids and reads sent while an auction is due
    within 120 ms (or was due in the last 20) go to it, half bids, half
    reads: requests race deadlines all the time.

    Invariants. At every step: one primary per term; committed entries never
    change, exist on every replica from its snapshot up to its commit, and
    were stored by a majority when they committed (what is on disk counts,
    crashed or not; what a late disk has not written yet does not);
    storage follows gavel_store's rule (every entry saved right after the
    last one stored, once what follows prev_index is dropped: the store
    aborts otherwise); stored committed entries are never dropped; votes
    never change within a term; applied <= commit; stamps never go back;
    every `success` for a write is in the committed log; every answer
    reflects every success a bidder heard before the request was sent (reads
    included); replicas that applied the same entries list the same
    auctions, and the same as the simulator's own state machine fed the
    committed log; a snapshot holds exactly the state after the committed
    entries it covers. The deadline is an operation of its own: it passes
    on a replica when its clock reaches the committed OPEN's stamp plus the
    duration, so in simulated time within the replicas' skew of that. An
    answer that says closed (a read, a LIST record, a bid failing closed)
    comes after it began to pass and shows the final state: the committed
    log's when it is sent, and no later commit may raise it (a bid stamped
    before the deadline that commits after a `closed` answer is issue 12's
    finding 1). An answer that says open (a success, too-low,
    below-reserve, a read showing it open) answers a request sent before the
    deadline had passed everywhere, and before any bidder heard it closed.
    At the end: one primary, every replica at the same commit, every bidder
    answered, and each auction's winner (or highest bid) is the highest bid
    a bidder was told succeeded.

    Many seeds run in forked children, a chunk at a time, so that a crash or a
    sanitizer report is pinned on its seed and stops no other.
*/
#include "gavel_core.h"
#include "gavel_auction.h"
#include "gavel_cli.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIM_T0              1700000000000LL     //  stamps that look real
#define SIM_REPLICAS_MAX    GAVEL_CORE_REPLICAS_MAX
#define SIM_CLIENTS_MAX     8
#define SIM_AUCTIONS_MAX    64                  //  auction ids the checker tracks
#define SIM_OPENS_MAX       40                  //  OPENs per run, so ids fit above
#define SIM_STASH_MAX       1000                //  a paused replica's queue (its HWM)
#define SIM_TURN_MAX        256                 //  messages per socket per loop turn
#define SIM_CLIENT_TIMEOUT  300                 //  ms a bidder waits for a reply
#define SIM_SETTLE_MIN      3000                //  ms of calm before the final checks
#define SIM_SETTLE_MAX      20000               //  ms to converge, or liveness fails
#define SIM_SPIN_MAX        100                 //  ticks at one instant: a busy loop
#define SIM_CHECKPOINT      64                  //  entries between reference states
#define SIM_JOBS_MAX        16
#define NOT_QUEUED          SIZE_MAX

static const char *s_endpoints [SIM_REPLICAS_MAX] = {
    "tcp://sim-1:21001", "tcp://sim-2:21001", "tcp://sim-3:21001",
    "tcp://sim-4:21001", "tcp://sim-5:21001", "tcp://sim-6:21001",
    "tcp://sim-7:21001"
};


//  --------------------------------------------------------------------------
//  Random numbers: splitmix64, our own so that a seed means the same run on
//  every libc

static uint64_t
s_mix (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}


//  --------------------------------------------------------------------------
//  Events and the queue: a binary heap on (time, seq). Timers live inside
//  their owner and are moved, never freed; everything else is allocated per
//  event and freed once handled.

typedef enum {
    EV_PEER = 1,        //  replica to replica: PUB copy, ack or mesh message
    EV_REQUEST,         //  client to replica
    EV_REPLY,           //  replica to client
    EV_TICK,            //  a core's deadline came
    EV_RESUME,          //  a paused replica runs again
    EV_CLIENT,          //  a client's think time, back-off or reply time-out
    EV_FAULT,           //  the next fault of a storm
    EV_PHASE,           //  a storm begins or ends
    EV_DISK             //  a replica's disk finished writing
} event_kind_t;

typedef struct {
    int64_t time;
    uint64_t seq;               //  insertion order breaks ties
    size_t pos;                 //  heap slot, or NOT_QUEUED
    event_kind_t kind;
    bool timer;                 //  embedded in its owner: never freed
    size_t source;              //  sending replica, or client of a request
    size_t target;              //  receiving replica or client
    uint64_t incarnation;       //  of the target replica when sent
    gavel_msg_t *msg;
} event_t;

typedef struct {
    event_t **items;
    size_t size;
    size_t capacity;
    uint64_t sequence;
} queue_t;

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
//  The simulation

//  A save of entries the disk has yet to write, and what its report says
typedef struct {
    gavel_msg_t *save;
    uint64_t index;
    uint64_t term;
} write_t;

typedef struct {
    size_t index;               //  0-based; the core's id is index + 1
    gavel_core_t *core;         //  NULL while crashed
    uint64_t incarnation;       //  bumped by every crash and restart
    bool paused;
    event_t tick;
    event_t resume;
    event_t **inbox;            //  what arrived for its next loop turn, in order
    size_t inboxed;
    size_t paused_from;         //  inbox [paused_from..] arrived while paused
    int64_t busy_until;         //  a loop turn takes time: the next one waits
    int side;                   //  partition side, 0 or 1
    int64_t skew;               //  its clock minus the simulation's, ms
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
    //  Checker state for this incarnation
    uint64_t checked;           //  entries 1..checked match the global log
    uint64_t last_commit;
    int64_t spin_time;
    size_t spins;
} replica_t;

//  One request a client sent, by request id
typedef struct {
    gavel_msg_id_t kind;
    uint64_t auction;
    int64_t amount;
    uint64_t epoch;             //  confirmations made before it was first sent
    int64_t sent_at;            //  when it was first sent
    bool succeeded;             //  its client was told so
} sent_t;

typedef struct {
    size_t index;
    char session [48];
    char name [32];
    uint64_t request_id;        //  of the current or last request
    gavel_msg_t *request;       //  outstanding, or NULL when idle
    size_t target;              //  replica the last attempt went to
    size_t primary;             //  where the last answer came from
    size_t redirects;           //  in a row, for back-off
    bool waiting;               //  the timer is a reply time-out
    event_t timer;
    int64_t last_amount;        //  own serious bids rise strictly
    sent_t *sent;
    size_t sent_capacity;
} client_t;

//  A higher bid that a bidder heard succeed, and when
typedef struct {
    uint64_t epoch;
    int64_t amount;
} confirmation_t;

//  What the bidders learned about one auction
typedef struct {
    uint64_t known_epoch;       //  when an OPEN success named it; 0: not yet
    size_t opener;              //  client and request id of that OPEN
    uint64_t open_request;
    int64_t best;               //  highest BID success a bidder heard
    size_t best_client;
    confirmation_t *history;    //  every raise of best, in epoch order
    size_t raises;
    size_t history_capacity;
    int64_t hint;               //  highest amount heard of, to pick bids
    bool closed;                //  a bidder heard it is closed
    int64_t due;                //  when bidders expect it to close, to race it
    //  The deadline as an operation: what the committed log and the
    //  replies say about it
    int64_t deadline;           //  its committed OPEN's stamp + duration; 0: not yet
    uint64_t closed_epoch;      //  when a bidder first heard it is closed; 0: not yet
    bool claimed;               //  a reply said closed, and so final:
    int64_t claim_amount;       //  this amount
    char claim_winner [GAVEL_NAME_MAX + 1];     //  by this winner
    char claim_by [128];        //  in this reply, for the report
} auction_view_t;

//  A committed OPEN or BID, by "session request-id"
typedef struct {
    uint64_t index;
    gavel_msg_id_t kind;
    uint64_t auction;
    int64_t amount;
} committed_t;

typedef struct {
    size_t client;
    uint64_t request_id;
} emitted_t;

typedef struct {
    uint64_t seed;
    uint64_t events;            //  queue steps before settling
    size_t replicas;            //  0: 3 or 5, chosen by seed
    bool verbose;
    bool wire;                  //  messages cross the codec, as on a socket
    const char *program;
} options_t;

typedef struct {
    uint64_t seed;
    bool passed;
    size_t replicas;
    uint64_t steps;
    uint64_t commits;
    uint64_t elections;
    uint64_t successes;
    uint64_t faults;
    int64_t simulated;          //  ms
} outcome_t;

typedef struct {
    const options_t *options;
    uint64_t rng;
    int64_t now;
    uint64_t steps;
    queue_t queue;
    //  The cluster and its network
    size_t replica_count;
    replica_t replicas [SIM_REPLICAS_MAX];
    double loss;
    double duplication;
    int64_t delay_max;
    int64_t skew_max;           //  clocks differ by up to twice this
    int64_t skew_low;           //  the lowest and highest skew of a replica
    int64_t skew_high;
    int64_t turn_max;           //  ms a loop turn may take
    uint64_t snapshot_every;    //  the cores' setting
    int64_t disk_max;           //  ms a write of entries may take; 0: done and
                                //  reported at once, as gavel_node does
    //  Faults
    bool storm;
    bool settling;
    size_t crash_limit;
    event_t fault;
    event_t phase;
    //  Clients and what they learned
    size_t client_count;
    client_t clients [SIM_CLIENTS_MAX];
    double stickiness;          //  how often a bidder stays with a replica
    size_t opens_planned;       //  clients whose first request is an OPEN
    size_t opens_sent;
    auction_view_t auctions [SIM_AUCTIONS_MAX + 1];
    uint64_t epoch;             //  confirmations so far
    //  The checker
    char **log;                 //  the committed log, entry i at log [i - 1]
    gavel_msg_t **entries;      //  the same, decoded, for quick comparison
    uint64_t committed;
    size_t log_capacity;
    gavel_auction_t *reference; //  the committed log applied by us
    zmsg_t **checkpoints;       //  its state at every SIM_CHECKPOINT entries
    zhashx_t *requests;         //  of committed_t
    uint64_t *primaries;        //  by term: the one primary, or 0
    size_t terms;
    emitted_t *emitted;         //  successes answered in this event
    size_t emitted_count;
    size_t emitted_capacity;
    //  Statistics
    uint64_t elections;
    uint64_t successes;
    uint64_t faults;
    uint64_t timeouts;
    uint64_t redirects;
    //  The first violation
    bool failed;
    const char *invariant;
    char failure [2048];
} sim_t;


//  --------------------------------------------------------------------------
//  Random helpers

static uint64_t
s_below (sim_t *self, uint64_t limit)
{
    return limit? s_mix (&self->rng) % limit: 0;
}

static int64_t
s_between (sim_t *self, int64_t low, int64_t high)
{
    return low + (int64_t) s_below (self, (uint64_t) (high - low) + 1);
}

static double
s_unit (sim_t *self)
{
    return (double) (s_mix (&self->rng) >> 11) * 0x1.0p-53;
}

static bool
s_chance (sim_t *self, double probability)
{
    return s_unit (self) < probability;
}


//  --------------------------------------------------------------------------
//  Failure and tracing

static void
s_fail (sim_t *self, const char *invariant, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Only the first violation counts: later ones are usually its echoes
static void
s_fail (sim_t *self, const char *invariant, const char *format, ...)
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

static void
s_trace (sim_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_trace (sim_t *self, const char *format, ...)
{
    if (!self->options->verbose)
        return;
    printf ("[%9.3f #%06" PRIu64 "] ", (double) (self->now - SIM_T0) / 1000.0,
            self->steps);
    va_list args;
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
}

//  One message in one line, for the trace
static const char *
s_describe (gavel_msg_t *msg, char *text, size_t size)
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

static const char *
s_kind_name (gavel_msg_id_t kind)
{
    return kind == GAVEL_MSG_OPEN? "OPEN": kind == GAVEL_MSG_BID? "BID":
           kind == GAVEL_MSG_RESULT? "RESULT": kind == GAVEL_MSG_LIST? "LIST": "request";
}

static const char *
s_replica_state (replica_t *replica, char *text, size_t size)
{
    if (!replica->core)
        snprintf (text, size, "r%zu down", replica->index + 1);
    else
        snprintf (text, size, "r%zu %s%s t%" PRIu64 " p%" PRIu64 " c%" PRIu64
                  " a%" PRIu64 " l%" PRIu64, replica->index + 1,
                  gavel_core_role_name (replica->core), replica->paused? "(paused)": "",
                  gavel_core_term (replica->core), gavel_core_primary (replica->core),
                  gavel_core_commit (replica->core), gavel_core_applied (replica->core),
                  gavel_core_last_index (replica->core));
    return text;
}

static void
s_describe_cluster (sim_t *self, char *text, size_t size)
{
    size_t used = 0;
    text [0] = '\0';
    for (size_t index = 0; index < self->replica_count && used < size; index++) {
        char state [128];
        used += snprintf (text + used, size - used, "%s%s", index? "; ": "",
                          s_replica_state (&self->replicas [index], state, sizeof state));
    }
}

static size_t
s_majority (sim_t *self)
{
    return self->replica_count / 2 + 1;
}


//  --------------------------------------------------------------------------
//  Durable storage: what SAVE_STATE, SAVE_ENTRIES and SAVE_SNAPSHOT wrote,
//  with the semantics of replica/gavel_store.c. Entries are kept as the
//  lines the log file would hold, and a restart decodes them again.

static void
s_store_state (sim_t *self, replica_t *replica, uint64_t term, uint64_t vote)
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

//  The last index stored, in the snapshot or after it
static uint64_t
s_stored_last (replica_t *replica)
{
    return replica->base + replica->stored;
}

//  The stored line of entry index, or NULL (not stored, or in the snapshot)
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

//  Whether the replica stores committed entry index, in its log or in its
//  snapshot: what counts towards the majority that keeps it
static bool
s_stores_committed (sim_t *self, replica_t *replica, uint64_t index)
{
    if (index > self->committed)
        return false;
    if (index <= replica->base)
        return true;
    const char *line = s_stored_line (replica, index);
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
        if (!s_stores_committed (self, replica, index))
            s_fail (self, "committed-entry-kept", "replica %zu loses committed entry '%s'"
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
    s_store_kept (self, replica, from, before, cut, "cut by a save of entries");
    for (size_t offset = 0; offset < cut; offset++)
        free (before [offset]);
    free (before);
}

static void s_check_snapshot (sim_t *self, replica_t *replica, gavel_msg_t *snapshot);

//  Store the snapshot and drop the entries it holds, keeping those after
//  it; one older than the stored one is ignored
static void
s_store_snapshot (sim_t *self, replica_t *replica, gavel_msg_t *snapshot)
{
    uint64_t index = gavel_msg_index (snapshot);
    if (gavel_msg_id (snapshot) != GAVEL_MSG_SNAPSHOT || index == 0) {
        s_fail (self, "storage", "replica %zu saves a %s at index %" PRIu64 " as a snapshot",
                replica->index + 1, gavel_msg_command (snapshot), index);
        return;
    }
    if (index < replica->base)
        return;
    s_check_snapshot (self, replica, snapshot);
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
        s_queue_set (&self->queue, &replica->disk, self->now + s_between (self, 1, self->disk_max));
}

static void s_schedule_tick (sim_t *self, replica_t *replica);
static int64_t s_clock (sim_t *self, replica_t *replica);

//  A write is done: some saves are on disk, their report on its way
static void
s_on_disk (sim_t *self, replica_t *replica)
{
    if (!replica->core || replica->writing == 0)
        return;
    size_t count = 1 + (size_t) s_below (self, replica->writing);
    s_trace (self, "r%zu disk wrote %zu of %zu saves", replica->index + 1, count, replica->writing);
    s_disk_write (self, replica, count, s_chance (self, 0.5));
    if (replica->writing)
        s_queue_set (&self->queue, &replica->disk, self->now + s_between (self, 1, self->disk_max));
    s_schedule_tick (self, replica);
}

//  The process died: a prefix of what waited made it to disk, the rest not
static void
s_disk_crash (sim_t *self, replica_t *replica)
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
s_disk_reports (sim_t *self, replica_t *replica)
{
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
s_linked (sim_t *self, size_t a, size_t b)
{
    return self->replicas [a].side == self->replicas [b].side;
}

//  A message on its way out, encoded once however many copies are made
typedef struct {
    gavel_msg_t *msg;
    zmsg_t *frames;
} parcel_t;

static parcel_t
s_parcel (gavel_msg_t *msg)
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
        s_fail (self, "codec", "a %s message does not survive the wire: %s: %s",
                gavel_msg_command (parcel->msg), error.reason, error.message);
    return copy;
}

static void
s_transmit (sim_t *self, event_kind_t kind, size_t source, size_t target,
            parcel_t *parcel)
{
    size_t copies = s_chance (self, self->duplication)? 2: 1;
    for (size_t copy = 0; copy < copies; copy++) {
        if (s_chance (self, self->loss))
            continue;
        event_t *event = s_event_new (kind, source, target);
        event->msg = s_wire_copy (self, parcel);
        if (!event->msg) {
            s_event_destroy (&event);
            continue;
        }
        if (kind != EV_REPLY)
            event->incarnation = self->replicas [target].incarnation;
        s_queue_push (&self->queue, event, self->now + s_between (self, 0, self->delay_max));
    }
}

static void
s_send_peer (sim_t *self, replica_t *replica, size_t peer, parcel_t *parcel)
{
    //  Nobody listens on a crashed host, and a partition cuts the link
    if (self->replicas [peer].core && s_linked (self, replica->index, peer))
        s_transmit (self, EV_PEER, replica->index, peer, parcel);
}


//  --------------------------------------------------------------------------
//  Carrying out a core's actions

static void s_check_reply (sim_t *self, client_t *client, gavel_msg_t *reply,
                           size_t from);
static void s_check_replica (sim_t *self, replica_t *replica);

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
        s_fail (self, "actions", "replica %zu replies without the envelope it was given",
                replica->index + 1);
        return;
    }
    //  A success claims its entry is committed, and an answer shows a state
    //  of the committed log: take in what the sender has committed before
    //  the rest of its outbox (which a kill may cut short)
    gavel_outcome_t outcome = gavel_msg_outcome (action->msg);
    if (outcome == GAVEL_SUCCESS || outcome == GAVEL_FAIL)
        s_check_replica (self, replica);
    s_check_reply (self, &self->clients [client], action->msg, replica->index);
    parcel_t parcel = s_parcel (action->msg);
    s_transmit (self, EV_REPLY, replica->index, client, &parcel);
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
        s_describe (action->msg, text, sizeof text);
    s_trace (self, "  r%zu %s to %" PRIu64 ": %s", replica->index + 1, kind,
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
        s_fail (self, "actions", "replica %zu: action %d without a message", id, action->kind);
        return;
    }
    parcel_t parcel = s_parcel (action->msg);
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
                s_fail (self, "actions", "replica %zu sends %s to replica %" PRIu64, id,
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
            s_fail (self, "actions", "replica %zu: unknown action %d", id, action->kind);
            break;
    }
    zmsg_destroy (&parcel.frames);
}

static size_t s_crashed (sim_t *self);
static void s_crash (sim_t *self, replica_t *replica);

//  Carry out the outbox in order. Now and then in a storm the process is
//  killed partway through (kill -9): what was done is done, the rest never
//  happens. That is where an ACK sent before its SAVE would show. Returns
//  false when the replica died.
static bool
s_carry_out (sim_t *self, replica_t *replica)
{
    bool dying = self->storm && s_crashed (self) < self->crash_limit
              && s_chance (self, 0.002);
    gavel_action_t *action;
    while ((action = gavel_core_next_action (replica->core))) {
        if (dying && s_chance (self, 0.3)) {
            gavel_action_destroy (&action);
            s_trace (self, "FAULT kill r%zu partway through its outbox", replica->index + 1);
            s_crash (self, replica);
            return false;
        }
        s_act (self, replica, action);
        gavel_action_destroy (&action);
    }
    if (dying)
        s_crash (self, replica);
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
s_inbox_add (sim_t *self, replica_t *replica, event_t *event)
{
    if (replica->inboxed == SIM_STASH_MAX) {
        s_event_destroy (&event);
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
            s_trace (self, "r%zu <- client %zu: %s", event->target + 1, event->source,
                     self->options->verbose? s_describe (event->msg, text, sizeof text): "");
            zmsg_t *route = zmsg_new ();
            assert (route);
            zmsg_addstrf (route, "%zu", event->source);
            gavel_core_request (replica->core, &route, &event->msg, s_clock (self, replica));
        }
        else {
            s_trace (self, "r%zu <- r%zu: %s", event->target + 1, event->source + 1,
                     self->options->verbose? s_describe (event->msg, text, sizeof text): "");
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
s_turn (sim_t *self, replica_t *replica)
{
    replica->paused_from = 0;
    s_disk_reports (self, replica);
    s_drain (self, replica, EV_REQUEST);
    s_drain (self, replica, EV_PEER);
    int64_t now = s_clock (self, replica);
    if (gavel_core_next_deadline (replica->core) <= now) {
        if (replica->spin_time == self->now) {
            if (++replica->spins > SIM_SPIN_MAX)
                s_fail (self, "liveness", "replica %zu asks for %d ticks at one instant: a"
                        " busy loop", replica->index + 1, SIM_SPIN_MAX);
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
    replica->busy_until = self->now + s_between (self, 0, self->turn_max);
    s_schedule_tick (self, replica);
    if (self->options->verbose) {
        char state [128];
        s_trace (self, "  %s", s_replica_state (replica, state, sizeof state));
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
        settings->clients [peer] = s_endpoints [peer];
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

static void
s_crash (sim_t *self, replica_t *replica)
{
    s_trace (self, "FAULT crash r%zu", replica->index + 1);
    gavel_core_destroy (&replica->core);
    s_disk_crash (self, replica);
    replica->incarnation++;
    replica->paused = false;
    s_queue_remove (&self->queue, &replica->tick);
    s_queue_remove (&self->queue, &replica->resume);
    s_inbox_clear (replica);
}

//  A new process: a fresh core that loads term, vote and log from storage,
//  as the node does at every start
static void
s_boot (sim_t *self, replica_t *replica)
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
            s_fail (self, "storage", "replica %zu stored '%s', which does not decode: %s",
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

static void
s_restart (sim_t *self, replica_t *replica)
{
    s_trace (self, "FAULT restart r%zu (term %" PRIu64 " vote %" PRIu64 ", snapshot at %"
             PRIu64 ", %zu entries)", replica->index + 1, replica->term, replica->vote,
             replica->base, replica->stored);
    s_boot (self, replica);
}

static void
s_pause (sim_t *self, replica_t *replica, int64_t duration)
{
    s_trace (self, "FAULT pause r%zu for %" PRId64 " ms", replica->index + 1, duration);
    replica->paused = true;
    replica->paused_from = replica->inboxed;
    s_queue_remove (&self->queue, &replica->tick);
    s_queue_set (&self->queue, &replica->resume, self->now + duration);
}

//  What queued up while stopped is all there at once, for one turn that
//  ends with the overdue tick. The node drains one socket after another, so
//  the order across sockets is not the order of sending: shuffle.
static void
s_resume (sim_t *self, replica_t *replica)
{
    if (!replica->paused)
        return;
    s_trace (self, "FAULT resume r%zu (%zu messages waiting)", replica->index + 1,
             replica->inboxed);
    replica->paused = false;
    s_queue_remove (&self->queue, &replica->resume);
    event_t **stash = replica->inbox + replica->paused_from;
    for (size_t index = replica->inboxed - replica->paused_from; index > 1; index--) {
        size_t other = (size_t) s_below (self, index);
        event_t *event = stash [index - 1];
        stash [index - 1] = stash [other];
        stash [other] = event;
    }
    replica->paused_from = 0;
    replica->busy_until = self->now;
    s_schedule_tick (self, replica);
}


//  --------------------------------------------------------------------------
//  The checker: invariants after every event

static void
s_check_primary (sim_t *self, uint64_t term, uint64_t id)
{
    if (term == 0) {
        s_fail (self, "one-primary-per-term", "replica %" PRIu64 " is primary in term 0", id);
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
        s_trace (self, "ELECTED r%" PRIu64 " primary of term %" PRIu64, id, term);
    }
    else
    if (self->primaries [term] != id)
        s_fail (self, "one-primary-per-term", "term %" PRIu64 " has two primaries: "
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

static int64_t s_record_number (const char *record, const char *key);
static bool s_auction_valid (int64_t auction);

//  What a committed OPEN or BID did, for the deadline checks: an OPEN
//  fixes its auction's deadline; a BID that raises an auction that a reply
//  said was closed, with a lower winner, shows that reply was wrong (it
//  missed a bid stamped before the deadline).
static void
s_reference_applied (sim_t *self, gavel_msg_t *entry, gavel_msg_t *reply, const char *line)
{
    const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
    int64_t auction = s_record_number (record, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || !s_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    if (gavel_msg_id (entry) == GAVEL_MSG_OPEN)
        view->deadline = gavel_msg_stamp (entry) + gavel_msg_duration (entry);
    else
    if (view->claimed)
        s_fail (self, "closed-final", "%s said auction %" PRId64 " is closed with winner=%s"
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
        copies += s_stores_committed (self, &self->replicas [peer], index);
    if (index > 1 && gavel_msg_stamp (entry) < gavel_msg_stamp (self->entries [index - 2]))
        s_fail (self, "stamps-monotonic", "committed entry %" PRIu64 " '%s' is stamped"
                " before entry %" PRIu64 " '%s'", index, line, index - 1, self->log [index - 2]);
    if (copies < s_majority (self))
        s_fail (self, "committed-on-majority", "entry %" PRIu64 " '%s' is committed but"
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
s_check_entry (sim_t *self, replica_t *replica, uint64_t index)
{
    size_t id = replica->index + 1;
    gavel_msg_t *entry = gavel_core_entry (replica->core, index);
    if (!entry) {
        s_fail (self, "committed-log", "replica %zu has commit %" PRIu64
                " but no entry %" PRIu64, id, gavel_core_commit (replica->core), index);
        return;
    }
    if (gavel_msg_index (entry) != index) {
        s_fail (self, "committed-log", "replica %zu's entry %" PRIu64 " says index %" PRIu64,
                id, index, gavel_msg_index (entry));
        return;
    }
    if (index <= self->committed && s_same_entry (entry, self->entries [index - 1]))
        return;
    char line [GAVEL_ENTRY_MAX];
    gavel_msg_encode_entry (entry, line, sizeof line);
    if (index <= self->committed)
        s_fail (self, "committed-log", "committed entry %" PRIu64 " was '%s' but replica"
                " %zu has '%s'", index, self->log [index - 1], id, line);
    else {
        assert (index == self->committed + 1);
        s_commit (self, entry, line);
    }
}

static void
s_check_replica (sim_t *self, replica_t *replica)
{
    gavel_core_t *core = replica->core;
    size_t id = replica->index + 1;
    if (gavel_core_role (core) == GAVEL_ROLE_PRIMARY)
        s_check_primary (self, gavel_core_term (core), id);
    uint64_t commit = gavel_core_commit (core);
    uint64_t applied = gavel_core_applied (core);
    if (applied > commit)
        s_fail (self, "applied-committed", "replica %zu applied %" PRIu64
                " but commit is %" PRIu64, id, applied, commit);
    if (commit < replica->last_commit)
        s_fail (self, "committed-log", "replica %zu's commit went back from %" PRIu64
                " to %" PRIu64, id, replica->last_commit, commit);
    replica->last_commit = commit;
    if (commit > gavel_core_last_index (core))
        s_fail (self, "committed-log", "replica %zu has commit %" PRIu64 " beyond its last"
                " index %" PRIu64, id, commit, gavel_core_last_index (core));
    //  What a snapshot holds was checked as a state when it was taken
    uint64_t base = gavel_core_base (core);
    if (base > applied || base > self->committed)
        s_fail (self, "snapshot-committed", "replica %zu's snapshot ends at %" PRIu64
                ", beyond what it applied (%" PRIu64 ") or what is committed (%" PRIu64 ")",
                id, base, applied, self->committed);
    if (replica->checked < base)
        replica->checked = base;
    while (replica->checked < commit && !self->failed)
        s_check_entry (self, replica, ++replica->checked);
    //  A committed entry may still be overwritten later: look again at the
    //  newest and at one that moves around the log with the step count
    if (replica->checked > base && !self->failed) {
        uint64_t span = replica->checked - base;
        s_check_entry (self, replica, replica->checked);
        s_check_entry (self, replica, base + 1 + (self->steps * 2654435761u) % span);
    }
}

//  A snapshot is the state after the committed entries it covers: the same
//  frames as the simulator's own state machine after them
static void
s_check_snapshot (sim_t *self, replica_t *replica, gavel_msg_t *snapshot)
{
    uint64_t index = gavel_msg_index (snapshot);
    if (replica->core)
        s_check_replica (self, replica);
    if (self->failed)
        return;
    if (index > self->committed) {
        s_fail (self, "snapshot-committed", "replica %zu stores a snapshot at %" PRIu64
                " but only %" PRIu64 " entries are committed", replica->index + 1, index,
                self->committed);
        return;
    }
    zmsg_t *expected = s_reference_state (self, index);
    char where [512] = "";
    if (gavel_msg_last_term (snapshot) != gavel_msg_term (self->entries [index - 1]))
        s_fail (self, "snapshot-state", "replica %zu stores a snapshot at %" PRIu64
                " of term %" PRIu64 " but committed entry %" PRIu64 " is '%s'",
                replica->index + 1, index, gavel_msg_last_term (snapshot), index,
                self->log [index - 1]);
    else
    if (!s_same_state (expected, gavel_msg_payload (snapshot), where, sizeof where))
        s_fail (self, "snapshot-state", "replica %zu stores a snapshot at %" PRIu64
                " that is not the state after committed entries 1..%" PRIu64 ": it has %s",
                replica->index + 1, index, index, where);
    zmsg_destroy (&expected);
}

//  A success answered for an OPEN or BID must be in the committed log
static void
s_check_answered (sim_t *self, client_t *client, uint64_t request_id, const char *when)
{
    sent_t *sent = &client->sent [request_id];
    char key [GAVEL_SESSION_MAX + 32];
    s_request_key (client->session, request_id, key, sizeof key);
    committed_t *request = (committed_t *) zhashx_lookup (self->requests, key);
    if (!request)
        s_fail (self, "success-committed", "client %zu %s success for request %" PRIu64
                " (%s auction=%" PRIu64 " amount=%" PRId64 ") but the committed log"
                " (%" PRIu64 " entries) does not hold it", client->index, when, request_id,
                sent->kind == GAVEL_MSG_OPEN? "OPEN": "BID", sent->auction, sent->amount,
                self->committed);
    else
    if (request->kind != sent->kind
    || (sent->kind == GAVEL_MSG_BID
        && (request->auction != sent->auction || request->amount != sent->amount)))
        s_fail (self, "success-committed", "client %zu's request %" PRIu64 " is committed"
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
static void
s_check_states (sim_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_LIST);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_t *lists [SIM_REPLICAS_MAX] = { NULL };
    for (size_t index = 0; index < self->replica_count; index++) {
        gavel_core_t *core = self->replicas [index].core;
        if (core)
            lists [index] = gavel_auction_query (gavel_core_auction (core), request, self->now);
    }
    for (size_t index = 0; index < self->replica_count; index++)
        for (size_t other = 0; other < index && lists [index]; other++) {
            if (!lists [other]
            ||  gavel_core_applied (self->replicas [index].core)
             != gavel_core_applied (self->replicas [other].core))
                continue;
            int differ = s_differ (lists [other], lists [index]);
            if (differ >= 0)
                s_fail (self, "same-state", "replicas %zu and %zu applied %" PRIu64
                        " entries but list auctions differently: '%s' and '%s'",
                        other + 1, index + 1,
                        gavel_core_applied (self->replicas [index].core),
                        s_record_or_none (lists [other], differ),
                        s_record_or_none (lists [index], differ));
        }
    //  And those that applied the whole committed log list what we do
    gavel_msg_t *ours = gavel_auction_query (self->reference, request, self->now);
    for (size_t index = 0; index < self->replica_count && !self->failed; index++) {
        if (!lists [index]
        ||  gavel_core_applied (self->replicas [index].core) != self->committed)
            continue;
        int differ = s_differ (ours, lists [index]);
        if (differ >= 0)
            s_fail (self, "same-state", "replica %zu applied the %" PRIu64 " committed"
                    " entries but lists '%s' where they give '%s'", index + 1,
                    self->committed, s_record_or_none (lists [index], differ),
                    s_record_or_none (ours, differ));
    }
    gavel_msg_destroy (&ours);
    for (size_t index = 0; index < self->replica_count; index++)
        gavel_msg_destroy (&lists [index]);
    gavel_msg_destroy (&request);
}

static void
s_check (sim_t *self)
{
    for (size_t index = 0; index < self->replica_count && !self->failed; index++)
        if (self->replicas [index].core)
            s_check_replica (self, &self->replicas [index]);
    for (size_t index = 0; index < self->emitted_count && !self->failed; index++) {
        emitted_t *emitted = &self->emitted [index];
        s_check_answered (self, &self->clients [emitted->client], emitted->request_id,
                          "was sent");
    }
    self->emitted_count = 0;
    if (self->steps % 128 == 0 && !self->failed)
        s_check_states (self);
}


//  --------------------------------------------------------------------------
//  What the bidders were told, in the order they were told it. Each
//  confirmation (an auction opened, or a bid higher than any before that a
//  bidder heard succeed) takes the next epoch. A request remembers the epoch
//  it was first sent in, and any answer to it must reflect every confirmation
//  up to there: what completed before a request began is visible to it.

static void
s_confirm_open (sim_t *self, uint64_t auction)
{
    auction_view_t *view = &self->auctions [auction];
    if (!view->known_epoch)
        view->known_epoch = ++self->epoch;
}

static void
s_confirm_bid (sim_t *self, uint64_t auction, int64_t amount, size_t client)
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

static bool
s_auction_valid (int64_t auction)
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
    uint64_t known = s_auction_valid ((int64_t) auction)
                   ? self->auctions [auction].known_epoch: 0;
    return known && known <= epoch;
}


//  --------------------------------------------------------------------------
//  Replies, checked as they leave the replica: whether or not the network
//  delivers them, and whether or not their client still waits for them

//  A number out of a reply record, or -1 when the key is absent
static int64_t
s_record_number (const char *record, const char *key)
{
    char value [32];
    if (gavel_record_get (record, key, value, sizeof value))
        return -1;
    return strtoll (value, NULL, 10);
}

static const char *
s_first_record (gavel_msg_t *reply)
{
    return gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
}

//  An amount the reply reports for an auction (its highest bid, or winning
//  one) must be at least what was confirmed before the request was sent
static void
s_check_fresh (sim_t *self, client_t *client, uint64_t request_id,
               const char *record, const char *key)
{
    int64_t auction = s_record_number (record, "auction");
    int64_t amount = s_record_number (record, key);
    if (!s_auction_valid (auction) || amount < 0)
        return;
    int64_t confirmed = s_confirmed (self, auction, client->sent [request_id].epoch);
    if (amount < confirmed)
        s_fail (self, "linearizable", "client %zu's request %" PRIu64 " is answered"
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
              request_id, (double) (self->now - SIM_T0) / 1000.0);
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
    snprintf (record, size, "%s", s_first_record (reply));
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
}

static void
s_check_closed (sim_t *self, client_t *client, uint64_t request_id, size_t from,
                const char *record)
{
    int64_t auction = s_record_number (record, "auction");
    if (!s_auction_valid (auction) || !self->auctions [auction].deadline)
        return;
    auction_view_t *view = &self->auctions [auction];
    char by [128];
    s_reply_name (self, client, request_id, from, by, sizeof by);
    if (self->now < view->deadline - self->skew_high) {
        s_fail (self, "deadline", "%s is '%s', but the deadline passes on no replica"
                " before t=+%.3fs", by, record,
                (double) (view->deadline - self->skew_high - SIM_T0) / 1000.0);
        return;
    }
    char winner [GAVEL_NAME_MAX + 1] = "";
    gavel_record_get (record, "winner", winner, sizeof winner);
    int64_t amount = s_record_number (record, "amount");
    char final [GAVEL_RECORD_MAX];
    s_reference_result (self, (uint64_t) auction, final, sizeof final);
    char final_winner [GAVEL_NAME_MAX + 1] = "";
    if (gavel_record_get (final, "winner", final_winner, sizeof final_winner))
        gavel_record_get (final, "bidder", final_winner, sizeof final_winner);
    int64_t final_amount = s_record_number (final, "amount");
    if (final_amount < 0)
        final_amount = s_record_number (final, "highest");
    if (amount != final_amount || !streq (winner, final_winner)) {
        s_fail (self, "closed-final", "%s is '%s', but the committed log has '%s'",
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
    int64_t auction = s_record_number (record, "auction");
    if (!s_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    sent_t *sent = &client->sent [request_id];
    char by [128];
    s_reply_name (self, client, request_id, from, by, sizeof by);
    if (view->deadline && sent->sent_at >= view->deadline - self->skew_low)
        s_fail (self, "deadline", "%s is '%s', but it was sent at t=+%.3fs, when the"
                " deadline had passed on every replica (by t=+%.3fs)", by, record,
                (double) (sent->sent_at - SIM_T0) / 1000.0,
                (double) (view->deadline - self->skew_low - SIM_T0) / 1000.0);
    else
    if (view->closed_epoch && view->closed_epoch <= sent->epoch)
        s_fail (self, "linearizable", "%s is '%s', but a bidder had been told auction %"
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
        int64_t auction = s_record_number (record, "auction");
        if (s_auction_valid (auction))
            listed [auction] = true;
        s_check_state_record (self, client, request_id, from, record);
    }
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++)
        if (!listed [auction] && s_known (self, auction, client->sent [request_id].epoch))
            s_fail (self, "linearizable", "client %zu's LIST %" PRIu64 " misses auction %"
                    PRIu64 ", opened before it was sent", client->index, request_id,
                    auction);
}

static void
s_check_bid_success (sim_t *self, client_t *client, uint64_t request_id,
                     const char *record)
{
    sent_t *sent = &client->sent [request_id];
    if (s_record_number (record, "auction") != (int64_t) sent->auction
    ||  s_record_number (record, "amount") != sent->amount)
        s_fail (self, "client", "client %zu's BID %" PRIu64 " auction=%" PRIu64 " amount=%"
                PRId64 " succeeds as '%s'", client->index, request_id, sent->auction,
                sent->amount, record);
    if (!s_auction_valid ((int64_t) sent->auction))
        return;
    int64_t confirmed = s_confirmed (self, sent->auction, sent->epoch);
    if (sent->amount <= confirmed)
        s_fail (self, "linearizable", "client %zu's bid of %" PRId64 " on auction %" PRIu64
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
    const char *record = s_first_record (reply);
    switch (sent->kind) {
        case GAVEL_MSG_OPEN: {
            int64_t auction = s_record_number (record, "auction");
            if (auction < 1 || (uint64_t) auction > self->opens_sent)
                s_fail (self, "at-most-once", "client %zu's OPEN %" PRIu64 " gets auction %"
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
        s_fail (self, "linearizable", "client %zu's request %" PRIu64 " is told auction %"
                PRIu64 " is unknown, but it was opened before the request was sent",
                client->index, request_id, sent->auction);
    //  A copy of an older request may come late and be refused as stale; the
    //  current one never can: nothing newer was sent in its session
    if ((streq (reason, "stale-request") && request_id == client->request_id)
    ||  streq (reason, "malformed") || streq (reason, "unknown-command"))
        s_fail (self, "client", "client %zu's request %" PRIu64 " gets exception %s: %s",
                client->index, request_id, reason, gavel_msg_message (reply));
}

static void
s_check_redirect (sim_t *self, gavel_msg_t *reply, size_t from)
{
    const char *record = s_first_record (reply);
    int64_t primary = s_record_number (record, "primary");
    char endpoint [64] = "";
    gavel_record_get (record, "client", endpoint, sizeof endpoint);
    if (primary >= 1 && (size_t) primary <= self->replica_count
    &&  !streq (endpoint, s_endpoints [primary - 1]))
        s_fail (self, "client", "replica %zu redirects to primary %" PRId64 " at '%s'",
                from + 1, primary, endpoint);
}

static void
s_check_reply (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    uint64_t request_id = gavel_msg_request_id (reply);
    if (request_id == 0 || request_id > client->request_id) {
        s_fail (self, "client", "replica %zu answers client %zu's request %" PRIu64
                ", which was never sent", from + 1, client->index, request_id);
        return;
    }
    const char *record = s_first_record (reply);
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
            s_fail (self, "client", "replica %zu answers with outcome %d", from + 1,
                    gavel_msg_outcome (reply));
            break;
    }
}


//  --------------------------------------------------------------------------
//  Clients: closed loops of one request at a time, retried with the same
//  request id until they get an answer that is not a redirect or a time-out

static size_t
s_other_replica (sim_t *self, size_t replica)
{
    if (self->replica_count == 1)
        return 0;
    size_t other = (size_t) s_below (self, self->replica_count - 1);
    return other >= replica? other + 1: other;
}

static void
s_client_send (sim_t *self, client_t *client)
{
    char text [256];
    s_trace (self, "client %zu -> r%zu: %s", client->index, client->target + 1,
             self->options->verbose? s_describe (client->request, text, sizeof text): "");
    if (self->replicas [client->target].core) {
        parcel_t parcel = s_parcel (client->request);
        s_transmit (self, EV_REQUEST, client->index, client->target, &parcel);
        zmsg_destroy (&parcel.frames);
    }
    client->waiting = true;
    s_queue_set (&self->queue, &client->timer, self->now + SIM_CLIENT_TIMEOUT);
}

static void
s_client_later (sim_t *self, client_t *client, int64_t delay)
{
    client->waiting = false;
    s_queue_set (&self->queue, &client->timer, self->now + delay);
}

//  An auction to bid on or read: mostly one that is known and not closed
static uint64_t
s_pick_auction (sim_t *self)
{
    uint64_t choices [SIM_AUCTIONS_MAX];
    size_t count = 0;
    bool open_only = s_chance (self, 0.8);
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++) {
        auction_view_t *view = &self->auctions [auction];
        if (view->known_epoch && !(open_only && view->closed))
            choices [count++] = auction;
    }
    if (count == 0 || s_chance (self, 0.05))
        return 1 + s_below (self, self->opens_sent + 1);
    return choices [s_below (self, count)];
}

//  The auction whose deadline, as bidders heard it, is nearest to now, if
//  one is due within the next 120 ms or passed in the last 20; or 0
static uint64_t
s_racing_auction (sim_t *self)
{
    uint64_t racing = 0;
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX; auction++) {
        auction_view_t *view = &self->auctions [auction];
        if (view->known_epoch && view->due >= self->now - 20 && view->due <= self->now + 120
        && (!racing || llabs (view->due - self->now)
                       < llabs (self->auctions [racing].due - self->now)))
            racing = auction;
    }
    return racing;
}

static int64_t
s_pick_amount (sim_t *self, client_t *client, uint64_t auction)
{
    auction_view_t *view = &self->auctions [s_auction_valid ((int64_t) auction)? auction: 0];
    int64_t level = view->hint > view->best? view->hint: view->best;
    //  Some bids are too low on purpose
    if (level > 0 && s_chance (self, 0.2))
        return s_between (self, 1, level);
    int64_t base = level > client->last_amount? level: client->last_amount;
    client->last_amount = base + s_between (self, 1, 25);
    return client->last_amount;
}

static gavel_msg_id_t
s_pick_kind (sim_t *self, client_t *client)
{
    double roll = s_unit (self);
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
    sent->sent_at = self->now;
    //  Most bids and reads in the last moments of an auction race its
    //  deadline: half bids, half reads
    uint64_t racing = 0;
    if ((sent->kind == GAVEL_MSG_BID || sent->kind == GAVEL_MSG_RESULT)
    &&  (racing = s_racing_auction (self)) && s_chance (self, 0.7))
        sent->kind = s_chance (self, 0.5)? GAVEL_MSG_BID: GAVEL_MSG_RESULT;
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
        double roll = s_unit (self);
        gavel_msg_set_duration (request, roll < 0.4? s_between (self, 300, 1500)
                                       : roll < 0.75? s_between (self, 1500, 6000)
                                       : s_between (self, 20000, 60000));
        gavel_msg_set_reserve (request, s_chance (self, 0.2)? s_between (self, 10, 60): 0);
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
    client->target = s_chance (self, self->stickiness)? client->primary
                   : (size_t) s_below (self, self->replica_count);
    s_client_send (self, client);
}

static void
s_client_finish (sim_t *self, client_t *client)
{
    gavel_msg_destroy (&client->request);
    client->waiting = false;
    s_queue_remove (&self->queue, &client->timer);
    if (!self->settling)
        s_client_later (self, client, s_between (self, 0, 40));
}

//  Amounts heard of, so that bids are pitched where the action is
static void
s_client_learn (sim_t *self, gavel_msg_t *reply)
{
    for (size_t index = 0; index < gavel_msg_records (reply); index++) {
        const char *record = gavel_msg_record (reply, index);
        int64_t auction = s_record_number (record, "auction");
        if (!s_auction_valid (auction))
            continue;
        auction_view_t *view = &self->auctions [auction];
        int64_t highest = s_record_number (record, "highest");
        int64_t amount = s_record_number (record, "amount");
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
        int64_t closes_in = s_record_number (record, "closes_in");
        if (closes_in >= 0)
            view->due = self->now + closes_in;
    }
}

static void
s_client_opened (sim_t *self, client_t *client, gavel_msg_t *reply)
{
    int64_t auction = s_record_number (s_first_record (reply), "auction");
    if (!s_auction_valid (auction))
        return;
    auction_view_t *view = &self->auctions [auction];
    if (view->known_epoch && (view->opener != client->index
                              || view->open_request != client->request_id))
        s_fail (self, "at-most-once", "auction %" PRId64 " was opened by client %zu's"
                " request %" PRIu64 " and by client %zu's request %" PRIu64, auction,
                view->opener, view->open_request, client->index, client->request_id);
    view->opener = client->index;
    view->open_request = client->request_id;
    s_confirm_open (self, auction);
}

static void
s_client_success (sim_t *self, client_t *client, gavel_msg_t *reply)
{
    sent_t *sent = &client->sent [client->request_id];
    if (sent->kind == GAVEL_MSG_OPEN)
        s_client_opened (self, client, reply);
    if (sent->kind == GAVEL_MSG_BID && s_auction_valid ((int64_t) sent->auction))
        s_confirm_bid (self, sent->auction, sent->amount, client->index);
    if (sent->kind == GAVEL_MSG_OPEN || sent->kind == GAVEL_MSG_BID) {
        sent->succeeded = true;
        self->successes++;
        s_check_answered (self, client, client->request_id, "received");
    }
}

static void
s_client_redirected (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    self->redirects++;
    client->redirects++;
    int64_t primary = s_record_number (s_first_record (reply), "primary");
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
    s_client_later (self, client, s_between (self, 10, 60));
}

static void
s_client_answer (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from)
{
    char text [256];
    s_trace (self, "client %zu <- r%zu: %s", client->index, from + 1,
             self->options->verbose? s_describe (reply, text, sizeof text): "");
    //  A late or doubled answer to an earlier request
    if (!client->request || gavel_msg_request_id (reply) != client->request_id)
        return;
    s_queue_remove (&self->queue, &client->timer);
    client->waiting = false;
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (outcome == GAVEL_REDIRECT)
        s_client_redirected (self, client, reply, from);
    else
    if (outcome == GAVEL_EXCEPTION && !streq (gavel_msg_reason (reply), "unknown-auction")) {
        //  No quorum in time, or the like: the same request id again
        client->target = (size_t) s_below (self, self->replica_count);
        s_client_later (self, client, s_between (self, 20, 100));
    }
    else {
        client->primary = from;
        s_client_learn (self, reply);
        if (outcome == GAVEL_SUCCESS)
            s_client_success (self, client, reply);
        s_client_finish (self, client);
    }
}

static void
s_client_timer (sim_t *self, client_t *client)
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


//  --------------------------------------------------------------------------
//  Faults: storms of partitions, crashes, restarts and pauses between calms

static size_t
s_crashed (sim_t *self)
{
    size_t count = 0;
    for (size_t index = 0; index < self->replica_count; index++)
        count += self->replicas [index].core == NULL;
    return count;
}

//  A live replica, the primary of the highest term half the time
static replica_t *
s_pick_live (sim_t *self, bool running)
{
    replica_t *choices [SIM_REPLICAS_MAX];
    size_t count = 0;
    replica_t *primary = NULL;
    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        if (!replica->core || (running && replica->paused))
            continue;
        choices [count++] = replica;
        if (gavel_core_role (replica->core) == GAVEL_ROLE_PRIMARY
        && (!primary || gavel_core_term (replica->core) > gavel_core_term (primary->core)))
            primary = replica;
    }
    if (count == 0)
        return NULL;
    if (primary && s_chance (self, 0.5))
        return primary;
    return choices [s_below (self, count)];
}

static void
s_heal (sim_t *self)
{
    for (size_t index = 0; index < self->replica_count; index++)
        self->replicas [index].side = 0;
}

static void
s_fault_partition (sim_t *self)
{
    s_heal (self);
    if (self->replica_count == 1)
        return;
    replica_t *alone = s_chance (self, 0.4)? s_pick_live (self, false): NULL;
    if (alone)
        alone->side = 1;
    else {
        //  Random sides, neither empty
        size_t ones = 0;
        while (ones == 0 || ones == self->replica_count) {
            ones = 0;
            for (size_t index = 0; index < self->replica_count; index++) {
                self->replicas [index].side = (int) s_below (self, 2);
                ones += self->replicas [index].side;
            }
        }
    }
    if (self->options->verbose) {
        char sides [SIM_REPLICAS_MAX + 1];
        for (size_t index = 0; index < self->replica_count; index++)
            sides [index] = (char) ('0' + self->replicas [index].side);
        sides [self->replica_count] = '\0';
        s_trace (self, "FAULT partition %s", sides);
    }
}

static void
s_fault (sim_t *self)
{
    self->faults++;
    uint64_t roll = s_below (self, 100);
    if (roll < 25) {
        replica_t *victim = s_pick_live (self, false);
        if (victim && s_crashed (self) < self->crash_limit)
            s_crash (self, victim);
    }
    else
    if (roll < 45) {
        replica_t *choices [SIM_REPLICAS_MAX];
        size_t count = 0;
        for (size_t index = 0; index < self->replica_count; index++)
            if (!self->replicas [index].core)
                choices [count++] = &self->replicas [index];
        if (count)
            s_restart (self, choices [s_below (self, count)]);
    }
    else
    if (roll < 65) {
        replica_t *victim = s_pick_live (self, true);
        if (victim)
            s_pause (self, victim, s_between (self, 50, 1500));
    }
    else
    if (roll < 85)
        s_fault_partition (self);
    else {
        s_trace (self, "FAULT heal");
        s_heal (self);
    }
    s_queue_set (&self->queue, &self->fault, self->now + s_between (self, 30, 500));
}

//  A calm: the network heals, paused replicas run, crashed ones mostly
//  come back (always enough for a majority)
static void
s_calm (sim_t *self, bool everything)
{
    s_trace (self, "PHASE calm");
    self->storm = false;
    s_queue_remove (&self->queue, &self->fault);
    s_heal (self);
    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        if (replica->paused)
            s_resume (self, replica);
        else
        if (!replica->core
        && (everything || s_crashed (self) > self->replica_count / 2 || s_chance (self, 0.7)))
            s_restart (self, replica);
    }
}

static void
s_storm (sim_t *self)
{
    self->storm = true;
    //  Now and then a majority may go down: nothing may commit then
    self->crash_limit = s_chance (self, 0.1)? self->replica_count: self->replica_count / 2;
    s_trace (self, "PHASE storm (up to %zu crashed)", self->crash_limit);
    s_queue_set (&self->queue, &self->fault, self->now + s_between (self, 0, 200));
}

static void
s_phase (sim_t *self)
{
    if (self->storm) {
        s_calm (self, false);
        s_queue_set (&self->queue, &self->phase, self->now + s_between (self, 1000, 3000));
    }
    else {
        s_storm (self);
        s_queue_set (&self->queue, &self->phase, self->now + s_between (self, 1000, 4000));
    }
}


//  --------------------------------------------------------------------------
//  Stepping events

static bool
s_reachable (replica_t *replica, event_t *event)
{
    return replica->core && event->incarnation == replica->incarnation;
}

static void
s_on_peer (sim_t *self, event_t *event)
{
    replica_t *replica = &self->replicas [event->target];
    if (!s_reachable (replica, event) || !s_linked (self, event->source, event->target))
        s_event_destroy (&event);
    else
        s_inbox_add (self, replica, event);
}

static void
s_on_request (sim_t *self, event_t *event)
{
    replica_t *replica = &self->replicas [event->target];
    if (!s_reachable (replica, event))
        s_event_destroy (&event);
    else
        s_inbox_add (self, replica, event);
}

static void
s_on_tick (sim_t *self, replica_t *replica)
{
    if (replica->core && !replica->paused)
        s_turn (self, replica);
}

static void
s_step (sim_t *self)
{
    event_t *event = s_queue_pop (&self->queue);
    if (!event) {
        s_fail (self, "liveness", "nothing left to happen");
        return;
    }
    assert (event->time >= self->now);
    self->now = event->time;
    self->steps++;
    switch (event->kind) {
        case EV_PEER:
            s_on_peer (self, event);
            break;
        case EV_REQUEST:
            s_on_request (self, event);
            break;
        case EV_REPLY:
            s_client_answer (self, &self->clients [event->target], event->msg, event->source);
            s_event_destroy (&event);
            break;
        case EV_TICK:
            s_on_tick (self, &self->replicas [event->target]);
            break;
        case EV_RESUME:
            s_resume (self, &self->replicas [event->target]);
            break;
        case EV_CLIENT:
            s_client_timer (self, &self->clients [event->target]);
            break;
        case EV_FAULT:
            s_fault (self);
            break;
        case EV_PHASE:
            s_phase (self);
            break;
        case EV_DISK:
            s_on_disk (self, &self->replicas [event->target]);
            break;
    }
    if (!self->failed)
        s_check (self);
}


//  --------------------------------------------------------------------------
//  Settling and the final checks

static bool
s_converged (sim_t *self)
{
    size_t primaries = 0;
    uint64_t commit = gavel_core_commit (self->replicas [0].core);
    for (size_t index = 0; index < self->replica_count; index++) {
        gavel_core_t *core = self->replicas [index].core;
        primaries += gavel_core_role (core) == GAVEL_ROLE_PRIMARY;
        if (gavel_core_commit (core) != commit || gavel_core_applied (core) != commit)
            return false;
    }
    for (size_t index = 0; index < self->client_count; index++)
        if (self->clients [index].request)
            return false;
    return primaries == 1;
}

//  Everything heals and the faults stop: one primary, every replica at the
//  same commit, every bidder answered
static void
s_settle (sim_t *self)
{
    s_trace (self, "PHASE settle");
    self->settling = true;
    s_queue_remove (&self->queue, &self->phase);
    s_calm (self, true);
    self->loss = 0;
    self->duplication = 0;
    int64_t start = self->now;
    while (!self->failed) {
        if (self->now >= start + SIM_SETTLE_MIN && s_converged (self))
            return;
        if (self->now > start + SIM_SETTLE_MAX) {
            char cluster [1024];
            s_describe_cluster (self, cluster, sizeof cluster);
            size_t waiting = 0;
            for (size_t index = 0; index < self->client_count; index++)
                waiting += self->clients [index].request != NULL;
            s_fail (self, "liveness", "no convergence %d ms after healing: %s; %zu clients"
                    " waiting", SIM_SETTLE_MAX, cluster, waiting);
            return;
        }
        s_step (self);
    }
}

//  Every log and every storage, entry by entry, against the committed log;
//  every success a bidder heard, in it
static void
s_check_storage (sim_t *self)
{
    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        replica->checked = 0;
        s_check_replica (self, replica);
        uint64_t last = s_stored_last (replica) < self->committed
                      ? s_stored_last (replica): self->committed;
        for (uint64_t entry = replica->base + 1; entry <= last && !self->failed; entry++)
            if (!streq (s_stored_line (replica, entry), self->log [entry - 1]))
                s_fail (self, "committed-log", "replica %zu stored '%s' as entry %" PRIu64
                        ", committed as '%s'", index + 1, s_stored_line (replica, entry),
                        entry, self->log [entry - 1]);
    }
    for (size_t index = 0; index < self->client_count; index++) {
        client_t *client = &self->clients [index];
        for (uint64_t request = 1; request <= client->request_id; request++)
            if (client->sent [request].succeeded)
                s_check_answered (self, client, request, "received");
    }
}

//  Every replica tells the same RESULT, and it names the highest bid that a
//  bidder was told succeeded (all bidders were answered before this)
static void
s_check_winners (sim_t *self)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
    gavel_msg_set_request_id (request, 1);
    gavel_msg_set_session (request, "sim");
    gavel_msg_set_name (request, "sim");
    for (uint64_t auction = 1; auction <= SIM_AUCTIONS_MAX && !self->failed; auction++) {
        auction_view_t *view = &self->auctions [auction];
        if (!view->known_epoch)
            continue;
        gavel_msg_set_auction (request, auction);
        char expected [GAVEL_RECORD_MAX] = "";
        for (size_t index = 0; index < self->replica_count && !self->failed; index++) {
            gavel_core_t *core = self->replicas [index].core;
            gavel_msg_t *reply = gavel_auction_query (gavel_core_auction (core), request,
                                                      self->now);
            const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
            if (index == 0)
                snprintf (expected, sizeof expected, "%s", record);
            else
            if (!streq (record, expected))
                s_fail (self, "winners-agree", "auction %" PRIu64 ": replica 1 says '%s',"
                        " replica %zu says '%s'", auction, expected, index + 1, record);
            gavel_msg_destroy (&reply);
        }
        char state [16] = "";
        char name [GAVEL_NAME_MAX + 1] = "";
        gavel_record_get (expected, "state", state, sizeof state);
        bool closed = streq (state, "closed");
        gavel_record_get (expected, closed? "winner": "bidder", name, sizeof name);
        int64_t amount = s_record_number (expected, closed? "amount": "highest");
        const char *best = view->best? self->clients [view->best_client].name: "none";
        if (amount != view->best || !streq (name, best))
            s_fail (self, "winner", "auction %" PRIu64 " is '%s' but the highest bid"
                    " a bidder was told succeeded is %s's %" PRId64, auction, expected,
                    best, view->best);
    }
    gavel_msg_destroy (&request);
}


//  --------------------------------------------------------------------------
//  One run

static void
s_committed_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  3 or 5 by seed, from a stream of its own, so that naming the size with
//  --replicas replays the same run
static size_t
s_replica_count (const options_t *options, uint64_t seed)
{
    uint64_t sizer = seed ^ 0x5eed5eed5eed5eedULL;
    return options->replicas? options->replicas: (s_mix (&sizer) & 1)? 5: 3;
}

static sim_t *
s_sim_new (const options_t *options)
{
    sim_t *self = (sim_t *) zmalloc (sizeof (sim_t));
    assert (self);
    self->options = options;
    self->rng = options->seed;
    self->now = SIM_T0;
    self->replica_count = s_replica_count (options, options->seed);
    s_mix (&self->rng);
    self->loss = s_chance (self, 0.1)? 0: s_unit (self) * 0.2;
    self->duplication = s_unit (self) * 0.05;
    self->delay_max = s_between (self, 0, 30);
    self->client_count = (size_t) s_between (self, 4, SIM_CLIENTS_MAX);
    self->opens_planned = (size_t) s_between (self, 2, 4);
    self->stickiness = s_unit (self) * 0.9;
    //  Mostly none or NTP-like; now and then beyond an election time-out
    double skewed = s_unit (self);
    self->skew_max = skewed < 0.5? 0: skewed < 0.9? s_between (self, 1, 25)
                   : s_between (self, 100, 500);
    self->turn_max = s_between (self, 0, 2);
    //  Snapshots often enough to be taken, installed and restored
    self->snapshot_every = s_chance (self, 0.2)? 10000: (uint64_t) s_between (self, 10, 200);
    //  A disk that reports late in most seeds; in a fifth, as the node's
    self->disk_max = s_chance (self, 0.2)? 0: s_between (self, 1, 20);
    self->reference = gavel_auction_new ();
    self->requests = zhashx_new ();
    assert (self->requests);
    zhashx_set_destructor (self->requests, s_committed_destroy);
    s_timer_init (&self->fault, EV_FAULT, 0);
    s_timer_init (&self->phase, EV_PHASE, 0);

    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        replica->index = index;
        s_timer_init (&replica->tick, EV_TICK, index);
        s_timer_init (&replica->resume, EV_RESUME, index);
        s_timer_init (&replica->disk, EV_DISK, index);
        replica->skew = s_between (self, -self->skew_max, self->skew_max);
        if (index == 0 || replica->skew < self->skew_low)
            self->skew_low = replica->skew;
        if (index == 0 || replica->skew > self->skew_high)
            self->skew_high = replica->skew;
        s_boot (self, replica);
    }
    for (size_t index = 0; index < self->client_count; index++) {
        client_t *client = &self->clients [index];
        client->index = index;
        snprintf (client->session, sizeof client->session, "sim%zu-%08" PRIx64, index,
                  s_mix (&self->rng) & 0xffffffff);
        snprintf (client->name, sizeof client->name, "bidder%zu", index);
        s_timer_init (&client->timer, EV_CLIENT, index);
        s_client_later (self, client, s_between (self, 0, 100));
    }
    //  A calm first, so that a primary is elected and auctions open
    s_queue_set (&self->queue, &self->phase, self->now + s_between (self, 1000, 2000));
    return self;
}

static void
s_sim_destroy (sim_t **self_p)
{
    sim_t *self = *self_p;
    if (!self)
        return;
    event_t *event;
    while ((event = s_queue_pop (&self->queue)))
        if (!event->timer)
            s_event_destroy (&event);
    free (self->queue.items);
    for (size_t index = 0; index < self->replica_count; index++) {
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
    for (size_t index = 0; index < self->client_count; index++) {
        gavel_msg_destroy (&self->clients [index].request);
        free (self->clients [index].sent);
    }
    for (size_t auction = 0; auction <= SIM_AUCTIONS_MAX; auction++)
        free (self->auctions [auction].history);
    for (uint64_t index = 0; index < self->committed; index++) {
        free (self->log [index]);
        gavel_msg_destroy (&self->entries [index]);
    }
    for (uint64_t index = 0; index < self->committed / SIM_CHECKPOINT; index++)
        zmsg_destroy (&self->checkpoints [index]);
    free (self->checkpoints);
    gavel_auction_destroy (&self->reference);
    free (self->log);
    free (self->entries);
    zhashx_destroy (&self->requests);
    free (self->primaries);
    free (self->emitted);
    free (self);
    *self_p = NULL;
}

static void
s_sim_run (sim_t *self)
{
    s_trace (self, "START seed %" PRIu64 ": %zu replicas, %zu clients, loss %.1f%%,"
             " duplication %.1f%%, delay up to %" PRId64 " ms, clock skew up to %" PRId64
             " ms", self->options->seed, self->replica_count, self->client_count,
             self->loss * 100, self->duplication * 100, self->delay_max, self->skew_max);
    while (!self->failed && self->steps < self->options->events)
        s_step (self);
    if (!self->failed)
        s_settle (self);
    if (!self->failed)
        s_check_storage (self);
    if (!self->failed)
        s_check_states (self);
    if (!self->failed)
        s_check_winners (self);
}

static void
s_report (sim_t *self)
{
    const options_t *options = self->options;
    char cluster [1024];
    s_describe_cluster (self, cluster, sizeof cluster);
    printf ("sim: seed %" PRIu64 " FAILED at event %" PRIu64 " (t=+%.3fs): [%s] %s\n",
            options->seed, self->steps, (double) (self->now - SIM_T0) / 1000.0,
            self->invariant, self->failure);
    printf ("sim: seed %" PRIu64 ": %zu replicas (%s), %zu clients, loss %.1f%%,"
            " duplication %.1f%%, delay up to %" PRId64 " ms, clock skew up to %" PRId64
            " ms\n", options->seed, self->replica_count, cluster, self->client_count,
            self->loss * 100, self->duplication * 100, self->delay_max, self->skew_max);
    printf ("sim: replay: %s --seed %" PRIu64 " --events %" PRIu64 " --replicas %zu%s\n",
            options->program, options->seed, options->events, self->replica_count,
            options->wire? "": " --no-wire");
    fflush (stdout);
}

static void
s_run_seed (const options_t *options, outcome_t *outcome)
{
    sim_t *sim = s_sim_new (options);
    s_sim_run (sim);
    memset (outcome, 0, sizeof *outcome);
    outcome->seed = options->seed;
    outcome->passed = !sim->failed;
    outcome->replicas = sim->replica_count;
    outcome->steps = sim->steps;
    outcome->commits = sim->committed;
    outcome->elections = sim->elections;
    outcome->successes = sim->successes;
    outcome->faults = sim->faults;
    outcome->simulated = sim->now - SIM_T0;
    if (sim->failed)
        s_report (sim);
    else
        s_trace (sim, "PASSED: %" PRIu64 " committed, %" PRIu64 " elections, %" PRIu64
                 " successes, %" PRIu64 " timeouts, %" PRIu64 " redirects",
                 sim->committed, sim->elections, sim->successes, sim->timeouts,
                 sim->redirects);
    s_sim_destroy (&sim);
}


//  --------------------------------------------------------------------------
//  Many seeds: chunks of seeds run in child processes, a few at once, so
//  that a crash or a sanitizer report (leaks show at exit) is pinned on its
//  seeds and stops no other. A chunk that does not end cleanly is run again
//  one seed per child, to name the seed.

#define SIM_CHUNK 10            //  seeds per child: forks are dear under ASan
#define SIM_EXIT_VIOLATION 3    //  a child's seed failed a check (sanitizers exit 1)

typedef struct {
    uint64_t first;
    uint64_t last;
} range_t;

typedef struct {
    pid_t pid;
    range_t range;
    int fd;
} child_t;

typedef struct {
    uint64_t passed;
    uint64_t failed;
    uint64_t commits;
    uint64_t elections;
    uint64_t successes;
    uint64_t steps;
    int64_t simulated;
} totals_t;

//  Seeds still to run: the rest of 1..N in chunks, and ranges to run again
typedef struct {
    uint64_t next;
    uint64_t last;
    range_t *again;             //  a stack: taken before the rest
    size_t agains;
    size_t capacity;
} work_t;

static void
s_tally (totals_t *totals, const outcome_t *outcome)
{
    if (outcome->passed)
        totals->passed++;
    else
        totals->failed++;
    totals->commits += outcome->commits;
    totals->elections += outcome->elections;
    totals->successes += outcome->successes;
    totals->steps += outcome->steps;
    totals->simulated += outcome->simulated;
}

static bool
s_work_take (work_t *work, range_t *range)
{
    if (work->agains > 0) {
        *range = work->again [--work->agains];
        return true;
    }
    if (work->next > work->last)
        return false;
    range->first = work->next;
    range->last = work->next + SIM_CHUNK - 1 < work->last
                ? work->next + SIM_CHUNK - 1: work->last;
    work->next = range->last + 1;
    return true;
}

static void
s_work_again (work_t *work, uint64_t first, uint64_t last)
{
    if (work->agains == work->capacity) {
        work->capacity = work->capacity? work->capacity * 2: 64;
        work->again = (range_t *) realloc (work->again, work->capacity * sizeof (range_t));
        assert (work->again);
    }
    work->again [work->agains++] = (range_t) { first, last };
}

//  The child: each seed's outcome goes up the pipe as soon as it is known
static void
s_child (const options_t *options, range_t range, int fd)
{
    bool passed = true;
    for (uint64_t seed = range.first; seed <= range.last; seed++) {
        options_t mine = *options;
        mine.seed = seed;
        outcome_t outcome;
        s_run_seed (&mine, &outcome);
        fflush (stdout);
        if (write (fd, &outcome, sizeof outcome) != sizeof outcome)
            exit (2);
        passed = passed && outcome.passed;
    }
    close (fd);
    //  exit, not _exit: LeakSanitizer checks these seeds on the way out
    exit (passed? 0: SIM_EXIT_VIOLATION);
}

static void
s_spawn (const options_t *options, range_t range, child_t *child)
{
    int fds [2];
    if (pipe (fds)) {
        perror ("gavel_sim: pipe");
        exit (2);
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0) {
        perror ("gavel_sim: fork");
        exit (2);
    }
    if (pid == 0) {
        close (fds [0]);
        s_child (options, range, fds [1]);
    }
    close (fds [1]);
    child->pid = pid;
    child->range = range;
    child->fd = fds [0];
}

static size_t
s_read_outcomes (int fd, outcome_t *outcomes, size_t max)
{
    size_t size = 0;
    char *buffer = (char *) outcomes;
    while (size < max * sizeof (outcome_t)) {
        ssize_t rc = read (fd, buffer + size, max * sizeof (outcome_t) - size);
        if (rc <= 0)
            break;
        size += (size_t) rc;
    }
    close (fd);
    return size / sizeof (outcome_t);
}

static void
s_died (const options_t *options, uint64_t seed, int status, bool complete)
{
    if (WIFSIGNALED (status))
        printf ("sim: seed %" PRIu64 " FAILED: the process died of signal %d (%s)\n",
                seed, WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        printf ("sim: seed %" PRIu64 " FAILED: the process exited with status %d%s\n",
                seed, WEXITSTATUS (status),
                complete? " after its checks passed (see the sanitizer report above)": "");
    printf ("sim: replay: %s --seed %" PRIu64 " --events %" PRIu64 " --replicas %zu%s\n",
            options->program, seed, options->events, s_replica_count (options, seed),
            options->wire? "": " --no-wire");
    fflush (stdout);
}

//  A child ended: take its outcomes, or find out which seed went wrong
static void
s_reap (const options_t *options, child_t *child, int status, work_t *work,
        totals_t *totals)
{
    outcome_t outcomes [SIM_CHUNK];
    uint64_t span = child->range.last - child->range.first + 1;
    size_t count = s_read_outcomes (child->fd, outcomes, SIM_CHUNK);
    bool passed = true;
    for (size_t index = 0; index < count; index++)
        passed = passed && outcomes [index].passed;
    bool clean = count == span && WIFEXITED (status)
              && WEXITSTATUS (status) == (passed? 0: SIM_EXIT_VIOLATION);
    if (clean) {
        for (size_t index = 0; index < count; index++)
            s_tally (totals, &outcomes [index]);
    }
    else
    if (span > 1) {
        //  Each seed of the chunk alone, in order, to name the culprit
        for (uint64_t seed = child->range.last; seed >= child->range.first; seed--)
            s_work_again (work, seed, seed);
    }
    else {
        s_died (options, child->range.first, status, count == 1);
        totals->failed++;
    }
}

static void
s_run_seeds (const options_t *options, uint64_t seeds, int jobs, totals_t *totals)
{
    child_t children [SIM_JOBS_MAX];
    int running = 0;
    work_t work = { .next = 1, .last = seeds };
    while (true) {
        range_t range;
        if (running < jobs && s_work_take (&work, &range)) {
            s_spawn (options, range, &children [running++]);
            continue;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid (-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            perror ("gavel_sim: waitpid");
            exit (2);
        }
        for (int index = 0; index < running; index++)
            if (children [index].pid == pid) {
                child_t child = children [index];
                children [index] = children [--running];
                s_reap (options, &child, status, &work, totals);
                break;
            }
    }
    free (work.again);
}


//  --------------------------------------------------------------------------
//  Command line

static const char *s_synopsis =
    "usage: gavel_sim [--seeds N | --seed S] [--events E] [--replicas N] [--jobs J]\n"
    "                 [--no-wire] [--verbose] [--help]\n";

static const char *s_about =
    "Runs gavel cores over a simulated network and clock with faults, and\n"
    "checks the replication invariants after every event.\n";

static const char *s_notes =
    "Exit status: 0 every seed held, 1 a seed broke an invariant, 2 usage error.\n";

//  What the command line asked for
typedef struct {
    options_t options;
    uint64_t seeds;
    uint64_t seed;
    bool one;                   //  --seed: one seed, in this process
    uint64_t jobs;
} command_t;

//  Returns -1 to go on, or the exit code
static int
s_parse_arguments (int argc, char *argv [], command_t *command)
{
    int64_t seeds = 0, seed = -1, events = 0, replicas = 0, jobs = 0;
    bool no_wire = false;
    const gavel_cli_option_t table [] = {
        { "seeds", 0, GAVEL_CLI_INT, &seeds, "N", 1, INT64_MAX,
          "run seeds 1..N (default 1000) in child processes" },
        { "seed", 0, GAVEL_CLI_INT, &seed, "S", 0, INT64_MAX,
          "run seed S alone, in this process (to replay a failure)" },
        { "events", 0, GAVEL_CLI_INT, &events, "E", 1, INT64_MAX,
          "queue steps per run before settling (default 10000)" },
        { "replicas", 0, GAVEL_CLI_INT, &replicas, "N", 1, SIM_REPLICAS_MAX,
          "cluster size, odd (default: 3 or 5 by seed)" },
        { "jobs", 0, GAVEL_CLI_INT, &jobs, "J", 1, SIM_JOBS_MAX,
          "seeds run at once (default: the number of CPUs)" },
        { "no-wire", 0, GAVEL_CLI_FLAG, &no_wire, NULL, 0, 0,
          "copy messages instead of passing them through the codec" },
        { "verbose", 'v', GAVEL_CLI_FLAG, &command->options.verbose, NULL, 0, 0,
          "trace every event" },
        { NULL }
    };
    const gavel_cli_spec_t spec = { "gavel_sim", s_synopsis, s_about, s_notes, table, NULL };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? 0: 2;
    if (replicas && replicas % 2 == 0) {
        gavel_cli_usage_error ("gavel_sim", s_synopsis, "--replicas must be odd, 1..%d",
                               SIM_REPLICAS_MAX);
        return 2;
    }
    if (seeds)
        command->seeds = (uint64_t) seeds;
    if (seed >= 0) {
        command->seed = (uint64_t) seed;
        command->one = true;
    }
    if (events)
        command->options.events = (uint64_t) events;
    if (replicas)
        command->options.replicas = (size_t) replicas;
    if (jobs)
        command->jobs = (uint64_t) jobs;
    command->options.wire = !no_wire;
    return -1;
}

int
main (int argc, char *argv [])
{
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    command_t command = {
        .options = { .events = 10000, .wire = true, .program = argv [0] },
        .seeds = 1000,
        .jobs = cpus < 1? 1: cpus > SIM_JOBS_MAX? SIM_JOBS_MAX: (uint64_t) cpus
    };
    int rc = s_parse_arguments (argc, argv, &command);
    if (rc >= 0)
        return rc;
    options_t *options = &command.options;
    totals_t totals = { 0 };
    uint64_t runs = command.one? 1: command.seeds;
    if (command.one) {
        options->seed = command.seed;
        outcome_t outcome;
        s_run_seed (options, &outcome);
        s_tally (&totals, &outcome);
    }
    else
        s_run_seeds (options, command.seeds, (int) command.jobs, &totals);

    printf ("sim: %" PRIu64 " seed%s x %" PRIu64 " events: %" PRIu64 " violations;"
            " commits=%" PRIu64 ", elections=%" PRIu64 ", successes=%" PRIu64
            ", steps=%" PRIu64 ", simulated=%.0fs\n", runs, runs == 1? "": "s",
            options->events, totals.failed, totals.commits, totals.elections,
            totals.successes, totals.steps, (double) totals.simulated / 1000.0);
    //  The last line, which CI reads
    printf ("%" PRIu64 " passed, %" PRIu64 " failed\n", totals.passed, totals.failed);
    return totals.failed? 1: 0;
}
