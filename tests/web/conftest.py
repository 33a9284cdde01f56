"""Web fixtures: a real uvicorn server over the pack store on 127.0.0.1 and an httpx client of it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cryptodesk.core.settings import load_settings
from cryptodesk.web.app import create_app

AS_OF = "2023-01-18T17:30:00Z"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A real uvicorn server over the pack store on 127.0.0.1."""
    app = create_app(load_settings({"db": pack_db}, env={}), snapshot_dir=tmp_path_factory.mktemp("snap_live"))
    with ServerThread(app) as server:
        yield server


@pytest.fixture(scope="session")
def client(live_server: ServerThread) -> Iterator[httpx.Client]:
    """An HTTP client of the live pack server."""
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")  # never session: Playwright's sync API leaves an event loop running
def browser() -> Iterator[Any]:
    """Headless Chromium (the system /usr/bin/chromium) driven by Playwright; skipped when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()
