"""Regular expressions and word lists shared by the claim extractor and the verdict rules."""

from __future__ import annotations

import re

MULTIPLIERS = {
    "trillion": 1e12, "tn": 1e12, "t": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9,
    "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
}  # fmt: skip
MONEY_RX = re.compile(
    r"\$\s?(?P<num>\d[\d,]*(?:\.\d+)?)(?:\s*(?P<mult>trillion|billion|million|thousand|tn|bn|mn|[tbmk])\b)?",
    re.IGNORECASE,
)
WORD_MONEY_RX = re.compile(
    r"\b(?:(?P<num>a|one|two|three|\d+(?:\.\d+)?)[- ])?(?P<mult>trillion|billion)[- ]dollars?\b", re.I
)
PCT_RX = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)

QUALIFIERS: dict[str, str] = {
    "just below": "just_below", "just under": "just_below", "just shy of": "just_below", "slightly below": "just_below",
    "just above": "just_above", "just over": "just_above", "slightly above": "just_above",
    "as high as": "high", "a high of": "high", "as low as": "low", "a low of": "low",
    "more than": "gt", "over": "gt", "above": "gt", "at least": "gt", "upwards of": "gt", "north of": "gt",
    "in excess of": "gt", "rose above": "gt", "climbed above": "gt", "broke above": "gt", "topped": "gt",
    "crossed": "gt", "surpassed": "gt", "passed": "gt", "exceeded": "gt",
    "less than": "lt", "under": "lt", "below": "lt", "at most": "lt", "south of": "lt", "fell below": "lt",
    "dropped below": "lt", "slipped below": "lt", "sank below": "lt",
    "about": "approx", "around": "approx", "roughly": "approx", "nearly": "approx", "almost": "approx",
    "approximately": "approx", "some": "approx", "close to": "approx", "closer to": "approx", "near": "approx",
    "an estimated": "approx", "circa": "approx",
    "touches": "touch", "touched": "touch", "hit": "touch", "hits": "touch", "reached": "touch", "reaches": "touch",
}  # fmt: skip
_QUAL_ALT = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
QUALIFIER_RX = re.compile(
    rf"\b(?P<q>{_QUAL_ALT})\b(?:\s+(?:the|a|an|its|(?:the\s+)?(?:\$\s?)?[\w]+[- ]dollar|by|of|to))*\s*$",
    re.IGNORECASE,
)
UP_WORDS = "|".join((
    r"up|gain(?:s|ed)?|rose|risen|rises|rising|climb(?:s|ed)?|jump(?:s|ed)?|rall(?:y|ied|ies)|add(?:s|ed)|higher",
    r"increase[sd]?|surg(?:e|ed|es)|soar(?:s|ed)?|advanc(?:e|ed|es)|rebound(?:s|ed)?|above|spik(?:e|ed|es)",
    r"popp(?:ed)|recover(?:s|ed)?|climbing|jumping|gaining|adding|surging|soaring",
))  # fmt: skip
DOWN_WORDS = "|".join((
    r"down|fell|fall(?:s|en)?|lost|los(?:es|ing)|drop(?:s|ped)?|declin(?:e|ed|es)|slid|slump(?:s|ed)?|lower",
    r"plung(?:e|ed|es)|tumbl(?:e|ed|es)|sank|shed|decrease[sd]?|crash(?:ed|es)?|below|slip(?:s|ped)?|sink(?:s|ing)?",
    r"dip(?:s|ped)?|retreat(?:s|ed)?|eas(?:e|ed|es)|tank(?:s|ed)?|slump|falling|dropping|sliding|losing|declining",
))  # fmt: skip
UP_RX = re.compile(rf"\b(?:{UP_WORDS})\b", re.IGNORECASE)
DOWN_RX = re.compile(rf"\b(?:{DOWN_WORDS})\b", re.IGNORECASE)
EXTREME_RX = re.compile(
    r"\b(?:(?P<kind>low|high|bottom|peak|trough)s?|(?P<verb>bottomed|peaked))\s+(?:of|at|near|around)\s*$", re.I
)
LIQ_RX = re.compile(r"liquidat|squeezed|short positions|long positions|shorts were|longs were", re.IGNORECASE)
MCAP_WORD_RX = re.compile(r"\bmarket\s+(?:cap(?:italization|italisation)?|value)\b", re.IGNORECASE)
FIRST_SINCE_RX = re.compile(r"\bfirst time since\b", re.IGNORECASE)
VERSUS_RX = re.compile(r"\b(?:against|versus|vs\.?|compared (?:with|to)|outpacing|lagging|beating|trailing)\b", re.I)
PAST_COMPARE_RX = re.compile(
    r"%\s*(?P<dir>lower|higher|below|above|down|up|less|more)\s+(?:than|from)\b[^.;]*?\bago\b", re.IGNORECASE
)
MA_RX = re.compile(
    r"\b(?:(?:closed|clos(?:es|ing)|trad(?:ed|es|ing)|stayed|stays|remain(?:s|ed)?|(?:is|was)(?:\s+still)?|held|holds)"
    r"\s+(?:well\s+|far\s+|just\s+|still\s+)?)?(?P<dir>above|below|surpass(?:ed|es)?|cross(?:ed|es)?(?:\s+(?:above|below))?|topped|broke\s+(?:above|below)"
    r"|fell\s+below|dropped\s+below|slipped\s+below|reclaimed|under)\b[^.;]{0,40}?\b(?P<n>\d+)-day\s+(?:simple\s+)?"
    r"moving\s+average\b",
    re.IGNORECASE,
)
VOLUME_RX = re.compile(
    r"\bvolumes?\b[^.;]{0,60}?\b(?P<dir>pick(?:ing|ed|s)?\s+(?:back\s+)?up|ris(?:e|es|ing|en)|rose|increas\w*|climb\w*"
    r"|surg\w*|jump\w*|grow\w*|grew|fall\w*|fell|declin\w*|drop\w*|dr(?:y|ied|ying)\s+up|thin\w*|shr[iu]nk\w*|slump\w*)",
    re.IGNORECASE,
)
SOURCES_RX = re.compile(r"\b(coingecko|coinmarketcap|tradingview|coinglass|binance|yahoo|coinbase|kraken)\b", re.I)
CLAUSE_BREAK_RX = re.compile(r";|,?\s+(?:and|but|while|whereas|although)\s+|,\s+")
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "was",
        "has",
        "have",
        "for",
        "on",
        "at",
        "by",
        "with",
        "from",
        "as",
        "that",
        "it",
        "its",
        "a",
        "an",
        "since",
        "up",
        "down",
        "over",
        "than",
        "this",
        "were",
        "are",
        "be",
        "been",
        "after",
        "before",
    ]
)
OUT_OF_SCOPE_RX = re.compile(
    r"\b(?:inflation|CPI|PPI|consumer prices?|interest rates?|rate hikes?|basis points|yields?|funding rates?|dominance"
    r"|unemployment|payrolls|GDP|dividends?|stakes?|shares of|employees|staff|fees|revenues?|profits?|raised"
    r"|funding round|valuation|fined?|penalty|loans?|debts?|owe[sd]?|withdrawals|deposits|salary|salaries)\b",
    re.IGNORECASE,
)
"""Clauses about these are not market-data claims the store can check; their numbers are skipped."""
MARKET_VERB_RX = re.compile(
    r"\b(?:trad\w*|chang\w* hands|clos\w*|open\w*|pric\w*|valu\w*|worth|rose|risen|fell|fallen|climb\w*|jump\w*"
    r"|drop\w*|gain\w*|lost|los\w+|rall\w*|slid|slip\w*|up|down|high\w*|low\w*|hit|touch\w*|reach\w*|surg\w*"
    r"|plung\w*|tumbl\w*|sank|soar\w*|spik\w*|peak\w*|bottom\w*|level|at)\b",
    re.IGNORECASE,
)
"""A number whose sentence names no subject is only read as a claim about the previous subject near these words."""
USD_CHANGE_RX = re.compile(
    r"\b(?P<verb>lost|los(?:es|ing)|shed(?:ding)?|gain(?:ed|ing|s)?|add(?:ed|ing|s)?|wip(?:ed|ing)(?: out)?|erased?"
    r"|erasing)\b(?:\s+(?:about|roughly|nearly|almost|more than|over|some|around|an estimated|a further|another))?\s*$",
    re.IGNORECASE,
)
FROM_EXTREME_RX = re.compile(
    r"^\s*(?:from|below|above|off|under)\s+(?:its|the|a)\s+(?:\w+\s+){0,2}?(?P<kind>high|peak|low|bottom|top)s?\b",
    re.IGNORECASE,
)
FOREIGN_WORDS = frozenset((
    "der", "die", "das", "und", "ist", "nicht", "mit", "dem", "den", "ein", "eine", "auf", "für", "sind", "wurde",
    "le", "la", "les", "des", "est", "et", "une", "du", "pour", "dans", "sur", "el", "los", "las", "y", "es",
    "que", "del", "por", "con", "una", "se", "il", "di", "che", "della", "sono", "het", "een", "van", "og",
    "och", "är", "på", "em", "um", "os", "não",
))  # fmt: skip
"""Common function words of other languages written in Latin letters (German, French, Spanish, Italian, ...)."""
