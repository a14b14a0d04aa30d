/*  gavel_clusterdir: a local cluster as it lives in its directory, and the
    processes its pid files name.
*/
#include "gavel_clusterdir.h"
#include "gavel_keys.h"
#include "gavel_layout.h"
#include "gavel_proc.h"
#include "gavel_sock.h"

#include <signal.h>
#include <sys/stat.h>

#define SIGNAL_TIMEOUT  1000    //  ms for SIGSTOP/SIGCONT to take effect
//  Room left after dir for "/rI/replica.log" and temporary names
#define DIR_SUFFIX_MAX  32

struct _gavel_clusterdir_t {
    char dir [PATH_MAX];        //  absolute, as realpath gives it
    char cluster [PATH_MAX];    //  dir/cluster.cfg
    gavel_config_t *config;     //  once loaded
};

gavel_clusterdir_t *
gavel_clusterdir_new (const char *dir, bool create, bool *missing, char *error, size_t error_size)
{
    *missing = false;
    if (create && zsys_dir_create ("%s", dir)) {
        snprintf (error, error_size, "cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    char resolved [PATH_MAX];
    if (!realpath (dir, resolved)) {
        if (errno == ENOENT)
            *missing = true;
        else
            snprintf (error, error_size, "%s: %s", dir, strerror (errno));
        return NULL;
    }
    struct stat info;
    if (stat (resolved, &info) || !S_ISDIR (info.st_mode)) {
        snprintf (error, error_size, "%s is not a directory", dir);
        return NULL;
    }
    if (strlen (resolved) + DIR_SUFFIX_MAX >= PATH_MAX) {
        snprintf (error, error_size, "%s: the path is too long", dir);
        return NULL;
    }
    //  The path goes into the cluster file as a ZPL value
    for (const char *c = resolved; *c; c++)
        if (*c == '"' || (unsigned char) *c < 32 || *c == 127) {
            snprintf (error, error_size, "%s: the cluster file cannot hold a path "
                      "with quotes or control characters", dir);
            return NULL;
        }
    gavel_clusterdir_t *self = (gavel_clusterdir_t *) zmalloc (sizeof (gavel_clusterdir_t));
    assert (self);
    if (strlen (resolved) + sizeof "/cluster.cfg" > sizeof self->cluster) {
        snprintf (error, error_size, "%s: the path is too long", dir);
        free (self);
        return NULL;
    }
    snprintf (self->dir, sizeof self->dir, "%s", resolved);
    snprintf (self->cluster, sizeof self->cluster, "%.*s/cluster.cfg",
              (int) (sizeof self->cluster - sizeof "/cluster.cfg"), resolved);
    return self;
}

void
gavel_clusterdir_destroy (gavel_clusterdir_t **self_p)
{
    assert (self_p);
    gavel_clusterdir_t *self = *self_p;
    if (self) {
        if (self->config)
            gavel_sock_curve_end ();
        gavel_config_destroy (&self->config);
        free (self);
        *self_p = NULL;
    }
}

int
gavel_clusterdir_load (gavel_clusterdir_t *self, char *error, size_t error_size)
{
    assert (!self->config);
    char reason [1024];
    self->config = gavel_config_load (self->cluster, reason, sizeof reason);
    if (!self->config) {
        snprintf (error, error_size, "%s", reason);
        return -1;
    }
    if (!gavel_config_secure (self->config))
        return 0;
    const gavel_replica_conf_t *first = gavel_config_replica (self->config, 0);
    zcert_t *cert = NULL;
    if (*first->secret && access (first->secret, R_OK) == 0)
        cert = gavel_keys_load_secret (first->secret, first->public_key, reason, sizeof reason);
    if (gavel_sock_curve_start (self->config, &cert, false, reason, sizeof reason)) {
        gavel_config_destroy (&self->config);
        snprintf (error, error_size, "%s: %s", self->cluster, reason);
        return -1;
    }
    return 0;
}

const char *
gavel_clusterdir_dir (gavel_clusterdir_t *self)
{
    return self->dir;
}

const char *
gavel_clusterdir_cluster (gavel_clusterdir_t *self)
{
    return self->cluster;
}

gavel_config_t *
gavel_clusterdir_config (gavel_clusterdir_t *self)
{
    assert (self->config);
    return self->config;
}

bool
gavel_clusterdir_is_broker (uint64_t id)
{
    return id > GAVEL_CLUSTERDIR_BROKER_SLOT;
}

//  Its number in the cluster file: I of replica I or broker I.
static uint64_t
s_number (uint64_t id)
{
    return gavel_clusterdir_is_broker (id)? id - GAVEL_CLUSTERDIR_BROKER_SLOT: id;
}

const char *
gavel_clusterdir_name (uint64_t id, char *text, size_t size)
{
    snprintf (text, size, "%s %" PRIu64, gavel_clusterdir_is_broker (id)? "broker": "replica",
              s_number (id));
    return text;
}

void
gavel_clusterdir_path (gavel_clusterdir_t *self, uint64_t id, const char *leaf, char *path)
{
    //  new left room for it after the directory
    int length = snprintf (path, PATH_MAX, "%s/%c%" PRIu64 "%s%s", self->dir,
                           gavel_clusterdir_is_broker (id)? 'b': 'r', s_number (id),
                           *leaf? "/": "", leaf);
    assert (length > 0 && length < PATH_MAX);
}

void
gavel_clusterdir_log_path (gavel_clusterdir_t *self, uint64_t id, char *path)
{
    gavel_clusterdir_path (self, id, gavel_clusterdir_is_broker (id)? "broker.log": "replica.log",
                           path);
}

//  Whether pid is process id of this cluster: started from a program named
//  replica (broker) with "--cluster CLUSTER --id I". A pid file outlives
//  its process, and the pid may since belong to anything.
static bool
s_owns_pid (gavel_clusterdir_t *self, uint64_t id, pid_t pid)
{
    char number [24];
    snprintf (number, sizeof number, "%" PRIu64, s_number (id));
    const char *const options [] = { "--cluster", self->cluster, "--id", number, NULL };
    return gavel_proc_runs (pid, gavel_clusterdir_is_broker (id)? "broker": "replica", options);
}

//  The pid in its pid file, or 0 when there is none or it is not a pid.
static pid_t
s_pid_read (gavel_clusterdir_t *self, uint64_t id)
{
    char path [PATH_MAX];
    gavel_clusterdir_path (self, id, "pid", path);
    return gavel_proc_pid_read (path);
}

pid_t
gavel_clusterdir_pid (gavel_clusterdir_t *self, uint64_t id)
{
    pid_t pid = s_pid_read (self, id);
    return pid && gavel_proc_alive (pid) && s_owns_pid (self, id, pid)? pid: 0;
}

uint64_t
gavel_clusterdir_any_running (gavel_clusterdir_t *self, pid_t *pid)
{
    for (uint64_t id = 1; id <= GAVEL_REPLICAS_MAX; id++)
        if ((*pid = gavel_clusterdir_pid (self, id)))
            return id;
    for (uint64_t id = GAVEL_CLUSTERDIR_BROKER_SLOT + 1;
         id <= GAVEL_CLUSTERDIR_BROKER_SLOT + GAVEL_BROKERS_MAX; id++)
        if ((*pid = gavel_clusterdir_pid (self, id)))
            return id;
    return 0;
}

int
gavel_clusterdir_pid_write (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                            char *error, size_t error_size)
{
    char path [PATH_MAX];
    gavel_clusterdir_path (self, id, "pid", path);
    return gavel_proc_pid_write (path, pid, error, error_size);
}

void
gavel_clusterdir_pid_remove (gavel_clusterdir_t *self, uint64_t id)
{
    char path [PATH_MAX];
    gavel_clusterdir_path (self, id, "pid", path);
    unlink (path);
}

int
gavel_clusterdir_stop (gavel_clusterdir_t *self, uint64_t id, pid_t pid)
{
    int rc = gavel_proc_stop (pid, GAVEL_CLUSTERDIR_TERM_TIMEOUT, GAVEL_CLUSTERDIR_KILL_TIMEOUT);
    if (rc >= 0)
        gavel_clusterdir_pid_remove (self, id);
    return rc;
}

int
gavel_clusterdir_down (gavel_clusterdir_t *self, uint64_t id, char *report, size_t report_size)
{
    *report = '\0';
    char path [PATH_MAX];
    gavel_clusterdir_path (self, id, "pid", path);
    if (!zsys_file_exists (path))
        return 0;
    pid_t pid = s_pid_read (self, id);
    char name [32];
    gavel_clusterdir_name (id, name, sizeof name);
    if (!pid)
        snprintf (report, report_size, "%s: removed a pid file that held no pid", name);
    else
    if (!gavel_proc_alive (pid))
        snprintf (report, report_size, "%s: pid %d had already stopped; removed its pid file",
                  name, (int) pid);
    else
    if (!s_owns_pid (self, id, pid))
        snprintf (report, report_size, "%s: pid %d is no longer this cluster's process "
                  "(pid reused); left it alone, removed the stale pid file", name, (int) pid);
    else {
        int rc = gavel_clusterdir_stop (self, id, pid);
        if (rc < 0) {
            snprintf (report, report_size, "%s (pid %d) is still there after SIGKILL; "
                      "kept its pid file", name, (int) pid);
            return -1;
        }
        snprintf (report, report_size, "%s: %s pid %d%s", name, rc == 0? "stopped": "killed",
                  (int) pid, rc == 0? "": " (still running 3 s after SIGTERM)");
        return 1;
    }
    gavel_clusterdir_pid_remove (self, id);
    return 0;
}

int
gavel_clusterdir_kill (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                       char *report, size_t report_size)
{
    kill (pid, SIGKILL);
    char name [32];
    gavel_clusterdir_name (id, name, sizeof name);
    if (!gavel_proc_wait_gone (pid, GAVEL_CLUSTERDIR_KILL_TIMEOUT)) {
        snprintf (report, report_size, "%s (pid %d) is still there %d s after SIGKILL",
                  name, (int) pid, GAVEL_CLUSTERDIR_KILL_TIMEOUT / 1000);
        return -1;
    }
    gavel_clusterdir_pid_remove (self, id);
    snprintf (report, report_size, "%s: killed pid %d", name, (int) pid);
    return 0;
}

int
gavel_clusterdir_pause (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                        char *report, size_t report_size)
{
    char name [32];
    gavel_clusterdir_name (id, name, sizeof name);
    if (gavel_proc_state (pid) == 'T') {
        snprintf (report, report_size, "%s: pid %d was already paused", name, (int) pid);
        return 0;
    }
    kill (pid, SIGSTOP);
    if (!gavel_proc_wait_stopped (pid, true, SIGNAL_TIMEOUT)) {
        snprintf (report, report_size, "%s (pid %d) did not stop on SIGSTOP", name, (int) pid);
        return -1;
    }
    snprintf (report, report_size, "%s: paused pid %d", name, (int) pid);
    return 0;
}

int
gavel_clusterdir_resume (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                         char *report, size_t report_size)
{
    char name [32];
    gavel_clusterdir_name (id, name, sizeof name);
    bool was_paused = gavel_proc_state (pid) == 'T';
    kill (pid, SIGCONT);
    if (!gavel_proc_wait_stopped (pid, false, SIGNAL_TIMEOUT)) {
        snprintf (report, report_size, "%s (pid %d) did not resume on SIGCONT", name, (int) pid);
        return -1;
    }
    if (was_paused)
        snprintf (report, report_size, "%s: resumed pid %d", name, (int) pid);
    else
        snprintf (report, report_size, "%s: pid %d was not paused", name, (int) pid);
    return 0;
}

//  -------------------------------------------------------------------------
//  Self test

gavel_clusterdir_t *
gavel_clusterdir_test_new (size_t replicas, size_t brokers)
{
    char error [PATH_MAX + 256];
    char root [] = "/tmp/gavel-cluster-test.XXXXXX";
    assert (mkdtemp (root));
    bool missing;
    gavel_clusterdir_t *self = gavel_clusterdir_new (root, false, &missing, error, sizeof error);
    assert (self);
    gavel_layout_t *layout = gavel_layout_new (self->dir, replicas, brokers);
    assert (gavel_layout_hold_ports (layout, 0, error, sizeof error) == 0);
    assert (gavel_layout_save (layout, self->cluster, error, sizeof error) == 0);
    gavel_layout_destroy (&layout);
    assert (gavel_clusterdir_load (self, error, sizeof error) == 0);
    return self;
}

void
gavel_clusterdir_test_destroy (gavel_clusterdir_t **self_p)
{
    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf '%s'", (*self_p)->dir);
    gavel_clusterdir_destroy (self_p);
    assert (system (command) == 0);
}

//  A process that is (by its command line) process id of self's cluster,
//  with its pid file written.
static pid_t
s_test_start (gavel_clusterdir_t *self, uint64_t id, int *feed)
{
    char number [24], path [PATH_MAX], error [PATH_MAX + 64];
    snprintf (number, sizeof number, "%" PRIu64, s_number (id));
    const char *const args [] = { "--cluster", self->cluster, "--id", number, NULL };
    pid_t pid = gavel_proc_test_child (gavel_clusterdir_is_broker (id)? "broker": "replica",
                                       args, false, feed);
    gavel_clusterdir_path (self, id, "", path);
    assert (zsys_dir_create ("%s", path) == 0);
    assert (gavel_clusterdir_pid_write (self, id, pid, error, sizeof error) == 0);
    return pid;
}

//  Write text into process id's pid file.
static void
s_test_pid_file (gavel_clusterdir_t *self, uint64_t id, const char *text)
{
    char path [PATH_MAX];
    gavel_clusterdir_path (self, id, "", path);
    assert (zsys_dir_create ("%s", path) == 0);
    gavel_clusterdir_path (self, id, "pid", path);
    FILE *file = fopen (path, "w");
    assert (file);
    fputs (text, file);
    assert (fclose (file) == 0);
}

void
gavel_clusterdir_test (bool verbose)
{
    printf (" * gavel_clusterdir: ");
    char error [PATH_MAX + 256], report [PATH_MAX + 256], path [PATH_MAX];
    char root [] = "/tmp/gavel-clusterdir-test.XXXXXX";
    assert (mkdtemp (root));
    bool missing;

    //  Opening: a missing directory, one made, and paths it cannot hold
    char dir [PATH_MAX];
    snprintf (dir, sizeof dir, "%s/none", root);
    assert (!gavel_clusterdir_new (dir, false, &missing, error, sizeof error) && missing);
    snprintf (dir, sizeof dir, "%s/bad\"name", root);
    assert (!gavel_clusterdir_new (dir, true, &missing, error, sizeof error) && !missing);
    assert (strstr (error, "quotes or control characters"));
    snprintf (dir, sizeof dir, "%s/cluster.cfg", root);
    FILE *file = fopen (dir, "w");
    assert (file && fclose (file) == 0);
    assert (!gavel_clusterdir_new (dir, false, &missing, error, sizeof error) && !missing);
    assert (strstr (error, "is not a directory"));
    unlink (dir);
    snprintf (dir, sizeof dir, "%s/one/../c", root);
    assert (zsys_dir_create ("%s/one", root) == 0);
    gavel_clusterdir_t *self = gavel_clusterdir_new (dir, true, &missing, error, sizeof error);
    assert (self);
    snprintf (path, sizeof path, "%s/c/cluster.cfg", root);
    assert (streq (gavel_clusterdir_cluster (self), path));

    //  Names and paths of replicas and brokers
    char name [32];
    assert (streq (gavel_clusterdir_name (3, name, sizeof name), "replica 3"));
    assert (streq (gavel_clusterdir_name (GAVEL_CLUSTERDIR_BROKER_SLOT + 2, name, sizeof name),
                   "broker 2"));
    gavel_clusterdir_log_path (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 2, path);
    assert (streq (path + strlen (gavel_clusterdir_dir (self)), "/b2/broker.log"));
    gavel_clusterdir_path (self, 1, "", path);
    assert (streq (path + strlen (gavel_clusterdir_dir (self)), "/r1"));

    //  A cluster file that does not load is an error naming it
    assert (gavel_clusterdir_load (self, error, sizeof error) == -1);
    assert (strstr (error, "cluster.cfg"));

    //  Replica 1 and broker 1 run; replica 2's pid file names replica 1's
    //  pid (reused), replica 3's a pid that is gone, replica 4's none
    int feed_replica, feed_broker;
    pid_t replica = s_test_start (self, 1, &feed_replica);
    pid_t broker = s_test_start (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 1, &feed_broker);
    char text [32];
    snprintf (text, sizeof text, "%d\n", (int) replica);
    s_test_pid_file (self, 2, text);
    s_test_pid_file (self, 3, "999999999\n");
    s_test_pid_file (self, 4, "none\n");
    assert (gavel_clusterdir_pid (self, 1) == replica);
    assert (gavel_clusterdir_pid (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 1) == broker);
    assert (gavel_clusterdir_pid (self, 2) == 0);
    assert (gavel_clusterdir_pid (self, 3) == 0);
    assert (gavel_clusterdir_pid (self, 5) == 0);
    pid_t pid;
    assert (gavel_clusterdir_any_running (self, &pid) == 1 && pid == replica);

    //  Paused, paused again, resumed, resumed again
    assert (gavel_clusterdir_pause (self, 1, replica, report, sizeof report) == 0);
    assert (strstr (report, "replica 1: paused pid "));
    assert (gavel_proc_state (replica) == 'T');
    assert (gavel_clusterdir_pause (self, 1, replica, report, sizeof report) == 0);
    assert (strstr (report, "was already paused"));
    assert (gavel_clusterdir_resume (self, 1, replica, report, sizeof report) == 0);
    assert (strstr (report, "replica 1: resumed pid "));
    assert (gavel_proc_state (replica) != 'T');
    assert (gavel_clusterdir_resume (self, 1, replica, report, sizeof report) == 0);
    assert (strstr (report, "was not paused"));

    //  Down on each: only our own process is stopped; every pid file goes
    assert (gavel_clusterdir_down (self, 2, report, sizeof report) == 0);
    assert (strstr (report, "replica 2: pid ") && strstr (report, "(pid reused)"));
    assert (gavel_proc_alive (replica));
    assert (gavel_clusterdir_down (self, 3, report, sizeof report) == 0);
    assert (strstr (report, "had already stopped"));
    assert (gavel_clusterdir_down (self, 4, report, sizeof report) == 0);
    assert (strstr (report, "held no pid"));
    assert (gavel_clusterdir_down (self, 5, report, sizeof report) == 0 && *report == '\0');
    assert (gavel_clusterdir_down (self, 1, report, sizeof report) == 1);
    assert (strstr (report, "replica 1: stopped pid "));
    if (verbose)
        printf ("\n   %s", report);
    assert (!gavel_proc_alive (replica));
    for (uint64_t id = 1; id <= 4; id++) {
        gavel_clusterdir_path (self, id, "pid", path);
        assert (!zsys_file_exists (path));
    }

    //  Killed: gone, and its pid file with it
    assert (gavel_clusterdir_any_running (self, &pid) == GAVEL_CLUSTERDIR_BROKER_SLOT + 1);
    assert (gavel_clusterdir_kill (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 1, broker,
                                   report, sizeof report) == 0);
    assert (strstr (report, "broker 1: killed pid "));
    assert (!gavel_proc_alive (broker));
    assert (gavel_clusterdir_pid (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 1) == 0);
    gavel_clusterdir_path (self, GAVEL_CLUSTERDIR_BROKER_SLOT + 1, "pid", path);
    assert (!zsys_file_exists (path));
    assert (gavel_clusterdir_any_running (self, &pid) == 0);
    close (feed_replica);
    close (feed_broker);
    gavel_clusterdir_destroy (&self);

    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf '%s'", root);
    assert (system (command) == 0);
    printf ("OK\n");
}
