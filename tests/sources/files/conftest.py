"""Fixtures for the file-format tests: a registry, a loader and a corrupted-copy helper."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext, read_bytes
from cryptodesk.sources.files import format_by_name

from .files_helpers import ErrorRunner, Loader, by_table


@pytest.fixture
def registry() -> AssetRegistry:
    """A fresh built-in registry."""
    return AssetRegistry.builtin()


@pytest.fixture
def load(registry: AssetRegistry) -> Loader:
    """Parse a file with the named format (validated, as the desk does) -> {table: Batch}."""

    def _load(path: Path, fmt: str, asset_hint: str | None = None, data: bytes | None = None) -> dict[str, Batch]:
        ctx = ParseContext(path, registry, asset_hint=asset_hint)
        raw = read_bytes(path) if data is None else data
        return by_table(format_by_name(fmt).load(raw, ctx))

    return _load


@pytest.fixture
def parse_error(registry: AssetRegistry, tmp_path: Path) -> ErrorRunner:
    """Write ``content`` to tmp_path/name, parse it with ``fmt`` and return the ParseError it must raise."""

    def _run(fmt: str, content: bytes | str, name: str = "bad.csv", asset_hint: str | None = "bitcoin") -> ParseError:
        path = tmp_path / name
        raw = content.encode() if isinstance(content, str) else content
        path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
        ctx = ParseContext(path, registry, asset_hint=asset_hint)
        with pytest.raises(ParseError) as info:
            format_by_name(fmt).load(read_bytes(path), ctx)
        assert str(path) in str(info.value)
        return info.value

    return _run
