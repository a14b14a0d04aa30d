#!/usr/bin/env bash
#   With two of three replicas gone there is no majority: a bid must get
#   `exception reason=no-quorum` within the commit time-out instead of
#   hanging. With one replica back, bidding resumes.
source "$(dirname "$0")/lib.sh"
up 3
open_auction bell 5m
auction=$AUCTION
echo "bid $auction 10" | bidder --name ann >"$WORK/first.txt" || fail "first bid: $(cat "$WORK/first.txt")"
expect_line "$WORK/first.txt" 1 "^success auction=$auction amount=10 "

primary=$(primary_id)
backup=$(backup_id)
[ -n "$backup" ] && [ -n "$primary" ] || { fail "no primary and backup: $(cluster_state | tr '\n' ';')"; exit 1; }
survivor=$((6 - primary - backup))
local_cmd kill "$primary" || fail "gavel-local kill $primary"
local_cmd kill "$backup" || fail "gavel-local kill $backup"

#   Once the survivor has noticed that the primary is gone, it can only
#   hold a request until the commit time-out (1 s) and say no-quorum
deadline=$((SECONDS + 5))
until cluster_state | grep -q -E "^$survivor (candidate [^ ]+ [^ ]+ [^ ]+ [^ ]+|[a-z]+ [^ ]+ [^ ]+ [^ ]+ 0)\$" \
      || [ $SECONDS -ge $deadline ]; do
    sleep 0.05
done
start=$(date +%s%N)
rc=0
echo "bid $auction 20" | timeout 10 "$BIN/bidder" --cluster "$CLUSTER" --connect "$(endpoint "$survivor")" --name ann \
    --timeout 3000 --retries 0 >"$WORK/lonely.txt" 2>>"$WORK/bidder.err" || rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
[ $rc -ne 124 ] || fail "the bid without a quorum hung (killed after 10 s)"
expect_line "$WORK/lonely.txt" 1 '^exception reason=no-quorum'
[ $elapsed -lt 3000 ] || fail "no-quorum took $elapsed ms, more than the 3000 ms budget"

#   One back makes a majority of two: bidding resumes
local_cmd restart "$backup" || fail "gavel-local restart $backup: $(tail -3 "$WORK/local.out")"
echo "bid $auction 30" | timeout 20 "$BIN/bidder" --cluster "$CLUSTER" --name ann \
    >"$WORK/back.txt" 2>>"$WORK/bidder.err" || true
expect_line "$WORK/back.txt" 1 "^success auction=$auction amount=30 "
echo "result $auction" | bidder --name referee >"$WORK/result.txt" || true
expect_line "$WORK/result.txt" 1 "^success auction=$auction state=open highest=30 bidder=ann "
wait_agree 5
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
