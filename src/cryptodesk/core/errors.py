"""The one exception tree of cryptodesk.

Every error that cryptodesk raises on purpose is a :class:`DeskError`. Third-party
errors (DuckDB, httpx, ccxt, OS errors) are translated once, at the boundary that
calls the library, with ``raise ... from e``. The CLI and the web layer catch
``DeskError`` exactly once and print or serialise ``str(error)`` plus ``hint``.

::

    DeskError                      base; .hint says what to do next
    ├── ConfigError                bad setting, option or parameter (.parameter names it)
    ├── InputError                 bad user-supplied data
    │   ├── UnknownFormatError     a file whose content matches no importer
    │   └── ParseError             a known format with a malformed row (.path, .line, .column)
    ├── StoreError                 the DuckDB store cannot be opened, migrated or written
    │   └── StoreLockedError       another process holds the write lock
    ├── DataError                  the store lacks the data a request needs
    │   └── NoDataError            nothing at all for that subject / time
    └── SourceError                a network source failed
        ├── TemporarySourceError   worth retrying (429, 5xx, timeouts, disconnects)
        └── PermanentSourceError   not worth retrying (4xx, schema drift, plan limits)
"""

from __future__ import annotations

from pathlib import Path


class DeskError(Exception):
    """Base of every error cryptodesk raises on purpose."""

    default_hint = "Run the command with --debug for details."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint or self.default_hint


class ConfigError(DeskError):
    """A setting, CLI option or API parameter is invalid."""

    default_hint = "Check the option or setting named in the message; --help lists them."

    def __init__(self, message: str, *, parameter: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.parameter = parameter


class InputError(DeskError):
    """User-supplied data (a file, an article, a request body) is unusable."""

    default_hint = "Fix the input named in the message and run the command again."


class UnknownFormatError(InputError):
    """A file's content matches none of the registered importers."""

    default_hint = "Run `cryptodesk formats` to see the supported formats and their headers."


class ParseError(InputError):
    """A file in a known format has a malformed row or field.

    The message always names the file and, where known, the line (of a text file) or
    the 1-based data row (of a Parquet file) and the column.
    """

    def __init__(
        self,
        path: str | Path,
        what: str,
        *,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        row: int | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {what}", hint=hint or "Nothing from this file was stored; fix it and import again.")
        self.path = str(path)
        self.line = line
        self.row = row
        self.column = column


class StoreError(DeskError):
    """The store cannot be opened, migrated, read or written."""

    default_hint = "Check the --db path (or CRYPTODESK_DB); `cryptodesk doctor` checks store health."


class StoreLockedError(StoreError):
    """Another process holds the DuckDB write lock."""

    default_hint = "Another cryptodesk process is writing to this store; wait for it or use --db."


class DataError(DeskError):
    """The store lacks the data a request needs."""

    default_hint = "Import data first with `cryptodesk import PATH`; `cryptodesk doctor` shows coverage."


class NoDataError(DataError):
    """No data at all for the requested subject or time."""


class SourceError(DeskError):
    """A network source failed."""

    default_hint = "Check the source's URL setting and your network; `cryptodesk status` shows feeds."


class TemporarySourceError(SourceError):
    """A failure worth retrying: 429, 5xx, timeouts, disconnects."""

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class PermanentSourceError(SourceError):
    """A failure not worth retrying: other 4xx, schema drift, plan limits."""


__all__ = [
    "ConfigError",
    "DataError",
    "DeskError",
    "InputError",
    "NoDataError",
    "ParseError",
    "PermanentSourceError",
    "SourceError",
    "StoreError",
    "StoreLockedError",
    "TemporarySourceError",
    "UnknownFormatError",
]
