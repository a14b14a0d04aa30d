/*  gavel_store: the replica's data directory. Term, vote and log on disk.

    DIR/state holds "TERM VOTE", replaced atomically (write, then rename).
    DIR/log holds one entry a line, in the codec's entry form, appended; a
    cut (entries replaced after a conflict) truncates the file at the line.
    A line that does not decode (a crash mid-write) ends the log there: it
    is cut off and logged, never applied.

    This is the shell's side of durability: the core asks, this writes. It is
    deliberately plain; checksums, snapshots and fsync policy come with the
    durability issue.
*/
#ifndef GAVEL_STORE_H_INCLUDED
#define GAVEL_STORE_H_INCLUDED

#include "gavel_msg.h"

typedef struct _gavel_store_t gavel_store_t;

//  Open (creating) the data directory. NULL with error on failure.
gavel_store_t *
    gavel_store_new (const char *directory, char *error, size_t error_size);

void
    gavel_store_destroy (gavel_store_t **self_p);

//  Read back what was stored: term, vote and a new list of entries (caller
//  owns). Returns 0, or -1 with error when the directory cannot be read.
int
    gavel_store_load (gavel_store_t *self, uint64_t *term, uint64_t *vote,
                      zlistx_t **entries_p, char *error, size_t error_size);

int
    gavel_store_save_state (gavel_store_t *self, uint64_t term, uint64_t vote);

//  Drop stored entries after prev_index, then append these. Returns 0 or -1.
int
    gavel_store_save_entries (gavel_store_t *self, uint64_t prev_index, gavel_msg_t *entries);

void
    gavel_store_test (bool verbose);

#endif
