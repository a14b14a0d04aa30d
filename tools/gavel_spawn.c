/*  gavel_spawn: how gavel-local starts a replica or broker (moved as it
    was from gavel_local.c).
*/
#define _GNU_SOURCE             //  close_range
#include "gavel_spawn.h"

#include <fcntl.h>

int
gavel_spawn_program (char *path, const char *name, char *error, size_t error_size)
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
        snprintf (error, error_size, "cannot run the %s program %s: %s "
                  "(gavel-local runs the %s next to itself)", name, path, strerror (errno), name);
        return -1;
    }
    return 0;
}

//  In the child between fork and exec: only async-signal-safe calls.
static void __attribute__ ((noreturn))
s_exec_replica (const char *program, char *const argv [], int null_fd, int log_fd)
{
    //  Its own session: it outlives us and our terminal's Ctrl-C
    setsid ();
    dup2 (null_fd, STDIN_FILENO);
    dup2 (log_fd, STDOUT_FILENO);
    dup2 (log_fd, STDERR_FILENO);
    //  Leave the replica none of our descriptors (our ZeroMQ sockets)
    if (close_range (3, ~0U, 0))
        for (int fd = 3; fd < 1024; fd++)
            close (fd);
    execv (program, argv);
    const char *message = "gavel-local: cannot exec the replica program\n";
    ssize_t ignored = write (STDERR_FILENO, message, strlen (message));
    (void) ignored;
    _exit (127);
}

pid_t
gavel_spawn_detached (const char *program, char *const argv [], const char *label,
                      const char *log_path, off_t *log_start,
                      char *error, size_t error_size)
{
    int log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd == -1) {
        snprintf (error, error_size, "cannot open %s: %s", log_path, strerror (errno));
        return -1;
    }
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd == -1) {
        snprintf (error, error_size, "cannot open /dev/null: %s", strerror (errno));
        close (log_fd);
        return -1;
    }
    *log_start = lseek (log_fd, 0, SEEK_END);
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid == 0)
        s_exec_replica (program, argv, null_fd, log_fd);
    int fork_errno = errno;
    close (log_fd);
    close (null_fd);
    if (pid == -1)
        snprintf (error, error_size, "cannot start %s: %s", label, strerror (fork_errno));
    return pid;
}
