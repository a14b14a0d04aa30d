#!/usr/bin/env bash
#   Liveness on real links (issue 12, Build item 5), measured on 3 replicas
#   in network namespaces (netlib.sh):
#
#   heal   TRIALS times: one backup cut off from the other two replicas for
#          PARTITION_S seconds, then healed; its STATUS asked every 20 ms or
#          so for WATCH_S seconds after: the time from the heal until it
#          follows a primary (role=backup, primary not 0) for good, that is
#          in every answer up to WATCH_S. Target: under 1 s each.
#   delay  the replicas started with every replica-to-replica packet held
#          DELAY_MS (gavel-delay, one way), for DELAY_S seconds, one bidder
#          bidding all along: is a primary elected, how many bids commit
#          (success) a minute, how often the term changes a minute, and the
#          share of one-second samples in which some replica is primary.
#
#   usage: liveness.sh BIN_DIR [heal] [delay]   (default: both)
#   TRIALS (10), PARTITION_S (20), WATCH_S (10), DELAY_MS (150), DELAY_S (60)
#   Prints LIVENESS lines; exit 0 when both targets are met, 1 when one is
#   not, 77 when it cannot run here (not root, no gavel-delay).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:?usage: liveness.sh BIN_DIR [heal] [delay]}" && pwd)
shift
PARTS=${*:-heal delay}
TRIALS=${TRIALS:-10}
PARTITION_S=${PARTITION_S:-20}
DELAY_MS=${DELAY_MS:-150}
DELAY_S=${DELAY_S:-60}
WATCH_S=${WATCH_S:-10}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: liveness.sh needs root (network namespaces, iptables)"; exit 77; }
if [[ " $PARTS " == *" delay "* ]] && [ ! -x "$BIN/gavel-delay" ]; then
    echo "SKIP: the delay measurement needs gavel-delay (libnetfilter-queue-dev; tools/install-deps --chaos)"
    exit 77
fi

WORK=$(mktemp -d /tmp/gavel-liveness.XXXXXX)
REPLICAS=3
CDIR=$WORK/cluster
CLUSTER=$CDIR/cluster.cfg
export GAVEL_KEYS=$WORK/bidder-keys
NET_PREFIX=glv$$
NET_REPLICAS=$REPLICAS
want () { false; }              #  no clock faults here
mono_us () { local now=${EPOCHREALTIME/./}; echo "$now"; }
source "$HERE/netlib.sh"
source "$HERE/clusterlib.sh"
net_sweep glv
DELAYERS=()
FAILED=0

cleanup () {
    local id pid
    for pid in "${DELAYERS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    DELAYERS=()
    for id in "${!PID[@]}"; do
        stop_replica "$id"
    done
    net_teardown
}
trap 'cleanup; [ $FAILED -eq 0 ] && rm -rf "$WORK" || echo "liveness: work directory kept: $WORK"' EXIT
trap 'exit 1' INT TERM

#   STATUS of replica ID: "ROLE TERM PRIMARY COMMIT", or nothing
status_of () {
    ip netns exec "$NET_CLIENT_NS" timeout 5 "$BIN/bidder" --cluster "$CLUSTER" \
        --connect "tcp://$(net_ip "$1"):7000" --name liveness --retries 0 --timeout 300 <<<"status" 2>/dev/null |
        sed -n 's/^success .* role=\([a-z]*\) term=\([0-9]*\) commit=\([0-9]*\) .* primary=\([0-9]*\) .*/\1 \2 \4 \3/p'
}

fresh_cluster () {
    local id
    cleanup
    #   The part before keeps its replicas' logs, for a failure to be read
    if [ -d "$CDIR" ]; then
        rm -rf "$CDIR.before"
        mv "$CDIR" "$CDIR.before"
    fi
    net_setup || { echo "liveness: cannot set up the namespaces"; exit 1; }
    write_cluster || exit 1
}

start_all () {
    local id
    for ((id = 1; id <= REPLICAS; id++)); do
        start_replica "$id"
    done
}

ms_since () {
    local now=${EPOCHREALTIME/./}
    echo $(((now - $1) / 1000))
}

heal_trials () {
    local trial backup others_ start role term primary ms all=() before after flips
    fresh_cluster
    start_all
    if ! wait_primary 20; then
        echo "LIVENESS heal: no primary at the start"; FAILED=1; return
    fi
    for ((trial = 1; trial <= TRIALS; trial++)); do
        wait_primary 20 || { echo "LIVENESS heal trial=$trial no primary"; FAILED=1; continue; }
        backup=$(( PRIMARY % REPLICAS + 1 ))
        others_=$(for ((id = 1; id <= REPLICAS; id++)); do [ $id = "$backup" ] || echo $id; done | tr '\n' ' ')
        net_split "$backup" "$others_"
        #   (the poller below starts 1 s before the heal)
        sleep "$((PARTITION_S - 1))"
        #   A poller asks the backup for its STATUS every 20 ms or so, each
        #   answer stamped as it comes (one bidder process: starting one per
        #   question would blur the figure by its start-up time)
        rm -f "$WORK/poll.stop"
        (
            while [ ! -e "$WORK/poll.stop" ]; do echo status; sleep 0.02; done |
                ip netns exec "$NET_CLIENT_NS" timeout 60 "$BIN/bidder" --cluster "$CLUSTER" \
                    --connect "tcp://$(net_ip "$backup"):7000" --name liveness --retries 0 --timeout 200 2>/dev/null |
                while read -r line; do echo "${EPOCHREALTIME/./} $line"; done
        ) >"$WORK/poll$trial.txt" &
        local poller=$!
        sleep 1
        before=$(tail -1 "$WORK/poll$trial.txt" | sed -n 's/.* role=\([a-z]*\) term=\([0-9]*\) .* primary=\([0-9]*\) .*/role=\1 term=\2 primary=\3/p')
        net_heal
        start=${EPOCHREALTIME/./}
        #   Hearing the primary once is not enough: a backup whose connection
        #   to the primary's PUB is still in TCP back-off hears of the primary
        #   in an election round, follows it, hears no heartbeat, and goes
        #   candidate again 250 ms later. So: the first answer after which
        #   every answer, up to WATCH_S after the heal, says it follows
        sleep "$WATCH_S"
        touch "$WORK/poll.stop"
        wait "$poller"
        ms=$(awk -v start="$start" '
            $1 <= start { next }
            / role=backup / && !/ primary=0 / { if (since == "") since = $1; next }
            { since = ""; deaf++ }
            END { if (since != "") print int((since - start) / 1000) }' "$WORK/poll$trial.txt")
        flips=$(awk -v start="$start" '$1 > start && !(/ role=backup / && !/ primary=0 /)' "$WORK/poll$trial.txt" | wc -l)
        after=$(tail -1 "$WORK/poll$trial.txt" |
                sed -n 's/.* role=\([a-z]*\) term=\([0-9]*\) .* primary=\([0-9]*\) .*/role=\1 term=\2 primary=\3/p')
        echo "LIVENESS heal trial=$trial backup=$backup partition_s=$PARTITION_S heard_primary_ms=${ms:-none} answers_not_following_after_heal=$flips before_heal: ${before:-?} at_end: ${after:-?}"
        all+=("${ms:-99999}")
        [ -n "$ms" ] && [ "$ms" -lt 1000 ] || FAILED=1
        sleep 2
    done
    printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1; s += $1 } END {
        printf "LIVENESS heal summary: trials=%d min_ms=%d median_ms=%d max_ms=%d mean_ms=%d under_1s=%d\n",
            NR, v[1], v[int((NR + 1) / 2)], v[NR], s / NR, under }
        { if ($1 < 1000) under++ }'
}

delay_run () {
    local id start samples=0 with_primary=0 first_term last_term n=0 k=0 committed elected=no term t
    fresh_cluster
    for ((id = 1; id <= REPLICAS; id++)); do
        ip netns exec "$(net_ns "$id")" "${ORPHAN_GUARD[@]}" "$BIN/gavel-delay" --queue 0 --delay "$DELAY_MS" \
            >>"$WORK/delay.log" 2>&1 &
        DELAYERS+=($!)
    done
    sleep 0.3
    for ((id = 1; id <= REPLICAS; id++)); do
        net_queue "$id"
    done
    start_all
    start=${EPOCHREALTIME/./}
    #   One bidder all along: bids of 1, 2, 3... on one auction, each
    #   retried (same request id) until answered or out of retries
    (
        while [ ! -e "$WORK/stop" ]; do
            if [ ! -e "$WORK/auction" ]; then
                echo "open lamp 30m" | ip netns exec "$NET_CLIENT_NS" "$BIN/bidder" --cluster "$CLUSTER" \
                    --name seller >>"$WORK/seller.out" 2>/dev/null
                grep -q '^success auction=1 ' "$WORK/seller.out" && touch "$WORK/auction"
                sleep 0.2
                continue
            fi
            #   (the amounts are counted here: a loop on the left of the
            #   pipe would count in a subshell and start again each time)
            seq $((k + 1)) $((k + 20)) | sed 's/^/bid 1 /' |
                ip netns exec "$NET_CLIENT_NS" "$BIN/bidder" --cluster "$CLUSTER" --name bea \
                --timeout 1000 --retries 5 >>"$WORK/bea.out" 2>/dev/null
            k=$((k + 20))
        done
    ) &
    local bidder_pid=$!
    first_term=
    while [ "$(ms_since "$start")" -lt $((DELAY_S * 1000)) ]; do
        samples=$((samples + 1))
        term=0 t=
        for ((id = 1; id <= REPLICAS; id++)); do
            read -r role t _ <<<"$(status_of "$id")"
            [ -n "$t" ] && [ "$t" -gt "$term" ] && term=$t
            [ "${role:-}" = primary ] && t=primary
        done
        [ -z "$first_term" ] && [ "$term" -gt 0 ] && first_term=$term
        last_term=$term
        if cluster_state | grep -q ' primary '; then
            with_primary=$((with_primary + 1))
            elected=yes
        fi
        sleep 1
    done
    touch "$WORK/stop"
    wait "$bidder_pid"
    local seconds=$(( $(ms_since "$start") / 1000 ))
    committed=$(grep -c '^success auction=1 amount=' "$WORK/bea.out" 2>/dev/null || echo 0)
    #   What the other bids got: the first word and reason of each answer
    local outcomes
    outcomes=$(awk '{ o = $1; for (i = 2; i <= NF; i++) if ($i ~ /^reason=/) o = o "/" substr($i, 8); n[o]++ }
                    END { for (o in n) printf "%s%s=%d", sep, o, n[o]; sep = "," }' "$WORK/bea.out" 2>/dev/null)
    awk -v d="$DELAY_MS" -v s="$seconds" -v c="$committed" -v t0="${first_term:-0}" -v t1="${last_term:-0}" \
        -v e="$elected" -v n="$samples" -v p="$with_primary" -v o="${outcomes:-none}" 'BEGIN {
        printf "LIVENESS delay one_way_ms=%d seconds=%d elected=%s committed=%d committed_per_min=%.1f term_first=%d term_last=%d term_changes_per_min=%.1f primary_samples=%d/%d answers=%s\n",
            d, s, e, c, c * 60 / s, t0, t1, (t1 - t0) * 60 / s, p, n, o }'
    [ "$elected" = yes ] && [ "$committed" -gt 0 ] || FAILED=1
    cleanup
}

#   A replica that aborted or tripped a sanitizer fails the measurement too
check_logs () {
    if grep -H -E "Assertion|AddressSanitizer|runtime error:|Aborted|SEGV" "$CDIR"/r*/replica.log 2>/dev/null | head -5; then
        echo "LIVENESS $1: a replica crashed (lines above)"
        FAILED=1
    fi
}

for part in $PARTS; do
    case $part in
        heal) heal_trials; check_logs heal ;;
        delay) delay_run; check_logs delay ;;
        *) echo "liveness: unknown part '$part' (heal, delay)"; exit 2 ;;
    esac
done
exit $FAILED
