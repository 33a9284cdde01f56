"""How extreme a value is within its own history: σ rarity of the last row, expanding counts for every row."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import IntArray, as_float


def sigma_rarity(sigma: ArrayLike) -> float | None:
    """Share of the history whose σ-distance was at least as extreme as the last one, on the same side.

    With ``s`` the last finite value: the share of finite values ``>= s`` when
    ``s >= 0``, or ``<= s`` when ``s < 0``. The last value counts itself, so the
    result is in ``(0, 1]``; 0.02 means only 2% of days were that stretched.
    ``None`` when the last value is NaN.
    """
    x = as_float(sigma)
    if len(x) == 0 or not np.isfinite(x[-1]):
        return None
    hist = x[np.isfinite(x)]
    s = x[-1]
    hits = np.count_nonzero(hist >= s) if s >= 0 else np.count_nonzero(hist <= s)
    return float(hits / len(hist))


class ExpandingCounts(NamedTuple):
    """Per row ``i``, counts over the finite values of the rows before it (``j < i``).

    ``valid``: how many are finite; ``at_least`` / ``at_most``: how many are ``>= values[i]`` / ``<= values[i]``
    (0 where ``values[i]`` is not finite).
    """

    valid: IntArray
    at_least: IntArray
    at_most: IntArray


def expanding_counts(values: ArrayLike) -> ExpandingCounts:
    """For every row, how many earlier finite values are at least / at most as large (see :class:`ExpandingCounts`).

    The empirical rank of each value in its own history, for every row at once, in O(n log² n) numpy work (a merge
    sort tree: at level ``k`` the prefix ``[0, i)`` contributes the sorted block of size ``2^k`` that bit ``k`` of
    ``i`` selects, searched by binary search). Equal values count on both sides. What :func:`sigma_rarity` computes
    for the last row of a series, this gives for each row of it (``sigma_rarity`` of ``values[: i + 1]``).
    """
    x = as_float(values)
    n = len(x)
    finite = np.isfinite(x)
    valid = np.concatenate(([0], np.cumsum(finite)[:-1])).astype(np.int64) if n else np.zeros(0, np.int64)
    at_least = np.zeros(n, np.int64)
    at_most = np.zeros(n, np.int64)
    if n < 2 or not finite.any():
        return ExpandingCounts(valid, at_least, at_most)
    # Dense ranks of the finite values (ties share a rank); non-finite rows get a rank that never matches.
    order = np.argsort(np.where(finite, x, np.inf), kind="stable")
    sorted_x = x[order]
    new = np.concatenate(([True], sorted_x[1:] != sorted_x[:-1]))
    rank = np.empty(n, np.int64)
    rank[order] = np.cumsum(new) - 1
    levels = max(1, int(n - 1).bit_length())
    span = int(rank.max()) + 2
    pos = np.arange(n, dtype=np.int64)
    query = np.flatnonzero(finite)
    q_rank = rank[query]
    for k in range(levels):
        size = 1 << k
        block = pos >> k
        keyed = np.where(finite, block * span + rank, block * span + span - 1)
        tree = np.sort(keyed)  # every block of the level sorted by rank; blocks in order
        use = ((query >> k) & 1) == 1  # bit k of i set: the block just before (i >> k) << k is in [0, i)
        b = (query[use] >> k) - 1
        lo = b * span
        first_ge = np.searchsorted(tree, lo + q_rank[use], side="left")
        first_gt = np.searchsorted(tree, lo + q_rank[use], side="right")
        end_finite = np.searchsorted(tree, lo + span - 1, side="left")  # past the block's finite values
        start = np.minimum(b * size, n)
        at_least[query[use]] += end_finite - first_ge
        at_most[query[use]] += first_gt - start
    return ExpandingCounts(valid, at_least, at_most)


def expanding_counts_at(values: ArrayLike, first: int) -> ExpandingCounts:
    """:func:`expanding_counts` for the rows from ``first`` on (earlier rows get 0 counts): the same numbers.

    A replay that only reads the latest rows of a long history asks for those; a few rows are counted directly
    (``rows x history`` comparisons), many through the merge sort tree.
    """
    x = as_float(values)
    n = len(x)
    first = max(0, min(first, n))
    if (n - first) * n > 4_000_000 or first == 0:
        return expanding_counts(x)
    finite = np.isfinite(x)
    valid = np.concatenate(([0], np.cumsum(finite)[:-1])).astype(np.int64) if n else np.zeros(0, np.int64)
    at_least = np.zeros(n, np.int64)
    at_most = np.zeros(n, np.int64)
    rows = np.arange(first, n)
    before = np.arange(n)[None, :] < rows[:, None]  # j < i
    past = np.where(finite, x, np.nan)[None, :]
    current = x[rows][:, None]
    with np.errstate(invalid="ignore"):
        at_least[rows] = np.count_nonzero(before & (past >= current), axis=1)
        at_most[rows] = np.count_nonzero(before & (past <= current), axis=1)
    at_least[rows[~finite[rows]]] = 0
    at_most[rows[~finite[rows]]] = 0
    return ExpandingCounts(valid, at_least, at_most)
