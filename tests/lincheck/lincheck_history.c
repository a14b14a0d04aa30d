/*  lincheck_history: the lines of bidder --history files, read into
    operations.
*/
#include "lincheck_history.h"

static int
    s_intern (history_t *self, const char *name);

history_t *
lincheck_history_new (void)
{
    history_t *self = (history_t *) zmalloc (sizeof (history_t));
    assert (self);
    self->name_index = zhashx_new ();
    assert (self->name_index);
    self->none = s_intern (self, "none");
    return self;
}

void
lincheck_history_destroy (history_t **self_p)
{
    history_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        free (self->ops [index].text);
    for (size_t index = 0; index < self->name_count; index++)
        free (self->names [index]);
    free (self->ops);
    free (self->names);
    zhashx_destroy (&self->name_index);
    free (self);
    *self_p = NULL;
}

//  Names become small integers, so that model states compare cheaply.
static int
s_intern (history_t *self, const char *name)
{
    uintptr_t known = (uintptr_t) zhashx_lookup (self->name_index, name);
    if (known)
        return (int) known - 1;
    if (self->name_count == self->name_size) {
        self->name_size = self->name_size? self->name_size * 2: 16;
        self->names = (char **) realloc (self->names, self->name_size * sizeof (char *));
        assert (self->names);
    }
    self->names [self->name_count] = strdup (name);
    assert (self->names [self->name_count]);
    zhashx_insert (self->name_index, name, (void *) (uintptr_t) (self->name_count + 1));
    return (int) self->name_count++;
}

const char *
lincheck_history_name (history_t *self, int name)
{
    return self->names [name];
}

//  Cuts the next word off *cursor; words are separated by spaces or tabs.
static char *
s_next_word (char **cursor)
{
    char *word = *cursor + strspn (*cursor, " \t");
    size_t length = strcspn (word, " \t");
    *cursor = word + length;
    if (**cursor) {
        **cursor = '\0';
        (*cursor)++;
    }
    return length? word: NULL;
}

static int
s_record_amount (const char *record, const char *key, int64_t *amount)
{
    char text [32];
    const char *why;
    return gavel_record_get (record, key, text, sizeof (text)) == 0
        && gavel_text_parse_int (text, 0, INT64_MAX, amount, &why) == 0? 0: -1;
}

//  The interned name under key, or -1 when the record has no valid one.
static int
s_record_name (history_t *self, const char *record, const char *key)
{
    char text [GAVEL_NAME_MAX + 2];
    if (gavel_record_get (record, key, text, sizeof (text))
    ||  !gavel_text_valid_name (text))
        return -1;
    return s_intern (self, text);
}

//  Reads "AMOUNT_KEY=N NAME_KEY=W" from the record into the op.
static bool
s_record_shows (history_t *self, op_t *op, const char *record,
                const char *amount_key, const char *name_key)
{
    op->shown_name = s_record_name (self, record, name_key);
    return s_record_amount (record, amount_key, &op->shown_amount) == 0
        && op->shown_name >= 0;
}

//  Exceptions that say the request was not applied.
static bool
s_no_effect (const char *reason)
{
    return streq (reason, "malformed") || streq (reason, "unknown-command")
        || streq (reason, "unsupported-version") || streq (reason, "unknown-auction")
        || streq (reason, "stale-request");
}

static void
s_interpret_bid (history_t *self, op_t *op, bool success, const char *reason,
                 const char *record)
{
    if (success) {
        int64_t amount;
        op->seen = SEEN_SUCCESS;
        if (s_record_amount (record, "amount", &amount) || amount != op->amount)
            op->problem = "the record does not show the amount bid";
    }
    else
    if (streq (reason, "too-low")) {
        op->seen = SEEN_TOO_LOW;
        if (!s_record_shows (self, op, record, "highest", "bidder"))
            op->problem = "the record lacks highest= or bidder=";
        else
        if (op->amount > op->shown_amount)
            op->problem = "too-low, yet the amount is above the highest shown";
    }
    else
    if (streq (reason, "below-reserve")) {
        op->seen = SEEN_BELOW_RESERVE;
        if (s_record_amount (record, "reserve", &op->shown_amount))
            op->problem = "the record lacks reserve=";
        else
        if (op->amount >= op->shown_amount)
            op->problem = "below-reserve, yet the amount is not below the reserve shown";
    }
    else
    if (streq (reason, "closed")) {
        op->seen = SEEN_CLOSED;
        if (!s_record_shows (self, op, record, "amount", "winner"))
            op->problem = "the record lacks winner= or amount=";
    }
    else
        op->problem = "a fail reason the protocol does not have";
}

static void
s_interpret_result (history_t *self, op_t *op, bool success, const char *record)
{
    char state [16] = "";
    gavel_record_get (record, "state", state, sizeof (state));
    if (!success)
        op->problem = "RESULT cannot fail";
    else
    if (streq (state, "open")) {
        op->seen = SEEN_OPEN;
        if (!s_record_shows (self, op, record, "highest", "bidder"))
            op->problem = "the record lacks highest= or bidder=";
    }
    else
    if (streq (state, "closed")) {
        op->seen = SEEN_CLOSED;
        if (!s_record_shows (self, op, record, "amount", "winner"))
            op->problem = "the record lacks winner= or amount=";
    }
    else
        op->problem = "the record has no state=open or state=closed";
}

//  Works out what the reply says about the model.
static void
s_interpret (history_t *self, op_t *op, const char *outcome, const char *reason,
             const char *record)
{
    bool success = streq (outcome, "success");
    bool answered = success || streq (outcome, "fail");
    op->success = success;
    op->unknown_auction = streq (outcome, "exception")
                       && streq (reason, "unknown-auction");
    //  Only these replies say how long the auction has left: an open's, a
    //  successful bid's, an open result's. A closes_in that does not parse
    //  bounds nothing (it was the replica's to give, so it is no violation)
    if (success && s_record_amount (record, "closes_in", &op->closes_in))
        op->closes_in = -1;
    if (op->kind == OP_OPEN)
        return;
    if (!answered) {
        //  Reads change nothing, whether or not they were done
        bool definite = streq (outcome, "exception") && s_no_effect (reason);
        if (op->kind == OP_BID && !definite)
            op->seen = SEEN_MAYBE;
        return;
    }
    char auction [32], expected [32];
    snprintf (expected, sizeof (expected), "%" PRIu64, op->auction);
    if (gavel_record_get (record, "auction", auction, sizeof (auction))
    ||  !streq (auction, expected))
        op->problem = "the record does not name the auction asked for";
    else
    if (op->kind == OP_BID)
        s_interpret_bid (self, op, success, reason, record);
    else
        s_interpret_result (self, op, success, record);
}

static int
s_parse_time (const char *text, int64_t *time, char *error, size_t error_size,
              const char *field)
{
    const char *why = "is not valid";
    if (gavel_text_parse_int (text, 0, INT64_MAX, time, &why) == 0)
        return 0;
    snprintf (error, error_size, "%s '%.30s' %s", field, text, why);
    return -1;
}

//  Checks the nine words before the record; fills op.
static int
s_parse_words (history_t *self, char **words, op_t *op, char *error, size_t size)
{
    uint64_t auction;
    const char *why = "is not valid";
    if (s_parse_time (words [0], &op->invoke, error, size, "invoke time")
    ||  s_parse_time (words [1], &op->complete, error, size, "complete time"))
        return -1;
    if (op->complete < op->invoke)
        snprintf (error, size, "completes before it is invoked");
    else
    if (!gavel_text_valid_session (words [2]))
        snprintf (error, size, "session '%.70s' is not valid", words [2]);
    else
    if (!gavel_text_valid_name (words [3]))
        snprintf (error, size, "name '%.40s' is not valid", words [3]);
    else
    if (gavel_text_parse_uint (words [5], 0, UINT64_MAX, &auction, &why))
        snprintf (error, size, "auction '%.30s' %s", words [5], why);
    else
    if (gavel_text_parse_int (words [6], 0, INT64_MAX, &op->amount, &why))
        snprintf (error, size, "amount '%.30s' %s", words [6], why);
    else
    if (!streq (words [7], "success") && !streq (words [7], "fail")
    &&  !streq (words [7], "exception") && !streq (words [7], "none")
    &&  !streq (words [7], "redirect"))
        snprintf (error, size, "outcome '%.30s' is not success, fail, exception or none",
                  words [7]);
    else
    if ((streq (words [4], "bid") || streq (words [4], "result")) && auction == 0)
        snprintf (error, size, "auction 0 in a %s", words [4]);
    else {
        op->auction = auction;
        op->name = s_intern (self, words [3]);
        return 0;
    }
    return -1;
}

static void
s_history_append (history_t *self, op_t *op, const char *text)
{
    op->text = strdup (text);
    assert (op->text);
    op->text [strcspn (op->text, "\r\n")] = '\0';
    if (self->count == self->size) {
        self->size = self->size? self->size * 2: 256;
        self->ops = (op_t *) realloc (self->ops, self->size * sizeof (op_t));
        assert (self->ops);
    }
    self->ops [self->count++] = *op;
}

//  Adds one history line (without its newline). Returns 0, or -1 with what
//  is wrong in error. Blank lines, comments and list lines are skipped.
int
lincheck_history_add (history_t *self, const char *text, const char *file,
               size_t line, char *error, size_t error_size)
{
    if (!text [strspn (text, " \t")] || text [strspn (text, " \t")] == '#')
        return 0;
    char *copy = strdup (text);
    assert (copy);
    char *cursor = copy;
    char *words [9];
    size_t count = 0;
    while (count < 9 && (words [count] = s_next_word (&cursor)))
        count++;
    char *record = cursor + strspn (cursor, " \t");
    record [strcspn (record, "\r")] = '\0';
    op_t op = { .file = file, .line = line, .seq = self->count, .closes_in = -1 };
    int rc = -1;
    if (count < 9 || !*record)
        snprintf (error, error_size, "%zu fields, expected INVOKE_US COMPLETE_US "
                  "SESSION NAME OP AUCTION AMOUNT OUTCOME REASON RECORD...",
                  count + (*record? 1: 0));
    else
    if (!streq (words [4], "open") && !streq (words [4], "bid")
    &&  !streq (words [4], "result") && !streq (words [4], "list"))
        snprintf (error, error_size, "op '%.30s' is not open, bid or result", words [4]);
    else
    if (s_parse_words (self, words, &op, error, error_size) == 0)
        rc = 0;
    if (rc == 0 && !streq (words [4], "list")) {
        op.kind = streq (words [4], "open")? OP_OPEN:
                  streq (words [4], "bid")? OP_BID: OP_RESULT;
        s_interpret (self, &op, words [7], streq (words [8], "-")? "": words [8],
                     streq (record, "-")? "": record);
        s_history_append (self, &op, text);
    }
    free (copy);
    return rc;
}

//  Returns 0, or -1 after saying what is wrong on stderr.
int
lincheck_history_load (history_t *self, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "gavel-lincheck: cannot open %s: %s\n", path, strerror (errno));
        return -1;
    }
    char *text = NULL;
    size_t size = 0;
    size_t line = 0;
    int rc = 0;
    while (rc == 0 && getline (&text, &size, file) != -1) {
        char error [256];
        text [strcspn (text, "\n")] = '\0';
        rc = lincheck_history_add (self, text, path, ++line, error, sizeof (error));
        if (rc)
            fprintf (stderr, "%s:%zu: %s\n", path, line, error);
    }
    if (rc == 0 && ferror (file)) {
        fprintf (stderr, "gavel-lincheck: cannot read %s: %s\n", path, strerror (errno));
        rc = -1;
    }
    free (text);
    fclose (file);
    return rc;
}


