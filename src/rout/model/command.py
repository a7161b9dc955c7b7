"""Officers and the chain of command: flight of enforcers signalled down the unit tree."""

from __future__ import annotations

import numpy as np


def officer_signal(
    unit_fled: np.ndarray, enforcers0: np.ndarray, parent: np.ndarray, decay: float
) -> np.ndarray:
    """O_u = min(1, fled_u / enforcers0_u + decay x O_parent(u)): flight above is seen below."""
    own = unit_fled / np.maximum(enforcers0, 1)
    signal = own.copy()
    has_parent = parent >= 0
    if not has_parent.any():
        return np.minimum(signal, 1.0)
    for _ in range(8):  # the tree is shallow: a few passes reach its leaves
        new = own.copy()
        new[has_parent] += decay * signal[parent[has_parent]]
        if np.array_equal(new, signal):
            break
        signal = new
    return np.minimum(signal, 1.0)
