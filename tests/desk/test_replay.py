"""A replay gives, at every moment, exactly what the desk's direct path gives there.

Direct path: ``Desk.frames`` + ``analyze`` + ``detect`` (a store query and a full recomputation per moment).
Replay: one timeline, histories, prefixes. Checked on the data pack (November 2022, January 2023 and moments
across 2021-2023, at several times of day) and on a store whose sources arrive hours apart (unsettled moments).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal
from tests.analytics.test_panel import close_enough
from tests.store.synth import staggered_store

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.replay import Moment, gc_paused, replay, replay_events
from cryptodesk.events.base import DetectParams, detect
from cryptodesk.store.db import Store

FRAME_NAMES = ("daily", "intraday", "points", "global_daily", "global_points", "calendar", "liquidations", "coverage")
NY = "America/New_York"


def _moments(start: date, days: int, at: time = time(17, 30)) -> list[datetime]:
    return [datetime.combine(start + timedelta(days=d), at, tzinfo=UTC) for d in range(days)]


def _direct(desk: Desk, moment: datetime, tz: str) -> tuple[MarketFrames, Analysis, list[Event]]:
    frames = desk.frames(moment)
    analysis = analyze(frames, tz=tz)
    return frames, analysis, detect(frames, analysis, registry=desk.hub.detectors)


def _same_moment(got: Moment, desk: Desk, tz: str) -> None:
    frames, analysis, events = _direct(desk, got.as_of, tz)
    for name in (*FRAME_NAMES, "assets"):
        assert_frame_equal(getattr(got.frames, name), getattr(frames, name), check_exact=True)
    if got.complete:
        assert close_enough(got.analysis, analysis), got.as_of
    else:
        assert got.analysis.market is None
        assert close_enough(got.analysis.assets.keys(), analysis.assets.keys())
    assert len(got.events) == len(events), got.as_of
    assert close_enough(got.events, events), got.as_of


PERIODS = [
    pytest.param(_moments(date(2022, 11, 1), 30), id="nov-2022"),
    pytest.param(_moments(date(2023, 1, 1), 31, time(12, 0)), id="jan-2023-noon"),
    pytest.param(
        [
            datetime(2021, 5, 19, 20, tzinfo=UTC),
            datetime(2021, 11, 10, 3, tzinfo=UTC),
            datetime(2022, 6, 18, tzinfo=UTC),
            datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
        ],
        id="across-years",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("moments", PERIODS)
@pytest.mark.parametrize("complete", [True, False])
def test_replay_equals_the_direct_path_on_the_pack(pack_desk: Desk, moments: list[datetime], complete: bool) -> None:
    got = list(replay(pack_desk, moments, tz=NY, complete=complete))
    assert [m.as_of for m in got] == moments
    assert all(m.replayed for m in got)  # the pack's sources arrive together: every moment is settled
    assert sum(len(m.events) for m in got) > len(moments)  # something to compare
    for m in got:
        _same_moment(m, pack_desk, NY)


@pytest.fixture
def staggered_desk(tmp_path: Path) -> Iterator[Desk]:
    staggered_store(tmp_path / "s.duckdb").close()
    with Desk(load_settings({"db": tmp_path / "s.duckdb"}, env={})) as desk:
        yield desk


def test_replay_falls_back_where_sources_replaced_rows(staggered_desk: Desk) -> None:
    moments = [datetime(2023, 1, 3, tzinfo=UTC) + timedelta(hours=5 * h) for h in range(150)]
    got = list(replay(staggered_desk, moments, tz="UTC"))
    assert {m.replayed for m in got} == {True, False}
    for m in got:
        _same_moment(m, staggered_desk, "UTC")


def test_a_plugin_detector_gets_complete_analyses(pack_desk: Desk) -> None:
    """A detector that does not declare what it reads receives the full analysis, intraday parts included."""
    seen: list[Analysis] = []

    def reads_everything(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
        seen.append(analysis)
        return []

    pack_desk.hub.detectors.register("reads_everything", reads_everything)
    try:
        moments = _moments(date(2023, 1, 16), 3)
        got = list(replay(pack_desk, moments, tz=NY, complete=False))  # the plugin's needs override complete=False
        assert all(m.complete for m in got)
        assert [a.market is not None for a in seen] == [True, True, True]
        for m in got:
            _same_moment(m, pack_desk, NY)
    finally:
        pack_desk.hub.detectors.unregister("reads_everything")


def test_replay_rejects_unordered_moments(pack_desk: Desk) -> None:
    from cryptodesk.core.errors import ConfigError

    moments = _moments(date(2023, 1, 16), 3)
    with pytest.raises(ConfigError, match="increasing"):
        list(replay(pack_desk, moments[::-1]))


@pytest.mark.slow
@pytest.mark.parametrize("moments", PERIODS[:1] + PERIODS[2:])
def test_replay_events_equal_the_direct_path(pack_desk: Desk, moments: list[datetime]) -> None:
    got = list(replay_events(pack_desk, moments, tz=NY))
    assert [m for m, _ in got] == moments
    for moment, events in got:
        want = _direct(pack_desk, moment, NY)[2]
        assert close_enough(events, want), moment
    kinds = {e.kind for _, events in got for e in events}
    assert {"sma_extension", "level_cross", "extreme"} <= kinds  # the replay forms are exercised


def test_replay_events_at_unsettled_moments(staggered_desk: Desk) -> None:
    moments = [datetime(2023, 1, 3, tzinfo=UTC) + timedelta(hours=7 * h) for h in range(100)]
    for moment, events in replay_events(staggered_desk, moments, tz="UTC"):
        assert close_enough(events, _direct(staggered_desk, moment, "UTC")[2]), moment


@pytest.mark.slow
def test_desk_moments_one_at_a_time_equal_the_direct_path(pack_desk: Desk) -> None:
    """Desk.moment (report, dashboard) keeps one timeline for a day; minutes later, the next day, an earlier day."""
    base = datetime(2023, 1, 18, 14, 0, tzinfo=UTC)
    moments = [base + timedelta(minutes=m) for m in (0, 5, 21, 150, 200)]
    moments += [base + timedelta(days=1, hours=3), datetime(2022, 11, 9, 17, 30, tzinfo=UTC), base]
    for moment in moments:
        _same_moment(pack_desk.moment(moment, tz=NY), pack_desk, NY)


def test_a_new_desk_keeps_its_first_moment_for_the_timeline(pack_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk whose store is not open yet: the first moment opens it and is still the start of the day's timeline
    (the second moment reads the timeline, the third reads nothing), with the direct path's results."""
    calls: list[str] = []
    for name in ("frames", "timeline"):
        real = getattr(Store, name)

        def spy(self: Store, *args: object, _real: Any = real, _name: str = name, **kwargs: object) -> Any:
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, spy)
    base = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    seen: list[list[str]] = []
    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        for minutes in (0, 5, 10):
            calls.clear()
            got = desk.moment(base + timedelta(minutes=minutes), tz="UTC")
            seen.append(list(calls))
            _same_moment(got, desk, "UTC")
    assert seen == [["frames"], ["timeline"], []]


def test_a_write_through_the_desk_drops_its_timeline(staggered_desk: Desk, tmp_path: Path) -> None:
    """New closes for an asset the cached timeline holds must show at once (the universe does not change)."""
    moment = datetime(2023, 1, 20, 12, tzinfo=UTC)
    staggered_desk.store(write=True)  # the desk reads and writes through one connection from here on
    before = staggered_desk.moment(moment, tz="UTC")
    eth = before.analysis.assets["ethereum"]
    stamps = sorted(moment.date() - timedelta(days=d) for d in range(11))  # a snapshot at D 00:00 closes D-1
    rows = [f"{d.isoformat()} 00:00:00 UTC,{500 + i},{1e9 + i},{1e6}" for i, d in enumerate(stamps)]
    csv = tmp_path / "eth-usd-max.csv"  # a CoinGecko export (the asset from the file name), same source and times
    csv.write_text("snapped_at,price,market_cap,total_volume\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = staggered_desk.import_paths([csv])
    assert not report.failed, [f.error for f in report.failed]
    assert report.result is not None
    assert report.result.updated > 0
    after = staggered_desk.moment(moment, tz="UTC")
    assert after.analysis.assets["ethereum"].close != eth.close
    _same_moment(after, staggered_desk, "UTC")


def test_replay_events_in_processes_equal_one_process(pack_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long replay split over processes (each a consecutive part, its own read-only desk) finds the same events."""
    import cryptodesk.desk.replay as replay_module

    moments = _moments(date(2022, 11, 5), 12)
    one = list(replay_events(pack_desk, moments, tz=NY, workers=1))
    monkeypatch.setattr(replay_module, "PARALLEL_MOMENTS", 4)
    two = list(replay_events(pack_desk, moments, tz=NY, workers=2))
    assert [m for m, _ in two] == moments
    assert close_enough([e for _, e in two], [e for _, e in one])
    assert sum(len(e) for _, e in two) > 0


def test_replay_events_stay_in_process_with_detectors_added_at_run_time(
    pack_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A detector registered at run time would be missing from a new process's desk: no worker processes then."""
    import cryptodesk.desk.replay as replay_module

    def never(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
        return []

    monkeypatch.setattr(replay_module, "PARALLEL_MOMENTS", 2)
    monkeypatch.setattr(replay_module, "_in_processes", lambda *a: pytest.fail("must not spawn"))
    pack_desk.hub.detectors.register("never", never, complete=False)
    try:
        assert len(list(replay_events(pack_desk, _moments(date(2022, 11, 5), 3), tz=NY, workers=2))) == 3
    finally:
        pack_desk.hub.detectors.unregister("never")


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_gives_the_collector_back_as_it_was(enabled: bool) -> None:
    """The collector is off inside (nested too, and when the block raises) and as it was after."""
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("inside")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
