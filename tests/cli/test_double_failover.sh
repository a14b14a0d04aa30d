#!/usr/bin/env bash
#   Five replicas survive two crashes: the primary is killed, bidding
#   resumes under a new one, which is killed in turn, and bidding resumes
#   again under a third. Every bid is answered and the state holds exactly
#   the acknowledged bids.
source "$(dirname "$0")/lib.sh"
up 5
open_auction piano 5m
auction=$AUCTION

names=(ann ben cid dot)
for index in 0 1 2 3; do
    bid_script "$auction" $((4 + index)) 4 150 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done

#   kill_and_resume: kill the primary, then wait for a bid acknowledged
#   after it died (replies already on their way are let through first)
kill_and_resume () {
    local primary before deadline
    primary=$(primary_id)
    [ -n "$primary" ] || { fail "no primary to kill: $(cluster_state | tr '\n' ';')"; exit 1; }
    local_cmd kill "$primary" || fail "gavel-local kill $primary: $(tail -3 "$WORK/local.out")"
    sleep 0.1
    before=$(successes "${names[@]}")
    deadline=$((SECONDS + 10))
    until [ "$(successes "${names[@]}")" -gt "$before" ] || [ $SECONDS -ge $deadline ]; do
        sleep 0.05
    done
    [ "$(successes "${names[@]}")" -gt "$before" ] \
        || fail "no bid succeeded within 10 s after replica $primary was killed"
    wait_primary 5 "$primary"
    echo "killed replica $primary; replica $PRIMARY took over" >>"$WORK/notes.txt"
}

wait_answers 40 20 "${names[@]}"
kill_and_resume
kill_and_resume

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 600 ] \
    || fail "expected 600 answers, got $(answers "${names[@]}")"
check_auction "$auction" "${names[@]}"
wait_agree 5
[ "$(cluster_state | grep -c -v ' down ')" -eq 3 ] \
    || fail "expected 3 replicas running: $(cluster_state | tr '\n' ';')"
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
