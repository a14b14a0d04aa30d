/*  lincheck_check: a history checked auction by auction, and reported.
*/
#include "lincheck_check.h"
#include "lincheck_history.h"
#include "lincheck_search.h"
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
           lincheck_history_name (self->history, state->bidder), reserve);
}

//  Why the model does not take op in state, for people.
static void
s_why (checker_t *self, search_t *search, op_t *op, const state_t *state,
       char *why, size_t size)
{
    state_t next = *state;
    const char *bidder = lincheck_history_name (self->history, state->bidder);
    if (lincheck_search_step (search, op, &next))
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
                  PRId64 " by %s", op->shown_amount, lincheck_history_name (self->history, op->shown_name),
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
    search_t *search = lincheck_search_new (model, model_count, reserve, self->history->none);
    int linearizable = lincheck_search_run (search);
    if (linearizable == 0)
        s_report_search (self, search);
    if (linearizable < 0)
        s_say (self, "  the search gave up after %zu states\n", lincheck_search_states (search));
    if (self->verbose)
        s_say (self, "  (%zu ops searched, %zu states, %.1f ms)\n", model_count,
               lincheck_search_states (search), (zclock_usecs () - started) / 1000.0);
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
    lincheck_search_destroy (&search);
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
int
lincheck_check (history_t *history, FILE *out, bool verbose, int64_t skew_ms)
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


