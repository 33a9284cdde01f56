"""Settings: defaults, then a TOML file, then ``CRYPTODESK_*`` environment variables, then CLI flags.

Every setting is one row of :data:`SETTINGS` (name, default, help), and the
documentation (docs/configuration.md) is generated from that table. The TOML
file is ``./cryptodesk.toml`` or the path in ``CRYPTODESK_CONFIG``; keys are the
setting names (``db = "..."``), and the environment variable for a setting is
``CRYPTODESK_`` + its name in upper case (``CRYPTODESK_DB``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from cryptodesk.core.errors import ConfigError


@dataclass(frozen=True)
class SettingDoc:
    """One documented setting."""

    name: str
    default: object
    help: str


SETTINGS: tuple[SettingDoc, ...] = (
    SettingDoc("db", "cryptodesk.duckdb", "Path of the DuckDB store file."),
    SettingDoc("data_pack", "../shared/data", "Default folder of the data pack used by the demo and tests."),
    SettingDoc("tz", "America/New_York", "Time zone used in stories and tables."),
    SettingDoc("seed", 0, "Seed for the writer's phrasing variations (reproducible)."),
    SettingDoc(
        "universe_size", 100, "How many assets an analysis covers: the largest by market cap with fresh daily data."
    ),
    SettingDoc(
        "universe_fresh_days", 7, "An asset is in the universe only with a daily row in the last this many days."
    ),
    SettingDoc(
        "intraday_days", 8, "Days of candles and price points read before the as-of time (intraday ranges, checks)."
    ),
    SettingDoc(
        "store_memory_limit",
        "32MB",
        "DuckDB memory limit of a read-only store connection's narrow reads (a report's or the dashboard's: named "
        "assets over at most a day). It bounds the cache of pages they read, which DuckDB otherwise keeps up to "
        "80% of RAM (a report reading 100 assets out of 18M daily rows left 390 MiB of them). A narrow read that "
        "runs out of memory under it runs again under four times it (merging several sources' rows in SQL needs "
        "more than reading one source's), then under DuckDB's own limit; wide reads (every asset, a replay's "
        "period) run under DuckDB's own. Empty: DuckDB's own for every read. Writes (imports, updates) keep their "
        "own limits.",
    ),
    SettingDoc("coingecko_api_key", None, "CoinGecko Demo key (sent as x-cg-demo-api-key)."),
    SettingDoc("coingecko_pro_api_key", None, "CoinGecko Pro key (switches to the Pro base URL, x-cg-pro-api-key)."),
    SettingDoc("coingecko_base_url", "https://api.coingecko.com/api/v3", "CoinGecko public/Demo API base URL."),
    SettingDoc("coingecko_pro_base_url", "https://pro-api.coingecko.com/api/v3", "CoinGecko Pro API base URL."),
    SettingDoc("coingecko_top_n", 250, "How many coins the /coins/markets snapshot covers."),
    SettingDoc("coingecko_rate_per_minute", None, "CoinGecko requests per minute (default: the plan's, 5/30/500)."),
    SettingDoc("coingecko_backfill", "bitcoin,ethereum", "Comma-separated CoinGecko ids to backfill."),
    SettingDoc("coinglass_api_key", None, "CoinGlass API key (sent as CG-API-KEY)."),
    SettingDoc("coinglass_base_url", "https://open-api-v4.coinglass.com", "CoinGlass API base URL."),
    SettingDoc("binance_futures_ws_url", "wss://fstream.binance.com/ws", "Binance USD-M futures websocket URL."),
    SettingDoc("bybit_ws_url", "wss://stream.bybit.com/v5/public/linear", "Bybit v5 public linear websocket URL."),
    SettingDoc("okx_ws_url", "wss://ws.okx.com:8443/ws/v5/public", "OKX v5 public websocket URL."),
    SettingDoc(
        "exchanges", "binance:BTC/USDT:1d,binance:ETH/USDT:1d", "CCXT exchange:symbol:timeframe triples to update."
    ),
    SettingDoc("exchange_urls", "", "Per-exchange REST URL overrides for CCXT: 'binance=http://127.0.0.1:9000,...'."),
    SettingDoc("okx_rest_url", "https://www.okx.com", "OKX REST base URL (SWAP contract values for the OKX feed)."),
    SettingDoc("liquidation_feeds", "binance,bybit,okx", "Liquidation feeds `watch` runs (binance, bybit, okx)."),
    SettingDoc("liquidation_symbols", "BTCUSDT,ETHUSDT", "Bybit linear symbols whose allLiquidation topic is read."),
    SettingDoc("watch_update_minutes", 15.0, "Minutes between the `update` passes `watch` runs; 0 disables them."),
    SettingDoc("watch_flush_seconds", 2.0, "Seconds between liquidation writes (one transaction each) in `watch`."),
    SettingDoc("watch_flush_rows", 5000, "Buffered liquidations that trigger a write before the flush interval."),
    SettingDoc("api_token", None, "Token required by state-changing web API endpoints."),
)


class Settings(BaseModel):
    """Resolved settings. Build with :func:`load_settings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: Path = Path("cryptodesk.duckdb")
    data_pack: Path = Path("../shared/data")
    tz: str = "America/New_York"
    seed: int = 0
    universe_size: int = Field(100, ge=1, le=100_000)
    universe_fresh_days: int = Field(7, ge=0, le=3660)
    intraday_days: int = Field(8, ge=1, le=3660)
    store_memory_limit: str = Field("32MB", pattern=r"^(\s*|\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*)$")
    coingecko_api_key: SecretStr | None = None
    coingecko_pro_api_key: SecretStr | None = None
    coingecko_base_url: str = "https://api.coingecko.com/api/v3"
    coingecko_pro_base_url: str = "https://pro-api.coingecko.com/api/v3"
    coingecko_top_n: int = Field(250, ge=1, le=5000)
    coingecko_rate_per_minute: float | None = Field(None, gt=0)
    coingecko_backfill: str = "bitcoin,ethereum"
    coinglass_api_key: SecretStr | None = None
    coinglass_base_url: str = "https://open-api-v4.coinglass.com"
    binance_futures_ws_url: str = "wss://fstream.binance.com/ws"
    bybit_ws_url: str = "wss://stream.bybit.com/v5/public/linear"
    okx_ws_url: str = "wss://ws.okx.com:8443/ws/v5/public"
    exchanges: str = "binance:BTC/USDT:1d,binance:ETH/USDT:1d"
    exchange_urls: str = ""
    okx_rest_url: str = "https://www.okx.com"
    liquidation_feeds: str = "binance,bybit,okx"
    liquidation_symbols: str = "BTCUSDT,ETHUSDT"
    watch_update_minutes: float = Field(15.0, ge=0)
    watch_flush_seconds: float = Field(2.0, gt=0, le=3600)
    watch_flush_rows: int = Field(5000, ge=1)
    api_token: SecretStr | None = None


def load_settings(
    overrides: dict[str, Any] | None = None,
    *,
    env: dict[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Merge defaults, the TOML file, ``CRYPTODESK_*`` variables and ``overrides`` (non-None values)."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    path = config_path or (Path(env["CRYPTODESK_CONFIG"]) if env.get("CRYPTODESK_CONFIG") else Path("cryptodesk.toml"))
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: cannot read settings file: {e}", parameter=str(path)) from e
        known = {s.name for s in SETTINGS}
        for key, value in file_values.items():
            if key not in known:
                if isinstance(value, dict):
                    continue  # sections ([alerts], [watch]) belong to their own modules
                raise ConfigError(f"{path}: unknown setting {key!r}", parameter=key)
            values[key] = value
    if env.get("CRYPTODESK_DATA_PACK"):
        values["data_pack"] = env["CRYPTODESK_DATA_PACK"]
    for s in SETTINGS:
        var = "CRYPTODESK_" + s.name.upper()
        if env.get(var):
            values[s.name] = env[var]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        return Settings(**values)
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"setting {name!r}: {err['msg']}", parameter=name) from e
