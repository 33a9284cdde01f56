"""Article checking on the desk: read an article, load the frames as of its time, check every claim.

``check_text`` is the entry point for the CLI and the web API::

    result = check_text(desk, text, as_of, "America/New_York")
    print(render_check(result, "json"))
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptodesk.check.model import CheckResult
from cryptodesk.check.render import to_html, to_json
from cryptodesk.check.run import check_frames
from cryptodesk.core.errors import ConfigError, InputError, StoreError
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.core import Desk

MAX_ARTICLE_BYTES = 2_000_000
FORMATS = ("table", "json", "html")


def check_text(desk: Desk, text: str, as_of: datetime, tz: str | None = None) -> CheckResult:
    """Check every quantitative claim of ``text`` against what the store knew at ``as_of``.

    Relative times in the article ("Wednesday morning", "one week ago") resolve
    against ``as_of`` in ``tz`` (default: the desk's time zone). An empty or
    non-English article, or one without numbers, gives a result with no claims
    and a ``message`` saying why.
    """
    if as_of.tzinfo is None:
        raise StoreError("internal: naive datetime passed to check_text")
    tz_name = tz or desk.settings.tz
    zone(tz_name)
    moment = as_of.astimezone(UTC)
    return check_frames(text, desk.frames(moment), tz=tz_name, registry=desk.registry)


def read_article(path: str) -> str:
    """The article text from a file path, or from stdin for ``-`` (UTF-8, at most 2 MB)."""
    if path == "-":
        data = sys.stdin.buffer.read()
        where = "stdin"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{path}: no such article file", hint="Give a text or Markdown file, or - for stdin.")
        data = p.read_bytes()
        where = path
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(f"{where}: article is {len(data):,} bytes; at most {MAX_ARTICLE_BYTES:,} are checked")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: byte {e.start} is not UTF-8; expected a UTF-8 text or Markdown file") from e


def render_check(result: CheckResult, fmt: str) -> str:
    """The result as ``json`` or ``html`` text (the ``table`` format is drawn by the CLI)."""
    if fmt == "json":
        return to_json(result)
    if fmt == "html":
        return to_html(result)
    raise ConfigError(
        f"--format: unknown check format {fmt!r}; expected one of {', '.join(FORMATS)}", parameter="--format"
    )
