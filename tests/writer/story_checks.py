"""Independent checks of a written story: every digit bound to a fact, refs that re-render, no banned patterns."""

from __future__ import annotations

import re

from cryptodesk.core.models import Fact
from cryptodesk.writer.ledger import Line, render
from cryptodesk.writer.story import Story

ALLOWED_NUMBER = re.compile(
    r"""
    \$[0-9][0-9,]*(\.[0-9]+)?(\ (trillion|billion|million))?      # money
    | [0-9][0-9,]*(\.[0-9])?%                                     # percentages
    | [0-9]{1,2}(:[0-9]{2})?\ [ap]\.m\.\ [A-Z]{2,4}               # clock times with a zone
    | (Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)\ [0-9]{1,2}(,\ [0-9]{4})?  # AP dates
    | (January|February|March|April|May|June|July|August|September|October|November|December)\ [0-9]{4}
    | [0-9]+-day                                                  # window adjectives
    | [0-9]+\.[0-9]\ standard\ deviations?                        # sigma distances
    | [0-9]+(\.[0-9])?\ times                                     # multiples
    | [0-9]+\ cryptocurrencies                                    # counts of assets
    """,
    re.VERBOSE,
)


def lines(story: Story) -> list[Line]:
    """Headline and paragraphs."""
    return [story.headline_line, *story.paragraphs]


def uncovered_digits(line: Line) -> list[int]:
    """Offsets of digits in the line that no fact span covers."""
    covered: set[int] = set()
    for span in line.refs:
        covered.update(range(span.start, span.end))
    return [i for i, c in enumerate(line.text) if c.isdigit() and i not in covered]


def bad_refs(story: Story) -> list[str]:
    """Refs whose span text differs from their fact rendered again in their form, or that point at missing facts."""
    facts: dict[str, Fact] = {f.id: f for f in story.facts}
    problems = []
    for line in lines(story):
        for span in line.refs:
            fact = facts.get(span.fact_id)
            shown = line.text[span.start : span.end]
            if fact is None or fact.value is None:
                problems.append(f"{span.fact_id}: missing fact printed as {shown!r}")
            elif render(fact, span.form, story.tz) != shown:
                problems.append(f"{span.fact_id}: {shown!r} != {render(fact, span.form, story.tz)!r}")
    return problems


def banned(text: str) -> list[str]:
    """Raw floats, doubled words, figures without units, leftover template braces, empty or double spaces."""
    found = []
    found += [f"raw float {m.group()}" for m in re.finditer(r"\d+\.\d{3,}", text)]
    found += [f"doubled word {m.group()}" for m in re.finditer(r"\b(\w+) \1\b", text, flags=re.IGNORECASE)]
    found += [f"template brace in {text!r}" for _ in re.finditer(r"[{}]", text)]
    found += [f"double space in {text!r}" for _ in re.finditer(r"  ", text)]
    found += [f"space before punctuation in {text!r}" for _ in re.finditer(r" [.,;:]", text)]
    found += [f"None/nan printed in {text!r}" for _ in re.finditer(r"\b(None|nan|inf)\b", text)]
    found += [f"'1 times' in {text!r}" for _ in re.finditer(r"\b1(\.0)? times\b", text)]
    stripped = ALLOWED_NUMBER.sub("", text)
    found += [
        f"number without a unit near {stripped[max(0, m.start() - 20) : m.end() + 20]!r}"
        for m in re.finditer(r"\d", stripped)
    ]
    return found
