#!/usr/bin/env bash
#   A power cut without the power: every replica is killed (SIGKILL) while
#   bidders bid, then all are restarted on their data directories. Every bid
#   that was acknowledged is still there, the auction goes on, and its
#   deadline still holds.
source "$(dirname "$0")/lib.sh"
up 3 --fsync writer
open_auction clock 12s
auction=$AUCTION
opened_at=$SECONDS

names=(amy bob)
for index in 0 1; do
    bid_script "$auction" $((11 + index)) 10 40 10 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt"
done
wait_each 10 10 "${names[@]}"
local_cmd kill all || fail "gavel-local kill all: $(tail -3 "$WORK/local.out")"
stop_bidders
ALLOW_EXCEPTIONS=1 wait_bidders "${names[@]}"
[ "$(successes "${names[@]}")" -gt 0 ] || fail "no bid succeeded before the kill"

local_cmd restart all || fail "gavel-local restart all: $(tail -3 "$WORK/local.out")"
wait_primary 10
grep -h "loaded term" "$WORK"/cluster/r*/replica.log | tail -3 >>"$WORK/notes.txt"

#   Nothing acknowledged was lost: the highest bid is at least the best one
#   a bidder was told success for. It may be higher: a bid in flight at the
#   kill may have been stored by a majority without its answer getting out;
#   then it must be one the bidders sent.
told=$(cat "$WORK"/amy.out "$WORK"/bob.out | sed -n "s/^success auction=$auction amount=\([0-9]*\) .*/\1/p" | sort -n | tail -1)
echo "result $auction" | bidder --name referee >"$WORK/result.txt"
best=$(sed -n 's/.* highest=\([0-9]*\).*/\1/p' "$WORK/result.txt")
[ -n "$best" ] && [ "$best" -ge "$told" ] \
    || fail "bids were acknowledged up to $told, but after the restart: $(cat "$WORK/result.txt")"
grep -q -x "bid $auction $best" "$WORK/amy.txt" "$WORK/bob.txt" \
    || fail "the highest bid $best after the restart is not one the bidders sent"

#   The auction goes on after the restart
echo "bid $auction $((best + 1000))" | bidder --name cat >"$WORK/after.txt"
expect_line "$WORK/after.txt" 1 "^success auction=$auction amount=$((best + 1000)) "

#   The deadline recorded before the crash still holds: wait it out by
#   asking (bounded), then a late bid fails
deadline=$((opened_at + 30))
until echo "result $auction" | bidder --name referee >"$WORK/final.txt" && grep -q state=closed "$WORK/final.txt"; do
    [ $SECONDS -lt $deadline ] || { fail "the auction never closed"; break; }
    sleep 0.2
done
expect_line "$WORK/final.txt" 1 "^success auction=$auction state=closed winner=cat amount=$((best + 1000))$"
echo "bid $auction $((best + 5000))" | bidder --name dan >"$WORK/late.txt" || true
expect_line "$WORK/late.txt" 1 "^fail reason=closed "
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
