/*  gavel_proc: processes we supervise by pid, and their pid files.

    A pid file outlives its process and a pid is reused, so a pid read from
    a file is only a hint: before signalling it, ask gavel_proc_runs whether
    it is still the program we started, with the arguments we gave it.
    Every wait here is bounded by the caller's timeout.
*/
#ifndef GAVEL_PROC_H_INCLUDED
#define GAVEL_PROC_H_INCLUDED

#include <czmq.h>

//  The state letter of /proc/PID/stat (R, S, T, Z...), or 0 when there is
//  no such process.
char
    gavel_proc_state (pid_t pid);

//  Whether pid is there and can still run. A zombie counts as gone (its
//  parent may never reap it) unless other threads of it still hold its
//  resources while it exits.
bool
    gavel_proc_alive (pid_t pid);

//  Whether pid runs a program named program (the last part of its argv [0])
//  whose arguments hold each pair of options: options is a NULL-terminated
//  list of name, value, name, value... each name directly followed by its
//  value somewhere in the first 16 arguments.
bool
    gavel_proc_runs (pid_t pid, const char *program, const char *const *options);

//  Wait until pid is gone, reaping it if it is our child. True if it went
//  within timeout ms.
bool
    gavel_proc_wait_gone (pid_t pid, int64_t timeout);

//  Wait until pid is stopped (SIGSTOP) or running, as wanted. True if it is
//  within timeout ms.
bool
    gavel_proc_wait_stopped (pid_t pid, bool stopped, int64_t timeout);

//  Stop a process the caller has checked is its own: SIGTERM (and SIGCONT,
//  so that a paused one can act on it), SIGKILL if it is still there after
//  term_timeout ms. Returns 0 if it went on SIGTERM, 1 if it had to be
//  killed, -1 if it is still there kill_timeout ms after SIGKILL.
int
    gavel_proc_stop (pid_t pid, int64_t term_timeout, int64_t kill_timeout);

//  The pid a pid file holds, or 0 when there is no file or it holds no pid.
pid_t
    gavel_proc_pid_read (const char *path);

//  Write pid to path: written aside (path.tmp) and renamed, so that a
//  reader never sees half a pid. Returns 0, or -1 with the reason in error.
int
    gavel_proc_pid_write (const char *path, pid_t pid, char *error, size_t error_size);

//  For self tests: a child that shows as program with args in its command
//  line (a shell named so) and runs until *feed, its input, is closed or it
//  is signalled. ignore_term: it ignores SIGTERM, as a hung program would.
//  Returns once the child is set up.
pid_t
    gavel_proc_test_child (const char *program, const char *const *args, bool ignore_term,
                           int *feed);

void
    gavel_proc_test (bool verbose);

#endif
