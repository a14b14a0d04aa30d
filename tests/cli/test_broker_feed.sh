#!/usr/bin/env bash
#   A zmq-tail on one broker's feed while bidders bid and the primary is
#   killed (SIGKILL): it sees every committed bid exactly once, in event
#   order, although two primaries published and the old one may have died
#   before publishing what it applied (the broker fetches that with
#   HISTORY from the new primary).
source "$(dirname "$0")/lib.sh"
up 3 --brokers 2
#   Broker 1's feed only: a cluster file that lists it alone (and gives
#   zmq-tail its CURVE key)
cluster_with_brokers 1 "$WORK/b1.cfg"
timeout -k 10 60 "$BIN/zmq-tail" --cluster "$WORK/b1.cfg" >"$WORK/tail.out" 2>"$WORK/tail.err" &
tail_pid=$!
wait_for "$WORK/tail.err" "connected to" 10
sleep 0.3
open_auction vase 5m
auction=$AUCTION

names=(ann ben cid)
for index in 0 1 2; do
    bid_script "$auction" $((11 + index)) 10 50 20 >"$WORK/${names[$index]}.txt"
    run_bidder "${names[$index]}" "$WORK/${names[$index]}.txt"
done
wait_each 10 20 "${names[@]}"
old=$(primary_id)
local_cmd kill primary || fail "gavel-local kill primary: $(tail -3 "$WORK/local.out")"
wait_primary 10 "$old"
probe "$auction"
wait_bidders "${names[@]}"

#   Every success (bidders' and the probe's) as "auction bidder amount"
for name in "${names[@]}" probe; do
    sed -n "s/^success auction=\([0-9]*\) amount=\([0-9]*\) .*/\1 $name \2/p" "$WORK/$name.out"
done | sort >"$WORK/expected.txt"
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ]; do
    sed -n 's/^[0-9:.]*  #\([0-9]*\)  auction \([0-9]*\)  \([^ ]*\) bids \([0-9]*\)$/\1 \2 \3 \4/p' \
        "$WORK/tail.out" >"$WORK/bids.txt"
    [ "$(wc -l <"$WORK/bids.txt")" -ge "$(wc -l <"$WORK/expected.txt")" ] && break
    sleep 0.2
done
kill -TERM "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true

cut -d' ' -f2- "$WORK/bids.txt" | sort >"$WORK/seen.txt"
cmp -s "$WORK/expected.txt" "$WORK/seen.txt" \
    || fail "the feed's bids differ from the successes: $(diff "$WORK/expected.txt" "$WORK/seen.txt" | head -10 | tr '\n' ';')"
#   Every event of the feed once, in order, numbered without a hole
sed -n 's/^[0-9:.]*  #\([0-9]*\)  .*/\1/p' "$WORK/tail.out" >"$WORK/seqs.txt"
awk 'NR > 1 && $1 != previous + 1 { print "after " previous ": " $1; bad = 1 } { previous = $1 }
     END { exit bad }' "$WORK/seqs.txt" >"$WORK/holes.txt" \
    || fail "the feed's event numbers jump or repeat: $(head -5 "$WORK/holes.txt" | tr '\n' ';')"
#   ...a few times at most: a broker that keeps fetching is in a loop
for log in "$WORK"/cluster/b*/broker.log; do
    fetches=$(grep -c "fetching events" "$log" || true)
    [ "$fetches" -le 10 ] || fail "$(basename "$(dirname "$log")") fetched history $fetches times"
done
[ "$(wc -l <"$WORK/expected.txt")" -gt 20 ] || fail "too few successes to mean anything: $(wc -l <"$WORK/expected.txt")"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
