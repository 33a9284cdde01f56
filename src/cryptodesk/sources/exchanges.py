"""Exchange OHLCV through CCXT: paginated from the last stored candle, closed candles only.

A job is an ``exchange:symbol:timeframe`` triple (``binance:BTC/USDT:1d``, from
``settings.exchanges``). :func:`fetch_candles` pages forward from the candle
after ``since`` (the open time of the last stored candle) and returns only
*closed* candles (``open_time + timeframe <= now``), so nothing provisional is
ever stored. Per-exchange quirks live in :data:`CAPABILITIES`, a table in the
style of freqtrade's ``_ft_has``. REST base URLs can be overridden per exchange
(``settings.exchange_urls``) so tests talk to a local replay server. CCXT errors
are translated once, in :func:`_call`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ConfigError, PermanentSourceError, TemporarySourceError
from cryptodesk.core.models import CANDLES, Batch

SOURCE = "ccxt"
TIMEFRAMES = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14_400, "1d": 86_400, "1w": 604_800}


@dataclass(frozen=True)
class Capabilities:
    """What an exchange's OHLCV endpoint does (freqtrade ``_ft_has`` style)."""

    ohlcv_limit: int = 500
    """Most candles one request returns."""
    last_candle_open: bool = True
    """The newest candle returned may still be forming (it is dropped unless closed)."""
    options: dict[str, Any] = field(default_factory=dict)
    """CCXT options for this exchange (e.g. load only spot markets)."""


CAPABILITIES: dict[str, Capabilities] = {
    "binance": Capabilities(1000, True, {"fetchMarkets": {"types": ["spot"]}}),
    "bybit": Capabilities(1000, True, {"fetchMarkets": {"types": ["spot"]}}),
    "okx": Capabilities(100, True),
    "kraken": Capabilities(720, True),
    "coinbase": Capabilities(300, True),
    "bitfinex": Capabilities(10_000, True),
}
DEFAULT_CAPABILITIES = Capabilities()


@dataclass(frozen=True)
class Job:
    """One exchange:symbol:timeframe triple."""

    exchange: str
    symbol: str
    timeframe: str

    @property
    def seconds(self) -> int:
        """The timeframe in seconds."""
        return TIMEFRAMES[self.timeframe]


@dataclass(frozen=True)
class CandleResult:
    """Closed candles fetched for one job and the interval they cover."""

    job: Job
    batch: Batch
    start: datetime | None
    """Open time of the first candle returned (None when nothing new)."""
    end: datetime | None
    """Close time of the last closed candle returned: the data is complete up to here."""


def parse_jobs(text: str) -> list[Job]:
    """Parse ``'binance:BTC/USDT:1d,okx:ETH/USDT:1h'`` into jobs (symbols may contain ':' for perps)."""
    jobs: list[Job] = []
    for raw in (t.strip() for t in text.split(",")):
        if not raw:
            continue
        exchange, _, rest = raw.partition(":")
        symbol, _, timeframe = rest.rpartition(":")
        if not exchange or not symbol or timeframe not in TIMEFRAMES:
            raise ConfigError(
                f"exchanges: {raw!r} is not exchange:symbol:timeframe with timeframe in {', '.join(TIMEFRAMES)}",
                parameter="exchanges",
            )
        jobs.append(Job(exchange.lower(), symbol, timeframe))
    return jobs


def parse_urls(text: str) -> dict[str, str]:
    """Parse ``'binance=http://127.0.0.1:9000,okx=...'`` into a mapping."""
    urls: dict[str, str] = {}
    for raw in (t.strip() for t in text.split(",")):
        if not raw:
            continue
        name, sep, url = raw.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ConfigError(f"exchange_urls: {raw!r} is not name=http(s)://host[:port]", parameter="exchange_urls")
        urls[name.strip().lower()] = url.strip().rstrip("/")
    return urls


def make_exchange(name: str, *, base_url: str | None = None, timeout_ms: int = 30_000) -> Any:
    """A CCXT exchange instance with this project's capability options and an optional REST base override."""
    import ccxt

    cls = getattr(ccxt, name, None)
    if cls is None or not isinstance(cls, type):
        raise ConfigError(f"exchanges: unknown CCXT exchange {name!r}", parameter="exchanges")
    caps = CAPABILITIES.get(name, DEFAULT_CAPABILITIES)
    # enableLastJsonResponse: so that a body ccxt silently turns into an empty page can be told from a real one
    exchange = cls(
        {"enableRateLimit": True, "enableLastJsonResponse": True, "timeout": timeout_ms, "options": dict(caps.options)}
    )
    if base_url:
        _override_urls(exchange.urls, base_url)
    return exchange


def _override_urls(urls: dict[str, Any], base_url: str) -> None:
    """Point every REST URL at ``base_url``, keeping each URL's path."""
    api = urls.get("api")
    if isinstance(api, dict):
        for key, value in list(api.items()):
            if isinstance(value, str) and value.startswith("http"):
                api[key] = base_url + urlsplit(value).path
    elif isinstance(api, str):
        urls["api"] = base_url + urlsplit(api).path


def fetch_candles(
    exchange: Any,
    job: Job,
    since: datetime | None,
    *,
    registry: AssetRegistry,
    now: datetime | None = None,
    max_pages: int = 1000,
    initial_lookback: int = 500,
) -> CandleResult:
    """Closed candles of ``job`` opening after ``since`` (or the last ``initial_lookback`` ones when None)."""
    caps = CAPABILITIES.get(job.exchange, DEFAULT_CAPABILITIES)
    step_ms = job.seconds * 1000
    now_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
    if since is None:
        cursor = (now_ms // step_ms - initial_lookback) * step_ms
    else:
        cursor = int(since.timestamp() * 1000) + step_ms
    rows: dict[int, list[Any]] = {}
    label = f"{job.exchange} {job.symbol} {job.timeframe}"
    for _ in range(max_pages):
        if cursor + step_ms > now_ms:
            break
        page = _call(label, partial(exchange.fetch_ohlcv, job.symbol, job.timeframe, cursor, caps.ohlcv_limit))
        raw = getattr(exchange, "last_json_response", None)
        if not page and raw is not None and not isinstance(raw, list):
            # ccxt turns an unexpected body (schema drift) into an empty page; an empty page is a JSON list
            raise PermanentSourceError(
                f"{label}: the OHLCV response is a JSON {type(raw).__name__}, expected a list of candles"
            )
        fresh = [r for r in _check_rows(page, label) if r[0] >= cursor]
        if not fresh:
            break
        for r in fresh:
            rows[int(r[0])] = r
        cursor = max(rows) + step_ms
    closed = [rows[t] for t in sorted(rows) if t + step_ms <= now_ms]
    return _result(job, closed, step_ms, registry)


def _call(label: str, fn: Callable[[], Any]) -> Any:
    """Run one CCXT call, translating its errors into the desk's source errors."""
    import ccxt

    try:
        return fn()
    except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as e:
        raise TemporarySourceError(f"{label}: rate limited by the exchange ({type(e).__name__})") from e
    except (ccxt.RequestTimeout, ccxt.NetworkError, ccxt.ExchangeNotAvailable) as e:
        raise TemporarySourceError(f"{label}: network error ({type(e).__name__}: {_first_line(e)})") from e
    except ccxt.BadSymbol as e:
        raise PermanentSourceError(f"{label}: the exchange does not list this symbol ({_first_line(e)})") from e
    except ccxt.AuthenticationError as e:
        raise PermanentSourceError(f"{label}: authentication failed ({type(e).__name__})") from e
    except ccxt.BaseError as e:
        raise PermanentSourceError(f"{label}: {type(e).__name__}: {_first_line(e)}") from e


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0][:200] if str(e) else ""


def _check_rows(page: Any, label: str) -> list[list[Any]]:
    if not isinstance(page, list):
        raise PermanentSourceError(f"{label}: OHLCV response is {type(page).__name__}, expected a list")
    for i, row in enumerate(page):
        if not isinstance(row, list) or len(row) < 6 or not all(isinstance(v, int | float) for v in row[:6]):
            raise PermanentSourceError(f"{label}: OHLCV row {i + 1} is {row!r}, expected [ms, o, h, l, c, v] numbers")
        if not row[3] <= min(row[1], row[4]) <= max(row[1], row[4]) <= row[2]:
            raise PermanentSourceError(f"{label}: OHLCV row {i + 1} is {row!r}: low/high do not bound open/close")
    return page


def _result(job: Job, rows: list[list[Any]], step_ms: int, registry: AssetRegistry) -> CandleResult:
    asset_id = registry.resolve(job.symbol) or job.symbol.split("/")[0].lower()
    frame = pl.DataFrame(
        {
            "open_ms": [int(r[0]) for r in rows],
            "open": [r[1] for r in rows],
            "high": [r[2] for r in rows],
            "low": [r[3] for r in rows],
            "close": [r[4] for r in rows],
            "volume": [r[5] for r in rows],
        },
        schema={"open_ms": pl.Int64, **dict.fromkeys(("open", "high", "low", "close", "volume"), pl.Float64)},
    ).with_columns(
        pl.from_epoch("open_ms", time_unit="ms").dt.replace_time_zone("UTC").alias("open_time"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(job.exchange).alias("venue"),
        pl.lit(asset_id).alias("asset_id"),
        pl.lit(job.symbol).alias("symbol"),
        pl.lit(job.timeframe).alias("interval"),
    )
    start = _ms(rows[0][0]) if rows else None
    end = _ms(rows[-1][0] + step_ms) if rows else None
    return CandleResult(job, Batch("candles", CANDLES.conform(frame)), start, end)


def _ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
