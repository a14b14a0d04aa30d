/*  gavel-lincheck: is a recorded history of bidder requests linearizable?

    Bidders run with --history FILE append one line per OPEN, BID and RESULT
    when it completes (several bidders may share a file):

        INVOKE_US COMPLETE_US SESSION NAME OP AUCTION AMOUNT OUTCOME REASON RECORD...

    INVOKE_US and COMPLETE_US are zclock_usecs (), CLOCK_MONOTONIC, so lines
    from processes on one machine compare; they bracket the request, retries
    included. OP is open, bid or result (list lines are skipped). AUCTION is
    the id asked for (for open: the id in the reply, 0 when none). AMOUNT is
    the bid's amount, the reserve for open, 0 for result. OUTCOME is success,
    fail, exception or none (no answer after every retry; a final redirect
    counts the same); REASON a word or '-'; RECORD the reply's record as is,
    or '-'.

    The question: is there one total order of the operations that keeps real
    time (A before B when A completed before B was invoked) and is a run of
    the sequential model? Linearizability is compositional, so each auction
    is checked alone. Its model is (open or closed, highest, bidder) with the
    reserve its open gave. Closing is an operation of its own, the deadline:
    bids that succeed, fail too-low or below-reserve, and results that show
    the auction open come before it; results that show it closed and bids
    that fail closed come after it. When it happened is bounded by the
    replies: each closes_in=C (the open's, a successful bid's, an open
    result's) was computed at some instant of its operation's interval
    [invoke, complete], so the deadline passed between invoke + C ms and
    complete + C ms in the history's clock (C was rounded down to the ms:
    one more ms below). The deadline's interval is the intersection of
    those, widened each way by 10 ms (replicas on one host: each adds to the
    monotonic clock an offset read at start, a few ms off on a busy host)
    and by --skew-ms (clock faults: the bounded skew of docs/CORRECTNESS.md). Replies whose intervals do not
    meet are a violation by themselves; with none, the deadline may pass at
    any time, or never. A bid with no answer, or an exception other than
    the no-effect ones, may have taken effect at any point after its
    invocation, or never: it has no completion to wait for. An open is taken
    to come before everything that names its auction; across auctions, ids
    must follow the order of opens.

    The search is Wing & Gong's with Lowe's just-in-time linearization, as in
    Knossos and Porcupine: the calls and returns in time order form a linked
    list; the search tries, in turn, each call before the first return still
    in the list as the next operation, lifts it out when the model takes it,
    and backtracks on reaching a return. (Set of operations ordered, model
    state) pairs already seen are not searched again. Two facts of this
    model keep the search near linear, also when it must fail: an op that
    leaves the state as it is and fits now is ordered now, with no choice
    (s_forced), and bids that may never have happened stay out of the set
    (s_flip).

    Exit status: 0 when every auction is linearizable, 1 when one is not,
    2 for bad input or usage, 3 when the search gave up (too many states).
*/
#include "gavel_cli.h"
#include "lincheck_check.h"
#include "lincheck_history.h"

static const char *s_synopsis =
    "usage: gavel-lincheck [--skew-ms N] [--verbose] HISTORY...\n"
    "       gavel-lincheck --selftest [--verbose]\n";

static const char *s_about =
    "Checks histories written by bidder --history for linearizability,\n"
    "auction by auction.\n";

static const char *s_notes =
    "Exit status: 0 linearizable, 1 not, 2 bad input or usage error, 3 gave up.\n";

//  --------------------------------------------------------------------------

int
main (int argc, char *argv [])
{
    bool verbose = false, selftest = false;
    int64_t skew_ms = 0;
    gavel_cli_list_t files = { .count = 0 };
    const gavel_cli_option_t options [] = {
        { "skew-ms", 0, GAVEL_CLI_INT, &skew_ms, "N", 0, SKEW_MS_MAX,
          "replicas' clocks may differ from the history's by N ms:\n"
          "each deadline may move by that much (default 0)" },
        { "selftest", 0, GAVEL_CLI_FLAG, &selftest, NULL, 0, 0, "check the checker" },
        { "verbose", 'v', GAVEL_CLI_FLAG, &verbose, NULL, 0, 0, "say how each auction was checked" },
        { 0 }
    };
    const gavel_cli_spec_t spec = { "gavel-lincheck", s_synopsis, s_about, s_notes, options, &files };
    int parsed = gavel_cli_parse (&spec, argc, argv);
    if (parsed)
        return parsed == 1? EXIT_SUCCESS: EXIT_BAD_INPUT;
    if (selftest) {
        lincheck_selftest (verbose);
        return EXIT_SUCCESS;
    }
    if (files.count == 0) {
        gavel_cli_usage_error ("gavel-lincheck", s_synopsis, "no history given");
        return EXIT_BAD_INPUT;
    }
    history_t *history = lincheck_history_new ();
    int status = EXIT_SUCCESS;
    for (size_t index = 0; index < files.count && status == EXIT_SUCCESS; index++)
        if (lincheck_history_load (history, files.items [index]))
            status = EXIT_BAD_INPUT;
    if (status == EXIT_SUCCESS)
        status = lincheck_check (history, stdout, verbose, skew_ms);
    lincheck_history_destroy (&history);
    return status;
}

