#!/usr/bin/env bash
#  gavel_boundary: the replica core's boundary, checked on what the linker
#  sees. The core (libgavelcore) and the wire library it links (libgavelwire)
#  must not call a socket, a clock, a file, a process or a random function:
#  whatever the core needs of the world comes in as an event with `now`, and
#  whatever it does goes out through its outbox (replica/gavel_core.h). So
#  no symbol they leave undefined (nm -u) may be one of those. The build runs
#  this after building both archives and fails when it finds one.
#
#      gavel_boundary.sh NM ARCHIVE...            check; exit 1 on a call
#      gavel_boundary.sh --selftest NM PLANTED ARCHIVE...
#          PLANTED (tests/gavel_boundary_planted.c) calls one function of
#          each kind: the check must name every one of them and fail; then
#          the real archives must pass
#
#  Allowed on purpose: memory (malloc, czmq's zmalloc), czmq's data types
#  (zmsg, zframe, zlistx, zhashx...), formatting into memory (snprintf,
#  zsys_sprintf), and printing to the standard streams (printf, puts,
#  fprintf, fwrite...): the self tests print their progress, and without
#  any function that opens a file the only streams there are stdout and
#  stderr, which change nothing the core computes.
set -u

#  Exact names: libc's clock, file, socket, process and random calls
readonly DENIED_NAMES='time|clock|clock_gettime|gettimeofday|ftime|sleep|usleep|nanosleep|clock_nanosleep|alarm|timer_create|fopen|fopen64|fdopen|freopen|freopen64|tmpfile|open|open64|openat|openat64|creat|creat64|read|write|pread|pread64|pwrite|pwrite64|readv|writev|close|lseek|lseek64|fsync|fdatasync|sync|syncfs|ftruncate|ftruncate64|truncate|rename|renameat|unlink|unlinkat|mkdir|rmdir|opendir|readdir|readdir64|stat|stat64|fstat|fstat64|lstat|lstat64|access|mmap|mmap64|dup|dup2|pipe|pipe2|socket|socketpair|connect|bind|listen|accept|accept4|send|sendto|sendmsg|recv|recvfrom|recvmsg|shutdown|setsockopt|getsockopt|getsockname|getpeername|select|pselect|poll|ppoll|epoll_create|epoll_create1|epoll_ctl|epoll_wait|getaddrinfo|gethostbyname|rand|rand_r|srand|random|srandom|drand48|erand48|lrand48|nrand48|mrand48|jrand48|srand48|arc4random|getrandom|getentropy|getpid|getppid|gettid|fork|vfork|clone|execve|execv|execvp|execvpe|execl|execlp|execle|system|popen|posix_spawn|posix_spawnp|kill|waitpid|wait|wait3|wait4|setsid|daemon|exit|_exit|_Exit|signal|sigaction|getenv|secure_getenv'
#  Prefixes: libzmq, czmq's sockets, clock, files and logging (zsys_info and
#  its kin stamp the wall-clock time), libsodium's random numbers
readonly DENIED_PREFIXES='zmq_|zsock_|zpoller_|zloop_|zactor_|zproxy|zbeacon|zmonitor|zauth|zgossip|zclock_|zfile_|zdir_|zcert|zconfig_|zuuid_|zsys_|zstr_send|zstr_recv|zmsg_send|zmsg_recv|zmsg_signal|zmsg_wait|zframe_send|zframe_recv|zchunk_read|zchunk_write|zchunk_slurp|randombytes_'
#  ... but these zsys_ functions only format or free, into memory
readonly ALLOWED='zsys_sprintf|zsys_vprintf'

#  Every denied symbol the archives leave undefined, as "archive(object): symbol"
s_offenders ()
{
    local nm="$1"
    shift
    local archive
    for archive in "$@"; do
        if [ ! -r "$archive" ]; then
            echo "gavel_boundary: cannot read $archive" >&2
            return 2
        fi
        #  nm -A -u: "ARCHIVE:OBJECT: U SYMBOL" (GNU), the symbol last
        "$nm" -A -u "$archive" 2>/dev/null | awk -v archive="$archive" '
            NF >= 2 {
                symbol = $NF
                sub (/@.*/, "", symbol)         #  versioned: fopen@GLIBC_2.2.5
                object = $1
                sub (/:$/, "", object)
                n = split (object, parts, ":")
                print archive "(" parts [n] "): " symbol
            }'
    done | awk -v names="^($DENIED_NAMES)\$" -v prefixes="^($DENIED_PREFIXES)" \
               -v allowed="^($ALLOWED)\$" '
        {
            symbol = $NF
            if (symbol ~ allowed)
                next
            if (symbol ~ names || symbol ~ prefixes)
                print
        }' | sort -u
}

#  Check archives: 0 when clean, 1 (naming each call) when not
s_check ()
{
    local nm="$1"
    shift
    local offenders
    offenders="$(s_offenders "$nm" "$@")" || return 2
    if [ -n "$offenders" ]; then
        echo "gavel_boundary: the replica core reaches outside its boundary" >&2
        echo "(a socket, clock, file, process or random call; see tests/gavel_boundary.sh):" >&2
        echo "$offenders" | sed 's/^/    /' >&2
        return 1
    fi
    return 0
}

if [ "${1:-}" = "--selftest" ]; then
    [ $# -ge 4 ] || { echo "usage: $0 --selftest NM PLANTED ARCHIVE..." >&2; exit 2; }
    nm="$2"
    planted="$3"
    shift 3
    report="$(s_check "$nm" "$planted" 2>&1)"
    status=$?
    if [ $status -ne 1 ]; then
        echo "FAIL: the check passed (exit $status) an archive that calls outside the boundary"
        echo "$report"
        exit 1
    fi
    #  Every kind of call is caught, each by name
    for symbol in zclock_time zsys_info zsock_new_push zmq_poll fopen write fsync time \
                  gettimeofday clock_gettime rand getpid socket randombytes_random; do
        #  czmq may name a constructor NAME_checked (its leak tracking)
        if ! grep -qE ": $symbol(_checked)?\$" <<< "$report"; then
            echo "FAIL: the check did not name $symbol, which the planted object calls"
            echo "$report"
            exit 1
        fi
    done
    #  And only those: nothing the planted object may call is refused
    for symbol in zsys_sprintf zlistx_new printf malloc; do
        if grep -q ": $symbol\$" <<< "$report"; then
            echo "FAIL: the check refused $symbol, which the core may call"
            exit 1
        fi
    done
    if ! s_check "$nm" "$@"; then
        echo "FAIL: the real archives reach outside the boundary"
        exit 1
    fi
    echo "gavel_boundary: planted calls caught; $# archive(s) clean"
    exit 0
fi

[ $# -ge 2 ] || { echo "usage: $0 NM ARCHIVE... | --selftest NM PLANTED ARCHIVE..." >&2; exit 2; }
s_check "$@"
