/*  gavel_capture: what this process prints on stdout and stderr, caught
    while the capture lasts; for the self tests of code that reports by
    printing.
*/
#ifndef GAVEL_CAPTURE_H_INCLUDED
#define GAVEL_CAPTURE_H_INCLUDED

#include <czmq.h>

typedef struct _gavel_capture_t gavel_capture_t;

//  From now on stdout and stderr go to an anonymous file.
gavel_capture_t *
    gavel_capture_new (void);

//  Puts stdout and stderr back where they were.
void
    gavel_capture_destroy (gavel_capture_t **self_p);

//  What was printed since the last call (or the start), stdout and stderr
//  flushed first; stdout is buffered as ever, so lines printed to both
//  come in the order they were flushed. The caller frees it.
char *
    gavel_capture_since (gavel_capture_t *self);

void
    gavel_capture_test (bool verbose);

#endif
