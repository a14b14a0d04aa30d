#!/usr/bin/env bash
#   gavel-bench's smoke run: four bidders for two seconds on three replicas
#   print sane figures (a committed rate and a median latency above zero),
#   --json prints the same as one line of JSON with every key, and --plot
#   draws an SVG (or says gnuplot is missing); a bad cluster file exits 2.
source "$(dirname "$0")/lib.sh"

#   A cluster file that does not load is bad input: 2, as in every program
printf 'replica\n    1\n        colour = red\n' >"$WORK/bad.cfg"
rc=0; "$BIN/gavel-bench" --cluster "$WORK/bad.cfg" --seconds 1 2>"$WORK/bad.err" || rc=$?
[ $rc -eq 2 ] || fail "a bad cluster file exited $rc, expected 2: $(cat "$WORK/bad.err")"

up 3

#   positive NUMBER: true when NUMBER (a decimal, maybe with a fraction) > 0
positive () {
    awk -v value="${1:-0}" 'BEGIN { exit !(value + 0 > 0) }'
}

"$BIN/gavel-bench" --cluster "$CLUSTER" --clients 4 --seconds 2 \
    >"$WORK/bench.txt" 2>"$WORK/bench.err" \
    || fail "gavel-bench exited with $?: $(cat "$WORK/bench.err")"
committed=$(sed -n 's/^committed  *\([0-9.]*\) bids\/s .*/\1/p' "$WORK/bench.txt")
p50=$(sed -n 's/^latency  *p50 \([0-9.]*\) ms .*/\1/p' "$WORK/bench.txt")
positive "$committed" || fail "committed rate '$committed' is not above 0: $(cat "$WORK/bench.txt")"
positive "$p50" || fail "p50 '$p50' is not above 0: $(cat "$WORK/bench.txt")"
expect_contains "$WORK/bench.txt" '^decided  *[0-9.]+ bids/s '
expect_contains "$WORK/bench.txt" '^latency .* p99 [0-9.]+ ms .* p99\.9 [0-9.]+ ms .* max [0-9.]+ ms'
expect_contains "$WORK/bench.txt" '^elections  *[0-9]+ \(primary [0-9]+ in term [0-9]+ at the start'

"$BIN/gavel-bench" --cluster "$CLUSTER" --clients 4 --seconds 2 --auctions per-client --json \
    >"$WORK/bench.json" 2>"$WORK/bench-json.err" \
    || fail "gavel-bench --json exited with $?: $(cat "$WORK/bench-json.err")"
[ "$(wc -l <"$WORK/bench.json")" -eq 1 ] \
    || fail "--json printed $(wc -l <"$WORK/bench.json") lines, not one: $(head -c 2000 "$WORK/bench.json")"
expect_contains "$WORK/bench.json" '^\{"mode":"load",.*\}$'
for key in committed decided committed_per_s decided_per_s p50_us p90_us p99_us p999_us \
           max_us timeouts redirects term_start term_end elections; do
    expect_contains "$WORK/bench.json" "\"$key\":"
done
json_committed=$(sed -n 's/.*"committed_per_s":\([0-9.]*\).*/\1/p' "$WORK/bench.json")
json_p50=$(sed -n 's/.*"p50_us":\([0-9]*\).*/\1/p' "$WORK/bench.json")
positive "$json_committed" || fail "JSON committed_per_s '$json_committed' is not above 0"
positive "$json_p50" || fail "JSON p50_us '$json_p50' is not above 0"

#   The batch figures from the replicas' STATUS counts, in both forms
expect_contains "$WORK/bench.txt" '^batches +primary: [0-9.]+ requests/turn, [0-9.]+ entries/LOG'
expect_contains "$WORK/bench.json" '"batch":\{"requests_per_turn":[0-9.]+,"entries_per_log":[0-9.]+,'

#   --depth D: D bidders in flight on each client's connection, every one
#   answered (an auction each, so none fails)
"$BIN/gavel-bench" --cluster "$CLUSTER" --clients 2 --depth 4 --seconds 2 --auctions per-client --json \
    >"$WORK/depth.json" 2>"$WORK/depth.err" \
    || fail "gavel-bench --depth 4 exited with $?: $(cat "$WORK/depth.err")"
expect_contains "$WORK/depth.json" '"clients":2,"depth":4,'
expect_contains "$WORK/depth.json" '"exceptions":0,'
depth_committed=$(sed -n 's/.*"committed_per_s":\([0-9.]*\).*/\1/p' "$WORK/depth.json")
positive "$depth_committed" || fail "--depth 4: committed_per_s '$depth_committed' is not above 0"

#   --plot FILE: an SVG when gnuplot is installed; without it one line says
#   so and the run still succeeds. A directory that does not exist is a
#   usage error, before anything runs.
plot_rc=0
"$BIN/gavel-bench" --cluster "$CLUSTER" --clients 2 --seconds 1 --warmup 0 \
    --plot "$WORK/lat.svg" >"$WORK/plot.txt" 2>"$WORK/plot.err" || plot_rc=$?
[ $plot_rc -eq 0 ] || fail "gavel-bench --plot exited with $plot_rc: $(cat "$WORK/plot.err")"
expect_contains "$WORK/plot.txt" '^committed  *[0-9.]+ bids/s '
if command -v gnuplot >/dev/null; then
    [ -s "$WORK/lat.svg" ] || fail "--plot wrote no $WORK/lat.svg: $(cat "$WORK/plot.err")"
    head -n 1 "$WORK/lat.svg" 2>/dev/null | grep -q -E '^<(\?xml|svg)' \
        || fail "$WORK/lat.svg does not start with an SVG/XML header"
    grep -q '<svg' "$WORK/lat.svg" 2>/dev/null || fail "$WORK/lat.svg has no <svg"
    [ ! -e "$WORK/lat.svg.tmp" ] || fail "--plot left $WORK/lat.svg.tmp behind"
else
    expect_contains "$WORK/plot.err" '^gavel-bench: --plot needs gnuplot .*no plot written'
    [ ! -e "$WORK/lat.svg" ] || fail "--plot wrote $WORK/lat.svg without gnuplot"
fi
plot_rc=0
"$BIN/gavel-bench" --cluster "$CLUSTER" --clients 2 --seconds 1 \
    --plot /nonexistent-dir/x.svg >/dev/null 2>"$WORK/plot-usage.err" || plot_rc=$?
[ $plot_rc -eq 2 ] || fail "--plot /nonexistent-dir/x.svg exited with $plot_rc, not 2 (usage)"
expect_contains "$WORK/plot-usage.err" '^gavel-bench: --plot /nonexistent-dir/x\.svg: no directory'
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
