/*  lincheck_search: one auction's operations against the model.
*/
#include "lincheck_search.h"

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

search_t *
lincheck_search_new (op_t **ops, size_t count, int64_t reserve, int none)
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

void
lincheck_search_destroy (search_t **self_p)
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
bool
lincheck_search_step (search_t *self, op_t *op, state_t *state)
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
size_t
lincheck_search_states (search_t *self)
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
        ||  lincheck_search_step (self, self->ops [next], &after)))
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
        if (keeps && lincheck_search_step (self, op, &after))
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
    if (!lincheck_search_step (self, self->ops [op], &next))
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
int
lincheck_search_run (search_t *self)
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


