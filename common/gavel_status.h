/*  gavel_status: asking replicas STATUS, and what their answers say.

    A gavel_status_t is one round of STATUS requests, one per endpoint, all
    sent at once, each on its own socket and with its own deadline. A round
    never blocks: a program with a poll loop adds the round's poll items to
    its own and hands them back after the poll (gavel-bench asks every
    replica while its bidders go on); gavel_status_wait and gavel_status_ask
    block, for a program with nothing else to do.

    Each answer is decoded into a gavel_status_answer_t: the STATUS record
    of docs/PROTOCOL.md, validated. A reply that is not a successful STATUS
    answer to our request is passed over (the deadline may still bring the
    right one); a successful one whose record makes no sense is a bad answer.
*/
#ifndef GAVEL_STATUS_H_INCLUDED
#define GAVEL_STATUS_H_INCLUDED

#include "gavel_config.h"
#include "gavel_msg.h"
#include "gavel_report.h"

typedef enum {
    GAVEL_STATUS_WAITING,       //  asked, no answer yet
    GAVEL_STATUS_NO_ANSWER,     //  none within the deadline (or no socket)
    GAVEL_STATUS_ANSWERED,      //  a valid STATUS record
    GAVEL_STATUS_BAD_ANSWER     //  a successful reply whose record is not one
} gavel_status_outcome_t;

#define GAVEL_STATUS_ROLE_MAX   31
#define GAVEL_STATUS_RECORDS_MAX 16     //  in an answer; 5 today, room for later ones

//  The counts of STATUS's second record (docs/PROTOCOL.md, "STATUS"): how
//  a replica's loop batches its work, counted since it started
typedef enum {
    GAVEL_STAT_TURNS,           //  loop turns that had something to read
    GAVEL_STAT_REQUESTS,        //  client requests
    GAVEL_STAT_LOGS_OUT,        //  LOG messages published
    GAVEL_STAT_ENTRIES_OUT,     //  entries in them
    GAVEL_STAT_ACKS_IN,         //  ACKs received
    GAVEL_STAT_LOGS_IN,         //  LOG and ENTRIES messages received
    GAVEL_STAT_ENTRIES_IN,      //  entries in them
    GAVEL_STAT_SAVES,           //  writes of entries to the log
    GAVEL_STAT_SAVED,           //  entries in them
    GAVEL_STAT_ACKS_OUT,        //  ACKs sent
    GAVEL_STAT_ROUNDS,          //  bully rounds it started
    GAVEL_STAT_TERMS,           //  rises of its term: elections it saw
    GAVEL_STAT_ELECTED,         //  times it became primary
    GAVEL_STATS
} gavel_stat_t;

//  The key of a count in the record, e.g. "logs_out"
const char *
    gavel_status_stat_name (gavel_stat_t stat);

//  What a replica said of itself. Numbers it did not say are -1; role is
//  "" unless it answered.
typedef struct {
    gavel_status_outcome_t outcome;
    int64_t id;
    char role [GAVEL_STATUS_ROLE_MAX + 1];  //  primary, backup, candidate
    int64_t term;
    int64_t commit;             //  highest index it knows committed
    int64_t applied;            //  how far its auction state has applied
    int64_t last;               //  its last log index
    int64_t primary;            //  the primary it knows, 0 for none
    int64_t auctions;
    int64_t open;
    int64_t bidders;
    int64_t stats [GAVEL_STATS];    //  -1 each without the second record
    gavel_report_t report;      //  the shell's records and a broker's, as said
} gavel_status_answer_t;

typedef struct _gavel_status_t gavel_status_t;

//  A round asked in the name of asker (the request's name, and its session
//  "ASKER-PID"), for at most GAVEL_REPLICAS_MAX endpoints.
gavel_status_t *
    gavel_status_new (const char *asker);

void
    gavel_status_destroy (gavel_status_t **self_p);

//  Start a round: ask each of count endpoints, each answer due within
//  timeout ms (a NULL endpoint is not asked: no answer at once). Forgets
//  the previous round.
void
    gavel_status_start (gavel_status_t *self, const char *const *endpoints, size_t count,
                        int64_t timeout);

//  The same for every replica of config, in its order.
void
    gavel_status_start_replicas (gavel_status_t *self, gavel_config_t *config, int64_t timeout);

//  Poll items for the asks still waiting, into items (room for count);
//  returns how many. Hand them back, polled, to gavel_status_handle.
size_t
    gavel_status_items (gavel_status_t *self, zmq_pollitem_t *items);

//  After the poll: read answers, send what could not be sent, give up the
//  asks past their deadline (now, us). items and count as from
//  gavel_status_items; count 0 only looks at deadlines.
void
    gavel_status_handle (gavel_status_t *self, zmq_pollitem_t *items, size_t count, int64_t now);

//  The earliest deadline among the asks still waiting (us); INT64_MAX when
//  none waits.
int64_t
    gavel_status_deadline (gavel_status_t *self);

//  Every ask answered or given up (also before any round).
bool
    gavel_status_done (gavel_status_t *self);

//  Block until the round is done.
void
    gavel_status_wait (gavel_status_t *self);

//  Block until every one of count rounds (at most 4) is done, all asked
//  in one poll: an ask of one round never waits for another's deadline.
void
    gavel_status_wait_all (gavel_status_t **rounds, size_t count);

//  The answer of endpoint index of this round.
const gavel_status_answer_t *
    gavel_status_answer (gavel_status_t *self, size_t index);

//  How many endpoints this round asks.
size_t
    gavel_status_size (gavel_status_t *self);

//  The index of the endpoint that says it is primary, of the highest term
//  if two do (the old one may not have heard of the new term yet); -1 when
//  none does.
int
    gavel_status_primary (gavel_status_t *self);

//  Whether any endpoint answered, well or badly.
bool
    gavel_status_any_answered (gavel_status_t *self);

//  Ask endpoint alone and wait (at most timeout ms). Returns the outcome,
//  answer filled as by gavel_status_decode.
gavel_status_outcome_t
    gavel_status_ask (const char *asker, const char *endpoint, int64_t timeout,
                      gavel_status_answer_t *answer);

//  Decode a successful STATUS reply into answer. Returns 0, or -1 when its
//  record is not a STATUS record (no record, a role that is not a word, no
//  term or commit, a number that is not one) or a later record is one of
//  ours but malformed (gavel_report): answer then says only
//  GAVEL_STATUS_BAD_ANSWER, every number -1. Records after the first are
//  known by their first key; one not known is passed over.
int
    gavel_status_decode (gavel_msg_t *reply, gavel_status_answer_t *answer);

//  An answer that says nothing yet: WAITING, every number -1, role "".
void
    gavel_status_answer_reset (gavel_status_answer_t *answer);

void
    gavel_status_test (bool verbose);

#endif
