/*  gavel_writer: a replica's log saves, written and synced on a thread of
    their own, so that with fsync always the loop fills its next batch while
    the disk syncs the last one, instead of waiting for every fdatasync.

    The loop hands each of the core's SAVE_ENTRIES to gavel_writer_save and
    goes on. The writer takes every save waiting, writes them in order,
    syncs once for all of them (a group commit across loop turns), and
    tells the loop through a descriptor it polls. gavel_writer_report then
    gives the core its persisted events, in order, and destroys the saves'
    messages: messages (their shares and their pool) are the loop thread's.

    The store is the writer's while saves wait. gavel_writer_wait gives it
    back until the next save: the loop writes a snapshot, a term or a vote
    itself, after the saves before it, as the core expects.
*/
#ifndef GAVEL_WRITER_H_INCLUDED
#define GAVEL_WRITER_H_INCLUDED

#include "gavel_msg.h"
#include "gavel_store.h"

typedef struct _gavel_writer_t gavel_writer_t;

//  What the loop is told of each save written: its last entry's index and
//  term, as the core's SAVE_ENTRIES action named them
typedef void (gavel_writer_fn) (void *arg, uint64_t index, uint64_t term);

//  A writer over store, which it uses alone while saves wait. NULL when no
//  thread or descriptor could be had (errno says why).
gavel_writer_t *
    gavel_writer_new (gavel_store_t *store);

//  Writes what still waits, stops the thread. Saves written but not yet
//  reported are dropped unreported.
void
    gavel_writer_destroy (gavel_writer_t **self_p);

//  Queue a save (a LOG message: prev_index and the entries after it; the
//  writer takes it), reported as (index, term) once written and synced.
void
    gavel_writer_save (gavel_writer_t *self, gavel_msg_t **save_p, uint64_t index, uint64_t term);

//  Wait until every save queued is written and synced. Returns 0, or -1
//  (errno set) when one failed.
int
    gavel_writer_wait (gavel_writer_t *self);

//  Whether a save is queued or being written (and none failed)
bool
    gavel_writer_busy (gavel_writer_t *self);

//  Readable (for poll) while saves written wait to be reported
int
    gavel_writer_fd (gavel_writer_t *self);

//  Report the saves written and synced since the last call, in order, to
//  persisted, and destroy them. Returns 0, or -1 (errno set) once a write
//  or a sync failed: that batch is never reported, and no later save is
//  written. The descriptor may wake the caller with nothing to report.
int
    gavel_writer_report (gavel_writer_t *self, gavel_writer_fn *persisted, void *arg);

void
    gavel_writer_test (bool verbose);

#endif
