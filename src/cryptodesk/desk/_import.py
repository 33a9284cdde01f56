"""The parsing half of ``Desk.import_paths``: files parsed in order on a background thread, a few files ahead.

:func:`parse_files` reads, detects, parses and validates each file, prepares its batches
for staging (``store._prepare``: conform, key hashes, Arrow) and teaches the
registry the file's assets before it parses the next one (a later file may be
resolved with what an earlier one taught), exactly as a plain loop would.
:func:`ahead` runs such an iterator on a worker thread so that the next file is parsed
(Polars, hashing and reading release the GIL) while the caller stores the previous
one (DuckDB releases it too): on two cores the parse and the store overlap instead of
taking turns. At most ``depth`` parsed files wait in the queue, so memory stays bounded.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from cryptodesk.core.assets import AssetInfo, AssetRegistry
from cryptodesk.core.errors import DeskError, UnknownFormatError
from cryptodesk.sources.base import FileFormat, ParseContext, read_bytes
from cryptodesk.sources.base import detect as detect_format
from cryptodesk.store._prepare import PreparedBatch, prepare

T = TypeVar("T")


@dataclass(frozen=True)
class ParsedFile:
    """One input file after parsing: its batches, or why it has none."""

    path: Path
    format: str | None = None
    batches: list[PreparedBatch] = field(default_factory=list)
    """The file's batches, prepared for staging (on the parsing thread)."""
    rows: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    error: str | None = None
    skipped: bool = False
    warnings: tuple[str, ...] = ()


def parse_files(
    todo: Iterable[tuple[Path, bool]], formats: list[FileFormat], registry: AssetRegistry, asset_id: str | None
) -> Iterator[ParsedFile]:
    """Parse ``(path, named explicitly)`` pairs in order; ``asset_id`` (``--asset``) applies to explicit files only.

    A file whose content matches no format is skipped when found in a folder and an error
    when named; a file that fails to parse is an error; neither stops the others.
    """
    learned: set[tuple[Any, ...]] = set()
    files = list(todo)
    # a helper thread reads the next file and hashes the current one while this one parses (both release the GIL)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cryptodesk-read") as helper:
        upcoming = helper.submit(read_bytes, files[0][0]) if files else None
        for i, (path, explicit) in enumerate(files):
            assert upcoming is not None
            reading, upcoming = upcoming, helper.submit(read_bytes, files[i + 1][0]) if i + 1 < len(files) else None
            try:
                data = reading.result()
                digest = helper.submit(lambda d: hashlib.sha256(d).hexdigest(), data)
                fmt = detect_format(formats, data, path)
                # --asset names the asset of the files named on the command line, not of a folder's files.
                ctx = ParseContext(path=path, registry=registry, asset_hint=asset_id if explicit else None)
                got = fmt.load(data, ctx)
            except UnknownFormatError as e:
                yield ParsedFile(path, error=str(e), skipped=not explicit)
                continue
            except DeskError as e:
                yield ParsedFile(path, error=str(e))
                continue
            del data
            rows: dict[str, int] = {}
            for b in got:
                rows[b.table] = rows.get(b.table, 0) + b.frame.height
                if b.table == "assets":
                    _learn(registry, b.frame, learned)
            # outside the per-file errors above: a batch that does not fit its table fails the import, as before
            prepared = prepare(got)
            yield ParsedFile(path, fmt.name, prepared, rows, digest.result(), warnings=tuple(ctx.warnings))


def _learn(registry: AssetRegistry, assets: pl.DataFrame, learned: set[tuple[Any, ...]]) -> None:
    """Teach ``registry`` the rows of an ``assets`` batch (each distinct row once per import)."""
    for r in assets.select("asset_id", "symbol", "name", "kind").rows():
        if r not in learned:
            learned.add(r)
            registry.learn(AssetInfo(r[0], r[1] or "", r[2] or "", r[3] or ""))


_END = object()


def ahead(
    items: Iterator[T], depth: int = 1, *, weight: Callable[[T], int] | None = None, budget: int = 0
) -> Generator[T]:
    """``items``, produced by a worker thread up to ``depth`` items ahead of the consumer.

    With ``weight`` (an item's size, e.g. bytes) the items waiting also stay within ``budget`` together: the
    worker holds a produced item back while the waiting ones and it would exceed the budget, unless none waits (an
    item larger than the budget still goes, alone). An exception raised by ``items`` is raised to the consumer at
    its place in the sequence. When the consumer stops early (or raises), the worker is stopped after the item it
    is producing and joined before this generator returns.
    """
    box: queue.Queue[tuple[Any, BaseException | None, int]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    room = threading.Condition()
    waiting = [0]  # the weight of the items in the box

    def put(entry: tuple[Any, BaseException | None, int]) -> bool:
        with room:
            while not stop.is_set() and waiting[0] and waiting[0] + entry[2] > budget:
                room.wait(0.05)
            waiting[0] += entry[2]
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None, weight(item) if weight is not None else 0)):
                    return
            put((_END, None, 0))
        except BaseException as e:  # handed to the consumer, raised there
            put((None, e, 0))

    worker = threading.Thread(target=work, name="cryptodesk-parse", daemon=True)
    worker.start()
    try:
        while True:
            item, error, size = box.get()
            with room:
                waiting[0] -= size
                room.notify()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def parsed_bytes(parsed: ParsedFile) -> int:
    """The Arrow bytes of a parsed file's prepared batches (its weight in :func:`ahead`)."""
    return sum(b.data.nbytes for b in parsed.batches if b.data is not None)


PARSE_AHEAD = 8
"""Parsed files that may wait for the store at most (``Desk.import_paths``), within :data:`PARSE_AHEAD_BYTES`."""

PARSE_AHEAD_BYTES = 256 * 2**20
"""The Arrow bytes those waiting files may hold together (one file larger than this still waits alone). Parsing
several files ahead smooths out the parser's and the store's uneven times per file; on 2 cores, bench/fig_import.py's
data (import + close): M's 120 CSV files 10.3 s -> 8.9 s with three files ahead instead of one, I's 20 CSV files
10.7-11.1 s -> 9.3 s with six (~50 MB each)."""
