"""Legitimacy and grievance (Epstein 2002): G = H (1 - L), L = regime legitimacy x affinity."""

from __future__ import annotations

import numpy as np


def legitimacy(regime: float, affinity: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Perceived legitimacy: the regime's, as seen through the soldier's group affinity."""
    return (np.float32(regime) * affinity.astype(np.float32))[group]


def grievance(hardship: np.ndarray, legit: np.ndarray) -> np.ndarray:
    """Epstein's grievance: hardship not excused by legitimacy."""
    return hardship * (1.0 - legit)
