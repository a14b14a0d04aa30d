#!/usr/bin/env bash
#   With CURVE (the default) a bid is not readable on the wire: a relay on
#   loopback between the bidder and the replica records every byte both
#   ways, and the record holds neither the bidder's name, the item nor the
#   amount. The same run with --insecure shows all three in the record, so
#   the check can fail. (A relay rather than tcpdump or tshark: it needs no
#   capture privileges or tools, and sees exactly the bytes on the wire.)
source "$(dirname "$0")/lib.sh"

PYTHON=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null; then
        PYTHON=$candidate
        break
    fi
done
[ -n "$PYTHON" ] || { echo "FAIL: $TEST_NAME needs python3"; exit 1; }

#   relay.py TARGET_PORT PORT_FILE CAPTURE STOP_FILE: listens on a free
#   loopback port (written to PORT_FILE), forwards each connection to
#   TARGET_PORT and appends what passes, both ways, to CAPTURE; ends once
#   STOP_FILE or $WORK/stop exists, or after 60 s
cat >"$WORK/relay.py" <<'PYEOF'
import os, socket, sys, threading, time
target, port_file, capture, stop_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
stop_all = os.path.join(os.path.dirname(capture), "stop")
lock = threading.Lock()
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
listener.settimeout(0.1)
with open(port_file + ".new", "w") as out:
    out.write("%d\n" % listener.getsockname()[1])
os.rename(port_file + ".new", port_file)

def stopped():
    return os.path.exists(stop_file) or os.path.exists(stop_all)

def pump(source, sink):
    source.settimeout(0.1)
    while not stopped():
        try:
            data = source.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not data:
            break
        with lock, open(capture, "ab") as out:
            out.write(data)
        try:
            sink.sendall(data)
        except OSError:
            break
    for end in (source, sink):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

deadline = time.time() + 60
while time.time() < deadline and not stopped():
    try:
        client, _ = listener.accept()
    except socket.timeout:
        continue
    server = socket.create_connection(("127.0.0.1", target))
    for source, sink in ((client, server), (server, client)):
        threading.Thread(target=pump, args=(source, sink), daemon=True).start()
PYEOF

#   run_through_relay NAME [bidder flags]: a relay in front of replica 1's
#   client endpoint, a copy of the cluster file that sends bidders to it,
#   and one auction opened and bid on through it; the bytes in NAME.cap
run_through_relay () {
    local name=$1 target port deadline
    shift
    target=$(endpoint 1 | sed 's/.*://')
    "$PYTHON" "$WORK/relay.py" "$target" "$WORK/$name.port" "$WORK/$name.cap" "$WORK/$name.stop" &
    HELPER_PIDS+=($!)
    deadline=$((SECONDS + 10))
    while [ ! -s "$WORK/$name.port" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    [ -s "$WORK/$name.port" ] || { fail "the relay did not start"; return 1; }
    port=$(cat "$WORK/$name.port")
    sed "s|client = $(endpoint 1)\$|client = tcp://127.0.0.1:$port|" "$CLUSTER" >"$WORK/$name.cfg"
    grep -q "client = tcp://127.0.0.1:$port\$" "$WORK/$name.cfg" || { fail "no relay in $name.cfg"; return 1; }
    printf 'open xylophone 1m\nbid 1 987654321\n' \
        | "$BIN/bidder" --cluster "$WORK/$name.cfg" --name zebulon "$@" \
              >"$WORK/$name.out" 2>>"$WORK/bidder.err" \
        || fail "the bidder through the relay ($name) exited $?: $(cat "$WORK/$name.out")"
    expect_line "$WORK/$name.out" 2 '^success auction=1 amount=987654321 '
    touch "$WORK/$name.stop"
}

#   captured NAME WORD: whether the capture holds WORD
captured () {
    grep -a -q -F "$2" "$WORK/$1.cap"
}

up 1
run_through_relay secure
[ -s "$WORK/secure.cap" ] || fail "the relay recorded nothing"
for word in zebulon xylophone 987654321 GAVEL/1; do
    captured secure "$word" && fail "'$word' went over the wire in clear with CURVE on"
done

#   A fresh cluster: the name is bound to the secure run's key
local_cmd down
rm -rf "$WORK/cluster"
up 1 --insecure
expect_contains "$WORK/up.out" '^gavel-local: warning: --insecure: CURVE is off'
run_through_relay insecure --insecure
expect_contains "$WORK/bidder.err" '^bidder: warning: --insecure: CURVE is off'
#   A cluster file without keys, used without --insecure: a clear error
rc=0; echo "list" | "$BIN/bidder" --cluster "$CLUSTER" --name zebulon >/dev/null 2>"$WORK/nokeys.err" || rc=$?
[ $rc -eq 2 ] || fail "a bidder given a cluster file without keys exited $rc, expected 2"
expect_contains "$WORK/nokeys.err" 'lists no CURVE public keys.*gavel-keygen.*--insecure'
for word in zebulon xylophone 987654321 GAVEL/1; do
    captured insecure "$word" || fail "'$word' is not in the insecure capture: the check could not fail"
done
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
