"""Extension points, and the built-ins registered through them.

A plugin is a callable ``register(hub: PluginHub) -> None`` published under the
entry-point group ``cryptodesk.plugins``::

    [project.entry-points."cryptodesk.plugins"]
    myplugin = "mypkg.cryptodesk_plugin:register"

It may add file formats (``hub.formats``), detectors (``hub.detectors``, a
:class:`~cryptodesk.events.base.DetectorRegistry`) and story renderers
(``hub.renderers``: format name -> ``Story -> str``). cryptodesk's own formats,
detectors and renderers are registered the same way, by :func:`register_builtins`
(the ``builtin`` entry point).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from cryptodesk.charts.report_page import story_page
from cryptodesk.core.errors import ConfigError
from cryptodesk.events.base import DetectorRegistry, default_registry
from cryptodesk.sources.base import FileFormat
from cryptodesk.sources.files import builtin_formats
from cryptodesk.writer.render import to_json, to_markdown
from cryptodesk.writer.story import Story

GROUP = "cryptodesk.plugins"

Renderer = Callable[[Story], str]


@dataclass
class PluginHub:
    """What plugins extend."""

    formats: list[FileFormat] = field(default_factory=list)
    detectors: DetectorRegistry = field(default_factory=DetectorRegistry)
    renderers: dict[str, Renderer] = field(default_factory=dict)

    def add_format(self, fmt: FileFormat) -> None:
        """Register a file format (its ``name`` must be unique)."""
        if any(f.name == fmt.name for f in self.formats):
            raise ConfigError(f"file format {fmt.name!r} is already registered", parameter="format")
        self.formats.append(fmt)

    def add_renderer(self, name: str, fn: Renderer) -> None:
        """Register a story renderer under a format name (``report --format NAME``)."""
        if name in self.renderers:
            raise ConfigError(f"renderer {name!r} is already registered", parameter="format")
        self.renderers[name] = fn


def register_builtins(hub: PluginHub) -> None:
    """cryptodesk's own formats, detectors and renderers."""
    for fmt in builtin_formats():
        hub.add_format(fmt)
    for name, fn in default_registry():
        hub.detectors.register(name, fn, complete=False)  # the built-ins read no market state or sub-daily data
    hub.add_renderer("md", to_markdown)
    hub.add_renderer("json", lambda story: json.dumps(to_json(story), indent=2, ensure_ascii=False) + "\n")
    hub.add_renderer("html", story_page)


def load_hub(*, plugins: bool = True) -> PluginHub:
    """A hub with the built-ins and, when ``plugins``, every installed plugin."""
    hub = PluginHub()
    register_builtins(hub)
    if plugins:
        for ep in entry_points(group=GROUP):
            if ep.name == "builtin":
                continue
            try:
                register = ep.load()
                register(hub)
            except Exception as e:
                raise ConfigError(f"plugin {ep.name!r} ({ep.value}) failed to load: {e}", parameter=ep.name) from e
    return hub
