"""Shared Playwright fixtures: one headless Chromium per test module, console-error capture, screenshots.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/system-deps.sh``),
never a browser downloaded by ``playwright install``. Pages may load only
``file:``, ``data:`` and ``about:`` URLs: any other request is aborted and
recorded, so a page that needs the network fails its test. Screenshots go to
``test-artifacts/screenshots/`` at the repository root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOCAL = re.compile(r"^(file|data|about|blob):")

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("headless Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route, sync_playwright  # noqa: E402

# The chart and report browser tests reuse the chart tests' pack store and snapshots.
from tests.charts.conftest import events_db, session_desk, snapshots  # noqa: E402, F401


@dataclass
class WatchedPage:
    """A page with the console errors, page errors and blocked requests seen since it opened."""

    page: Page
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        """Load a local file (images and inline scripts included)."""
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a screenshot under test-artifacts/screenshots/NAME.png and return its path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(out), full_page=full_page)
        return out

    def assert_clean(self) -> None:
        """No console errors, no uncaught exceptions, no network requests."""
        assert not self.errors, self.errors
        assert not self.blocked, self.blocked


@pytest.fixture(scope="module")  # never session: Playwright's sync API leaves an event loop running
def playwright_session() -> Iterator[Playwright]:
    """The Playwright driver for the session."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")  # never session: Playwright's sync API leaves an event loop running
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    b = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[WatchedPage]:
    """A fresh page (1280x900) recording console errors and blocking every non-local request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    w = WatchedPage(page)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            w.errors.append(msg.text)

    def on_route(route: Route, request: Request) -> None:
        if LOCAL.match(request.url):
            route.continue_()
        else:
            w.blocked.append(request.url)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: w.errors.append(f"page error: {exc}"))
    page.route("**/*", on_route)
    yield w
    context.close()
