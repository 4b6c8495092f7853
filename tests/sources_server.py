"""A real HTTP/1.1 server on 127.0.0.1 for the sources tests, with scripted misbehaviour.

Each path gets a list of :class:`Reply` s, used in turn (the last one repeats): a normal file,
an HTTP error, a body shorter than its Content-Length, a connection dropped mid-body, a slow
answer, an HTML page. ``If-None-Match`` / ``If-Modified-Since`` are answered with 304 when
they match the reply's validators. Every request is recorded (path and headers).
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "sources"


def sample(name: str) -> bytes:
    """A real sample file from tests/data/sources (``.gz``/``.xz`` copies decompressed when
    the name asks for the plain file)."""
    path = DATA / name
    if path.exists():
        return path.read_bytes()
    if (DATA / f"{name}.gz").exists():
        return gzip.decompress((DATA / f"{name}.gz").read_bytes())
    return lzma.decompress((DATA / f"{name}.xz").read_bytes())


@dataclass
class Reply:
    """One scripted answer."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    etag: str | None = None
    last_modified: str | None = None
    length: int | None = None  # Content-Length to announce; default the true length
    cut_after: int | None = None  # send this many body bytes, then drop the connection
    delay: float = 0.0


@dataclass
class Request:
    """One request the server saw."""

    path: str
    headers: dict[str, str]


@dataclass
class FixtureServer:
    """Routes, recorded requests and the running server."""

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self.routes[path] = list(replies)

    def hits(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def next_reply(self, path: str, headers: dict[str, str]) -> Reply | None:
        with self.lock:
            self.requests.append(Request(path, headers))
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]


def start() -> tuple[FixtureServer, ThreadingHTTPServer]:
    """Start a server on a free port in a daemon thread."""
    state = FixtureServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = state.next_reply(self.path, headers)
            if reply is None:
                self._send(Reply(b"not found\n", 404, "text/plain"))
                return
            time.sleep(reply.delay)
            if _not_modified(reply, headers):
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            length = len(reply.body) if reply.length is None else reply.length
            self.send_header("Content-Length", str(length))
            if reply.etag:
                self.send_header("ETag", reply.etag)
            if reply.last_modified:
                self.send_header("Last-Modified", reply.last_modified)
            self.end_headers()
            body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except OSError:
                return
            if reply.cut_after is not None or length != len(body):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

    server = _QuietServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    return state, server


class _QuietServer(ThreadingHTTPServer):
    """The fixture server; a client that hangs up or times out (as the tests make clients do)
    is expected, not an error worth a traceback in the test log."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # ConnectionResetError, BrokenPipeError, TimeoutError
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _not_modified(reply: Reply, headers: dict[str, str]) -> bool:
    if reply.status != 200:
        return False
    if reply.etag and headers.get("if-none-match") == reply.etag:
        return True
    return bool(reply.last_modified) and headers.get("if-modified-since") == reply.last_modified


@contextlib.contextmanager
def serving() -> Iterator[FixtureServer]:
    """A started server, shut down when the block ends."""
    state, httpd = start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
