"""Benchmark: check a ~50 KB article (the seed article repeated) against the pack store.

Prints the wall time of ``check_text`` and its ratio to a baseline measured in the
same run: one regex scan of the same text for numbers (the cheapest possible pass).
Usage: python bench/bench_check.py [DB]  (default: imports $CRYPTODESK_DATA_PACK or
../shared/data into a temporary store first). Target: under 2 s per 50 KB article.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text

ROOT = Path(__file__).resolve().parents[1]
PACK = Path(os.environ.get("CRYPTODESK_DATA_PACK", ROOT.parent / "shared" / "data"))
AS_OF = datetime(2023, 1, 18, 12, 30, tzinfo=ZoneInfo("America/New_York"))


def article(size: int = 50_000) -> str:
    """The seed article repeated up to ``size`` characters."""
    seed = sorted((ROOT.parent / "shared" / "seed").glob("*.txt"))[0].read_text(encoding="utf-8")
    return (seed + "\n\n") * (size // len(seed) + 1)


def main() -> None:
    """Run the benchmark and print the figures."""
    text = article()
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "bench.duckdb"
    with Desk(load_settings({"db": db}, env={})) as desk:
        if len(sys.argv) <= 1:
            desk.import_paths([PACK])
        t0 = time.perf_counter()
        for _ in range(20):
            re.findall(r"\$\s?\d[\d,.]*|\d+(?:\.\d+)?%", text)
        baseline = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        result = check_text(desk, text, AS_OF, "America/New_York")
        took = time.perf_counter() - t0
    print(f"article: {len(text.encode()):,} bytes, {len(result.claims)} claims")
    print(f"baseline regex scan: {baseline * 1000:.2f} ms")
    verdict = "OK" if took < 2 else "SLOW"
    print(f"check_text: {took:.3f} s = {took / baseline:,.0f}x the baseline ({verdict}: target < 2 s)")


if __name__ == "__main__":
    main()
