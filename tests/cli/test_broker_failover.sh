#!/usr/bin/env bash
#   Bidders that know only the brokers (the cluster file lists them) bid
#   while the primary is killed (SIGKILL): the brokers hold the requests
#   through the election and forward them to the new primary, so every bid
#   is answered success or fail, none exception, and every success is in
#   the final state.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 2
open_auction vase 5m
auction=$AUCTION

names=(ann ben cid dot)
for index in 0 1 2 3; do
    bid_script "$auction" $((11 + index)) 10 50 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done

wait_each 10 20 "${names[@]}"
old=$(primary_id)
[ -n "$old" ] || fail "no primary before the kill"
local_cmd kill primary || fail "gavel-local kill primary: $(tail -3 "$WORK/local.out")"
wait_primary 10 "$old"
probe "$auction"

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 200 ] \
    || fail "expected 200 answers, got $(answers "${names[@]}")"
grep -h '^exception' "$WORK"/{ann,ben,cid,dot}.out && fail "a bidder got an exception"
check_auction "$auction" "${names[@]}" probe
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
