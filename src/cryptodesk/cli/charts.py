"""Chart command: ``cryptodesk chart KIND --as-of T --out FILE.(png|svg|html)``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cryptodesk.charts.kinds import KINDS
from cryptodesk.cli.app import _desk, app, err
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.timeutil import parse_moment, utc_now

KIND_HELP = "Chart kind: " + "; ".join(f"{k} ({v.description})" for k, v in KINDS.items()) + "."


@app.command("chart")
def chart_cmd(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    out_file: Annotated[Path, typer.Option("--out", help="Output file; .png or .svg (static) or .html (interactive).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO 8601 moment, e.g. 2023-01-18T17:30:00Z (default: now).")
    ] = None,
    asset: Annotated[
        str | None, typer.Option(help="Asset id, symbol or ticker (default bitcoin; ignored by market_cap).")
    ] = None,
    compare: Annotated[
        str | None, typer.Option(help="performance: comma-separated assets to compare (default ETH,BTC).")
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="Window shown, e.g. 90d, 12w, 6m, 1y (default depends on KIND).")
    ] = None,
    tz: Annotated[str | None, typer.Option(help="Time zone of labels and times (default America/New_York).")] = None,
) -> None:
    """Draw one chart as of a moment: PNG/SVG (matplotlib) or a self-contained interactive HTML page (Plotly)."""
    if kind not in KINDS:
        raise ConfigError(f"KIND: unknown chart kind {kind!r}; expected one of {', '.join(KINDS)}", parameter="KIND")
    from cryptodesk.charts.common import parse_window
    from cryptodesk.desk.charts import write_chart

    days = parse_window(window) if window else None
    assets = tuple(a.strip() for a in compare.split(",") if a.strip()) if compare else ()
    with _desk() as desk:
        tz_name = tz or desk.settings.tz
        moment = parse_moment(as_of, tz=tz_name) if as_of else utc_now()
        path = write_chart(desk, kind, moment, out_file, tz=tz_name, asset=asset, assets=assets, window_days=days)
    err.print(f"wrote {path}")
