"""Checkpoints on the roads home: each may stop a deserter, less so when its staff desert."""

from __future__ import annotations

import numpy as np


def route(
    checkpoints_at_place: np.ndarray, density: float, rng: np.random.Generator
) -> np.ndarray:
    """Checkpoints a deserter will meet: Poisson with mean the place's count x density."""
    return rng.poisson(checkpoints_at_place * density).astype(np.int16)


def stop_probability(
    base: float, staff_gone: np.ndarray, civ_id: np.ndarray, id_pass: float
) -> np.ndarray:
    """p = base x (1 - share of the checkpoint's garrison gone) x (1 - id_pass if civilian ID)."""
    return base * (1.0 - staff_gone) * np.where(civ_id, 1.0 - id_pass, 1.0)
