/*  gavel_file: small files written whole, so that no reader ever sees half
    of one (a pid file, a cluster file a replica is about to read).
*/
#ifndef GAVEL_FILE_H_INCLUDED
#define GAVEL_FILE_H_INCLUDED

#include <czmq.h>

//  Write text to path: written aside (path.tmp) and renamed over path.
//  Returns 0, or -1 with the reason in error (nothing is left aside).
int
    gavel_file_save (const char *path, const char *text, char *error, size_t error_size);

void
    gavel_file_test (bool verbose);

#endif
