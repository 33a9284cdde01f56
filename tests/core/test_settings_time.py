"""Settings precedence and time parsing give clear errors naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import SETTINGS, Settings, load_settings
from cryptodesk.core.timeutil import parse_clock, parse_day, parse_moment


def test_precedence_default_file_env_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('db = "from-file.duckdb"\ntz = "UTC"\n', encoding="utf-8")
    assert load_settings(env={}, config_path=tmp_path / "missing.toml").db == Path("cryptodesk.duckdb")
    assert load_settings(env={}, config_path=cfg).db == Path("from-file.duckdb")
    env = {"CRYPTODESK_DB": "from-env.duckdb"}
    assert load_settings(env=env, config_path=cfg).db == Path("from-env.duckdb")
    assert load_settings({"db": "flag.duckdb"}, env=env, config_path=cfg).db == Path("flag.duckdb")
    assert load_settings(env=env, config_path=cfg).tz == "UTC"


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('dbb = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'dbb'"):
        load_settings(env={}, config_path=cfg)


def test_bad_value_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="coingecko_top_n"):
        load_settings({"coingecko_top_n": 0}, env={})


def test_every_setting_is_documented() -> None:
    assert {s.name for s in SETTINGS} == set(Settings.model_fields)


def test_secrets_do_not_print() -> None:
    s = load_settings(env={"CRYPTODESK_COINGECKO_API_KEY": "CG-secret-123"})
    assert "CG-secret-123" not in repr(s)
    assert "CG-secret-123" not in str(s)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2023-01-18T17:30:00Z", "UTC", datetime(2023, 1, 18, 17, 30, tzinfo=UTC)),
        ("2023-01-18T12:30:00-05:00", "UTC", datetime(2023, 1, 18, 17, 30, tzinfo=UTC)),
        ("2023-01-18 12:30", "America/New_York", datetime(2023, 1, 18, 17, 30, tzinfo=UTC)),
        ("2022-07-01 12:30", "America/New_York", datetime(2022, 7, 1, 16, 30, tzinfo=UTC)),
        ("2023-01-18", "UTC", datetime(2023, 1, 19, 0, 0, tzinfo=UTC)),
        ("2023-01-18", "America/New_York", datetime(2023, 1, 19, 5, 0, tzinfo=UTC)),
    ],
)
def test_parse_moment(text: str, tz: str, expected: datetime) -> None:
    assert parse_moment(text, tz=tz) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-01T00:00", "18/01/2023"])
def test_parse_moment_errors_name_parameter(bad: str) -> None:
    with pytest.raises(ConfigError, match="--as-of"):
        parse_moment(bad)


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ConfigError, match="--tz: unknown time zone"):
        parse_moment("2023-01-18T12:00", tz="Mars/Olympus")


def test_day_and_clock() -> None:
    assert parse_day("2023-01-02", parameter="--from").isoformat() == "2023-01-02"
    assert parse_clock("12:30").isoformat() == "12:30:00"
    with pytest.raises(ConfigError, match="--from"):
        parse_day("Jan 2", parameter="--from")
    with pytest.raises(ConfigError, match="--at"):
        parse_clock("half past noon")
