"""Subjects named in an article: assets (by name, ticker or Yahoo-style symbol) and the total market.

Assets and indices come from :class:`~cryptodesk.core.assets.AssetRegistry`: names of five
letters or more match in any case ("bitcoin"; "ether", "S&P 500" and "Nasdaq" are added),
tickers and short names match as written ("BTC", "XRP"), and Yahoo-style
symbols ("BTC-USD") resolve through the registry. "total market cap", "crypto
market capitalization", "the overall market" and similar name the total
(subject ``total_market_cap``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptodesk.core.assets import AssetRegistry

TOTAL = "total_market_cap"
_TOTAL_RX = re.compile(
    r"\b(?:(?:the\s+)?(?:industry['’]s\s+)?(?:total|overall|entire|global|whole)\s+(?:crypto(?:currency)?\s+)?market"
    r"(?:\s+(?:cap(?:italization|italisation)?|value))?(?:\s+(?:for|of)\s+(?:all\s+)?crypto(?:currencie)?s?)?"
    r"|crypto(?:currency)?\s+market(?:\s+(?:cap(?:italization|italisation)?|value))?)",
    re.IGNORECASE,
)
_INDEX_RX = re.compile(r"\b(?:CRYPTOCAP:)?TOTAL\b(?:\s+index)?")
_MCAP_RX = re.compile(r"\bmarket\s+(?:cap(?:italization|italisation)?|value)\b", re.IGNORECASE)
_YAHOO_RX = re.compile(r"\b([A-Z0-9]{2,6})-USD\b")
_EXTRA_NAMES = {"ether": "ethereum", "nasdaq": "nasdaq", "s&p 500": "sp500", "s&p": "sp500"}
_KINDS = ("crypto", "stablecoin", "index", "equity")
_STOP = {"amp", "eos", "dai", "one", "link", "uni", "ton", "okb"}


@dataclass(frozen=True)
class Mention:
    """A subject named at ``[start, end)`` of the text; ``market_cap`` when it names that asset's market cap."""

    start: int
    end: int
    subject: str
    market_cap: bool = False


class EntityFinder:
    """Finds subject mentions with patterns built once from a registry."""

    def __init__(self, registry: AssetRegistry) -> None:
        self.registry = registry
        names = {k: v for k, v in _EXTRA_NAMES.items() if registry.get(v) is not None}
        symbols: dict[str, str] = {}
        for info in registry.all():
            if info.kind not in _KINDS:
                continue
            for token in (info.name, info.asset_id):
                if len(token) >= 5 and token.lower() not in _STOP:
                    names.setdefault(token.lower(), info.asset_id)
            if info.symbol and len(info.symbol) >= 2:
                symbols.setdefault(info.symbol.upper(), info.asset_id)
        self._names = names
        self._symbols = symbols
        self._name_rx = _alternation(names, re.IGNORECASE)
        self._sym_rx = _alternation(symbols, 0)

    def find(self, text: str) -> list[Mention]:
        """Every subject mention in ``text``, left to right, without overlaps."""
        found: list[Mention] = []
        for m in _YAHOO_RX.finditer(text):
            hit = self.registry.resolve(m.group(0))
            if hit:
                found.append(Mention(m.start(), m.end(), hit))
        for m in self._name_rx.finditer(text):
            found.append(Mention(m.start(), m.end(), self._names[m.group(0).lower()]))
        for m in self._sym_rx.finditer(text):
            found.append(Mention(m.start(), m.end(), self._symbols[m.group(0)]))
        for rx in (_TOTAL_RX, _INDEX_RX):
            for m in rx.finditer(text):
                found.append(Mention(m.start(), m.end(), TOTAL))
        found.sort(key=lambda x: (x.start, -(x.end - x.start)))
        out: list[Mention] = []
        for mention in found:
            if out and mention.start < out[-1].end:
                continue
            out.append(_with_market_cap(mention, text))
        return out


def _with_market_cap(m: Mention, text: str) -> Mention:
    """Mark an asset mention directly followed by "'s market cap" / "market value" as naming its market cap."""
    if m.subject == TOTAL:
        return m
    after = text[m.end : m.end + 30]
    hit = _MCAP_RX.search(after)
    if hit and re.fullmatch(r"(?:['’]s)?\s*(?:\([^)]*\)\s*)?", after[: hit.start()]):
        return Mention(m.start, m.end, m.subject, market_cap=True)
    return m


def _alternation(keys: dict[str, str], flags: int) -> re.Pattern[str]:
    """A word-bounded alternation of ``keys`` (longest first)."""
    if not keys:
        return re.compile(r"(?!)")
    alts = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", flags)
