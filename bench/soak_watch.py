"""Soak test of `cryptodesk watch` against local replay servers (127.0.0.1 only).

Run: .venv/bin/python bench/soak_watch.py [--minutes 10] [--rate 1000] [--disconnect-every 60] [--kill-at 0.3]

Three local websocket servers stand in for Binance ``!forceOrder@arr``, Bybit
``allLiquidation`` and OKX ``liquidation-orders`` (OKX contract values come from a
local HTTP replay of ``/api/v5/public/instruments``; CoinGecko and Binance klines
replays serve the scheduled update passes, one a minute). Together they send
``--rate`` distinct liquidation messages per second (half Binance, a quarter each
Bybit and OKX). Every ``--disconnect-every`` seconds each server cuts its
connection without a close frame; on every new connection a server first replays
its last ``--replay-seconds`` of messages (so duplicates arrive and messages a
killed client had not stored yet are offered again). At ``--kill-at`` of the run
the watch process gets ``kill -9`` and is restarted on the same store.

Checks, printed as JSON (exit 1 if any fails):
* every message sent is stored exactly once: row count == distinct event ids ==
  messages sent, and the stored (exchange, time) pairs equal the sent ones;
* the injected disconnects and the kill appear as gaps in ``feed_coverage``;
* memory (RSS of the restarted watch) stays within +-10% of its median after warm-up;
* the final SIGTERM exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from tests.sources.liquidations import messages as m  # noqa: E402
from tests.sources.servers.http_replay import ReplayServer  # noqa: E402
from tests.sources.servers.routes import binance_routes, coingecko_routes, okx_routes  # noqa: E402
from websockets.asyncio.server import Server, ServerConnection, serve  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

CLI = "import sys, cryptodesk.cli.live; from cryptodesk.cli import main; raise SystemExit(main(sys.argv[1:]))"
SHARES = {"binance": 0.5, "bybit": 0.25, "okx": 0.25}
ACKS = {
    "binance": json.dumps({"result": None, "id": 1}),
    "bybit": json.dumps({"success": True, "ret_msg": "", "op": "subscribe"}),
    "okx": json.dumps({"event": "subscribe", "arg": {"channel": "liquidation-orders", "instType": "SWAP"}}),
}
BUILDERS: dict[str, Callable[[m.Spec], str]] = {"binance": m.binance, "bybit": m.bybit, "okx": m.okx}
INSTRUMENTS = [
    {"instId": inst, "ctVal": str(c.ct_val), "ctType": "inverse" if c.inverse else "linear"}
    for inst, c in m.OKX_CONTRACTS.items()
]


def spec(seq: int) -> m.Spec:
    """The liquidation number ``seq`` of a feed: distinct time (T0 + seq ms), BTC or ETH, both sides."""
    btc = seq % 2 == 0
    return m.Spec(
        "BTCUSDT" if btc else "ETHUSDT",
        "long" if (seq // 2) % 2 == 0 else "short",
        0.01 * (1 + seq % 50) if btc else 0.1 * (1 + seq % 40),
        20_000.0 + (seq % 997) * 0.1 if btc else 1_500.0 + (seq % 991) * 0.01,
        m.T0 + seq,
    )


class GenFeed:
    """A websocket server for one exchange: messages are due at a fixed rate from the start, whether or not a
    client is connected; a new connection first gets the last ``replay_seconds`` of them, then keeps up."""

    def __init__(self, exchange: str, rate: float, replay_seconds: float, capacity: int) -> None:
        self.exchange = exchange
        self.rate = rate
        self.replay = int(rate * replay_seconds)
        self.sent = bytearray(capacity)
        """sent[seq] == 1 once message ``seq`` was handed to a connection."""
        self.connections = 0
        self.drops = 0
        self._live: set[ServerConnection] = set()
        self._t0 = 0.0
        self.frozen: int | None = None
        """Set by :meth:`freeze`: no message is due after this one."""
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    def due(self) -> int:
        """How many messages are due by now."""
        if self.frozen is not None:
            return self.frozen
        return min(len(self.sent), int((asyncio.get_running_loop().time() - self._t0) * self.rate))

    async def start(self) -> None:
        self._t0 = asyncio.get_running_loop().time()
        self.server = await serve(self._handle, "127.0.0.1", 0, max_queue=None)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def freeze(self) -> None:
        """Stop generating: nothing after the messages due now."""
        self.frozen = self.due()

    def drop(self) -> None:
        """Cut every connection without a close frame."""
        for ws in list(self._live):
            ws.transport.abort()
            self.drops += 1

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        build = BUILDERS[self.exchange]
        reader: asyncio.Task[None] | None = None
        try:
            await ws.recv()
            await ws.send(ACKS[self.exchange])
            self._live.add(ws)
            reader = asyncio.create_task(self._drain(ws))
            seq = max(0, self.due() - self.replay)
            while True:
                due = self.due()
                while seq < due:
                    await ws.send(build(spec(seq)))
                    self.sent[seq] = 1
                    seq += 1
                if reader.done():  # the client went away
                    return
                await asyncio.sleep(0.01)
        except (ConnectionClosed, ConnectionError):
            return
        finally:
            self._live.discard(ws)
            if reader is not None:
                reader.cancel()

    async def _drain(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:  # heartbeats from the client
                pass


class Servers:
    """The three feed servers in one background event loop thread."""

    def __init__(self, rate: float, replay_seconds: float, seconds: float) -> None:
        self.feeds = {
            ex: GenFeed(ex, rate * share, replay_seconds, int(rate * share * seconds) + 1)
            for ex, share in SHARES.items()
        }
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Servers:
        self.thread.start()
        for f in self.feeds.values():
            asyncio.run_coroutine_threadsafe(f.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self.feeds.values():
            asyncio.run_coroutine_threadsafe(f.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def drop_all(self) -> None:
        """Inject a disconnect on every feed."""
        for f in self.feeds.values():
            self.loop.call_soon_threadsafe(f.drop)

    def freeze(self) -> None:
        """Stop generating on every feed (the client can then read everything that was sent)."""
        for f in self.feeds.values():
            self.loop.call_soon_threadsafe(f.freeze)

    def sent(self) -> dict[str, set[int]]:
        """The sequence numbers sent per exchange."""
        return {ex: {i for i, v in enumerate(f.sent) if v} for ex, f in self.feeds.items()}


def start_watch(db: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`cryptodesk watch` on ``db`` in a subprocess (stdout/stderr to files beside the store)."""
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("CRYPTODESK_")}, **env}
    log = (db.parent / f"watch-{int(time.time() * 1000)}.log").open("wb")
    return subprocess.Popen([sys.executable, "-c", CLI, "watch"], cwd=db.parent, env=full, stdout=log, stderr=log)


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (None once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def verify(db: Path, sent: dict[str, set[int]]) -> dict[str, Any]:
    """Compare the store with what the servers sent."""
    out: dict[str, Any] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for ex, seqs in sent.items():
            rows, ids = con.execute(
                "SELECT count(*), count(DISTINCT event_id) FROM liquidations WHERE exchange = ?", [ex]
            ).fetchone() or (0, 0)
            times = {
                int(r[0]) - m.T0
                for r in con.execute("SELECT epoch_ms(ts) FROM liquidations WHERE exchange = ?", [ex]).fetchall()
            }
            out[ex] = {"sent": len(seqs), "rows": rows, "distinct_ids": ids, "same_messages": times == seqs}
        gaps = con.execute(
            """SELECT exchange, count(*) FROM (
                 SELECT exchange, "start" > max("end") OVER (PARTITION BY exchange, feed ORDER BY "start"
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS gap FROM feed_coverage)
               WHERE gap GROUP BY exchange"""
        ).fetchall()
        open_intervals = con.execute('SELECT count(*) FROM feed_coverage WHERE "end" IS NULL').fetchone()
    for ex, n in gaps:
        out[ex]["coverage_gaps"] = n
    out["open_coverage_intervals"] = open_intervals[0] if open_intervals else None
    return out


def soak(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Run the soak and return its figures."""
    db = tmp / "soak.duckdb"
    total = args.minutes * 60.0
    kill_at = total * args.kill_at
    now_ms = int(time.time() * 1000)
    http_routes = {**okx_routes(INSTRUMENTS), **coingecko_routes(args.pack), **binance_routes(args.pack, now_ms=now_ms)}
    samples: list[tuple[float, float]] = []
    t_start = time.monotonic()
    with Servers(args.rate, args.replay_seconds, total + 600) as servers, ReplayServer(http_routes) as http:
        env = {
            "CRYPTODESK_DB": str(db),
            "CRYPTODESK_CONFIG": str(tmp / "none.toml"),
            "CRYPTODESK_BINANCE_FUTURES_WS_URL": servers.feeds["binance"].url,
            "CRYPTODESK_BYBIT_WS_URL": servers.feeds["bybit"].url,
            "CRYPTODESK_OKX_WS_URL": servers.feeds["okx"].url,
            "CRYPTODESK_OKX_REST_URL": http.url,
            "CRYPTODESK_COINGECKO_BASE_URL": http.url + "/api/v3",
            "CRYPTODESK_COINGECKO_RATE_PER_MINUTE": "600",
            "CRYPTODESK_COINGECKO_BACKFILL": "bitcoin",
            "CRYPTODESK_EXCHANGES": "binance:BTC/USDT:1m",
            "CRYPTODESK_EXCHANGE_URLS": f"binance={http.url}",
            "CRYPTODESK_WATCH_UPDATE_MINUTES": "1",
            "CRYPTODESK_WATCH_FLUSH_SECONDS": str(args.flush_seconds),
        }
        proc = start_watch(db, env)
        started = time.monotonic()
        restarted_at: float | None = None
        next_drop = started + args.disconnect_every
        killed = False
        while (elapsed := time.monotonic() - started) < total:
            time.sleep(1.0)
            if not killed and elapsed >= kill_at:
                proc.kill()
                proc.wait(30)
                killed = True
                proc = start_watch(db, env)
                restarted_at = time.monotonic()
            # no cut right before the final check, nor at the kill (it would be the same gap)
            if time.monotonic() >= next_drop and total - elapsed > 10 and abs(elapsed - kill_at) > 10:
                servers.drop_all()
                next_drop += args.disconnect_every
            rss = rss_mb(proc.pid)
            if restarted_at is not None and rss is not None:
                samples.append((time.monotonic() - restarted_at, rss))
        servers.freeze()
        generated = time.monotonic() - t_start
        time.sleep(3.0)  # let the last messages reach the client; SIGTERM must then store every one of them
        drops = {ex: f.drops for ex, f in servers.feeds.items()}
        proc.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        try:
            code: int | str = proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
            code = "no exit within 120 s of SIGTERM"
        shutdown_s = time.monotonic() - stop_started
        sent = servers.sent()
    result = verify(db, sent)
    phase = total - kill_at
    warm = min(args.warmup_seconds, phase * 0.4)
    steady = [mb for t, mb in samples if t >= warm]
    median = statistics.median(steady) if steady else float("nan")
    rate = sum(len(v) for v in sent.values()) / generated
    result.update(
        {
            "minutes": args.minutes,
            "rate_per_s": round(rate),
            "disconnects": drops,
            "killed_at_s": round(kill_at),
            "exit_code": code,
            "shutdown_seconds": round(shutdown_s, 1),
            "rss_mb": {
                "warmup_s": round(warm),
                "median": round(median, 1),
                "min": round(min(steady), 1) if steady else None,
                "max": round(max(steady), 1) if steady else None,
                "max_dev_pct": round(100 * max(abs(x - median) / median for x in steady), 1) if steady else None,
                "samples": len(steady),
            },
        }
    )
    return result


def passed(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The failed checks (empty = pass)."""
    fails = []
    for ex in SHARES:
        f = r[ex]
        if not (f["rows"] == f["distinct_ids"] == f["sent"] and f["same_messages"]):
            fails.append(f"{ex}: stored {f['rows']} rows / {f['distinct_ids']} ids for {f['sent']} sent")
        if f.get("coverage_gaps", 0) < r["disconnects"][ex] + 1:
            fails.append(f"{ex}: {f.get('coverage_gaps', 0)} coverage gaps for {r['disconnects'][ex]} drops + 1 kill")
    if r["exit_code"] != 0:
        fails.append(f"watch exited {r['exit_code']} on SIGTERM")
    if r["open_coverage_intervals"]:
        fails.append("open coverage intervals after shutdown")
    if r["rate_per_s"] < args.rate * 0.95:
        fails.append(f"rate {r['rate_per_s']}/s below {args.rate}/s")
    dev = r["rss_mb"]["max_dev_pct"]
    if dev is None or dev > 10:
        fails.append(f"memory deviates {dev}% from its median after warm-up")
    return fails


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the soak, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second over the three feeds")
    parser.add_argument("--disconnect-every", type=float, default=60.0, help="seconds between injected cuts")
    parser.add_argument("--replay-seconds", type=float, default=30.0, help="history a server resends on connect")
    parser.add_argument("--kill-at", type=float, default=0.3, help="fraction of the run at which to kill -9")
    parser.add_argument("--warmup-seconds", type=float, default=120.0, help="after the restart, before memory counts")
    parser.add_argument("--flush-seconds", type=float, default=1.0)
    parser.add_argument(
        "--pack", type=Path, default=Path(os.environ.get("CRYPTODESK_DATA_PACK", ROOT.parent / "shared" / "data"))
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the store and logs in this folder")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = soak(args, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = soak(args, Path(tmp))
    fails = passed(result, args)
    result["failed_checks"] = fails
    print(json.dumps(result, indent=1))
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
