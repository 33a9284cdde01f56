"""The bench helpers that figures rely on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"

CHILD = f"""
import sys
sys.path.insert(0, {str(BENCH)!r})
from common import peak_rss_mb
print(peak_rss_mb())
"""


def test_peak_rss_of_a_child_is_its_own_not_its_grown_parents() -> None:
    """A figure runs as a child of the suite; its peak must not include the suite's (Linux's ru_maxrss carries the
    pre-exec peak over an exec)."""
    parent = textwrap.dedent(f"""
        import subprocess, sys
        sys.path.insert(0, {str(BENCH)!r})
        from common import peak_rss_mb
        grown = bytearray(400 * 2**20)
        for i in range(0, len(grown), 4096):
            grown[i] = 1
        child = subprocess.run([sys.executable, "-c", {CHILD!r}], capture_output=True, text=True, check=True)
        print(peak_rss_mb(), float(child.stdout))
    """)
    out = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=True)
    parent_peak, child_peak = map(float, out.stdout.split())
    assert parent_peak >= 400
    assert child_peak < parent_peak - 300


def test_rss_split_parts_sum_to_the_rss_and_allocations_are_anonymous() -> None:
    """Figure 6's notes split the resident memory into what the process allocated and the library code it ran."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(BENCH)!r})
        from common import current_rss_mb, rss_split_mb
        before = rss_split_mb()
        grown = bytearray(200 * 2**20)
        for i in range(0, len(grown), 4096):
            grown[i] = 1
        after = rss_split_mb()
        print(before["anon"], after["anon"], after["file"] - before["file"], sum(after.values()), current_rss_mb())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    anon_before, anon_after, file_growth, parts, rss = map(float, out.stdout.split())
    assert anon_after - anon_before >= 195
    assert abs(file_growth) < 5
    assert abs(parts - rss) < 2


def test_mapped_file_rss_names_the_library_whose_code_ran() -> None:
    """Figure 6's lower bound counts the code of the stack's libraries that a report runs, by library."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(BENCH)!r})
        from common import mapped_file_rss_mb, rss_split_mb
        before = mapped_file_rss_mb()
        import duckdb
        duckdb.connect().execute("SELECT sum(i) FROM range(1000000) t(i)").fetchall()
        after = mapped_file_rss_mb()
        lib = max(after, key=lambda k: after[k] - before.get(k, 0.0))
        print(lib, after[lib] - before.get(lib, 0.0), sum(after.values()), rss_split_mb()["file"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lib, grown, mapped, file_backed = out.stdout.split()
    assert "duckdb" in lib
    assert float(grown) > 5
    assert abs(float(mapped) - float(file_backed)) < 3
