"""Verdicts: compare a claim with its measurement under documented per-metric tolerances.

Tolerances (docs/check.md has the table): USD levels are compared relatively,
changes in percentage points. A store source that is not the article's source is
never rescaled: for the total market cap the known gap between providers (other
totals run 6–10% above TradingView CRYPTOCAP:TOTAL, SOURCES.md section 2) only
turns a verdict into ``unverifiable: ambiguous`` when the claim holds on one
side of the gap and not the other; a claim is ``supported`` only when it holds
on the store's own, unscaled value.
"""

from __future__ import annotations

from cryptodesk.check.entities import TOTAL
from cryptodesk.check.measure import Result, money
from cryptodesk.check.model import CheckedClaim, Claim
from cryptodesk.check.patterns import QUALIFIERS

TOLERANCE: dict[str, dict[str, float]] = {
    "price": {"exact": 0.005, "approx": 0.02, "extreme": 0.01},
    "market_cap": {"exact": 0.02, "approx": 0.05, "extreme": 0.02},
    "pct": {"exact": 1.0, "approx": 3.0, "approx_rel": 0.10, "bound": 0.5},
    "liquidations": {"exact": 0.05, "approx": 0.10, "extreme": 0.05},
    "volume": {"exact": 0.05, "approx": 0.15, "extreme": 0.05},
}
"""Relative tolerances for USD levels, percentage points for changes (see docs/check.md)."""
JUST_BAND = 0.03
"""'just below X' means within 3% under X (and at most the exact tolerance over it)."""
VOLUME_TREND_MIN = 10.0
"""A volume 'pick-up' needs the latest day at least 10% above its 30-day mean."""
SOURCE_GAPS: dict[str, tuple[float, float, str]] = {
    "tradingview": (
        1.06,
        1.10,
        "TradingView CRYPTOCAP:TOTAL runs about 8-9% below CoinGecko's total (other totals / TOTAL = 1.06-1.10)",
    ),
}
"""Known ratio range of other providers' total market cap to the store's index (SOURCES.md section 2)."""

SUPPORTED, CONTRADICTED, NO_DATA, AMBIGUOUS = (
    "supported",
    "contradicted",
    "unverifiable: no data",
    "unverifiable: ambiguous",
)


def judge(claim: Claim, res: Result) -> CheckedClaim:
    """The verdict, measured value, source, window and one-line explanation for a claim."""
    checks_text = "; ".join(text for _, text in res.checks)
    if res.value is None:
        verdict = AMBIGUOUS if res.ambiguous else NO_DATA
        explanation = _join(res.reason, checks_text, _source_note(claim, res))
        return CheckedClaim(claim, None, verdict, res.source or "-", res.window or _label(claim), explanation)
    verdict, what = _verdict(claim, res)
    if verdict != CONTRADICTED and not all(ok for ok, _ in res.checks):
        verdict = CONTRADICTED
    explanation = _join(what, res.detail, checks_text, _source_note(claim, res))
    return CheckedClaim(claim, res.value, verdict, res.source, res.window or _label(claim), explanation)


def _verdict(claim: Claim, res: Result) -> tuple[str, str]:
    """(verdict, what was measured) for a claim with a value."""
    value = res.value if res.value is not None else 0.0
    if claim.type == "moving_average":
        above = value > 0
        ok = above == (claim.direction != "down")
        return (SUPPORTED if ok else CONTRADICTED), f"{'above' if above else 'below'} the average by {abs(value):.1f}%"
    if claim.type == "volume_trend" and claim.claimed is None:
        up = claim.direction != "down"
        signed = value if up else -value
        verdict = SUPPORTED if signed >= VOLUME_TREND_MIN else (CONTRADICTED if signed < 0 else AMBIGUOUS)
        return verdict, f"volume {value:+.1f}% against its 30-day mean"
    if claim.unit == "%":
        return _pct_verdict(claim, res, value)
    return _level_verdict(claim, res, value)


def _pct_verdict(claim: Claim, res: Result, value: float) -> tuple[str, str]:
    """Percentage changes and comparisons (percentage points)."""
    ok = _pct_holds(claim.qualifier, claim.claimed or 0.0, value, claim.direction)
    what = f"measured {value:+.1f}%"
    if claim.versus_claimed is not None and res.versus is not None:
        ok_b = _pct_holds(
            claim.qualifier, claim.versus_claimed, res.versus, "up" if claim.versus_claimed >= 0 else "down"
        )
        order = (value - res.versus) * (claim.claimed or 0.0 - claim.versus_claimed)
        same_order = ((value - res.versus) >= 0) == (((claim.claimed or 0.0) - claim.versus_claimed) >= 0)
        what = (
            f"{claim.subject} {value:+.1f}% vs {claim.versus} {res.versus:+.1f}% ({res.window}); "
            f"claimed {claim.claimed:+.0f}% vs {claim.versus_claimed:+.0f}%"
        )
        if not same_order and order != 0:
            what += "; the order is reversed"
        ok = ok and ok_b and same_order
    return (SUPPORTED if ok else CONTRADICTED), what


def _pct_holds(qualifier: str, claimed: float, measured: float, direction: str | None) -> bool:
    """Does a change of ``measured`` percent satisfy '<qualifier> <claimed>%'?"""
    t = TOLERANCE["pct"]
    c = abs(claimed)
    s = abs(measured) if direction is None else (measured if claimed >= 0 else -measured)
    cls = QUALIFIERS.get(qualifier, "exact")
    if cls == "gt":
        return s >= c - t["bound"]
    if cls == "lt":
        return -t["bound"] <= s <= c + t["bound"]
    if cls in ("approx", "just_below", "just_above"):
        return abs(s - c) <= max(t["approx"], t["approx_rel"] * c)
    return abs(s - c) <= t["exact"]


def _level_verdict(claim: Claim, res: Result, value: float) -> tuple[str, str]:
    """USD levels: prices, market caps, lows/highs, liquidation sums; with the source-gap rule for totals."""
    metric = _tolerance_key(claim)
    claimed = claim.claimed or 0.0
    cls = (
        "extreme"
        if claim.type == "extreme" or claim.metric in ("high", "low")
        else QUALIFIERS.get(claim.qualifier, "exact")
    )
    ok = _level_holds(cls, claimed, value, TOLERANCE[metric])
    err = value / claimed - 1.0 if claimed else 0.0
    what = f"measured {money(value)} ({err:+.1%} from the claimed {money(claimed)})"
    if claim.subject != TOTAL or claim.type == "liquidations":
        return (SUPPORTED if ok else CONTRADICTED), what
    if res.store_kind == "sum":
        lower_bound_ok = cls in ("gt", "touch", "extreme") and ok
        if lower_bound_ok:
            return SUPPORTED, what + "; a sum of tracked assets is a lower bound of the total"
        if cls == "lt" and not ok:
            return CONTRADICTED, what + "; even the sum of tracked assets (a lower bound) is above it"
        return AMBIGUOUS, what + "; the store's total is a sum of tracked assets, below any provider's full total"
    gap = SOURCE_GAPS.get(res.store_kind)
    if gap is None or claim.claimed_source == res.store_kind:
        return (SUPPORTED if ok else CONTRADICTED), what
    lo, hi = gap[0], gap[1]
    steps = [lo + (hi - lo) * i / 4 for i in range(5)]
    across = [_level_holds(cls, claimed, value * r, TOLERANCE[metric]) for r in steps]
    if ok and all(across):
        return SUPPORTED, what
    if ok or any(across):
        return AMBIGUOUS, what + "; within the known gap between providers, so the data cannot decide"
    return CONTRADICTED, what + "; outside even the known gap between providers"


def _tolerance_key(claim: Claim) -> str:
    """Which row of :data:`TOLERANCE` a USD claim uses."""
    if claim.type in ("liquidations", "volume_trend"):
        return "liquidations" if claim.type == "liquidations" else "volume"
    if claim.type == "price_level" or (claim.type == "extreme" and claim.subject != TOTAL):
        return "price"
    return "market_cap"


def _level_holds(cls: str, claimed: float, value: float, tol: dict[str, float]) -> bool:
    """Does a level ``value`` satisfy '<qualifier class> <claimed>'?"""
    if claimed == 0:
        return False
    err = value / claimed - 1.0
    if cls == "gt":
        return err >= -tol["exact"]
    if cls == "lt":
        return err <= tol["exact"]
    if cls == "just_below":
        return -JUST_BAND <= err <= tol["exact"]
    if cls == "just_above":
        return -tol["exact"] <= err <= JUST_BAND
    if cls == "approx":
        return abs(err) <= tol["approx"]
    if cls in ("extreme", "high", "low"):
        return abs(err) <= tol["extreme"]
    return abs(err) <= tol["exact"]


def _source_note(claim: Claim, res: Result) -> str:
    """Say when the store's source is not the article's, and by how much they are known to differ."""
    notes = []
    if claim.subject == TOTAL and res.store_kind in SOURCE_GAPS and claim.claimed_source != res.store_kind:
        cited = f"the article cites {claim.claimed_source}" if claim.claimed_source else "the article names no source"
        extra = "; a percentage change cancels a steady ratio" if claim.unit == "%" else "; not rescaled"
        notes.append(f"{cited}; {SOURCE_GAPS[res.store_kind][2]}{extra}")
    elif claim.claimed_source and claim.claimed_source not in res.source.lower() and res.source:
        notes.append(f"the article cites {claim.claimed_source}; measured on {res.source}")
    if "perpetual" in res.source:
        notes.append("perpetual-futures prints differ from spot, usually by well under 1%")
    return "; ".join(notes)


def _label(claim: Claim) -> str:
    return claim.window.label if claim.window is not None else "-"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
