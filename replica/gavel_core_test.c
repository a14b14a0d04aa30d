/*  gavel_core's self test, in a file of its own so that gavel_core.c holds
    the protocol alone. It drives cores through the public API only (events
    in, outbox out), as the shell and the simulator do, in the simulator's
    world (tests/gavel_fixture.h) set for exact times: no loss, a constant
    delay (none in most scenarios), turns that take no time, a disk that
    writes at once and reports at once or when the test says. gavel_sim does
    the randomised rest. Built into the gavelfixture library, not the core's:
    the fixture is test code, and the core library holds the core alone.
*/
#include "gavel_core.h"
#include "gavel_auction.h"
#include "gavel_entrylog.h"
#include "gavel_fixture.h"

#define TEST_T0 GAVEL_FIXTURE_T0

//  A replica that is down is paused for longer than any scenario runs, on
//  a side of its own: it receives nothing, sends nothing and is not ticked,
//  and is back, as it was, when the test says
#define TEST_DOWN (INT64_C (1) << 40)

//  The test's side of the world: one client and the replies it got
typedef struct {
    gavel_fixture_t *world;
    size_t replicas;
    zlistx_t *replies;                          //  gavel_msg_t *, as they came
} s_test_t;

static uint64_t s_test_snapshot_every = 10000;
static int64_t s_test_request_timeout = 1000;

static void
s_test_answer (void *arg, size_t client, size_t replica, gavel_msg_t *reply)
{
    s_test_t *test = (s_test_t *) arg;
    zlistx_add_end (test->replies, gavel_msg_dup (reply));
}

//  Storage gavel_store would refuse, or an action no shell could carry out
static void
s_test_violation (void *arg, const char *invariant, const char *text)
{
    fprintf (stderr, "gavel_core test: the world's rule '%s' is broken: %s\n", invariant, text);
    assert (false);
}

//  Once its outbox is carried out, a core holds nothing that was never
//  saved (the disk writes at once here, whenever it reports)
static void
s_test_carried (void *arg, size_t replica)
{
    s_test_t *test = (s_test_t *) arg;
    gavel_core_t *core = gavel_fixture_core (test->world, replica);
    assert (gavel_core_last_index (core) <= gavel_fixture_stored_last (test->world, replica));
}

//  replicas cores, booted at TEST_T0, delay ms apart from each other and
//  from the client
static s_test_t *
s_test_new_hinted (size_t replicas, int64_t delay, double hints)
{
    s_test_t *test = (s_test_t *) zmalloc (sizeof (s_test_t));
    assert (test);
    test->replicas = replicas;
    test->replies = zlistx_new ();
    assert (test->replies);
    gavel_fixture_settings_t settings = {
        .replicas = replicas,
        .clients = 1,
        .snapshot_every = s_test_snapshot_every,
        .request_timeout = s_test_request_timeout,
        .delay_min = delay,
        .delay_max = delay,
        .hints = hints
    };
    gavel_fixture_hooks_t hooks = {
        .arg = test,
        .answer = s_test_answer,
        .violation = s_test_violation,
        .carried = s_test_carried
    };
    test->world = gavel_fixture_new (&settings, &hooks);
    for (size_t index = 0; index < replicas; index++)
        gavel_fixture_boot (test->world, index);
    return test;
}

static s_test_t *
s_test_new (size_t replicas, int64_t delay)
{
    return s_test_new_hinted (replicas, delay, 0);
}

static void
s_test_destroy (s_test_t **test_p)
{
    s_test_t *test = *test_p;
    assert (!gavel_fixture_violation (test->world));
    gavel_fixture_destroy (&test->world);
    gavel_msg_t *reply;
    while ((reply = (gavel_msg_t *) zlistx_detach (test->replies, NULL)))
        gavel_msg_destroy (&reply);
    zlistx_destroy (&test->replies);
    free (test);
    *test_p = NULL;
}

static gavel_core_t *
s_core (s_test_t *test, size_t index)
{
    return gavel_fixture_core (test->world, index);
}

static int64_t
s_now (s_test_t *test)
{
    return gavel_fixture_now (test->world);
}

//  Let time pass to until, and settle this instant
static void
s_run (s_test_t *test, int64_t until)
{
    gavel_fixture_run (test->world, until);
}

static void
s_settle (s_test_t *test)
{
    gavel_fixture_run (test->world, s_now (test));
}

static void
s_down (s_test_t *test, size_t index)
{
    gavel_fixture_set_side (test->world, index, (int) index + 1);
    gavel_fixture_pause (test->world, index, TEST_DOWN);
}

static void
s_up (s_test_t *test, size_t index)
{
    gavel_fixture_set_side (test->world, index, 0);
    gavel_fixture_resume (test->world, index);
}

//  Its disk goes on writing at once, but reports nothing until s_report
static void
s_hold (s_test_t *test, size_t index)
{
    gavel_fixture_hold (test->world, index);
}

//  The disk reports what it wrote, in order, and goes on reporting at once
static void
s_report (s_test_t *test, size_t index)
{
    gavel_fixture_release (test->world, index);
    s_settle (test);
}

//  The primary among the replicas that are up, or SIZE_MAX; never two
static size_t
s_primary (s_test_t *test)
{
    size_t found = SIZE_MAX;
    for (size_t index = 0; index < test->replicas; index++)
        if (s_core (test, index) && !gavel_fixture_paused (test->world, index)
        &&  gavel_core_role (s_core (test, index)) == GAVEL_ROLE_PRIMARY) {
            assert (found == SIZE_MAX);
            found = index;
        }
    return found;
}

//  Hand replica index's core a request at now, as read in a loop turn that
//  the next settle finishes
static void
s_give (s_test_t *test, size_t index, gavel_msg_t *request, int64_t now)
{
    zmsg_t *route = gavel_fixture_envelope (test->world, 0);
    gavel_core_request (s_core (test, index), &route, &request, now);
    gavel_fixture_wake (test->world, index);
}

//  Send a request to replica index; return the first reply the client got
//  by `until` (a millisecond at a time), or NULL
static gavel_msg_t *
s_call (s_test_t *test, size_t index, gavel_msg_t *request, int64_t until)
{
    s_give (test, index, request, s_now (test));
    s_settle (test);
    while (zlistx_size (test->replies) == 0 && s_now (test) < until)
        s_run (test, s_now (test) + 1);
    return (gavel_msg_t *) zlistx_detach (test->replies, NULL);
}

static gavel_msg_t *
s_test_bid (uint64_t request_id, uint64_t auction, int64_t amount)
{
    gavel_msg_t *bid = gavel_msg_new (GAVEL_MSG_BID);
    gavel_msg_set_request_id (bid, request_id);
    gavel_msg_set_session (bid, "test");
    gavel_msg_set_name (bid, "alice");
    gavel_msg_set_auction (bid, auction);
    gavel_msg_set_amount (bid, amount);
    return bid;
}

static gavel_msg_t *
s_test_open (uint64_t request_id, int64_t duration)
{
    gavel_msg_t *open = gavel_msg_new (GAVEL_MSG_OPEN);
    gavel_msg_set_request_id (open, request_id);
    gavel_msg_set_session (open, "test");
    gavel_msg_set_name (open, "carol");
    gavel_msg_set_item (open, "lamp");
    gavel_msg_set_duration (open, duration);
    return open;
}

static void
s_test_alone (void)
{
    s_test_t *test = s_test_new (1, 0);
    s_settle (test);
    //  A cluster of one elects itself at once
    assert (s_primary (test) == 0);
    assert (gavel_core_term (s_core (test, 0)) == 1);
    gavel_msg_t *reply = s_call (test, 0, s_test_open (1, 1000), s_now (test) + 10);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    reply = s_call (test, 0, s_test_bid (2, 1, 50), s_now (test) + 10);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    //  The deadline closes the auction through a CLOSE entry, on time
    s_run (test, TEST_T0 + 1000);
    gavel_msg_t *last = gavel_core_entry (s_core (test, 0), gavel_core_last_index (s_core (test, 0)));
    assert (gavel_msg_id (last) == GAVEL_MSG_CLOSE);
    assert (gavel_msg_stamp (last) == TEST_T0 + 1000);
    assert (gavel_core_commit (s_core (test, 0)) == gavel_core_last_index (s_core (test, 0)));
    assert (gavel_core_next_deadline (s_core (test, 0)) > TEST_T0 + 1000);

    //  HISTORY: the events so far, oldest first, numbered without holes
    gavel_msg_t *history = gavel_msg_new (GAVEL_MSG_HISTORY);
    gavel_msg_set_request_id (history, 3);
    gavel_msg_set_session (history, "test");
    gavel_msg_set_name (history, "alice");
    gavel_msg_set_count (history, 10);
    reply = s_call (test, 0, history, s_now (test) + 10);
    assert (reply && gavel_msg_records (reply) == 4);
    assert (strstr (gavel_msg_record (reply, 0), "seq=1 index=1 term=1 ")
         && strstr (gavel_msg_record (reply, 0), "event=primary primary=1"));
    assert (strstr (gavel_msg_record (reply, 3), "seq=4 index="));
    assert (strstr (gavel_msg_record (reply, 1), "event=opened auction=1 item=lamp by=carol"));
    assert (strstr (gavel_msg_record (reply, 2), "event=bid auction=1 bidder=alice amount=50"));
    assert (strstr (gavel_msg_record (reply, 3), "event=closed auction=1 item=lamp winner=alice amount=50"));
    gavel_msg_destroy (&reply);
    history = gavel_msg_new (GAVEL_MSG_HISTORY);
    gavel_msg_set_request_id (history, 4);
    gavel_msg_set_session (history, "test");
    gavel_msg_set_name (history, "alice");
    gavel_msg_set_count (history, 2);
    reply = s_call (test, 0, history, s_now (test) + 10);
    assert (reply && gavel_msg_records (reply) == 2);
    assert (strstr (gavel_msg_record (reply, 1), "event=closed"));
    gavel_msg_destroy (&reply);
    //  From a seq on
    {
        size_t core = 0;
        history = gavel_msg_new (GAVEL_MSG_HISTORY);
        gavel_msg_set_request_id (history, 5);
        gavel_msg_set_session (history, "test");
        gavel_msg_set_name (history, "alice");
        gavel_msg_set_seq (history, 2);
        gavel_msg_set_count (history, 2);
        reply = s_call (test, core, history, s_now (test) + 10);
        assert (reply && gavel_msg_records (reply) == 2);
        assert (strncmp (gavel_msg_record (reply, 0), "seq=2 ", 6) == 0);
        assert (strstr (gavel_msg_record (reply, 1), "seq=3 index=3 ")
             && strstr (gavel_msg_record (reply, 1), "event=bid"));
        gavel_msg_destroy (&reply);
    }
    s_test_destroy (&test);
}

static void
s_test_reporter (void *arg, gavel_msg_t *reply)
{
    gavel_msg_add_record (reply, "shell=1");
}

static void
s_test_failover (void)
{
    s_test_t *test = s_test_new (3, 0);
    //  Replica 3 (highest id, logs equal) asks first, at E plus its jitter,
    //  and wins in one round trip
    s_run (test, TEST_T0 + 250 + 25);
    size_t primary = s_primary (test);
    assert (primary == 2);
    uint64_t term = gavel_core_term (s_core (test, 2));
    assert (term == 1);

    //  A backup redirects to the primary
    gavel_msg_t *reply = s_call (test, 0, s_test_open (1, 60000), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_REDIRECT);
    assert (streq (gavel_msg_reason (reply), "not-primary"));
    char value [16];
    assert (gavel_record_get (gavel_msg_record (reply, 0), "primary", value, sizeof value) == 0);
    assert (streq (value, "3"));
    gavel_msg_destroy (&reply);

    //  The primary commits through a majority and answers
    reply = s_call (test, 2, s_test_open (1, 60000), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    reply = s_call (test, 2, s_test_bid (2, 1, 100), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    uint64_t committed = gavel_core_commit (s_core (test, 2));
    s_run (test, s_now (test) + 60);        //  a heartbeat carries the commit index
    for (size_t index = 0; index < 3; index++)
        assert (gavel_core_commit (s_core (test, index)) == committed);

    //  The primary goes silent: a new one within E + spread + a few ms,
    //  and the committed bid is still there
    int64_t crash = s_now (test);
    s_down (test, 2);
    while (s_primary (test) == SIZE_MAX && s_now (test) < crash + 1000)
        s_run (test, s_now (test) + 1);
    primary = s_primary (test);
    assert (primary == 1);
    assert (s_now (test) - crash <= 250 + 50 + 50);
    assert (gavel_core_term (s_core (test, 1)) == term + 1);
    gavel_msg_t *result = gavel_msg_new (GAVEL_MSG_RESULT);
    gavel_msg_set_request_id (result, 3);
    gavel_msg_set_session (result, "test");
    gavel_msg_set_name (result, "alice");
    gavel_msg_set_auction (result, 1);
    reply = s_call (test, 1, result, s_now (test) + 100);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    assert (strstr (gavel_msg_record (reply, 0), "highest=100 bidder=alice"));
    gavel_msg_destroy (&reply);

    //  A retry of the bid at the new primary is not applied twice
    reply = s_call (test, 1, s_test_bid (2, 1, 100), s_now (test) + 100);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);

    //  The old primary wakes up (as after SIGCONT) with a bid in hand: it
    //  cannot commit it, steps down on the first answer it gets, and sends
    //  the client on to the new primary instead of saying success
    s_up (test, 2);
    gavel_msg_t *late = s_test_bid (5, 1, 500);
    assert (gavel_core_role (s_core (test, 2)) == GAVEL_ROLE_PRIMARY);
    reply = s_call (test, 2, late, s_now (test) + 100);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_REDIRECT);
    gavel_msg_destroy (&reply);
    assert (gavel_core_role (s_core (test, 2)) == GAVEL_ROLE_BACKUP);
    assert (gavel_core_term (s_core (test, 2)) == term + 1);
    //  Elections as each counted them: replica 3 won term 1 and heard of
    //  term 2; replica 2 ran for term 2 and won it
    const gavel_core_stats_t *stats = gavel_core_stats (s_core (test, 2));
    assert (stats->elected == 1 && stats->terms == 2 && stats->rounds >= 1);
    stats = gavel_core_stats (s_core (test, 1));
    assert (stats->elected == 1 && stats->terms == 2 && stats->rounds >= 1);
    //  STATUS carries them, then what the shell adds
    gavel_core_set_reporter (s_core (test, 1), s_test_reporter, NULL);
    gavel_msg_t *status = gavel_msg_new (GAVEL_MSG_STATUS);
    gavel_msg_set_request_id (status, 4);
    gavel_msg_set_session (status, "test");
    gavel_msg_set_name (status, "alice");
    reply = s_call (test, 1, status, s_now (test) + 10);
    assert (reply && gavel_msg_records (reply) == 3);
    assert (strstr (gavel_msg_record (reply, 1), " terms=2 elected=1"));
    assert (streq (gavel_msg_record (reply, 2), "shell=1"));
    gavel_msg_destroy (&reply);
    //  Its unreplicated tail is replaced by the new primary's log
    s_run (test, s_now (test) + 200);
    uint64_t last = gavel_core_last_index (s_core (test, 1));
    assert (gavel_core_last_index (s_core (test, 2)) == last);
    for (uint64_t index = 1; index <= last; index++) {
        char line_a [GAVEL_ENTRY_MAX], line_b [GAVEL_ENTRY_MAX];
        gavel_msg_encode_entry (gavel_core_entry (s_core (test, 1), index), line_a, sizeof line_a);
        gavel_msg_encode_entry (gavel_core_entry (s_core (test, 2), index), line_b, sizeof line_b);
        assert (streq (line_a, line_b));
    }
    assert (gavel_core_commit (s_core (test, 2)) == gavel_core_commit (s_core (test, 1)));

    //  Two of three down: a write waits for its time-out, then no-quorum
    s_down (test, 0);
    s_down (test, 2);
    int64_t sent = s_now (test);
    reply = s_call (test, 1, s_test_bid (6, 1, 600), s_now (test) + 2000);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_EXCEPTION);
    assert (streq (gavel_msg_reason (reply), "no-quorum"));
    assert (s_now (test) - sent <= 1000 + 1);
    gavel_msg_destroy (&reply);
    s_test_destroy (&test);
}

//  A crash seen as a broken connection: the backups need not wait out the
//  primary's silence, and a new primary comes within the rank spread and a
//  round, well inside the election time-out (250 ms). A hint about a
//  primary that is alive costs a round and nothing else.
static void
s_test_lost_primary (void)
{
    s_test_t *test = s_test_new_hinted (3, 1, 1.0);
    s_run (test, TEST_T0 + 400);
    size_t primary = s_primary (test);
    assert (primary != SIZE_MAX);
    uint64_t term = gavel_core_term (s_core (test, primary));
    size_t backup = (primary + 1) % 3;
    gavel_core_peer_lost (s_core (test, backup), primary + 1, s_now (test));
    gavel_fixture_wake (test->world, backup);
    s_run (test, s_now (test) + 500);
    assert (s_primary (test) == primary && gavel_core_term (s_core (test, primary)) == term);
    assert (gavel_core_role (s_core (test, backup)) == GAVEL_ROLE_BACKUP);
    //  Nor does a hint about a backup do anything
    size_t other = (primary + 2) % 3;
    gavel_core_peer_lost (s_core (test, backup), other + 1, s_now (test));
    gavel_fixture_wake (test->world, backup);
    s_run (test, s_now (test) + 500);
    assert (s_primary (test) == primary && gavel_core_term (s_core (test, primary)) == term);

    int64_t crash = s_now (test);
    gavel_fixture_crash (test->world, primary);
    while (s_primary (test) == SIZE_MAX && s_now (test) < crash + 1000)
        s_run (test, s_now (test) + 1);
    assert (s_primary (test) != SIZE_MAX);
    assert (s_now (test) - crash < 100);
    assert (gavel_core_term (s_core (test, s_primary (test))) == term + 1);
    s_test_destroy (&test);
}

//  A backup away while the log moves on past two snapshots catches up
//  through the primary's snapshot, then through entries
static void
s_test_snapshot (uint64_t entries, uint64_t every)
{
    s_test_snapshot_every = every;
    s_test_t *test = s_test_new (3, 0);
    s_run (test, TEST_T0 + 400);
    size_t primary = s_primary (test);
    assert (primary != SIZE_MAX);
    size_t away = (primary + 1) % 3;
    gavel_msg_t *reply = s_call (test, primary, s_test_open (1, 600000), s_now (test) + 10);
    gavel_msg_destroy (&reply);
    s_down (test, away);
    for (uint64_t request = 2; request < entries + 2; request++) {
        reply = s_call (test, primary, s_test_bid (request, 1, (int64_t) request * 10), s_now (test) + 10);
        assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
        gavel_msg_destroy (&reply);
    }
    assert (gavel_core_base (s_core (test, primary)) >= entries - 2 * every);
    uint64_t commit = gavel_core_commit (s_core (test, primary));
    s_up (test, away);
    s_run (test, s_now (test) + 300);
    assert (gavel_core_commit (s_core (test, away)) == commit);
    assert (gavel_core_applied (s_core (test, away)) == commit);
    assert (gavel_core_base (s_core (test, away)) >= entries - 2 * every);
    assert (gavel_core_last_index (s_core (test, away)) - gavel_core_base (s_core (test, away)) <= 2 * every + 10);
    zmsg_t *a = gavel_auction_save (gavel_core_auction (s_core (test, away)));
    zmsg_t *b = gavel_auction_save (gavel_core_auction (s_core (test, primary)));
    assert (zmsg_size (a) == zmsg_size (b));
    for (zframe_t *x = zmsg_first (a), *y = zmsg_first (b); x; x = zmsg_next (a), y = zmsg_next (b))
        assert (zframe_eq (x, y));
    zmsg_destroy (&a);
    zmsg_destroy (&b);
    s_test_destroy (&test);
    s_test_snapshot_every = 10000;
}

static size_t
s_state_bytes (gavel_core_t *core)
{
    zmsg_t *state = gavel_auction_save (gavel_core_auction (core));
    size_t bytes = zmsg_content_size (state);
    zmsg_destroy (&state);
    return bytes;
}

//  A million bids across a hundred auctions: what each replica holds (log
//  entries in memory, the state a snapshot saves) stays bounded by the
//  snapshot interval and the number of auctions and sessions, not by bids
void
gavel_core_million_test (bool verbose)
{
    printf (" * gavel_core (a million bids): ");
    s_test_t *test = s_test_new (3, 0);
    s_run (test, TEST_T0 + 400);
    size_t primary = s_primary (test);
    assert (primary != SIZE_MAX);
    uint64_t request = 1;
    for (int auction = 1; auction <= 100; auction++) {
        gavel_msg_t *reply = s_call (test, primary, s_test_open (request++, 3600000), s_now (test) + 10);
        assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
        gavel_msg_destroy (&reply);
    }
    size_t state_at_start = 0;
    for (int64_t bid = 1; bid <= 1000000; bid++) {
        gavel_msg_t *reply = s_call (test, primary,
                                         s_test_bid (request++, (uint64_t) (bid % 100) + 1, bid), s_now (test) + 10);
        assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
        gavel_msg_destroy (&reply);
        if (bid % 100000 == 0) {
            s_run (test, s_now (test) + 60);
            for (size_t index = 0; index < 3; index++) {
                gavel_core_t *core = s_core (test, index);
                uint64_t held = gavel_core_last_index (core) - gavel_core_base (core);
                assert (held <= 2 * 10000 + 10);
                size_t bytes = s_state_bytes (core);
                if (state_at_start == 0)
                    state_at_start = bytes;
                //  Amounts gain digits as they grow: allow for that, no more
                assert (bytes <= state_at_start + state_at_start / 10);
            }
            if (verbose)
                printf ("\n   %" PRId64 " bids: %" PRIu64 " entries held, state %zu bytes", bid,
                        gavel_core_last_index (s_core (test, primary)) - gavel_core_base (s_core (test, primary)),
                        s_state_bytes (s_core (test, primary)));
        }
    }
    s_test_destroy (&test);
    printf ("OK\n");
}

static gavel_msg_t *
s_test_result (uint64_t request_id, uint64_t auction)
{
    gavel_msg_t *result = gavel_msg_new (GAVEL_MSG_RESULT);
    gavel_msg_set_request_id (result, request_id);
    gavel_msg_set_session (result, "reader");
    gavel_msg_set_name (result, "rita");
    gavel_msg_set_auction (result, auction);
    return result;
}

static gavel_msg_t *
s_test_named (gavel_msg_t *request, const char *session, const char *name)
{
    gavel_msg_set_session (request, session);
    gavel_msg_set_name (request, name);
    return request;
}

//  The reply to request_id among those the client got, taken out, or NULL
static gavel_msg_t *
s_reply (s_test_t *test, uint64_t request_id)
{
    for (void *handle = zlistx_first (test->replies)? zlistx_cursor (test->replies): NULL; handle;
         handle = zlistx_next (test->replies)? zlistx_cursor (test->replies): NULL) {
        gavel_msg_t *reply = (gavel_msg_t *) zlistx_handle_item (handle);
        if (gavel_msg_request_id (reply) == request_id)
            return (gavel_msg_t *) zlistx_detach (test->replies, handle);
    }
    return NULL;
}

static size_t
s_elect (s_test_t *test)
{
    int64_t until = s_now (test) + 2000;
    while (s_primary (test) == SIZE_MAX && s_now (test) < until)
        s_run (test, s_now (test) + 1);
    size_t primary = s_primary (test);
    assert (primary != SIZE_MAX);
    return primary;
}

//  Finding 1 of the hardening issue: a read after the deadline must see a
//  bid stamped before it that is in the log but not yet committed, or it
//  names a winner that a later answer contradicts
static void
s_test_read_at_deadline (void)
{
    s_test_t *test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    gavel_msg_t *reply = s_call (test, primary, s_test_open (1, 1000), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    int64_t deadline = s_now (test) + 1000;
    reply = s_call (test, primary, s_test_named (s_test_bid (1, 1, 3122), "w2", "w2"), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    //  Just before the deadline the backups stop hearing: a bid is stamped
    //  in time but cannot commit yet
    s_run (test, deadline - 20);
    size_t a = (primary + 1) % 3, b = (primary + 2) % 3;
    s_down (test, a);
    s_down (test, b);
    gavel_msg_t *bid = s_test_named (s_test_bid (1, 1, 3153), "w1", "w1");
    s_give (test, primary, bid, s_now (test));
    s_settle (test);
    //  After the deadline, a read; then the backups are back
    s_run (test, deadline + 10);
    gavel_msg_t *result = s_test_result (100, 1);
    s_give (test, primary, result, s_now (test));
    s_settle (test);
    s_up (test, a);
    s_up (test, b);
    s_run (test, s_now (test) + 100);
    gavel_msg_t *read = s_reply (test, 100);
    gavel_msg_t *won = s_reply (test, 1);
    assert (read && won);
    //  The bid stamped in time won, and the read that says closed says so
    assert (gavel_msg_outcome (won) == GAVEL_SUCCESS);
    assert (strstr (gavel_msg_record (read, 0), "state=closed winner=w1 amount=3153"));
    gavel_msg_destroy (&read);
    gavel_msg_destroy (&won);
    //  A bid that can only fail, answered unlogged, says the same
    uint64_t last = gavel_core_last_index (s_core (test, primary));
    reply = s_call (test, primary, s_test_named (s_test_bid (2, 1, 3000), "w2", "w2"), s_now (test) + 100);
    assert (streq (gavel_msg_reason (reply), "closed"));
    assert (strstr (gavel_msg_record (reply, 0), "winner=w1 amount=3153"));
    gavel_msg_destroy (&reply);
    assert (gavel_core_last_index (s_core (test, primary)) == last);
    s_test_destroy (&test);
}

//  Finding 2: a primary that loses its quorum in the loop turn in which it
//  appended requests still stores them, so its log never runs ahead of its
//  disk, and when elected again it appends after what it stored
static void
s_test_step_down_mid_turn (void)
{
    s_test_t *test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    gavel_msg_t *reply = s_call (test, primary, s_test_open (1, 600000), s_now (test) + 10);
    gavel_msg_destroy (&reply);
    size_t a = (primary + 1) % 3, b = (primary + 2) % 3;
    s_down (test, a);
    s_down (test, b);
    //  One turn 300 ms on: requests read, then the tick finds no quorum,
    //  then flush. The primary is stopped until then, so that no tick of
    //  its own comes first.
    gavel_fixture_pause (test->world, primary, TEST_DOWN);
    s_run (test, s_now (test) + 300);
    gavel_core_t *core = s_core (test, primary);
    for (uint64_t request = 2; request < 5; request++) {
        gavel_msg_t *bid = s_test_bid (request, 1, (int64_t) request * 10);
        s_give (test, primary, bid, s_now (test));
    }
    gavel_core_tick (core, s_now (test));
    assert (gavel_core_role (core) == GAVEL_ROLE_BACKUP);
    gavel_fixture_resume (test->world, primary);
    s_settle (test);
    assert (gavel_fixture_stored_last (test->world, primary) == gavel_core_last_index (core));
    //  It has the longest log, so the others elect it again; it appends on
    s_up (test, a);
    s_up (test, b);
    primary = s_elect (test);
    gavel_msg_t *bid = s_test_bid (9, 1, 900);
    s_give (test, primary, bid, s_now (test));
    s_run (test, s_now (test) + 100);
    reply = s_reply (test, 9);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    s_test_destroy (&test);
}

//  Refusals, replays and reads cost no log entry
static void
s_test_unlogged (void)
{
    s_test_t *test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    gavel_core_t *core = s_core (test, primary);
    gavel_msg_t *reply = s_call (test, primary, s_test_open (1, 600000), s_now (test) + 10);
    gavel_msg_destroy (&reply);
    reply = s_call (test, primary, s_test_bid (2, 1, 100), s_now (test) + 10);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    uint64_t last = gavel_core_last_index (core);
    //  A first, failing bid under a new name; a name another key holds; a
    //  retry of a bid that succeeded: none is logged
    reply = s_call (test, primary, s_test_named (s_test_bid (1, 1, 50), "s-dan", "dan"), s_now (test) + 100);
    assert (streq (gavel_msg_reason (reply), "too-low"));
    gavel_msg_destroy (&reply);
    gavel_msg_t *bid = s_test_named (s_test_bid (1, 1, 500), "s-eve", "alice");
    gavel_msg_set_key (bid, "eve-key");
    reply = s_call (test, primary, bid, s_now (test) + 100);
    assert (streq (gavel_msg_reason (reply), "name-taken"));
    gavel_msg_destroy (&reply);
    reply = s_call (test, primary, s_test_bid (2, 1, 100), s_now (test) + 100);
    assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    assert (gavel_core_last_index (core) == last);
    //  A bid on no auction is logged: the auction may be opened before a
    //  retry of the same request id arrives, which must not succeed then
    reply = s_call (test, primary, s_test_bid (3, 7, 100), s_now (test) + 1000);
    assert (streq (gavel_msg_reason (reply), "unknown-auction"));
    gavel_msg_destroy (&reply);
    assert (gavel_core_last_index (core) == last + 1);
    s_test_destroy (&test);
}

//  A resend that arrives while the first copy waits for a majority (a
//  client that timed out while the backups were slow) joins that entry:
//  one entry in the log, and both copies answered with its outcome
static void
s_test_resend_in_flight (void)
{
    s_test_t *test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    gavel_core_t *core = s_core (test, primary);
    gavel_msg_t *reply = s_call (test, primary, s_test_open (1, 600000), s_now (test) + 10);
    gavel_msg_destroy (&reply);
    size_t a = (primary + 1) % 3, b = (primary + 2) % 3;
    s_down (test, a);
    s_down (test, b);
    uint64_t last = gavel_core_last_index (core);
    for (size_t copy = 0; copy < 3; copy++) {
        gavel_msg_t *bid = s_test_bid (2, 1, 100);
        s_give (test, primary, bid, s_now (test) + (int64_t) copy);
    }
    assert (gavel_core_last_index (core) == last + 1);
    //  The next request id of the same session is a new entry
    gavel_msg_t *bid = s_test_bid (3, 1, 200);
    s_give (test, primary, bid, s_now (test) + 3);
    assert (gavel_core_last_index (core) == last + 2);
    s_settle (test);
    assert (zlistx_size (test->replies) == 0);
    s_up (test, a);
    s_up (test, b);
    s_run (test, s_now (test) + 200);
    size_t answered [4] = { 0 };
    while ((reply = (gavel_msg_t *) zlistx_detach (test->replies, NULL))) {
        assert (gavel_msg_outcome (reply) == GAVEL_SUCCESS);
        uint64_t request_id = gavel_msg_request_id (reply);
        assert (request_id == 2 || request_id == 3);
        answered [request_id]++;
        gavel_msg_destroy (&reply);
    }
    assert (answered [2] == 3 && answered [3] == 1);
    assert (gavel_core_applied (core) == last + 2);
    s_test_destroy (&test);
}

//  Deliver one crafted peer message; the core must refuse or survive it
static void
s_test_inject (gavel_core_t *core, gavel_msg_t *msg, int64_t now)
{
    gavel_core_receive (core, &msg, now);
    gavel_core_flush (core, now);       //  the loop turn's end, as in the shell
    gavel_action_t *action;
    while ((action = gavel_core_next_action (core)))
        gavel_action_destroy (&action);
}

static gavel_msg_t *
s_test_peer (gavel_msg_id_t id, uint64_t from, uint64_t term)
{
    gavel_msg_t *msg = gavel_msg_new (id);
    gavel_msg_set_from (msg, from);
    gavel_msg_set_term (msg, term);
    return msg;
}

static gavel_msg_t *
s_test_entry (uint64_t index, uint64_t term, int64_t stamp)
{
    gavel_msg_t *entry = gavel_msg_new (GAVEL_MSG_NOOP);
    gavel_msg_set_from (entry, 1);
    gavel_msg_set_index (entry, index);
    gavel_msg_set_term (entry, term);
    gavel_msg_set_stamp (entry, stamp);
    return entry;
}

//  Finding 3: messages no honest replica sends are refused, never fatal
static void
s_test_hostile_peer (void)
{
    s_test_t *test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    for (uint64_t request = 1; request <= 5; request++) {
        gavel_msg_t *reply = s_call (test, primary, request == 1? s_test_open (1, 600000)
                                                      : s_test_bid (request, 1, (int64_t) request),
                                         s_now (test) + 10);
        gavel_msg_destroy (&reply);
    }
    s_run (test, s_now (test) + 60);
    size_t backup = (primary + 1) % 3;
    gavel_core_t *core = s_core (test, backup);
    uint64_t from = primary + 1;
    uint64_t term = gavel_core_term (core);
    uint64_t last = gavel_core_last_index (core);
    uint64_t commit = gavel_core_commit (core);
    assert (commit == last && last >= 6);

    //  A term that would wrap, and one far ahead
    gavel_msg_t *msg = s_test_peer (GAVEL_MSG_HB, from, UINT64_MAX);
    s_test_inject (core, msg, s_now (test));
    msg = s_test_peer (GAVEL_MSG_COORDINATOR, from, term + GAVEL_CORE_TERM_LEAP + 1);
    s_test_inject (core, msg, s_now (test));
    assert (gavel_core_term (core) == term);
    //  A snapshot at the last index there is, and one with no state
    msg = s_test_peer (GAVEL_MSG_SNAPSHOT, from, term);
    gavel_msg_set_index (msg, UINT64_MAX);
    zmsg_t *state = gavel_auction_save (gavel_core_auction (core));
    gavel_msg_set_payload (msg, &state);
    s_test_inject (core, msg, s_now (test));
    msg = s_test_peer (GAVEL_MSG_SNAPSHOT, from, term);
    gavel_msg_set_index (msg, last + 10);
    s_test_inject (core, msg, s_now (test));
    assert (gavel_core_last_index (core) == last && gavel_core_commit (core) == commit);
    //  Entries that do not start right after prev_index, that leave a gap,
    //  and one that contradicts a committed entry
    msg = s_test_peer (GAVEL_MSG_LOG, from, term);
    gavel_msg_set_prev_index (msg, last);
    gavel_msg_set_prev_term (msg, term);
    gavel_msg_t *entry = s_test_entry (last - 2, term, TEST_T0);
    gavel_msg_add_entry (msg, &entry);
    s_test_inject (core, msg, s_now (test));
    msg = s_test_peer (GAVEL_MSG_LOG, from, term);
    gavel_msg_set_prev_index (msg, last);
    gavel_msg_set_prev_term (msg, term);
    entry = s_test_entry (last + 1, term, TEST_T0);
    gavel_msg_add_entry (msg, &entry);
    entry = s_test_entry (last + 3, term, TEST_T0);
    gavel_msg_add_entry (msg, &entry);
    s_test_inject (core, msg, s_now (test));
    msg = s_test_peer (GAVEL_MSG_ENTRIES, from, term);
    gavel_msg_set_prev_index (msg, commit - 2);
    gavel_msg_set_prev_term (msg, term);
    entry = s_test_entry (commit - 1, term + 1, TEST_T0);
    gavel_msg_add_entry (msg, &entry);
    s_test_inject (core, msg, s_now (test));
    //  A stamp that would overflow a deadline
    msg = s_test_peer (GAVEL_MSG_LOG, from, term);
    gavel_msg_set_prev_index (msg, last);
    gavel_msg_set_prev_term (msg, term);
    entry = s_test_entry (last + 1, term, INT64_MAX - 5);
    gavel_msg_add_entry (msg, &entry);
    s_test_inject (core, msg, s_now (test));
    assert (gavel_core_last_index (core) == last && gavel_core_commit (core) == commit);
    assert (gavel_core_term (core) == term);

    //  FETCH from entry 0 at a primary that has no snapshot: from entry 1
    msg = s_test_peer (GAVEL_MSG_FETCH, backup + 1, term);
    gavel_msg_set_index (msg, 0);
    gavel_core_receive (s_core (test, primary), &msg, s_now (test));
    s_settle (test);
    assert (gavel_core_role (s_core (test, primary)) == GAVEL_ROLE_PRIMARY);

    //  The cluster still commits
    gavel_msg_t *reply = s_call (test, primary, s_test_bid (9, 1, 900), s_now (test) + 100);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    s_test_destroy (&test);
}

//  Drain the outbox; the index of the last ACK in it, or UINT64_MAX
static uint64_t
s_test_acked (gavel_core_t *core)
{
    uint64_t acked = UINT64_MAX;
    gavel_action_t *action;
    while ((action = gavel_core_next_action (core))) {
        if (action->kind == GAVEL_ACTION_ACK)
            acked = gavel_msg_index (action->msg);
        gavel_action_destroy (&action);
    }
    return acked;
}

static uint64_t
s_test_receive_acked (gavel_core_t *core, gavel_msg_t *msg, int64_t now)
{
    gavel_core_receive (core, &msg, now);
    gavel_core_flush (core, now);       //  the loop turn's end, as in the shell
    return s_test_acked (core);
}

//  The persisted event: an entry counts towards a commit only once the
//  shell reported it durable, on the primary as on the backups
static void
s_test_persisted (void)
{
    //  Alone: the write waits for its own disk, however long
    s_test_t *test = s_test_new (1, 0);
    s_settle (test);
    s_hold (test, 0);
    gavel_core_t *core = s_core (test, 0);
    uint64_t commit = gavel_core_commit (core);
    gavel_msg_t *reply = s_call (test, 0, s_test_open (1, 600000), s_now (test) + 200);
    assert (!reply);
    assert (gavel_core_commit (core) == commit);
    assert (gavel_core_durable (core) < gavel_core_last_index (core));
    s_report (test, 0);
    reply = s_reply (test, 1);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    assert (gavel_core_durable (core) == gavel_core_last_index (core));
    s_test_destroy (&test);

    //  Three: backups ack only what their disk reported
    test = s_test_new (3, 0);
    size_t primary = s_elect (test);
    size_t a = (primary + 1) % 3, b = (primary + 2) % 3;
    reply = s_call (test, primary, s_test_open (1, 600000), s_now (test) + 10);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    core = s_core (test, primary);
    s_hold (test, a);
    s_hold (test, b);
    commit = gavel_core_commit (core);
    reply = s_call (test, primary, s_test_bid (2, 1, 100), s_now (test) + 200);
    assert (!reply);
    assert (gavel_core_commit (core) == commit);
    assert (gavel_fixture_stored_last (test->world, a) == gavel_core_last_index (core));     //  written, not reported
    s_report (test, a);
    reply = s_reply (test, 2);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    assert (gavel_core_commit (core) > commit);
    s_report (test, b);

    //  The primary counts itself only up to its own disk's report: with
    //  one backup's disk late too, the other backup alone is no majority
    s_hold (test, primary);
    s_hold (test, a);
    commit = gavel_core_commit (core);
    reply = s_call (test, primary, s_test_bid (3, 1, 200), s_now (test) + 200);
    assert (!reply);
    assert (gavel_core_commit (core) == commit);
    s_report (test, primary);
    reply = s_reply (test, 3);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    s_report (test, a);
    s_test_destroy (&test);

    //  A late report about entries since cut and replaced: the save that
    //  cut them, not yet reported, keeps them from counting
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, 1, 3);
    core = gavel_core_new (&settings);
    gavel_core_tick (core, TEST_T0);
    gavel_msg_t *log = s_test_peer (GAVEL_MSG_LOG, 3, 1);
    for (uint64_t index = 1; index <= 3; index++) {
        gavel_msg_t *entry = s_test_entry (index, 1, TEST_T0);
        gavel_msg_add_entry (log, &entry);
    }
    //  Nothing durable yet: no ACK (one would say nothing new)
    uint64_t acked = s_test_receive_acked (core, log, TEST_T0 + 1);
    assert (acked == UINT64_MAX);
    log = s_test_peer (GAVEL_MSG_LOG, 2, 2);
    gavel_msg_set_prev_index (log, 1);
    gavel_msg_set_prev_term (log, 1);
    for (uint64_t index = 2; index <= 3; index++) {
        gavel_msg_t *entry = s_test_entry (index, 2, TEST_T0);
        gavel_msg_add_entry (log, &entry);
    }
    acked = s_test_receive_acked (core, log, TEST_T0 + 2);
    assert (acked == UINT64_MAX);
    assert (gavel_core_last_index (core) == 3 && gavel_core_durable (core) == 0);
    //  Entries 1..3 of term 1 are on disk, but the cut at 1 comes next
    gavel_core_persisted (core, 3, 1, TEST_T0 + 3);
    assert (gavel_core_durable (core) == 1);
    assert (s_test_acked (core) == 1);
    //  The same report again, or one about an entry never saved: ignored
    gavel_core_persisted (core, 3, 1, TEST_T0 + 4);
    gavel_core_persisted (core, 2, 2, TEST_T0 + 4);
    assert (gavel_core_durable (core) == 1);
    assert (s_test_acked (core) == UINT64_MAX);
    gavel_core_persisted (core, 3, 2, TEST_T0 + 5);
    assert (gavel_core_durable (core) == 3);
    assert (s_test_acked (core) == 3);
    gavel_core_destroy (&core);
}

//  Finding 5: with a round trip above the election time-out (210 ms each
//  way against E = 250 ms), a primary is still elected, stays in office and
//  commits
static void
s_test_slow_link (void)
{
    //  With the replica's own default commit time-out, 400 ms, below this
    //  round trip: a request's wait must stretch with the round trip too
    s_test_request_timeout = 400;
    s_test_t *test = s_test_new (3, 210);
    s_test_request_timeout = 1000;
    s_run (test, TEST_T0 + 10000);
    size_t primary = s_primary (test);
    assert (primary != SIZE_MAX);
    uint64_t term = gavel_core_term (s_core (test, primary));
    assert (term <= 5);
    gavel_msg_t *bid = s_test_open (1, 60000);
    s_give (test, primary, bid, s_now (test));
    s_run (test, s_now (test) + 20000);
    gavel_msg_t *reply = s_reply (test, 1);
    assert (reply && gavel_msg_outcome (reply) == GAVEL_SUCCESS);
    gavel_msg_destroy (&reply);
    //  Twenty seconds on, the same primary in the same term
    assert (s_primary (test) == primary);
    assert (gavel_core_term (s_core (test, primary)) == term);
    s_test_destroy (&test);
}

//  A backup takes the LOGs of one loop turn with one save and one ACK. A LOG
//  from a newer primary that cuts what the same turn stored has that saved
//  first: each save follows on from what the store holds, as gavel_store
//  requires. Returns the saves and ACKs of the turn's flush.
static void
s_test_batch_turn (gavel_core_t *core, gavel_msg_t **logs, size_t count, int64_t now,
                   uint64_t *stored, size_t *saves, size_t *acks)
{
    for (size_t index = 0; index < count; index++)
        gavel_core_receive (core, &logs [index], now);
    gavel_core_flush (core, now);
    *saves = *acks = 0;
    gavel_action_t *action;
    while ((action = gavel_core_next_action (core))) {
        if (action->kind == GAVEL_ACTION_SAVE_ENTRIES) {
            (*saves)++;
            uint64_t prev = gavel_msg_prev_index (action->msg);
            assert (prev <= *stored);
            *stored = prev;
            for (gavel_msg_t *entry = gavel_msg_first_entry (action->msg); entry;
                 entry = gavel_msg_next_entry (action->msg))
                assert (gavel_msg_index (entry) == ++*stored);
            gavel_core_persisted (core, action->index, action->term, now);
        }
        if (action->kind == GAVEL_ACTION_ACK)
            (*acks)++;
        gavel_action_destroy (&action);
    }
}

static gavel_msg_t *
s_test_log (uint64_t from, uint64_t term, uint64_t prev_index, uint64_t prev_term,
            uint64_t first, uint64_t last)
{
    gavel_msg_t *log = s_test_peer (GAVEL_MSG_LOG, from, term);
    gavel_msg_set_prev_index (log, prev_index);
    gavel_msg_set_prev_term (log, prev_term);
    for (uint64_t index = first; index <= last; index++) {
        gavel_msg_t *entry = s_test_entry (index, term, TEST_T0);
        gavel_msg_add_entry (log, &entry);
    }
    return log;
}

static void
s_test_backup_batch (void)
{
    gavel_core_settings_t settings;
    gavel_core_settings_default (&settings, 1, 3);
    gavel_core_t *core = gavel_core_new (&settings);
    gavel_core_tick (core, TEST_T0);
    uint64_t stored = 0;
    size_t saves, acks;
    //  Three LOGs of primary 3 in one turn: one save, one ACK
    gavel_msg_t *logs [3] = {
        s_test_log (3, 1, 0, 0, 1, 2), s_test_log (3, 1, 2, 1, 3, 3), s_test_log (3, 1, 3, 1, 4, 5)
    };
    s_test_batch_turn (core, logs, 3, TEST_T0 + 1, &stored, &saves, &acks);
    assert (saves == 1 && acks == 1 && stored == 5);
    assert (gavel_core_durable (core) == 5);
    //  Primary 3's entry 6, then primary 2 of term 2 replacing 4..6 in the
    //  same turn: the first is saved before the cut, then the new ones
    gavel_msg_t *cut [2] = { s_test_log (3, 1, 5, 1, 6, 6), s_test_log (2, 2, 3, 1, 4, 5) };
    s_test_batch_turn (core, cut, 2, TEST_T0 + 2, &stored, &saves, &acks);
    assert (saves == 2 && acks == 1 && stored == 5);
    assert (gavel_core_last_index (core) == 5 && gavel_core_durable (core) == 5);
    assert (gavel_msg_term (gavel_core_entry (core, 5)) == 2);
    gavel_core_destroy (&core);
}

void
gavel_core_test (bool verbose)
{
    printf (" * gavel_core: ");
    s_test_slow_link ();
    s_test_read_at_deadline ();
    s_test_step_down_mid_turn ();
    s_test_unlogged ();
    s_test_resend_in_flight ();
    s_test_hostile_peer ();
    s_test_alone ();
    s_test_persisted ();
    s_test_backup_batch ();
    s_test_failover ();
    s_test_lost_primary ();
    s_test_snapshot (80, 20);
    //  The durability issue's case: down for 100,000 entries
    s_test_snapshot (100000, 10000);
    printf ("OK\n");
}
