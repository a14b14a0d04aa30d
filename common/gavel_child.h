/*  gavel_child: a program we start, as a child process we own.

    Start a program with its argv; connect its standard streams to a pipe
    we feed (stdin), a pipe whose output we keep, bounded (stdout, stderr),
    /dev/null, ours, or a descriptor we name; wait for it with a deadline,
    as an event in a poll loop (its output and its pidfd) or blocking; kill
    it when it runs past the deadline. The child gets none of our other
    descriptors (our ZeroMQ sockets). We signal only a child we have not
    reaped yet: its pid cannot have been reused. Destroying a child that
    still runs kills and reaps it, unless it was released to the caller.
*/
#ifndef GAVEL_CHILD_H_INCLUDED
#define GAVEL_CHILD_H_INCLUDED

#include <czmq.h>

//  Where a standard stream goes; any other value >= 0 is a descriptor of
//  ours, which the child gets as the stream (stdin, stdout, stderr are set
//  in that order, so stdout may be STDERR_FILENO: ours).
#define GAVEL_CHILD_INHERIT     -1      //  ours (the default)
#define GAVEL_CHILD_PIPE        -2      //  stdin: fed by gavel_child_feed;
                                        //  stdout, stderr: kept as its output
#define GAVEL_CHILD_NULL        -3      //  /dev/null

#define GAVEL_CHILD_OUTPUT_MAX  4096    //  bytes of output kept; the rest is read and dropped
#define GAVEL_CHILD_ITEMS       2       //  poll items a child needs at most

typedef struct _gavel_child_t gavel_child_t;

//  A child to run argv [0] (a path: no PATH search) with argv (copied,
//  NULL-terminated). Not started yet.
gavel_child_t *
    gavel_child_new (char *const argv []);

//  Kills and reaps it if it still runs (and was not released); closes our
//  ends of its pipes.
void
    gavel_child_destroy (gavel_child_t **self_p);

//  Its standard streams (see above); each INHERIT unless set.
void
    gavel_child_set_stdin (gavel_child_t *self, int source);
void
    gavel_child_set_stdout (gavel_child_t *self, int sink);
void
    gavel_child_set_stderr (gavel_child_t *self, int sink);

//  Its own session (setsid): it outlives our terminal's Ctrl-C.
void
    gavel_child_set_session (gavel_child_t *self, bool own);

//  Killed (SIGKILL) once it has run msecs; 0 (the default) never.
void
    gavel_child_set_timeout (gavel_child_t *self, int64_t msecs);

//  The line the child writes on its stderr when the exec fails (it then
//  exits 127); by default "cannot exec PROGRAM".
void
    gavel_child_set_exec_failure (gavel_child_t *self, const char *line);

//  Start it. Returns 0, or -1 with the reason as its output.
int
    gavel_child_start (gavel_child_t *self);

//  Its pid; 0 before it started or once it was reaped.
pid_t
    gavel_child_pid (gavel_child_t *self);

//  Started and not yet reaped.
bool
    gavel_child_running (gavel_child_t *self);

//  Its descriptors to poll for, into items (room for GAVEL_CHILD_ITEMS);
//  returns how many.
size_t
    gavel_child_items (gavel_child_t *self, zmq_pollitem_t *items);

//  When a loop must look at it next (us): its deadline, or soon if its
//  exit cannot be awaited as an event (no pidfd, output closed).
int64_t
    gavel_child_wake (gavel_child_t *self, int64_t now);

//  Collect output and reap it if it exited; kill it when it ran past its
//  deadline (now, us). Cheap: call it every loop turn.
void
    gavel_child_update (gavel_child_t *self, int64_t now);

//  Write size bytes to its stdin (a PIPE) until all is written, it stops
//  reading, or the deadline; true when all was written. A child that
//  stopped reading makes the write fail, not kill us (SIGPIPE).
bool
    gavel_child_feed (gavel_child_t *self, const char *data, size_t size);

//  Close its stdin (a PIPE): end of input.
void
    gavel_child_close_stdin (gavel_child_t *self);

//  Block until it exits (or is killed at its deadline), collecting output.
//  Returns whether it succeeded (exit status 0).
bool
    gavel_child_wait (gavel_child_t *self);

//  Stop it: SIGTERM (and SIGCONT, should it be stopped), SIGKILL if it is
//  still there after msecs; reaps it. Returns 0 when it went on SIGTERM,
//  1 when it had to be killed, -1 when it was not running.
int
    gavel_child_stop (gavel_child_t *self, int64_t msecs);

//  Send it signal, if it still runs (ours). Returns 0, or -1.
int
    gavel_child_kill (gavel_child_t *self, int signal);

//  Give the running child to the caller: we forget it (destroy neither
//  kills nor reaps it) and return its pid.
pid_t
    gavel_child_release (gavel_child_t *self);

//  Exited with status 0.
bool
    gavel_child_succeeded (gavel_child_t *self);

//  Killed by us at its deadline.
bool
    gavel_child_timed_out (gavel_child_t *self);

//  waitpid's status once reaped; -1 when it could not run or be reaped.
int
    gavel_child_status (gavel_child_t *self);

//  Why it failed, for a message: "exit status N", "killed by signal N", or
//  "could not run it".
void
    gavel_child_failure (gavel_child_t *self, char *text, size_t size);

//  What it wrote to its PIPE stdout/stderr (or why it could not start),
//  as much as fits in GAVEL_CHILD_OUTPUT_MAX - 1 bytes, NUL-terminated.
const char *
    gavel_child_output (gavel_child_t *self);
size_t
    gavel_child_output_size (gavel_child_t *self);

//  Its arguments after argv [0], space-separated (at most 255 bytes), for
//  messages.
const char *
    gavel_child_command (gavel_child_t *self);

//  The program name in the directory of our own executable, into path
//  (PATH_MAX), if we may run it: gavel-local runs the replica beside it,
//  gavel-bench the gavel-local beside it. Returns 0, or -1 with the reason
//  in error: "cannot run LABEL PATH: REASON (HINT)" when it is not there,
//  LABEL omitted when NULL.
int
    gavel_child_beside_us (const char *name, const char *label, const char *hint,
                           char *path, char *error, size_t error_size);

void
    gavel_child_test (bool verbose);

#endif
