#!/usr/bin/env python3
"""Bad input at gavel-web's door, over raw sockets (standard library only).

    bad_input.py requests PORT         every malformed or hostile request
    bad_input.py slow PORT SECONDS     a reader of /events that never reads,
                                       held open for SECONDS, then closed
    bad_input.py follow PORT AFTER N   read /events after AFTER until N events
                                       came; print each id, one a line

`requests` prints one line per case and exits 1 when any answer is not
the one expected (or the server stops answering).
"""
import socket
import sys
import time


def ask(port, request, timeout=5.0):
    """Send request bytes, read until the server closes or timeout; the answer.
    HTTP/1.1 keeps a connection open: each request here asks it closed"""
    request = request.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n", 1)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = connection.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not data:
                break
            answer += data
        return answer


def status(answer):
    line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 and line.startswith("HTTP/") else "closed"


def requests(port):
    huge = b"a" * 70000
    cases = [
        # (what, request, statuses accepted, what the body must not show)
        ("not HTTP", b"HELLO\r\n\r\n", {"400", "closed"}, None),
        ("binary noise", bytes(range(256)) * 8 + b"\r\n\r\n", {"400", "closed"}, None),
        ("no version", b"GET /\r\n\r\n", {"400", "505", "closed"}, None),
        ("unknown version", b"GET / HTTP/9.9\r\n\r\n", {"505", "400", "closed"}, None),
        ("huge header", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + b"\r\n\r\n",
         {"431", "413", "400", "closed"}, b"<title>Gavel"),
        ("huge URL", b"GET /" + huge + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         {"414", "431", "413", "400", "closed"}, b"<title>Gavel"),
        ("many headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",
         {"431", "413", "400", "closed"}, b"<title>Gavel"),
        ("dot-dot", b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {"404"}, b"root:"),
        ("encoded dot-dot", b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
         {"404"}, b"root:"),
        ("encoded slash", b"GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n", {"404"},
         b"root:"),
        ("absolute path", b"GET //etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {"404"}, b"root:"),
        # libmicrohttpd decodes %00 and hands over the path up to it: the
        # page itself, never another file
        ("NUL in path", b"GET /index.html%00/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
         {"404", "400", "200"}, b"root:"),
        ("source file", b"GET /gavel_web.c HTTP/1.1\r\nHost: x\r\n\r\n", {"404"}, None),
        ("hidden file", b"GET /.git HTTP/1.1\r\nHost: x\r\n\r\n", {"404"}, None),
        ("POST", b"POST /api/auctions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
         {"405"}, None),
        ("PUT", b"PUT /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", {"405"},
         None),
        ("chunked GET body", b"GET /api/auctions HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n",
         {"200", "400", "413", "closed"}, None),
        ("Last-Event-ID not a number", b"GET /events HTTP/1.1\r\nHost: x\r\n"
         b"Last-Event-ID: x\r\n\r\n", {"400"}, None),
        ("Last-Event-ID negative", b"GET /events HTTP/1.1\r\nHost: x\r\n"
         b"Last-Event-ID: -1\r\n\r\n", {"400"}, None),
        ("Last-Event-ID over 2^64", b"GET /events HTTP/1.1\r\nHost: x\r\n"
         b"Last-Event-ID: 99999999999999999999999\r\n\r\n", {"400"}, None),
        ("after= not a number", b"GET /events?after=1e3 HTTP/1.1\r\nHost: x\r\n\r\n", {"400"},
         None),
    ]
    failed = 0
    for what, request, accepted, forbidden in cases:
        answer = ask(port, request, timeout=3.0)
        got = status(answer)
        bad = got not in accepted or (forbidden is not None and forbidden in answer)
        print("%-28s %s%s" % (what, got, "  UNEXPECTED" if bad else ""))
        failed += bad
    # Last-Event-ID past the last event: one reset event, then the end
    answer = ask(port, b"GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 18446744073709551615"
                       b"\r\n\r\n", timeout=3.0)
    bad = b"event: reset\n" not in answer
    print("%-28s %s%s" % ("Last-Event-ID out of range", "reset" if not bad else status(answer),
                          "  UNEXPECTED" if bad else ""))
    failed += bad
    # Still serving after all that
    answer = ask(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    bad = status(answer) != "200" or b"<title>" not in answer
    print("%-28s %s%s" % ("the page, after", status(answer), "  UNEXPECTED" if bad else ""))
    failed += bad
    return 1 if failed else 0


def slow(port, seconds):
    """A reader that never reads: a small receive buffer, nothing read"""
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.connect(("127.0.0.1", port))
    connection.sendall(b"GET /events?after=0 HTTP/1.1\r\nHost: x\r\n\r\n")
    print("connected", flush=True)
    time.sleep(seconds)
    connection.close()
    return 0


def follow(port, after, count):
    """Events after `after` until count came; each id on a line"""
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(b"GET /events?after=%d HTTP/1.1\r\nHost: x\r\n\r\n" % after)
    buffer = b""
    seen = 0
    while seen < count:
        data = connection.recv(65536)
        if not data:
            return 1
        buffer += data
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            for line in block.split(b"\n"):
                if line.startswith(b"id: "):
                    print(line[4:].decode(), flush=True)
                    seen += 1
    return 0


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "requests":
        sys.exit(requests(port))
    if mode == "slow":
        sys.exit(slow(port, float(sys.argv[3])))
    if mode == "follow":
        sys.exit(follow(port, int(sys.argv[3]), int(sys.argv[4])))
    sys.exit(2)
