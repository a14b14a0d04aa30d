/*  gavel_history: the bidder's --history file, for gavel-lincheck.

    One line per OPEN, BID and RESULT when it completes: invoke and complete
    times (us, monotonic), session, name, op, auction, amount (the reserve
    for open), outcome (none: no answer), reason, record. tests/
    gavel_lincheck.c reads it. The file is opened O_APPEND and each line
    written with a single write(), so lines of several bidders sharing the
    file stay whole.
*/
#ifndef GAVEL_HISTORY_H_INCLUDED
#define GAVEL_HISTORY_H_INCLUDED

#include "gavel_msg.h"

typedef struct _gavel_history_t gavel_history_t;

//  Open path for appending, creating it. Returns NULL with the reason in
//  error when it cannot be opened.
gavel_history_t *
    gavel_history_new (const char *path, char *error, size_t size);

//  Destroy; closes the file; sets the caller's pointer to NULL.
void
    gavel_history_destroy (gavel_history_t **self_p);

//  Append the line of request (made in session) answered by reply, or by
//  none when reply is NULL, between invoked and completed (us). Other
//  requests than OPEN, BID and RESULT write nothing. Returns 0, or -1 with
//  the reason in error when the write failed: then the file is closed and
//  no line follows, since a history with holes would mislead the checker.
int
    gavel_history_put (gavel_history_t *self, const char *session, gavel_msg_t *request,
                       gavel_msg_t *reply, int64_t invoked, int64_t completed,
                       char *error, size_t size);

void
    gavel_history_test (bool verbose);

#endif
