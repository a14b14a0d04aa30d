/*  gavel_report: what a replica's shell and a broker add to STATUS.
*/
#include "gavel_report.h"
#include "gavel_record.h"

#include <czmq.h>
#include <inttypes.h>

static const struct {
    gavel_outcome_t outcome;
    const char *reason;         //  NULL: any other reason of the outcome
    const char *key;            //  in the served record
} s_kinds [GAVEL_REPLY_KINDS] = {
    { GAVEL_SUCCESS, "", "success" },
    { GAVEL_FAIL, "too-low", "fail.too-low" },
    { GAVEL_FAIL, "below-reserve", "fail.below-reserve" },
    { GAVEL_FAIL, "closed", "fail.closed" },
    { GAVEL_FAIL, NULL, "fail.other" },
    { GAVEL_EXCEPTION, "malformed", "exception.malformed" },
    { GAVEL_EXCEPTION, "unknown-command", "exception.unknown-command" },
    { GAVEL_EXCEPTION, "unsupported-version", "exception.unsupported-version" },
    { GAVEL_EXCEPTION, "unknown-auction", "exception.unknown-auction" },
    { GAVEL_EXCEPTION, "stale-request", "exception.stale-request" },
    { GAVEL_EXCEPTION, "name-taken", "exception.name-taken" },
    { GAVEL_EXCEPTION, "no-quorum", "exception.no-quorum" },
    { GAVEL_EXCEPTION, NULL, "exception.other" },
    { GAVEL_REDIRECT, "not-primary", "redirect.not-primary" },
    { GAVEL_REDIRECT, NULL, "redirect.other" },
};

void
gavel_report_init (gavel_report_t *self)
{
    memset (self, 0, sizeof *self);
    gavel_buckets_init (&self->latency, GAVEL_BUCKETS_MICROS);
    gavel_buckets_init (&self->fsync, GAVEL_BUCKETS_MICROS);
    gavel_buckets_init (&self->batch, GAVEL_BUCKETS_ENTRIES);
}

gavel_reply_kind_t
gavel_report_kind (gavel_outcome_t outcome, const char *reason)
{
    //  A success is a success, whatever it says beside
    if (outcome == GAVEL_SUCCESS)
        return GAVEL_REPLY_SUCCESS;
    gavel_reply_kind_t other = GAVEL_REPLY_EXCEPTION_OTHER;
    for (size_t kind = 0; kind < GAVEL_REPLY_KINDS; kind++)
        if (s_kinds [kind].outcome == outcome) {
            if (!s_kinds [kind].reason)
                other = (gavel_reply_kind_t) kind;
            else
            if (reason && streq (s_kinds [kind].reason, reason))
                return (gavel_reply_kind_t) kind;
        }
    return other;
}

const char *
gavel_report_outcome (gavel_reply_kind_t kind)
{
    assert (kind < GAVEL_REPLY_KINDS);
    return gavel_outcome_word (s_kinds [kind].outcome);
}

const char *
gavel_report_reason (gavel_reply_kind_t kind)
{
    assert (kind < GAVEL_REPLY_KINDS);
    return s_kinds [kind].reason? s_kinds [kind].reason: "other";
}

void
gavel_report_reply (gavel_report_t *self, gavel_msg_t *reply, uint64_t latency)
{
    self->replies [gavel_report_kind (gavel_msg_outcome (reply), gavel_msg_reason (reply))]++;
    gavel_buckets_add (&self->latency, latency);
}

void
gavel_report_write (gavel_report_t *self, uint64_t entries)
{
    gavel_buckets_add (&self->batch, entries);
}

//  The longest each record can be, every number at 20 digits, is checked
//  by the self test against GAVEL_RECORD_MAX
void
gavel_report_add_served (gavel_report_t *self, gavel_msg_t *reply)
{
    char record [GAVEL_RECORD_MAX + 1];
    uint64_t total = 0;
    for (size_t kind = 0; kind < GAVEL_REPLY_KINDS; kind++)
        total += self->replies [kind];
    size_t used = (size_t) snprintf (record, sizeof record, "replies=%" PRIu64, total);
    for (size_t kind = 0; kind < GAVEL_REPLY_KINDS && used < sizeof record; kind++)
        used += (size_t) snprintf (record + used, sizeof record - used, " %s=%" PRIu64,
                                   s_kinds [kind].key, self->replies [kind]);
    int rc = used < sizeof record? gavel_buckets_format (&self->latency, "latency_us", record,
                                                         sizeof record): -1;
    assert (rc == 0);
    gavel_msg_add_record (reply, "%s", record);
}

void
gavel_report_add_disk (gavel_report_t *self, gavel_msg_t *reply, uint64_t log_bytes,
                       uint64_t snapshot_bytes, const gavel_buckets_t *fsync)
{
    char record [GAVEL_RECORD_MAX + 1];
    snprintf (record, sizeof record, "log_bytes=%" PRIu64 " snapshot_bytes=%" PRIu64,
              log_bytes, snapshot_bytes);
    gavel_buckets_t none;
    gavel_buckets_init (&none, GAVEL_BUCKETS_MICROS);
    int rc = gavel_buckets_format (fsync? fsync: &none, "fsync_us", record, sizeof record);
    rc = rc? rc: gavel_buckets_format (&self->batch, "batch", record, sizeof record);
    assert (rc == 0);
    gavel_msg_add_record (reply, "%s", record);
}

void
gavel_report_add_broker (gavel_report_t *self, gavel_msg_t *reply)
{
    gavel_msg_add_record (reply, "broker=%" PRIu64 " held=%" PRIu64 " feed_seq=%" PRIu64
                          " forwards=%" PRIu64 " no_quorum=%" PRIu64, self->broker_id,
                          self->held, self->feed_seq, self->forwards, self->no_quorum);
}

//  Every key of a record is required: each writer writes them all
static bool
s_number (const char *record, const char *key, uint64_t *value)
{
    return gavel_record_get_unsigned (record, key, 0, UINT64_MAX, value) == 0;
}

static bool
s_first_key (const char *record, const char *key)
{
    size_t length = strlen (key);
    return strncmp (record, key, length) == 0 && record [length] == '=';
}

bool
gavel_report_is_broker (const char *record)
{
    return s_first_key (record, "broker");
}

int
gavel_report_read (gavel_report_t *self, const char *record)
{
    gavel_report_t read = *self;
    bool good;
    if (s_first_key (record, "replies")) {
        //  The total is not checked against the kinds: a newer replica
        //  may count a reason we have no key for
        uint64_t total;
        good = !self->served && s_number (record, "replies", &total);
        for (size_t kind = 0; good && kind < GAVEL_REPLY_KINDS; kind++)
            good = s_number (record, s_kinds [kind].key, &read.replies [kind]);
        good = good && gavel_buckets_parse (&read.latency, record, "latency_us") == 0;
        read.served = true;
    }
    else
    if (s_first_key (record, "log_bytes"))
        good = read.disk = !self->disk
            && s_number (record, "log_bytes", &read.log_bytes)
            && s_number (record, "snapshot_bytes", &read.snapshot_bytes)
            && gavel_buckets_parse (&read.fsync, record, "fsync_us") == 0
            && gavel_buckets_parse (&read.batch, record, "batch") == 0;
    else
    if (s_first_key (record, "broker"))
        good = read.broker = !self->broker
            && s_number (record, "broker", &read.broker_id)
            && s_number (record, "held", &read.held)
            && s_number (record, "feed_seq", &read.feed_seq)
            && s_number (record, "forwards", &read.forwards)
            && s_number (record, "no_quorum", &read.no_quorum);
    else
        return 1;
    if (!good)
        return -1;
    *self = read;
    return 0;
}


//  --------------------------------------------------------------------------
//  Self test

void
gavel_report_test (bool verbose)
{
    printf (" * gavel_report: ");
    fflush (stdout);
    assert (gavel_report_kind (GAVEL_SUCCESS, "") == GAVEL_REPLY_SUCCESS);
    assert (gavel_report_kind (GAVEL_FAIL, "too-low") == GAVEL_REPLY_TOO_LOW);
    assert (gavel_report_kind (GAVEL_FAIL, "too-late") == GAVEL_REPLY_FAIL_OTHER);
    assert (gavel_report_kind (GAVEL_EXCEPTION, "no-quorum") == GAVEL_REPLY_NO_QUORUM);
    assert (gavel_report_kind (GAVEL_EXCEPTION, "too-low") == GAVEL_REPLY_EXCEPTION_OTHER);
    assert (gavel_report_kind (GAVEL_EXCEPTION, NULL) == GAVEL_REPLY_EXCEPTION_OTHER);
    assert (gavel_report_kind (GAVEL_REDIRECT, "not-primary") == GAVEL_REPLY_NOT_PRIMARY);
    assert (gavel_report_kind ((gavel_outcome_t) 99, "x") == GAVEL_REPLY_EXCEPTION_OTHER);
    assert (streq (gavel_report_outcome (GAVEL_REPLY_STALE_REQUEST), "exception"));
    assert (streq (gavel_report_reason (GAVEL_REPLY_STALE_REQUEST), "stale-request"));
    assert (streq (gavel_report_reason (GAVEL_REPLY_REDIRECT_OTHER), "other"));
    assert (streq (gavel_report_reason (GAVEL_REPLY_SUCCESS), ""));

    //  Counted, written, read back
    gavel_report_t counted;
    gavel_report_init (&counted);
    gavel_msg_t *reply = gavel_msg_new_reply (1, GAVEL_FAIL, "too-low", "low");
    gavel_report_reply (&counted, reply, 120);
    gavel_report_reply (&counted, reply, 40);
    gavel_msg_destroy (&reply);
    reply = gavel_msg_new_reply (2, GAVEL_SUCCESS, NULL, NULL);
    gavel_report_reply (&counted, reply, 3000000);
    gavel_msg_destroy (&reply);
    gavel_report_write (&counted, 1);
    gavel_report_write (&counted, 30);
    gavel_buckets_t fsync;
    gavel_buckets_init (&fsync, GAVEL_BUCKETS_MICROS);
    gavel_buckets_add (&fsync, 900);
    counted.broker_id = 2;
    counted.held = 5;
    counted.feed_seq = 77;
    counted.forwards = 9;
    counted.no_quorum = 1;
    reply = gavel_msg_new_reply (3, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "id=1 role=primary term=1 commit=1");
    gavel_report_add_served (&counted, reply);
    gavel_report_add_disk (&counted, reply, 4096, 512, &fsync);
    gavel_report_add_broker (&counted, reply);
    if (verbose)
        printf ("\n%s\n%s\n%s\n", gavel_msg_record (reply, 1), gavel_msg_record (reply, 2),
                gavel_msg_record (reply, 3));
    assert (strncmp (gavel_msg_record (reply, 1), "replies=3 success=1 fail.too-low=2 ", 35) == 0);
    assert (strstr (gavel_msg_record (reply, 1), " latency_us=1,0,1,0,0,0,0,0,0,0,0,0,0,0,1 "
                                                  "latency_us_sum=3000160"));
    assert (streq (gavel_msg_record (reply, 2), "log_bytes=4096 snapshot_bytes=512 "
                   "fsync_us=0,0,0,0,1,0,0,0,0,0,0,0,0,0,0 fsync_us_sum=900 "
                   "batch=1,0,0,0,0,1,0,0,0,0,0,0 batch_sum=31"));
    assert (streq (gavel_msg_record (reply, 3),
                   "broker=2 held=5 feed_seq=77 forwards=9 no_quorum=1"));
    gavel_report_t read;
    gavel_report_init (&read);
    assert (gavel_report_read (&read, gavel_msg_record (reply, 0)) == 1);
    assert (!read.served && !read.disk && !read.broker);
    for (size_t index = 1; index <= 3; index++)
        assert (gavel_report_read (&read, gavel_msg_record (reply, index)) == 0);
    assert (read.served && read.disk && read.broker);
    counted.served = counted.disk = counted.broker = true;
    counted.log_bytes = 4096;
    counted.snapshot_bytes = 512;
    counted.fsync = fsync;
    assert (memcmp (&read, &counted, sizeof read) == 0);
    //  A record said twice is refused
    assert (gavel_report_read (&read, gavel_msg_record (reply, 3)) == -1);
    gavel_msg_destroy (&reply);

    //  The longest records fit
    gavel_report_t full;
    gavel_report_init (&full);
    for (size_t kind = 0; kind < GAVEL_REPLY_KINDS; kind++)
        full.replies [kind] = UINT64_MAX / GAVEL_REPLY_KINDS;
    for (size_t bucket = 0; bucket < GAVEL_BUCKETS_MAX; bucket++)
        full.latency.counts [bucket] = full.fsync.counts [bucket] = full.batch.counts [bucket]
                                     = UINT64_MAX;
    full.latency.sum = full.fsync.sum = full.batch.sum = UINT64_MAX;
    full.broker_id = full.held = full.feed_seq = full.forwards = full.no_quorum = UINT64_MAX;
    reply = gavel_msg_new_reply (4, GAVEL_SUCCESS, NULL, NULL);
    gavel_report_add_served (&full, reply);
    gavel_report_add_disk (&full, reply, UINT64_MAX, UINT64_MAX, &full.fsync);
    gavel_report_add_broker (&full, reply);
    if (verbose)
        printf ("longest: %zu %zu %zu bytes\n", strlen (gavel_msg_record (reply, 0)),
                strlen (gavel_msg_record (reply, 1)), strlen (gavel_msg_record (reply, 2)));
    //  Written, but buckets whose total wraps are no histogram to a reader
    gavel_report_init (&read);
    assert (gavel_report_read (&read, gavel_msg_record (reply, 0)) == -1);
    assert (gavel_report_read (&read, gavel_msg_record (reply, 1)) == -1);
    assert (gavel_report_read (&read, gavel_msg_record (reply, 2)) == 0);
    gavel_msg_destroy (&reply);
    //  The largest counts that total 64 bits read back
    for (size_t bucket = 0; bucket < GAVEL_BUCKETS_MAX; bucket++)
        full.latency.counts [bucket] = full.fsync.counts [bucket] = full.batch.counts [bucket]
                                     = UINT64_MAX / GAVEL_BUCKETS_MAX;
    reply = gavel_msg_new_reply (5, GAVEL_SUCCESS, NULL, NULL);
    gavel_report_add_served (&full, reply);
    gavel_report_add_disk (&full, reply, UINT64_MAX, UINT64_MAX, &full.fsync);
    gavel_report_init (&read);
    for (size_t index = 0; index < 2; index++)
        assert (gavel_report_read (&read, gavel_msg_record (reply, index)) == 0);
    gavel_msg_destroy (&reply);

    //  Malformed records of ours: refused whole, nothing taken from them
    const char *bad [] = {
        "replies=1",
        "replies=2 success=1 fail.too-low=0 fail.below-reserve=0 fail.closed=0 fail.other=0 "
        "exception.malformed=0 exception.unknown-command=0 exception.unsupported-version=0 "
        "exception.unknown-auction=0 exception.stale-request=0 exception.name-taken=0 "
        "exception.no-quorum=0 exception.other=0 redirect.not-primary=0 redirect.other=0 "
        "latency_us=1,0,0,0,0,0,0,0,0,0,0,0,0,0 latency_us_sum=1",     //  a bucket short
        "replies=1 success=1 fail.too-low=0 fail.below-reserve=0 fail.closed=0 fail.other=0 "
        "exception.malformed=0 exception.unknown-command=0 exception.unsupported-version=0 "
        "exception.unknown-auction=0 exception.stale-request=0 exception.name-taken=0 "
        "exception.no-quorum=0 exception.other=0 redirect.not-primary=0 redirect.other=0",
        "log_bytes=1 snapshot_bytes=x fsync_us=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 fsync_us_sum=0 "
        "batch=0,0,0,0,0,0,0,0,0,0,0,0 batch_sum=0",
        "log_bytes=1 snapshot_bytes=1 fsync_us=0,0,0,0,0,0,0,0,0,0,0,0 fsync_us_sum=0 "
        "batch=0,0,0,0,0,0,0,0,0,0,0,0 batch_sum=0",
        "broker=1 held=2 feed_seq=3 forwards=4",
        "broker=1 held=-2 feed_seq=3 forwards=4 no_quorum=0",
        "broker=",
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        gavel_report_init (&read);
        assert (gavel_report_read (&read, bad [index]) == -1);
        assert (!read.served && !read.disk && !read.broker && read.replies [0] == 0);
    }
    //  A newer writer's reason we have no key for: the total is more than
    //  the kinds we know, and that is no fault
    gavel_report_init (&read);
    assert (gavel_report_read (&read, "replies=3 success=1 fail.too-low=0 fail.below-reserve=0 "
        "fail.closed=0 fail.other=0 exception.malformed=0 exception.unknown-command=0 "
        "exception.unsupported-version=0 exception.unknown-auction=0 exception.stale-request=0 "
        "exception.name-taken=0 exception.no-quorum=0 exception.other=0 redirect.not-primary=0 "
        "redirect.other=0 exception.busy=2 latency_us=3,0,0,0,0,0,0,0,0,0,0,0,0,0,0 "
        "latency_us_sum=3") == 0);
    assert (read.served && read.replies [GAVEL_REPLY_SUCCESS] == 1);
    //  Not ours: left to others
    gavel_report_init (&read);
    assert (gavel_report_read (&read, "turns=1") == 1);
    assert (gavel_report_read (&read, "brokers=1") == 1);
    assert (gavel_report_is_broker ("broker=1 held=0") && !gavel_report_is_broker ("brokers=1"));
    assert (gavel_report_read (&read, "") == 1);
    printf ("OK\n");
}
