/*  lincheck_selftest: histories made up to show that the checker finds
    what it must and passes what it must.
*/
#include "lincheck_check.h"
#include "lincheck_history.h"
//  --------------------------------------------------------------------------
//  Self test

//  The cases of s_test_cases but the deadline ones happen within a few us,
//  well inside the clocks' slack of their deadline, which may therefore
//  pass at any point: they test the rest of the model
#define OPEN_1  "0 1 s0 carol open 1 100 success - auction=1 closes_in=1"

//  Checks the lines as one history; returns the exit status.
static int
s_check_lines_skewed (const char **lines, bool verbose, int64_t skew_ms)
{
    history_t *history = lincheck_history_new ();
    for (size_t index = 0; lines [index]; index++) {
        char error [256];
        int rc = lincheck_history_add (history, lines [index], "selftest", index + 1,
                                error, sizeof (error));
        if (rc)
            fprintf (stderr, "selftest:%zu: %s\n", index + 1, error);
        assert (rc == 0);
    }
    int status = lincheck_check (history, verbose? stdout: NULL, verbose, skew_ms);
    lincheck_history_destroy (&history);
    return status;
}

static int
s_check_lines (const char **lines, bool verbose)
{
    return s_check_lines_skewed (lines, verbose, 0);
}

static void
s_test_parse (bool verbose)
{
    history_t *history = lincheck_history_new ();
    char error [256];
    const char *bad [] = {
        "10 20 s1 alice bid 1 150 success -",
        "10 x s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "20 10 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice bid 0 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice buy 1 150 success - auction=1 amount=150 closes_in=1",
        "10 20 s1 alice bid 1 150 maybe - -",
        "10 20 s1 al/ce bid 1 150 success - -",
        "10 20 s1 alice bid 1 -5 success - -",
        NULL
    };
    for (size_t index = 0; bad [index]; index++) {
        assert (lincheck_history_add (history, bad [index], "t", 1, error, sizeof (error)) == -1);
        if (verbose)
            printf ("  bad line %zu: %s\n", index + 1, error);
    }
    assert (history->count == 0);
    assert (lincheck_history_add (history, "", "t", 1, error, sizeof (error)) == 0);
    assert (lincheck_history_add (history, "# a comment", "t", 1, error, sizeof (error)) == 0);
    assert (lincheck_history_add (history, "1 2 s1 alice list 0 0 success - -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->count == 0);
    assert (lincheck_history_add (history, "1 2 s1 alice bid 3 7 fail too-low auction=3 highest=9 "
                           "bidder=bob", "t", 1, error, sizeof (error)) == 0);
    op_t *op = &history->ops [0];
    assert (op->seen == SEEN_TOO_LOW && op->shown_amount == 9 && op->auction == 3);
    assert (streq (lincheck_history_name (history, op->shown_name), "bob") && !op->problem);
    assert (lincheck_history_add (history, "1 2 s1 alice bid 3 7 exception no-quorum -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->ops [1].seen == SEEN_MAYBE);
    assert (lincheck_history_add (history, "1 2 s1 alice bid 3 7 exception stale-request -", "t", 1,
                           error, sizeof (error)) == 0);
    assert (history->ops [2].seen == SEEN_NOTHING);
    lincheck_history_destroy (&history);
}

static void
s_test_cases (bool verbose)
{
    //  A sequential history: every kind of reply, in order
    const char *sequential [] = {
        OPEN_1,
        "5 6 s3 dave result 1 0 success - auction=1 state=open highest=0 bidder=none closes_in=1",
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "21 22 s1 alice list 0 0 success - auction=1 item=vase state=open",
        "30 40 s2 bob bid 1 140 fail too-low auction=1 highest=150 bidder=alice",
        "50 60 s2 bob bid 1 50 fail below-reserve auction=1 reserve=100",
        "61 62 s2 bob bid 1 50 exception malformed -",
        "63 64 s2 bob bid 9 50 exception unknown-auction -",
        "70 80 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "90 100 s1 alice result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "110 120 s1 alice bid 1 300 fail closed auction=1 winner=bob amount=200",
        "130 140 s2 bob result 1 0 success - auction=1 state=closed winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (sequential, verbose) == EXIT_SUCCESS);

    //  Overlapping bids that only fit in an order other than invocation's:
    //  alice's 150 before dave's too-low at 150, both before bob's 200
    const char *concurrent [] = {
        OPEN_1,
        "10 60 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "15 55 s3 dave bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        "20 50 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "70 80 s1 alice result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        NULL
    };
    assert (s_check_lines (concurrent, verbose) == EXIT_SUCCESS);

    //  A stale read: the too-low shows 150 after the 200 completed
    const char *stale [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "50 60 s3 dave bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (stale, verbose) == EXIT_VIOLATION);

    //  Reads that go back: one saw 200, a later one 150
    const char *backwards [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 100 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "40 50 s3 dave result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "60 70 s4 erin result 1 0 success - auction=1 state=open highest=150 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (backwards, verbose) == EXIT_VIOLATION);

    //  Two successes, the later one lower
    const char *lower [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 200 success - auction=1 amount=200 closes_in=1",
        "30 40 s2 bob bid 1 150 success - auction=1 amount=150 closes_in=1",
        NULL
    };
    assert (s_check_lines (lower, verbose) == EXIT_VIOLATION);

    //  A lost success: 200 completed, a later result shows 150
    const char *lost [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=150 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (lost, verbose) == EXIT_VIOLATION);

    //  Unanswered bids: bob's explains the first result, erin's took effect
    //  only after her client gave up, between the two results
    const char *maybe [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 none no-answer -",
        "31 41 s5 erin bid 1 300 exception no-quorum -",
        "32 42 s6 fred bid 1 400 none no-answer -",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=200 bidder=bob closes_in=1",
        "70 80 s3 dave result 1 0 success - auction=1 state=open highest=300 bidder=erin closes_in=1",
        NULL
    };
    assert (s_check_lines (maybe, verbose) == EXIT_SUCCESS);

    //  A result nothing explains, even with an unanswered bid around
    const char *unexplained [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s2 bob bid 1 200 none no-answer -",
        "50 60 s3 dave result 1 0 success - auction=1 state=open highest=250 bidder=bob closes_in=1",
        NULL
    };
    assert (s_check_lines (unexplained, verbose) == EXIT_VIOLATION);

    //  Closed, then a success
    const char *reopened [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 fail closed auction=1 winner=none amount=0",
        "30 40 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        NULL
    };
    assert (s_check_lines (reopened, verbose) == EXIT_VIOLATION);

    //  A close overlapping a success is fine either way round
    const char *closing [] = {
        OPEN_1,
        "10 40 s1 alice bid 1 150 fail closed auction=1 winner=bob amount=200",
        "20 30 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=1",
        NULL
    };
    assert (s_check_lines (closing, verbose) == EXIT_SUCCESS);

    //  The auction forgotten after it was opened
    const char *forgotten [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 exception unknown-auction -",
        NULL
    };
    assert (s_check_lines (forgotten, verbose) == EXIT_VIOLATION);

    //  A success showing another amount than was bid
    const char *misreported [] = {
        OPEN_1,
        "10 20 s1 alice bid 1 150 success - auction=1 amount=160 closes_in=1",
        NULL
    };
    assert (s_check_lines (misreported, verbose) == EXIT_VIOLATION);

    //  Auctions are independent; ids follow the order of opens
    const char *two [] = {
        OPEN_1,
        "2 3 s0 carol open 2 0 success - auction=2 closes_in=1",
        "10 20 s1 alice bid 2 50 success - auction=2 amount=50 closes_in=1",
        "10 20 s2 bob bid 1 150 success - auction=1 amount=150 closes_in=1",
        "30 40 s1 alice result 2 0 success - auction=2 state=open highest=50 bidder=alice closes_in=1",
        NULL
    };
    assert (s_check_lines (two, verbose) == EXIT_SUCCESS);
    const char *swapped [] = {
        "0 1 s0 carol open 2 0 success - auction=2 closes_in=60000",
        "2 3 s0 carol open 1 0 success - auction=1 closes_in=60000",
        NULL
    };
    assert (s_check_lines (swapped, verbose) == EXIT_VIOLATION);
}

//  The deadline as an operation of its own. Times are in us; the open says
//  1000 ms are left, so the deadline passes between 989,000 and 1,012,000 us
//  (999,000..1,002,000 with 1 ms of rounding, and 10 ms of slack each way).
#define OPEN_D  "0 2000 s0 carol open 1 100 success - auction=1 closes_in=1000"

static void
s_test_deadlines (bool verbose)
{
    //  Issue 12, finding 1, one second later (times may not be negative): a
    //  bid stamped 79 ms before the deadline commits after a result said
    //  closed, and becomes the winner. The bid must come before the
    //  deadline, the first result after it, showing the bid: no order fits.
    const char *changed_winner [] = {
        "0 2000 s0 carol open 9 100 success - auction=9 closes_in=1100",
        "500000 510000 s2 w2 bid 9 3122 success - auction=9 amount=3122 closes_in=600",
        "1000000 1250200 s1 w1 bid 9 3153 success - auction=9 amount=3153 closes_in=79",
        "985400 1136400 s3 r1 result 9 0 success - auction=9 state=closed winner=w2 amount=3122",
        "1159000 1253100 s3 r1 result 9 0 success - auction=9 state=closed winner=w1 amount=3153",
        NULL
    };
    assert (s_check_lines (changed_winner, verbose) == EXIT_VIOLATION);

    //  Around the deadline, as it should be: a success that overlaps it, a
    //  result just before it, then closed reads and a closed fail showing
    //  the final winner
    const char *around [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "990000 1010000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=5",
        "995000 999000 s3 dave result 1 0 success - auction=1 state=open highest=150 "
            "bidder=alice closes_in=4",
        "996000 1003000 s4 erin bid 1 300 fail closed auction=1 winner=bob amount=200",
        "1020000 1030000 s3 dave result 1 0 success - auction=1 state=closed winner=bob amount=200",
        "1040000 1050000 s4 erin bid 1 300 fail closed auction=1 winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (around, verbose) == EXIT_SUCCESS);

    //  Closed half a second before the deadline could have passed
    const char *closed_early [] = {
        OPEN_D,
        "500000 510000 s1 alice bid 1 150 fail closed auction=1 winner=none amount=0",
        NULL
    };
    assert (s_check_lines (closed_early, verbose) == EXIT_VIOLATION);
    const char *read_closed_early [] = {
        OPEN_D,
        "500000 510000 s1 alice result 1 0 success - auction=1 state=closed winner=none amount=0",
        NULL
    };
    assert (s_check_lines (read_closed_early, verbose) == EXIT_VIOLATION);

    //  A bid sent 88 ms after the latest the deadline could pass fails
    //  too-low: it should have failed closed. The model without a deadline
    //  of its own took it (nothing said closed, so it never closed). With
    //  100 ms of clock skew allowed, the deadline may be that late.
    const char *too_low_late [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "1100000 1110000 s2 bob bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (too_low_late, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (too_low_late, verbose, 100) == EXIT_SUCCESS);
    assert (s_check_lines_skewed (too_low_late, verbose, 80) == EXIT_VIOLATION);

    //  So is a result that says open then
    const char *open_late [] = {
        OPEN_D,
        "1100000 1110000 s2 bob result 1 0 success - auction=1 state=open highest=0 "
            "bidder=none closes_in=1",
        NULL
    };
    assert (s_check_lines (open_late, verbose) == EXIT_VIOLATION);

    //  And a bid that succeeds after the deadline, whatever closes_in says:
    //  here the open and the bid put the deadline in intervals that do not meet
    const char *success_late [] = {
        OPEN_D,
        "1100000 1110000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=50",
        NULL
    };
    assert (s_check_lines (success_late, verbose) == EXIT_VIOLATION);

    //  Near the deadline: a too-low invoked 1 ms after the latest the
    //  deadline could pass, and a closed fail answered 1 ms before the
    //  earliest. Neither fits; with 2 ms of skew allowed, both do.
    const char *too_low_just_late [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "1013000 1014000 s2 bob bid 1 120 fail too-low auction=1 highest=150 bidder=alice",
        NULL
    };
    assert (s_check_lines (too_low_just_late, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (too_low_just_late, verbose, 2) == EXIT_SUCCESS);
    const char *closed_just_early [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "900000 988000 s2 bob bid 1 120 fail closed auction=1 winner=alice amount=150",
        NULL
    };
    assert (s_check_lines (closed_just_early, verbose) == EXIT_VIOLATION);
    assert (s_check_lines_skewed (closed_just_early, verbose, 2) == EXIT_SUCCESS);

    //  A too-low answered across the deadline, showing the state before a
    //  success that overlaps it, and a closed read after: erin's bid, bob's,
    //  the deadline, dave's read
    const char *too_low_across [] = {
        OPEN_D,
        "100000 110000 s1 alice bid 1 150 success - auction=1 amount=150 closes_in=895",
        "990000 1010000 s2 bob bid 1 200 success - auction=1 amount=200 closes_in=5",
        "1000000 1008000 s4 erin bid 1 140 fail too-low auction=1 highest=150 bidder=alice",
        "1005000 1006000 s3 dave result 1 0 success - auction=1 state=closed winner=bob amount=200",
        NULL
    };
    assert (s_check_lines (too_low_across, verbose) == EXIT_SUCCESS);
}

//  A random linearizable history: each op takes effect at a random point
//  of its interval, and replies are what the model says at that point.
typedef struct {
    int64_t invoke;
    int64_t complete;
    int64_t effect;
    int client;
    int kind;                   //  0 bid, 1 result, 2 unanswered bid
    int64_t amount;
} gen_op_t;

static int
s_compare_effect (const void *a, const void *b)
{
    const gen_op_t *left = (const gen_op_t *) a, *right = (const gen_op_t *) b;
    return left->effect < right->effect? -1: left->effect > right->effect;
}

static void
s_generate (history_t *history, size_t count, int clients, unsigned seed)
{
    gen_op_t *ops = (gen_op_t *) calloc (count, sizeof (gen_op_t));
    assert (ops);
    int64_t clock [16] = { 0 };
    assert (clients <= 16);
    srandom (seed);
    for (size_t index = 0; index < count; index++) {
        gen_op_t *op = &ops [index];
        op->client = (int) (random () % clients);
        op->invoke = clock [op->client] + 1000 * (10 + random () % 30);
        op->complete = op->invoke + 1000 + random () % 150000;
        op->effect = op->invoke + random () % (op->complete - op->invoke + 1);
        clock [op->client] = op->complete;
        int dice = (int) (random () % 100);
        op->kind = dice < 60? 0: dice < 95? 1: 2;
        op->amount = 80 + op->invoke / 8000 + random () % 60;
    }
    qsort (ops, count, sizeof (gen_op_t), s_compare_effect);
    //  The deadline, and the ms left at an instant, rounded down as a
    //  replica's ms clock does (so rounded up here)
    int64_t close_at = ops [count - 1].effect * 95 / 100;
#define CLOSES_IN(at) ((close_at - (at) + 999) / 1000)
    int64_t highest = 0;
    char bidder [16] = "none";
    char error [256];
    char *opened = zsys_sprintf ("0 1 s0 carol open 1 100 success - auction=1 closes_in=%"
                               PRId64, CLOSES_IN (0));
    assert (opened);
    assert (lincheck_history_add (history, opened, "generated", 0, error, sizeof (error)) == 0);
    free (opened);
    for (size_t index = 0; index < count; index++) {
        gen_op_t *op = &ops [index];
        bool open = op->effect < close_at;
        char reply [128];
        if (op->kind == 1 && open)
            snprintf (reply, sizeof (reply), "success - auction=1 state=open highest=%"
                      PRId64 " bidder=%s closes_in=%" PRId64, highest, bidder,
                      CLOSES_IN (op->effect));
        else
        if (op->kind == 1)
            snprintf (reply, sizeof (reply), "success - auction=1 state=closed winner=%s "
                      "amount=%" PRId64, bidder, highest);
        else
        if (!open)
            snprintf (reply, sizeof (reply), "fail closed auction=1 winner=%s amount=%"
                      PRId64, bidder, highest);
        else
        if (op->amount < 100)
            snprintf (reply, sizeof (reply), "fail below-reserve auction=1 reserve=100");
        else
        if (op->amount <= highest)
            snprintf (reply, sizeof (reply), "fail too-low auction=1 highest=%" PRId64
                      " bidder=%s", highest, bidder);
        else {
            snprintf (reply, sizeof (reply), "success - auction=1 amount=%" PRId64
                      " closes_in=%" PRId64, op->amount, CLOSES_IN (op->effect));
            //  Half the unanswered bids never reached the replica
            if (op->kind == 0 || random () % 2) {
                highest = op->amount;
                snprintf (bidder, sizeof (bidder), "bidder%d", op->client);
            }
        }
        if (op->kind == 2)
            snprintf (reply, sizeof (reply), "none no-answer -");
        char *line = zsys_sprintf ("%" PRId64 " %" PRId64 " s%d bidder%d %s 1 %" PRId64 " %s",
                                   op->invoke, op->complete, op->client, op->client,
                                   op->kind == 1? "result": "bid",
                                   op->kind == 1? 0: op->amount, reply);
        assert (line);
        assert (lincheck_history_add (history, line, "generated", index + 1,
                               error, sizeof (error)) == 0);
        free (line);
    }
    free (ops);
#undef CLOSES_IN
}

static const char *
s_verdict (int status)
{
    return status == EXIT_SUCCESS? "linearizable":
           status == EXIT_VIOLATION? "not linearizable": "undecided";
}

//  Random valid histories must pass, fast; each with one read made stale
//  half way through must fail, also fast, since that means searching the
//  whole first half.
static void
s_test_random (bool verbose)
{
    int64_t valid_time = 0, stale_time = 0, late_time = 0;
    for (unsigned seed = 1; seed <= 4; seed++) {
        history_t *history = lincheck_history_new ();
        s_generate (history, 3000, 8, seed);
        int64_t started = zclock_usecs ();
        int status = lincheck_check (history, verbose? stdout: NULL, verbose, 0);
        valid_time += zclock_usecs () - started;
        if (status != EXIT_SUCCESS)
            printf ("lincheck selftest: seed %u: valid history %s\n", seed, s_verdict (status));
        assert (status == EXIT_SUCCESS);

        for (size_t index = history->count / 2; index < history->count; index++) {
            op_t *op = &history->ops [index];
            if (op->seen == SEEN_OPEN && op->shown_amount > 0) {
                op->shown_amount--;
                break;
            }
        }
        started = zclock_usecs ();
        status = lincheck_check (history, verbose? stdout: NULL, verbose, 0);
        stale_time += zclock_usecs () - started;
        if (status != EXIT_VIOLATION)
            printf ("lincheck selftest: seed %u: stale history %s\n", seed, s_verdict (status));
        assert (status == EXIT_VIOLATION);
        lincheck_history_destroy (&history);

        //  The last bid, which failed closed long after the deadline,
        //  answered too-low with the final state instead: it cannot come
        //  before the deadline, so the whole history must be searched
        history = lincheck_history_new ();
        s_generate (history, 3000, 8, seed);
        for (size_t index = history->count; index-- > 0;) {
            op_t *op = &history->ops [index];
            if (op->kind == OP_BID && op->seen == SEEN_CLOSED) {
                op->seen = SEEN_TOO_LOW;
                op->amount = op->shown_amount;
                break;
            }
        }
        started = zclock_usecs ();
        status = lincheck_check (history, verbose? stdout: NULL, verbose, 0);
        late_time += zclock_usecs () - started;
        if (status != EXIT_VIOLATION)
            printf ("lincheck selftest: seed %u: late history %s\n", seed, s_verdict (status));
        assert (status == EXIT_VIOLATION);
        lincheck_history_destroy (&history);
    }
    printf ("lincheck selftest: 4 random histories of 3000 ops, 8 clients: "
            "linearizable in %.2f s; with a stale read: not, in %.2f s; with a too-low "
            "after the deadline: not, in %.2f s\n",
            valid_time / 1e6, stale_time / 1e6, late_time / 1e6);
    //  A generous bound: slow machines and sanitizers
    assert (valid_time + stale_time + late_time < 10 * 1000 * 1000);
}

void
lincheck_selftest (bool verbose)
{
    s_test_parse (verbose);
    s_test_cases (verbose);
    s_test_deadlines (verbose);
    s_test_random (verbose);
    printf ("lincheck selftest: OK\n");
}


