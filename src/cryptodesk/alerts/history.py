"""Alert history in a sidecar DuckDB file next to the store (``cryptodesk.duckdb`` -> ``cryptodesk.alerts.duckdb``).

Kept apart from the store so that alerting never needs the store's write lock
(``import`` and ``watch`` may hold it) and the store's schema stays the store's.
Each fired (rule, event) is recorded once, so the same event never alerts twice,
even across restarts; each delivery attempt outcome is recorded per sink.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import duckdb

from cryptodesk.core.errors import StoreError, StoreLockedError

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS alert_fired (rule VARCHAR NOT NULL, event_key VARCHAR NOT NULL,"
    " subject VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, fired_at TIMESTAMP NOT NULL,"
    " text VARCHAR NOT NULL, PRIMARY KEY (rule, event_key))",
    "CREATE TABLE IF NOT EXISTS alert_delivery (rule VARCHAR NOT NULL, event_key VARCHAR NOT NULL,"
    " sink VARCHAR NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL, error VARCHAR,"
    " delivered_at TIMESTAMP NOT NULL)",
)


def _naive(moment: datetime) -> datetime:
    """UTC wall time without tzinfo (columns are TIMESTAMP in UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def history_path(db: Path) -> Path:
    """The sidecar file of store ``db``."""
    return db.with_name(db.stem + ".alerts.duckdb") if db.suffix else db.with_name(db.name + ".alerts.duckdb")


class AlertHistory:
    """Fired alerts and delivery outcomes; ``:memory:`` for dry runs."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        try:
            self._con = duckdb.connect(self.path)
            with contextlib.suppress(duckdb.Error):
                self._con.execute("SET TimeZone = 'UTC'")
            for stmt in SCHEMA:
                self._con.execute(stmt)
        except duckdb.Error as e:
            text = str(e).splitlines()[0]
            cls = StoreLockedError if "lock" in text.lower() else StoreError
            raise cls(f"{self.path}: cannot open the alert history: {text}") from e
        self._lock = threading.Lock()

    def fired(self, rule: str, key: str) -> bool:
        """Has ``rule`` already fired for the event ``key``?"""
        with self._lock:
            rows = self._con.execute(
                "SELECT 1 FROM alert_fired WHERE rule = $r AND event_key = $k", {"r": rule, "k": key}
            ).fetchall()
        return bool(rows)

    def last_fired(self, rule: str, subject: str) -> datetime | None:
        """Event time of the latest alert of ``rule`` about ``subject``."""
        with self._lock:
            rows = self._con.execute(
                "SELECT max(event_time) FROM alert_fired WHERE rule = $r AND subject = $s", {"r": rule, "s": subject}
            ).fetchall()
        value = rows[0][0] if rows else None
        return value.replace(tzinfo=UTC) if isinstance(value, datetime) else None

    def record_fired(self, rule: str, key: str, *, subject: str, event_time: datetime, text: str, at: datetime) -> bool:
        """Record a firing; False when it was already recorded (another runner got there first)."""
        with self._lock:
            before = self._con.execute(
                "SELECT count(*) FROM alert_fired WHERE rule = $r AND event_key = $k", {"r": rule, "k": key}
            ).fetchall()[0][0]
            if before:
                return False
            self._con.execute(
                "INSERT INTO alert_fired VALUES ($r, $k, $s, $t, $a, $x)",
                {"r": rule, "k": key, "s": subject, "t": _naive(event_time), "a": _naive(at), "x": text},
            )
        return True

    def record_delivery(
        self, rule: str, key: str, sink: str, *, ok: bool, attempts: int, error: str | None, at: datetime
    ) -> None:
        """Record the outcome of delivering one alert to one sink."""
        with self._lock:
            self._con.execute(
                "INSERT INTO alert_delivery VALUES ($r, $k, $s, $st, $n, $e, $a)",
                {
                    "r": rule,
                    "k": key,
                    "s": sink,
                    "st": "ok" if ok else "failed",
                    "n": attempts,
                    "e": error,
                    "a": _naive(at),
                },
            )

    def fired_rows(self) -> list[tuple[str, str, str]]:
        """(rule, event_key, text) of every firing, oldest first."""
        with self._lock:
            rows = self._con.execute("SELECT rule, event_key, text FROM alert_fired ORDER BY event_time").fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def close(self) -> None:
        """Close the connection (safe twice)."""
        with contextlib.suppress(duckdb.Error):
            self._con.close()

    def __enter__(self) -> AlertHistory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
