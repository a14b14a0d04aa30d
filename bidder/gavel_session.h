/*  gavel_session: a bidder's commands, run against the cluster.

    Takes each line of bidder input (gavel_script's language), sends the
    request or two it needs through gavel_client as the current name, and
    prints one answer line per answer (gavel_answer): "bid AMOUNT" asks a
    LIST first for the only open auction; "result" defaults to the auction
    last opened or bid on; "list" prints a line per auction; "as NAME"
    takes NAME's CURVE key; "watch" and "sleep" go to gavel_watch. Each
    OPEN, BID and RESULT done goes to the --history file when there is one.
    Bad lines are reported on stderr and skipped.

    The status is what the bidder exits with: 0 while every command got an
    answer (success or fail), 1 once any got an exception or no answer, or
    a line was bad.
*/
#ifndef GAVEL_SESSION_H_INCLUDED
#define GAVEL_SESSION_H_INCLUDED

#include <stdio.h>
#include "gavel_client.h"
#include "gavel_history.h"
#include "gavel_watch.h"

typedef struct _gavel_session_t gavel_session_t;

//  Create a session bidding as name (valid: gavel_text_valid_name), with
//  the feed of cluster to watch (NULL: none), printing on stream, as JSON
//  when json. Its client has no endpoint yet.
gavel_session_t *
    gavel_session_new (const char *name, const char *cluster, bool json, FILE *stream);

//  Destroy, with the client, watch and history; sets the caller's pointer
//  to NULL.
void
    gavel_session_destroy (gavel_session_t **self_p);

//  The client, to connect and set up before the first command.
gavel_client_t *
    gavel_session_client (gavel_session_t *self);

//  The watch, to wait on and to tell about a prompt.
gavel_watch_t *
    gavel_session_watch (gavel_session_t *self);

//  Send up to depth requests ahead (1, the default: one at a time; at most
//  GAVEL_CLIENT_PIPELINE_MAX). OPEN, and BID and RESULT that name their
//  auction, go out without waiting for the answers before them, unless a
//  request still out names the same auction or is an OPEN; every other
//  line (LIST, STATUS, as, sleep...) waits for all of them. Answers are
//  printed, and go to the history, in the order of the lines, each with
//  the time it came.
void
    gavel_session_set_pipeline (gavel_session_t *self, size_t depth);

//  The key directory 'as NAME' takes NAME's key from, with CURVE.
void
    gavel_session_set_keys (gavel_session_t *self, const char *keys);

//  Record OPEN, BID and RESULT in history from now on; takes ownership.
void
    gavel_session_set_history (gavel_session_t *self, gavel_history_t **history_p);

//  The current name.
const char *
    gavel_session_name (gavel_session_t *self);

//  Parse and run one line; origin (a file name, "stdin") prefixes an error
//  with origin:line_number, NULL at the prompt. Returns false when the line
//  asks to stop.
bool
    gavel_session_execute_line (gavel_session_t *self, const char *line,
                                const char *origin, size_t line_number);

//  Run each line of file until a quit, its end, or SIGINT (which is said on
//  stderr and counts as a failure, as a read error does).
void
    gavel_session_run_file (gavel_session_t *self, FILE *file, const char *origin);

//  Count a failure the caller saw (an interrupted command at the prompt).
void
    gavel_session_fail (gavel_session_t *self);

//  0 or 1, as above.
int
    gavel_session_status (gavel_session_t *self);

void
    gavel_session_test (bool verbose);

#endif
