"""Axis ticks (AP style, spaced to fit), the glyph cache against FreeType's own layout, Plotly's time axis."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from matplotlib.font_manager import get_font
from matplotlib.ft2font import LoadFlags

from cryptodesk.analytics.types import Analysis
from cryptodesk.charts import glyphs
from cryptodesk.charts.build import build_chart
from cryptodesk.charts.canvas import Metrics
from cryptodesk.charts.interactive import figure
from cryptodesk.charts.static import day_numbers
from cryptodesk.charts.ticks import DAY_RULES, GAP_PT, _label_days, time_ticks, to_days, value_ticks

from .test_liquidations import ROWS, frames

METRICS = Metrics(130.0)
AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
CLOCK = re.compile(r"^(\d{1,2}(:\d\d)? [ap]\.m\.|noon|midnight)$")


def _width(text: str) -> float:
    return METRICS.width(text, 9.0)


def _apart(ticks: list, lo: float, hi: float, width: float) -> bool:  # type: ignore[type-arg]
    majors = [t for t in ticks if not t.minor]
    pos = [(t.value - lo) * width / (hi - lo) for t in majors]
    sizes = [max(_width(t.label), _width(t.second)) for t in majors]
    return all(b - a >= (sa + sb) / 2 + GAP_PT for a, b, sa, sb in zip(pos, pos[1:], sizes, sizes[1:], strict=False))


@pytest.mark.parametrize("days", [12, 30, 45, 60, 90, 200, 365, 800, 2000])
@pytest.mark.parametrize("width", [380.0, 560.0])
def test_date_ticks_are_the_finest_rule_that_fits(days: int, width: float) -> None:
    end = date(2023, 1, 17)
    lo, hi = to_days(end - timedelta(days=days)), to_days(end)
    got = time_ticks(lo, hi, width_pt=width, label_width=_width)
    first, last = end - timedelta(days=days), end
    reference = []  # every rule tried in order, none skipped
    for _step, rule in DAY_RULES:
        reference = _label_days(list(rule(first, last)), lo, hi)
        if len(reference) <= 1 or _apart(reference, lo, hi, width):
            break
    assert [(t.value, t.label, t.second) for t in got] == [(t.value, t.label, t.second) for t in reference]
    assert _apart(got, lo, hi, width)
    assert len(got) >= 2
    for t in got:
        month = t.label.split(" ")[0]
        assert month in AP_MONTHS  # 'Sept.', never 'Sep'
        shown = datetime(1970, 1, 1) + timedelta(days=t.value)
        assert month == AP_MONTHS[shown.month - 1]
        assert t.label in (month, f"{month} {shown.day}")
        assert t.second in ("", str(shown.year))


def test_month_ticks_put_the_year_under_january_and_the_first_tick() -> None:
    lo, hi = to_days(date(2022, 3, 20)), to_days(date(2023, 3, 10))
    ticks = time_ticks(lo, hi, width_pt=900, label_width=_width)
    years = {t.label: t.second for t in ticks if t.second}
    assert ticks[0].second == "2022"
    assert years.get("Jan.") == "2023"
    assert sum(bool(t.second) for t in ticks) == 2


@pytest.mark.parametrize(("start", "end"), [("07:29", "12:30"), ("00:00", "12:30"), ("09:05", "09:55")])
def test_intraday_ticks_are_clock_hours(start: str, end: str) -> None:
    day = datetime(2023, 1, 18)
    lo = to_days(datetime.combine(day, datetime.strptime(start, "%H:%M").time()))
    hi = to_days(datetime.combine(day, datetime.strptime(end, "%H:%M").time()))
    ticks = time_ticks(lo, hi, width_pt=430, label_width=_width)
    assert ticks or hi - lo < 1 / 24
    for t in ticks:
        moment = datetime(1970, 1, 1) + timedelta(days=t.value)
        assert moment.minute == 0
        assert lo <= t.value <= hi
        hour = f"{moment.hour % 12 or 12} {'a.m.' if moment.hour < 12 else 'p.m.'}"
        expected = {0: "midnight", 12: "noon"}.get(moment.hour, hour)
        assert t.label == expected
    assert _apart(ticks, lo, hi, 430)


@pytest.mark.parametrize(("lo", "hi", "unit"), [(7.2e11, 1.12e12, "usd"), (20_210.0, 22_105.0, "usd"),
                                                 (-0.04, 0.41, "pct"), (0.0, 100.0, "rsi")])  # fmt: skip
def test_value_ticks_are_round_and_exact(lo: float, hi: float, unit: str) -> None:
    ticks = value_ticks(lo, hi, unit, 6)
    values = [t.value for t in ticks]
    assert 3 <= len(values) <= 8
    assert all(lo <= v <= hi for v in values)
    steps = np.diff(values)
    assert np.allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    for t in ticks:
        if unit == "usd":
            number = float(re.sub(r"[^\d.]", "", t.label)) * {"T": 1e12, "B": 1e9, "M": 1e6}.get(t.label[-1], 1)
            assert number == pytest.approx(abs(t.value), rel=1e-9, abs=1e-9)
        elif unit == "pct":
            assert t.label == "0%" or float(t.label.rstrip("%")) == pytest.approx(100 * t.value)
            assert t.label == "0%" or t.label[0] in "+-"


@pytest.mark.parametrize("text", ["Total crypto market capitalization", "$21,157", "Jan. 18, 2023; as of 12:30 p.m.",
                                  "±1σ around 50-day", "AVAWAY To"])  # fmt: skip
@pytest.mark.parametrize(("size", "bold"), [(9.0, False), (14.0, True)])
def test_composed_text_matches_freetype_layout(text: str, size: float, bold: bool) -> None:
    font = get_font(glyphs.FONT_FILES[bold][0])
    font.set_size(size, 130)
    font.set_text(text, 0.0, flags=LoadFlags.DEFAULT)
    font.draw_glyphs_to_bitmap(antialiased=True)
    reference = np.array(font.get_image())  # FreeType's own layout of the whole string
    reference_width = font.get_width_height()[0] / 64
    image, _left, _bottom = glyphs.text_image(text, size, bold=bold, dpi=130.0, color="#000000", rotation=0)
    ink = image[:, :, 3]
    assert abs(ink.shape[1] - reference.shape[1]) <= 2 + 0.01 * reference.shape[1]
    assert abs(ink.shape[0] - reference.shape[0]) <= 1
    assert abs(int(ink.sum()) - int(reference.sum())) <= 0.05 * int(reference.sum())  # the same amount of ink
    width, up, down = glyphs.metrics(text, size, bold, 130.0)
    assert abs(width - reference_width) <= 2 + 0.01 * width
    assert up > 0
    assert down >= 0


def test_glyphs_missing_from_dejavu_come_from_stix() -> None:
    assert get_font(glyphs.FONT_FILES[False][0]).get_char_index(ord("Ⓢ")) == 0  # DejaVu Sans has no circled S
    assert glyphs.font_file("Ⓢ", False).endswith("STIXGeneral.ttf")
    assert glyphs.font_file("S", False).endswith("DejaVuSans.ttf")
    circled = glyphs.glyph("Ⓢ", 9.0, False, 130.0)  # no "Glyph missing from font(s)" warning (an error here)
    unknown = glyphs.glyph("\ufffe", 9.0, False, 130.0)  # no bundled font has it: drawn as the replacement mark
    assert circled.image.sum() > 0
    assert np.array_equal(unknown.image, glyphs.glyph("\ufffd", 9.0, False, 130.0).image)
    assert not np.array_equal(circled.image, unknown.image)
    assert glyphs.missing("Binance USDⓈ-M futures", False)
    assert not glyphs.missing("Binance USD-M futures", False)


def test_plotly_time_axis_is_ap_style_on_long_and_short_windows() -> None:
    for days in (3, 10):
        c = build_chart("liquidations", frames(ROWS), Analysis(datetime(2023, 1, 18, 17, 30, tzinfo=UTC), None),
                        tz="America/New_York", window_days=days)  # fmt: skip
        axis = figure(c).layout.xaxis
        assert axis.tickmode == "array"
        labels = list(axis.ticktext)
        assert len(labels) >= 2
        for label, value in zip(labels, axis.tickvals, strict=True):
            first = label.split("<br>")[0]
            assert first.split(" ")[0] in AP_MONTHS, label
            assert first in (AP_MONTHS[value.month - 1], f"{AP_MONTHS[value.month - 1]} {value.day}")
        assert all("AM" not in t and "PM" not in t for t in labels)


@pytest.mark.parametrize("size", [9.0, 7.5, 14.0])
@pytest.mark.parametrize("dpi", [100.0, 130.0])
def test_glyph_ink_starts_at_freetype_bearing(size: float, dpi: float) -> None:
    font = get_font(glyphs.FONT_FILES[False][0])
    for char in "$lTj3%(":
        g = glyphs.glyph(char, size, False, dpi)
        font.set_size(size, dpi)
        bearing = font.load_char(ord(char), LoadFlags.DEFAULT).horiBearingX / 64  # FreeType's own metric
        first_ink = int(np.flatnonzero(g.image.max(axis=0))[0])
        assert g.left + first_ink == math.floor(bearing), char  # no pixel of drift against the pen


def test_day_numbers_equal_to_days_of_each_value() -> None:
    days = tuple(date(2021, 12, 25) + timedelta(days=i * 37) for i in range(20))
    moments = tuple(datetime(2023, 1, 17, 7, 29) + timedelta(minutes=i * 61, microseconds=i) for i in range(50))
    for xs in (days, moments):
        got = day_numbers(xs)
        assert got.tolist() == [to_days(x) for x in xs]  # numpy's conversion equals the per-value reference
    assert day_numbers(()).size == 0
    with pytest.raises(TypeError, match="date or datetime"):
        day_numbers((1.5,))  # type: ignore[arg-type]
