"""validate_batch: every batch a format returns has its keys filled and its prices finite and >= 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import TABLES, Batch
from cryptodesk.sources.base import validate_batch

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _candles(n: int, **overrides: list[float | None]) -> Batch:
    cols: dict[str, object] = {
        "venue": ["spot"] * n,
        "asset_id": ["bitcoin"] * n,
        "interval": ["1d"] * n,
        "open_time": [T0 + timedelta(days=i) for i in range(n)],
        **{c: [100.0 + i for i in range(n)] for c in ("open", "high", "low", "close")},
    }
    cols.update(overrides)
    return Batch("candles", pl.DataFrame(cols))


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
@pytest.mark.parametrize(("bad", "row"), [(-0.5, 3), (float("nan"), 5), (float("inf"), 1), (-float("inf"), 7)])
def test_a_bad_price_names_its_row_and_column(column: str, bad: float, row: int) -> None:
    values: list[float | None] = [100.0 + i for i in range(8)]
    values[row] = bad
    with pytest.raises(ParseError, match=rf"row {row + 1}: {column} must be a finite number >= 0") as e:
        validate_batch(_candles(8, **{column: values}), Path("x.csv"), "yahoo")
    assert column in str(e.value)


def test_nulls_zero_and_negative_zero_are_accepted() -> None:
    values: list[float | None] = [None, 0.0, -0.0, 5.0]
    got = validate_batch(_candles(4, close=values, open=[None] * 4), Path("x.csv"), "yahoo")
    assert got.frame.get_column("close").to_list() == values
    assert got.frame.schema == pl.Schema(TABLES["candles"].columns)
    assert set(got.frame.get_column("source")) == {"yahoo"}


def test_a_snapshot_price_is_checked_too() -> None:
    frame = pl.DataFrame({"asset_id": ["a", "b"], "ts": [T0, T0], "price": [1.0, -2.0]})
    with pytest.raises(ParseError, match="row 2: price must be a finite number >= 0"):
        validate_batch(Batch("snapshots", frame), Path("x.csv"), "coingecko")
