/*  gavel_failover: gavel-bench's failover mode.

    One bidder (gavel_engine) bids continuously against a local cluster
    (gavel-local) while, trial after trial, the primary is killed; each
    trial measures how long bidding stopped, restarts the killed replica
    and waits until it has caught up. At the end it checks that no bid
    answered success was lost and none was applied twice.
*/
#include "gavel_failover.h"
#include "gavel_child.h"
#include "gavel_engine.h"
#include "gavel_plot.h"
#include "gavel_status.h"

#include <limits.h>
#include <sodium.h>
#include <unistd.h>

#define STATUS_TIMEOUT      500     //  ms a replica has to answer STATUS
#define PRIMARY_WAIT        3000    //  ms to wait out an election at the start
#define SETUP_TIMEOUT       10000   //  ms to open the auction
#define BID_TIME            1000    //  ms of bidding before each kill
#define RECOVER_TIMEOUT     10000   //  ms from a kill to the first success
#define CATCHUP_TIMEOUT     10000   //  ms for a restarted replica to catch up
#define CATCHUP_INTERVAL    100     //  ms between STATUS rounds meanwhile
#define DRAIN_TIMEOUT       10000   //  ms for the last bid and the RESULT
#define CHILD_TIMEOUT       60000   //  ms for one gavel-local command
#define RECENT_MAX          1024    //  answers kept to compare duplicates with
#define ANOMALIES_SHOWN     10


typedef enum {
    PHASE_OPEN,                 //  opening the auction
    PHASE_BID,                  //  bidding before the kill
    PHASE_KILL,                 //  killed (or killing): waiting for a success
    PHASE_RESTART,              //  restarting the killed replica
    PHASE_CATCHUP,              //  waiting until it has caught up
    PHASE_DRAIN,                //  trials done: the last bid's answer
    PHASE_RESULT,               //  the final RESULT
    PHASE_END
} phase_t;

typedef struct {
    uint64_t killed;            //  replica id
    uint64_t successor;         //  replica id that served the first success after
    int64_t term_before;        //  primary's term before and after; -1 unknown
    int64_t term_after;
    int64_t gap_kill;           //  us, kill to the first success after it
    int64_t gap_answer;         //  us, last answer before the kill to that success
    uint64_t timeouts;          //  during the trial
    uint64_t redirects;
    uint64_t no_quorum;
} trial_t;

//  An answer to remember, to compare a duplicate answer with.
typedef struct {
    uint64_t request_id;
    gavel_outcome_t outcome;
    int64_t amount;             //  success: amount; too-low: highest
} recent_t;

struct _gavel_failover_t {
    const gavel_bench_options_t *options;
    char program [PATH_MAX];    //  gavel-local
    char cluster [PATH_MAX];    //  DIR/cluster.cfg
    bool started;               //  we ran up, so we run down
    gavel_config_t *config;
    gavel_engine_t *engine;
    gavel_engine_client_t *bidder;
    phase_t phase;
    int64_t phase_at;           //  us
    char error [1024];          //  what stopped the run
    //  The trial under way
    trial_t *trials;
    size_t done;                //  trials done
    int64_t kill_at;            //  us, when gavel-local kill started; 0 before any
    int64_t answer_at_kill;     //  us, the last answer before kill_at
    int64_t last_answer [GAVEL_REPLICAS_MAX];       //  us, by replica
    int64_t first_success [GAVEL_REPLICAS_MAX];     //  us, by replica, since kill_at
    uint64_t timeouts, redirects, no_quorum;        //  engine's, at the kill
    int64_t term;               //  primary's term before this trial
    gavel_child_t *child;       //  the gavel-local command running or last run
    bool child_seen;            //  its end was acted on
    //  Catching up: rounds of STATUS to every replica
    gavel_status_t *probes;     //  a round of STATUS to every replica
    bool probing;
    int64_t next_round;         //  us
    int64_t catchup_commit;     //  the primary's commit to reach; -1 unknown
    //  What the checks need
    int64_t *successes;         //  amounts answered success, in order
    size_t success_count;
    size_t success_capacity;
    uint64_t answers;
    uint64_t own_too_low;       //  too-low naming this request's own amount
    uint64_t duplicates;        //  duplicate final answers seen
    uint64_t conflicting;       //  ... that disagree with the first answer
    uint64_t anomalies;         //  any other unexpected answer
    recent_t recent [RECENT_MAX];
    bool have_result;
    int64_t final_highest;
    char final_bidder [GAVEL_NAME_MAX + 1];
};

static void
s_failover_error (gavel_failover_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_failover_error (gavel_failover_t *self, const char *format, ...)
{
    if (*self->error)
        return;                 //  the first one is the cause
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
}

static void
s_failover_phase (gavel_failover_t *self, phase_t phase)
{
    self->phase = phase;
    self->phase_at = zclock_usecs ();
}

static void
s_failover_anomaly (gavel_failover_t *self, gavel_msg_t *request, gavel_msg_t *reply, size_t replica)
{
    if (self->anomalies++ >= ANOMALIES_SHOWN)
        return;
    char text [512];
    gavel_engine_reply_text (reply, text, sizeof text);
    fprintf (stderr, "gavel-bench: unexpected answer to #%" PRIu64 " (bid %" PRId64
             ") from replica %" PRIu64 ": %s\n", gavel_msg_request_id (request),
             gavel_msg_amount (request), gavel_engine_replica_id (self->engine, replica), text);
}

static void
s_recent_note (gavel_failover_t *self, uint64_t request_id, gavel_msg_t *reply)
{
    recent_t *recent = &self->recent [request_id % RECENT_MAX];
    recent->request_id = request_id;
    recent->outcome = gavel_msg_outcome (reply);
    recent->amount = gavel_engine_reply_number (reply, recent->outcome == GAVEL_SUCCESS? "amount": "highest");
}

//  A second final answer to a request already answered (an earlier
//  attempt's): the replicas promise the first answer again, so one that
//  differs means the request was evaluated twice.
static void
s_failover_late (gavel_engine_client_t *client, gavel_msg_t *reply, size_t replica)
{
    gavel_failover_t *self = (gavel_failover_t *) gavel_engine_arg (client->engine);
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    if (gavel_msg_id (reply) != GAVEL_MSG_REPLY || outcome == GAVEL_REDIRECT
    ||  (outcome == GAVEL_EXCEPTION && streq (gavel_msg_reason (reply), "no-quorum")))
        return;
    uint64_t request_id = gavel_msg_request_id (reply);
    recent_t *recent = &self->recent [request_id % RECENT_MAX];
    if (recent->request_id != request_id)
        return;
    self->duplicates++;
    int64_t amount = gavel_engine_reply_number (reply, outcome == GAVEL_SUCCESS? "amount": "highest");
    if (outcome != recent->outcome || amount != recent->amount) {
        self->conflicting++;
        char text [512];
        gavel_engine_reply_text (reply, text, sizeof text);
        fprintf (stderr, "gavel-bench: replica %" PRIu64 " answered #%" PRIu64 " again, "
                 "differently: %s (first answer: %s %" PRId64 ")\n",
                 gavel_engine_replica_id (client->engine, replica), request_id, text,
                 gavel_outcome_word (recent->outcome), recent->amount);
    }
}

static void
s_successes_push (gavel_failover_t *self, int64_t amount)
{
    if (self->success_count == self->success_capacity) {
        self->success_capacity = self->success_capacity? self->success_capacity * 2: 4096;
        self->successes = (int64_t *) realloc (self->successes,
                                               self->success_capacity * sizeof (int64_t));
        assert (self->successes);
    }
    self->successes [self->success_count++] = amount;
}

//  What a bid's answer tells. The bidder is alone on its auction and bids
//  1, 2, 3... one at a time, so every bid must succeed. The one way a
//  `fail too-low` can come is a request evaluated twice: its first
//  application (by an attempt whose answer we never got) set the highest
//  bid to this very amount, and a retry was then judged again instead of
//  getting the first answer back. That is what "doubled" counts.
static void
s_failover_bid_answer (gavel_failover_t *self, gavel_msg_t *request, gavel_msg_t *reply,
                       size_t replica, int64_t now)
{
    int64_t amount = gavel_msg_amount (request);
    gavel_outcome_t outcome = gavel_msg_outcome (reply);
    self->answers++;
    self->last_answer [replica] = now;
    s_recent_note (self, gavel_msg_request_id (request), reply);
    if (outcome == GAVEL_SUCCESS && gavel_engine_reply_number (reply, "amount") == amount) {
        if (self->success_count && amount <= self->successes [self->success_count - 1])
            s_failover_anomaly (self, request, reply, replica);
        s_successes_push (self, amount);
        if (self->kill_at && !self->first_success [replica])
            self->first_success [replica] = now;
        return;
    }
    char bidder [GAVEL_NAME_MAX + 1] = "";
    if (gavel_msg_records (reply))
        gavel_record_get (gavel_msg_record (reply, 0), "bidder", bidder, sizeof bidder);
    if (outcome == GAVEL_FAIL && streq (gavel_msg_reason (reply), "too-low")
    &&  gavel_engine_reply_number (reply, "highest") == amount && streq (bidder, self->bidder->name)) {
        self->own_too_low++;
        fprintf (stderr, "gavel-bench: bid #%" PRIu64 " of %" PRId64 " was applied twice: "
                 "replica %" PRIu64 " says too-low, the highest being that very bid\n",
                 gavel_msg_request_id (request), amount, gavel_engine_replica_id (self->engine, replica));
    }
    else
        s_failover_anomaly (self, request, reply, replica);
}

static void
s_failover_opened (gavel_failover_t *self, gavel_msg_t *reply)
{
    int64_t auction = gavel_engine_reply_number (reply, "auction");
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || auction < 1) {
        char text [512];
        gavel_engine_reply_text (reply, text, sizeof text);
        s_failover_error (self, "could not open an auction: %s", text);
        return;
    }
    self->bidder->auction = (uint64_t) auction;
    s_failover_phase (self, PHASE_BID);
}

static void
s_failover_result (gavel_failover_t *self, gavel_msg_t *reply)
{
    const char *record = gavel_msg_records (reply)? gavel_msg_record (reply, 0): "";
    int64_t highest = gavel_engine_record_number (record, "highest");
    if (highest < 0)
        highest = gavel_engine_record_number (record, "amount");       //  closed
    if (gavel_msg_outcome (reply) != GAVEL_SUCCESS || highest < 0) {
        char text [512];
        gavel_engine_reply_text (reply, text, sizeof text);
        s_failover_error (self, "the final RESULT did not succeed: %s", text);
        return;
    }
    if (gavel_record_get (record, "bidder", self->final_bidder, sizeof self->final_bidder))
        gavel_record_get (record, "winner", self->final_bidder, sizeof self->final_bidder);
    self->final_highest = highest;
    self->have_result = true;
    s_failover_phase (self, PHASE_END);
}

//  The bidder's next request: a bid one higher, or, once the trials are
//  done and this last bid is answered, the RESULT to check against.
static void
s_failover_next (gavel_failover_t *self)
{
    gavel_engine_client_t *bidder = self->bidder;
    if (self->phase == PHASE_DRAIN) {
        gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_RESULT);
        gavel_msg_set_auction (request, bidder->auction);
        gavel_engine_send (bidder, &request);
        s_failover_phase (self, PHASE_RESULT);
    }
    else {
        bidder->round++;
        gavel_engine_bid (bidder, bidder->round);
    }
}

static void
s_failover_answer (gavel_engine_client_t *client, gavel_msg_t *request, gavel_msg_t *reply,
                   size_t replica, int64_t latency)
{
    gavel_failover_t *self = (gavel_failover_t *) gavel_engine_arg (client->engine);
    switch (gavel_msg_id (request)) {
        case GAVEL_MSG_OPEN:
            s_failover_opened (self, reply);
            break;
        case GAVEL_MSG_BID:
            s_failover_bid_answer (self, request, reply, replica, zclock_usecs ());
            break;
        default:
            s_failover_result (self, reply);
            return;
    }
    if (!*self->error)
        s_failover_next (self);
}

//  gavel-local sits next to us in the build and install.
static int
s_local_program (char *path)
{
    char error [PATH_MAX + 256];
    if (gavel_child_beside_us ("gavel-local", NULL, "gavel-bench runs the gavel-local next to it",
                               path, error, sizeof error)) {
        fprintf (stderr, "gavel-bench: %s\n", error);
        return -1;
    }
    return 0;
}

//  A gavel-local command, its output kept for us to read
static gavel_child_t *
s_local_child (char *const argv [])
{
    gavel_child_t *child = gavel_child_new (argv);
    gavel_child_set_stdout (child, GAVEL_CHILD_PIPE);
    gavel_child_set_stderr (child, GAVEL_CHILD_PIPE);
    gavel_child_set_timeout (child, CHILD_TIMEOUT);
    gavel_child_set_exec_failure (child, "gavel-bench: cannot exec gavel-local");
    return child;
}

//  Run a gavel-local command to its end, waiting on nothing else (no
//  bidder runs). Goes on after Ctrl-C: the last command run is 'down',
//  which must finish. 0 when it succeeded.
static int
s_local_run (gavel_failover_t *self, char *const argv [])
{
    gavel_child_destroy (&self->child);
    self->child = s_local_child (argv);
    self->child_seen = true;
    if (gavel_child_start (self->child))
        return -1;
    return gavel_child_wait (self->child)? 0: -1;
}

static void
s_child_report (gavel_child_t *child)
{
    char why [64];
    gavel_child_failure (child, why, sizeof why);
    size_t size = gavel_child_output_size (child);
    const char *output = gavel_child_output (child);
    fprintf (stderr, "gavel-bench: '%s' failed (%s)%s\n%s", gavel_child_command (child), why,
             size? ":": "", output);
    if (size && output [size - 1] != '\n')
        fprintf (stderr, "\n");
}

//  gavel-local COMMAND ARG --dir DIR, in the background.
static void
s_failover_command (gavel_failover_t *self, const char *command, const char *arg)
{
    char *const argv [] = { self->program, (char *) command, (char *) arg,
                            "--dir", (char *) self->options->dir, NULL };
    gavel_child_destroy (&self->child);
    self->child = s_local_child (argv);
    self->child_seen = false;
    if (gavel_child_start (self->child)) {
        self->child_seen = true;
        s_failover_error (self, "cannot run gavel-local %s: %s", command,
                          gavel_child_output (self->child));
    }
}

static void
s_failover_kill (gavel_failover_t *self, int64_t now)
{
    gavel_engine_t *engine = self->engine;
    self->kill_at = now;
    self->answer_at_kill = 0;
    for (size_t replica = 0; replica < gavel_engine_replicas (engine); replica++) {
        self->first_success [replica] = 0;
        if (self->last_answer [replica] > self->answer_at_kill)
            self->answer_at_kill = self->last_answer [replica];
    }
    self->timeouts = gavel_engine_timeouts (engine);
    self->redirects = gavel_engine_redirects (engine);
    self->no_quorum = gavel_engine_no_quorum (engine);
    trial_t *trial = &self->trials [self->done];
    *trial = (trial_t) { .term_before = self->term, .term_after = -1 };
    s_failover_phase (self, PHASE_KILL);
    s_failover_command (self, "kill", "primary");
}

//  gavel-local kill says "replica N: killed pid P".
static void
s_failover_killed (gavel_failover_t *self)
{
    if (!gavel_child_succeeded (self->child)) {
        s_child_report (self->child);
        s_failover_error (self, "trial %zu: 'gavel-local kill primary' failed", self->done + 1);
        return;
    }
    unsigned long id = 0;
    const char *line = strstr (gavel_child_output (self->child), "replica ");
    int pid;
    if (!line || sscanf (line, "replica %lu: killed pid %d", &id, &pid) != 2
    ||  gavel_engine_replica_index (self->engine, id) < 0) {
        s_failover_error (self, "trial %zu: cannot tell from gavel-local which replica it "
                          "killed: %s", self->done + 1, gavel_child_output (self->child));
        return;
    }
    self->trials [self->done].killed = id;
}

//  Once we know which replica died: its successor's first success ends
//  the gap. Answers from the killed replica after kill_at came before the
//  signal (gavel-local asks STATUS around before it kills), so the kill
//  was no earlier than the last of them; and the first success after the
//  kill is the first one another replica served.
static void
s_failover_recovered (gavel_failover_t *self)
{
    gavel_engine_t *engine = self->engine;
    trial_t *trial = &self->trials [self->done];
    size_t killed = (size_t) gavel_engine_replica_index (engine, trial->killed);
    int successor = -1;
    for (size_t replica = 0; replica < gavel_engine_replicas (engine); replica++)
        if (replica != killed && self->first_success [replica]
        &&  (successor < 0 || self->first_success [replica] < self->first_success [successor]))
            successor = (int) replica;
    if (successor < 0)
        return;
    int64_t first = self->first_success [successor];
    int64_t old_last = self->last_answer [killed];
    int64_t killed_at = old_last > self->kill_at? old_last: self->kill_at;
    int64_t answered_at = old_last > self->answer_at_kill? old_last: self->answer_at_kill;
    trial->successor = gavel_engine_replica_id (engine, (size_t) successor);
    trial->gap_kill = first - killed_at;
    trial->gap_answer = first - answered_at;
    trial->timeouts = gavel_engine_timeouts (engine) - self->timeouts;
    trial->redirects = gavel_engine_redirects (engine) - self->redirects;
    trial->no_quorum = gavel_engine_no_quorum (engine) - self->no_quorum;
    char id [24];
    snprintf (id, sizeof id, "%" PRIu64, trial->killed);
    s_failover_phase (self, PHASE_RESTART);
    s_failover_command (self, "restart", id);
}

static void
s_catchup_round (gavel_failover_t *self, int64_t now)
{
    gavel_status_start_replicas (self->probes, self->config, STATUS_TIMEOUT);
    self->probing = true;
    self->next_round = now + (int64_t) CATCHUP_INTERVAL * 1000;
}

static void
s_gavel_failover_trial_done (gavel_failover_t *self, int64_t term)
{
    self->trials [self->done].term_after = term;
    self->term = term;
    self->done++;
    if (!self->options->json)
        fprintf (stderr, "trial %zu of %" PRIu64 ": killed replica %" PRIu64 ", replica %"
                 PRIu64 " took over, bidding stopped for %.1f ms\n", self->done,
                 self->options->trials, self->trials [self->done - 1].killed,
                 self->trials [self->done - 1].successor,
                 (double) self->trials [self->done - 1].gap_answer / 1000);
    s_failover_phase (self, self->done == self->options->trials? PHASE_DRAIN: PHASE_BID);
}

//  A STATUS round ended: the restarted replica has caught up once it is a
//  backup that has applied everything the primary had committed when we
//  first asked (it goes on advancing as we bid).
static void
s_catchup_check (gavel_failover_t *self)
{
    self->probing = false;
    int primary = gavel_status_primary (self->probes);
    if (primary >= 0 && self->catchup_commit < 0)
        self->catchup_commit = gavel_status_answer (self->probes, (size_t) primary)->commit;
    int killed = gavel_engine_replica_index (self->engine, self->trials [self->done].killed);
    const gavel_status_answer_t *restarted = gavel_status_answer (self->probes, (size_t) killed);
    if (primary >= 0 && self->catchup_commit >= 0 && streq (restarted->role, "backup")
    &&  restarted->applied >= self->catchup_commit)
        s_gavel_failover_trial_done (self, gavel_status_answer (self->probes, (size_t) primary)->term);
}

//  Move the trials on after a loop turn.
static void
s_failover_step (gavel_failover_t *self, int64_t now)
{
    trial_t *trial = &self->trials [self->done];
    bool child_done = self->child && !self->child_seen && !gavel_child_running (self->child);
    if (child_done)
        self->child_seen = true;    //  the next command may start
    switch (self->phase) {
        case PHASE_OPEN:
            if (now - self->phase_at > (int64_t) SETUP_TIMEOUT * 1000)
                s_failover_error (self, "could not open an auction within %d s", SETUP_TIMEOUT / 1000);
            break;
        case PHASE_BID:
            if (now - self->phase_at >= (int64_t) BID_TIME * 1000)
                s_failover_kill (self, now);
            break;
        case PHASE_KILL:
            if (child_done)
                s_failover_killed (self);
            if (trial->killed && !*self->error)
                s_failover_recovered (self);
            if (self->phase == PHASE_KILL && now - self->kill_at > (int64_t) RECOVER_TIMEOUT * 1000)
                s_failover_error (self, "trial %zu: no bid succeeded within %d s of the kill",
                                  self->done + 1, RECOVER_TIMEOUT / 1000);
            break;
        case PHASE_RESTART:
            if (child_done && !gavel_child_succeeded (self->child)) {
                s_child_report (self->child);
                s_failover_error (self, "trial %zu: could not restart replica %" PRIu64,
                                  self->done + 1, trial->killed);
            }
            else
            if (child_done) {
                s_failover_phase (self, PHASE_CATCHUP);
                self->catchup_commit = -1;
                s_catchup_round (self, now);
            }
            break;
        case PHASE_CATCHUP:
            if (self->probing && gavel_status_done (self->probes))
                s_catchup_check (self);
            if (self->phase == PHASE_CATCHUP && !self->probing && now >= self->next_round)
                s_catchup_round (self, now);
            if (self->phase == PHASE_CATCHUP && now - self->phase_at > (int64_t) CATCHUP_TIMEOUT * 1000)
                s_failover_error (self, "trial %zu: replica %" PRIu64 " did not catch up within "
                                  "%d s of its restart", self->done + 1, trial->killed,
                                  CATCHUP_TIMEOUT / 1000);
            break;
        case PHASE_DRAIN:
        case PHASE_RESULT:
            if (now - self->phase_at > (int64_t) DRAIN_TIMEOUT * 1000)
                s_failover_error (self, "no answer to the %s within %d s",
                                  self->phase == PHASE_DRAIN? "last bid": "final RESULT",
                                  DRAIN_TIMEOUT / 1000);
            break;
        case PHASE_END:
            break;
    }
}

//  When the phase wants the loop back: its timer, the child's, a probe's.
static int64_t
s_failover_wake (gavel_failover_t *self, int64_t now)
{
    int64_t wake = self->child? gavel_child_wake (self->child, now): INT64_MAX;
    int64_t timer = INT64_MAX;
    switch (self->phase) {
        case PHASE_BID:     timer = self->phase_at + (int64_t) BID_TIME * 1000; break;
        case PHASE_KILL:    timer = self->kill_at + (int64_t) RECOVER_TIMEOUT * 1000; break;
        case PHASE_CATCHUP: timer = self->probing? self->phase_at + (int64_t) CATCHUP_TIMEOUT * 1000
                                                 : self->next_round; break;
        default:            timer = self->phase_at + (int64_t) DRAIN_TIMEOUT * 1000; break;
    }
    if (timer < wake)
        wake = timer;
    if (self->probing && gavel_status_deadline (self->probes) < wake)
        wake = gavel_status_deadline (self->probes);
    return wake;
}

//  The loop: the bidder, the gavel-local child, the probes.
static void
s_failover_run (gavel_failover_t *self)
{
    while (!zsys_interrupted && !*self->error && self->phase != PHASE_END) {
        zmq_pollitem_t extras [GAVEL_CHILD_ITEMS + GAVEL_REPLICAS_MAX];
        size_t count = self->child? gavel_child_items (self->child, extras): 0;
        size_t child_items = count;
        if (self->probing)
            count += gavel_status_items (self->probes, extras + child_items);
        int64_t now = zclock_usecs ();
        gavel_engine_turn (self->engine, extras, count, s_failover_wake (self, now));
        now = zclock_usecs ();
        if (self->child)
            gavel_child_update (self->child, now);
        if (self->probing)
            gavel_status_handle (self->probes, extras + child_items, count - child_items, now);
        s_failover_step (self, now);
    }
}

static int
s_compare_gaps (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return a < b? -1: a > b;
}

typedef struct {
    double median;              //  ms, kill to first success
    double worst;
    double answer_median;       //  ms, last answer to first success
    double answer_worst;
    uint64_t lost;              //  successes above the final highest bid
    bool unacknowledged;        //  the final highest is no bid we got success for
    uint64_t doubled;
    bool checked;               //  the final RESULT came
} failover_figures_t;

static double
s_median (int64_t *values, size_t count)
{
    qsort (values, count, sizeof (int64_t), s_compare_gaps);
    if (count == 0)
        return 0;
    if (count % 2)
        return (double) values [count / 2];
    return (double) (values [count / 2 - 1] + values [count / 2]) / 2;
}

static void
s_failover_figures (gavel_failover_t *self, failover_figures_t *figures)
{
    *figures = (failover_figures_t) { 0 };
    if (self->done) {
        int64_t *gaps = (int64_t *) malloc (self->done * sizeof (int64_t));
        assert (gaps);
        for (size_t index = 0; index < self->done; index++)
            gaps [index] = self->trials [index].gap_kill;
        figures->median = s_median (gaps, self->done) / 1000;
        figures->worst = (double) gaps [self->done - 1] / 1000;
        for (size_t index = 0; index < self->done; index++)
            gaps [index] = self->trials [index].gap_answer;
        figures->answer_median = s_median (gaps, self->done) / 1000;
        figures->answer_worst = (double) gaps [self->done - 1] / 1000;
        free (gaps);
    }
    figures->doubled = self->own_too_low + self->conflicting;
    figures->checked = self->have_result;
    if (!self->have_result)
        return;
    for (size_t index = 0; index < self->success_count; index++)
        if (self->successes [index] > self->final_highest)
            figures->lost++;
    int64_t best = self->success_count? self->successes [self->success_count - 1]: 0;
    figures->unacknowledged = self->final_highest > best
        || (self->final_highest > 0 && !streq (self->final_bidder, self->bidder->name));
}

static void
s_gavel_failover_table (gavel_failover_t *self)
{
    printf ("trial  killed  took over  term     kill->success  last answer->success"
            "  time-outs  redirects  no-quorum\n");
    for (size_t index = 0; index < self->done; index++) {
        trial_t *trial = &self->trials [index];
        char term [48];
        if (trial->term_before >= 0 && trial->term_after >= 0)
            snprintf (term, sizeof term, "%" PRId64 "->%" PRId64, trial->term_before, trial->term_after);
        else
            snprintf (term, sizeof term, "?");
        printf ("%5zu  %6" PRIu64 "  %9" PRIu64 "  %-7s  %10.1f ms  %17.1f ms  %9" PRIu64
                "  %9" PRIu64 "  %9" PRIu64 "\n", index + 1, trial->killed, trial->successor,
                term, (double) trial->gap_kill / 1000, (double) trial->gap_answer / 1000,
                trial->timeouts, trial->redirects, trial->no_quorum);
    }
}

static void
s_gavel_failover_text (gavel_failover_t *self, failover_figures_t *figures)
{
    s_gavel_failover_table (self);
    printf ("\nkill->success: from the start of 'gavel-local kill primary' (or the old primary's\n"
            "  last answer, if later) to the first success another replica served.\n"
            "last answer->success: from the last answer before the kill to that success:\n"
            "  the pause the bidder saw. Attempts time out after %" PRId64 " ms.\n",
            self->options->timeout);
    printf ("bids: %" PRIu64 " answered, %zu success (amounts strictly increasing: %s)\n",
            self->answers, self->success_count, self->anomalies? "see above": "yes");
    if (figures->checked) {
        printf ("final RESULT: highest=%" PRId64 " bidder=%s; highest acknowledged: %" PRId64 "\n",
                self->final_highest, self->final_bidder,
                self->success_count? self->successes [self->success_count - 1]: 0);
        printf ("lost: %" PRIu64 " (bids answered success but above the final highest bid)%s\n",
                figures->lost, figures->unacknowledged
                ? "; and the final highest bid is not one answered success to us": "");
    }
    else
        printf ("lost: not checked (no final RESULT)\n");
    printf ("doubled: %" PRIu64 " (fail too-low naming the request's own amount as the highest,\n"
            "  i.e. a retry judged again after its first attempt was applied: %" PRIu64 ";\n"
            "  duplicate answers to one request that disagree: %" PRIu64 " of %" PRIu64 ")\n",
            figures->doubled, self->own_too_low, self->conflicting, self->duplicates);
    if (self->anomalies)
        printf ("unexpected answers: %" PRIu64 "\n", self->anomalies);
    printf ("failover: %zu trial%s, median %.0f ms, worst %.0f ms, lost %" PRIu64 ", doubled %"
            PRIu64 "%s\n", self->done, self->done == 1? "": "s", figures->median, figures->worst,
            figures->lost, figures->doubled, zsys_interrupted? " (interrupted)": "");
}

static void
s_failover_json (gavel_failover_t *self, failover_figures_t *figures)
{
    printf ("{\"mode\":\"failover\",\"replicas\":%zu,\"trials\":%zu,\"timeout_ms\":%" PRId64 ","
            "\"median_ms\":%.1f,\"worst_ms\":%.1f,\"answer_median_ms\":%.1f,\"answer_worst_ms\":%.1f,"
            "\"bids\":%" PRIu64 ",\"success\":%zu,", gavel_engine_replicas (self->engine), self->done,
            self->options->timeout, figures->median, figures->worst, figures->answer_median,
            figures->answer_worst, self->answers, self->success_count);
    if (figures->checked)
        printf ("\"final_highest\":%" PRId64 ",\"lost\":%" PRIu64 ",\"unacknowledged\":%s,",
                self->final_highest, figures->lost, figures->unacknowledged? "true": "false");
    else
        printf ("\"final_highest\":null,\"lost\":null,\"unacknowledged\":null,");
    printf ("\"doubled\":%" PRIu64 ",\"own_too_low\":%" PRIu64 ",\"conflicting\":%" PRIu64 ","
            "\"unexpected\":%" PRIu64 ",\"gaps_ms\":[", figures->doubled, self->own_too_low,
            self->conflicting, self->anomalies);
    for (size_t index = 0; index < self->done; index++)
        printf ("%s%.1f", index? ",": "", (double) self->trials [index].gap_kill / 1000);
    printf ("],\"interrupted\":%s", zsys_interrupted? "true": "false");
    if (*self->error) {
        printf (",\"error\":\"");
        for (const char *c = self->error; *c; c++)
            if (*c == '"' || *c == '\\')
                printf ("\\%c", *c);
            else
                putchar ((unsigned char) *c < 32? ' ': *c);
        printf ("\"");
    }
    printf ("}\n");
}

typedef struct {
    gavel_failover_t *failover;
    failover_figures_t *figures;
} failover_plot_t;

//  The failover timeline: per trial two bars side by side, kill->success
//  and last answer->success, and the median of kill->success as a line.
static void
s_failover_plot_draw (FILE *script, void *arg)
{
    gavel_failover_t *self = ((failover_plot_t *) arg)->failover;
    failover_figures_t *figures = ((failover_plot_t *) arg)->figures;
    fprintf (script, "$trials << EOD\n");
    for (size_t index = 0; index < self->done; index++)
        fprintf (script, "%zu %.3f %.3f\n", index + 1,
                 (double) self->trials [index].gap_kill / 1000,
                 (double) self->trials [index].gap_answer / 1000);
    fprintf (script, "EOD\n");
    char lost [32];
    if (figures->checked)
        snprintf (lost, sizeof lost, "%" PRIu64 "%s", figures->lost,
                  figures->unacknowledged? " (+ unacknowledged highest)": "");
    else
        snprintf (lost, sizeof lost, "not checked");
    fprintf (script, "set title \"gavel-bench failover: %zu trial%s, %zu replicas, attempts "
             "time out after %" PRId64 " ms\\nkill->success median %.0f ms, worst %.0f ms; "
             "lost %s, doubled %" PRIu64 "%s\"\n", self->done, self->done == 1? "": "s",
             gavel_engine_replicas (self->engine), self->options->timeout, figures->median, figures->worst,
             lost, figures->doubled, zsys_interrupted? " (interrupted)": "");
    fprintf (script, "set xlabel 'trial'\nset ylabel 'bidding stopped (ms)'\n"
             "set xrange [0.5:%zu.5]\nset yrange [0:*]\n", self->done);
    if (self->done <= 30)
        fprintf (script, "set xtics 1\n");
    fprintf (script, "set arrow from graph 0, first %.3f to graph 1, first %.3f nohead "
             "dt 2 lw 1.5 lc rgb '#cf222e' front\n", figures->median, figures->median);
    fprintf (script, "set key above horizontal\n"
             "plot $trials using ($1 - 0.17):2:(0.32) with boxes fs solid 0.7 noborder "
             "lc rgb '#0969da' title 'kill -> first success', "
             "$trials using ($1 + 0.17):3:(0.32) with boxes fs solid 0.7 noborder "
             "lc rgb '#bf8700' title 'last answer -> first success', "
             "NaN with lines dt 2 lw 1.5 lc rgb '#cf222e' title 'median %.0f ms'\n",
             figures->median);
}

static void
s_failover_plot (gavel_failover_t *self, failover_figures_t *figures)
{
    if (!self->options->plot)
        return;
    if (!self->done) {
        fprintf (stderr, "gavel-bench: --plot: no trial completed; no plot written\n");
        return;
    }
    failover_plot_t arg = { self, figures };
    gavel_plot_draw (self->options->plot, self->options->json, s_failover_plot_draw, &arg);
}

static int
s_failover_report (gavel_failover_t *self)
{
    failover_figures_t figures;
    s_failover_figures (self, &figures);
    if (self->options->json)
        s_failover_json (self, &figures);
    else
        s_gavel_failover_text (self, &figures);
    if (*self->error)
        fprintf (stderr, "gavel-bench: %s\n", self->error);
    s_failover_plot (self, &figures);
    if (figures.lost || figures.unacknowledged || figures.doubled || self->anomalies)
        return GAVEL_BENCH_EXIT_FAIL;
    if (zsys_interrupted)
        return GAVEL_BENCH_EXIT_INTERRUPTED;
    return *self->error? GAVEL_BENCH_EXIT_FAIL: GAVEL_BENCH_EXIT_OK;
}

//  Use the cluster in DIR, or start one there.
static int
s_failover_cluster (gavel_failover_t *self)
{
    const gavel_bench_options_t *options = self->options;
    if (snprintf (self->cluster, sizeof self->cluster, "%s/cluster.cfg", options->dir)
        >= (int) sizeof self->cluster) {
        fprintf (stderr, "gavel-bench: %s: the path is too long\n", options->dir);
        return -1;
    }
    if (access (self->cluster, F_OK) == 0)
        return 0;
    char count [24];
    snprintf (count, sizeof count, "%" PRIu64, options->replicas);
    char *const argv [] = { self->program, "up", count, "--dir", (char *) options->dir,
                            options->insecure? "--insecure": NULL, NULL };
    if (!options->json)
        fprintf (stderr, "gavel-bench: starting %s replicas in %s\n", count, options->dir);
    if (s_local_run (self, argv)) {
        s_child_report (self->child);
        //  up stops what it started when it fails; down tidies anyway
        self->started = true;
        return -1;
    }
    self->started = true;
    return 0;
}

static void
s_failover_down (gavel_failover_t *self)
{
    //  A command still running (Ctrl-C) must end before down
    if (self->child)
        gavel_child_wait (self->child);
    if (!self->started)
        return;
    char *const argv [] = { self->program, "down", "--dir", (char *) self->options->dir, NULL };
    if (s_local_run (self, argv))
        s_child_report (self->child);
    else
    if (!self->options->json)
        fprintf (stderr, "gavel-bench: stopped the cluster in %s\n", self->options->dir);
}

//  A cluster just started, or just failed over, may be mid-election: ask
//  again for a while, as long as some replica answers.
static int
s_wait_primary (gavel_config_t *config, gavel_status_t *status)
{
    int64_t deadline = zclock_usecs () + (int64_t) PRIMARY_WAIT * 1000;
    while (true) {
        gavel_status_start_replicas (status, config, STATUS_TIMEOUT);
        gavel_status_wait (status);
        int primary = gavel_status_primary (status);
        if (primary >= 0 || !gavel_status_any_answered (status) || zsys_interrupted
        ||  zclock_usecs () >= deadline)
            return primary;
        zclock_sleep (CATCHUP_INTERVAL);
    }
}

static void
s_no_primary (gavel_failover_t *self, gavel_status_t *status)
{
    const char *dir = self->options->dir;
    if (gavel_status_any_answered (status))
        fprintf (stderr, "gavel-bench: no replica of %s became primary within %d s "
                 "(gavel-local status --dir %s)\n", self->cluster, PRIMARY_WAIT / 1000, dir);
    else
        fprintf (stderr, "gavel-bench: the cluster in %s is not running (no replica answered "
                 "STATUS): start it with 'gavel-local up %" PRIu64 " --dir %s', or name a "
                 "directory without cluster.cfg and gavel-bench starts and stops one\n",
                 dir, self->options->replicas, dir);
}

//  Everything up to bidding: the cluster, its primary, our bidder. Returns
//  an exit status: GAVEL_BENCH_EXIT_OK when ready, _USAGE when the cluster
//  file or a key does not load, _FAIL when the rest cannot be had.
static int
s_failover_prepare (gavel_failover_t *self)
{
    if (s_local_program (self->program) || s_failover_cluster (self))
        return GAVEL_BENCH_EXIT_FAIL;
    self->config = gavel_engine_config_load (self->cluster, self->options->insecure);
    if (!self->config)
        return GAVEL_BENCH_EXIT_USAGE;
    size_t replicas = gavel_config_replicas (self->config);
    if (replicas < 3) {
        fprintf (stderr, "gavel-bench: %s has %zu replica%s: a failover needs at least 3\n",
                 self->cluster, replicas, replicas == 1? "": "s");
        return GAVEL_BENCH_EXIT_FAIL;
    }
    int primary = s_wait_primary (self->config, self->probes);
    if (primary < 0) {
        s_no_primary (self, self->probes);
        return GAVEL_BENCH_EXIT_FAIL;
    }
    self->term = gavel_status_answer (self->probes, (size_t) primary)->term;
    self->engine = gavel_engine_new (self->config, 1, self->options->timeout, "failover",
                                     s_failover_answer, s_failover_late, self,
                                     self->options->verbose);
    self->bidder = gavel_engine_client (self->engine, 0);
    gavel_engine_prefer (self->engine, (size_t) primary);
    return GAVEL_BENCH_EXIT_OK;
}

gavel_failover_t *
gavel_failover_new (const gavel_bench_options_t *options)
{
    gavel_failover_t *self = (gavel_failover_t *) zmalloc (sizeof (gavel_failover_t));
    assert (self);
    self->options = options;
    self->trials = (trial_t *) zmalloc (options->trials * sizeof (trial_t));
    assert (self->trials);
    self->probes = gavel_status_new ("gavel-bench");
    return self;
}

void
gavel_failover_destroy (gavel_failover_t **self_p)
{
    assert (self_p);
    gavel_failover_t *self = *self_p;
    if (!self)
        return;
    gavel_status_destroy (&self->probes);
    gavel_engine_destroy (&self->engine);
    gavel_child_destroy (&self->child);
    gavel_config_destroy (&self->config);
    free (self->successes);
    free (self->trials);
    free (self);
    *self_p = NULL;
}

int
gavel_failover_run (gavel_failover_t *self)
{
    int rc = GAVEL_BENCH_EXIT_FAIL;
    int prepared = s_failover_prepare (self);
    if (prepared == GAVEL_BENCH_EXIT_OK && !zsys_interrupted) {
        //  Each trial takes about 2 s: the auction outlives them all
        int64_t duration = ((int64_t) self->options->trials * 30 + 300) * 1000;
        gavel_engine_open (self->bidder, "gavel-failover", duration);
        s_failover_phase (self, PHASE_OPEN);
        s_failover_run (self);
        rc = s_failover_report (self);
    }
    else
        rc = zsys_interrupted? GAVEL_BENCH_EXIT_INTERRUPTED: prepared;
    gavel_status_destroy (&self->probes);
    gavel_engine_destroy (&self->engine);
    s_failover_down (self);
    return rc;
}

//  -------------------------------------------------------------------------
//  Self test: what answers tell (success, a doubled bid, a duplicate that
//  disagrees) and the figures at the end; no replica needed

static gavel_msg_t *
s_test_reply (uint64_t request_id, gavel_outcome_t outcome, const char *reason,
              const char *record)
{
    gavel_msg_t *reply = gavel_msg_new_reply (request_id, outcome, reason, NULL);
    if (record)
        gavel_msg_add_record (reply, "%s", record);
    return reply;
}

static gavel_msg_t *
s_test_bid (uint64_t request_id, int64_t amount)
{
    gavel_msg_t *request = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_request_id (request, request_id);
    gavel_msg_set_auction (request, 1);
    gavel_msg_set_amount (request, amount);
    return request;
}

void
gavel_failover_test (bool verbose)
{
    printf (" * gavel_failover: ");
    if (verbose)
        printf ("\n");
    int rc = sodium_init ();
    assert (rc >= 0);
    char error [256];
    gavel_config_t *config = gavel_config_parse (
        "replica\n"
        "    1\n        client = tcp://127.0.0.1:9\n        pub = tcp://127.0.0.1:19\n"
        "        ack = tcp://127.0.0.1:29\n        mesh = tcp://127.0.0.1:39\n"
        "    2\n        client = tcp://127.0.0.1:10\n        pub = tcp://127.0.0.1:20\n"
        "        ack = tcp://127.0.0.1:30\n        mesh = tcp://127.0.0.1:40\n"
        "    3\n        client = tcp://127.0.0.1:11\n        pub = tcp://127.0.0.1:21\n"
        "        ack = tcp://127.0.0.1:31\n        mesh = tcp://127.0.0.1:41\n",
        "test", error, sizeof error);
    if (!config)
        fprintf (stderr, "%s\n", error);
    assert (config);
    gavel_bench_options_t options = { .trials = 3, .timeout = 50, .json = true };
    gavel_failover_t *self = gavel_failover_new (&options);
    self->engine = gavel_engine_new (config, 1, options.timeout, "failover", s_failover_answer,
                                     s_failover_late, self, false);
    self->bidder = gavel_engine_client (self->engine, 0);

    //  Successes are remembered, in order
    char record [128];
    for (int64_t amount = 1; amount <= 3; amount++) {
        gavel_msg_t *request = s_test_bid ((uint64_t) amount, amount);
        snprintf (record, sizeof record, "auction=1 amount=%" PRId64, amount);
        gavel_msg_t *reply = s_test_reply ((uint64_t) amount, GAVEL_SUCCESS, NULL, record);
        s_failover_bid_answer (self, request, reply, 0, 1000 * amount);
        gavel_msg_destroy (&request);
        gavel_msg_destroy (&reply);
    }
    assert (self->success_count == 3 && self->successes [2] == 3 && self->answers == 3);
    assert (self->anomalies == 0 && self->own_too_low == 0);
    assert (self->last_answer [0] == 3000);

    //  A too-low naming this very bid as the highest: applied twice
    gavel_msg_t *request = s_test_bid (4, 4);
    snprintf (record, sizeof record, "auction=1 highest=4 bidder=%s", self->bidder->name);
    gavel_msg_t *reply = s_test_reply (4, GAVEL_FAIL, "too-low", record);
    s_failover_bid_answer (self, request, reply, 1, 4000);
    gavel_msg_destroy (&reply);
    assert (self->own_too_low == 1 && self->anomalies == 0);
    //  ... naming another bidder's: unexpected, not doubled
    reply = s_test_reply (4, GAVEL_FAIL, "too-low", "auction=1 highest=4 bidder=someone");
    s_failover_bid_answer (self, request, reply, 1, 4000);
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
    assert (self->own_too_low == 1 && self->anomalies == 1);

    //  A late duplicate of answer #2: the same again is fine, another is not
    reply = s_test_reply (2, GAVEL_SUCCESS, NULL, "auction=1 amount=2");
    s_failover_late (self->bidder, reply, 2);
    gavel_msg_destroy (&reply);
    assert (self->duplicates == 1 && self->conflicting == 0);
    reply = s_test_reply (2, GAVEL_FAIL, "too-low", "auction=1 highest=2 bidder=x");
    s_failover_late (self->bidder, reply, 2);
    gavel_msg_destroy (&reply);
    assert (self->duplicates == 2 && self->conflicting == 1);
    //  Redirects and no-quorum are no answers; an id never answered is
    //  not a duplicate
    reply = s_test_reply (2, GAVEL_EXCEPTION, "no-quorum", NULL);
    s_failover_late (self->bidder, reply, 2);
    gavel_msg_destroy (&reply);
    reply = s_test_reply (99, GAVEL_SUCCESS, NULL, "auction=1 amount=99");
    s_failover_late (self->bidder, reply, 2);
    gavel_msg_destroy (&reply);
    assert (self->duplicates == 2 && self->conflicting == 1);

    //  The figures: gaps' median and worst; a success above the final
    //  highest bid is lost
    int64_t gaps [3] = { 30000, 10000, 20000 };
    for (size_t index = 0; index < 3; index++)
        self->trials [index] = (trial_t) { .gap_kill = gaps [index],
                                           .gap_answer = gaps [index] / 2 };
    self->done = 3;
    self->have_result = true;
    self->final_highest = 2;
    snprintf (self->final_bidder, sizeof self->final_bidder, "%s", self->bidder->name);
    failover_figures_t figures;
    s_failover_figures (self, &figures);
    assert (figures.median == 20 && figures.worst == 30);
    assert (figures.answer_median == 10 && figures.answer_worst == 15);
    assert (figures.checked && figures.lost == 1 && !figures.unacknowledged);
    assert (figures.doubled == 2);      //  one own too-low, one conflicting
    //  All kept, but the final highest is nobody's we were told succeeded
    self->final_highest = 3;
    snprintf (self->final_bidder, sizeof self->final_bidder, "someone");
    s_failover_figures (self, &figures);
    assert (figures.lost == 0 && figures.unacknowledged);
    self->done = 2;             //  an even count: the mean of the middle two
    s_failover_figures (self, &figures);
    assert (figures.median == 20 && figures.worst == 30);

    gavel_failover_destroy (&self);
    assert (self == NULL);
    gavel_config_destroy (&config);
    printf ("OK\n");
}
