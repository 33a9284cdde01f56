"""Helpers shared by the file-format tests (imported by basename; pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import Batch
from cryptodesk.sources.base import read_bytes

Loader = Callable[..., dict[str, Batch]]
ErrorRunner = Callable[..., ParseError]


def by_table(batches: list[Batch]) -> dict[str, Batch]:
    """Batches keyed by table name (each table appears once per file)."""
    out = {b.table: b for b in batches}
    assert len(out) == len(batches)
    return out


def pack_text(path: Path) -> str:
    """A pack file's text (gunzipped when needed)."""
    return read_bytes(path).decode("utf-8-sig")
