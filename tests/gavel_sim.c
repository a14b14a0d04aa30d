/*  gavel_sim: the deterministic simulator.

    Runs N pure cores (replica/gavel_core.h) over a made-up network and a
    made-up clock, with simulated bidders talking to them through the same
    network, and checks the invariants after every event. Everything random
    comes from one seed; nothing reads the wall clock or iterates a hash, so
    `gavel_sim --seed S --events E --replicas N` replays a run exactly.
    The cores' world (the network, the clock, storage and disks, loop turns,
    crashes and pauses) is the test fixture's (tests/gavel_fixture.c), which
    gavel_core's self test runs in too; the faults, the bidders and the
    checker are the simulator's (sim/).

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
#include "sim.h"
#include "gavel_cli.h"

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
        sim_run_seed (&mine, &outcome);
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
            options->program, seed, options->events, sim_replica_count (options, seed),
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
        { 0 }
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
        sim_run_seed (options, &outcome);
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
