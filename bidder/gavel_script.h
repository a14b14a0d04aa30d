/*  gavel_script: one line of bidder input, parsed into a command.

    The REPL and script mode read the same language, one command a line:

        open ITEM DURATION [RESERVE]    open an auction
        bid AUCTION AMOUNT              bid on an auction
        bid AMOUNT | AMOUNT             bid on the only open auction
        result [AUCTION]                state or winner of an auction
        list                            recent auctions
        status                          the replica's own state
        as NAME                         bid under another name from now on
        sleep MS                        pause
        watch [AUCTION]                 print the event feed (all auctions)
        unwatch                         stop printing it
        help                            the commands
        quit | exit                     stop reading

    Blank lines and lines whose first non-blank character is '#' are no
    command. Words are separated by spaces or tabs. A line is checked here
    completely (counts, numbers, durations, names, items), so that a bad line
    never reaches the wire; what it means (which auction is "the only open
    one") is for the caller to work out.
*/
#ifndef GAVEL_SCRIPT_H_INCLUDED
#define GAVEL_SCRIPT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GAVEL_SCRIPT_NONE = 0,      //  blank line or comment
    GAVEL_SCRIPT_OPEN,
    GAVEL_SCRIPT_BID,           //  auction 0: the only open auction
    GAVEL_SCRIPT_RESULT,        //  auction 0: the caller's default
    GAVEL_SCRIPT_LIST,
    GAVEL_SCRIPT_STATUS,
    GAVEL_SCRIPT_AS,
    GAVEL_SCRIPT_SLEEP,
    GAVEL_SCRIPT_WATCH,         //  auction 0: every auction
    GAVEL_SCRIPT_UNWATCH,
    GAVEL_SCRIPT_HELP,
    GAVEL_SCRIPT_QUIT
} gavel_script_command_t;

//  Longest sleep a script may ask for, in ms (one day).
#define GAVEL_SCRIPT_SLEEP_MAX  (24LL * 3600 * 1000)

typedef struct _gavel_script_t gavel_script_t;

//  Create a parser holding no command (GAVEL_SCRIPT_NONE).
gavel_script_t *
    gavel_script_new (void);

//  Destroy; sets the caller's pointer to NULL; safe on NULL.
void
    gavel_script_destroy (gavel_script_t **self_p);

//  Parse one line (with or without its newline), replacing the previous
//  command. Returns 0 and holds the command (GAVEL_SCRIPT_NONE for a blank
//  line or comment), or -1 when the line is bad: then gavel_script_error
//  says what is wrong and the command is GAVEL_SCRIPT_NONE.
int
    gavel_script_parse (gavel_script_t *self, const char *line);

gavel_script_command_t
    gavel_script_command (gavel_script_t *self);

//  Fields of the command; each is 0 or "" when the command has none.
const char *gavel_script_item (gavel_script_t *self);       //  open
int64_t     gavel_script_duration (gavel_script_t *self);   //  open, ms
int64_t     gavel_script_reserve (gavel_script_t *self);    //  open, 0: none
uint64_t    gavel_script_auction (gavel_script_t *self);    //  bid, result, watch; 0: not given
int64_t     gavel_script_amount (gavel_script_t *self);     //  bid
const char *gavel_script_name (gavel_script_t *self);       //  as
int64_t     gavel_script_sleep (gavel_script_t *self);      //  sleep, ms

//  What was wrong with the last line parsed, or "" when it was good.
const char *
    gavel_script_error (gavel_script_t *self);

//  The command summary, several lines, each ending in a newline.
const char *
    gavel_script_help (void);

//  Self test of this class.
void
    gavel_script_test (bool verbose);

#endif
