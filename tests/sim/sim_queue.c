/*  sim_queue: Random numbers (splitmix64) and the event queue (a binary heap).
*/
#include "sim.h"

//  --------------------------------------------------------------------------
//  Random numbers: splitmix64, our own so that a seed means the same run on
//  every libc

uint64_t
sim_mix (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}


static bool
s_earlier (const event_t *a, const event_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void
s_queue_place (queue_t *queue, size_t pos, event_t *event)
{
    queue->items [pos] = event;
    event->pos = pos;
}

static void
s_queue_up (queue_t *queue, size_t pos)
{
    event_t *event = queue->items [pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!s_earlier (event, queue->items [parent]))
            break;
        s_queue_place (queue, pos, queue->items [parent]);
        pos = parent;
    }
    s_queue_place (queue, pos, event);
}

static void
s_queue_down (queue_t *queue, size_t pos)
{
    event_t *event = queue->items [pos];
    while (true) {
        size_t child = 2 * pos + 1;
        if (child >= queue->size)
            break;
        if (child + 1 < queue->size
        &&  s_earlier (queue->items [child + 1], queue->items [child]))
            child++;
        if (!s_earlier (queue->items [child], event))
            break;
        s_queue_place (queue, pos, queue->items [child]);
        pos = child;
    }
    s_queue_place (queue, pos, event);
}

void
sim_queue_push (queue_t *queue, event_t *event, int64_t time)
{
    assert (event->pos == NOT_QUEUED);
    if (queue->size == queue->capacity) {
        queue->capacity = queue->capacity? queue->capacity * 2: 256;
        queue->items = (event_t **) realloc (queue->items,
                                             queue->capacity * sizeof (event_t *));
        assert (queue->items);
    }
    event->time = time;
    event->seq = ++queue->sequence;
    s_queue_place (queue, queue->size++, event);
    s_queue_up (queue, event->pos);
}

event_t *
sim_queue_pop (queue_t *queue)
{
    if (queue->size == 0)
        return NULL;
    event_t *first = queue->items [0];
    if (--queue->size > 0) {
        s_queue_place (queue, 0, queue->items [queue->size]);
        s_queue_down (queue, 0);
    }
    first->pos = NOT_QUEUED;
    return first;
}

void
sim_queue_remove (queue_t *queue, event_t *event)
{
    if (event->pos == NOT_QUEUED)
        return;
    size_t pos = event->pos;
    event->pos = NOT_QUEUED;
    if (pos == --queue->size)
        return;
    event_t *last = queue->items [queue->size];
    s_queue_place (queue, pos, last);
    s_queue_up (queue, pos);
    s_queue_down (queue, last->pos);
}

//  (Re)arm a timer: a new sequence number, as if inserted now
void
sim_queue_set (queue_t *queue, event_t *event, int64_t time)
{
    sim_queue_remove (queue, event);
    sim_queue_push (queue, event, time);
}

event_t *
sim_event_new (event_kind_t kind, size_t source, size_t target)
{
    event_t *self = (event_t *) zmalloc (sizeof (event_t));
    assert (self);
    self->kind = kind;
    self->source = source;
    self->target = target;
    self->pos = NOT_QUEUED;
    return self;
}

void
sim_event_destroy (event_t **self_p)
{
    event_t *self = *self_p;
    if (self) {
        assert (!self->timer && self->pos == NOT_QUEUED);
        gavel_msg_destroy (&self->msg);
        free (self);
        *self_p = NULL;
    }
}

void
sim_timer_init (event_t *timer, event_kind_t kind, size_t target)
{
    memset (timer, 0, sizeof *timer);
    timer->kind = kind;
    timer->timer = true;
    timer->target = target;
    timer->pos = NOT_QUEUED;
}


//  --------------------------------------------------------------------------
//  Random helpers

uint64_t
sim_below (sim_t *self, uint64_t limit)
{
    return limit? sim_mix (&self->rng) % limit: 0;
}

int64_t
sim_between (sim_t *self, int64_t low, int64_t high)
{
    return low + (int64_t) sim_below (self, (uint64_t) (high - low) + 1);
}

double
sim_unit (sim_t *self)
{
    return (double) (sim_mix (&self->rng) >> 11) * 0x1.0p-53;
}

bool
sim_chance (sim_t *self, double probability)
{
    return sim_unit (self) < probability;
}
