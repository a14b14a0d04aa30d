/*  gavel_watch: the bidder's `watch`, the cluster's events between answers.

    Subscribes to the feed of the cluster file (the brokers' when it lists
    any: one gap-free stream; else every replica's, since whichever is
    primary publishes), passes what comes through gavel_feed so that each
    event number shows once, and prints each event of the watched auction
    (or of all) as a line starting with "* ", in words (with JSON: the
    event's seq and record as one object). It knows who led each auction,
    to say "outbid" when the bidder's own lead is taken.

    It also waits for the bidder: on stdin, printing events meanwhile.
*/
#ifndef GAVEL_WATCH_H_INCLUDED
#define GAVEL_WATCH_H_INCLUDED

#include <stdio.h>
#include "gavel_msg.h"

typedef struct _gavel_watch_t gavel_watch_t;

//  Called before (true) and after (false) an event line is printed, so that
//  a prompt on screen can make way for it and be drawn again.
typedef void (gavel_watch_prompt_fn) (bool before);

//  Create a watch on the feed of cluster (NULL: none to watch), printing
//  on stream, as JSON when json. Opens no socket yet.
gavel_watch_t *
    gavel_watch_new (const char *cluster, bool json, FILE *stream);

//  Destroy; closes the feed's sockets; sets the caller's pointer to NULL.
void
    gavel_watch_destroy (gavel_watch_t **self_p);

void
    gavel_watch_set_prompt (gavel_watch_t *self, gavel_watch_prompt_fn *prompt);

//  The bidder's current name, for "outbid".
void
    gavel_watch_set_name (gavel_watch_t *self, const char *name);

//  name now leads auction (its bid succeeded): a bid may beat the feed's
//  connect, and the feed must still know who led.
void
    gavel_watch_set_leader (gavel_watch_t *self, uint64_t auction, const char *name);

//  (Re)subscribe and print the events of auction from now on (0: every
//  auction). Returns 0, or -1 with the reason in error.
int
    gavel_watch_start (gavel_watch_t *self, uint64_t auction, char *error, size_t size);

//  Unsubscribe; the event numbers seen so far are kept.
void
    gavel_watch_stop (gavel_watch_t *self);

//  True while subscribed.
bool
    gavel_watch_active (gavel_watch_t *self);

//  Wait up to timeout ms (-1: for ever) for input on stdin when with_stdin,
//  printing the events that come meanwhile. Returns true when stdin is
//  readable; false on time-out or a signal.
bool
    gavel_watch_wait (gavel_watch_t *self, int64_t timeout, bool with_stdin);

//  The line of an event's record, in words; a kind not known here is shown
//  as it came, and what a record lacks shows empty. Learns who leads.
void
    gavel_watch_event_text (gavel_watch_t *self, const char *record, char *text, size_t size);

void
    gavel_watch_test (bool verbose);

#endif
