"""The `check` command end to end, in a subprocess (so the shared typer app of this session is untouched)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"
RUN = "import sys, cryptodesk.cli.check; from cryptodesk.cli.app import main; raise SystemExit(main(sys.argv[1:]))"


def _cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN, "--db", str(db), "check", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_json_from_file(pack_db: Path) -> None:
    seed = sorted(SEED_DIR.glob("*.txt"))[0]
    done = _cli(pack_db, str(seed), "--as-of", "2023-01-18T12:30", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["as_of"] == "2023-01-18T17:30:00+00:00"
    assert {c["verdict"] for c in doc["claims"]} == {
        "supported",
        "contradicted",
        "unverifiable: no data",
        "unverifiable: ambiguous",
    }


def test_stdin_table_and_html(pack_db: Path, tmp_path: Path) -> None:
    text = "Bitcoin is up more than 20% over the past week. Ether is down 5% over the past week."
    table = _cli(pack_db, "-", "--as-of", "2023-01-18T12:30-05:00", stdin=text)
    assert table.returncode == 0, table.stderr
    assert "supported" in table.stdout
    assert "contradicted" in table.stdout
    page = tmp_path / "check.html"
    html = _cli(pack_db, "-", "--as-of", "2023-01-18T12:30", "--format", "html", "--out", str(page), stdin=text)
    assert html.returncode == 0, html.stderr
    assert page.read_text(encoding="utf-8").count('tabindex="0"') == 2


def test_missing_file_names_it(pack_db: Path, tmp_path: Path) -> None:
    missing = _cli(pack_db, str(tmp_path / "nope.txt"), "--as-of", "2023-01-18T12:30")
    assert missing.returncode == 1
    assert "nope.txt: no such article file" in missing.stderr
