"""The command line: each command parses its options, calls the desk, prints.

Commands live in one module per area and register on the shared typer ``app``;
errors are caught once, in :func:`main` (``cli/app.py``).
"""

from cryptodesk.cli import alerts, analytics, charts, check, data, lake, live, serve  # noqa: F401  (each module registers its commands)
from cryptodesk.cli.app import app, main

__all__ = ["app", "main"]
