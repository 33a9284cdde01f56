"""The facts ledger: recording, missing facts, rendering forms and fact-bound lines."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from cryptodesk.writer.ledger import FORMS, Ledger, Line, Ref, compose, render

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(AS_OF, "America/New_York")


def test_add_is_idempotent_and_conflicts_are_refused(ledger: Ledger) -> None:
    a = ledger.add("bitcoin.change.7d", subject="bitcoin", metric="change", value=0.2134, unit="pct", window="7d")
    b = ledger.add("bitcoin.change.7d", subject="bitcoin", metric="change", value=0.2134, unit="pct", window="7d")
    assert a == b == "bitcoin.change.7d"
    assert len(ledger.facts) == 1
    with pytest.raises(ValueError, match=r"bitcoin\.change\.7d.*different"):
        ledger.add("bitcoin.change.7d", subject="bitcoin", metric="change", value=0.3, unit="pct", window="7d")


def test_bad_values_and_units_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="finite"):
        ledger.add("x", subject="s", metric="m", value=math.nan, unit="usd")
    with pytest.raises(ValueError, match="unknown unit 'furlongs'"):
        ledger.add("x", subject="s", metric="m", value=1.0, unit="furlongs")
    with pytest.raises(ValueError, match="aware"):
        Ledger(datetime(2023, 1, 18), "UTC")


def test_missing_fact_is_recorded_but_never_rendered(ledger: Ledger) -> None:
    fid = ledger.add_missing(
        "liquidations.bitcoin.short_usd.7d",
        subject="bitcoin",
        metric="short_usd",
        unit="usd",
        reason="no liquidation data",
    )
    fact = ledger.fact(fid)
    assert fact.value is None
    assert fact.missing_reason == "no liquidation data"
    assert ledger.try_ref(fid) is None
    with pytest.raises(ValueError, match="missing"):
        ledger.ref(fid)
    with pytest.raises(ValueError, match="missing"):
        ledger.first_ref(fid, ("more_than",))


def test_unknown_fact_and_form(ledger: Ledger) -> None:
    with pytest.raises(KeyError, match="nope"):
        ledger.ref("nope")
    fid = ledger.add("p", subject="s", metric="m", value=0.1, unit="pct")
    with pytest.raises(ValueError, match="no form 'clock'"):
        ledger.ref(fid, "clock")


@pytest.mark.parametrize(
    ("unit", "value", "form", "text"),
    [
        ("usd", 21559.4, "exact", "$21,559"),
        ("usd", 1598.0, "just_below", "just below $1,600"),
        ("usd", 20939.4, "about", "about $21,000"),
        ("usd", 893.4e6, "more_than", "more than $850 million"),
        ("pct", 0.2134, "exact", "21.3%"),
        ("pct", 0.2134, "whole", "21%"),
        ("pct", 0.2134, "more_than", "more than 20%"),
        ("pct", -0.4921, "about", "about 50%"),
        ("pct", 0.2791, "roughly", "roughly 30%"),
        ("date", date(2022, 11, 8), "month_day", "Nov. 8"),
        ("date", date(2022, 11, 8), "month_part", "early November"),
        ("date", date(2023, 1, 12), "possessive", "last Thursday's"),
        ("date", date(2023, 1, 17), "on_day", "on Tuesday"),
        ("datetime", datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "clock", "9:15 a.m. ET"),
        ("datetime", datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "day_part", "Wednesday morning"),
        ("datetime", datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "on_day_part", "on Wednesday morning"),
        ("datetime", datetime(2023, 1, 13, 20, 0, tzinfo=UTC), "on_day_part", "last Friday afternoon"),
        ("datetime", datetime(2022, 11, 8, 15, 0, tzinfo=UTC), "on_day_part", "on the morning of Nov. 8"),
        ("datetime", datetime(2023, 1, 19, 3, 0, tzinfo=UTC), "day", "Wednesday"),
        ("days", 50, "adj", "50-day"),
        ("days", 7, "count", "seven days"),
        ("count", 16, "exact", "16"),
        ("sigma", 2.61, "exact", "2.6 standard deviations"),
        ("ratio", 1.99, "times", "twice"),
    ],
)
def test_render_forms(ledger: Ledger, unit: str, value: float | date, form: str, text: str) -> None:
    fid = ledger.add(f"f.{unit}.{form}", subject="s", metric="m", value=value, unit=unit)
    assert form in FORMS[unit]
    ref = ledger.ref(fid, form)
    assert ref == Ref(fid, form, text)
    assert render(ledger.fact(fid), form, "America/New_York") == text


def test_untrue_form_falls_back(ledger: Ledger) -> None:
    fid = ledger.add("tiny", subject="s", metric="m", value=0.004, unit="pct")
    assert ledger.try_ref(fid, "more_than") is None
    assert ledger.first_ref(fid, ("more_than", "about")).text == "0.4%"


def test_fact_values_are_stored_as_json_scalars(ledger: Ledger) -> None:
    ledger.add("d", subject="s", metric="m", value=date(2022, 11, 9), unit="date")
    ledger.add("t", subject="s", metric="m", value=datetime(2023, 1, 18, 14, 15, tzinfo=UTC), unit="datetime")
    ledger.add("n", subject="s", metric="m", value=16, unit="count")
    values = {f.id: f.value for f in ledger.facts}
    assert values == {"d": "2022-11-09", "t": "2023-01-18T14:15:00+00:00", "n": 16.0}
    assert all(f.as_of == AS_OF for f in ledger.facts)


def test_line_spans_point_at_the_rendered_text(ledger: Ledger) -> None:
    hi = ledger.add("h", subject="s", metric="m", value=21559.4, unit="usd")
    t = ledger.add("t", subject="s", metric="m", value=datetime(2023, 1, 18, 14, 15, tzinfo=UTC), unit="datetime")
    line = Line.join(
        [compose("Bitcoin hit {hi} at {t}", hi=ledger.ref(hi), t=ledger.ref(t, "clock")), ["Then it fell."]]
    )
    assert line.text == "Bitcoin hit $21,559 at 9:15 a.m. ET Then it fell."
    spans = line.refs
    assert [(s.fact_id, line.text[s.start : s.end]) for s in spans] == [("h", "$21,559"), ("t", "9:15 a.m. ET")]


def test_compose_rejects_unknown_fields_and_specs() -> None:
    with pytest.raises(KeyError, match="needs"):
        compose("{a} and {b}", a="x")
    with pytest.raises(ValueError, match="format specs"):
        compose("{a:>5}", a="x")
