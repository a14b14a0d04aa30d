/*  gavel_attempt: the client side of the protocol, as a state machine.

    Whoever sends requests to Gavel (the bidder's blocking client, the
    bench's epoll engine, a broker forwarding bidders' requests) has the
    same problem: send a request to one of several targets (replicas, or
    brokers), follow redirects to the primary, resend the same request id
    when no answer comes, retry after `no-quorum`, pass over targets that
    stayed silent, and give up when the budget is spent. This class is that
    policy, written once (docs/PROTOCOL.md, "Retrying"), and nothing else:
    it never touches a socket or a clock. Events go in, each with `now` in
    ms of whatever monotonic clock the caller keeps; actions come out
    through an outbox the caller drains after every call, in order: send
    request K to target T, K is answered (with the reply), K is given up
    (with why). The caller owns the sockets, the requests' frames and the
    time; it wakes at gavel_attempt_next_deadline and calls tick.

    One object holds any number of outstanding requests, each named by a
    key the caller picks (a request id for a client, which has one session;
    the broker's token for a bidder's request, since bidders' ids collide).
    What the requests learn about the targets is shared by all of them: a
    target that let one request time out is passed over by the others too,
    and the one that answered last is where the next request starts. So a
    client with one request at a time (the bidder, each bench client), a
    session with several outstanding (issue 14) and a broker with hundreds
    all use one object per set of targets, and one loop. A request is held
    by key, not by its frames: a broker forwards frames it cannot decode,
    and a client keeps its own request to resend.

    The policy, per request:
    - An attempt sends to one target and waits `timeout`. A redirect from
      the target waited on is followed at once to the replica it names
      (found by its client endpoint, else by its id; with `learn`, an
      endpoint we do not know becomes a new target), at most `redirects`
      times per attempt; each hop waits `timeout` afresh.
    - The attempt ends when the hop times out (the target is then passed
      over for `silence` ms, unless something is heard from it), on a
      `no-quorum` from the target waited on, or on a redirect that cannot
      be followed (names nothing we know, the target itself, a silent
      target, or one too many: an election is under way). After a time-out
      the next attempt starts at once; after the others, `pause` ms later.
    - The next attempt goes to the preferred target (the one that answered
      last, or the caller's hint; no longer once it let a hop time out)
      unless that is where the failed attempt started or it is silent;
      else to the next target in turn after where
      the failed attempt started that is not silent; else simply the next.
    - Any final reply (success, fail, an exception other than no-quorum)
      to the request's key from any target is its answer: the request id
      is the same in every attempt, so an earlier attempt's late answer is
      as good as the last one's. Redirects and no-quorums from a target we
      no longer wait on are stale and only show that it is alive.
    - Attempts go on while the `budget` (counted from the start) lasts; a
      hop is cut short at its end. A no-quorum is retried only when its
      pause and a whole `timeout` still fit: a retry that could not be
      answered in time would only hide the answer in hand. When the budget
      is spent the request is given up, with the last no-quorum heard as
      its reply, if any.
*/
#ifndef GAVEL_ATTEMPT_H_INCLUDED
#define GAVEL_ATTEMPT_H_INCLUDED

#include "gavel_msg.h"

#define GAVEL_ATTEMPT_TARGETS_MAX   32      //  learning stops here: a confused
                                            //  or hostile replica must not make
                                            //  a client open sockets forever
#define GAVEL_ATTEMPT_TIMEOUT       500     //  ms per hop (request_timeout)
#define GAVEL_ATTEMPT_BUDGET        5500    //  ms in all: 11 time-outs, just over
                                            //  a broker's default hold
#define GAVEL_ATTEMPT_PAUSE         20      //  ms after a no-quorum or a
                                            //  redirect that cannot be followed
#define GAVEL_ATTEMPT_SILENCE       300     //  ms a silent target is passed over:
                                            //  its peers' election time-out and
                                            //  spread, after which their
                                            //  redirects no longer name it
#define GAVEL_ATTEMPT_REDIRECTS     5       //  followed per attempt

typedef struct {
    int64_t timeout;            //  ms a hop waits for its reply (> 0)
    int64_t budget;             //  ms a request may take in all; 0: no bound
    int64_t pause;              //  ms before the attempt after a no-quorum
                                //  or a redirect not followed
    int64_t silence;            //  ms a target that let a hop time out is
                                //  passed over
    unsigned redirects;         //  followed per attempt
    bool learn;                 //  redirects to unknown endpoints add targets
} gavel_attempt_settings_t;

//  The defaults above, learn off.
void
    gavel_attempt_settings_default (gavel_attempt_settings_t *settings);

typedef enum {
    GAVEL_ATTEMPT_SEND = 1,     //  send request `key` to `target`
    GAVEL_ATTEMPT_TIMED_OUT,    //  `target` left request `key` unanswered for
                                //  the time-out; a note (count it, trace it,
                                //  or drop what its socket still queues)
    GAVEL_ATTEMPT_DONE,         //  `reply` (owned by the action) from
                                //  `target` is the answer to request `key`
    GAVEL_ATTEMPT_GIVE_UP       //  request `key` is given up; `reply` is the
                                //  last no-quorum heard, or NULL; `note` says why
} gavel_attempt_kind_t;

typedef struct {
    gavel_attempt_kind_t kind;
    uint64_t key;
    size_t target;              //  SEND, TIMED_OUT, DONE; GIVE_UP: the last one
    gavel_msg_t *reply;         //  DONE, GIVE_UP; destroyed with the action
    char note [320];            //  for people: why this send (a redirect, a
                                //  retry), what timed out, why given up
} gavel_attempt_action_t;

typedef struct _gavel_attempt_t gavel_attempt_t;

//  An attempt machine with no target yet. Copies settings.
gavel_attempt_t *
    gavel_attempt_new (const gavel_attempt_settings_t *settings);

void
    gavel_attempt_destroy (gavel_attempt_t **self_p);

//  New settings, for the attempts that start from now on.
void
    gavel_attempt_set_settings (gavel_attempt_t *self, const gavel_attempt_settings_t *settings);

//  Add a target: its replica id (0 when unknown, for a broker or a bare
//  endpoint) and client endpoint (copied). Returns its index (0, 1, ... in
//  the order added), or -1 when there are GAVEL_ATTEMPT_TARGETS_MAX.
int
    gavel_attempt_add_target (gavel_attempt_t *self, uint64_t id, const char *endpoint);

//  Number of targets, including those that redirects added.
size_t
    gavel_attempt_targets (gavel_attempt_t *self);

//  A target's endpoint and id.
const char *
    gavel_attempt_endpoint (gavel_attempt_t *self, size_t target);
uint64_t
    gavel_attempt_target_id (gavel_attempt_t *self, size_t target);

//  The caller's hint of where to start (a broker knows the primary from its
//  heartbeats); -1 forgets it. A final answer sets it too.
void
    gavel_attempt_prefer (gavel_attempt_t *self, int target);

//  The caller heard from target by other means (a heartbeat): it is no
//  longer passed over.
void
    gavel_attempt_alive (gavel_attempt_t *self, size_t target);

//  The target a request started now would go to first.
size_t
    gavel_attempt_choose (gavel_attempt_t *self, int64_t now);

//  A new request, key not outstanding: its first SEND. Needs a target.
void
    gavel_attempt_start (gavel_attempt_t *self, uint64_t key, int64_t now);

//  A reply to request key (a client's is the reply's request id) from
//  target `from`. Takes ownership of the reply. Returns false when it was
//  not taken, and destroyed: no such request outstanding (a late or
//  repeated answer), or not a REPLY.
bool
    gavel_attempt_reply (gavel_attempt_t *self, uint64_t key, size_t from,
                         gavel_msg_t **reply_p, int64_t now);

//  The SEND of request key to target could not even be made (no socket, no
//  connection): the attempt goes on at once to another target, each tried
//  once per attempt, then waits out the hop.
void
    gavel_attempt_unreachable (gavel_attempt_t *self, uint64_t key, size_t target, int64_t now);

//  Forget request key (answered by other means, replaced, interrupted).
void
    gavel_attempt_cancel (gavel_attempt_t *self, uint64_t key);

//  Time passed: hops that timed out, pauses that ended, budgets spent.
void
    gavel_attempt_tick (gavel_attempt_t *self, int64_t now);

//  The next time a tick is due, or INT64_MAX when nothing is outstanding.
int64_t
    gavel_attempt_next_deadline (gavel_attempt_t *self);

//  Requests outstanding.
size_t
    gavel_attempt_outstanding (gavel_attempt_t *self);

//  Take the next action, or NULL when the outbox is empty.
gavel_attempt_action_t *
    gavel_attempt_next_action (gavel_attempt_t *self);
void
    gavel_attempt_action_destroy (gavel_attempt_action_t **self_p);

//  Since creation: hops that timed out, redirects followed, no-quorums heard.
uint64_t gavel_attempt_timeouts (gavel_attempt_t *self);
uint64_t gavel_attempt_redirects (gavel_attempt_t *self);
uint64_t gavel_attempt_no_quorums (gavel_attempt_t *self);

void
    gavel_attempt_test (bool verbose);

#endif
