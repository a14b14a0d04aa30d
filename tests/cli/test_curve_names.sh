#!/usr/bin/env bash
#   A name belongs to the key that first used it (CURVE, the default). Two
#   bidders with different key pairs both call themselves bob: the second
#   gets exception name-taken, for a bid, an open and a read; the binding
#   survives a kill -9 of the primary, and holds through a broker (which
#   forwards each bidder's key). A forged broker, a client with a key of its
#   own that puts bob's key where a broker would, gets name-taken too: only
#   the cluster's brokers are believed.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
open_auction lamp 5m
auction=$AUCTION

#   as KEYS ARGS...: the bidder with the key directory $WORK/KEYS, straight
#   to the replicas (--connect), one command from stdin
as_keys () {
    local keys=$1
    shift
    timeout 20 "$BIN/bidder" --cluster "$CLUSTER" --keys "$WORK/$keys" "$@" 2>>"$WORK/bidder.err"
}
replicas=()
for id in 1 2 3; do
    replicas+=(--connect "$(endpoint $id)")
done

out=$(echo "bid $auction 100" | as_keys keys-a --name bob "${replicas[@]}") || true
[[ $out == success* ]] || fail "bob's first bid (key A): $out"
out=$(echo "bid $auction 200" | as_keys keys-b --name bob "${replicas[@]}") || true
[[ $out == "exception reason=name-taken"* ]] || fail "bob with key B should get name-taken: $out"
out=$(echo "open vase 5m" | as_keys keys-b --name bob "${replicas[@]}") || true
[[ $out == "exception reason=name-taken"* ]] || fail "an open as bob with key B should get name-taken: $out"
out=$(echo "result $auction" | as_keys keys-b --name bob "${replicas[@]}") || true
[[ $out == "exception reason=name-taken"* ]] || fail "a read as bob with key B should get name-taken: $out"
[ "$(stat -c %a "$WORK/keys-a/bob_secret")" = 600 ] || fail "bob's secret key is not mode 600"

#   The binding is replicated state: a new primary holds it
old=$(primary_id)
local_cmd kill primary || fail "gavel-local kill primary: $(tail -3 "$WORK/local.out")"
wait_primary 10 "$old"
out=$(echo "bid $auction 300" | as_keys keys-b --name bob "${replicas[@]}") || true
[[ $out == "exception reason=name-taken"* ]] || fail "after the failover, bob with key B: $out"
out=$(echo "bid $auction 300" | as_keys keys-a --name bob "${replicas[@]}") || true
[[ $out == success* ]] || fail "after the failover, bob with key A: $out"

#   Through the broker (the cluster file lists it, so --cluster alone uses
#   it): it forwards each bidder's own key
out=$(echo "bid $auction 400" | as_keys keys-b --name bob) || true
[[ $out == "exception reason=name-taken"* ]] || fail "bob with key B through the broker: $out"
out=$(echo "bid $auction 400" | as_keys keys-a --name bob) || true
[[ $out == success* ]] || fail "bob with key A through the broker: $out"
expect_contains "$WORK/cluster/b1/broker.log" "serving"

#   A forged broker: its own (unknown) key, and bob's key in a K: frame
primary=$(primary_id)
/usr/bin/python3 - "$CLUSTER" "$(endpoint "$primary")" "$primary" "$WORK/keys-a/bob" \
    "$auction" >"$WORK/forged.out" 2>&1 <<'PYEOF' || fail "the forged broker script: $(cat "$WORK/forged.out")"
import re, sys, zmq
cluster_file, endpoint, primary, bob_cert, auction = sys.argv[1:6]
def server_key(wanted):
    section, current = None, None
    for line in open(cluster_file):
        if re.match(r"^[a-z]", line):
            section = line.strip()
        elif section == "replica" and re.match(r"^    \d+$", line):
            current = line.strip()
        elif section == "replica" and current == wanted and "public_key" in line:
            return line.split("=", 1)[1].strip().strip('"').encode()
bob = re.search(r'public-key = "(.*)"', open(bob_cert).read()).group(1).encode()
sock = zmq.Context().socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
sock.curve_serverkey = server_key(primary)
sock.connect(endpoint)
sock.send_multipart([b"K:" + bob, b"", b"GAVEL/1", b"BID", b"1", b"forged0session", b"bob",
                     auction.encode(), b"9999"])
if not sock.poll(5000):
    print("no reply")
    sys.exit(1)
reply = sock.recv_multipart()
print(" ".join(frame.decode(errors="replace") for frame in reply))
PYEOF
expect_contains "$WORK/forged.out" 'REPLY 1 exception name-taken'
out=$(echo "result $auction" | as_keys keys-a --name bob "${replicas[@]}") || true
[[ $out == *"highest=400 bidder=bob"* ]] || fail "the forged bid changed the auction: $out"

[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
