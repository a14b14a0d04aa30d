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
#   Numbered one after another: no event repeated or skipped between the
#   history and the live feed
sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$WORK/tail.txt" \
    | awk 'NR > 1 && $1 != previous + 1 { bad = 1 } { previous = $1 } END { exit bad }' \
    || fail "event numbers jump or repeat: $(cat "$WORK/tail.txt")"
#   A loaded machine may elect a new primary in between (its "primary"
#   event is then one of the three): the bids are still the ones just
#   before and after the subscription, in order
bids=$(sed -n 's/.*"event":"bid",.*"bidder":"\([a-z]*\)","amount":\([0-9]*\)}$/\1:\2/p' "$WORK/tail.txt" | tr '\n' ' ')
if grep -q '"event":"primary"' "$WORK/tail.txt"; then
    case " al:10 al:20 al:30 bo:40 " in
        *" $bids"*) ;;
        *) fail "bids out of order around an election: $bids" ;;
    esac
    case "$bids" in *al:30*) ;; *) fail "the last bid before the subscription is missing: $bids" ;; esac
else
    [ "$bids" = "al:20 al:30 bo:40 " ] || fail "expected bids al:20 al:30 bo:40, got: $bids"
fi
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
