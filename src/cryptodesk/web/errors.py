"""The error edge of the web app: every failure becomes the one envelope with a 4xx (or a bare 500).

User input never causes a 500: bad parameters are ConfigError (400, naming the
parameter), unusable bodies InputError (400), missing data DataError (404), an
unreadable store StoreError (503). Anything else is a bug: logged with its
traceback and answered with a generic message that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cryptodesk.core.errors import (
    ConfigError,
    DataError,
    DeskError,
    InputError,
    SourceError,
    StoreError,
)

log = logging.getLogger(__name__)

_CODES: tuple[tuple[type[DeskError], int, str], ...] = (
    (ConfigError, 400, "bad_parameter"),
    (InputError, 400, "bad_input"),
    (DataError, 404, "no_data"),
    (StoreError, 503, "store_unavailable"),
    (SourceError, 502, "source_failed"),
)

HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


class AuthError(DeskError):
    """A state-changing request without a valid API token."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message, hint="Send 'Authorization: Bearer <CRYPTODESK_API_TOKEN>'.")
        self.status = status


def error_body(code: str, message: str, parameter: str | None = None, hint: str | None = None) -> dict[str, Any]:
    """The envelope of an error."""
    return {
        "ok": False,
        "data": None,
        "error": {"code": code, "message": message, "parameter": parameter, "hint": hint},
    }


def desk_error_response(e: DeskError) -> JSONResponse:
    """The 4xx/5xx envelope of a DeskError."""
    if isinstance(e, AuthError):
        code = "unauthorized" if e.status == 401 else "forbidden"
        return JSONResponse(error_body(code, str(e), None, e.hint), status_code=e.status)
    status, code = 400, "bad_request"
    for cls, s, c in _CODES:
        if isinstance(e, cls):
            status, code = s, c
            break
    parameter = getattr(e, "parameter", None)
    return JSONResponse(error_body(code, str(e), parameter, e.hint), status_code=status)


def _validation_response(e: RequestValidationError) -> JSONResponse:
    errors = e.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    parameter = ".".join(loc) or None
    message = f"{parameter}: {first.get('msg', 'invalid')}" if parameter else str(first.get("msg", "invalid request"))
    return JSONResponse(error_body("bad_parameter", message, parameter), status_code=422)


def install(app: FastAPI) -> None:
    """Register the envelope exception handlers on ``app``."""

    async def on_desk(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, DeskError)
        return desk_error_response(e)

    async def on_validation(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, RequestValidationError)
        return _validation_response(e)

    async def on_http(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, StarletteHTTPException)
        code = HTTP_CODES.get(e.status_code, "http_error")
        return JSONResponse(error_body(code, str(e.detail)), status_code=e.status_code, headers=e.headers)

    async def on_bug(_: Request, e: Exception) -> JSONResponse:
        log.error("internal error: %s", type(e).__name__, exc_info=e)
        return JSONResponse(error_body("internal", "internal error; see the server log"), status_code=500)

    app.add_exception_handler(DeskError, on_desk)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
