#!/usr/bin/env bash
#   Bidders' keys: one key pair per name in the key directory, made on first
#   use (directory 0700, secret files 0600); a name belongs to the key that
#   first bid with it, so another key directory cannot bid under it, while
#   'as NAME' in a script switches to NAME's own key. Through a broker the
#   replica sees the bidder's key, not the broker's (the broker's K: frame).
source "$(dirname "$0")/lib.sh"
up 3 --brokers 1
#   Straight to the replicas, and through the broker
sed '/^broker$/,$d' "$CLUSTER" >"$WORK/replicas.cfg"
open_auction lamp 5m

#   ann's first bid binds her name to the key made for her in $GAVEL_KEYS
echo "bid $AUCTION 100" | bidder --name ann >"$WORK/ann.out"
expect_line "$WORK/ann.out" 1 "^success auction=$AUCTION amount=100 "
[ "$(stat -c %a "$GAVEL_KEYS")" = 700 ] || fail "the key directory has mode $(stat -c %a "$GAVEL_KEYS")"
[ "$(stat -c %a "$GAVEL_KEYS/ann_secret")" = 600 ] \
    || fail "ann's secret file has mode $(stat -c %a "$GAVEL_KEYS/ann_secret")"
[ -s "$GAVEL_KEYS/ann" ] || fail "no public certificate for ann"

#   Another key directory cannot use her name, through the broker or not
for file in "$CLUSTER" "$WORK/replicas.cfg"; do
    echo "bid $AUCTION 200" | "$BIN/bidder" --cluster "$file" --keys "$WORK/other-keys" --name ann \
        >"$WORK/other.out" 2>>"$WORK/bidder.err" || true
    expect_line "$WORK/other.out" 1 '^exception reason=name-taken '
done

#   'as ann' in zed's script takes ann's key: her name works again, and
#   'as zed' goes back to zed's own (a name nobody had)
round=0
for file in "$CLUSTER" "$WORK/replicas.cfg"; do
    round=$((round + 1))
    printf 'bid %s %d\nas ann\nbid %s %d\nas zed\nbid %s %d\n' "$AUCTION" $((round * 1000 + 10)) \
        "$AUCTION" $((round * 1000 + 20)) "$AUCTION" $((round * 1000 + 30)) >"$WORK/zed.txt"
    "$BIN/bidder" --cluster "$file" --name zed --script "$WORK/zed.txt" >"$WORK/zed.out" \
        2>>"$WORK/bidder.err" || true
    for line in 1 2 3; do
        expect_line "$WORK/zed.out" $line "^success auction=$AUCTION amount=$((round * 1000 + line * 10)) "
    done
done
[ -s "$GAVEL_KEYS/zed_secret" ] || fail "no key pair for zed"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
