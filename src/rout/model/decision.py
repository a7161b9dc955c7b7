"""Decision: thresholds (Granovetter) over a wish to leave kept private (Kuran).

W = w_g G + w_d D + w_c C - w_l Loyalty. A soldier leaves when W - N > T.
Presence is the public act; effort is private motivation: coercion buys
presence, not effort, so a soldier whose wish exceeds his threshold but who
stays for fear fights at minimum effort (feigned compliance).
"""

from __future__ import annotations

import numpy as np


def effort(wish: np.ndarray, threshold: np.ndarray, band: float, minimum: float) -> np.ndarray:
    """e = e_min + (1 - e_min) clip((T - W) / band, 0, 1)."""
    room = threshold - wish
    room *= np.float32((1.0 - minimum) / band)
    np.clip(room, 0.0, np.float32(1.0 - minimum), out=room)
    room += np.float32(minimum)
    return room


def acting(candidates: np.ndarray, act_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Of the soldiers past their threshold, those who act this hour (indices)."""
    idx = np.flatnonzero(candidates)
    return idx[rng.random(idx.size) < act_rate]
