"""Danger: how close and how strong the enemy is against the defenders of each place."""

from __future__ import annotations

import numpy as np
from numba import njit


def place_danger(
    distance_km: np.ndarray,
    threat: np.ndarray,
    defender_power: np.ndarray,
    danger_km: float,
    scripted: np.ndarray,
) -> np.ndarray:
    """D_p = max over forces f of exp(-d_fp / danger_km) x T_f / (T_f + DP_p), or a scripted level.

    distance_km has one row per active force and one column per place;
    threat is each force's strength x quality x momentum.
    """
    if threat.size == 0:
        return scripted.astype(np.float32)
    ratio = threat[:, None] / (threat[:, None] + np.maximum(defender_power[None, :], 1e-9))
    d = np.exp(-distance_km / danger_km) * ratio
    return np.maximum(d.max(axis=0), scripted).astype(np.float32)


@njit(cache=True)
def soldier_danger(
    place_danger: np.float32,
    weight: np.float32,
    backup: np.float32,
    backup_discount: np.float32,
    calm: np.float32,
) -> np.float32:
    """D_i = D_place x rank weight x (1 - b B_i) x calm: expected backup and air support calm.

    One soldier, in float32; calm = 1 - air_calm a / (1 + a) for visible air support a.
    """
    return place_danger * weight * (np.float32(1.0) - backup_discount * backup) * calm


def air_calm(air: float, air_calm: float) -> np.float32:
    """The factor by which visible air support a scales every soldier's danger."""
    return np.float32(1.0 - air_calm * air / (1.0 + air))
