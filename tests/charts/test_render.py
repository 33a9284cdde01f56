"""Renderers: deterministic PNG/SVG bytes, offline Plotly HTML, and the chart CLI."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cryptodesk.charts.build import render_chart
from cryptodesk.charts.interactive import render_interactive
from cryptodesk.charts.spec import Annotation, Band, Chart, Level, Marker, Panel, Series
from cryptodesk.charts.static import render_static
from cryptodesk.cli import charts as _chart_commands  # noqa: F401  (registers `chart` until cli/__init__ imports it)
from cryptodesk.cli import main
from cryptodesk.core.errors import ConfigError

from .conftest import MOMENTS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_chart(scale: float = 1.0) -> Chart:
    """A small hand-made chart exercising every element of the spec."""
    days = tuple(date(2023, 1, 1) + timedelta(days=i) for i in range(40))
    ys = tuple(1e12 * scale * (0.8 + 0.005 * i) for i in range(40))
    panel = Panel(
        "usd",
        (Series("Total", days, ys), Series("Avg", days, tuple(v * 0.98 for v in ys), role="avg", dashed=True)),
        (Band("Range", days, tuple(v * 0.97 for v in ys), tuple(v * 1.03 for v in ys)),),
        (Level(1e12, "$1 trillion"),),
        (Marker(days[-1], ys[-1], "Last"), Marker(days[5], ys[5], "Low", role="down", below=True)),
        annotations=(Annotation(days[10], "FTX halts withdrawals"), Annotation(days[20], "CPI", major=False)),
        y_label="Market cap",
    )
    rsi = Panel("rsi", (Series("RSI", days, tuple(50.0 + i % 7 for i in range(40)), role="fourth"),), height=1.0)
    return Chart("market_cap", "A title", "A subtitle, as of noon ET", (panel, rsi), "Date", "Source: test", "UTC")


def test_png_is_deterministic_in_process() -> None:
    a, b = render_static(small_chart(), "png"), render_static(small_chart(), "png")
    assert a.startswith(PNG_MAGIC)
    assert a == b
    assert render_static(small_chart(1.1), "png") != a  # and it does depend on the data


def test_png_is_deterministic_across_processes(tmp_path: Path) -> None:
    script = (
        "import hashlib, sys\n"
        "from tests.charts.test_render import small_chart\n"
        "from cryptodesk.charts.static import render_static\n"
        "sys.stdout.write(hashlib.sha256(render_static(small_chart(), 'png')).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123", "MPLCONFIGDIR": str(tmp_path / "mpl")}
    root = Path(__file__).resolve().parents[2]
    got = subprocess.run([sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, check=True)
    assert got.stdout == hashlib.sha256(render_static(small_chart(), "png")).hexdigest()


def test_png_has_no_software_or_date_metadata() -> None:
    data = render_static(small_chart(), "png")
    assert b"Software" not in data
    assert b"matplotlib" not in data.lower()


def test_svg_is_deterministic_and_well_formed() -> None:
    a, b = render_static(small_chart(), "svg"), render_static(small_chart(), "svg")
    assert a == b
    root = ET.fromstring(a)
    assert root.tag.endswith("svg")
    assert b"<dc:date>" not in a


def test_static_rejects_other_formats() -> None:
    with pytest.raises(ValueError, match="png"):
        render_static(small_chart(), "gif")
    with pytest.raises(ConfigError, match="pdf"):
        render_chart(small_chart(), "pdf")


def test_interactive_html_embeds_plotly_without_a_cdn() -> None:
    page = render_interactive(small_chart())
    assert page.startswith("<!doctype html>")
    assert "<title>A title</title>" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)  # plotly.js is inline, never loaded from a CDN
    assert "<link " not in page
    assert "Plotly.newPlot" in page
    assert len(page) > 1_000_000  # plotly.js itself is inside
    fragment = render_interactive(small_chart(), include_plotlyjs=False, full_html=False, div_id="x1")
    assert len(fragment) < 200_000
    assert 'id="x1"' in fragment


def test_empty_panel_renders_its_message() -> None:
    panel = Panel("usd", empty_message="No liquidation data")
    window = (datetime(2023, 1, 1), datetime(2023, 1, 2))
    c = Chart("liquidations", "Liquidations", "none", (panel,), "Time", "S", "UTC", window)
    assert render_static(c, "png").startswith(PNG_MAGIC)
    assert "No liquidation data" in render_interactive(c, include_plotlyjs=False)


@pytest.mark.parametrize(("kind", "suffix"), [("market_cap", "png"), ("price", "svg"), ("performance", "html")])
def test_chart_command_writes_each_format(events_db: Path, tmp_path: Path, kind: str, suffix: str) -> None:
    out = tmp_path / f"c.{suffix}"
    moment = MOMENTS["2023-01-18"].isoformat()
    code = main(["--db", str(events_db), "chart", kind, "--as-of", moment, "--window", "90d", "--out", str(out)])
    assert code == 0
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) if suffix == "png" else data.lstrip().startswith(b"<")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chart", "bogus", "--out", "x.png"], "unknown chart kind"),
        (["chart", "price", "--window", "3x", "--out", "x.png"], "--window"),
        (["chart", "price", "--out", "x.pdf"], "--out"),
        (["chart", "price", "--asset", "NOPE", "--out", "x.png"], "--asset"),
    ],
)
def test_chart_command_errors_name_the_parameter(
    events_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    moment = ["--as-of", MOMENTS["2023-01-18"].isoformat()]
    code = main(["--db", str(events_db), *args, *moment])
    assert code in (1, 2)
    assert message in capsys.readouterr().err
