"""The `alerts` and `serve` commands, run as a real process (they register on the shared typer app)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.alerts.test_replay import closes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alerts.toml"
R = str(EXAMPLE)
RUN = "import sys, cryptodesk.cli.alerts, cryptodesk.cli.serve; from cryptodesk.cli import main; sys.exit(main())"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run cryptodesk with the alerts and serve commands registered."""
    return subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=False, timeout=300)


def test_alerts_test_is_a_dry_run_over_history(pack_db: Path, data_pack: Path) -> None:
    done = cli(
        "--db",
        str(pack_db),
        "alerts",
        "test",
        "total-high",
        "--rules",
        str(EXAMPLE),
        "--from",
        "2023-01-11",
        "--to",
        "2023-01-13",
    )
    assert done.returncode == 0, done.stderr
    c = closes(data_pack)
    expected = []
    for judged in (date(2023, 1, 11) + timedelta(days=i) for i in range(3)):
        d = judged - timedelta(days=1)  # the latest closed daily bar at 12:30 New York
        higher = [x for x in c if x < d and c[x] >= c[d]]
        if not higher or (d - max(higher)).days >= 60:
            expected.append(judged)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("would have fired on")]
    assert [ln.split()[4] for ln in lines] == [d.isoformat() for d in expected]
    assert all("total_market_cap close highest since" in ln for ln in lines)
    assert not list(pack_db.parent.glob("*.alerts.duckdb"))  # a dry run records nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alerts", "test", "nope", "--rules", R, "--from", "2023-01-01", "--to", "2023-01-02"), "no rule"),
        (("alerts", "test", "total-high", "--rules", R, "--from", "2023-01-05", "--to", "2023-01-01"), "--to"),
        (("serve", "--port", "70000"), "--port"),
    ],
)
def test_errors_are_one_line_and_name_the_parameter(pack_db: Path, args: tuple[str, ...], message: str) -> None:
    done = cli("--db", str(pack_db), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_alerts_check_lists_rules_or_names_the_file() -> None:
    done = cli("alerts", "check", "--rules", R)
    assert done.returncode == 0, done.stderr
    assert "total-high" in done.stdout
    missing = cli("alerts", "check", "--rules", "/nonexistent/alerts.toml")
    assert missing.returncode == 2
    assert "/nonexistent/alerts.toml: cannot read alerts file" in missing.stderr
