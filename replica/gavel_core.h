/*  gavel_core: the replica's logic, driven by events with the time given.

    The single entry point of the pure core. Events go in (a client request, a
    message from another replica, time passing, the end of a loop turn), each
    with `now`; actions come out through an outbox that the shell drains after
    every call, in order. The core never touches a socket, a clock, a file or
    a random number, so the simulator (tests/gavel_sim.c) can run several of
    them over a made-up network and clock and replay any run from its seed.

    Roles: every replica starts as a backup. When the primary's heartbeats
    stop for the election time-out it runs a bully round over the mesh and,
    if a majority accepts it as coordinator of a new term, becomes primary
    (docs/CORRECTNESS.md argues why this is safe).

    Durability: the core asks for its term and vote, its log entries and
    its snapshots to be stored (GAVEL_ACTION_SAVE_STATE, _SAVE_ENTRIES,
    _SAVE_SNAPSHOT). Term, vote and snapshots are synchronous: stored, on
    disk as the store's fsync setting says, before the shell takes the next
    action, so that a vote is never sent before it is kept. Entries are
    not: the core counts an entry as durable only once the shell reports it
    with gavel_core_persisted, which it may do at once (gavel_node with fsync
    never) or later, from a writer that works behind the loop (gavel_node
    with fsync always). A backup acks, and a
    primary counts itself towards a majority, only up to the last entry
    reported; a crash may lose whatever was not reported. The shell must
    write the saves of entries in the order the outbox gives them (a report
    of a later save says every earlier one is done), and report each save,
    or the last of several written at once, by the index and term its action
    carries. A report may come late, after later saves and after the log
    has been cut and refilled: the core matches it against the saves it
    still waits for, and a save not yet reported that cuts the log below an
    entry keeps that entry from counting until it is reported too.
*/
#ifndef GAVEL_CORE_H_INCLUDED
#define GAVEL_CORE_H_INCLUDED

#include "gavel_msg.h"

#define GAVEL_CORE_REPLICAS_MAX 7

//  Bounds on what a peer message may carry. Far beyond any real cluster's
//  life (a term per election, an index per entry, a stamp in ms), low enough
//  that no `+ 1` or `stamp + duration` can wrap. A term may also rise by at
//  most TERM_LEAP at once: a replica that claims a term that far ahead of
//  ours is lying, and taking it would bring the bound within reach.
#define GAVEL_CORE_TERM_MAX     (UINT64_C (1) << 62)
#define GAVEL_CORE_INDEX_MAX    (UINT64_C (1) << 62)
#define GAVEL_CORE_STAMP_MAX    (INT64_C (1) << 53)
#define GAVEL_CORE_TERM_LEAP    UINT64_C (1000000)

typedef struct {
    uint64_t id;                        //  this replica, 1..7
    size_t replicas;                    //  1..7, odd
    uint64_t ids [GAVEL_CORE_REPLICAS_MAX];
    //  Each replica's client endpoint, for redirects (borrowed strings)
    const char *clients [GAVEL_CORE_REPLICAS_MAX];
    int64_t heartbeat;                  //  H, ms between heartbeats (50)
    int64_t election;                   //  E, ms of silence before a round (250)
    int64_t election_spread;            //  lower ids wait up to this much longer (50)
    int64_t request_timeout;            //  ms a request may wait for a quorum (1000)
    size_t fetch_max;                   //  entries per ENTRIES answer (1000)
    uint64_t snapshot_every;            //  applied entries between snapshots (10000)
} gavel_core_settings_t;

//  The defaults above, for replica `id` of `replicas` numbered 1..replicas.
void
    gavel_core_settings_default (gavel_core_settings_t *settings,
                                 uint64_t id, size_t replicas);

typedef enum {
    GAVEL_ACTION_REPLY = 1,     //  msg to the client behind route
    GAVEL_ACTION_PUBLISH,       //  msg on our PUB socket (LOG, HB)
    GAVEL_ACTION_ACK,           //  msg to replica `to`'s ack PULL
    GAVEL_ACTION_MESH,          //  msg to replica `to` over the mesh
    GAVEL_ACTION_SAVE_STATE,    //  store term and vote (no msg)
    GAVEL_ACTION_SAVE_ENTRIES,  //  store msg's entries, after dropping every
                                //  stored entry from msg's prev_index + 1 on;
                                //  then report index and term as persisted
    GAVEL_ACTION_SAVE_SNAPSHOT  //  store msg (a SNAPSHOT) and drop every stored
                                //  entry up to its index
} gavel_action_kind_t;

typedef struct {
    gavel_action_kind_t kind;
    uint64_t to;                //  ACK, MESH: replica id
    zmsg_t *route;              //  REPLY: the shell's envelope, or NULL
    gavel_msg_t *msg;
    uint64_t term;              //  SAVE_STATE; SAVE_ENTRIES: term of entry index
    uint64_t vote;              //  SAVE_STATE: 0 for none
    uint64_t index;             //  SAVE_ENTRIES: the last entry it leaves stored
} gavel_action_t;

typedef enum {
    GAVEL_ROLE_BACKUP = 1,
    GAVEL_ROLE_CANDIDATE,       //  running a bully round
    GAVEL_ROLE_PRIMARY
} gavel_role_t;

typedef struct _gavel_core_t gavel_core_t;

//  What the core has to say (role changes, refused messages, auctions
//  closed), for the shell to log: the core has no clock and no log of its
//  own. now is the time of the event that said it (virtual in the
//  simulator); text is one line, borrowed for the call.
typedef enum {
    GAVEL_TRACE_DEBUG = 1,
    GAVEL_TRACE_INFO,
    GAVEL_TRACE_WARNING,
    GAVEL_TRACE_ERROR
} gavel_trace_level_t;

typedef void (gavel_core_tracer_fn) (void *arg, int64_t now, gavel_trace_level_t level,
                                     const char *text);

//  Create a core as a backup at term 0 with an empty log. Copies settings.
gavel_core_t *
    gavel_core_new (const gavel_core_settings_t *settings);

void
    gavel_core_destroy (gavel_core_t **self_p);

//  Who hears what the core has to say; arg goes back to it. Without a
//  tracer (the default) the core says nothing.
void
    gavel_core_set_tracer (gavel_core_t *self, gavel_core_tracer_fn *tracer, void *arg);

//  Before any event: load what was stored (term, vote, entries in index
//  order, from 1). Takes ownership of the entries.
void
    gavel_core_restore (gavel_core_t *self, uint64_t term, uint64_t vote,
                        zlistx_t **entries_p);

//  Before gavel_core_restore, when a snapshot was stored: the state at its
//  index, which the entries restored next follow. Takes ownership.
void
    gavel_core_restore_snapshot (gavel_core_t *self, gavel_msg_t **snapshot_p);

//  A decoded client request arrived. Takes ownership of route (the opaque
//  envelope the shell needs to answer; may be NULL) and of the request.
void
    gavel_core_request (gavel_core_t *self, zmsg_t **route_p,
                        gavel_msg_t **request_p, int64_t now);

//  A decoded message from another replica arrived (LOG, HB, ACK, FETCH,
//  ENTRIES, SNAPSHOT, ELECTION, ALIVE, COORDINATOR, ACCEPT). Takes ownership.
void
    gavel_core_receive (gavel_core_t *self, gavel_msg_t **msg_p, int64_t now);

//  Time passed: heartbeats, election time-outs, request time-outs, deadlines.
void
    gavel_core_tick (gavel_core_t *self, int64_t now);

//  The shell saw its connection to replica id break: that host closed it
//  (the process died) or it went silent past the link's heartbeat. A hint
//  that spares a backup waiting out its primary's silence: it runs its
//  round at once (after its rank's spread) and answers others' rounds. No
//  safety rests on it: a round proves nothing, and a primary still alive
//  answers the round and is followed again.
void
    gavel_core_peer_lost (gavel_core_t *self, uint64_t id, int64_t now);

//  Entries are durably stored up to index, the last entry written, whose
//  term is term: what a SAVE_ENTRIES action carries in its index and term
//  fields, reported once the shell has written (and, with fsync, synced)
//  it and every save before it. A report of a save the core no longer
//  waits for (reported before, or from before a restart) is ignored.
void
    gavel_core_persisted (gavel_core_t *self, uint64_t index, uint64_t term, int64_t now);

//  The shell read everything that was ready: publish what this turn
//  appended as one LOG message (batching), answer what it committed.
void
    gavel_core_flush (gavel_core_t *self, int64_t now);

//  The next time the core wants a tick, or INT64_MAX.
int64_t
    gavel_core_next_deadline (gavel_core_t *self);

//  Take the next action, or NULL when the outbox is empty. Caller destroys it.
gavel_action_t *
    gavel_core_next_action (gavel_core_t *self);
void
    gavel_action_destroy (gavel_action_t **self_p);

//  What the loop has done since the core was made: how well its work
//  batches (docs/PERFORMANCE.md). STATUS reports it as its second record.
typedef struct {
    uint64_t turns;             //  flushes after a request or peer message came
    uint64_t requests;          //  client requests
    uint64_t logs_out;          //  LOG messages published (primary)
    uint64_t entries_out;       //  entries in them
    uint64_t acks_in;           //  ACKs from backups of our term (primary)
    uint64_t logs_in;           //  LOG and ENTRIES messages from our primary (backup)
    uint64_t entries_in;        //  entries in them
    uint64_t saves;             //  SAVE_ENTRIES actions
    uint64_t saved;             //  entries in them
    uint64_t acks_out;          //  ACK messages sent (backup)
    uint64_t rounds;            //  bully rounds started (candidate)
    uint64_t terms;             //  rises of our term: elections seen
    uint64_t elected;           //  times we became primary
} gavel_core_stats_t;

//  The counts so far, borrowed
const gavel_core_stats_t *
    gavel_core_stats (gavel_core_t *self);

//  What the shell adds to a STATUS answer: records of what only it sees
//  (the wire, the disk), appended to reply after the core's two. arg
//  goes back to it. Without one (the default) STATUS has the core's two.
typedef void (gavel_core_reporter_fn) (void *arg, gavel_msg_t *reply);

void
    gavel_core_set_reporter (gavel_core_t *self, gavel_core_reporter_fn *reporter, void *arg);

//  What the simulator, the tests and STATUS look at.
gavel_role_t gavel_core_role (gavel_core_t *self);
const char * gavel_core_role_name (gavel_core_t *self);
uint64_t     gavel_core_id (gavel_core_t *self);
uint64_t     gavel_core_term (gavel_core_t *self);
uint64_t     gavel_core_primary (gavel_core_t *self);     //  0: unknown
uint64_t     gavel_core_commit (gavel_core_t *self);
uint64_t     gavel_core_applied (gavel_core_t *self);
uint64_t     gavel_core_last_index (gavel_core_t *self);
//  Entries up to here are durable and no save still to be reported drops
//  one of them: a backup acks and a primary counts itself up to here.
uint64_t     gavel_core_durable (gavel_core_t *self);
//  The first index a snapshot does not cover, minus one (0: no snapshot).
uint64_t     gavel_core_base (gavel_core_t *self);
//  The entry at index (base+1..last_index), borrowed, or NULL.
gavel_msg_t *gavel_core_entry (gavel_core_t *self, uint64_t index);
//  The applied auction state, borrowed (for the simulator's checks).
struct _gavel_auction_t *gavel_core_auction (gavel_core_t *self);

//  The self tests run the core in the test fixture, and are built with it
//  (replica/gavel_core_test.c, in the gavelfixture library), not with the core
void
    gavel_core_test (bool verbose);
void
    gavel_core_million_test (bool verbose);

#endif
