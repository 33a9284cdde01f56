"""The shared vocabulary of the kernels: array type aliases and the conversions every kernel starts with.

:func:`as_float` and :func:`as_dates` turn whatever a caller passes (numpy arrays, Polars series, lists) into the
1-D ``float64`` / ``datetime64[D]`` arrays the kernels work on; ``_check_window`` validates window lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
DateArray = NDArray[np.datetime64]
DatesLike = ArrayLike | Sequence[date]
"""Calendar days: a ``datetime64`` array, a Polars Date series or a list of ``datetime.date``."""


def as_float(values: ArrayLike) -> FloatArray:
    """``values`` as a 1-D float64 array (nulls become NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D series, got an array of shape {arr.shape}")
    return arr


def as_dates(dates: DatesLike) -> DateArray:
    """``dates`` as a 1-D ``datetime64[D]`` array."""
    arr = np.asarray(dates).astype("datetime64[D]")
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D date series, got an array of shape {arr.shape}")
    return arr


def _check_window(n: int, name: str = "n") -> None:
    if n < 1:
        raise ValueError(f"{name} must be a positive window length, got {n}")
