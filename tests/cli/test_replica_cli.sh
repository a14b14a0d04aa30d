#!/usr/bin/env bash
#   The replica program (and the broker's exit status) as an operator meets it: help, bad flags, bad
#   cluster files named precisely, a clean stop on SIGTERM and SIGINT.
source "$(dirname "$0")/lib.sh"

rc=0; "$BIN/replica" --help >"$WORK/help.txt" || rc=$?
[ $rc -eq 0 ] || fail "replica --help exited $rc"
expect_contains "$WORK/help.txt" "--cluster FILE"

rc=0; "$BIN/replica" --frobnicate 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "unknown flag exited $rc, expected 2"
expect_contains "$WORK/err.txt" "frobnicate"

printf 'replica\n    1\n        client = tcp://127.0.0.1:1\n        colour = red\n' >"$WORK/bad.cfg"
rc=0; "$BIN/replica" --cluster "$WORK/bad.cfg" --id 1 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "bad cluster file exited $rc, expected 2"
expect_contains "$WORK/err.txt" "bad.cfg: unknown key 'replica/1/colour'"
#   gavel-dump on a directory that is not there is a mistake, not an empty replica
rc=0; "$BIN/gavel-dump" "$WORK/no-such-dir" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "gavel-dump on a missing directory exited $rc, expected 2: $(cat "$WORK/out.txt")"
expect_contains "$WORK/err.txt" "not a directory"
#   The broker keeps the same rule: a cluster file that does not do is 2
rc=0; "$BIN/broker" --cluster "$WORK/bad.cfg" --id 1 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "broker: bad cluster file exited $rc, expected 2"
expect_contains "$WORK/err.txt" "bad.cfg: unknown key 'replica/1/colour'"

rc=0; "$BIN/replica" --insecure --client tcp://127.0.0.1:notaport >/dev/null 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 1 ] || fail "bad endpoint exited $rc, expected 1"
expect_contains "$WORK/err.txt" "cannot bind"
expect_contains "$WORK/err.txt" "^replica: warning: --insecure: CURVE is off"

#   CURVE is the default: a file without keys needs --insecure, and says so
rc=0; "$BIN/replica" --client "tcp://127.0.0.1:*" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "a cluster without keys, without --insecure, exited $rc, expected 2"
expect_contains "$WORK/err.txt" "lists no CURVE public keys.*gavel-keygen.*--insecure"

#   Bad keys: a malformed public key named with its line, a secret file
#   that is missing, readable by others, or not the listed key's
"$BIN/gavel-keygen" "$WORK/r1" >"$WORK/r1.pub"
"$BIN/gavel-keygen" "$WORK/other" >/dev/null
key=$(cat "$WORK/r1.pub")
printf 'replica\n    1\n        client = tcp://127.0.0.1:1\n        public_key = "short"\n' >"$WORK/bad.cfg"
rc=0; "$BIN/replica" --cluster "$WORK/bad.cfg" --id 1 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "a bad public key exited $rc, expected 2"
expect_contains "$WORK/err.txt" "bad.cfg:4: replica/1/public_key: 'short' is not a CURVE public key"
for secret in missing_secret r1 other_secret r1_secret; do
    printf 'replica\n    1\n        client = tcp://127.0.0.1:1\n        public_key = "%s"\n        secret = %s\n' \
        "$key" "$secret" >"$WORK/bad.cfg"
    [ $secret = r1_secret ] && chmod 644 "$WORK/r1_secret"
    rc=0; "$BIN/replica" --cluster "$WORK/bad.cfg" --id 1 2>"$WORK/err.txt" || rc=$?
    [ $rc -eq 2 ] || fail "secret = $secret: exited $rc, expected 2"
    case $secret in
        missing_secret) expect_contains "$WORK/err.txt" "missing_secret: No such file" ;;
        r1)             expect_contains "$WORK/err.txt" "holds no secret key" ;;
        other_secret)   grep -q -F "but the cluster file says $key" "$WORK/err.txt" \
                            || fail "other_secret: $(cat "$WORK/err.txt")" ;;
        r1_secret)      expect_contains "$WORK/err.txt" "can be read by others.*chmod 600" ;;
    esac
done

#   Stops cleanly, with exit status 0, on either signal
for signal in TERM INT; do
    "$BIN/replica" --insecure --client "tcp://127.0.0.1:*" >"$WORK/run.log" 2>&1 &
    pid=$!
    wait_for "$WORK/run.log" "serving on port" 5
    kill -$signal $pid
    #   A watchdog bounds the wait: SIGKILL after 5 s shows as status 137.
    #   (Waiting on the child itself, not polling its pid: an exited child
    #   stays a zombie until we reap it.)
    ( sleep 5; kill -KILL $pid 2>/dev/null ) &
    watchdog=$!
    rc=0; wait $pid || rc=$?
    #   (the watchdog may be gone already: under set -e a failing kill
    #   would end the test before it says what went wrong)
    kill $watchdog 2>/dev/null || true
    wait $watchdog 2>/dev/null || true
    [ $rc -ne 137 ] || fail "replica ignored SIG$signal"
    [ $rc -eq 0 ] || fail "replica exited $rc on SIG$signal"
    expect_contains "$WORK/run.log" "stopping after"
    cat "$WORK/run.log" >>"$WORK/replica.err"
done
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
