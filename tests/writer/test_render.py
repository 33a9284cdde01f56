"""Renderers: Markdown, report JSON (validated against the shipped schema) and HTML with ledger links."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from writer_fixtures import AS_OF

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.models import Event
from cryptodesk.writer.render import report_schema, to_html, to_json, to_markdown
from cryptodesk.writer.story import write_story

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "src" / "cryptodesk" / "schemas" / "report.schema.json"


@pytest.fixture
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def report(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> dict[str, Any]:
    liq = Event(
        "liquidation_imbalance",
        "bitcoin",
        "liquidations",
        AS_OF,
        0.2,
        details={"short_usd": 893.4e6, "long_usd": 438.2e6, "window": "7d"},
    )
    return to_json(write_story(analysis, [*events, liq], calendar, seed=2))


def test_packaged_schema_is_the_file(validator: jsonschema.Draft202012Validator) -> None:
    assert report_schema() == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("liquidations", [False, True])
def test_report_validates(
    validator: jsonschema.Draft202012Validator,
    analysis: Analysis,
    events: list[Event],
    calendar: pl.DataFrame,
    seed: int,
    liquidations: bool,
) -> None:
    doc = to_json(write_story(analysis, events, calendar, seed=seed, liquidations_available=liquidations))
    errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(doc)))]
    assert errors == []


def test_report_spans_and_facts(report: dict[str, Any]) -> None:
    facts = {f["id"]: f for f in report["facts"]}
    texts = [(report["headline"], report["headline_refs"])] + [(p["text"], p["refs"]) for p in report["paragraphs"]]
    seen = 0
    for text, refs in texts:
        for ref in refs:
            assert 0 <= ref["start"] < ref["end"] <= len(text)
            assert facts[ref["fact_id"]]["value"] is not None
            seen += 1
    assert seen > 20
    assert datetime.fromisoformat(report["as_of"]) == AS_OF
    assert report["tz"] == "America/New_York"
    assert report["events"][0]["kind"] == "level_cross"
    missing = [f for f in report["facts"] if f["value"] is None]
    assert {f["id"] for f in missing} == {
        "liquidations.bitcoin.short_usd.7d",
        "liquidations.bitcoin.long_usd.7d",
        "liquidations.bitcoin.net_short_usd.7d",
    }


def _broken(doc: dict[str, Any], path: list[str | int], value: Any, *, delete: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


def _event_index(doc: dict[str, Any], kind: str) -> int:
    return next(i for i, e in enumerate(doc["events"]) if e["kind"] == kind)


@pytest.mark.parametrize(
    ("what", "mutate"),
    [
        (
            "level_cross without level",
            lambda d: _broken(d, ["events", _event_index(d, "level_cross"), "level"], None, delete=True),
        ),
        (
            "level_cross direction sideways",
            lambda d: _broken(d, ["events", _event_index(d, "level_cross"), "direction"], "sideways"),
        ),
        (
            "level_cross last_time_beyond not a date",
            lambda d: _broken(d, ["events", _event_index(d, "level_cross"), "last_time_beyond"], "last autumn"),
        ),
        ("extreme direction up", lambda d: _broken(d, ["events", _event_index(d, "extreme"), "direction"], "up")),
        (
            "extreme without since",
            lambda d: _broken(d, ["events", _event_index(d, "extreme"), "since"], None, delete=True),
        ),
        ("big_move with since", lambda d: _broken(d, ["events", _event_index(d, "big_move"), "since"], "2023-01-01")),
        ("unknown event kind", lambda d: _broken(d, ["events", 0, "kind"], "moon")),
        (
            "missing fact without reason",
            lambda d: _broken(
                d, ["facts", next(i for i, f in enumerate(d["facts"]) if f["value"] is None), "missing_reason"], None
            ),
        ),
        ("known fact with a reason", lambda d: _broken(d, ["facts", 0, "missing_reason"], "because")),
        ("negative span", lambda d: _broken(d, ["paragraphs", 0, "refs", 0, "start"], -1)),
        ("no headline", lambda d: _broken(d, ["headline"], None, delete=True)),
        ("paragraph extra key", lambda d: _broken(d, ["paragraphs", 0, "html"], "<p>")),
    ],
)
def test_schema_rejects(
    validator: jsonschema.Draft202012Validator, report: dict[str, Any], what: str, mutate: Any
) -> None:
    assert validator.is_valid(report)
    assert not validator.is_valid(mutate(report)), what


def test_schema_accepts_never_and_all_time(validator: jsonschema.Draft202012Validator, report: dict[str, Any]) -> None:
    doc = _broken(report, ["events", _event_index(report, "level_cross"), "last_time_beyond"], None)
    doc = _broken(doc, ["events", _event_index(doc, "extreme"), "since"], None)
    assert validator.is_valid(doc)


def test_markdown(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> None:
    story = write_story(analysis, events, calendar)
    md = to_markdown(story)
    blocks = md.rstrip("\n").split("\n\n")
    assert blocks[0] == f"# {story.headline}"
    assert blocks[1:] == [p.text for p in story.paragraphs]


def test_html_links_every_figure_to_its_ledger_row(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame
) -> None:
    story = write_story(analysis, events, calendar)
    page = to_html(story)
    links = re.findall(r'<a class="fact" href="#fact-([^"]+)" data-fact="[^"]+">([^<]+)</a>', page)
    rows = set(re.findall(r'<tr id="fact-([^"]+)"', page))
    n_refs = len(story.headline_refs) + sum(len(p.refs) for p in story.paragraphs)
    assert len(links) == n_refs
    assert {fid for fid, _ in links} <= rows
    assert rows == {f.id for f in story.facts}
    assert 'class="missing"' in page
    assert "Binance USDⓈ-M" in page
    assert "<script" not in page


def test_html_escapes_text() -> None:
    from cryptodesk.analytics.types import MarketState

    market = MarketState(1e12, date(2023, 1, 17), "<b>evil</b>", "index")
    story = write_story(Analysis(datetime(2023, 1, 18, 17, tzinfo=UTC), market, {}), [], pl.DataFrame())
    page = to_html(story)
    assert "<b>evil</b>" not in page
    assert "&lt;b&gt;evil&lt;/b&gt;" in page
