"""Promises and credibility: expected backup, and what a broken promise costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass
class ActivePromise:
    """A promise of backup in force until its deadline."""

    level: float
    places: np.ndarray  # bool per place
    deadline_hour: float
    real: bool
    backer: str | None
    note: str


def promise_level(promises: list[ActivePromise], n_places: int) -> np.ndarray:
    """The strongest promise in force at each place."""
    level = np.zeros(n_places, dtype=np.float32)
    for p in promises:
        level[p.places] = np.maximum(level[p.places], p.level)
    return level


@njit(cache=True)
def expected_backup(credibility: np.float32, level: np.float32) -> np.float32:
    """B = credibility x the strongest promise in force at the soldier's place."""
    return credibility * level


def settle(credibility: np.ndarray, informed: np.ndarray, kept: bool, gain: float, loss: float):
    """At a deadline: a kept promise raises credibility, a broken one cuts it (in place)."""
    c = credibility[informed]
    credibility[informed] = c + np.float32(gain) * (1.0 - c) if kept else c * np.float32(1 - loss)
