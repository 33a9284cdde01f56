"""Any text, however odd, gives claims whose spans are exact and a valid JSON/HTML result, never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptodesk.check.render import to_html
from cryptodesk.check.run import check_frames
from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.frames import MarketFrames

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "src/cryptodesk/schemas/check.schema.json").read_text(encoding="utf-8")
)
TOKENS = st.sampled_from([
    "Bitcoin", "ether", "BTC-USD", "SOL", "the total market cap", "rose", "fell", "above", "below", "about",
    "more than", "as high as", "just below", "$", "%", "0", "20", "21,501", "99999999999999999999999", "1.5",
    "trillion", "billion", "on", "Wednesday", "last Thursday", "morning", "9:15 a.m. ET", "25:99 p.m.",
    "November 9", "February 30", "early November", "since this date", "first time since", "one week ago",
    "the last 0 days", "the last 99999999999 years", "so far this year", "a year ago", ".", ",", "\n", "against",
    "from its record high", "lost", "volumes pick up", "50-day moving average", "liquidated", "net", "in 1900",
    "2023-02-30", "$0", "-5%", "S&P 500", "ä", "比特币",
])  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(TOKENS, max_size=40).map(" ".join) | st.text(max_size=200))
def test_any_text_is_checked_without_error(text: str) -> None:
    result = check_frames(text, MarketFrames.empty(AS_OF), tz="America/New_York", registry=AssetRegistry.builtin())
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    jsonschema.validate(doc, SCHEMA)
    assert "<script" not in to_html(result).lower()
    for c in result.claims:
        assert text[c.claim.start : c.claim.end] == c.claim.text
        assert c.verdict in {"unverifiable: no data", "unverifiable: ambiguous"}  # empty frames prove nothing
    assert result.claims or result.message
