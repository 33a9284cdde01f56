"""Shared JSON machinery for the file formats: decoding, typed field access and clear errors.

JSON files are API responses of at most a few thousand records, so records are read
with plain Python; errors name the record (``entry N``, 1-based, plus its id when
known) and the field path as the column, e.g. ``column 'quote.USD.price'``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptodesk.core.errors import ParseError


def load_json(data: bytes, path: Path) -> Any:
    """The decoded document; invalid JSON -> ParseError with the line of the problem."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ParseError(path, f"not UTF-8 text ({e.reason})") from e
    except json.JSONDecodeError as e:
        raise ParseError(path, f"invalid JSON at character {e.colno}: {e.msg}", line=e.lineno) from e


def looks_like(head: str, start: str, *keys: str) -> bool:
    """True when ``head`` opens with ``start`` (``{`` or ``[``) and names every key in ``keys``."""
    if not head.lstrip().startswith(start):
        return False
    return all(re.search(rf'"{re.escape(k)}"\s*:', head) for k in keys)


class Record:
    """One JSON object of a response, with typed getters that fail naming the record and field."""

    def __init__(self, obj: Any, path: Path, where: str, prefix: str = "") -> None:
        if not isinstance(obj, dict):
            raise ParseError(path, f"{where}: expected a JSON object, got {type(obj).__name__}", column=prefix or None)
        self.obj: dict[str, Any] = obj
        self.path = path
        self.where = where
        self.prefix = prefix

    def _col(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, what: str) -> ParseError:
        """A ParseError naming this record and field (to be raised by the caller)."""
        return ParseError(self.path, f"{self.where}: {what}", column=self._col(key))

    def sub(self, key: str) -> Record:
        """A required nested object."""
        val = self.obj.get(key)
        if val is None:
            raise self.fail(key, "expected an object, got nothing")
        return Record(val, self.path, self.where, self._col(key))

    def maybe(self, key: str) -> Record | None:
        """An optional nested object (None when absent or null)."""
        return None if self.obj.get(key) is None else self.sub(key)

    def text(self, key: str, *, required: bool = True) -> str | None:
        """A string (or number rendered as text) field."""
        val = self.obj.get(key)
        if val is None or (isinstance(val, str) and not val.strip()):
            if required:
                raise self.fail(key, "expected a value, got nothing")
            return None
        if isinstance(val, dict | list):
            raise self.fail(key, f"expected text, got {type(val).__name__}")
        return str(val).strip()

    def number(self, key: str, *, required: bool = False) -> float | None:
        """A numeric field (numbers or numeric strings); null/absent is None unless ``required``."""
        val = self.obj.get(key)
        if val is None:
            if required:
                raise self.fail(key, "expected a number, got nothing")
            return None
        if isinstance(val, bool):
            raise self.fail(key, f"expected a number, got {val!r}")
        try:
            return float(val)
        except (TypeError, ValueError):
            raise self.fail(key, f"expected a number, got {val!r}") from None

    def integer(self, key: str, *, required: bool = False) -> int | None:
        """An integer field."""
        val = self.number(key, required=required)
        if val is None:
            return None
        if not val.is_integer():
            raise self.fail(key, f"expected an integer, got {val!r}")
        return int(val)

    def time(self, key: str) -> datetime:
        """A required ISO-8601 time (``2023-01-16T03:29:01.058Z``) or unix-seconds field as UTC."""
        val = self.obj.get(key)
        if isinstance(val, int | float) and not isinstance(val, bool):
            return datetime.fromtimestamp(float(val), tz=UTC)
        if isinstance(val, str):
            try:
                ts = datetime.fromisoformat(val.strip())
            except ValueError:
                pass
            else:
                return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        got = "nothing" if val is None else repr(val)
        raise self.fail(key, f"expected an ISO-8601 time like '2023-01-16T03:29:01Z', got {got}")


def records(doc: Any, path: Path, *, key: str | None = None, label: str = "id") -> list[Record]:
    """The objects of a JSON list (``doc`` itself, or ``doc[key]``), each labelled for errors."""
    items = doc.get(key) if key is not None and isinstance(doc, dict) else doc
    if not isinstance(items, list):
        where = f"the {key!r} field" if key else "the document"
        raise ParseError(path, f"expected {where} to be a JSON list of records")
    if not items:
        raise ParseError(path, "the list of records is empty")
    out: list[Record] = []
    for n, obj in enumerate(items, start=1):
        name = obj.get(label) if isinstance(obj, dict) else None
        out.append(Record(obj, path, f"entry {n}" + (f" ({name})" if name else "")))
    return out
