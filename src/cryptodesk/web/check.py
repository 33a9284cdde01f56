"""Fact-checking over the web: ``POST /api/v1/check`` (JSON) and the ``/check`` page (paste an article).

Both call ``desk.check.check_text`` on the current store snapshot; the page
shows the article with every claim highlighted by verdict (explanation on focus
or hover) and a table of the claims.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from cryptodesk.core.errors import DeskError, InputError
from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text
from cryptodesk.web.api import ERRORS, envelope
from cryptodesk.web.jsonable import dumps, jsonable
from cryptodesk.web.models import CheckData, CheckRequest, Envelope
from cryptodesk.web.state import moment_param, tz_param, web_state

MAX_TEXT = 100_000
router = APIRouter(prefix="/api/v1", responses=ERRORS)
VERDICT_CLASS = {"supported": "claim-ok", "contradicted": "claim-bad"}


def run_check(desk: Desk, text: str, as_of: str | None, tz: str | None) -> dict[str, Any]:
    """The JSON check result with verdict counts."""
    if not text.strip():
        raise InputError("text: the article is empty")
    if len(text) > MAX_TEXT:
        raise InputError(f"text: at most {MAX_TEXT:,} characters are checked")
    zone = tz_param(tz, desk.settings.tz)
    result = check_text(desk, text, moment_param(as_of, zone), zone)
    data: dict[str, Any] = jsonable(result.to_json())
    data["counts"] = result.counts()
    return data


@router.post("/check", response_model=Envelope[CheckData], summary="Check an article's claims against the store")
async def check_api(request: Request, body: CheckRequest) -> Response:
    """Every quantitative claim of ``text`` with its measured value, verdict and explanation, as of ``as_of``."""
    state = web_state(request)
    data, version = await state.run(lambda d: run_check(d, body.text, body.as_of, body.tz))
    return envelope(dumps(data), version)


def highlight(article: str, claims: list[dict[str, Any]]) -> Markup:
    """The escaped article with each (non-overlapping) claim in a focusable <mark> carrying its verdict."""
    out: list[str] = []
    pos = 0
    for i, c in enumerate(sorted(claims, key=lambda c: int(c["start"])), 1):
        start, end = max(int(c["start"]), pos), int(c["end"])
        if end <= start:
            continue
        cls = VERDICT_CLASS.get(str(c["verdict"]), "claim-unknown")
        tip = html.escape(f"{c['verdict']}: {c['explanation']}")
        out.append(html.escape(article[pos:start]))
        out.append(
            f'<mark class="{cls}" tabindex="0" title="{tip}" aria-describedby="claim-{i}">'
            f"{html.escape(article[start:end])}</mark>"
        )
        pos = end
    out.append(html.escape(article[pos:]))
    return Markup("".join(out))


async def check_page(request: Request) -> Response:
    """GET: the form; POST (form-encoded text, as_of): the article highlighted by verdict and the claims table."""
    from cryptodesk.web.pages import templates

    state = web_state(request)
    ctx: dict[str, Any] = {"title": "Fact-check", "nav": "check", "text": "", "as_of": "", "result": None}
    status = 200
    if request.method == "POST":
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        ctx["text"] = (form.get("text") or [""])[0]
        ctx["as_of"] = (form.get("as_of") or [""])[0]
        try:
            result, _ = await state.run(lambda d: run_check(d, ctx["text"], ctx["as_of"] or None, None))
            ctx["result"] = result
            ctx["marked"] = highlight(ctx["text"], result["claims"])
        except DeskError as e:
            ctx["error"] = str(e)
            status = 400
    return templates.TemplateResponse(request, "check.html", ctx, status_code=status)


def install(app: FastAPI) -> None:
    """Register the check API route and the /check page."""
    app.include_router(router)
    app.add_api_route(
        "/check", check_page, methods=["GET", "POST"], include_in_schema=False, response_class=HTMLResponse
    )
