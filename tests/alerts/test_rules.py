"""Alert rule files: valid examples load, every mistake is named by file and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cryptodesk.alerts.rules import load_config, parse_config
from cryptodesk.core.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alerts.toml"
SINK = {"out": {"type": "stdout"}}


def test_the_example_file_loads() -> None:
    config = load_config(EXAMPLE)
    assert {r.when for r in config.rules} == {
        "extreme",
        "level_cross",
        "first_since",
        "sigma",
        "big_move",
        "liquidation_imbalance",
    }
    assert config.rule("total-1t").cooldown_hours == 72
    assert config.rule("total-1t").level == 1e12
    assert config.allow_private_webhooks is False


def rule(**kw: Any) -> dict[str, Any]:
    return {"name": "r", "when": "extreme", "sinks": ["out"], **kw}


@pytest.mark.parametrize(
    ("data", "parameter", "words"),
    [
        ({"rule": [rule(when="sometimes")], "sink": SINK}, "rule[0].when", "expected one of"),
        ({"rule": [rule(level="high")], "sink": SINK}, "rule[0].level", "expected int/float"),
        ({"rule": [rule(min_days=True)], "sink": SINK}, "rule[0].min_days", "expected int"),
        ({"rule": [rule(cooldown_hours=-1)], "sink": SINK}, "rule[0].cooldown_hours", ">= 0"),
        ({"rule": [rule(when="first_since")], "sink": SINK}, "rule[0].min_days", "required"),
        ({"rule": [rule(colour="red")], "sink": SINK}, "rule[0].colour", "unknown key"),
        ({"rule": [rule(sinks=["nowhere"])], "sink": SINK}, "rule[0].sinks", "no sink named"),
        ({"rule": [rule(), rule()], "sink": SINK}, "rule[1].name", "duplicate"),
        ({"rule": [rule(subjects=[1])], "sink": SINK}, "rule[0].subjects", "list of strings"),
        ({"sink": {"h": {"type": "webhook"}}}, "sink.h.url", "required"),
        ({"sink": {"h": {"type": "pager"}}}, "sink.h.type", "expected one of"),
        ({"sink": {"h": {"type": "webhook", "url": "http://x", "format": "teams"}}}, "sink.h.format", "json"),
        ({"sink": {"m": {"type": "email"}}}, "sink.m.to", "recipient"),
        ({"retries": 0}, "retries", ">= 1"),
        ({"rules": []}, "rules", "unknown key"),
    ],
)
def test_mistakes_name_the_key(data: dict[str, Any], parameter: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "alerts.toml")
    assert info.value.parameter == parameter
    assert str(info.value).startswith("alerts.toml")
    assert words in str(info.value)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read alerts file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]\nname=", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)


def test_unknown_rule_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: total-high"):
        load_config(EXAMPLE).rule("nope")
