"""Import a generated dataset into a store of its own (for the figures that read a store), unless it is there.

    python bench/make_store.py S          # bench/data/stores/S.duckdb from bench/data/S/csv
    python bench/make_store.py M2 --force

Uses ``Desk.import_paths``, the normal import (its own speed is figure 1's); prints the figure JSON document with one
informational row (the import's wall time and rows/s), so the suite records how each store was made.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import DATA, emit, record
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from generate import ensure


def store_of(dataset: str) -> Path:
    """Where the store of ``dataset`` lives."""
    return DATA / "stores" / f"{dataset}.duckdb"


def make(dataset: str, *, force: bool = False) -> tuple[Path, float | None, int]:
    """The store of ``dataset`` (imported now when missing or ``force``): path, seconds taken (None: reused), rows."""
    path = store_of(dataset)
    if path.exists() and not force:
        return path, None, 0
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = ensure(dataset) / "csv"
    t0 = time.perf_counter()
    with Desk(Settings.model_validate({"db": path})) as desk:
        report = desk.import_paths([folder])
    elapsed = time.perf_counter() - t0
    if report.failed or report.result is None:
        raise SystemExit(f"import of {folder} failed: {[f.error for f in report.failed][:3]}")
    return path, elapsed, report.result.inserted


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    path, elapsed, rows = make(args.dataset, force=args.force)
    notes = f"{path.name}: " + ("reused" if elapsed is None else f"imported {rows:,} rows")
    emit(
        [
            record(
                "-",
                f"store of {args.dataset}",
                args.dataset,
                [elapsed or 0.0],
                work=rows or None,
                unit="rows/s",
                notes=notes,
            )
        ]
    )


if __name__ == "__main__":
    main()
