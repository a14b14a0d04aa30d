/*  gavel_launch: starts replicas or brokers of a cluster directory and
    waits until they serve.
*/
#include "gavel_launch.h"
#include "gavel_capture.h"
#include "gavel_child.h"
#include "gavel_cli.h"
#include "gavel_proc.h"
#include "gavel_survey.h"
#include "gavel_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define UP_TIMEOUT      10000   //  ms for every started server to answer,
                                //  and for up, for one of them to be primary
#define ASK_INTERVAL    250     //  ms per STATUS attempt while waiting
#define POLL_INTERVAL   20      //  ms between looks at a process
#define LOG_TAIL_LINES  12
#define LOG_TAIL_BYTES  16384

struct _gavel_launch_t {
    gavel_clusterdir_t *local;
    int64_t timeout;
    char *program_dir;          //  NULL: next to our own executable
};

typedef struct {
    uint64_t id;
    const char *client;         //  endpoint, from the cluster file
    gavel_child_t *child;       //  NULL once reaped or stopped: no longer ours
    pid_t pid;                  //  for messages
    off_t log_start;            //  where this run's lines begin in its log
    bool ready;                 //  has answered STATUS
} spawned_t;

gavel_launch_t *
gavel_launch_new (gavel_clusterdir_t *local)
{
    gavel_launch_t *self = (gavel_launch_t *) zmalloc (sizeof (gavel_launch_t));
    assert (self);
    self->local = local;
    self->timeout = UP_TIMEOUT;
    return self;
}

void
gavel_launch_destroy (gavel_launch_t **self_p)
{
    assert (self_p);
    gavel_launch_t *self = *self_p;
    if (self) {
        free (self->program_dir);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_launch_set_timeout (gavel_launch_t *self, int64_t timeout)
{
    self->timeout = timeout;
}

void
gavel_launch_set_program_dir (gavel_launch_t *self, const char *dir)
{
    free (self->program_dir);
    self->program_dir = strdup (dir);
    assert (self->program_dir);
}

//  A failure, as gavel-local reports it. Returns 1.
#define s_fail(...) gavel_cli_fail ("gavel-local", __VA_ARGS__)

//  Start process id of this cluster; fills spawned.
static int
s_spawn (gavel_launch_t *self, const char *program, uint64_t id, spawned_t *spawned)
{
    memset (spawned, 0, sizeof *spawned);
    gavel_config_t *config = gavel_clusterdir_config (self->local);
    bool is_broker = gavel_clusterdir_is_broker (id);
    const gavel_replica_conf_t *conf = is_broker? NULL: gavel_config_find (config, id);
    const gavel_broker_conf_t *broker = is_broker?
        gavel_config_find_broker (config, id - GAVEL_CLUSTERDIR_BROKER_SLOT): NULL;
    assert (conf || broker);
    spawned->id = id;
    spawned->client = conf? conf->client: broker->client;
    char data [PATH_MAX], log [PATH_MAX];
    gavel_clusterdir_path (self->local, id, "", data);
    gavel_clusterdir_log_path (self->local, id, log);
    if (zsys_dir_create ("%s", data))
        return s_fail ("cannot create %s: %s", data, strerror (errno));
    if (conf && *conf->data && zsys_dir_create ("%s", conf->data))
        return s_fail ("cannot create %s: %s", conf->data, strerror (errno));

    char number [24];
    snprintf (number, sizeof number, "%" PRIu64, conf? conf->id: broker->id);
    bool insecure = !gavel_config_secure (config);
    char *const argv [] = {
        (char *) program, "--cluster", (char *) gavel_clusterdir_cluster (self->local),
        "--id", number, insecure? "--insecure": NULL, NULL
    };
    int log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd == -1)
        return s_fail ("cannot open %s: %s", log, strerror (errno));
    spawned->log_start = lseek (log_fd, 0, SEEK_END);
    //  Its own session: it outlives us and our terminal's Ctrl-C
    gavel_child_t *child = gavel_child_new (argv);
    gavel_child_set_session (child, true);
    gavel_child_set_stdin (child, GAVEL_CHILD_NULL);
    gavel_child_set_stdout (child, log_fd);
    gavel_child_set_stderr (child, log_fd);
    gavel_child_set_exec_failure (child, "gavel-local: cannot exec the replica program");
    int rc = gavel_child_start (child);
    close (log_fd);
    if (rc) {
        s_fail ("cannot start %s: %s", gavel_clusterdir_name (id, data, sizeof data),
                gavel_child_output (child));
        gavel_child_destroy (&child);
        return -1;
    }
    spawned->child = child;
    spawned->pid = gavel_child_pid (child);
    char error [PATH_MAX + 256];
    if (gavel_clusterdir_pid_write (self->local, id, spawned->pid, error, sizeof error)) {
        s_fail ("%s", error);
        //  Without its pid file nobody could stop it later
        if (gavel_child_stop (child, GAVEL_CLUSTERDIR_TERM_TIMEOUT) >= 0)
            gavel_clusterdir_pid_remove (self->local, id);
        gavel_child_destroy (&spawned->child);
        return -1;
    }
    return 0;
}

//  The last lines this run wrote to a replica's log, for a failure report.
static void
s_print_log_tail (const char *path, off_t start)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "    (cannot read %s: %s)\n", path, strerror (errno));
        return;
    }
    fseeko (file, 0, SEEK_END);
    off_t end = ftello (file);
    if (end - start > LOG_TAIL_BYTES)
        start = end - LOG_TAIL_BYTES;
    fseeko (file, start, SEEK_SET);
    char text [LOG_TAIL_BYTES + 1];
    size_t size = fread (text, 1, LOG_TAIL_BYTES, file);
    fclose (file);
    while (size > 0 && text [size - 1] == '\n')
        size--;
    text [size] = '\0';
    if (size == 0) {
        fprintf (stderr, "    (%s is empty)\n", path);
        return;
    }
    char *from = text + size;
    for (int lines = 0; from > text && lines < LOG_TAIL_LINES; ) {
        from--;
        if (*from == '\n' && ++lines == LOG_TAIL_LINES)
            from++;
    }
    fprintf (stderr, "    --- %s ---\n", path);
    for (char *line = strtok (from, "\n"); line; line = strtok (NULL, "\n"))
        fprintf (stderr, "    %s\n", line);
}

static void
s_report_exit (gavel_launch_t *self, spawned_t *spawned, int status)
{
    char log [PATH_MAX], name [32];
    gavel_clusterdir_log_path (self->local, spawned->id, log);
    gavel_clusterdir_name (spawned->id, name, sizeof name);
    if (WIFSIGNALED (status))
        s_fail ("%s (pid %d) was killed by signal %d (%s) before it answered",
                name, (int) spawned->pid, WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        s_fail ("%s (pid %d) exited with status %d before it answered",
                name, (int) spawned->pid, WEXITSTATUS (status));
    s_print_log_tail (log, spawned->log_start);
}

//  Whether a spawned replica died or we were interrupted: either ends the
//  wait, and a death is reported with its log.
static bool
s_wait_broken (gavel_launch_t *self, spawned_t *replica)
{
    gavel_child_update (replica->child, zclock_usecs ());
    if (!gavel_child_running (replica->child)) {
        s_report_exit (self, replica, gavel_child_status (replica->child));
        gavel_clusterdir_pid_remove (self->local, replica->id);
        gavel_child_destroy (&replica->child);
        return true;
    }
    if (zsys_interrupted) {
        s_fail ("interrupted");
        return true;
    }
    return false;
}

//  Wait until every spawned replica answers STATUS, one dies, we are
//  interrupted, or the deadline passes. Returns 0 when all answered.
static int
s_wait_ready (gavel_launch_t *self, spawned_t *spawned, size_t count, int64_t deadline)
{
    size_t ready = 0;
    while (ready < count) {
        for (size_t index = 0; index < count; index++) {
            spawned_t *replica = &spawned [index];
            if (replica->ready)
                continue;
            if (s_wait_broken (self, replica))
                return -1;
            int64_t left = deadline - zclock_mono ();
            if (left <= 0) {
                char log [PATH_MAX], name [32];
                gavel_clusterdir_log_path (self->local, replica->id, log);
                s_fail ("%s (pid %d) did not answer on %s within %d s",
                        gavel_clusterdir_name (replica->id, name, sizeof name),
                        (int) replica->pid, replica->client, (int) (self->timeout / 1000));
                s_print_log_tail (log, replica->log_start);
                return -1;
            }
            //  Any successful reply: a broker forwards, it has no state of its own
            gavel_status_answer_t answer;
            if (gavel_status_ask ("gavel-local", replica->client,
                                  left < ASK_INTERVAL? left: ASK_INTERVAL,
                                  &answer) != GAVEL_STATUS_NO_ANSWER) {
                replica->ready = true;
                ready++;
            }
        }
    }
    return 0;
}

//  Ask a spawned replica for its state, waiting at most until deadline.
//  Leaves state as it was when no answer came: the last answer is what a
//  failure report should show.
static void
s_spawned_state (spawned_t *replica, int64_t deadline, gavel_survey_state_t *state)
{
    int64_t left = deadline - zclock_mono ();
    if (left <= 0)
        return;
    gavel_status_answer_t answer;
    gavel_status_outcome_t outcome = gavel_status_ask ("gavel-local", replica->client,
                                                       left < ASK_INTERVAL? left: ASK_INTERVAL,
                                                       &answer);
    if (outcome == GAVEL_STATUS_ANSWERED)
        gavel_survey_state_set (state, outcome, &answer);
    else
    if (outcome == GAVEL_STATUS_BAD_ANSWER)
        snprintf (state->role, sizeof state->role, "bad-answer");
}

//  The wait for a primary ran out: what each replica said last, and why.
static void
s_report_no_primary (gavel_launch_t *self, spawned_t *spawned, size_t count,
                     const gavel_survey_state_t *states)
{
    s_fail ("no replica became primary within %d s", (int) (self->timeout / 1000));
    for (size_t index = 0; index < count; index++) {
        char log [PATH_MAX];
        gavel_clusterdir_log_path (self->local, spawned [index].id, log);
        char term [24];
        gavel_text_number (term, sizeof term, states [index].term, "-");
        fprintf (stderr, "    replica %" PRIu64 " (pid %d) said last: role %s, term %s\n",
                 spawned [index].id, (int) spawned [index].pid, states [index].role, term);
        s_print_log_tail (log, spawned [index].log_start);
    }
}

//  Once all answer: wait until one of them says it is primary (the first
//  election takes a few hundred ms). Returns its index, or -1.
static int
s_wait_primary (gavel_launch_t *self, spawned_t *spawned, size_t count, int64_t deadline)
{
    gavel_survey_state_t states [GAVEL_REPLICAS_MAX];
    for (size_t index = 0; index < count; index++) {
        states [index] = (gavel_survey_state_t) { .id = spawned [index].id, .term = -1 };
        snprintf (states [index].role, sizeof states [index].role, "no-answer");
    }
    while (true) {
        for (size_t index = 0; index < count; index++) {
            if (s_wait_broken (self, &spawned [index]))
                return -1;
            s_spawned_state (&spawned [index], deadline, &states [index]);
            if (streq (states [index].role, "primary")) {
                printf ("replica %" PRIu64 " is primary, term %" PRId64 "\n",
                        states [index].id, states [index].term);
                return (int) index;
            }
        }
        if (zclock_mono () >= deadline) {
            s_report_no_primary (self, spawned, count, states);
            return -1;
        }
        zclock_sleep (POLL_INTERVAL);
    }
}

//  On a failure path: leave none of the replicas we started behind. An
//  unreaped child's pid cannot have been reused, so these are still ours.
static void
s_stop_spawned (gavel_launch_t *self, spawned_t *spawned, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        if (!spawned [index].child)
            continue;
        int rc = gavel_child_stop (spawned [index].child, GAVEL_CLUSTERDIR_TERM_TIMEOUT);
        if (rc >= 0)
            gavel_clusterdir_pid_remove (self->local, spawned [index].id);
        char name [32];
        fprintf (stderr, "gavel-local: %s %s (pid %d)\n",
                 rc == 0? "stopped": rc == 1? "killed": "could not stop",
                 gavel_clusterdir_name (spawned [index].id, name, sizeof name),
                 (int) spawned [index].pid);
        gavel_child_destroy (&spawned [index].child);
    }
}

//  Once they serve: theirs to run, under their pid files, after we exit.
static void
s_release_spawned (spawned_t *spawned, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        gavel_child_release (spawned [index].child);
        gavel_child_destroy (&spawned [index].child);
    }
}

//  The program for ids, into program (PATH_MAX).
static int
s_program (gavel_launch_t *self, const char *name, char *program)
{
    if (!self->program_dir) {
        char error [PATH_MAX + 256], label [32], hint [64];
        snprintf (label, sizeof label, "the %s program", name);
        snprintf (hint, sizeof hint, "gavel-local runs the %s next to itself", name);
        if (gavel_child_beside_us (name, label, hint, program, error, sizeof error))
            return s_fail ("%s", error);
        return 0;
    }
    if (snprintf (program, PATH_MAX, "%s/%s", self->program_dir, name) >= PATH_MAX)
        return s_fail ("%s: the path is too long", self->program_dir);
    if (access (program, X_OK))
        return s_fail ("cannot run the %s program %s: %s", name, program, strerror (errno));
    return 0;
}

//  Prints one line per server once all answer, so that their pids are on
//  record even if the wait for a primary then fails.
int
gavel_launch_start (gavel_launch_t *self, const uint64_t *ids, size_t count, bool want_primary)
{
    assert (count <= GAVEL_REPLICAS_MAX);
    char program [PATH_MAX];
    if (s_program (self, count && gavel_clusterdir_is_broker (ids [0])? "broker": "replica",
                   program))
        return -1;
    spawned_t spawned [GAVEL_REPLICAS_MAX];
    size_t started = 0;
    int rc = 0;
    for (size_t index = 0; index < count && rc == 0; index++) {
        rc = s_spawn (self, program, ids [index], &spawned [started]);
        if (rc == 0)
            started++;
    }
    int64_t deadline = zclock_mono () + self->timeout;
    if (rc == 0)
        rc = s_wait_ready (self, spawned, started, deadline);
    if (rc == 0) {
        for (size_t index = 0; index < started; index++) {
            char name [32];
            printf ("%s  pid %d  client %s\n",
                    gavel_clusterdir_name (spawned [index].id, name, sizeof name),
                    (int) spawned [index].pid, spawned [index].client);
        }
        if (want_primary && s_wait_primary (self, spawned, started, deadline) < 0)
            rc = -1;
    }
    if (rc) {
        s_stop_spawned (self, spawned, started);
        return -1;
    }
    s_release_spawned (spawned, started);
    return 0;
}

int
gavel_launch_brokers (gavel_launch_t *self)
{
    gavel_config_t *config = gavel_clusterdir_config (self->local);
    size_t brokers = gavel_config_brokers (config);
    uint64_t ids [GAVEL_BROKERS_MAX];
    for (size_t index = 0; index < brokers; index++)
        ids [index] = GAVEL_CLUSTERDIR_BROKER_SLOT + gavel_config_broker (config, index)->id;
    int rc = brokers? gavel_launch_start (self, ids, brokers, false): 0;
    if (rc)
        for (size_t index = 0; index < gavel_config_replicas (config); index++) {
            uint64_t id = gavel_config_replica (config, index)->id;
            pid_t pid = gavel_clusterdir_pid (self->local, id);
            if (pid)
                gavel_clusterdir_stop (self->local, id, pid);
        }
    return rc;
}

//  -------------------------------------------------------------------------
//  Self test: fake servers, shell scripts that never answer STATUS, in a
//  cluster file of three replicas and a broker.

//  Answers every STATUS on endpoint as a replica in role would, until the
//  actor is destroyed: a stand-in for a replica's client socket.
static void
s_test_responder (zsock_t *pipe, void *args)
{
    const char *const *params = (const char *const *) args;       //  endpoint, role
    //  The responder before on this endpoint is destroyed, but ZeroMQ
    //  closes its listener in the background: the port may still be
    //  taken for a moment (seen once in CI), and no event says when not
    zsock_t *router = zsock_new_router (params [0]);
    for (int tries = 0; !router && tries < 200; tries++) {
        zclock_sleep (10);
        router = zsock_new_router (params [0]);
    }
    assert (router);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        gavel_msg_error_t error;
        gavel_msg_t *request = gavel_msg_decode (msg, &error);
        zmsg_destroy (&msg);
        assert (request && gavel_msg_id (request) == GAVEL_MSG_STATUS);
        gavel_msg_t *reply = gavel_msg_new_reply (gavel_msg_request_id (request),
                                                  GAVEL_SUCCESS, NULL, NULL);
        gavel_msg_add_record (reply, "id=1 role=%s term=3 commit=5", params [1]);
        msg = gavel_msg_encode (reply);
        zmsg_prepend (msg, &identity);
        zmsg_send (&msg, router);
        gavel_msg_destroy (&reply);
        gavel_msg_destroy (&request);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

void
gavel_launch_test (bool verbose)
{
    printf (" * gavel_launch: ");
    fflush (stdout);
    char path [PATH_MAX];
    gavel_clusterdir_t *local = gavel_clusterdir_test_new (3, 1);
    const char *root = gavel_clusterdir_dir (local);

    //  Replica 2 exits at once; the others say a line and sit silent
    snprintf (path, sizeof path, "%s/bin", root);
    assert (zsys_dir_create ("%s", path) == 0);
    snprintf (path, sizeof path, "%s/bin/replica", root);
    FILE *file = fopen (path, "w");
    assert (file);
    fprintf (file, "#!/bin/sh\n"
                   "echo \"fake replica $4 up\"\n"
                   "if [ \"$4\" = 2 ]; then echo 'fake replica 2 gives up'; exit 3; fi\n"
                   "if [ \"$4\" = 3 ]; then sleep 0.3; exit 4; fi\n"
                   "exec sleep 30\n");
    assert (fclose (file) == 0);
    assert (chmod (path, 0755) == 0);

    //  What it reports on stdout and stderr, read back
    gavel_capture_t *capture = gavel_capture_new ();

    gavel_launch_t *launch = gavel_launch_new (local);
    snprintf (path, sizeof path, "%s/bin", root);
    gavel_launch_set_program_dir (launch, path);
    gavel_launch_set_timeout (launch, 600);

    //  Silent until the deadline: reported with its log, and stopped
    uint64_t ids [] = { 1, 2 };
    int64_t started = zclock_mono ();
    assert (gavel_launch_start (launch, ids, 1, false) == -1);
    assert (zclock_mono () - started >= 600);
    char *said = gavel_capture_since (capture);
    assert (strstr (said, "gavel-local: replica 1 (pid "));
    assert (strstr (said, "did not answer on tcp://127.0.0.1:"));
    assert (strstr (said, "fake replica 1 up"));
    assert (strstr (said, "gavel-local: stopped replica 1 (pid "));
    free (said);
    gavel_clusterdir_path (local, 1, "pid", path);
    assert (!zsys_file_exists (path));

    //  One exits before it answers: all or nothing
    assert (gavel_launch_start (launch, ids, 2, true) == -1);
    said = gavel_capture_since (capture);
    assert (strstr (said, "gavel-local: replica 2 (pid "));
    assert (strstr (said, "exited with status 3 before it answered"));
    assert (strstr (said, "fake replica 2 gives up"));
    assert (strstr (said, "gavel-local: stopped replica 1 (pid "));
    char *shown = said;                 //  for verbose, once stdout is back
    for (uint64_t id = 1; id <= 2; id++) {
        gavel_clusterdir_path (local, id, "pid", path);
        assert (!zsys_file_exists (path));
        assert (gavel_clusterdir_pid (local, id) == 0);
    }

    //  Replica 1 answers, as a backup: ready, but no primary comes
    gavel_config_t *config = gavel_clusterdir_config (local);
    const char *backup [] = { gavel_config_replica (config, 0)->client, "backup" };
    zactor_t *responder = zactor_new (s_test_responder, (void *) backup);
    assert (gavel_launch_start (launch, ids, 1, true) == -1);
    said = gavel_capture_since (capture);
    assert (strstr (said, "replica 1  pid "));
    assert (strstr (said, "gavel-local: no replica became primary within 0 s"));
    assert (strstr (said, "replica 1 (pid ") && strstr (said, "said last: role backup, term 3"));
    assert (strstr (said, "gavel-local: stopped replica 1 (pid "));
    free (said);

    //  Both answer, then one dies while we wait for a primary
    const char *other [] = { gavel_config_replica (config, 2)->client, "backup" };
    zactor_t *responder_3 = zactor_new (s_test_responder, (void *) other);
    gavel_launch_set_timeout (launch, 5000);
    uint64_t pair [] = { 1, 3 };
    assert (gavel_launch_start (launch, pair, 2, true) == -1);
    said = gavel_capture_since (capture);
    assert (strstr (said, "replica 3  pid "));
    assert (strstr (said, "gavel-local: replica 3 (pid ") && strstr (said, "exited with status 4"));
    assert (strstr (said, "gavel-local: stopped replica 1 (pid "));
    assert (!strstr (said, "no replica became primary"));
    free (said);
    zactor_destroy (&responder_3);
    zactor_destroy (&responder);
    gavel_launch_set_timeout (launch, 600);

    //  As primary: it succeeds, and leaves the process running under its
    //  pid file
    const char *primary [] = { gavel_config_replica (config, 0)->client, "primary" };
    responder = zactor_new (s_test_responder, (void *) primary);
    assert (gavel_launch_start (launch, ids, 1, true) == 0);
    said = gavel_capture_since (capture);
    assert (strstr (said, "replica 1  pid ") && strstr (said, "  client tcp://127.0.0.1:"));
    assert (strstr (said, "replica 1 is primary, term 3\n"));
    assert (!strstr (said, "gavel-local:"));
    free (said);
    pid_t pid = gavel_clusterdir_pid (local, 1);
    gavel_clusterdir_path (local, 1, "pid", path);
    assert (pid == 0 && gavel_proc_pid_read (path) > 0);        //  sleep, not "replica"
    pid = gavel_proc_pid_read (path);
    assert (gavel_proc_alive (pid));
    assert (gavel_clusterdir_stop (local, 1, pid) == 0);
    zactor_destroy (&responder);

    //  No broker program: nothing starts
    assert (gavel_launch_brokers (launch) == -1);
    said = gavel_capture_since (capture);
    assert (strstr (said, "cannot run the broker program"));
    free (said);

    gavel_capture_destroy (&capture);
    if (verbose)
        printf ("\n%s", shown);
    free (shown);
    gavel_launch_destroy (&launch);
    gavel_clusterdir_test_destroy (&local);
    printf ("OK\n");
}
