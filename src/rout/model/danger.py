"""Danger: how close and how strong the enemy is against the defenders of each place."""

from __future__ import annotations

import numpy as np


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


def soldier_danger(
    danger: np.ndarray,
    weight: np.ndarray,
    backup: np.ndarray,
    backup_discount: float,
    air: float,
    air_calm: float,
) -> np.ndarray:
    """D_i = D_place x rank weight x (1 - b B_i) x (1 - c a/(1+a)): backup and air support calm.

    `danger` is the danger at each soldier's place, already spread to soldiers.
    """
    calm = np.float32(1.0 - air_calm * air / (1.0 + air))
    out = danger * weight
    if np.ndim(backup):
        out *= 1.0 - np.float32(backup_discount) * backup
    if calm != 1.0:
        out *= calm
    return out
