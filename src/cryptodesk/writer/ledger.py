"""The facts ledger and fact-bound text.

A story is written from :class:`Segment` lists: plain strings and :class:`Ref`
objects. A ``Ref`` is the rendered text of one ledger fact in one *form*
(``exact``, ``more_than``, ``clock`` ...), so every figure a story prints can be
re-derived from the ledger with :func:`render` and traced back to its fact; the
Markdown, JSON and HTML renderers all start from the same segments.

A fact whose value is None is *missing*: it is recorded with a reason and can
never be referenced (``Ledger.ref`` refuses it), so the story cannot print it.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cryptodesk.core.models import Fact
from cryptodesk.writer import phrasing as ph

UNITS: tuple[str, ...] = ("usd", "pct", "date", "datetime", "days", "count", "sigma", "ratio")
"""Fact units the writer renders: usd (dollars), pct (a fraction, 0.213 = 21.3%), date (ISO day),
datetime (ISO UTC moment), days (a window length), count, sigma (standard deviations), ratio (a multiple)."""


@dataclass(frozen=True)
class Ref:
    """The rendered text of one fact in one form."""

    fact_id: str
    form: str
    text: str


Segment = str | Ref


@dataclass(frozen=True)
class Span:
    """A [start, end) character range of a line bound to a fact (and the form it was rendered in)."""

    start: int
    end: int
    fact_id: str
    form: str


@dataclass(frozen=True)
class Line:
    """A headline or paragraph: an ordered run of segments."""

    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The plain text of the line."""
        return "".join(s.text if isinstance(s, Ref) else s for s in self.segments)

    @property
    def refs(self) -> list[Span]:
        """Where each fact-bound figure sits in :attr:`text`."""
        spans: list[Span] = []
        pos = 0
        for seg in self.segments:
            piece = seg.text if isinstance(seg, Ref) else seg
            if isinstance(seg, Ref):
                spans.append(Span(pos, pos + len(piece), seg.fact_id, seg.form))
            pos += len(piece)
        return spans

    @classmethod
    def join(cls, parts: Iterable[Sequence[Segment]], sep: str = " ") -> Line:
        """Concatenate sentences (segment lists) with ``sep`` between them."""
        out: list[Segment] = []
        for i, part in enumerate(parts):
            if i:
                out.append(sep)
            out.extend(part)
        return cls(tuple(out))


def compose(template: str, **refs: Ref | str) -> list[Segment]:
    """Fill a ``str.format``-style template: each ``{name}`` becomes the Ref (or plain text) given for it."""
    out: list[Segment] = []
    for literal, field, spec, conv in string.Formatter().parse(template):
        if literal:
            out.append(literal)
        if field is None:
            continue
        if spec or conv:
            raise ValueError(f"template {template!r}: format specs are not allowed in {{{field}}}")
        if field not in refs:
            raise KeyError(f"template {template!r} needs {{{field}}}")
        out.append(refs[field])
    return out


# --------------------------------------------------------------------------- rendering facts


def _local_day(as_of: datetime, tz: str) -> date:
    return as_of.astimezone(ZoneInfo(tz)).date()


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _num(fn: Callable[[float], str | None]) -> Callable[[Fact, str], str | None]:
    def run(fact: Fact, _tz: str) -> str | None:
        return fn(float(fact.value)) if isinstance(fact.value, int | float) else None

    return run


def _day(fn: Callable[[date, date], str]) -> Callable[[Fact, str], str | None]:
    def run(fact: Fact, tz: str) -> str | None:
        if not isinstance(fact.value, str):
            return None
        if fact.unit == "datetime":
            d = _moment(fact.value).astimezone(ZoneInfo(tz)).date()
        else:
            d = date.fromisoformat(fact.value)
        return fn(d, _local_day(fact.as_of, tz))

    return run


def _at(fn: Callable[[datetime, str], str]) -> Callable[[Fact, str], str | None]:
    def run(fact: Fact, tz: str) -> str | None:
        return fn(_moment(fact.value), tz) if isinstance(fact.value, str) else None

    return run


def _day_part(moment: datetime, tz: str, as_of: date) -> str:
    """'Wednesday morning', 'last Thursday evening', 'the morning of Nov. 8'."""
    local = moment.astimezone(ZoneInfo(tz)).date()
    rel = ph.relative_day(local, as_of)
    part = ph.part_of_day(moment, tz)
    return f"the {part} of {rel}" if any(c.isdigit() for c in rel) else f"{rel} {part}"


def _datetime_day_part(fact: Fact, tz: str) -> str | None:
    if not isinstance(fact.value, str):
        return None
    return _day_part(_moment(fact.value), tz, _local_day(fact.as_of, tz))


def _datetime_on_day_part(fact: Fact, tz: str) -> str | None:
    text = _datetime_day_part(fact, tz)
    if text is None:
        return None
    return text if text.startswith("last ") else f"on {text}"


_RENDERERS: dict[tuple[str, str], Callable[[Fact, str], str | None]] = {
    ("usd", "exact"): _num(ph.money),
    ("usd", "more_than"): _num(ph.money_more_than),
    ("usd", "about"): _num(ph.money_about),
    ("usd", "roughly"): _num(lambda v: ph.money_about(v, "roughly")),
    ("usd", "just_below"): _num(ph.money_below),
    ("usd", "nearly"): _num(lambda v: ph.money_below(v, "nearly")),
    ("pct", "exact"): _num(ph.percent),
    ("pct", "whole"): _num(lambda v: ph.percent(v, 0)),
    ("pct", "more_than"): _num(ph.pct_more_than),
    ("pct", "about"): _num(ph.pct_about),
    ("pct", "roughly"): _num(lambda v: ph.pct_about(v, "roughly")),
    ("pct", "nearly"): _num(ph.pct_nearly),
    ("days", "adj"): _num(lambda v: ph.window_adjective(int(v))),
    ("days", "count"): _num(lambda v: ph.count(int(v), "day")),
    ("count", "exact"): _num(lambda v: ph.spell(int(v))),
    ("sigma", "exact"): _num(ph.sigma),
    ("ratio", "times"): _num(ph.times),
    ("date", "day"): _day(ph.relative_day),
    ("date", "on_day"): _day(ph.on_day),
    ("date", "possessive"): _day(ph.possessive_day),
    ("date", "month_day"): _day(ph.month_day),
    ("date", "month_part"): _day(ph.part_of_month),
    ("datetime", "day"): _day(ph.relative_day),
    ("datetime", "on_day"): _day(ph.on_day),
    ("datetime", "possessive"): _day(ph.possessive_day),
    ("datetime", "month_day"): _day(ph.month_day),
    ("datetime", "month_part"): _day(ph.part_of_month),
    ("datetime", "clock"): _at(ph.clock),
    ("datetime", "day_part"): _datetime_day_part,
    ("datetime", "on_day_part"): _datetime_on_day_part,
}
FORMS: dict[str, tuple[str, ...]] = {unit: tuple(form for (u, form) in _RENDERERS if u == unit) for unit in UNITS}
"""The forms each unit can be rendered in."""


def render(fact: Fact, form: str, tz: str) -> str | None:
    """The text of ``fact`` in ``form`` (days and times seen from fact.as_of in ``tz``).

    None when the fact is missing or the form would not be true for its value
    (e.g. 'more_than' for a value with no round figure just below it).
    """
    fn = _RENDERERS.get((fact.unit, form))
    if fn is None:
        raise ValueError(
            f"fact {fact.id!r}: unit {fact.unit!r} has no form {form!r}; expected one of {FORMS.get(fact.unit)}"
        )
    if fact.value is None:
        return None
    return fn(fact, tz)


# --------------------------------------------------------------------------- the ledger


class Ledger:
    """Facts recorded while writing one story, in the order they were first recorded."""

    def __init__(self, as_of: datetime, tz: str) -> None:
        if as_of.tzinfo is None:
            raise ValueError("Ledger: as_of must be timezone-aware")
        self.as_of = as_of
        self.tz = tz
        self._facts: dict[str, Fact] = {}

    def add(
        self,
        fact_id: str,
        *,
        subject: str,
        metric: str,
        value: float | str | date | datetime,
        unit: str,
        window: str | None = None,
        source: str | None = None,
        observed_at: datetime | None = None,
    ) -> str:
        """Record a known figure and return its id; recording the same id twice must give the same fact."""
        if unit not in UNITS:
            raise ValueError(f"fact {fact_id!r}: unknown unit {unit!r}; expected one of {UNITS}")
        stored: float | str
        if isinstance(value, date):  # datetime is a date subclass
            stored = value.isoformat()
        elif isinstance(value, str):
            stored = value
        else:
            if not math.isfinite(value):
                raise ValueError(f"fact {fact_id!r}: value must be finite, got {value!r}")
            stored = float(value)
        fact = Fact(fact_id, subject, metric, stored, unit, window, source, self.as_of, observed_at)
        return self._put(fact)

    def add_missing(
        self,
        fact_id: str,
        *,
        subject: str,
        metric: str,
        unit: str,
        reason: str,
        window: str | None = None,
        source: str | None = None,
    ) -> str:
        """Record a figure the data lacks (value None) with the reason; it can never be referenced."""
        fact = Fact(fact_id, subject, metric, None, unit, window, source, self.as_of, None, reason)
        return self._put(fact)

    def _put(self, fact: Fact) -> str:
        old = self._facts.get(fact.id)
        if old is not None and old != fact:
            raise ValueError(f"fact {fact.id!r} recorded twice with different contents: {old} vs {fact}")
        self._facts[fact.id] = fact
        return fact.id

    def fact(self, fact_id: str) -> Fact:
        """The fact with this id (KeyError naming it when unknown)."""
        try:
            return self._facts[fact_id]
        except KeyError:
            raise KeyError(f"no fact {fact_id!r} in the ledger") from None

    def try_ref(self, fact_id: str, form: str = "exact") -> Ref | None:
        """The fact rendered in ``form``, or None when it is missing or the form is not true for it."""
        text = render(self.fact(fact_id), form, self.tz)
        return None if text is None else Ref(fact_id, form, text)

    def ref(self, fact_id: str, form: str = "exact") -> Ref:
        """The fact rendered in ``form``; ValueError when it is missing or the form is not true for it."""
        r = self.try_ref(fact_id, form)
        if r is None:
            raise ValueError(f"fact {fact_id!r} cannot be rendered as {form!r} (missing or not true for its value)")
        return r

    def first_ref(self, fact_id: str, forms: Sequence[str]) -> Ref:
        """The first of ``forms`` that renders truthfully ('exact', where the unit has it, is tried last)."""
        unit = self.fact(fact_id).unit
        for form in (*forms, *(("exact",) if (unit, "exact") in _RENDERERS else ())):
            r = self.try_ref(fact_id, form)
            if r is not None:
                return r
        raise ValueError(f"fact {fact_id!r} is missing and cannot be printed")

    @property
    def facts(self) -> list[Fact]:
        """Every recorded fact (known and missing), in recording order."""
        return list(self._facts.values())
