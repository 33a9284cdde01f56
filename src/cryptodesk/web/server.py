"""Run the web app with uvicorn (what ``cryptodesk serve`` calls)."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import uvicorn

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import Settings
from cryptodesk.web.app import create_app

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    cors_origins: tuple[str, ...] = (),
    alerts_file: Path | None = None,
    log_level: str = "info",
) -> None:
    """Serve the dashboard and API until interrupted (127.0.0.1 by default: not reachable from other machines)."""
    if not 0 < port < 65536:
        raise ConfigError(f"--port: {port} is not a TCP port (1-65535)", parameter="--port")
    if not Path(settings.db).exists():
        raise ConfigError(
            f"--db: no store at {settings.db}",
            parameter="--db",
            hint="Import data first with `cryptodesk import PATH`.",
        )
    if not is_loopback(host):
        log.warning("serving on %s: the dashboard and API are reachable from other machines", host)
    app = create_app(settings, cors_origins=cors_origins, alerts_file=alerts_file)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
