/*  gavel_survey: what the servers of a local cluster say of themselves
    when asked STATUS, and which of them an ID operand of gavel-local names.

    One round asks every server at once, through gavel_census (the code
    gavel-admin asks any cluster with). A server that is not running
    (gavel_clusterdir_pid) is "down" without being asked; one that runs but
    stays silent 500 ms is "no-answer".
*/
#ifndef GAVEL_SURVEY_H_INCLUDED
#define GAVEL_SURVEY_H_INCLUDED

#include "gavel_clusterdir.h"
#include "gavel_status.h"

//  What status shows for one server; unknown numbers are -1.
typedef struct {
    uint64_t id;
    bool broker;
    char role [GAVEL_STATUS_ROLE_MAX + 1];  //  a replica's as it said, or down,
                                            //  no-answer, bad-answer; a
                                            //  broker's up, down or no-answer
    int64_t term;
    int64_t commit;
    int64_t last;               //  last index in its log
    int64_t primary;            //  the primary it knows, 0 for none
    pid_t pid;                  //  0 when not running
} gavel_survey_state_t;

//  Every server of local, asked at once: one state per replica in the
//  cluster file's order, then one per broker (a broker forwards STATUS to
//  the primary: up when that is answered), into states (room for
//  GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX). Returns how many.
size_t
    gavel_survey_take (gavel_clusterdir_t *local, gavel_survey_state_t *states);

//  One line for state, as gavel-local status prints it (JSON if asked).
void
    gavel_survey_print (const gavel_survey_state_t *state, bool json, FILE *stream);

//  The replica that says it is primary; two may claim it for a while after
//  a failover, and then the newer term wins. Right after a failover nobody
//  is, so ask again for up to wait ms. False when none did.
bool
    gavel_survey_primary (gavel_clusterdir_t *local, int64_t wait, uint64_t *id);

//  The processes an ID operand names: a replica number, 'primary' (waiting
//  up to primary_wait ms for one), 'all' (the replicas) or bI for broker
//  I, into ids (GAVEL_REPLICAS_MAX) and count. Returns 0; 1 when operand
//  names nothing in the cluster file (a usage error); -1 when no replica
//  answered as primary. error says why.
int
    gavel_survey_targets (gavel_clusterdir_t *local, const char *operand, int64_t primary_wait,
                          uint64_t *ids, size_t *count, char *error, size_t error_size);

//  Fill state (id and pid left as they are) from what a server answered:
//  its own words, or bad-answer and no-answer with every number -1.
void
    gavel_survey_state_set (gavel_survey_state_t *state, gavel_status_outcome_t outcome,
                            const gavel_status_answer_t *answer);

void
    gavel_survey_test (bool verbose);

#endif
