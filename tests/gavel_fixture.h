/*  gavel_fixture: the world that tests run gavel cores in.

    N pure cores (replica/gavel_core.h) given everything the shell would
    give them, made up and under the test's control: a virtual clock and
    one queue of events; a network between the replicas and their clients
    that may lose, delay (so reorder) and double messages, cut the cluster
    into sides, and pass each copy through the codec as a socket would; a
    loop turn per replica in gavel_node_run's order; durable storage with
    gavel_store's rules behind a disk that may write late; and crash,
    restart, pause and resume. Nothing in it reads a clock or a random
    device: its randomness comes from the owner's source, so a seed replays
    a run exactly.

    The fixture is the cores' world, not a judge of them. What belongs to
    whoever runs it goes out through hooks: the replies replicas give and
    those clients get, the owner's alarms, the snapshots and cuts storage
    sees (for a checker), whether a kill cuts an outbox short (a fault
    policy), the trace. Two owners: the simulator (tests/gavel_sim.c), with
    random faults and a checker after every event; and gavel_core's self
    test (replica/gavel_core_test.c), with exact times: no loss, a constant
    delay, a disk that writes at once and reports at once or on demand.
*/
#ifndef GAVEL_FIXTURE_H_INCLUDED
#define GAVEL_FIXTURE_H_INCLUDED

#include "gavel_core.h"

#define GAVEL_FIXTURE_T0        1700000000000LL     //  the clock's start: stamps that look real
#define GAVEL_FIXTURE_ALARMS    32                  //  the owner's alarms, 0..31
#define GAVEL_FIXTURE_STASH     1000                //  a replica's inbox (its sockets' HWM)
#define GAVEL_FIXTURE_TURN      256                 //  messages per socket per loop turn
#define GAVEL_FIXTURE_SPINS     100                 //  ticks at one instant: a busy loop
#define GAVEL_FIXTURE_INSTANT   100000              //  events at one instant in a run: a livelock

typedef struct _gavel_fixture_t gavel_fixture_t;

//  The world's make-up. Loss and duplication can change later; the rest
//  is fixed for the fixture's life.
typedef struct {
    size_t replicas;            //  1..GAVEL_CORE_REPLICAS_MAX, odd
    size_t clients;             //  clients 0..clients-1 send requests
    uint64_t snapshot_every;    //  the cores' setting; 0: their default
    int64_t request_timeout;    //  the cores' setting; 0: their default
    double loss;                //  each copy is lost with this chance
    double duplication;         //  each message goes twice with this chance
    int64_t delay_min;          //  each copy takes delay_min..delay_max ms,
    int64_t delay_max;          //  uniformly (which reorders); the same: constant
    int64_t turn_max;           //  a loop turn takes 0..turn_max ms
    int64_t disk_max;           //  a write of entries takes 1..disk_max ms;
                                //  0: written and reported at once, as gavel_node does
    bool wire;                  //  copies cross the codec; false: duplicated
    double hints;               //  a crash: each live replica sees its connection
                                //  to the dead one break with this chance, a
                                //  network delay later (gavel_core_peer_lost)
    double false_hints;         //  a lost copy of a peer message: its receiver
                                //  sees the connection break with this chance
    uint64_t seed;              //  the fixture's own random stream, when
                                //  the hooks give no source
} gavel_fixture_settings_t;

//  What the owner hears of, and decides. Every hook is optional; arg goes
//  back to each. Messages given to a hook are borrowed for the call.
typedef struct {
    void *arg;
    //  The next number of the owner's random stream. The fixture draws in
    //  a fixed order, so a seed means the same run; without it the fixture
    //  uses a stream of its own, from settings.seed.
    uint64_t (*random) (void *arg);
    //  One line of trace: what the fixture did, at its time, and what a
    //  core had to say, at that core's clock. Without it nothing is traced
    //  or described, which keeps quiet runs fast.
    void (*trace) (void *arg, int64_t now, const char *text);
    //  The world's own rules broken: storage that gavel_store would refuse,
    //  an action no shell could carry out, a busy loop. The fixture keeps
    //  the first one too (gavel_fixture_violation).
    void (*violation) (void *arg, const char *invariant, const char *text);
    //  A replica answers a client, before the answer is on the wire (the
    //  network may lose it; a kill may stop the rest of the outbox)
    void (*reply) (void *arg, size_t replica, size_t client, gavel_msg_t *reply);
    //  An answer reaches its client
    void (*answer) (void *arg, size_t client, size_t replica, gavel_msg_t *reply);
    //  An alarm the owner set went off
    void (*alarm) (void *arg, size_t alarm);
    //  A fresh core runs on replica, loaded from its storage; its outbox
    //  is carried out next
    void (*booted) (void *arg, size_t replica);
    //  A snapshot is about to be stored (it is newer than the stored one)
    void (*snapshot) (void *arg, size_t replica, gavel_msg_t *snapshot);
    //  A save of entries cut count stored entries from index from on:
    //  lines are what they were; storage now holds what replaced them
    void (*cut) (void *arg, size_t replica, uint64_t from, char **lines, size_t count);
    //  Whether the process is killed (kill -9) partway through the outbox
    //  it is about to carry out: the fixture then stops at a random action
    bool (*kill) (void *arg, size_t replica);
    //  A replica carried out its whole outbox (after booting, or a turn)
    void (*carried) (void *arg, size_t replica);
} gavel_fixture_hooks_t;

//  A world of settings->replicas replicas, none running yet: set each one's
//  clock skew if it has one, then boot it. Copies settings and hooks.
gavel_fixture_t *
    gavel_fixture_new (const gavel_fixture_settings_t *settings,
                       const gavel_fixture_hooks_t *hooks);

void
    gavel_fixture_destroy (gavel_fixture_t **self_p);

//  splitmix64: the fixture's own stream, and one for an owner's, so that a
//  seed means the same run on every libc
uint64_t
    gavel_fixture_random (uint64_t *state);

//  --------------------------------------------------------------------------
//  Time and events

//  The virtual time, ms; starts at GAVEL_FIXTURE_T0
int64_t
    gavel_fixture_now (gavel_fixture_t *self);

//  Events handled so far
uint64_t
    gavel_fixture_steps (gavel_fixture_t *self);

//  When the next event is due, or INT64_MAX when nothing is left to happen
int64_t
    gavel_fixture_next (gavel_fixture_t *self);

//  Handle the earliest event (ties in the order they were queued), moving
//  the clock to it. Returns false when nothing is left to happen.
bool
    gavel_fixture_step (gavel_fixture_t *self);

//  Handle every event due by until, then move the clock to until: what an
//  exact-time test calls to let time pass. gavel_fixture_run (self, now)
//  settles this instant: every message sent now arrives and is answered.
//  It ends early at a violation, for nothing after one means much, and
//  reports a livelock after GAVEL_FIXTURE_INSTANT events at one instant.
void
    gavel_fixture_run (gavel_fixture_t *self, int64_t until);

//  (Re)arm the owner's alarm (0..GAVEL_FIXTURE_ALARMS-1) to go off at time,
//  as if queued now; or take it off the queue
void
    gavel_fixture_alarm (gavel_fixture_t *self, size_t alarm, int64_t time);
void
    gavel_fixture_alarm_cancel (gavel_fixture_t *self, size_t alarm);

//  --------------------------------------------------------------------------
//  Clients and the network

//  Client sends request (borrowed) to replica: copies go on the network,
//  unless nobody listens there (a crashed host)
void
    gavel_fixture_send (gavel_fixture_t *self, size_t client, size_t replica,
                        gavel_msg_t *request);

//  The envelope of client's requests, for an owner that hands a core a
//  request itself (gavel_core_request): the reply finds its way back by it
zmsg_t *
    gavel_fixture_envelope (gavel_fixture_t *self, size_t client);

//  The owner gave replica's core events by hand: its outbox is carried out
//  at a loop turn now, or, while it is paused, at its resume
void
    gavel_fixture_wake (gavel_fixture_t *self, size_t replica);

//  Messages pass only between replicas on the same side (0 for all at
//  first); messages in flight are checked again on arrival
void
    gavel_fixture_set_side (gavel_fixture_t *self, size_t replica, int side);
int
    gavel_fixture_side (gavel_fixture_t *self, size_t replica);

//  Every replica on side 0 again
void
    gavel_fixture_heal (gavel_fixture_t *self);

void
    gavel_fixture_set_loss (gavel_fixture_t *self, double loss, double duplication);

//  --------------------------------------------------------------------------
//  Replicas: lifecycle and the disk

//  Replica's clock is the fixture's plus skew ms (before it boots)
void
    gavel_fixture_set_skew (gavel_fixture_t *self, size_t replica, int64_t skew);

//  A new process: a fresh core that loads term, vote, snapshot and entries
//  from storage, as gavel_node does at every start
void
    gavel_fixture_boot (gavel_fixture_t *self, size_t replica);

//  kill -9: the core is gone with what it held in memory; of the saves its
//  disk had not written, a prefix survives, the last perhaps torn
void
    gavel_fixture_crash (gavel_fixture_t *self, size_t replica);

//  Boot after a crash, saying what storage holds
void
    gavel_fixture_restart (gavel_fixture_t *self, size_t replica);

//  SIGSTOP for duration ms: no loop turns, and what arrives waits (up to
//  the stash) for the resume. A paused replica's core may still be given
//  events by hand (gavel_fixture_core).
void
    gavel_fixture_pause (gavel_fixture_t *self, size_t replica, int64_t duration);

//  SIGCONT: what queued up while stopped is all there at once, for one turn
//  that ends with the overdue tick. The node drains one socket after
//  another, so the order across sockets is not the order of sending: it is
//  shuffled. Nothing happens to a replica that is not paused.
void
    gavel_fixture_resume (gavel_fixture_t *self, size_t replica);

//  Reports of saves written are held (the disk still writes at once) until
//  released: a test's late disk, reported when the test says
void
    gavel_fixture_hold (gavel_fixture_t *self, size_t replica);

//  What was held is reported at a loop turn now, and what follows at once
void
    gavel_fixture_release (gavel_fixture_t *self, size_t replica);

//  --------------------------------------------------------------------------
//  What tests look at

//  Replica's core, or NULL while crashed
gavel_core_t *
    gavel_fixture_core (gavel_fixture_t *self, size_t replica);

bool
    gavel_fixture_paused (gavel_fixture_t *self, size_t replica);

//  Storage: the snapshot's index (0 without one), the last index stored
//  (in the snapshot or after it), and the stored line of entry index
//  (NULL when not stored, or in the snapshot)
uint64_t
    gavel_fixture_stored_base (gavel_fixture_t *self, size_t replica);
uint64_t
    gavel_fixture_stored_last (gavel_fixture_t *self, size_t replica);
const char *
    gavel_fixture_stored_line (gavel_fixture_t *self, size_t replica, uint64_t index);

//  The first of the world's rules broken, "invariant: text", or NULL
const char *
    gavel_fixture_violation (gavel_fixture_t *self);

//  Replica's client endpoint, as the cores' settings name it (redirects)
const char *
    gavel_fixture_endpoint (size_t replica);

//  One message in one line, for a trace
const char *
    gavel_fixture_describe_msg (gavel_msg_t *msg, char *text, size_t size);

//  One replica's state in a few words ("r2 primary t3 p2 c10 a10 l11"),
//  and every replica's, for a report
const char *
    gavel_fixture_describe_replica (gavel_fixture_t *self, size_t replica,
                                    char *text, size_t size);
void
    gavel_fixture_describe (gavel_fixture_t *self, char *text, size_t size);

void
    gavel_fixture_test (bool verbose);

#endif
