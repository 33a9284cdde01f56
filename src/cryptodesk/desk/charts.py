"""Desk functions for charts and the HTML report.

``chart(desk, kind, as_of)`` builds one chart from the store's point-in-time
frames; ``write_chart`` renders it to PNG, SVG or HTML by the file's suffix;
``render_html_report`` writes the full, self-contained HTML report with each
chart beside the paragraph it supports. The lead wires thin ``Desk`` methods
on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptodesk.analytics.types import Analysis
from cryptodesk.charts.build import OUTPUT_FORMATS, build_chart, render_chart
from cryptodesk.charts.coverage import coverage_lines
from cryptodesk.charts.interactive import render_interactive
from cryptodesk.charts.report_page import Figure, FigurePlan, plan_figures, report_page
from cryptodesk.charts.spec import Chart
from cryptodesk.charts.static import render_static
from cryptodesk.core.errors import ConfigError, DataError, InputError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.core import Desk
from cryptodesk.writer.story import Story

FIGURE_WIDTH = 900
REPORT_WIDTH_IN = 7.0
"""Charts in the report are narrower than standalone ones, so their text reads larger beside a paragraph."""
REPORT_DPI = 130
REPORT_PNG_LEVEL = 1
"""Fast PNG compression for report figures (about 20% faster to write, 10% larger)."""


@dataclass(frozen=True)
class Snapshot:
    """Everything the desk knew at one moment, and the story written from it."""

    frames: MarketFrames
    analysis: Analysis
    events: list[Event]
    story: Story
    tz: str


def snapshot(desk: Desk, as_of: datetime, *, tz: str | None = None, seed: int | None = None) -> Snapshot:
    """Frames, analysis, events and story as of ``as_of`` (the pipeline of ``Desk.report``, keeping its parts)."""
    tz_name = tz or desk.settings.tz
    zone(tz_name)
    m = desk.moment(as_of, tz=tz_name)
    return Snapshot(m.frames, m.analysis, m.events, desk.story(m, tz=tz_name, seed=seed), tz_name)


def resolve_asset(desk: Desk, name: str | None, *, parameter: str = "--asset") -> str | None:
    """An asset id from an id, symbol or ticker (InputError naming ``parameter`` when unknown)."""
    if name is None:
        return None
    asset_id = desk.registry.resolve(name)
    if asset_id is None:
        raise InputError(f"{parameter}: unknown asset {name!r}", hint="`cryptodesk assets` lists known assets.")
    return asset_id


def chart(
    desk: Desk,
    kind: str,
    as_of: datetime,
    *,
    tz: str | None = None,
    asset: str | None = None,
    assets: Sequence[str] = (),
    window_days: int | None = None,
) -> Chart:
    """The chart of ``kind`` as of ``as_of`` (asset names may be ids, symbols or tickers)."""
    tz_name = tz or desk.settings.tz
    zone(tz_name)
    m = desk.moment(as_of, tz=tz_name)
    frames, analysis = m.frames, m.analysis
    events = m.events if kind == "market_cap" else []
    chosen = tuple(a for a in (resolve_asset(desk, n, parameter="--compare") for n in assets) if a)
    return build_chart(
        kind,
        frames,
        analysis,
        events,
        tz=tz_name,
        asset=resolve_asset(desk, asset),
        assets=chosen,
        window_days=window_days,
    )


def chart_format(out: Path) -> str:
    """The output format named by a file's suffix (ConfigError unless .png, .svg or .html)."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt == "htm":
        fmt = "html"
    if fmt not in OUTPUT_FORMATS:
        raise ConfigError(
            f"--out: {out.name!r} must end in {', '.join('.' + f for f in OUTPUT_FORMATS)}", parameter="--out"
        )
    return fmt


def write_chart(
    desk: Desk,
    kind: str,
    as_of: datetime,
    out: Path,
    *,
    tz: str | None = None,
    asset: str | None = None,
    assets: Sequence[str] = (),
    window_days: int | None = None,
) -> Path:
    """Build the chart (see :func:`chart`) and write it in the format its suffix names (.png, .svg, .html)."""
    fmt = chart_format(out)
    spec = chart(desk, kind, as_of, tz=tz, asset=asset, assets=assets, window_days=window_days)
    data = render_chart(spec, fmt)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as e:
        raise ConfigError(f"--out: cannot write {out}: {e.strerror or e}", parameter="--out") from e
    return out


def figure_specs(snap: Snapshot, plans: Sequence[FigurePlan] | None = None) -> list[tuple[FigurePlan, Chart]]:
    """The charts a story's paragraphs get, built from its snapshot (a chart whose data is missing is left out)."""
    out: list[tuple[FigurePlan, Chart]] = []
    for plan in plan_figures(snap.story) if plans is None else plans:
        try:
            spec = build_chart(
                plan.kind,
                snap.frames,
                snap.analysis,
                snap.events,
                tz=snap.tz,
                asset=plan.asset,
                assets=plan.assets,
            )
        except DataError:
            continue
        out.append((plan, spec))
    return out


def render_figure(spec: Chart, fmt: str = "png") -> bytes:
    """One report chart as image bytes (the report's width, resolution and PNG compression)."""
    return render_static(spec, fmt, width_in=REPORT_WIDTH_IN, dpi=REPORT_DPI, compress=REPORT_PNG_LEVEL)


def placed(plan: FigurePlan, spec: Chart, image: bytes, fmt: str = "png") -> Figure:
    """A rendered chart placed beside its paragraph."""
    width, height = _png_size(image) if fmt == "png" else (FIGURE_WIDTH, 500)
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return Figure(plan.paragraph, spec, image, mime=mime, width=width, height=height)


def figures(snap: Snapshot, plans: Sequence[FigurePlan] | None = None, *, fmt: str = "png") -> list[Figure]:
    """Rendered charts for a story's paragraphs (a chart whose data is missing is left out, never faked)."""
    return [placed(plan, spec, render_figure(spec, fmt), fmt) for plan, spec in figure_specs(snap, plans)]


def _png_size(data: bytes) -> tuple[int, int]:
    """The pixel width and height in a PNG's IHDR chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def html_report(
    snap: Snapshot, *, interactive: bool = False, fmt: str = "png", rendered: list[Figure] | None = None
) -> str:
    """The self-contained HTML report of a snapshot (charts beside paragraphs, coverage note, facts ledger).

    ``rendered`` are the snapshot's figures when they were rendered elsewhere (the desk log's render processes).
    """
    figs = figures(snap, fmt=fmt) if rendered is None else rendered
    fragments: list[str] = []
    if interactive:
        for i, fig in enumerate(figs):
            fragments.append(
                render_interactive(fig.chart, include_plotlyjs=i == 0, full_html=False, div_id=f"interactive-{i}")
            )
    return report_page(
        snap.story, figs, coverage=coverage_lines(snap.frames, snap.analysis, snap.tz), interactive=fragments
    )


def render_html_report(
    desk: Desk, as_of: datetime, tz: str | None = None, *, seed: int | None = None, interactive: bool = False
) -> str:
    """The full HTML report as of ``as_of``: what ``cryptodesk report --format html`` writes."""
    return html_report(snapshot(desk, as_of, tz=tz, seed=seed), interactive=interactive)
