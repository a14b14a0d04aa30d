#!/usr/bin/env bash
#   One fault campaign run: replicas each in a network namespace of their
#   own (netlib.sh), bidders and readers in another recording a history,
#   and a nemesis injecting one fault at a time (partitions, kill -9 and
#   restart, SIGSTOP/SIGCONT, delay, loss, clock skew and jumps) with quiet
#   spells between them. Then everything is healed and it checks:
#     - the history is linearizable (gavel-lincheck; with clock faults
#       given --skew-ms, the largest offset injected);
#     - every replica, stopped and read alone (gavel-dump on its data
#       directory), holds every bid a client was told succeeded, and all
#       replicas hold the same auctions;
#     - no replica exited without being killed by us, and no log shows an
#       assert, an abort or a sanitizer report.
#   It prints one RESULT line and one AVAIL line per fault kind (for the
#   table of chaos.sh), and exits 0 when every check passed, 1 when one
#   failed, 77 when it cannot run here (not root, or a tool is missing).
#
#   usage: campaign.sh BIN_DIR [--replicas 3|5] [--seconds S] [--seed N]
#                      [--faults LIST] [--work DIR] [--keep]
#   LIST is comma separated, of: partition, primary, bridge, ring, kill,
#   pause, delay, loss, mixed (a pause or kill with a network fault during
#   it), clock (default: partition,primary,bridge,kill,pause; 'all' for
#   every kind this machine can do).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:?usage: campaign.sh BIN_DIR [options]}" && pwd)
shift
REPLICAS=3
SECONDS_RUN=60
SEED=$$
FAULTS=partition,primary,bridge,kill,pause
WORK=
KEEP=
while [ $# -gt 0 ]; do
    case $1 in
        --replicas) REPLICAS=$2; shift 2 ;;
        --seconds) SECONDS_RUN=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --faults) FAULTS=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "campaign: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case $REPLICAS in 3|5) ;; *) echo "campaign: --replicas 3 or 5" >&2; exit 2 ;; esac

SKIP=77
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the fault campaign needs root (network namespaces, iptables)"
    exit $SKIP
fi
for tool in ip iptables timeout; do
    command -v $tool >/dev/null || { echo "SKIP: the fault campaign needs '$tool' (tools/install-deps --chaos)"; exit $SKIP; }
done
FAKETIME_LIB=
for candidate in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/*/faketime/libfaketime.so.1; do
    [ -e "$candidate" ] && { FAKETIME_LIB=$candidate; break; }
done
[ "$FAULTS" = all ] && FAULTS=partition,primary,bridge,kill,pause,delay,loss,mixed,clock
[ "$REPLICAS" = 5 ] && [[ ,$FAULTS, == *,all,* || ,$FAULTS, == *,partition,* ]] && FAULTS+=,ring
want () { [[ ,$FAULTS, == *,$1,* ]]; }
#   A kind this machine cannot do is left out, and the run says so
drop () { FAULTS=$(tr ',' '\n' <<<"$FAULTS" | grep -v -x "$1" | paste -sd,); echo "chaos: no $1 faults: $2"; }
want clock && [ -z "$FAKETIME_LIB" ] && drop clock "libfaketime is missing (tools/install-deps --chaos)"
want delay && [ ! -x "$BIN/gavel-delay" ] && drop delay "gavel-delay was not built (libnetfilter-queue-dev; tools/install-deps --chaos)"
[ -n "$FAULTS" ] || { echo "SKIP: no fault kind left to inject"; exit $SKIP; }
RANDOM=$SEED

[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/gavel-chaos.XXXXXX)
mkdir -p "$WORK"
CDIR=$WORK/cluster
CLUSTER=$CDIR/cluster.cfg
HISTORY=$WORK/history.txt
EVENTS=$WORK/faults.txt        #  START_US END_US KIND DETAIL, monotonic us
export GAVEL_KEYS=$WORK/bidder-keys
NET_PREFIX=gch$$
NET_REPLICAS=$REPLICAS
source "$HERE/netlib.sh"
source "$HERE/clusterlib.sh"
net_sweep gch

SELF_EXITS=0                    #  replicas that went without our kill
CAMPAIGN=$$                     #  the client loops stop if we are gone
CHECK_FAILED=0
HELPERS=()                      #  bidder loops
DELAYERS=()                     #  gavel-delay pids
MAX_SKEW_MS=0

say () { echo "chaos: $*"; }
problem () { echo "chaos: FAIL: $*"; CHECK_FAILED=1; }

#   Monotonic microseconds, as the bidders' histories have them: the
#   offset from the wall clock is taken once (our own clock is never faked)
MONO_OFFSET=$(python3 -c 'import time; print(int(time.time() * 1e6) - int(time.monotonic() * 1e6))' 2>/dev/null) \
    || { echo "SKIP: the fault campaign needs python3 for the clock offset"; exit $SKIP; }
mono_us () {
    local now=${EPOCHREALTIME/./}
    echo $((now - MONO_OFFSET))
}

cleanup () {
    local rc=$? id pid
    touch "$WORK/stop"
    for pid in "${HELPERS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for pid in "${DELAYERS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for id in "${!PID[@]}"; do
        stop_replica "$id"
    done
    net_teardown
    if [ -z "$KEEP" ] && [ "$CHECK_FAILED" = 0 ] && [ $rc -eq 0 ]; then
        rm -rf "$WORK"
    else
        say "work directory kept: $WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

#   --- The cluster: clusterlib.sh ------------------------------------------

#   A replica we did not kill that is gone exited by itself: a failure,
#   whatever its log says. It is started again so that the run goes on.
check_exits () {
    local id pid rc
    for id in "${!PID[@]}"; do
        pid=${PID[$id]}
        kill -0 "$pid" 2>/dev/null && continue
        wait "$pid" 2>/dev/null
        rc=$?
        SELF_EXITS=$((SELF_EXITS + 1))
        problem "replica $id (pid $pid) exited by itself, status $rc; its log ends:"
        tail -5 "$CDIR/r$id/replica.log" | sed 's/^/    /'
        unset "PID[$id]" "PAUSED[$id]"
        start_replica "$id"
    done
}

#   wait_agree SECONDS: every replica answers, with one commit and last index
wait_agree () {
    local deadline=$((SECONDS + $1)) state
    while [ $SECONDS -lt $deadline ]; do
        state=$(cluster_state)
        if [ "$(wc -l <<<"$state")" -eq "$REPLICAS" ] &&
           [ "$(awk '$3 != "null" { print $4, $5 }' <<<"$state" | sort -u | wc -l)" -eq 1 ] &&
           [ "$(awk '$4 == $5' <<<"$state" | wc -l)" -eq "$REPLICAS" ]; then
            return 0
        fi
        sleep 0.2
    done
    problem "the replicas do not agree $1 s after healing: $(cluster_state | tr '\n' ';')"
    return 1
}

#   --- The clients ---------------------------------------------------------

bidder () {
    ip netns exec "$NET_CLIENT_NS" "$BIN/bidder" --cluster "$CLUSTER" "$@"
}

#   A seller opens a short auction now and then, so that deadlines pass
#   during faults; its id goes to $WORK/short for the bidders
seller_loop () {
    local n=0 id
    while [ ! -e "$WORK/stop" ] && [ -d "/proc/$CAMPAIGN" ]; do
        n=$((n + 1))
        id=$(echo "open short$n 6s" | bidder --name seller --history "$HISTORY" 2>>"$WORK/bidder.err" |
             sed -n 's/^success auction=\([0-9]*\) .*/\1/p')
        [ -n "$id" ] && echo "$id" >"$WORK/short"
        sleep 4
    done
}

#   bidder_loop NAME INDEX COUNT: batches of bids (INDEX + COUNT * k, so
#   that no two bidders bid the same amount) and reads, until stopped. A
#   batch is never cut short: an operation that took effect must be in the
#   history, or the checker could not explain what readers saw.
bidder_loop () {
    local name=$1 index=$2 count=$3 k=0 short step
    while [ ! -e "$WORK/stop" ] && [ -d "/proc/$CAMPAIGN" ]; do
        short=$(cat "$WORK/short" 2>/dev/null || echo 1)
        for ((step = 0; step < 4; step++)); do
            k=$((k + 1))
            echo "bid $((k % 2 + 1)) $((100 + k * count + index))"
            echo "bid $short $((100 + k * count + index))"
            echo "result $(((k + 1) % 2 + 1))"
            echo "sleep 40"
        done >"$WORK/$name.script"
        timeout 120 ip netns exec "$NET_CLIENT_NS" "$BIN/bidder" --cluster "$CLUSTER" --name "$name" \
            --retries 4 --script "$WORK/$name.script" --history "$HISTORY" \
            >>"$WORK/$name.out" 2>>"$WORK/bidder.err"
    done
}

reader_loop () {
    local name=$1
    while [ ! -e "$WORK/stop" ] && [ -d "/proc/$CAMPAIGN" ]; do
        short=$(cat "$WORK/short" 2>/dev/null || echo 1)
        printf 'result 1\nsleep 30\nresult 2\nsleep 30\nresult %s\nsleep 30\n' "$short" >"$WORK/$name.script"
        timeout 60 ip netns exec "$NET_CLIENT_NS" "$BIN/bidder" --cluster "$CLUSTER" --name "$name" \
            --retries 4 --script "$WORK/$name.script" --history "$HISTORY" \
            >>"$WORK/$name.out" 2>>"$WORK/bidder.err"
    done
}

#   --- The nemesis ---------------------------------------------------------

#   fault_start KIND DETAIL / fault_end: one line in $EVENTS per fault
fault_start () {
    FAULT_KIND=$1
    FAULT_DETAIL=$2
    FAULT_START=$(mono_us)
    say "fault $FAULT_KIND $FAULT_DETAIL"
}
fault_end () {
    echo "$FAULT_START $(mono_us) $FAULT_KIND $FAULT_DETAIL" >>"$EVENTS"
}

#   pick N: a random replica id from 1..N
pick () {
    echo $((RANDOM % $1 + 1))
}

#   others ID...: the replica ids not given
others () {
    local id out=()
    for ((id = 1; id <= REPLICAS; id++)); do
        [[ " $* " == *" $id "* ]] || out+=("$id")
    done
    echo "${out[*]}"
}

#   A random permutation of 1..REPLICAS
shuffled () {
    local id
    for ((id = 1; id <= REPLICAS; id++)); do echo "$RANDOM $id"; done | sort -n | awk '{ print $2 }' | tr '\n' ' '
}

hold () {
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 2 + r % 40 / 10 }')"
}

clock_set () {
    echo "$2" >"$WORK/clock/r$1.new"
    mv "$WORK/clock/r$1.new" "$WORK/clock/r$1"
}

#   net_on KIND VICTIM: the rules of a network fault (for mixed), its
#   description in NET_DETAIL
net_on () {
    local order half
    order=($(shuffled))
    half=$(((REPLICAS - 1) / 2))
    case $1 in
        partition)
            NET_DETAIL="partition {${order[*]:0:$half}} | {$(others ${order[*]:0:$half})}"
            net_split "${order[*]:0:$half}" "$(others ${order[*]:0:$half})" ;;
        bridge)
            NET_DETAIL="bridge {${order[*]:0:$half}} x {${order[*]:$half:$half}}, ${order[$((REPLICAS - 1))]} hears both"
            net_split "${order[*]:0:$half}" "${order[*]:$half:$half}" ;;
        isolate)
            NET_DETAIL="{$2} | {$(others "$2")}"
            net_split "$2" "$(others "$2")" ;;
        loss)
            NET_DETAIL="loss 20%"
            net_loss 20 ;;
    esac
}

#   sleep_between LOW HIGH: a random pause, in tenths of seconds
sleep_between () {
    sleep "$(awk -v r=$RANDOM -v low="$1" -v high="$2" 'BEGIN { printf "%.1f", (low + r % (high - low + 1)) / 10 }')"
}

inject () {
    local kind=$1 primary=${PRIMARY:-1} victim order side delay skew half proc net
    case $kind in
        mixed)
            #   Two faults at once, as they come in the wild: a replica (the
            #   primary half the time) paused or killed, and while it is
            #   out a network fault comes and goes (issue 12 saw a store
            #   abort after a primary was paused while a bridge partition
            #   came and went)
            victim=$([ $((RANDOM % 2)) = 0 ] && echo "$primary" || pick "$REPLICAS")
            proc=$([ $((RANDOM % 2)) = 0 ] && echo pause || echo kill)
            net=(partition bridge isolate loss)
            net=${net[$((RANDOM % 4))]}
            FAULT_START=$(mono_us)
            if [ "$proc" = pause ]; then
                kill -STOP "${PID[$victim]}" 2>/dev/null
                PAUSED[$victim]=1
            else
                kill -KILL "${PID[$victim]}" 2>/dev/null
                wait "${PID[$victim]}" 2>/dev/null
                unset "PID[$victim]"
            fi
            sleep_between 3 15
            net_on "$net" "$victim"
            sleep_between 10 30
            net_heal
            sleep_between 3 10
            if [ "$proc" = pause ]; then
                kill -CONT "${PID[$victim]}" 2>/dev/null
                unset "PAUSED[$victim]"
            else
                start_replica "$victim"
            fi
            FAULT_KIND=mixed
            FAULT_DETAIL="$proc $victim, meanwhile $NET_DETAIL"
            say "fault mixed $FAULT_DETAIL"
            ;;
        partition)
            #   A random minority (one replica of 3, two of 5) cut from the rest
            order=($(shuffled))
            side="${order[*]:0:$(((REPLICAS - 1) / 2))}"
            fault_start partition "{$side} | {$(others $side)}"
            net_split "$side" "$(others $side)"
            hold
            net_heal
            ;;
        primary)
            fault_start primary "{$primary} | {$(others "$primary")}"
            net_split "$primary" "$(others "$primary")"
            hold
            net_heal
            ;;
        bridge)
            #   Two sides (one replica each of 3, two of 5) cannot hear each
            #   other; the last replica hears both
            order=($(shuffled))
            half=$(((REPLICAS - 1) / 2))
            fault_start bridge "{${order[*]:0:$half}} x {${order[*]:$half:$half}}, ${order[$((REPLICAS - 1))]} hears both"
            net_split "${order[*]:0:$half}" "${order[*]:$half:$half}"
            hold
            net_heal
            ;;
        ring)
            #   Five in a ring: each hears its two neighbours only
            order=($(shuffled))
            fault_start ring "${order[*]}"
            net_cut "${order[0]}" "${order[2]}"; net_cut "${order[0]}" "${order[3]}"
            net_cut "${order[1]}" "${order[3]}"; net_cut "${order[1]}" "${order[4]}"
            net_cut "${order[2]}" "${order[4]}"
            hold
            net_heal
            ;;
        kill)
            victim=$([ $((RANDOM % 2)) = 0 ] && echo "$primary" || pick "$REPLICAS")
            fault_start kill "$victim"
            kill -KILL "${PID[$victim]}" 2>/dev/null
            wait "${PID[$victim]}" 2>/dev/null
            unset "PID[$victim]"
            echo "$(mono_us) killed $victim" >>"$WORK/nemesis.log"
            hold
            start_replica "$victim"
            ;;
        pause)
            victim=$([ $((RANDOM % 2)) = 0 ] && echo "$primary" || pick "$REPLICAS")
            fault_start pause "$victim"
            kill -STOP "${PID[$victim]}" 2>/dev/null
            PAUSED[$victim]=1
            hold
            kill -CONT "${PID[$victim]}" 2>/dev/null
            unset "PAUSED[$victim]"
            ;;
        loss)
            fault_start loss "20% replica to replica"
            net_loss 20
            hold
            net_heal
            ;;
        delay)
            delay=$((50 + RANDOM % 4 * 50))
            fault_start delay "${delay}ms one way, replica to replica"
            delay_start "$delay"
            hold
            net_heal
            delay_stop
            ;;
        clock)
            #   A replica restarted with its wall clock off by 1-3 s (its
            #   stamps, and so deadlines, move), later restarted with the
            #   clock right again: a jump back
            victim=$([ $((RANDOM % 2)) = 0 ] && echo "$primary" || pick "$REPLICAS")
            skew=$(((RANDOM % 2 * 2 - 1) * (1 + RANDOM % 3)))
            fault_start clock "replica $victim restarted with its wall clock ${skew}s off"
            clock_set "$victim" "$(printf '%+ds' "$skew")"
            crash_restart "$victim"
            [ $(( ${skew#-} * 1000 )) -gt "$MAX_SKEW_MS" ] && MAX_SKEW_MS=$(( ${skew#-} * 1000 ))
            hold
            clock_set "$victim" "+0s"
            crash_restart "$victim"
            ;;
    esac
    fault_end
    say "healed $kind"
}

#   delay_start MS: a gavel-delay in every replica's namespace holds what
#   it sends to the other replicas for MS
delay_start () {
    local id
    for ((id = 1; id <= REPLICAS; id++)); do
        ip netns exec "$(net_ns "$id")" "${ORPHAN_GUARD[@]}" "$BIN/gavel-delay" --queue 0 --delay "$1" \
            >>"$WORK/delay.log" 2>&1 &
        DELAYERS+=($!)
    done
    sleep 0.2
    for ((id = 1; id <= REPLICAS; id++)); do
        net_queue "$id"
    done
}

delay_stop () {
    local pid
    for pid in "${DELAYERS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    DELAYERS=()
}

#   --- The run -------------------------------------------------------------

say "work directory $WORK, $REPLICAS replicas, ${SECONDS_RUN}s, faults $FAULTS, seed $SEED"
net_setup || { problem "cannot set up the network namespaces"; exit 1; }
write_cluster || { problem "cannot write the cluster file"; exit 1; }
for ((id = 1; id <= REPLICAS; id++)); do
    start_replica "$id"
done
wait_primary 20 || { problem "no primary 20 s after the start: $(cluster_state | tr '\n' ';')"; exit 1; }
for item in rug kettle; do
    echo "open $item 30m" | bidder --name seller --history "$HISTORY" >>"$WORK/opened.txt" 2>>"$WORK/bidder.err" \
        || { problem "could not open $item: $(cat "$WORK/opened.txt")"; exit 1; }
done

seller_loop &
HELPERS+=($!)
names=(ann ben cid dot)
for index in 0 1 2 3; do
    bidder_loop "${names[$index]}" "$index" 4 &
    HELPERS+=($!)
done
for name in rex ray; do
    reader_loop "$name" &
    HELPERS+=($!)
done

kinds=(${FAULTS//,/ })
FAULT_COUNT=0
END=$((SECONDS + SECONDS_RUN))
while [ $SECONDS -lt $END ]; do
    check_exits
    #   Let the cluster settle between faults (a quiet spell of 1-3 s)
    if ! wait_primary 20; then
        problem "no primary for 20 s with every fault healed: $(cluster_state | tr '\n' ';')"
    fi
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 1 + r % 20 / 10 }')"
    [ $SECONDS -lt $END ] || break
    inject "${kinds[$((RANDOM % ${#kinds[@]}))]}"
    FAULT_COUNT=$((FAULT_COUNT + 1))
done

#   Everything healed (inject heals as it goes); the clients go on for a
#   few seconds (so that the last fault's recovery shows), finish their
#   batches, then the replicas must converge
sleep 3
touch "$WORK/stop"
for pid in "${HELPERS[@]}"; do
    wait "$pid"
done
HELPERS=()
check_exits
wait_agree 30

#   Linearizability
LINCHECK_OPTS=()
if [ "$MAX_SKEW_MS" -gt 0 ]; then
    if "$BIN/gavel-lincheck" --help 2>&1 | grep -q -- --skew-ms; then
        LINCHECK_OPTS=(--skew-ms "$MAX_SKEW_MS")
    else
        say "gavel-lincheck has no --skew-ms yet: checked without it"
    fi
fi
OPERATIONS=$(wc -l <"$HISTORY")
"$BIN/gavel-lincheck" "${LINCHECK_OPTS[@]}" "$HISTORY" >"$WORK/lincheck.txt" 2>&1
case $? in
    0) LINEAR=yes ;;
    1) LINEAR=no; problem "gavel-lincheck: $(tail -20 "$WORK/lincheck.txt")" ;;
    3) LINEAR=gave-up; problem "gavel-lincheck gave up (too many states): $(tail -3 "$WORK/lincheck.txt")" ;;
    *) LINEAR=error; problem "gavel-lincheck could not check: $(tail -5 "$WORK/lincheck.txt")" ;;
esac

#   Durability: each replica, stopped, holds every acknowledged bid
for id in "${!PID[@]}"; do
    stop_replica "$id"
done
awk '$8 == "success" && $5 == "bid" { print $6, $7, $4 }' "$HISTORY" | sort -u >"$WORK/acked.txt"
LOST=0
for ((id = 1; id <= REPLICAS; id++)); do
    if ! "$BIN/gavel-dump" "$CDIR/r$id" >"$WORK/dump$id.txt" 2>&1; then
        problem "gavel-dump r$id: $(cat "$WORK/dump$id.txt")"
        continue
    fi
    #   A bid is held when its entry is in the log, or when the snapshot
    #   (which compacted the log before it) has that auction at or above it
    missing=$(awk '
        FILENAME == ARGV[1] && $1 == "entry" && $4 == "bid" && $8 == "success" { held[$5 " " $6 " " $7] = 1; next }
        FILENAME == ARGV[1] && $1 == "snapshot-auction" { snap[$2] = $4; next }
        FILENAME == ARGV[1] { next }
        !(($1 " " $2 " " $3) in held) && !(($1 in snap) && snap[$1] >= $2) { print }' \
        "$WORK/dump$id.txt" "$WORK/acked.txt")
    if [ -n "$missing" ]; then
        LOST=$((LOST + $(wc -l <<<"$missing")))
        problem "replica $id lacks acknowledged bids (auction amount name): $(head -5 <<<"$missing" | tr '\n' ';')"
    fi
    grep '^auction ' "$WORK/dump$id.txt" >"$WORK/final$id.txt"
done
for ((id = 2; id <= REPLICAS; id++)); do
    cmp -s "$WORK/final1.txt" "$WORK/final$id.txt" \
        || problem "replicas 1 and $id hold different auctions: $(diff "$WORK/final1.txt" "$WORK/final$id.txt" | head -4 | tr '\n' ';')"
done

#   Anything a replica said on its way that a correct one never says
if grep -n -E "Assertion|AddressSanitizer|LeakSanitizer|runtime error:|Aborted|SEGV" \
        "$CDIR"/r*/replica.log >"$WORK/crashes.txt"; then
    problem "replica logs show a crash: $(head -5 "$WORK/crashes.txt")"
fi

#   --- Figures -------------------------------------------------------------

#   Per fault kind: of the operations invoked while a fault lasted, the
#   share answered success or fail before it ended; and the recovery time,
#   from the heal to the first success of an operation invoked after it
awk -v out="$WORK/avail.txt" '
    FILENAME == ARGV[1] { n++; s[n] = $1; e[n] = $2; k[n] = $3; next }
    {
        invoke = $1; complete = $2; outcome = $8
        for (i = 1; i <= n; i++) {
            if (invoke >= s[i] && invoke < e[i]) {
                total[k[i]]++
                if ((outcome == "success" || outcome == "fail") && complete <= e[i]) answered[k[i]]++
            }
            if (outcome == "success" && invoke >= e[i] && (!(i in first) || complete < first[i]))
                first[i] = complete
        }
    }
    END {
        for (i = 1; i <= n; i++) {
            kinds[k[i]] = 1
            count[k[i]]++
            r = (i in first)? (first[i] - e[i]) / 1000: -1
            if (r < 0) norecover[k[i]]++
            else { if (r > worst[k[i]]) worst[k[i]] = r; sum[k[i]] += r; rec[k[i]]++ }
            if (r > all_worst) all_worst = r
        }
        for (kind in kinds)
            printf "AVAIL kind=%s faults=%d invoked=%d answered=%d recovery_ms_mean=%d recovery_ms_max=%d unrecovered=%d\n",
                kind, count[kind], total[kind], answered[kind],
                rec[kind]? sum[kind] / rec[kind]: 0, worst[kind], norecover[kind] > out
        printf "%d\n", all_worst
    }' "$EVENTS" "$HISTORY" >"$WORK/recovery.txt" 2>/dev/null
touch "$WORK/avail.txt"
RECOVERY=$(cat "$WORK/recovery.txt" 2>/dev/null || echo -)
cat "$WORK/avail.txt"
CLOCK=no
want clock && CLOCK=yes
echo "RESULT seed=$SEED replicas=$REPLICAS faults=$FAULT_COUNT operations=$OPERATIONS linearizable=$LINEAR lost=$LOST self_exits=$SELF_EXITS recovery_ms_max=${RECOVERY:--} clock=$CLOCK max_skew_ms=$MAX_SKEW_MS"
[ "$CHECK_FAILED" = 0 ] || exit 1
exit 0
