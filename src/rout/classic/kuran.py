"""Kuran (1989, 1991): preference falsification and the surprise of revolutions.

Person i privately opposes the regime to degree x_i in [0, 1] but chooses what to
say in public. Saying "I oppose" brings an expressive benefit w_i x_i (the relief
of saying what one thinks) and a reputational cost c (1 - Y), where Y is the share
already opposing in public: the more people still back the regime, the more it
costs to break ranks. So i opposes in public when

    w_i x_i > c (1 - Y),  i.e. when  Y > T_i = 1 - w_i x_i / c.

Public opposition then follows Y <- share(T < Y), a threshold cascade like
Granovetter's. The map usually has two stable fixed points, so the same private
preferences can sustain quiet or revolt: which one the society is in depends on
where it came from (hysteresis), and a small rise in private opposition that
removes the quiet fixed point makes public opposition jump (revolution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def thresholds(private: np.ndarray, weight: np.ndarray | float = 1.25,
               cost: float = 1.0) -> np.ndarray:
    """T_i = 1 - w_i x_i / c: the public share of opposition at which i joins it."""
    if cost <= 0:
        raise ValueError("cost must be positive")
    return 1.0 - np.asarray(weight, dtype=float) * np.asarray(private, dtype=float) / cost


def public_path(thresh: np.ndarray, start: float = 0.0, max_rounds: int = 10_000) -> np.ndarray:
    """Public share of opposition round by round, from `start` until it settles.

    Each round everyone re-chooses given last round's share. The map is monotone,
    so the share moves one way only and stops at the nearest stable fixed point.
    """
    t = np.asarray(thresh, dtype=float)
    path = [float(start)]
    for _ in range(max_rounds):
        y = float(np.mean(t < path[-1]))
        if y == path[-1]:
            break
        path.append(y)
    return np.asarray(path)


def public_share(thresh: np.ndarray, start: float = 0.0) -> float:
    """Where public opposition settles when it starts at `start`."""
    return float(public_path(thresh, start)[-1])


def population(n: int = 1000, mean: float = 0.4, sd: float = 0.15, *,
               rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Private opposition x_i, normal(mean, sd) clipped to [0, 1].

    Without `rng` the values are the normal's mid-point quantiles, a noiseless
    population; with `rng` they are random draws.
    """
    if n < 1 or sd < 0:
        raise ValueError("n must be >= 1 and sd >= 0")
    if rng is None:
        z = norm.ppf((np.arange(n) + 0.5) / n)
    else:
        z = np.random.default_rng(rng).standard_normal(n)
    return np.clip(mean + sd * z, 0.0, 1.0)


def sweep(private: np.ndarray, shifts: np.ndarray, weight: np.ndarray | float = 1.25,
          cost: float = 1.0) -> pd.DataFrame:
    """Shift everyone's private opposition up through `shifts`, then back down.

    Each point starts from the public share left by the previous one, as a
    society carries its public opinion from one year to the next. Columns:
    shift, private (mean private opposition), rising, falling (public share on
    the way up and on the way down), quiet and revolt (the equilibria reached
    from no public opposition and from all of it).
    """
    shifts = np.asarray(shifts, dtype=float)
    base = np.asarray(private, dtype=float)
    ths = [thresholds(np.clip(base + s, 0.0, 1.0), weight, cost) for s in shifts]
    rising, falling = np.empty(shifts.size), np.empty(shifts.size)
    y = 0.0
    for i, t in enumerate(ths):
        y = rising[i] = public_share(t, y)
    for i in range(shifts.size - 1, -1, -1):
        y = falling[i] = public_share(ths[i], y)
    return pd.DataFrame({
        "shift": shifts,
        "private": [float(np.clip(base + s, 0.0, 1.0).mean()) for s in shifts],
        "rising": rising,
        "falling": falling,
        "quiet": [public_share(t, 0.0) for t in ths],
        "revolt": [public_share(t, 1.0) for t in ths],
    })
