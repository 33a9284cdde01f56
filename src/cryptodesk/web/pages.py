"""The dashboard: server-rendered Jinja pages with Plotly charts (plotly.js served from the plotly package).

Pages: ``/`` market overview, ``/asset/{asset}`` price and facts, ``/events`` a
filterable feed, ``/story`` the report of any date. Each takes ``as_of`` (or
``date``) like the API, and errors render as a page with the message.
"""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from cryptodesk.core.errors import DeskError
from cryptodesk.core.timeutil import zone
from cryptodesk.desk import Desk
from cryptodesk.web import service
from cryptodesk.web.errors import desk_error_response
from cryptodesk.web.figures import price_figure
from cryptodesk.web.state import clock_param, day_param, moment_param, tz_param, web_state
from cryptodesk.writer.render import to_html

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
CHART_DAYS = 365


def _plotly_js() -> Path:
    return Path(str(resources.files("plotly").joinpath("package_data/plotly.min.js")))


def _fmt_money(v: float | None) -> str:
    if v is None:
        return "–"
    for div, unit in ((1e12, " trillion"), (1e9, " billion"), (1e6, " million")):
        if abs(v) >= div:
            return f"${v / div:,.2f}{unit}"
    return f"${v:,.6g}" if abs(v) < 1 else f"${v:,.2f}"


def _fmt_pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:+.1f}%"


def _fmt_num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


templates.env.filters["money"] = _fmt_money
templates.env.filters["pct"] = _fmt_pct
templates.env.filters["num"] = _fmt_num
templates.env.globals["has_check"] = True


def _chart(fig: dict[str, Any]) -> Markup:
    """The figure as JSON safe to embed in a <script type="application/json"> element."""
    text = json.dumps(fig).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _error_page(request: Request, e: DeskError) -> HTMLResponse:
    status = desk_error_response(e).status_code
    return _page(request, "error.html", {"title": "Error", "message": str(e), "hint": e.hint}, status)


async def overview(request: Request) -> Response:
    """Market overview: total market cap chart with levels and events, the assets table, headline and lead."""
    state = web_state(request)
    try:
        tz = tz_param(request.query_params.get("tz"), state.settings.tz)
        moment = moment_param(request.query_params.get("as_of"), tz)
        body, _ = await state.cached("market", (moment, tz), lambda d: service.market_state(d, moment, tz))
        data = json.loads(body)
        m = data["market"]
        total_events = [e for e in data["events"] if e["subject"] == service.TOTAL]
        fig = None
        if m is not None:
            rows, _ = await state.run(lambda d: _recent(d, service.TOTAL, moment))
            levels = [
                (f"{k.replace('_', ' ')} {_fmt_money(m[k]['value'])}", m[k]["value"])
                for k in ("swing_high", "swing_low")
                if m.get(k)
            ]
            fig = _chart(price_figure("Total crypto market cap", rows, total_events, levels))
    except DeskError as e:
        return _error_page(request, e)
    ctx = {"title": "Market overview", "data": data, "fig": fig, "as_of": moment.isoformat(), "nav": "overview"}
    return _page(request, "overview.html", ctx)


def _recent(desk: Desk, subject: str, moment: Any) -> list[dict[str, Any]]:
    start = moment.date() - timedelta(days=CHART_DAYS)
    rows: list[dict[str, Any]] = service.series(desk, subject, moment, start, None)["rows"]
    return rows


async def asset_page(request: Request) -> Response:
    """One asset as of a moment: price with moving averages and event markers, and its facts."""
    state = web_state(request)
    asset = request.path_params["asset"]
    try:
        tz = tz_param(request.query_params.get("tz"), state.settings.tz)
        moment = moment_param(request.query_params.get("as_of"), tz)
        body, _ = await state.cached("market", (moment, tz), lambda d: service.market_state(d, moment, tz))
        data = json.loads(body)

        def load(d: Desk) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
            s = service.series(d, asset, moment, moment.date() - timedelta(days=CHART_DAYS), None)
            evs = [service.event_payload(e) for e in d.detect(moment, tz=tz) if e.subject == s["subject"]]
            return s["subject"], s["rows"], evs

        (subject, rows, events), _ = await state.run(load)
    except DeskError as e:
        return _error_page(request, e)
    row = next((r for r in data["assets"] if r["asset_id"] == subject), None)
    name = row["name"] if row else ("Total crypto market cap" if subject == service.TOTAL else subject)
    fig = _chart(price_figure(f"{name} — daily close", rows, events, []))
    ctx = {
        "title": name,
        "subject": subject,
        "row": row,
        "rows": rows[-1:] if rows else [],
        "events": events,
        "fig": fig,
        "as_of": moment.isoformat(),
        "nav": "asset",
    }
    return _page(request, "asset.html", ctx)


async def events_page(request: Request) -> Response:
    """The events feed over a range of days, filterable by kind and subject."""
    state = web_state(request)
    q = request.query_params
    try:
        tz = tz_param(q.get("tz"), state.settings.tz)
        end = day_param(q.get("to"), "to") or moment_param(None, tz).date()
        start = day_param(q.get("from"), "from") or end - timedelta(days=6)
        service.check_range(start, end)
        clock = clock_param(q.get("at"))
        kind, subject = q.get("kind") or None, q.get("subject") or None

        def load(d: Desk) -> list[dict[str, Any]]:
            return service.events_over(d, state.cache, (start, end), at=clock, tz=tz, kind=kind, subject=subject)

        events, _ = await state.run(load)
    except DeskError as e:
        return _error_page(request, e)
    kinds = sorted({e["kind"] for e in events} | ({kind} if kind else set()))
    ctx = {
        "title": "Events",
        "events": events,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "kind": kind,
        "subject": subject or "",
        "kinds": kinds,
        "nav": "events",
    }
    return _page(request, "events.html", ctx)


async def story_page(request: Request) -> Response:
    """The story of the latest moment or of any past date (``?date=YYYY-MM-DD`` or ``?as_of=``)."""
    state = web_state(request)
    q = request.query_params
    try:
        tz = tz_param(q.get("tz"), state.settings.tz)
        if q.get("date"):
            day = day_param(q.get("date"), "date")
            moment = moment_param(day.isoformat() if day else None, tz, parameter="date")
        else:
            moment = moment_param(q.get("as_of"), tz)
        story, _ = await state.run(lambda d: d.report(moment, tz=tz))
    except DeskError as e:
        return _error_page(request, e)
    ctx = {
        "title": story.headline,
        "body": Markup(to_html(story)),
        "as_of": moment.isoformat(),
        "date": moment.astimezone(zone(tz)).date().isoformat(),
        "nav": "story",
    }
    return _page(request, "story.html", ctx)


async def plotly_js(_: Request) -> Response:
    """plotly.min.js from the installed plotly package (no CDN)."""
    return FileResponse(_plotly_js(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})


def install(app: FastAPI) -> None:
    """Register the dashboard routes and /static on ``app``."""
    app.add_api_route("/", overview, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)
    app.add_api_route("/asset/{asset}", asset_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/events", events_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/story", story_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/static/plotly.min.js", plotly_js, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
