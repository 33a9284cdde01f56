"""Generate docs/cli.md (from --help) and docs/configuration.md (from the settings table).

Run: .venv/bin/python scripts/gen_docs.py   (tests/test_docs.py fails when the docs are stale)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from cryptodesk.cli import app
from cryptodesk.core.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def _help(args: list[str]) -> str:
    runner = CliRunner()
    env: dict[str, str | None] = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    env.update(dict.fromkeys(("GITHUB_ACTIONS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")))
    result = runner.invoke(app, [*args, "--help"], env=env)
    return "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())


def cli_markdown() -> str:
    """The CLI reference: the --help text of the app and of every command, in order."""
    group = typer.main.get_command(app)
    lines = ["# CLI reference", "", "Generated from `--help` by `scripts/gen_docs.py`; do not edit by hand.", ""]

    def walk(cmd: Any, path: list[str]) -> None:
        lines.extend([f"## `{' '.join(['cryptodesk', *path])}`", "", "```text", _help(path), "```", ""])
        for name, sub in getattr(cmd, "commands", {}).items():  # a group (typer's own click)
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(group, [])
    return "\n".join(lines)


def config_markdown() -> str:
    """The settings reference, from core.settings.SETTINGS."""
    lines = [
        "# Configuration",
        "",
        "Generated from `cryptodesk.core.settings.SETTINGS` by `scripts/gen_docs.py`; do not edit by hand.",
        "",
        "Precedence: defaults < settings file (`./cryptodesk.toml`, `--config`, or `CRYPTODESK_CONFIG`)",
        "< `CRYPTODESK_<NAME>` environment variables < command-line flags. `CRYPTODESK_DATA_PACK` also sets",
        "`data_pack`. Keys of the TOML file are the names below; sections (`[alerts]`, `[watch]`) belong to",
        "their features.",
        "",
        "| key | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "(unset)" if s.default is None else f"`{s.default}`"
        lines.append(f"| `{s.name}` | `CRYPTODESK_{s.name.upper()}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write both files."""
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "cli.md").write_text(cli_markdown(), encoding="utf-8")
    (ROOT / "docs" / "configuration.md").write_text(config_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
