"""The dashboard in real headless Chromium against a live server over the pack store.

Screenshots are kept in test-artifacts/screenshots/ for review.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from tests.web.conftest import AS_OF, ServerThread

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def page(browser: Any, live_server: ServerThread) -> Iterator[Any]:
    """A fresh page collecting console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot artifact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def chart_sizes(page: Any) -> list[tuple[float, float]]:
    """(width, height) of every rendered Plotly SVG, after waiting for the first."""
    page.wait_for_selector(".chart .plot svg.main-svg", timeout=20_000)
    boxes = page.eval_on_selector_all(
        ".chart .plot svg.main-svg:first-of-type",
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    return [(w, h) for w, h in boxes]


@pytest.mark.parametrize(
    ("name", "path", "title_part"),
    [
        ("overview", f"/?as_of={AS_OF}", "Market overview"),
        ("asset-bitcoin", f"/asset/bitcoin?as_of={AS_OF}", "Bitcoin"),
        ("asset-total", f"/asset/total_market_cap?as_of={AS_OF}", "Total crypto market cap"),
        ("events", "/events?from=2023-01-12&to=2023-01-18", "Events"),
        ("story-latest", f"/story?as_of={AS_OF}", "Crypto market cap"),
        ("story-past", "/story?date=2022-11-10", ""),
    ],
)
def test_every_page_loads_without_console_errors(page: Any, name: str, path: str, title_part: str) -> None:
    resp = page.goto(path)
    assert resp.status == 200
    page.wait_for_load_state("networkidle")
    assert title_part in page.title()
    if page.query_selector(".chart"):
        sizes = chart_sizes(page)
        assert sizes
        assert all(w > 200 and h > 200 for w, h in sizes)
        assert page.eval_on_selector(".chart .plot", "e => e.querySelectorAll('path').length") > 3
    shot(page, name)
    assert page.errors == []


def numeric_column(page: Any, index: int) -> list[float | None]:
    """The data-value of column ``index`` of the assets table, in row order."""
    raw = page.eval_on_selector_all(
        f"#assets tbody tr td:nth-child({index + 1})", "els => els.map(e => e.getAttribute('data-value'))"
    )
    return [float(v) if v else None for v in raw]


def test_assets_table_sorts_by_click_and_keyboard(page: Any) -> None:
    page.goto(f"/?as_of={AS_OF}")
    header = page.locator("#assets th button[data-key='return_7d']")
    header.click()
    values = [v for v in numeric_column(page, 4) if v is not None]
    assert len(values) > 5
    assert values == sorted(values, reverse=True)
    assert page.get_attribute("#assets th:nth-child(5)", "aria-sort") == "descending"
    header.focus()
    page.keyboard.press("Enter")  # a real <button>: keyboard activation sorts too
    values = [v for v in numeric_column(page, 4) if v is not None]
    assert values == sorted(values)
    assert page.get_attribute("#assets th:nth-child(5)", "aria-sort") == "ascending"
    names = page.eval_on_selector_all("#assets tbody tr td:first-child", "els => els.map(e => e.dataset.value)")
    page.locator("#assets th button[data-key='name']").click()
    sorted_names = page.eval_on_selector_all("#assets tbody tr td:first-child", "els => els.map(e => e.dataset.value)")
    assert sorted_names == sorted(names, key=str.lower, reverse=True)
    shot(page, "overview-sorted")
    assert page.errors == []


def test_clicking_an_event_opens_its_asset_at_that_date(page: Any) -> None:
    page.goto("/events?from=2023-01-16&to=2023-01-18&subject=bitcoin")
    link = page.locator("a.event").first
    href = link.get_attribute("href")
    assert href.startswith("/asset/bitcoin?as_of=")
    event_day = link.locator("time").get_attribute("datetime")
    link.click()
    page.wait_for_load_state("networkidle")
    url = urlparse(page.url)
    assert url.path == "/asset/bitcoin"
    as_of = parse_qs(url.query)["as_of"][0]
    assert as_of[:10] >= event_day  # judged at the event's moment: the day it describes or the next
    assert as_of[:10] in page.locator("h1").inner_text()
    assert chart_sizes(page)
    shot(page, "event-to-asset")
    assert page.errors == []


def test_keyboard_navigation_starts_with_skip_link(page: Any) -> None:
    page.goto(f"/?as_of={AS_OF}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("A", "INPUT", "BUTTON")


def test_events_filter_form(page: Any) -> None:
    page.goto("/events?from=2023-01-16&to=2023-01-18")
    page.select_option("#kind", "extreme")
    page.fill("#subject", "total_market_cap")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    kinds = page.eval_on_selector_all("a.event .kind", "els => els.map(e => e.textContent)")
    subjects = page.eval_on_selector_all("a.event .subject", "els => els.map(e => e.textContent)")
    assert kinds
    assert set(kinds) == {"extreme"}
    assert set(subjects) == {"total_market_cap"}
    shot(page, "events-filtered")
    assert page.errors == []


def test_fact_check_page_highlights_claims(page: Any) -> None:
    seed = Path(__file__).resolve().parents[2].parent / "shared" / "seed"
    (article,) = seed.glob("article-2023-01-18-*.txt")
    page.goto("/check")
    page.fill("#text", article.read_text(encoding="utf-8"))
    page.fill("#check_as_of", AS_OF)
    page.click("form.check button[type=submit]")
    page.wait_for_load_state("networkidle")
    marks = page.locator(".article mark")
    assert marks.count() >= 5
    assert page.locator(".article mark.claim-ok").count() >= 1
    assert page.locator("#claims tbody tr").count() == marks.count()
    marks.first.focus()  # claims are keyboard-focusable
    assert page.evaluate("document.activeElement.tagName") == "MARK"
    shot(page, "check")
    assert page.errors == []
