"""Live commands: update (one incremental pass), watch (the long-running desk), status."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cryptodesk.cli.app import TableFormat, _desk, _print_frame, _progress, app, err, out
from cryptodesk.core.errors import StoreLockedError

if TYPE_CHECKING:  # loaded by the commands themselves, so that --help stays fast
    import polars as pl

    from cryptodesk.desk import Desk
    from cryptodesk.desk.live import UpdateReport
    from cryptodesk.desk.live_watch import WatchReport

LOCKED_HINT = (
    "If `cryptodesk watch` is running, it holds the store and already runs update passes"
    " (watch_update_minutes); `cryptodesk status` shows them."
)


@app.command()
def update(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only these sources or steps (coingecko, ccxt, 'coingecko markets', ...)."),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Summary format.")] = TableFormat.table,
) -> None:
    """Fetch what is new from every configured network source (CoinGecko, CCXT exchanges) and store it.

    Each source is stored in its own transaction; a source that fails is reported and the others go on
    (exit code 1 when any failed).
    """
    with _desk() as desk, _progress() as bar:
        task = bar.add_task("updating", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name[:40], completed=done, total=total)

        try:
            from cryptodesk.desk.live import update as run_update

            report = run_update(desk, only=set(only) if only else None, progress=progress)
        except StoreLockedError as e:
            raise StoreLockedError(str(e), hint=LOCKED_HINT) from e
    _print_update(report, fmt)
    if report.failed:
        raise typer.Exit(1)


def _print_update(report: UpdateReport, fmt: TableFormat) -> None:
    if fmt is TableFormat.json:
        out.print_json(json.dumps(report.to_json()))
        return
    table = Table("step", "fetched", "inserted", "updated", "seconds", "error", title="Update")
    for s in report.steps:
        fetched = ", ".join(f"{k} {v:,}" for k, v in s.rows.items()) or "-"
        error = f"[red]{s.error}[/red]" if s.error else ""
        table.add_row(s.name, fetched, f"{s.inserted:,}", f"{s.updated:,}", f"{s.seconds:.1f}", error)
    out.print(table)
    if report.stopped:
        err.print("stopped before every step ran")


@app.command()
def watch(
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="Stop after this many minutes (default: run until stopped).")
    ] = None,
    no_update: Annotated[bool, typer.Option("--no-update", help="Run only the liquidation feeds.")] = False,
) -> None:
    """Run the desk: liquidation feeds (Binance, Bybit, OKX) plus scheduled updates, until SIGINT/SIGTERM.

    Liquidations are written in batches (one transaction each) with feed coverage, so gaps are known.
    On SIGINT/SIGTERM everything received is flushed to the store before exiting.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with _desk() as desk:
        try:
            report = asyncio.run(_watch(desk, minutes, 0.0 if no_update else None))
        except StoreLockedError as e:
            raise StoreLockedError(
                str(e), hint="Is another `cryptodesk watch` running? `cryptodesk status` tells."
            ) from e
    _print_watch(report)
    if report.writer.error:
        raise typer.Exit(1)


async def _watch(desk: Desk, minutes: float | None, update_minutes: float | None) -> WatchReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    timer = loop.call_later(minutes * 60.0, stop.set) if minutes else None
    err.print(f"watching; store {desk.settings.db}; stop with Ctrl-C or SIGTERM", highlight=False)
    try:
        from cryptodesk.desk.live_watch import watch as run_watch

        return await run_watch(desk, stop, update_minutes=update_minutes)
    finally:
        if timer is not None:
            timer.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _print_watch(report: WatchReport) -> None:
    table = Table("feed", "connects", "messages", "records", "duplicates", "stored", "last error", title="Watch")
    for f in report.feeds:
        table.add_row(
            f"{f['exchange']} {f['feed']}",
            str(f["connects"]),
            f"{f['messages']:,}",
            f"{f['records']:,}",
            f"{f['duplicates']:,}",
            f"{f['stored']:,}",
            f["last_error"] or "",
        )
    out.print(table)
    w = report.writer
    out.print(f"writes: {w.batches:,} batches, {w.inserted:,} new rows; update passes: {report.updates}")
    for e in report.errors:
        err.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)


@app.command()
def status(
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    min_gap: Annotated[float, typer.Option("--min-gap", help="Hide coverage gaps shorter than this (seconds).")] = 0.0,
) -> None:
    """Show the live feeds, the last data time and lag per source, coverage gaps and the last errors."""
    with _desk() as desk:
        from cryptodesk.desk.live_status import status as live_status

        result = live_status(desk, min_gap_seconds=min_gap)
    if fmt is TableFormat.json:
        out.print_json(json.dumps(result.to_json(), default=_iso))
        return
    watch_state = "running" if result.watch_running else "not running"
    out.print(f"watch: {watch_state}; now {result.now:%Y-%m-%d %H:%M:%S} UTC")
    if result.store_locked:
        out.print("[yellow]the store is in use by watch: feed figures come from its status file[/yellow]")
    _print_frame(_readable(result.feeds), fmt, title="Feeds")
    if result.data.height:
        _print_frame(_readable(result.data), fmt, title="Last data per table and source")
    if result.gaps.height:
        _print_frame(result.gaps, fmt, title="Coverage gaps (newest first)")
    for e in result.errors:
        err.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)


def _readable(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    """``lag_s`` (and ``gap_s``) as short durations for the table view."""
    for column, name in (("lag_s", "lag"), ("gap_s", "gap_total")):
        if column in frame.columns:
            text = [_duration(v) for v in frame.get_column(column).to_list()]
            frame = frame.with_columns(pl.Series(column, text, dtype=pl.Utf8)).rename({column: name})
    return frame


def _duration(seconds: float | None) -> str:
    """'45s', '12m', '3h 05m', '412d' (None -> '')."""
    if seconds is None:
        return ""
    s = round(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172_800:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86_400}d"


def _iso(v: Any) -> str:
    return v.isoformat() if isinstance(v, datetime) else str(v)
