/*  gavel_spawn: how gavel-local starts a replica or broker: the program
    next to its own executable, run detached with its output in a log.

    Kept apart, as it was in gavel_local.c, until common/gavel_child (one
    fork/exec for every program) replaces it.
*/
#ifndef GAVEL_SPAWN_H_INCLUDED
#define GAVEL_SPAWN_H_INCLUDED

#include <czmq.h>

//  The program name next to our own executable, into path (PATH_MAX), if
//  we may run it. Returns 0, or -1 with the reason in error.
int
    gavel_spawn_program (char *path, const char *name, char *error, size_t error_size);

//  Start program with argv in a session of its own, stdin from /dev/null,
//  stdout and stderr appended to log_path, none of our other descriptors.
//  *log_start is where its lines begin in the log. Returns its pid, or -1
//  with the reason in error (label names it there).
pid_t
    gavel_spawn_detached (const char *program, char *const argv [], const char *label,
                          const char *log_path, off_t *log_start,
                          char *error, size_t error_size);

#endif
