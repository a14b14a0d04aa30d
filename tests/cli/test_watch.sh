#!/usr/bin/env bash
#   bidder's watch: a script that watches an auction sees, during its sleep,
#   another bidder outbid it; the prompt (under tmux, when installed) keeps
#   the line being typed when an event is printed, and Ctrl-C drops it.
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
open_auction lamp 1m
[ -n "$AUCTION" ] || { echo "FAIL: no auction opened"; exit 1; }

#   Without a cluster file there is no feed to follow
echo "watch" | timeout 10 "$BIN/bidder" --insecure --connect "$(endpoint 1)" --name zed \
    >"$WORK/nofeed.out" 2>>"$WORK/bidder.err" || true
expect_line "$WORK/nofeed.out" 1 '^exception reason=no-feed message="watch needs --cluster FILE"$'

printf 'watch %s\nbid %s 100\nsleep 3000\nunwatch\n' "$AUCTION" "$AUCTION" >"$WORK/alice.txt"
run_bidder alice "$WORK/alice.txt"
wait_for "$WORK/alice.out" "^success auction=$AUCTION amount=100 " 10
echo "bid $AUCTION 150" | bidder --name bob >"$WORK/bob.out"
expect_line "$WORK/bob.out" 1 "^success auction=$AUCTION amount=150 "
wait_bidders alice
expect_line "$WORK/alice.out" 1 "^success watching auction=$AUCTION\$"
expect_contains "$WORK/alice.out" '^\* outbid by bob: 150$'
[ "$(grep -c '^\* outbid by bob: 150$' "$WORK/alice.out")" -eq 1 ] \
    || fail "the outbid line came more than once: $(cat "$WORK/alice.out")"
expect_contains "$WORK/alice.out" '^success unwatched$'

#   The prompt: a partial line survives an event printed above it
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux is not installed: the prompt part of $TEST_NAME is not run"
    [ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
    exit 0
fi
SESSION=gavel-watch-$$
export TMUX_TMPDIR=$WORK
tmux_stop () {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    tmux kill-server 2>/dev/null || true
}
screen () {
    tmux capture-pane -p -t "$SESSION"
}
#   wait_screen PATTERN SECONDS: until the pane shows a matching line
wait_screen () {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        screen | grep -q -E -- "$1" && return 0
        sleep 0.05
    done
    fail "the prompt did not show /$1/ within $2 s: $(screen | grep -v '^$')"
    return 1
}
tmux new-session -d -s "$SESSION" -x 120 -y 30 \
    "timeout --foreground 60 $BIN/bidder --cluster $CLUSTER --name carol 2>>$WORK/bidder.err"
wait_screen '^gavel carol>' 10
tmux send-keys -t "$SESSION" "watch $AUCTION" Enter
wait_screen "^success watching auction=$AUCTION\$" 10
sleep 0.5       #   the SUB sockets connect
tmux send-keys -t "$SESSION" "result 12"
wait_screen '^gavel carol> result 12$' 5
echo "bid $AUCTION 200" | bidder --name dave >"$WORK/dave.out"
wait_screen '^\* dave bids 200 on auction' 10
#   The prompt and the partial text are drawn again below the event
screen | grep -v '^$' >"$WORK/screen1.txt"
[ "$(tail -1 "$WORK/screen1.txt")" = "gavel carol> result 12" ] \
    || fail "the prompt was not redrawn below the event: $(cat "$WORK/screen1.txt")"
#   Ctrl-C drops the partial line; the next one runs alone
tmux send-keys -t "$SESSION" C-c
sleep 0.3
tmux send-keys -t "$SESSION" "list" Enter
wait_screen "^success auction=$AUCTION item=lamp " 10
screen | grep -q 'result 12list' && fail "Ctrl-C did not drop the line: $(screen | grep -v '^$')"
tmux send-keys -t "$SESSION" "unwatch" Enter
wait_screen '^success unwatched$' 5
tmux send-keys -t "$SESSION" C-d
deadline=$((SECONDS + 5))
while tmux has-session -t "$SESSION" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.05
done
tmux has-session -t "$SESSION" 2>/dev/null && fail "Ctrl-D did not end the session"
tmux_stop

[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
