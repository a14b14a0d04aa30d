/*  gavel_eventring: the last events of the feed, for the web's readers.
*/
#include "gavel_eventring.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    uint64_t seq;
    char *text;
} s_slot_t;

struct _gavel_eventring_t {
    pthread_mutex_t mutex;
    pthread_cond_t changed;         //  an event put, the ring cleared or closed
    s_slot_t *slots;
    size_t size;
    size_t count;                   //  events held
    size_t next;                    //  the slot the next event goes to
    bool closed;
};

gavel_eventring_t *
gavel_eventring_new (size_t size)
{
    assert (size > 0);
    gavel_eventring_t *self = (gavel_eventring_t *) calloc (1, sizeof (gavel_eventring_t));
    assert (self);
    self->slots = (s_slot_t *) calloc (size, sizeof (s_slot_t));
    assert (self->slots);
    self->size = size;
    pthread_mutex_init (&self->mutex, NULL);
    //  Waits are measured on the monotonic clock: a wall-clock step must
    //  not stretch or cut them
    pthread_condattr_t attributes;
    pthread_condattr_init (&attributes);
    pthread_condattr_setclock (&attributes, CLOCK_MONOTONIC);
    pthread_cond_init (&self->changed, &attributes);
    pthread_condattr_destroy (&attributes);
    return self;
}

static void
s_clear (gavel_eventring_t *self)
{
    for (size_t index = 0; index < self->size; index++) {
        free (self->slots [index].text);
        self->slots [index].text = NULL;
    }
    self->count = self->next = 0;
}

void
gavel_eventring_destroy (gavel_eventring_t **self_p)
{
    assert (self_p);
    gavel_eventring_t *self = *self_p;
    if (self) {
        s_clear (self);
        free (self->slots);
        pthread_cond_destroy (&self->changed);
        pthread_mutex_destroy (&self->mutex);
        free (self);
        *self_p = NULL;
    }
}

static s_slot_t *
s_oldest (gavel_eventring_t *self)
{
    return &self->slots [(self->next + self->size - self->count) % self->size];
}

static s_slot_t *
s_newest (gavel_eventring_t *self)
{
    return &self->slots [(self->next + self->size - 1) % self->size];
}

void
gavel_eventring_put (gavel_eventring_t *self, uint64_t seq, const char *text)
{
    assert (self && text);
    pthread_mutex_lock (&self->mutex);
    assert (self->count == 0 || seq > s_newest (self)->seq);
    s_slot_t *slot = &self->slots [self->next];
    free (slot->text);
    slot->seq = seq;
    slot->text = strdup (text);
    assert (slot->text);
    self->next = (self->next + 1) % self->size;
    if (self->count < self->size)
        self->count++;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->mutex);
}

void
gavel_eventring_clear (gavel_eventring_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    s_clear (self);
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->mutex);
}

uint64_t
gavel_eventring_last (gavel_eventring_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    uint64_t last = self->count? s_newest (self)->seq: 0;
    pthread_mutex_unlock (&self->mutex);
    return last;
}

//  Under the mutex: where a reader after `after` stands
static gavel_eventring_result_t
s_look (gavel_eventring_t *self, uint64_t after, uint64_t *seq, char **text)
{
    if (self->closed)
        return GAVEL_EVENTRING_CLOSED;
    if (self->count == 0)
        return GAVEL_EVENTRING_TIMEOUT;
    uint64_t first = s_oldest (self)->seq;
    uint64_t last = s_newest (self)->seq;
    if (after > last || after + 1 < first)
        return GAVEL_EVENTRING_GONE;
    if (after == last)
        return GAVEL_EVENTRING_TIMEOUT;
    //  Numbers rise but may skip (a hole the feed passed over): the first
    //  held above after
    for (size_t count = self->count; count > 0; count--) {
        s_slot_t *slot = &self->slots [(self->next + self->size - count) % self->size];
        if (slot->seq > after) {
            *seq = slot->seq;
            *text = strdup (slot->text);
            assert (*text);
            return GAVEL_EVENTRING_NEXT;
        }
    }
    assert (false);             //  last > after: one is above
    return GAVEL_EVENTRING_TIMEOUT;
}

gavel_eventring_result_t
gavel_eventring_wait (gavel_eventring_t *self, uint64_t after, int64_t timeout,
                      uint64_t *seq, char **text)
{
    assert (self && seq && text);
    struct timespec deadline;
    clock_gettime (CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout / 1000;
    deadline.tv_nsec += (timeout % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock (&self->mutex);
    gavel_eventring_result_t result;
    while ((result = s_look (self, after, seq, text)) == GAVEL_EVENTRING_TIMEOUT)
        if (pthread_cond_timedwait (&self->changed, &self->mutex, &deadline))
            break;
    pthread_mutex_unlock (&self->mutex);
    return result;
}

void
gavel_eventring_close (gavel_eventring_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    self->closed = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->mutex);
}


//  --------------------------------------------------------------------------
//  Self test

//  Waits for event 4, which the test puts once we run
static void *
s_test_reader (void *arg)
{
    gavel_eventring_t *self = (gavel_eventring_t *) arg;
    uint64_t seq;
    char *text = NULL;
    gavel_eventring_result_t result = gavel_eventring_wait (self, 3, 5000, &seq, &text);
    assert (result == GAVEL_EVENTRING_NEXT && seq == 4 && strcmp (text, "four") == 0);
    free (text);
    return NULL;
}

//  Waits past the last event until the ring is closed
static void *
s_test_closed_reader (void *arg)
{
    gavel_eventring_t *self = (gavel_eventring_t *) arg;
    uint64_t seq;
    char *text = NULL;
    assert (gavel_eventring_wait (self, 4, 60000, &seq, &text) == GAVEL_EVENTRING_CLOSED);
    return NULL;
}

void
gavel_eventring_test (bool verbose)
{
    printf (" * gavel_eventring: ");
    fflush (stdout);
    gavel_eventring_t *self = gavel_eventring_new (3);
    assert (self);
    uint64_t seq = 0;
    char *text = NULL;
    assert (gavel_eventring_last (self) == 0);
    assert (gavel_eventring_wait (self, 0, 10, &seq, &text) == GAVEL_EVENTRING_TIMEOUT);

    gavel_eventring_put (self, 1, "one");
    gavel_eventring_put (self, 2, "two");
    assert (gavel_eventring_wait (self, 0, 10, &seq, &text) == GAVEL_EVENTRING_NEXT);
    assert (seq == 1 && strcmp (text, "one") == 0);
    free (text);
    assert (gavel_eventring_wait (self, 1, 10, &seq, &text) == GAVEL_EVENTRING_NEXT);
    assert (seq == 2 && strcmp (text, "two") == 0);
    free (text);
    assert (gavel_eventring_wait (self, 2, 10, &seq, &text) == GAVEL_EVENTRING_TIMEOUT);
    //  Past the last: a reader from another feed, or a made-up number
    assert (gavel_eventring_wait (self, 9, 10, &seq, &text) == GAVEL_EVENTRING_GONE);

    //  The writer never waits: the oldest is overwritten, and a reader
    //  that needed it is told so
    gavel_eventring_put (self, 3, "three");
    gavel_eventring_put (self, 5, "five");      //  a hole passed over
    assert (gavel_eventring_last (self) == 5);
    assert (gavel_eventring_wait (self, 0, 10, &seq, &text) == GAVEL_EVENTRING_GONE);
    assert (gavel_eventring_wait (self, 1, 10, &seq, &text) == GAVEL_EVENTRING_NEXT);
    assert (seq == 2);
    free (text);
    assert (gavel_eventring_wait (self, 3, 10, &seq, &text) == GAVEL_EVENTRING_NEXT);
    assert (seq == 5 && strcmp (text, "five") == 0);
    free (text);

    gavel_eventring_clear (self);
    assert (gavel_eventring_last (self) == 0);
    assert (gavel_eventring_wait (self, 5, 10, &seq, &text) == GAVEL_EVENTRING_TIMEOUT);

    //  Readers on other threads are woken by a put, and by the close
    gavel_eventring_put (self, 3, "three");
    pthread_t reader;
    assert (pthread_create (&reader, NULL, s_test_reader, self) == 0);
    gavel_eventring_put (self, 4, "four");
    assert (pthread_join (reader, NULL) == 0);
    assert (pthread_create (&reader, NULL, s_test_closed_reader, self) == 0);
    gavel_eventring_close (self);
    assert (pthread_join (reader, NULL) == 0);
    assert (gavel_eventring_wait (self, 0, 10, &seq, &text) == GAVEL_EVENTRING_CLOSED);

    gavel_eventring_destroy (&self);
    assert (self == NULL);
    printf ("OK\n");
}
