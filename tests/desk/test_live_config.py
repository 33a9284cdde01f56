"""The documented example configuration and the live settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import SETTINGS, load_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cryptodesk.toml"


def test_example_config_loads_and_uses_only_known_keys() -> None:
    keys = set(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert keys <= {s.name for s in SETTINGS}
    settings = load_settings(env={}, config_path=EXAMPLE)
    assert settings.liquidation_feeds == "binance,bybit,okx"
    assert settings.watch_update_minutes == 15
    live = {s.name for s in SETTINGS if s.name.startswith(("watch_", "liquidation_", "okx_"))}
    assert live <= keys  # every live key is shown in the example


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {"CRYPTODESK_WATCH_FLUSH_SECONDS": "0.5", "CRYPTODESK_LIQUIDATION_FEEDS": "okx"}
    settings = load_settings(env=env, config_path=EXAMPLE)
    assert (settings.watch_flush_seconds, settings.liquidation_feeds) == (0.5, "okx")
    assert settings.watch_flush_rows == 5000  # from the file


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("watch_flush_seconds", 0),
        ("watch_flush_rows", 0),
        ("watch_update_minutes", -1),
        ("coingecko_rate_per_minute", 0),
    ],
)
def test_bad_live_values_name_the_setting(name: str, value: float) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, env={})


def test_every_live_file_is_documented() -> None:
    doc = (ROOT / "docs" / "live.md").read_text(encoding="utf-8")
    for key in (
        "liquidation_feeds",
        "watch_update_minutes",
        "CRYPTODESK_COINGECKO_API_KEY",
        "cryptodesk-watch.service",
    ):
        assert key in doc
    unit = (ROOT / "examples" / "cryptodesk-watch.service").read_text(encoding="utf-8")
    assert "ExecStart=" in unit
    assert "cryptodesk watch" in unit
    assert "KillSignal=SIGTERM" in unit
