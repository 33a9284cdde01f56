"""The store's fast ingest paths leave exactly what the reference ingest leaves.

Random call sequences (several seeds) mix new keys, stored keys, keys repeated inside a
call (in one batch and across batches, identical or not), values that differ, values
within the float tolerance, nulls, empty batches and re-imports. Each call goes through
``Store.ingest`` in one store and through ``reference_ingest`` (the original whole-call
upsert) in another: per-table counts, every canonical table (run ids included), the
conflict log and the run log must be identical. This covers the direct append (an empty
candles/snapshots table), the staged path (stored rows, indexed tables), the merge of
repeated keys, and, with a degenerate key hash, the exact re-check behind every hash.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from cryptodesk.core.models import TABLES, Batch
from cryptodesk.store import Store, _prepare, _staging

from .reference_ingest import reference_ingest
from .synth import batch, candle, global_row, snap, utc

ROOT = Path(__file__).resolve().parents[2]

ASSETS = ("bitcoin", "ethereum", "solana", "ripple", "cardano")
DAY0 = utc(2023, 3, 1)


def _value(rng: random.Random, base: float) -> float | None:
    """The base value, a float-noise copy, a different value or nothing."""
    roll = rng.random()
    if roll < 0.55:
        return base
    if roll < 0.7:
        return base * (1 + 3e-12)  # within the 1e-9 tolerance: the same value
    if roll < 0.9:
        return base * (1 + rng.choice((0.01, -0.02, 0.5)))
    return None


def _snapshots(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    source = rng.choice(("coingecko", "coingecko", "cmc", "mixed"))  # mixed: the source is not one value per batch
    for _ in range(n):
        a, d = rng.randrange(len(ASSETS)), rng.randrange(8)
        base = 100.0 * (a + 1) + d
        src = rng.choice(("coingecko", "cmc")) if source == "mixed" else source
        row = snap(ASSETS[a], DAY0 + timedelta(days=d), _value(rng, base) or base, source=src)
        row["market_cap"] = _value(rng, base * 1e7)
        if rng.random() < 0.3:
            row["rank"] = rng.choice((a + 1, a + 2))
        rows.append(row)
    return rows


def _candles(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    asset = rng.choice(ASSETS[:3])
    for _ in range(n):
        m = rng.randrange(12)
        base = 50.0 + m
        row = candle(asset, DAY0 + timedelta(minutes=m), base, source="binance", interval="1m", venue="binance-spot")
        row["close"] = _value(rng, base) or base
        row["volume"] = _value(rng, 10.0 + m)
        row["trades"] = rng.choice((None, m, m + 1))
        rows.append(row)
    return rows


def _globals(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        d = rng.randrange(6)
        row = global_row(DAY0 + timedelta(days=d), 1e12 + d * 1e9)
        row["total_volume"] = _value(rng, 5e10 + d)
        rows.append(row)
    return rows


def _assets(rng: random.Random, n: int) -> list[dict[str, Any]]:
    src = rng.choice(("coingecko", "cmc"))
    return [
        {"asset_id": a, "symbol": rng.choice((a[:3].upper(), None, a[:2].upper())), "name": a.title(), "source": src}
        for a in rng.sample(ASSETS, n)
    ]


MAKERS = {"snapshots": _snapshots, "candles": _candles, "global_metrics": _globals, "assets": _assets}


def _call(rng: random.Random, previous: list[list[Batch]]) -> list[Batch]:
    """One call's batches: fresh random batches, sometimes an earlier call again or a batch twice."""
    if previous and rng.random() < 0.2:
        return rng.choice(previous)  # a re-import
    out: list[Batch] = []
    tables = [t for t in MAKERS for _ in range(rng.choice((0, 1, 1, 2)))]
    rng.shuffle(tables)
    for table in tables:
        rows = MAKERS[table](rng, rng.randint(1, 5) if table == "assets" else rng.randint(0, 24))
        out.append(batch(table, rows) if rows else Batch(table, TABLES[table].empty()))
        if rng.random() < 0.2:
            out.append(out[-1])  # the same file twice in one call
    return out


def _state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table, the conflict log (without its clock) and the run log (without its clock)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in TABLES}
        out["conflicts"] = con.execute(
            "SELECT run_id, table_name, CAST(key AS VARCHAR), column_name, old_value, new_value, old_run_id"
            " FROM conflicts ORDER BY ALL"
        ).fetchall()
        out["import_runs"] = con.execute(
            "SELECT run_id, kind, status, CAST(detail AS VARCHAR) FROM import_runs ORDER BY run_id"
        ).fetchall()
        return out
    finally:
        con.close()


def _compare(tmp_path: Path, calls: list[list[Batch]]) -> dict[str, list[tuple[Any, ...]]]:
    fast_path, ref_path = tmp_path / "fast.duckdb", tmp_path / "reference.duckdb"
    with Store.open(fast_path) as fast, Store.open(ref_path) as ref:
        for i, call in enumerate(calls):
            got = fast.ingest(call, kind="import", files=[])
            want = reference_ingest(ref.con, call, "import")
            assert got.tables == want, f"call {i}: counts differ"
    fast_state, ref_state = _state(fast_path), _state(ref_path)
    for name, rows in ref_state.items():
        assert fast_state[name] == rows, f"{name} differs"
    return ref_state


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_calls_match_the_reference(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    calls: list[list[Batch]] = []
    for _ in range(8):
        calls.append(_call(rng, calls))
    state = _compare(tmp_path, calls)
    # the scenario exercised what it is meant to: merges inside calls, conflicts of both kinds, updates
    assert any(r[6] is None for r in state["conflicts"]), "no within-call conflict"
    assert any(r[6] is not None for r in state["conflicts"]), "no conflict with the store"
    assert state["snapshots"]
    assert state["candles"]
    assert state["global_metrics"]


def test_first_call_with_repeated_keys_matches_the_reference(tmp_path: Path) -> None:
    """Empty unindexed tables take the direct append; repeated keys in that first call are merged afterwards."""
    rng = random.Random(11)
    snaps = _snapshots(rng, 30)
    candles = _candles(rng, 25)
    first = [
        batch("snapshots", snaps),
        batch("candles", candles),
        batch("snapshots", snaps[5:20]),
        batch("candles", candles[::-1]),
    ]
    state = _compare(tmp_path, [first, first, [batch("snapshots", snaps[:3])]])
    assert any(r[6] is None and r[1] == "candles" for r in state["conflicts"])


def test_degenerate_key_hash_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row hashing alike sends every row down the exact merge: results stay the reference's."""
    monkeypatch.setattr(
        _prepare, "key_hash", lambda frame, key, constants: pl.repeat(7, frame.height, dtype=pl.UInt64, eager=True)
    )
    rng = random.Random(5)
    calls: list[list[Batch]] = []
    for _ in range(5):
        calls.append(_call(rng, calls))
    _compare(tmp_path, calls)


def test_session_fed_file_by_file_equals_one_ingest(tmp_path: Path) -> None:
    """Batches added one at a time to an ingest session give what one ingest of all of them gives."""
    rng = random.Random(21)
    calls = [_call(rng, []) for _ in range(3)]
    whole, parts = tmp_path / "whole.duckdb", tmp_path / "parts.duckdb"
    with Store.open(whole) as a, Store.open(parts) as b:
        for call in calls:
            one = a.ingest(call, kind="import", files=[])
            with b.ingest_session(kind="import") as session:
                for piece in call:
                    session.add([piece])
                split = session.commit([])
            assert split.tables == one.tables
    assert _state(whole) == _state(parts)


def test_leaving_a_session_without_commit_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest([batch("snapshots", [snap("bitcoin", DAY0, 1.0)])], kind="import", files=[])
    before = _state(path)
    with Store.open(path) as store:
        settings = "SELECT current_setting('threads'), current_setting('memory_limit')"
        before_settings = store.con.execute(settings).fetchall()
        with store.ingest_session(kind="import") as session:
            session.add(
                [batch("snapshots", [snap("bitcoin", DAY0, 2.0)]), batch("candles", _candles(random.Random(1), 5))]
            )

        def fail_mid_session() -> None:
            with store.ingest_session(kind="import") as session:
                session.add([batch("candles", _candles(random.Random(2), 5))])
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_mid_session()
        # the session's thread and memory settings are given back whatever happened
        assert store.con.execute(settings).fetchall() == before_settings
        again = store.ingest([batch("snapshots", [snap("bitcoin", DAY0, 1.0)])], kind="import", files=[])
        assert store.con.execute(settings).fetchall() == before_settings
    assert again.run_id == 2
    after = _state(path)
    assert {k: v for k, v in after.items() if k != "import_runs"} == {
        k: v for k, v in before.items() if k != "import_runs"
    }


def _large_snapshots(rows: int, *, first: int = 0) -> pl.DataFrame:
    """``rows`` snapshot rows of 1,000 assets, day after day from day ``first // 1000``, in chunks of a row group
    (as a Parquet file's row groups arrive)."""
    assets = [f"coin{i:04d}" for i in range(1000)]
    frame = pl.DataFrame(
        {
            "source": ["coingecko"] * rows,
            "asset_id": [assets[i % 1000] for i in range(first, first + rows)],
            "ts": [DAY0 + timedelta(days=i // 1000) for i in range(first, first + rows)],
            "price": [1.0 + i for i in range(first, first + rows)],
            "market_cap": [1e6 + i for i in range(first, first + rows)],
        }
    )
    size = _prepare.ROW_GROUP_ROWS
    return pl.concat([TABLES["snapshots"].conform(frame.slice(i, size)) for i in range(0, rows, size)], rechunk=False)


def _changed(frame: pl.DataFrame, factor: float) -> pl.DataFrame:
    """``frame`` with other prices and market caps."""
    return frame.with_columns(pl.col("price") * factor, pl.col("market_cap") * factor)


@pytest.mark.parametrize(("repeats_inside", "distinct"), [(False, False), (True, False), (False, True)])
def test_a_large_batch_appended_on_every_thread_keeps_call_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repeats_inside: bool, distinct: bool
) -> None:
    """Batches large enough for a parallel append into an empty table (``_prepare.PARALLEL_APPEND_ROW_GROUPS``, one
    row group per thread here) merge their repeated keys in call order, as the reference ingest does: a large batch
    with no key twice appends in parallel, in any order; one with a key twice keeps its order on one thread (an
    unordered append only sometimes moves a repeated key's rows, so the settings the session used are checked too).
    A batch whose producer checked its keys (``Batch.distinct``) is not checked again."""
    monkeypatch.setattr(_prepare, "PARALLEL_APPEND_ROW_GROUPS", 1)
    settings: list[tuple[str, str]] = []
    setting = _staging.IngestSession._setting
    monkeypatch.setattr(
        _staging.IngestSession, "_setting", lambda self, n, v: (settings.append((n, v)), setting(self, n, v))[1]
    )
    with Store.open(tmp_path / "threads.duckdb") as store:
        threads = int(store.con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]
    rows = (threads + 2) * _prepare.ROW_GROUP_ROWS
    large = _large_snapshots(rows)
    before = _changed(large.slice(rows // 2, 30), 3.0)  # keys of the large batch, met in an earlier batch
    after = _changed(large.slice(rows // 3, 30), 5.0)  # and in a later one
    if repeats_inside:
        large = pl.concat([large, _changed(large.slice(100, 30), 7.0)], rechunk=False)
    calls = [[Batch("snapshots", before), Batch("snapshots", large, distinct=distinct), Batch("snapshots", after)]]
    if distinct:
        prepared = _prepare.prepare([calls[0][1]])  # no count of distinct hashes for a batch known distinct
        assert not prepared[0].repeats
        counted = pl.Series.n_unique
        monkeypatch.setattr(pl.Series, "n_unique", lambda self: pytest.fail("counted the keys of a distinct batch"))
        _prepare.prepare([calls[0][1]])
        monkeypatch.setattr(pl.Series, "n_unique", counted)
    state = _compare(tmp_path, calls)
    assert (("preserve_insertion_order", "false") in settings) is not repeats_inside
    want: dict[tuple[object, object], float] = {}
    for b in calls[0]:  # the latest value of each key, in call order
        want.update(((r[0], r[1]), r[2]) for r in b.frame.select("asset_id", "ts", "price").iter_rows())
    assert {(r[1], r[2]): r[3] for r in state["snapshots"]} == want


def test_an_ingest_does_not_import_pandas(tmp_path: Path) -> None:
    """pandas is not a dependency of the ingest: importing it cost the first staged batch 0.3 s."""
    script = f"""
import sys
from tests.store.synth import batch, snap, utc
from cryptodesk.store.db import Store
with Store.open({str(tmp_path / "s.duckdb")!r}) as store:
    for day in (1, 2):  # the second call stages its rows (the store is no longer empty)
        store.ingest([batch("snapshots", [snap("bitcoin", utc(2024, 1, day), 40_000.0 + day)])], kind="t", files=[])
    assert store.con.execute("SELECT count(*) FROM snapshots").fetchall() == [(2,)]
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
