"""House language over many generated stories: no raw floats, doubled words, unitless numbers or repeats.

Stories: the desk logs of November 2022 and January 2023 (61 consecutive days)
plus runs of consecutive days across 2021-2024. Set CRYPTODESK_STYLE_FULL=1 to
check every day of 2021-2024 instead of the sample (about 12 minutes).
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import date, time, timedelta

import pytest

from cryptodesk.desk import Desk
from cryptodesk.desk.desklog import DeskLog, daily_snapshots

from . import language as lang
from .conftest import TZ

RUN_STARTS = [date(y, m, 3) for y in range(2021, 2025) for m in (3, 9)]
RUN_DAYS = 3


def _texts(story: dict[str, object]) -> list[str]:
    return [str(story["headline"]), *(str(p["text"]) for p in story["paragraphs"])]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def runs(pack_logs: dict[str, DeskLog], session_desk: Desk) -> list[list[list[str]]]:
    """Runs of consecutive days; each day is [headline, paragraph, ...]."""
    out: list[list[list[str]]] = []
    for log in pack_logs.values():
        out.append([_texts(json.loads((log.out_dir / f"{e.day}.json").read_text("utf-8"))) for e in log.entries])
    spans = (
        [(date(2021, 1, 1), date(2024, 12, 31))]
        if os.environ.get("CRYPTODESK_STYLE_FULL") == "1"
        else [(s, s + timedelta(days=RUN_DAYS - 1)) for s in RUN_STARTS]
    )
    for start, end in spans:
        snaps = daily_snapshots(session_desk, start, end, at=time(12, 30), tz=TZ, seed=0)
        out.append([[s.story.headline, *(p.text for p in s.story.paragraphs)] for _d, s in snaps])
    return out


def test_enough_stories(runs: list[list[list[str]]]) -> None:
    assert sum(len(r) for r in runs) >= 80


@pytest.mark.parametrize(
    "check", [lang.raw_floats, lang.doubled_words, lang.unitless_numbers], ids=["raw-floats", "doubled", "units"]
)
def test_no_banned_patterns(runs: list[list[list[str]]], check: object) -> None:
    found = [hit for run in runs for day in run for text in day for hit in check(text)]  # type: ignore[operator]
    assert not found, found[:10]


def test_no_sentence_repeats_on_consecutive_days(runs: list[list[list[str]]]) -> None:
    found = []
    for run in runs:
        for before, after in itertools.pairwise(run):
            found += lang.repeated_sentences(before[1:], after[1:])
    assert not found, sorted(set(found))[:10]
