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
    if (primary && sim_chance (self, 0.5))
        return primary;
    return choices [sim_below (self, count)];
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
    replica_t *alone = sim_chance (self, 0.4)? s_pick_live (self, false): NULL;
    if (alone)
        alone->side = 1;
    else {
        //  Random sides, neither empty
        size_t ones = 0;
        while (ones == 0 || ones == self->replica_count) {
            ones = 0;
            for (size_t index = 0; index < self->replica_count; index++) {
                self->replicas [index].side = (int) sim_below (self, 2);
                ones += self->replicas [index].side;
            }
        }
    }
    if (self->options->verbose) {
        char sides [SIM_REPLICAS_MAX + 1];
        for (size_t index = 0; index < self->replica_count; index++)
            sides [index] = (char) ('0' + self->replicas [index].side);
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
        replica_t *victim = s_pick_live (self, false);
        if (victim && sim_crashed (self) < self->crash_limit)
            sim_crash (self, victim);
    }
    else
    if (roll < 45) {
        replica_t *choices [SIM_REPLICAS_MAX];
        size_t count = 0;
        for (size_t index = 0; index < self->replica_count; index++)
            if (!self->replicas [index].core)
                choices [count++] = &self->replicas [index];
        if (count)
            sim_restart (self, choices [sim_below (self, count)]);
    }
    else
    if (roll < 65) {
        replica_t *victim = s_pick_live (self, true);
        if (victim)
            sim_pause (self, victim, sim_between (self, 50, 1500));
    }
    else
    if (roll < 85)
        s_fault_partition (self);
    else {
        sim_trace (self, "FAULT heal");
        s_heal (self);
    }
    sim_queue_set (&self->queue, &self->fault, self->now + sim_between (self, 30, 500));
}

//  A calm: the network heals, paused replicas run, crashed ones mostly
//  come back (always enough for a majority)
static void
s_calm (sim_t *self, bool everything)
{
    sim_trace (self, "PHASE calm");
    self->storm = false;
    sim_queue_remove (&self->queue, &self->fault);
    s_heal (self);
    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        if (replica->paused)
            sim_resume (self, replica);
        else
        if (!replica->core
        && (everything || sim_crashed (self) > self->replica_count / 2 || sim_chance (self, 0.7)))
            sim_restart (self, replica);
    }
}

static void
s_storm (sim_t *self)
{
    self->storm = true;
    //  Now and then a majority may go down: nothing may commit then
    self->crash_limit = sim_chance (self, 0.1)? self->replica_count: self->replica_count / 2;
    sim_trace (self, "PHASE storm (up to %zu crashed)", self->crash_limit);
    sim_queue_set (&self->queue, &self->fault, self->now + sim_between (self, 0, 200));
}

static void
s_phase (sim_t *self)
{
    if (self->storm) {
        s_calm (self, false);
        sim_queue_set (&self->queue, &self->phase, self->now + sim_between (self, 1000, 3000));
    }
    else {
        s_storm (self);
        sim_queue_set (&self->queue, &self->phase, self->now + sim_between (self, 1000, 4000));
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
    if (!s_reachable (replica, event) || !sim_linked (self, event->source, event->target))
        sim_event_destroy (&event);
    else
        sim_inbox_add (self, replica, event);
}

static void
s_on_request (sim_t *self, event_t *event)
{
    replica_t *replica = &self->replicas [event->target];
    if (!s_reachable (replica, event))
        sim_event_destroy (&event);
    else
        sim_inbox_add (self, replica, event);
}

static void
s_on_tick (sim_t *self, replica_t *replica)
{
    if (replica->core && !replica->paused)
        sim_turn (self, replica);
}

static void
s_step (sim_t *self)
{
    event_t *event = sim_queue_pop (&self->queue);
    if (!event) {
        sim_fail (self, "liveness", "nothing left to happen");
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
            sim_client_answer (self, &self->clients [event->target], event->msg, event->source);
            sim_event_destroy (&event);
            break;
        case EV_TICK:
            s_on_tick (self, &self->replicas [event->target]);
            break;
        case EV_RESUME:
            sim_resume (self, &self->replicas [event->target]);
            break;
        case EV_CLIENT:
            sim_client_timer (self, &self->clients [event->target]);
            break;
        case EV_FAULT:
            s_fault (self);
            break;
        case EV_PHASE:
            s_phase (self);
            break;
        case EV_DISK:
            sim_on_disk (self, &self->replicas [event->target]);
            break;
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
    sim_trace (self, "PHASE settle");
    self->settling = true;
    sim_queue_remove (&self->queue, &self->phase);
    s_calm (self, true);
    self->loss = 0;
    self->duplication = 0;
    int64_t start = self->now;
    while (!self->failed) {
        if (self->now >= start + SIM_SETTLE_MIN && s_converged (self))
            return;
        if (self->now > start + SIM_SETTLE_MAX) {
            char cluster [1024];
            sim_describe_cluster (self, cluster, sizeof cluster);
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
        replica_t *replica = &self->replicas [index];
        replica->checked = 0;
        sim_check_replica (self, replica);
        uint64_t last = sim_stored_last (replica) < self->committed
                      ? sim_stored_last (replica): self->committed;
        for (uint64_t entry = replica->base + 1; entry <= last && !self->failed; entry++)
            if (!streq (sim_stored_line (replica, entry), self->log [entry - 1]))
                sim_fail (self, "committed-log", "replica %zu stored '%s' as entry %" PRIu64
                        ", committed as '%s'", index + 1, sim_stored_line (replica, entry),
                        entry, self->log [entry - 1]);
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
            gavel_core_t *core = self->replicas [index].core;
            gavel_msg_t *reply = gavel_auction_query (gavel_core_auction (core), request,
                                                      self->now);
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
    return options->replicas? options->replicas: (sim_mix (&sizer) & 1)? 5: 3;
}

static sim_t *
s_sim_new (const options_t *options)
{
    sim_t *self = (sim_t *) zmalloc (sizeof (sim_t));
    assert (self);
    self->options = options;
    self->rng = options->seed;
    self->now = SIM_T0;
    self->replica_count = sim_replica_count (options, options->seed);
    sim_mix (&self->rng);
    self->loss = sim_chance (self, 0.1)? 0: sim_unit (self) * 0.2;
    self->duplication = sim_unit (self) * 0.05;
    self->delay_max = sim_between (self, 0, 30);
    self->client_count = (size_t) sim_between (self, 4, SIM_CLIENTS_MAX);
    self->opens_planned = (size_t) sim_between (self, 2, 4);
    self->stickiness = sim_unit (self) * 0.9;
    //  Mostly none or NTP-like; now and then beyond an election time-out
    double skewed = sim_unit (self);
    self->skew_max = skewed < 0.5? 0: skewed < 0.9? sim_between (self, 1, 25)
                   : sim_between (self, 100, 500);
    self->turn_max = sim_between (self, 0, 2);
    //  Snapshots often enough to be taken, installed and restored
    self->snapshot_every = sim_chance (self, 0.2)? 10000: (uint64_t) sim_between (self, 10, 200);
    //  A disk that reports late in most seeds; in a fifth, as the node's
    self->disk_max = sim_chance (self, 0.2)? 0: sim_between (self, 1, 20);
    self->reference = gavel_auction_new ();
    self->requests = zhashx_new ();
    assert (self->requests);
    zhashx_set_destructor (self->requests, s_committed_destroy);
    sim_timer_init (&self->fault, EV_FAULT, 0);
    sim_timer_init (&self->phase, EV_PHASE, 0);

    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        replica->index = index;
        sim_timer_init (&replica->tick, EV_TICK, index);
        sim_timer_init (&replica->resume, EV_RESUME, index);
        sim_timer_init (&replica->disk, EV_DISK, index);
        replica->skew = sim_between (self, -self->skew_max, self->skew_max);
        if (index == 0 || replica->skew < self->skew_low)
            self->skew_low = replica->skew;
        if (index == 0 || replica->skew > self->skew_high)
            self->skew_high = replica->skew;
        sim_boot (self, replica);
    }
    for (size_t index = 0; index < self->client_count; index++) {
        client_t *client = &self->clients [index];
        client->index = index;
        snprintf (client->session, sizeof client->session, "sim%zu-%08" PRIx64, index,
                  sim_mix (&self->rng) & 0xffffffff);
        snprintf (client->name, sizeof client->name, "bidder%zu", index);
        sim_timer_init (&client->timer, EV_CLIENT, index);
        sim_client_later (self, client, sim_between (self, 0, 100));
    }
    //  A calm first, so that a primary is elected and auctions open
    sim_queue_set (&self->queue, &self->phase, self->now + sim_between (self, 1000, 2000));
    return self;
}

static void
s_sim_destroy (sim_t **self_p)
{
    sim_t *self = *self_p;
    if (!self)
        return;
    event_t *event;
    while ((event = sim_queue_pop (&self->queue)))
        if (!event->timer)
            sim_event_destroy (&event);
    free (self->queue.items);
    for (size_t index = 0; index < self->replica_count; index++) {
        replica_t *replica = &self->replicas [index];
        gavel_core_destroy (&replica->core);
        sim_inbox_clear (replica);
        free (replica->inbox);
        for (size_t write = 0; write < replica->writing; write++)
            gavel_msg_destroy (&replica->writes [write].save);
        free (replica->writes);
        free (replica->reports);
        sim_store_truncate (replica, 0);
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
    sim_trace (self, "START seed %" PRIu64 ": %zu replicas, %zu clients, loss %.1f%%,"
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
        sim_check_states (self);
    if (!self->failed)
        s_check_winners (self);
}

static void
s_report (sim_t *self)
{
    const options_t *options = self->options;
    char cluster [1024];
    sim_describe_cluster (self, cluster, sizeof cluster);
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

void
sim_run_seed (const options_t *options, outcome_t *outcome)
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
        sim_trace (sim, "PASSED: %" PRIu64 " committed, %" PRIu64 " elections, %" PRIu64
                 " successes, %" PRIu64 " timeouts, %" PRIu64 " redirects",
                 sim->committed, sim->elections, sim->successes, sim->timeouts,
                 sim->redirects);
    s_sim_destroy (&sim);
}
