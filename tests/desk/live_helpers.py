"""Helpers for the live tests: liquidation messages, replay servers in a thread, a `cryptodesk` subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from tests.sources.liquidations import messages as m
from tests.sources.servers.ws_replay import Script, WsReplay

REPO = Path(__file__).resolve().parents[2]
BINANCE_SUB = {"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}
BYBIT_SUB = {"op": "subscribe", "args": ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"]}
OKX_SUB = {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}
ACKS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "binance": (BINANCE_SUB, {"result": None, "id": 1}),
    "bybit": (BYBIT_SUB, {"success": True, "ret_msg": "", "conn_id": "c1", "op": "subscribe"}),
    "okx": (OKX_SUB, {"event": "subscribe", "arg": {"channel": "liquidation-orders", "instType": "SWAP"}}),
}
BUILDERS: dict[str, Callable[[m.Spec], str]] = {"binance": m.binance, "bybit": m.bybit, "okx": m.okx}

# the CLI entry point with the live commands registered (cli/__init__ wires them once the lead adds the import)
CLI = "import sys, cryptodesk.cli.live; from cryptodesk.cli import main; raise SystemExit(main(sys.argv[1:]))"


def specs(n: int, *, start_ms: int = m.T0, offset: int = 0) -> list[m.Spec]:
    """``n`` distinct liquidations (BTC and ETH, both sides), one per 10 ms from ``start_ms``."""
    out = []
    for i in range(offset, offset + n):
        btc = i % 3 != 0
        out.append(
            m.Spec(
                "BTCUSDT" if btc else "ETHUSDT",
                "long" if i % 2 == 0 else "short",
                round(0.01 * (1 + i % 97), 2) if btc else round(0.1 * (1 + i % 89), 1),
                20_000.0 + (i % 500) if btc else 1_500.0 + (i % 300) * 0.5,
                start_ms + 10 * i,
            )
        )
    return out


def checker(exchange: str) -> Callable[[str], str | None]:
    """The replay's subscription check: the documented frame gets the documented ack."""
    expected, ack = ACKS[exchange]
    return lambda frame: json.dumps(ack) if json.loads(frame) == expected else None


class ThreadedReplay:
    """A :class:`WsReplay` running in its own event loop thread (for subprocess tests)."""

    def __init__(self, exchange: str, scripts: list[Script]) -> None:
        self.replay = WsReplay(scripts, checker(exchange))
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedReplay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.replay.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.replay.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    @property
    def url(self) -> str:
        return self.replay.url


def watch_process(db: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start ``cryptodesk watch`` on ``db`` with ``env`` settings (no update passes) in a subprocess."""
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRYPTODESK_")},
        "CRYPTODESK_DB": str(db),
        "CRYPTODESK_CONFIG": str(db.parent / "none.toml"),
        "CRYPTODESK_DATA_PACK": os.environ.get("CRYPTODESK_DATA_PACK", str(REPO.parent / "shared" / "data")),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "watch", "--no-update", *args],
        cwd=db.parent,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``cryptodesk ARGS`` on ``db`` to completion."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTODESK_")}
    env.update(CRYPTODESK_DB=str(db), CRYPTODESK_CONFIG=str(db.parent / "none.toml"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=db.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_status(db: Path) -> dict[str, Any]:
    """The live status file of ``db`` ({} until written)."""
    try:
        data = json.loads(Path(str(db) + ".live.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` every 50 ms; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stored_by_watch(db: Path, pid: int) -> int:
    """Rows the watch process ``pid`` says it stored (from its status file; 0 until it writes there)."""
    watch = read_status(db).get("watch", {})
    if watch.get("pid") != pid:
        return 0
    feeds = watch.get("feeds", [])
    return sum(int(f.get("stored", 0)) for f in feeds)


def coverage_recorded_by_watch(db: Path, pid: int) -> int:
    """Coverage records the watch process ``pid`` says it committed (from its status file)."""
    watch = read_status(db).get("watch", {})
    if watch.get("pid") != pid:
        return 0
    return int(watch.get("writer", {}).get("coverage_records", 0))


def terminate(proc: subprocess.Popen[str], timeout: float = 20.0) -> tuple[int, str, str]:
    """SIGTERM the process and return (exit code, stdout, stderr)."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def liquidation_keys(db: Path) -> list[tuple[str, str, int, str, float, float]]:
    """Every stored liquidation as (exchange, symbol, ms, side, quantity, price), sorted."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT exchange, symbol, epoch_ms(ts), side, quantity, price FROM liquidations ORDER BY ALL"
        ).fetchall()
    return [(r[0], r[1], int(r[2]), r[3], round(float(r[4]), 8), round(float(r[5]), 8)) for r in rows]


def expected_keys(exchange: str, items: list[m.Spec]) -> list[tuple[str, str, int, str, float, float]]:
    """What the store must hold for ``items`` sent on ``exchange`` (computed from the specs, not the code)."""
    out = []
    for s in items:
        symbol = m.okx_inst(s.symbol) if exchange == "okx" else s.symbol
        out.append((exchange, symbol, s.ms, s.side, round(s.qty, 8), round(s.price, 8)))
    return sorted(out)


def coverage_rows(db: Path) -> list[tuple[str, str, Any, Any]]:
    """feed_coverage rows (exchange, feed, start, end) in order, times as epoch microseconds."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            'SELECT exchange, feed, epoch_us("start"), epoch_us("end") FROM feed_coverage ORDER BY ALL'
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]
