"""Banned patterns in generated stories, checked independently of the writer's own helpers."""

from __future__ import annotations

import re
from collections.abc import Sequence

MONTHS = (
    r"(?:Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\."
    r"|January|February|August|September|October|November|December)"
)
UNIT_AFTER = (
    r"(?:%|\s?(?:percent|percentage points?|times|trillion|billion|million|standard deviations?|σ|days?|weeks?|months?|"
    r"years?|hours?|minutes?|a\.m\.|p\.m\.|cryptocurrencies|assets|coins)\b|-(?:day|week|month|year|hour|minute)\b)"
)
NUMBER = re.compile(r"(?<![\w.])(\$?)(\d+(?:,\d{3})*(?:\.\d+)?)")


def raw_floats(text: str) -> list[str]:
    """Numbers with three or more decimals (0.2134), or percentages with more than one (21.34%).

    Sub-cent prices ('$0.0031') are money at two significant figures, not raw floats.
    """
    found = [m.group() for m in re.finditer(r"(?<![\d$.])\d+\.\d{3,}", text)]
    return found + [m.group() for m in re.finditer(r"\d+\.\d{2,}%", text)]


def doubled_words(text: str) -> list[str]:
    """'the the', 'of of' (case-insensitive, whole words)."""
    return [m.group() for m in re.finditer(r"\b([A-Za-z]+)\s+\1\b", text, flags=re.IGNORECASE)]


def unitless_numbers(text: str) -> list[str]:
    """Numbers with no unit: not money, not a percent or multiple, not a date, year, clock time or window."""
    out = []
    for m in NUMBER.finditer(text):
        dollar, number = m.group(1), m.group(2)
        before, after = text[: m.start()], text[m.end() :]
        if dollar or re.match(UNIT_AFTER, after):
            continue
        if re.search(MONTHS + r"\s$", before) or re.match(r"\s?\(?(?:[ap]\.m\.)", after) or re.match(r":\d\d", after):
            continue
        if re.fullmatch(r"(19|20)\d\d", number) or re.search(r"\d:$", before):
            continue
        if re.search(r"(?:block|Chapter|CRYPTOCAP:TOTAL|USD|BTC|ETH)\s?$", before, flags=re.IGNORECASE):
            continue
        out.append(f"{number!r} in ...{text[max(0, m.start() - 30) : m.end() + 30]}...")
    return out


def sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph (split after ., ! or ? followed by a space and a capital; abbreviations kept)."""
    parts = re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”]))\s+(?=[A-Z“\"])", paragraph)
    merged: list[str] = []
    for part in parts:
        if merged and re.search(r"\b(?:Jan|Feb|Aug|Sept|Oct|Nov|Dec|a\.m|p\.m|U\.S|vs)\.$", merged[-1]):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [s.strip() for s in merged if s.strip()]


def repeated_sentences(previous: Sequence[str], current: Sequence[str]) -> list[str]:
    """Sentences of one day's story that appear word for word in the previous day's story."""
    before = {s for p in previous for s in sentences(p)}
    return [s for p in current for s in sentences(p) if s in before]
