#!/usr/bin/python3
"""Mock of the Starlink enterprise API V2 (OAuth2 token, data usage, service lines) plus the
story's flattened "simple" endpoint, with fault injection for the HTTP client's tests.

Start:  python3 server.py --port 0 --port-file /tmp/port [--lines 20] [--log FILE]
The bound port is written atomically to --port-file and printed as "PORT <n>" on stdout.
See README.md for the endpoints and the /_control keys. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import json
import os
import secrets
import signal
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402
import starlink_data as sd  # noqa: E402  (needs the path above)

MAX_LIMIT = 250
DEFAULT_LIMIT = 50
DEFAULT_SIMPLE_DAYS = 35
API_ENDPOINTS = ("token", "data_usage", "service_lines", "simple", "not_found")
# Arrival times (Unix seconds) of data-usage requests kept for /_stats: a client's rate limit
# is checked against them.
MAX_TIMES_KEPT = 10000
_PAD_CHUNK = b"x" * 65536
# Response bodies of the current revision are kept up to this many bytes in all (then the
# cache starts over); 2,000 lines x 3 cycles is ~18 MB for all 40 pages of limit 50. The
# benchmark raises it (--body-cache-mb) so that a 10,000,000-record fleet (~1.1 GB of pages)
# is served from memory.
DEFAULT_BODY_CACHE_MB = 256


class ApiError(Exception):
    """Answered with the V2 error envelope (isValid false, content null)."""

    def __init__(self, status: int, message: str, member_names=(), headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.member_names = member_names
        self.headers = headers or {}


def error_message(status: int) -> str:
    if status == 422:
        return "Failed to query data usage"
    if status >= 500:
        return "Internal Server Error"
    return HTTPStatus(status).phrase


# ---- /_control validation ---------------------------------------------------------------

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _nonneg_int(v) -> bool:
    return _is_int(v) and v >= 0


def _nonneg_number(v) -> bool:
    return (_is_int(v) or isinstance(v, float)) and v >= 0


def _status(v) -> bool:
    return _is_int(v) and 100 <= v <= 599


CONTROL_KEYS = {
    "latency_ms": _nonneg_number,
    "status_sequence": lambda v: isinstance(v, list) and all(_status(s) for s in v),
    "retry_after": lambda v: _nonneg_int(v) or isinstance(v, str),
    "fail_page": lambda v: isinstance(v, dict) and set(v) == {"page", "status"}
    and _nonneg_int(v["page"]) and _status(v["status"]),
    "invalid_envelope": lambda v: isinstance(v, bool),
    "slow_ms": _nonneg_number,
    "hang_ms": _nonneg_number,
    "truncate_page": _nonneg_int,
    "truncate_mode": lambda v: v in ("short_body", "early_close"),
    "oversize_bytes": _nonneg_int,
    "redirect": lambda v: isinstance(v, dict) and isinstance(v.get("location"), str)
    and set(v) <= {"status", "location"} and 300 <= v.get("status", 302) <= 399,
    "redirect_same_host_hops": _nonneg_int,
    "expire_tokens_now": lambda v: isinstance(v, bool),
    "duplicate_days": lambda v: isinstance(v, bool),
    "token_status": _status,
    "token_echo": lambda v: isinstance(v, bool),
    "echo_authorization": lambda v: isinstance(v, bool),
    "token_ttl": lambda v: _is_int(v) and v >= 1,
    "revision": _nonneg_int,
    "freeze_revision": lambda v: isinstance(v, bool),
    "inactive_every": _nonneg_int,
    **hostile.HOSTILE_KEYS,
}


class MockState:
    """Everything the request threads share; every access holds `lock`."""

    def __init__(self, fleet, client_id, client_secret, token_ttl, latency_ms, log_path,
                 body_cache_max_bytes=DEFAULT_BODY_CACHE_MB << 20):
        self.lock = threading.Lock()
        self.fleet = fleet
        self.client_id = client_id
        self.client_secret = client_secret
        self.default_token_ttl = token_ttl
        self.default_latency_ms = latency_ms
        self.tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self.in_flight = 0
        # Serialised 200 bodies of data-usage pages and /simple, for one revision only: a body
        # is a pure function of (its cache key, revision), so a new revision drops the others.
        self.body_cache: dict[tuple, bytes] = {}
        self.body_cache_revision = None
        self.body_cache_bytes = 0
        self.body_cache_max_bytes = body_cache_max_bytes
        self.log = open(log_path, "a", encoding="utf-8", buffering=1) if log_path else None
        self.reset()

    def reset(self):
        """Back to the start-up behaviour. Issued tokens stay valid so clients keep working;
        in_flight is live and only the peak restarts from it."""
        with self.lock:
            self.faults: dict = {}
            self.revision = 0
            self.fleet.set_inactive_every(0)
            self.requests = Counter({name: 0 for name in API_ENDPOINTS})
            self.pages = Counter()
            self.statuses = Counter()
            self.tokens_issued = 0
            self.tls_handshake_failures = 0  # connections whose client refused our certificate
            self.data_usage_times: list[float] = []
            self.last_query_body = None  # the raw body of the last data-usage query
            self.user_agents = Counter()  # User-Agent header of the API requests
            self.peak_in_flight = self.in_flight
            # The cached bodies stay valid (same fleet); only their counters restart.
            self.body_cache_hits = 0
            self.body_cache_misses = 0
            self.body_cache_evictions = 0  # times the cache was full and started over

    def fault(self, key, default=None):
        with self.lock:
            return self.faults.get(key, default)

    def configure(self, changes: dict) -> dict:
        with self.lock:
            for key, value in changes.items():
                if key == "expire_tokens_now":
                    if value:
                        self.tokens.clear()
                elif key == "revision":
                    if value is not None:
                        self.revision = value
                elif key == "inactive_every":
                    self.fleet.set_inactive_every(value or 0)
                elif value is None:
                    self.faults.pop(key, None)
                elif key == "redirect":
                    self.faults[key] = {"status": value.get("status", 302),
                                        "location": value["location"]}
                else:
                    self.faults[key] = list(value) if key == "status_sequence" else value
            return {"faults": dict(self.faults), "revision": self.revision}

    # ---- request accounting (API endpoints only, so admin calls never skew the numbers) ---

    def begin(self, endpoint: str, user_agent: str | None = None):
        with self.lock:
            self.requests[endpoint] += 1
            self.user_agents[user_agent or ""] += 1
            if endpoint == "data_usage" and len(self.data_usage_times) < MAX_TIMES_KEPT:
                self.data_usage_times.append(round(time.time(), 3))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def end(self):
        with self.lock:
            self.in_flight -= 1

    def count_page(self, page: int):
        with self.lock:
            self.pages[page] += 1

    def count_status(self, status: int):
        with self.lock:
            self.statuses[status] += 1

    def write_log(self, line: str):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "data_usage_pages": {str(p): n for p, n in sorted(self.pages.items())},
                "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
                "tokens_issued": self.tokens_issued,
                "tls_handshake_failures": self.tls_handshake_failures,
                "data_usage_times": list(self.data_usage_times),
                "last_query_body": self.last_query_body,
                "user_agents": dict(self.user_agents),
                "revision": self.revision,
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
                "faults": dict(self.faults),
                "body_cache": {
                    "revision": self.body_cache_revision,
                    "entries": len(self.body_cache),
                    "bytes": self.body_cache_bytes,
                    "hits": self.body_cache_hits,
                    "misses": self.body_cache_misses,
                    "max_bytes": self.body_cache_max_bytes,
                    "evictions": self.body_cache_evictions,
                },
            }

    def cached_body(self, key: tuple, revision: int, build) -> bytes:
        """The body for (key, revision) from memory, or build() it (outside the lock, so
        other requests carry on) and keep it. Asking for another revision than the cached
        one drops every cached body first, which bounds the memory to one revision's."""
        with self.lock:
            if revision != self.body_cache_revision:
                self.body_cache.clear()
                self.body_cache_bytes = 0
                self.body_cache_revision = revision
            body = self.body_cache.get(key)
            if body is not None:
                self.body_cache_hits += 1
                return body
            self.body_cache_misses += 1
        body = build()
        with self.lock:
            if revision == self.body_cache_revision and key not in self.body_cache:
                if self.body_cache_bytes + len(body) > self.body_cache_max_bytes:
                    self.body_cache.clear()
                    self.body_cache_evictions += 1
                    self.body_cache_bytes = 0
                self.body_cache[key] = body
                self.body_cache_bytes += len(body)
        return body

    # ---- tokens ---------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, int]:
        token = secrets.token_hex(20)
        with self.lock:
            ttl = self.faults.get("token_ttl", self.default_token_ttl)
            self.tokens[token] = time.monotonic() + ttl
            self.tokens_issued += 1
        return token, ttl

    def token_valid(self, token: str) -> bool:
        with self.lock:
            now = time.monotonic()
            for expired in [t for t, expiry in self.tokens.items() if expiry <= now]:
                del self.tokens[expired]
            return token in self.tokens

    # ---- faults consumed per request ------------------------------------------------------

    def next_injected_status(self) -> int | None:
        with self.lock:
            sequence = self.faults.get("status_sequence")
            if not sequence:
                return None
            status = sequence.pop(0)
            if not sequence:
                del self.faults["status_sequence"]
            return status

    def revision_for(self, page: int) -> int:
        """A successful page 0 starts a new run: partial values move on (a correction)."""
        with self.lock:
            if page == 0 and not self.faults.get("freeze_revision"):
                self.revision += 1
            return self.revision


def duplicate_v2_day(results: list) -> None:
    """Overlapping cycles inside one response: the first result whose newest cycle has a
    recorded day gets that day a second time, in the preceding cycle (whose endDate is
    stretched over it) or, with a single cycle, in the same cycle; the copy has standardGB
    raised by 0.25. Cycle totals are left as the vendor computed them."""
    for result in results:
        cycles = result["billingCycles"]
        if not cycles[-1]["dailyDataUsage"]:
            continue
        original = cycles[-1]["dailyDataUsage"][0]
        copy = dict(original, standardGB=round(original["standardGB"] + 0.25, 2))
        if len(cycles) >= 2:
            cycles[-2]["dailyDataUsage"].append(copy)
            cycles[-2]["endDate"] = original["date"]
        else:
            cycles[-1]["dailyDataUsage"].insert(1, copy)
        return


def duplicate_simple_day(payload: dict) -> None:
    """The first line with usage repeats its newest day with usage_gb raised by 0.25."""
    for line in payload.values():
        usage = line["daily_usage"]
        if usage:
            usage.append(dict(usage[-1], usage_gb=round(usage[-1]["usage_gb"] + 0.25, 2)))
            return


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "StarlinkMock/1.0"
    # TCP_NODELAY: headers and body are separate writes, and with Nagle's algorithm the body's
    # last segment could wait for the client's delayed ACK of the headers (~40 ms on Linux).
    disable_nagle_algorithm = True

    # path -> (endpoint name for stats, or None for admin endpoints; {method: handler name})
    ROUTES = {
        "/api/auth/connect/token": ("token", {"POST": "handle_token"}),
        "/api/public/v2/data-usage/query": ("data_usage", {"POST": "handle_data_usage"}),
        "/api/public/v2/service-lines": ("service_lines", {"GET": "handle_service_lines"}),
        "/simple": ("simple", {"GET": "handle_simple"}),
        "/_stats": (None, {"GET": "handle_stats"}),
        "/_control": (None, {"POST": "handle_control"}),
        "/_reset": (None, {"POST": "handle_reset"}),
    }

    endpoint = None  # set per request by dispatch(); None = admin or not yet routed

    @property
    def state(self) -> MockState:
        return self.server.state

    def parse_request(self):
        self.endpoint = None  # forget the previous request on this keep-alive connection
        return super().parse_request()

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        url = urlsplit(self.path)
        self.url_path = url.path
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        endpoint, methods = self.ROUTES.get(url.path, ("not_found", {}))
        self.endpoint = endpoint
        try:
            if endpoint is None:
                self.route(methods)
                return
            self.state.begin(endpoint, self.headers.get("User-Agent"))
            try:
                latency = self.state.fault("latency_ms", self.state.default_latency_ms)
                if latency:
                    time.sleep(latency / 1000)
                self.route(methods)
            finally:
                self.state.end()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeout/cancel tests); nothing left to answer.
            self.close_connection = True

    def route(self, methods: dict):
        try:
            # Read the body before anything can fail, or its bytes would be parsed as the
            # next request on this keep-alive connection.
            self.body = self.read_body()
            if not methods:
                raise ApiError(404, "Not Found")
            name = methods.get(self.command)
            if name is None:
                raise ApiError(405, "Method Not Allowed", headers={"Allow": ", ".join(methods)})
            getattr(self, name)()
        except ApiError as e:
            self.send_json(e.status, sd.error_envelope(e.message, e.member_names), e.headers)

    def read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise ApiError(400, "Invalid Content-Length")
        return self.rfile.read(length) if length else b""

    # ---- response helpers -----------------------------------------------------------------

    def log_request(self, code="-", size="-"):
        # Called by send_response for every answer: one log line per request.
        if self.endpoint is not None:
            self.state.count_status(int(code))
        self.state.write_log(f"{self.command or '-'} {getattr(self, 'path', '-')} {int(code)}")

    def send_json(self, status: int, obj, headers=None):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status: int, location: str):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_payload(self, body: bytes, page: int, *, is_envelope: bool):
        """Send a serialised 200 payload through the body-shaping faults: oversize_bytes
        (padding streamed in chunks), truncate_page/truncate_mode and slow_ms."""
        if hostile.send_hostile(self, body):
            return
        oversize = self.state.fault("oversize_bytes", 0)
        truncate = self.state.fault("truncate_page") == page
        slow_ms = self.state.fault("slow_ms", 0)
        if not (oversize or truncate or slow_ms):
            # The common case, and the benchmark's: status line, headers and the cached body
            # in one system call, the body never copied in user space.
            self.log_request(200)
            head = (f"HTTP/1.1 200 OK\r\nServer: {self.version_string()}\r\n"
                    f"Date: {self.date_time_string()}\r\n"
                    f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
            self.send_all(head.encode("latin-1"), body)
            return
        if oversize and is_envelope:
            # The padding is a huge warning, shaped like the documented error objects; the
            # envelope's own (empty) warnings come before its content.
            head, found, tail = body.partition(b'"warnings":[]')
            assert found, "a V2 envelope with no warnings expected"
            prefix = head + b'"warnings":[{"memberNames":[],"errorMessage":"'
            suffix = b'"}]' + tail
        elif oversize:
            # The simple shape has no free-text field: pad with JSON whitespace instead.
            prefix, suffix = body[:-1], body[-1:]
        else:
            prefix, suffix = body, b""
        pad = max(0, oversize - len(prefix) - len(suffix))
        length = len(prefix) + pad + len(suffix)

        early_close = truncate and self.state.fault("truncate_mode", "short_body") == "early_close"
        to_send = length // 2 if truncate else length

        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        # short_body: a consistent but cut JSON document; early_close: promise everything,
        # send half, then drop the connection.
        self.send_header("Content-Length", str(length if early_close else to_send))
        self.end_headers()
        pad_byte = b"x" if is_envelope else b" "
        self.write_body(self.padded(prefix, pad, pad_byte, suffix), to_send, slow_ms)
        if early_close:
            self.close_connection = True

    def send_all(self, *parts: bytes):
        """Write `parts` back to back: one sendmsg (gather) on a plain socket, a write each on
        a TLS one (which has no sendmsg)."""
        if isinstance(self.connection, ssl.SSLSocket):
            for part in parts:
                self.wfile.write(part)
            return
        views = [memoryview(part) for part in parts if part]
        while views:
            sent = self.connection.sendmsg(views)
            while sent:
                if sent >= len(views[0]):
                    sent -= len(views.pop(0))
                else:
                    views[0] = views[0][sent:]
                    sent = 0

    @staticmethod
    def padded(prefix: bytes, pad: int, pad_byte: bytes, suffix: bytes):
        yield prefix
        chunk = _PAD_CHUNK.replace(b"x", pad_byte)
        while pad > 0:
            yield chunk[:pad]
            pad -= len(chunk)
        yield suffix

    def write_body(self, chunks, to_send: int, slow_ms: float):
        """Write at most `to_send` bytes; with slow_ms, in ~20 pieces whose pauses add up to
        slow_ms (headers are already out, so clients see a stalled body, not a slow server)."""
        piece = max(1, -(-to_send // 20)) if slow_ms else max(1, to_send)
        sent = 0
        for chunk in chunks:
            chunk = memoryview(chunk)  # slices without copying
            for offset in range(0, len(chunk), piece):
                if sent >= to_send:
                    return
                part = chunk[offset : offset + piece][: to_send - sent]
                if slow_ms:
                    time.sleep(slow_ms / 1000 * len(part) / to_send)
                self.wfile.write(part)
                sent += len(part)

    # ---- request helpers ------------------------------------------------------------------

    def int_param(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"'{name}' must be an integer", [name]) from None
        if value < minimum:
            raise ApiError(400, f"'{name}' must be >= {minimum}", [name])
        return value

    def json_body(self) -> dict:
        if not self.body.strip():
            return {}
        try:
            body = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return body

    def require_token(self):
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.state.token_valid(token.strip()):
            raise ApiError(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})

    def inject_faults(self, page: int):
        """hang_ms, then status_sequence, then fail_page (data-usage and simple only)."""
        hang = self.state.fault("hang_ms", 0)
        if hang:
            time.sleep(hang / 1000)
        status = self.state.next_injected_status()
        if status is None or status < 300:
            failing = self.state.fault("fail_page")
            status = failing["status"] if failing and failing["page"] == page else None
        if status is None:
            return
        raise ApiError(status, error_message(status), headers=self.retry_after_headers(status))

    def retry_after_headers(self, status: int) -> dict:
        retry_after = self.state.fault("retry_after")
        if status in (429, 503) and retry_after is not None:
            return {"Retry-After": str(retry_after)}
        return {}

    def same_host_url(self, hop: int) -> str:
        query = dict(self.query, hop=str(hop))
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return f"http://{host}{self.url_path}?{urlencode(query)}"

    # ---- endpoints ------------------------------------------------------------------------

    def handle_token(self):
        if self.state.fault("token_html"):
            hostile.send_token_html(self)
            return
        if self.state.fault("token_echo"):
            # A misbehaving server that quotes the request it could not handle, secret included.
            body = b"could not handle this request: " + self.body
            self.send_response(400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        forced = self.state.fault("token_status")
        if forced:
            if forced == 401:
                error = "invalid_client"
            else:
                error = "invalid_request" if forced < 500 else "server_error"
            self.send_json(forced, {"error": error}, self.retry_after_headers(forced))
            return
        form = parse_qs(self.body.decode("utf-8", "replace"))
        client_id = form.get("client_id", [None])[-1]
        client_secret = form.get("client_secret", [None])[-1]
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = password = None
            # RFC 6749 2.3.1: Basic credentials are form-urlencoded before base64.
            client_id = unquote_plus(user) if user is not None else None
            client_secret = unquote_plus(password) if password is not None else None
        if (client_id, client_secret) != (self.state.client_id, self.state.client_secret):
            self.send_json(401, {"error": "invalid_client"}, {"WWW-Authenticate": "Basic"})
            return
        grant_type = form.get("grant_type", [None])[-1]
        if grant_type != "client_credentials":
            error = "invalid_request" if grant_type is None else "unsupported_grant_type"
            self.send_json(400, {"error": error})
            return
        token, ttl = self.state.issue_token()
        self.send_json(
            200,
            {"access_token": token, "expires_in": ttl, "token_type": "Bearer",
             "scope": "public-api data-usage service-lines"},
            {"Cache-Control": "no-store"},
        )

    def handle_data_usage(self):
        page = self.int_param("page", 0)
        self.state.count_page(page)
        # Redirects come first: a proxy or load balancer answers before the API checks auth.
        redirect = self.state.fault("redirect")
        if redirect:
            self.redirect(redirect["status"], redirect["location"])
            return
        hop = self.int_param("hop", 0)
        if hop < self.state.fault("redirect_same_host_hops", 0):
            # 307 keeps the method and body, which this POST needs.
            self.redirect(307, self.same_host_url(hop + 1))
            return
        self.require_token()
        if self.state.fault("echo_authorization"):
            raise ApiError(422, "Unexpected credentials: Authorization: "
                           + self.headers.get("Authorization", ""))
        limit = self.int_param("limit", DEFAULT_LIMIT, minimum=1)
        if limit > MAX_LIMIT:
            raise ApiError(400, f"'limit' must be between 1 and {MAX_LIMIT}", ["limit"])
        with self.state.lock:
            self.state.last_query_body = self.body.decode("utf-8", "replace")
        body = self.json_body()
        # A strict validator, as the V2 API's own: "all lines" is [] (or no member), never null.
        numbers = body.get("serviceLineNumbers", [])
        if numbers is None:
            raise ApiError(422, "'serviceLineNumbers' must be an array of strings; null is not allowed",
                           ["serviceLineNumbers"])
        if not (isinstance(numbers, list) and all(isinstance(n, str) for n in numbers)):
            raise ApiError(400, "'serviceLineNumbers' must be a list of strings",
                           ["serviceLineNumbers"])
        previous = body.get("previousBillingCycles")
        previous = 1 if previous is None else previous
        if not _nonneg_int(previous):
            raise ApiError(400, "'previousBillingCycles' must be an integer >= 0",
                           ["previousBillingCycles"])
        # The API's default is active lines only: a line deactivated mid-cycle is then left out.
        active_only = body.get("activeServiceLinesOnly", True)
        if not isinstance(active_only, bool):
            raise ApiError(400, "'activeServiceLinesOnly' must be true or false", ["activeServiceLinesOnly"])
        start_date = None
        if body.get("queryStartDate") is not None:
            try:
                start_date = dt.datetime.fromisoformat(str(body["queryStartDate"]).replace("Z", "+00:00")).date()
            except ValueError:
                raise ApiError(400, "'queryStartDate' must be a date-time", ["queryStartDate"])
            if start_date > self.state.fleet.today:
                raise ApiError(422, "'queryStartDate' is in the future", ["queryStartDate"])
        self.inject_faults(page)
        if self.state.fault("invalid_envelope"):
            self.send_json(200, sd.error_envelope(error_message(422)))
            return
        revision = self.state.revision_for(page)
        duplicate = bool(self.state.fault("duplicate_days"))
        fleet = self.state.fleet

        def build() -> bytes:
            body = fleet.query_results_json(page, limit, previous, numbers, revision, active_only, start_date)
            if duplicate:
                payload = json.loads(body)
                duplicate_v2_day(payload["content"]["results"])
                body = json.dumps(payload, separators=(",", ":")).encode()
            return body

        key = ("data_usage", page, limit, previous, tuple(numbers), duplicate, active_only, start_date,
               fleet.inactive_every)
        self.send_payload(self.state.cached_body(key, revision, build), page, is_envelope=True)

    def handle_service_lines(self):
        self.require_token()
        self.send_json(200, self.state.fleet.service_lines_page(self.int_param("page", 0)))

    def handle_simple(self):
        # No auth; an Authorization header, if any, is ignored. The whole fleet is one
        # response, so it is "page 0" for fail_page/truncate_page and a run for revisions.
        days = self.int_param("days", DEFAULT_SIMPLE_DAYS, minimum=1)
        self.inject_faults(0)
        revision = self.state.revision_for(0)
        duplicate = bool(self.state.fault("duplicate_days"))
        fleet = self.state.fleet

        def build() -> bytes:
            body = fleet.simple_payload_json(days, revision)
            if duplicate:
                payload = json.loads(body)
                duplicate_simple_day(payload)
                body = json.dumps(payload, separators=(",", ":")).encode()
            return body

        body = self.state.cached_body(("simple", days, duplicate), revision, build)
        self.send_payload(body, 0, is_envelope=False)

    def handle_stats(self):
        self.send_json(200, self.state.stats())

    def handle_control(self):
        changes = self.json_body()
        unknown = sorted(set(changes) - set(CONTROL_KEYS))
        if unknown:
            raise ApiError(400, f"unknown control keys: {', '.join(unknown)}", unknown)
        invalid = sorted(k for k, v in changes.items() if v is not None and not CONTROL_KEYS[k](v))
        if invalid:
            raise ApiError(400, f"invalid values for: {', '.join(invalid)}", invalid)
        self.send_json(200, self.state.configure(changes))

    def handle_reset(self):
        self.state.reset()
        self.send_json(200, self.state.stats())


class MockServer(ThreadingHTTPServer):
    # Handler threads are never joined: an idle keep-alive connection or a hang_ms request
    # must not hold up shutdown (daemon threads simply end with the process).
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, state: MockState, tls: ssl.SSLContext | None = None):
        super().__init__(address, Handler)
        self.state = state
        self.tls = tls

    def finish_request(self, request, client_address):
        # With --tls-cert, the handshake happens here, in the connection's own thread: a
        # client that refuses the certificate only ends its own connection.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with self.state.lock:
                    self.state.tls_handshake_failures += 1
                return
        super().finish_request(request, client_address)


def write_port_file(path: str, port: int):
    """Atomic, so a poller never reads a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".port-")
    with os.fdopen(fd, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Starlink V2 API mock server")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port here (atomically)")
    p.add_argument("--lines", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--today", type=dt.date.fromisoformat, default=sd.DEFAULT_TODAY)
    p.add_argument("--client-id", default="test-client")
    p.add_argument("--client-secret", default="test-secret")
    p.add_argument("--token-ttl", type=int, default=900, help="seconds")
    p.add_argument("--latency-ms", type=float, default=0, help="sleep per API request")
    p.add_argument("--body-cache-mb", type=int, default=DEFAULT_BODY_CACHE_MB,
                   help="bytes of response bodies kept for the current revision (MB)")
    p.add_argument("--log", help="append 'METHOD PATH STATUS' per request")
    p.add_argument("--tls-cert", help="serve https with this PEM certificate (chain)")
    p.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    state = MockState(
        sd.Fleet(args.lines, args.seed, args.today),
        args.client_id, args.client_secret, args.token_ttl, args.latency_ms, args.log,
        args.body_cache_mb << 20,
    )
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = MockServer(("127.0.0.1", args.port), state, tls)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"PORT {port}", flush=True)

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever() to return, which runs in this very thread:
        # call it from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if state.log:
            state.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
