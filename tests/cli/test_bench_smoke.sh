#!/usr/bin/env bash
#   gavel-bench's smoke run: four bidders for two seconds on three replicas
#   print sane figures (a committed rate and a median latency above zero),
#   and --json prints the same as one line of JSON with every key.
source "$(dirname "$0")/lib.sh"
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
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
