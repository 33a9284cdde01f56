"""Read the store while other processes write it: a private snapshot copy, refreshed when the store changes.

DuckDB lets ONE process open a database file for writing, and no other process
may open it at all (not even read-only) while that writer holds it. ``serve``
therefore never opens the live store: it copies the store file (and its
write-ahead log, when present) into a private folder and reads the copy. A
background poller compares the live files' (size, mtime) every
``poll_seconds``; when they change it takes a new copy, checks that the files
did not change while being copied (else retries on the next tick), opens the
copy read-only and swaps it in. Requests in flight keep the snapshot they
leased; a retired snapshot is closed and deleted when its last lease ends.

A torn or half-written log tail is harmless: DuckDB replays only complete
entries of a copied log, so a snapshot shows the writer's committed
transactions up to the moment of the copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptodesk.core.errors import DeskError, StoreError
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk

log = logging.getLogger(__name__)

FileStat = tuple[int, int]
"""(size, mtime_ns) of one file; (-1, -1) when missing."""


def _stat(path: Path) -> FileStat:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def store_signature(path: Path) -> tuple[FileStat, FileStat]:
    """The change signature of a store: stats of the file and of its write-ahead log."""
    return (_stat(path), _stat(_wal(path)))


@dataclass
class Snapshot:
    """One private read-only copy of the store, with a desk reading it and a lease count."""

    version: str
    path: Path
    desk: Desk
    leases: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self) -> None:
        """End one lease; a retired snapshot is closed and deleted with its last lease."""
        with self.lock:
            self.leases -= 1
            done = self.retired and self.leases <= 0
        if done:
            self.dispose()

    def dispose(self) -> None:
        """Close the desk and delete the copy."""
        self.desk.close()
        for p in (self.path, _wal(self.path)):
            p.unlink(missing_ok=True)


class SnapshotReader:
    """Serves leases on the newest consistent snapshot of the store at ``settings.db``."""

    def __init__(self, settings: Settings, *, folder: Path | None = None, poll_seconds: float = 1.0) -> None:
        self.settings = settings
        self.source = Path(settings.db)
        self.poll_seconds = poll_seconds
        self._own_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="cryptodesk-serve-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._current: Snapshot | None = None
        self._signature: tuple[FileStat, FileStat] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counter = 0
        self.last_error: str | None = None

    # ------------------------------------------------------------------ refresh
    def refresh(self) -> bool:
        """Take a new snapshot if the store changed; True when a new one was swapped in."""
        sig = store_signature(self.source)
        if sig == self._signature and self._current is not None:
            return False
        if sig[0][0] < 0:
            self.last_error = f"{self.source}: no store at this path"
            return False
        try:
            snap = self._copy(sig)
        except (OSError, DeskError) as e:
            self.last_error = f"snapshot failed: {e}"
            log.warning("store snapshot failed (will retry): %s", e)
            return False
        with self._lock:
            old, self._current, self._signature = self._current, snap, sig
            self.last_error = None
        if old is not None:
            self._retire(old)
        return True

    def _copy(self, sig: tuple[FileStat, FileStat]) -> Snapshot:
        self._counter += 1
        version = hashlib.sha256(repr(sig).encode()).hexdigest()[:12]
        dest = self.folder / f"snapshot-{self._counter}-{version}.duckdb"
        shutil.copyfile(self.source, dest)
        if sig[1][0] >= 0:
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(_wal(self.source), _wal(dest))
        if store_signature(self.source) != sig:
            for p in (dest, _wal(dest)):
                p.unlink(missing_ok=True)
            raise StoreError(f"{self.source}: changed while being copied")
        desk = Desk(self.settings.model_copy(update={"db": dest}))
        try:
            desk.store()  # (the store draws no DuckDB progress bars: a server must not write to stdout)
        except BaseException:
            desk.close()
            for p in (dest, _wal(dest)):
                p.unlink(missing_ok=True)
            raise
        return Snapshot(version=version, path=dest, desk=desk)

    def _retire(self, snap: Snapshot) -> None:
        with snap.lock:
            snap.retired = True
            done = snap.leases <= 0
        if done:
            snap.dispose()

    # ------------------------------------------------------------------ leases
    @contextlib.contextmanager
    def lease(self) -> Iterator[Snapshot]:
        """The current snapshot, kept open until the block ends (StoreError when there is none)."""
        with self._lock:
            snap = self._current
            if snap is None:
                raise StoreError(
                    f"{self.source}: no readable store yet ({self.last_error or 'not loaded'})",
                    hint="Import data first with `cryptodesk import PATH`.",
                )
            with snap.lock:
                snap.leases += 1
        try:
            yield snap
        finally:
            snap.release()

    @property
    def version(self) -> str | None:
        """The version of the current snapshot (None before the first)."""
        snap = self._current
        return snap.version if snap else None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Take the first snapshot and start the background poller."""
        self.refresh()
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, name="cryptodesk-snapshot", daemon=True)
            self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception:  # the poller must survive anything; the next tick retries
                log.exception("snapshot refresh crashed")

    def stop(self) -> None:
        """Stop polling, close the current snapshot and remove the private folder."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            snap, self._current = self._current, None
        if snap is not None:
            self._retire(snap)
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
