/*  gavel_msg: the one codec for every Gavel message on the wire.

    A message is a ZeroMQ multipart message of short text frames: the protocol
    tag, the command, then the fields of that command (docs/PROTOCOL.md is the
    contract). Nothing else in Gavel builds or parses frames by hand.

    A gavel_msg_t holds no socket: it is plain data, so the replica's pure core
    can take and return messages. Only encode and decode touch zmsg_t.
*/
#ifndef GAVEL_MSG_H_INCLUDED
#define GAVEL_MSG_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

#define GAVEL_PROTOCOL_TAG      "GAVEL/1"
#define GAVEL_NAME_MAX          32      //  bidder names, bytes
#define GAVEL_ITEM_MAX          64      //  item names, bytes
#define GAVEL_SESSION_MAX       64      //  client session tokens, bytes
#define GAVEL_KEY_MAX           40      //  a CURVE public key in Z85
#define GAVEL_DURATION_MAX      (30LL * 24 * 3600 * 1000)   //  30 days, in ms
#define GAVEL_MESSAGE_MAX       256     //  human-readable message, bytes
#define GAVEL_RECORD_MAX        1024    //  one record frame, bytes
#define GAVEL_REPLICA_ID_MAX    7       //  replica ids are 1..7
#define GAVEL_ENTRY_MAX         512     //  one entry line, bytes
#define GAVEL_HISTORY_MAX       10000   //  events a replica keeps for HISTORY

typedef enum {
    GAVEL_MSG_OPEN = 1,         //  open an auction
    GAVEL_MSG_BID,              //  bid on an auction
    GAVEL_MSG_RESULT,           //  state or winner of an auction
    GAVEL_MSG_LIST,             //  recent auctions
    GAVEL_MSG_STATUS,           //  the replica's own state (operators, gavel-local)
    GAVEL_MSG_HISTORY,          //  recent committed events (late joiners of the feed)
    GAVEL_MSG_REPLY,            //  the answer to any of the above
    //  Replica to replica (docs/PROTOCOL.md, "Between replicas")
    GAVEL_MSG_LOG,              //  primary's PUB, topic "log": entries it proposes
    GAVEL_MSG_HB,               //  primary's PUB, topic "hb": heartbeat
    GAVEL_MSG_ACK,              //  backup's PUSH to the primary: entries stored
    GAVEL_MSG_FETCH,            //  mesh: send me entries from an index
    GAVEL_MSG_ENTRIES,          //  mesh: the answer to FETCH
    GAVEL_MSG_ELECTION,         //  mesh: bully round, "do you outrank me?"
    GAVEL_MSG_ALIVE,            //  mesh: "I do, and I am alive"
    GAVEL_MSG_COORDINATOR,      //  mesh: "I am primary of this term if you accept"
    GAVEL_MSG_ACCEPT,           //  mesh: the answer to COORDINATOR
    GAVEL_MSG_SNAPSHOT,         //  mesh: the state at an index, for a far-behind backup
    GAVEL_MSG_EVENT,            //  primary's PUB, topic "event": a committed event
    GAVEL_MSG_LAST,             //  a broker's PUB, topic "event": the number of the
                                //  last event it re-published, every second
    //  Log entries only: never a message of their own
    GAVEL_MSG_NOOP,             //  a new primary's first entry
    GAVEL_MSG_CLOSE             //  close every auction due at the entry's stamp
} gavel_msg_id_t;

typedef enum {
    GAVEL_SUCCESS = 1,          //  done
    GAVEL_FAIL,                 //  a rule of the auction said no
    GAVEL_EXCEPTION,            //  anything else went wrong
    GAVEL_REDIRECT              //  not the primary: ask the one named
} gavel_outcome_t;

typedef struct _gavel_msg_t gavel_msg_t;

//  Why a decode failed: enough to answer the sender with an exception.
typedef struct {
    uint64_t request_id;        //  the request's id if it could be read, else 0
    char reason [32];           //  one word: malformed, unknown-command, ...
    char message [GAVEL_MESSAGE_MAX];
} gavel_msg_error_t;

//  Create a message of the given command with every field empty or zero.
gavel_msg_t *
    gavel_msg_new (gavel_msg_id_t id);

//  Destroy a message; sets the caller's pointer to NULL; safe on NULL.
void
    gavel_msg_destroy (gavel_msg_t **self_p);

//  Deep copy.
gavel_msg_t *
    gavel_msg_dup (gavel_msg_t *self);

//  The same message, with one more owner: each owner destroys it once, and
//  the last destroy frees it. For what is never changed once made (a log
//  entry), where a copy per holder (log, LOG message, store) would only cost.
gavel_msg_t *
    gavel_msg_share (gavel_msg_t *self);

//  Parse frames into a message. Never trusts its input: on any error returns
//  NULL and fills error (reason word, human message, request id if known).
//  Does not take ownership of msg.
gavel_msg_t *
    gavel_msg_decode (zmsg_t *msg, gavel_msg_error_t *error);

//  Build the frames of this message. Caller owns the result.
zmsg_t *
    gavel_msg_encode (gavel_msg_t *self);

//  Each frame of the message, after the frames of route when not NULL, to
//  put in order, without building a zmsg. Stops at the first put that does
//  not return 0 and returns what it returned; 0 when every frame went.
typedef int (gavel_msg_put_fn) (void *arg, const void *data, size_t size);
int
    gavel_msg_encode_each (gavel_msg_t *self, zmsg_t *route, gavel_msg_put_fn *put, void *arg);

//  Whether frames are route's frames (when not NULL) and then the message's
//  encoding, frame by frame: what encode_each, or a send, should produce.
bool
    gavel_msg_framed_as (gavel_msg_t *self, zmsg_t *route, zmsg_t *frames);

//  Send the message on socket (a libzmq socket: zsock_resolve), after the
//  routing frames of route when not NULL, without building a zmsg. Never
//  waits: 0 sent, -1 when the socket would not take it (nothing went).
//  Part of the network library (defined in gavel_sock.c): the codec itself
//  touches no socket, so that the replica's core can link it alone.
int
    gavel_msg_send (gavel_msg_t *self, zmsg_t *route, void *socket);

//  Build an exception reply for a request that could not be decoded.
gavel_msg_t *
    gavel_msg_new_error_reply (const gavel_msg_error_t *error);

//  Build a reply to request id with outcome and reason (NULL for success);
//  message is printf-style and may be NULL.
gavel_msg_t *
    gavel_msg_new_reply (uint64_t request_id, gavel_outcome_t outcome,
                         const char *reason, const char *format, ...)
                         __attribute__ ((format (printf, 4, 5)));

gavel_msg_id_t
    gavel_msg_id (gavel_msg_t *self);
//  The command word on the wire ("OPEN", "REPLY", ...).
const char *
    gavel_msg_command (gavel_msg_t *self);

//  Fields. Strings are copied in and borrowed out; unset strings read "".
//  Which fields a command carries is in docs/PROTOCOL.md.
uint64_t    gavel_msg_request_id (gavel_msg_t *self);
void        gavel_msg_set_request_id (gavel_msg_t *self, uint64_t request_id);
const char *gavel_msg_session (gavel_msg_t *self);
void        gavel_msg_set_session (gavel_msg_t *self, const char *session);
const char *gavel_msg_name (gavel_msg_t *self);
void        gavel_msg_set_name (gavel_msg_t *self, const char *name);
//  The sender's CURVE public key (Z85), "" without CURVE. Never read from a
//  client's frames: the replica sets it from the authenticated connection,
//  and it travels in OPEN and BID entries so every replica binds names alike.
const char *gavel_msg_key (gavel_msg_t *self);
void        gavel_msg_set_key (gavel_msg_t *self, const char *key);
const char *gavel_msg_item (gavel_msg_t *self);
void        gavel_msg_set_item (gavel_msg_t *self, const char *item);
int64_t     gavel_msg_duration (gavel_msg_t *self);      //  ms
void        gavel_msg_set_duration (gavel_msg_t *self, int64_t duration);
int64_t     gavel_msg_reserve (gavel_msg_t *self);       //  0: no reserve
void        gavel_msg_set_reserve (gavel_msg_t *self, int64_t reserve);
uint64_t    gavel_msg_auction (gavel_msg_t *self);
void        gavel_msg_set_auction (gavel_msg_t *self, uint64_t auction);
int64_t     gavel_msg_amount (gavel_msg_t *self);
void        gavel_msg_set_amount (gavel_msg_t *self, int64_t amount);

//  Replication fields (replica ids are 1..7, terms and indexes from 1)
uint64_t    gavel_msg_term (gavel_msg_t *self);
void        gavel_msg_set_term (gavel_msg_t *self, uint64_t term);
uint64_t    gavel_msg_from (gavel_msg_t *self);         //  sender's replica id
void        gavel_msg_set_from (gavel_msg_t *self, uint64_t from);
uint64_t    gavel_msg_index (gavel_msg_t *self);        //  ACK, FETCH; an entry's own
void        gavel_msg_set_index (gavel_msg_t *self, uint64_t index);
uint64_t    gavel_msg_prev_index (gavel_msg_t *self);
void        gavel_msg_set_prev_index (gavel_msg_t *self, uint64_t index);
uint64_t    gavel_msg_prev_term (gavel_msg_t *self);
void        gavel_msg_set_prev_term (gavel_msg_t *self, uint64_t term);
uint64_t    gavel_msg_commit (gavel_msg_t *self);
void        gavel_msg_set_commit (gavel_msg_t *self, uint64_t commit);
uint64_t    gavel_msg_last_index (gavel_msg_t *self);
void        gavel_msg_set_last_index (gavel_msg_t *self, uint64_t index);
uint64_t    gavel_msg_last_term (gavel_msg_t *self);
void        gavel_msg_set_last_term (gavel_msg_t *self, uint64_t term);
uint64_t    gavel_msg_count (gavel_msg_t *self);        //  HISTORY: how many events
void        gavel_msg_set_count (gavel_msg_t *self, uint64_t count);
uint64_t    gavel_msg_seq (gavel_msg_t *self);          //  heartbeat; event number
void        gavel_msg_set_seq (gavel_msg_t *self, uint64_t seq);
bool        gavel_msg_granted (gavel_msg_t *self);
void        gavel_msg_set_granted (gavel_msg_t *self, bool granted);
int64_t     gavel_msg_stamp (gavel_msg_t *self);        //  an entry's time, ms
void        gavel_msg_set_stamp (gavel_msg_t *self, int64_t stamp);

//  Entries of LOG and ENTRIES, in index order. add takes ownership.
void        gavel_msg_add_entry (gavel_msg_t *self, gavel_msg_t **entry_p);
size_t      gavel_msg_entries (gavel_msg_t *self);
gavel_msg_t *gavel_msg_first_entry (gavel_msg_t *self);
gavel_msg_t *gavel_msg_next_entry (gavel_msg_t *self);

//  One log entry as one line of text, "TERM INDEX STAMP OP ARGS...", the form
//  it takes inside LOG and ENTRIES and in the replica's log file. Writes at
//  most size bytes (at least GAVEL_ENTRY_MAX); returns the length.
size_t
    gavel_msg_encode_entry (gavel_msg_t *entry, char *line, size_t size);
//  Parse such a line (without its newline); NULL with error on any fault.
gavel_msg_t *
    gavel_msg_decode_entry (const char *line, gavel_msg_error_t *error);

//  SNAPSHOT: the state's frames, opaque to the codec (gavel_auction writes
//  and reads them). Borrowed; set takes ownership.
zmsg_t *
    gavel_msg_payload (gavel_msg_t *self);
void
    gavel_msg_set_payload (gavel_msg_t *self, zmsg_t **payload_p);

//  The PUB topic this message travels under ("log", "hb"), or NULL.
const char *
    gavel_msg_topic (gavel_msg_t *self);

//  Reply fields
gavel_outcome_t
            gavel_msg_outcome (gavel_msg_t *self);
const char *gavel_msg_outcome_word (gavel_msg_t *self);
const char *gavel_msg_reason (gavel_msg_t *self);       //  "" on success
const char *gavel_msg_message (gavel_msg_t *self);      //  may be ""
//  Records: each one frame of space-separated key=value pairs.
void        gavel_msg_add_record (gavel_msg_t *self, const char *format, ...)
                                  __attribute__ ((format (printf, 2, 3)));
size_t      gavel_msg_records (gavel_msg_t *self);
const char *gavel_msg_record (gavel_msg_t *self, size_t index);

//  A HISTORY record ("seq=N index=I term=T stamp=MS event=...") as the
//  EVENT it stands for, as replica from (1 to 7) would publish it; NULL
//  when the record is not exactly that form: numbers as gavel_text reads
//  them (seq, index and term from 1, stamp from 0), single spaces, and
//  after them a record of key=value pairs that fits a frame. Caller owns.
gavel_msg_t *
    gavel_msg_new_history_event (const char *record, uint64_t from);

//  Reading records: gavel_record (gavel_record_get and the rest)
#include "gavel_record.h"

//  Word for an outcome, and back (-1 when unknown).
const char *
    gavel_outcome_word (gavel_outcome_t outcome);
int
    gavel_outcome_parse (const char *word);

//  Self test of this class.
void
    gavel_msg_test (bool verbose);

#endif
