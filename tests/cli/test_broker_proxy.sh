#!/usr/bin/env bash
#   A broker behind two ROUTER/DEALER proxies (docs/PROTOCOL.md,
#   "Transport" and "Brokers"): every client's routing frames before the
#   empty delimiter come back in front of its own answer, through CURVE to
#   a real broker and replica. A DEALER client (with its own delimiter) and
#   a REQ client open, bid and read; two clients behind the same proxies
#   using the same request id at once each get their own answer. The
#   broker used to answer such requests 'exception malformed' to the
#   nearest proxy, which could not route it: the clients heard nothing.
source "$(dirname "$0")/lib.sh"

need_pyzmq

cat >"$WORK/proxies.py" <<'PYEOF'
#   Two ROUTER/DEALER proxies in one loop, the inner one connected to the
#   broker with CURVE (a key pair of its own); clients on inproc. Prints one
#   line per answer: what, the delimiter seen ("delimited" or not), outcome,
#   records. Everything bounded by a deadline.
import sys, time, zmq

endpoint, server_key, step, auction = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4]
context = zmq.Context()

def make(kind, bind=None, connect=None, curve=False):
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    if curve:
        sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
        sock.curve_serverkey = server_key
    if bind:
        sock.bind(bind)
    if connect:
        sock.connect(connect)
    return sock

outer_front = make(zmq.ROUTER, bind="inproc://outer")
outer_back = make(zmq.DEALER, connect="inproc://inner")
inner_front = make(zmq.ROUTER, bind="inproc://inner")
inner_back = make(zmq.DEALER, connect=endpoint, curve=True)
pipes = {outer_front: outer_back, outer_back: outer_front,
         inner_front: inner_back, inner_back: inner_front}

def request(command, request_id, session, name, *arguments):
    return [b"GAVEL/1", command.encode(), str(request_id).encode(), session.encode(),
            name.encode()] + [str(a).encode() for a in arguments]

clients = {}
if step == "open":
    dealer = make(zmq.DEALER, connect="inproc://outer")
    dealer.send_multipart([b""] + request("OPEN", 1, "proxyseller1", "seller", "lamp", 60000, 0))
    clients[dealer] = "open"
else:
    req = make(zmq.REQ, connect="inproc://outer")
    req.send_multipart(request("BID", 1, "proxybidder1", "bob", auction, 150))
    clients[req] = "bid"
    dealer = make(zmq.DEALER, connect="inproc://outer")
    dealer.send_multipart([b""] + request("RESULT", 1, "proxyreader1", "ann", auction))
    clients[dealer] = "result"

poller = zmq.Poller()
for sock in list(pipes) + list(clients):
    poller.register(sock, zmq.POLLIN)
answers = {}
deadline = time.time() + 15
while time.time() < deadline and len(answers) < len(clients):
    for sock, _ in poller.poll(50):
        frames = sock.recv_multipart()
        if sock in pipes:
            pipes[sock].send_multipart(frames)
            continue
        delimited = sock.socket_type == zmq.REQ or (frames[:1] == [b""])
        if sock.socket_type == zmq.DEALER and frames[:1] == [b""]:
            frames = frames[1:]
        tag, command, request_id, outcome, reason, message, *records = frames
        answers[clients[sock]] = "%s %s id=%s %s %s %s" % (
            clients[sock], "delimited" if delimited else "undelimited", request_id.decode(),
            outcome.decode(), reason.decode(), " ".join(r.decode() for r in records))
for what in clients.values():
    print(answers.get(what, what + " none"))
sys.stdout.flush()
context.destroy(linger=0)
PYEOF

up 1 --brokers 1
broker=$(broker_endpoint 1 client)
key=$(server_key 1 broker)
[ ${#key} -eq 40 ] || fail "no public key for broker 1: '$key'"
#   The broker answers once it knows the primary (gavel-local waited for it)
proxies () {
    timeout 30 "$PYTHON" "$WORK/proxies.py" "$broker" "$key" "$1" "${2:-0}" >"$WORK/$1.out" 2>&1 \
        || fail "proxies.py $1 exited $?: $(tail -3 "$WORK/$1.out")"
}

proxies open
expect_contains "$WORK/open.out" '^open delimited id=1 success  auction=[0-9]+ closes_in=[0-9]+$'
auction=$(sed -n 's/^open .* auction=\([0-9]*\) .*/\1/p' "$WORK/open.out")
[ -n "$auction" ] || { fail "no auction opened through the proxies: $(cat "$WORK/open.out")"; exit 1; }

#   Two clients, one request id, at once: each its own answer
proxies read "$auction"
expect_contains "$WORK/read.out" "^bid delimited id=1 success  auction=$auction amount=150 closes_in=[0-9]+\$"
expect_contains "$WORK/read.out" "^result delimited id=1 success  auction=$auction state=open highest=(0|150) bidder=(none|bob) closes_in=[0-9]+\$"
#   Nothing was dropped or refused by the broker on the way
grep -q "rejected\|malformed" "$WORK/cluster/b1/broker.log" \
    && fail "the broker logged a rejection: $(grep 'rejected\|malformed' "$WORK/cluster/b1/broker.log" | head -3)"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
