/*  gavel_frames: the frames of any ZeroMQ message, shown on one line.

    What came off the wire may hold anything: no byte of it reaches the
    terminal as a control sequence, nor breaks the one-line-per-message
    rule (zmq-tail --raw, and its malformed-message lines).
*/
#ifndef GAVEL_FRAMES_H_INCLUDED
#define GAVEL_FRAMES_H_INCLUDED

#include <czmq.h>

//  True when data is printable UTF-8: no control character, no overlong
//  form or surrogate, none of the marks that reorder or break a line.
bool
    gavel_frames_printable (const unsigned char *data, size_t size);

//  Put msg on stream as "[COUNT] frame | frame | ...", without a newline:
//  a frame as text when printable, else as 0x hex, cut after
//  GAVEL_FRAMES_SHOWN bytes with its full size said.
void
    gavel_frames_put (FILE *stream, zmsg_t *msg);

#define GAVEL_FRAMES_SHOWN  1024

void
    gavel_frames_test (bool verbose);

#endif
