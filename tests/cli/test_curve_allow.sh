#!/usr/bin/env bash
#   cluster/settings/bidder_allow: with an allow-list of public
#   certificates, a replica's client endpoint admits those bidders' keys
#   only; another bidder is refused at the handshake (no answer, and the
#   replica logs the refused key). An allow-list directory that cannot be
#   read stops the replica with a message naming it.
source "$(dirname "$0")/lib.sh"
up 1

#   ann's key pair, made by a first request, goes into the allow-list
echo "list" | bidder --name ann >"$WORK/ann0.out"
expect_line "$WORK/ann0.out" 1 '^success'
mkdir "$WORK/allow"
cp "$GAVEL_KEYS/ann" "$WORK/allow/ann"
sed -i "/^    settings\$/a\\        bidder_allow = $WORK/allow" "$CLUSTER"
grep -q "bidder_allow = $WORK/allow" "$CLUSTER" || { echo "FAIL: no bidder_allow in the cluster file"; exit 1; }
local_cmd restart all || fail "gavel-local restart all: $(tail -5 "$WORK/local.out")"
wait_primary 10

echo "list" | bidder --name ann >"$WORK/ann.out"
expect_line "$WORK/ann.out" 1 '^success'
echo "list" | bidder --name bob --timeout 300 --retries 1 >"$WORK/bob.out" || true
expect_line "$WORK/bob.out" 1 '^exception reason=no-answer '
bob=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$GAVEL_KEYS/bob")
[ ${#bob} -eq 40 ] || fail "no public key for bob: '$bob'"
wait_for "$WORK/cluster/r1/replica.log" "curve: refused key .* on $(endpoint 1): not in the bidder allow-list" 5
grep -q -F "refused key $bob from 127.0.0.1" "$WORK/cluster/r1/replica.log" \
    || fail "the replica did not log bob's key: $(grep 'curve:' "$WORK/cluster/r1/replica.log" | tail -3)"

#   An allow-list that cannot be read: the replica says so and stops
sed "s|bidder_allow = .*|bidder_allow = $WORK/no-such-dir|" "$CLUSTER" >"$WORK/bad.cfg"
rc=0; timeout 10 "$BIN/replica" --cluster "$WORK/bad.cfg" --id 1 >"$WORK/bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "a replica with an unreadable allow-list exited $rc, expected 2"
expect_contains "$WORK/bad.out" "cluster/settings/bidder_allow: cannot read key directory .*no-such-dir"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
