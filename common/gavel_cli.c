/*  gavel_cli: what a command-line program says when its arguments are wrong.
*/
#include "gavel_cli.h"
#include "gavel_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
gavel_cli_usage_error (const char *program, const char *synopsis, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n%s(%s --help for more)\n", synopsis, program);
    va_end (args);
}

int
gavel_cli_fail (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    return 1;
}

int
gavel_cli_option_int (const char *program, const char *synopsis, const char *option,
                      const char *text, int64_t min, int64_t max, int64_t *value)
{
    const char *why = NULL;
    if (gavel_text_parse_int (text, min, max, value, &why) == 0)
        return 0;
    char quoted [48];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    gavel_cli_usage_error (program, synopsis, "%s '%s' %s (%" PRId64 " to %" PRId64 ")",
                           option, quoted, why? why: "is not valid", min, max);
    return -1;
}
