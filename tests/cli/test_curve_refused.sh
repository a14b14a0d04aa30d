#!/usr/bin/env bash
#   CURVE on a secure cluster (the default): the replicas' mesh, ack and
#   pub endpoints admit only the cluster's own keys. A client without CURVE
#   and one with an unknown key get no heartbeat from any pub, and their
#   ELECTION and ACK frames with a huge term change nothing; each refusal is
#   in the replica's log, naming the endpoint (and the key), and a flood is
#   summed up rather than logged line by line. The controls show the same
#   steps can fail: with a cluster key a SUB does get heartbeats, and the
#   same ELECTION frames do move the term.
source "$(dirname "$0")/lib.sh"

need_pyzmq

cat >"$WORK/attack.py" <<'PYEOF'
#   Attacks on a secure cluster's replica-only endpoints (mesh, ack, pub)
#   by a client without CURVE, one with an unknown key, and as a control
#   one with a cluster key (replica 1's).
import re, sys, time, zmq

cluster_file, keys_dir, mode = sys.argv[1:4]

def replicas():
    found, section, current = {}, None, None
    for line in open(cluster_file):
        if re.match(r"^[a-z]", line):
            section = line.strip()
        elif section == "replica" and re.match(r"^    \d+$", line):
            current = int(line)
            found[current] = {}
        elif section == "replica" and current and "=" in line:
            key, value = [part.strip() for part in line.split("=", 1)]
            found[current][key] = value.strip('"')
    return found

def certificate(path):
    keys = {}
    for line in open(path):
        match = re.match(r'\s*(public|secret)-key = "(.*)"', line)
        if match:
            keys[match.group(1)] = match.group(2).encode()
    return keys["public"], keys["secret"]

context = zmq.Context()
cluster = replicas()

def socket(kind, identity, server_key, keys):
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDTIMEO, 0)
    if identity:
        sock.setsockopt(zmq.IDENTITY, identity)
    if keys:
        sock.curve_publickey, sock.curve_secretkey = keys
        sock.curve_serverkey = server_key.encode()
    return sock

def heartbeats(keys, seconds):
    """Heartbeats heard from any replica's pub within seconds (stops at one)"""
    subs = []
    for replica in cluster.values():
        sub = socket(zmq.SUB, None, replica["public_key"], keys)
        sub.setsockopt(zmq.SUBSCRIBE, b"hb")
        sub.connect(replica["pub"])
        subs.append(sub)
    poller = zmq.Poller()
    for sub in subs:
        poller.register(sub, zmq.POLLIN)
    count, deadline = 0, time.time() + seconds
    while time.time() < deadline and count == 0:
        for sub, _ in poller.poll(50):
            sub.recv_multipart()
            count += 1
    for sub in subs:
        sub.close()
    return count

def rogue(keys, seconds, targets):
    """ELECTION and ACK frames with term 1000, as replica 1, for a while"""
    socks = []
    for id in targets:
        replica = cluster[id]
        mesh = socket(zmq.DEALER, b"1", replica["public_key"], keys)
        mesh.connect(replica["mesh"])
        ack = socket(zmq.PUSH, None, replica["public_key"], keys)
        ack.connect(replica["ack"])
        socks += [mesh, ack]
    deadline = time.time() + seconds
    while time.time() < deadline:
        for index, sock in enumerate(socks):
            frames = ([b"GAVEL/1", b"ELECTION", b"1000", b"1", b"1000", b"1000000"] if index % 2 == 0
                      else [b"GAVEL/1", b"ACK", b"1000", b"1", b"1000000", b"1"])
            try:
                sock.send_multipart(frames, zmq.NOBLOCK)
            except zmq.Again:
                pass
        time.sleep(0.05)
    for sock in socks:
        sock.close()

stranger = zmq.curve_keypair()
member = certificate(keys_dir + "/replica1_secret")
if mode == "member-hb":
    print("member-hb", heartbeats(member, 5))
elif mode == "attack":
    print("stranger-key", stranger[0].decode())
    print("plain-hb", heartbeats(None, 1))
    print("stranger-hb", heartbeats(stranger, 1))
    rogue(None, 1, cluster.keys())
    #   The replicas log at most a few refusals a second and sum up the
    #   rest; the stranger's own refusal on each mesh, which the test looks
    #   for by key, comes in a second of its own
    time.sleep(1.1)
    rogue(stranger, 1, cluster.keys())
elif mode == "flood":
    socks = []
    for index in range(60):
        sock = socket(zmq.DEALER, None, cluster[1]["public_key"], zmq.curve_keypair())
        sock.connect(cluster[1]["mesh"])
        socks.append(sock)
    time.sleep(1)
    for sock in socks:
        sock.close()
    print("flood done")
elif mode == "member-election":
    rogue(member, 1, [2])
    print("member election sent")
context.term()
PYEOF

up 3
KEYS=$WORK/cluster/keys
attack () {
    timeout 30 "$PYTHON" "$WORK/attack.py" "$CLUSTER" "$KEYS" "$1" >"$WORK/$1.out" 2>&1 \
        || fail "attack.py $1 exited $?: $(tail -3 "$WORK/$1.out")"
}

#   Control: a cluster key hears heartbeats
attack member-hb
expect_contains "$WORK/member-hb.out" '^member-hb [1-9]'

wait_primary 10
attack attack
expect_contains "$WORK/attack.out" '^plain-hb 0$'
expect_contains "$WORK/attack.out" '^stranger-hb 0$'
#   Nothing the rogue frames said took: no replica is in their term (1000,
#   which the control below reaches with a cluster key). An election of the
#   cluster's own (a loaded machine) may move the term by one or two.
cluster_state | awk '$3 >= 1000 { found = 1 } END { exit found }' \
    || fail "the rogue frames moved a term to theirs: $(cluster_state | tr '\n' ';')"
open_auction lamp 1m
echo "bid $AUCTION 100" | bidder --name ann >"$WORK/ann.out"
expect_line "$WORK/ann.out" 1 "^success auction=$AUCTION amount=100 "

#   Each refusal is logged, naming the endpoint: the stranger's key on
#   every replica's mesh, a client without CURVE on some endpoint
stranger=$(sed -n 's/^stranger-key //p' "$WORK/attack.out")
for id in 1 2 3; do
    mesh=$(awk -v id="    $id" '/^[a-z]/ { s = $1 } s == "replica" && /^    [0-9]+$/ { c = $0 }
                                  s == "replica" && c == id && $1 == "mesh" { print $3 }' "$CLUSTER")
    log=$WORK/cluster/r$id/replica.log
    wait_for "$log" "curve: refused a connection on tcp://127.0.0.1:[0-9]+: the handshake failed" 5
    grep -q -F "curve: refused key $stranger from 127.0.0.1 on $mesh: not a key of this cluster" "$log" \
        || fail "replica $id did not log the stranger's key on its mesh $mesh: $(grep curve: "$log" | head -5)"
done

#   A flood of 60 strangers in a second is summed up, not logged line by line
lines_before=$(grep -c 'curve: ' "$WORK/cluster/r1/replica.log" || true)
attack flood
wait_for "$WORK/cluster/r1/replica.log" "curve: [0-9]+ more refusals in the last second, not logged" 5
lines=$(( $(grep -c 'curve: ' "$WORK/cluster/r1/replica.log") - lines_before ))
[ "$lines" -le 20 ] || fail "the flood made $lines log lines: it should be summed up"

#   Control: the same ELECTION frames with a cluster key do move the term
attack member-election
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ] && ! cluster_state | awk '$3 >= 1000 { found = 1 } END { exit !found }'; do
    sleep 0.05
done
cluster_state | awk '$3 >= 1000 { found = 1 } END { exit !found }' \
    || fail "the control ELECTION with a cluster key did not move the term: $(cluster_state | tr '\n' ';')"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
