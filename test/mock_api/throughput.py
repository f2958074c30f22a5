#!/usr/bin/python3
"""How fast the mock API serves data-usage pages: every page of one query, fetched
`--concurrency` at a time over keep-alive connections with no latency, after one untimed pass
that fills the mock's response cache. Prints one JSON line (pages, pages fetched, bytes,
seconds, MB/s).

    throughput.py --lines 5000 [--cycles 6] [--limit 50] [--concurrency 4] [--rounds 3]
                  [--min-pages 100]
        starts its own mock (server.py --lines N), measures, stops it
    throughput.py --port N ...
        measures a running mock; its latency_ms and freeze_revision are set for the
        measurement (the revision frozen, so page 0 does not start a new one and drop the
        cache) and put back afterwards

The client is a minimal HTTP/1.1 reader (recv_into a buffer allocated once per connection),
so that the figure is the server's and the loopback's, not a Python HTTP library's.
MB is 10^6 bytes. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
QUERY = "/api/public/v2/data-usage/query"


def call(port, method, path, body=None, content_type="application/json"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"null")


class Connection:
    """One keep-alive connection that reads bodies (Content-Length only) into its buffer."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray(1 << 20)
        self.pending = b""  # bytes read past the headers, not yet consumed

    def post(self, path: str, body: bytes, token: str) -> memoryview:
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        head = self.pending
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the mock closed the connection")
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if status != 200 or length is None:
            raise RuntimeError(f"status {status}, Content-Length {length}: {head[:200]!r}")
        if len(self.buffer) < length:
            self.buffer = bytearray(length)
        view = memoryview(self.buffer)
        got = min(len(rest), length)
        view[:got] = rest[:got]
        self.pending = rest[got:]
        while got < length:
            n = self.sock.recv_into(view[got:length])
            if not n:
                raise ConnectionError("the mock closed the connection mid-body")
            got += n
        return view[:length]

    def close(self):
        self.sock.close()


def fetch_all(port, token, pages, body, limit, concurrency, connections):
    """The `pages` (page numbers), `concurrency` at a time; returns (bytes, seconds)."""
    todo = queue.Queue()
    for page in pages:
        todo.put(page)
    received = [0] * concurrency
    errors = []

    go = threading.Event()

    def worker(i):
        go.wait()
        try:
            while True:
                try:
                    page = todo.get_nowait()
                except queue.Empty:
                    return
                received[i] += len(connections[i].post(f"{QUERY}?page={page}&limit={limit}", body, token))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()  # waiting for `go`: starting threads is not the server's time
    started = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(received), seconds


def measure(port, cycles=6, limit=50, concurrency=4, rounds=3, min_pages=100):
    """The best of `rounds` timed passes (after an untimed one) over every page; a query of
    fewer than `min_pages` pages is fetched as many times over in each pass as it takes to
    reach them (so that waking the threads is not what is measured)."""
    saved = call(port, "GET", "/_stats")["faults"]
    form = b"grant_type=client_credentials&client_id=test-client&client_secret=test-secret"
    token = call(port, "POST", "/api/auth/connect/token", form, "application/x-www-form-urlencoded")["access_token"]
    body = json.dumps({"serviceLineNumbers": [], "previousBillingCycles": cycles,
                       "activeServiceLinesOnly": False}).encode()
    call(port, "POST", "/_control", json.dumps({"latency_ms": 0, "freeze_revision": True}).encode())
    connections = [Connection(port) for _ in range(concurrency)]
    try:
        first = json.loads(bytes(connections[0].post(f"{QUERY}?page=0&limit={limit}", body, token)))
        pages = -(-first["content"]["totalCount"] // limit)
        fetch_all(port, token, range(pages), body, limit, concurrency, connections)  # fills the cache
        repeat = max(1, -(-min_pages // pages))
        passes = [fetch_all(port, token, list(range(pages)) * repeat, body, limit, concurrency, connections)
                  for _ in range(rounds)]
    finally:
        for c in connections:
            c.close()
        call(port, "POST", "/_control", json.dumps({key: saved.get(key)
                                                    for key in ("latency_ms", "freeze_revision")}).encode())
    size, seconds = min(passes, key=lambda p: p[1])
    return {"pages": pages, "fetched": pages * repeat, "bytes": size, "seconds": round(seconds, 4),
            "mb_per_s": round(size / seconds / 1e6, 1), "concurrency": concurrency, "limit": limit,
            "previous_billing_cycles": cycles}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, help="a running mock (else one is started with --lines)")
    p.add_argument("--lines", type=int, default=5000)
    p.add_argument("--cycles", type=int, default=6, help="previousBillingCycles")
    p.add_argument("--limit", type=int, default=50, help="lines per page")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--min-pages", type=int, default=100,
                   help="fewer pages are fetched as many times over as it takes to reach this many")
    args = p.parse_args(argv)
    proc = None
    try:
        port = args.port
        if port is None:
            tmp = tempfile.mkdtemp(prefix="mock_throughput.")
            port_file = os.path.join(tmp, "port")
            proc = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--port", "0",
                                     "--port-file", port_file, "--lines", str(args.lines)],
                                    stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not (os.path.exists(port_file) and os.path.getsize(port_file)):
                if time.monotonic() > deadline or proc.poll() is not None:
                    sys.exit("the mock did not start")
                time.sleep(0.02)
            with open(port_file) as f:
                port = int(f.read())
        print(json.dumps(measure(port, args.cycles, args.limit, args.concurrency, args.rounds,
                                      args.min_pages)))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
