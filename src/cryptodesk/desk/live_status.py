"""Live collection, part 3: the live status file and ``status`` (feeds, last data times, lag, gaps, errors).

Everything durable comes from the store: feed intervals (``feed_coverage``), the
latest time per table and source (``Store.latest_times``), liquidation freshness.
What the store cannot hold without a new table lives in a small JSON file beside
it, ``<db>.live.json``: the last ``update`` report (with each failed step's
error) and, while ``watch`` runs, its process id and per-feed counters and last
errors (rewritten every few seconds). ``status`` reads both; when ``watch`` holds
the store's write lock, DuckDB refuses a second process, so ``status`` then shows
what the file says and says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from cryptodesk.core.errors import StoreLockedError
from cryptodesk.core.models import UTC_TS
from cryptodesk.core.settings import Settings
from cryptodesk.core.timeutil import utc_now
from cryptodesk.desk.core import Desk
from cryptodesk.store import state

FEED_SCHEMA: dict[str, pl.DataType] = {
    "exchange": pl.Utf8(),
    "feed": pl.Utf8(),
    "connected": pl.Utf8(),
    "covered_since": UTC_TS,
    "covered_until": UTC_TS,
    "last_data": UTC_TS,
    "rows": pl.Int64(),
    "lag_s": pl.Float64(),
    "gaps": pl.Int64(),
    "gap_s": pl.Float64(),
}


_FILE_LOCK = threading.Lock()


def status_path(settings: Settings) -> Path:
    """The live status file of the store in ``settings`` (``<db>.live.json``)."""
    return Path(str(settings.db) + ".live.json")


def load_status(settings: Settings) -> dict[str, Any]:
    """The live status file's content ({} when absent or unreadable)."""
    try:
        data = json.loads(status_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_status(settings: Settings, **sections: Any) -> None:
    """Replace the given top-level sections of the status file (atomically: write then rename)."""
    path = status_path(settings)
    with _FILE_LOCK:
        data = load_status(settings)
        data.update(sections)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
            tmp.replace(path)


def watch_alive(info: dict[str, Any]) -> bool:
    """True when the ``watch`` section names a running process that has not reported stopping."""
    pid = info.get("pid")
    if info.get("state") != "running" or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


@dataclass
class LiveStatus:
    """What ``cryptodesk status`` shows."""

    now: datetime
    feeds: pl.DataFrame
    data: pl.DataFrame
    gaps: pl.DataFrame
    errors: list[str] = field(default_factory=list)
    watch: dict[str, Any] = field(default_factory=dict)
    watch_running: bool = False
    store_locked: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "now": self.now.isoformat(),
            "watch_running": self.watch_running,
            "store_locked": self.store_locked,
            "feeds": self.feeds.to_dicts(),
            "data": self.data.to_dicts(),
            "gaps": self.gaps.to_dicts(),
            "errors": self.errors,
            "watch": self.watch,
        }


def status(desk: Desk, *, now: datetime | None = None, min_gap_seconds: float = 0.0, gaps: int = 20) -> LiveStatus:
    """Feeds, last data times, lag, the latest ``gaps`` coverage gaps and the last errors."""
    moment = now or utc_now()
    info = load_status(desk.settings)
    watch = info.get("watch") if isinstance(info.get("watch"), dict) else {}
    assert isinstance(watch, dict)
    running = watch_alive(watch)
    errors = _errors(info, watch)
    try:
        store = desk.store()
    except StoreLockedError:
        feeds = _feeds_from_file(watch, moment)
        result = LiveStatus(moment, feeds, pl.DataFrame(), pl.DataFrame(schema=state.GAP_SCHEMA), errors, watch)
        result.watch_running, result.store_locked = running, True
        return result
    coverage = state.feed_coverage(store)
    gap_frame = state.feed_gaps(coverage, min_seconds=min_gap_seconds)
    feeds = _feeds(coverage, gap_frame, state.liquidation_latest(store), watch, moment)
    data = store.latest_times().with_columns(
        ((pl.lit(moment) - pl.col("latest")).dt.total_microseconds() / 1e6).alias("lag_s")
    )
    recent = gap_frame.sort("gap_end", descending=True).head(gaps)
    return LiveStatus(moment, feeds, data, recent, errors, watch, running)


def _feeds(
    coverage: pl.DataFrame, gaps: pl.DataFrame, latest: pl.DataFrame, watch: dict[str, Any], now: datetime
) -> pl.DataFrame:
    """One row per feed known to the store or to the running watch."""
    live = {(f.get("exchange"), f.get("feed")): f for f in watch.get("feeds", []) if isinstance(f, dict)}
    running = watch_alive(watch)
    keys = sorted({(r[0], r[1]) for r in coverage.select("exchange", "feed").iter_rows()} | set(live))
    rows: list[dict[str, Any]] = []
    for exchange, feed in keys:
        cov = coverage.filter((pl.col("exchange") == exchange) & (pl.col("feed") == feed))
        gap = gaps.filter((pl.col("exchange") == exchange) & (pl.col("feed") == feed))
        liq = latest.filter(pl.col("exchange") == exchange)
        last_data = liq.get_column("latest").max() if liq.height else None
        rows.append(
            {
                "exchange": exchange,
                "feed": feed,
                "connected": _connected(live.get((exchange, feed)), running),
                "covered_since": cov.get_column("start").min() if cov.height else None,
                "covered_until": cov.get_column("end").max() if cov.height else None,
                "last_data": last_data,
                "rows": int(liq.get_column("rows").sum()) if liq.height else 0,
                "lag_s": (now - last_data).total_seconds() if isinstance(last_data, datetime) else None,
                "gaps": gap.height,
                "gap_s": float(gap.get_column("seconds").sum()) if gap.height else 0.0,
            }
        )
    return pl.DataFrame(rows, schema=FEED_SCHEMA)


def _connected(feed: dict[str, Any] | None, running: bool) -> str:
    if not running:
        return "no (watch not running)"
    if feed is None:
        return "no"
    return "yes" if feed.get("connected") else "reconnecting"


def _feeds_from_file(watch: dict[str, Any], now: datetime) -> pl.DataFrame:
    """Feed rows from the running watch's counters (the store is locked by it)."""
    running = watch_alive(watch)
    rows: list[dict[str, Any]] = []
    for f in watch.get("feeds", []):
        if not isinstance(f, dict):
            continue
        last = _parse(f.get("last_data"))
        rows.append(
            {
                "exchange": f.get("exchange"),
                "feed": f.get("feed"),
                "connected": _connected(f, running),
                "covered_since": _parse(f.get("session_start")),
                "covered_until": None,
                "last_data": last,
                "rows": f.get("stored"),
                "lag_s": (now - last).total_seconds() if last else None,
                "gaps": max(0, int(f.get("connects", 0)) - 1),
                "gap_s": None,
            }
        )
    return pl.DataFrame(rows, schema=FEED_SCHEMA)


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _errors(info: dict[str, Any], watch: dict[str, Any]) -> list[str]:
    """The last errors: failed steps of the last update pass, then each feed's and the writer's last error."""
    out: list[str] = []
    update = info.get("update")
    if isinstance(update, dict):
        finished = update.get("finished") or update.get("started")
        for step in update.get("steps", []):
            if isinstance(step, dict) and step.get("error"):
                out.append(f"update {finished}: {step.get('name')}: {step.get('error')}")
    for f in watch.get("feeds", []):
        if isinstance(f, dict) and f.get("last_error"):
            out.append(f"watch {f.get('exchange')} {f.get('feed')}: {f.get('last_error')}")
    for message in watch.get("errors", []):
        out.append(f"watch: {message}")
    return out
