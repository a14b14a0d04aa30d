#!/usr/bin/env bash
#   A bid retried after a time-out is applied once: the replica is paused
#   so the first attempt times out, then resumed so both the first attempt
#   and the retry reach it. The state must show one bid, and the bidder one
#   answer.
source "$(dirname "$0")/lib.sh"
up 1
echo "open vase 1m" | bidder --name carol >/dev/null

"$BIN/gavel-local" pause 1 --dir "$WORK/cluster" >/dev/null
echo "bid 1 100" | "$BIN/bidder" --cluster "$CLUSTER" --name alice --timeout 200 --retries 20 \
    --verbose >"$WORK/bid.txt" 2>"$WORK/bid.err" &
bidder_pid=$!
wait_for "$WORK/bid.err" "no reply from" 5
"$BIN/gavel-local" resume 1 --dir "$WORK/cluster" >/dev/null
wait $bidder_pid || fail "the retried bid did not succeed"
expect_line "$WORK/bid.txt" 1 '^success auction=1 amount=100 '

echo status | bidder --name carol >"$WORK/status.txt"
#   three entries applied: the primary's first (a no-op), the open and one bid
expect_contains "$WORK/status.txt" " applied=3 "
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
