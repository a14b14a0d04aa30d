#!/usr/bin/env bash
#   gavel-web's door (issue 15, Build item 6): malformed HTTP, huge
#   headers and URLs, paths outside the asset folder, methods that would
#   write, Last-Event-ID and ?after= that are no event numbers or are out of
#   range (tests/web/bad_input.py requests); a reader of /events that never
#   reads, while 600 bids commit: the feed does not wait for it (another
#   reader gets all 600 events as they come), it is dropped with a log line
#   after --idle seconds; gavel-web answers throughout and stops cleanly,
#   and the replicas never notice (same primary, same term). /metrics then
#   reads as Prometheus's text format, with the bids counted.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { fail "curl is missing"; exit 1; }
python3 "$(dirname "$0")/../web/metrics_check.py" --selftest >/dev/null \
    || { fail "metrics_check.py misses a planted fault"; exit 1; }
up 3 --brokers 1
wait_primary 10
primary=$PRIMARY
term_before=$(cluster_state | awk -v id="$primary" '$1 == id { print $3 }')

"$BIN/gavel-web" --cluster "$CLUSTER" $(insecure_flag) --listen 127.0.0.1:0 --idle 3 \
    >"$WORK/web.out" 2>"$WORK/web.err" &
echo $! >"$WORK/web.pid"
wait_for "$WORK/web.out" "^gavel-web: serving http://127.0.0.1:[0-9]+/" 10 || exit 1
port=$(sed -n 's|^gavel-web: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/web.out")

python3 "$(dirname "$0")/../web/bad_input.py" requests "$port" >"$WORK/requests.out" 2>&1 \
    || fail "bad requests: $(grep -E 'UNEXPECTED|Error' "$WORK/requests.out" || tail -5 "$WORK/requests.out")"

#   The reader that never reads, then one that does, from the house's number
#   (drops said so far: a bad request above may have been one)
drops_before=$(grep -c "moved nothing for 3 s" "$WORK/web.err" || true)
python3 "$(dirname "$0")/../web/bad_input.py" slow "$port" 120 >"$WORK/slow.out" 2>&1 &
echo $! >"$WORK/slow.pid"
wait_for "$WORK/slow.out" "^connected$" 10
open_auction lamp 10m
seq=$(curl -sf "http://127.0.0.1:$port/api/auctions" | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')
[ -n "$seq" ] || { fail "no seq in /api/auctions"; exit 1; }
python3 "$(dirname "$0")/../web/bad_input.py" follow "$port" "$seq" 600 >"$WORK/follow.out" 2>&1 &
echo $! >"$WORK/follow.pid"
bid_script "$AUCTION" 10 10 600 0 >"$WORK/bids.txt"
bidder --name al --script "$WORK/bids.txt" >"$WORK/bids.out" || fail "the bidder failed"
[ "$(grep -c '^success' "$WORK/bids.out")" -eq 600 ] \
    || fail "600 bids, $(grep -c '^success' "$WORK/bids.out") successes"
#   Every event, in order, to the reader that reads
deadline=$((SECONDS + 30))
until [ "$(wc -l <"$WORK/follow.out")" -ge 600 ] || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
seq $((seq + 1)) $((seq + 600)) >"$WORK/expected.txt"
diff -q "$WORK/expected.txt" "$WORK/follow.out" >/dev/null \
    || fail "the reader that reads got $(wc -l <"$WORK/follow.out") of 600 events, or out of order"
#   The one that does not is dropped, said in the log
deadline=$((SECONDS + 15))
until [ "$(grep -c "moved nothing for 3 s" "$WORK/web.err" || true)" -gt "$drops_before" ]; do
    [ $SECONDS -lt $deadline ] || { fail "the reader that never reads was not dropped in 15 s"; break; }
    sleep 0.1
done
#   (the house is made again at most every 100 ms)
deadline=$((SECONDS + 5))
until curl -sf "http://127.0.0.1:$port/api/auctions" | grep -q '"amount":6000,"bidder":"al"'; do
    [ $SECONDS -lt $deadline ] || { fail "/api/auctions lacks the last bid"; break; }
    sleep 0.1
done
#   (the metrics are made once a second)
deadline=$((SECONDS + 5))
until curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" \
      && grep -q '^gavel_web_idle_connections_dropped_total [1-9]' "$WORK/metrics.txt"; do
    [ $SECONDS -lt $deadline ] || { fail "/metrics counts no idle connection dropped"; break; }
    sleep 0.2
done

#   ... and they read as Prometheus reads them (tests/web/metrics_check.py),
#   with what the replicas' and the broker's STATUS said of the 600 bids
deadline=$((SECONDS + 5))
P="replica=\"$primary\""
until curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" \
      && python3 "$(dirname "$0")/../web/metrics_check.py" "$WORK/metrics.txt" \
          "gavel_replica_replies_total{$P,outcome=\"success\",reason=\"\"}>=600" \
          "gavel_replica_request_duration_seconds_count{$P}>=600" \
          "gavel_replica_log_write_entries_count{$P}>=1" \
          "gavel_replica_fsync_duration_seconds_count{$P}>=0" \
          "gavel_replica_log_bytes{$P}>=1" \
          "gavel_replica_snapshot_bytes{$P}>=0" \
          "gavel_replica_elections_won_total{$P}>=1" \
          "gavel_replica_elections_seen_total{$P}>=1" \
          "gavel_broker_feed_position{broker=\"1\"}>=$((seq + 600))" \
          "gavel_broker_held_requests{broker=\"1\"}==0" \
          "gavel_broker_forwards_total{broker=\"1\"}>=1" \
          >"$WORK/metrics_check.out" 2>&1; do
    [ $SECONDS -lt $deadline ] || { fail "/metrics: $(grep -v ' 0 problems' "$WORK/metrics_check.out" | head -5)"; break; }
    sleep 0.2
done

#   gavel-web stops cleanly on SIGTERM; the replicas noticed nothing
kill -TERM "$(cat "$WORK/web.pid")"
rc=0
wait "$(cat "$WORK/web.pid")" || rc=$?
rm "$WORK/web.pid"
[ $rc -eq 0 ] || fail "gavel-web exited $rc on SIGTERM: $(tail -3 "$WORK/web.err")"
state=$(cluster_state | awk -v id="$primary" '$1 == id { print $2, $3 }')
[ "$state" = "primary $term_before" ] || fail "replica $primary was primary in term $term_before, now: $state"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
