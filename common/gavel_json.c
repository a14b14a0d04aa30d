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

//  ---------------------------------------------------------------------------
//  Self test

#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  What fput_string prints for text, into memory
static char *
s_test_string (const char *text, size_t length)
{
    char *printed = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&printed, &size);
    assert (stream);
    gavel_json_fput_string (stream, text, length);
    fclose (stream);
    return printed;
}

void
gavel_json_test (bool verbose)
{
    printf (" * gavel_json: ");
    struct {
        const char *text;
        size_t length;
        const char *json;
    } strings [] = {
        { "plain", 5, "\"plain\"" },
        { "", 0, "\"\"" },
        { "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
        { "tab\there\n", 9, "\"tab\\u0009here\\u000a\"" },
        { "nul\0x", 5, "\"nul\\u0000x\"" },             //  the length counts, not a NUL
        { "\x7f\xff", 2, "\"\\u007f\\u00ff\"" },        //  never a raw byte a parser refuses
        { "cut here", 3, "\"cut\"" }
    };
    for (size_t index = 0; index < sizeof strings / sizeof strings [0]; index++) {
        char *printed = s_test_string (strings [index].text, strings [index].length);
        if (verbose)
            printf ("\n   %s", printed);
        assert (strcmp (printed, strings [index].json) == 0);
        free (printed);
    }
    struct {
        const char *text;
        bool number;
    } numbers [] = {
        { "0", true }, { "42", true }, { "-7", true }, { "18446744073709551615", true },
        { "", false }, { "-", false }, { "007", false }, { "-01", false }, { "1.5", false },
        { "1e3", false }, { "+1", false }, { " 1", false }, { "123456789012345678901", false }
    };
    for (size_t index = 0; index < sizeof numbers / sizeof numbers [0]; index++)
        assert (gavel_json_is_number (numbers [index].text, strlen (numbers [index].text))
                == numbers [index].number);
    printf ("OK\n");
}
