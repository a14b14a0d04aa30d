/*  gavel_auction: the auction house as a pure state machine.

    Holds every auction, the bidder registry and the per-session de-duplication
    table. It never reads a clock: every call is given `now` (ms since the Unix
    epoch; for a logged request, the time the primary stamped on its entry), so
    that every replica applying the same entries at the same stamps reaches the
    same state and gives the same replies.

    Rules (docs/PROTOCOL.md has the wire side):
    - OPEN records an absolute deadline now + duration. An auction is open for
      bids while now < deadline: a bid stamped exactly at the deadline is late.
    - The first OPEN or BID under a name that succeeds claims the name for
      the key it came with (gavel_msg_key: the sender's CURVE key, "" without
      CURVE); a refusal claims nothing. Any request under a claimed name with
      another key gets exception name-taken.
      A bid must be strictly higher than the auction's highest bid and at
      least the reserve.
    - Per session, a request id equal to the last one applied returns the
      first reply again without applying anything; a lower one is refused as
      stale; a higher one is applied and its reply remembered.
*/
#ifndef GAVEL_AUCTION_H_INCLUDED
#define GAVEL_AUCTION_H_INCLUDED

#include "gavel_msg.h"

//  LIST returns at most this many auctions, the most recently opened.
#define GAVEL_LIST_MAX 100

typedef struct _gavel_auction_t gavel_auction_t;

gavel_auction_t *
    gavel_auction_new (void);

void
    gavel_auction_destroy (gavel_auction_t **self_p);

//  Apply a state-changing request (OPEN or BID) stamped `now`. Returns the
//  reply, which the caller owns; its request id is the request's.
gavel_msg_t *
    gavel_auction_apply (gavel_auction_t *self, gavel_msg_t *request, int64_t now);

//  The reply an OPEN or BID gets without being logged, which the caller
//  owns, or NULL when it must be applied to be answered. Only answers that
//  every later state would give too: a replay of the session's last request
//  (its first reply), a stale request id, a name another key holds, and for
//  a BID an auction closed at `now` (marked, or past its deadline), below
//  the reserve or too low. Not an unknown auction: it may be opened later. `now` must be a time that no
//  entry applied after this state is stamped before.
gavel_msg_t *
    gavel_auction_answer_unlogged (gavel_auction_t *self, gavel_msg_t *request, int64_t now);

//  Whether the answer to this request at `now` (a RESULT, LIST or BID)
//  would show an auction closed by its deadline alone, not yet marked
//  closed by close_due. Such an answer waits for the CLOSE entry: once that
//  is committed, no primary, whatever its clock, can stamp a bid before it.
bool
    gavel_auction_closing (gavel_auction_t *self, gavel_msg_t *request, int64_t now);

//  Whether apply would answer this request from the de-duplication table (a
//  retry, or a stale request) rather than apply it.
bool
    gavel_auction_is_replay (gavel_auction_t *self, gavel_msg_t *request);

//  Answer a read (RESULT or LIST) at `now`; changes nothing. Caller owns reply.
gavel_msg_t *
    gavel_auction_query (gavel_auction_t *self, gavel_msg_t *request, int64_t now);

//  Mark closed every auction whose deadline is <= now, in deadline order.
//  For each, if report is not NULL, appends a record to it:
//  "auction=ID item=ITEM winner=NAME amount=AMOUNT" (winner=none amount=0).
//  Returns how many closed.
size_t
    gavel_auction_close_due (gavel_auction_t *self, int64_t now, zlist_t *report);

//  The deadline of an auction opened at stamp for duration ms: stamp +
//  duration, pinned at INT64_MAX (INT64_MIN) where the sum would overflow.
//  For anyone who reports a deadline (the event feed's closes_at).
int64_t
    gavel_auction_deadline (int64_t stamp, int64_t duration);

//  Earliest deadline of an auction not yet marked closed, or INT64_MAX.
int64_t
    gavel_auction_next_deadline (gavel_auction_t *self);

//  The whole state as frames, for a snapshot. Equal states give equal
//  frames. Caller owns.
zmsg_t *
    gavel_auction_save (gavel_auction_t *self);

//  A state from gavel_auction_save's frames, or NULL (never a state cut or
//  bent to fit) unless they are exactly what save writes for a state
//  applied at stamps >= 0, as entries' stamps are. NULL for a NULL state.
gavel_auction_t *
    gavel_auction_load (zmsg_t *state);

//  The next number of the event feed (1, 2, ...). Kept in the state so that
//  every replica, and every snapshot, numbers the same events alike.
uint64_t
    gavel_auction_next_event (gavel_auction_t *self);

//  Counts, for STATUS and tests.
size_t  gavel_auction_count (gavel_auction_t *self);        //  auctions ever opened
size_t  gavel_auction_open_count (gavel_auction_t *self);   //  not yet marked closed
size_t  gavel_auction_bidders (gavel_auction_t *self);      //  registered names

void
    gavel_auction_test (bool verbose);

#endif
