"""The layer rule: modules import only from their own layer or the layers below.

core <- sources, store <- analytics, events <- writer, charts, check <- desk, plugins <- cli, web, alerts.
Pure layers (analytics, events, writer, charts, check) never import a database or network client.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "cryptodesk"

LAYERS: dict[str, int] = {
    "core": 0,
    "sources": 1,
    "store": 1,
    "analytics": 2,
    "events": 2,
    "engines": 2,
    "writer": 3,
    "charts": 3,
    "check": 3,
    "desk": 4,
    "plugins": 4,
    "cli": 5,
    "web": 5,
    "alerts": 5,
    "__init__": 5,
    "__main__": 5,
}
PURE = {"analytics", "events", "writer", "charts", "check"}
IO_MODULES = {"duckdb", "httpx", "websockets", "ccxt", "requests", "socket", "urllib.request"}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "cryptodesk" or len(parts) < 2:
        return None
    return parts[1]


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_flow_downward(path: Path) -> None:
    rel = path.relative_to(PKG)
    own = rel.parts[0].removesuffix(".py")
    if own not in LAYERS:
        pytest.fail(f"{rel}: module {own!r} is in no layer; add it to LAYERS in this test and to the docs")
    for name in _imports(path):
        other = _layer_of(name)
        if other is None or other not in LAYERS:
            continue
        assert LAYERS[other] <= LAYERS[own], f"{rel} imports {name} (layer {other} is above {own})"
        if own in PURE:
            assert name.split(".")[0] not in IO_MODULES, f"{rel} is pure but imports {name}"


def test_every_layer_exists() -> None:
    present = {p.name.removesuffix(".py") for p in PKG.iterdir() if not p.name.startswith("_")}
    for required in ("core", "sources", "store", "analytics", "events", "writer", "desk", "cli"):
        assert required in present
