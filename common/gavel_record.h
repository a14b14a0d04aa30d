/*  gavel_record: reading and printing the records of replies and events.

    A record is one frame of key=value pairs separated by single spaces
    (docs/PROTOCOL.md, "Replies"), for example
    "auction=1 amount=150 closes_in=41250". This class is the one place
    that splits them into pairs, reads a value as text or as a checked
    number, reads an event's record into its typed fields, and prints a
    record as JSON members or an event as the line people read. It works
    on the record's text: nothing to create or destroy.

    A record comes off the wire, so nothing here trusts it: a value is cut
    to the caller's buffer, a number is checked, and what is printed for
    people shows unprintable bytes as \xNN.
*/
#ifndef GAVEL_RECORD_H_INCLUDED
#define GAVEL_RECORD_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "gavel_msg.h"

//  One pair, pointing into the record's text. A word without '=' is a key
//  with an empty value.
typedef struct {
    const char *key;
    size_t key_length;
    const char *value;
    size_t value_length;
} gavel_record_pair_t;

//  The next pair from *cursor on (start it at the record): fills pair,
//  moves the cursor past it and returns true; false at the end.
bool
    gavel_record_next (const char **cursor, gavel_record_pair_t *pair);

//  Whether a pair of the record has this key.
bool
    gavel_record_has (const char *record, const char *key);

//  Look up key in a record ("a=1 b=x"); copies its value into value (cut
//  to fit size) and returns 0, or returns -1 when the key is absent.
int
    gavel_record_get (const char *record, const char *key, char *value, size_t size);

//  key's value as a number from min to max, written as gavel_text reads
//  numbers: 0, or -1 when the key is absent or its value is not one.
int
    gavel_record_get_number (const char *record, const char *key,
                             int64_t min, int64_t max, int64_t *value);
int
    gavel_record_get_unsigned (const char *record, const char *key,
                               uint64_t min, uint64_t max, uint64_t *value);

//  The auction a record names (auction=ID, 1 or more), or 0 when it names
//  none: a reply's or an event's, for whoever remembers the last auction.
uint64_t
    gavel_record_auction (const char *record);

//  An event's record, read (docs/PROTOCOL.md, "The event feed"); each
//  value cut to fit, empty when absent
typedef struct {
    char kind [16];                     //  event=
    char auction [24];
    char item [GAVEL_ITEM_MAX + 1];
    char name [GAVEL_NAME_MAX + 1];     //  by, bidder or winner, by kind
    char amount [24];                   //  reserve for opened, else amount
    char primary [24];
    char term [24];
    int64_t closes_at;                  //  opened
} gavel_record_event_t;

//  Reads an event's record into event, all it holds; returns NULL when it
//  has what its kind needs (a kind not known here needs only event=), else
//  what is wrong (in why, or a constant).
const char *
    gavel_record_event (const char *record, gavel_record_event_t *event,
                        char *why, size_t size);

//  The event numbered seq, stamped at stamp (ms since the epoch), as one
//  line for people, with its newline: local time, number, what happened.
void
    gavel_record_put_event (FILE *stream, const char *record,
                            const gavel_record_event_t *event, uint64_t seq, int64_t stamp);

//  One member of a JSON object, after *separator (which becomes ","):
//  "key":value, the value bare when it reads as a JSON number, else a
//  string.
void
    gavel_record_put_json_pair (FILE *stream, const char *key, size_t key_length,
                                const char *value, size_t value_length,
                                const char **separator);

//  Every pair of the record so, in order. With unique, a key said before
//  in the record is left out: JSON objects must not repeat a key.
void
    gavel_record_put_json (FILE *stream, const char *record, bool unique,
                           const char **separator);

void
    gavel_record_test (bool verbose);

#endif
