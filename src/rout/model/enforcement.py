"""Enforcement: Epstein's arrest probability and the net risk of leaving."""

from __future__ import annotations

import numpy as np
from numba import njit


def arrest_probability(
    enforcers: np.ndarray, actives: np.ndarray, k: float, floor: bool = False
) -> np.ndarray:
    """P = 1 - exp(-k E / max(1, A)), Epstein (2002).

    With floor=True the ratio E/A is rounded down (as NetLogo's Rebellion and
    older Mesa do), which is what produces Epstein's punctuated bursts.
    """
    ratio = np.asarray(enforcers, dtype=np.float64) / np.maximum(1.0, actives)
    if floor:
        ratio = np.floor(ratio)
    return 1.0 - np.exp(-k * ratio)


def unit_enforcers(effort: np.ndarray, enforcer: np.ndarray, unit_start: np.ndarray) -> np.ndarray:
    """Loyal enforcers per unit: officers weighted by their effort (zero once not present)."""
    return np.add.reduceat(effort * enforcer, unit_start)


@njit(cache=True)
def net_risk(exposure: np.float32, arrest: np.float32, amnesty: np.float32) -> np.float32:
    """N = exposure x P x (1 - amnesty): exposure is risk aversion x severity x rank exposure."""
    return exposure * arrest * (np.float32(1.0) - amnesty)
