#!/usr/bin/env bash
#   Six bidders bid on and read two auctions while a nemesis kills,
#   restarts, pauses and resumes primaries; the recorded history of more
#   than 2000 operations must be linearizable (gavel-lincheck).
source "$(dirname "$0")/lib.sh"
up 3
HISTORY=$WORK/history.txt
for item in rug kettle; do
    echo "open $item 5m" | bidder --name seller --history "$HISTORY" >>"$WORK/opened.txt" \
        || { echo "FAIL: could not open $item: $(cat "$WORK/opened.txt")"; exit 1; }
done

#   Bidder i bids 6k+i, alternating between the auctions, and reads one of
#   them after every second bid: 360 operations each
names=(ann ben cid dot eve fay)
for index in 0 1 2 3 4 5; do
    for ((k = 1; k <= 120; k++)); do
        echo "bid $((k % 2 + 1)) $((6 * k + index))"
        echo "bid $(((k + 1) % 2 + 1)) $((6 * k + index))"
        echo "result $((k % 2 + 1))"
        echo "sleep 60"
    done >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt" --history "$HISTORY"
done

#   The nemesis: crash and restart a primary, then freeze one past the
#   election time-out and let it run again, until the bidders are done (or
#   the test stops: cleanup creates $WORK/stop too, and waits for us)
nemesis () {
    local primary
    while sleep 0.5 && [ ! -e "$WORK/stop" ]; do
        primary=$(primary_id)
        [ -n "$primary" ] || continue
        local_cmd kill "$primary" || true
        sleep 0.7
        [ -e "$WORK/stop" ] && break
        local_cmd restart "$primary" || true
        sleep 0.5
        primary=$(primary_id)
        [ -n "$primary" ] && [ ! -e "$WORK/stop" ] || continue
        local_cmd pause "$primary" || true
        sleep 0.7
        local_cmd resume "$primary" || true
    done
}
nemesis &
HELPER_PIDS+=($!)

ALLOW_EXCEPTIONS=1 wait_bidders "${names[@]}"
touch "$WORK/stop"
wait "${HELPER_PIDS[@]}" || true
local_cmd resume all || true
[ "$(grep -c 'paused pid' "$WORK/local.out")" -ge 1 ] && [ "$(grep -c 'killed pid' "$WORK/local.out")" -ge 1 ] \
    || fail "the nemesis did not kill and pause a primary: $(tail -5 "$WORK/local.out")"

operations=$(wc -l <"$HISTORY")
[ "$operations" -ge 2000 ] || fail "only $operations operations recorded, expected 2000 or more"
#   Faults may cost an answer now and then, but not most of them
answered=$(grep -c -E '^(success|fail) ' "$WORK"/{ann,ben,cid,dot,eve,fay}.out | awk -F: '{ n += $2 } END { print n }')
[ "$answered" -ge 2000 ] || fail "only $answered of 2160 operations were answered"
lincheck "$HISTORY"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
