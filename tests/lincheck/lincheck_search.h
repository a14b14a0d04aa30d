/*  lincheck_search: one auction's operations against the model, Wing &
    Gong's search with Lowe's just-in-time linearization and a memo of the
    (operations ordered, state) pairs seen; what got furthest is kept for
    the report.
*/
#ifndef LINCHECK_SEARCH_H_INCLUDED
#define LINCHECK_SEARCH_H_INCLUDED

#include "lincheck.h"

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

//  A search of count ops of one auction (the array is the caller's), from
//  an open state with no bid, reserve and none as the name of no bidder
search_t *
    lincheck_search_new (op_t **ops, size_t count, int64_t reserve, int none);

void
    lincheck_search_destroy (search_t **self_p);

//  Applies op to state when the model allows it there.
bool
    lincheck_search_step (search_t *self, op_t *op, state_t *state);

//  How many (operations ordered, state) pairs the memo holds, for reports
size_t
    lincheck_search_states (search_t *self);

//  Returns 1 when the ops have a linearization, 0 when not, -1 when the
//  search gave up. A (done, state) pair in the memo has been searched in
//  full without success, so meeting it again is a dead end.
int
    lincheck_search_run (search_t *self);

#endif
