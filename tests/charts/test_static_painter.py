"""The static painter on the real pack: same bytes in any process, every key element drawn, nothing cut off."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cryptodesk.charts import glyphs
from cryptodesk.charts.build import KINDS, build_chart
from cryptodesk.charts.canvas import AggCanvas, Metrics, encode_png
from cryptodesk.charts.layout import plan
from cryptodesk.charts.spec import Chart
from cryptodesk.charts.static import paint, render_static
from cryptodesk.charts.ticks import to_days
from cryptodesk.desk.charts import REPORT_DPI, REPORT_WIDTH_IN, Snapshot

from .conftest import MOMENTS, TZ

ROOT = Path(__file__).resolve().parents[2]
UNIT_TITLES = {"usd": "US$", "pct": "%", "rsi": "0-100"}
MONTH = r"(Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)"
X_LABEL = re.compile(rf"^({MONTH}( \d{{1,2}})?|\d{{4}}|\d{{1,2}}(:\d\d)? [ap]\.m\.|noon|midnight)$")


def _charts(snapshots: dict[str, Snapshot], days: list[str]) -> list[Chart]:
    out = []
    for day in days:
        snap = snapshots[day]
        out += [build_chart(kind, snap.frames, snap.analysis, snap.events, tz=TZ) for kind in KINDS]
        out.append(build_chart("market_cap", snap.frames, snap.analysis, snap.events, tz=TZ, window_days=60))
    return out


def _report_png(chart: Chart) -> bytes:
    return render_static(chart, "png", width_in=REPORT_WIDTH_IN, dpi=REPORT_DPI, compress=1)


def test_every_kind_is_deterministic_across_processes(snapshots: dict[str, Snapshot], tmp_path: Path) -> None:
    charts = _charts(snapshots, ["2022-11-15", "2023-01-18"])
    specs = tmp_path / "specs.pkl"
    specs.write_bytes(pickle.dumps(charts))
    script = (
        "import hashlib, pickle, sys\n"
        "from cryptodesk.charts.static import render_static\n"
        f"charts = pickle.loads(open({str(specs)!r}, 'rb').read())\n"
        "for c in reversed(charts):\n"  # the other order: every cache starts in another state
        "    for fmt, kw in (('png', {}), ('png', {'width_in': 7.0, 'dpi': 130, 'compress': 1}), ('svg', {})):\n"
        "        sys.stdout.write(hashlib.sha256(render_static(c, fmt, **kw)).hexdigest() + '\\n')\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "321", "MPLCONFIGDIR": str(tmp_path / "mpl")}
    got = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    here = []
    for c in charts:
        for fmt, kw in (("png", {}), ("png", {"width_in": 7.0, "dpi": 130, "compress": 1}), ("svg", {})):
            here.append(hashlib.sha256(render_static(c, fmt, **kw)).hexdigest())  # type: ignore[arg-type]
    theirs = got.stdout.split()
    assert len(theirs) == len(here) == 3 * len(charts)
    there = [theirs[i : i + 3] for i in range(0, len(theirs), 3)][::-1]
    assert [h for trio in there for h in trio] == here
    assert len(set(here)) == len(here)  # and each chart and format is its own picture


def test_text_cache_hit_and_miss_draw_the_same_pixels(snapshots: dict[str, Snapshot]) -> None:
    charts = _charts(snapshots, ["2023-01-18"])
    glyphs.clear_caches()
    cold = [_report_png(c) for c in charts]  # each string rasterised for the first time (or after a miss)
    warm = [_report_png(c) for c in charts]  # every string from the cache
    assert glyphs.text_image.cache_info().hits > 0
    glyphs.clear_caches()
    for c in charts:  # the same strings at other sizes and resolutions fill the caches first
        render_static(c, "png")
        render_static(c, "png", width_in=5.0, dpi=200)
    after_others = [_report_png(c) for c in charts]
    assert cold == warm == after_others


def _svg_texts(svg: bytes) -> list[str]:
    """The strings an SVG draws (matplotlib writes each text drawn as paths after a comment holding it)."""
    return re.findall(r"<!-- (.*?) -->", svg.decode("utf-8"))


@pytest.mark.parametrize("day", list(MOMENTS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_draws_its_key_elements(snapshots: dict[str, Snapshot], day: str, kind: str) -> None:
    snap = snapshots[day]
    c = build_chart(kind, snap.frames, snap.analysis, snap.events, tz=TZ)
    texts = _svg_texts(render_static(c, "svg", width_in=REPORT_WIDTH_IN))
    drawn = set(texts)
    everything = " ".join(texts)
    for whole in (c.title, c.subtitle, " · ".join((c.source, *c.notes)), c.x_label):
        assert whole in everything, whole  # a wrapped text's lines follow each other
    for p in c.panels:
        suffix = UNIT_TITLES[p.unit]
        assert (f"{p.y_label} ({suffix})" if p.y_label else suffix) in drawn
        expected = [s.label for s in p.series if s.label] + [b.label for b in p.bands if b.label]
        expected += [m.label for m in p.markers if m.label] + [lv.label for lv in p.levels if lv.label]
        expected += [a.label for a in p.annotations]
        expected += [p.empty_message] if p.empty_message else []
        missing = [e for e in expected if e not in drawn]
        assert not missing, missing
    ticks = [t for t in texts if re.fullmatch(r"-?\$[\d,.]+[TBM]?|[+-]?[\d,.]+%|0%|\d+", t)]
    units = {p.unit for p in c.panels if not p.empty_message}
    if "usd" in units:
        assert sum(t.lstrip("-").startswith("$") for t in ticks) >= 3  # dollar ticks on the price axis
    if "pct" in units:
        assert sum(t.endswith("%") for t in ticks) >= 3
    x_labels = [t for t in texts if X_LABEL.match(t)]
    assert len(x_labels) >= 3, texts  # an AP-style time axis: 'Nov.', 'Jan. 18', '9 a.m.', 'noon'


class Recorder(AggCanvas):
    """An Agg canvas that keeps every text's box."""

    def __init__(self, width_pt: float, height_pt: float, dpi: float, background: str) -> None:
        super().__init__(width_pt, height_pt, dpi, background)
        self.boxes: list[tuple[str, tuple[float, float, float, float]]] = []

    def text(self, x: float, y: float, text: str, size: float, color: str, **kw: object) -> tuple[float, ...]:  # type: ignore[override]
        box = super().text(x, y, text, size, color, **kw)  # type: ignore[arg-type]
        self.boxes.append((text, box))
        return box


@pytest.mark.parametrize("width_in", [REPORT_WIDTH_IN, 9.0])
def test_no_label_is_cut_off(snapshots: dict[str, Snapshot], width_in: float) -> None:
    checked = 0
    for c in _charts(snapshots, list(MOMENTS)):
        layout = plan(c, width_in * 72, Metrics(REPORT_DPI))
        canvas = Recorder(layout.width, layout.height, REPORT_DPI, "#ffffff")
        paint(canvas, layout)
        for text, (x0, y0, x1, y1) in canvas.boxes:
            assert 0 <= x0 <= x1 <= layout.width, (c.title, text)
            assert 0 <= y0 <= y1 <= layout.height, (c.title, text)
        for box in layout.panels:
            labels = {a.label for a in box.panel.annotations if a.major} | {m.label for m in box.panel.markers}
            px0, py0, px1, py1 = box.rect
            for text, (x0, y0, x1, y1) in canvas.boxes:
                if text in labels:
                    assert px0 - 0.5 <= x0 <= x1 <= px1 + 0.5, (c.kind, text)
                    assert py0 - 0.5 <= y0 <= y1 <= py1 + 0.5, (c.kind, text)
                    checked += 1
    assert checked > 40


def test_calendar_label_at_the_right_edge_ends_at_its_line(snapshots: dict[str, Snapshot]) -> None:
    snap = snapshots["2022-11-15"]
    c = build_chart("market_cap", snap.frames, snap.analysis, snap.events, tz=TZ)
    layout = plan(c, REPORT_WIDTH_IN * 72, Metrics(REPORT_DPI))
    canvas = Recorder(layout.width, layout.height, REPORT_DPI, "#ffffff")
    paint(canvas, layout)
    box = layout.panels[0]
    note = next(a for a in box.panel.annotations if a.label.startswith("FTX files for Chapter 11"))
    line_x = box.x(to_days(note.x))
    (x0, _y0, x1, _y1) = next(b for t, b in canvas.boxes if t == note.label)
    assert note.label == "FTX files for Chapter 11 bankruptcy"  # the whole title, not cut
    assert x1 <= line_x < box.rect[2]  # written leftwards from its line, inside the plot
    assert x0 > box.rect[0]


def test_png_encoder_round_trips_the_pixels() -> None:
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[:10] = 255  # some flat rows too
    for level in (0, 1, 6, 9):
        data = encode_png(rgba, level)
        image = Image.open(io.BytesIO(data))
        assert image.mode == "RGB"
        assert image.size == (53, 37)
        assert np.array_equal(np.asarray(image), rgba[:, :, :3])


def test_report_png_is_the_canvas_picture(snapshots: dict[str, Snapshot]) -> None:
    c = build_chart("price", snapshots["2023-01-18"].frames, snapshots["2023-01-18"].analysis, [], tz=TZ)
    layout = plan(c, REPORT_WIDTH_IN * 72, Metrics(REPORT_DPI))
    canvas = AggCanvas(layout.width, layout.height, REPORT_DPI, "#ffffff")
    paint(canvas, layout)
    pixels = np.asarray(canvas.renderer.buffer_rgba())  # type: ignore[attr-defined]
    decoded = np.asarray(Image.open(io.BytesIO(_report_png(c))))
    assert np.array_equal(decoded, pixels[:, :, :3])
    assert decoded.shape[1] == round(REPORT_WIDTH_IN * REPORT_DPI)
    assert (pixels[:, :, 3] == 255).all()  # opaque: nothing lost by writing RGB
    assert len({tuple(p) for p in decoded[::7, ::7].reshape(-1, 3)}) > 50  # lines, bands, text: a real picture
