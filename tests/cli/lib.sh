#   Shared by the tests that run real processes. Source it with the bin
#   directory as $1. Every wait is bounded; every process is stopped by pid
#   (gavel-local down reads the pid files it wrote).
set -euo pipefail

BIN=$(cd "$1" && pwd)
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/gavel-$TEST_NAME.XXXXXX")
CLUSTER=$WORK/cluster/cluster.cfg
FAILED=0

cleanup () {
    local rc=$?
    "$BIN/gavel-local" down --dir "$WORK/cluster" >/dev/null 2>&1 || true
    #   A sanitizer report in any process we started fails the test
    if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
            "$WORK"/cluster/r*/replica.log "$WORK"/*.err 2>/dev/null; then
        echo "FAIL: a sanitizer reported an error (files above)"
        rc=1
    fi
    [ $rc -eq 0 ] && [ $FAILED -eq 0 ] && rm -rf "$WORK"
    [ $FAILED -eq 0 ] || rc=1
    [ $rc -eq 0 ] || echo "FAIL: $TEST_NAME (work dir kept: $WORK)"
    exit $rc
}
trap cleanup EXIT

fail () {
    echo "FAIL: $*"
    FAILED=1
}

up () {
    "$BIN/gavel-local" up "${1:-1}" --dir "$WORK/cluster" >"$WORK/up.out" 2>&1 \
        || { cat "$WORK/up.out"; echo "FAIL: gavel-local up"; exit 1; }
}

#   bidder with the test cluster; stderr kept for the sanitizer check
bidder () {
    "$BIN/bidder" --cluster "$CLUSTER" "$@" 2>>"$WORK/bidder.err"
}

#   expect_line FILE LINE_NUMBER PATTERN: that line matches the regex
expect_line () {
    local line
    line=$(sed -n "${2}p" "$1")
    [[ $line =~ $3 ]] || fail "line $2 of $(basename "$1"): expected /$3/, got '$line'"
}

#   expect_contains FILE PATTERN
expect_contains () {
    grep -q -E -- "$2" "$1" || fail "$(basename "$1") does not contain /$2/: $(head -c 2000 "$1")"
}

#   wait_for FILE PATTERN SECONDS: until the file holds a matching line
wait_for () {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        grep -q -E -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "waited $3 s for /$2/ in $(basename "$1")"
    return 1
}
