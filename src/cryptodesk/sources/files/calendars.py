"""Calendars -> ``calendar_events``: the US macro release calendar and a user's crypto-events list.

* Macro calendar ``date,event,time_et,note`` (source ``macro-calendar``): ``event`` is
  CPI, PPI, NFP or FOMC; ``ts`` is ``date`` + ``time_et`` in America/New_York
  converted to UTC (daylight saving handled), midnight ET when ``time_et`` is empty.
* Crypto events ``date,title[,time_et][,origin]`` (source ``crypto-calendar``, kind
  ``CRYPTO``), header optional (``2022-11-08,FTX halts withdrawals``); same time rule.
  See ``examples/crypto-events.csv``.

``origin`` says where an entry comes from: the file's ``origin`` column when it has
one, else the data pack (for the pack's macro calendar) or the file name.
"""

from __future__ import annotations

import re
from typing import ClassVar

import polars as pl

from cryptodesk.core.models import UTC_TS, Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, first_line, header_fields

ET = "America/New_York"
MACRO_KINDS = ("CPI", "PPI", "NFP", "FOMC")
MACRO_TITLES = {
    "CPI": "US CPI release",
    "PPI": "US PPI release",
    "NFP": "US jobs report (nonfarm payrolls)",
    "FOMC": "FOMC rate decision",
}
PACK_ORIGIN = "data pack: us_macro_release_dates"
CRYPTO_COLUMNS = ("date", "title", "time_et", "origin")
_HEADERLESS_EVENT = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*,\s*\"?[^,\d\"][^,]*")


def _et_times(table: CsvTable) -> pl.Series:
    """``date`` + ``time_et`` (HH:MM, empty = 00:00) in New York time, as UTC."""
    dates = table.datetime("date", ["%Y-%m-%d"], what="a date like '2023-01-18'")
    if "time_et" in table.frame.columns:
        raw = table.text("time_et", required=False)
        clock = raw.str.extract_groups(r"^(\d{1,2}):(\d{2})$")
        hours = clock.struct.field("1").cast(pl.Int64, strict=False)
        minutes = clock.struct.field("2").cast(pl.Int64, strict=False)
        table.flag(
            raw.is_not_null() & (hours.is_null() | (hours > 23) | (minutes > 59)), "time_et", "a time like '08:30'"
        )
        offset = (hours.fill_null(0) * 60 + minutes.fill_null(0)) * 60_000_000
    else:
        offset = pl.Series([0] * dates.len(), dtype=pl.Int64)
    local = dates.dt.replace_time_zone(None) + pl.Series(offset).cast(pl.Duration("us"))
    ts = local.dt.replace_time_zone(ET, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    column = "time_et" if "time_et" in table.frame.columns else "date"
    table.flag(ts.is_null() & local.is_not_null(), column, "a time that exists in New York that day (not in a DST gap)")
    return ts.cast(UTC_TS).alias("ts")


def _origin(table: CsvTable, default: str) -> pl.Series:
    """The ``origin`` column (empty cells get ``default``), or ``default`` everywhere."""
    if "origin" in table.frame.columns:
        return table.text("origin", required=False).fill_null(default).alias("origin")
    return pl.Series("origin", [default] * len(table), dtype=pl.Utf8)


class MacroCalendar(TableFormat):
    """US macro release dates (CPI, PPI, NFP, FOMC)."""

    name: ClassVar[str] = "macro-calendar"
    description: ClassVar[str] = "US macro release calendar CSV (date,event,time_et,note)"
    source: ClassVar[str] = "macro-calendar"
    tables: ClassVar[tuple[str, ...]] = ("calendar_events",)

    def sniff(self, head: str) -> bool:
        """The header starts with ``date,event,time_et``."""
        return header_fields(head)[:3] == ["date", "event", "time_et"]

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One event per row."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["date", "event", "time_et"], "date,event,time_et,note")
        table.drop_blank()
        with table.checks():
            ts = _et_times(table)
            kind = table.text("event").str.to_uppercase()
            table.flag(~kind.is_in(MACRO_KINDS), "event", "one of " + ", ".join(MACRO_KINDS))
            note = table.text("note", required=False) if "note" in table.frame.columns else None
        default = PACK_ORIGIN if ctx.path.name.startswith("us_macro_release_dates") else f"file: {ctx.path.name}"
        frame = pl.DataFrame(
            {
                "ts": ts,
                "kind": kind,
                "title": kind.replace_strict(MACRO_TITLES, default=kind),
                "origin": _origin(table, default),
            }
        )
        if note is not None:
            frame = frame.with_columns(note.alias("note"))
        check_unique(frame, ["ts", "kind"], ctx.path, table)
        return [batch("calendar_events", frame, self.source)]


class CryptoCalendar(TableFormat):
    """A user's list of dated crypto events."""

    name: ClassVar[str] = "crypto-calendar"
    description: ClassVar[str] = "Crypto events CSV (date,title[,time_et][,origin]), header optional"
    source: ClassVar[str] = "crypto-calendar"
    tables: ClassVar[tuple[str, ...]] = ("calendar_events",)

    def sniff(self, head: str) -> bool:
        """A ``date,title`` header, or a headerless first row ``yyyy-mm-dd,<text>``."""
        return header_fields(head)[:2] == ["date", "title"] or bool(_HEADERLESS_EVENT.match(first_line(head)))

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One CRYPTO event per row."""
        text = data.decode("utf-8-sig", errors="replace")
        headerless = bool(_HEADERLESS_EVENT.match(first_line(text[:4096])))
        width = len(header_fields(first_line(text[:4096]))) if headerless else 0
        names = CRYPTO_COLUMNS[: max(2, min(width, len(CRYPTO_COLUMNS)))] if headerless else None
        return self.parse_table(CsvTable(data, ctx.path, names=names), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["date", "title"], "date,title[,time_et][,origin]")
        table.drop_blank()
        with table.checks():
            ts = _et_times(table)
            title = table.text("title")
            origin = _origin(table, f"file: {ctx.path.name}")
        frame = pl.DataFrame({"ts": ts, "title": title, "origin": origin}).with_columns(pl.lit("CRYPTO").alias("kind"))
        check_unique(frame, ["ts", "title"], ctx.path, table)
        return [batch("calendar_events", frame, self.source)]
