/*  gavel_launch: starts replicas or brokers of a cluster directory and
    waits until they serve.

    Each starts detached (it outlives us) with its pid file written, then
    must answer STATUS before the deadline; up also waits for one replica to
    say it is primary. All or nothing: on any failure (one exits, one stays
    silent, we are interrupted) those started are stopped again, and what
    went wrong is reported with the end of the culprit's log.

    It reports as gavel-local does: a line per server once all answer on
    stdout, failures on stderr.
*/
#ifndef GAVEL_LAUNCH_H_INCLUDED
#define GAVEL_LAUNCH_H_INCLUDED

#include "gavel_clusterdir.h"

typedef struct _gavel_launch_t gavel_launch_t;

//  Launches servers of local, whose cluster file is loaded.
gavel_launch_t *
    gavel_launch_new (gavel_clusterdir_t *local);

void
    gavel_launch_destroy (gavel_launch_t **self_p);

//  ms for every started server to answer (and for one replica to be
//  primary); 10 s unless set.
void
    gavel_launch_set_timeout (gavel_launch_t *self, int64_t timeout);

//  Where the replica and broker programs are; next to our own executable
//  unless set.
void
    gavel_launch_set_program_dir (gavel_launch_t *self, const char *dir);

//  Start processes ids (all replicas, or all brokers: gavel_clusterdir's
//  ids) and wait until each answers STATUS and, if want_primary, until one
//  says it is primary. Returns 0, or -1 with those started stopped again.
int
    gavel_launch_start (gavel_launch_t *self, const uint64_t *ids, size_t count,
                        bool want_primary);

//  Once the replicas serve: start every broker of the cluster file and
//  wait until a STATUS through each is answered (they forward it to the
//  primary). Returns 0, or -1 with the replicas stopped too: up starts all
//  or nothing.
int
    gavel_launch_brokers (gavel_launch_t *self);

void
    gavel_launch_test (bool verbose);

#endif
