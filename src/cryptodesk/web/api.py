"""The JSON API under ``/api/v1``: market, series, events, report, assets, health and freshness.

Every answer is the one envelope (``web.models.Envelope``). Query values are
taken as strings and parsed here so that a bad one is a 400 naming the
parameter; heavy results are cached per (store snapshot version, parameters).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from cryptodesk.core.errors import ConfigError
from cryptodesk.desk import Desk
from cryptodesk.web import service
from cryptodesk.web.errors import error_body
from cryptodesk.web.jsonable import dumps
from cryptodesk.web.models import (
    AssetInfoRow,
    Envelope,
    ErrorEnvelope,
    EventsData,
    FreshnessRow,
    Health,
    MarketData,
    ReportData,
    SeriesData,
)
from cryptodesk.web.state import WebState, clock_param, day_param, moment_param, tz_param, web_state

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "A bad parameter (named in error.parameter)."},
    404: {"model": ErrorEnvelope, "description": "No data for this subject or moment."},
    422: {"model": ErrorEnvelope, "description": "A parameter of the wrong type (named in error.parameter)."},
    503: {"model": ErrorEnvelope, "description": "No readable store snapshot yet."},
}
FORMATS = ("json", "md", "html")

router = APIRouter(prefix="/api/v1", responses=ERRORS)
State = Annotated[WebState, Depends(web_state)]
AsOf = Annotated[
    str | None,
    Query(
        description="ISO 8601 moment (a bare date = end of that day in tz; default now).",
        json_schema_extra={"format": "date-time"},
    ),
]
FromDay = Annotated[
    str | None, Query(alias="from", description="First day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
]
ToDay = Annotated[
    str | None, Query(alias="to", description="Last day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
]
Tz = Annotated[str | None, Query(description="IANA time zone (default: the tz setting).")]


def envelope(body: bytes, version: str) -> Response:
    """A success envelope around already-serialised JSON ``body``."""
    head = b'{"ok":true,"error":null,"version":' + dumps(version) + b',"data":'
    return Response(head + body + b"}", media_type="application/json")


@router.get("/health", response_model=Envelope[Health], summary="Server health and the store snapshot in use")
async def health(state: State) -> Response:
    """Always answers: 'ok' when a store snapshot is readable, else 'degraded' with the reason."""
    version = state.reader.version
    data = {
        "status": "ok" if version else "degraded",
        "db": str(state.settings.db),
        "store_version": version,
        "snapshot_error": state.reader.last_error,
    }
    return envelope(dumps(data), version or "")


@router.get("/freshness", response_model=Envelope[list[FreshnessRow]], summary="Data freshness per table and source")
async def freshness(state: State) -> Response:
    """Latest stored timestamp and row count per table and source."""
    body, version = await state.cached("freshness", (), service.freshness)
    return envelope(body, version)


@router.get("/assets", response_model=Envelope[list[AssetInfoRow]], summary="Known assets")
async def assets(state: State) -> Response:
    """Every asset in the store (asset_id, symbol, name, kind)."""
    body, version = await state.cached("assets", (), service.asset_list)
    return envelope(body, version)


@router.get("/market", response_model=Envelope[MarketData], summary="Market state as of a moment")
async def market(state: State, as_of: AsOf = None, tz: Tz = None) -> Response:
    """Total market cap, every asset with returns and σ-distance, today's headline, lead and events."""
    zone = tz_param(tz, state.settings.tz)
    moment = moment_param(as_of, zone)
    body, version = await state.cached("market", (moment, zone), lambda d: service.market_state(d, moment, zone))
    return envelope(body, version)


@router.get(
    "/assets/{asset}/series", response_model=Envelope[SeriesData], summary="An asset's daily series with indicators"
)
async def series(
    state: State,
    asset: str,
    as_of: AsOf = None,
    start: FromDay = None,
    end: ToDay = None,
) -> Response:
    """Daily close/high/low/volume with SMA50, SMA200, σ-distance from SMA50 and RSI14 (``total_market_cap`` too)."""
    moment = moment_param(as_of, state.settings.tz)
    d1, d2 = day_param(start, "from"), day_param(end, "to")
    if d1 and d2 and d2 < d1:
        raise ConfigError("to: must not be before from", parameter="to")
    if len(asset) > 100:
        raise ConfigError("asset: too long", parameter="asset")
    body, version = await state.cached(
        "series", (asset, moment, d1, d2), lambda d: service.series(d, asset, moment, d1, d2)
    )
    return envelope(body, version)


@router.get("/events", response_model=Envelope[EventsData], summary="Events by day range, kind and subject")
async def events(
    state: State,
    *,
    start: Annotated[
        str, Query(alias="from", description="First day, YYYY-MM-DD.", json_schema_extra={"format": "date"})
    ],
    end: ToDay = None,
    kind: Annotated[str | None, Query(description="Event kind, e.g. extreme, level_cross, big_move.")] = None,
    subject: Annotated[str | None, Query(description="Asset id or total_market_cap.")] = None,
    at: Annotated[str | None, Query(description="Time of day each day is judged at, HH:MM (default 12:30).")] = None,
    tz: Tz = None,
) -> Response:
    """Events found on each day (at most 31), each judged as of its own day at ``at`` in ``tz``."""
    zone = tz_param(tz, state.settings.tz)
    d1 = day_param(start, "from")
    if d1 is None:
        raise ConfigError("from: required, YYYY-MM-DD", parameter="from")
    d2 = day_param(end, "to") or d1
    service.check_range(d1, d2)
    clock = clock_param(at)

    def compute(desk: Desk) -> dict[str, Any]:
        found = service.events_over(desk, state.cache, (d1, d2), at=clock, tz=zone, kind=kind, subject=subject)
        return {"start": d1.isoformat(), "end": d2.isoformat(), "events": found}

    body, version = await state.cached("events", (d1, d2, kind, subject, clock, zone), compute)
    return envelope(body, version)


@router.get("/report", response_model=Envelope[ReportData], summary="The report as of a moment (json, md or html)")
async def report(
    state: State,
    as_of: AsOf = None,
    tz: Tz = None,
    fmt: Annotated[str, Query(alias="format", description="json, md or html.")] = "json",
) -> Response:
    """The market story with its events and facts ledger; md and html come as ``data.text``."""
    if fmt not in FORMATS:
        raise ConfigError(f"format: expected one of {', '.join(FORMATS)}", parameter="format")
    zone = tz_param(tz, state.settings.tz)
    moment = moment_param(as_of, zone)

    def compute(desk: Desk) -> dict[str, Any]:
        if fmt == "json":
            return {"format": fmt, "report": service.report_json(desk, moment, zone), "text": None}
        return {"format": fmt, "report": None, "text": desk.render(desk.report(moment, tz=zone), fmt)}

    body, version = await state.cached("report", (moment, zone, fmt), compute)
    return envelope(body, version)


async def not_found(request: Request) -> Response:
    """The envelope 404 for unknown API paths."""
    body = dumps(error_body("not_found", f"no such endpoint: {request.url.path}"))
    return Response(body, status_code=404, media_type="application/json")
