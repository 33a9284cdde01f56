"""Data commands: import, report, events, assets, doctor, formats."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cryptodesk.cli.app import (
    ReportFormat,
    TableFormat,
    _desk,
    _emit,
    _jsonable,
    _print_frame,
    _print_import,
    _progress,
    app,
    err,
    out,
)
from cryptodesk.cli.lake import EngineName, EngineOption, LakeOption, SparkMasterOption, engine_choice
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.timeutil import parse_clock, parse_day, parse_moment, utc_now, zone

if TYPE_CHECKING:
    from cryptodesk.core.models import Event


@app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(help="CSV, JSON or Parquet files, or folders (read recursively; .gz is read transparently)."),
    ],
    asset: Annotated[
        str | None, typer.Option(help="Asset of files whose content does not name it (e.g. bitcoin, BTC-USD).")
    ] = None,
) -> None:
    """Import market data files into the store, detecting each file's format from its content.

    A Parquet file whose column names are a supported CSV format's header is read as that CSV.

    A folder written by `cryptodesk export --format parquet` (a lake, with its
    _cryptodesk_lake.json marker) is read back table by table.
    """
    from cryptodesk.store.lake import is_lake

    lakes = [p for p in paths if p.is_dir() and is_lake(p)]
    files = [p for p in paths if p not in lakes]
    with _desk() as desk:
        for lake in lakes:
            from cryptodesk.desk.engines import import_lake

            result = import_lake(desk, lake)
            out.print(
                f"lake {lake}: {result.inserted:,} inserted, {result.updated:,} updated, {result.unchanged:,} unchanged"
            )
        if not files:
            return
        with _progress() as bar:
            task = bar.add_task("importing", total=None)

            def progress(name: str, done: int, total: int) -> None:
                bar.update(task, description=name[:40], completed=done, total=total)

            report = desk.import_paths(files, asset=asset, progress=progress)
            bar.update(task, description="done", completed=len(report.files), total=len(report.files))
    _print_import(report)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def report(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO 8601 moment, e.g. 2023-01-18T17:30:00Z (default: now).")
    ] = None,
    tz: Annotated[str | None, typer.Option(help="Time zone of the story (default America/New_York).")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Output format.")] = ReportFormat.md,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (a folder with --from/--to) instead of stdout.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Phrasing seed (facts never change).")] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="html: add interactive Plotly charts (plotly.js embedded).")
    ] = False,
    start: Annotated[
        str | None, typer.Option("--from", help="Desk log: first day, YYYY-MM-DD (one HTML story per day).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Desk log: last day, YYYY-MM-DD (default: --from).")] = None,
    at: Annotated[
        str, typer.Option(help="Desk log: time of day each story is written as of, HH:MM in --tz.")
    ] = "12:30",
    no_charts: Annotated[bool, typer.Option("--no-charts", help="Desk log: stories without charts.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Desk log: processes rendering charts beside this one [default: 1 with two cores or more]."),
    ] = None,
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    lake: LakeOption = None,
) -> None:
    """Write the market report (headline, story, events and facts ledger) as of a moment, or a desk log.

    With --from/--to it writes one HTML story per day into the --out folder,
    each as of that day at --at, plus index.html (date, headline, lead event).
    """
    if start is not None or end is not None:
        _desk_log(start, end, at, tz, seed, out_file, charts=not no_charts, workers=workers)
        return
    with _desk() as desk:
        tz_name = tz or desk.settings.tz
        moment = parse_moment(as_of, tz=tz_name) if as_of else utc_now()
        if fmt is ReportFormat.html:
            from cryptodesk.desk.charts import render_html_report

            text = render_html_report(desk, moment, tz_name, seed=seed, interactive=interactive)
        elif engine is EngineName.spark:
            from cryptodesk.desk.engines import report_with

            story = report_with(desk, moment, tz=tz_name, seed=seed, choice=engine_choice(engine, spark_master, lake))
            text = desk.render(story, fmt.value)
        else:
            story = desk.report(moment, tz=tz_name, seed=seed)
            text = desk.render(story, fmt.value)
    _emit(text, out_file)


def _desk_log(
    start: str | None,
    end: str | None,
    at: str,
    tz: str | None,
    seed: int | None,
    out: Path | None,
    *,
    charts: bool,
    workers: int | None,
) -> None:
    """`report --from D1 --to D2 --out DIR`: the desk log."""
    if start is None:
        raise ConfigError("--from: the desk log needs a first day (YYYY-MM-DD)", parameter="--from")
    if out is None:
        raise ConfigError("--out: the desk log needs a folder to write into", parameter="--out")
    d1 = parse_day(start, parameter="--from")
    d2 = parse_day(end, parameter="--to") if end else d1
    with _desk() as desk, _progress() as bar:
        task = bar.add_task("writing", total=(d2 - d1).days + 1)

        def progress(day: date, done: int, total: int) -> None:
            bar.update(task, description=day.isoformat(), completed=done, total=total)

        from cryptodesk.desk.desklog import desk_log

        log = desk_log(
            desk, d1, d2, out, at=parse_clock(at), tz=tz, seed=seed, charts=charts, workers=workers, progress=progress
        )
    err.print(f"wrote {len(log.entries)} stories and {log.index}")


@app.command()
def events(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    at: Annotated[str, typer.Option(help="Time of day each day is judged at, HH:MM in --tz.")] = "12:30",
    tz: Annotated[str | None, typer.Option(help="Time zone (default America/New_York).")] = None,
    min_score: Annotated[float, typer.Option(help="Hide events scoring below this (0-100).")] = 20.0,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds (repeatable), e.g. level_cross.")] = None,
    subject: Annotated[list[str] | None, typer.Option(help="Only these subjects (repeatable), e.g. bitcoin.")] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    lake: LakeOption = None,
) -> None:
    """List the events detected over a period, each judged as of its own day (newest last)."""
    d1, d2 = parse_day(start, parameter="--from"), parse_day(end, parameter="--to")
    if d2 < d1:
        raise ConfigError("--to: must not be before --from", parameter="--to")
    with _desk() as desk, _progress() as bar:
        task = bar.add_task("detecting", total=(d2 - d1).days + 1)
        from cryptodesk.desk.engines import events_with

        found = events_with(
            desk,
            d1,
            d2,
            at=parse_clock(at),
            tz=tz,
            choice=engine_choice(engine, spark_master, lake),
            progress=lambda day: bar.update(task, advance=1, description=str(day)),
        )
        zone_name = tz or desk.settings.tz
    subjects = {desk.registry.resolve(x) or x for x in subject or []}
    found = [
        e
        for e in found
        if e.score >= min_score and (not kind or e.kind in kind) and (not subjects or e.subject in subjects)
    ]
    if fmt is TableFormat.json:
        out.print_json(json.dumps([e.to_json() for e in found]))
        return
    table = Table("day", "subject", "kind", "what", "since", "score", title=f"Events ({len(found)})")
    for e in found:
        table.add_row(
            e.time.astimezone(zone(zone_name)).date().isoformat(),
            e.subject,
            e.kind,
            _what(e),
            _since(e),
            f"{e.score:.0f}",
        )
    out.print(table)


def _what(e: Event) -> str:
    if e.kind == "level_cross" and e.level is not None:
        return f"{e.metric} {'above' if e.direction == 'up' else 'below'} {e.level:,.6g}"
    if e.kind == "extreme" and e.value is not None:
        return f"{e.metric} {'highest' if e.direction == 'high' else 'lowest'}: {e.value:,.6g}"
    if e.value is not None:
        return f"{e.metric} {e.direction or ''} {e.value:,.4g}".strip()
    return f"{e.metric} {e.direction or ''}".strip()


def _since(e: Event) -> str:
    if e.kind == "level_cross":
        return e.last_time_beyond.isoformat() if e.last_time_beyond else "never"
    if e.kind == "extreme":
        return e.since.isoformat() if e.since else "all-time"
    return ""


@app.command()
def assets(fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table) -> None:
    """List the assets in the store with their coverage."""
    with _desk() as desk:
        _print_frame(desk.assets(), fmt, title="Assets")


@app.command()
def doctor(fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table) -> None:
    """Report store health: row counts, coverage and gaps, conflicts, source disagreements, stale series."""
    with _desk() as desk:
        health = desk.doctor()
    if fmt is TableFormat.json:
        out.print_json(json.dumps({k: _jsonable(v) for k, v in health.items()}, default=str))
        return
    out.print(f"[bold]Store[/bold] {health['db']}")
    counts = Table("table", "rows", title="Rows")
    for k, v in health["counts"].items():
        counts.add_row(k, f"{v:,}")
    out.print(counts)
    series = health["coverage"]
    out.print(f"{series.height:,} series over {series.get_column('asset_id').n_unique():,} assets (all: --format json)")
    for key, title in (
        ("freshness", "Freshness (newest row per table and source)"),
        ("gaps", "Series with missing days"),
        ("stale", "Stale series (ending long before their source's newest data)"),
        ("conflicts", "Conflicts (same source and key, different values; newest import won)"),
        ("disagreements", "Source disagreements (same asset and day, > 0.5%)"),
    ):
        _print_frame(health[key], TableFormat.table, title=title, limit=15)


@app.command()
def formats() -> None:
    """List the supported file formats (detected from content).

    The parquet column marks the formats also read from Parquet files with the same columns.
    """
    desk = _desk()
    table = Table("format", "source", "tables", "parquet", "description")
    for f in desk.formats:
        table.add_row(f.name, f.source, ", ".join(f.tables), "yes" if f.reads_parquet else "", f.description)
    out.print(table)
