#!/usr/bin/env bash
#   make demo WEB=1: the page's URL is printed, the page serves the demo's
#   auction and its winner, and after the auction the page and cluster stay
#   up until Ctrl-C, which stops every process the demo started.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { fail "curl is missing"; exit 1; }
#   Started as a terminal would start it: SIGINT not ignored (a shell's
#   background job would ignore it, and then no trap could take it)
WEB=1 WEB_PORT=0 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' bash "$(dirname "$0")/../../tools/demo" "$BIN" \
    >"$WORK/demo.txt" 2>&1 &
demo_pid=$!
#   Stopped (SIGTERM: the demo's trap stops what it started) if this test
#   ends early
echo $demo_pid >"$WORK/demo.pid"
wait_for "$WORK/demo.txt" "Ctrl-C stops everything" 60 || { cat "$WORK/demo.txt"; exit 1; }
expect_contains "$WORK/demo.txt" "^Winner: alice at 260$"
url=$(sed -n 's|.*live in a browser: \(http://127.0.0.1:[0-9]*/\) .*|\1|p' "$WORK/demo.txt")
web_pid=$(sed -n 's|.*live in a browser: .*(gavel-web, pid \([0-9]*\))$|\1|p' "$WORK/demo.txt")
[ -n "$url" ] && [ -n "$web_pid" ] || { fail "no URL and pid of gavel-web: $(cat "$WORK/demo.txt")"; exit 1; }
curl -sf "$url" | grep -q '<title>Gavel' || fail "no page at $url"
curl -sf "${url}api/auctions" >"$WORK/auctions.json" || fail "no ${url}api/auctions"
expect_contains "$WORK/auctions.json" '"item":"vase",.*"state":"closed","amount":260,"bidder":"alice",.*"winner":"alice"'

kill -INT $demo_pid
rc=0
timeout 20 tail --pid=$demo_pid -f /dev/null || fail "the demo was still running 20 s after SIGINT"
wait $demo_pid || rc=$?
rm "$WORK/demo.pid"
[ $rc -eq 130 ] || fail "the demo exited $rc on SIGINT, not 130"
! kill -0 "$web_pid" 2>/dev/null || fail "gavel-web (pid $web_pid) still runs after the demo"
for pid in $(sed -n 's/.*replica [0-9]*  *pid \([0-9]*\).*/\1/p' "$WORK/demo.txt"); do
    if kill -0 "$pid" 2>/dev/null && grep -q replica "/proc/$pid/cmdline" 2>/dev/null; then
        fail "the demo left replica pid $pid running"
    fi
done
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
