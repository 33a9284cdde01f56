"""The generated docs match the code (regenerate with scripts/gen_docs.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gen() -> object:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_reference_is_current() -> None:
    expected = _gen().cli_markdown()  # type: ignore[attr-defined]
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == expected, "run scripts/gen_docs.py"


def test_configuration_reference_is_current() -> None:
    expected = _gen().config_markdown()  # type: ignore[attr-defined]
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == expected, "run scripts/gen_docs.py"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for cmd in ("import", "report", "events", "assets", "doctor", "formats"):
        assert f"cryptodesk {cmd}" in readme
