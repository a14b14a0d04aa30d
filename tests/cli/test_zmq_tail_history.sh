#!/usr/bin/env bash
#   zmq-tail -n N starts with the last N committed events, from a history
#   request to the cluster, then follows live ones without repeating any.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
open_auction lamp 10m
printf 'bid %s 10\nbid %s 20\nbid %s 30\n' "$AUCTION" "$AUCTION" "$AUCTION" | bidder --name al >"$WORK/bids.txt"
[ "$(grep -c '^success' "$WORK/bids.txt")" -eq 3 ] || fail "bids: $(cat "$WORK/bids.txt")"
wait_agree 10

#   The last two events of history, then one live bid
timeout 10 "$BIN/zmq-tail" --cluster "$CLUSTER" -n 2 --count 3 --json >"$WORK/tail.txt" 2>"$WORK/tail.err" &
tail_pid=$!
wait_for "$WORK/tail.txt" '"amount":30' 5
echo "bid $AUCTION 40" | bidder --name bo >>"$WORK/bids.txt"
wait $tail_pid || fail "zmq-tail exited $?: $(cat "$WORK/tail.err")"
[ "$(wc -l <"$WORK/tail.txt")" -eq 3 ] || fail "expected 3 events: $(cat "$WORK/tail.txt")"
expect_line "$WORK/tail.txt" 1 '"event":"bid".*"bidder":"al","amount":20'
expect_line "$WORK/tail.txt" 2 '"event":"bid".*"bidder":"al","amount":30'
expect_line "$WORK/tail.txt" 3 '"event":"bid".*"bidder":"bo","amount":40'
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
