"""``cryptodesk analytics``: the point-in-time analysis (market state + one row per asset) as a table or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cryptodesk.cli.app import TableFormat, _desk, _emit, app, out
from cryptodesk.cli.lake import EngineName, EngineOption, LakeOption, SparkMasterOption, engine_choice
from cryptodesk.core.errors import InputError
from cryptodesk.core.timeutil import parse_moment, utc_now

if TYPE_CHECKING:
    from cryptodesk.analytics.types import Analysis, AssetState
    from cryptodesk.desk import Desk

WINDOWS = ("1d", "7d", "30d", "ytd", "1y")


@app.command()
def analytics(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO 8601 moment, e.g. 2023-01-18T17:30:00Z (default: now).")
    ] = None,
    asset: Annotated[
        list[str] | None,
        typer.Option("--asset", help="Only these assets (repeatable; id or symbol). Default: the universe (top 100)."),
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="Time zone whose day bounds the intraday ranges (default America/New_York).")
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, or json (schemas/analysis.schema.json).")] = (
        TableFormat.table
    ),
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    lake: LakeOption = None,
) -> None:
    """Show the point-in-time analysis: the market state and each asset's indicators as known at --as-of.

    Changes, SMA50/200, σ-distance, RSI14, 52-week and all-time extremes, volume vs its 30-day mean
    (definitions: the analysis schema, schemas/analysis.schema.json). Both engines give the same numbers.
    """
    from cryptodesk.desk.analysis_doc import analysis_doc
    from cryptodesk.desk.engines import analyze_with

    with _desk() as desk:
        tz_name = tz or desk.settings.tz
        moment = parse_moment(as_of, tz=tz_name) if as_of else utc_now()
        ids = _resolve(desk, asset) if asset else None
        result = analyze_with(desk, moment, tz=tz_name, choice=engine_choice(engine, spark_master, lake), assets=ids)
    if fmt is TableFormat.json:
        _emit(json.dumps(analysis_doc(result, tz=tz_name), indent=2), None)
        return
    _print_analysis(result)


def _resolve(desk: Desk, names: list[str]) -> list[str]:
    """Canonical ids of --asset values (an InputError naming the first unknown one)."""
    ids: list[str] = []
    for name in names:
        aid = desk.registry.resolve(name)
        if aid is None:
            raise InputError(f"--asset: unknown asset {name!r}", hint="`cryptodesk assets` lists the stored assets.")
        ids.append(aid)
    return list(dict.fromkeys(ids))


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:+.2%}"


def _num(v: float | None, spec: str = ",.6g") -> str:
    return "" if v is None else format(v, spec)


def _print_analysis(result: Analysis) -> None:
    m = result.market
    if m is None:
        out.print(f"[bold]Market[/bold] as of {result.as_of.isoformat()}: no total market cap known")
    else:
        changes = "  ".join(f"{w} {_pct(c.pct)}" for w, c in m.changes.items())
        dominance = f"  BTC dominance {m.btc_dominance:.2%}" if m.btc_dominance is not None else ""
        out.print(
            f"[bold]Market[/bold] as of {result.as_of.isoformat()}: total ${m.total_market_cap:,.0f} on {m.date}"
            f" ({m.method}: {m.source})  {changes}{dominance}",
            soft_wrap=True,
        )
    table = Table("asset", "close", *WINDOWS, "vs SMA50", "vs SMA200", "σ", "RSI14", "vol/avg30", "from ATH", "mcap")
    table.title = f"Assets ({len(result.assets)})"
    for a in result.assets.values():
        table.add_row(*_row(a))
    out.print(table)


def _row(a: AssetState) -> list[Any]:
    return [
        a.symbol or a.asset_id,
        _num(a.close),
        *(_pct(a.changes[w].pct) if w in a.changes else "" for w in WINDOWS),
        _pct(a.dist_sma50_pct),
        _pct(a.dist_sma200_pct),
        _num(a.dist_sma50_sigma, "+.2f"),
        _num(a.rsi14, ".1f"),
        _num(a.volume_ratio, ".2f"),
        _pct(a.drawdown_from_ath),
        _num(a.market_cap, ",.0f"),
    ]
