"""End-to-end figures on the real data pack: import it whole (target < 10 s) and report on it (target < 2 s).

    python bench/bench_pack.py [--runs 3] [--pack ../shared/data]

Baselines measured in the same run: DuckDB ``read_csv`` of the pack's CSV
files (auto-detected, into one fresh database; the JSON fixtures have no CSV
counterpart and are left out of the baseline), ``python -c "import cryptodesk"``
and ``cryptodesk --help`` (the cold-start floor under any CLI command).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from common import CLI, PYTHON, ROOT, emit, record, wall

PACK_AS_OF = "2023-01-18T17:30:00Z"


def pack_path(arg: str | None) -> Path:
    """The data pack: ``--pack``, else ``$CRYPTODESK_DATA_PACK``, else ``../shared/data`` next to the repo."""
    return Path(arg or os.environ.get("CRYPTODESK_DATA_PACK") or ROOT.parent / "shared" / "data").resolve()


def duckdb_read(files: list[Path], db: Path) -> float:
    """Wall seconds of loading every CSV with DuckDB's auto-detecting ``read_csv`` (one table per file)."""
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        t0 = time.perf_counter()
        for i, f in enumerate(files):
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', ignore_errors=true)")
        con.execute("CHECKPOINT")
        return time.perf_counter() - t0
    finally:
        con.close()


def med(xs: list[float]) -> float:
    """The median of an odd-length list (the upper middle of an even one)."""
    return sorted(xs)[len(xs) // 2]


def run(pack: Path, runs: int) -> list[dict[str, Any]]:
    """Import, report and the baselines, ``runs`` times each."""
    csvs = sorted(p for p in pack.rglob("*") if p.name.endswith((".csv", ".csv.gz")))
    with tempfile.TemporaryDirectory(prefix="cdbench-") as tmp:
        store = Path(tmp) / "pack.duckdb"
        env = {**os.environ, "CRYPTODESK_DB": str(store)}
        imports = []
        for _ in range(runs):
            store.unlink(missing_ok=True)
            Path(str(store) + ".wal").unlink(missing_ok=True)
            imports.append(wall([CLI, "import", str(pack)], env=env))
        reports = [wall([CLI, "report", "--as-of", PACK_AS_OF], env=env) for _ in range(runs)]
        base_read = [duckdb_read(csvs, Path(tmp) / "base.duckdb") for _ in range(runs)]
    imp = [wall([PYTHON, "-c", "import cryptodesk"]) for _ in range(runs)]
    helps = [wall([CLI, "--help"]) for _ in range(runs)]
    return [
        record(
            "pack",
            "cryptodesk import <pack> (CLI wall, fresh store)",
            "pack",
            imports,
            baseline=f"DuckDB read_csv of the pack's {len(csvs)} CSV files",
            baseline_times=base_read,
            target="< 10 s",
            passed=med(imports) < 10,
            notes=f"{pack}",
        ),
        record(
            "pack",
            f"cryptodesk report --as-of {PACK_AS_OF} (CLI wall)",
            "pack",
            reports,
            baseline="cryptodesk --help (cold start floor)",
            baseline_times=helps,
            target="< 2 s",
            passed=med(reports) < 2,
        ),
        record("pack", 'python -c "import cryptodesk" (baseline)', "-", imp, notes="cold start of the package"),
        record("pack", "cryptodesk --help (baseline)", "-", helps, notes="cold start of the CLI"),
    ]


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pack", default=None)
    args = ap.parse_args()
    emit(run(pack_path(args.pack), args.runs))


if __name__ == "__main__":
    main()
