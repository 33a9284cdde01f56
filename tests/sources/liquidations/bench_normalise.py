"""Throughput of the liquidation normalisers on one core (run: python -m tests.sources.liquidations.bench_normalise).

Prints messages/s for a plain ``json.loads`` loop, for ``json.loads`` + normalise,
for normalise alone on pre-decoded messages, and for turning 100k buffered rows
into a canonical batch. Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.sources.liquidations import binance, bybit
from cryptodesk.sources.liquidations.base import LiquidationBuffer
from cryptodesk.sources.liquidations.okx import OkxNormaliser

from . import messages as m

N = 200_000


def _texts(build: Callable[[m.Spec], str]) -> list[str]:
    specs = [m.Spec(s.symbol, s.side, s.qty + i * 1e-6, s.price, s.ms + i) for i in range(N // 12 + 1) for s in m.SPECS]
    return [build(s) for s in specs[:N]]


def _rate(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best messages/s of ``repeat`` runs of ``fn`` over N messages."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return N / best


def _loads_only(texts: list[str]) -> None:
    loads = json.loads
    for t in texts:
        loads(t)


def _loads_normalise(texts: list[str], normalise: Any) -> None:
    loads = json.loads
    buf = LiquidationBuffer(dedupe_window=N)
    for t in texts:
        normalise(loads(t), buf)


def _normalise_only(decoded: list[Any], normalise: Any) -> LiquidationBuffer:
    buf = LiquidationBuffer(dedupe_window=N)
    for d in decoded:
        normalise(d, buf)
    return buf


def main() -> None:
    """Print the figures for each exchange."""
    cases: dict[str, tuple[Any, Callable[[m.Spec], str]]] = {
        "binance": (binance.normalise, m.binance),
        "bybit": (bybit.normalise, m.bybit),
        "okx": (OkxNormaliser(m.OKX_CONTRACTS), m.okx),
    }
    for name, (normalise, build) in cases.items():
        texts = _texts(build)
        decoded = [json.loads(t) for t in texts]
        plain = _rate(partial(_loads_only, texts))
        both = _rate(partial(_loads_normalise, texts, normalise))
        only = _rate(partial(_normalise_only, decoded, normalise))
        buf = _normalise_only(decoded, normalise)
        start = time.perf_counter()
        rows = buf.take_batch(AssetRegistry.builtin(), name).frame.height
        batch_s = time.perf_counter() - start
        print(
            f"{name:8s} json.loads {plain:>10,.0f}/s | loads+normalise {both:>10,.0f}/s | "
            f"normalise only {only:>10,.0f}/s | batch of {rows:,} rows in {batch_s * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
