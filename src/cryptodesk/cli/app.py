"""The typer app, global options, shared output helpers and the error edge.

Errors are caught once, in :func:`main`: a one-line cause and a next step on
stderr, exit code 1 (2 for bad options). ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cryptodesk.core.errors import ConfigError, DeskError
from cryptodesk.core.settings import load_settings

if TYPE_CHECKING:  # the desk and its data stack load only when a command needs them (fast --help)
    import polars as pl

    from cryptodesk.desk import Desk, ImportReport

app = typer.Typer(
    name="cryptodesk",
    help="A crypto market desk: import market data, analyze it as of any moment, detect events, write the story.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"debug": False, "db": None, "config": None}


class ReportFormat(StrEnum):
    """Output formats of `report`."""

    md = "md"
    json = "json"
    html = "html"


class TableFormat(StrEnum):
    """Output formats of listing commands."""

    table = "table"
    json = "json"


@app.callback()
def _global(
    db: Annotated[
        Path | None, typer.Option("--db", help="DuckDB store file (env CRYPTODESK_DB; default ./cryptodesk.duckdb).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings TOML file (env CRYPTODESK_CONFIG; default ./cryptodesk.toml)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Global options shared by every command."""
    _state.update(debug=debug, db=db, config=config)


def _desk() -> Desk:
    from cryptodesk.desk import Desk

    return Desk(load_settings({"db": _state["db"]}, config_path=_state["config"]))


# ---------------------------------------------------------------------- helpers
def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_import(report: ImportReport) -> None:
    root = _common_parent([f.path for f in report.files])
    files = Table(title=f"Files under {root}" if root else "Files")
    files.add_column("file", overflow="fold", ratio=3)
    files.add_column("format", overflow="fold", ratio=2)
    files.add_column("rows", overflow="fold", ratio=2)
    files.add_column("status", overflow="fold", ratio=1)
    for f in report.files:
        status = "skipped: not a data file" if f.skipped else ("[red]rejected[/red]" if f.error else "ok")
        name = str(f.path.relative_to(root)) if root else str(f.path)
        files.add_row(name, f.format or "-", ", ".join(f"{k} {v:,}" for k, v in f.rows.items()), status)
    out.print(files)
    if report.result is not None:
        summary = Table("table", "inserted", "updated", "unchanged", "conflicts", title="Stored")
        for name, t in report.result.tables.items():
            summary.add_row(name, f"{t.inserted:,}", f"{t.updated:,}", f"{t.unchanged:,}", f"{t.conflicts:,}")
        out.print(summary)
    for f in report.files:
        for w in f.warnings:
            err.print(f"[yellow]warning:[/yellow] {w}", highlight=False, soft_wrap=True)
    for f in report.failed:
        err.print(f"[red]error:[/red] {f.error}", highlight=False, soft_wrap=True)


def _common_parent(paths: list[Path]) -> Path | None:
    if len(paths) < 2:
        return None
    try:
        return Path(os.path.commonpath([p.parent for p in paths]))
    except ValueError:
        return None


def _print_frame(frame: pl.DataFrame, fmt: TableFormat, *, title: str, limit: int | None = None) -> None:
    if fmt is TableFormat.json:
        out.print_json(json.dumps(frame.to_dicts(), default=str))
        return
    shown = frame.head(limit or frame.height)
    more = f", first {shown.height}" if shown.height < frame.height else ""
    table = Table(*frame.columns, title=f"{title} ({frame.height:,}{more})")
    for row in shown.iter_rows():
        table.add_row(*(_cell(v) for v in row))
    out.print(table)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.6g}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "to_dicts"):  # a polars DataFrame
        return v.to_dicts()
    return v


def _emit(text: str, path: Path | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--out: cannot write {path}: {e.strerror or e}", parameter="--out") from e
    err.print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, translating DeskError into a one-line message and exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        rv = app(args=args, standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except DeskError as e:
        if debug:
            raise
        err.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        err.print(f"[dim]next:[/dim] {e.hint}", highlight=False, soft_wrap=True)
        return 2 if isinstance(e, ConfigError) else 1
    except typer.Exit as e:
        return int(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        return 130
    except Exception as e:  # usage errors (typer's click) and the unexpected
        if isinstance(e, typer.Exit):
            return int(e.exit_code)
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):  # a click/typer usage error: say it like --help would
            show()
            return code
        if debug:
            raise
        err.print(f"[red]internal error:[/red] {type(e).__name__}: {e}", highlight=False, soft_wrap=True)
        err.print("[dim]next:[/dim] run again with --debug and report the traceback.")
        return 70
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
