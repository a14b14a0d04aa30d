/*  gavel_report: what a replica's shell and a broker add to STATUS.

    The replica's core answers STATUS with its state and its loop's counts;
    what only the shell sees, it adds: the replies it sent, by outcome and
    reason, and how long each took from the request's arrival (the wire);
    the log's and the snapshot's bytes, each fdatasync's time and each log
    write's entries (the disk). A broker that passes a STATUS answer back
    adds its own: requests held, the feed's position, forwards. gavel-web
    renders all of it for Prometheus. docs/PROTOCOL.md, "STATUS", gives the
    records; this class counts, writes and reads them, and nothing else.

    A value type, like gavel_buckets: embedded in the shell that counts and
    in each STATUS answer a census keeps. A record comes off the wire when
    read: every number is checked, and a record that is one of ours but
    malformed is refused whole.

    The reply kinds are a fixed list, so that a metric's labels stay few:
    each reason the protocol names, under its outcome, and one "other" per
    outcome for a reason not listed (a newer replica's).
*/
#ifndef GAVEL_REPORT_H_INCLUDED
#define GAVEL_REPORT_H_INCLUDED

#include "gavel_buckets.h"
#include "gavel_msg.h"

typedef enum {
    GAVEL_REPLY_SUCCESS,
    GAVEL_REPLY_TOO_LOW,
    GAVEL_REPLY_BELOW_RESERVE,
    GAVEL_REPLY_CLOSED,
    GAVEL_REPLY_FAIL_OTHER,
    GAVEL_REPLY_MALFORMED,
    GAVEL_REPLY_UNKNOWN_COMMAND,
    GAVEL_REPLY_UNSUPPORTED_VERSION,
    GAVEL_REPLY_UNKNOWN_AUCTION,
    GAVEL_REPLY_STALE_REQUEST,
    GAVEL_REPLY_NAME_TAKEN,
    GAVEL_REPLY_NO_QUORUM,
    GAVEL_REPLY_EXCEPTION_OTHER,
    GAVEL_REPLY_NOT_PRIMARY,
    GAVEL_REPLY_REDIRECT_OTHER,
    GAVEL_REPLY_KINDS
} gavel_reply_kind_t;

typedef struct {
    //  Which records were said (read) or are kept (counted)
    bool served;
    bool disk;
    bool broker;
    //  The replica's shell: replies sent, and us from request to reply
    uint64_t replies [GAVEL_REPLY_KINDS];
    gavel_buckets_t latency;
    //  Its disk: bytes now, us per fdatasync of the log, entries per write
    uint64_t log_bytes;
    uint64_t snapshot_bytes;
    gavel_buckets_t fsync;
    gavel_buckets_t batch;
    //  A broker: its id, requests held now, the last event number it
    //  published, forwards sent and requests it answered no-quorum itself
    uint64_t broker_id;
    uint64_t held;
    uint64_t feed_seq;
    uint64_t forwards;
    uint64_t no_quorum;
} gavel_report_t;

//  Empty: nothing counted, no record said.
void
    gavel_report_init (gavel_report_t *self);

//  The kind of a reply with this outcome and reason.
gavel_reply_kind_t
    gavel_report_kind (gavel_outcome_t outcome, const char *reason);

//  A kind's outcome word ("success", "fail", "exception", "redirect") and
//  reason ("" for success, "other" for the catch-alls).
const char *
    gavel_report_outcome (gavel_reply_kind_t kind);
const char *
    gavel_report_reason (gavel_reply_kind_t kind);

//  Count a reply sent, latency us after its request arrived.
void
    gavel_report_reply (gavel_report_t *self, gavel_msg_t *reply, uint64_t latency);

//  Count a log write of entries entries.
void
    gavel_report_write (gavel_report_t *self, uint64_t entries);

//  Add the served record to a STATUS reply.
void
    gavel_report_add_served (gavel_report_t *self, gavel_msg_t *reply);

//  Add the disk record: the log's and snapshot's bytes now, the fdatasync
//  times fsync counted (NULL: none, the log is never synced), and our
//  writes. fsync may be counted by another thread as this reads it.
void
    gavel_report_add_disk (gavel_report_t *self, gavel_msg_t *reply, uint64_t log_bytes,
                           uint64_t snapshot_bytes, const gavel_buckets_t *fsync);

//  Add the broker record, from broker_id, held, feed_seq, forwards and
//  no_quorum as set.
void
    gavel_report_add_broker (gavel_report_t *self, gavel_msg_t *reply);

//  Whether record is a broker's record (its first key is broker).
bool
    gavel_report_is_broker (const char *record);

//  Read one STATUS record into self, if it is one of ours (by its first
//  key: replies, log_bytes or broker). Returns 0 when it was, and sets
//  that record's flag; 1 when it is not ours (self unchanged); -1 when it
//  is ours but malformed (self unchanged).
int
    gavel_report_read (gavel_report_t *self, const char *record);

void
    gavel_report_test (bool verbose);

#endif
