/*  gavel_eventline: one event of Gavel's feed, checked and put on one line.

    For people (gavel_record's pretty line) or as a JSON object; and a
    message that is not the event it should be, shown frame by frame
    (gavel_frames) with why it is not.
*/
#ifndef GAVEL_EVENTLINE_H_INCLUDED
#define GAVEL_EVENTLINE_H_INCLUDED

#include <czmq.h>
#include "gavel_msg.h"
#include "gavel_record.h"

//  An event, checked: NULL when it is one (fields filled in), else what is
//  wrong (in why, or a constant).
const char *
    gavel_eventline_check (gavel_msg_t *event, gavel_record_event_t *fields,
                           char *why, size_t size);

//  Put a checked event on stream as one line, pretty or (json) a JSON
//  object, unless auction is not 0 and the event is of another auction.
//  Returns true when it was put.
bool
    gavel_eventline_put (FILE *stream, gavel_msg_t *event, bool json, uint64_t auction);

//  Put "malformed (WHY): FRAMES" on stream as one line, after "PROGRAM: "
//  when program is not NULL (a note among notes, not a line of the feed).
void
    gavel_eventline_put_malformed (FILE *stream, const char *program, zmsg_t *msg,
                                   const char *why);

void
    gavel_eventline_test (bool verbose);

#endif
