/*  gavel_entrylog: the replicated log in memory, entries 1..last.

    A growable array: the hot path (append, look up by index) is O(1).
    Snapshots will add a base index so the array holds only the tail.
*/
#include "gavel_entrylog.h"

struct _gavel_entrylog_t {
    gavel_msg_t **entries;      //  entries [i - 1] is index i
    uint64_t count;
    uint64_t capacity;
};

gavel_entrylog_t *
gavel_entrylog_new (void)
{
    gavel_entrylog_t *self = (gavel_entrylog_t *) zmalloc (sizeof (gavel_entrylog_t));
    assert (self);
    return self;
}

void
gavel_entrylog_destroy (gavel_entrylog_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_entrylog_t *self = *self_p;
        gavel_entrylog_truncate (self, 0);
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_entrylog_append (gavel_entrylog_t *self, gavel_msg_t **entry_p)
{
    assert (entry_p && *entry_p);
    assert (gavel_msg_index (*entry_p) == self->count + 1);
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 1024;
        self->entries = (gavel_msg_t **) realloc (self->entries,
                                                  self->capacity * sizeof (gavel_msg_t *));
        assert (self->entries);
    }
    self->entries [self->count++] = *entry_p;
    *entry_p = NULL;
}

void
gavel_entrylog_truncate (gavel_entrylog_t *self, uint64_t index)
{
    while (self->count > index)
        gavel_msg_destroy (&self->entries [--self->count]);
}

gavel_msg_t *
gavel_entrylog_at (gavel_entrylog_t *self, uint64_t index)
{
    return index >= 1 && index <= self->count? self->entries [index - 1]: NULL;
}

uint64_t
gavel_entrylog_last_index (gavel_entrylog_t *self)
{
    return self->count;
}

uint64_t
gavel_entrylog_term_at (gavel_entrylog_t *self, uint64_t index)
{
    gavel_msg_t *entry = gavel_entrylog_at (self, index);
    return entry? gavel_msg_term (entry): 0;
}

uint64_t
gavel_entrylog_last_term (gavel_entrylog_t *self)
{
    return gavel_entrylog_term_at (self, self->count);
}

void
gavel_entrylog_test (bool verbose)
{
    printf (" * gavel_entrylog: ");
    gavel_entrylog_t *log = gavel_entrylog_new ();
    assert (gavel_entrylog_last_index (log) == 0);
    assert (gavel_entrylog_last_term (log) == 0);
    assert (gavel_entrylog_at (log, 1) == NULL);
    for (uint64_t index = 1; index <= 3000; index++) {
        gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_NOOP);
        gavel_msg_set_index (entry, index);
        gavel_msg_set_term (entry, index / 1000 + 1);
        gavel_entrylog_append (log, &entry);
        assert (entry == NULL);
    }
    assert (gavel_entrylog_last_index (log) == 3000);
    assert (gavel_entrylog_last_term (log) == 4);
    assert (gavel_entrylog_term_at (log, 999) == 1);
    assert (gavel_entrylog_term_at (log, 1000) == 2);
    assert (gavel_entrylog_term_at (log, 0) == 0);
    assert (gavel_entrylog_term_at (log, 3001) == 0);
    gavel_entrylog_truncate (log, 1500);
    assert (gavel_entrylog_last_index (log) == 1500);
    assert (gavel_msg_index (gavel_entrylog_at (log, 1500)) == 1500);
    assert (gavel_entrylog_at (log, 1501) == NULL);
    gavel_entrylog_destroy (&log);
    gavel_entrylog_destroy (&log);
    printf ("OK\n");
}
