/*  lincheck_history: the lines of bidder --history files, read into
    operations (each with what its reply shows the model), names interned.
*/
#ifndef LINCHECK_HISTORY_H_INCLUDED
#define LINCHECK_HISTORY_H_INCLUDED

#include "lincheck.h"

//  An empty history
history_t *
    lincheck_history_new (void);

void
    lincheck_history_destroy (history_t **self_p);

//  The name an interned number stands for
const char *
    lincheck_history_name (history_t *self, int name);

//  Adds one history line (without its newline). Returns 0, or -1 with what
//  is wrong in error. Blank lines, comments and list lines are skipped.
int
    lincheck_history_add (history_t *self, const char *text, const char *file,
                          size_t line, char *error, size_t error_size);

//  Returns 0, or -1 after saying what is wrong on stderr.
int
    lincheck_history_load (history_t *self, const char *path);

#endif
