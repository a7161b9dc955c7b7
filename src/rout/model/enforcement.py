"""Enforcement: Epstein's arrest probability and the net risk of leaving."""

from __future__ import annotations

import numpy as np


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


def unit_enforcers(
    effort: np.ndarray, enforcer_idx: np.ndarray, unit: np.ndarray, n_units: int
) -> np.ndarray:
    """Loyal enforcers per unit: officers weighted by their effort (zero once not present)."""
    return np.bincount(unit[enforcer_idx], weights=effort[enforcer_idx], minlength=n_units)


def net_risk(
    exposure: np.ndarray, p_unit: np.ndarray, unit: np.ndarray, amnesty: np.ndarray
) -> np.ndarray:
    """N = exposure x P x (1 - amnesty): exposure is risk aversion x severity x rank exposure."""
    return exposure * p_unit.astype(np.float32)[unit] * (1.0 - amnesty)
