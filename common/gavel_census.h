/*  gavel_census: a whole cluster's state, as its servers say when asked
    STATUS, seen from any host that has the cluster file.

    One census asks every replica and every broker of the cluster file at
    once (a broker forwards STATUS to the primary, so its answer says only
    that it is up and reaches one) and keeps what each said: a replica's
    role, term, commit, applied and last index, and its lag, the entries it
    lacks of the primary's log. A server that does not answer within the
    time-out is down. Two censuses of the same cluster compare: a new
    primary, a server down or back, a replica falling behind. gavel-admin
    status and watch print them.
*/
#ifndef GAVEL_CENSUS_H_INCLUDED
#define GAVEL_CENSUS_H_INCLUDED

#include "gavel_config.h"
#include "gavel_status.h"

//  A replica this many entries behind the primary (or more) is behind
#define GAVEL_CENSUS_BEHIND     1000

typedef struct {
    uint64_t id;
    bool broker;
    bool up;                    //  answered (a broker: STATUS through it was)
    gavel_status_answer_t answer;   //  a replica's, when up
    int64_t lag;                //  entries behind the primary's last; -1 unknown
} gavel_census_row_t;

typedef struct _gavel_census_t gavel_census_t;

//  A census of config's servers (config is borrowed; it must outlive the
//  census), asked in the name of asker. Nothing is asked yet.
gavel_census_t *
    gavel_census_new (gavel_config_t *config, const char *asker);

void
    gavel_census_destroy (gavel_census_t **self_p);

//  Ask every server, at once, and wait for the answers (at most timeout
//  ms); forgets the previous answers. A server passed over (below) is not
//  asked, and is down.
void
    gavel_census_take (gavel_census_t *self, int64_t timeout);

//  Pass over server index (in the rows' order: the replicas, then the
//  brokers) in the takes from now on, or ask it again: for a caller that
//  knows a server is not running (gavel-local, from its pid files), so
//  that a take does not wait for it.
void
    gavel_census_pass_over (gavel_census_t *self, size_t index, bool pass_over);

//  The replicas, in the file's order, then the brokers.
size_t
    gavel_census_rows (gavel_census_t *self);

const gavel_census_row_t *
    gavel_census_row (gavel_census_t *self, size_t index);

//  The row of the replica that says it is primary (of the highest term if
//  two do), or -1.
int
    gavel_census_primary (gavel_census_t *self);

//  Every replica up, one primary, none behind, every broker up.
bool
    gavel_census_healthy (gavel_census_t *self);

//  One line per server, as a table with a heading, or one JSON object per
//  line.
void
    gavel_census_print (gavel_census_t *self, bool json, FILE *stream);

//  What changed since before, a census of the same cluster: one line each,
//  "new primary: replica 2 (term 3)", "replica 1: down", "replica 1: up",
//  "replica 3: behind by 2400", "replica 3: caught up", "broker 1: down".
//  Returns how many lines.
size_t
    gavel_census_changes (gavel_census_t *self, gavel_census_t *before, FILE *stream);

void
    gavel_census_test (bool verbose);

#endif
