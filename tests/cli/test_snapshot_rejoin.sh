#!/usr/bin/env bash
#   A backup stays down while the log moves on by 10,000 entries (twenty
#   snapshots at snapshot_every 500: half the entries of a sanitized
#   cluster's 90 s at 2 of 3 replicas). Restarted on its data directory, it
#   is sent the primary's snapshot instead of every entry, converges, and its
#   disk stays bounded by the snapshot interval.
source "$(dirname "$0")/lib.sh"
"$BIN/gavel-local" up 3 --dir "$WORK/cluster" --snapshot-every 500 >"$WORK/up.out" 2>&1 \
    || { cat "$WORK/up.out"; echo "FAIL: gavel-local up"; exit 1; }
open_auction lamp 10m
wait_primary 5
away=$(backup_id)
[ -n "$away" ] || { fail "no backup"; exit 1; }
local_cmd kill "$away" || fail "gavel-local kill $away"

commit_of () {
    cluster_state | awk -v id="$1" '$1 == id { print $4 }'
}
start=$(commit_of "$PRIMARY")
deadline=$((SECONDS + 90))
while [ "$(commit_of "$PRIMARY")" -lt $((start + 10000)) ]; do
    [ $SECONDS -lt $deadline ] || { fail "the log did not grow by 10000 entries in 90 s"; break; }
    "$BIN/gavel-bench" --cluster "$CLUSTER" --clients 8 --auctions per-client --seconds 2 \
        >>"$WORK/bench.out" 2>>"$WORK/bench.err" || fail "gavel-bench failed: $(tail -3 "$WORK/bench.err")"
done

local_cmd restart "$away" || fail "gavel-local restart $away"
wait_agree 20
grep -q "installed a snapshot" "$WORK/cluster/r$away/replica.log" \
    || fail "replica $away caught up without a snapshot"
lines=$(wc -l <"$WORK/cluster/r$away/log")
[ "$lines" -le 1500 ] || fail "replica $away keeps $lines log records; snapshots should bound it near 1000"
[ -s "$WORK/cluster/r$away/snapshot" ] || fail "replica $away stored no snapshot"
#   Its state answers like the primary's
echo "result $AUCTION" | "$BIN/bidder" --cluster "$CLUSTER" --connect "$(endpoint "$away")" --name referee \
    >"$WORK/away.txt" 2>>"$WORK/bidder.err" || fail "replica $away did not answer"
expect_contains "$WORK/away.txt" "^success auction=$AUCTION state=open"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
