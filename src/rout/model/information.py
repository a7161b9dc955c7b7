"""Information: what each soldier perceives of the collapse around him.

Perceived collapse mixes the share of his unit seen leaving, the share of his
friends (unit mates and phone contacts) seen leaving, the fallen places he has
heard of, and the flight of officers above him.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def news_lag(base: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Hours until news reaches a soldier: better-connected soldiers hear sooner."""
    mean_deg = max(float(degree.mean()), 1.0)
    return (base * mean_deg / np.maximum(degree, 1.0)).astype(np.float32)


def collapse(
    unit_share: np.ndarray,
    friend_share: np.ndarray,
    news: np.ndarray,
    officer_signal: np.ndarray,
    spread: Callable[[np.ndarray], np.ndarray],
    w_unit: float,
    w_friends: float,
    w_news: float,
    w_officers: float,
) -> np.ndarray:
    """C = w_unit s_unit + w_friends s_friends + w_news news + w_officers O."""
    per_unit = (w_unit * unit_share + w_officers * officer_signal).astype(np.float32)
    out = spread(per_unit)
    out += np.float32(w_friends) * friend_share
    out += np.float32(w_news) * news
    return out
