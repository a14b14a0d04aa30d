#   Shared by the tests that run real processes. Source it with the bin
#   directory as $1. Every wait is bounded; every process is stopped by pid
#   (gavel-local down reads the pid files it wrote).
set -euo pipefail

BIN=$(cd "$1" && pwd)
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/gavel-$TEST_NAME.XXXXXX")
CLUSTER=$WORK/cluster/cluster.cfg
FAILED=0
#   Bidders' CURVE key pairs (one per name) stay in the test's directory
export GAVEL_KEYS=$WORK/keys

cleanup () {
    local rc=$? pid
    #   A test that stops early (a failed step under set -e) must not leave
    #   bidders running, nor a helper that could restart a replica after
    #   the down below: helpers stop by themselves once $WORK/stop exists
    touch "$WORK/stop"
    stop_bidders
    stop_groups
    for pid in "${HELPER_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    "$BIN/gavel-local" down --dir "$WORK/cluster" >/dev/null 2>&1 || true
    #   A sanitizer report in any process we started fails the test
    if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
            "$WORK"/cluster/r*/replica.log "$WORK"/cluster/b*/broker.log \
            "$WORK"/*.err 2>/dev/null; then
        echo "FAIL: a sanitizer reported an error (files above)"
        rc=1
    fi
    #   GAVEL_KEEP=1 keeps the work directory of a test that passed, too
    [ $rc -eq 0 ] && [ $FAILED -eq 0 ] && [ -z "${GAVEL_KEEP:-}" ] && rm -rf "$WORK"
    [ $FAILED -eq 0 ] || rc=1
    [ $rc -eq 0 ] || echo "FAIL: $TEST_NAME (work dir kept: $WORK)"
    exit $rc
}
trap cleanup EXIT

#   A test killed outright (ctest's time-out) runs no trap: a watchdog stops
#   the clusters and bidders it started once its shell is gone, so that
#   they do not load the machine under the tests that come after it. It is
#   not the test's child (the subshell that starts it exits at once), so a
#   test's bare `wait` does not wait for it.
( ( exec </dev/null >/dev/null 2>&1
    tail --pid=$$ -f /dev/null
    #   A bidder whose exit status is written is gone: its pid may be
    #   another process's by now
    for file in "$WORK"/*.pid; do
        [ -e "$file" ] && [ ! -e "${file%.pid}.rc" ] && kill -TERM "$(cat "$file")"
    done
    for file in "$WORK"/*.pgid; do
        [ -e "$file" ] && kill -TERM -- "-$(cat "$file")"
    done
    for file in "$WORK"/*/cluster.cfg; do
        [ -e "$file" ] && "$BIN/gavel-local" down --dir "$(dirname "$file")"
    done ) & )

#   Process groups a test started (a program that starts others, such as
#   chromedriver and its browsers, under setsid): it writes each group's
#   id to $WORK/NAME.pgid, and the group is stopped whatever happens
stop_groups () {
    local file
    for file in "$WORK"/*.pgid; do
        [ -e "$file" ] || continue
        kill -TERM -- "-$(cat "$file")" 2>/dev/null || true
        rm -f "$file"
    done
}

#   Background helpers of a test (a nemesis): they must check for $WORK/stop
#   between steps, and cleanup waits for them
HELPER_PIDS=()

fail () {
    echo "FAIL: $*"
    FAILED=1
}

#   up [N [gavel-local up flags]]: N replicas (1 by default), one primary
up () {
    local count=${1:-1}
    shift || true
    "$BIN/gavel-local" up "$count" --dir "$WORK/cluster" "$@" >"$WORK/up.out" 2>&1 \
        || { cat "$WORK/up.out"; echo "FAIL: gavel-local up"; exit 1; }
}

#   insecure_flag: --insecure when the test cluster runs without CURVE
#   (up --insecure: its cluster file lists no keys), for the clients
insecure_flag () {
    grep -q '^ *public_key = ' "$CLUSTER" 2>/dev/null || echo --insecure
}

#   need_pyzmq: sets PYTHON to a python3 with pyzmq (the Debian package
#   python3-zmq lives in the system's python, which may not be the first
#   python3 on PATH), or fails the test
need_pyzmq () {
    local candidate
    PYTHON=
    for candidate in python3 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import zmq' 2>/dev/null; then
            PYTHON=$candidate
            return 0
        fi
    done
    echo "FAIL: $TEST_NAME needs pyzmq (Debian package python3-zmq; tools/install-deps installs it)"
    exit 1
}

#   gavel-local COMMAND ... on the test cluster, its output in the test's log
local_cmd () {
    "$BIN/gavel-local" "$@" --dir "$WORK/cluster" >>"$WORK/local.out" 2>&1
}

#   One line per replica: ID ROLE TERM COMMIT LAST PRIMARY ('null' when
#   unknown). gavel-local status exits 1 while a replica is down: not an
#   error here.
cluster_state () {
    { "$BIN/gavel-local" status --json --dir "$WORK/cluster" 2>/dev/null || true; } |
        sed -n 's/^{"id":\([0-9]*\),"role":"\([a-z-]*\)","term":\([0-9a-z]*\),"commit":\([0-9a-z]*\),"last":\([0-9a-z]*\),"primary":\([0-9a-z]*\).*/\1 \2 \3 \4 \5 \6/p'
}

#   The replica that says it is primary (of the highest term), or nothing
primary_id () {
    cluster_state | awk '$2 == "primary" && $3 > term { term = $3; id = $1 } END { print id }'
}

#   A replica that says it is a backup, or nothing
backup_id () {
    cluster_state | awk '$2 == "backup" { print $1; exit }'
}

#   wait_primary SECONDS [NOT_ID]: until a replica other than NOT_ID says it
#   is primary; sets PRIMARY to its id (a function run in $(...) could not
#   fail the test)
wait_primary () {
    local deadline=$((SECONDS + $1))
    PRIMARY=
    while [ $SECONDS -lt $deadline ]; do
        PRIMARY=$(primary_id)
        if [ -n "$PRIMARY" ] && [ "$PRIMARY" != "${2:-}" ]; then
            return 0
        fi
        sleep 0.05
    done
    PRIMARY=
    fail "no replica${2:+ but $2} became primary within $1 s: $(cluster_state | tr '\n' ';')"
    return 1
}

#   wait_role ID ROLE SECONDS: until replica ID's STATUS says ROLE
wait_role () {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        cluster_state | grep -q "^$1 $2 " && return 0
        sleep 0.05
    done
    fail "replica $1 did not become $2 within $3 s: $(cluster_state | tr '\n' ';')"
    return 1
}

#   wait_agree SECONDS: until every running replica has the same commit and
#   last index (the backups have caught up with the primary)
wait_agree () {
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        [ "$(cluster_state | awk '$3 != "null" { print $4, $5 }' | sort -u | wc -l)" -eq 1 ] \
            && return 0
        sleep 0.1
    done
    fail "the running replicas do not agree after $1 s: $(cluster_state | tr '\n' ';')"
    return 1
}

#   bid_script AUCTION FIRST STEP COUNT SLEEP_MS: COUNT bids of FIRST,
#   FIRST+STEP, ... with a pause between them
bid_script () {
    local index
    for ((index = 0; index < $4; index++)); do
        echo "bid $1 $(($2 + index * $3))"
        [ "$5" -gt 0 ] && echo "sleep $5"
    done
    return 0
}

#   open_auction ITEM DURATION: opens one; sets AUCTION to its id, or exits
open_auction () {
    local opened
    opened=$(echo "open $1 $2" | bidder --name seller) \
        || { echo "FAIL: could not open $1: $opened"; exit 1; }
    AUCTION=$(sed -n 's/^success auction=\([0-9]*\) .*/\1/p' <<<"$opened")
}

#   endpoint ID: replica ID's client endpoint, from the cluster file
endpoint () {
    awk -v id="    $1" '
        /^[a-z]/ { section = $1 }
        section == "replica" && /^    [0-9]+$/ { current = $0 }
        section == "replica" && current == id && $1 == "client" { print $3 }' "$CLUSTER"
}

#   broker_endpoint ID KEY: broker ID's client or pub endpoint, from the
#   cluster file
broker_endpoint () {
    awk -v id="    $1" -v key="$2" '
        /^[a-z]/ { section = $1 }
        section == "broker" && /^    [0-9]+$/ { current = $0 }
        section == "broker" && current == id && $1 == key { print $3 }' "$CLUSTER"
}

#   cluster_with_brokers ORDER... FILE: a copy of the cluster file whose
#   broker section lists only the brokers named, in that order (bidders
#   take the first listed first)
cluster_with_brokers () {
    local file=${*: -1} id
    sed '/^broker$/,$d' "$CLUSTER" >"$file"
    echo "broker" >>"$file"
    for id in "${@:1:$#-1}"; do
        #   The broker's whole section: endpoints and CURVE key
        awk -v id="    $id" '
            /^[a-z]/ { section = $1 }
            section == "broker" && /^    [0-9]+$/ { current = $0 }
            section == "broker" && current == id' "$CLUSTER" >>"$file"
    done
}

#   server_key ID [broker]: replica ID's (or broker ID's) CURVE public key
server_key () {
    awk -v id="    $1" -v want="${2:-replica}" '
        /^[a-z]/ { section = $1 }
        section == want && /^    [0-9]+$/ { current = $0 }
        section == want && current == id && $1 == "public_key" { gsub(/"/, "", $3); print $3 }' "$CLUSTER"
}

#   run_bidder NAME SCRIPT [flags]: in the background, bounded, with its
#   answers in $WORK/NAME.out and its exit status in $WORK/NAME.rc
BIDDER_PIDS=()
run_bidder () {
    local name=$1 script=$2
    shift 2
    ( timeout 50 "$BIN/bidder" --cluster "$CLUSTER" $(insecure_flag) --name "$name" --script "$script" "$@" \
          >"$WORK/$name.out" 2>>"$WORK/bidder.err" &
      echo $! >"$WORK/$name.pid"
      rc=0
      wait $! || rc=$?
      echo $rc >"$WORK/$name.rc" ) &
    BIDDER_PIDS+=($!)
}

#   Stop the bidders still running (timeout passes SIGTERM on to the
#   bidder) and wait for them
stop_bidders () {
    local file name pid
    for file in "$WORK"/*.pid; do
        [ -e "$file" ] || continue
        name=$(basename "$file" .pid)
        [ -e "$WORK/$name.rc" ] || kill -TERM "$(cat "$file")" 2>/dev/null || true
    done
    for pid in "${BIDDER_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    BIDDER_PIDS=()
}

#   answers NAME...: how many answers these bidders have printed so far
answers () {
    local name total=0
    for name in "$@"; do
        [ -f "$WORK/$name.out" ] && total=$((total + $(wc -l <"$WORK/$name.out")))
    done
    echo $total
}

#   wait_answers COUNT SECONDS NAME...: until they have printed COUNT
#   answers in all
wait_answers () {
    local count=$1 deadline=$((SECONDS + $2))
    shift 2
    while [ $SECONDS -lt $deadline ]; do
        [ "$(answers "$@")" -ge "$count" ] && return 0
        sleep 0.05
    done
    fail "waited $2 s for $count answers from $*, got $(answers "$@")"
    return 1
}

#   wait_each COUNT SECONDS NAME...: until each of them has printed COUNT
#   answers, so that all are bidding at once
wait_each () {
    local count=$1 seconds=$2 name
    shift 2
    for name in "$@"; do
        wait_answers "$count" "$seconds" "$name"
    done
}

#   probe AUCTION: a bid must get success now, whoever is primary (after a
#   failover: the cluster serves again), even when the scripted bidders are
#   done or out of step. It bids 20 steps of 10 above the highest bid, so
#   that bidders racing on do not overtake it before it lands but catch up
#   soon after, in amounts that end in 9, which scripted bidders (10k+i,
#   i < 9) never bid; if one overtakes it anyway it tries again. Its
#   answers are in $WORK/probe.out, for check_auction.
probe () {
    local try highest amount
    for try in 1 2 3 4 5 6 7 8 9 10; do
        highest=$(echo "result $1" | timeout 20 "$BIN/bidder" --cluster "$CLUSTER" $(insecure_flag) --name probe \
                  --history "$WORK/history.txt" 2>>"$WORK/bidder.err" \
                  | sed -n 's/.* highest=\([0-9]*\) .*/\1/p')
        [ -n "$highest" ] || continue
        amount=$((highest / 10 * 10 + 209))
        echo "bid $1 $amount" | timeout 20 "$BIN/bidder" --cluster "$CLUSTER" $(insecure_flag) --name probe \
            --history "$WORK/history.txt" >>"$WORK/probe.out" 2>>"$WORK/bidder.err" || true
        grep -q "^success auction=$1 amount=$amount " "$WORK/probe.out" && return 0
        tail -1 "$WORK/probe.out" | grep -q '^fail reason=too-low' || break
    done
    fail "the probe bid on auction $1 did not succeed: $(tail -1 "$WORK/probe.out" 2>/dev/null)"
    return 1
}

#   successes NAME...: how many success lines these bidders have printed
successes () {
    local name total=0 count
    for name in "$@"; do
        count=$(grep -s -c '^success ' "$WORK/$name.out" || true)
        total=$((total + ${count:-0}))
    done
    echo $total
}

#   wait_bidders NAME...: every one of them exited; each must have exited 0
#   (every bid answered success or fail) unless ALLOW_EXCEPTIONS is set
wait_bidders () {
    local name rc pid
    for pid in "${BIDDER_PIDS[@]}"; do
        wait "$pid" || true
    done
    BIDDER_PIDS=()
    for name in "$@"; do
        rc=$(cat "$WORK/$name.rc" 2>/dev/null || echo missing)
        if [ "$rc" = 124 ]; then
            fail "bidder $name did not finish within 50 s"
        elif [ "$rc" != 0 ] && [ -z "${ALLOW_EXCEPTIONS:-}" ]; then
            fail "bidder $name exited $rc: $(grep -v -E '^(success|fail) ' "$WORK/$name.out" | head -5)"
        fi
    done
}

#   check_auction AUCTION NAME...: the auction's state (RESULT through the
#   cluster file) holds exactly what the bidders were told: its highest bid
#   is the highest amount any of them got success for, by the one who got
#   it, so no acknowledged bid was lost and none appeared from nowhere
check_auction () {
    local auction=$1 name best=0 winner="" amount result highest bidder
    shift
    for name in "$@"; do
        for amount in $(sed -n "s/^success auction=$auction amount=\([0-9]*\) .*/\1/p" "$WORK/$name.out"); do
            if [ "$amount" -gt "$best" ]; then
                best=$amount
                winner=$name
            fi
        done
    done
    result=$(echo "result $auction" | bidder --name referee) \
        || { fail "result $auction: $result"; return 1; }
    highest=$(sed -n 's/.* \(highest\|amount\)=\([0-9]*\).*/\2/p' <<<"$result")
    bidder=$(sed -n 's/.* \(bidder\|winner\)=\([^ ]*\).*/\2/p' <<<"$result")
    [ "$highest" = "$best" ] && [ "$bidder" = "${winner:-none}" ] \
        || fail "auction $auction: the bidders were told success up to $best (by ${winner:-nobody}), but the state says: $result"
    echo "$result" >"$WORK/result.txt"
}

#   bidder with the test cluster; stderr kept for the sanitizer check
bidder () {
    "$BIN/bidder" --cluster "$CLUSTER" $(insecure_flag) "$@" 2>>"$WORK/bidder.err"
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

#   lincheck HISTORY: the recorded history is linearizable
lincheck () {
    "$BIN/gavel-lincheck" "$1" >"$WORK/lincheck.txt" 2>&1 \
        || fail "gavel-lincheck $(basename "$1"): $(tail -5 "$WORK/lincheck.txt")"
}
