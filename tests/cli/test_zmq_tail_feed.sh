#!/usr/bin/env bash
#   zmq-tail --cluster follows the event feed across a failover: it listens
#   to every replica's PUB, so when the primary is killed it hears the new
#   one. Every successful bid appears exactly once, in increasing event
#   order, with the auction's opening and the new primary's announcement;
#   the failed bid does not appear. A second zmq-tail with --count exits 0
#   by itself once it has printed that many events.
source "$(dirname "$0")/lib.sh"

#   follow NAME ARGS...: zmq-tail in the background, bounded, with its
#   output in $WORK/NAME.out and .err, its pid in NAME.pid and its exit
#   status in NAME.rc (lib.sh's cleanup stops it by that pid if the test
#   ends early, as it does bidders)
FOLLOW_PIDS=()
follow () {
    local name=$1
    shift
    ( timeout 60 "$BIN/zmq-tail" --insecure "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
      echo $! >"$WORK/$name.pid"
      rc=0
      wait $! || rc=$?
      echo $rc >"$WORK/$name.rc" ) &
    FOLLOW_PIDS+=($!)
}

#   finished NAME SECONDS: waits for it to exit; it must exit 0
finished () {
    local deadline=$((SECONDS + $2))
    while [ ! -s "$WORK/$1.rc" ] && [ $SECONDS -lt $deadline ]; do
        sleep 0.05
    done
    [ "$(cat "$WORK/$1.rc" 2>/dev/null)" = 0 ] \
        || fail "zmq-tail ($1) exited ${3:-}with status $(cat "$WORK/$1.rc" 2>/dev/null || echo none, still running) (124: its time ran out): $(tail -3 "$WORK/$1.err")"
}

#   connections NAME: how many endpoints it has said it is connected to
connections () {
    local count
    count=$(grep -s -c '^zmq-tail: connected to ' "$WORK/$1.err") || true
    echo "${count:-0}"
}

up 3 --insecure

#   Both followers must be subscribed before the first event: PUB drops
#   what it sends before a subscriber is there
BEFORE=10
AFTER=10
EVENTS=$((1 + BEFORE + 1 + AFTER))      #  opened, bids, primary, bids
follow all --cluster "$CLUSTER" --json
follow count --cluster "$CLUSTER" --json --count $EVENTS
for name in all count; do
    deadline=$((SECONDS + 10))
    while [ "$(connections $name)" -lt 3 ] && [ $SECONDS -lt $deadline ]; do
        sleep 0.05
    done
    [ "$(connections $name)" -eq 3 ] \
        || { fail "zmq-tail ($name) did not connect to the 3 replicas: $(cat "$WORK/$name.err")"; exit 1; }
done
sleep 0.3                               #  the subscriptions reach the PUBs

open_auction lamp 5m
auction=$AUCTION
[ -n "$auction" ] || { fail "no auction opened"; exit 1; }

#   ann: BEFORE rising bids, with one too low in the middle (fails: no event)
{
    bid_script "$auction" 100 10 $((BEFORE / 2)) 0
    echo "bid $auction 105"
    bid_script "$auction" $((100 + BEFORE / 2 * 10)) 10 $((BEFORE - BEFORE / 2)) 0
} >"$WORK/ann.txt"
bidder --name ann --script "$WORK/ann.txt" >"$WORK/ann.out" || fail "bidder ann: $(tail -3 "$WORK/ann.out")"
grep -q '^fail reason=too-low' "$WORK/ann.out" || fail "ann's low bid did not fail: $(cat "$WORK/ann.out")"

old=$(primary_id)
old_term=$(cluster_state | awk -v id="$old" '$1 == id { print $3 }')
[ -n "$old" ] && [ -n "$old_term" ] || { fail "no primary: $(cluster_state | tr '\n' ';')"; exit 1; }
local_cmd kill primary || fail "gavel-local kill primary: $(tail -3 "$WORK/local.out")"
wait_primary 10 "$old" || exit 1
new=$PRIMARY

bid_script "$auction" 500 10 $AFTER 0 >"$WORK/ben.txt"
bidder --name ben --script "$WORK/ben.txt" >"$WORK/ben.out" || fail "bidder ben: $(tail -3 "$WORK/ben.out")"

#   The bids the bidders were told succeeded, as "NAME AMOUNT"
for name in ann ben; do
    sed -n "s/^success auction=$auction amount=\([0-9]*\) .*/$name \1/p" "$WORK/$name.out"
done >"$WORK/told.txt"
[ "$(wc -l <"$WORK/told.txt")" -eq $((BEFORE + AFTER)) ] \
    || fail "expected $((BEFORE + AFTER)) successful bids: $(cat "$WORK/ann.out" "$WORK/ben.out")"
last=$(tail -1 "$WORK/told.txt" | cut -d' ' -f2)

#   The counting follower stops by itself; the other one on SIGTERM, once
#   it has printed the last bid
finished count 10
wait_for "$WORK/all.out" "\"event\":\"bid\",\"auction\":$auction,\"bidder\":\"ben\",\"amount\":$last\}" 10
sleep 0.2                               #  anything printed twice shows now
kill -TERM "$(cat "$WORK/all.pid")"
finished all 10 "on SIGTERM "
for pid in "${FOLLOW_PIDS[@]}"; do
    wait "$pid" || true
done

#   Every successful bid exactly once, nothing else bid
sed -n "s/^{\"seq\":[0-9]*,.*\"event\":\"bid\",\"auction\":$auction,\"bidder\":\"\([a-z]*\)\",\"amount\":\([0-9]*\)}\$/\1 \2/p" \
    "$WORK/all.out" >"$WORK/seen.txt"
sort "$WORK/told.txt" >"$WORK/told.sorted"
sort "$WORK/seen.txt" >"$WORK/seen.sorted"
diff "$WORK/told.sorted" "$WORK/seen.sorted" >"$WORK/bids.diff" \
    || fail "bids told success (<) and bid events (>) differ: $(cat "$WORK/bids.diff")"
cmp -s "$WORK/told.txt" "$WORK/seen.txt" || fail "the bid events are not in the order the bids were made"

#   Every event once, in order, numbered without a hole
sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$WORK/all.out" >"$WORK/seqs.txt"
[ "$(wc -l <"$WORK/seqs.txt")" -eq "$(wc -l <"$WORK/all.out")" ] \
    || fail "lines that are not events: $(grep -v '^{"seq":' "$WORK/all.out" | head -3)"
awk 'NR > 1 && $1 != previous + 1 { print "after " previous ": " $1; bad = 1 } { previous = $1 }
     END { exit bad }' "$WORK/seqs.txt" >"$WORK/holes.txt" \
    || fail "event numbers jump or repeat: $(head -5 "$WORK/holes.txt" | tr '\n' ';')"

#   The opening, and the new primary's announcement of its term
[ "$(grep -c "\"event\":\"opened\",\"auction\":$auction,\"item\":\"lamp\",\"by\":\"seller\"," "$WORK/all.out")" -eq 1 ] \
    || fail "expected one opened event for auction $auction: $(head -3 "$WORK/all.out")"
announced=$(sed -n "s/.*\"event\":\"primary\",\"primary\":$new,\"term\":\([0-9]*\)}\$/\1/p" "$WORK/all.out" | tail -1)
[ -n "$announced" ] && [ "$announced" -gt "$old_term" ] \
    || fail "no primary event for replica $new after term $old_term: $(grep '"primary"' "$WORK/all.out")"
grep -q "^zmq-tail: lost " "$WORK/all.err" || fail "zmq-tail did not note the lost primary: $(cat "$WORK/all.err")"

#   The counting follower saw the same events, each once
[ "$(wc -l <"$WORK/count.out")" -eq $EVENTS ] || fail "zmq-tail --count $EVENTS printed $(wc -l <"$WORK/count.out") lines"
while IFS= read -r line; do
    grep -q -x -F -- "$line" "$WORK/all.out" || fail "--count line not in the full feed: $line"
done <"$WORK/count.out"
[ "$(sort "$WORK/count.out" | uniq -d | wc -l)" -eq 0 ] || fail "--count printed a line twice"

[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
