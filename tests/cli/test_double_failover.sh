#!/usr/bin/env bash
#   Five replicas survive two crashes: the primary is killed, bidding
#   resumes under a new one, which is killed in turn, and bidding resumes
#   again under a third. Every bid is answered and the state holds exactly
#   the acknowledged bids.
source "$(dirname "$0")/lib.sh"
up 5 --fsync always
open_auction piano 5m
auction=$AUCTION

names=(ann ben cid dot)
for index in 0 1 2 3; do
    bid_script "$auction" $((11 + index)) 10 150 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done

#   kill_and_resume: kill the primary, wait for a new one, and see a bid
#   acknowledged after the crash
kill_and_resume () {
    local primary
    primary=$(primary_id)
    [ -n "$primary" ] || { fail "no primary to kill: $(cluster_state | tr '\n' ';')"; exit 1; }
    local_cmd kill "$primary" || fail "gavel-local kill $primary: $(tail -3 "$WORK/local.out")"
    wait_primary 10 "$primary"
    echo "killed replica $primary; replica $PRIMARY took over" >>"$WORK/notes.txt"
    probe "$auction"
}

wait_each 10 20 "${names[@]}"
kill_and_resume
kill_and_resume

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 600 ] \
    || fail "expected 600 answers, got $(answers "${names[@]}")"
check_auction "$auction" "${names[@]}" probe
wait_agree 5
[ "$(cluster_state | grep -c -v ' down ')" -eq 3 ] \
    || fail "expected 3 replicas running: $(cluster_state | tr '\n' ';')"
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
