"""Find the quantitative claims of an article: deterministic patterns, no model.

The text is cut into sentences (headline and paragraphs included); each money
amount or percentage is an anchor. An anchor's clause (the part of the sentence
between it and its neighbouring anchors) gives its subject, qualifier, direction
and time window; a few phrase patterns add the claims without numbers (position
against a moving average, volume trends). ``Claim.text`` is the exact span of
the article that makes the claim.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime

from cryptodesk.check import patterns as p
from cryptodesk.check.entities import TOTAL, EntityFinder, Mention
from cryptodesk.check.model import Claim, Window
from cryptodesk.check.timeresolve import TimeMention, find_times

_ABBREV = re.compile(r"(?:\b[ap]\.m|\be\.g|\bi\.e|\bvs|\bU\.S|\bInc|\bCo|\bMr|\bMs|\bDr|\bNo|\bSt)\.$", re.I)
_SENT_END = re.compile(r"[.!?]+[\"”’)]*\s+|\n+")


@dataclass(frozen=True)
class Anchor:
    """A number in the text: its span, value and kind ('usd' or 'pct')."""

    start: int
    end: int
    value: float
    unit: str


@dataclass(frozen=True)
class Extraction:
    """Claims found in an article, and a message when there is nothing to check."""

    claims: tuple[Claim, ...]
    message: str = ""


@dataclass
class _Context:
    """What carries from sentence to sentence: the last subject and the last explicit date."""

    subject: str | None = None
    last_date: Window | None = None
    liq_window: Window | None = None


def extract(text: str, as_of: datetime, tz: str, finder: EntityFinder) -> Extraction:
    """Every quantitative claim in ``text``, in reading order; ``message`` explains an empty result."""
    if not text.strip():
        return Extraction((), "the article is empty: there is nothing to check")
    if not looks_english(text):
        return Extraction((), "the article does not look like English text; only English articles can be checked")
    ctx = _Context()
    claims: list[Claim] = []
    for span in sentences(text):
        claims.extend(_sentence_claims(text, span, as_of=as_of, tz=tz, finder=finder, ctx=ctx))
    if not claims:
        return Extraction((), "no quantitative claims found (no prices, percentages, market caps or levels to check)")
    return Extraction(tuple(claims))


def looks_english(text: str) -> bool:
    """True when the text is mostly Latin letters and uses common English function words."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    if sum(c.isascii() for c in letters) / len(letters) < 0.8:
        return False
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 6:
        return True
    english = sum(w in p.ENGLISH_WORDS for w in words)
    foreign = sum(w in p.FOREIGN_WORDS for w in words)
    return english / len(words) >= 0.08 and english > foreign


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) with surrounding whitespace excluded; 'a.m.', 'U.S.' etc. do not end one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if "\n" not in m.group(0) and _ABBREV.search(text[max(0, m.start() - 4) : m.start() + 1]):
            continue
        end = m.end() if "\n" in m.group(0) else m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        chunk = text[s:e]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk) - len(chunk.rstrip())
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out


def anchors(sentence: str) -> list[Anchor]:
    """Money amounts and percentages in a sentence (offsets relative to it)."""
    found: list[Anchor] = []
    for m in p.MONEY_RX.finditer(sentence):
        mult = p.MULTIPLIERS.get((m.group("mult") or "").lower(), 1.0)
        found.append(Anchor(m.start(), m.end(), float(m.group("num").replace(",", "")) * mult, "USD"))
    for m in p.WORD_MONEY_RX.finditer(sentence):
        raw = (m.group("num") or "one").lower()
        n = {"a": 1.0, "one": 1.0, "two": 2.0, "three": 3.0}.get(raw) or float(raw)
        found.append(Anchor(m.start(), m.end(), n * p.MULTIPLIERS[m.group("mult").lower()], "USD"))
    for m in p.PCT_RX.finditer(sentence):
        found.append(Anchor(m.start(), m.end(), float(m.group("num")), "%"))
    found = sorted((a for a in found if math.isfinite(a.value)), key=lambda a: a.start)
    return [a for i, a in enumerate(found) if i == 0 or a.start >= found[i - 1].end]


@dataclass(frozen=True)
class _Sentence:
    """One sentence with what was found in it (offsets relative to the sentence)."""

    text: str
    mentions: list[Mention]
    times: list[TimeMention]
    source: str | None


def _sentence_claims(
    text: str, span: tuple[int, int], *, as_of: datetime, tz: str, finder: EntityFinder, ctx: _Context
) -> list[Claim]:
    """Claims made by the sentence text[span[0]:span[1]] (offsets in the result are the article's)."""
    s, e = span
    sent = text[s:e]
    found = anchors(sent)
    mentions = [m for m in finder.find(sent) if not any(a.start <= m.start < a.end for a in found)]
    sx = _Sentence(sent, mentions, find_times(sent, as_of, tz), _source(sent))
    out: list[Claim] = []
    groups = _groups(sent, found)
    for group, bounds in zip(groups, _clause_bounds(sent, groups), strict=True):
        claim = _number_claim(sx, group, bounds, ctx)
        if claim is not None:
            out.append(replace(claim, start=claim.start + s, end=claim.end + s))
    for claim in _phrase_claims(sent, mentions, ctx):
        at = claim.start + s
        covering = [i for i, o in enumerate(out) if o.start <= at < o.end]
        if covering and claim.type != "moving_average":
            continue
        for i in covering:
            out[i] = _trim_before(out[i], at, text)
        out.append(replace(claim, start=at, end=claim.end + s))
    for t in sx.times:
        if t.window.kind == "range" and t.window.label[:4].isdigit():
            ctx.last_date = t.window
    if mentions:
        ctx.subject = mentions[-1].subject
    return sorted((c for c in out if c.text.strip()), key=lambda c: c.start)


def _trim_before(claim: Claim, at: int, text: str) -> Claim:
    """End a number claim's span before a phrase claim that follows it in the same clause ("... and closed above")."""
    head = text[claim.start : at]
    trimmed = re.sub(r"(?:[\s,;]+(?:and|but|while)?)+\s*$", "", head)
    if not trimmed or at <= claim.start:
        return claim
    return replace(claim, text=trimmed, end=claim.start + len(trimmed))


def _groups(sent: str, found: list[Anchor]) -> list[list[Anchor]]:
    """Anchors grouped into claims: two percentages joined by 'against'/'versus' make one comparison."""
    groups: list[list[Anchor]] = []
    i = 0
    while i < len(found):
        a = found[i]
        if i + 1 < len(found) and a.unit == "%" and found[i + 1].unit == "%":
            between = sent[a.end : found[i + 1].start]
            if p.VERSUS_RX.search(between) and not p.CLAUSE_BREAK_RX.fullmatch(between.strip() or " "):
                groups.append([a, found[i + 1]])
                i += 2
                continue
        groups.append([a])
        i += 1
    return groups


def _clause_bounds(sent: str, groups: list[list[Anchor]]) -> list[tuple[int, int]]:
    """For each group, the span of its clause: cut between neighbouring groups at the best break."""
    cuts = [0]
    for left, right in itertools.pairwise(groups):
        lo, hi = left[-1].end, right[0].start
        between = list(p.CLAUSE_BREAK_RX.finditer(sent, lo, hi))
        strong = [m for m in between if not m.group(0).startswith(",") or m.group(0).strip(", ")]
        cut = (strong or between)[-1] if (strong or between) else None
        cuts.append(cut.start() if cut else lo)
        cuts.append(cut.end() if cut else lo)
    cuts.append(len(sent))
    out = []
    for i in range(len(groups)):
        a, b = cuts[2 * i], cuts[2 * i + 1]
        chunk = sent[a:b]
        a += len(chunk) - len(chunk.lstrip(" ,;"))
        b -= len(chunk) - len(chunk.rstrip(" ,;.!?"))
        out.append((a, b))
    return out


def _number_claim(sx: _Sentence, group: list[Anchor], bounds: tuple[int, int], ctx: _Context) -> Claim | None:
    """The claim one anchor group makes within its clause sx.text[c0:c1] (None when it is not a market claim)."""
    sent, (c0, c1) = sx.text, bounds
    a = group[0]
    clause = sent[c0:c1]
    liquidation = bool(p.LIQ_RX.search(clause))
    if not liquidation and p.OUT_OF_SCOPE_RX.search(clause):
        return None
    if not liquidation and not sx.mentions and not p.MARKET_VERB_RX.search(clause):
        return None
    prefix = sent[max(c0, a.start - 40) : a.start]
    qm = p.QUALIFIER_RX.search(prefix)
    qualifier = qm.group("q").lower() if qm else ""
    local = [m for m in sx.mentions if c0 <= m.start < c1]
    subject_m = _subject(local, a.start) or _before(sx.mentions, c0)
    subject = subject_m.subject if subject_m else ctx.subject
    clause_times = [t for t in sx.times if c0 <= t.start < c1] or _day_of_sentence(sx.times)
    since, level_times = _since(sent, clause_times)
    window = _nearest(level_times, a.start)
    if window is not None and window.kind == "sinceref":
        window = _since_ref(ctx.last_date, window)
    window = _since_prefix(sent, level_times, window)
    base = Claim(clause, c0, c1, "", subject, "", a.value, a.unit, qualifier, window=window, claimed_source=sx.source)
    if liquidation:
        return _liquidation_claim(base, clause_times, ctx)
    named = _before(sx.mentions, a.start)
    volume = _about_volume(sent, named.end if named else 0, a.start)
    if a.unit == "%":
        change = _pct_claim(sx, group, base)
        if volume and change.type == "pct_change":
            return replace(change, type="volume_trend", metric="volume_change")
        return change
    if volume:
        return replace(base, type="volume_trend", metric="volume_level")
    verb = p.USD_CHANGE_RX.search(prefix)
    if verb:
        down = bool(re.match(r"los|shed|wip|eras", verb.group("verb"), re.I))
        metric = "change_market_cap" if subject == TOTAL or (subject_m and subject_m.market_cap) else "change_usd"
        return replace(base, type="usd_change", metric=metric, claimed=-a.value if down else a.value,
                       direction="down" if down else "up")  # fmt: skip
    mcap = subject == TOTAL or bool(subject_m and subject_m.market_cap) or bool(p.MCAP_WORD_RX.search(prefix))
    if mcap and subject is None:
        subject = TOTAL
    ext = p.EXTREME_RX.search(prefix)
    if ext:
        kind = (ext.group("kind") or ext.group("verb") or "low").lower()
        metric = "high" if kind in ("high", "peak", "peaked") else "low"
        return replace(base, type="extreme", subject=subject, metric=metric)
    at_extreme = re.search(r"\bat (?:its|the) (?:intraday |day['’]s )?(high|low)s?\b", clause, re.I)
    side = at_extreme.group(1).lower() if at_extreme else ""
    if qualifier in ("as high as", "a high of") or side == "high":
        metric = "high"
    elif qualifier in ("as low as", "a low of") or side == "low":
        metric = "low"
    else:
        metric = "market_cap" if mcap else "price"
    kind = "market_cap_level" if mcap else "price_level"
    return replace(base, type=kind, subject=subject, metric=metric, since=since)


def _about_volume(sent: str, lo: int, pos: int) -> bool:
    """Is the number at ``pos`` about trading volume: 'volume' after the subject, no price word after it?"""
    before = sent[lo:pos]
    hits = list(re.finditer(r"\bvolumes?\b", before, re.I))
    return bool(hits) and not re.search(r"\b(?:price|traded at|closed|trading at)\b", before[hits[-1].end() :], re.I)


def _liquidation_claim(base: Claim, clause_times: list[TimeMention], ctx: _Context) -> Claim:
    """Liquidated positions over a window ('over the same period' reuses the previous liquidation window)."""
    looks = [t.window for t in clause_times if t.window.kind == "lookback"]
    same = re.search(r"\b(?:same|that) period", base.text)
    window = looks[0] if looks else (ctx.liq_window if same else base.window)
    ctx.liq_window = window
    if re.search(r"\bnet\b", base.text, re.I):
        side = "net"
    else:
        side = "long" if re.search(r"\blongs?\b", base.text) and "short" not in base.text else "short"
    return replace(base, type="liquidations", metric=f"liquidations_{side}", window=window)


def _pct_claim(sx: _Sentence, group: list[Anchor], base: Claim) -> Claim:
    """A percentage change, a comparison against a past level, or a two-subject comparison."""
    sent, a = sx.text, group[0]
    direction = _direction(sent, a, base.start)
    signed = a.value if direction != "down" else -a.value
    change = replace(base, type="pct_change", metric="pct_change", claimed=signed, direction=direction)
    ref = p.FROM_EXTREME_RX.search(sent[a.end :])
    if ref is not None and len(group) == 1:
        kind = "from_low" if ref.group("kind").lower() in ("low", "bottom") else "from_high"
        later = [t.window for t in sx.times if t.start >= a.end + ref.end() and t.window.kind == "range"]
        span = later[0] if later else Window("all history", kind)
        label = f"from the {'low' if kind == 'from_low' else 'high'} ({span.label})"
        return replace(change, window=Window(label, kind, span.start, span.end, text=ref.group(0).strip()))
    if len(group) == 2:
        b = group[1]
        other = next((m.subject for m in sx.mentions if m.start >= b.start), None)
        if other is None:
            before = (m.subject for m in reversed(sx.mentions) if m.start < b.start and m.subject != base.subject)
            other = next(before, None)
        b_signed = b.value if _direction(sent, b, b.start - 25) != "down" else -b.value
        return replace(change, type="comparison", versus=other, versus_claimed=b_signed)
    past = p.PAST_COMPARE_RX.search(sent, a.start)
    if past and past.start() <= a.end + 2:
        up = past.group("dir").lower() in ("higher", "above", "up", "more")
        return replace(change, type="comparison", claimed=a.value if up else -a.value, direction="up" if up else "down")
    return change


def _phrase_claims(sent: str, mentions: list[Mention], ctx: _Context) -> list[Claim]:
    """Claims without a number: position against an N-day moving average, and volume trends."""
    out: list[Claim] = []
    for m in p.MA_RX.finditer(sent):
        subj = _subject(mentions, m.start())
        gap = sent[subj.end : m.start()] if subj else ""
        start = subj.start if subj and len(gap) < 60 and not re.search(r"\d|\band\b", gap) else m.start()
        d = m.group("dir").lower()
        below = any(w in d for w in ("below", "under"))
        out.append(Claim(sent[start : m.end()], start, m.end(), "moving_average", subj.subject if subj else ctx.subject,
                         f"sma{m.group('n')}", None, "%", "below" if below else "above",
                         direction="down" if below else "up"))  # fmt: skip
    for m in p.VOLUME_RX.finditer(sent):
        d = m.group("dir").lower()
        up = not re.match(r"fall|fell|declin|drop|dr[yi]|thin|shr|slump", d)
        subj = _subject(mentions, m.start())
        out.append(Claim(sent[m.start() : m.end()], m.start(), m.end(), "volume_trend",
                         subj.subject if subj else (ctx.subject or "bitcoin"), "volume", None, "%",
                         "rising" if up else "falling", direction="up" if up else "down"))  # fmt: skip
    return out


def _subject(mentions: list[Mention], pos: int) -> Mention | None:
    """The subject of a number at ``pos``: the nearest mention before it, else the first after it."""
    before = [m for m in mentions if m.start < pos]
    if before:
        return before[-1]
    return mentions[0] if mentions else None


def _before(mentions: list[Mention], pos: int) -> Mention | None:
    """The last subject named before ``pos`` in the sentence (a clause such as "and closed at $X" borrows it)."""
    before = [m for m in mentions if m.end <= pos]
    return before[-1] if before else None


def _day_of_sentence(times: list[TimeMention]) -> list[TimeMention]:
    """A clause without its own time borrows the sentence's day ("closed Monday at $X, down 9% on the day")."""
    days = [t for t in times if t.window.kind in ("range", "moment")]
    return days[:1]


def _since(sent: str, times: list[TimeMention]) -> tuple[Window | None, list[TimeMention]]:
    """The 'first time since X' window, and the other time mentions of the clause."""
    for i, t in enumerate(times):
        lead = sent[max(0, t.start - 20) : t.start]
        if p.FIRST_SINCE_RX.search(lead):
            return replace(t.window, kind="range"), times[:i] + times[i + 1 :]
    return None, times


def _since_prefix(sent: str, times: list[TimeMention], window: Window | None) -> Window | None:
    """A date window directly after 'since' means from that date to now."""
    for t in times:
        same = window is not None and t.window == window and window.kind == "range"
        if same and window is not None and re.search(r"\bsince\s+$", sent[max(0, t.start - 7) : t.start], re.I):
            return replace(window, kind="since")
    return window


def _since_ref(last: Window | None, ref: Window) -> Window | None:
    """'since this date' points at the last explicit date of the article."""
    if last is None:
        return None
    return Window(f"since {last.label}", "since", last.start, last.end, text=ref.text)


def _nearest(times: list[TimeMention], pos: int) -> Window | None:
    """The time mention nearest to ``pos`` (ties go to the later one, which usually qualifies the number)."""
    if not times:
        return None
    best = min(times, key=lambda t: (min(abs(t.start - pos), abs(t.end - pos)), -t.start))
    return best.window


def _direction(sent: str, a: Anchor, lo: int) -> str | None:
    """'up' or 'down' from the verbs nearest the number (before it, else just after it)."""
    before = sent[max(lo, a.start - 45, 0) : a.start]
    after = sent[a.end : a.end + 20]
    ups = [m.end() for m in p.UP_RX.finditer(before)]
    downs = [m.end() for m in p.DOWN_RX.finditer(before)]
    if ups or downs:
        return "up" if max(ups, default=-1) > max(downs, default=-1) else "down"
    if p.UP_RX.search(after):
        return "up"
    if p.DOWN_RX.search(after):
        return "down"
    return None


def _source(sent: str) -> str | None:
    """The data provider the sentence attributes its numbers to, if it names one."""
    m = p.SOURCES_RX.search(sent)
    return m.group(1).lower() if m else None
