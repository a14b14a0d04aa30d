/*  fuzz-seeds: writes the seed corpora of tests/fuzz/corpus, from real
    messages, files and states made by the code under test itself.

    fuzz-seeds DIR      writes DIR/TARGET/NAME for every target

    Run it again when a format changes; the files are committed so that
    make test replays them without it.
*/
#include "fuzz.h"
#include "gavel_report.h"
#include "gavel_auction.h"
#include "gavel_config.h"
#include "gavel_keys.h"
#include "gavel_store.h"

#include <sys/stat.h>
#include <unistd.h>

#define T0 1700000000000LL

static const char *s_root;

static void
s_seed (const char *target, const char *name, const void *data, size_t size)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", s_root, target);
    zsys_dir_create ("%s", path);
    snprintf (path, sizeof path, "%s/%s/%s", s_root, target, name);
    fuzz_write_file (path, data, size, 0644);
}

//  Frames joined by '\n', as the targets split them; appended to out
static void
s_join (zchunk_t *out, zmsg_t *frames)
{
    bool first = true;
    for (zframe_t *frame = zmsg_first (frames); frame; frame = zmsg_next (frames)) {
        if (!first)
            zchunk_extend (out, "\n", 1);
        first = false;
        zchunk_extend (out, zframe_data (frame), zframe_size (frame));
    }
}

static void
s_seed_msg (const char *target, const char *name, gavel_msg_t *msg)
{
    zmsg_t *frames = gavel_msg_encode (msg);
    zchunk_t *out = zchunk_new (NULL, 1024);
    s_join (out, frames);
    s_seed (target, name, zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
    zmsg_destroy (&frames);
}

static gavel_msg_t *
s_request (gavel_msg_id_t id, uint64_t request_id, const char *name)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_request_id (msg, request_id);
    gavel_msg_set_session (msg, "s-1");
    gavel_msg_set_name (msg, name);
    gavel_msg_set_item (msg, "lamp");
    gavel_msg_set_duration (msg, 60000);
    gavel_msg_set_reserve (msg, 50);
    gavel_msg_set_auction (msg, 1);
    gavel_msg_set_amount (msg, 150);
    gavel_msg_set_count (msg, 10);
    return msg;
}

static gavel_msg_t *
s_peer (gavel_msg_id_t id, uint64_t term, uint64_t from)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_term (msg, term);
    gavel_msg_set_from (msg, from);
    return msg;
}

static gavel_msg_t *
s_entry (gavel_msg_id_t id, uint64_t term, uint64_t index)
{
    gavel_msg_t *entry = id == GAVEL_MSG_NOOP? gavel_msg_new (id): s_request (id, index, "bob");
    gavel_msg_set_from (entry, 3);
    gavel_msg_set_term (entry, term);
    gavel_msg_set_index (entry, index);
    gavel_msg_set_stamp (entry, T0 + (int64_t) index);
    return entry;
}

//  A LOG or ENTRIES of term from 3 after prev, with entries first..last
static gavel_msg_t *
s_log (gavel_msg_id_t id, uint64_t term, uint64_t prev, uint64_t prev_term,
       uint64_t commit, uint64_t first, uint64_t last)
{
    gavel_msg_t *log = s_peer (id, term, 3);
    gavel_msg_set_prev_index (log, prev);
    gavel_msg_set_prev_term (log, prev_term);
    gavel_msg_set_commit (log, commit);
    gavel_msg_set_last_index (log, last);
    for (uint64_t index = first; index <= last; index++) {
        gavel_msg_t *entry = s_entry (index == first && index == 1? GAVEL_MSG_NOOP:
                                      index == 2? GAVEL_MSG_OPEN: GAVEL_MSG_BID, term, index);
        gavel_msg_add_entry (log, &entry);
    }
    return log;
}

static gavel_auction_t *
s_house (void)
{
    gavel_auction_t *house = gavel_auction_new ();
    gavel_msg_t *request = s_request (GAVEL_MSG_OPEN, 1, "ann");
    gavel_msg_t *reply = gavel_auction_apply (house, request, T0);
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
    request = s_request (GAVEL_MSG_OPEN, 2, "ann");
    gavel_msg_set_duration (request, 10);
    reply = gavel_auction_apply (house, request, T0);
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
    request = s_request (GAVEL_MSG_BID, 1, "bob");
    gavel_msg_set_session (request, "s-2");
    gavel_msg_set_key (request, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    reply = gavel_auction_apply (house, request, T0 + 1);
    gavel_msg_destroy (&reply);
    gavel_msg_destroy (&request);
    gavel_auction_close_due (house, T0 + 10, NULL);
    return house;
}

static gavel_msg_t *
s_snapshot_msg (uint64_t term, uint64_t index)
{
    gavel_msg_t *snapshot = s_peer (GAVEL_MSG_SNAPSHOT, term, 3);
    gavel_msg_set_index (snapshot, index);
    gavel_msg_set_last_term (snapshot, term);
    gavel_msg_set_commit (snapshot, index);
    gavel_auction_t *house = s_house ();
    zmsg_t *state = gavel_auction_save (house);
    gavel_msg_set_payload (snapshot, &state);
    gavel_auction_destroy (&house);
    return snapshot;
}

static void
s_codec (void)
{
    gavel_msg_id_t requests [] = { GAVEL_MSG_OPEN, GAVEL_MSG_BID, GAVEL_MSG_RESULT, GAVEL_MSG_LIST,
                                   GAVEL_MSG_STATUS, GAVEL_MSG_HISTORY };
    for (size_t index = 0; index < sizeof requests / sizeof requests [0]; index++) {
        gavel_msg_t *msg = s_request (requests [index], index + 1, "alice");
        char name [32];
        snprintf (name, sizeof name, "request-%s", gavel_msg_command (msg));
        s_seed_msg ("codec", name, msg);
        gavel_msg_destroy (&msg);
    }
    gavel_msg_t *reply = gavel_msg_new_reply (7, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "auction=1 amount=150 closes_in=59000");
    s_seed_msg ("codec", "reply-success", reply);
    gavel_msg_destroy (&reply);
    reply = gavel_msg_new_reply (8, GAVEL_FAIL, "too-low", "a bid must beat %d", 150);
    gavel_msg_add_record (reply, "auction=1 highest=150 bidder=bob");
    s_seed_msg ("codec", "reply-fail", reply);
    gavel_msg_destroy (&reply);
    reply = gavel_msg_new_reply (9, GAVEL_REDIRECT, "not-primary", "replica 2 is primary");
    gavel_msg_add_record (reply, "primary=2 client=tcp://127.0.0.1:21021");
    s_seed_msg ("codec", "reply-redirect", reply);
    gavel_msg_destroy (&reply);
    reply = gavel_msg_new_reply (10, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "seq=1 index=1 term=1 stamp=1700000000001 event=primary primary=3 term=1");
    gavel_msg_add_record (reply, "seq=2 index=2 term=1 stamp=1700000000002 event=opened auction=1 "
                          "item=lamp by=ann closes_at=1700000060002 reserve=50");
    gavel_msg_add_record (reply, "seq=3 index=3 term=1 stamp=1700000000003 event=bid auction=1 "
                          "bidder=bob amount=150");
    s_seed_msg ("codec", "reply-history", reply);
    gavel_msg_destroy (&reply);
    //  A STATUS answer as a replica behind a broker gives it: every record
    reply = gavel_msg_new_reply (11, GAVEL_SUCCESS, NULL, NULL);
    gavel_msg_add_record (reply, "id=2 role=primary term=3 commit=120 applied=120 last=121 "
                          "primary=2 auctions=3 open=1 bidders=4");
    gavel_msg_add_record (reply, "turns=8 requests=7 logs_out=5 entries_out=9 acks_in=6 logs_in=0 "
                          "entries_in=0 saves=5 saved=9 acks_out=0 rounds=1 terms=3 elected=1");
    gavel_report_t report;
    gavel_report_init (&report);
    gavel_msg_t *counted = gavel_msg_new_reply (1, GAVEL_FAIL, "too-low", NULL);
    gavel_report_reply (&report, counted, 420);
    gavel_msg_destroy (&counted);
    gavel_report_write (&report, 9);
    report.broker_id = 1;
    report.held = 2;
    report.feed_seq = 40;
    gavel_report_add_served (&report, reply);
    gavel_report_add_disk (&report, reply, 4096, 2048, NULL);
    gavel_report_add_broker (&report, reply);
    s_seed_msg ("codec", "reply-status", reply);
    gavel_msg_destroy (&reply);
    gavel_msg_t *event = gavel_msg_new_history_event ("seq=4 index=9 term=2 stamp=1700000060002 "
                                                      "event=closed auction=1 item=lamp winner=bob amount=150", 2);
    s_seed_msg ("codec", "event", event);
    gavel_msg_destroy (&event);
    gavel_msg_t *last = gavel_msg_new (GAVEL_MSG_LAST);
    gavel_msg_set_seq (last, 4);
    s_seed_msg ("codec", "last", last);
    gavel_msg_destroy (&last);
    gavel_msg_t *log = s_log (GAVEL_MSG_LOG, 1, 0, 0, 0, 1, 3);
    s_seed_msg ("codec", "log", log);
    gavel_msg_destroy (&log);
    const char *line = "2 5 1700000000005 BID s-1 5 bob - 1 300";
    s_seed ("codec", "entry-bid", line, strlen (line));
}

//  A core input: the state byte, then messages separated by lines "%%"
static void
s_core (const char *name, uint8_t state, gavel_msg_t **messages, size_t count)
{
    zchunk_t *out = zchunk_new (NULL, 1024);
    zchunk_extend (out, &state, 1);
    for (size_t index = 0; index < count; index++) {
        if (index)
            zchunk_extend (out, "\n%%\n", 4);
        if (!messages [index]) {
            zchunk_extend (out, "+300", 4);
            continue;
        }
        zmsg_t *frames = gavel_msg_encode (messages [index]);
        s_join (out, frames);
        zmsg_destroy (&frames);
        gavel_msg_destroy (&messages [index]);
    }
    s_seed ("core", name, zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
}

static void
s_cores (void)
{
    //  Backups (states 0, 1, 5): the primary goes on, or a new term starts
    gavel_msg_t *hb = s_peer (GAVEL_MSG_HB, 2, 3);
    gavel_msg_set_commit (hb, 8);
    gavel_msg_set_last_index (hb, 8);
    gavel_msg_set_seq (hb, 2);
    gavel_msg_t *backup [] = { s_log (GAVEL_MSG_LOG, 2, 8, 2, 8, 9, 10), hb, NULL,
                               s_log (GAVEL_MSG_ENTRIES, 2, 4, 2, 10, 5, 10) };
    s_core ("backup-log", 0, backup, 4);
    gavel_msg_t *coordinator = s_peer (GAVEL_MSG_COORDINATOR, 3, 2);
    gavel_msg_set_last_term (coordinator, 2);
    gavel_msg_set_last_index (coordinator, 9);
    gavel_msg_t *election = s_peer (GAVEL_MSG_ELECTION, 3, 2);
    gavel_msg_set_last_term (election, 2);
    gavel_msg_set_last_index (election, 9);
    gavel_msg_t *new_term [] = { NULL, election, coordinator, s_log (GAVEL_MSG_LOG, 3, 9, 2, 9, 10, 11) };
    s_core ("backup-new-term", 1, new_term, 4);
    gavel_msg_t *install [] = { s_snapshot_msg (2, 20), s_log (GAVEL_MSG_ENTRIES, 2, 20, 2, 21, 21, 22) };
    s_core ("backup-snapshot", 0, install, 2);
    gavel_msg_t *fresh [] = { s_log (GAVEL_MSG_ENTRIES, 1, 0, 0, 2, 1, 3), s_snapshot_msg (1, 3) };
    s_core ("fresh", 5, fresh, 2);
    //  Primaries (states 2, 3, 6): acks, fetches, requests, elections
    gavel_msg_t *ack = s_peer (GAVEL_MSG_ACK, 3, 1);
    gavel_msg_set_index (ack, 10);
    gavel_msg_set_seq (ack, 2);
    gavel_msg_t *fetch = s_peer (GAVEL_MSG_FETCH, 3, 2);
    gavel_msg_set_index (fetch, 2);
    gavel_msg_t *primary [] = { ack, fetch, s_request (GAVEL_MSG_BID, 9, "zed"),
                                s_request (GAVEL_MSG_RESULT, 10, "zed"), NULL };
    s_core ("primary-snapshot", 2, primary, 5);
    fetch = s_peer (GAVEL_MSG_FETCH, 3, 1);
    gavel_msg_set_index (fetch, 4);
    election = s_peer (GAVEL_MSG_ELECTION, 4, 2);
    gavel_msg_t *accept = s_peer (GAVEL_MSG_ACCEPT, 3, 2);
    gavel_msg_set_granted (accept, true);
    gavel_msg_t *primary2 [] = { fetch, election, accept, s_request (GAVEL_MSG_STATUS, 11, "zed") };
    s_core ("primary", 3, primary2, 4);
    gavel_msg_t *alive = s_peer (GAVEL_MSG_ALIVE, 2, 1);
    gavel_msg_set_last_term (alive, 1);
    gavel_msg_set_last_index (alive, 2);
    gavel_msg_t *candidate [] = { alive, NULL };
    s_core ("candidate", 4, candidate, 2);
    gavel_msg_t *single [] = { s_request (GAVEL_MSG_OPEN, 2, "eve"), NULL, s_request (GAVEL_MSG_HISTORY, 3, "eve") };
    s_core ("single", 6, single, 3);
}

static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        *size = 0;
        return NULL;
    }
    zchunk_t *chunk = zchunk_read (file, 1 << 20);
    fclose (file);
    *size = zchunk_size (chunk);
    char *data = (char *) malloc (*size + 1);
    memcpy (data, zchunk_data (chunk), *size);
    zchunk_destroy (&chunk);
    return data;
}

static void
s_store (void)
{
    char dir [1024];
    snprintf (dir, sizeof dir, "%s/store", fuzz_scratch ());
    char error [256];
    gavel_store_t *store = gavel_store_new (dir, false, error, sizeof error);
    assert (store);
    uint64_t term, vote;
    gavel_msg_t *snapshot;
    zlistx_t *entries;
    assert (gavel_store_load (store, &term, &vote, &snapshot, &entries, error, sizeof error) == 0);
    zlistx_destroy (&entries);
    gavel_store_save_state (store, 2, 3);
    gavel_msg_t *log = s_log (GAVEL_MSG_LOG, 1, 0, 0, 0, 1, 3);
    gavel_store_save_entries (store, 0, log);
    gavel_msg_destroy (&log);
    //  Raw files, as a replica leaves them: without, then with a snapshot
    const char *names [] = { "state", "snapshot", "log" };
    for (int round = 0; round < 2; round++) {
        zchunk_t *out = zchunk_new ("\0", 1);
        for (int part = 0; part < 3; part++) {
            char path [1100];
            snprintf (path, sizeof path, "%s/%s", dir, names [part]);
            size_t size;
            char *data = s_slurp (path, &size);
            if (part)
                zchunk_extend (out, "\n====\n", 6);
            if (data)
                zchunk_extend (out, data, size);
            free (data);
        }
        s_seed ("store", round? "raw-snapshot": "raw-log", zchunk_data (out), zchunk_size (out));
        zchunk_destroy (&out);
        gavel_msg_t *state = s_snapshot_msg (1, 2);
        gavel_store_save_snapshot (store, state);
        gavel_msg_destroy (&state);
        log = s_log (GAVEL_MSG_LOG, 1, 3, 1, 0, 4, 5);
        gavel_store_save_entries (store, 3, log);
        gavel_msg_destroy (&log);
    }
    gavel_store_destroy (&store);
    //  Checksums left to the harness: the snapshot's body, entries' lines
    gavel_msg_t *state = s_snapshot_msg (1, 2);
    zmsg_t *frames = gavel_msg_encode (state);
    zframe_t *body = zmsg_encode (frames);
    zchunk_t *out = zchunk_new ("\1" "2 3\n====\n", 10);
    zchunk_extend (out, zframe_data (body), zframe_size (body));
    zchunk_extend (out, "\n====\n", 6);
    log = s_log (GAVEL_MSG_LOG, 1, 0, 0, 0, 1, 5);
    for (gavel_msg_t *entry = gavel_msg_first_entry (log); entry; entry = gavel_msg_next_entry (log)) {
        char line [GAVEL_ENTRY_MAX];
        size_t length = gavel_msg_encode_entry (entry, line, sizeof line);
        zchunk_extend (out, line, length);
        zchunk_extend (out, "\n", 1);
    }
    s_seed ("store", "checked-snapshot", zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
    gavel_msg_destroy (&log);
    zframe_destroy (&body);
    zmsg_destroy (&frames);
    gavel_msg_destroy (&state);
}

static void
s_snapshot (void)
{
    gavel_auction_t *house = s_house ();
    zmsg_t *state = gavel_auction_save (house);
    zchunk_t *out = zchunk_new (NULL, 1024);
    s_join (out, state);
    s_seed ("snapshot", "house", zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
    zmsg_destroy (&state);
    gavel_auction_destroy (&house);
    house = gavel_auction_new ();
    state = gavel_auction_save (house);
    out = zchunk_new (NULL, 64);
    s_join (out, state);
    s_seed ("snapshot", "empty", zchunk_data (out), zchunk_size (out));
    zchunk_destroy (&out);
    zmsg_destroy (&state);
    gavel_auction_destroy (&house);
}

static void
s_config (void)
{
    const char *plain =
        "#   a local cluster of three\n"
        "cluster\n"
        "    name = demo\n"
        "    settings\n"
        "        request_timeout = 500\n"
        "        heartbeat = 50\n"
        "        election = 250\n"
        "        election_spread = 50\n"
        "        commit_timeout = 400\n"
        "        snapshot_every = 10000\n"
        "        broker_hold = 5000\n"
        "        fsync = never\n"
        "replica\n"
        "    1\n"
        "        client = tcp://127.0.0.1:21001\n"
        "        pub = tcp://127.0.0.1:21002\n"
        "        ack = tcp://127.0.0.1:21003\n"
        "        mesh = tcp://127.0.0.1:21004\n"
        "        data = /tmp/demo/r1\n"
        "    2\n"
        "        client = tcp://127.0.0.1:21011\n"
        "        pub = tcp://127.0.0.1:21012\n"
        "        ack = tcp://127.0.0.1:21013\n"
        "        mesh = tcp://127.0.0.1:21014\n"
        "    3\n"
        "        client = \"ipc:///tmp/demo/r3\"\n"
        "        pub = tcp://127.0.0.1:21022\n"
        "        ack = tcp://127.0.0.1:21023\n"
        "        mesh = tcp://127.0.0.1:21024\n"
        "broker\n"
        "    1\n"
        "        client = tcp://127.0.0.1:21101\n"
        "        pub = tcp://127.0.0.1:21102\n";
    s_seed ("config", "three", plain, strlen (plain));
    const char *keyed =
        "cluster\n"
        "    settings\n"
        "        bidder_allow = bidders\n"
        "replica\n"
        "    1\n"
        "        client = tcp://127.0.0.1:21001\n"
        "        public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n"
        "        secret = keys/replica1_secret\n"
        "broker\n"
        "    2\n"
        "        client = tcp://127.0.0.1:21101\n"
        "        pub = tcp://127.0.0.1:21102\n"
        "        public_key = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\"\n"
        "        secret = /etc/gavel/broker2_secret\n";
    s_seed ("config", "keyed", keyed, strlen (keyed));
}

static void
s_script (void)
{
    const char *script =
        "# a script\n"
        "as alice\n"
        "open lamp 2m 100\n"
        "open vase 90s\n"
        "bid 1 150\n"
        "bid 200\n"
        "250\n"
        "result\n"
        "result 1\n"
        "list\n"
        "status\n"
        "sleep 500\n"
        "watch 1\n"
        "unwatch\n"
        "help\n"
        "quit\n";
    s_seed ("script", "every-command", script, strlen (script));
    const char *bad = "open\nbid x y\nas -\nsleep 99999999999\nopen lamp 0\n\tbid\t1\t10\r\n";
    s_seed ("script", "bad-lines", bad, strlen (bad));
}

static void
s_keys (void)
{
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "replica 1");
    char path [1100];
    snprintf (path, sizeof path, "%s/cert", fuzz_scratch ());
    char secret [1200];
    snprintf (secret, sizeof secret, "%s_secret", path);
    assert (zcert_save (cert, path) == 0);
    size_t size;
    char *data = s_slurp (secret, &size);
    s_seed ("keys", "secret", data, size);
    free (data);
    data = s_slurp (path, &size);
    s_seed ("keys", "public", data, size);
    free (data);
    zcert_destroy (&cert);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz-seeds DIR\n");
        return 2;
    }
    fuzz_init ();
    s_root = argv [1];
    s_codec ();
    s_cores ();
    s_store ();
    s_snapshot ();
    s_config ();
    s_script ();
    s_keys ();
    return 0;
}
