/*  gavel_seen: a window of the events a watcher has printed.
*/
#include "gavel_seen.h"

struct _gavel_seen_t {
    zhashx_t *keys;             //  "INDEX RECORD" -> present
    char **ring;                //  the same keys, oldest replaced first
    size_t size;
    size_t next;
};

gavel_seen_t *
gavel_seen_new (size_t size)
{
    assert (size > 0);
    gavel_seen_t *self = (gavel_seen_t *) zmalloc (sizeof (gavel_seen_t));
    assert (self);
    self->keys = zhashx_new ();
    self->ring = (char **) zmalloc (size * sizeof (char *));
    assert (self->keys && self->ring);
    self->size = size;
    return self;
}

void
gavel_seen_destroy (gavel_seen_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_seen_t *self = *self_p;
        zhashx_destroy (&self->keys);
        for (size_t index = 0; index < self->size; index++)
            zstr_free (&self->ring [index]);
        free (self->ring);
        free (self);
        *self_p = NULL;
    }
}

bool
gavel_seen_check (gavel_seen_t *self, uint64_t index, const char *record)
{
    char *key = zsys_sprintf ("%" PRIu64 " %s", index, record);
    assert (key);
    if (zhashx_lookup (self->keys, key)) {
        zstr_free (&key);
        return true;
    }
    char **slot = &self->ring [self->next];
    if (*slot) {
        zhashx_delete (self->keys, *slot);
        zstr_free (slot);
    }
    zhashx_insert (self->keys, key, self);
    *slot = key;
    self->next = (self->next + 1) % self->size;
    return false;
}

void
gavel_seen_test (bool verbose)
{
    printf (" * gavel_seen: ");
    gavel_seen_t *seen = gavel_seen_new (2);
    assert (!gavel_seen_check (seen, 7, "event=bid auction=1"));
    assert (gavel_seen_check (seen, 7, "event=bid auction=1"));
    //  Same index, another record: another event (a CLOSE of two auctions)
    assert (!gavel_seen_check (seen, 7, "event=closed auction=2"));
    //  A third event pushes the oldest out of a window of two
    assert (!gavel_seen_check (seen, 8, "event=bid auction=1"));
    assert (!gavel_seen_check (seen, 7, "event=bid auction=1"));
    assert (gavel_seen_check (seen, 8, "event=bid auction=1"));
    gavel_seen_destroy (&seen);
    gavel_seen_destroy (&seen);
    printf ("OK\n");
}
