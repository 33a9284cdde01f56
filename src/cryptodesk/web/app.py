"""The FastAPI application factory: JSON API, dashboard pages, static files (plotly.js from the plotly package).

::

    app = create_app(load_settings())     # then: uvicorn.run(app, host="127.0.0.1", port=8000)

The app reads a private snapshot of the store (``web.snapshot``), so imports and
watchers in other processes keep writing while it serves.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from cryptodesk.core.settings import Settings
from cryptodesk.web import alerts_api, api, check, errors, pages
from cryptodesk.web.snapshot import SnapshotReader
from cryptodesk.web.state import WebState

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    snapshot_dir: Path | None = None,
    poll_seconds: float = 1.0,
    cors_origins: tuple[str, ...] = (),
    alerts_file: Path | None = None,
) -> FastAPI:
    """Build the app for ``settings``: API under /api/v1, dashboard pages, /static.

    ``cors_origins`` is empty by default (CORS closed: browsers refuse cross-origin reads);
    ``alerts_file`` is the rules file ``/api/v1/alerts/rules`` lists and (with the API token) replaces.
    """
    reader = SnapshotReader(settings, folder=snapshot_dir, poll_seconds=poll_seconds)
    state = WebState(settings=settings, reader=reader)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reader.start()
        try:
            yield
        finally:
            reader.stop()

    app = FastAPI(
        title="cryptodesk",
        version="1",
        summary="A crypto market desk: market state, series, events and reports as of any moment.",
        lifespan=lifespan,
    )
    app.state.web = state
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"])
    errors.install(app)
    app.include_router(api.router)
    check.install(app)
    alerts_api.install(app, alerts_file)
    pages.install(app)
    return app
