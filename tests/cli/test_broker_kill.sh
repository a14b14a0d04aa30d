#!/usr/bin/env bash
#   Two brokers, bidders on both (half list broker 1 first, half broker 2):
#   killing broker 1 mid-way costs its bidders one time-out each, after
#   which they carry on through broker 2 with the same request ids. No
#   bidder gets an exception, and the state holds every success.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 2
open_auction vase 5m
auction=$AUCTION
cluster_with_brokers 1 2 "$WORK/first.cfg"
cluster_with_brokers 2 1 "$WORK/second.cfg"

names=(ann ben cid dot)
main_cluster=$CLUSTER
for index in 0 1 2 3; do
    bid_script "$auction" $((11 + index)) 10 50 20 >"$WORK/${names[$index]}.txt"
    if [ $((index % 2)) -eq 0 ]; then CLUSTER=$WORK/first.cfg; else CLUSTER=$WORK/second.cfg; fi
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done
CLUSTER=$main_cluster

wait_each 10 20 "${names[@]}"
local_cmd kill b1 || fail "gavel-local kill b1: $(tail -3 "$WORK/local.out")"

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 200 ] \
    || fail "expected 200 answers, got $(answers "${names[@]}")"
grep -h '^exception' "$WORK"/{ann,ben,cid,dot}.out && fail "a bidder got an exception"
#   The referee's result goes through the cluster file: broker 2 remains
check_auction "$auction" "${names[@]}"
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
