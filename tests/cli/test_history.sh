#!/usr/bin/env bash
#   Bidders running at once record one shared --history, which
#   gavel-lincheck must find linearizable; and a history with one reply
#   changed must not be. The auction closes while they bid, and each
#   ends with a bid and a result after the close.
source "$(dirname "$0")/lib.sh"
up 1
echo "open vase 2500ms 100" | bidder --name carol --history "$WORK/history.txt" >/dev/null

for client in 0 1 2 3; do
    for step in $(seq 1 60); do
        if [ $((step % 3)) -eq 0 ]; then echo "result 1"; else echo "bid 1 $((60 + step * 5 + RANDOM % 40))"; fi
        echo "sleep $((RANDOM % 20))"
    done >"$WORK/script$client.txt"
    printf 'sleep 2600\nbid 1 5000\nresult 1\n' >>"$WORK/script$client.txt"
    bidder --name "bidder$client" --history "$WORK/history.txt" \
        --script "$WORK/script$client.txt" >/dev/null &
done
wait

#   One line per open, bid and result, none lost or torn
[ "$(wc -l <"$WORK/history.txt")" -eq 249 ] \
    || fail "history has $(wc -l <"$WORK/history.txt") lines, expected 249"
expect_line "$WORK/history.txt" 1 '^[0-9]+ [0-9]+ [0-9a-f]{16} carol open 1 100 success - auction=1 closes_in=[0-9]+$'
expect_contains "$WORK/history.txt" ' bid 1 [0-9]+ fail closed auction=1 winner='
"$BIN/gavel-lincheck" "$WORK/history.txt" >"$WORK/check.txt" 2>&1 \
    || fail "history not linearizable: $(cat "$WORK/check.txt")"

#   The first result that shows a bid made to name someone who never bid
awk '!done && / state=open highest=[1-9]/ { sub (/bidder=[^ ]*/, "bidder=nobody"); done = 1 } { print }' \
    "$WORK/history.txt" >"$WORK/changed.txt"
rc=0
"$BIN/gavel-lincheck" "$WORK/changed.txt" >"$WORK/check2.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "changed history: exit $rc, expected 1: $(cat "$WORK/check2.txt")"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
