#!/usr/bin/env bash
#   A backup crashes while bidders bid: the primary still has a majority,
#   so bidding goes on without a pause worth the name: every bid answered,
#   no exception. Restarted, the backup catches up.
source "$(dirname "$0")/lib.sh"
up 3
open_auction clock 5m
auction=$AUCTION

names=(ann ben cid)
for index in 0 1 2; do
    bid_script "$auction" $((11 + index)) 10 60 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$WORK/history.txt"
done

wait_each 10 20 "${names[@]}"
primary=$(primary_id)
backup=$(backup_id)
[ -n "$backup" ] && [ -n "$primary" ] || { fail "no primary and backup: $(cluster_state | tr '\n' ';')"; exit 1; }
local_cmd kill "$backup" || fail "gavel-local kill $backup: $(tail -3 "$WORK/local.out")"

wait_bidders "${names[@]}"
[ "$(answers "${names[@]}")" -eq 180 ] \
    || fail "expected 180 answers, got $(answers "${names[@]}")"
[ "$(primary_id)" = "$primary" ] \
    || fail "the primary changed from $primary: $(cluster_state | tr '\n' ';')"
check_auction "$auction" "${names[@]}"
wait_agree 5

#   Back, it fetches what it missed
local_cmd restart "$backup" || fail "gavel-local restart $backup: $(tail -3 "$WORK/local.out")"
wait_agree 10
lincheck "$WORK/history.txt"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
