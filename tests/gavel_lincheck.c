/*  gavel-lincheck: is a recorded history of bidder requests linearizable?

    Bidders run with --history FILE append one line per OPEN, BID and RESULT
    when it completes (several bidders may share a file):

        INVOKE_US COMPLETE_US SESSION NAME OP AUCTION AMOUNT OUTCOME REASON RECORD...

    INVOKE_US and COMPLETE_US are zclock_usecs (), CLOCK_MONOTONIC, so lines
    from processes on one machine compare; they bracket the request, retries
    included. OP is open, bid or result (list lines are skipped). AUCTION is
    the id asked for (for open: the id in the reply, 0 when none). AMOUNT is
    the bid's amount, the reserve for open, 0 for result. OUTCOME is success,
    fail, exception or none (no answer after every retry; a final redirect
    counts the same); REASON a word or '-'; RECORD the reply's record as is,
    or '-'.

    The question: is there one total order of the operations that keeps real
    time (A before B when A completed before B was invoked) and is a run of
    the sequential model? Linearizability is compositional, so each auction
    is checked alone. Its model is (open or closed, highest, bidder) with the
    reserve its open gave. Closing is an operation of its own, the deadline:
    bids that succeed, fail too-low or below-reserve, and results that show
    the auction open come before it; results that show it closed and bids
    that fail closed come after it. When it happened is bounded by the
    replies: each closes_in=C (the open's, a successful bid's, an open
    result's) was computed at some instant of its operation's interval
    [invoke, complete], so the deadline passed between invoke + C ms and
    complete + C ms in the history's clock (C was rounded down to the ms:
    one more ms below). The deadline's interval is the intersection of
    those, widened each way by 10 ms (replicas on one host: each adds to the
    monotonic clock an offset read at start, a few ms off on a busy host)
    and by --skew-ms (clock faults: the bounded skew of docs/CORRECTNESS.md). Replies whose intervals do not
    meet are a violation by themselves; with none, the deadline may pass at
    any time, or never. A bid with no answer, or an exception other than
    the no-effect ones, may have taken effect at any point after its
    invocation, or never: it has no completion to wait for. An open is taken
    to come before everything that names its auction; across auctions, ids
    must follow the order of opens.

    The search is Wing & Gong's with Lowe's just-in-time linearization, as in
    Knossos and Porcupine: the calls and returns in time order form a linked
    list; the search tries, in turn, each call before the first return still
    in the list as the next operation, lifts it out when the model takes it,
    and backtracks on reaching a return. (Set of operations ordered, model
    state) pairs already seen are not searched again. Two facts of this
    model keep the search near linear, also when it must fail: an op that
    leaves the state as it is and fits now is ordered now, with no choice
    (s_forced), and bids that may never have happened stay out of the set
    (s_flip).

    Exit status: 0 when every auction is linearizable, 1 when one is not,
    2 for bad input or usage, 3 when the search gave up (too many states).
*/
#include <czmq.h>
#include <inttypes.h>
#include "gavel_cli.h"
#include "gavel_msg.h"
#include "gavel_text.h"

#define EXIT_VIOLATION  1
#define EXIT_BAD_INPUT  2
#define EXIT_GAVE_UP    3
#define MEMO_BYTES_MAX  (512LL << 20)   //  of remembered operation sets, per auction
#define REPORT_OPS_MAX  8               //  ops listed in each part of a report

//  How far a replica's clock may be off the history's on one host: its ms
//  clock is the monotonic one plus an offset read at start from two clocks,
//  which is a few ms off when the host is busy (test_linearizable showed
//  two replicas 3 ms apart)
#define CLOCK_SLACK_US  10000
#define SKEW_MS_MAX     3600000         //  an hour: beyond that nothing is checked

static const char *s_synopsis =
    "usage: gavel-lincheck [--skew-ms N] [--verbose] HISTORY...\n"
    "       gavel-lincheck --selftest [--verbose]\n";

static const char *s_about =
    "Checks histories written by bidder --history for linearizability,\n"
    "auction by auction.\n";

static const char *s_notes =
    "Exit status: 0 linearizable, 1 not, 2 bad input or usage error, 3 gave up.\n";

typedef enum { OP_OPEN, OP_BID, OP_RESULT, OP_DEADLINE } op_kind_t;

//  What an operation tells the model
typedef enum {
    SEEN_NOTHING,           //  no effect and nothing observed: left out
    SEEN_MAYBE,             //  a bid that took effect at some time, or never
    SEEN_SUCCESS,           //  a bid that took effect
    SEEN_TOO_LOW,           //  open, with the highest and bidder shown
    SEEN_BELOW_RESERVE,     //  open
    SEEN_OPEN,              //  a result: open, with the highest and bidder shown
    SEEN_CLOSED,            //  closed, with the winner and amount shown
    SEEN_DEADLINE           //  the auction's deadline passes: it closes
} seen_t;

typedef struct {
    char *text;             //  the line as read, for reports
    const char *file;
    size_t line;
    size_t seq;             //  order read, to break ties
    int64_t invoke;
    int64_t complete;
    op_kind_t kind;
    uint64_t auction;
    int64_t amount;         //  a bid's amount; an open's reserve
    int name;
    bool success;           //  the outcome was success
    bool unknown_auction;   //  the outcome was exception unknown-auction
    seen_t seen;
    int64_t shown_amount;   //  highest, amount or reserve in the reply
    int shown_name;         //  bidder or winner in the reply
    int64_t closes_in;      //  ms left, as the reply said; -1 when it did not
    const char *problem;    //  how the reply breaks the protocol, or NULL
} op_t;

typedef struct {
    op_t *ops;
    size_t count;
    size_t size;
    zhashx_t *name_index;   //  name -> index + 1
    char **names;
    size_t name_count;
    size_t name_size;
    int none;               //  what records show when nobody bid
} history_t;


//  --------------------------------------------------------------------------
//  History: lines in, operations out

static int
    s_intern (history_t *self, const char *name);

static history_t *
s_history_new (void)
{
    history_t *self = (history_t *) zmalloc (sizeof (history_t));
    assert (self);
    self->name_index = zhashx_new ();
    assert (self->name_index);
    self->none = s_intern (self, "none");
    return self;
}

static void
s_history_destroy (history_t **self_p)
{
    history_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        free (self->ops [index].text);
    for (size_t index = 0; index < self->name_count; index++)
        free (self->names [index]);
    free (self->ops);
    free (self->names);
    zhashx_destroy (&self->name_index);
    free (self);
    *self_p = NULL;
}

//  Names become small integers, so that model states compare cheaply.
static int
s_intern (history_t *self, const char *name)
{
    uintptr_t known = (uintptr_t) zhashx_lookup (self->name_index, name);
    if (known)
        return (int) known - 1;
    if (self->name_count == self->name_size) {
        self->name_size = self->name_size? self->name_size * 2: 16;
        self->names = (char **) realloc (self->names, self->name_size * sizeof (char *));
        assert (self->names);
    }
    self->names [self->name_count] = strdup (name);
    assert (self->names [self->name_count]);
    zhashx_insert (self->name_index, name, (void *) (uintptr_t) (self->name_count + 1));
    return (int) self->name_count++;
}

static const char *
s_name (history_t *self, int name)
{
    return self->names [name];
}

//  Cuts the next word off *cursor; words are separated by spaces or tabs.
static char *
s_next_word (char **cursor)
{
    char *word = *cursor + strspn (*cursor, " \t");
    size_t length = strcspn (word, " \t");
    *cursor = word + length;
    if (**cursor) {
        **cursor = '\0';
        (*cursor)++;
    }
    return length? word: NULL;
}

static int
s_record_amount (const char *record, const char *key, int64_t *amount)
{
    char text [32];
    const char *why;
    return gavel_record_get (record, key, text, sizeof (text)) == 0
        && gavel_text_parse_int (text, 0, INT64_MAX, amount, &why) == 0? 0: -1;
}

//  The interned name under key, or -1 when the record has no valid one.
static int
s_record_name (history_t *self, const char *record, const char *key)
{
    char text [GAVEL_NAME_MAX + 2];
    if (gavel_record_get (record, key, text, sizeof (text))
    ||  !gavel_text_valid_name (text))
        return -1;
    return s_intern (self, text);
}

//  Reads "AMOUNT_KEY=N NAME_KEY=W" from the record into the op.
static bool
s_record_shows (history_t *self, op_t *op, const char *record,
                const char *amount_key, const char *name_key)
{
    op->shown_name = s_record_name (self, record, name_key);
    return s_record_amount (record, amount_key, &op->shown_amount) == 0
        && op->shown_name >= 0;
}

//  Exceptions that say the request was not applied.
static bool
s_no_effect (const char *reason)
{
    return streq (reason, "malformed") || streq (reason, "unknown-command")
        || streq (reason, "unsupported-version") || streq (reason, "unknown-auction")
        || streq (reason, "stale-request");
}

static void
s_interpret_bid (history_t *self, op_t *op, bool success, const char *reason,
                 const char *record)
{
    if (success) {
        int64_t amount;
        op->seen = SEEN_SUCCESS;
        if (s_record_amount (record, "amount", &amount) || amount != op->amount)
            op->problem = "the record does not show the amount bid";
    }
    else
    if (streq (reason, "too-low")) {
        op->seen = SEEN_TOO_LOW;
        if (!s_record_shows (self, op, record, "highest", "bidder"))
            op->problem = "the record lacks highest= or bidder=";
        else
        if (op->amount > op->shown_amount)
            op->problem = "too-low, yet the amount is above the highest shown";
    }
    else
    if (streq (reason, "below-reserve")) {
        op->seen = SEEN_BELOW_RESERVE;
        if (s_record_amount (record, "reserve", &op->shown_amount))
            op->problem = "the record lacks reserve=";
        else
        if (op->amount >= op->shown_amount)
            op->problem = "below-reserve, yet the amount is not below the reserve shown";
    }
    else
    if (streq (reason, "closed")) {
        op->seen = SEEN_CLOSED;
        if (!s_record_shows (self, op, record, "amount", "winner"))
            op->problem = "the record lacks winner= or amount=";
    }
    else
        op->problem = "a fail reason the protocol does not have";
}

static void
s_interpret_result (history_t *self, op_t *op, bool success, const char *record)
{
    char state [16] = "";
    gavel_record_get (record, "state", state, sizeof (state));
    if (!success)
        op->problem = "RESULT cannot fail";
    else
    if (streq (state, "open")) {
        op->seen = SEEN_OPEN;
        if (!s_record_shows (self, op, record, "highest", "bidder"))
            op->problem = "the record lacks highest= or bidder=";
    }
    else
    if (streq (state, "closed")) {
        op->seen = SEEN_CLOSED;
        if (!s_record_shows (self, op, record, "amount", "winner"))
            op->problem = "the record lacks winner= or amount=";
    }
    else
        op->problem = "the record has no state=open or state=closed";
}

//  Works out what the reply says about the model.
static void
s_interpret (history_t *self, op_t *op, const char *outcome, const char *reason,
             const char *record)
{
    bool success = streq (outcome, "success");
    bool answered = success || streq (outcome, "fail");
    op->success = success;
    op->unknown_auction = streq (outcome, "exception")
                       && streq (reason, "unknown-auction");
    //  Only these replies say how long the auction has left: an open's, a
    //  successful bid's, an open result's. A closes_in that does not parse
    //  bounds nothing (it was the replica's to give, so it is no violation)
    if (success && s_record_amount (record, "closes_in", &op->closes_in))
        op->closes_in = -1;
    if (op->kind == OP_OPEN)
        return;
    if (!answered) {
        //  Reads change nothing, whether or not they were done
        bool definite = streq (outcome, "exception") && s_no_effect (reason);
        if (op->kind == OP_BID && !definite)
            op->seen = SEEN_MAYBE;
        return;
    }
    char auction [32], expected [32];
    snprintf (expected, sizeof (expected), "%" PRIu64, op->auction);
    if (gavel_record_get (record, "auction", auction, sizeof (auction))
    ||  !streq (auction, expected))
        op->problem = "the record does not name the auction asked for";
    else
    if (op->kind == OP_BID)
        s_interpret_bid (self, op, success, reason, record);
    else
        s_interpret_result (self, op, success, record);
}

static int
s_parse_time (const char *text, int64_t *time, char *error, size_t error_size,
              const char *field)
{
    const char *why = "is not valid";
    if (gavel_text_parse_int (text, 0, INT64_MAX, time, &why) == 0)
        return 0;
    snprintf (error, error_size, "%s '%.30s' %s", field, text, why);
    return -1;
}

//  Checks the nine words before the record; fills op.
static int
s_parse_words (history_t *self, char **words, op_t *op, char *error, size_t size)
{
    uint64_t auction;
    const char *why = "is not valid";
    if (s_parse_time (words [0], &op->invoke, error, size, "invoke time")
    ||  s_parse_time (words [1], &op->complete, error, size, "complete time"))
        return -1;
    if (op->complete < op->invoke)
        snprintf (error, size, "completes before it is invoked");
    else
    if (!gavel_text_valid_session (words [2]))
        snprintf (error, size, "session '%.70s' is not valid", words [2]);
    else
    if (!gavel_text_valid_name (words [3]))
        snprintf (error, size, "name '%.40s' is not valid", words [3]);
    else
    if (gavel_text_parse_uint (words [5], 0, UINT64_MAX, &auction, &why))
        snprintf (error, size, "auction '%.30s' %s", words [5], why);
    else
    if (gavel_text_parse_int (words [6], 0, INT64_MAX, &op->amount, &why))
        snprintf (error, size, "amount '%.30s' %s", words [6], why);
    else
    if (!streq (words [7], "success") && !streq (words [7], "fail")
    &&  !streq (words [7], "exception") && !streq (words [7], "none")
    &&  !streq (words [7], "redirect"))
        snprintf (error, size, "outcome '%.30s' is not success, fail, exception or none",
                  words [7]);
    else
    if ((streq (words [4], "bid") || streq (words [4], "result")) && auction == 0)
        snprintf (error, size, "auction 0 in a %s", words [4]);
    else {
        op->auction = auction;
        op->name = s_intern (self, words [3]);
        return 0;
    }
    return -1;
}

static void
s_history_append (history_t *self, op_t *op, const char *text)
{
    op->text = strdup (text);
    assert (op->text);
    op->text [strcspn (op->text, "\r\n")] = '\0';
    if (self->count == self->size) {
        self->size = self->size? self->size * 2: 256;
        self->ops = (op_t *) realloc (self->ops, self->size * sizeof (op_t));
        assert (self->ops);
    }
    self->ops [self->count++] = *op;
}

//  Adds one history line (without its newline). Returns 0, or -1 with what
//  is wrong in error. Blank lines, comments and list lines are skipped.
static int
s_history_add (history_t *self, const char *text, const char *file,
               size_t line, char *error, size_t error_size)
{
    if (!text [strspn (text, " \t")] || text [strspn (text, " \t")] == '#')
        return 0;
    char *copy = strdup (text);
    assert (copy);
    char *cursor = copy;
    char *words [9];
    size_t count = 0;
    while (count < 9 && (words [count] = s_next_word (&cursor)))
        count++;
    char *record = cursor + strspn (cursor, " \t");
    record [strcspn (record, "\r")] = '\0';
    op_t op = { .file = file, .line = line, .seq = self->count, .closes_in = -1 };
    int rc = -1;
    if (count < 9 || !*record)
        snprintf (error, error_size, "%zu fields, expected INVOKE_US COMPLETE_US "
                  "SESSION NAME OP AUCTION AMOUNT OUTCOME REASON RECORD...",
                  count + (*record? 1: 0));
    else
    if (!streq (words [4], "open") && !streq (words [4], "bid")
    &&  !streq (words [4], "result") && !streq (words [4], "list"))
        snprintf (error, error_size, "op '%.30s' is not open, bid or result", words [4]);
    else
    if (s_parse_words (self, words, &op, error, error_size) == 0)
        rc = 0;
    if (rc == 0 && !streq (words [4], "list")) {
        op.kind = streq (words [4], "open")? OP_OPEN:
                  streq (words [4], "bid")? OP_BID: OP_RESULT;
        s_interpret (self, &op, words [7], streq (words [8], "-")? "": words [8],
                     streq (record, "-")? "": record);
        s_history_append (self, &op, text);
    }
    free (copy);
    return rc;
}

//  Returns 0, or -1 after saying what is wrong on stderr.
static int
s_history_load (history_t *self, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "gavel-lincheck: cannot open %s: %s\n", path, strerror (errno));
        return -1;
    }
    char *text = NULL;
    size_t size = 0;
    size_t line = 0;
    int rc = 0;
    while (rc == 0 && getline (&text, &size, file) != -1) {
        char error [256];
        text [strcspn (text, "\n")] = '\0';
        rc = s_history_add (self, text, path, ++line, error, sizeof (error));
        if (rc)
            fprintf (stderr, "%s:%zu: %s\n", path, line, error);
    }
    if (rc == 0 && ferror (file)) {
        fprintf (stderr, "gavel-lincheck: cannot read %s: %s\n", path, strerror (errno));
        rc = -1;
    }
    free (text);
    fclose (file);
    return rc;
}


//  --------------------------------------------------------------------------
//  Search: one auction's operations against the model

typedef struct {
    int64_t highest;
    int bidder;
    bool closed;
} state_t;

typedef struct {
    int prev;
    int next;
} link_t;

typedef struct {
    uint64_t hash;
    state_t state;
    uint32_t next;              //  chain in the bucket; 0 ends it
} memo_entry_t;

typedef struct {
    op_t **ops;                 //  the auction's operations in the search
    size_t count;
    int64_t reserve;
    state_t initial;
    //  Calls and returns in time order: the call of op i is node i, its
    //  return node count + i, the list head node 2 * count
    link_t *links;
    int head;
    size_t pending;             //  ops with a return still in the list
    //  The ops ordered so far, as a stack, a bit set and its Zobrist hash
    int *order;
    state_t *before;            //  the state before each op in order
    bool *forced;               //  whether each op in order came with no choice
    size_t depth;
    uint64_t *done;
    size_t words;
    uint64_t *keys;
    uint64_t done_hash;
    //  Every (done, state) searched already
    uint32_t *buckets;
    size_t bucket_count;
    memo_entry_t *memo;
    uint64_t *memo_done;
    size_t memo_count;
    size_t memo_size;
    //  The attempt that got furthest in time, for the report
    int best_stuck;             //  whose completion it could not reach
    size_t best_depth;
    int *best_order;
    state_t best_state;
    int best_next [REPORT_OPS_MAX];
    size_t best_next_count;
} search_t;

static uint64_t
s_mix (uint64_t value)
{
    value ^= value >> 30;
    value *= 0xbf58476d1ce4e5b9ULL;
    value ^= value >> 27;
    value *= 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

//  An op that may have taken effect any time after its invocation has no
//  completion that it must be ordered before.
static bool
s_has_return (op_t *op)
{
    //  A deadline that no reply bounds from above may never have passed
    return op->seen != SEEN_MAYBE && op->complete != INT64_MAX;
}

typedef struct {
    int64_t time;
    int node;
} event_t;

static int
s_compare_events (const void *a, const void *b)
{
    const event_t *left = (const event_t *) a, *right = (const event_t *) b;
    //  At equal times calls (the lower nodes) go first: the ops overlap
    if (left->time != right->time)
        return left->time < right->time? -1: 1;
    return left->node - right->node;
}

static void
s_search_link (search_t *self)
{
    event_t *events = (event_t *) malloc ((2 * self->count + 1) * sizeof (event_t));
    assert (events);
    size_t count = 0;
    for (size_t index = 0; index < self->count; index++) {
        events [count++] = (event_t) { self->ops [index]->invoke, (int) index };
        if (s_has_return (self->ops [index])) {
            events [count++] = (event_t) { self->ops [index]->complete,
                                           (int) (self->count + index) };
            self->pending++;
        }
    }
    qsort (events, count, sizeof (event_t), s_compare_events);
    int prev = self->head;
    for (size_t index = 0; index < count; index++) {
        self->links [prev].next = events [index].node;
        self->links [events [index].node].prev = prev;
        prev = events [index].node;
    }
    self->links [prev].next = -1;
    free (events);
}

static search_t *
s_search_new (op_t **ops, size_t count, int64_t reserve, int none)
{
    search_t *self = (search_t *) zmalloc (sizeof (search_t));
    assert (self);
    self->ops = ops;
    self->count = count;
    self->reserve = reserve;
    self->initial = (state_t) { .highest = 0, .bidder = none, .closed = false };
    self->links = (link_t *) calloc (2 * count + 1, sizeof (link_t));
    self->head = (int) (2 * count);
    self->order = (int *) calloc (count + 1, sizeof (int));
    self->best_order = (int *) calloc (count + 1, sizeof (int));
    self->before = (state_t *) calloc (count + 1, sizeof (state_t));
    self->forced = (bool *) calloc (count + 1, sizeof (bool));
    self->words = count / 64 + 1;
    self->done = (uint64_t *) calloc (self->words, sizeof (uint64_t));
    self->keys = (uint64_t *) calloc (count + 1, sizeof (uint64_t));
    self->bucket_count = 1024;
    self->buckets = (uint32_t *) calloc (self->bucket_count, sizeof (uint32_t));
    assert (self->links && self->order && self->best_order && self->before && self->forced
         && self->done && self->keys && self->buckets);
    for (size_t index = 0; index < count; index++)
        self->keys [index] = s_mix (index + 0x9e3779b97f4a7c15ULL);
    self->best_stuck = -1;
    s_search_link (self);
    return self;
}

static void
s_search_destroy (search_t **self_p)
{
    search_t *self = *self_p;
    free (self->links);
    free (self->order);
    free (self->best_order);
    free (self->before);
    free (self->forced);
    free (self->done);
    free (self->keys);
    free (self->buckets);
    free (self->memo);
    free (self->memo_done);
    free (self);
    *self_p = NULL;
}

static bool
s_shows (op_t *op, const state_t *state)
{
    return op->shown_amount == state->highest && op->shown_name == state->bidder;
}

//  Applies op to state when the model allows it there.
static bool
s_step (search_t *self, op_t *op, state_t *state)
{
    switch (op->seen) {
        case SEEN_SUCCESS:
        case SEEN_MAYBE:
            if (state->closed || op->amount < self->reserve
            ||  op->amount <= state->highest)
                return false;
            state->highest = op->amount;
            state->bidder = op->name;
            return true;
        case SEEN_TOO_LOW:
            return !state->closed && op->amount >= self->reserve
                && op->amount <= state->highest && s_shows (op, state);
        case SEEN_BELOW_RESERVE:
            return !state->closed && op->amount < self->reserve;
        case SEEN_OPEN:
            return !state->closed && s_shows (op, state);
        case SEEN_CLOSED:
            return state->closed && s_shows (op, state);
        case SEEN_DEADLINE:
            if (state->closed)
                return false;
            state->closed = true;
            return true;
        case SEEN_NOTHING:
            break;
    }
    assert (false);
    return false;
}

static uint64_t
s_memo_hash (search_t *self, const state_t *state)
{
    return s_mix (self->done_hash ^ s_mix ((uint64_t) state->highest)
                  ^ ((uint64_t) state->bidder << 1 | state->closed));
}

static void
s_memo_rehash (search_t *self)
{
    free (self->buckets);
    self->bucket_count *= 2;
    self->buckets = (uint32_t *) calloc (self->bucket_count, sizeof (uint32_t));
    assert (self->buckets);
    for (size_t entry = 1; entry < self->memo_count; entry++) {
        size_t bucket = self->memo [entry].hash & (self->bucket_count - 1);
        self->memo [entry].next = self->buckets [bucket];
        self->buckets [bucket] = (uint32_t) entry;
    }
}

//  Remembers (done, state). Returns 1 when new, 0 when searched already,
//  -1 when the memory allowed is used up.
static int
s_memo_add (search_t *self, const state_t *state)
{
    uint64_t hash = s_memo_hash (self, state);
    size_t bucket = hash & (self->bucket_count - 1);
    for (uint32_t entry = self->buckets [bucket]; entry; entry = self->memo [entry].next) {
        memo_entry_t *seen = &self->memo [entry];
        if (seen->hash == hash && seen->state.highest == state->highest
        &&  seen->state.bidder == state->bidder && seen->state.closed == state->closed
        &&  memcmp (self->memo_done + entry * self->words, self->done,
                    self->words * sizeof (uint64_t)) == 0)
            return 0;
    }
    if (self->memo_count == 0)
        self->memo_count = 1;           //  entry 0 ends chains
    if (self->memo_count >= self->memo_size) {
        size_t size = self->memo_size? self->memo_size * 2: 1024;
        if ((long long) (size * self->words * sizeof (uint64_t)) > MEMO_BYTES_MAX)
            return -1;
        self->memo = (memo_entry_t *) realloc (self->memo, size * sizeof (memo_entry_t));
        self->memo_done = (uint64_t *) realloc (self->memo_done,
                                                size * self->words * sizeof (uint64_t));
        assert (self->memo && self->memo_done);
        self->memo_size = size;
    }
    size_t entry = self->memo_count++;
    self->memo [entry] = (memo_entry_t) { .hash = hash, .state = *state,
                                          .next = self->buckets [bucket] };
    memcpy (self->memo_done + entry * self->words, self->done,
            self->words * sizeof (uint64_t));
    self->buckets [bucket] = (uint32_t) entry;
    if (self->memo_count > self->bucket_count)
        s_memo_rehash (self);
    return 1;
}

//  Bids that may never have happened stay out of the set: one applied is
//  dead from then on (the highest is at least its amount and never falls),
//  and so is one not applied in the same state, so the two pairs have the
//  same future. Keeping them in would split the search at every such bid.
//  Entry 0 of the memo only ends chains.
static size_t
s_memo_states (search_t *self)
{
    return self->memo_count? self->memo_count - 1: 0;
}

static void
s_flip (search_t *self, int op)
{
    if (s_has_return (self->ops [op])) {
        self->done [op / 64] ^= 1ULL << (op % 64);
        self->done_hash ^= self->keys [op];
    }
}

//  Takes op's call and return out of the list, or puts them back; putting
//  back must undo the takings in reverse order (dancing links).
static void
s_lift (search_t *self, int op)
{
    int nodes [2] = { op, (int) self->count + op };
    for (int index = 0; index < (s_has_return (self->ops [op])? 2: 1); index++) {
        link_t *link = &self->links [nodes [index]];
        self->links [link->prev].next = link->next;
        if (link->next >= 0)
            self->links [link->next].prev = link->prev;
    }
}

static void
s_unlift (search_t *self, int op)
{
    int nodes [2] = { (int) self->count + op, op };
    for (int index = s_has_return (self->ops [op])? 0: 1; index < 2; index++) {
        link_t *link = &self->links [nodes [index]];
        self->links [link->prev].next = nodes [index];
        if (link->next >= 0)
            self->links [link->next].prev = nodes [index];
    }
}

//  Keeps the attempt that reached furthest in time: stuck at a later
//  return, or at the same one with more ops ordered. Bids that may never
//  have happened and cannot happen now are left out of what it lists.
static void
s_note_stuck (search_t *self, int node, const state_t *state)
{
    int stuck = node - (int) self->count;
    if (self->best_stuck >= 0) {
        int64_t best = self->ops [self->best_stuck]->complete;
        int64_t time = self->ops [stuck]->complete;
        if (time < best || (time == best && self->depth <= self->best_depth))
            return;
    }
    self->best_stuck = stuck;
    self->best_depth = self->depth;
    self->best_state = *state;
    memcpy (self->best_order, self->order, self->depth * sizeof (int));
    self->best_next_count = 0;
    for (int next = self->links [self->head].next;
         next != node && self->best_next_count < REPORT_OPS_MAX;
         next = self->links [next].next) {
        state_t after = *state;
        if (next < (int) self->count && (self->ops [next]->seen != SEEN_MAYBE
        ||  s_step (self, self->ops [next], &after)))
            self->best_next [self->best_next_count++] = next;
    }
}

//  An op that may come next and leaves the state as it is (a read, a
//  refused bid) can be ordered right now with no loss: in any order that
//  takes it later, moving it here changes what no other op sees and breaks
//  no real-time edge, since nothing still unordered completed before its
//  invocation. So it needs no choice; this prunes most of the search.
static int
s_forced (search_t *self, const state_t *state)
{
    for (int node = self->links [self->head].next;
         node >= 0 && node < (int) self->count; node = self->links [node].next) {
        op_t *op = self->ops [node];
        state_t after = *state;
        bool keeps = op->seen == SEEN_TOO_LOW || op->seen == SEEN_BELOW_RESERVE
                  || op->seen == SEEN_OPEN || (op->seen == SEEN_CLOSED && state->closed);
        if (keeps && s_step (self, op, &after))
            return node;
    }
    return -1;
}

//  Orders op next if the model takes it and this (ops ordered, state) is
//  new. Returns 1 when done, 0 when not, -1 when the memory allowed is used up.
static int
s_push (search_t *self, int op, state_t *state, bool forced)
{
    state_t next = *state;
    if (!s_step (self, self->ops [op], &next))
        return 0;
    s_flip (self, op);
    int added = s_memo_add (self, &next);
    if (added <= 0) {
        s_flip (self, op);
        return added;
    }
    self->before [self->depth] = *state;
    self->forced [self->depth] = forced;
    self->order [self->depth++] = op;
    *state = next;
    s_lift (self, op);
    self->pending -= s_has_return (self->ops [op]);
    return 1;
}

//  Undoes the ops ordered back to the last real choice. Returns the node to
//  try next instead of it, or -1 when no choice is left.
static int
s_backtrack (search_t *self, state_t *state)
{
    while (self->depth > 0) {
        int op = self->order [--self->depth];
        *state = self->before [self->depth];
        s_flip (self, op);
        s_unlift (self, op);
        self->pending += s_has_return (self->ops [op]);
        if (!self->forced [self->depth])
            return self->links [op].next;
    }
    return -1;
}

//  Returns 1 when the ops have a linearization, 0 when not, -1 when the
//  search gave up. A (done, state) pair in the memo has been searched in
//  full without success, so meeting it again is a dead end.
static int
s_search_run (search_t *self)
{
    state_t state = self->initial;
    int node = -1;
    bool fresh = true;          //  at a pair not yet searched for forced ops
    while (self->pending > 0) {
        int forced = fresh? s_forced (self, &state): -1;
        int pushed = 0;
        if (forced >= 0)
            pushed = s_push (self, forced, &state, true);
        else {
            if (fresh)
                node = self->links [self->head].next;
            //  With a return left in the list, the walk meets it before the end
            assert (node >= 0);
            if (node < (int) self->count) {
                pushed = s_push (self, node, &state, false);
                if (pushed == 0) {
                    node = self->links [node].next;
                    fresh = false;
                    continue;
                }
            }
            else
                //  An op completed before we could order it
                s_note_stuck (self, node, &state);
        }
        if (pushed < 0)
            return -1;
        fresh = pushed > 0;
        if (!fresh && (node = s_backtrack (self, &state)) < 0)
            return 0;
    }
    return 1;
}


//  --------------------------------------------------------------------------
//  Checking and reporting

typedef struct {
    history_t *history;
    FILE *out;                  //  NULL: quiet
    bool verbose;
    int64_t skew_us;            //  --skew-ms, in us
    size_t auctions;
    size_t failed;
    size_t gave_up;
} checker_t;

static void
s_say (checker_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_say (checker_t *self, const char *format, ...)
{
    if (!self->out)
        return;
    va_list args;
    va_start (args, format);
    vfprintf (self->out, format, args);
    va_end (args);
}

static void
s_say_op (checker_t *self, op_t *op, const char *note)
{
    if (op->kind == OP_DEADLINE)
        s_say (self, "    %s\n", op->text);
    else
        s_say (self, "    %s:%zu: %s\n", op->file, op->line, op->text);
    if (note)
        s_say (self, "      %s\n", note);
}

static void
s_say_state (checker_t *self, const char *prefix, const state_t *state, int64_t reserve)
{
    s_say (self, "%s%s highest=%" PRId64 " bidder=%s reserve=%" PRId64 "\n",
           prefix, state->closed? "closed": "open", state->highest,
           s_name (self->history, state->bidder), reserve);
}

//  Why the model does not take op in state, for people.
static void
s_why (checker_t *self, search_t *search, op_t *op, const state_t *state,
       char *why, size_t size)
{
    state_t next = *state;
    const char *bidder = s_name (self->history, state->bidder);
    if (s_step (search, op, &next))
        snprintf (why, size, "fits here, but no order of the rest does");
    else
    if (state->closed && op->seen != SEEN_CLOSED)
        snprintf (why, size, "the auction is closed by now");
    else
    if (!state->closed && op->seen == SEEN_CLOSED)
        snprintf (why, size, "the deadline has not passed yet in this order");
    else
    if (op->seen == SEEN_CLOSED || op->seen == SEEN_OPEN || op->seen == SEEN_TOO_LOW)
        snprintf (why, size, "the reply shows %" PRId64 " by %s; the model has %"
                  PRId64 " by %s", op->shown_amount, s_name (self->history, op->shown_name),
                  state->highest, bidder);
    else
    if (op->amount < search->reserve)
        snprintf (why, size, "%" PRId64 " is below the reserve %" PRId64,
                  op->amount, search->reserve);
    else
    if (op->seen == SEEN_BELOW_RESERVE)
        snprintf (why, size, "%" PRId64 " is not below the reserve %" PRId64,
                  op->amount, search->reserve);
    else
        snprintf (why, size, "%" PRId64 " is not above the highest, %" PRId64 " by %s",
                  op->amount, state->highest, bidder);
}

static void
s_report_search (checker_t *self, search_t *search)
{
    //  A search fails only after meeting a return it could not pass
    assert (search->best_stuck >= 0);
    op_t *stuck = search->ops [search->best_stuck];
    size_t invoked = 0;
    for (size_t index = 0; index < search->count; index++)
        invoked += search->ops [index]->invoke <= stuck->complete;
    s_say (self, "  the history up to %" PRId64 " us, where this op completes, "
           "has no linearization (%zu ops invoked by then):\n", stuck->complete, invoked);
    s_say_op (self, stuck, NULL);
    s_say (self, "  the best order found takes %zu ops, ", search->best_depth);
    s_say_state (self, "leaving the model ", &search->best_state, search->reserve);
    size_t first = search->best_depth > REPORT_OPS_MAX?
                   search->best_depth - REPORT_OPS_MAX: 0;
    if (search->best_depth)
        s_say (self, "  its last ones:\n");
    for (size_t index = first; index < search->best_depth; index++)
        s_say_op (self, search->ops [search->best_order [index]], NULL);
    s_say (self, "  none of these could come next:\n");
    for (size_t index = 0; index < search->best_next_count; index++) {
        char why [256];
        op_t *op = search->ops [search->best_next [index]];
        s_why (self, search, op, &search->best_state, why, sizeof (why));
        s_say_op (self, op, why);
    }
}

//  Violations that need no search. Returns how many it found.
static size_t
s_check_plain (checker_t *self, op_t **ops, size_t count, op_t *open, int64_t reserve)
{
    size_t found = 0;
    for (size_t index = 0; index < count; index++) {
        op_t *op = ops [index];
        char note [160] = "";
        if (op->problem)
            snprintf (note, sizeof (note), "%s", op->problem);
        else
        if (op->seen == SEEN_BELOW_RESERVE && op->shown_amount != reserve)
            snprintf (note, sizeof (note), "shows reserve %" PRId64 "; the auction's is %"
                      PRId64, op->shown_amount, reserve);
        else
        if (open && op->unknown_auction && open->complete < op->invoke)
            snprintf (note, sizeof (note), "unknown-auction, after its open completed at %"
                      PRId64, open->complete);
        else
        if (open && op->seen != SEEN_NOTHING && op->seen != SEEN_MAYBE
        &&  op->complete < open->invoke)
            snprintf (note, sizeof (note), "completed before its open was invoked at %"
                      PRId64, open->invoke);
        if (*note) {
            if (found++ == 0)
                s_say (self, "  replies that no order can explain:\n");
            s_say_op (self, op, note);
        }
    }
    return found;
}

static int64_t
s_add_saturated (int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow (a, b, &sum))
        return b > 0? INT64_MAX: INT64_MIN;
    return sum;
}

//  When the auction's deadline passed, in the history's clock: each reply
//  with closes_in=C was computed at an instant t of its interval, with the
//  replica's ms clock rounded down, so the deadline passed in (t + (C-1) ms,
//  t + C ms]. Fills deadline with the intersection of those, widened by the
//  clocks' slack. Returns false, after saying which replies disagree, when
//  they do not meet: no instant fits them all.
static bool
s_deadline (checker_t *self, op_t **ops, size_t count, op_t *deadline,
            char *text, size_t size)
{
    int64_t slack = CLOCK_SLACK_US + self->skew_us;
    int64_t earliest = INT64_MIN, latest = INT64_MAX;
    op_t *after = NULL, *before = NULL;
    for (size_t index = 0; index < count; index++) {
        op_t *op = ops [index];
        //  Beyond 30 years a deadline bounds nothing a history can show
        if (op->closes_in < 0 || op->closes_in > 1000000000000LL || op->problem)
            continue;
        int64_t low = op->closes_in > 0
                    ? s_add_saturated (op->invoke, (op->closes_in - 1) * 1000 - slack)
                    : INT64_MIN;    //  an open left no time: only "by now"
        int64_t high = s_add_saturated (op->complete, op->closes_in * 1000 + slack);
        if (low > earliest) {
            earliest = low;
            after = op;
        }
        if (high < latest) {
            latest = high;
            before = op;
        }
    }
    bool agree = earliest <= latest;
    if (!agree) {
        s_say (self, "  replies that disagree on when the deadline passed "
               "(%" PRId64 " ms of clock skew allowed):\n", self->skew_us / 1000);
        char note [128];
        snprintf (note, sizeof note, "puts it after %" PRId64 " us", earliest);
        s_say_op (self, after, note);
        snprintf (note, sizeof note, "puts it before %" PRId64 " us", latest);
        s_say_op (self, before, note);
        //  The search still checks the rest, with a deadline free to fall anywhere
        earliest = INT64_MIN;
        latest = INT64_MAX;
    }
    if (earliest < 0)
        earliest = 0;           //  before every op: times are not negative
    *deadline = (op_t) { .text = text, .kind = OP_DEADLINE, .seen = SEEN_DEADLINE,
                         .auction = ops [0]->auction, .invoke = earliest,
                         .complete = latest, .closes_in = -1, .shown_name = -1 };
    if (latest == INT64_MAX)
        snprintf (text, size, "(the deadline: at %" PRId64 " us or later, or not yet%s)",
                  earliest, agree? "": ", as the replies disagree");
    else
        snprintf (text, size, "(the deadline: between %" PRId64 " and %" PRId64
                  " us, from the closes_in of %s:%zu and %s:%zu)", earliest, latest,
                  after? after->file: "-", after? after->line: 0,
                  before->file, before->line);
    return agree;
}

//  Without its open in the history, the reserve is what below-reserve
//  fails show, if any: nothing else reveals it.
static int64_t
s_reserve (op_t **ops, size_t count, op_t *open)
{
    if (open)
        return open->amount;
    for (size_t index = 0; index < count; index++)
        if (ops [index]->seen == SEEN_BELOW_RESERVE && !ops [index]->problem)
            return ops [index]->shown_amount;
    return 0;
}

//  Returns the auction's open, if the history has it, and fills model with
//  the ops the search takes: those that tell something and break no rule.
static op_t *
s_auction_ops (op_t **ops, size_t count, op_t **model, size_t *model_count)
{
    op_t *open = NULL;
    *model_count = 0;
    for (size_t index = 0; index < count; index++) {
        if (ops [index]->kind == OP_OPEN && !open)
            open = ops [index];
        if (ops [index]->seen != SEEN_NOTHING && !ops [index]->problem)
            model [(*model_count)++] = ops [index];
    }
    return open;
}

static void
s_check_auction (checker_t *self, op_t **ops, size_t count, bool bad_open)
{
    int64_t started = zclock_usecs ();
    op_t **model = (op_t **) malloc ((count + 1) * sizeof (op_t *));
    assert (model);
    size_t model_count;
    op_t *open = s_auction_ops (ops, count, model, &model_count);
    int64_t reserve = s_reserve (ops, count, open);

    //  The verdict comes first, so the details wait in a buffer
    char *details = NULL;
    size_t details_size = 0;
    FILE *out = self->out;
    if (out)
        self->out = open_memstream (&details, &details_size);
    size_t plain = s_check_plain (self, ops, count, open, reserve);
    op_t deadline;
    char deadline_text [256];
    if (!s_deadline (self, ops, count, &deadline, deadline_text, sizeof deadline_text))
        plain++;
    model [model_count++] = &deadline;
    if (self->verbose)
        s_say (self, "  %s\n", deadline_text);
    search_t *search = s_search_new (model, model_count, reserve, self->history->none);
    int linearizable = s_search_run (search);
    if (linearizable == 0)
        s_report_search (self, search);
    if (linearizable < 0)
        s_say (self, "  the search gave up after %zu states\n", s_memo_states (search));
    if (self->verbose)
        s_say (self, "  (%zu ops searched, %zu states, %.1f ms)\n", model_count,
               s_memo_states (search), (zclock_usecs () - started) / 1000.0);
    if (out)
        fclose (self->out);
    self->out = out;

    bool failed = plain || bad_open || linearizable == 0;
    self->failed += failed;
    self->gave_up += !failed && linearizable < 0;
    s_say (self, "auction %" PRIu64 ": %zu ops %s\n%s", ops [0]->auction, count,
           failed? "NOT linearizable": linearizable < 0? "undecided": "linearizable",
           details? details: "");
    free (details);
    s_search_destroy (&search);
    free (model);
}

static int
s_compare_ops (const void *a, const void *b)
{
    const op_t *left = *(op_t * const *) a, *right = *(op_t * const *) b;
    if (left->auction != right->auction)
        return left->auction < right->auction? -1: 1;
    if (left->invoke != right->invoke)
        return left->invoke < right->invoke? -1: 1;
    return left->seq < right->seq? -1: left->seq > right->seq;
}

//  Opens, checked across auctions: ids are given in the order opens are
//  applied, so an open that completed before another was invoked must have
//  the lower id, and no two opens get one id. Marks the opens that break
//  this in bad; ops is sorted by auction id.
static void
s_check_opens (checker_t *self, op_t **ops, size_t count, bool *bad)
{
    op_t *above = NULL;             //  the open of the next higher id
    op_t *earliest = NULL;          //  the open of a higher id that completed first
    for (size_t index = count; index-- > 0;) {
        op_t *op = ops [index];
        if (op->kind != OP_OPEN)
            continue;
        op_t *other = NULL;
        if (above && above->auction == op->auction) {
            other = above;
            s_say (self, "opens NOT linearizable: two got auction id %" PRIu64 ":\n",
                   op->auction);
        }
        else
        if (earliest && earliest->complete < op->invoke) {
            other = earliest;
            s_say (self, "opens NOT linearizable: one completed before another was "
                   "invoked, yet got the higher id:\n");
        }
        if (other) {
            s_say_op (self, other, NULL);
            s_say_op (self, op, NULL);
            bad [index] = true;
        }
        above = op;
        if (!earliest || op->complete < earliest->complete)
            earliest = op;
    }
}

//  Returns the exit status.
static int
s_check (history_t *history, FILE *out, bool verbose, int64_t skew_ms)
{
    checker_t self = { .history = history, .out = out, .verbose = verbose,
                       .skew_us = skew_ms * 1000 };
    int64_t started = zclock_usecs ();
    op_t **ops = (op_t **) malloc ((history->count + 1) * sizeof (op_t *));
    bool *bad = (bool *) calloc (history->count + 1, sizeof (bool));
    assert (ops && bad);
    size_t count = 0;
    for (size_t index = 0; index < history->count; index++) {
        op_t *op = &history->ops [index];
        //  An open that failed or went unanswered names no auction
        if (op->kind != OP_OPEN || (op->success && op->auction))
            ops [count++] = op;
    }
    qsort (ops, count, sizeof (op_t *), s_compare_ops);
    s_check_opens (&self, ops, count, bad);
    for (size_t first = 0, last; first < count; first = last) {
        bool bad_open = false;
        for (last = first; last < count && ops [last]->auction == ops [first]->auction; last++)
            bad_open |= bad [last];
        self.auctions++;
        s_check_auction (&self, ops + first, last - first, bad_open);
    }
    s_say (&self, "lincheck: %zu ops, %zu auctions: ", history->count, self.auctions);
    if (self.failed)
        s_say (&self, "%zu NOT linearizable", self.failed);
    else
    if (self.gave_up)
        s_say (&self, "%zu undecided (search too large)", self.gave_up);
    else
        s_say (&self, "all linearizable");
    s_say (&self, " (%.2f s)\n", (zclock_usecs () - started) / 1e6);
    free (ops);
    free (bad);
    return self.failed? EXIT_VIOLATION:
           self.gave_up? EXIT_GAVE_UP: EXIT_SUCCESS;
}


//  --------------------------------------------------------------------------
//  Self test

//  The cases of s_test_cases but the deadline ones happen within a few us,
//  well inside the clocks' slack of their deadline, which may therefore
//  pass at any point: they test the rest of the model
#define OPEN_1  "0 1 s0 carol open 1 100 success - auction=1 closes_in=1"

//  Checks the lines as one history; returns the exit status.
static int
s_check_lines_skewed (const char **lines, bool verbose, int64_t skew_ms)
{
    history_t *history = s_history_new ();
    for (size_t index = 0; lines [index]; index++) {
        char error [256];
        int rc = s_history_add (history, lines [index], "selftest", index + 1,
                                error, sizeof (error));
        if (rc)
            fprintf (stderr, "selftest:%zu: %s\n", index + 1, error);
        assert (rc == 0);
    }
    int status = s_check (history, verbose? stdout: NULL, verbose, skew_ms);
    s_history_destroy (&history);
    return status;
}

static int
s_check_lines (const char **lines, bool verbose)
{
    return s_check_lines_skewed (lines, verbose, 0);
}

static void
s_test_parse (bool verbose)
{
    history_t *history = s_history_new ();
    char error [256];
    const char *bad [] = {
        "10 20 s1 alice bid 1 150 success -",
        "10 x s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "20 10 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice bid 0 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice buy 1 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice bid 1 150 maybe - -",
        "10 20 s1 al/ce bid 1 150 success - -",
        "10 20 s1 alice bid 1 -5 success - -",
        NULL
    };
    for (size_t index = 0; bad [index]; index++) {
        assert (s_history_add (history, bad [index], "t", 1, error, sizeof (error)) == -1);
        if (verbose)
            printf ("  bad line %zu: %s\n", index + 1, error);
    }
    assert (history->count == 0);
    assert (s_history_add (history, "", "t", 1, error, sizeof (error)) == 0);
    assert (s_history_add (history, "# a comment", "t", 1, error, sizeof (error)) == 0);
    assert (s_history_add (history, "1 2 s1 alice list 0 0 success - -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->count == 0);
    assert (s_history_add (history, "1 2 s1 alice bid 3 7 fail too-low auction=3 highest=9 "
                           "bidder=bob", "t", 1, error, sizeof (error)) == 0);
    op_t *op = &history->ops [0];
    assert (op->seen == SEEN_TOO_LOW && op->shown_amount == 9 && op->auction == 3);
    assert (streq (s_name (history, op->shown_name), "bob") && !op->problem);
    assert (s_history_add (history, "1 2 s1 alice bid 3 7 exception no-quorum -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->ops [1].seen == SEEN_MAYBE);
    assert (s_history_add (history, "1 2 s1 alice bid 3 7 exception stale-request -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->ops [2].seen == SEEN_NOTHING);
    s_history_destroy (&history);
}

static void
s_test_cases (bool verbose)
{
    //  A sequential history: every kind of reply, in order
    const char *sequential [] = {
        OPEN_1,
        "5 6 s3 dave result 1 0 success - auction=1 state=open highest=0 bidder=none closes_in=1",
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "21 22 s1 alice list 0 0 success - auction=1 item=vase state=open",
        "30 40 s2 bob bid 1 140 fail too-low auction=1 highest=150 bidder=alice",
        "50 60 s2 bob bid 1 50 fail below-reserve auction=1 reserve=100",
        "61 62 s2 bob bid 1 50 exception malformed -",
        "63 64 s2 bob bid 9 50 exception unknown-auction -",
        "70 80 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "90 100 s1 alice result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "110 120 s1 alice bid 1 300 fail closed auction=1 winner=bob amount=200",
        "130 140 s2 bob result 1 0 success - auction=1 state=closed winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (sequential, verbose) == EXIT_SUCCESS);

    //  Overlapping bids that only fit in an order other than invocation's:
    //  alice's 150 before dave's too-low at 150, both before bob's 200
    const char *concurrent [] = {
        OPEN_1,
        "10 60 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "15 55 s3 dave bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        "20 50 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "70 80 s1 alice result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        NULL
    };
    assert (s_check_lines (concurrent, verbose) == EXIT_SUCCESS);

    //  A stale read: the too-low shows 150 after the 200 completed
    const char *stale [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "50 60 s3 dave bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (stale, verbose) == EXIT_VIOLATION);

    //  Reads that go back: one saw 200, a later one 150
    const char *backwards [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 100 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "40 50 s3 dave result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "60 70 s4 erin result 1 0 success - auction=1 state=open highest=150 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (backwards, verbose) == EXIT_VIOLATION);

    //  Two successes, the later one lower
    const char *lower [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 200 success - auction=1 amount=200 closes_in=1",
        "30 40 s2 bob bid 1 150 success - auction=1 amount=150 closes_in=1",
        NULL
    };
    assert (s_check_lines (lower, verbose) == EXIT_VIOLATION);

    //  A lost success: 200 completed, a later result shows 150
    const char *lost [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=150 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (lost, verbose) == EXIT_VIOLATION);

    //  Unanswered bids: bob's explains the first result, erin's took effect
    //  only after her client gave up, between the two results
    const char *maybe [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 none no-answer -",
        "31 41 s5 erin bid 1 300 exception no-quorum -",
        "32 42 s6 fred bid 1 400 none no-answer -",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "70 80 s3 dave result 1 0 success - auction=1 state=open highest=300 bidder=erin closes_in=1",
        NULL
    };
    assert (s_check_lines (maybe, verbose) == EXIT_SUCCESS);

    //  A result nothing explains, even with an unanswered bid around
    const char *unexplained [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 none no-answer -",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=250 bidder=bob closes_in=1",
        NULL
    };
    assert (s_check_lines (unexplained, verbose) == EXIT_VIOLATION);

    //  Closed, then a success
    const char *reopened [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 fail closed auction=1 winner=none amount=0",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        NULL
    };
    assert (s_check_lines (reopened, verbose) == EXIT_VIOLATION);

    //  A close overlapping a success is fine either way round
    const char *closing [] = {
        OPEN_1,
        "10 40 s1 alice bid 1 150 fail closed auction=1 winner=bob amount=200",
        "20 30 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        NULL
    };
    assert (s_check_lines (closing, verbose) == EXIT_SUCCESS);

    //  The auction forgotten after it was opened
    const char *forgotten [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 exception unknown-auction -",
        NULL
    };
    assert (s_check_lines (forgotten, verbose) == EXIT_VIOLATION);

    //  A success showing another amount than was bid
    const char *misreported [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=160 closes_in=1",
        NULL
    };
    assert (s_check_lines (misreported, verbose) == EXIT_VIOLATION);

    //  Auctions are independent; ids follow the order of opens
    const char *two [] = {
        OPEN_1,
        "2 3 s0 carol open 2 0 success - auction=2 closes_in=1",
        "10 20 s1 alice bid 2 50 success - auction=2 amount=50 closes_in=1",
        "10 20 s2 bob bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s1 alice result 2 0 success - auction=2 state=open highest=50 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (two, verbose) == EXIT_SUCCESS);
    const char *swapped [] = {
        "0 1 s0 carol open 2 0 success - auction=2 closes_in=60000",
        "2 3 s0 carol open 1 0 success - auction=1 closes_in=60000",
        NULL
    };
    assert (s_check_lines (swapped, verbose) == EXIT_VIOLATION);
}

//  The deadline as an operation of its own. Times are in us; the open says
//  1000 ms are left, so the deadline passes between 989,000 and 1,012,000 us
//  (999,000..1,002,000 with 1 ms of rounding, and 10 ms of slack each way).
#define OPEN_D  "0 2000 s0 carol open 1 100 success - auction=1 closes_in=1000"

static void
s_test_deadlines (bool verbose)
{
    //  Issue 12, finding 1, one second later (times may not be negative): a
    //  bid stamped 79 ms before the deadline commits after a result said
    //  closed, and becomes the winner. The bid must come before the
    //  deadline, the first result after it, showing the bid: no order fits.
    const char *changed_winner [] = {
        "0 2000 s0 carol open 9 100 success - auction=9 closes_in=1100",
        "500000 510000 s2 w2 bid 9 3122 success - auction=9 amount=3122 closes_in=600",
        "1000000 1250200 s1 w1 bid 9 3153 success - auction=9 amount=3153 closes_in=79",
        "985400 1136400 s3 r1 result 9 0 success - auction=9 state=closed winner=w2 amount=3122",
        "1159000 1253100 s3 r1 result 9 0 success - auction=9 state=closed winner=w1 amount=3153",
        NULL
    };
    assert (s_check_lines (changed_winner, verbose) == EXIT_VIOLATION);

    //  Around the deadline, as it should be: a success that overlaps it, a
    //  result just before it, then closed reads and a closed fail showing
    //  the final winner
    const char *around [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "990000 1010000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=5",
        "995000 999000 s3 dave result 1 0 success - auction=1 state=open highest=150 "
            "bidder=alice closes_in=4",
        "996000 1003000 s4 erin bid 1 300 fail closed auction=1 winner=bob amount=200",
        "1020000 1030000 s3 dave result 1 0 success - auction=1 state=closed winner=bob amount=200",
        "1040000 1050000 s4 erin bid 1 300 fail closed auction=1 winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (around, verbose) == EXIT_SUCCESS);

    //  Closed half a second before the deadline could have passed
    const char *closed_early [] = {
        OPEN_D,
        "500000 510000 s1 alice bid 1 150 fail closed auction=1 winner=none amount=0",
        NULL
    };
    assert (s_check_lines (closed_early, verbose) == EXIT_VIOLATION);
    const char *read_closed_early [] = {
        OPEN_D,
        "500000 510000 s1 alice result 1 0 success - auction=1 state=closed winner=none amount=0",
        NULL
    };
    assert (s_check_lines (read_closed_early, verbose) == EXIT_VIOLATION);

    //  A bid sent 88 ms after the latest the deadline could pass fails
    //  too-low: it should have failed closed. The model without a deadline
    //  of its own took it (nothing said closed, so it never closed). With
    //  100 ms of clock skew allowed, the deadline may be that late.
    const char *too_low_late [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "1100000 1110000 s2 bob bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (too_low_late, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (too_low_late, verbose, 100) == EXIT_SUCCESS);
    assert (s_check_lines_skewed (too_low_late, verbose, 80) == EXIT_VIOLATION);

    //  So is a result that says open then
    const char *open_late [] = {
        OPEN_D,
        "1100000 1110000 s2 bob result 1 0 success - auction=1 state=open highest=0 "
            "bidder=none closes_in=1",
        NULL
    };
    assert (s_check_lines (open_late, verbose) == EXIT_VIOLATION);

    //  And a bid that succeeds after the deadline, whatever closes_in says:
    //  here the open and the bid put the deadline in intervals that do not meet
    const char *success_late [] = {
        OPEN_D,
        "1100000 1110000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=50",
        NULL
    };
    assert (s_check_lines (success_late, verbose) == EXIT_VIOLATION);

    //  Near the deadline: a too-low invoked 1 ms after the latest the
    //  deadline could pass, and a closed fail answered 1 ms before the
    //  earliest. Neither fits; with 2 ms of skew allowed, both do.
    const char *too_low_just_late [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "1013000 1014000 s2 bob bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (too_low_just_late, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (too_low_just_late, verbose, 2) == EXIT_SUCCESS);
    const char *closed_just_early [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "900000 988000 s2 bob bid 1 120 fail closed auction=1 winner=alice amount=150",
        NULL
    };
    assert (s_check_lines (closed_just_early, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (closed_just_early, verbose, 2) == EXIT_SUCCESS);

    //  A too-low answered across the deadline, showing the state before a
    //  success that overlaps it, and a closed read after: erin's bid, bob's,
    //  the deadline, dave's read
    const char *too_low_across [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "990000 1010000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=5",
        "1000000 1008000 s4 erin bid 1 140 fail too-low auction=1 highest=150 bidder=alice",
        "1005000 1006000 s3 dave result 1 0 success - auction=1 state=closed winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (too_low_across, verbose) == EXIT_SUCCESS);
}

//  A random linearizable history: each op takes effect at a random point
//  of its interval, and replies are what the model says at that point.
typedef struct {
    int64_t invoke;
    int64_t complete;
    int64_t effect;
    int client;
    int kind;                   //  0 bid, 1 result, 2 unanswered bid
    int64_t amount;
} gen_op_t;

static int
s_compare_effect (const void *a, const void *b)
{
    const gen_op_t *left = (const gen_op_t *) a, *right = (const gen_op_t *) b;
    return left->effect < right->effect? -1: left->effect > right->effect;
}

static void
s_generate (history_t *history, size_t count, int clients, unsigned seed)
{
    gen_op_t *ops = (gen_op_t *) calloc (count, sizeof (gen_op_t));
    assert (ops);
    int64_t clock [16] = { 0 };
    assert (clients <= 16);
    srandom (seed);
    for (size_t index = 0; index < count; index++) {
        gen_op_t *op = &ops [index];
        op->client = (int) (random () % clients);
        op->invoke = clock [op->client] + 1000 * (10 + random () % 30);
        op->complete = op->invoke + 1000 + random () % 150000;
        op->effect = op->invoke + random () % (op->complete - op->invoke + 1);
        clock [op->client] = op->complete;
        int dice = (int) (random () % 100);
        op->kind = dice < 60? 0: dice < 95? 1: 2;
        op->amount = 80 + op->invoke / 8000 + random () % 60;
    }
    qsort (ops, count, sizeof (gen_op_t), s_compare_effect);
    //  The deadline, and the ms left at an instant, rounded down as a
    //  replica's ms clock does (so rounded up here)
    int64_t close_at = ops [count - 1].effect * 95 / 100;
#define CLOSES_IN(at) ((close_at - (at) + 999) / 1000)
    int64_t highest = 0;
    char bidder [16] = "none";
    char error [256];
    char *opened = zsys_sprintf ("0 1 s0 carol open 1 100 success - auction=1 closes_in=%"
                               PRId64, CLOSES_IN (0));
    assert (opened);
    assert (s_history_add (history, opened, "generated", 0, error, sizeof (error)) == 0);
    free (opened);
    for (size_t index = 0; index < count; index++) {
        gen_op_t *op = &ops [index];
        bool open = op->effect < close_at;
        char reply [128];
        if (op->kind == 1 && open)
            snprintf (reply, sizeof (reply), "success - auction=1 state=open highest=%"
                      PRId64 " bidder=%s closes_in=%" PRId64, highest, bidder,
                      CLOSES_IN (op->effect));
        else
        if (op->kind == 1)
            snprintf (reply, sizeof (reply), "success - auction=1 state=closed winner=%s "
                      "amount=%" PRId64, bidder, highest);
        else
        if (!open)
            snprintf (reply, sizeof (reply), "fail closed auction=1 winner=%s amount=%"
                      PRId64, bidder, highest);
        else
        if (op->amount < 100)
            snprintf (reply, sizeof (reply), "fail below-reserve auction=1 reserve=100");
        else
        if (op->amount <= highest)
            snprintf (reply, sizeof (reply), "fail too-low auction=1 highest=%" PRId64
                      " bidder=%s", highest, bidder);
        else {
            snprintf (reply, sizeof (reply), "success - auction=1 amount=%" PRId64
                      " closes_in=%" PRId64, op->amount, CLOSES_IN (op->effect));
            //  Half the unanswered bids never reached the replica
            if (op->kind == 0 || random () % 2) {
                highest = op->amount;
                snprintf (bidder, sizeof (bidder), "bidder%d", op->client);
            }
        }
        if (op->kind == 2)
            snprintf (reply, sizeof (reply), "none no-answer -");
        char *line = zsys_sprintf ("%" PRId64 " %" PRId64 " s%d bidder%d %s 1 %" PRId64 " %s",
                                   op->invoke, op->complete, op->client, op->client,
                                   op->kind == 1? "result": "bid",
                                   op->kind == 1? 0: op->amount, reply);
        assert (line);
        assert (s_history_add (history, line, "generated", index + 1,
                               error, sizeof (error)) == 0);
        free (line);
    }
    free (ops);
#undef CLOSES_IN
}

static const char *
s_verdict (int status)
{
    return status == EXIT_SUCCESS? "linearizable":
           status == EXIT_VIOLATION? "not linearizable": "undecided";
}

//  Random valid histories must pass, fast; each with one read made stale
//  half way through must fail, also fast, since that means searching the
//  whole first half.
static void
s_test_random (bool verbose)
{
    int64_t valid_time = 0, stale_time = 0, late_time = 0;
    for (unsigned seed = 1; seed <= 4; seed++) {
        history_t *history = s_history_new ();
        s_generate (history, 3000, 8, seed);
        int64_t started = zclock_usecs ();
        int status = s_check (history, verbose? stdout: NULL, verbose, 0);
        valid_time += zclock_usecs () - started;
        if (status != EXIT_SUCCESS)
            printf ("lincheck selftest: seed %u: valid history %s\n", seed, s_verdict (status));
        assert (status == EXIT_SUCCESS);

        for (size_t index = history->count / 2; index < history->count; index++) {
            op_t *op = &history->ops [index];
            if (op->seen == SEEN_OPEN && op->shown_amount > 0) {
                op->shown_amount--;
                break;
            }
        }
        started = zclock_usecs ();
        status = s_check (history, verbose? stdout: NULL, verbose, 0);
        stale_time += zclock_usecs () - started;
        if (status != EXIT_VIOLATION)
            printf ("lincheck selftest: seed %u: stale history %s\n", seed, s_verdict (status));
        assert (status == EXIT_VIOLATION);
        s_history_destroy (&history);

        //  The last bid, which failed closed long after the deadline,
        //  answered too-low with the final state instead: it cannot come
        //  before the deadline, so the whole history must be searched
        history = s_history_new ();
        s_generate (history, 3000, 8, seed);
        for (size_t index = history->count; index-- > 0;) {
            op_t *op = &history->ops [index];
            if (op->kind == OP_BID && op->seen == SEEN_CLOSED) {
                op->seen = SEEN_TOO_LOW;
                op->amount = op->shown_amount;
                break;
            }
        }
        started = zclock_usecs ();
        status = s_check (history, verbose? stdout: NULL, verbose, 0);
        late_time += zclock_usecs () - started;
        if (status != EXIT_VIOLATION)
            printf ("lincheck selftest: seed %u: late history %s\n", seed, s_verdict (status));
        assert (status == EXIT_VIOLATION);
        s_history_destroy (&history);
    }
    printf ("lincheck selftest: 4 random histories of 3000 ops, 8 clients: "
            "linearizable in %.2f s; with a stale read: not, in %.2f s; with a too-low "
            "after the deadline: not, in %.2f s\n",
            valid_time / 1e6, stale_time / 1e6, late_time / 1e6);
    //  A generous bound: slow machines and sanitizers
    assert (valid_time + stale_time + late_time < 10 * 1000 * 1000);
}

static void
s_selftest (bool verbose)
{
    s_test_parse (verbose);
    s_test_cases (verbose);
    s_test_deadlines (verbose);
    s_test_random (verbose);
    printf ("lincheck selftest: OK\n");
}


//  --------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    bool verbose = false, selftest = false;
    int64_t skew_ms = 0;
    gavel_cli_list_t files = { .count = 0 };
    const gavel_cli_option_t options [] = {
        { "skew-ms", 0, GAVEL_CLI_INT, &skew_ms, "N", 0, SKEW_MS_MAX,
          "replicas' clocks may differ from the history's by N ms:\n"
          "each deadline may move by that much (default 0)" },
        { "selftest", 0, GAVEL_CLI_FLAG, &selftest, NULL, 0, 0, "check the checker" },
        { "verbose", 'v', GAVEL_CLI_FLAG, &verbose, NULL, 0, 0, "say how each auction was checked" },
        { NULL }
    };
    const gavel_cli_spec_t spec = { "gavel-lincheck", s_synopsis, s_about, s_notes, options, &files };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? EXIT_SUCCESS: EXIT_BAD_INPUT;
    if (selftest) {
        s_selftest (verbose);
        return EXIT_SUCCESS;
    }
    if (files.count == 0) {
        gavel_cli_usage_error ("gavel-lincheck", s_synopsis, "no history given");
        return EXIT_BAD_INPUT;
    }
    history_t *history = s_history_new ();
    int status = EXIT_SUCCESS;
    for (size_t index = 0; index < files.count && status == EXIT_SUCCESS; index++)
        if (s_history_load (history, files.items [index]))
            status = EXIT_BAD_INPUT;
    if (status == EXIT_SUCCESS)
        status = s_check (history, stdout, verbose, skew_ms);
    s_history_destroy (&history);
    return status;
}
