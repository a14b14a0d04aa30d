/*  sim_world: The simulator's side of the fixture (tests/gavel_fixture.h). The
    replicas, their storage and disks, the network, the clock and the loop
    turns are the fixture's; here is what the simulator brings to them: one
    random stream, which the world draws from too, so that a seed is one
    run; and the hooks through which the checker and the clients hear of
    the world, and the fault policy decides on kills.
*/
#include "sim.h"

//  --------------------------------------------------------------------------
//  Random numbers: the simulator's stream, shared with the world

uint64_t
sim_below (sim_t *self, uint64_t limit)
{
    return limit? gavel_fixture_random (&self->rng) % limit: 0;
}

int64_t
sim_between (sim_t *self, int64_t low, int64_t high)
{
    return low + (int64_t) sim_below (self, (uint64_t) (high - low) + 1);
}

double
sim_unit (sim_t *self)
{
    return (double) (gavel_fixture_random (&self->rng) >> 11) * 0x1.0p-53;
}

bool
sim_chance (sim_t *self, double probability)
{
    return sim_unit (self) < probability;
}


//  --------------------------------------------------------------------------
//  The hooks

static uint64_t
s_random (void *arg)
{
    return gavel_fixture_random (&((sim_t *) arg)->rng);
}

//  The world's lines and the cores', in the simulator's trace
static void
s_trace (void *arg, int64_t now, const char *text)
{
    sim_t *self = (sim_t *) arg;
    printf ("[%9.3f #%06" PRIu64 "] %s\n", (double) (now - SIM_T0) / 1000.0,
            sim_steps (self), text);
}

static void
s_violation (void *arg, const char *invariant, const char *text)
{
    sim_fail ((sim_t *) arg, invariant, "%s", text);
}

//  A success claims its entry is committed, and an answer shows a state of
//  the committed log: take in what the sender has committed before the rest
//  of its outbox (which a kill may cut short)
static void
s_reply (void *arg, size_t replica, size_t client, gavel_msg_t *reply)
{
    sim_t *self = (sim_t *) arg;
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (outcome == GAVEL_SUCCESS || outcome == GAVEL_FAIL)
        sim_check_replica (self, replica);
    sim_check_reply (self, &self->clients [client], reply, replica);
}

static void
s_answer (void *arg, size_t client, size_t replica, gavel_msg_t *reply)
{
    sim_t *self = (sim_t *) arg;
    sim_client_answer (self, &self->clients [client], reply, replica);
}

static void
s_alarm (void *arg, size_t alarm)
{
    sim_on_alarm ((sim_t *) arg, alarm);
}

//  A new incarnation: the checker looks at its log from the start
static void
s_booted (void *arg, size_t replica)
{
    sim_t *self = (sim_t *) arg;
    self->watches [replica] = (watch_t) { 0, 0 };
}

static void
s_snapshot (void *arg, size_t replica, gavel_msg_t *snapshot)
{
    sim_check_snapshot ((sim_t *) arg, replica, snapshot);
}

static void
s_cut (void *arg, size_t replica, uint64_t from, char **lines, size_t count)
{
    sim_check_kept ((sim_t *) arg, replica, from, lines, count);
}

//  Now and then in a storm a process is killed partway through its outbox
//  (kill -9): that is where an ACK sent before its SAVE would show
static bool
s_kill (void *arg, size_t replica)
{
    sim_t *self = (sim_t *) arg;
    return self->storm && sim_crashed (self) < self->crash_limit
        && sim_chance (self, 0.002);
}

gavel_fixture_t *
sim_world_new (sim_t *self, const gavel_fixture_settings_t *settings)
{
    gavel_fixture_hooks_t hooks = {
        .arg = self,
        .random = s_random,
        .trace = self->options->verbose? s_trace: NULL,
        .violation = s_violation,
        .reply = s_reply,
        .answer = s_answer,
        .alarm = s_alarm,
        .booted = s_booted,
        .snapshot = s_snapshot,
        .cut = s_cut,
        .kill = s_kill
    };
    return gavel_fixture_new (settings, &hooks);
}
