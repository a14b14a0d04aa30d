/*  gavel_local_status: gavel-local's STATUS request to a replica or broker,
    and what it makes of the reply.

    Kept apart, as it was in gavel_local.c, until common/gavel_status (one
    STATUS ask and decoder for every program) replaces it.
*/
#ifndef GAVEL_LOCAL_STATUS_H_INCLUDED
#define GAVEL_LOCAL_STATUS_H_INCLUDED

#include "gavel_msg.h"

//  What status shows for one replica; unknown numbers are -1.
typedef struct {
    uint64_t id;
    char role [32];
    int64_t term;
    int64_t commit;
    int64_t last;               //  last index in its log
    int64_t primary;            //  the primary it knows, 0 for none
    pid_t pid;                  //  0 when not running
} gavel_local_state_t;

//  Send STATUS to endpoint and return the replica's successful reply, or
//  NULL if none came within timeout ms.
gavel_msg_t *
    gavel_local_status_ask (const char *endpoint, int64_t timeout);

//  Fill state from a STATUS reply's record. False if it makes no sense.
//  last and primary are optional: a replica serving alone may not say them.
bool
    gavel_local_status_parse (gavel_msg_t *reply, gavel_local_state_t *state);

//  A number as text, or none for -1 (unknown).
void
    gavel_local_status_format (char *text, size_t size, int64_t value, const char *none);

#endif
