"""The `check` command: fact-check an article's quantitative claims against the store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cryptodesk.cli.app import _desk, _emit, app, err, out
from cryptodesk.core.timeutil import parse_moment

if TYPE_CHECKING:
    from cryptodesk.check.model import CheckResult


class CheckFormat(StrEnum):
    """Output formats of `check`."""

    table = "table"
    json = "json"
    html = "html"


@app.command()
def check(
    article: Annotated[str, typer.Argument(help="Article: a text or Markdown file, or - for stdin.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The article's time, ISO 8601 (e.g. 2023-01-18T12:30-05:00).")],
    tz: Annotated[
        str | None, typer.Option(help="Time zone of the article's relative times (default America/New_York).")
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", help="Output format.")] = CheckFormat.table,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Check each quantitative claim of an article against the data known at its time."""
    from cryptodesk.desk.check import check_text, read_article, render_check

    text = read_article(article)
    with _desk() as desk:
        tz_name = tz or desk.settings.tz
        result = check_text(desk, text, parse_moment(as_of, tz=tz_name), tz_name)
    if result.message:
        err.print(result.message, highlight=False, soft_wrap=True)
    if fmt is not CheckFormat.table:
        _emit(render_check(result, fmt.value), out_file)
        return
    _print_table(result)


VERDICT_STYLE = {
    "supported": "green",
    "contradicted": "bold red",
    "unverifiable: no data": "dim",
    "unverifiable: ambiguous": "yellow",
}


def _print_table(result: CheckResult) -> None:
    """A compact table (verdict, claim, claimed, measured) then one explanation line per claim."""
    table = Table("#", "verdict", "claim", "claimed", "measured", title=f"Claims as of {result.as_of.isoformat()}")
    from cryptodesk.check.render import table_rows

    rows = table_rows(result)
    for row, checked in zip(rows, result.claims, strict=True):
        style = VERDICT_STYLE.get(checked.verdict, "")
        table.add_row(row[0], f"[{style}]{row[1]}[/{style}]", escape(checked.claim.text), escape(row[4]), row[5])
    out.print(table)
    for row in rows:
        out.print(escape(f"{row[0]}. ({row[2]}, {row[3]}, {row[6]}) {row[7]}"), highlight=False)
