/*  sim: what the parts of gavel_sim share: its settings, the state of one
    simulated run (the world it runs in, its faults, clients and checker),
    and the functions one part calls in another. gavel_sim.c says what the
    simulator does; each part says how.
*/
#ifndef SIM_H_INCLUDED
#define SIM_H_INCLUDED

#include "gavel_fixture.h"
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

#define SIM_T0              GAVEL_FIXTURE_T0
#define SIM_REPLICAS_MAX    GAVEL_CORE_REPLICAS_MAX
#define SIM_CLIENTS_MAX     8
#define SIM_AUCTIONS_MAX    64                  //  auction ids the checker tracks
#define SIM_OPENS_MAX       40                  //  OPENs per run, so ids fit above
#define SIM_CLIENT_TIMEOUT  300                 //  ms a bidder waits for a reply
#define SIM_SETTLE_MIN      3000                //  ms of calm before the final checks
#define SIM_SETTLE_MAX      20000               //  ms to converge, or liveness fails
#define SIM_CHECKPOINT      64                  //  entries between reference states
#define SIM_JOBS_MAX        16

//  The simulator's alarms on the fixture's clock: the next fault of a
//  storm, the next phase, and each client's think time, back-off or reply
//  time-out
#define SIM_ALARM_FAULT     0
#define SIM_ALARM_PHASE     1
#define SIM_ALARM_CLIENT    2                   //  + the client's index

//  --------------------------------------------------------------------------
//  The simulation. The replicas, their storage and disks, the network and
//  the clock are the fixture's (tests/gavel_fixture.h); what is here is the
//  simulator's own: its faults, its clients and its checker.

//  What the checker has seen of one replica's current incarnation
typedef struct {
    uint64_t checked;           //  entries 1..checked match the global log
    uint64_t last_commit;
} watch_t;

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
    bool waiting;               //  its alarm is a reply time-out
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
    uint64_t rng;               //  the one stream: the simulator's and the world's
    gavel_fixture_t *world;     //  the replicas, the network, the clock
    size_t replica_count;
    //  Faults this seed picked, as the report gives them
    double loss;
    double duplication;
    int64_t delay_max;
    int64_t skew_max;           //  clocks differ by up to twice this
    int64_t skew_low;           //  the lowest and highest skew of a replica
    int64_t skew_high;
    bool storm;
    bool settling;
    size_t crash_limit;
    //  Clients and what they learned
    size_t client_count;
    client_t clients [SIM_CLIENTS_MAX];
    double stickiness;          //  how often a bidder stays with a replica
    size_t opens_planned;       //  clients whose first request is an OPEN
    size_t opens_sent;
    auction_view_t auctions [SIM_AUCTIONS_MAX + 1];
    uint64_t epoch;             //  confirmations so far
    //  The checker
    watch_t watches [SIM_REPLICAS_MAX];
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

static inline int64_t
sim_now (sim_t *self)
{
    return gavel_fixture_now (self->world);
}

static inline uint64_t
sim_steps (sim_t *self)
{
    return gavel_fixture_steps (self->world);
}

//  --------------------------------------------------------------------------
//  The simulator's side of the fixture: its random stream, and the hooks
//  through which the checker and the clients hear of the world (sim_world.c)

//  The world this seed picked, its hooks leading to this simulation
gavel_fixture_t *
    sim_world_new (sim_t *self, const gavel_fixture_settings_t *settings);

uint64_t
    sim_below (sim_t *self, uint64_t limit);

int64_t
    sim_between (sim_t *self, int64_t low, int64_t high);

double
    sim_unit (sim_t *self);

bool
    sim_chance (sim_t *self, double probability);

//  --------------------------------------------------------------------------
//  The checker: invariants, what bidders were told, the deadline (sim_check.c)

//  Only the first violation counts: later ones are usually its echoes
void
    sim_fail (sim_t *self, const char *invariant, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

void
    sim_trace (sim_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Whether the replica stores committed entry index, in its log or in its
//  snapshot: what counts towards the majority that keeps it
bool
    sim_stores_committed (sim_t *self, size_t replica, uint64_t index);

void
    sim_check_replica (sim_t *self, size_t replica);

//  A snapshot is the state after the committed entries it covers: the same
//  frames as the simulator's own state machine after them
void
    sim_check_snapshot (sim_t *self, size_t replica, gavel_msg_t *snapshot);

//  A committed entry stored here must stay: it is part of the majority that
//  committed it. lines are what a save cut from index from on.
void
    sim_check_kept (sim_t *self, size_t replica, uint64_t from, char **lines, size_t count);

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

//  One of the simulator's alarms went off
void
    sim_on_alarm (sim_t *self, size_t alarm);

//  3 or 5 by seed, from a stream of its own, so that naming the size with
//  --replicas replays the same run
size_t
    sim_replica_count (const options_t *options, uint64_t seed);

void
    sim_run_seed (const options_t *options, outcome_t *outcome);

#endif
