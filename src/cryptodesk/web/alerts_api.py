"""Alert rules over the API: list them (public, without sink targets) and replace them (token required).

``PUT /api/v1/alerts/rules`` is the one state-changing endpoint: it needs
``Authorization: Bearer <CRYPTODESK_API_TOKEN>`` and is disabled (403) when no
token is configured. The token is compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import tomllib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request, Response
from pydantic import BaseModel, Field

from cryptodesk.alerts.rules import AlertsConfig, load_config, parse_config
from cryptodesk.core.errors import ConfigError
from cryptodesk.web.api import ERRORS, envelope
from cryptodesk.web.errors import AuthError
from cryptodesk.web.jsonable import dumps
from cryptodesk.web.models import Envelope, ErrorEnvelope
from cryptodesk.web.state import web_state

router = APIRouter(
    prefix="/api/v1/alerts",
    responses={
        **ERRORS,
        401: {"model": ErrorEnvelope, "description": "Missing or wrong API token."},
        403: {"model": ErrorEnvelope, "description": "No API token configured: state changes are disabled."},
    },
)


class RuleOut(BaseModel):
    """A rule as listed (sink names only; sink targets may carry secrets)."""

    name: str
    when: str
    subjects: list[str]
    direction: str | None
    metric: str | None
    level: float | None
    min_days: int | None
    threshold: float | None
    cooldown_hours: float
    sinks: list[str]


class RulesIn(BaseModel):
    """A complete alerts file, as TOML text."""

    toml: str = Field(min_length=1, max_length=200_000)


def _rules(config: AlertsConfig | None) -> list[dict[str, Any]]:
    if config is None:
        return []
    return [
        {
            "name": r.name,
            "when": r.when,
            "subjects": list(r.subjects),
            "direction": r.direction,
            "metric": r.metric,
            "level": r.level,
            "min_days": r.min_days,
            "threshold": r.threshold,
            "cooldown_hours": r.cooldown_hours,
            "sinks": list(r.sinks),
        }
        for r in config.rules
    ]


def _config(request: Request) -> tuple[Path | None, AlertsConfig | None]:
    path: Path | None = web_state(request).extra.get("alerts_file")
    if path is None or not path.exists():
        return path, None
    return path, load_config(path)


def require_token(request: Request, authorization: str | None) -> None:
    """Raise AuthError unless the request carries the configured bearer token."""
    token = web_state(request).settings.api_token
    if token is None:
        raise AuthError("state-changing endpoints are disabled: no CRYPTODESK_API_TOKEN is configured", status=403)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise AuthError("missing or wrong API token")


@router.get("/rules", response_model=Envelope[list[RuleOut]], summary="The alert rules in force")
async def list_rules(request: Request) -> Response:
    """Rules of the alerts file (sink names only)."""
    _, config = _config(request)
    return envelope(dumps(_rules(config)), web_state(request).reader.version or "")


@router.put("/rules", response_model=Envelope[list[RuleOut]], summary="Replace the alert rules (token required)")
async def put_rules(request: Request, body: RulesIn, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Validate the TOML and write it as the alerts file; answers the new rules."""
    require_token(request, authorization)
    path, _ = _config(request)
    if path is None:
        raise ConfigError("alerts: the server was started without an alerts file", parameter="alerts_file")
    try:
        data = tomllib.loads(body.toml)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"toml: invalid TOML: {e}", parameter="toml") from e
    config = parse_config(data, "toml")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(body.toml, encoding="utf-8")
    tmp.replace(path)
    return envelope(dumps(_rules(config)), web_state(request).reader.version or "")


def install(app: FastAPI, alerts_file: Path | None) -> None:
    """Register the alert routes; ``alerts_file`` is the rules file they read and write."""
    app.state.web.extra["alerts_file"] = alerts_file
    app.include_router(router)
