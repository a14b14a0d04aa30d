/*  gavel_script: one line of bidder input, parsed into a command.

    The line is split into words in a private copy, the first word picks the
    command from a table that also gives its argument counts and usage, and a
    per-command parser checks each argument with the strict gavel_text
    parsers. Error texts name the command and the bad word, quoted safely,
    because the caller prints them to a person as "FILE:LINE: error".
*/
#include <czmq.h>
#include <strings.h>
#include "gavel_msg.h"
#include "gavel_text.h"
#include "gavel_script.h"

//  More words than any command takes; counting goes on past it so that the
//  error can still say how many there were.
#define WORDS_MAX   8
#define QUOTE_MAX   48          //  bad input shown back to the user, bytes

struct _gavel_script_t {
    gavel_script_command_t command;
    char item [GAVEL_ITEM_MAX + 1];
    int64_t duration;
    int64_t reserve;
    uint64_t auction;
    int64_t amount;
    char name [GAVEL_NAME_MAX + 1];
    int64_t sleep;
    char error [256];
};

typedef int (s_parse_fn) (gavel_script_t *self, const char *verb,
                          char **args, size_t argc);

static s_parse_fn s_parse_open, s_parse_bid, s_parse_result,
                  s_parse_as, s_parse_sleep;

typedef struct {
    const char *verb;
    gavel_script_command_t command;
    size_t min_args;
    size_t max_args;
    const char *usage;
    s_parse_fn *parse;          //  NULL: takes no arguments to check
} s_syntax_t;

static const s_syntax_t s_syntax [] = {
    { "open",   GAVEL_SCRIPT_OPEN,   2, 3, "open ITEM DURATION [RESERVE]", s_parse_open },
    { "bid",    GAVEL_SCRIPT_BID,    1, 2, "bid [AUCTION] AMOUNT", s_parse_bid },
    { "result", GAVEL_SCRIPT_RESULT, 0, 1, "result [AUCTION]", s_parse_result },
    { "list",   GAVEL_SCRIPT_LIST,   0, 0, "list", NULL },
    { "status", GAVEL_SCRIPT_STATUS, 0, 0, "status", NULL },
    { "as",     GAVEL_SCRIPT_AS,     1, 1, "as NAME", s_parse_as },
    { "sleep",  GAVEL_SCRIPT_SLEEP,  1, 1, "sleep MS", s_parse_sleep },
    { "watch",  GAVEL_SCRIPT_WATCH,  0, 1, "watch [AUCTION]", s_parse_result },
    { "unwatch", GAVEL_SCRIPT_UNWATCH, 0, 0, "unwatch", NULL },
    { "help",   GAVEL_SCRIPT_HELP,   0, 0, "help", NULL },
    { "quit",   GAVEL_SCRIPT_QUIT,   0, 0, "quit", NULL },
    { "exit",   GAVEL_SCRIPT_QUIT,   0, 0, "exit", NULL },
};

//  A bare amount is a bid on the only open auction: the shortest form, for
//  the auction room.
static const s_syntax_t s_bare_amount =
    { "AMOUNT", GAVEL_SCRIPT_BID, 1, 1, "AMOUNT", s_parse_bid };

static const char *s_help =
    "commands, one a line:\n"
    "  open ITEM DURATION [RESERVE]  open an auction (DURATION: 90, 90s, 500ms, 2m, 1h)\n"
    "  bid AUCTION AMOUNT            bid on an auction\n"
    "  bid AMOUNT, or just AMOUNT    bid on the only open auction\n"
    "  result [AUCTION]              state or winner (default: the last auction\n"
    "                                you opened or bid on, else the only open one)\n"
    "  list                          recent auctions\n"
    "  status                        the replica's own state\n"
    "  as NAME                       bid under another name from now on\n"
    "  sleep MS                      pause for MS milliseconds\n"
    "  watch [AUCTION]               print the events of AUCTION (default: every\n"
    "                                auction) as they happen, lines starting '* '\n"
    "  unwatch                       stop printing events\n"
    "  help                          this summary\n"
    "  quit, exit                    leave (so does end of input)\n"
    "blank lines and lines starting with # are ignored\n";


gavel_script_t *
gavel_script_new (void)
{
    gavel_script_t *self = (gavel_script_t *) zmalloc (sizeof (gavel_script_t));
    assert (self);
    return self;
}

void
gavel_script_destroy (gavel_script_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_reset (gavel_script_t *self)
{
    memset (self, 0, sizeof (gavel_script_t));
}

static int
s_fail (gavel_script_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_fail (gavel_script_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
    return -1;
}

//  Bad input is shown back quoted and cut, so a binary or huge word cannot
//  garble the user's terminal or drown the message.
static const char *
s_quote (const char *text, char *out, size_t size)
{
    gavel_text_quote (text, strlen (text), out, size);
    return out;
}

static int
s_check_int (gavel_script_t *self, const char *verb, const char *what,
             const char *text, int64_t min, int64_t max, int64_t *value)
{
    const char *why = NULL;
    if (gavel_text_parse_int (text, min, max, value, &why) == 0)
        return 0;
    char quoted [QUOTE_MAX];
    return s_fail (self, "%s: %s '%s' %s", verb, what,
                   s_quote (text, quoted, sizeof (quoted)), why? why: "is not valid");
}

static int
s_check_auction (gavel_script_t *self, const char *verb, const char *text)
{
    const char *why = NULL;
    if (gavel_text_parse_uint (text, 1, UINT64_MAX, &self->auction, &why) == 0)
        return 0;
    char quoted [QUOTE_MAX];
    return s_fail (self, "%s: auction '%s' %s", verb,
                   s_quote (text, quoted, sizeof (quoted)), why? why: "is not valid");
}

static int
s_parse_open (gavel_script_t *self, const char *verb, char **args, size_t argc)
{
    char quoted [QUOTE_MAX];
    if (!gavel_text_valid_item (args [0]))
        return s_fail (self, "%s: item '%s' is not valid: 1 to %d printable"
                       " characters, no space, '=' or '\"'", verb,
                       s_quote (args [0], quoted, sizeof (quoted)), GAVEL_ITEM_MAX);
    strcpy (self->item, args [0]);

    const char *why = NULL;
    if (gavel_text_parse_duration (args [1], GAVEL_DURATION_MAX, &self->duration, &why))
        return s_fail (self, "%s: duration '%s' %s", verb,
                       s_quote (args [1], quoted, sizeof (quoted)),
                       why? why: "is not a duration");
    if (argc == 3)
        return s_check_int (self, verb, "reserve", args [2], 0, INT64_MAX,
                            &self->reserve);
    return 0;
}

//  "bid AUCTION AMOUNT", "bid AMOUNT" and the bare "AMOUNT": the amount is
//  always the last word.
static int
s_parse_bid (gavel_script_t *self, const char *verb, char **args, size_t argc)
{
    if (argc == 2 && s_check_auction (self, verb, args [0]))
        return -1;
    return s_check_int (self, verb, "amount", args [argc - 1], 1, INT64_MAX,
                        &self->amount);
}

static int
s_parse_result (gavel_script_t *self, const char *verb, char **args, size_t argc)
{
    return argc == 1? s_check_auction (self, verb, args [0]): 0;
}

static int
s_parse_as (gavel_script_t *self, const char *verb, char **args, size_t argc)
{
    char quoted [QUOTE_MAX];
    if (!gavel_text_valid_name (args [0]))
        return s_fail (self, "%s: name '%s' is not valid: 1 to %d of A-Z a-z 0-9 _ . -",
                       verb, s_quote (args [0], quoted, sizeof (quoted)),
                       GAVEL_NAME_MAX);
    strcpy (self->name, args [0]);
    return 0;
}

static int
s_parse_sleep (gavel_script_t *self, const char *verb, char **args, size_t argc)
{
    return s_check_int (self, verb, "time in ms", args [0], 0,
                        GAVEL_SCRIPT_SLEEP_MAX, &self->sleep);
}

//  Split line in place at blanks; stores up to WORDS_MAX words and returns
//  how many there are in all.
static size_t
s_split (char *line, char **words)
{
    size_t count = 0;
    char *saveptr = NULL;
    char *word = strtok_r (line, " \t\r\n\v\f", &saveptr);
    while (word) {
        if (count < WORDS_MAX)
            words [count] = word;
        count++;
        word = strtok_r (NULL, " \t\r\n\v\f", &saveptr);
    }
    return count;
}

static bool
s_looks_numeric (const char *word)
{
    if (*word == '-')
        word++;
    return isdigit ((unsigned char) *word);
}

static const s_syntax_t *
s_lookup (const char *verb)
{
    if (s_looks_numeric (verb))
        return &s_bare_amount;
    for (size_t index = 0; index < sizeof (s_syntax) / sizeof (s_syntax [0]); index++)
        if (strcasecmp (verb, s_syntax [index].verb) == 0)
            return &s_syntax [index];
    return NULL;
}

static int
s_parse_words (gavel_script_t *self, char **words, size_t count)
{
    char quoted [QUOTE_MAX];
    const s_syntax_t *syntax = s_lookup (words [0]);
    if (!syntax)
        return s_fail (self, "unknown command '%s' (try 'help')",
                       s_quote (words [0], quoted, sizeof (quoted)));

    //  A bare amount is its own argument; a verb is not
    bool bare = syntax == &s_bare_amount;
    char **args = bare? words: words + 1;
    size_t argc = bare? count: count - 1;
    const char *verb = bare? "bid": syntax->verb;
    if (argc < syntax->min_args || argc > syntax->max_args)
        return s_fail (self, "%s: wrong number of arguments (usage: %s)",
                       verb, syntax->usage);
    if (syntax->parse && syntax->parse (self, verb, args, argc))
        return -1;
    self->command = syntax->command;
    return 0;
}

int
gavel_script_parse (gavel_script_t *self, const char *line)
{
    assert (self);
    assert (line);
    s_reset (self);
    char *copy = strdup (line);
    assert (copy);
    char *words [WORDS_MAX];
    size_t count = s_split (copy, words);
    int rc = 0;
    if (count > 0 && words [0][0] != '#')
        rc = s_parse_words (self, words, count);
    free (copy);
    if (rc) {
        //  Keep the error, drop any half-parsed fields
        char error [sizeof (self->error)];
        strcpy (error, self->error);
        s_reset (self);
        strcpy (self->error, error);
    }
    return rc;
}

gavel_script_command_t
gavel_script_command (gavel_script_t *self)
{
    assert (self);
    return self->command;
}

const char *
gavel_script_item (gavel_script_t *self)
{
    assert (self);
    return self->item;
}

int64_t
gavel_script_duration (gavel_script_t *self)
{
    assert (self);
    return self->duration;
}

int64_t
gavel_script_reserve (gavel_script_t *self)
{
    assert (self);
    return self->reserve;
}

uint64_t
gavel_script_auction (gavel_script_t *self)
{
    assert (self);
    return self->auction;
}

int64_t
gavel_script_amount (gavel_script_t *self)
{
    assert (self);
    return self->amount;
}

const char *
gavel_script_name (gavel_script_t *self)
{
    assert (self);
    return self->name;
}

int64_t
gavel_script_sleep (gavel_script_t *self)
{
    assert (self);
    return self->sleep;
}

const char *
gavel_script_error (gavel_script_t *self)
{
    assert (self);
    return self->error;
}

const char *
gavel_script_help (void)
{
    return s_help;
}


//  --------------------------------------------------------------------------
//  Self test

static void
s_expect_good (gavel_script_t *self, const char *line,
               gavel_script_command_t command, bool verbose)
{
    if (verbose)
        printf (" * good: '%s'\n", line);
    int rc = gavel_script_parse (self, line);
    if (rc != 0)
        fprintf (stderr, "gavel_script_test: '%s' refused: %s\n",
                 line, gavel_script_error (self));
    assert (rc == 0);
    assert (gavel_script_command (self) == command);
    assert (streq (gavel_script_error (self), ""));
}

//  A bad line must be refused, leave no command behind, and say what is
//  wrong in words that contain expect.
static void
s_expect_bad (gavel_script_t *self, const char *line, const char *expect,
              bool verbose)
{
    int rc = gavel_script_parse (self, line);
    if (verbose)
        printf (" * bad: '%s' -> %s\n", line, gavel_script_error (self));
    assert (rc == -1);
    assert (gavel_script_command (self) == GAVEL_SCRIPT_NONE);
    if (!strstr (gavel_script_error (self), expect))
        fprintf (stderr, "gavel_script_test: '%s' said '%s', expected '%s'\n",
                 line, gavel_script_error (self), expect);
    assert (strstr (gavel_script_error (self), expect));
}

static void
s_test_open (gavel_script_t *script, bool verbose)
{
    s_expect_good (script, "open lamp 90", GAVEL_SCRIPT_OPEN, verbose);
    assert (streq (gavel_script_item (script), "lamp"));
    assert (gavel_script_duration (script) == 90000);
    assert (gavel_script_reserve (script) == 0);
    s_expect_good (script, "  open\tvase#2 500ms 150  \r\n", GAVEL_SCRIPT_OPEN, verbose);
    assert (streq (gavel_script_item (script), "vase#2"));
    assert (gavel_script_duration (script) == 500);
    assert (gavel_script_reserve (script) == 150);
    s_expect_good (script, "OPEN clock 2m 0", GAVEL_SCRIPT_OPEN, verbose);
    assert (gavel_script_duration (script) == 120000);
    s_expect_good (script, "open clock 90s", GAVEL_SCRIPT_OPEN, verbose);
    assert (gavel_script_duration (script) == 90000);

    s_expect_bad (script, "open", "open: wrong number of arguments", verbose);
    s_expect_bad (script, "open lamp", "usage: open ITEM DURATION [RESERVE]", verbose);
    s_expect_bad (script, "open lamp 90 10 20", "wrong number of arguments", verbose);
    s_expect_bad (script, "open a=b 90", "open: item 'a=b' is not valid", verbose);
    s_expect_bad (script, "open \"lamp\" 90", "item", verbose);
    s_expect_bad (script, "open lamp 90x", "open: duration '90x' is not a duration", verbose);
    s_expect_bad (script, "open lamp 0", "open: duration '0' is out of range", verbose);
    s_expect_bad (script, "open lamp 31d", "duration", verbose);
    s_expect_bad (script, "open lamp 90 -1", "open: reserve '-1' is out of range", verbose);
    s_expect_bad (script, "open lamp 90 12x", "open: reserve '12x' is not a number", verbose);
    s_expect_bad (script, "open lamp 90 99999999999999999999", "reserve", verbose);

    char long_item [GAVEL_ITEM_MAX + 16];
    memset (long_item, 'x', GAVEL_ITEM_MAX + 1);
    long_item [GAVEL_ITEM_MAX + 1] = 0;
    char line [GAVEL_ITEM_MAX + 32];
    snprintf (line, sizeof (line), "open %s 90", long_item);
    s_expect_bad (script, line, "item", verbose);
    long_item [GAVEL_ITEM_MAX] = 0;
    snprintf (line, sizeof (line), "open %s 90", long_item);
    s_expect_good (script, line, GAVEL_SCRIPT_OPEN, verbose);
    assert (streq (gavel_script_item (script), long_item));
}

static void
s_test_bid (gavel_script_t *script, bool verbose)
{
    s_expect_good (script, "bid 3 150", GAVEL_SCRIPT_BID, verbose);
    assert (gavel_script_auction (script) == 3);
    assert (gavel_script_amount (script) == 150);
    s_expect_good (script, "bid 150", GAVEL_SCRIPT_BID, verbose);
    assert (gavel_script_auction (script) == 0);
    assert (gavel_script_amount (script) == 150);
    s_expect_good (script, "  250 ", GAVEL_SCRIPT_BID, verbose);
    assert (gavel_script_auction (script) == 0);
    assert (gavel_script_amount (script) == 250);
    s_expect_good (script, "bid 18446744073709551615 9223372036854775807",
                   GAVEL_SCRIPT_BID, verbose);
    assert (gavel_script_auction (script) == UINT64_MAX);
    assert (gavel_script_amount (script) == INT64_MAX);

    s_expect_bad (script, "bid", "bid: wrong number of arguments", verbose);
    s_expect_bad (script, "bid 1 2 3", "usage: bid [AUCTION] AMOUNT", verbose);
    s_expect_bad (script, "bid 0 100", "bid: auction '0' is out of range", verbose);
    s_expect_bad (script, "bid x 100", "auction 'x'", verbose);
    s_expect_bad (script, "bid 1 0", "bid: amount '0' is out of range", verbose);
    s_expect_bad (script, "bid 1 -5", "amount '-5'", verbose);
    s_expect_bad (script, "bid 1 +5", "amount '+5'", verbose);
    s_expect_bad (script, "bid 1 010", "bid: amount '010' has a leading zero", verbose);
    s_expect_bad (script, "bid 1 9223372036854775808", "amount", verbose);
    s_expect_bad (script, "bid 1.5", "amount '1.5'", verbose);
    s_expect_bad (script, "12x", "bid: amount '12x' is not a number", verbose);
    s_expect_bad (script, "-3", "bid: amount '-3'", verbose);
    s_expect_bad (script, "100 200", "bid: wrong number of arguments (usage: AMOUNT)", verbose);
}

static void
s_test_others (gavel_script_t *script, bool verbose)
{
    s_expect_good (script, "result", GAVEL_SCRIPT_RESULT, verbose);
    assert (gavel_script_auction (script) == 0);
    s_expect_good (script, "result 7", GAVEL_SCRIPT_RESULT, verbose);
    assert (gavel_script_auction (script) == 7);
    s_expect_bad (script, "result 0", "result: auction '0'", verbose);
    s_expect_bad (script, "result 1 2", "result: wrong number of arguments", verbose);

    s_expect_good (script, "list", GAVEL_SCRIPT_LIST, verbose);
    s_expect_bad (script, "list all", "list: wrong number of arguments", verbose);
    s_expect_good (script, "status", GAVEL_SCRIPT_STATUS, verbose);
    s_expect_bad (script, "status now", "status: wrong number of arguments", verbose);

    s_expect_good (script, "as bob.smith-2_x", GAVEL_SCRIPT_AS, verbose);
    assert (streq (gavel_script_name (script), "bob.smith-2_x"));
    s_expect_bad (script, "as", "as: wrong number of arguments", verbose);
    s_expect_bad (script, "as bob smith", "as: wrong number of arguments", verbose);
    s_expect_bad (script, "as b@b", "as: name 'b@b' is not valid", verbose);
    s_expect_bad (script, "as 0123456789012345678901234567890123", "name", verbose);

    s_expect_good (script, "sleep 250", GAVEL_SCRIPT_SLEEP, verbose);
    assert (gavel_script_sleep (script) == 250);
    s_expect_good (script, "sleep 0", GAVEL_SCRIPT_SLEEP, verbose);
    s_expect_bad (script, "sleep", "sleep: wrong number of arguments", verbose);
    s_expect_bad (script, "sleep 1s", "sleep: time in ms '1s' is not a number", verbose);
    s_expect_bad (script, "sleep -1", "sleep: time in ms", verbose);
    s_expect_bad (script, "sleep 86400001", "sleep: time in ms", verbose);

    s_expect_good (script, "watch", GAVEL_SCRIPT_WATCH, verbose);
    assert (gavel_script_auction (script) == 0);
    s_expect_good (script, "WATCH 4", GAVEL_SCRIPT_WATCH, verbose);
    assert (gavel_script_auction (script) == 4);
    s_expect_bad (script, "watch 0", "watch: auction '0'", verbose);
    s_expect_bad (script, "watch x", "watch: auction 'x'", verbose);
    s_expect_bad (script, "watch 1 2", "watch: wrong number of arguments", verbose);
    s_expect_good (script, "unwatch", GAVEL_SCRIPT_UNWATCH, verbose);
    s_expect_bad (script, "unwatch 1", "unwatch: wrong number of arguments", verbose);

    s_expect_good (script, "help", GAVEL_SCRIPT_HELP, verbose);
    s_expect_bad (script, "help me", "help: wrong number of arguments", verbose);
    s_expect_good (script, "quit", GAVEL_SCRIPT_QUIT, verbose);
    s_expect_good (script, "exit", GAVEL_SCRIPT_QUIT, verbose);
    s_expect_bad (script, "quit now", "quit: wrong number of arguments", verbose);

    s_expect_good (script, "", GAVEL_SCRIPT_NONE, verbose);
    s_expect_good (script, "   \t \r\n", GAVEL_SCRIPT_NONE, verbose);
    s_expect_good (script, "# open lamp 90", GAVEL_SCRIPT_NONE, verbose);
    s_expect_good (script, "   #comment", GAVEL_SCRIPT_NONE, verbose);

    s_expect_bad (script, "frobnicate 1", "unknown command 'frobnicate'", verbose);
    s_expect_bad (script, "-", "unknown command '-'", verbose);
    s_expect_bad (script, "\x01\x7f", "unknown command '\\x01", verbose);
    assert (strlen (gavel_script_help ()) > 0);
}

//  A good line after a bad one starts clean, and a bad line after a good one
//  leaves no trace of it.
static void
s_test_reset (gavel_script_t *script, bool verbose)
{
    s_expect_bad (script, "bid 1 x", "amount", verbose);
    assert (gavel_script_auction (script) == 0);
    s_expect_good (script, "open lamp 90 5", GAVEL_SCRIPT_OPEN, verbose);
    s_expect_bad (script, "open lamp 90 x", "reserve", verbose);
    assert (streq (gavel_script_item (script), ""));
    assert (gavel_script_duration (script) == 0);
    s_expect_good (script, "list", GAVEL_SCRIPT_LIST, verbose);
    assert (streq (gavel_script_item (script), ""));
}

void
gavel_script_test (bool verbose)
{
    printf (" * gavel_script: ");
    if (verbose)
        printf ("\n");

    gavel_script_t *script = gavel_script_new ();
    assert (script);
    assert (gavel_script_command (script) == GAVEL_SCRIPT_NONE);
    s_test_open (script, verbose);
    s_test_bid (script, verbose);
    s_test_others (script, verbose);
    s_test_reset (script, verbose);
    gavel_script_destroy (&script);
    assert (script == NULL);
    gavel_script_destroy (&script);

    printf ("OK\n");
}
