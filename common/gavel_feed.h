/*  gavel_feed: the follower of the numbered event feed, without sockets.

    Events on the feed are numbered 1, 2, 3... without holes
    (docs/PROTOCOL.md, "The event feed"), so a follower can drop what it
    sees twice, hold what comes early, notice what it missed and fetch
    that with HISTORY. This class is that follower, shaped like gavel_core:
    events go in with the time given (an event from feed endpoint E, a
    HISTORY answer, a heartbeat, a LAST, time passing), actions come out
    (deliver event N, the next in order; fetch HISTORY from history
    endpoint E; report a hole, its filling, or what is lost for good), and
    the next deadline says when to call tick. The broker's re-publisher,
    zmq-tail and bidder's watch are socket wiring around it.

    The rules, once:
    - Nothing delivered yet: the first event is delivered, whatever its
      number (or what a catch-up fetch brings first). From then on events
      are delivered in order, each once.
    - A number at or below the last delivered is a repeat and is dropped,
      unless it lies GAVEL_HISTORY_MAX or more below it: a feed that
      started again (its data wiped), which is followed from there.
    - An event above the next wanted is held (up to backlog_max; one past
      that is dropped, and fetched once the hole before it is) and the hole
      before it is fetched: HISTORY from the first number missing, to the
      endpoint the event came from first, then to each next endpoint after
      every answer that does not come within fetch_timeout, fetch_tries
      times at most (history_at_source; else the first endpoint first). Live events keep coming meanwhile; what the answers
      bring is delivered in its place, then what was held.
    - An answer that jumps over numbers, or stops short of the hole's end,
      means the history keeps them no more: they are reported lost and
      passed over. When nobody answers, every hole up to the last held
      event is reported lost and passed over, so that the feed goes on.
    - Without history endpoints a hole is reported and passed over at once.
    - A LAST (a broker's word on how far its feed has gone) above the last
      delivered is a hole up to it; a heartbeat from a feed endpoint that
      was silent for `reconnect` ms (or never heard) may follow a lost
      connection: what came meanwhile is fetched, from the first number
      missing on, to the end of the history.
*/
#ifndef GAVEL_FEED_H_INCLUDED
#define GAVEL_FEED_H_INCLUDED

#include "gavel_msg.h"

typedef struct {
    size_t feed_endpoints;      //  where live events and heartbeats come from
    size_t history_endpoints;   //  where HISTORY can go; 0: nowhere
    bool history_at_source;     //  feed endpoint i answers HISTORY as history
                                //  endpoint i (a replica): ask it first about
                                //  what it missed; else ask endpoint 0 first
    int64_t fetch_timeout;      //  ms to wait for one HISTORY answer
    unsigned fetch_tries;       //  HISTORY requests without an answer
                                //  before a hole is given up
    size_t backlog_max;         //  live events held while a hole is fetched
    int64_t reconnect;          //  ms of heartbeat silence that count as a
                                //  lost connection; 0: heartbeats not used
} gavel_feed_settings_t;

typedef enum {
    GAVEL_FEED_DELIVER = 1,     //  event, the next in order
    GAVEL_FEED_FETCH,           //  send HISTORY from, count to history
                                //  endpoint, with request_id (from 0: the
                                //  last count events)
    GAVEL_FEED_GAP,             //  events from..to were missed; fetching
                                //  them, unless there is nowhere to ask
    GAVEL_FEED_FILLED,          //  the gap from..to is filled
    GAVEL_FEED_LOST,            //  events from..to are passed over (cause);
                                //  to is UINT64_MAX when nobody answered a
                                //  fetch whose end was not known
    GAVEL_FEED_RESTART,         //  numbers went back from `from` to `to`: a
                                //  feed that started again, followed
    GAVEL_FEED_BAD_RECORD       //  a HISTORY answer's record that is no
                                //  event (record, why), passed over
} gavel_feed_action_kind_t;

typedef enum {
    GAVEL_FEED_LOST_NOT_KEPT = 1,   //  an answer jumped over them
    GAVEL_FEED_LOST_NOT_FETCHED,    //  the answers stopped short of them
    GAVEL_FEED_LOST_UNANSWERED      //  nobody answered the fetch
} gavel_feed_lost_t;

typedef struct {
    gavel_feed_action_kind_t kind;
    gavel_msg_t *event;         //  DELIVER: the EVENT
    size_t endpoint;            //  FETCH, BAD_RECORD: history endpoint index
    uint64_t request_id;        //  FETCH
    unsigned attempt;           //  FETCH: 1 for a gap's first request
    uint64_t from;              //  FETCH, GAP, FILLED, LOST, RESTART
    uint64_t to;                //  GAP, FILLED, LOST, RESTART
    uint64_t count;             //  FETCH
    gavel_feed_lost_t cause;    //  LOST
    char *record;               //  BAD_RECORD
    char why [GAVEL_MESSAGE_MAX + 64];  //  BAD_RECORD
} gavel_feed_action_t;

//  What a follower may require of an event beyond what the codec checks
//  (zmq-tail prints only events it can read): NULL when it is fine, else
//  why not (in why, or a constant).
typedef const char *(gavel_feed_check_fn) (gavel_msg_t *event, char *why, size_t size);

typedef struct _gavel_feed_t gavel_feed_t;

//  A follower that has delivered nothing. Copies settings.
gavel_feed_t *
    gavel_feed_new (const gavel_feed_settings_t *settings);

void
    gavel_feed_destroy (gavel_feed_t **self_p);

//  Check each event of a HISTORY answer with check as well.
void
    gavel_feed_set_check (gavel_feed_t *self, gavel_feed_check_fn *check);

//  A live EVENT came from feed endpoint `source`. Takes ownership.
void
    gavel_feed_event (gavel_feed_t *self, gavel_msg_t **event_p, size_t source, int64_t now);

//  A LAST from feed endpoint source: its feed's last number is seq.
void
    gavel_feed_last (gavel_feed_t *self, uint64_t seq, size_t source, int64_t now);

//  A heartbeat from feed endpoint source.
void
    gavel_feed_heartbeat (gavel_feed_t *self, size_t source, int64_t now);

//  Ask for the last count events of the history before any live one:
//  a FETCH from 0; nothing delivered yet, they come first.
void
    gavel_feed_catch_up (gavel_feed_t *self, uint64_t count, int64_t now);

//  The answer to a FETCH from history endpoint `endpoint`, whose events
//  are to say they are from replica `from` (1 to 7). One that is not the
//  answer to the FETCH outstanding is ignored; one that is not a success
//  counts as no answer. Borrows the reply.
void
    gavel_feed_history (gavel_feed_t *self, gavel_msg_t *reply, size_t endpoint,
                        uint64_t from, int64_t now);

//  The FETCH outstanding will not be answered (the follower could not
//  send it, or waited itself): ask the next endpoint, or give up.
void
    gavel_feed_history_failed (gavel_feed_t *self, int64_t now);

//  Time passed: a FETCH unanswered for fetch_timeout goes to the next
//  endpoint, or is given up.
void
    gavel_feed_tick (gavel_feed_t *self, int64_t now);

//  When tick wants calling, or INT64_MAX.
int64_t
    gavel_feed_next_deadline (gavel_feed_t *self);

//  The next action, or NULL. Caller destroys it.
gavel_feed_action_t *
    gavel_feed_next_action (gavel_feed_t *self);
void
    gavel_feed_action_destroy (gavel_feed_action_t **self_p);

//  The number of the last event delivered, 0 before the first.
uint64_t
    gavel_feed_last_seq (gavel_feed_t *self);

//  Whether a FETCH is outstanding.
bool
    gavel_feed_fetching (gavel_feed_t *self);

//  Live events dropped because the backlog was full.
size_t
    gavel_feed_overflowed (gavel_feed_t *self);

void
    gavel_feed_test (bool verbose);

#endif
