"""A local HTTP replay server (127.0.0.1, random port) with injectable faults.

Routes map a path to a handler ``(query) -> Reply``. Faults are queued per path
and consumed one per request, before the route answers, so a test can say
"the next request to /coins/markets gets a 429 with Retry-After: 1" and then
see the client recover. Every request is recorded (path, query, headers).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One HTTP answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None
    """Send only the first N bytes of the body while announcing the full length, then close."""


Route = Callable[[dict[str, str]], Reply]
Fault = Callable[[Reply], Reply]


@dataclass
class Request:
    """A recorded request."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


def status_fault(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Fault:
    """Answer with ``status`` instead of the route's reply."""
    return lambda _reply: Reply(status, body, headers or {})


def timeout_fault(seconds: float) -> Fault:
    """Answer correctly but only after ``seconds`` (longer than the client's timeout)."""
    return lambda reply: Reply(reply.status, reply.body, reply.headers, delay=seconds)


def truncate_fault(keep: float = 0.5) -> Fault:
    """Send only the first part of the body (a connection cut mid-response)."""
    return lambda reply: Reply(reply.status, reply.body, reply.headers, truncate_to=int(len(reply.body) * keep))


def body_fault(body: bytes) -> Fault:
    """Answer 200 with a different body (schema drift, empty page)."""
    return lambda reply: Reply(200, body, reply.headers)


class ReplayServer:
    """A threaded HTTP server for tests; use as a context manager."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[Request] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fault(self, path: str, *faults: Fault) -> None:
        """Queue faults for the next requests to ``path`` (one per request, in order)."""
        with self._lock:
            self._faults[path].extend(faults)

    def hits(self, path: str) -> list[Request]:
        """Recorded requests to ``path``."""
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Request(path, query, headers))
            fault = self._faults[path].popleft() if self._faults[path] else None
        route = self.routes.get(path)
        reply = route(query) if route else Reply(404, b'{"error":"not found"}')
        return fault(reply) if fault else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                reply = server._answer(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.truncate_to is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if reply.truncate_to is not None:
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
