"""Store.ingest: idempotence, dedupe, conflicts (new value wins), run bookkeeping and rollback."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cryptodesk.core.errors import InputError, StoreError
from cryptodesk.core.models import Batch
from cryptodesk.store import FileRecord, Store

from .synth import assert_same_content, batch, candle, dump, global_row, snap, utc


def _sample() -> list[Batch]:
    return [
        batch(
            "snapshots",
            [
                snap(a, utc(2023, 1, d), p * d, market_cap=1e9 * d)
                for a, p in (("bitcoin", 100.0), ("ethereum", 10.0))
                for d in range(1, 11)
            ],
        ),
        batch("candles", [candle("bitcoin", utc(2023, 1, d), 1000.0 + d, quote_volume=5e9) for d in range(1, 6)]),
        batch("global_metrics", [global_row(utc(2023, 1, d), 8e11 + d) for d in range(1, 4)]),
        batch("assets", [{"asset_id": "bitcoin", "symbol": "BTC", "name": "Bitcoin", "kind": "crypto", "source": "x"}]),
    ]


def _files() -> list[FileRecord]:
    return [FileRecord("/data/a.csv", "ab" * 32, "coingecko-export", {"snapshots": 20})]


def _canonical(path: Path) -> dict[str, pl.DataFrame]:
    data = dump(path)
    return {k: v for k, v in data.items() if k in {"snapshots", "candles", "global_metrics", "assets"}}


def test_first_ingest_inserts_everything(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.ingest(_sample(), kind="import", files=_files())
        counts = store.counts()
    assert result.run_id == 1
    assert {k: v.inserted for k, v in result.tables.items()} == {
        "snapshots": 20,
        "candles": 5,
        "global_metrics": 3,
        "assets": 1,
    }
    assert result.updated == result.unchanged == result.conflicts == 0
    assert counts["snapshots"] == 20
    assert counts["candles"] == 5
    assert counts["import_runs"] == 1
    assert counts["import_files"] == 1


def test_double_ingest_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(_sample(), kind="import", files=_files())
        counts_once = store.counts()
    once = _canonical(path)
    with Store.open(path) as store:
        second = store.ingest(_sample(), kind="import", files=_files())
        counts_twice = store.counts()
    twice = _canonical(path)
    assert second.inserted == 0
    assert second.updated == 0
    assert second.conflicts == 0
    assert second.unchanged == 29
    assert_same_content(once, twice)  # same rows, same run_id (unchanged rows keep the run that wrote them)
    assert {k: v for k, v in counts_twice.items() if k not in {"import_runs", "import_files"}} == {
        k: v for k, v in counts_once.items() if k not in {"import_runs", "import_files"}
    }
    assert counts_twice["import_runs"] == 2
    assert set(twice["snapshots"]["run_id"].to_list()) == {1}


def test_identical_rows_within_one_call_are_collapsed(tmp_path: Path) -> None:
    rows = [snap("bitcoin", utc(2023, 1, d), 100.0 + d) for d in range(1, 6)]
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.ingest([batch("snapshots", rows), batch("snapshots", rows[1:4])], kind="import", files=[])
        assert store.counts()["snapshots"] == 5
    assert result.tables["snapshots"].inserted == 5
    assert result.tables["snapshots"].conflicts == 0


def test_conflict_with_stored_row_new_value_wins(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    first = [snap("bitcoin", utc(2023, 1, d), 100.0 + d, market_cap=5e11) for d in range(1, 6)]
    second = [dict(r) for r in first]
    second[2]["price"] = 555.5  # day 3: price differs
    second[4]["price"] = 777.0  # day 5: price and market cap differ
    second[4]["market_cap"] = 6e11
    second.append(snap("bitcoin", utc(2023, 1, 6), 106.0, market_cap=5e11))  # new key
    with Store.open(path) as store:
        store.ingest([batch("snapshots", first)], kind="import", files=[])
        result = store.ingest([batch("snapshots", second)], kind="import", files=[])
        conflicts = store.conflicts()
    t = result.tables["snapshots"]
    assert (t.inserted, t.updated, t.unchanged, t.conflicts) == (1, 2, 3, 3)
    got = {
        (json.loads(r["key"])["ts"][:10], r["column_name"]): (
            r["old_value"],
            r["new_value"],
            r["old_run_id"],
            r["run_id"],
        )
        for r in conflicts.iter_rows(named=True)
    }
    assert got == {
        ("2023-01-03", "price"): ("103.0", "555.5", 1, 2),
        ("2023-01-05", "price"): ("105.0", "777.0", 1, 2),
        ("2023-01-05", "market_cap"): ("500000000000.0", "600000000000.0", 1, 2),
    }
    key = json.loads(conflicts["key"][0])
    assert set(key) == {"source", "asset_id", "ts"}
    stored = dump(path)["snapshots"].sort("ts")
    assert stored["price"].to_list() == [101.0, 102.0, 555.5, 104.0, 777.0, 106.0]
    assert stored["run_id"].to_list() == [1, 1, 2, 1, 2, 2]


def test_conflict_inside_one_call_last_row_wins(tmp_path: Path) -> None:
    a = candle("bitcoin", utc(2023, 1, 1), 100.0)
    b = dict(a, close=101.0)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.ingest([batch("candles", [a]), batch("candles", [b])], kind="import", files=[])
        conflicts = store.conflicts()
        assert store.counts()["candles"] == 1
    assert result.tables["candles"].inserted == 1
    assert result.tables["candles"].conflicts == 1
    row = conflicts.row(0, named=True)
    assert (row["column_name"], row["old_value"], row["new_value"], row["old_run_id"]) == (
        "close",
        "100.0",
        "101.0",
        None,
    )


def test_filling_a_stored_null_is_an_update_not_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest([batch("snapshots", [snap("bitcoin", utc(2023, 1, 1), 1.0)])], kind="import", files=[])
        result = store.ingest(
            [batch("snapshots", [snap("bitcoin", utc(2023, 1, 1), 1.0, market_cap=2.0)])], kind="import", files=[]
        )
        assert store.conflicts().height == 0
    t = result.tables["snapshots"]
    assert (t.inserted, t.updated, t.unchanged, t.conflicts) == (0, 1, 0, 0)
    row = dump(path)["snapshots"].row(0, named=True)
    assert (row["price"], row["market_cap"], row["run_id"]) == (1.0, 2.0, 2)


def test_a_null_never_erases_a_stored_value(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    full = snap("bitcoin", utc(2023, 1, 1), 1.0, market_cap=2.0, rank=1)
    with Store.open(path) as store:
        store.ingest([batch("snapshots", [full])], kind="import", files=[])
        # a format without market cap or rank says the same price: nothing changes
        same = store.ingest([batch("snapshots", [snap("bitcoin", utc(2023, 1, 1), 1.0)])], kind="import", files=[])
        # a new price without market cap: the price changes, the market cap stays
        moved = store.ingest([batch("snapshots", [snap("bitcoin", utc(2023, 1, 1), 1.5)])], kind="import", files=[])
        conflicts = store.conflicts()
    assert same.tables["snapshots"].unchanged == 1
    assert moved.tables["snapshots"].updated == 1
    assert conflicts.select("column_name", "old_value", "new_value", "old_run_id").rows() == [
        ("price", "1.0", "1.5", 1)
    ]
    row = dump(path)["snapshots"].row(0, named=True)
    assert (row["price"], row["market_cap"], row["rank"], row["run_id"]) == (1.5, 2.0, 1, 3)


def test_rows_of_one_call_merge_column_by_column(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    ts = utc(2023, 1, 1)
    prices = batch("snapshots", [snap("bitcoin", ts, 100.0, volume_24h=5.0)])  # e.g. a price export
    ranks = batch("snapshots", [snap("bitcoin", ts, 100.0, rank=1, circulating_supply=19e6)])  # e.g. a listing
    with Store.open(path) as store:
        result = store.ingest([prices, ranks], kind="import", files=[])
        assert store.conflicts().height == 0
    assert result.tables["snapshots"].inserted == 1
    row = dump(path)["snapshots"].row(0, named=True)
    assert (row["price"], row["volume_24h"], row["rank"], row["circulating_supply"]) == (100.0, 5.0, 1, 19e6)


def test_a_disagreement_within_calls_is_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    a = batch("snapshots", [snap("bitcoin", utc(2023, 1, d), 100.0 + d) for d in range(1, 4)])
    b = batch("snapshots", [snap("bitcoin", utc(2023, 1, d), 100.0 + d + (d == 2)) for d in range(1, 4)])
    with Store.open(path) as store:
        first = store.ingest([a, b], kind="import", files=[])
        counts_once = store.counts()
        second = store.ingest([a, b], kind="import", files=[])
        counts_twice = store.counts()
        conflicts = store.conflicts()
    assert first.tables["snapshots"].conflicts == 1
    assert (second.inserted, second.updated, second.conflicts, second.unchanged) == (0, 0, 0, 3)
    assert counts_twice["conflicts"] == counts_once["conflicts"] == 1
    assert conflicts.select("column_name", "old_value", "new_value", "old_run_id", "run_id").rows() == [
        ("price", "102.0", "103.0", None, 1)
    ]
    assert dump(path)["snapshots"].sort("ts")["price"].to_list() == [101.0, 103.0, 103.0]


def test_conflicts_limit(tmp_path: Path) -> None:
    rows = [snap("bitcoin", utc(2023, 1, d), 1.0) for d in range(1, 8)]
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest([batch("snapshots", rows)], kind="import", files=[])
        store.ingest([batch("snapshots", [dict(r, price=2.0) for r in rows])], kind="import", files=[])
        assert store.conflicts(limit=3).height == 3
        assert store.conflicts().height == 7
        assert store.conflicts(limit=0).height == 0


def test_run_and_file_bookkeeping(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    files = [
        FileRecord("/data/a.csv", "a" * 64, "coingecko-export", {"snapshots": 20}),
        FileRecord("/data/b.csv", "b" * 64, "yahoo-daily", {"candles": 5}),
    ]
    with Store.open(path) as store:
        result = store.ingest(_sample(), kind="import", files=files)
    data = dump(path)
    runs = data["import_runs"]
    assert runs.height == 1
    run = runs.row(0, named=True)
    assert (run["run_id"], run["kind"], run["status"]) == (result.run_id, "import", "ok")
    assert run["finished_at"] >= run["started_at"]
    assert json.loads(run["detail"])["tables"]["snapshots"] == {
        "inserted": 20,
        "updated": 0,
        "unchanged": 0,
        "conflicts": 0,
    }
    got = {
        (r["path"], r["sha256"], r["format"], r["run_id"]): json.loads(r["rows"])
        for r in data["import_files"].iter_rows(named=True)
    }
    assert got == {
        ("/data/a.csv", "a" * 64, "coingecko-export", 1): {"snapshots": 20},
        ("/data/b.csv", "b" * 64, "yahoo-daily", 1): {"candles": 5},
    }


def test_null_key_is_rejected_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    rows = [snap("bitcoin", utc(2023, 1, 1), 1.0), {"source": "coingecko", "asset_id": None, "ts": utc(2023, 1, 2)}]
    with Store.open(path) as store:
        with pytest.raises(InputError, match=r"table snapshots: 1 row\(s\) have no value in key column 'asset_id'"):
            store.ingest([batch("snapshots", rows)], kind="import", files=[])
        assert store.counts()["snapshots"] == 0
        assert store.counts()["import_runs"] == 0


def test_failure_mid_transaction_rolls_everything_back(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(_sample()[:2], kind="import", files=_files())
    before = dump(path)
    changed = [
        batch("snapshots", [snap("bitcoin", utc(2023, 1, d), 9.0) for d in range(1, 15)]),  # updates + inserts
        batch("candles", [candle("solana", utc(2023, 1, 1), 10.0)]),
        batch("global_metrics", [global_row(utc(2023, 2, 1), 1.0)]),
    ]
    # The file record's path is NOT NULL in import_files: the run fails at its very last statement,
    # after every table has been upserted and conflicts recorded.
    bad = [FileRecord(None, "c" * 64, "x", {})]  # type: ignore[arg-type]
    with Store.open(path) as store:
        with pytest.raises(StoreError, match=r"ingest failed: .*NOT NULL"):
            store.ingest(changed, kind="import", files=bad)
        # the same connection is still usable and sees the old content
        assert store.counts()["snapshots"] == 20
    assert_same_content(before, dump(path))
    with Store.open(path) as store:
        ok = store.ingest(changed, kind="import", files=[])
    assert ok.run_id == 2  # the failed run left no trace, not even its run id
    assert ok.tables["snapshots"].inserted == 4
    assert ok.tables["snapshots"].updated == 10
    assert dump(path)["snapshots"].height == 24


def test_failed_ingest_leaves_file_content_identical(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(_sample(), kind="import", files=_files())
    before = dump(path)
    changed = [batch("snapshots", [snap("bitcoin", utc(2023, 1, d), 9.0) for d in range(1, 15)])]
    with Store.open(path) as store, pytest.raises(StoreError):
        store.ingest(changed, kind="import", files=[FileRecord(None, "c", "x", {})])  # type: ignore[arg-type]
    assert_same_content(before, dump(path))


def test_ingest_nothing_records_a_run(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.ingest([], kind="live", files=[])
        assert result.tables == {}
        assert store.counts()["import_runs"] == 1


def test_unknown_columns_are_dropped_and_missing_are_null(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    frame = pl.DataFrame(
        {"source": ["coingecko"], "asset_id": ["bitcoin"], "ts": [utc(2023, 1, 1)], "price": [1.5], "junk": [1]}
    )
    with Store.open(path) as store:
        store.ingest([Batch("snapshots", frame)], kind="import", files=[])
    row = dump(path)["snapshots"].row(0, named=True)
    assert row["price"] == 1.5
    assert row["market_cap"] is None
    assert "junk" not in row


def test_timestamps_round_trip_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    ts = utc(2023, 1, 18, 14, 0, 41)
    with Store.open(path) as store:
        store.ingest([batch("snapshots", [snap("bitcoin", ts, 21434.2)])], kind="import", files=[])
    con = duckdb.connect(str(path), read_only=True)
    try:
        epoch = con.execute("SELECT epoch(ts) FROM snapshots").fetchall()[0][0]
    finally:
        con.close()
    assert epoch == ts.timestamp()


def test_frame_that_cannot_be_conformed_is_an_input_error(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"source": ["coingecko"], "asset_id": ["bitcoin"], "ts": [utc(2023, 1, 1)], "price": [[1.0, 2.0]]}
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError, match="table snapshots: rows do not fit the canonical schema"):
            store.ingest([Batch("snapshots", frame)], kind="import", files=[])
        assert store.counts()["import_runs"] == 0


@pytest.mark.parametrize(
    ("stored", "incoming", "conflict"),
    [
        (21784488.32, 21784488.319999997, False),  # the same CMC figure read from CSV text and from JSON
        (319771975.0, 319771975.00000006, False),
        (100.0, 100.0 * (1 + 5e-10), False),
        (100.0, 100.0 * (1 + 5e-9), True),
        (100.0, 101.0, True),
    ],
)
def test_float_noise_is_not_a_conflict(tmp_path: Path, stored: float, incoming: float, conflict: bool) -> None:
    def one(cap: float) -> list[Batch]:
        return [batch("snapshots", [snap("bitcoin", utc(2023, 1, 1), 1.0, market_cap=cap)])]

    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest(one(stored), kind="import", files=_files())
        result = store.ingest(one(incoming), kind="import", files=_files())
    assert result.conflicts == int(conflict)
    assert (result.unchanged, result.updated) == ((0, 1) if conflict else (1, 0))
