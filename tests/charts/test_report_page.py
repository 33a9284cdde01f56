"""The HTML report: self-contained, every figure linked to a ledger row, charts beside the paragraphs they support."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from cryptodesk.charts.report_page import HERO, plan_figures, report_page, story_page
from cryptodesk.desk.charts import Snapshot, html_report

from .conftest import MOMENTS


class Page(HTMLParser):
    """Collects ids, fact links, images, external references and the text of each story row."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.fact_links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.external: list[str] = []
        self.rows: list[dict[str, object]] = []
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "fact" in a.get("class", ""):
            self.fact_links.append(a["href"])
            if self.rows:
                self.rows[-1]["facts"].append(a["data-fact"])  # type: ignore[union-attr]
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            if re.match(r"(https?:)?//", a.get(key, "")):
                self.external.append(a[key])
        if tag == "div" and "row" in a.get("class", "").split():
            self.rows.append({"text": "", "figure": None, "facts": []})
        if tag == "figure" and self.rows:
            self.rows[-1]["figure"] = a.get("data-kind")
        self._in_p = tag == "p" or self._in_p

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_p = False

    def handle_data(self, data: str) -> None:
        if self._in_p and self.rows:
            self.rows[-1]["text"] = str(self.rows[-1]["text"]) + data


@pytest.fixture(scope="module")
def pages(snapshots: dict[str, Snapshot]) -> dict[str, str]:
    return {day: html_report(snap) for day, snap in snapshots.items()}


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


@pytest.mark.parametrize("day", list(MOMENTS))
def test_every_number_links_to_a_ledger_row(pages: dict[str, str], snapshots: dict[str, Snapshot], day: str) -> None:
    page = parse(pages[day])
    story = snapshots[day].story
    assert page.fact_links
    for href in page.fact_links:
        assert href.startswith("#fact-")
        assert href[1:] in page.ids, href
    cited = {r.fact_id for p in story.paragraphs for r in p.refs} | {r.fact_id for r in story.headline_refs}
    assert {h.removeprefix("#fact-") for h in page.fact_links} == cited
    assert {f"fact-{f.id}" for f in story.facts} <= page.ids


@pytest.mark.parametrize("day", list(MOMENTS))
def test_page_is_self_contained(pages: dict[str, str], day: str) -> None:
    page = parse(pages[day])
    assert not page.external
    assert page.images
    for img in page.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert int(img["width"]) > 0
        assert int(img["height"]) > 0
        assert img["alt"]
    assert "<script" not in pages[day]  # no interactive section unless asked for


@pytest.mark.parametrize("day", list(MOMENTS))
def test_headline_coverage_and_ledger_present(pages: dict[str, str], snapshots: dict[str, Snapshot], day: str) -> None:
    text = pages[day]
    story = snapshots[day].story
    assert f"<title>{story.headline}</title>" in text.replace("&#x27;", "'")
    assert "Data coverage" in text
    assert "Liquidations: no data in the store" in text
    assert "Facts ledger" in text
    assert "@media print" in text


@pytest.mark.parametrize(
    ("kind", "metric"),
    [
        ("market_cap", "total_market_cap"),
        ("intraday", "intraday_high"),
        ("performance", "change"),
        ("price", "dist_sma50_pct"),
        ("volume", "volume_ratio"),
    ],
)
def test_charts_sit_beside_the_paragraph_they_support(
    pages: dict[str, str], snapshots: dict[str, Snapshot], kind: str, metric: str
) -> None:
    story = snapshots["2023-01-18"].story
    rows = [r for r in parse(pages["2023-01-18"]).rows if r["figure"] == kind]
    assert len(rows) == 1
    facts = [story.fact(f) for f in rows[0]["facts"]]  # type: ignore[attr-defined]
    cited = {f.metric for f in facts} | {f.subject for f in facts}
    assert metric in cited


def test_plan_places_each_kind_once(snapshots: dict[str, Snapshot]) -> None:
    for snap in snapshots.values():
        plans = plan_figures(snap.story)
        kinds = [p.kind for p in plans if p.paragraph != HERO]
        assert len(kinds) == len(set(kinds))
        assert all(-1 <= p.paragraph < len(snap.story.paragraphs) for p in plans)


def test_interactive_section_embeds_plotly_once(snapshots: dict[str, Snapshot]) -> None:
    text = html_report(snapshots["2023-01-18"], interactive=True)
    assert "Interactive charts" in text
    assert text.count("Plotly.newPlot") >= 3
    assert len(re.findall(r"/\*\*\s*\n?\s*\* plotly\.js v", text)) <= 1


def test_story_page_renders_without_charts(snapshots: dict[str, Snapshot]) -> None:
    story = snapshots["2022-11-09"].story
    text = story_page(story)
    assert text == report_page(story)
    assert "<img" not in text
    assert story.headline.split()[0] in text
