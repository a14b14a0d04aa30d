#!/usr/bin/env bash
#   A backup's snapshot file damaged while it is down, with a checksum and
#   length that match the damaged body (a bug, a hand edit, a disk that
#   lies): the replica refuses to start, exit status 2, with a message that
#   names the file and what is wrong; never an abort, a crash or a
#   sanitizer report, and never a different state. The same for a state
#   file with a word too many. With its good files back it starts and
#   catches up.
source "$(dirname "$0")/lib.sh"
up 3 --snapshot-every 10
open_auction lamp 10m
printf 'bid %s %s\n' $(for amount in $(seq 10 10 300); do echo "$AUCTION $amount"; done) \
    | bidder --name ann >"$WORK/bids.txt"
wait_agree 10
victim=$(backup_id)
[ -n "$victim" ] || { fail "no backup: $(cluster_state | tr '\n' ';')"; exit 1; }
snapshot=$WORK/cluster/r$victim/snapshot
[ -s "$snapshot" ] || { fail "replica $victim has no snapshot after 30 bids at snapshot_every 10"; exit 1; }
local_cmd kill "$victim" || fail "gavel-local kill $victim"
cp "$snapshot" "$WORK/snapshot.good"

#   damage HOW: rewrites the snapshot file from the good copy. The body is
#   the SNAPSHOT message's frames, each as its size (one byte under 255,
#   else 255 and 4 bytes big-endian) and its bytes; frames 7 on are the
#   auction state. The header gets the damaged body's CRC-32 and length.
damage () {
    python3 - "$WORK/snapshot.good" "$snapshot" "$1" <<'EOF'
import struct, sys, zlib
source, target, how = sys.argv[1:]
data = open(source, 'rb').read()
header, body = data.split(b'\n', 1)
magic, version, crc, length = header.split(b' ')
assert magic == b'gavel-snapshot' and int(length) == len(body) and int(crc, 16) == zlib.crc32(body)
frames, offset = [], 0
while offset < len(body):
    size = body[offset]; offset += 1
    if size == 255:
        size = struct.unpack('>I', body[offset:offset + 4])[0]; offset += 4
    frames.append(body[offset:offset + size]); offset += size
assert frames[1] == b'SNAPSHOT' and frames[7].startswith(b'gavel-auction 2 ')
bidders = [index for index, frame in enumerate(frames) if frame.startswith(b'B ')]
assert bidders, frames
if how == 'no-state':           # a SNAPSHOT without its payload
    frames = frames[:7]
elif how == 'long-name':        # a bidder's name over 32 bytes: a %32s cut it to fit
    name = frames[bidders[0]].split(b' ')[1]
    frames[bidders[0]] = frames[bidders[0]].replace(b'B ' + name, b'B ' + name + b'x' * 40, 1)
elif how == 'trailing':         # a word after the last field
    frames[bidders[0]] += b' extra'
elif how == 'twice':            # a name twice, the count raised to match
    words = frames[7].split(b' ')
    words[3] = str(int(words[3]) + 1).encode()
    frames[7] = b' '.join(words)
    frames.insert(bidders[0], frames[bidders[0]])
elif how == 'plus':             # a sign on the event counter
    words = frames[7].split(b' ')
    words[5] = b'+' + words[5]
    frames[7] = b' '.join(words)
if how == 'frame-size':         # a frame size with its top bit set
    body = bytes([255, 0x80, 0, 0, 0]) + b'x'
else:
    body = b''.join((bytes([len(frame)]) if len(frame) < 255 else b'\xff' + struct.pack('>I', len(frame)))
                    + frame for frame in frames)
open(target, 'wb').write(b'gavel-snapshot 1 %08x %d\n' % (zlib.crc32(body), len(body)) + body)
EOF
}

for how in no-state long-name trailing twice plus frame-size; do
    damage $how || { fail "could not damage the snapshot ($how)"; continue; }
    err=$WORK/replica-$how.err
    rc=0
    timeout 20 "$BIN/replica" --cluster "$CLUSTER" --id "$victim" $(insecure_flag) >"$WORK/replica-$how.out" 2>"$err" \
        || rc=$?
    [ $rc -eq 2 ] || fail "$how: replica exited $rc, expected 2 (124: it started): $(tail -3 "$err")"
    grep -q "^replica: $snapshot is damaged: its checksum matches but " "$err" \
        || fail "$how: no clear message naming $snapshot: $(tail -3 "$err")"
    if grep -E "Assertion|AddressSanitizer|runtime error|Segmentation" "$err" >/dev/null; then
        fail "$how: the replica crashed rather than refused: $(grep -E "Assertion|Sanitizer|runtime error" "$err" | head -2)"
    fi
done
expect_contains "$WORK/replica-no-state.err" "holds no auction state"
expect_contains "$WORK/replica-long-name.err" "its auction state does not load"
expect_contains "$WORK/replica-frame-size.err" "is not a sequence of frames"

#   The state file too is read strictly: a word after TERM VOTE stops it
cp "$WORK/snapshot.good" "$snapshot"
state=$WORK/cluster/r$victim/state
cp "$state" "$WORK/state.good"
printf '%s junk\n' "$(cat "$WORK/state.good")" >"$state"
rc=0
timeout 20 "$BIN/replica" --cluster "$CLUSTER" --id "$victim" $(insecure_flag) >"$WORK/replica-state.out" \
    2>"$WORK/replica-state.err" || rc=$?
[ $rc -eq 2 ] || fail "a damaged state file: replica exited $rc, expected 2: $(tail -3 "$WORK/replica-state.err")"
expect_contains "$WORK/replica-state.err" "^replica: $state is damaged: '.* junk' is not 'TERM VOTE'"
cp "$WORK/state.good" "$state"

#   The good files back: it starts, catches up, and answers like the others
local_cmd restart "$victim" || fail "gavel-local restart $victim with its good snapshot"
echo "bid $AUCTION 500" | bidder --name bo >>"$WORK/bids.txt"
wait_agree 10
for id in 1 2 3; do
    echo "result $AUCTION" | "$BIN/bidder" --cluster "$CLUSTER" $(insecure_flag) --connect "$(endpoint $id)" \
        --name referee 2>>"$WORK/bidder.err" | sed 's/ closes_in=[0-9]*//' >"$WORK/result.$id.txt"
done
expect_contains "$WORK/result.$victim.txt" "^success auction=$AUCTION state=open highest=500 bidder=bo"
cmp -s "$WORK/result.1.txt" "$WORK/result.2.txt" && cmp -s "$WORK/result.1.txt" "$WORK/result.3.txt" \
    || fail "replicas disagree: $(cat "$WORK"/result.*.txt)"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
