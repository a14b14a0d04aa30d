#!/usr/bin/env bash
#   zmq-tail --raw against a plain PUB socket that this test makes itself,
#   with no Gavel code behind it (pyzmq): text frames print as text, others
#   as hex, one line per message with its frame count; --topic filters;
#   garbage in event mode is shown, not fatal; SIGINT and SIGTERM exit 0;
#   bad options and endpoints exit 2.
source "$(dirname "$0")/lib.sh"

need_pyzmq

#   The publisher: binds a free loopback port, writes its endpoint, and
#   sends two messages every 20 ms until $WORK/stop exists (or 40 s pass):
#   PUB drops what it sends before a subscriber is there, so it repeats
cat >"$WORK/publisher.py" <<'EOF'
import os, sys, time, zmq
endpoint_file, stop_file = sys.argv[1:3]
pub = zmq.Context().socket(zmq.PUB)
pub.setsockopt(zmq.LINGER, 0)
pub.bind("tcp://127.0.0.1:*")
with open(endpoint_file + ".new", "w") as out:
    out.write(pub.getsockopt_string(zmq.LAST_ENDPOINT) + "\n")
os.rename(endpoint_file + ".new", endpoint_file)
deadline = time.time() + 40
sequence = 0
while time.time() < deadline and not os.path.exists(stop_file):
    sequence += 1
    pub.send_multipart([b"alpha", b"hello world", b"\x00\x01\xff\x7f", b"",
                        "caf\u00e9".encode(), b"line\nbreak", str(sequence).encode()])
    pub.send_multipart([b"beta", b"\x00\x00\x00\xfe"])
    time.sleep(0.02)
EOF
"$PYTHON" "$WORK/publisher.py" "$WORK/endpoint" "$WORK/stop" 2>"$WORK/publisher.err" &
HELPER_PIDS+=($!)
for ((try = 0; try < 100; try++)); do
    [ -s "$WORK/endpoint" ] && break
    sleep 0.05
done
[ -s "$WORK/endpoint" ] || { cat "$WORK/publisher.err"; echo "FAIL: the publisher did not start"; exit 1; }
ENDPOINT=$(cat "$WORK/endpoint")

ALPHA='^\[7\] alpha \| hello world \| 0x0001ff7f \| "" \| café \| 0x6c696e650a627265616b \| [0-9]+$'
BETA='^\[2\] beta \| 0x000000fe$'

#   Everything: --count 6 stops it after six messages, status 0
rc=0
timeout 20 "$BIN/zmq-tail" --insecure --raw --count 6 "$ENDPOINT" >"$WORK/all.out" 2>"$WORK/all.err" || rc=$?
[ $rc -eq 0 ] || fail "zmq-tail --raw --count 6 exited $rc: $(cat "$WORK/all.err")"
[ "$(wc -l <"$WORK/all.out")" -eq 6 ] || fail "expected 6 lines, got: $(cat "$WORK/all.out")"
while IFS= read -r line; do
    [[ $line =~ $ALPHA || $line =~ $BETA ]] || fail "unexpected line: '$line'"
done <"$WORK/all.out"
expect_contains "$WORK/all.out" "$ALPHA"
expect_contains "$WORK/all.out" "$BETA"
expect_contains "$WORK/all.err" "^zmq-tail: connected to $ENDPOINT\$"

#   --topic subscribes to that prefix only
rc=0
timeout 20 "$BIN/zmq-tail" --insecure --raw --topic bet --count 3 "$ENDPOINT" >"$WORK/beta.out" 2>"$WORK/beta.err" || rc=$?
[ $rc -eq 0 ] || fail "zmq-tail --raw --topic bet exited $rc: $(cat "$WORK/beta.err")"
[ "$(grep -c -E "$BETA" "$WORK/beta.out")" -eq 3 ] && [ "$(wc -l <"$WORK/beta.out")" -eq 3 ] \
    || fail "--topic bet: expected 3 beta lines, got: $(cat "$WORK/beta.out")"

#   start_tail NAME ARGS...: zmq-tail in the background, bounded, with its
#   pid in $WORK/NAME.pid and its exit status in NAME.rc (lib.sh's cleanup
#   stops it by that pid if the test ends early, as it does bidders)
TAIL_PIDS=()
start_tail () {
    local name=$1
    shift
    ( timeout 30 "$BIN/zmq-tail" --insecure "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
      echo $! >"$WORK/$name.pid"
      rc=0
      wait $! || rc=$?
      echo $rc >"$WORK/$name.rc" ) &
    TAIL_PIDS+=($!)
}

#   stop_tail SIGNAL NAME: it must exit 0, at once
stop_tail () {
    local deadline=$((SECONDS + 5))
    kill "-$1" "$(cat "$WORK/$2.pid")"
    while [ ! -s "$WORK/$2.rc" ] && [ $SECONDS -lt $deadline ]; do
        sleep 0.05
    done
    [ "$(cat "$WORK/$2.rc" 2>/dev/null)" = 0 ] \
        || fail "zmq-tail ($2) on SIG$1: status $(cat "$WORK/$2.rc" 2>/dev/null || echo none, still running): $(tail -3 "$WORK/$2.err")"
}

#   Not Gavel's feed, decoded anyway: each message shown as malformed, and
#   zmq-tail carries on until SIGINT
start_tail garbage --topic alpha "$ENDPOINT"
wait_for "$WORK/garbage.out" '^malformed \(.*\): \[7\] alpha \| hello world \| 0x0001ff7f' 10
sleep 0.2
stop_tail INT garbage
[ "$(grep -c '^malformed' "$WORK/garbage.out")" -ge 2 ] \
    || fail "expected several malformed lines, got: $(head -5 "$WORK/garbage.out")"

#   SIGTERM while following, and a second endpoint with nobody behind it
#   (a closed port: zmq-tail keeps trying, it does not die)
start_tail term --raw "$ENDPOINT" tcp://127.0.0.1:1
wait_for "$WORK/term.out" "$BETA" 10
stop_tail TERM term

#   Usage errors: status 2 and a message naming the problem
usage_error () {
    local pattern=$1 rc=0
    shift
    timeout 10 "$BIN/zmq-tail" --insecure "$@" >"$WORK/usage.out" 2>"$WORK/usage.err" || rc=$?
    [ $rc -eq 2 ] || fail "zmq-tail $*: expected status 2, got $rc"
    grep -q -E -- "$pattern" "$WORK/usage.err" \
        || fail "zmq-tail $*: stderr does not say /$pattern/: $(head -3 "$WORK/usage.err")"
}
usage_error 'nothing to follow'
usage_error 'cannot connect to 127\.0\.0\.1:5555.*tcp://HOST:PORT' 127.0.0.1:5555
usage_error 'cannot connect to tcp://127\.0\.0\.1:' tcp://127.0.0.1:
usage_error 'inproc' inproc://feed
usage_error '--raw prints frames' --raw --json "$ENDPOINT"
usage_error "--count '0'" --count 0 "$ENDPOINT"
usage_error "--auction 'x'" --auction x "$ENDPOINT"
usage_error 'unrecognized option' --bogus "$ENDPOINT"
usage_error 'no such file' --cluster "$WORK/missing.cfg"
#   CURVE is the default: a bare endpoint has no server key to check
rc=0; timeout 10 "$BIN"/zmq-tail "$ENDPOINT" >/dev/null 2>"$WORK/secure.err" || rc=$?
[ $rc -eq 2 ] || fail "zmq-tail ENDPOINT without --insecure or --cluster: expected status 2, got $rc"
expect_contains "$WORK/secure.err" "with CURVE the servers' keys come from --cluster FILE.*--insecure"
rc=0
"$BIN/zmq-tail" --insecure --help >"$WORK/help.out" 2>&1 || rc=$?
[ $rc -eq 0 ] && grep -q -- '--raw' "$WORK/help.out" || fail "zmq-tail --help: status $rc"

for pid in "${TAIL_PIDS[@]}"; do
    wait "$pid" || true
done
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
