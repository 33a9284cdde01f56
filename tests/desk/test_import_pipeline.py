"""Desk.import_paths parses on a worker thread, one file ahead, and stages each file as it comes.

The result must be what the plain loop gave: every file parsed in order with the registry
taught by the files before it, then one ingest of all their batches. ``ahead`` must keep
order, raise a worker's error in its place and stop its worker when the consumer stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cryptodesk.core.assets import AssetInfo, AssetRegistry
from cryptodesk.core.errors import DeskError, UnknownFormatError
from cryptodesk.core.models import Batch
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk._import import ahead
from cryptodesk.desk.core import _expand
from cryptodesk.sources.base import ParseContext, detect, read_bytes
from cryptodesk.sources.files import builtin_formats
from cryptodesk.store import Store

HATHIX = "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz"
TABLES = ("assets", "candles", "snapshots", "global_metrics", "calendar_events", "liquidations")


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def _plain_loop(paths: list[Path], db: Path) -> None:
    """The import as a plain loop: parse every file in order (teaching the registry), then one ingest."""
    registry = AssetRegistry.builtin()
    formats = builtin_formats()
    batches: list[Batch] = []
    for path, _explicit in _expand(paths):
        data = read_bytes(path)
        try:
            got = detect(formats, data, path).load(data, ParseContext(path, registry))
        except (UnknownFormatError, DeskError):
            continue
        for b in got:
            if b.table == "assets":
                for r in b.frame.iter_rows(named=True):
                    registry.learn(AssetInfo(r["asset_id"], r["symbol"] or "", r["name"] or "", r["kind"] or ""))
        batches.extend(got)
    with Store.open(db) as store:
        store.ingest(batches, kind="import", files=[])


def test_pack_import_equals_the_plain_loop(pack_db: Path, data_pack: Path, tmp_path: Path) -> None:
    reference = tmp_path / "loop.duckdb"
    _plain_loop([data_pack], reference)
    got, want = _tables(pack_db), _tables(reference)
    assert all(want[t] for t in ("assets", "candles", "snapshots", "global_metrics"))
    assert got == want


def test_a_later_import_parses_with_what_the_files_teach_not_the_store(tmp_path: Path, data_pack: Path) -> None:
    """A new desk importing into a filled store parses as a fresh loop would (it learns the store's assets after).

    The hathix file comes fourth, so it is parsed after the store has been opened for the first files.
    """
    listing = data_pack / "fixtures/coinmarketcap_listings_latest_2022-12-16T1807Z.json"
    folder = tmp_path / "second"
    folder.mkdir()
    calendar = (data_pack / "macro_calendar/us_macro_release_dates_2022_2023.csv").read_bytes()
    for name in ("a.csv", "b.csv", "c.csv"):
        (folder / name).write_bytes(calendar)
    (folder / "z_hathix.csv.gz").write_bytes((data_pack / HATHIX).read_bytes())
    db, reference = tmp_path / "desk.duckdb", tmp_path / "loop.duckdb"
    for path in (listing, folder):
        with Desk(load_settings({"db": db}, env={})) as desk:
            assert not desk.import_paths([path]).failed
        _plain_loop([path], reference)
    assert _tables(db) == _tables(reference)


def test_folder_with_bad_and_unknown_files(tmp_path: Path, data_pack: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("daily/coingecko_exports/btc-usd-max.csv", "daily/coingecko_exports/eth-usd-max.csv"):
        (folder / Path(name).name).write_bytes((data_pack / name).read_bytes())
    lines = (data_pack / "daily/coingecko_exports/sol-usd-max.csv").read_text().splitlines()
    lines[40] = lines[40].replace(",", ",12x.5,", 1)
    (folder / "sol-usd-max.csv").write_text("\n".join(lines) + "\n")
    (folder / "notes.txt").write_text("not market data\n")
    db, reference = tmp_path / "desk.duckdb", tmp_path / "loop.duckdb"
    seen: list[tuple[str, int]] = []
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths([folder], progress=lambda name, i, n: seen.append((name, i)))
    assert [f.path.name for f in report.failed] == ["sol-usd-max.csv"]
    assert "line 41" in (report.failed[0].error or "")
    assert [f.path.name for f in report.files if f.skipped] == ["notes.txt"]
    assert [name for name, _ in seen] == [p.name for p, _ in _expand([folder])] + ["storing"]
    _plain_loop([folder], reference)
    assert _tables(db) == _tables(reference)


def test_nothing_to_store_creates_no_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not market data\n")
    db = tmp_path / "never.duckdb"
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths([tmp_path])
    assert report.result is None
    assert not db.exists()


def test_ahead_keeps_order_and_raises_in_place() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("after four")

    got: list[int] = []

    def consume() -> None:
        got.extend(ahead(items()))

    with pytest.raises(ValueError, match="after four"):
        consume()
    assert got == [0, 1, 2, 3, 4]


def test_ahead_stops_its_worker_when_the_consumer_stops() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            time.sleep(0.001)
            yield i

    before = threading.active_count()
    stream = ahead(items(), depth=1)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert threading.active_count() == before
    assert len(produced) < 10  # the worker ran at most a couple of items ahead, then stopped


@pytest.mark.parametrize(("budget", "waiting"), [(25, 2), (10, 1), (5, 1), (1000, 8)])
def test_ahead_keeps_the_waiting_items_within_their_budget(budget: int, waiting: int) -> None:
    """With a weight, at most ``budget`` worth of items wait (at least one), and never more than ``depth``."""
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    stream = ahead(items(), depth=8, weight=lambda _i: 10, budget=budget)
    assert next(stream) == 0
    settled, deadline = -1, time.monotonic() + 10
    while settled != len(produced) and time.monotonic() < deadline:  # the worker fills what it may, then waits
        settled = len(produced)
        time.sleep(0.2)
    # the items in the box, plus the one produced and held back for room
    assert len(produced) - 1 == waiting + 1
    assert list(stream) == list(range(1, 100))
