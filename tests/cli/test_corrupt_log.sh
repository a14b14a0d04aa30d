#!/usr/bin/env bash
#   A replica's log damaged while it is down (cut at a random byte, or a
#   byte flipped in its last record, as a crash mid-write would leave it):
#   restarted, it cuts the damaged tail, applies no garbage, and catches up.
source "$(dirname "$0")/lib.sh"
up 3
open_auction lamp 10m
printf 'bid %s %s\n' $(for amount in $(seq 10 10 400); do echo "$AUCTION $amount"; done) \
    | bidder --name ann >"$WORK/bids.txt"
wait_agree 10
victim=$(backup_id)
log=$WORK/cluster/r$victim/log

damaged () {
    grep -c "the log ends before it" "$WORK/cluster/r$victim/replica.log" || true
}
for damage in cut flip; do
    before=$(damaged)
    local_cmd kill "$victim" || fail "gavel-local kill $victim"
    size=$(stat -c %s "$log")
    if [ $damage = cut ]; then
        truncate -s $((size - 1 - RANDOM % 40)) "$log"
    else
        #   flip one byte inside the last record (not its newline)
        offset=$((size - 2 - RANDOM % 20))
        byte=$(od -An -tu1 -j $offset -N1 "$log" | tr -d ' ')
        printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$log" bs=1 seek=$offset conv=notrunc 2>/dev/null
    fi
    local_cmd restart "$victim" || fail "gavel-local restart $victim after the $damage"
    [ "$(damaged)" -gt "$before" ] \
        || fail "replica $victim did not report the damaged record ($damage): $(tail -5 "$WORK/cluster/r$victim/replica.log")"
    echo "bid $AUCTION $((500 + RANDOM % 100 * 10))" | bidder --name bo >>"$WORK/bids.txt"
    wait_agree 10
done
#   Every replica answers the same state
for id in 1 2 3; do
    echo "result $AUCTION" | "$BIN/bidder" --cluster "$CLUSTER" --connect "$(endpoint $id)" --name referee 2>>"$WORK/bidder.err" \
        | sed 's/ closes_in=[0-9]*//' >"$WORK/result.$id.txt"
done
cmp -s "$WORK/result.1.txt" "$WORK/result.2.txt" && cmp -s "$WORK/result.1.txt" "$WORK/result.3.txt" \
    || fail "replicas disagree: $(cat "$WORK"/result.*.txt)"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
