#!/usr/bin/env bash
#   gavel-web in a real browser (issue 15): headless Chromium, driven by
#   chromedriver over WebDriver (tests/web/browser.py), shows each new
#   highest bid within a second of its success, the winner when the auction
#   closes, and a new primary after `gavel-local kill primary`; it saves a
#   screenshot ($GAVEL_SCREENSHOT, else in the work directory). Skipped
#   (exit 77, said on stdout) only where Chromium or chromedriver is not
#   installed: make test installs both (tools/install-deps --browser).
source "$(dirname "$0")/lib.sh"
for program in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x $program ]; then
        echo "SKIP: $TEST_NAME: $program is not installed (Debian packages chromium and chromium-driver; tools/install-deps --browser)"
        exit 77
    fi
done
command -v curl >/dev/null || { fail "curl is missing"; exit 1; }
up 3 --brokers 1

"$BIN/gavel-web" --cluster "$CLUSTER" $(insecure_flag) --listen 127.0.0.1:0 \
    >"$WORK/web.out" 2>"$WORK/web.err" &
echo $! >"$WORK/web.pid"
wait_for "$WORK/web.out" "^gavel-web: serving http://127.0.0.1:[0-9]+/" 10 || exit 1
page=$(sed -n 's|^gavel-web: serving \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$WORK/web.out")

#   chromedriver and the browsers it starts in a process group of their own,
#   stopped as one whatever happens to the test
driver_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid /usr/bin/chromedriver --port="$driver_port" >"$WORK/chromedriver.out" 2>&1 &
echo $! >"$WORK/chromedriver.pgid"
wait_for "$WORK/chromedriver.out" "started successfully" 20 || exit 1

screenshot=${GAVEL_SCREENSHOT:-$WORK/page.png}
python3 "$(dirname "$0")/../web/browser.py" --driver "http://127.0.0.1:$driver_port" \
    --page "$page" --bin "$BIN" --cluster "$WORK/cluster" --screenshot "$screenshot" \
    >"$WORK/browser.out" 2>&1 || fail "in the browser: $(cat "$WORK/browser.out")"
cat "$WORK/browser.out"
[ -s "$screenshot" ] && echo "screenshot: $screenshot" || fail "no screenshot"
kill -TERM "$(cat "$WORK/web.pid")"
wait "$(cat "$WORK/web.pid")" || fail "gavel-web exited $? on SIGTERM: $(tail -3 "$WORK/web.err")"
rm "$WORK/web.pid"
stop_groups
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
