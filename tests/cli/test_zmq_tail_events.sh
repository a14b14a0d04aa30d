#!/usr/bin/env bash
#   zmq-tail's reading of Gavel's event feed, line for line, against a feed
#   this test publishes itself (pyzmq, XPUB: it sends once it sees the
#   subscription, so nothing is lost to the slow-joiner race): the pretty
#   lines, the JSON lines, an event repeated by a second primary printed
#   once (but several events of one entry each printed), malformed messages
#   shown and skipped, a hole in the numbering said, --auction, --count and -n.
source "$(dirname "$0")/lib.sh"

need_pyzmq

#   On each new subscription: the feed (events, two malformed messages),
#   then every event again from another primary, then a last event
cat >"$WORK/publisher.py" <<'EOF'
import os, sys, time, zmq
endpoint_file, stop_file = sys.argv[1:3]
T0 = 1732550400000                  # 2024-11-25 16:00:00 UTC
def event(term, sender, index, seq, stamp, record):
    return [b"event", b"GAVEL/1", b"EVENT"] \
           + [str(n).encode() for n in (term, sender, index, seq, stamp)] + [record.encode()]
events = [
    (1, 1, 1, 1, T0, "event=primary primary=1 term=1"),
    (1, 1, 2, 2, T0 + 10, "event=opened auction=1 item=lamp by=carol closes_at=%d reserve=100" % (T0 + 60000)),
    (1, 1, 3, 3, T0 + 20, "event=bid auction=1 bidder=bob amount=150"),
    (1, 1, 4, 4, T0 + 30, "event=opened auction=2 item=vase by=dan closes_at=%d reserve=0" % (T0 + 2 * 86400000 + 10000)),
    (1, 1, 5, 5, T0 + 40, "event=bid auction=2 bidder=eve amount=20"),
    (1, 1, 6, 6, T0 + 50, "event=opened auction=3 item=clock by=carol closes_at=%d reserve=0" % (T0 + 30050)),
    (2, 2, 7, 7, T0 + 900, "event=primary primary=2 term=2"),
    (2, 2, 8, 8, T0 + 1000, "event=bid auction=1 bidder=ann amount=200"),
    (2, 2, 9, 9, T0 + 60000, "event=closed auction=1 item=lamp winner=ann amount=200"),
    (2, 2, 9, 10, T0 + 60000, "event=closed auction=2 item=vase winner=eve amount=20"),
    (2, 2, 9, 11, T0 + 60000, "event=closed auction=3 item=clock winner=none amount=0"),
    (2, 2, 10, 12, T0 + 61000, "event=paused auction=1 note=newer-kind"),
]
malformed = [
    [b"event", b"GAVEL/1", b"EVENT", b"1", b"1", b"x", b"1", b"1", b"event=bid"],
    [b"event", b"\xff\x00garbage"],
]
#   then every event again from another primary, one more, and one after a
#   hole in the numbering (14 and 15 never sent)
feed = [event(*e) for e in events[:3]] + malformed + [event(*e) for e in events[3:]] \
     + [event(3, 3, *e[2:]) for e in events] \
     + [event(3, 3, 11, 13, T0 + 62000, "event=bid auction=1 bidder=zed amount=999")] \
     + [event(3, 3, 14, 16, T0 + 63000, "event=bid auction=1 bidder=amy amount=1000")]
xpub = zmq.Context().socket(zmq.XPUB)
xpub.setsockopt(zmq.LINGER, 0)
xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
xpub.bind("tcp://127.0.0.1:*")
with open(endpoint_file + ".new", "w") as out:
    out.write(xpub.getsockopt_string(zmq.LAST_ENDPOINT) + "\n")
os.rename(endpoint_file + ".new", endpoint_file)
deadline = time.time() + 40
while time.time() < deadline and not os.path.exists(stop_file):
    if xpub.poll(50) and xpub.recv()[:1] == b"\x01":
        for message in feed:
            xpub.send_multipart(message)
EOF
"$PYTHON" "$WORK/publisher.py" "$WORK/endpoint" "$WORK/stop" 2>"$WORK/publisher.err" &
HELPER_PIDS+=($!)
for ((try = 0; try < 100; try++)); do
    [ -s "$WORK/endpoint" ] && break
    sleep 0.05
done
[ -s "$WORK/endpoint" ] || { cat "$WORK/publisher.err"; echo "FAIL: the publisher did not start"; exit 1; }
ENDPOINT=$(cat "$WORK/endpoint")
export TZ=UTC

#   tail NAME ARGS...: zmq-tail, bounded, must exit 0
tail_run () {
    local name=$1 rc=0
    shift
    timeout 20 "$BIN/zmq-tail" --insecure "$@" "$ENDPOINT" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ $rc -eq 0 ] || fail "zmq-tail $* exited $rc: $(tail -3 "$WORK/$name.err")"
}

#   Pretty: 14 events once each, the two malformed messages where they came
tail_run pretty --count 14
cat >"$WORK/pretty.expected" <<'EOF'
16:00:00.000  #1  primary is now replica 1 (term 1)
16:00:00.010  #2  auction 1  opened: lamp by carol, closes 16:01:00 (reserve 100)
16:00:00.020  #3  auction 1  bob bids 150
16:00:00.030  #4  auction 2  opened: vase by dan, closes 2024-11-27 16:00:10
16:00:00.040  #5  auction 2  eve bids 20
16:00:00.050  #6  auction 3  opened: clock by carol, closes 16:00:30
16:00:00.900  #7  primary is now replica 2 (term 2)
16:00:01.000  #8  auction 1  ann bids 200
16:01:00.000  #9  auction 1  closed: ann wins lamp at 200
16:01:00.000  #10  auction 2  closed: eve wins vase at 20
16:01:00.000  #11  auction 3  closed: clock, no bids
16:01:01.000  #12  auction 1  event=paused auction=1 note=newer-kind
16:01:02.000  #13  auction 1  zed bids 999
16:01:03.000  #16  auction 1  amy bids 1000
EOF
grep -v '^malformed' "$WORK/pretty.out" >"$WORK/pretty.events" || true
diff "$WORK/pretty.expected" "$WORK/pretty.events" >"$WORK/pretty.diff" \
    || fail "pretty lines differ from the expected (< expected, > got): $(cat "$WORK/pretty.diff")"
[ "$(grep -c '^malformed' "$WORK/pretty.out")" -eq 2 ] \
    || fail "expected 2 malformed lines: $(grep '^malformed' "$WORK/pretty.out")"
expect_line "$WORK/pretty.out" 4 '^malformed \(frame 4 \(index\): .x. is not a number\): \[9\] event \| GAVEL/1 \| EVENT \| 1 \| 1 \| x \| 1 \| 1 \| event=bid$'
#   The hole is said, not passed over in silence
expect_contains "$WORK/pretty.err" '^zmq-tail: gap: events 14 to 15 were missed .*--cluster FILE would fetch them$'
expect_line "$WORK/pretty.out" 5 '^malformed \(.*\): \[2\] event \| 0xff0067617262616765$'

#   JSON: the same events, numbers as numbers; malformed ones on stderr
tail_run json --json --count 13
[ "$(wc -l <"$WORK/json.out")" -eq 13 ] || fail "expected 13 JSON lines: $(cat "$WORK/json.out")"
expect_line "$WORK/json.out" 1 '^\{"seq":1,"index":1,"from":1,"stamp":1732550400000,"event":"primary","primary":1,"term":1\}$'
expect_line "$WORK/json.out" 2 '^\{"seq":2,"index":2,"term":1,"from":1,"stamp":1732550400010,"event":"opened","auction":1,"item":"lamp","by":"carol","closes_at":1732550460000,"reserve":100\}$'
expect_line "$WORK/json.out" 3 '^\{"seq":3,"index":3,"term":1,"from":1,"stamp":1732550400020,"event":"bid","auction":1,"bidder":"bob","amount":150\}$'
expect_line "$WORK/json.out" 11 '^\{"seq":11,"index":9,"term":2,"from":2,"stamp":1732550460000,"event":"closed","auction":3,"item":"clock","winner":"none","amount":0\}$'
expect_line "$WORK/json.out" 13 '^\{"seq":13,"index":11,"term":3,"from":3,"stamp":1732550462000,"event":"bid","auction":1,"bidder":"zed","amount":999\}$'
[ "$(grep -c '^zmq-tail: malformed' "$WORK/json.err")" -eq 2 ] \
    || fail "expected 2 malformed notes on stderr: $(cat "$WORK/json.err")"

#   --auction: that auction's events only
tail_run auction --auction 1 --count 6
[ "$(grep -c '  auction 1  ' "$WORK/auction.out")" -eq 6 ] && [ "$(grep -vc '^malformed' "$WORK/auction.out")" -eq 6 ] \
    || fail "--auction 1: expected its 6 events: $(cat "$WORK/auction.out")"
expect_line "$WORK/auction.out" 1 '#2  auction 1  opened: lamp'

#   -n without a cluster file: no one to ask for history; said, then live
tail_run history -n 5 --count 1
expect_contains "$WORK/history.err" '^zmq-tail: -n 5: history comes from .*--cluster FILE'
expect_line "$WORK/history.out" 1 '#1  primary is now replica 1'

[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
