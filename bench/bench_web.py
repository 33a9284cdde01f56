"""Load test of the web API: N concurrent clients on loopback for S seconds against /api/v1/market.

Reports p50/p99 latency and throughput for the market endpoint and, as a
same-run baseline, for the trivial /api/v1/health endpoint (targets: market p99
< 100 ms and >= 500 req/s on a warm cache). The server runs in its own process
(uvicorn, one worker) over a store snapshot; the clients are asyncio + httpx in
this process. No assertion: it prints a table (and JSON with --json).

    .venv/bin/python bench/bench_web.py --db cryptodesk.duckdb --clients 50 --seconds 30
    .venv/bin/python bench/bench_web.py --quick          # 5 s per endpoint, imports the pack if --db is absent
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
AS_OF = "2023-01-18T17:30:00Z"
SERVER = """
import sys, uvicorn
from cryptodesk.core.settings import load_settings
from cryptodesk.web.app import create_app
app = create_app(load_settings({"db": sys.argv[1]}, env={}))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ensure_db(db: Path | None, pack: Path) -> Path:
    """The store to serve: ``db`` if given, else the data pack imported into a temp file."""
    if db is not None:
        return db
    path = Path(tempfile.mkdtemp(prefix="bench-web-")) / "pack.duckdb"
    subprocess.run(
        [PYTHON, "-m", "cryptodesk", "--db", str(path), "import", str(pack)], check=True, capture_output=True
    )
    return path


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    """uvicorn in a child process; returns once /api/v1/health answers."""
    proc = subprocess.Popen([PYTHON, "-c", SERVER, str(db), str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; the status code (body read and dropped)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def load(port: int, path: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` keep-alive connections requesting ``path`` back to back for ``seconds``.

    A minimal raw-socket client (not httpx) so that the load generator, which
    shares the machine's cores with the server, costs as little CPU as possible.
    """
    latencies: list[float] = []
    errors = 0
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                status = await _get(reader, writer, request)
                latencies.append(time.perf_counter() - t0)
                errors += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=None, help="store to serve (default: import the data pack)")
    p.add_argument("--pack", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--quick", action="store_true", help="5 seconds per endpoint")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    seconds = 5.0 if args.quick else args.seconds
    db = ensure_db(args.db, args.pack)
    port = free_port()
    server = start_server(db, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        t0 = time.perf_counter()
        httpx.get(f"{base}/market", params={"as_of": AS_OF}, timeout=120).raise_for_status()  # fill the cache
        cold_ms = round((time.perf_counter() - t0) * 1000, 1)
        results = {
            "health (baseline)": asyncio.run(load(port, "/api/v1/health", args.clients, seconds)),
            "market (warm cache)": asyncio.run(load(port, f"/api/v1/market?as_of={AS_OF}", args.clients, seconds)),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {"clients": args.clients, "seconds": seconds, "market_cold_ms": cold_ms, "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.clients} clients, {seconds:g} s per endpoint, loopback; first (cold) /market: {cold_ms} ms")
    print(f"{'endpoint':<22}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<22}{r['requests']:>10}{r['errors']:>8}{r['req_per_s']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}")
    print("targets for market: p99 < 100 ms, >= 500 req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
