"""Fixtures for the writer tests (builders in writer_fixtures.py)."""

from __future__ import annotations

import polars as pl
import pytest
from writer_fixtures import calendar_frame, cross_event, other_events, seed_analysis

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.models import Event


@pytest.fixture
def analysis() -> Analysis:
    """The seed-like analysis."""
    return seed_analysis()


@pytest.fixture
def events() -> list[Event]:
    """The seed-like events, top-ranked first."""
    return [cross_event(), *other_events()]


@pytest.fixture
def calendar() -> pl.DataFrame:
    """The seed-like calendar."""
    return calendar_frame()
