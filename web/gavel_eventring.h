/*  gavel_eventring: the last events of the feed, for the web's readers.

    One writer (gavel-web's feed loop) puts each event as the text a reader
    sends, under its number; any number of readers (an HTTP connection
    each, on threads of their own) wait for the event after the one they
    sent last. The writer never waits for a reader: the ring holds the
    last `size` events and overwrites the oldest, so a reader that falls
    further behind than that is told its events are gone (the page then
    reloads the whole house) rather than holding the feed up. Thread safe.
*/
#ifndef GAVEL_EVENTRING_H_INCLUDED
#define GAVEL_EVENTRING_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GAVEL_EVENTRING_NEXT,       //  the next event: its number and text
    GAVEL_EVENTRING_TIMEOUT,    //  none came within the wait
    GAVEL_EVENTRING_GONE,       //  the events after `after` are no longer
                                //  held, or `after` is past the last one
    GAVEL_EVENTRING_CLOSED      //  the ring is closed: stop reading
} gavel_eventring_result_t;

typedef struct _gavel_eventring_t gavel_eventring_t;

//  A ring of the last size events (size 1 or more).
gavel_eventring_t *
    gavel_eventring_new (size_t size);

void
    gavel_eventring_destroy (gavel_eventring_t **self_p);

//  Event number seq (above the last put), as text (copied); wakes readers.
void
    gavel_eventring_put (gavel_eventring_t *self, uint64_t seq, const char *text);

//  The feed started again: forget every event, so that readers are told
//  theirs are gone.
void
    gavel_eventring_clear (gavel_eventring_t *self);

//  The number of the last event put, 0 when none.
uint64_t
    gavel_eventring_last (gavel_eventring_t *self);

//  The first event numbered above after, waiting at most timeout ms for
//  it: NEXT with *seq and *text (a copy the caller frees), or TIMEOUT, GONE
//  or CLOSED. after 0 with no event yet waits for the first.
gavel_eventring_result_t
    gavel_eventring_wait (gavel_eventring_t *self, uint64_t after, int64_t timeout,
                          uint64_t *seq, char **text);

//  Wake every reader with CLOSED, now and from now on.
void
    gavel_eventring_close (gavel_eventring_t *self);

void
    gavel_eventring_test (bool verbose);

#endif
