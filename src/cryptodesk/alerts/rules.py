"""Alert rules and sinks, read from a TOML file (see docs/alerts.md and examples/alerts.toml).

::

    [[rule]]
    name = "total-high"
    when = "extreme"              # level_cross | first_since | extreme | sigma | big_move | liquidation_imbalance
    subjects = ["total_market_cap"]
    direction = "high"
    min_days = 60
    cooldown_hours = 0
    sinks = ["hook", "log"]

    [sink.hook]
    type = "webhook"              # webhook | email | log | stdout
    url = "https://hooks.example.com/T000"
    format = "slack"              # json | slack | discord

Every error names the file and the key (``rule[2].level``), and the sink names
a rule uses must be defined.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptodesk.core.errors import ConfigError

WHEN = ("level_cross", "first_since", "extreme", "sigma", "big_move", "liquidation_imbalance")
SINK_TYPES = ("webhook", "email", "log", "stdout")
WEBHOOK_FORMATS = ("json", "slack", "discord")


@dataclass(frozen=True)
class Rule:
    """One alert rule: which events fire it, for which subjects, how often, and where it is sent."""

    name: str
    when: str
    subjects: tuple[str, ...] = ()
    """Asset ids (or total_market_cap); empty = any subject."""
    direction: str | None = None
    metric: str | None = None
    level: float | None = None
    min_days: int | None = None
    threshold: float | None = None
    """sigma: |σ-distance| >=; big_move: |return| >=; liquidation_imbalance: |imbalance| >=."""
    cooldown_hours: float = 0.0
    sinks: tuple[str, ...] = ()


@dataclass(frozen=True)
class SinkConfig:
    """One delivery target."""

    name: str
    type: str
    url: str | None = None
    format: str = "json"
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "cryptodesk@localhost"
    to: tuple[str, ...] = ()
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    """Name of the environment variable holding the SMTP password (never the password itself)."""
    timeout: float = 10.0


@dataclass(frozen=True)
class AlertsConfig:
    """Rules, sinks and delivery policy."""

    rules: tuple[Rule, ...]
    sinks: dict[str, SinkConfig]
    retries: int = 3
    backoff_seconds: float = 1.0
    allow_private_webhooks: bool = False
    """SSRF guard: webhooks may not target private, loopback or link-local addresses unless this is true."""
    path: str = "<memory>"
    extra: dict[str, Any] = field(default_factory=dict)

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (ConfigError listing the known ones)."""
        for r in self.rules:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.rules) or "none"
        raise ConfigError(f"RULE: no rule {name!r} in {self.path} (known: {known})", parameter="RULE")


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None) -> Any:
    value = table.get(key, default)
    kinds = _kinds(kind)
    if value is None or (isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))):
        return value
    names = "/".join(t.__name__ for t in kinds)
    raise ConfigError(f"{where}.{key}: expected {names}, got {value!r}", parameter=_param(where, key))


def _param(where: str, key: str) -> str:
    """The key path without the file name: 'rule[2].level' (just the key at the top level)."""
    if ": " not in where:
        return key
    return f"{where.rsplit(': ', 1)[-1]}.{key}"


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of strings", parameter=_param(where, key))
    return tuple(value)


def parse_rule(table: dict[str, Any], where: str) -> Rule:
    """A Rule from one ``[[rule]]`` table."""
    known = set(Rule.__dataclass_fields__)
    for key in table:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}", parameter=_param(where, key))
    name = _get(table, "name", str, where)
    when = _get(table, "when", str, where)
    if not name:
        raise ConfigError(f"{where}.name: required", parameter=_param(where, "name"))
    if when not in WHEN:
        raise ConfigError(
            f"{where}.when: expected one of {', '.join(WHEN)}, got {when!r}", parameter=_param(where, "when")
        )
    num = (int, float)
    cooldown = float(_get(table, "cooldown_hours", num, where, 0.0))
    min_days = _get(table, "min_days", int, where)
    if cooldown < 0 or (min_days is not None and min_days < 0):
        raise ConfigError(
            f"{where}: cooldown_hours and min_days must be >= 0", parameter=_param(where, "cooldown_hours")
        )
    if when == "first_since" and min_days is None:
        raise ConfigError(f"{where}.min_days: required for first_since", parameter=_param(where, "min_days"))
    level = _get(table, "level", num, where)
    threshold = _get(table, "threshold", num, where)
    return Rule(
        name=name,
        when=when,
        subjects=_strings(table, "subjects", where),
        direction=_get(table, "direction", str, where),
        metric=_get(table, "metric", str, where),
        level=float(level) if level is not None else None,
        min_days=min_days,
        threshold=float(threshold) if threshold is not None else None,
        cooldown_hours=cooldown,
        sinks=_strings(table, "sinks", where),
    )


def parse_sink(name: str, table: dict[str, Any], where: str) -> SinkConfig:
    """A SinkConfig from one ``[sink.NAME]`` table."""
    known = set(SinkConfig.__dataclass_fields__) - {"name"} | {"from"}
    for key in table:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}", parameter=_param(where, key))
    kind = _get(table, "type", str, where)
    if kind not in SINK_TYPES:
        raise ConfigError(f"{where}.type: expected one of {', '.join(SINK_TYPES)}", parameter=_param(where, "type"))
    fmt = _get(table, "format", str, where, "json")
    if fmt not in WEBHOOK_FORMATS:
        raise ConfigError(
            f"{where}.format: expected one of {', '.join(WEBHOOK_FORMATS)}", parameter=_param(where, "format")
        )
    url = _get(table, "url", str, where)
    if kind == "webhook" and not url:
        raise ConfigError(f"{where}.url: required for a webhook", parameter=_param(where, "url"))
    to = _strings(table, "to", where)
    if kind == "email" and not to:
        raise ConfigError(f"{where}.to: at least one recipient", parameter=_param(where, "to"))
    return SinkConfig(
        name=name,
        type=kind,
        url=url,
        format=fmt,
        host=_get(table, "host", str, where, "127.0.0.1"),
        port=_get(table, "port", int, where, 25),
        sender=_get(table, "from", str, where, "cryptodesk@localhost"),
        to=to,
        starttls=_get(table, "starttls", bool, where, False),
        username=_get(table, "username", str, where),
        password_env=_get(table, "password_env", str, where),
        timeout=float(_get(table, "timeout", (int, float), where, 10.0)),
    )


def parse_config(data: dict[str, Any], path: str = "<memory>") -> AlertsConfig:
    """An AlertsConfig from parsed TOML (``data`` may be the ``[alerts]`` section of cryptodesk.toml)."""
    top = {"rule", "sink", "retries", "backoff_seconds", "allow_private_webhooks"}
    for key in data:
        if key not in top:
            raise ConfigError(f"{path}: unknown key {key!r}", parameter=key)
    rules_raw = data.get("rule", [])
    sinks_raw = data.get("sink", {})
    if not isinstance(rules_raw, list) or not isinstance(sinks_raw, dict):
        raise ConfigError(f"{path}: expected [[rule]] tables and [sink.NAME] tables", parameter="rule")
    sinks = {name: parse_sink(name, t, f"{path}: sink.{name}") for name, t in sinks_raw.items()}
    rules = tuple(parse_rule(t, f"{path}: rule[{i}]") for i, t in enumerate(rules_raw))
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if r.name in seen:
            raise ConfigError(f"{path}: rule[{i}].name: duplicate rule name {r.name!r}", parameter=f"rule[{i}].name")
        seen.add(r.name)
        for s in r.sinks:
            if s not in sinks:
                raise ConfigError(f"{path}: rule[{i}].sinks: no sink named {s!r}", parameter=f"rule[{i}].sinks")
    retries = _get(data, "retries", int, path, 3)
    backoff = float(_get(data, "backoff_seconds", (int, float), path, 1.0))
    if retries < 1 or backoff < 0:
        raise ConfigError(f"{path}: retries must be >= 1 and backoff_seconds >= 0", parameter="retries")
    allow = _get(data, "allow_private_webhooks", bool, path, False)
    return AlertsConfig(rules, sinks, retries, backoff, allow, path)


def load_config(path: Path) -> AlertsConfig:
    """Read and validate an alerts TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read alerts file: {e.strerror or e}", parameter="--rules") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}", parameter="--rules") from e
    return parse_config(data, str(path))
