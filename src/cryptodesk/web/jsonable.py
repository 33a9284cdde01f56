"""Plain JSON conversion for API payloads: dates as ISO strings, NaN and infinities as null."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import polars as pl


def jsonable(value: Any) -> Any:
    """``value`` with dates/datetimes as ISO strings, non-finite floats as None, tuples as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return [jsonable(r) for r in value.to_dicts()]
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON bytes of ``jsonable(value)``."""
    return json.dumps(jsonable(value), separators=(",", ":"), allow_nan=False).encode()
