/*  gavel_entrylog: the replicated log in memory, entries base+1..last.

    Holds gavel_msg_t entries (OPEN, BID, NOOP, CLOSE, each with its term,
    index and stamp) in index order. Pure data: the core decides what goes in
    and what is cut; the shell makes it durable.
*/
#ifndef GAVEL_ENTRYLOG_H_INCLUDED
#define GAVEL_ENTRYLOG_H_INCLUDED

#include "gavel_msg.h"

typedef struct _gavel_entrylog_t gavel_entrylog_t;

gavel_entrylog_t *
    gavel_entrylog_new (void);

void
    gavel_entrylog_destroy (gavel_entrylog_t **self_p);

//  Append an entry whose index must be last + 1. Takes ownership.
void
    gavel_entrylog_append (gavel_entrylog_t *self, gavel_msg_t **entry_p);

//  Drop every entry after index (index >= base).
void
    gavel_entrylog_truncate (gavel_entrylog_t *self, uint64_t index);

//  A snapshot covers everything up to index, whose term is term: drop those
//  entries. An index past the end empties the log, which then continues
//  from index + 1.
void
    gavel_entrylog_compact (gavel_entrylog_t *self, uint64_t index, uint64_t term);

//  The last index a snapshot covers (0 when none).
uint64_t
    gavel_entrylog_base (gavel_entrylog_t *self);

//  The entry at index, borrowed, or NULL when out of range.
gavel_msg_t *
    gavel_entrylog_at (gavel_entrylog_t *self, uint64_t index);

uint64_t
    gavel_entrylog_last_index (gavel_entrylog_t *self);

//  Term of the entry at index (or of base); 0 out of range.
uint64_t
    gavel_entrylog_term_at (gavel_entrylog_t *self, uint64_t index);

uint64_t
    gavel_entrylog_last_term (gavel_entrylog_t *self);

void
    gavel_entrylog_test (bool verbose);

#endif
