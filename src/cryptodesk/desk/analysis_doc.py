"""The point-in-time analysis as a stable JSON document (``cryptodesk analytics --format json``).

The document follows ``cryptodesk/schemas/analysis.schema.json``::

    {"as_of": "2023-01-18T17:30:00+00:00", "tz": "America/New_York",
     "market": {"total_market_cap": ..., "changes": {"1d": {"pct": ..., ...}}, ...} | null,
     "assets": [{"asset_id": "bitcoin", "close": ..., "rsi14": ..., ...}, ...]}

Every field of :class:`~cryptodesk.analytics.types.MarketState` and
:class:`~cryptodesk.analytics.types.AssetState` appears under its own name (fractions,
USD, UTC ISO dates and times, as documented there); an unknown value is ``null``,
never NaN. Assets come in the analysis' order (by asset id).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from cryptodesk.analytics.types import Analysis


def plain(value: Any) -> Any:
    """``value`` as JSON data: dataclasses as objects, dates/datetimes ISO, non-finite floats null, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def analysis_doc(analysis: Analysis, *, tz: str) -> dict[str, Any]:
    """The JSON document of ``analysis`` (computed in time zone ``tz``, which bounds the intraday ranges)."""
    return {
        "as_of": analysis.as_of.isoformat(),
        "tz": tz,
        "market": plain(analysis.market),
        "assets": [plain(a) for a in analysis.assets.values()],
    }


@lru_cache(maxsize=1)
def analysis_schema_text() -> str:
    """The JSON Schema of :func:`analysis_doc` (``schemas/analysis.schema.json``)."""
    return resources.files("cryptodesk").joinpath("schemas/analysis.schema.json").read_text(encoding="utf-8")
