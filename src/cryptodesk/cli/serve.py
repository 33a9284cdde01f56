"""The `serve` command: the dashboard and JSON API over the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cryptodesk.cli.app import _state, app, err
from cryptodesk.core.settings import load_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    cors_origin: Annotated[
        list[str] | None, typer.Option("--cors-origin", help="Allow this browser origin to read the API (repeatable).")
    ] = None,
    alerts: Annotated[
        Path | None,
        typer.Option(help="Alert rules file listed (and, with CRYPTODESK_API_TOKEN, replaced) by the API."),
    ] = None,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1, docs at /docs), reading a snapshot of the store."""
    from cryptodesk.web.server import serve as run

    settings = load_settings({"db": _state["db"]}, config_path=_state["config"])
    err.print(f"serving {settings.db} on http://{host}:{port}/ (API docs at /docs); Ctrl-C stops")
    run(settings, host=host, port=port, cors_origins=tuple(cors_origin or ()), alerts_file=alerts)
