/*  gavel_msg: the one codec for every Gavel message on the wire.

    Table-driven: each command lists its fields in frame order, and one encode
    and one decode walk that list. A new command is a new table row, so the
    wire layout lives in one place and matches docs/PROTOCOL.md row by row.
*/
#include "gavel_msg.h"
#include "gavel_text.h"

#include <pthread.h>
#include <stdarg.h>

//  The fields a frame can hold, each with its name for error messages.
typedef enum {
    F_END = 0,
    F_REQUEST_ID, F_SESSION, F_NAME, F_ITEM, F_DURATION, F_RESERVE,
    F_AUCTION, F_AMOUNT, F_OUTCOME, F_REASON, F_MESSAGE, F_RECORDS,
    F_TERM, F_FROM, F_INDEX, F_PREV_INDEX, F_PREV_TERM, F_COMMIT,
    F_LAST_INDEX, F_LAST_TERM, F_SEQ, F_GRANTED, F_STAMP, F_ENTRIES, F_PAYLOAD, F_COUNT,
    F_KEY
} field_t;

static const char *s_field_names [] = {
    "", "request id", "session", "name", "item", "duration", "reserve",
    "auction", "amount", "outcome", "reason", "message", "record",
    "term", "from", "index", "prev index", "prev term", "commit",
    "last index", "last term", "seq", "granted", "stamp", "entry", "payload", "count",
    "key"
};

#define HEADER F_REQUEST_ID, F_SESSION, F_NAME
//  F_RECORDS and F_ENTRIES take every remaining frame. Entries list their
//  own fields: those after the entry's term, index and stamp.
static const struct {
    gavel_msg_id_t id;
    const char *word;
    field_t fields [8];         //  after tag and command
    const char *topic;          //  PUB topic frame before the tag, or NULL
} s_commands [] = {
    { GAVEL_MSG_OPEN,   "OPEN",   { HEADER, F_ITEM, F_DURATION, F_RESERVE }, NULL },
    { GAVEL_MSG_BID,    "BID",    { HEADER, F_AUCTION, F_AMOUNT }, NULL },
    { GAVEL_MSG_RESULT, "RESULT", { HEADER, F_AUCTION }, NULL },
    { GAVEL_MSG_LIST,   "LIST",   { HEADER }, NULL },
    { GAVEL_MSG_STATUS, "STATUS", { HEADER }, NULL },
    { GAVEL_MSG_HISTORY, "HISTORY", { HEADER, F_SEQ, F_COUNT }, NULL },
    { GAVEL_MSG_REPLY,  "REPLY",  { F_REQUEST_ID, F_OUTCOME, F_REASON, F_MESSAGE, F_RECORDS }, NULL },
    { GAVEL_MSG_LOG,    "LOG",    { F_TERM, F_FROM, F_PREV_INDEX, F_PREV_TERM, F_COMMIT, F_ENTRIES }, "log" },
    { GAVEL_MSG_HB,     "HB",     { F_TERM, F_FROM, F_COMMIT, F_LAST_INDEX, F_SEQ }, "hb" },
    { GAVEL_MSG_ACK,    "ACK",    { F_TERM, F_FROM, F_INDEX, F_SEQ }, NULL },
    { GAVEL_MSG_FETCH,  "FETCH",  { F_TERM, F_FROM, F_INDEX }, NULL },
    { GAVEL_MSG_ENTRIES, "ENTRIES", { F_TERM, F_FROM, F_PREV_INDEX, F_PREV_TERM, F_COMMIT,
                                      F_LAST_INDEX, F_ENTRIES }, NULL },
    { GAVEL_MSG_ELECTION, "ELECTION", { F_TERM, F_FROM, F_LAST_TERM, F_LAST_INDEX }, NULL },
    { GAVEL_MSG_ALIVE,  "ALIVE",  { F_TERM, F_FROM, F_LAST_TERM, F_LAST_INDEX }, NULL },
    { GAVEL_MSG_COORDINATOR, "COORDINATOR", { F_TERM, F_FROM, F_LAST_TERM, F_LAST_INDEX }, NULL },
    { GAVEL_MSG_ACCEPT, "ACCEPT", { F_TERM, F_FROM, F_GRANTED }, NULL },
    { GAVEL_MSG_EVENT,  "EVENT",  { F_TERM, F_FROM, F_INDEX, F_SEQ, F_STAMP, F_RECORDS }, "event" },
    { GAVEL_MSG_LAST,   "LAST",   { F_SEQ }, "event" },
    { GAVEL_MSG_SNAPSHOT, "SNAPSHOT", { F_TERM, F_FROM, F_INDEX, F_LAST_TERM, F_COMMIT, F_PAYLOAD }, NULL },
    //  Entry-only kinds: their rows give the fields of an entry line
    { GAVEL_MSG_NOOP,   "NOOP",   { F_END }, NULL },
    { GAVEL_MSG_CLOSE,  "CLOSE",  { F_END }, NULL },
};

//  The fields of an entry line after "TERM INDEX STAMP OP", per kind
static const struct {
    gavel_msg_id_t id;
    field_t fields [8];
} s_entry_fields [] = {
    { GAVEL_MSG_OPEN,  { F_SESSION, F_REQUEST_ID, F_NAME, F_KEY, F_ITEM, F_DURATION, F_RESERVE } },
    { GAVEL_MSG_BID,   { F_SESSION, F_REQUEST_ID, F_NAME, F_KEY, F_AUCTION, F_AMOUNT } },
    { GAVEL_MSG_NOOP,  { F_FROM } },
    { GAVEL_MSG_CLOSE, { F_END } },
};
#define ENTRY_KINDS (sizeof s_entry_fields / sizeof s_entry_fields [0])
#define COMMANDS (sizeof s_commands / sizeof s_commands [0])

//  Longest frame we read; anything longer is refused, not truncated.
#define FRAME_MAX GAVEL_RECORD_MAX

struct _gavel_msg_t {
    gavel_msg_id_t id;
    uint64_t request_id;
    char session [GAVEL_SESSION_MAX + 1];
    char name [GAVEL_NAME_MAX + 1];
    char key [GAVEL_KEY_MAX + 1];   //  the sender's public key, "" if none
    char item [GAVEL_ITEM_MAX + 1];
    int64_t duration;
    int64_t reserve;
    uint64_t auction;
    int64_t amount;
    gavel_outcome_t outcome;
    char reason [32];
    char message [GAVEL_MESSAGE_MAX];
    zlist_t *records;           //  of char *, autofree
    uint64_t term;
    uint64_t from;
    uint64_t index;
    uint64_t prev_index;
    uint64_t prev_term;
    uint64_t commit;
    uint64_t last_index;
    uint64_t last_term;
    uint64_t seq;
    uint64_t count;
    bool granted;
    int64_t stamp;
    zlistx_t *entries;          //  of gavel_msg_t *, created on first use
    zmsg_t *payload;            //  SNAPSHOT: the state, opaque to the codec
    unsigned shares;            //  owners besides the first (gavel_msg_share)
};

static size_t
s_command_index (gavel_msg_id_t id)
{
    for (size_t index = 0; index < COMMANDS; index++)
        if (s_commands [index].id == id)
            return index;
    assert (false);             //  every gavel_msg_id_t has a row
    return 0;
}

//  Messages are made and destroyed by the thousand a second, one per log
//  entry on every replica, and glibc's allocator handles a burst of such
//  blocks slowly: destroyed ones are kept here for the next (bounded; one
//  lock, as self tests run replicas in threads of their own).
//  Not under AddressSanitizer: a message reused would hide a use after free.
#if defined (__SANITIZE_ADDRESS__)
#   define POOL_OFF
#elif defined (__has_feature)
#   if __has_feature (address_sanitizer)
#       define POOL_OFF
#   endif
#endif
#define POOL_MAX 1024

static gavel_msg_t *s_pool [POOL_MAX];
static size_t s_pooled;
static pthread_mutex_t s_pool_lock = PTHREAD_MUTEX_INITIALIZER;

static gavel_msg_t *
s_msg_alloc (void)
{
    gavel_msg_t *self = NULL;
    pthread_mutex_lock (&s_pool_lock);
    if (s_pooled)
        self = s_pool [--s_pooled];
    pthread_mutex_unlock (&s_pool_lock);
    if (self)
        memset (self, 0, sizeof *self);
    else
        self = (gavel_msg_t *) zmalloc (sizeof (gavel_msg_t));
    assert (self);
    return self;
}

static void
s_msg_free (gavel_msg_t *self)
{
#ifndef POOL_OFF
    pthread_mutex_lock (&s_pool_lock);
    if (s_pooled < POOL_MAX) {
        s_pool [s_pooled++] = self;
        self = NULL;
    }
    pthread_mutex_unlock (&s_pool_lock);
#endif
    free (self);
}

gavel_msg_t *
gavel_msg_new (gavel_msg_id_t id)
{
    gavel_msg_t *self = s_msg_alloc ();
    (void) s_command_index (id);
    self->id = id;
    return self;
}

//  Records are made on first use: most messages carry none
static void
s_records_require (gavel_msg_t *self)
{
    if (!self->records) {
        self->records = zlist_new ();
        assert (self->records);
        zlist_autofree (self->records);
    }
}

gavel_msg_t *
gavel_msg_share (gavel_msg_t *self)
{
    assert (self);
    self->shares++;
    return self;
}

void
gavel_msg_destroy (gavel_msg_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gavel_msg_t *self = *self_p;
        if (self->shares) {
            self->shares--;
            *self_p = NULL;
            return;
        }
        zlist_destroy (&self->records);
        zlistx_destroy (&self->entries);
        zmsg_destroy (&self->payload);
        s_msg_free (self);
        *self_p = NULL;
    }
}

gavel_msg_t *
gavel_msg_dup (gavel_msg_t *self)
{
    assert (self);
    gavel_msg_t *copy = s_msg_alloc ();
    *copy = *self;
    copy->shares = 0;
    copy->records = self->records? zlist_dup (self->records): NULL;
    copy->entries = self->entries? zlistx_dup (self->entries): NULL;
    copy->payload = self->payload? zmsg_dup (self->payload): NULL;
    return copy;
}

//  Copy a string field, which the setters and decode have already bounded.
static void
s_set_string (char *field, size_t size, const char *value)
{
    assert (strlen (value) < size);
    memcpy (field, value, strlen (value) + 1);
}

//  -------------------------------------------------------------------------
//  Decode

static int
s_fail (gavel_msg_error_t *error, const char *reason, const char *format, ...)
{
    snprintf (error->reason, sizeof error->reason, "%s", reason);
    va_list args;
    va_start (args, format);
    vsnprintf (error->message, sizeof error->message, format, args);
    va_end (args);
    return -1;
}

//  Frame as a C string in buffer, or -1 if it is too long or holds a NUL.
static int
s_frame_text (zframe_t *frame, size_t index, const char *field,
              char *buffer, size_t limit, gavel_msg_error_t *error)
{
    size_t size = zframe_size (frame);
    if (size > limit)
        return s_fail (error, "malformed", "frame %zu (%s) is %zu bytes, over the limit of %zu",
                       index, field, size, limit);
    memcpy (buffer, zframe_data (frame), size);
    buffer [size] = '\0';
    if (strlen (buffer) != size)
        return s_fail (error, "malformed", "frame %zu (%s) contains a NUL byte", index, field);
    return 0;
}

static int
s_parse_u64 (const char *text, uint64_t *value, const char **why)
{
    return gavel_text_parse_uint (text, 0, UINT64_MAX, value, why);
}

//  Quote the offending text back only on failure: the good path stays cheap.
static int
s_bad_field (gavel_msg_error_t *error, size_t index, const char *name,
             const char *text, const char *why)
{
    char quoted [64];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    return s_fail (error, "malformed", "frame %zu (%s): '%s' %s", index, name, quoted, why);
}

static int
s_decode_field (gavel_msg_t *self, field_t field, const char *text,
                size_t index, gavel_msg_error_t *error)
{
    const char *name = s_field_names [field];
    const char *why = NULL;
    int rc = 0;
    switch (field) {
        case F_REQUEST_ID: {
            //  A reply to an unreadable request carries id 0
            uint64_t min = self->id == GAVEL_MSG_REPLY? 0: 1;
            rc = gavel_text_parse_uint (text, min, UINT64_MAX, &self->request_id, &why);
            if (rc == 0)
                error->request_id = self->request_id;
            break;
        }
        case F_SESSION:
            if (!gavel_text_valid_session (text))
                return s_bad_field (error, index, name, text, "is not 1-64 characters of A-Z a-z 0-9 _ -");
            s_set_string (self->session, sizeof self->session, text);
            break;
        case F_NAME:
            if (!gavel_text_valid_name (text))
                return s_bad_field (error, index, name, text, "is not 1-32 characters of A-Z a-z 0-9 _ . -");
            s_set_string (self->name, sizeof self->name, text);
            break;
        case F_KEY:
            //  In an entry line: "-" when the request came without CURVE
            if (streq (text, "-"))
                self->key [0] = '\0';
            else
            if (!gavel_text_valid_key (text))
                return s_bad_field (error, index, name, text, "is not '-' or a 40-character Z85 public key");
            else
                s_set_string (self->key, sizeof self->key, text);
            break;
        case F_ITEM:
            if (!gavel_text_valid_item (text))
                return s_bad_field (error, index, name, text,
                                    "is not 1-64 printable characters without space, = or \"");
            s_set_string (self->item, sizeof self->item, text);
            break;
        case F_DURATION:
            rc = gavel_text_parse_int (text, 1, GAVEL_DURATION_MAX, &self->duration, &why);
            break;
        case F_RESERVE:
            rc = gavel_text_parse_int (text, 0, INT64_MAX, &self->reserve, &why);
            break;
        case F_AUCTION:
            rc = gavel_text_parse_uint (text, 1, UINT64_MAX, &self->auction, &why);
            break;
        case F_AMOUNT:
            rc = gavel_text_parse_int (text, 1, INT64_MAX, &self->amount, &why);
            break;
        case F_OUTCOME: {
            int outcome = gavel_outcome_parse (text);
            if (outcome < 0)
                return s_bad_field (error, index, name, text, "is not success, fail, exception or redirect");
            self->outcome = (gavel_outcome_t) outcome;
            break;
        }
        case F_REASON:
            if (strlen (text) >= sizeof self->reason)
                return s_fail (error, "malformed", "frame %zu (reason) is too long", index);
            s_set_string (self->reason, sizeof self->reason, text);
            break;
        case F_MESSAGE:
            if (strlen (text) >= sizeof self->message)
                return s_fail (error, "malformed", "frame %zu (message) is too long", index);
            s_set_string (self->message, sizeof self->message, text);
            break;
        case F_RECORDS:
            s_records_require (self);
            zlist_append (self->records, (void *) text);
            break;
        case F_TERM:       rc = s_parse_u64 (text, &self->term, &why); break;
        case F_INDEX:      rc = s_parse_u64 (text, &self->index, &why); break;
        case F_PREV_INDEX: rc = s_parse_u64 (text, &self->prev_index, &why); break;
        case F_PREV_TERM:  rc = s_parse_u64 (text, &self->prev_term, &why); break;
        case F_COMMIT:     rc = s_parse_u64 (text, &self->commit, &why); break;
        case F_LAST_INDEX: rc = s_parse_u64 (text, &self->last_index, &why); break;
        case F_LAST_TERM:  rc = s_parse_u64 (text, &self->last_term, &why); break;
        case F_SEQ:        rc = s_parse_u64 (text, &self->seq, &why); break;
        case F_COUNT:
            rc = gavel_text_parse_uint (text, 1, GAVEL_HISTORY_MAX, &self->count, &why);
            break;
        case F_FROM:
            rc = gavel_text_parse_uint (text, 1, GAVEL_REPLICA_ID_MAX, &self->from, &why);
            break;
        case F_STAMP:
            rc = gavel_text_parse_int (text, 0, INT64_MAX, &self->stamp, &why);
            break;
        case F_GRANTED: {
            uint64_t granted;
            rc = gavel_text_parse_uint (text, 0, 1, &granted, &why);
            self->granted = granted == 1;
            break;
        }
        case F_ENTRIES: {
            gavel_msg_t *entry = gavel_msg_decode_entry (text, error);
            if (!entry) {
                char reason [GAVEL_MESSAGE_MAX];
                snprintf (reason, sizeof reason, "%s", error->message);
                return s_fail (error, "malformed", "frame %zu (entry): %s", index, reason);
            }
            gavel_msg_add_entry (self, &entry);
            break;
        }
        case F_PAYLOAD:             //  raw frames: decode takes them as they are
        case F_END:
            assert (false);
    }
    if (rc)
        return s_bad_field (error, index, name, text, why);
    return 0;
}

//  Frames of a message after its PUB topic frame, if it has one, so that
//  frame numbers in errors match docs/PROTOCOL.md.
typedef struct {
    zmsg_t *msg;
    size_t size;                //  frames after the topic
    const char *topic;          //  the topic frame read, or NULL
} frames_t;

static zframe_t *
s_frames_first (frames_t *frames)
{
    zframe_t *frame = zmsg_first (frames->msg);
    return frames->topic? zmsg_next (frames->msg): frame;
}

static void
s_frames_init (frames_t *frames, zmsg_t *msg)
{
    frames->msg = msg;
    frames->size = zmsg_size (msg);
    frames->topic = NULL;
    zframe_t *first = zmsg_first (msg);
    for (size_t row = 0; first && row < COMMANDS; row++)
        if (s_commands [row].topic && zframe_streq (first, s_commands [row].topic)) {
            frames->topic = s_commands [row].topic;
            frames->size--;
            break;
        }
}

//  The request id, read before anything else so that even a bad command can
//  be answered with an id the sender will recognise.
static uint64_t
s_peek_request_id (frames_t *frames)
{
    if (frames->size < 3)
        return 0;
    s_frames_first (frames);
    zmsg_next (frames->msg);
    zframe_t *frame = zmsg_next (frames->msg);
    char text [24];
    uint64_t id = 0;
    if (zframe_size (frame) < sizeof text) {
        memcpy (text, zframe_data (frame), zframe_size (frame));
        text [zframe_size (frame)] = '\0';
        if (gavel_text_parse_uint (text, 1, UINT64_MAX, &id, NULL))
            id = 0;
    }
    return id;
}

static int
s_decode_tag (zframe_t *frame, gavel_msg_error_t *error)
{
    char text [33];
    if (!frame)
        return s_fail (error, "malformed", "empty message: expected frame 0 (tag) '%s'",
                       GAVEL_PROTOCOL_TAG);
    if (s_frame_text (frame, 0, "tag", text, 32, error))
        return -1;
    if (streq (text, GAVEL_PROTOCOL_TAG))
        return 0;
    char quoted [64];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    if (strncmp (text, "GAVEL/", 6) == 0)
        return s_fail (error, "unsupported-version", "frame 0 (tag): '%s' is not supported; "
                       "this replica speaks %s", quoted, GAVEL_PROTOCOL_TAG);
    return s_fail (error, "malformed", "frame 0 (tag): expected '%s', got '%s'",
                   GAVEL_PROTOCOL_TAG, quoted);
}

//  The table row of the command in frame, or -1 with error.
static int
s_decode_command (zframe_t *frame, const char *topic, gavel_msg_error_t *error)
{
    char text [33];
    if (!frame)
        return s_fail (error, "malformed", "frame 1 (command) is missing");
    if (s_frame_text (frame, 1, "command", text, 32, error))
        return -1;
    for (size_t row = 0; row < COMMANDS; row++) {
        gavel_msg_id_t id = s_commands [row].id;
        if (!streq (text, s_commands [row].word) || id == GAVEL_MSG_NOOP || id == GAVEL_MSG_CLOSE)
            continue;
        if (topic && (!s_commands [row].topic || !streq (topic, s_commands [row].topic)))
            return s_fail (error, "malformed", "topic '%s' does not carry %s", topic, text);
        //  One spelling: what travels under a topic comes with it (encode
        //  writes it), so that decode and encode agree frame for frame
        if (!topic && s_commands [row].topic)
            return s_fail (error, "malformed", "%s travels under its topic frame '%s'", text,
                           s_commands [row].topic);
        return (int) row;
    }
    char quoted [64];
    gavel_text_quote (text, strlen (text), quoted, sizeof quoted);
    return s_fail (error, "unknown-command", "frame 1 (command): '%s' is not a command", quoted);
}

static bool
s_open_ended (field_t field)
{
    return field == F_RECORDS || field == F_ENTRIES || field == F_PAYLOAD;
}

gavel_msg_t *
gavel_msg_decode (zmsg_t *msg, gavel_msg_error_t *error)
{
    assert (msg);
    assert (error);
    memset (error, 0, sizeof *error);
    frames_t frames;
    s_frames_init (&frames, msg);
    error->request_id = s_peek_request_id (&frames);

    if (s_decode_tag (s_frames_first (&frames), error))
        return NULL;
    int row = s_decode_command (zmsg_next (msg), frames.topic, error);
    if (row < 0)
        return NULL;
    const field_t *fields = s_commands [row].fields;
    size_t expected = 2;
    while (fields [expected - 2] != F_END && !s_open_ended (fields [expected - 2]))
        expected++;
    bool open_ended = s_open_ended (fields [expected - 2]);
    if (frames.size < expected || (frames.size > expected && !open_ended)) {
        s_fail (error, "malformed", "%s takes %zu frames, got %zu",
                s_commands [row].word, expected, frames.size);
        return NULL;
    }
    gavel_msg_t *self = gavel_msg_new (s_commands [row].id);
    char text [FRAME_MAX + 1];
    size_t index = 2;
    size_t field_index = 0;
    for (zframe_t *frame = zmsg_next (msg); frame; frame = zmsg_next (msg), index++) {
        field_t field = fields [field_index];
        if (!s_open_ended (field))
            field_index++;
        if (field == F_PAYLOAD) {
            if (!self->payload)
                self->payload = zmsg_new ();
            zmsg_addmem (self->payload, zframe_data (frame), zframe_size (frame));
            continue;
        }
        if (s_frame_text (frame, index, s_field_names [field], text, FRAME_MAX, error)
        ||  s_decode_field (self, field, text, index, error)) {
            gavel_msg_destroy (&self);
            return NULL;
        }
    }
    return self;
}

//  -------------------------------------------------------------------------
//  Encode

//  Where encoded frames go: a zmsg being built, or a caller's put function
//  (gavel_msg_send's, which writes libzmq messages: czmq's frame and list
//  objects cost a third of a primary's loop in the profile), which stops the
//  encoding at its first refusal.
typedef struct {
    zmsg_t *msg;
    gavel_msg_put_fn *put;
    void *arg;
    int rc;
} sink_t;

static void
s_put (sink_t *sink, const void *data, size_t size)
{
    if (sink->msg)
        zmsg_addmem (sink->msg, data, size);
    else
    if (sink->rc == 0)
        sink->rc = sink->put (sink->arg, data, size);
}

static void
s_put_str (sink_t *sink, const char *text)
{
    s_put (sink, text, strlen (text));
}

static void
s_put_u64 (sink_t *sink, uint64_t value)
{
    char text [24];
    s_put (sink, text, (size_t) snprintf (text, sizeof text, "%" PRIu64, value));
}

static void
s_put_i64 (sink_t *sink, int64_t value)
{
    char text [24];
    s_put (sink, text, (size_t) snprintf (text, sizeof text, "%" PRId64, value));
}

static void
s_encode_to (gavel_msg_t *self, sink_t *sink)
{
    assert (self);
    assert (self->id != GAVEL_MSG_NOOP && self->id != GAVEL_MSG_CLOSE);
    size_t row = s_command_index (self->id);
    if (s_commands [row].topic)
        s_put_str (sink, s_commands [row].topic);
    s_put_str (sink, GAVEL_PROTOCOL_TAG);
    s_put_str (sink, s_commands [row].word);
    for (const field_t *field = s_commands [row].fields; *field != F_END; field++) {
        switch (*field) {
            case F_REQUEST_ID: s_put_u64 (sink, self->request_id); break;
            case F_SESSION:    s_put_str (sink, self->session); break;
            case F_NAME:       s_put_str (sink, self->name); break;
            case F_KEY:        s_put_str (sink, self->key); break;
            case F_ITEM:       s_put_str (sink, self->item); break;
            case F_DURATION:   s_put_i64 (sink, self->duration); break;
            case F_RESERVE:    s_put_i64 (sink, self->reserve); break;
            case F_AUCTION:    s_put_u64 (sink, self->auction); break;
            case F_AMOUNT:     s_put_i64 (sink, self->amount); break;
            case F_OUTCOME:    s_put_str (sink, gavel_outcome_word (self->outcome)); break;
            case F_REASON:     s_put_str (sink, self->reason); break;
            case F_MESSAGE:    s_put_str (sink, self->message); break;
            case F_TERM:       s_put_u64 (sink, self->term); break;
            case F_FROM:       s_put_u64 (sink, self->from); break;
            case F_INDEX:      s_put_u64 (sink, self->index); break;
            case F_PREV_INDEX: s_put_u64 (sink, self->prev_index); break;
            case F_PREV_TERM:  s_put_u64 (sink, self->prev_term); break;
            case F_COMMIT:     s_put_u64 (sink, self->commit); break;
            case F_LAST_INDEX: s_put_u64 (sink, self->last_index); break;
            case F_LAST_TERM:  s_put_u64 (sink, self->last_term); break;
            case F_SEQ:        s_put_u64 (sink, self->seq); break;
            case F_COUNT:      s_put_u64 (sink, self->count); break;
            case F_GRANTED:    s_put_str (sink, self->granted? "1": "0"); break;
            case F_STAMP:      s_put_i64 (sink, self->stamp); break;
            case F_RECORDS: {
                const char *record = self->records? (const char *) zlist_first (self->records): NULL;
                for (; record; record = (const char *) zlist_next (self->records))
                    s_put_str (sink, record);
                break;
            }
            case F_PAYLOAD: {
                zframe_t *frame = self->payload? zmsg_first (self->payload): NULL;
                for (; frame; frame = zmsg_next (self->payload))
                    s_put (sink, zframe_data (frame), zframe_size (frame));
                break;
            }
            case F_ENTRIES: {
                char line [GAVEL_ENTRY_MAX];
                for (gavel_msg_t *entry = gavel_msg_first_entry (self); entry;
                     entry = gavel_msg_next_entry (self)) {
                    size_t length = gavel_msg_encode_entry (entry, line, sizeof line);
                    s_put (sink, line, length);
                }
                break;
            }
            case F_END:
                break;
        }
    }
}

zmsg_t *
gavel_msg_encode (gavel_msg_t *self)
{
    sink_t sink = { .msg = zmsg_new () };
    assert (sink.msg);
    s_encode_to (self, &sink);
    return sink.msg;
}

int
gavel_msg_encode_each (gavel_msg_t *self, zmsg_t *route, gavel_msg_put_fn *put, void *arg)
{
    assert (put);
    sink_t sink = { .put = put, .arg = arg };
    for (zframe_t *frame = route? zmsg_first (route): NULL; frame; frame = zmsg_next (route))
        s_put (&sink, zframe_data (frame), zframe_size (frame));
    s_encode_to (self, &sink);
    return sink.rc;
}

bool
gavel_msg_framed_as (gavel_msg_t *self, zmsg_t *route, zmsg_t *frames)
{
    zmsg_t *expected = route? zmsg_dup (route): zmsg_new ();
    zmsg_t *encoded = gavel_msg_encode (self);
    assert (expected && encoded);
    zframe_t *frame;
    while ((frame = zmsg_pop (encoded)))
        zmsg_append (expected, &frame);
    zmsg_destroy (&encoded);
    bool same = zmsg_size (expected) == zmsg_size (frames);
    for (zframe_t *a = zmsg_first (expected), *b = zmsg_first (frames); same && a;
         a = zmsg_next (expected), b = zmsg_next (frames))
        same = zframe_eq (a, b);
    zmsg_destroy (&expected);
    return same;
}

//  -------------------------------------------------------------------------
//  Entries

static void
s_entry_destroy (void **item_p)
{
    gavel_msg_destroy ((gavel_msg_t **) item_p);
}

static void *
s_entry_dup (const void *item)
{
    return gavel_msg_dup ((gavel_msg_t *) item);
}

void
gavel_msg_add_entry (gavel_msg_t *self, gavel_msg_t **entry_p)
{
    assert (entry_p && *entry_p);
    if (!self->entries) {
        self->entries = zlistx_new ();
        assert (self->entries);
        zlistx_set_destructor (self->entries, s_entry_destroy);
        zlistx_set_duplicator (self->entries, s_entry_dup);
    }
    //  The list duplicates on add; hand it the entry itself instead
    zlistx_set_duplicator (self->entries, NULL);
    zlistx_add_end (self->entries, *entry_p);
    zlistx_set_duplicator (self->entries, s_entry_dup);
    *entry_p = NULL;
}

size_t
gavel_msg_entries (gavel_msg_t *self)
{
    return self->entries? zlistx_size (self->entries): 0;
}

gavel_msg_t *
gavel_msg_first_entry (gavel_msg_t *self)
{
    return self->entries? (gavel_msg_t *) zlistx_first (self->entries): NULL;
}

gavel_msg_t *
gavel_msg_next_entry (gavel_msg_t *self)
{
    return self->entries? (gavel_msg_t *) zlistx_next (self->entries): NULL;
}

static int
s_entry_kind (gavel_msg_id_t id)
{
    for (size_t kind = 0; kind < ENTRY_KINDS; kind++)
        if (s_entry_fields [kind].id == id)
            return (int) kind;
    return -1;
}

//  Writers for the entry encoder: each writes at to and returns the end
static char *
s_put_unsigned (char *to, uint64_t value)
{
    char digits [20];
    size_t count = 0;
    do {
        digits [count++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    while (count)
        *to++ = digits [--count];
    return to;
}

static char *
s_put_signed (char *to, int64_t value)
{
    if (value < 0) {
        *to++ = '-';
        return s_put_unsigned (to, (uint64_t) 0 - (uint64_t) value);
    }
    return s_put_unsigned (to, (uint64_t) value);
}

static char *
s_put_text (char *to, const char *text)
{
    size_t length = strlen (text);
    memcpy (to, text, length);
    return to + length;
}

size_t
gavel_msg_encode_entry (gavel_msg_t *entry, char *line, size_t size)
{
    int kind = s_entry_kind (entry->id);
    assert (kind >= 0);
    //  Every field is bounded, so a line always fits GAVEL_ENTRY_MAX; the
    //  store writes one per entry, so no printf (issue 14: per-entry cost)
    assert (size >= GAVEL_ENTRY_MAX);
    char *end = line;
    end = s_put_unsigned (end, entry->term);
    *end++ = ' ';
    end = s_put_unsigned (end, entry->index);
    *end++ = ' ';
    end = s_put_signed (end, entry->stamp);
    *end++ = ' ';
    end = s_put_text (end, gavel_msg_command (entry));
    for (const field_t *field = s_entry_fields [kind].fields; *field != F_END; field++) {
        *end++ = ' ';
        switch (*field) {
            case F_SESSION:    end = s_put_text (end, entry->session); break;
            case F_REQUEST_ID: end = s_put_unsigned (end, entry->request_id); break;
            case F_NAME:       end = s_put_text (end, entry->name); break;
            case F_KEY:        end = s_put_text (end, *entry->key? entry->key: "-"); break;
            case F_FROM:       end = s_put_unsigned (end, entry->from); break;
            case F_ITEM:       end = s_put_text (end, entry->item); break;
            case F_DURATION:   end = s_put_signed (end, entry->duration); break;
            case F_RESERVE:    end = s_put_signed (end, entry->reserve); break;
            case F_AUCTION:    end = s_put_unsigned (end, entry->auction); break;
            case F_AMOUNT:     end = s_put_signed (end, entry->amount); break;
            default:           assert (false);
        }
    }
    *end = '\0';
    size_t used = (size_t) (end - line);
    assert (used > 0 && used < size);
    return used;
}

gavel_msg_t *
gavel_msg_decode_entry (const char *line, gavel_msg_error_t *error)
{
    memset (error, 0, sizeof *error);
    char copy [GAVEL_ENTRY_MAX];
    if (strlen (line) >= sizeof copy) {
        s_fail (error, "malformed", "entry is over %d bytes", GAVEL_ENTRY_MAX);
        return NULL;
    }
    strcpy (copy, line);
    char *words [12];
    size_t count = 0;
    char *cursor = copy;
    while (count < 12) {
        words [count++] = cursor;
        cursor = strchr (cursor, ' ');
        if (!cursor)
            break;
        *cursor++ = '\0';
    }
    if (count < 4 || cursor) {
        s_fail (error, "malformed", "entry '%.40s' does not have TERM INDEX STAMP OP", line);
        return NULL;
    }
    int kind = -1;
    for (size_t row = 0; row < COMMANDS && kind < 0; row++)
        if (streq (words [3], s_commands [row].word))
            kind = s_entry_kind (s_commands [row].id);
    if (kind < 0) {
        s_fail (error, "malformed", "entry field 3 (op): '%.20s' is not an entry kind", words [3]);
        return NULL;
    }
    const field_t *fields = s_entry_fields [kind].fields;
    size_t expected = 4;
    while (fields [expected - 4] != F_END)
        expected++;
    if (count != expected) {
        s_fail (error, "malformed", "entry %s takes %zu fields, got %zu", words [3], expected, count);
        return NULL;
    }
    gavel_msg_t *entry = gavel_msg_new (s_entry_fields [kind].id);
    static const field_t header [] = { F_TERM, F_INDEX, F_STAMP };
    for (size_t word = 0; word < count; word++) {
        if (word == 3)
            continue;
        field_t field = word < 3? header [word]: fields [word - 4];
        if (s_decode_field (entry, field, words [word], word, error)) {
            gavel_msg_destroy (&entry);
            return NULL;
        }
    }
    return entry;
}

zmsg_t *
gavel_msg_payload (gavel_msg_t *self)
{
    return self->payload;
}

void
gavel_msg_set_payload (gavel_msg_t *self, zmsg_t **payload_p)
{
    zmsg_destroy (&self->payload);
    self->payload = *payload_p;
    *payload_p = NULL;
}

const char *
gavel_msg_topic (gavel_msg_t *self)
{
    return s_commands [s_command_index (self->id)].topic;
}

//  -------------------------------------------------------------------------
//  Replies

static gavel_msg_t *
s_new_reply_va (uint64_t request_id, gavel_outcome_t outcome,
                const char *reason, const char *format, va_list args)
{
    gavel_msg_t *self = gavel_msg_new (GAVEL_MSG_REPLY);
    self->request_id = request_id;
    self->outcome = outcome;
    snprintf (self->reason, sizeof self->reason, "%s", reason? reason: "");
    if (format)
        vsnprintf (self->message, sizeof self->message, format, args);
    return self;
}

gavel_msg_t *
gavel_msg_new_reply (uint64_t request_id, gavel_outcome_t outcome,
                     const char *reason, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    gavel_msg_t *self = s_new_reply_va (request_id, outcome, reason, format, args);
    va_end (args);
    return self;
}

gavel_msg_t *
gavel_msg_new_error_reply (const gavel_msg_error_t *error)
{
    return gavel_msg_new_reply (error->request_id, GAVEL_EXCEPTION,
                                error->reason, "%s", error->message);
}

void
gavel_msg_add_record (gavel_msg_t *self, const char *format, ...)
{
    char record [GAVEL_RECORD_MAX + 1];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (record, sizeof record, format, args);
    va_end (args);
    //  Records are built from fields the codec has bounded
    assert (length >= 0 && length <= GAVEL_RECORD_MAX);
    (void) length;
    s_records_require (self);
    zlist_append (self->records, record);
}

size_t
gavel_msg_records (gavel_msg_t *self)
{
    return self->records? zlist_size (self->records): 0;
}

const char *
gavel_msg_record (gavel_msg_t *self, size_t index)
{
    if (!self->records)
        return NULL;
    const char *record = (const char *) zlist_first (self->records);
    while (record && index--)
        record = (const char *) zlist_next (self->records);
    return record;
}

//  One "key=NUMBER " word of a history record, at *cursor; moves on past
//  it and its single space. The number as gavel_text reads it, or -1.
static int
s_history_number (const char **cursor, const char *key, bool is_signed, uint64_t *unsigned_value,
                  int64_t *signed_value)
{
    size_t key_length = strlen (key);
    if (strncmp (*cursor, key, key_length) != 0 || (*cursor) [key_length] != '=')
        return -1;
    const char *text = *cursor + key_length + 1;
    const char *end = strchr (text, ' ');
    char number [24];
    if (!end || (size_t) (end - text) >= sizeof number)
        return -1;
    memcpy (number, text, (size_t) (end - text));
    number [end - text] = '\0';
    int rc = is_signed? gavel_text_parse_int (number, 0, INT64_MAX, signed_value, NULL)
                      : gavel_text_parse_uint (number, 1, UINT64_MAX, unsigned_value, NULL);
    *cursor = end + 1;
    return rc;
}

//  A record as a replica writes one: key=value pairs, single spaces between
//  them, neither key nor value empty, printable US-ASCII without '"'.
static bool
s_valid_record (const char *record)
{
    const char *pair = record;
    while (true) {
        size_t key_length = 0, value_length = 0, equals = 0;
        const char *c = pair;
        for (; *c && *c != ' '; c++) {
            if (*c < 0x21 || *c > 0x7e || *c == '"')
                return false;
            if (*c == '=')
                equals++;
            else
            if (equals)
                value_length++;
            else
                key_length++;
        }
        if (equals != 1 || key_length == 0 || value_length == 0)
            return false;
        if (*c == '\0')
            return true;
        pair = c + 1;           //  a space: another pair must follow
    }
}

gavel_msg_t *
gavel_msg_new_history_event (const char *record, uint64_t from)
{
    //  The answer of any replica, or of anyone on its client endpoint: only
    //  the exact form replicas write becomes an event we pass on
    uint64_t seq, index, term;
    int64_t stamp;
    const char *cursor = record;
    if (s_history_number (&cursor, "seq", false, &seq, NULL)
    ||  s_history_number (&cursor, "index", false, &index, NULL)
    ||  s_history_number (&cursor, "term", false, &term, NULL)
    ||  s_history_number (&cursor, "stamp", true, NULL, &stamp)
    ||  strncmp (cursor, "event=", 6) != 0
    ||  strlen (cursor) > GAVEL_RECORD_MAX
    ||  !s_valid_record (cursor))
        return NULL;
    gavel_msg_t *event = gavel_msg_new (GAVEL_MSG_EVENT);
    gavel_msg_set_term (event, term);
    gavel_msg_set_from (event, from);
    gavel_msg_set_index (event, index);
    gavel_msg_set_seq (event, seq);
    gavel_msg_set_stamp (event, stamp);
    gavel_msg_add_record (event, "%s", cursor);
    return event;
}

static const char *s_outcome_words [] = { "", "success", "fail", "exception", "redirect" };

const char *
gavel_outcome_word (gavel_outcome_t outcome)
{
    return outcome >= GAVEL_SUCCESS && outcome <= GAVEL_REDIRECT? s_outcome_words [outcome]: "";
}

int
gavel_outcome_parse (const char *word)
{
    for (int outcome = GAVEL_SUCCESS; outcome <= GAVEL_REDIRECT; outcome++)
        if (streq (word, s_outcome_words [outcome]))
            return outcome;
    return -1;
}

//  -------------------------------------------------------------------------
//  Accessors

gavel_msg_id_t gavel_msg_id (gavel_msg_t *self) { return self->id; }
const char *gavel_msg_command (gavel_msg_t *self) { return s_commands [s_command_index (self->id)].word; }
uint64_t gavel_msg_request_id (gavel_msg_t *self) { return self->request_id; }
void gavel_msg_set_request_id (gavel_msg_t *self, uint64_t value) { self->request_id = value; }
const char *gavel_msg_session (gavel_msg_t *self) { return self->session; }
void gavel_msg_set_session (gavel_msg_t *self, const char *value)
    { s_set_string (self->session, sizeof self->session, value); }
const char *gavel_msg_name (gavel_msg_t *self) { return self->name; }
void gavel_msg_set_name (gavel_msg_t *self, const char *value)
    { s_set_string (self->name, sizeof self->name, value); }
const char *gavel_msg_key (gavel_msg_t *self) { return self->key; }
void gavel_msg_set_key (gavel_msg_t *self, const char *value)
    { s_set_string (self->key, sizeof self->key, value); }
const char *gavel_msg_item (gavel_msg_t *self) { return self->item; }
void gavel_msg_set_item (gavel_msg_t *self, const char *value)
    { s_set_string (self->item, sizeof self->item, value); }
int64_t gavel_msg_duration (gavel_msg_t *self) { return self->duration; }
void gavel_msg_set_duration (gavel_msg_t *self, int64_t value) { self->duration = value; }
int64_t gavel_msg_reserve (gavel_msg_t *self) { return self->reserve; }
void gavel_msg_set_reserve (gavel_msg_t *self, int64_t value) { self->reserve = value; }
uint64_t gavel_msg_auction (gavel_msg_t *self) { return self->auction; }
void gavel_msg_set_auction (gavel_msg_t *self, uint64_t value) { self->auction = value; }
int64_t gavel_msg_amount (gavel_msg_t *self) { return self->amount; }
void gavel_msg_set_amount (gavel_msg_t *self, int64_t value) { self->amount = value; }
#define ACCESSORS(type, field) \
    type gavel_msg_##field (gavel_msg_t *self) { return self->field; } \
    void gavel_msg_set_##field (gavel_msg_t *self, type value) { self->field = value; }
ACCESSORS (uint64_t, term)
ACCESSORS (uint64_t, from)
ACCESSORS (uint64_t, index)
ACCESSORS (uint64_t, prev_index)
ACCESSORS (uint64_t, prev_term)
ACCESSORS (uint64_t, commit)
ACCESSORS (uint64_t, last_index)
ACCESSORS (uint64_t, last_term)
ACCESSORS (uint64_t, seq)
ACCESSORS (uint64_t, count)
ACCESSORS (bool, granted)
ACCESSORS (int64_t, stamp)
gavel_outcome_t gavel_msg_outcome (gavel_msg_t *self) { return self->outcome; }
const char *gavel_msg_outcome_word (gavel_msg_t *self) { return gavel_outcome_word (self->outcome); }
const char *gavel_msg_reason (gavel_msg_t *self) { return self->reason; }
const char *gavel_msg_message (gavel_msg_t *self) { return self->message; }

//  -------------------------------------------------------------------------
//  Self test

//  Decode frames given as strings; returns the message or NULL with error.
static gavel_msg_t *
s_decode_strings (gavel_msg_error_t *error, size_t count, const char **frames)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; index < count; index++)
        zmsg_addstr (msg, frames [index]);
    gavel_msg_t *self = gavel_msg_decode (msg, error);
    zmsg_destroy (&msg);
    return self;
}
#define DECODE(error, ...) s_decode_strings ((error), \
    sizeof ((const char *[]) { __VA_ARGS__ }) / sizeof (const char *), (const char *[]) { __VA_ARGS__ })

static int
s_test_put (void *arg, const void *data, size_t size)
{
    zmsg_addmem ((zmsg_t *) arg, data, size);
    return 0;
}

//  Refuses the third frame, and is never asked again
static int
s_test_refuse (void *arg, const void *data, size_t size)
{
    static size_t calls = 0;
    assert (++calls <= 3);
    return calls == 3? -7: 0;
}

void
gavel_msg_test (bool verbose)
{
    printf (" * gavel_msg: ");
    gavel_msg_error_t error;
    //  Round trip of every command
    gavel_msg_t *msg = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_request_id (msg, 7);
    gavel_msg_set_session (msg, "s1");
    gavel_msg_set_name (msg, "alice");
    gavel_msg_set_item (msg, "lamp");
    gavel_msg_set_duration (msg, 60000);
    gavel_msg_set_reserve (msg, 100);
    zmsg_t *frames = gavel_msg_encode (msg);
    assert (zmsg_size (frames) == 8);
    gavel_msg_t *copy = gavel_msg_decode (frames, &error);
    assert (copy);
    assert (gavel_msg_id (copy) == GAVEL_MSG_OPEN);
    assert (streq (gavel_msg_command (copy), "OPEN"));
    assert (gavel_msg_request_id (copy) == 7);
    assert (streq (gavel_msg_session (copy), "s1"));
    assert (streq (gavel_msg_name (copy), "alice"));
    assert (streq (gavel_msg_item (copy), "lamp"));
    assert (gavel_msg_duration (copy) == 60000);
    assert (gavel_msg_reserve (copy) == 100);
    zmsg_destroy (&frames);
    gavel_msg_destroy (&copy);
    gavel_msg_destroy (&msg);
    gavel_msg_destroy (&msg);       //  safe twice

    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "9223372036854775807");
    assert (msg && gavel_msg_auction (msg) == 1 && gavel_msg_amount (msg) == INT64_MAX);
    gavel_msg_destroy (&msg);
    msg = DECODE (&error, "GAVEL/1", "LIST", "4", "s1", "bob");
    assert (msg && gavel_msg_id (msg) == GAVEL_MSG_LIST);
    gavel_msg_destroy (&msg);

    //  Replies, with records
    msg = gavel_msg_new_reply (9, GAVEL_FAIL, "too-low", "bid %d is too low", 5);
    gavel_msg_add_record (msg, "auction=%d highest=%d bidder=%s", 1, 10, "bob");
    gavel_msg_add_record (msg, "second=1");
    frames = gavel_msg_encode (msg);
    assert (zmsg_size (frames) == 8);
    copy = gavel_msg_decode (frames, &error);
    assert (copy);
    assert (gavel_msg_outcome (copy) == GAVEL_FAIL);
    assert (streq (gavel_msg_outcome_word (copy), "fail"));
    assert (streq (gavel_msg_reason (copy), "too-low"));
    assert (streq (gavel_msg_message (copy), "bid 5 is too low"));
    assert (gavel_msg_records (copy) == 2);
    assert (streq (gavel_msg_record (copy, 1), "second=1"));
    assert (gavel_msg_record (copy, 2) == NULL);
    char value [16];
    assert (gavel_record_get (gavel_msg_record (copy, 0), "bidder", value, sizeof value) == 0);
    assert (streq (value, "bob"));
    assert (gavel_record_get (gavel_msg_record (copy, 0), "auction", value, sizeof value) == 0);
    assert (streq (value, "1"));
    assert (gavel_record_get (gavel_msg_record (copy, 0), "bid", value, sizeof value) == -1);
    gavel_msg_t *dup = gavel_msg_dup (copy);
    gavel_msg_destroy (&copy);
    assert (streq (gavel_msg_record (dup, 0), "auction=1 highest=10 bidder=bob"));
    gavel_msg_destroy (&dup);
    zmsg_destroy (&frames);
    gavel_msg_destroy (&msg);

    //  Every kind of bad input is refused with a reason naming it
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "12x");
    assert (!msg && streq (error.reason, "malformed") && error.request_id == 3);
    assert (strstr (error.message, "frame 6 (amount)") && strstr (error.message, "12x"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "0");
    assert (!msg && strstr (error.message, "out of range"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "-5");
    assert (!msg && strstr (error.message, "out of range"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "9223372036854775808");
    assert (!msg && strstr (error.message, "out of range"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1");
    assert (!msg && streq (error.reason, "malformed") && strstr (error.message, "takes 7 frames, got 6"));
    msg = DECODE (&error, "GAVEL/1", "LIST", "3", "s1", "bob", "extra");
    assert (!msg && strstr (error.message, "takes 5 frames, got 6"));
    msg = DECODE (&error, "GAVEL/1", "BUY", "3", "s1", "bob");
    assert (!msg && streq (error.reason, "unknown-command") && error.request_id == 3);
    msg = DECODE (&error, "GAVEL/2", "BID", "3", "s1", "bob", "1", "5");
    assert (!msg && streq (error.reason, "unsupported-version"));
    msg = DECODE (&error, "HTTP/1.1", "BID");
    assert (!msg && streq (error.reason, "malformed") && error.request_id == 0);
    msg = DECODE (&error, "GAVEL/1");
    assert (!msg && strstr (error.message, "frame 1 (command) is missing"));
    msg = DECODE (&error, "GAVEL/1", "BID", "abc", "s1", "bob", "1", "5");
    assert (!msg && error.request_id == 0 && strstr (error.message, "frame 2 (request id)"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "", "1", "5");
    assert (!msg && strstr (error.message, "frame 4 (name)"));
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "averyveryveryveryverylongname12345", "1", "5");
    assert (!msg && strstr (error.message, "frame 4 (name)"));
    msg = DECODE (&error, "GAVEL/1", "OPEN", "3", "s1", "bob", "old lamp", "1000", "0");
    assert (!msg && strstr (error.message, "frame 5 (item)"));
    msg = DECODE (&error, "GAVEL/1", "OPEN", "3", "s1", "bob", "lamp", "2592000001", "0");
    assert (!msg && strstr (error.message, "frame 6 (duration)"));

    char big [2000];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = '\0';
    msg = DECODE (&error, "GAVEL/1", "OPEN", "3", "s1", "bob", big, "1000", "0");
    assert (!msg && strstr (error.message, "over the limit"));

    zmsg_t *raw = zmsg_new ();
    assert (!gavel_msg_decode (raw, &error) && strstr (error.message, "empty message"));
    zmsg_addstr (raw, "GAVEL/1");
    zmsg_addmem (raw, "BI\0D", 4);
    assert (!gavel_msg_decode (raw, &error) && strstr (error.message, "NUL"));
    zmsg_destroy (&raw);

    //  Replication: a LOG with entries travels under its topic and back
    msg = gavel_msg_new (GAVEL_MSG_LOG);
    gavel_msg_set_term (msg, 4);
    gavel_msg_set_from (msg, 2);
    gavel_msg_set_prev_index (msg, 9);
    gavel_msg_set_prev_term (msg, 3);
    gavel_msg_set_commit (msg, 8);
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_term (entry, 4);
    gavel_msg_set_index (entry, 10);
    gavel_msg_set_stamp (entry, 1700000000123);
    gavel_msg_set_session (entry, "s1");
    gavel_msg_set_request_id (entry, 5);
    gavel_msg_set_name (entry, "bob");
    gavel_msg_set_auction (entry, 2);
    gavel_msg_set_amount (entry, 150);
    gavel_msg_add_entry (msg, &entry);
    assert (entry == NULL);
    entry = gavel_msg_new (GAVEL_MSG_NOOP);
    gavel_msg_set_term (entry, 4);
    gavel_msg_set_index (entry, 11);
    gavel_msg_set_from (entry, 2);
    gavel_msg_add_entry (msg, &entry);
    assert (streq (gavel_msg_topic (msg), "log"));
    frames = gavel_msg_encode (msg);
    assert (zframe_streq (zmsg_first (frames), "log"));
    assert (zmsg_size (frames) == 10);
    copy = gavel_msg_decode (frames, &error);
    assert (copy && gavel_msg_id (copy) == GAVEL_MSG_LOG);
    assert (gavel_msg_term (copy) == 4 && gavel_msg_from (copy) == 2);
    assert (gavel_msg_prev_index (copy) == 9 && gavel_msg_prev_term (copy) == 3);
    assert (gavel_msg_commit (copy) == 8 && gavel_msg_entries (copy) == 2);
    entry = gavel_msg_first_entry (copy);
    assert (gavel_msg_id (entry) == GAVEL_MSG_BID && gavel_msg_index (entry) == 10);
    assert (gavel_msg_stamp (entry) == 1700000000123 && gavel_msg_amount (entry) == 150);
    assert (streq (gavel_msg_name (entry), "bob") && gavel_msg_request_id (entry) == 5);
    entry = gavel_msg_next_entry (copy);
    assert (gavel_msg_id (entry) == GAVEL_MSG_NOOP && gavel_msg_index (entry) == 11);
    assert (gavel_msg_from (entry) == 2);
    dup = gavel_msg_dup (copy);
    gavel_msg_destroy (&copy);
    assert (gavel_msg_entries (dup) == 2);
    gavel_msg_destroy (&dup);
    zmsg_destroy (&frames);
    gavel_msg_destroy (&msg);

    char line [GAVEL_ENTRY_MAX];
    entry = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_term (entry, 1);
    gavel_msg_set_index (entry, 1);
    gavel_msg_set_session (entry, "s");
    gavel_msg_set_request_id (entry, 1);
    gavel_msg_set_name (entry, "al");
    gavel_msg_set_item (entry, "vase");
    gavel_msg_set_duration (entry, 1000);
    gavel_msg_encode_entry (entry, line, sizeof line);
    assert (streq (line, "1 1 0 OPEN s 1 al - vase 1000 0"));
    gavel_msg_destroy (&entry);
    entry = gavel_msg_decode_entry (line, &error);
    assert (entry && gavel_msg_duration (entry) == 1000 && streq (gavel_msg_item (entry), "vase"));
    assert (streq (gavel_msg_key (entry), ""));
    //  The key binds the name: it travels in the entry
    const char *key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    gavel_msg_set_key (entry, key);
    gavel_msg_encode_entry (entry, line, sizeof line);
    gavel_msg_destroy (&entry);
    entry = gavel_msg_decode_entry (line, &error);
    assert (entry && streq (gavel_msg_key (entry), key));
    gavel_msg_destroy (&entry);
    const char *bad_entries [] = {
        "", "1 1 0", "1 1 0 OPEN s 1 al - vase 1000", "1 1 0 STEAL", "x 1 0 NOOP 1",
        "1 1 0 NOOP extra", "1 1 0 NOOP", "1 1 0 BID s 1 al - 2 -3", "1  1 0 NOOP 1",
        "1 1 0 BID s 1 al shortkey 2 3", "1 1 0 BID s 1 al vase 1000"
    };
    for (size_t index = 0; index < sizeof bad_entries / sizeof bad_entries [0]; index++) {
        assert (gavel_msg_decode_entry (bad_entries [index], &error) == NULL);
        assert (streq (error.reason, "malformed"));
    }
    //  A topic must match its command; entry kinds are not messages
    msg = DECODE (&error, "hb", "GAVEL/1", "ACK", "1", "2", "3", "4");
    assert (!msg && strstr (error.message, "topic 'hb'"));
    msg = DECODE (&error, "GAVEL/1", "NOOP");
    assert (!msg && streq (error.reason, "unknown-command"));
    //  Without its topic, a LOG is not a spelling encode writes: refused
    msg = DECODE (&error, "GAVEL/1", "LOG", "1", "3", "0", "0", "1");
    assert (!msg && streq (error.reason, "malformed") && strstr (error.message, "topic frame 'log'"));
    msg = DECODE (&error, "GAVEL/1", "HB", "1", "3", "0", "0", "1");
    assert (!msg && strstr (error.message, "topic frame 'hb'"));
    msg = DECODE (&error, "log", "GAVEL/1", "LOG", "1", "9", "0", "0", "0");
    assert (!msg && strstr (error.message, "frame 3 (from)"));
    msg = DECODE (&error, "log", "GAVEL/1", "LOG", "1", "2", "0", "0", "0", "1 1 0 BOGUS");
    assert (!msg && strstr (error.message, "frame 7 (entry)"));

    //  The error reply carries the reason and message
    msg = DECODE (&error, "GAVEL/1", "BID", "3", "s1", "bob", "1", "12x");
    msg = gavel_msg_new_error_reply (&error);
    assert (gavel_msg_request_id (msg) == 3);
    assert (gavel_msg_outcome (msg) == GAVEL_EXCEPTION);
    assert (streq (gavel_msg_reason (msg), "malformed"));
    gavel_msg_destroy (&msg);

    //  Frame by frame, after routing frames: the same frames as encode
    //  gives, the routing first; a put that refuses stops the rest
    msg = gavel_msg_new_reply (9, GAVEL_FAIL, "too-low", "bid %d is too low", 5);
    gavel_msg_add_record (msg, "auction=1 highest=%d bidder=%s", 7, "ann");
    zmsg_t *route = zmsg_new ();
    zmsg_addstr (route, "peer-id");
    zmsg_addmem (route, "", 0);
    frames = zmsg_new ();
    assert (gavel_msg_encode_each (msg, route, s_test_put, frames) == 0);
    assert (zmsg_size (frames) == 9);
    assert (gavel_msg_framed_as (msg, route, frames));
    //  A frame more, a frame less, a frame changed: not so framed
    zmsg_addstr (frames, "more");
    assert (!gavel_msg_framed_as (msg, route, frames));
    zframe_t *last = zmsg_last (frames);
    zmsg_remove (frames, last);
    zframe_destroy (&last);
    assert (gavel_msg_framed_as (msg, route, frames));
    last = zmsg_last (frames);
    zmsg_remove (frames, last);
    zframe_destroy (&last);
    assert (!gavel_msg_framed_as (msg, route, frames));
    zmsg_addstr (frames, "other");
    assert (!gavel_msg_framed_as (msg, route, frames));
    assert (!gavel_msg_framed_as (msg, NULL, frames));
    zmsg_destroy (&frames);
    assert (gavel_msg_encode_each (msg, route, s_test_refuse, NULL) == -7);
    zmsg_destroy (&route);
    gavel_msg_destroy (&msg);


    //  A HISTORY record back into its event
    msg = gavel_msg_new_history_event ("seq=17 index=42 term=2 stamp=99 event=bid auction=1 "
                                       "bidder=bob amount=150", 3);
    assert (msg && gavel_msg_id (msg) == GAVEL_MSG_EVENT && gavel_msg_seq (msg) == 17);
    assert (gavel_msg_index (msg) == 42 && gavel_msg_term (msg) == 2 && gavel_msg_from (msg) == 3);
    assert (gavel_msg_stamp (msg) == 99);
    assert (streq (gavel_msg_record (msg, 0), "event=bid auction=1 bidder=bob amount=150"));
    gavel_msg_destroy (&msg);
    assert (!gavel_msg_new_history_event ("seq=1 index=2 term=3 event=bid", 1));
    assert (!gavel_msg_new_history_event ("seq=1 index=2 term=3 stamp=4 bid", 1));
    //  Only the form a replica writes: what sscanf let through before came
    //  out as events that subscribers could not decode, or with another seq
    const char *bad [] = {
        "seq=+5 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=-1 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq= 5 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=5  index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=05 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=0 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=18446744073709551616 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=0 term=3 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=2 term=0 stamp=4 event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=2 term=3 stamp=-4 event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=2 term=3 stamp=9223372036854775808 event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=2 term=3 stamp=4x event=bid auction=1 bidder=bob amount=1",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1  bidder=bob",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1 bidder=bob ",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1 bidder",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1 bidder==bob",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1 bidder=\"bob\"",
        "seq=5 index=2 term=3 stamp=4 event=bid auction=1 bidder=b\x01b",
        "seq=5 index=2 term=3 stamp=4 event=",
        "index=2 seq=5 term=3 stamp=4 event=bid",
        "",
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        msg = gavel_msg_new_history_event (bad [index], 1);
        if (msg && verbose)
            printf ("\n    accepted: %s\n", bad [index]);
        assert (!msg);
    }
    //  A record longer than a record frame can be is refused, not asserted
    char *long_record = zsys_sprintf ("seq=1 index=2 term=3 stamp=4 event=bid auction=1 "
                                      "bidder=bob amount=1 note=%01100d", 7);
    assert (!gavel_msg_new_history_event (long_record, 1));
    zstr_free (&long_record);
    //  What is accepted is an event every subscriber decodes, unchanged
    msg = gavel_msg_new_history_event ("seq=18446744073709551615 index=18446744073709551615 "
                                       "term=18446744073709551615 stamp=9223372036854775807 "
                                       "event=primary primary=7 term=9", 7);
    assert (msg);
    zmsg_t *wire = gavel_msg_encode (msg);
    gavel_msg_destroy (&msg);
    msg = gavel_msg_decode (wire, &error);
    zmsg_destroy (&wire);
    assert (msg && gavel_msg_id (msg) == GAVEL_MSG_EVENT && gavel_msg_seq (msg) == UINT64_MAX);
    assert (gavel_msg_stamp (msg) == INT64_MAX && gavel_msg_from (msg) == 7);
    assert (streq (gavel_msg_record (msg, 0), "event=primary primary=7 term=9"));
    gavel_msg_destroy (&msg);
    printf ("OK\n");
}
