#!/usr/bin/env bash
#   gavel-admin (issue 15, Build item 2): a cluster with a broker, CURVE on,
#   seen from its cluster file alone: status as a table and as JSON, the
#   exit status, a replica down, watch telling a new primary, the feed's
#   history, and keys check finding a key that does not match its server.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
admin () {
    "$BIN/gavel-admin" --cluster "$CLUSTER" "$@" 2>>"$WORK/admin.err"
}
wait_primary 10 || { fail "no primary"; exit 1; }

#   Healthy: three replicas up, one primary, the broker up
admin status >"$WORK/status.txt" || fail "status exited non-zero on a healthy cluster: $(cat "$WORK/status.txt")"
expect_line "$WORK/status.txt" 1 '^server +state +term +commit +applied +last +lag$'
[ "$(grep -c -E '^replica [123] +(primary|backup) +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +0$' "$WORK/status.txt")" -eq 3 ] \
    || fail "expected three replicas up, none behind: $(cat "$WORK/status.txt")"
[ "$(grep -c ' primary ' "$WORK/status.txt")" -eq 1 ] || fail "expected one primary: $(cat "$WORK/status.txt")"
grep -q -E '^broker 1 +up ' "$WORK/status.txt" || fail "broker 1 not up: $(cat "$WORK/status.txt")"
admin status --json >"$WORK/status.json" || fail "status --json exited non-zero"
[ "$(wc -l <"$WORK/status.json")" -eq 4 ] || fail "expected 4 JSON lines: $(cat "$WORK/status.json")"
python3 -c '
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert sum(row["state"] == "primary" for row in rows) == 1, rows
assert all(row["lag"] == 0 for row in rows if row["server"] == "replica"), rows
broker = [row for row in rows if row["server"] == "broker"][0]
assert broker["held"] == 0 and isinstance(broker["feed"], int), rows
' "$WORK/status.json" || fail "status --json: $(cat "$WORK/status.json")"

#   history N: the feed's last events, oldest first, for people and as JSON
printf 'open lamp 1m\nbid 1 10\nbid 1 20\n' | bidder --name zed >/dev/null
admin history 3 >"$WORK/history.txt" || fail "history 3 exited non-zero"
expect_line "$WORK/history.txt" 1 ' #[0-9]+  auction 1  opened: lamp by zed, '
expect_line "$WORK/history.txt" 2 ' #[0-9]+  auction 1  zed bids 10$'
expect_line "$WORK/history.txt" 3 ' #[0-9]+  auction 1  zed bids 20$'
admin --json history 1 >"$WORK/history.json" || fail "history --json exited non-zero"
expect_line "$WORK/history.json" 1 '^\{"seq":[0-9]+,.*"event":"bid","auction":1,"bidder":"zed","amount":20\}$'

#   keys check: every key matches; then a copy of the file with replica 1's
#   key swapped for replica 2's: replica 1 no longer answers the handshake
admin keys check >"$WORK/keys.txt" || fail "keys check failed: $(cat "$WORK/keys.txt")"
[ "$(grep -c ': ok; ' "$WORK/keys.txt")" -eq 4 ] || fail "expected 4 keys ok: $(cat "$WORK/keys.txt")"
python3 - "$CLUSTER" "$WORK/cluster/swapped.cfg" <<'SWAP' || fail "could not swap the keys"
import sys
lines = open(sys.argv[1]).read().split("\n")
keys = [i for i, line in enumerate(lines) if line.strip().startswith("public_key")]
#   the first two keys are replicas 1 and 2 (the file lists replicas first);
#   replica 1's secret line goes too, so that only the handshake can tell
lines[keys[0]] = lines[keys[1]]
secret = [i for i, line in enumerate(lines) if line.strip().startswith("secret")][0]
del lines[secret]
open(sys.argv[2], "w").write("\n".join(lines))
SWAP
rc=0
"$BIN/gavel-admin" --cluster "$WORK/cluster/swapped.cfg" --timeout 300 keys check >"$WORK/swapped.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "keys check with a swapped key exited $rc, expected 1"
grep -q '^replica 1: BAD; its secret is not on this host; no answer to a handshake' "$WORK/swapped.txt" \
    || fail "replica 1 not found bad by its handshake: $(cat "$WORK/swapped.txt")"

#   watch: the primary killed between rounds shows as a new primary
old=$PRIMARY
#   (it exits 1: a replica is down at the end)
( admin watch --interval 200 --count 15 --timeout 200 >"$WORK/watch.txt" || true ) &
watcher=$!
deadline=$((SECONDS + 10))
#   (a round that saw the primary, so that its going is a change)
until grep -q -E "^replica $old +primary " "$WORK/watch.txt" 2>/dev/null || [ $SECONDS -ge $deadline ]; do
    sleep 0.05
done
local_cmd kill "$old" || fail "gavel-local kill $old"
wait $watcher || true
grep -q '^new primary: replica [0-9] (term [0-9]*)$' "$WORK/watch.txt" \
    || fail "watch did not tell a new primary: $(tail -20 "$WORK/watch.txt")"
grep -q "^replica $old: down$" "$WORK/watch.txt" || fail "watch did not tell replica $old down"

#   status with a replica down: the row says so, and the exit status is 1
rc=0
admin status >"$WORK/down.txt" || rc=$?
[ $rc -eq 1 ] || fail "status exited $rc with a replica down, expected 1"
grep -q -E "^replica $old +down " "$WORK/down.txt" || fail "replica $old not down: $(cat "$WORK/down.txt")"

rc=0; "$BIN/gavel-admin" --cluster "$CLUSTER" launch >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "an unknown command exited $rc, expected 2"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
