#!/usr/bin/env bash
#   gavel-keygen: writes a key pair (the secret readable by its owner only),
#   prints the public key, refuses to overwrite without --force, and names
#   the problem with a bad path or bad arguments.
source "$(dirname "$0")/lib.sh"

rc=0; "$BIN/gavel-keygen" --help >"$WORK/help.txt" || rc=$?
[ $rc -eq 0 ] || fail "gavel-keygen --help exited $rc"
expect_contains "$WORK/help.txt" "PATH_secret"

"$BIN/gavel-keygen" "$WORK/server" >"$WORK/key.txt" || fail "gavel-keygen exited $?"
key=$(cat "$WORK/key.txt")
[ ${#key} -eq 40 ] || fail "the printed key is not 40 characters: '$key'"
[ "$(stat -c %a "$WORK/server_secret")" = 600 ] \
    || fail "the secret file has mode $(stat -c %a "$WORK/server_secret"), not 600"
grep -q -F "public-key = \"$key\"" "$WORK/server" || fail "the public certificate lacks the printed key"
grep -q "secret-key" "$WORK/server" && fail "the public certificate holds the secret key"
grep -q "secret-key" "$WORK/server_secret" || fail "the secret certificate holds no secret key"

#   No overwrite without --force; the files stay as they were
rc=0; "$BIN/gavel-keygen" "$WORK/server" >"$WORK/again.txt" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 1 ] || fail "overwriting exited $rc, expected 1"
expect_contains "$WORK/err.txt" "server_secret exists; use --force"
grep -q -F "public-key = \"$key\"" "$WORK/server" || fail "a refused overwrite changed the file"
"$BIN/gavel-keygen" --force "$WORK/server" >"$WORK/forced.txt" || fail "--force exited $?"
[ "$(cat "$WORK/forced.txt")" != "$key" ] || fail "--force wrote the same key again"
[ "$(stat -c %a "$WORK/server_secret")" = 600 ] || fail "--force left the secret with another mode"

#   Bad paths and arguments
rc=0; "$BIN/gavel-keygen" "$WORK/no/such/dir/key" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 1 ] || fail "a path in a missing directory exited $rc, expected 1"
expect_contains "$WORK/err.txt" "cannot write .*no/such/dir/key.*No such file or directory"
rc=0; "$BIN/gavel-keygen" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "no PATH exited $rc, expected 2"
rc=0; "$BIN/gavel-keygen" "$WORK/x_secret" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "a PATH ending in _secret exited $rc, expected 2"
expect_contains "$WORK/err.txt" "must name the public certificate"
rc=0; "$BIN/gavel-keygen" --frobnicate "$WORK/y" 2>"$WORK/err.txt" || rc=$?
[ $rc -eq 2 ] || fail "an unknown option exited $rc, expected 2"
[ -e "$WORK/y" ] && fail "a usage error still wrote a key"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
