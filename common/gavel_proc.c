/*  gavel_proc: processes we supervise by pid, and their pid files.

    We look at processes through /proc rather than kill (pid, 0): a zombie
    answers kill, and a process we are asked about may belong to anyone.
*/
#include "gavel_proc.h"
#include "gavel_file.h"
#include "gavel_text.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#define POLL_INTERVAL   20      //  ms between looks at a process
#define CMDLINE_ARGS    16      //  arguments gavel_proc_runs looks at

char
gavel_proc_state (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line [512];
    size_t size = fread (line, 1, sizeof line - 1, file);
    fclose (file);
    line [size] = '\0';
    //  "pid (comm) S ...": comm may itself hold ')' and spaces
    char *close = strrchr (line, ')');
    return close && close [1] == ' '? close [2]: 0;
}

//  Whether a thread of pid other than its leader is still there: while a
//  multi-threaded process exits, its leader turns zombie first, and the
//  others may still hold its sockets.
static bool
s_other_threads (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *dir = opendir (path);
    if (!dir)
        return false;
    bool others = false;
    struct dirent *entry;
    while (!others && (entry = readdir (dir)))
        others = entry->d_name [0] != '.' && atoi (entry->d_name) != (int) pid;
    closedir (dir);
    return others;
}

bool
gavel_proc_alive (pid_t pid)
{
    char state = gavel_proc_state (pid);
    if (state == 'Z' || state == 'X')
        return s_other_threads (pid);
    return state != 0;
}

bool
gavel_proc_runs (pid_t pid, const char *program, const char *const *options)
{
    assert (program && options);
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char cmdline [8192];
    size_t size = fread (cmdline, 1, sizeof cmdline - 1, file);
    fclose (file);
    cmdline [size] = '\0';

    const char *args [CMDLINE_ARGS];
    size_t count = 0;
    for (size_t offset = 0; offset < size && count < CMDLINE_ARGS;
         offset += strlen (cmdline + offset) + 1)
        args [count++] = cmdline + offset;
    if (count == 0)
        return false;
    const char *name = strrchr (args [0], '/');
    name = name? name + 1: args [0];
    if (!streq (name, program))
        return false;
    for (const char *const *option = options; *option; option += 2) {
        assert (option [1]);
        bool found = false;
        for (size_t index = 1; index + 1 < count && !found; index++)
            found = streq (args [index], option [0]) && streq (args [index + 1], option [1]);
        if (!found)
            return false;
    }
    return true;
}

//  Whether pid is gone (reaping it if it is our child), for s_wait.
static bool
s_gone (pid_t pid, bool unused)
{
    return waitpid (pid, NULL, WNOHANG) == pid || !gavel_proc_alive (pid);
}

//  Whether pid is stopped (SIGSTOP), or running when not stopped.
static bool
s_stopped (pid_t pid, bool stopped)
{
    return (gavel_proc_state (pid) == 'T') == stopped;
}

//  Look at pid every POLL_INTERVAL until done says so, or timeout ms pass.
static bool
s_wait (pid_t pid, bool (*done) (pid_t pid, bool arg), bool arg, int64_t timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (!done (pid, arg)) {
        if (zclock_mono () >= deadline)
            return false;
        zclock_sleep (POLL_INTERVAL);
    }
    return true;
}

bool
gavel_proc_wait_gone (pid_t pid, int64_t timeout)
{
    return s_wait (pid, s_gone, false, timeout);
}

bool
gavel_proc_wait_stopped (pid_t pid, bool stopped, int64_t timeout)
{
    return s_wait (pid, s_stopped, stopped, timeout);
}

int
gavel_proc_stop (pid_t pid, int64_t term_timeout, int64_t kill_timeout)
{
    kill (pid, SIGTERM);
    //  A paused process must run to act on SIGTERM
    kill (pid, SIGCONT);
    if (gavel_proc_wait_gone (pid, term_timeout))
        return 0;
    kill (pid, SIGKILL);
    return gavel_proc_wait_gone (pid, kill_timeout)? 1: -1;
}

pid_t
gavel_proc_pid_read (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char text [32] = "";
    if (!fgets (text, sizeof text, file))
        text [0] = '\0';
    fclose (file);
    text [strcspn (text, "\n")] = '\0';
    uint64_t pid;
    if (gavel_text_parse_uint (text, 1, INT32_MAX, &pid, NULL))
        return 0;
    return (pid_t) pid;
}

int
gavel_proc_pid_write (const char *path, pid_t pid, char *error, size_t error_size)
{
    char text [24];
    snprintf (text, sizeof text, "%d\n", (int) pid);
    return gavel_file_save (path, text, error, error_size);
}

//  -------------------------------------------------------------------------
//  Self test

pid_t
gavel_proc_test_child (const char *program, const char *const *args, bool ignore_term, int *feed)
{
    int input [2], ready [2];
    assert (pipe (input) == 0 && pipe (ready) == 0);
    //  sh -c COMMAND NAME ARGS...: named program, with args after it
    const char *argv [24] = { program, "-c", ignore_term? "trap '' TERM; echo; read line":
                                                          "echo; read line", program };
    size_t count = 4;
    for (; *args; args++) {
        assert (count < 23);
        argv [count++] = *args;
    }
    argv [count] = NULL;
    pid_t pid = fork ();
    assert (pid >= 0);
    if (pid == 0) {
        dup2 (input [0], STDIN_FILENO);
        dup2 (ready [1], STDOUT_FILENO);
        close (input [0]);
        close (input [1]);
        close (ready [0]);
        close (ready [1]);
        execv ("/bin/sh", (char *const *) argv);
        _exit (127);
    }
    close (input [0]);
    close (ready [1]);
    //  Blocks until the shell writes, or exits (end of file): bounded
    char byte;
    assert (read (ready [0], &byte, 1) == 1);
    close (ready [0]);
    *feed = input [1];
    return pid;
}

void
gavel_proc_test (bool verbose)
{
    printf (" * gavel_proc: ");
    char error [512];
    char dir [] = "/tmp/gavel-proc-test.XXXXXX";
    assert (mkdtemp (dir));

    //  Pid files: what was written reads back; anything else is no pid
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/pid", dir);
    assert (gavel_proc_pid_read (path) == 0);
    assert (gavel_proc_pid_write (path, 4321, error, sizeof error) == 0);
    assert (gavel_proc_pid_read (path) == 4321);
    char temp [PATH_MAX + 8];
    snprintf (temp, sizeof temp, "%s.tmp", path);
    assert (!zsys_file_exists (temp));
    const char *garbage [] = { "", "0\n", "-5\n", "12x\n", "99999999999\n", "abc" };
    for (size_t index = 0; index < sizeof garbage / sizeof garbage [0]; index++) {
        FILE *file = fopen (path, "w");
        assert (file);
        fputs (garbage [index], file);
        fclose (file);
        assert (gavel_proc_pid_read (path) == 0);
    }
    assert (gavel_proc_pid_write ("/nonexistent/dir/pid", 1, error, sizeof error) == -1);
    assert (strstr (error, "cannot write /nonexistent/dir/pid.tmp"));
    if (verbose)
        printf ("\n   %s", error);

    //  Our own process: alive, running, and not a replica
    assert (gavel_proc_alive (getpid ()));
    assert (gavel_proc_state (getpid ()) == 'R');
    const char *const none [] = { NULL };
    assert (!gavel_proc_runs (getpid (), "replica", none));

    //  A child that is "replica --cluster CLUSTER --id 1"
    snprintf (path, sizeof path, "%s/cluster.cfg", dir);
    int feed;
    const char *const args_1 [] = { "--cluster", path, "--id", "1", NULL };
    const char *const args_2 [] = { "--cluster", path, "--id", "2", NULL };
    pid_t pid = gavel_proc_test_child ("/nowhere/replica", args_1, false, &feed);
    assert (gavel_proc_alive (pid));
    const char *const ours [] = { "--cluster", path, "--id", "1", NULL };
    const char *const other_id [] = { "--cluster", path, "--id", "2", NULL };
    const char *const other_cluster [] = { "--cluster", "/elsewhere.cfg", "--id", "1", NULL };
    const char *const value_as_name [] = { "--id", "--cluster", NULL };
    assert (gavel_proc_runs (pid, "replica", ours));
    assert (gavel_proc_runs (pid, "replica", none));
    assert (!gavel_proc_runs (pid, "broker", ours));
    assert (!gavel_proc_runs (pid, "replica", other_id));
    assert (!gavel_proc_runs (pid, "replica", other_cluster));
    assert (!gavel_proc_runs (pid, "replica", value_as_name));

    //  Paused and resumed, each seen within the bound
    assert (kill (pid, SIGSTOP) == 0);
    assert (gavel_proc_wait_stopped (pid, true, 5000));
    assert (gavel_proc_state (pid) == 'T');
    assert (gavel_proc_alive (pid));
    assert (kill (pid, SIGCONT) == 0);
    assert (gavel_proc_wait_stopped (pid, false, 5000));
    assert (!gavel_proc_wait_gone (pid, 50));

    //  A zombie counts as gone: it exits once its input ends, unreaped
    close (feed);
    siginfo_t info;
    assert (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOWAIT) == 0);
    assert (gavel_proc_state (pid) == 'Z');
    assert (!gavel_proc_alive (pid));
    assert (!gavel_proc_runs (pid, "replica", ours));
    assert (gavel_proc_wait_gone (pid, 5000));
    assert (gavel_proc_state (pid) == 0);
    assert (waitpid (pid, NULL, WNOHANG) == -1);

    //  Stopped on SIGTERM, even while paused
    pid = gavel_proc_test_child ("replica", args_1, false, &feed);
    assert (kill (pid, SIGSTOP) == 0);
    assert (gavel_proc_wait_stopped (pid, true, 5000));
    assert (gavel_proc_stop (pid, 5000, 5000) == 0);
    assert (!gavel_proc_alive (pid));
    close (feed);

    //  One that ignores SIGTERM is killed once term_timeout passes
    pid = gavel_proc_test_child ("replica", args_2, true, &feed);
    assert (gavel_proc_runs (pid, "replica", other_id));
    int64_t started = zclock_mono ();
    assert (gavel_proc_stop (pid, 200, 5000) == 1);
    assert (zclock_mono () - started >= 200);
    assert (gavel_proc_state (pid) == 0);
    close (feed);

    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert (system (command) == 0);
    printf ("OK\n");
}
