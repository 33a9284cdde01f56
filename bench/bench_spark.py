"""DuckDB engine vs Spark engine on the M panel and a 4x larger one (issue 7, docs/spark.md "Benchmark").

    nice -n 10 python bench/bench_spark.py --scale 0.01 --out bench/spark_results.json   # 50 / 200 assets: minutes
    nice -n 10 python bench/bench_spark.py --out bench/spark_results.json                # 5,000 / 20,000 assets: ~1 h

Panels (cached under bench/data/spark/<name>-<assets>/, see :func:`build`): M is the performance suite's M panel
(``bench/generate.py``, 5,000 coins x 10 years daily, 16.0 M rows: 30% of the coins list late), read from
``bench/data/M`` when generated; M4 is M plus three more chunks of the same spec with other seeds (20,000 coins,
64.4 M rows). Each is stored through the normal ingest into a DuckDB store and exported to a lake with
``cryptodesk.store.lake.export_lake``. Then, each in a fresh process, every asset is analysed at 2024-12-31 18:00 UTC:

* duckdb: the memory-bounded engine (``engines/batched.py``): ``Store.frames`` per 1,000 assets, the shared bucket
  kernel, the total summed in a scratch DuckDB (one Polars frame of 64 M rows would not fit the memory budget);
* spark:  session start-up, opening the lake (read + cache), then the work: point-in-time SQL, the shared bucket
  kernel through ``applyInArrow`` (kernels) and the total in Spark SQL (total).

Reported per engine and size: wall seconds and their split, peak RSS of the driver process and of its children
(the JVM and Spark's Python workers), the work time per million rows (linear growth keeps it flat), and how many
values of the two engines' analysis documents differ by more than 1e-9 relative (must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import DAILY, END, daily_frame  # noqa: E402

AS_OF = datetime(2024, 12, 31, 18, 0, tzinfo=UTC)
WORK = BENCH / "data" / "spark"
BATCH_ASSETS = 1_000
"""Assets per batch of the memory-bounded DuckDB engine."""


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(p.name))
    return out


class PeakRss:
    """Samples the RSS of this process and (separately) of its descendants every 0.2 s."""

    def __init__(self) -> None:
        self.driver = 0
        self.children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.driver = max(self.driver, _rss_kib(me))
            todo, total = _children(me), 0
            while todo:
                pid = todo.pop()
                total += _rss_kib(pid)
                todo.extend(_children(pid))
            self.children = max(self.children, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


CHUNK_ASSETS = 5_000
"""Assets per generated chunk: M is one chunk, M4 four (memory: one chunk's arrays are ~2.5 GB while generating)."""
INGEST_SLICE = 1_000
"""Assets per ingest transaction while building a panel store (bounds the staging memory)."""
M_PARQUET = BENCH / "data" / "M" / "parquet" / "daily.parquet"
"""The performance suite's M panel (``bench/generate.py M``), reused as chunk 0 when it is complete."""


def chunk_frame(k: int) -> pl.DataFrame:
    """Chunk ``k`` of a panel: (asset_id, date, price, market_cap, volume) of 5,000 assets x 10 years.

    Chunk 0 is the M panel itself (read from ``bench/data/M`` when generated, else generated
    the same way); chunk ``k > 0`` is the M spec with another seed, its coin ids suffixed
    ``~k`` so the assets are distinct. M4 = chunks 0-3: 4x the assets of M, same statistics.
    """
    if k == 0 and (M_PARQUET.parent.parent / ".done").exists():
        raw = pl.read_parquet(M_PARQUET, columns=["timestamp", "coinId", "price", "marketCap", "totalVolume"])
        df = raw.select(
            (pl.from_epoch("timestamp", time_unit="ms").cast(pl.Date) - pl.duration(days=1)).alias("date"),
            "coinId",
            "price",
            "marketCap",
            "totalVolume",
        )
    else:
        df = daily_frame(replace(DAILY["M"], seed=DAILY["M"].seed + 1000 * k))
        if k:
            df = df.with_columns(pl.col("coinId") + f"~{k}")
    return df.select(
        pl.col("coinId").alias("asset_id"),
        pl.col("date").cast(pl.Date),
        "price",
        pl.col("marketCap").alias("market_cap"),
        pl.col("totalVolume").alias("volume"),
    )


def build(name: str, chunks: int, assets: int) -> tuple[Path, Path, int]:
    """Store and lake of a panel of ``chunks`` x ``assets`` (at most 5,000: the first ones of each chunk) x 10 years.

    Cached under bench/data/spark/<name>-<assets>/ (a ``.done`` file holds the row count). Rows go
    through the normal ingest, ``INGEST_SLICE`` assets per transaction; DuckDB is capped at 4 GB.
    """
    from cryptodesk.core.models import TABLES, Batch
    from cryptodesk.store.db import Store
    from cryptodesk.store.lake import export_lake

    folder = WORK / f"{name}-{chunks * assets}"
    db, lake = folder / "store.duckdb", folder / "lake"
    done = folder / ".done"
    if done.exists():
        return db, lake, int(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    rows = 0
    with Store.open(db) as store:
        store.con.execute("SET memory_limit = '4GB'")
        for k in range(chunks):
            df = chunk_frame(k)
            ids = sorted(set(df.get_column("asset_id").unique().to_list()))[:assets]
            for i in range(0, len(ids), INGEST_SLICE):
                part = df.filter(pl.col("asset_id").is_in(ids[i : i + INGEST_SLICE]))
                snaps = part.select(
                    pl.lit("coingecko").alias("source"),
                    "asset_id",
                    (pl.col("date") + pl.duration(days=1)).cast(pl.Datetime("us", "UTC")).alias("ts"),
                    "price",
                    "market_cap",
                    pl.col("volume").alias("volume_24h"),
                )
                store.ingest([Batch("snapshots", TABLES["snapshots"].conform(snaps))], kind="import", files=[])
                rows += snaps.height
                print(f"{name}: chunk {k}, assets {i + len(ids[i : i + INGEST_SLICE]):,}: {rows:,} rows", flush=True)
            del df
        export_lake(store, lake)
    done.write_text(str(rows))
    return db, lake, rows


def all_assets(store: Any) -> list[str]:
    """Every asset with a daily row known at AS_OF (the store's universe query without its limits)."""
    ids: list[str] = store.universe(AS_OF, top_n=10**9, fresh_days=10**5)
    return ids


def save_doc(analysis: Any, out: Path) -> None:
    """The analysis document (``cryptodesk analytics --format json``) of a run, for the cross-engine comparison."""
    from cryptodesk.desk.analysis_doc import analysis_doc

    out.write_text(json.dumps(analysis_doc(analysis, tz="UTC")))


def run_duckdb(db: Path, doc: Path) -> dict[str, Any]:
    """The memory-bounded DuckDB engine (engines/batched.py) on every asset, in this process."""
    from cryptodesk.engines.batched import analyze_batched
    from cryptodesk.store.db import Store

    timings: dict[str, float] = {}
    with PeakRss() as rss:
        t0 = time.perf_counter()
        with Store.open(db, read_only=True) as store:
            ids = all_assets(store)
            t1 = time.perf_counter()
            analysis = analyze_batched(store, AS_OF, ids, tz="UTC", batch_assets=BATCH_ASSETS, timings=timings)
        t2 = time.perf_counter()
    save_doc(analysis, doc)
    return {
        "engine": "duckdb-batched",
        "batch_assets": BATCH_ASSETS,
        "ids_s": t1 - t0,
        "frames_s": timings["frames"],
        "kernels_s": timings["kernels"],
        "total_s": timings["total"],
        "work_s": t2 - t0,
        "wall_s": t2 - t0,
        "assets": len(analysis.assets),
        "total": analysis.market.total_market_cap if analysis.market else None,
        "driver_peak_mib": rss.driver / 1024,
        "children_peak_mib": rss.children / 1024,
    }


def run_spark(lake: Path, master: str, doc: Path) -> dict[str, Any]:
    """Session start-up, lake read + cache, then snapshot + analyze for every asset, in this process."""
    from cryptodesk.engines.session import spark_session
    from cryptodesk.engines.spark import SparkEngine

    with PeakRss() as rss:
        t0 = time.perf_counter()
        spark_session(master)
        t1 = time.perf_counter()
        engine = SparkEngine(lake, master=master)
        for df in engine.tables.values():
            df.count()
        t2 = time.perf_counter()
        snap = engine.snapshot(AS_OF, None)
        described = pl.DataFrame(schema={"asset_id": pl.Utf8, "symbol": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8})
        states = engine.asset_states(snap, tz="UTC", described=described)
        t3 = time.perf_counter()
        analysis = engine.analyze(snap, tz="UTC", described=described, states=states)
        t4 = time.perf_counter()
    save_doc(analysis, doc)
    return {
        "engine": "spark",
        "master": master,
        "buckets": engine.buckets(None),
        "startup_s": t1 - t0,
        "lake_s": t2 - t1,
        "kernels_s": t3 - t2,
        "total_s": t4 - t3,
        "work_s": t4 - t2,
        "wall_s": t4 - t0,
        "assets": len(analysis.assets),
        "total": analysis.market.total_market_cap if analysis.market else None,
        "driver_peak_mib": rss.driver / 1024,
        "children_peak_mib": rss.children / 1024,
    }


def compare(a: Path, b: Path) -> dict[str, Any]:
    """How far apart two analysis documents are: differences beyond 1e-9 relative, and the largest one."""
    sys.path.insert(0, str(BENCH.parent))
    from tests.engines.spark_util import close

    x, y = json.loads(a.read_text()), json.loads(b.read_text())
    diffs = close(x, y)
    return {"assets": len(x["assets"]), "differences": len(diffs), "first": diffs[:3]}


def child(args: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh Python (clean memory, its own JVM; same niceness as this process)."""
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=BENCH.parent
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench_spark {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    doc: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return doc


SPARK_CONF = "spark.driver.memory=4g;spark.sql.shuffle.partitions=16"
"""Session settings of the benchmark (``CRYPTODESK_SPARK_CONF``): room to cache the M4 lake, 16 shuffle partitions."""


def uptime() -> str:
    """The ``uptime`` line (load averages) of the machine."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def measure(name: str, chunks: int, base: int, master: str) -> dict[str, Any]:
    """Both engines on one panel, each in a fresh process, and the comparison of their analysis documents."""
    db, lake, rows = build(name, chunks, base)
    folder = db.parent
    duck = child(["--one", "duckdb", str(db), str(folder / "duckdb.json")])
    spark = child(["--one", "spark", str(lake), str(folder / "spark.json"), "--master", master])
    same = compare(folder / "spark.json", folder / "duckdb.json")
    for r in (duck, spark):
        r["work_s_per_m_rows"] = r["work_s"] / (rows / 1e6)
    line = (
        f"{name}: {chunks * base:,} assets x 10y = {rows:,} rows | duckdb {duck['wall_s']:.1f}s (frames"
        f" {duck['frames_s']:.1f} + kernels {duck['kernels_s']:.1f} + total {duck['total_s']:.1f}; peak"
        f" {duck['driver_peak_mib']:.0f} MiB) | spark {spark['wall_s']:.1f}s = start {spark['startup_s']:.1f} + lake"
        f" {spark['lake_s']:.1f} + work {spark['work_s']:.1f} (kernels {spark['kernels_s']:.1f}, total"
        f" {spark['total_s']:.1f}; driver {spark['driver_peak_mib']:.0f} MiB, JVM+workers"
        f" {spark['children_peak_mib']:.0f} MiB) | differences beyond 1e-9: {same['differences']}"
    )
    print(line, flush=True)
    return {"panel": name, "assets": chunks * base, "rows": rows, "duckdb": duck, "spark": spark, "same": same}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the M panel's 5,000 assets (default 1)")
    ap.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--out", type=Path, default=None, help="append the results to this JSON file's runs")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "PATH", "DOC"), help=argparse.SUPPRESS)
    ap.add_argument("--build-only", action="store_true", help="only build the panels' stores and lakes")
    ns = ap.parse_args(argv)
    if ns.one:
        engine, path, out = ns.one
        os.environ.setdefault("CRYPTODESK_SPARK_CONF", SPARK_CONF)
        doc = run_duckdb(Path(path), Path(out)) if engine == "duckdb" else run_spark(Path(path), ns.master, Path(out))
        sys.stdout.write(json.dumps(doc) + "\n")
        return 0
    base = max(1, round(CHUNK_ASSETS * ns.scale))
    if ns.build_only:
        for name, chunks in (("M", 1), ("M4", 4)):
            print(build(name, chunks, base), flush=True)
        return 0
    before = uptime()
    print(f"before: {before} (niceness {os.nice(0)})", flush=True)
    results = [measure(name, chunks, base, ns.master) for name, chunks in (("M", 1), ("M4", 4))]
    after = uptime()
    small, big = results
    growth = {e: big[e]["work_s"] / small[e]["work_s"] for e in ("spark", "duckdb")}
    print(f"4x assets, x{big['rows'] / small['rows']:.2f} rows -> spark work x{growth['spark']:.2f},"
          f" duckdb x{growth['duckdb']:.2f} (linear = rows ratio)\nafter: {after}", flush=True)  # fmt: skip
    doc = {
        "as_of": AS_OF.isoformat(),
        "end": END.isoformat(),
        "scale": ns.scale,
        "master": ns.master,
        "dispatch": "bucketed panel kernel (engines/buckets.py); DuckDB engine batched (engines/batched.py)",
        "spark_conf": SPARK_CONF,
        "niceness": os.nice(0),
        "results": results,
        "rows_growth": big["rows"] / small["rows"],
        "spark_work_growth": growth["spark"],
        "duckdb_work_growth": growth["duckdb"],
        "cpus": os.cpu_count(),
        "uptime_before": before,
        "uptime_after": after,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if ns.out:
        runs = json.loads(ns.out.read_text())["runs"] if ns.out.exists() else []
        ns.out.write_text(json.dumps({"runs": [*runs, doc]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
