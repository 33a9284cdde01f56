"""Crash safety and locking: SIGKILL mid-ingest leaves the last committed state; a held lock is reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cryptodesk.core.errors import StoreLockedError
from cryptodesk.store import Store

from .synth import assert_same_content, batch, dump, snap, utc

ROWS = 4_000_000  # ~2 s of ingest (staged path, 2 cores at load ~5): the kill lands well inside it

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta

    import polars as pl

    from cryptodesk.core.models import Batch
    from cryptodesk.store import Store

    path, n = sys.argv[1], int(sys.argv[2])
    start = datetime(2000, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "source": "synthetic",
            "asset_id": (pl.int_range(0, n, eager=True) % 1000).cast(pl.Utf8),
            "ts": pl.datetime_range(start, start + (n - 1) * timedelta(minutes=1), "1m", eager=True, time_zone="UTC"),
            "price": pl.int_range(0, n, eager=True).cast(pl.Float64),
        }
    )
    with Store.open(path) as store:
        for i in range(100):
            print("ingesting", i, flush=True)
            store.ingest([Batch("snapshots", frame.with_columns(pl.col("price") + i))], kind="stress", files=[])
            print("committed", i, flush=True)
    """
)


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 60.0) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child exited before {marker!r}: {proc.stderr.read() if proc.stderr else ''}")
        if line.startswith(marker):
            return
    raise AssertionError(f"child did not print {marker!r} in {timeout} s")


@pytest.mark.slow
def test_sigkill_mid_ingest_keeps_last_committed_state(tmp_path: Path) -> None:
    path = tmp_path / "crash.duckdb"
    with Store.open(path) as store:
        store.ingest(
            [batch("snapshots", [snap("bitcoin", utc(2023, 1, d), 100.0 + d) for d in range(1, 11)])],
            kind="import",
            files=[],
        )
        counts_before = store.counts()
    before = dump(path)

    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(ROWS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        _wait_for(proc, "ingesting 0")
        # while the child writes, the file is locked for everyone else
        with pytest.raises(StoreLockedError, match=r"crash\.duckdb: the store is locked by another process"):
            Store.open(path)
        with pytest.raises(StoreLockedError):
            Store.open(path, read_only=True)
        time.sleep(0.4)
        assert proc.poll() is None, "the child finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        rest = proc.stdout.read() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert "committed" not in rest, "the first ingest committed before the kill; raise ROWS"

    with Store.open(path) as store:  # readable, WAL replayed, nothing of the killed transaction
        assert store.counts() == counts_before
    assert_same_content(before, dump(path))
    with Store.open(path) as store:  # and still writable
        result = store.ingest([batch("snapshots", [snap("bitcoin", utc(2023, 2, 1), 1.0)])], kind="import", files=[])
        assert result.run_id == 2
        assert store.counts()["snapshots"] == counts_before["snapshots"] + 1


def test_lock_held_by_idle_process(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    with Store.open(path):
        pass
    code = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(proc, "open")
        with pytest.raises(StoreLockedError) as info:
            Store.open(path)
        assert "held.duckdb" in str(info.value)
        assert "another cryptodesk process" in info.value.hint.lower()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    with Store.open(path) as store:  # released once the other process exits
        assert store.counts()["snapshots"] == 0
