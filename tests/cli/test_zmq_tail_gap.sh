#!/usr/bin/env bash
#   A subscriber too slow for the high-water mark: zmq-tail on a broker's
#   feed with a queue of 10 events is stopped (SIGSTOP) while 2,500 bids are
#   committed, so the broker's PUB drops what its queue and the sockets'
#   buffers cannot hold (they hold about 1,000 events here). Resumed, with
#   no event after the hole, it learns of the hole from the broker's LAST
#   message (every second), says which events it missed, fetches them with
#   a HISTORY request (the last 10,000 events) and prints every event once,
#   in order, numbered without a hole: nothing is skipped in silence. Then
#   it follows live bids again.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
open_auction lamp 5m
auction=$AUCTION
bids=2500

#   -n 1: the opening, so the numbering starts before the bids
#   (not under timeout: SIGSTOP must reach zmq-tail itself; lib.sh's
#   cleanup stops it by the pid in tail.pid, and the waits below are bounded)
"$BIN/zmq-tail" --cluster "$CLUSTER" --json --hwm 10 -n 1 \
    >"$WORK/tail.out" 2>"$WORK/tail.err" &
tail_pid=$!
echo $tail_pid >"$WORK/tail.pid"
wait_for "$WORK/tail.err" "connected to" 10
wait_for "$WORK/tail.out" '"event":"opened"' 10
kill -STOP $tail_pid

bid_script "$auction" 100 1 $bids 0 >"$WORK/ann.txt"
timeout 250 "$BIN/bidder" --cluster "$CLUSTER" --name ann --script "$WORK/ann.txt" \
    >"$WORK/ann.out" 2>>"$WORK/bidder.err" || fail "the bidder exited with $?"
[ "$(grep -c '^success' "$WORK/ann.out")" -eq $bids ] \
    || fail "expected $bids successes: $(grep -v '^success' "$WORK/ann.out" | head -3)"

kill -CONT $tail_pid
#   No event follows the hole, but the broker says every second how far
#   the feed has gone (LAST): zmq-tail finds the hole from that
wait_for "$WORK/tail.err" ' fetched$' 20
#   Then live events flow again: bid until one is printed (a bid made while
#   zmq-tail still drains could be dropped too; bounded)
last=$((100 + bids - 1))
for ((try = 0; try < 20; try++)); do
    last=$((last + 1))
    echo "bid $auction $last" | bidder --name ann >>"$WORK/last.out" \
        || fail "bid $last: $(tail -1 "$WORK/last.out")"
    for ((step = 0; step < 10; step++)); do
        grep -q "\"amount\":$last}" "$WORK/tail.out" && break
        sleep 0.1
    done
    grep -q "\"amount\":$last}" "$WORK/tail.out" && break
done
kill -TERM $tail_pid
for ((try = 0; try < 150; try++)); do
    kill -0 $tail_pid 2>/dev/null || break
    sleep 0.1
done
rc=0
if kill -0 $tail_pid 2>/dev/null; then
    fail "zmq-tail did not stop within 15 s of SIGTERM"
    kill -KILL $tail_pid
fi
wait $tail_pid || rc=$?
echo $rc >"$WORK/tail.rc"
[ $rc -eq 0 ] || fail "zmq-tail exited with $rc: $(tail -3 "$WORK/tail.err")"

#   It fell behind, said so, and fetched the hole back
expect_contains "$WORK/tail.err" '^zmq-tail: gap: events [0-9]+ to [0-9]+ were missed .*fetching them from the history$'
expect_contains "$WORK/tail.err" '^zmq-tail: gap: events [0-9]+ to [0-9]+ fetched$'
if grep -q 'lost to this subscriber' "$WORK/tail.err"; then
    fail "events were lost: $(grep 'lost' "$WORK/tail.err")"
fi

#   Every event once, in order, without a hole; every bid there
sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$WORK/tail.out" >"$WORK/seqs.txt"
#   the opening, then one event per bid, the last bids' included, and a
#   "primary" event for each election a loaded machine may have seen
elections=$(grep -c '"event":"primary"' "$WORK/tail.out" || true)
[ "$(wc -l <"$WORK/seqs.txt")" -eq $((last - 100 + 2 + elections)) ] \
    || fail "expected $((last - 100 + 2)) events and $elections elections, got $(wc -l <"$WORK/seqs.txt")"
awk 'NR > 1 && $1 != previous + 1 { print "after " previous ": " $1; bad = 1 } { previous = $1 }
     END { exit bad }' "$WORK/seqs.txt" >"$WORK/holes.txt" \
    || fail "event numbers jump or repeat: $(head -5 "$WORK/holes.txt" | tr '\n' ';')"
sed -n "s/.*\"event\":\"bid\",\"auction\":$auction,\"bidder\":\"ann\",\"amount\":\([0-9]*\)}\$/\1/p" \
    "$WORK/tail.out" >"$WORK/amounts.txt"
seq 100 $last | cmp -s - "$WORK/amounts.txt" \
    || fail "the bids printed are not 100..$last in order: $(head -3 "$WORK/amounts.txt" | tr '\n' ' ')..."

[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
