"""Fixtures of the benchmark guards: tiny generated datasets in a temporary folder (never bench/data)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import generate  # noqa: E402

TINY = generate.DailySpec("T", assets=30, years=2, seed=11)
TINY_I = generate.IntradaySpec("TI", pairs=2, days=3, seed=12)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the tiny daily dataset T and intraday dataset TI, as the generator writes them."""
    root = tmp_path_factory.mktemp("benchdata")
    generate.write_daily(TINY, root)
    generate.write_intraday(TINY_I, root)
    return root
