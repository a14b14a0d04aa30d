/*  gavel_child: a program we start, as a child process we own.
*/
#define _GNU_SOURCE             //  close_range, pipe2
#include "gavel_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMMAND_MAX     256
#define FAILURE_MAX     256
#define WAKE_MAX        1000    //  ms: a blocking wait looks at the clock at least this often
#define EXITLESS_WAKE   10000   //  us between looks when the exit is no event (no pidfd)

struct _gavel_child_t {
    char **argv;                //  our copy, NULL-terminated
    int sources [3];            //  what stdin, stdout, stderr are (GAVEL_CHILD_*, or a fd)
    bool session;
    int64_t timeout;            //  ms; 0 none
    char failure [FAILURE_MAX]; //  the child's line when exec fails
    pid_t pid;                  //  0 before the start and once reaped or released
    bool started;
    bool exited;
    bool timed_out;
    bool released;
    int status;                 //  waitpid's, once exited; -1 when none
    int in_fd;                  //  our end of its stdin pipe; -1 none
    int out_fd;                 //  our end of its output pipe; -1 none or closed
    int pid_fd;                 //  readable once it exits; -1 if unsupported
    int64_t deadline;           //  us: killed after this
    char command [COMMAND_MAX];
    char output [GAVEL_CHILD_OUTPUT_MAX];
    size_t size;
};

gavel_child_t *
gavel_child_new (char *const argv [])
{
    assert (argv && argv [0]);
    gavel_child_t *self = (gavel_child_t *) zmalloc (sizeof (gavel_child_t));
    assert (self);
    size_t count = 0;
    while (argv [count])
        count++;
    self->argv = (char **) zmalloc ((count + 1) * sizeof (char *));
    assert (self->argv);
    size_t used = 0;
    for (size_t index = 0; index < count; index++) {
        self->argv [index] = strdup (argv [index]);
        assert (self->argv [index]);
        if (index > 0 && used < sizeof self->command)
            used += snprintf (self->command + used, sizeof self->command - used, "%s%s",
                              index > 1? " ": "", argv [index]);
    }
    for (int stream = 0; stream < 3; stream++)
        self->sources [stream] = GAVEL_CHILD_INHERIT;
    snprintf (self->failure, sizeof self->failure, "cannot exec %s\n", argv [0]);
    self->status = -1;
    self->in_fd = self->out_fd = self->pid_fd = -1;
    self->deadline = INT64_MAX;
    return self;
}

static pid_t
    s_kill_reap (gavel_child_t *self);

static void
s_close (int *fd)
{
    if (*fd >= 0)
        close (*fd);
    *fd = -1;
}

void
gavel_child_destroy (gavel_child_t **self_p)
{
    assert (self_p);
    gavel_child_t *self = *self_p;
    if (!self)
        return;
    if (gavel_child_running (self))
        s_kill_reap (self);
    s_close (&self->in_fd);
    s_close (&self->out_fd);
    s_close (&self->pid_fd);
    for (size_t index = 0; self->argv [index]; index++)
        free (self->argv [index]);
    free (self->argv);
    free (self);
    *self_p = NULL;
}

void
gavel_child_set_stdin (gavel_child_t *self, int source)
{
    assert (!self->started && source >= GAVEL_CHILD_NULL);
    self->sources [0] = source;
}

void
gavel_child_set_stdout (gavel_child_t *self, int sink)
{
    assert (!self->started && sink >= GAVEL_CHILD_NULL);
    self->sources [1] = sink;
}

void
gavel_child_set_stderr (gavel_child_t *self, int sink)
{
    assert (!self->started && sink >= GAVEL_CHILD_NULL);
    self->sources [2] = sink;
}

void
gavel_child_set_session (gavel_child_t *self, bool own)
{
    self->session = own;
}

void
gavel_child_set_timeout (gavel_child_t *self, int64_t msecs)
{
    assert (msecs >= 0);
    self->timeout = msecs;
}

void
gavel_child_set_exec_failure (gavel_child_t *self, const char *line)
{
    snprintf (self->failure, sizeof self->failure, "%s\n", line);
}

//  Keep output, as much as fits.
static void
s_append (gavel_child_t *self, const char *text, size_t size)
{
    size_t room = sizeof self->output - 1 - self->size;
    size_t take = size < room? size: room;
    memcpy (self->output + self->size, text, take);
    self->size += take;
    self->output [self->size] = '\0';
}

//  In the child between fork and exec: only async-signal-safe calls.
static void __attribute__ ((noreturn))
s_exec (gavel_child_t *self, const int *fds)
{
    if (self->session)
        setsid ();
    for (int stream = 0; stream < 3; stream++)
        if (fds [stream] >= 0 && fds [stream] != stream)
            dup2 (fds [stream], stream);
    //  Leave it none of our descriptors (our ZeroMQ sockets)
    if (close_range (3, ~0U, 0))
        for (int fd = 3; fd < 1024; fd++)
            close (fd);
    execv (self->argv [0], self->argv);
    ssize_t ignored = write (STDERR_FILENO, self->failure, strlen (self->failure));
    (void) ignored;
    _exit (127);
}

//  What each stream is, as a descriptor of ours (-1: leave it); the ends
//  we keep go to self. Returns 0 or -1 with the reason as output.
static int
s_prepare (gavel_child_t *self, int *fds, int *close_after)
{
    int in_pipe [2] = { -1, -1 }, out_pipe [2] = { -1, -1 };
    int null_fd = -1;
    const char *what = NULL;
    for (int stream = 0; stream < 3 && !what; stream++) {
        int source = self->sources [stream];
        fds [stream] = source >= 0? source: -1;
        if (source == GAVEL_CHILD_NULL) {
            if (null_fd < 0 && (null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
                what = "/dev/null";
            fds [stream] = null_fd;
        }
        else
        if (source == GAVEL_CHILD_PIPE && stream == 0) {
            if (pipe2 (in_pipe, O_CLOEXEC))
                what = "pipe";
            fds [stream] = in_pipe [0];
        }
        else
        if (source == GAVEL_CHILD_PIPE) {
            if (out_pipe [1] < 0 && pipe2 (out_pipe, O_CLOEXEC))
                what = "pipe";
            fds [stream] = out_pipe [1];
        }
    }
    close_after [0] = in_pipe [0];
    close_after [1] = out_pipe [1];
    close_after [2] = null_fd;
    self->in_fd = in_pipe [1];
    self->out_fd = out_pipe [0];
    if (what) {
        self->size = 0;
        char text [128];
        int length = snprintf (text, sizeof text, "%s: %s", what, strerror (errno));
        s_append (self, text, (size_t) length);
        for (int index = 0; index < 3; index++)
            s_close (&close_after [index]);
        s_close (&self->in_fd);
        s_close (&self->out_fd);
        return -1;
    }
    return 0;
}

int
gavel_child_start (gavel_child_t *self)
{
    assert (!self->started);
    self->started = true;
    int fds [3], close_after [3];
    if (s_prepare (self, fds, close_after))
        return -1;
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid == 0)
        s_exec (self, fds);
    int fork_errno = errno;
    for (int index = 0; index < 3; index++)
        s_close (&close_after [index]);
    if (pid == -1) {
        s_close (&self->in_fd);
        s_close (&self->out_fd);
        self->size = 0;
        char text [128];
        int length = snprintf (text, sizeof text, "fork: %s", strerror (fork_errno));
        s_append (self, text, (size_t) length);
        return -1;
    }
    self->pid = pid;
    if (self->timeout)
        self->deadline = zclock_usecs () + self->timeout * 1000;
    if (self->out_fd >= 0)
        fcntl (self->out_fd, F_SETFL, O_NONBLOCK);
    if (self->in_fd >= 0)
        fcntl (self->in_fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
    self->pid_fd = (int) syscall (SYS_pidfd_open, pid, 0);
#endif
    return 0;
}

pid_t
gavel_child_pid (gavel_child_t *self)
{
    return gavel_child_running (self)? self->pid: 0;
}

bool
gavel_child_running (gavel_child_t *self)
{
    return self->pid && !self->exited && !self->released;
}

//  Read what output is there; the tail beyond our buffer is dropped.
static void
s_read (gavel_child_t *self)
{
    while (self->out_fd >= 0) {
        char buffer [1024];
        ssize_t size = read (self->out_fd, buffer, sizeof buffer);
        if (size > 0)
            s_append (self, buffer, (size_t) size);
        else
        if (size == 0 || errno != EINTR) {
            if (size == 0)
                s_close (&self->out_fd);
            break;
        }
    }
}

size_t
gavel_child_items (gavel_child_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    if (!gavel_child_running (self))
        return 0;
    if (self->out_fd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, self->out_fd, ZMQ_POLLIN, 0 };
    if (self->pid_fd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, self->pid_fd, ZMQ_POLLIN, 0 };
    return count;
}

int64_t
gavel_child_wake (gavel_child_t *self, int64_t now)
{
    if (!gavel_child_running (self))
        return INT64_MAX;
    if (self->pid_fd < 0 && self->out_fd < 0)
        return now + EXITLESS_WAKE;
    return self->deadline;
}

//  SIGKILL, and reap: it cannot be caught, so the wait is short.
static pid_t
s_kill_reap (gavel_child_t *self)
{
    kill (self->pid, SIGKILL);
    pid_t reaped;
    while ((reaped = waitpid (self->pid, &self->status, 0)) == -1 && errno == EINTR)
        ;
    return reaped;
}

//  Once it is gone: the rest of its output, and our ends closed.
static void
s_reaped (gavel_child_t *self, pid_t reaped)
{
    if (reaped == -1)
        self->status = -1;
    s_read (self);              //  whatever it wrote before it went
    self->exited = true;
    s_close (&self->out_fd);
    s_close (&self->pid_fd);
    s_close (&self->in_fd);
}

void
gavel_child_update (gavel_child_t *self, int64_t now)
{
    if (!gavel_child_running (self))
        return;
    s_read (self);
    pid_t reaped = waitpid (self->pid, &self->status, WNOHANG);
    if (reaped == 0 && now >= self->deadline) {
        reaped = s_kill_reap (self);
        self->timed_out = true;
        char note [64];
        int length = snprintf (note, sizeof note, "(killed: still running after %d s)\n",
                               (int) (self->timeout / 1000));
        s_append (self, note, (size_t) length);
    }
    if (reaped == self->pid || reaped == -1)
        s_reaped (self, reaped);
}


bool
gavel_child_feed (gavel_child_t *self, const char *data, size_t size)
{
    if (self->in_fd < 0)
        return size == 0;
    //  It may stop reading (an error): a write must fail, not kill us
    struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
    sigemptyset (&ignore.sa_mask);
    sigaction (SIGPIPE, &ignore, &previous);
    bool written_all = true;
    while (size) {
        int64_t now = zclock_usecs ();
        if (now >= self->deadline) {
            written_all = false;
            break;
        }
        int64_t left = self->deadline - now;
        long wait = left > (int64_t) WAKE_MAX * 1000? WAKE_MAX: (long) ((left + 999) / 1000);
        zmq_pollitem_t item = { NULL, self->in_fd, ZMQ_POLLOUT, 0 };
        if (zmq_poll (&item, 1, wait) <= 0)
            continue;
        ssize_t written = write (self->in_fd, data, size);
        if (written < 0 && errno != EAGAIN && errno != EINTR) {
            written_all = false;
            break;
        }
        if (written > 0) {
            data += written;
            size -= (size_t) written;
        }
    }
    sigaction (SIGPIPE, &previous, NULL);
    return written_all;
}

void
gavel_child_close_stdin (gavel_child_t *self)
{
    s_close (&self->in_fd);
}

//  Wait until it is gone (killed at its deadline) or until (us).
static void
s_wait_until (gavel_child_t *self, int64_t until)
{
    int64_t now = zclock_usecs ();
    while (gavel_child_running (self) && now < until) {
        zmq_pollitem_t items [GAVEL_CHILD_ITEMS];
        size_t count = gavel_child_items (self, items);
        int64_t wake = gavel_child_wake (self, now);
        if (wake > until)
            wake = until;
        if (wake > now + WAKE_MAX * 1000)
            wake = now + WAKE_MAX * 1000;
        zmq_poll (items, (int) count, wake > now? (long) ((wake - now + 999) / 1000): 0);
        now = zclock_usecs ();
        gavel_child_update (self, now);
    }
}

bool
gavel_child_wait (gavel_child_t *self)
{
    s_wait_until (self, INT64_MAX);
    return gavel_child_succeeded (self);
}

int
gavel_child_stop (gavel_child_t *self, int64_t msecs)
{
    if (!gavel_child_running (self))
        return -1;
    kill (self->pid, SIGTERM);
    //  A stopped (SIGSTOP) child must run to act on SIGTERM
    kill (self->pid, SIGCONT);
    s_wait_until (self, zclock_usecs () + msecs * 1000);
    if (!gavel_child_running (self))
        return self->timed_out? 1: 0;
    s_reaped (self, s_kill_reap (self));
    return 1;
}

int
gavel_child_kill (gavel_child_t *self, int signal)
{
    if (!gavel_child_running (self))
        return -1;
    return kill (self->pid, signal);
}

pid_t
gavel_child_release (gavel_child_t *self)
{
    pid_t pid = gavel_child_running (self)? self->pid: 0;
    self->released = true;
    s_close (&self->pid_fd);
    return pid;
}

bool
gavel_child_succeeded (gavel_child_t *self)
{
    return self->exited && self->status != -1
        && WIFEXITED (self->status) && WEXITSTATUS (self->status) == 0;
}

bool
gavel_child_timed_out (gavel_child_t *self)
{
    return self->timed_out;
}

int
gavel_child_status (gavel_child_t *self)
{
    return self->exited? self->status: -1;
}

void
gavel_child_failure (gavel_child_t *self, char *text, size_t size)
{
    if (self->status == -1 || !self->exited)
        snprintf (text, size, "could not run it");
    else
    if (WIFSIGNALED (self->status))
        snprintf (text, size, "killed by signal %d", WTERMSIG (self->status));
    else
        snprintf (text, size, "exit status %d", WEXITSTATUS (self->status));
}

const char *
gavel_child_output (gavel_child_t *self)
{
    return self->output;
}

size_t
gavel_child_output_size (gavel_child_t *self)
{
    return self->size;
}

const char *
gavel_child_command (gavel_child_t *self)
{
    return self->command;
}

int
gavel_child_beside_us (const char *name, const char *label, const char *hint,
                       char *path, char *error, size_t error_size)
{
    char self [PATH_MAX];
    ssize_t size = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (size <= 0) {
        snprintf (error, error_size, "cannot find my own executable: %s", strerror (errno));
        return -1;
    }
    self [size] = '\0';
    char *slash = strrchr (self, '/');
    assert (slash);
    *slash = '\0';
    if (snprintf (path, PATH_MAX, "%s/%s", self, name) >= PATH_MAX) {
        snprintf (error, error_size, "%s: the path is too long", self);
        return -1;
    }
    if (access (path, X_OK)) {
        snprintf (error, error_size, "cannot run %s%s%s: %s (%s)", label? label: "",
                  label? " ": "", path, strerror (errno), hint);
        return -1;
    }
    return 0;
}

//  -------------------------------------------------------------------------
//  Self test

//  A /bin/sh snippet as a child whose stdout and stderr we keep.
static gavel_child_t *
s_shell (const char *script)
{
    char *const argv [] = { "/bin/sh", "-c", (char *) script, NULL };
    gavel_child_t *child = gavel_child_new (argv);
    gavel_child_set_stdout (child, GAVEL_CHILD_PIPE);
    gavel_child_set_stderr (child, GAVEL_CHILD_PIPE);
    return child;
}

//  Let child run until its output says text (bounded: 30 turns of 1 s).
static void
s_test_wait_output (gavel_child_t *child, const char *text)
{
    for (int turn = 0; turn < 30 && !strstr (gavel_child_output (child), text); turn++) {
        zmq_pollitem_t items [GAVEL_CHILD_ITEMS];
        size_t count = gavel_child_items (child, items);
        zmq_poll (items, (int) count, 1000);
        gavel_child_update (child, zclock_usecs ());
    }
    assert (strstr (gavel_child_output (child), text));
}

void
gavel_child_test (bool verbose)
{
    printf (" * gavel_child: ");
    if (verbose)
        printf ("\n");
    char why [64];

    //  Output from both streams, and a failing exit status
    gavel_child_t *child = s_shell ("echo out; echo err >&2; exit 3");
    assert (!gavel_child_running (child));
    assert (streq (gavel_child_command (child), "-c echo out; echo err >&2; exit 3"));
    assert (gavel_child_start (child) == 0);
    assert (gavel_child_running (child) && gavel_child_pid (child) > 0);
    assert (!gavel_child_wait (child));
    assert (!gavel_child_running (child) && gavel_child_pid (child) == 0);
    assert (streq (gavel_child_output (child), "out\nerr\n"));
    assert (gavel_child_output_size (child) == 8);
    gavel_child_failure (child, why, sizeof why);
    assert (streq (why, "exit status 3"));
    assert (!gavel_child_succeeded (child) && !gavel_child_timed_out (child));
    gavel_child_destroy (&child);
    assert (child == NULL);

    //  Success; output beyond the bound is read (the child never blocks on
    //  a full pipe) and dropped
    child = s_shell ("i=0; while [ $i -lt 300 ]; do echo 0123456789abcdefghijklmnopqrstu; "
                     "i=$((i + 1)); done");
    assert (gavel_child_start (child) == 0);
    assert (gavel_child_wait (child));
    assert (gavel_child_output_size (child) == GAVEL_CHILD_OUTPUT_MAX - 1);
    assert (strlen (gavel_child_output (child)) == GAVEL_CHILD_OUTPUT_MAX - 1);
    assert (strncmp (gavel_child_output (child), "0123456789abcdefghijklmnopqrstu\n0123", 36) == 0);
    gavel_child_destroy (&child);

    //  stdin fed through a pipe, read to its end
    child = s_shell ("tr a-z A-Z");
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    gavel_child_set_timeout (child, 30000);
    assert (gavel_child_start (child) == 0);
    assert (gavel_child_feed (child, "hello\n", 6));
    gavel_child_close_stdin (child);
    assert (gavel_child_wait (child));
    assert (streq (gavel_child_output (child), "HELLO\n"));
    gavel_child_destroy (&child);

    //  Past its deadline it is killed: it waits on a stdin we never close
    //  (no sleep: it would run for ever without the deadline)
    child = s_shell ("echo waiting; read line; echo never");
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    gavel_child_set_timeout (child, 100);
    int64_t started = zclock_usecs ();
    assert (gavel_child_start (child) == 0);
    assert (!gavel_child_wait (child));
    assert (zclock_usecs () - started >= 100 * 1000);
    assert (gavel_child_timed_out (child));
    gavel_child_failure (child, why, sizeof why);
    assert (streq (why, "killed by signal 9"));
    assert (strstr (gavel_child_output (child), "waiting\n"));
    assert (strstr (gavel_child_output (child), "(killed: still running after"));
    assert (!strstr (gavel_child_output (child), "never"));
    gavel_child_destroy (&child);

    //  A program that cannot be run: the child says so and exits 127
    char *const missing [] = { "/nonexistent/gavel-none", "x", NULL };
    child = gavel_child_new (missing);
    gavel_child_set_stderr (child, GAVEL_CHILD_PIPE);
    gavel_child_set_exec_failure (child, "test: cannot exec none");
    assert (gavel_child_start (child) == 0);
    assert (!gavel_child_wait (child));
    assert (streq (gavel_child_output (child), "test: cannot exec none\n"));
    gavel_child_failure (child, why, sizeof why);
    assert (streq (why, "exit status 127"));
    gavel_child_destroy (&child);

    //  Our descriptors stay ours: one without close-on-exec is not
    //  inherited; a stream set to /dev/null reads nothing
    int leak = fcntl (STDERR_FILENO, F_DUPFD, 50);
    assert (leak >= 50);
    char script [128];
    snprintf (script, sizeof script, "if [ -e /proc/self/fd/%d ]; then echo leaked; fi; "
              "cat; echo done", leak);
    child = s_shell (script);
    gavel_child_set_stdin (child, GAVEL_CHILD_NULL);
    assert (gavel_child_start (child) == 0);
    assert (gavel_child_wait (child));
    assert (streq (gavel_child_output (child), "done\n"));
    gavel_child_destroy (&child);
    close (leak);

    //  Its own session; destroying a child that runs kills and reaps it
    child = s_shell ("echo ready; read line");
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    gavel_child_set_session (child, true);
    gavel_child_set_timeout (child, 30000);
    assert (gavel_child_start (child) == 0);
    pid_t pid = gavel_child_pid (child);
    //  Once the shell speaks, it runs after setsid
    s_test_wait_output (child, "ready");
    assert (streq (gavel_child_output (child), "ready\n"));
    assert (gavel_child_running (child));
    assert (getsid (pid) == pid);
    assert (gavel_child_kill (child, 0) == 0);
    gavel_child_destroy (&child);
    assert (kill (pid, 0) == -1 && errno == ESRCH);

    //  Stopped: one that goes on SIGTERM, one that ignores it (killed)
    child = s_shell ("echo ready; read line");
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    assert (gavel_child_stop (child, 100) == -1);       //  not started
    assert (gavel_child_start (child) == 0);
    s_test_wait_output (child, "ready");
    assert (gavel_child_stop (child, 30000) == 0);
    assert (!gavel_child_running (child) && !gavel_child_timed_out (child));
    gavel_child_failure (child, why, sizeof why);
    assert (streq (why, "killed by signal 15"));
    assert (gavel_child_stop (child, 100) == -1);       //  gone
    gavel_child_destroy (&child);
    child = s_shell ("trap '' TERM; echo ready; read line");
    gavel_child_set_stdin (child, GAVEL_CHILD_PIPE);
    assert (gavel_child_start (child) == 0);
    s_test_wait_output (child, "ready");
    int64_t stopping = zclock_usecs ();
    assert (gavel_child_stop (child, 100) == 1);
    assert (zclock_usecs () - stopping >= 100 * 1000);
    gavel_child_failure (child, why, sizeof why);
    assert (streq (why, "killed by signal 9"));
    gavel_child_destroy (&child);

    //  A released child is the caller's: destroy neither kills nor reaps it
    child = s_shell ("exit 7");
    assert (gavel_child_start (child) == 0);
    pid = gavel_child_release (child);
    assert (pid > 0 && !gavel_child_running (child) && gavel_child_kill (child, 0) == -1);
    gavel_child_destroy (&child);
    int status;
    assert (waitpid (pid, &status, 0) == pid);
    assert (WIFEXITED (status) && WEXITSTATUS (status) == 7);

    //  A program beside us: the self test's own executable is; a missing
    //  one is named with the caller's words
    char path [PATH_MAX], error [PATH_MAX + 256];
    char self_path [PATH_MAX];
    ssize_t length = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    assert (length > 0);
    self_path [length] = '\0';
    const char *own_name = strrchr (self_path, '/') + 1;
    assert (gavel_child_beside_us (own_name, NULL, "hint", path, error, sizeof error) == 0);
    assert (streq (path, self_path));
    assert (gavel_child_beside_us ("gavel-none", "the none program", "we run it beside us",
                                   path, error, sizeof error) == -1);
    assert (strncmp (error, "cannot run the none program /", 29) == 0);
    assert (strstr (error, "/gavel-none: No such file or directory (we run it beside us)"));
    assert (gavel_child_beside_us ("gavel-none", NULL, "hint", path, error, sizeof error) == -1);
    assert (strncmp (error, "cannot run /", 12) == 0);
    if (verbose)
        printf ("   %s\n", error);

    printf ("OK\n");
}
