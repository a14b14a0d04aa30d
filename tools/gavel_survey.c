/*  gavel_survey: what the servers of a local cluster say of themselves
    when asked STATUS, and which of them an ID operand of gavel-local names.
*/
#include "gavel_survey.h"
#include "gavel_census.h"
#include "gavel_proc.h"
#include "gavel_text.h"

#define STATUS_TIMEOUT  500     //  ms a running server has to answer status
#define PRIMARY_POLL    40      //  ms between rounds of asking for a primary

void
gavel_survey_state_set (gavel_survey_state_t *state, gavel_status_outcome_t outcome,
                        const gavel_status_answer_t *answer)
{
    state->term = state->commit = state->last = state->primary = -1;
    if (outcome == GAVEL_STATUS_ANSWERED) {
        snprintf (state->role, sizeof state->role, "%s", answer->role);
        state->term = answer->term;
        state->commit = answer->commit;
        state->last = answer->last;
        state->primary = answer->primary;
    }
    else
        snprintf (state->role, sizeof state->role, "%s",
                  outcome == GAVEL_STATUS_BAD_ANSWER? "bad-answer": "no-answer");
}

size_t
gavel_survey_take (gavel_clusterdir_t *local, gavel_survey_state_t *states)
{
    gavel_config_t *config = gavel_clusterdir_config (local);
    size_t replicas = gavel_config_replicas (config);
    size_t count = replicas + gavel_config_brokers (config);
    gavel_census_t *census = gavel_census_new (config, "gavel-local");
    for (size_t index = 0; index < count; index++) {
        gavel_survey_state_t *state = &states [index];
        *state = (gavel_survey_state_t) { .broker = index >= replicas };
        state->id = state->broker? gavel_config_broker (config, index - replicas)->id
                                 : gavel_config_replica (config, index)->id;
        state->pid = gavel_clusterdir_pid (local, state->broker?
                                           GAVEL_CLUSTERDIR_BROKER_SLOT + state->id: state->id);
        //  What is not running cannot answer: not waited for
        gavel_census_pass_over (census, index, state->pid == 0);
    }
    gavel_census_take (census, STATUS_TIMEOUT);
    for (size_t index = 0; index < count; index++) {
        gavel_survey_state_t *state = &states [index];
        const gavel_census_row_t *row = gavel_census_row (census, index);
        if (!state->broker)
            gavel_survey_state_set (state, row->answer.outcome, &row->answer);
        else {
            state->term = state->commit = state->last = state->primary = -1;
            snprintf (state->role, sizeof state->role, "%s", row->up? "up": "no-answer");
        }
        if (!state->pid)
            snprintf (state->role, sizeof state->role, "down");
    }
    gavel_census_destroy (&census);
    return count;
}

//  Roles are lower-case words by construction, safe to print in JSON as is.
void
gavel_survey_print (const gavel_survey_state_t *state, bool json, FILE *stream)
{
    const char *none = json? "null": "-";
    char term [24], commit [24], last [24], primary [24], pid [24];
    gavel_text_number (term, sizeof term, state->term, none);
    gavel_text_number (commit, sizeof commit, state->commit, none);
    gavel_text_number (last, sizeof last, state->last, none);
    gavel_text_number (primary, sizeof primary, state->primary, none);
    gavel_text_number (pid, sizeof pid, state->pid? state->pid: -1, none);
    if (state->broker && json)
        fprintf (stream, "{\"broker\":%" PRIu64 ",\"state\":\"%s\",\"pid\":%s}\n",
                 state->id, state->role, pid);
    else
    if (state->broker)
        fprintf (stream, "broker %" PRIu64 "   %-9s  pid %s\n", state->id, state->role, pid);
    else
    if (json)
        fprintf (stream, "{\"id\":%" PRIu64 ",\"role\":\"%s\",\"term\":%s,\"commit\":%s,"
                 "\"last\":%s,\"primary\":%s,\"pid\":%s}\n",
                 state->id, state->role, term, commit, last, primary, pid);
    else
        fprintf (stream, "replica %" PRIu64 "  %-9s  term %s  commit %s  last %s  primary %s"
                 "  pid %s\n", state->id, state->role, term, commit, last, primary, pid);
}

//  One round: the replica that says it is primary, of the newest term.
static bool
s_ask_primary (gavel_clusterdir_t *local, uint64_t *id)
{
    gavel_survey_state_t states [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
    size_t count = gavel_survey_take (local, states);
    int64_t best_term = -1;
    for (size_t index = 0; index < count; index++)
        if (!states [index].broker && streq (states [index].role, "primary")
        &&  states [index].term > best_term) {
            best_term = states [index].term;
            *id = states [index].id;
        }
    return best_term >= 0;
}

bool
gavel_survey_primary (gavel_clusterdir_t *local, int64_t wait, uint64_t *id)
{
    int64_t deadline = zclock_mono () + wait;
    while (!s_ask_primary (local, id)) {
        if (zclock_mono () >= deadline || zsys_interrupted)
            return false;
        zclock_sleep (PRIMARY_POLL);
    }
    return true;
}

int
gavel_survey_targets (gavel_clusterdir_t *local, const char *operand, int64_t primary_wait,
                      uint64_t *ids, size_t *count, char *error, size_t error_size)
{
    gavel_config_t *config = gavel_clusterdir_config (local);
    const char *cluster = gavel_clusterdir_cluster (local);
    *count = 0;
    if (streq (operand, "all")) {
        for (size_t index = 0; index < gavel_config_replicas (config); index++)
            ids [(*count)++] = gavel_config_replica (config, index)->id;
        return 0;
    }
    if (streq (operand, "primary")) {
        if (!gavel_survey_primary (local, primary_wait, &ids [0])) {
            snprintf (error, error_size, "no replica of %s answered as primary within %d s "
                      "(a paused replica cannot answer: name it by number)",
                      gavel_clusterdir_dir (local), (int) (primary_wait / 1000));
            return -1;
        }
        *count = 1;
        return 0;
    }
    uint64_t id;
    if (operand [0] == 'b') {
        if (gavel_text_parse_uint (operand + 1, 1, GAVEL_BROKERS_MAX, &id, NULL)
        ||  !gavel_config_find_broker (config, id)) {
            snprintf (error, error_size, "%s lists no broker '%s'", cluster, operand + 1);
            return 1;
        }
        ids [0] = GAVEL_CLUSTERDIR_BROKER_SLOT + id;
        *count = 1;
        return 0;
    }
    if (gavel_text_parse_uint (operand, 1, GAVEL_REPLICAS_MAX, &id, NULL)) {
        snprintf (error, error_size, "ID '%s' is not a replica number (1 to %d), "
                  "'primary' or 'all'", operand, GAVEL_REPLICAS_MAX);
        return 1;
    }
    if (!gavel_config_find (config, id)) {
        snprintf (error, error_size, "%s lists no replica %" PRIu64, cluster, id);
        return 1;
    }
    ids [0] = id;
    *count = 1;
    return 0;
}

//  -------------------------------------------------------------------------
//  Self test: a cluster file of three replicas and a broker, none of them
//  serving; replica 2 a process that never answers.

void
gavel_survey_test (bool verbose)
{
    printf (" * gavel_survey: ");
    char error [PATH_MAX + 256];
    gavel_clusterdir_t *local = gavel_clusterdir_test_new (3, 1);

    //  Which processes an operand names
    uint64_t ids [GAVEL_REPLICAS_MAX];
    size_t count;
    assert (gavel_survey_targets (local, "all", 0, ids, &count, error, sizeof error) == 0);
    assert (count == 3 && ids [0] == 1 && ids [2] == 3);
    assert (gavel_survey_targets (local, "2", 0, ids, &count, error, sizeof error) == 0);
    assert (count == 1 && ids [0] == 2);
    assert (gavel_survey_targets (local, "b1", 0, ids, &count, error, sizeof error) == 0);
    assert (count == 1 && ids [0] == GAVEL_CLUSTERDIR_BROKER_SLOT + 1);
    const char *wrong [] = { "b2", "b", "bx", "4", "9", "0", "x", "", "-1", "primaryx" };
    for (size_t index = 0; index < sizeof wrong / sizeof wrong [0]; index++)
        assert (gavel_survey_targets (local, wrong [index], 0, ids, &count,
                                      error, sizeof error) == 1);
    assert (strstr (error, "is not a replica number"));
    assert (gavel_survey_targets (local, "b3", 0, ids, &count, error, sizeof error) == 1);
    assert (strstr (error, "lists no broker '3'"));

    //  Nobody is primary: asked again until the wait runs out
    int64_t started = zclock_mono ();
    assert (gavel_survey_targets (local, "primary", 100, ids, &count, error, sizeof error) == -1);
    assert (zclock_mono () - started >= 100);
    assert (strstr (error, "answered as primary"));
    if (verbose)
        printf ("\n   %s", error);

    //  Replica 1 is down; replica 2 runs but never answers
    char number [] = "2";
    const char *const args [] = {
        "--cluster", gavel_clusterdir_cluster (local), "--id", number, NULL
    };
    int feed;
    pid_t pid = gavel_proc_test_child ("replica", args, false, &feed);
    char path [PATH_MAX];
    gavel_clusterdir_path (local, 2, "", path);
    assert (zsys_dir_create ("%s", path) == 0);
    assert (gavel_clusterdir_pid_write (local, 2, pid, error, sizeof error) == 0);
    gavel_survey_state_t states [GAVEL_REPLICAS_MAX + GAVEL_BROKERS_MAX];
    started = zclock_mono ();
    assert (gavel_survey_take (local, states) == 4);
    //  One round for all: the silent replica's 500 ms, not one per server
    assert (zclock_mono () - started < 1500);
    gavel_survey_state_t state = states [0];
    assert (streq (state.role, "down") && state.pid == 0 && state.term == -1);
    assert (streq (states [2].role, "down") && streq (states [3].role, "down"));
    assert (states [3].broker && states [3].id == 1);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert (stream);
    gavel_survey_print (&state, false, stream);
    gavel_survey_print (&state, true, stream);
    state = states [1];
    assert (streq (state.role, "no-answer") && state.pid == pid);
    gavel_survey_print (&state, false, stream);
    //  What a server answered, into its state: its words, or why none
    gavel_status_answer_t answer;
    gavel_status_answer_reset (&answer);
    answer.outcome = GAVEL_STATUS_ANSWERED;
    snprintf (answer.role, sizeof answer.role, "primary");
    answer.term = 2, answer.commit = 40, answer.last = 42, answer.primary = 3;
    gavel_survey_state_t said = { .id = 3, .pid = 77 };
    gavel_survey_state_set (&said, GAVEL_STATUS_BAD_ANSWER, &answer);
    assert (streq (said.role, "bad-answer") && said.term == -1 && said.last == -1);
    gavel_survey_state_set (&said, GAVEL_STATUS_NO_ANSWER, &answer);
    assert (streq (said.role, "no-answer") && said.commit == -1 && said.primary == -1);
    gavel_survey_state_set (&said, GAVEL_STATUS_ANSWERED, &answer);
    assert (said.id == 3 && said.pid == 77);
    state = said;
    gavel_survey_print (&state, true, stream);
    gavel_survey_print (&states [3], false, stream);
    gavel_survey_print (&states [3], true, stream);
    assert (fclose (stream) == 0);
    char expect [512];
    snprintf (expect, sizeof expect,
        "replica 1  down       term -  commit -  last -  primary -  pid -\n"
        "{\"id\":1,\"role\":\"down\",\"term\":null,\"commit\":null,\"last\":null,"
        "\"primary\":null,\"pid\":null}\n"
        "replica 2  no-answer  term -  commit -  last -  primary -  pid %d\n"
        "{\"id\":3,\"role\":\"primary\",\"term\":2,\"commit\":40,\"last\":42,"
        "\"primary\":3,\"pid\":77}\n"
        "broker 1   down       pid -\n"
        "{\"broker\":1,\"state\":\"down\",\"pid\":null}\n", (int) pid);
    if (verbose)
        printf ("\n%s", text);
    assert (streq (text, expect));
    free (text);

    assert (gavel_proc_stop (pid, 5000, 5000) == 0);
    close (feed);
    gavel_clusterdir_test_destroy (&local);
    printf ("OK\n");
}
