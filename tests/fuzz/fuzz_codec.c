/*  fuzz_codec: the client codec (gavel_msg) on any frames.

    The input is one message, frames split at '\n': a request, a reply, an
    event or any other command. Whatever decodes must encode to exactly its
    input (the codec takes only the one spelling it writes), and decode
    again; every record of
    a reply that reads as a HISTORY record must make an EVENT that its
    subscribers can decode (the broker and zmq-tail re-publish them); and
    the first frame, read as a log entry line, must survive the same round
    trip. A successful reply is read as a STATUS answer too (gavel_status),
    and each of its records that gavel_report reads must write back to a
    record that reads the same.
*/
#include "fuzz.h"
#include "gavel_msg.h"
#include "gavel_report.h"
#include "gavel_status.h"

static bool
s_same_buckets (const gavel_buckets_t *a, const gavel_buckets_t *b)
{
    return a->scale == b->scale && a->sum == b->sum
        && memcmp (a->counts, b->counts, sizeof a->counts) == 0;
}

static bool
s_same_report (const gavel_report_t *a, const gavel_report_t *b)
{
    return a->served == b->served && a->disk == b->disk && a->broker == b->broker
        && memcmp (a->replies, b->replies, sizeof a->replies) == 0
        && s_same_buckets (&a->latency, &b->latency) && s_same_buckets (&a->fsync, &b->fsync)
        && s_same_buckets (&a->batch, &b->batch)
        && a->log_bytes == b->log_bytes && a->snapshot_bytes == b->snapshot_bytes
        && a->broker_id == b->broker_id && a->held == b->held && a->feed_seq == b->feed_seq
        && a->forwards == b->forwards && a->no_quorum == b->no_quorum;
}

//  A record gavel_report took, written again, reads the same
static void
s_report_round_trip (const char *record)
{
    gavel_report_t read;
    gavel_report_init (&read);
    if (gavel_report_read (&read, record) != 0)
        return;
    gavel_msg_t *reply = gavel_msg_new_reply (1, GAVEL_SUCCESS, NULL, NULL);
    if (read.served)
        gavel_report_add_served (&read, reply);
    if (read.disk)
        gavel_report_add_disk (&read, reply, read.log_bytes, read.snapshot_bytes, &read.fsync);
    if (read.broker)
        gavel_report_add_broker (&read, reply);
    gavel_report_t again;
    gavel_report_init (&again);
    FUZZ_CHECK (gavel_msg_records (reply) == 1
                && gavel_report_read (&again, gavel_msg_record (reply, 0)) == 0
                && s_same_report (&again, &read),
                "report record '%s' does not read the same once written", record);
    gavel_msg_destroy (&reply);
}

static bool
s_same_frames (zmsg_t *a, zmsg_t *b)
{
    if (zmsg_size (a) != zmsg_size (b))
        return false;
    for (zframe_t *x = zmsg_first (a), *y = zmsg_first (b); x; x = zmsg_next (a), y = zmsg_next (b))
        if (!zframe_eq (x, y))
            return false;
    return true;
}

//  encode (decode (msg)) is a fixed point of decode then encode
static void
s_round_trip (gavel_msg_t *msg)
{
    zmsg_t *once = gavel_msg_encode (msg);
    gavel_msg_error_t error;
    gavel_msg_t *again = gavel_msg_decode (once, &error);
    FUZZ_CHECK (again, "%s does not decode once encoded: %s %s", gavel_msg_command (msg),
                error.reason, error.message);
    FUZZ_CHECK (gavel_msg_id (again) == gavel_msg_id (msg), "the command changed");
    zmsg_t *twice = gavel_msg_encode (again);
    FUZZ_CHECK (s_same_frames (once, twice), "%s encodes differently once decoded",
                gavel_msg_command (msg));
    zmsg_destroy (&once);
    zmsg_destroy (&twice);
    gavel_msg_destroy (&again);
}

static void
s_entry_round_trip (const char *line)
{
    gavel_msg_error_t error;
    gavel_msg_t *entry = gavel_msg_decode_entry (line, &error);
    if (!entry) {
        FUZZ_CHECK (*error.reason && *error.message, "an entry refused without a reason");
        return;
    }
    char once [GAVEL_ENTRY_MAX], twice [GAVEL_ENTRY_MAX];
    size_t length = gavel_msg_encode_entry (entry, once, sizeof once);
    FUZZ_CHECK (length == strlen (once), "encode_entry returned a wrong length");
    gavel_msg_t *again = gavel_msg_decode_entry (once, &error);
    FUZZ_CHECK (again, "entry '%s' does not decode once encoded: %s", once, error.message);
    gavel_msg_encode_entry (again, twice, sizeof twice);
    FUZZ_CHECK (streq (once, twice), "entry '%s' encodes as '%s' once decoded", once, twice);
    gavel_msg_destroy (&entry);
    gavel_msg_destroy (&again);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    fuzz_init ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_init ();
    zmsg_t *frames = fuzz_frames (data, size);
    gavel_msg_error_t error;
    gavel_msg_t *msg = gavel_msg_decode (frames, &error);
    if (msg) {
        zmsg_t *encoded = gavel_msg_encode (msg);
        FUZZ_CHECK (s_same_frames (encoded, frames), "%s decoded from frames it does not encode to",
                    gavel_msg_command (msg));
        zmsg_destroy (&encoded);
        s_round_trip (msg);
        gavel_msg_t *copy = gavel_msg_dup (msg);
        s_round_trip (copy);
        gavel_msg_destroy (&copy);
        gavel_status_answer_t answer;
        if (gavel_msg_id (msg) == GAVEL_MSG_REPLY && gavel_status_decode (msg, &answer) == 0)
            FUZZ_CHECK (answer.outcome == GAVEL_STATUS_ANSWERED && answer.term >= 0
                        && answer.commit >= 0, "a STATUS answer decoded without term or commit");
        for (size_t index = 0; index < gavel_msg_records (msg); index++) {
            const char *record = gavel_msg_record (msg, index);
            s_report_round_trip (record);
            char value [64];
            gavel_record_get (record, "auction", value, sizeof value);
            gavel_msg_t *event = gavel_msg_new_history_event (record, 1);
            if (event) {
                s_round_trip (event);
                gavel_msg_destroy (&event);
            }
        }
        for (gavel_msg_t *entry = gavel_msg_first_entry (msg); entry; entry = gavel_msg_next_entry (msg)) {
            char line [GAVEL_ENTRY_MAX];
            gavel_msg_encode_entry (entry, line, sizeof line);
            s_entry_round_trip (line);
        }
        gavel_msg_destroy (&msg);
    }
    else {
        FUZZ_CHECK (*error.reason && *error.message, "a message refused without a reason");
        //  What a replica answers the sender with must itself be sendable
        gavel_msg_t *reply = gavel_msg_new_error_reply (&error);
        s_round_trip (reply);
        gavel_msg_destroy (&reply);
    }
    zframe_t *first = zmsg_first (frames);
    if (first && zframe_size (first) < 4 * GAVEL_ENTRY_MAX) {
        char line [4 * GAVEL_ENTRY_MAX];
        memcpy (line, zframe_data (first), zframe_size (first));
        line [zframe_size (first)] = '\0';
        s_entry_round_trip (line);
    }
    zmsg_destroy (&frames);
    return 0;
}
