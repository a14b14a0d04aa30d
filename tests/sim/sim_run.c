/*  sim_run: Faults (storms and calms), stepping events, settling, and one run.
*/
#include "sim.h"

//  --------------------------------------------------------------------------
//  Faults: storms of partitions, crashes, restarts and pauses between calms

size_t
sim_crashed (sim_t *self)
{
    size_t count = 0;
    for (size_t index = 0; index < self->replica_count; index++)
        count += gavel_fixture_core (self->world, index) == NULL;
    return count;
}

//  A live replica, the primary of the highest term half the time; or
//  SIZE_MAX when none is
static size_t
s_pick_live (sim_t *self, bool running)
{
    size_t choices [SIM_REPLICAS_MAX];
    size_t count = 0;
    gavel_core_t *primary = NULL;
    size_t primary_index = SIZE_MAX;
    for (size_t index = 0; index < self->replica_count; index++) {
        gavel_core_t *core = gavel_fixture_core (self->world, index);
        if (!core || (running && gavel_fixture_paused (self->world, index)))
            continue;
        choices [count++] = index;
        if (gavel_core_role (core) == GAVEL_ROLE_PRIMARY
        && (!primary || gavel_core_term (core) > gavel_core_term (primary))) {
            primary = core;
            primary_index = index;
        }
    }
    if (count == 0)
        return SIZE_MAX;
    if (primary && sim_chance (self, 0.5))
        return primary_index;
    return choices [sim_below (self, count)];
}

static void
s_fault_partition (sim_t *self)
{
    gavel_fixture_heal (self->world);
    if (self->replica_count == 1)
        return;
    size_t alone = sim_chance (self, 0.4)? s_pick_live (self, false): SIZE_MAX;
    if (alone != SIZE_MAX)
        gavel_fixture_set_side (self->world, alone, 1);
    else {
        //  Random sides, neither empty
        size_t ones = 0;
        while (ones == 0 || ones == self->replica_count) {
            ones = 0;
            for (size_t index = 0; index < self->replica_count; index++) {
                int side = (int) sim_below (self, 2);
                gavel_fixture_set_side (self->world, index, side);
                ones += (size_t) side;
            }
        }
    }
    if (self->options->verbose) {
        char sides [SIM_REPLICAS_MAX + 1];
        for (size_t index = 0; index < self->replica_count; index++)
            sides [index] = (char) ('0' + gavel_fixture_side (self->world, index));
        sides [self->replica_count] = '\0';
        sim_trace (self, "FAULT partition %s", sides);
    }
}

static void
s_fault (sim_t *self)
{
    self->faults++;
    uint64_t roll = sim_below (self, 100);
    if (roll < 25) {
        size_t victim = s_pick_live (self, false);
        if (victim != SIZE_MAX && sim_crashed (self) < self->crash_limit)
            gavel_fixture_crash (self->world, victim);
    }
    else
    if (roll < 45) {
        size_t choices [SIM_REPLICAS_MAX];
        size_t count = 0;
        for (size_t index = 0; index < self->replica_count; index++)
            if (!gavel_fixture_core (self->world, index))
                choices [count++] = index;
        if (count)
            gavel_fixture_restart (self->world, choices [sim_below (self, count)]);
    }
    else
    if (roll < 65) {
        size_t victim = s_pick_live (self, true);
        if (victim != SIZE_MAX)
            gavel_fixture_pause (self->world, victim, sim_between (self, 50, 1500));
    }
    else
    if (roll < 85)
        s_fault_partition (self);
    else {
        sim_trace (self, "FAULT heal");
        gavel_fixture_heal (self->world);
    }
    gavel_fixture_alarm (self->world, SIM_ALARM_FAULT, sim_now (self) + sim_between (self, 30, 500));
}

//  A calm: the network heals, paused replicas run, crashed ones mostly
//  come back (always enough for a majority)
static void
s_calm (sim_t *self, bool everything)
{
    sim_trace (self, "PHASE calm");
    self->storm = false;
    gavel_fixture_alarm_cancel (self->world, SIM_ALARM_FAULT);
    gavel_fixture_heal (self->world);
    for (size_t index = 0; index < self->replica_count; index++) {
        if (gavel_fixture_paused (self->world, index))
            gavel_fixture_resume (self->world, index);
        else
        if (!gavel_fixture_core (self->world, index)
        && (everything || sim_crashed (self) > self->replica_count / 2 || sim_chance (self, 0.7)))
            gavel_fixture_restart (self->world, index);
    }
}

static void
s_storm (sim_t *self)
{
    self->storm = true;
    //  Now and then a majority may go down: nothing may commit then
    self->crash_limit = sim_chance (self, 0.1)? self->replica_count: self->replica_count / 2;
    sim_trace (self, "PHASE storm (up to %zu crashed)", self->crash_limit);
    gavel_fixture_alarm (self->world, SIM_ALARM_FAULT, sim_now (self) + sim_between (self, 0, 200));
}

static void
s_phase (sim_t *self)
{
    if (self->storm) {
        s_calm (self, false);
        gavel_fixture_alarm (self->world, SIM_ALARM_PHASE,
                             sim_now (self) + sim_between (self, 1000, 3000));
    }
    else {
        s_storm (self);
        gavel_fixture_alarm (self->world, SIM_ALARM_PHASE,
                             sim_now (self) + sim_between (self, 1000, 4000));
    }
}


//  --------------------------------------------------------------------------
//  Stepping events: the world handles its own, the simulator's alarms come
//  back here, and the checker looks after every one

void
sim_on_alarm (sim_t *self, size_t alarm)
{
    if (alarm == SIM_ALARM_FAULT)
        s_fault (self);
    else
    if (alarm == SIM_ALARM_PHASE)
        s_phase (self);
    else {
        assert (alarm >= SIM_ALARM_CLIENT && alarm < SIM_ALARM_CLIENT + self->client_count);
        sim_client_timer (self, &self->clients [alarm - SIM_ALARM_CLIENT]);
    }
}

static void
s_step (sim_t *self)
{
    if (!gavel_fixture_step (self->world)) {
        sim_fail (self, "liveness", "nothing left to happen");
        return;
    }
    if (!self->failed)
        sim_check (self);
}


//  --------------------------------------------------------------------------
//  Settling and the final checks

static bool
s_converged (sim_t *self)
{
    size_t primaries = 0;
    uint64_t commit = gavel_core_commit (gavel_fixture_core (self->world, 0));
    for (size_t index = 0; index < self->replica_count; index++) {
        gavel_core_t *core = gavel_fixture_core (self->world, index);
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
    sim_trace (self, "PHASE settle");
    self->settling = true;
    gavel_fixture_alarm_cancel (self->world, SIM_ALARM_PHASE);
    s_calm (self, true);
    self->loss = 0;
    self->duplication = 0;
    gavel_fixture_set_loss (self->world, 0, 0);
    int64_t start = sim_now (self);
    while (!self->failed) {
        if (sim_now (self) >= start + SIM_SETTLE_MIN && s_converged (self))
            return;
        if (sim_now (self) > start + SIM_SETTLE_MAX) {
            char cluster [1024];
            gavel_fixture_describe (self->world, cluster, sizeof cluster);
            size_t waiting = 0;
            for (size_t index = 0; index < self->client_count; index++)
                waiting += self->clients [index].request != NULL;
            sim_fail (self, "liveness", "no convergence %d ms after healing: %s; %zu clients"
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
        self->watches [index].checked = 0;
        sim_check_replica (self, index);
        uint64_t stored = gavel_fixture_stored_last (self->world, index);
        uint64_t last = stored < self->committed? stored: self->committed;
        for (uint64_t entry = gavel_fixture_stored_base (self->world, index) + 1;
             entry <= last && !self->failed; entry++) {
            const char *line = gavel_fixture_stored_line (self->world, index, entry);
            if (!streq (line, self->log [entry - 1]))
                sim_fail (self, "committed-log", "replica %zu stored '%s' as entry %" PRIu64
                        ", committed as '%s'", index + 1, line, entry, self->log [entry - 1]);
        }
    }
    for (size_t index = 0; index < self->client_count; index++) {
        client_t *client = &self->clients [index];
        for (uint64_t request = 1; request <= client->request_id; request++)
            if (client->sent [request].succeeded)
                sim_check_answered (self, client, request, "received");
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
            gavel_core_t *core = gavel_fixture_core (self->world, index);
            gavel_msg_t *reply = gavel_auction_query (gavel_core_auction (core), request,
                                                      sim_now (self));
            const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
            if (index == 0)
                snprintf (expected, sizeof expected, "%s", record);
            else
            if (!streq (record, expected))
                sim_fail (self, "winners-agree", "auction %" PRIu64 ": replica 1 says '%s',"
                        " replica %zu says '%s'", auction, expected, index + 1, record);
            gavel_msg_destroy (&reply);
        }
        char state [16] = "";
        char name [GAVEL_NAME_MAX + 1] = "";
        gavel_record_get (expected, "state", state, sizeof state);
        bool closed = streq (state, "closed");
        gavel_record_get (expected, closed? "winner": "bidder", name, sizeof name);
        int64_t amount = sim_record_number (expected, closed? "amount": "highest");
        const char *best = view->best? self->clients [view->best_client].name: "none";
        if (amount != view->best || !streq (name, best))
            sim_fail (self, "winner", "auction %" PRIu64 " is '%s' but the highest bid"
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
size_t
sim_replica_count (const options_t *options, uint64_t seed)
{
    uint64_t sizer = seed ^ 0x5eed5eed5eed5eedULL;
    return options->replicas? options->replicas: (gavel_fixture_random (&sizer) & 1)? 5: 3;
}

static sim_t *
s_sim_new (const options_t *options)
{
    sim_t *self = (sim_t *) zmalloc (sizeof (sim_t));
    assert (self);
    self->options = options;
    self->rng = options->seed;
    self->replica_count = sim_replica_count (options, options->seed);
    gavel_fixture_random (&self->rng);
    gavel_fixture_settings_t world = {
        .replicas = self->replica_count, .wire = options->wire
    };
    world.loss = self->loss = sim_chance (self, 0.1)? 0: sim_unit (self) * 0.2;
    world.duplication = self->duplication = sim_unit (self) * 0.05;
    world.delay_max = self->delay_max = sim_between (self, 0, 30);
    self->client_count = (size_t) sim_between (self, 4, SIM_CLIENTS_MAX);
    world.clients = self->client_count;
    self->opens_planned = (size_t) sim_between (self, 2, 4);
    self->stickiness = sim_unit (self) * 0.9;
    //  Mostly none or NTP-like; now and then beyond an election time-out
    double skewed = sim_unit (self);
    self->skew_max = skewed < 0.5? 0: skewed < 0.9? sim_between (self, 1, 25)
                   : sim_between (self, 100, 500);
    world.turn_max = sim_between (self, 0, 2);
    //  Snapshots often enough to be taken, installed and restored
    world.snapshot_every = sim_chance (self, 0.2)? 10000: (uint64_t) sim_between (self, 10, 200);
    //  A disk that reports late in most seeds; in a fifth, as the node's
    world.disk_max = sim_chance (self, 0.2)? 0: sim_between (self, 1, 20);
    //  Crashes seen as broken connections in most seeds, and in half of
    //  them lost messages seen so too: hints that must never cost safety
    world.hints = sim_chance (self, 0.3)? 0: sim_unit (self);
    world.false_hints = sim_chance (self, 0.5)? 0: sim_unit (self) * 0.2;
    self->reference = gavel_auction_new ();
    self->requests = zhashx_new ();
    assert (self->requests);
    zhashx_set_destructor (self->requests, s_committed_destroy);

    self->world = sim_world_new (self, &world);
    for (size_t index = 0; index < self->replica_count; index++) {
        int64_t skew = sim_between (self, -self->skew_max, self->skew_max);
        gavel_fixture_set_skew (self->world, index, skew);
        if (index == 0 || skew < self->skew_low)
            self->skew_low = skew;
        if (index == 0 || skew > self->skew_high)
            self->skew_high = skew;
        gavel_fixture_boot (self->world, index);
    }
    for (size_t index = 0; index < self->client_count; index++) {
        client_t *client = &self->clients [index];
        client->index = index;
        snprintf (client->session, sizeof client->session, "sim%zu-%08" PRIx64, index,
                  gavel_fixture_random (&self->rng) & 0xffffffff);
        snprintf (client->name, sizeof client->name, "bidder%zu", index);
        sim_client_later (self, client, sim_between (self, 0, 100));
    }
    //  A calm first, so that a primary is elected and auctions open
    gavel_fixture_alarm (self->world, SIM_ALARM_PHASE,
                         sim_now (self) + sim_between (self, 1000, 2000));
    return self;
}

static void
s_sim_destroy (sim_t **self_p)
{
    sim_t *self = *self_p;
    if (!self)
        return;
    gavel_fixture_destroy (&self->world);
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
    sim_trace (self, "START seed %" PRIu64 ": %zu replicas, %zu clients, loss %.1f%%,"
             " duplication %.1f%%, delay up to %" PRId64 " ms, clock skew up to %" PRId64
             " ms", self->options->seed, self->replica_count, self->client_count,
             self->loss * 100, self->duplication * 100, self->delay_max, self->skew_max);
    while (!self->failed && sim_steps (self) < self->options->events)
        s_step (self);
    if (!self->failed)
        s_settle (self);
    if (!self->failed)
        s_check_storage (self);
    if (!self->failed)
        sim_check_states (self);
    if (!self->failed)
        s_check_winners (self);
}

static void
s_report (sim_t *self)
{
    const options_t *options = self->options;
    char cluster [1024];
    gavel_fixture_describe (self->world, cluster, sizeof cluster);
    printf ("sim: seed %" PRIu64 " FAILED at event %" PRIu64 " (t=+%.3fs): [%s] %s\n",
            options->seed, sim_steps (self), (double) (sim_now (self) - SIM_T0) / 1000.0,
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

void
sim_run_seed (const options_t *options, outcome_t *outcome)
{
    sim_t *sim = s_sim_new (options);
    s_sim_run (sim);
    memset (outcome, 0, sizeof *outcome);
    outcome->seed = options->seed;
    outcome->passed = !sim->failed;
    outcome->replicas = sim->replica_count;
    outcome->steps = sim_steps (sim);
    outcome->commits = sim->committed;
    outcome->elections = sim->elections;
    outcome->successes = sim->successes;
    outcome->faults = sim->faults;
    outcome->simulated = sim_now (sim) - SIM_T0;
    if (sim->failed)
        s_report (sim);
    else
        sim_trace (sim, "PASSED: %" PRIu64 " committed, %" PRIu64 " elections, %" PRIu64
                 " successes, %" PRIu64 " timeouts, %" PRIu64 " redirects",
                 sim->committed, sim->elections, sim->successes, sim->timeouts,
                 sim->redirects);
    s_sim_destroy (&sim);
}
