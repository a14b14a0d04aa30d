/*  gavel_answer: the bidder's output, one line per answer.

    A line holds the outcome word, the reason, the reply's records as they
    came, and the message of an exception (the brief for people it is);
    with JSON, the same keys as one object. Text values are quoted, so a
    message cannot end its own quotes or forge more keys on the line.
*/
#ifndef GAVEL_ANSWER_H_INCLUDED
#define GAVEL_ANSWER_H_INCLUDED

#include <stdio.h>
#include "gavel_msg.h"

typedef struct _gavel_answer_t gavel_answer_t;

//  Create a printer of answer lines on stream, as JSON objects when json.
gavel_answer_t *
    gavel_answer_new (FILE *stream, bool json);

//  Destroy; the stream stays open. Sets the caller's pointer to NULL.
void
    gavel_answer_destroy (gavel_answer_t **self_p);

//  Print one answer line. reason, record and message may be NULL; the
//  message is shown for exceptions only.
void
    gavel_answer_print (gavel_answer_t *self, const char *outcome,
                        const char *reason, const char *record, const char *message);

//  Print the line of a reply.
void
    gavel_answer_print_reply (gavel_answer_t *self, gavel_msg_t *reply);

//  True once any exception was printed: the bidder then exits 1.
bool
    gavel_answer_excepted (gavel_answer_t *self);

//  The records of a reply on one line, space separated; the caller frees
//  it. A reply other than LIST carries at most one, but a line must not
//  lose any the replica sent.
char *
    gavel_answer_joined_records (gavel_msg_t *reply);

void
    gavel_answer_test (bool verbose);

#endif
