/*  gavel_json: the two pieces every program that prints JSON lines needs.
*/
#ifndef GAVEL_JSON_H_INCLUDED
#define GAVEL_JSON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

//  Print text (length bytes) on stdout as a JSON string, escaped.
void
    gavel_json_put_string (const char *text, size_t length);
//  The same on stream.
void
    gavel_json_fput_string (FILE *stream, const char *text, size_t length);

//  Whether text can stand as a JSON number: decimal digits with an optional
//  '-', no leading zero ("007" stays a string), at most 20 digits.
bool
    gavel_json_is_number (const char *text, size_t length);

void
    gavel_json_test (bool verbose);

#endif
