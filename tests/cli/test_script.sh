#!/usr/bin/env bash
#   A real auction against a real replica, driven by bidder scripts: every
#   rule's outcome as a person sees it, bad lines, JSON and exit codes.
source "$(dirname "$0")/lib.sh"
up 1

cat >"$WORK/auction.txt" <<'SCRIPT'
# comments and blank lines are no commands

open lamp 800ms 100
bid 1 50
bid 1 150
bid 1 150
160
bi 1 2
result
list
as bob
bid 1 170
bid 9 10
bid 1 12x
SCRIPT
rc=0
"$BIN/bidder" --cluster "$CLUSTER" --name alice --script "$WORK/auction.txt" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 1 ] || fail "exit status $rc, expected 1 (an exception, and bad lines)"
expect_line "$WORK/out.txt" 1 '^success auction=1 closes_in=[0-9]+$'
expect_line "$WORK/out.txt" 2 '^fail reason=below-reserve auction=1 reserve=100$'
expect_line "$WORK/out.txt" 3 '^success auction=1 amount=150 closes_in=[0-9]+$'
expect_line "$WORK/out.txt" 4 '^fail reason=too-low auction=1 highest=150 bidder=alice$'
expect_line "$WORK/out.txt" 5 '^success auction=1 amount=160 '
expect_line "$WORK/out.txt" 6 '^success auction=1 state=open highest=160 bidder=alice closes_in=[0-9]+$'
expect_line "$WORK/out.txt" 7 '^success auction=1 item=lamp state=open highest=160 bidder=alice '
expect_line "$WORK/out.txt" 8 '^success auction=1 amount=170 '
expect_line "$WORK/out.txt" 9 '^exception reason=unknown-auction message="no auction 9"$'
[ "$(wc -l <"$WORK/out.txt")" -eq 9 ] || fail "expected 9 answers, got $(wc -l <"$WORK/out.txt")"
expect_contains "$WORK/err.txt" "auction.txt:8: unknown command 'bi'"
expect_contains "$WORK/err.txt" "auction.txt:14: bid: amount '12x' is not a number"

#   The deadline holds: wait for it by asking, not by sleeping blind
deadline=$((SECONDS + 5))
until echo "result 1" | bidder --name carol >"$WORK/result.txt" && grep -q state=closed "$WORK/result.txt"; do
    [ $SECONDS -lt $deadline ] || { fail "auction 1 did not close"; break; }
    sleep 0.1
done
expect_line "$WORK/result.txt" 1 '^success auction=1 state=closed winner=bob amount=170$'
echo "bid 1 500" | bidder --name dave >"$WORK/late.txt" || true
expect_line "$WORK/late.txt" 1 '^fail reason=closed auction=1 winner=bob amount=170$'

#   JSON: the same keys, numbers as numbers; a clean script exits 0
printf 'open clock 1m\nbid 2 10\n' | bidder --name erin --json >"$WORK/json.txt" \
    || fail "a clean script did not exit 0"
expect_line "$WORK/json.txt" 1 '^\{"outcome":"success","auction":2,"closes_in":60000\}$'
expect_line "$WORK/json.txt" 2 '^\{"outcome":"success","auction":2,"amount":10,"closes_in":[0-9]+\}$'

#   Two bidders at once on the same auction: the higher bid wins, and every
#   answer is one of the three outcomes
printf 'open chair 1m\n' | bidder --name frank >/dev/null
for name in gina hugo; do
    seq 1 40 | sed "s/^/bid 3 /" | bidder --name $name >"$WORK/$name.txt" &
done
wait
for name in gina hugo; do
    [ "$(grep -c -E '^(success|fail) ' "$WORK/$name.txt")" -eq 40 ] \
        || fail "$name: expected 40 answers: $(head -c 500 "$WORK/$name.txt")"
done
echo "result 3" | bidder --name frank >"$WORK/chair.txt"
expect_line "$WORK/chair.txt" 1 'highest=40 bidder=(gina|hugo) '
winner=$(sed -n 's/.*bidder=\([a-z]*\).*/\1/p' "$WORK/chair.txt")
grep -q "^success auction=3 amount=40 " "$WORK/$winner.txt" \
    || fail "$winner holds the highest bid but was not told success for 40"

#   Pipelined (--pipeline 8): bids on four auctions, up to eight out at
#   once; the answers come in script order, each the one a bidder sending
#   a line at a time would get, and the history is linearizable
printf 'open a 5m\nopen b 5m\nopen c 5m\nopen d 5m\n' | bidder --name ivan >"$WORK/opened.txt"
ids=($(sed -n 's/^success auction=\([0-9]*\) .*/\1/p' "$WORK/opened.txt"))
[ ${#ids[@]} -eq 4 ] || fail "could not open four auctions: $(cat "$WORK/opened.txt")"
for round in $(seq 1 50); do
    for id in "${ids[@]}"; do echo "bid $id $round"; done
done >"$WORK/pipelined.txt"
echo "result ${ids[0]}" >>"$WORK/pipelined.txt"
bidder --name judy --pipeline 8 --script "$WORK/pipelined.txt" --history "$WORK/pipelined-history.txt" \
    >"$WORK/pipelined-out.txt" || fail "bidder --pipeline 8 exited non-zero"
line=0
for round in $(seq 1 50); do
    for id in "${ids[@]}"; do
        line=$((line + 1))
        expect_line "$WORK/pipelined-out.txt" $line "^success auction=$id amount=$round "
    done
done
expect_line "$WORK/pipelined-out.txt" 201 "^success auction=${ids[0]} state=open highest=50 bidder=judy "
[ "$(wc -l <"$WORK/pipelined-history.txt")" -eq 201 ] \
    || fail "expected 201 history lines, got $(wc -l <"$WORK/pipelined-history.txt")"
lincheck "$WORK/pipelined-history.txt"
rc=0; "$BIN/bidder" --connect tcp://127.0.0.1:1 --pipeline 2 </dev/null >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--pipeline without --script exited $rc, expected 2"

#   Usage errors exit 2
rc=0; "$BIN/bidder" --bogus >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bidder --bogus exited $rc, expected 2"
rc=0; "$BIN/bidder" --help >"$WORK/help.txt" || rc=$?
[ $rc -eq 0 ] || fail "bidder --help exited $rc"
expect_contains "$WORK/help.txt" "open ITEM DURATION"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
