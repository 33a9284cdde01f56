"""The `alerts` commands: validate rules, run them now, replay a period, dry-run one rule."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cryptodesk.cli.app import _desk, app, out
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.timeutil import parse_clock, parse_day, parse_moment, utc_now

if TYPE_CHECKING:
    from cryptodesk.alerts.engine import Fired
    from cryptodesk.alerts.rules import AlertsConfig

alerts_app = typer.Typer(help="Alerts: rules over detected events, delivered to webhooks, email and logs.")
app.add_typer(alerts_app, name="alerts")

RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Alert rules TOML (env CRYPTODESK_ALERTS; default ./alerts.toml).")
]


def _rules_path(rules: Path | None) -> Path:
    return rules or Path(os.environ.get("CRYPTODESK_ALERTS") or "alerts.toml")


def _config(rules: Path | None) -> AlertsConfig:
    from cryptodesk.alerts.rules import load_config

    return load_config(_rules_path(rules))


def _print_fired(fired: list[Fired], *, title: str) -> None:
    table = Table("event day", "rule", "alert", "deliveries", title=f"{title} ({len(fired)})")
    for f in fired:
        day = f.alert.key.rsplit("|", 1)[-1]
        sent = ", ".join(f"{d.sink}:{'ok' if d.ok else 'FAILED'}" for d in f.deliveries) or "-"
        table.add_row(day, f.alert.rule, f.alert.text, sent)
    out.print(table)


@alerts_app.command("check")
def check_rules(rules: RulesOpt = None) -> None:
    """Validate the rules file and list its rules."""
    config = _config(rules)
    table = Table("rule", "when", "subjects", "cooldown h", "sinks", title=f"{config.path}")
    for r in config.rules:
        table.add_row(r.name, r.when, ", ".join(r.subjects) or "any", f"{r.cooldown_hours:g}", ", ".join(r.sinks))
    out.print(table)


@alerts_app.command("run")
def run(
    rules: RulesOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 moment (default: now).")] = None,
) -> None:
    """Detect events as of a moment and deliver the alerts they fire (each event alerts once, ever)."""
    config = _config(rules)
    with _desk() as desk:
        moment = parse_moment(as_of, tz=desk.settings.tz) if as_of else utc_now()
        from cryptodesk.alerts.runner import open_history, run_once

        with open_history(desk) as history:
            fired = run_once(desk, config, moment, history=history)
    _print_fired(fired, title="Alerts fired")


@alerts_app.command("replay")
def replay_cmd(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    rules: RulesOpt = None,
    at: Annotated[str, typer.Option(help="Time of day each day is judged at, HH:MM in --tz.")] = "12:30",
    tz: Annotated[str | None, typer.Option(help="Time zone (default America/New_York).")] = None,
) -> None:
    """Judge each day of a period in order and DELIVER the alerts (backfill); already-sent events are skipped."""
    config = _config(rules)
    d1, d2 = parse_day(start, parameter="--from"), parse_day(end, parameter="--to")
    from cryptodesk.alerts.runner import open_history, replay

    with _desk() as desk, open_history(desk) as history:
        fired = replay(desk, config, d1, d2, history=history, at=parse_clock(at), tz=tz)
    _print_fired(fired, title="Alerts fired")


@alerts_app.command("test")
def try_rule(
    rule: Annotated[str, typer.Argument(help="Name of the rule to try.")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    rules: RulesOpt = None,
    at: Annotated[str, typer.Option(help="Time of day each day is judged at, HH:MM in --tz.")] = "12:30",
    tz: Annotated[str | None, typer.Option(help="Time zone (default America/New_York).")] = None,
) -> None:
    """Dry run: when RULE would have fired over a period of history (nothing is sent or recorded)."""
    config = _config(rules)
    d1, d2 = parse_day(start, parameter="--from"), parse_day(end, parameter="--to")
    if d2 < d1:
        raise ConfigError("--to: must not be before --from", parameter="--to")
    with _desk() as desk:
        from cryptodesk.alerts.runner import dry_run

        fired = dry_run(desk, config, rule, d1, d2, at=parse_clock(at), tz=tz)
    if not fired:
        out.print(f"{rule}: would not have fired from {d1} to {d2}")
    for f in fired:
        judged = f.alert.event.time.strftime("%Y-%m-%d %H:%M UTC")
        out.print(f"would have fired on {judged}: {f.alert.text}", highlight=False, soft_wrap=True)
