#!/usr/bin/env bash
#   make chaos: RUNS fault campaigns (campaign.sh), then a table of them and
#   of what each fault kind cost.
#
#   usage: chaos.sh BIN_DIR [RUNS]
#   CHAOS_SECONDS   seconds of faults per run (default 120)
#   CHAOS_FAULTS    fault kinds (default all: partition, primary, bridge,
#                   kill, pause, delay, loss, mixed; ring with 5 replicas;
#                   clock)
#   CHAOS_CLOCK     0: no clock faults. Otherwise every second run has them
#                   (runs 2, 4, ...), and the table says so: a deadline may
#                   then move by the offset injected (docs/CORRECTNESS.md)
#   CHAOS_SEED      the first run's seed (default: from the time)
#   CHAOS_OUT       where each run's log goes (default build/chaos)
#   Every third run (3, 6, ...) has 5 replicas, the others 3.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${1:?usage: chaos.sh BIN_DIR [RUNS]}" && pwd)
RUNS=${2:-1}
SECONDS_EACH=${CHAOS_SECONDS:-120}
FAULTS=${CHAOS_FAULTS:-partition,primary,bridge,kill,pause,delay,loss,mixed}
SEED=${CHAOS_SEED:-$(date +%s)}
OUT=${CHAOS_OUT:-build/chaos}
mkdir -p "$OUT"
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || { echo "chaos: RUNS must be a number, 1 or more" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
    echo "chaos: SKIP: the fault campaign needs root (network namespaces, iptables)"
    exit 77
fi

ROWS=$OUT/rows.txt
AVAIL=$OUT/avail.txt
: >"$ROWS"
: >"$AVAIL"
failed=0
for ((run = 1; run <= RUNS; run++)); do
    replicas=3
    [ $((run % 3)) -eq 0 ] && replicas=5
    faults=$FAULTS
    [ "${CHAOS_CLOCK:-1}" != 0 ] && [ $((run % 2)) -eq 0 ] && faults+=,clock
    [ "$replicas" = 5 ] && faults+=,ring
    seed=$((SEED + run))
    echo "chaos: run $run of $RUNS: $replicas replicas, ${SECONDS_EACH}s, seed $seed, faults $faults (log: $OUT/run$run.log)"
    bash "$HERE/campaign.sh" "$BIN" --replicas "$replicas" --seconds "$SECONDS_EACH" --seed "$seed" \
        --faults "$faults" >"$OUT/run$run.log" 2>&1
    rc=$?
    result=$(grep '^RESULT ' "$OUT/run$run.log" | tail -1)
    [ $rc -eq 0 ] || failed=$((failed + 1))
    [ -n "$result" ] || result="RESULT seed=$seed replicas=$replicas faults=? operations=? linearizable=? lost=? self_exits=? recovery_ms_max=? clock=?"
    echo "$run $rc $result" >>"$ROWS"
    sed -n "s/^AVAIL /$run /p" "$OUT/run$run.log" >>"$AVAIL"
    grep '^chaos: FAIL' "$OUT/run$run.log" | head -5
    tail -1 "$ROWS"
done

field () { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
echo
echo "| run | replicas | clock faults | faults | operations | linearizable | acked bids lost | replica exits by themselves | worst recovery ms | result |"
echo "|----:|---------:|:------------:|-------:|-----------:|:------------:|----------------:|----------------------------:|------------------:|:------:|"
while read -r run rc line; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$run" \
        "$(field replicas "$line")" "$(field clock "$line")" "$(field faults "$line")" \
        "$(field operations "$line")" "$(field linearizable "$line")" "$(field lost "$line")" \
        "$(field self_exits "$line")" "$(field recovery_ms_max "$line")" \
        "$([ "$rc" = 0 ] && echo pass || echo FAIL)"
done <"$ROWS"
echo
echo "| fault kind | faults | requests during | answered success/fail during | availability | recovery ms mean | recovery ms max |"
echo "|------------|-------:|----------------:|-----------------------------:|-------------:|-----------------:|----------------:|"
awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        k = v["kind"]; kinds[k] = 1
        faults[k] += v["faults"]; invoked[k] += v["invoked"]; answered[k] += v["answered"]
        if (v["faults"] - v["unrecovered"] > 0) { sum[k] += v["recovery_ms_mean"] * (v["faults"] - v["unrecovered"]); n[k] += v["faults"] - v["unrecovered"] }
        if (v["recovery_ms_max"] > worst[k]) worst[k] = v["recovery_ms_max"]
     }
     END {
        for (k in kinds)
            printf "| %s | %d | %d | %d | %.1f%% | %d | %d |\n", k, faults[k], invoked[k], answered[k],
                invoked[k]? 100 * answered[k] / invoked[k]: 0, n[k]? sum[k] / n[k]: 0, worst[k]
     }' "$AVAIL" | sort
echo
echo "chaos: $((RUNS - failed)) of $RUNS runs passed (logs in $OUT)"
[ $failed -eq 0 ]
