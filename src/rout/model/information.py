"""Information: what each soldier perceives of the collapse around him.

Perceived collapse mixes the share of his unit seen leaving, the share of his
friends (unit mates and phone contacts) seen leaving, the fallen places he has
heard of, and the flight of officers above him.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def news_lag(base: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Hours until news reaches a soldier: better-connected soldiers hear sooner."""
    mean_deg = max(float(degree.mean()), 1.0)
    return (base * mean_deg / np.maximum(degree, 1.0)).astype(np.float32)


def unit_collapse(
    unit_share: np.ndarray, officer_signal: np.ndarray, w_unit: float, w_officers: float
) -> np.ndarray:
    """The part of C every soldier of a unit shares: w_unit s_u + w_officers O_u."""
    return (w_unit * unit_share + w_officers * officer_signal).astype(np.float32)


@njit(cache=True)
def collapse(
    unit_part: np.float32,
    friend_gone: np.float32,
    inv_degree: np.float32,
    news: np.float32,
    w_friends: np.float32,
    w_news: np.float32,
) -> np.float32:
    """C_i = unit part + w_friends f_i + w_news news_i, with f_i the share of friends gone."""
    return unit_part + w_friends * (friend_gone * inv_degree) + w_news * news
