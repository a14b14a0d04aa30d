#   The fault campaign's cluster: a cluster file for the namespaces of
#   netlib.sh (CURVE keys made by gavel-keygen), and replicas started in
#   their namespaces and stopped by pid. Source after netlib.sh; set BIN,
#   WORK, REPLICAS, CDIR, CLUSTER; define want (a fault kind wanted: with
#   'clock', replicas run under libfaketime, FAKETIME_LIB) and mono_us.
#   Replica I's files are in $CDIR/rI (data, replica.log, pid), as
#   gavel-local keeps them, so that gavel-local status works on $CDIR.

declare -A PID=()               #  replica id -> pid while we think it runs
declare -A PAUSED=()            #  replica id -> 1 while SIGSTOPped
CLUSTER_SETTINGS=${CLUSTER_SETTINGS:-}
#   What we start dies with us, even when we are killed outright (SIGKILL
#   runs no trap): the kernel sends it SIGKILL when its parent, this shell,
#   goes
ORPHAN_GUARD=()
command -v setpriv >/dev/null && ORPHAN_GUARD=(setpriv --pdeathsig KILL)

write_cluster () {
    local id ip key
    mkdir -p "$CDIR/keys" "$WORK/clock"
    {
        echo "#   Gavel cluster file, written by tests/chaos/campaign.sh"
        echo "cluster"
        echo "    name = chaos"
        echo "    settings"
        echo "        fsync = never"
        #   Small, so that snapshots and snapshot catch-up happen in a run
        echo "        snapshot_every = 300"
        #   More settings, one "key = value" a line (liveness.sh)
        [ -z "$CLUSTER_SETTINGS" ] || sed 's/^ */        /' <<<"$CLUSTER_SETTINGS"
        echo "replica"
        for ((id = 1; id <= REPLICAS; id++)); do
            ip=$(net_ip "$id")
            mkdir -p "$CDIR/r$id"
            key=$("$BIN/gavel-keygen" "$CDIR/keys/replica$id") || return 1
            echo "    $id"
            echo "        client = tcp://$ip:7000"
            echo "        pub = tcp://$ip:7001"
            echo "        ack = tcp://$ip:7002"
            echo "        mesh = tcp://$ip:7003"
            echo "        data = $CDIR/r$id"
            echo "        public_key = \"$key\""
            echo "        secret = $CDIR/keys/replica${id}_secret"
            echo "+0s" >"$WORK/clock/r$id"
        done
    } >"$CLUSTER"
}

#   start_replica ID: in its namespace; with clock faults under libfaketime
#   reading its offset from $WORK/clock/rI. Only the wall clock is faked: a
#   monotonic clock does not jump on a real machine either. A replica reads
#   the wall clock once, at its start (gavel_node: stamps are the monotonic
#   clock plus that offset), so a skew takes effect at a restart.
start_replica () {
    local id=$1 env=()
    if want clock; then
        env=(env LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$WORK/clock/r$id"
             FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_CACHE_DURATION=1
             ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
    fi
    ip netns exec "$(net_ns "$id")" "${env[@]}" "${ORPHAN_GUARD[@]}" "$BIN/replica" --cluster "$CLUSTER" --id "$id" \
        >>"$CDIR/r$id/replica.log" 2>&1 &
    PID[$id]=$!
    echo "${PID[$id]}" >"$CDIR/r$id/pid"
    echo "$(mono_us) start $id pid ${PID[$id]}" >>"$WORK/nemesis.log"
}

#   stop_replica ID: SIGTERM (after SIGCONT: a stopped process cannot act
#   on it), SIGKILL after 5 s
stop_replica () {
    local id=$1 pid=${PID[$1]:-} try
    [ -n "$pid" ] || return 0
    kill -CONT "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    for ((try = 0; try < 100; try++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "PID[$id]" "PAUSED[$id]"
    rm -f "$CDIR/r$id/pid"
}

#   ID ROLE TERM COMMIT LAST, one line per replica that answers
cluster_state () {
    ip netns exec "$NET_CLIENT_NS" "$BIN/gavel-local" status --json --dir "$CDIR" 2>/dev/null |
        sed -n 's/^{"id":\([0-9]*\),"role":"\([a-z-]*\)","term":\([0-9a-z]*\),"commit":\([0-9a-z]*\),"last":\([0-9a-z]*\),.*/\1 \2 \3 \4 \5/p'
}

primary_id () {
    cluster_state | awk '$2 == "primary" && $3 > term { term = $3; id = $1 } END { print id }'
}

#   wait_primary SECONDS: sets PRIMARY, or returns 1
wait_primary () {
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        PRIMARY=$(primary_id)
        [ -n "$PRIMARY" ] && return 0
        sleep 0.1
    done
    PRIMARY=
    return 1
}


#   crash_restart ID: kill -9 and start again (the nemesis's kill, without
#   a pause between)
crash_restart () {
    local id=$1
    if [ -n "${PID[$id]:-}" ]; then
        kill -KILL "${PID[$id]}" 2>/dev/null
        wait "${PID[$id]}" 2>/dev/null
        unset "PID[$id]" "PAUSED[$id]"
        echo "$(mono_us) killed $id" >>"$WORK/nemesis.log"
    fi
    start_replica "$id"
}
