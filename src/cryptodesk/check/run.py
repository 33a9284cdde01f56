"""Check an article against point-in-time frames: extract, measure, judge."""

from __future__ import annotations

from datetime import datetime

from cryptodesk.check.entities import EntityFinder
from cryptodesk.check.extract import extract
from cryptodesk.check.measure import measure
from cryptodesk.check.model import CheckResult
from cryptodesk.check.series import Lookup
from cryptodesk.check.verdict import judge
from cryptodesk.core.assets import AssetInfo, AssetRegistry
from cryptodesk.core.frames import MarketFrames


def check_frames(text: str, frames: MarketFrames, *, tz: str, registry: AssetRegistry) -> CheckResult:
    """Every claim of ``text`` checked against ``frames`` (as of ``frames.as_of``; times resolved in ``tz``)."""
    as_of: datetime = frames.as_of
    found = extract(text, as_of, tz, EntityFinder(_registry(registry, frames)))
    look = Lookup(frames)
    checked = tuple(judge(c, measure(c, look, tz)) for c in found.claims)
    return CheckResult(as_of=as_of, tz=tz, article=text, claims=checked, message=found.message)


def _registry(registry: AssetRegistry, frames: MarketFrames) -> AssetRegistry:
    """The built-in assets plus those in the frames; names learned from wide imports are left out.

    A store that imported thousands of coins knows names such as "Million" or
    "Everything"; only assets that can be measured are worth recognising.
    """
    reg = AssetRegistry.builtin()
    for row in frames.assets.iter_rows(named=True):
        info = registry.get(row["asset_id"]) or AssetInfo(
            row["asset_id"], row["symbol"] or "", row["name"] or "", row["kind"] or "crypto"
        )
        reg.learn(info)
    return reg
