"""Real local receivers for alert tests: an HTTP webhook receiver and an aiosmtpd SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from tests.web.conftest import free_port


@dataclass
class Received:
    """What a receiver got: (monotonic time, body) per request."""

    items: list[tuple[float, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: Any) -> None:
        """Record one request."""
        with self.lock:
            self.items.append((time.monotonic(), body))

    @property
    def bodies(self) -> list[Any]:
        """The bodies in arrival order."""
        with self.lock:
            return [b for _, b in self.items]


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 answering every POST with ``status``; yields (url, received)."""
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            got.add(json.loads(self.rfile.read(length)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook/secret-token", got
    finally:
        server.shutdown()
        server.server_close()


class _Collect:
    def __init__(self, got: Received) -> None:
        self.got = got

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.got.add(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Received]]:
    """A real aiosmtpd SMTP server on 127.0.0.1; yields (port, received messages)."""
    got = Received()
    port = free_port()
    controller = Controller(_Collect(got), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, got
    finally:
        controller.stop()


def subjects(messages: list[Message]) -> list[str]:
    """The Subject header of each message."""
    return [str(m["Subject"]) for m in messages]
