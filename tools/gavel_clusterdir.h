/*  gavel_clusterdir: a local cluster as it lives in its directory, and the
    processes its pid files name.

        DIR/cluster.cfg         the cluster file
        DIR/rI/pid              replica I's process id, while it runs
        DIR/rI/replica.log      replica I's stdout and stderr
        DIR/bI/pid, broker.log  the same for broker I

    Brokers share the replicas' code paths under process ids above
    GAVEL_CLUSTERDIR_BROKER_SLOT: broker I is process BROKER_SLOT + I.

    A pid file is only a hint: before signalling a pid we check that it is
    still replica I of this cluster file (its command line), so that a
    reused pid is never ours. The methods that act on a process say what
    they did in report, one line without its newline, for the caller to
    print.
*/
#ifndef GAVEL_CLUSTERDIR_H_INCLUDED
#define GAVEL_CLUSTERDIR_H_INCLUDED

#include "gavel_config.h"

#define GAVEL_CLUSTERDIR_BROKER_SLOT 100
#define GAVEL_CLUSTERDIR_TERM_TIMEOUT 3000  //  ms from SIGTERM to SIGKILL
#define GAVEL_CLUSTERDIR_KILL_TIMEOUT 3000  //  ms for a SIGKILLed process to go

typedef struct _gavel_clusterdir_t gavel_clusterdir_t;

//  Open DIR, an absolute path once resolved, creating it first if asked.
//  NULL with *missing set when DIR does not exist (and was not to be
//  created), else NULL with the reason in error.
gavel_clusterdir_t *
    gavel_clusterdir_new (const char *dir, bool create, bool *missing,
                          char *error, size_t error_size);

//  Ends the CURVE setup load made, if it made one.
void
    gavel_clusterdir_destroy (gavel_clusterdir_t **self_p);

//  Load DIR/cluster.cfg. Our own STATUS requests then use CURVE when the
//  file lists keys: with replica 1's key pair when we can read it (the
//  cluster's own keys pass a bidder allow-list), else with one made in
//  memory. Returns 0, or -1 with the reason in error.
int
    gavel_clusterdir_load (gavel_clusterdir_t *self, char *error, size_t error_size);

//  The directory, absolute.
const char *
    gavel_clusterdir_dir (gavel_clusterdir_t *self);

//  DIR/cluster.cfg, as the servers get it in their command line.
const char *
    gavel_clusterdir_cluster (gavel_clusterdir_t *self);

//  The cluster file, once loaded.
gavel_config_t *
    gavel_clusterdir_config (gavel_clusterdir_t *self);

//  Whether process id is a broker's.
bool
    gavel_clusterdir_is_broker (uint64_t id);

//  "replica 2" or "broker 1", into text.
const char *
    gavel_clusterdir_name (uint64_t id, char *text, size_t size);

//  DIR/rI/leaf, or DIR/bI/leaf for a broker, into path (PATH_MAX); DIR/rI
//  when leaf is "".
void
    gavel_clusterdir_path (gavel_clusterdir_t *self, uint64_t id, const char *leaf, char *path);

//  Process id's log, into path (PATH_MAX).
void
    gavel_clusterdir_log_path (gavel_clusterdir_t *self, uint64_t id, char *path);

//  Process id's pid if it is running (alive, and ours), else 0.
pid_t
    gavel_clusterdir_pid (gavel_clusterdir_t *self, uint64_t id);

//  The first replica, else broker, of DIR that is running, into *pid; 0 if
//  none.
uint64_t
    gavel_clusterdir_any_running (gavel_clusterdir_t *self, pid_t *pid);

//  Record pid as process id's. Returns 0, or -1 with the reason in error.
int
    gavel_clusterdir_pid_write (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                                char *error, size_t error_size);

void
    gavel_clusterdir_pid_remove (gavel_clusterdir_t *self, uint64_t id);

//  Stop pid, which the caller knows is process id, and remove its pid file
//  once it is gone: SIGTERM, SIGKILL 3 s later. Returns 0 if it went on
//  SIGTERM, 1 if it had to be killed, -1 if it is still there.
int
    gavel_clusterdir_stop (gavel_clusterdir_t *self, uint64_t id, pid_t pid);

//  Stop process id if its pid file names our running process; remove the
//  pid file either way. Returns 1 if it stopped one, 0 if none ran (report
//  says why when there was a pid file, else is ""), -1 when it is still
//  there (report says so).
int
    gavel_clusterdir_down (gavel_clusterdir_t *self, uint64_t id,
                           char *report, size_t report_size);

//  SIGKILL running process id (pid), as a crash would, and wait until it is
//  gone. Returns 0, or -1 when it is still there.
int
    gavel_clusterdir_kill (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                           char *report, size_t report_size);

//  SIGSTOP running process id (pid), and wait until it is stopped, so that
//  a status right after sees it silent. Returns 0, or -1 if it did not stop.
int
    gavel_clusterdir_pause (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                            char *report, size_t report_size);

//  SIGCONT process id (pid), and wait until it runs. Returns 0, or -1 if
//  it did not.
int
    gavel_clusterdir_resume (gavel_clusterdir_t *self, uint64_t id, pid_t pid,
                             char *report, size_t report_size);

//  For self tests: a new temporary directory with a cluster file of
//  replicas and brokers on loopback (insecure), loaded.
gavel_clusterdir_t *
    gavel_clusterdir_test_new (size_t replicas, size_t brokers);

//  For self tests: destroy, and remove the directory with all it holds.
void
    gavel_clusterdir_test_destroy (gavel_clusterdir_t **self_p);

void
    gavel_clusterdir_test (bool verbose);

#endif
