"""Granovetter (1978) threshold model of collective behaviour.

Each person joins a riot once at least ``threshold`` others have joined. The
crowd's outcome is read off the thresholds alone: start with nobody, let everyone
whose threshold is met join, and repeat. Because joining only ever adds people,
the process stops at the least fixed point of r -> F(r), F(r) being the number of
people with threshold <= r. Two crowds with nearly the same thresholds can end
in opposite outcomes, which is the paper's point and why rout's cascades of
desertion are computed the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def cascade(thresholds: np.ndarray) -> np.ndarray:
    """Number of people who have joined after each round of the dynamics.

    Person by person: in every round, everyone who has not joined and sees at
    least their threshold already joined, joins. Entry 0 is the start (nobody).
    """
    th = np.asarray(thresholds, dtype=float)
    joined = np.zeros(th.size, dtype=bool)
    counts = [0]
    while True:
        joined |= th <= counts[-1]
        n = int(joined.sum())
        if n == counts[-1]:
            return np.asarray(counts)
        counts.append(n)


def cumulative(thresholds: np.ndarray, r: np.ndarray | int) -> np.ndarray:
    """F(r): how many people have a threshold of r or less."""
    th = np.sort(np.asarray(thresholds, dtype=float))
    return np.searchsorted(th, np.asarray(r, dtype=float), side="right")


def equilibrium(thresholds: np.ndarray) -> int:
    """Final size of the riot: the least r with F(r) <= r, where F is `cumulative`.

    Iterating r <- F(r) from 0 climbs while F(r) > r and stops at the first r
    with F(r) = r; F is a step function, so that r is found among 0..n at once.
    """
    th = np.asarray(thresholds, dtype=float)
    r = np.arange(th.size + 1)
    return int(r[np.argmax(cumulative(th, r) <= r)])


def normal_thresholds(
    n: int = 100, mean: float = 25.0, sd: float = 10.0, *,
    rng: np.random.Generator | int | None = None, expected: bool = False,
) -> np.ndarray:
    """Thresholds drawn from a normal distribution (negative ones join at once).

    With expected=True the thresholds are the normal's mid-point quantiles
    mean + sd * Phi^-1((i + 1/2) / n): a crowd with no sampling noise, so a sweep
    over sd shows the jump cleanly.
    """
    if n < 1 or sd < 0:
        raise ValueError("n must be >= 1 and sd >= 0")
    if expected:
        return mean + sd * norm.ppf((np.arange(n) + 0.5) / n)
    return mean + sd * np.random.default_rng(rng).standard_normal(n)


def sweep_sd(
    sds: np.ndarray, n: int = 100, mean: float = 25.0, *,
    rng: np.random.Generator | int | None = None, expected: bool = True,
) -> pd.DataFrame:
    """Riot size for each standard deviation of the thresholds.

    With expected=False each sd gets a fresh random crowd from `rng`.
    """
    rng = None if expected else np.random.default_rng(rng)
    rows = [(float(s), equilibrium(normal_thresholds(n, mean, s, rng=rng, expected=expected)))
            for s in np.asarray(sds, dtype=float)]
    return pd.DataFrame(rows, columns=["sd", "rioters"])
