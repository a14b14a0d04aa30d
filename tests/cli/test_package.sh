#!/usr/bin/env bash
#   The Debian package (issue 15, Build item 1): cpack builds it from this
#   build tree; its control file declares the libraries the programs link;
#   unpacked into a throwaway directory (dpkg-deb -x, nothing installed on
#   this machine), every program answers --help, the units name the
#   programs where the package puts them, and a one-replica auction runs on
#   the unpacked programs alone.
source "$(dirname "$0")/lib.sh"
for tool in cpack dpkg-deb; do
    command -v $tool >/dev/null || { fail "$tool is missing (cmake, dpkg)"; exit 1; }
done
( cd "$WORK" && cpack -G DEB --config "$BIN/../CPackConfig.cmake" -B "$WORK/package" ) \
    >"$WORK/cpack.out" 2>&1 || { fail "cpack: $(tail -5 "$WORK/cpack.out")"; exit 1; }
deb=$(ls "$WORK"/package/gavel_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { fail "no gavel_*.deb in $WORK/package"; exit 1; }

#   Each library the programs link is a declared dependency
depends=$(dpkg-deb -f "$deb" Depends)
for package in libzmq5 libczmq4 libsodium23 libedit2 libmicrohttpd12; do
    [[ ", $depends" == *", $package"* ]] || fail "Depends lacks $package: $depends"
done
#   (read whole first: grep -q would leave dpkg-deb a closed pipe)
contents=$(dpkg-deb -c "$deb")
info=$(dpkg-deb -I "$deb")
[[ $contents != *postinst* ]] || fail "postinst is a control file, not a payload file"
[[ $info == *" postinst "* ]] || fail "the package has no postinst (the gavel user)"

dpkg-deb -x "$deb" "$WORK/root"
bindir=$(dirname "$(find "$WORK/root" -type f -name replica -path '*/bin/*' | head -1)")
[ -x "$bindir/replica" ] || { fail "no bin/replica in the package"; exit 1; }
prefix=${bindir%/bin}
prefix_root=$prefix
prefix=${prefix#"$WORK/root"}
for program in replica broker bidder gavel-local gavel-admin gavel-keygen gavel-dump gavel-bench gavel-lincheck zmq-tail gavel-web; do
    [ -x "$bindir/$program" ] || { fail "the package lacks $program"; continue; }
    "$bindir/$program" --help >"$WORK/help.out" 2>&1 || fail "$program --help: $(tail -2 "$WORK/help.out")"
done
for program in gavel_selftest gavel_sim gavel-delay; do
    [ ! -e "$bindir/$program" ] || fail "the package holds the test tool $program"
done
for unit in replica broker web; do
    if [ $unit = web ]; then
        name=gavel-web.service
        exec_start="^ExecStart=$prefix/bin/gavel-web --cluster /etc/gavel/cluster.cfg --listen 127.0.0.1:8080$"
    else
        name=gavel-$unit@.service
        exec_start="^ExecStart=$prefix/bin/$unit --cluster /etc/gavel/cluster.cfg --id %i$"
    fi
    file=$(find "$WORK/root" -name "$name" | head -1)
    [ -n "$file" ] || { fail "no $name"; continue; }
    grep -q "$exec_start" "$file" || fail "$name: $(grep ExecStart "$file")"
    for option in User=gavel ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes Restart=on-failure \
                  ConfigurationDirectoryMode=0750; do
        grep -q "^$option$" "$file" || fail "$name lacks $option"
    done
done
example=$(find "$WORK/root" -name cluster.cfg.example | head -1)
[ -n "$example" ] || fail "no example cluster file"
#   Its placeholder keys do not load: a copy left unedited cannot run
rc=0
"$bindir/gavel-admin" --cluster "$example" status >"$WORK/example.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q public_key "$WORK/example.out" \
    || fail "the example's placeholder keys loaded (exit $rc): $(cat "$WORK/example.out")"

#   An auction on the unpacked programs alone (gavel-local starts the
#   replica next to itself)
"$bindir/gavel-local" up 1 --dir "$WORK/cluster" --insecure >"$WORK/up.out" 2>&1 \
    || { fail "unpacked gavel-local up: $(tail -3 "$WORK/up.out")"; exit 1; }
[ "$(readlink "/proc/$(cat "$WORK/cluster/r1/pid")/exe")" = "$bindir/replica" ] \
    || fail "the replica running is not the unpacked one"
printf 'open lamp 1m\nbid 1 10\nresult 1\n' \
    | "$bindir/bidder" --cluster "$CLUSTER" --insecure --name pat >"$WORK/auction.out" 2>"$WORK/auction.err" \
    || fail "unpacked bidder: $(cat "$WORK/auction.out" "$WORK/auction.err")"
expect_line "$WORK/auction.out" 1 '^success auction=1 closes_in='
expect_line "$WORK/auction.out" 2 '^success auction=1 amount=10 '
expect_line "$WORK/auction.out" 3 '^success auction=1 state=open highest=10 bidder=pat '

#   gavel-web from the unpacked tree serves the page it brought (its
#   share/gavel/web, not this source tree's) and the auction above
for asset in index.html app.js style.css; do
    [ -f "$prefix_root/share/gavel/web/$asset" ] || fail "the package lacks share/gavel/web/$asset"
done
"$bindir/gavel-web" --cluster "$CLUSTER" --insecure --listen 127.0.0.1:0     >"$WORK/web.out" 2>"$WORK/web.err" &
web_pid=$!
wait_for "$WORK/web.out" "^gavel-web: serving http://127.0.0.1:[0-9]+/ \\(assets $prefix_root/bin/../share/gavel/web\\)" 10
port=$(sed -n 's|^gavel-web: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/web.out")
deadline=$((SECONDS + 10))
until curl -sf "http://127.0.0.1:$port/api/auctions" 2>/dev/null | grep -q '"item":"lamp"'; do
    [ $SECONDS -lt $deadline ] || { fail "unpacked gavel-web: no lamp in /api/auctions"; break; }
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/" | grep -q '<title>Gavel' || fail "unpacked gavel-web: no page at /"
kill -TERM $web_pid
wait $web_pid || fail "unpacked gavel-web exited $? on SIGTERM: $(tail -3 "$WORK/web.err")"
[ $FAILED -eq 0 ] && echo "PASS: $TEST_NAME"
