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


def known_falls(lag: np.ndarray, fall_hours: list[float], t: float) -> np.ndarray | float:
    """How many fallen places each soldier has heard of by hour t.

    A fall at hour t_f reaches soldier i at t_f + lag_i. Falls older than the
    longest lag are known to all and add a plain number, so only news still
    travelling costs a pass over the soldiers.
    """
    lag_max = float(lag.max()) if lag.size else 0.0
    settled = sum(1.0 for tf in fall_hours if t - tf >= lag_max)
    travelling = [tf for tf in fall_hours if 0.0 <= t - tf < lag_max]
    if not travelling:
        return settled
    known = np.full(lag.shape, settled, dtype=np.float32)
    for tf in travelling:
        known += lag <= np.float32(t - tf)
    return known


def collapse(
    unit_share: np.ndarray,
    friend_share: np.ndarray,
    news: np.ndarray | float,
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
    if np.ndim(news) or news:
        out += np.float32(w_news) * news
    return out
