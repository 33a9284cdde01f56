"""The HTML report and every chart kind rendered in headless Chromium at three dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.browser.conftest import WatchedPage
from tests.charts.conftest import MOMENTS, TZ

from cryptodesk.charts.build import KINDS, build_chart, render_chart
from cryptodesk.charts.interactive import render_interactive
from cryptodesk.desk.charts import Snapshot, html_report

pytestmark = pytest.mark.browser
DAYS = list(MOMENTS)
PAGE = '<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


@pytest.mark.parametrize("day", DAYS)
def test_report_renders_with_linked_figures(
    watched: WatchedPage, snapshots: dict[str, Snapshot], tmp_path: Path, day: str
) -> None:
    path = tmp_path / f"report-{day}.html"
    path.write_text(html_report(snapshots[day], interactive=day == "2022-11-15"), encoding="utf-8")
    watched.open(path)
    page = watched.page
    headline = page.locator("h1.headline").inner_text()
    assert headline == snapshots[day].story.headline
    sizes = page.eval_on_selector_all(
        "figure.chart img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().height])"
    )
    assert sizes
    assert all(ok and w > 0 and h > 0 for ok, w, h in sizes), sizes
    rows = page.locator("table.ledger tbody tr").count()
    assert rows == len(snapshots[day].story.facts)
    unresolved = page.eval_on_selector_all(
        "a.fact", "as => as.filter(a => !document.getElementById(a.getAttribute('href').slice(1))).map(a => a.href)"
    )
    assert page.locator("a.fact").count() > 0
    assert unresolved == []
    first = page.locator("a.fact").first
    target = first.get_attribute("href")
    assert target is not None
    first.click()
    assert page.evaluate("location.hash") == target
    assert page.locator(f"tr{target.replace('.', chr(92) + '.')}").is_visible()
    if day == "2022-11-15":
        plots = page.eval_on_selector_all(".js-plotly-plot", "ds => ds.map(d => d.getBoundingClientRect().height)")
        assert plots
        assert all(h > 100 for h in plots)
    page.evaluate("window.scrollTo(0, 0)")
    watched.screenshot(f"report-{day}")
    watched.page.set_viewport_size({"width": 420, "height": 900})
    watched.screenshot(f"report-{day}-narrow", full_page=False)
    watched.assert_clean()


@pytest.mark.parametrize("day", DAYS)
def test_every_static_chart_kind_loads(
    watched: WatchedPage, snapshots: dict[str, Snapshot], tmp_path: Path, day: str
) -> None:
    snap = snapshots[day]
    tags = []
    for kind in KINDS:
        for fmt in ("png", "svg") if day == "2023-01-18" else ("png",):
            name = f"{kind}.{fmt}"
            chart = build_chart(kind, snap.frames, snap.analysis, snap.events, tz=TZ)
            (tmp_path / name).write_bytes(render_chart(chart, fmt))
            tags.append(f'<img id="{kind}-{fmt}" src="{name}" style="width:640px">')
    page_path = tmp_path / "charts.html"
    page_path.write_text(PAGE.format(body="".join(tags)), encoding="utf-8")
    watched.open(page_path)
    sizes = watched.page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.id, i.naturalWidth, i.naturalHeight])")
    assert len(sizes) == len(tags)
    assert all(w > 0 and h > 0 for _id, w, h in sizes), sizes
    watched.screenshot(f"charts-static-{day}")
    watched.assert_clean()


@pytest.mark.parametrize("day", DAYS)
def test_every_interactive_chart_kind_draws(
    watched: WatchedPage, snapshots: dict[str, Snapshot], tmp_path: Path, day: str
) -> None:
    snap = snapshots[day]
    charts = [build_chart(kind, snap.frames, snap.analysis, snap.events, tz=TZ) for kind in KINDS]
    divs = [
        render_interactive(c, include_plotlyjs=i == 0, full_html=False, div_id=f"plot-{c.kind}")
        for i, c in enumerate(charts)
    ]
    path = tmp_path / "interactive.html"
    path.write_text(PAGE.format(body="".join(divs)), encoding="utf-8")
    watched.open(path)
    for c in charts:
        plot = watched.page.locator(f"#plot-{c.kind}.js-plotly-plot")
        plot.wait_for()
        box = plot.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 200
        assert c.title in (plot.locator(".gtitle").text_content() or "")
        assert plot.locator(".main-svg").count() > 0
    watched.screenshot(f"charts-interactive-{day}")
    watched.assert_clean()
