"""Hostile answers of the mock API, for the HTTP client's hardening tests: responses no honest
server sends, each meant to make a client hang, run out of memory or misread the answer.
server.py validates the /_control keys with HOSTILE_KEYS and calls `send_hostile` just
before it would send a 200 data-usage or /simple body (and `send_token_html` for the token
endpoint). Everything is written raw to the socket, so the framing can be broken on purpose.
Standard library only.
"""

from __future__ import annotations

import time
import zlib

# Decoded size of a compression bomb when the control key does not say: far more than any
# client should ever hold (10 GiB, about 10 MB on the wire).
DEFAULT_BOMB_BYTES = 10 << 30
_BOMB_BLOCK = b" " * (1 << 20)  # one MiB of JSON whitespace: ~1 kB once deflated
_PAD = b"x" * 65536
# The start of a V2 envelope whose first warning's text never ends: a client that keeps
# reading sees plausible JSON until its limit.
ENVELOPE_PREFIX = b'{"isValid":true,"errors":[],"warnings":[{"memberNames":[],"errorMessage":"'


def _is_positive_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _is_positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


HOSTILE_KEYS = {
    # A 200 whose chunked body never ends (64 KiB chunks until the client goes away).
    "endless_body": lambda v: isinstance(v, bool),
    # The whole response, status line first, one byte every this many ms.
    "slowloris_ms": _is_positive_number,
    # A 200 with Content-Encoding gzip or deflate whose body inflates to `bytes` (default 10 GiB).
    "compression_bomb": lambda v: isinstance(v, dict) and set(v) <= {"encoding", "bytes"}
    and v.get("encoding") in ("gzip", "deflate") and _is_positive_int(v.get("bytes", 1)),
    # A 200 with this many bytes of X-Padding-N header lines before its body.
    "huge_headers_bytes": _is_positive_int,
    # Transfer-Encoding chunked gone wrong: "bad_size" (a chunk size that is no hex number)
    # or "cut" (the connection closes before the last chunk).
    "broken_chunked": lambda v: v in ("bad_size", "cut"),
    # A 400 whose body is bytes of no encoding: invalid UTF-8, a terminal escape, NUL.
    "garbage_error": lambda v: isinstance(v, bool),
    # The token endpoint answers 200 with an HTML page (a login portal) instead of JSON.
    "token_html": lambda v: isinstance(v, bool),
}

# The keys that replace a data-usage or /simple body, in the order send_hostile checks them.
BODY_FAULTS = ("slowloris_ms", "endless_body", "compression_bomb", "huge_headers_bytes", "broken_chunked",
               "garbage_error")
# What garbage_error answers: a client that quotes it verbatim puts invalid UTF-8 into its
# messages and logs, and clears the screen of whoever reads them.
GARBAGE = b"\xff\xfe\x1b[2J\x00bad request \xc3"


def _head(status_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [status_line] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def bomb_parts(encoding: str, prefix: bytes, size: int):
    """The compressed body of `prefix` followed by JSON whitespace up to `size` decoded bytes,
    as (total compressed length, iterator of its pieces). The whitespace is one compressed
    MiB repeated: after a full flush deflate starts afresh, so the same input deflates to the
    same bytes every time. `deflate` is the zlib format (RFC 1950) as HTTP means it. The
    checksum is computed while the pieces are taken, so an unread bomb costs nothing."""
    size = max(size, len(prefix))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(_BOMB_BLOCK) + c.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(size - len(prefix), len(_BOMB_BLOCK))
    last = c.compress(b" " * rest) + c.flush(zlib.Z_FINISH)
    if encoding == "gzip":
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    else:
        header = b"\x78\xda"
    length = len(header) + len(first) + blocks * len(block) + len(last) + (8 if encoding == "gzip" else 4)

    def pieces():
        yield header + first
        checksum = zlib.crc32(prefix) if encoding == "gzip" else zlib.adler32(prefix)
        update = zlib.crc32 if encoding == "gzip" else zlib.adler32
        for _ in range(blocks):
            checksum = update(_BOMB_BLOCK, checksum)
            yield block
        checksum = update(b" " * rest, checksum)
        if encoding == "gzip":
            trailer = checksum.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")
        else:
            trailer = checksum.to_bytes(4, "big")
        yield last + trailer

    return length, pieces()


def send_hostile(handler, body: bytes) -> bool:
    """Answer with the active body fault instead of `body` (the honest 200 body); False when
    none is set. The connection is closed afterwards: its framing cannot be trusted."""
    state = handler.state
    fault = next((key for key in BODY_FAULTS if state.fault(key) is not None), None)
    if fault is None:
        return False
    handler.close_connection = True
    handler.log_request(400 if fault == "garbage_error" else 200)
    out = handler.wfile
    json_type = ("Content-Type", "application/json; charset=utf-8")
    if fault == "slowloris_ms":
        raw = _head("HTTP/1.1 200 OK", [json_type, ("Content-Length", str(len(body)))]) + body
        pause = state.fault("slowloris_ms") / 1000
        for i in range(len(raw)):
            out.write(raw[i : i + 1])
            time.sleep(pause)
    elif fault == "endless_body":
        out.write(_head("HTTP/1.1 200 OK", [json_type, ("Transfer-Encoding", "chunked")]))
        out.write(_chunk(ENVELOPE_PREFIX))
        piece = _chunk(_PAD)
        while True:
            out.write(piece)
    elif fault == "compression_bomb":
        bomb = state.fault("compression_bomb")
        encoding = bomb["encoding"]
        length, pieces = bomb_parts(encoding, ENVELOPE_PREFIX, bomb.get("bytes", DEFAULT_BOMB_BYTES))
        out.write(_head("HTTP/1.1 200 OK", [json_type, ("Content-Encoding", encoding),
                                            ("Content-Length", str(length))]))
        for piece in pieces:
            out.write(piece)
    elif fault == "huge_headers_bytes":
        out.write(b"HTTP/1.1 200 OK\r\n")
        left = state.fault("huge_headers_bytes")
        line_value = "h" * 1000
        n = 0
        batch = []
        while left > 0:
            line = f"X-Padding-{n}: {line_value}\r\n".encode()
            batch.append(line)
            left -= len(line)
            n += 1
            if len(batch) == 64:
                out.write(b"".join(batch))
                batch = []
        out.write(b"".join(batch))
        out.write(b"Content-Type: application/json; charset=utf-8\r\n"
                  + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    elif fault == "broken_chunked":
        half = len(body) // 2
        out.write(_head("HTTP/1.1 200 OK", [json_type, ("Transfer-Encoding", "chunked")]))
        out.write(_chunk(body[:half]))
        if state.fault("broken_chunked") == "bad_size":
            out.write(b"zz-not-hex\r\n" + body[half:] + b"\r\n0\r\n\r\n")
        # "cut": nothing more; the connection closes without the final 0-length chunk.
    elif fault == "garbage_error":
        out.write(_head("HTTP/1.1 400 Bad Request", [("Content-Type", "text/plain"),
                                                     ("Content-Length", str(len(GARBAGE)))]) + GARBAGE)
    return True


def send_token_html(handler) -> None:
    """A 200 from the token endpoint that is a web page, as a login portal or a proxy's error
    page in front of the API would answer."""
    page = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
            b"<h1>Please sign in</h1><form method=post action=/login></form></body></html>")
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(page)))
    handler.end_headers()
    handler.wfile.write(page)
