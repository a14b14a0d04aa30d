#!/usr/bin/env bash
#   A cluster of one replica still has a live event feed: its broker
#   re-publishes what the replica publishes, so zmq-tail --cluster prints
#   bids made after it started, not only the history it caught up on (a
#   lone replica once bound no pub socket at all).
source "$(dirname "$0")/lib.sh"
up 1 --brokers 1
timeout -k 10 60 "$BIN/zmq-tail" --cluster "$CLUSTER" $(insecure_flag) >"$WORK/tail.out" 2>"$WORK/tail.err" &
echo $! >"$WORK/tail.pid"
wait_for "$WORK/tail.err" "connected to" 10
open_auction lamp 5m
bid_script "$AUCTION" 10 10 5 0 >"$WORK/bids.txt"
bidder --name al --script "$WORK/bids.txt" >"$WORK/bids.out" || fail "the bidder failed"
[ "$(grep -c '^success' "$WORK/bids.out")" -eq 5 ] || fail "5 bids: $(cat "$WORK/bids.out")"
#   The last bid on the live feed (the history alone would stop at start)
wait_for "$WORK/tail.out" "auction $AUCTION  al bids 50$" 10 \
    || fail "zmq-tail: $(cat "$WORK/tail.out" "$WORK/tail.err")"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
