"""Combat: Lanchester exchange at contested places, and the breakpoint at which a place falls."""

from __future__ import annotations

import numpy as np

from rout.classic.lanchester import losses


def defender_power(
    unit_power: np.ndarray,
    unit_place: np.ndarray,
    fortification: np.ndarray,
    extra: np.ndarray,
) -> np.ndarray:
    """DP_p = fortification_p x sum of effort x combat value of present soldiers + extra_p."""
    raw = np.bincount(unit_place, weights=unit_power, minlength=fortification.size)
    return raw * fortification + extra


def exchange(
    attackers: float, power: float, alpha: float, beta: float, fortification: float,
    dt: float, rng: np.random.Generator,
) -> tuple[int, float]:
    """One step of square-law fire: defenders killed (a Poisson count) and attacker losses.

    Fortification shields the defenders: their losses are divided by it.
    """
    lost_att, lost_def = losses(attackers, power, alpha, beta, dt)
    return int(rng.poisson(lost_def / fortification)), lost_att


def breaks(power: float, threat: float, breakpoint: float) -> bool:
    """A place falls when its defenders' power is below a breakpoint share of the attacker's."""
    return power < breakpoint * threat


def fates(
    n: int, capture: float, scatter: float, rng: np.random.Generator
) -> np.ndarray:
    """For the soldiers present at a fall: 0 captured, 1 scattered (deserting), 2 retreat."""
    u = rng.random(n)
    return np.where(u < capture, 0, np.where(u < capture + scatter, 1, 2))


def retreat_place(
    fallen: int, government: np.ndarray, dist: np.ndarray, enemy_dist: np.ndarray
) -> int:
    """Nearest government-held place farther from the enemy than the fallen one (-1: none)."""
    d = dist[fallen].copy()
    d[~government] = np.inf
    d[fallen] = np.inf
    behind = enemy_dist > enemy_dist[fallen]
    if np.isfinite(d[behind]).any():
        d[~behind] = np.inf
    return int(np.argmin(d)) if np.isfinite(d).any() else -1
