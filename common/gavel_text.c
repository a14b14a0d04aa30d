/*  gavel_text: strict parsing of the text that crosses our borders.
*/
#include "gavel_text.h"
#include "gavel_msg.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <stdio.h>

//  Digits only, no sign; accumulates with an overflow check against limit.
static int
s_parse_digits (const char *text, uint64_t limit, uint64_t *value, const char **why)
{
    if (*text == '\0') {
        *why = "is empty";
        return -1;
    }
    if (text [0] == '0' && text [1] != '\0') {
        *why = "has a leading zero";
        return -1;
    }
    uint64_t total = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9') {
            *why = "is not a number";
            return -1;
        }
        uint64_t digit = (uint64_t) (*c - '0');
        if (total > (limit - digit) / 10) {
            *why = "is out of range";
            return -1;
        }
        total = total * 10 + digit;
    }
    *value = total;
    return 0;
}

int
gavel_text_parse_uint (const char *text, uint64_t min, uint64_t max,
                       uint64_t *value, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    uint64_t parsed;
    if (s_parse_digits (text, UINT64_MAX, &parsed, why))
        return -1;
    if (parsed < min || parsed > max) {
        *why = "is out of range";
        return -1;
    }
    *value = parsed;
    return 0;
}

int
gavel_text_parse_int (const char *text, int64_t min, int64_t max,
                      int64_t *value, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    bool negative = text [0] == '-';
    uint64_t magnitude;
    //  INT64_MIN's magnitude is one more than INT64_MAX's
    uint64_t limit = negative? (uint64_t) INT64_MAX + 1: (uint64_t) INT64_MAX;
    if (s_parse_digits (text + (negative? 1: 0), limit, &magnitude, why)) {
        if (negative && strcmp (*why, "is out of range") && text [1] == '\0')
            *why = "is not a number";
        return -1;
    }
    if (negative && magnitude == 0) {
        *why = "is not a number";       //  "-0"
        return -1;
    }
    int64_t parsed = negative? (int64_t) (0 - magnitude): (int64_t) magnitude;
    if (parsed < min || parsed > max) {
        *why = "is out of range";
        return -1;
    }
    *value = parsed;
    return 0;
}

int
gavel_text_split (char *text, char **words, size_t count)
{
    char *cursor = text;
    for (size_t index = 0; index < count; index++) {
        words [index] = cursor;
        char *space = strchr (cursor, ' ');
        bool last = index + 1 == count;
        if ((space == NULL) != last || space == cursor || *cursor == '\0')
            return -1;
        if (space) {
            *space = '\0';
            cursor = space + 1;
        }
    }
    return 0;
}

int
gavel_text_parse_duration (const char *text, int64_t max_ms, int64_t *ms, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    size_t length = strlen (text);
    size_t digits = strspn (text, "0123456789");
    const char *unit = text + digits;
    int64_t scale;
    if (streq (unit, "") || streq (unit, "s"))
        scale = 1000;
    else
    if (streq (unit, "ms"))
        scale = 1;
    else
    if (streq (unit, "m"))
        scale = 60 * 1000;
    else
    if (streq (unit, "h"))
        scale = 3600 * 1000;
    else {
        *why = "is not a duration (say 90, 90s, 500ms, 2m or 1h)";
        return -1;
    }
    if (digits == 0 || digits > 18 || length > 20) {
        *why = digits? "is out of range": "is not a duration (say 90, 90s, 500ms, 2m or 1h)";
        return -1;
    }
    char number [20];
    memcpy (number, text, digits);
    number [digits] = '\0';
    int64_t count;
    if (gavel_text_parse_int (number, 0, INT64_MAX / scale, &count, why))
        return -1;
    if (count * scale < 1 || count * scale > max_ms) {
        *why = "is out of range";
        return -1;
    }
    *ms = count * scale;
    return 0;
}

static bool
s_valid (const char *text, size_t max, bool (*allowed) (char))
{
    size_t length = 0;
    for (const char *c = text; *c; c++, length++)
        if (length >= max || !allowed (*c))
            return false;
    return length > 0;
}

static bool
s_name_char (char c)
{
    return isalnum ((unsigned char) c) || c == '_' || c == '.' || c == '-';
}

static bool
s_item_char (char c)
{
    return c > ' ' && c < 127 && c != '=' && c != '"';
}

static bool
s_session_char (char c)
{
    return isalnum ((unsigned char) c) || c == '_' || c == '-';
}

bool
gavel_text_valid_name (const char *text)
{
    return s_valid (text, GAVEL_NAME_MAX, s_name_char);
}

bool
gavel_text_valid_item (const char *text)
{
    return s_valid (text, GAVEL_ITEM_MAX, s_item_char);
}

//  Z85's alphabet (ZeroMQ RFC 32)
static bool
s_z85_char (char c)
{
    return c && (isalnum ((unsigned char) c) || strchr (".-:+=^!/*?&<>()[]{}@%$#", c));
}

bool
gavel_text_valid_key (const char *text)
{
    return strlen (text) == GAVEL_KEY_MAX && s_valid (text, GAVEL_KEY_MAX, s_z85_char);
}

bool
gavel_text_valid_session (const char *text)
{
    return s_valid (text, GAVEL_SESSION_MAX, s_session_char);
}

void
gavel_text_quote (const char *text, size_t length, char *out, size_t size)
{
    assert (size >= 8);
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char) text [i];
        char piece [8];
        if (c >= ' ' && c < 127 && c != '\\')
            snprintf (piece, sizeof piece, "%c", c);
        else
            snprintf (piece, sizeof piece, "\\x%02x", c);
        size_t need = strlen (piece);
        if (used + need + 4 > size) {   //  room for "..." and the NUL
            memcpy (out + used, "...", 3);
            used += 3;
            break;
        }
        memcpy (out + used, piece, need);
        used += need;
    }
    out [used] = '\0';
}

const char *
gavel_text_number (char *text, size_t size, int64_t value, const char *none)
{
    if (value >= 0)
        snprintf (text, size, "%" PRId64, value);
    else
        snprintf (text, size, "%s", none);
    return text;
}

void
gavel_text_test (bool verbose)
{
    printf (" * gavel_text: ");
    char number [24];
    assert (streq (gavel_text_number (number, sizeof number, 42, "-"), "42"));
    assert (streq (gavel_text_number (number, sizeof number, 0, "-"), "0"));
    assert (streq (gavel_text_number (number, sizeof number, -1, "null"), "null"));
    int64_t value;
    uint64_t uvalue;
    const char *why;

    assert (gavel_text_parse_int ("0", 0, 10, &value, &why) == 0 && value == 0);
    assert (gavel_text_parse_int ("-5", -10, 10, &value, &why) == 0 && value == -5);
    assert (gavel_text_parse_int ("9223372036854775807", 0, INT64_MAX, &value, &why) == 0);
    assert (value == INT64_MAX);
    assert (gavel_text_parse_int ("-9223372036854775808", INT64_MIN, 0, &value, &why) == 0);
    assert (value == INT64_MIN);
    assert (gavel_text_parse_int ("9223372036854775808", 0, INT64_MAX, &value, &why) == -1);
    assert (streq (why, "is out of range"));
    assert (gavel_text_parse_int ("99999999999999999999999", 0, INT64_MAX, &value, &why) == -1);
    assert (gavel_text_parse_int ("12x", 0, 100, &value, &why) == -1);
    assert (streq (why, "is not a number"));
    assert (gavel_text_parse_int ("", 0, 100, &value, &why) == -1);
    assert (gavel_text_parse_int (" 1", 0, 100, &value, &why) == -1);
    assert (gavel_text_parse_int ("+1", 0, 100, &value, &why) == -1);
    assert (gavel_text_parse_int ("-", -100, 100, &value, &why) == -1);
    assert (gavel_text_parse_int ("-0", -100, 100, &value, &why) == -1);
    assert (gavel_text_parse_int ("01", 0, 100, &value, &why) == -1);
    assert (gavel_text_parse_int ("0", 1, 100, &value, &why) == -1);
    assert (streq (why, "is out of range"));
    assert (gavel_text_parse_uint ("18446744073709551615", 1, UINT64_MAX, &uvalue, &why) == 0);
    assert (uvalue == UINT64_MAX);
    assert (gavel_text_parse_uint ("18446744073709551616", 1, UINT64_MAX, &uvalue, &why) == -1);
    assert (gavel_text_parse_uint ("-1", 0, UINT64_MAX, &uvalue, &why) == -1);

    char line [32];
    char *words [3];
    strcpy (line, "A bb c");
    assert (gavel_text_split (line, words, 3) == 0);
    assert (streq (words [0], "A") && streq (words [1], "bb") && streq (words [2], "c"));
    const char *bad_lines [] = { "A bb", "A bb c d", "A  bb c", " A bb c", "A bb c ", "", "A bb ",
                                 "A\tbb c" };
    for (size_t index = 0; index < sizeof bad_lines / sizeof bad_lines [0]; index++) {
        strcpy (line, bad_lines [index]);
        assert (gavel_text_split (line, words, 3) == -1);
    }
    strcpy (line, "one");
    assert (gavel_text_split (line, words, 1) == 0 && streq (words [0], "one"));

    int64_t ms;
    int64_t day = 24 * 3600 * 1000;
    assert (gavel_text_parse_duration ("90", day, &ms, &why) == 0 && ms == 90000);
    assert (gavel_text_parse_duration ("90s", day, &ms, &why) == 0 && ms == 90000);
    assert (gavel_text_parse_duration ("500ms", day, &ms, &why) == 0 && ms == 500);
    assert (gavel_text_parse_duration ("2m", day, &ms, &why) == 0 && ms == 120000);
    assert (gavel_text_parse_duration ("1h", day, &ms, &why) == 0 && ms == 3600000);
    assert (gavel_text_parse_duration ("0", day, &ms, &why) == -1);
    assert (gavel_text_parse_duration ("25h", day, &ms, &why) == -1);
    assert (gavel_text_parse_duration ("2x", day, &ms, &why) == -1);
    assert (gavel_text_parse_duration ("ms", day, &ms, &why) == -1);
    assert (gavel_text_parse_duration ("", day, &ms, &why) == -1);
    assert (gavel_text_parse_duration ("99999999999999999999h", day, &ms, &why) == -1);

    assert (gavel_text_valid_name ("alice"));
    assert (gavel_text_valid_name ("a.b-c_9"));
    assert (!gavel_text_valid_name (""));
    assert (!gavel_text_valid_name ("al ice"));
    assert (!gavel_text_valid_name ("al=ice"));
    assert (gavel_text_valid_name ("12345678901234567890123456789012"));
    assert (!gavel_text_valid_name ("123456789012345678901234567890123"));
    assert (gavel_text_valid_item ("lamp#3/old"));
    assert (!gavel_text_valid_item ("old lamp"));
    assert (gavel_text_valid_key ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert (!gavel_text_valid_key ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));
    assert (!gavel_text_valid_key ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y 7"));
    assert (!gavel_text_valid_item ("a\"b"));
    assert (!gavel_text_valid_item ("caf\xc3\xa9"));
    assert (gavel_text_valid_session ("0123456789abcdef"));
    assert (!gavel_text_valid_session ("a.b"));

    char quoted [16];
    gavel_text_quote ("a\x01" "b", 3, quoted, sizeof quoted);
    assert (streq (quoted, "a\\x01b"));
    gavel_text_quote ("abcdefghijklmnopqrstuvwxyz", 26, quoted, sizeof quoted);
    assert (strlen (quoted) < sizeof quoted);
    assert (streq (quoted + strlen (quoted) - 3, "..."));
    printf ("OK\n");
}
