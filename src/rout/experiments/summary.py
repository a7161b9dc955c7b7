"""Summaries over runs, one way everywhere: quantiles, and what "held" means.

Every view of many runs (ensembles, sweeps, explain, the report, the plots and
the dashboard) summarises through these functions, so the same seeds give the
same numbers in each. A day outcome (a place's fall, the day power drops below a
quarter) is NaN in a run where it did not happen; such a run ranks after every
day. The q-quantile is the smallest value reached by at least a share q of the
runs (the inverted empirical CDF), so a day's median exists exactly when the
thing happened in at least half the runs: otherwise the place **held**, and the
share that fell is shown beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

QUANTILES = (0.05, 0.5, 0.95)
"""The quantiles every summary reports: 5%, median, 95%."""


def quantiles(values: np.ndarray, qs: Sequence[float] = QUANTILES, axis: int = 0) -> np.ndarray:
    """The qs-quantiles along an axis, NaN ranking last: the smallest value that at least
    a share q of the values reach (NaN if fewer than a share q are numbers)."""
    v = np.sort(np.asarray(values, dtype=float), axis=axis)  # NaN sorts last
    n = v.shape[axis]
    if n == 0:
        return np.full((len(qs),) + v.shape[:axis] + v.shape[axis + 1:], np.nan)
    idx = np.clip(np.ceil(np.asarray(qs) * n - 1e-9).astype(int) - 1, 0, n - 1)
    return np.moveaxis(np.take(v, idx, axis=axis), axis, 0)


def is_day(outcome: str) -> bool:
    """Whether an outcome is the day something happened (NaN when it never did)."""
    return outcome.startswith("fall:") or outcome == "quarter_power_day"


class DaySummary(NamedTuple):
    """A day outcome over runs: how many runs, in how many it happened, and its quantiles."""

    runs: int
    happened: int
    p05: float
    median: float
    p95: float

    @property
    def share(self) -> float:
        """Share of runs in which it happened."""
        return self.happened / self.runs if self.runs else float("nan")

    @property
    def held(self) -> bool:
        """It happened in fewer than half the runs (a place held)."""
        return not np.isfinite(self.median)


def summarise_days(values: np.ndarray) -> DaySummary:
    """The summary of one day outcome over runs (NaN: it did not happen in that run)."""
    v = np.asarray(values, dtype=float)
    p05, med, p95 = quantiles(v)
    return DaySummary(int(v.size), int(np.isfinite(v).sum()), float(p05), float(med),
                      float(p95))


def held_note(happened: int, runs: int) -> str:
    """`held (fell in 1 of 4 runs)`: how every view of many runs writes a place that held."""
    return f"held (fell in {happened} of {runs} runs)"


def describe(s: DaySummary, day: Callable[[float], str] = lambda d: f"day {d:.1f}") -> str:
    """`held (fell in 1 of 4 runs)`, or `day 8.9 (5-95%: 8.5 to 9.3; fell in 4 of 4)`."""
    if s.held:
        return held_note(s.happened, s.runs)
    text = day(s.median)
    if s.runs > 1:
        hi = f"{s.p95:.1f}" if np.isfinite(s.p95) else "held"
        text += f" (5-95%: {s.p05:.1f} to {hi}; fell in {s.happened} of {s.runs})"
    return text


HELD_AFTER_DAYS = 3.0
"""Where a loss or an index needs a number (calibration, sensitivity), something that never
happened within the horizon counts as happening this many days after its end."""


def as_number(outcome: str, values: np.ndarray, horizon: float) -> np.ndarray:
    """Values of an outcome as numbers: a day outcome's NaN becomes horizon + 3 days."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), horizon + HELD_AFTER_DAYS, values) if is_day(outcome) \
        else values
