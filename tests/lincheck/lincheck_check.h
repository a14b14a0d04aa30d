/*  lincheck_check: a history checked auction by auction, with a report of
    each violation; and the checker's self test.
*/
#ifndef LINCHECK_CHECK_H_INCLUDED
#define LINCHECK_CHECK_H_INCLUDED

#include "lincheck.h"

//  Returns the exit status.
int
    lincheck_check (history_t *history, FILE *out, bool verbose, int64_t skew_ms);

//  Histories made up to show that the checker finds what it must, and
//  passes what it must (asserts)
void
    lincheck_selftest (bool verbose);

#endif
