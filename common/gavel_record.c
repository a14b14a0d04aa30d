/*  gavel_record: reading and printing the records of replies and events.
*/
#include "gavel_record.h"
#include "gavel_json.h"
#include "gavel_text.h"
#include <time.h>

bool
gavel_record_next (const char **cursor, gavel_record_pair_t *pair)
{
    const char *record = *cursor;
    while (*record) {
        size_t length = strcspn (record, " ");
        const char *word = record;
        record += length;
        if (*record == ' ')
            record++;
        if (length > 0) {
            const char *equals = (const char *) memchr (word, '=', length);
            pair->key = word;
            pair->key_length = equals? (size_t) (equals - word): length;
            pair->value = equals? equals + 1: word + length;
            pair->value_length = length - (size_t) (pair->value - word);
            *cursor = record;
            return true;
        }
    }
    *cursor = record;
    return false;
}

static bool
s_key_is (const gavel_record_pair_t *pair, const char *key, size_t key_length)
{
    return pair->key_length == key_length && memcmp (pair->key, key, key_length) == 0;
}

bool
gavel_record_has (const char *record, const char *key)
{
    gavel_record_pair_t pair;
    while (gavel_record_next (&record, &pair))
        if (s_key_is (&pair, key, strlen (key)))
            return true;
    return false;
}

int
gavel_record_get (const char *record, const char *key, char *value, size_t size)
{
    size_t key_length = strlen (key);
    const char *pair = record;
    while (pair && *pair) {
        const char *end = strchr (pair, ' ');
        size_t pair_length = end? (size_t) (end - pair): strlen (pair);
        if (pair_length > key_length && pair [key_length] == '='
        &&  memcmp (pair, key, key_length) == 0) {
            size_t value_length = pair_length - key_length - 1;
            if (value_length >= size)
                value_length = size - 1;
            memcpy (value, pair + key_length + 1, value_length);
            value [value_length] = '\0';
            return 0;
        }
        pair = end? end + 1: NULL;
    }
    return -1;
}

//  A number has at most 20 digits and a sign: a longer value, cut to fit
//  this, is no number, and the parser says so
#define S_NUMBER_TEXT   32

int
gavel_record_get_number (const char *record, const char *key,
                         int64_t min, int64_t max, int64_t *value)
{
    char text [S_NUMBER_TEXT];
    return gavel_record_get (record, key, text, sizeof text) == 0
        && gavel_text_parse_int (text, min, max, value, NULL) == 0? 0: -1;
}

int
gavel_record_get_unsigned (const char *record, const char *key,
                           uint64_t min, uint64_t max, uint64_t *value)
{
    char text [S_NUMBER_TEXT];
    return gavel_record_get (record, key, text, sizeof text) == 0
        && gavel_text_parse_uint (text, min, max, value, NULL) == 0? 0: -1;
}

uint64_t
gavel_record_auction (const char *record)
{
    uint64_t auction;
    return record && gavel_record_get_unsigned (record, "auction", 1, UINT64_MAX, &auction) == 0? auction: 0;
}

//  -------------------------------------------------------------------------
//  Events

//  What each kind of event must carry for its line; a kind not listed
//  here (a newer replica's) is shown as its record
static const struct {
    const char *kind;
    const char *keys [6];
} s_kinds [] = {
    { "opened",  { "auction", "item", "by", "closes_at", "reserve", NULL } },
    { "bid",     { "auction", "bidder", "amount", NULL } },
    { "closed",  { "auction", "item", "winner", "amount", NULL } },
    { "primary", { "primary", "term", NULL } },
};
#define S_KINDS (sizeof s_kinds / sizeof s_kinds [0])

static void
s_get (const char *record, const char *key, char *value, size_t size)
{
    if (gavel_record_get (record, key, value, size))
        *value = '\0';
}

const char *
gavel_record_event (const char *record, gavel_record_event_t *event, char *why, size_t size)
{
    memset (event, 0, sizeof *event);
    bool has_kind = gavel_record_get (record, "event", event->kind, sizeof event->kind) == 0;
    s_get (record, "auction", event->auction, sizeof event->auction);
    s_get (record, "item", event->item, sizeof event->item);
    s_get (record, streq (event->kind, "opened")? "by":
                   streq (event->kind, "bid")? "bidder": "winner",
           event->name, sizeof event->name);
    s_get (record, streq (event->kind, "opened")? "reserve": "amount",
           event->amount, sizeof event->amount);
    s_get (record, "primary", event->primary, sizeof event->primary);
    s_get (record, "term", event->term, sizeof event->term);
    if (!has_kind)
        return "the record has no event=";
    for (size_t row = 0; row < S_KINDS; row++) {
        if (!streq (event->kind, s_kinds [row].kind))
            continue;
        char value [32];
        for (const char *const *key = s_kinds [row].keys; *key; key++)
            if (gavel_record_get (record, *key, value, sizeof value)) {
                snprintf (why, size, "event=%s without %s", event->kind, *key);
                return why;
            }
    }
    if (streq (event->kind, "opened")
    &&  gavel_record_get_number (record, "closes_at", 0, INT64_MAX, &event->closes_at))
        return "closes_at is not a time";
    return NULL;
}

//  Text from a record, with anything unprintable as \xNN
static void
s_put_safe (FILE *stream, const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c >= 0x20 && *c < 0x7f && *c != '\\')
            fputc (*c, stream);
        else
            fprintf (stream, "\\x%02x", *c);
}

//  Local wall-clock time of a stamp in ms; the date too when it is not
//  the day of since (an auction may run for 30 days)
static void
s_put_time (FILE *stream, int64_t stamp, bool millis, int64_t since)
{
    time_t seconds = (time_t) (stamp / 1000);
    time_t reference = (time_t) (since / 1000);
    struct tm when, then;
    if (!localtime_r (&seconds, &when) || !localtime_r (&reference, &then)) {
        fprintf (stream, "%" PRId64 "ms", stamp);      //  no calendar has that day
        return;
    }
    char text [32];
    const char *format = when.tm_yday == then.tm_yday && when.tm_year == then.tm_year
                       ? "%H:%M:%S": "%Y-%m-%d %H:%M:%S";
    strftime (text, sizeof text, format, &when);
    fputs (text, stream);
    if (millis)
        fprintf (stream, ".%03d", (int) (stamp % 1000));
}

void
gavel_record_put_event (FILE *stream, const char *record,
                        const gavel_record_event_t *event, uint64_t seq, int64_t stamp)
{
    s_put_time (stream, stamp, true, stamp);
    fprintf (stream, "  #%" PRIu64 "  ", seq);
    if (*event->auction) {
        fprintf (stream, "auction ");
        s_put_safe (stream, event->auction);
        fprintf (stream, "  ");
    }
    if (streq (event->kind, "bid")) {
        s_put_safe (stream, event->name);
        fprintf (stream, " bids ");
        s_put_safe (stream, event->amount);
    }
    else
    if (streq (event->kind, "opened")) {
        fprintf (stream, "opened: ");
        s_put_safe (stream, event->item);
        fprintf (stream, " by ");
        s_put_safe (stream, event->name);
        fprintf (stream, ", closes ");
        s_put_time (stream, event->closes_at, false, stamp);
        if (!streq (event->amount, "0")) {
            fprintf (stream, " (reserve ");
            s_put_safe (stream, event->amount);
            fprintf (stream, ")");
        }
    }
    else
    if (streq (event->kind, "closed") && streq (event->name, "none")) {
        fprintf (stream, "closed: ");
        s_put_safe (stream, event->item);
        fprintf (stream, ", no bids");
    }
    else
    if (streq (event->kind, "closed")) {
        fprintf (stream, "closed: ");
        s_put_safe (stream, event->name);
        fprintf (stream, " wins ");
        s_put_safe (stream, event->item);
        fprintf (stream, " at ");
        s_put_safe (stream, event->amount);
    }
    else
    if (streq (event->kind, "primary")) {
        fprintf (stream, "primary is now replica ");
        s_put_safe (stream, event->primary);
        fprintf (stream, " (term ");
        s_put_safe (stream, event->term);
        fprintf (stream, ")");
    }
    else
        s_put_safe (stream, record);
    fputc ('\n', stream);
}

//  -------------------------------------------------------------------------
//  JSON

void
gavel_record_put_json_pair (FILE *stream, const char *key, size_t key_length,
                            const char *value, size_t value_length,
                            const char **separator)
{
    fputs (*separator, stream);
    *separator = ",";
    gavel_json_fput_string (stream, key, key_length);
    fputc (':', stream);
    if (gavel_json_is_number (value, value_length))
        fwrite (value, 1, value_length, stream);
    else
        gavel_json_fput_string (stream, value, value_length);
}

void
gavel_record_put_json (FILE *stream, const char *record, bool unique, const char **separator)
{
    const char *cursor = record;
    gavel_record_pair_t pair;
    while (gavel_record_next (&cursor, &pair)) {
        bool repeat = false;
        const char *before = record;
        gavel_record_pair_t earlier;
        while (unique && !repeat && before < pair.key && gavel_record_next (&before, &earlier))
            repeat = earlier.key < pair.key && s_key_is (&earlier, pair.key, pair.key_length);
        if (!repeat)
            gavel_record_put_json_pair (stream, pair.key, pair.key_length,
                                        pair.value, pair.value_length, separator);
    }
}

//  -------------------------------------------------------------------------
//  Self test

//  What a printer wrote, as one string the caller frees
static char *
s_test_printed (FILE **stream_p, char **buffer_p)
{
    fclose (*stream_p);
    *stream_p = NULL;
    return *buffer_p;
}

void
gavel_record_test (bool verbose)
{
    printf (" * gavel_record: ");
    //  Pairs, words without '=' and extra spaces included
    const char *record = "auction=1  item=lamp bare x=";
    const char *cursor = record;
    gavel_record_pair_t pair;
    assert (gavel_record_next (&cursor, &pair));
    assert (pair.key_length == 7 && memcmp (pair.key, "auction", 7) == 0);
    assert (pair.value_length == 1 && *pair.value == '1');
    assert (gavel_record_next (&cursor, &pair));
    assert (pair.key_length == 4 && pair.value_length == 4 && memcmp (pair.value, "lamp", 4) == 0);
    assert (gavel_record_next (&cursor, &pair));
    assert (pair.key_length == 4 && pair.value_length == 0);
    assert (gavel_record_next (&cursor, &pair));
    assert (pair.key_length == 1 && pair.value_length == 0);
    assert (!gavel_record_next (&cursor, &pair));
    cursor = "";
    assert (!gavel_record_next (&cursor, &pair));
    assert (gavel_record_has (record, "bare") && gavel_record_has (record, "item"));
    assert (!gavel_record_has (record, "lamp") && !gavel_record_has (record, "auctio"));

    //  Text, cut to fit; numbers checked
    char value [8];
    assert (gavel_record_get ("a=1 name=verylongname", "name", value, sizeof value) == 0);
    assert (streq (value, "verylon"));
    assert (gavel_record_get ("a=1", "b", value, sizeof value) == -1);
    assert (gavel_record_get ("ab=1", "a", value, sizeof value) == -1);
    int64_t number;
    uint64_t id;
    assert (gavel_record_get_number ("closes_at=1732550460000", "closes_at", 0, INT64_MAX, &number) == 0
         && number == 1732550460000);
    assert (gavel_record_get_number ("amount=-5", "amount", 0, INT64_MAX, &number) == -1);
    assert (gavel_record_get_number ("amount=12x", "amount", 0, INT64_MAX, &number) == -1);
    assert (gavel_record_get_number ("amount=007", "amount", 0, INT64_MAX, &number) == -1);
    assert (gavel_record_get_number ("amount=1", "other", 0, INT64_MAX, &number) == -1);
    assert (gavel_record_get_number ("amount=123456789012345678901234567890", "amount",
                                     0, INT64_MAX, &number) == -1);
    assert (gavel_record_get_unsigned ("auction=18446744073709551615", "auction", 1, UINT64_MAX, &id) == 0
         && id == UINT64_MAX);
    assert (gavel_record_get_unsigned ("auction=0", "auction", 1, UINT64_MAX, &id) == -1);
    assert (gavel_record_auction ("x=1 auction=42") == 42);
    assert (gavel_record_auction ("auction=0") == 0 && gavel_record_auction ("auction=x") == 0);
    assert (gavel_record_auction ("amount=5") == 0 && gavel_record_auction (NULL) == 0);

    //  Events: what each kind needs, and what is read when it is missing
    gavel_record_event_t event;
    char why [64];
    assert (!gavel_record_event ("event=bid auction=1 bidder=bob amount=150", &event, why, sizeof why));
    assert (streq (event.kind, "bid") && streq (event.name, "bob") && streq (event.amount, "150"));
    assert (!gavel_record_event ("event=opened auction=2 item=vase by=dan closes_at=5 reserve=7",
                                 &event, why, sizeof why));
    assert (streq (event.name, "dan") && streq (event.amount, "7") && event.closes_at == 5);
    const char *problem = gavel_record_event ("event=bid auction=1 bidder=bob", &event, why, sizeof why);
    assert (problem && streq (problem, "event=bid without amount") && streq (event.name, "bob"));
    problem = gavel_record_event ("auction=1", &event, why, sizeof why);
    assert (problem && strstr (problem, "no event=") && streq (event.auction, "1"));
    problem = gavel_record_event ("event=opened auction=2 item=vase by=dan closes_at=soon reserve=0",
                                  &event, why, sizeof why);
    assert (problem && streq (problem, "closes_at is not a time"));
    assert (!gavel_record_event ("event=paused auction=1", &event, why, sizeof why));

    //  The line for people, in local time (whatever the zone, the close
    //  two days later shows its date)
    char *buffer = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&buffer, &size);
    assert (stream);
    const char *opened = "event=opened auction=2 item=vase by=dan closes_at=1732723210000 reserve=0";
    gavel_record_event (opened, &event, why, sizeof why);
    gavel_record_put_event (stream, opened, &event, 4, 1732550400040);
    const char *closed = "event=closed auction=1 item=lamp winner=ann amount=200 reserve=5";
    gavel_record_event (closed, &event, why, sizeof why);
    gavel_record_put_event (stream, closed, &event, 9, 1732550460000);
    const char *odd = "event=paused note=\x1b[2J";
    gavel_record_event (odd, &event, why, sizeof why);
    gavel_record_put_event (stream, odd, &event, 12, 1732550461000);
    char *printed = s_test_printed (&stream, &buffer);
    char clock [3][32];
    int64_t stamps [3] = { 1732550400040, 1732723210000, 1732550460000 };
    for (size_t index = 0; index < 3; index++) {
        time_t seconds = (time_t) (stamps [index] / 1000);
        struct tm when;
        assert (localtime_r (&seconds, &when));
        strftime (clock [index], sizeof clock [index], index == 1? "%Y-%m-%d %H:%M:%S": "%H:%M:%S",
                  &when);
    }
    char *expected = zsys_sprintf (
        "%s.040  #4  auction 2  opened: vase by dan, closes %s\n"
        "%s.000  #9  auction 1  closed: ann wins lamp at 200\n", clock [0], clock [1], clock [2]);
    assert (strncmp (printed, expected, strlen (expected)) == 0);
    assert (strstr (printed + strlen (expected), ".000  #12  event=paused note=\\x1b[2J\n"));
    zstr_free (&expected);
    free (printed);

    //  JSON members: numbers bare, the rest strings, escaped; a repeated
    //  key once when asked
    stream = open_memstream (&buffer, &size);
    assert (stream);
    const char *separator = "";
    gavel_record_put_json_pair (stream, "seq", 3, "7", 1, &separator);
    gavel_record_put_json (stream, "auction=1 item=\"q\" amount=007 bare auction=2", true, &separator);
    fputc ('|', stream);
    separator = ",";
    gavel_record_put_json (stream, "auction=1 auction=2", false, &separator);
    printed = s_test_printed (&stream, &buffer);
    assert (streq (printed, "\"seq\":7,\"auction\":1,\"item\":\"\\\"q\\\"\",\"amount\":\"007\","
                            "\"bare\":\"\"|,\"auction\":1,\"auction\":2"));
    free (printed);
    printf ("OK\n");
}
