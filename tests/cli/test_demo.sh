#!/usr/bin/env bash
#   make demo prints the winner quickly and leaves no process behind.
source "$(dirname "$0")/lib.sh"
start=$SECONDS
bash "$(dirname "$0")/../../tools/demo" "$BIN" >"$WORK/demo.txt" 2>&1 || fail "the demo failed: $(cat "$WORK/demo.txt")"
expect_contains "$WORK/demo.txt" "^Winner: alice at 260$"
[ $((SECONDS - start)) -lt 30 ] || fail "the demo took $((SECONDS - start)) s"
#   The replica the demo started is gone: its pid is in the demo's output
for pid in $(sed -n 's/.*pid \([0-9]*\).*/\1/p' "$WORK/demo.txt"); do
    if kill -0 "$pid" 2>/dev/null && grep -q replica "/proc/$pid/cmdline" 2>/dev/null; then
        fail "the demo left replica pid $pid running"
    fi
done
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
