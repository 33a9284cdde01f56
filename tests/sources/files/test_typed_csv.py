"""The typed CSV read of the big formats gives what the text read gives, or steps aside.

Every case is parsed twice: as the importer does (typed read first) and with the typed
read switched off (the text path, the reference). Both must produce the same batches
and warnings, or the same error. Clean files must really take the typed path (else the
comparison would prove nothing); odd files may decline to the text path, never differ.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ParseError
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files import binance_klines, coingecko_allcoins, format_by_name
from cryptodesk.sources.files._table import CsvTable, Declined, TableFormat

ALLCOINS = coingecko_allcoins.EXPECTED
HATHIX = "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz"
KLINES = "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv"


def allcoins_text(seed: int, days: int = 4, coins: int = 30) -> str:
    """A per-day all-coins CSV with the upstream quirks: blank ``,,,,,`` lines, zero caps, empty volumes."""
    rng = random.Random(seed)
    lines = [ALLCOINS]
    for d in range(days):
        ms = 1609459200000 + d * 86_400_000
        for c in range(coins):
            price = rng.lognormvariate(0, 3)
            cap = rng.choice((0, price * 1e6, price * 1e7 + 0.5))
            vol = rng.choice(("", repr(price * 1e5), "1.5e3"))
            lines.append(f'{ms},"1/{d + 1}/2021, 12:00:00 AM",coin-{c:03d},{price!r},{cap!r},{vol}')
            if rng.random() < 0.05:
                lines.append(",,,,,")
    return "\n".join(lines) + "\n"


def klines_text(seed: int, rows: int = 300, header: bool = False, micro: bool = False) -> str:
    """A Binance 1-minute kline dump (headerless unless ``header``; µs times when ``micro``)."""
    rng = random.Random(seed)
    scale, tick = (1000, 999) if micro else (1, 0)
    out = [binance_klines.EXPECTED] if header else []
    price = 100.0
    for i in range(rows):
        t = (1704067200000 + i * 60_000) * scale
        o, c = price, price * rng.uniform(0.99, 1.01)
        h, low = max(o, c) * 1.001, min(o, c) * 0.999
        out.append(
            f"{t},{o!r},{h!r},{low!r},{c!r},{rng.uniform(1, 9)!r},{t + 59_999 * scale + tick},"
            f"{rng.uniform(1e3, 9e3)!r},{rng.randint(1, 999)},{rng.uniform(0, 1)!r},{rng.uniform(0, 9)!r},0"
        )
        price = c
    return "\n".join(out) + "\n"


def _edit(text: str, line: int, fn: Callable[[list[str]], list[str]]) -> str:
    """``text`` with the fields of (0-based) line ``line`` replaced by ``fn(fields)``."""
    lines = text.split("\n")
    lines[line] = ",".join(fn(lines[line].split(",")))
    return "\n".join(lines)


def _set(i: int, value: str) -> Callable[[list[str]], list[str]]:
    def fn(fields: list[str]) -> list[str]:
        fields[i] = value
        return fields

    return fn


Outcome = tuple[str, object]


def _outcome(fmt_name: str, data: bytes, name: str) -> Outcome:
    ctx = ParseContext(Path(name), AssetRegistry.builtin())
    try:
        batches = format_by_name(fmt_name).load(data, ctx)
    except ParseError as e:
        return ("error", str(e))
    return ("ok", ([(b.table, b.frame) for b in batches], ctx.warnings))


def _same(a: Outcome, b: Outcome) -> bool:
    if a[0] != b[0] or a[0] == "error":
        return a == b
    (got, warn_a), (ref, warn_b) = a[1], b[1]  # type: ignore[misc]
    return (
        warn_a == warn_b
        and len(got) == len(ref)
        and all(ta == tb and fa.equals(fb, null_equal=True) for (ta, fa), (tb, fb) in zip(got, ref, strict=True))
    )


def _typed_taken(fmt_name: str, data: bytes, name: str) -> bool:
    """True when the typed read parses ``data`` without stepping aside."""
    fmt = format_by_name(fmt_name)
    assert isinstance(fmt, TableFormat)
    module = coingecko_allcoins if fmt_name == "coingecko-allcoins" else binance_klines
    header = fmt_name == "coingecko-allcoins" or data.startswith(b"open_time")
    table = CsvTable.typed(data, Path(name), module.SCHEMA, header=header)
    if table is None:
        return False
    try:
        fmt.parse_table(table, ParseContext(Path(name), AssetRegistry.builtin()))
    except Declined:
        return False
    except ParseError:
        return True  # an error the typed read met itself (not a row check): the same as the text path's
    return True


def _check(monkeypatch: pytest.MonkeyPatch, fmt_name: str, text: str | bytes, name: str) -> bool:
    """Assert both reads agree; return whether the typed read was taken."""
    data = text.encode() if isinstance(text, str) else text
    fast = _outcome(fmt_name, data, name)
    with monkeypatch.context() as m:
        m.setattr(CsvTable, "typed", classmethod(lambda cls, *a, **k: None))
        reference = _outcome(fmt_name, data, name)
    assert _same(fast, reference), (fast if fast[0] == "error" else "rows differ", reference[0])
    return _typed_taken(fmt_name, data, name)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_allcoins_files_take_the_typed_path(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    assert _check(monkeypatch, "coingecko-allcoins", allcoins_text(seed), "allcoins.csv")


def test_pack_allcoins_file_takes_the_typed_path(monkeypatch: pytest.MonkeyPatch, data_pack: Path) -> None:
    text = gzip.decompress((data_pack / HATHIX).read_bytes()).decode()
    head = "\n".join(text.split("\n")[:4000]) + "\n"  # includes the upstream ",,,,," lines
    assert ",,,,," in head
    assert _check(monkeypatch, "coingecko-allcoins", head, "hathix.csv")


ALLCOINS_CASES: dict[str, Callable[[str], str]] = {
    "header in other case, blanks": lambda t: t.replace(
        ALLCOINS, " TIMESTAMP , readabletimestamp,COINID,price,MarketCap,totalvolume", 1
    ),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bom": lambda t: "\ufeff" + t,
    "empty line": lambda t: _edit(t, 9, lambda f: []),
    "stamp only": lambda t: _edit(t, 9, lambda f: ["", f[1], f[2], "", "", "", ""]),
    "blank with spaces": lambda t: _edit(t, 9, lambda f: [" ", " ", " ", "", " ", ""]),
    "leading space in number": lambda t: _edit(t, 9, _set(4, " " + t.split("\n")[9].split(",")[4])),
    "trailing space in number": lambda t: _edit(t, 9, _set(4, t.split("\n")[9].split(",")[4] + " ")),
    "spaces around coin": lambda t: _edit(t, 9, _set(3, "  bitcoin ")),
    "blank coin": lambda t: _edit(t, 9, _set(3, "   ")),
    "nan cap": lambda t: _edit(t, 9, _set(5, "NaN")),
    "nan price": lambda t: _edit(t, 9, _set(4, "nan")),
    "inf price": lambda t: _edit(t, 9, _set(4, "inf")),
    "negative price": lambda t: _edit(t, 9, _set(4, "-3.5")),
    "junk price": lambda t: _edit(t, 9, _set(4, "12x.5")),
    "quoted number": lambda t: _edit(t, 9, _set(4, '"7.25"')),
    "plus and zeros in time": lambda t: _edit(t, 9, _set(0, "+0" + t.split("\n")[9].split(",")[0])),
    "float time": lambda t: _edit(t, 9, _set(0, "1.6e12")),
    "more fields": lambda t: _edit(t, 9, lambda f: [*f, "9"]),
    "fewer fields": lambda t: _edit(t, 9, lambda f: f[:3]),
    "duplicate key": lambda t: t + t.split("\n")[5] + "\n",
    "extra column": lambda t: (
        t.replace(ALLCOINS, ALLCOINS + ",extra", 1)
        .replace("\n", ",x\n")
        .replace(ALLCOINS + ",extra,x", ALLCOINS + ",extra", 1)
    ),
    "bad utf-8 coin": lambda t: _edit(t, 9, _set(3, "co\udcffin")),
    "header only": lambda t: ALLCOINS + "\n",
    "price and cap swapped": lambda t: t.replace(ALLCOINS, ALLCOINS.replace("price,marketCap", "marketCap,price"), 1),
}


@pytest.mark.parametrize("case", sorted(ALLCOINS_CASES))
def test_odd_allcoins_files_agree_with_the_text_path(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    text = ALLCOINS_CASES[case](allcoins_text(7))
    data = text.encode("utf-8", errors="surrogateescape")
    _check(monkeypatch, "coingecko-allcoins", data, "allcoins.csv")


@pytest.mark.parametrize(("header", "micro"), [(False, False), (True, False), (False, True)])
def test_clean_kline_files_take_the_typed_path(monkeypatch: pytest.MonkeyPatch, header: bool, micro: bool) -> None:
    assert _check(monkeypatch, "binance-klines", klines_text(3, header=header, micro=micro), "BTCUSDT-1m-2024-01.csv")


def test_pack_kline_file_takes_the_typed_path(monkeypatch: pytest.MonkeyPatch, data_pack: Path) -> None:
    text = (data_pack / KLINES).read_text()
    assert _check(monkeypatch, "binance-klines", text, "binance_usdm_BTCUSDT_1m_2023-01-18.csv")


KLINE_CASES: dict[str, Callable[[str], str]] = {
    "leading zero time": lambda t: _edit(t, 40, _set(0, "0" + t.split("\n")[40].split(",")[0])),
    "plus time": lambda t: _edit(t, 40, _set(6, "+" + t.split("\n")[40].split(",")[6])),
    "space in time": lambda t: _edit(t, 40, _set(0, " " + t.split("\n")[40].split(",")[0])),
    "short time": lambda t: _edit(t, 40, _set(0, t.split("\n")[40].split(",")[0][1:])),
    "other interval": lambda t: _edit(t, 40, _set(6, str(int(t.split("\n")[40].split(",")[0]) + 299_999))),
    "empty close": lambda t: _edit(t, 40, _set(4, "")),
    "nan close": lambda t: _edit(t, 40, _set(4, "NaN")),
    "inf high": lambda t: _edit(t, 40, _set(2, "inf")),
    "float count": lambda t: _edit(t, 40, _set(8, "12.0")),
    "junk in ignored column": lambda t: _edit(t, 40, _set(11, "n/a")),
    "junk in taker column": lambda t: _edit(t, 40, _set(9, "x")),
    "more fields": lambda t: _edit(t, 40, lambda f: [*f, "1"]),
    "fewer fields": lambda t: _edit(t, 40, lambda f: f[:8]),
    "blank row": lambda t: _edit(t, 40, lambda f: [""] * 12),
    "duplicate row": lambda t: "\n".join([*t.split("\n")[:40], t.split("\n")[39], *t.split("\n")[41:]]),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "trailing space": lambda t: _edit(t, 40, _set(5, t.split("\n")[40].split(",")[5] + " ")),
}


@pytest.mark.parametrize("case", sorted(KLINE_CASES))
def test_odd_kline_files_agree_with_the_text_path(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    _check(monkeypatch, "binance-klines", KLINE_CASES[case](klines_text(5)), "ETHUSDT-1m-2024-02.csv")
