/*  gavel_text: strict parsing of the text that crosses our borders.

    Numbers on the wire, in config files and in scripts are decimal text. Each
    parser here accepts exactly the documented form and says what is wrong
    otherwise, so that no caller does its own strtol dance.
*/
#ifndef GAVEL_TEXT_H_INCLUDED
#define GAVEL_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Parse a whole string as a decimal integer in [min, max]: optional '-',
//  digits only, no spaces, no '+', no leading zeros beyond "0". Returns 0 and
//  sets *value, or -1 with a short reason in why ("not a number", "out of
//  range").
int
    gavel_text_parse_int (const char *text, int64_t min, int64_t max,
                          int64_t *value, const char **why);

//  Same for unsigned values up to UINT64_MAX.
int
    gavel_text_parse_uint (const char *text, uint64_t min, uint64_t max,
                           uint64_t *value, const char **why);

//  Split text in place into exactly count words separated by single spaces:
//  no leading, trailing or doubled space, no empty word, nothing over. The
//  form every line we write ourselves has. Returns 0 with words [0..count-1]
//  pointing into text, or -1 (text may then be partly split).
int
    gavel_text_split (char *text, char **words, size_t count);

//  Durations for people: "90" and "90s" are seconds, "500ms", "2m", "1h".
//  Result in ms, in [1, max_ms]. Returns 0 or -1 with why.
int
    gavel_text_parse_duration (const char *text, int64_t max_ms,
                               int64_t *ms, const char **why);

//  A bidder name: 1 to GAVEL_NAME_MAX bytes of [A-Za-z0-9_.-].
bool
    gavel_text_valid_name (const char *text);

//  An item: 1 to GAVEL_ITEM_MAX bytes of printable ASCII other than space,
//  '=' and '"' (so it can stand as a value in key=value output).
bool
    gavel_text_valid_item (const char *text);

//  A CURVE public key in Z85: exactly GAVEL_KEY_MAX characters of Z85.
bool
    gavel_text_valid_key (const char *text);

//  A session token: 1 to GAVEL_SESSION_MAX bytes of [A-Za-z0-9_-].
bool
    gavel_text_valid_session (const char *text);

//  Copy text into out (size bytes) with anything unprintable shown as \xNN
//  and cut to fit; for quoting bad input back to its sender.
void
    gavel_text_quote (const char *text, size_t length, char *out, size_t size);

//  A number as text, or none (such as "-" or "null") for -1, unknown. Returns
//  text.
const char *
    gavel_text_number (char *text, size_t size, int64_t value, const char *none);

void
    gavel_text_test (bool verbose);

#endif
