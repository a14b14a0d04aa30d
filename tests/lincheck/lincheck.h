/*  lincheck: what gavel-lincheck's parts share: an operation of a recorded
    history, the history, and the model's state (one auction: highest bid,
    bidder, closed). gavel_lincheck.c says what the checker decides and how.
*/
#ifndef LINCHECK_H_INCLUDED
#define LINCHECK_H_INCLUDED

#include <czmq.h>
#include <inttypes.h>
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

//  The model's state
typedef struct {
    int64_t highest;
    int bidder;
    bool closed;
} state_t;

#endif
