"""cryptodesk: a crypto market desk.

Import market data, analyze it as of any moment with no look-ahead, detect
newsworthy events, and write (and check) the market story. The public API is
the :class:`Desk` facade plus the canonical records::

    from cryptodesk import Desk, load_settings
    with Desk(load_settings({"db": "cryptodesk.duckdb"})) as desk:
        story = desk.report(as_of)

Names are loaded lazily so that importing a low layer (``cryptodesk.core``)
never imports the whole desk.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptodesk.core.errors import DeskError
    from cryptodesk.core.models import Event, Fact
    from cryptodesk.core.settings import Settings, load_settings
    from cryptodesk.desk import Desk

__version__ = "0.1.0"

_EXPORTS = {
    "Desk": "cryptodesk.desk",
    "DeskError": "cryptodesk.core.errors",
    "Event": "cryptodesk.core.models",
    "Fact": "cryptodesk.core.models",
    "Settings": "cryptodesk.core.settings",
    "load_settings": "cryptodesk.core.settings",
}

__all__ = ["Desk", "DeskError", "Event", "Fact", "Settings", "__version__", "load_settings"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cryptodesk' has no attribute {name!r}")
