/*  gavel_entrylog: the replicated log in memory, entries base+1..last.

    A growable array: the hot path (append, look up by index) is O(1). What
    a snapshot covers (base and before) is dropped; only base's term is kept,
    for the log-matching check of the entry after it.
*/
#include "gavel_entrylog.h"

struct _gavel_entrylog_t {
    gavel_msg_t **entries;      //  entries [i - base - 1] is index i
    uint64_t count;
    uint64_t capacity;
    uint64_t base;              //  last index a snapshot covers
    uint64_t base_term;
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
        gavel_entrylog_truncate (self, self->base);
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

void
gavel_entrylog_append (gavel_entrylog_t *self, gavel_msg_t **entry_p)
{
    assert (entry_p && *entry_p);
    assert (gavel_msg_index (*entry_p) == self->base + self->count + 1);
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
    assert (index >= self->base);
    while (self->base + self->count > index)
        gavel_msg_destroy (&self->entries [--self->count]);
}

void
gavel_entrylog_compact (gavel_entrylog_t *self, uint64_t index, uint64_t term)
{
    if (index <= self->base)
        return;
    uint64_t drop = index - self->base;
    if (drop >= self->count) {
        gavel_entrylog_truncate (self, self->base);
        self->count = 0;
    }
    else {
        for (uint64_t offset = 0; offset < drop; offset++)
            gavel_msg_destroy (&self->entries [offset]);
        memmove (self->entries, self->entries + drop, (self->count - drop) * sizeof (gavel_msg_t *));
        self->count -= drop;
    }
    self->base = index;
    self->base_term = term;
}

gavel_msg_t *
gavel_entrylog_at (gavel_entrylog_t *self, uint64_t index)
{
    return index > self->base && index <= self->base + self->count
         ? self->entries [index - self->base - 1]: NULL;
}

uint64_t
gavel_entrylog_last_index (gavel_entrylog_t *self)
{
    return self->base + self->count;
}

uint64_t
gavel_entrylog_base (gavel_entrylog_t *self)
{
    return self->base;
}

uint64_t
gavel_entrylog_term_at (gavel_entrylog_t *self, uint64_t index)
{
    if (index == self->base)
        return self->base_term;
    gavel_msg_t *entry = gavel_entrylog_at (self, index);
    return entry? gavel_msg_term (entry): 0;
}

uint64_t
gavel_entrylog_last_term (gavel_entrylog_t *self)
{
    return gavel_entrylog_term_at (self, gavel_entrylog_last_index (self));
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
    //  A snapshot at 1200 drops what it covers and keeps the tail
    gavel_entrylog_compact (log, 1200, 2);
    assert (gavel_entrylog_base (log) == 1200);
    assert (gavel_entrylog_at (log, 1200) == NULL);
    assert (gavel_entrylog_term_at (log, 1200) == 2);
    assert (gavel_msg_index (gavel_entrylog_at (log, 1201)) == 1201);
    assert (gavel_entrylog_last_index (log) == 1500);
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_NOOP);
    gavel_msg_set_index (entry, 1501);
    gavel_msg_set_term (entry, 5);
    gavel_entrylog_append (log, &entry);
    assert (gavel_entrylog_last_term (log) == 5);
    //  One beyond the end (a snapshot installed from the primary) empties it
    gavel_entrylog_compact (log, 2000, 6);
    assert (gavel_entrylog_last_index (log) == 2000);
    assert (gavel_entrylog_last_term (log) == 6);
    gavel_entrylog_destroy (&log);
    gavel_entrylog_destroy (&log);
    printf ("OK\n");
}
