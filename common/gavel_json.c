/*  gavel_json: the two pieces every program that prints JSON lines needs.
*/
#include "gavel_json.h"

#include <ctype.h>
#include <stdio.h>

void
gavel_json_put_string (const char *text, size_t length)
{
    gavel_json_fput_string (stdout, text, length);
}

void
gavel_json_fput_string (FILE *stream, const char *text, size_t length)
{
    fputc ('"', stream);
    for (size_t index = 0; index < length; index++) {
        unsigned char c = (unsigned char) text [index];
        if (c == '"' || c == '\\')
            fprintf (stream, "\\%c", c);
        else
        if (c < 0x20 || c >= 0x7f)
            fprintf (stream, "\\u%04x", c);
        else
            fputc (c, stream);
    }
    fputc ('"', stream);
}

bool
gavel_json_is_number (const char *text, size_t length)
{
    size_t start = length > 0 && text [0] == '-'? 1: 0;
    if (length == start || length - start > 20)
        return false;
    if (text [start] == '0' && length > start + 1)
        return false;
    for (size_t index = start; index < length; index++)
        if (!isdigit ((unsigned char) text [index]))
            return false;
    return true;
}
