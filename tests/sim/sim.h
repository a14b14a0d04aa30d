/*  sim: what the parts of gavel_sim share: its settings, its events and
    queue, the state of one simulated run (replicas, clients, checker), and
    the functions one part calls in another. gavel_sim.c says what the
    simulator does; each part says how.
*/
#ifndef SIM_H_INCLUDED
#define SIM_H_INCLUDED

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

//  Each replica's client endpoint, as the cores' settings name them
extern const char *sim_endpoints [SIM_REPLICAS_MAX];

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

//  A message on its way out, encoded once however many copies are made
typedef struct {
    gavel_msg_t *msg;
    zmsg_t *frames;
} parcel_t;

//  --------------------------------------------------------------------------
//  Random numbers and the event queue (sim_queue.c)

uint64_t
    sim_mix (uint64_t *state);

void
    sim_queue_push (queue_t *queue, event_t *event, int64_t time);

event_t *
    sim_queue_pop (queue_t *queue);

void
    sim_queue_remove (queue_t *queue, event_t *event);

//  (Re)arm a timer: a new sequence number, as if inserted now
void
    sim_queue_set (queue_t *queue, event_t *event, int64_t time);

event_t *
    sim_event_new (event_kind_t kind, size_t source, size_t target);

void
    sim_event_destroy (event_t **self_p);

void
    sim_timer_init (event_t *timer, event_kind_t kind, size_t target);

uint64_t
    sim_below (sim_t *self, uint64_t limit);

int64_t
    sim_between (sim_t *self, int64_t low, int64_t high);

double
    sim_unit (sim_t *self);

bool
    sim_chance (sim_t *self, double probability);

//  --------------------------------------------------------------------------
//  The cores' world: storage, disk, network, loop turns, lifecycle (sim_cluster.c)

//  The last index stored, in the snapshot or after it
uint64_t
    sim_stored_last (replica_t *replica);

//  The stored line of entry index, or NULL (not stored, or in the snapshot)
const char *
    sim_stored_line (replica_t *replica, uint64_t index);

//  Keep the entries up to index (at least those in the snapshot)
void
    sim_store_truncate (replica_t *replica, uint64_t index);

//  Whether the replica stores committed entry index, in its log or in its
//  snapshot: what counts towards the majority that keeps it
bool
    sim_stores_committed (sim_t *self, replica_t *replica, uint64_t index);

//  A write is done: some saves are on disk, their report on its way
void
    sim_on_disk (sim_t *self, replica_t *replica);

bool
    sim_linked (sim_t *self, size_t a, size_t b);

parcel_t
    sim_parcel (gavel_msg_t *msg);

void
    sim_transmit (sim_t *self, event_kind_t kind, size_t source, size_t target, parcel_t *parcel);

void
    sim_inbox_clear (replica_t *replica);

//  A message waits in its socket until the next loop turn; a full queue
//  (the socket's HWM) drops it
void
    sim_inbox_add (sim_t *self, replica_t *replica, event_t *event);

//  One loop turn of the node's shell, in gavel_node_run's order: what
//  waits on the client socket, then on the peers' sockets; a tick if a
//  deadline is due; then flush, and carry out the outbox. So a primary may
//  take requests and lose its quorum at the tick of the same turn, before
//  the flush that would store them (issue 12, finding 2).
void
    sim_turn (sim_t *self, replica_t *replica);

void
    sim_crash (sim_t *self, replica_t *replica);

//  A new process: a fresh core that loads term, vote and log from storage,
//  as the node does at every start
void
    sim_boot (sim_t *self, replica_t *replica);

void
    sim_restart (sim_t *self, replica_t *replica);

void
    sim_pause (sim_t *self, replica_t *replica, int64_t duration);

//  What queued up while stopped is all there at once, for one turn that
//  ends with the overdue tick. The node drains one socket after another, so
//  the order across sockets is not the order of sending: shuffle.
void
    sim_resume (sim_t *self, replica_t *replica);

//  --------------------------------------------------------------------------
//  The checker: invariants, what bidders were told, the deadline (sim_check.c)

//  Only the first violation counts: later ones are usually its echoes
void
    sim_fail (sim_t *self, const char *invariant, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

void
    sim_trace (sim_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  One message in one line, for the trace
const char *
    sim_describe (gavel_msg_t *msg, char *text, size_t size);

const char *
    sim_replica_state (replica_t *replica, char *text, size_t size);

void
    sim_describe_cluster (sim_t *self, char *text, size_t size);

void
    sim_check_replica (sim_t *self, replica_t *replica);

//  A snapshot is the state after the committed entries it covers: the same
//  frames as the simulator's own state machine after them
void
    sim_check_snapshot (sim_t *self, replica_t *replica, gavel_msg_t *snapshot);

//  A success answered for an OPEN or BID must be in the committed log
void
    sim_check_answered (sim_t *self, client_t *client, uint64_t request_id, const char *when);

//  Replicas that applied the same entries hold the same auctions: asked
//  for a LIST at the same instant, they answer alike
void
    sim_check_states (sim_t *self);

void
    sim_check (sim_t *self);

void
    sim_confirm_open (sim_t *self, uint64_t auction);

void
    sim_confirm_bid (sim_t *self, uint64_t auction, int64_t amount, size_t client);

bool
    sim_auction_valid (int64_t auction);

//  A number out of a reply record, or -1 when the key is absent
int64_t
    sim_record_number (const char *record, const char *key);

const char *
    sim_first_record (gavel_msg_t *reply);

void
    sim_check_reply (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from);

//  --------------------------------------------------------------------------
//  Clients (sim_clients.c)

void
    sim_client_later (sim_t *self, client_t *client, int64_t delay);

void
    sim_client_answer (sim_t *self, client_t *client, gavel_msg_t *reply, size_t from);

void
    sim_client_timer (sim_t *self, client_t *client);

//  --------------------------------------------------------------------------
//  Faults and one run (sim_run.c)

size_t
    sim_crashed (sim_t *self);

//  3 or 5 by seed, from a stream of its own, so that naming the size with
//  --replicas replays the same run
size_t
    sim_replica_count (const options_t *options, uint64_t seed);

void
    sim_run_seed (const options_t *options, outcome_t *outcome);

#endif
