#!/usr/bin/env bash
#   The primary crashes (SIGKILL) while four bidders bid on one auction:
#   every bidder rides through the election (each bid answered success or
#   fail, none lost or doubled), the auction's state holds exactly the bids
#   that were acknowledged, and the two survivors agree.
source "$(dirname "$0")/lib.sh"
up 3
open_auction vase 5m
auction=$AUCTION

#   Bidder i bids 10k+i: every amount is one bidder's own
names=(ann ben cid dot)
for index in 0 1 2 3; do
    bid_script "$auction" $((11 + index)) 10 60 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done

#   Mid-way, with all four bidding
wait_each 10 20 "${names[@]}"
old=$(primary_id)
[ -n "$old" ] || fail "no primary before the kill"
local_cmd kill primary || fail "gavel-local kill primary: $(tail -3 "$WORK/local.out")"
wait_primary 10 "$old"
echo "killed replica $old; replica ${PRIMARY:-none} took over" >>"$WORK/notes.txt"
probe "$auction"

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 240 ] \
    || fail "expected 240 answers, got $(answers "${names[@]}")"
check_auction "$auction" "${names[@]}" probe
wait_agree 5
#   Every survivor gives the same answer (a backup through a redirect)
for id in 1 2 3; do
    [ "$id" = "$old" ] && continue
    echo "result $auction" | "$BIN/bidder" --cluster "$CLUSTER" --connect "$(endpoint $id)" --name referee \
        2>>"$WORK/bidder.err" | sed 's/ closes_in=[0-9]*//' >"$WORK/result.$id.txt"
done
sed 's/ closes_in=[0-9]*//' "$WORK/result.txt" >"$WORK/result.all.txt"
for file in "$WORK"/result.[0-9].txt; do
    cmp -s "$file" "$WORK/result.all.txt" \
        || fail "$(basename "$file"): $(cat "$file") differs from $(cat "$WORK/result.all.txt")"
done
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
