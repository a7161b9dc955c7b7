"""Economy: real pay against need gives each soldier's hardship."""

from __future__ import annotations

import numpy as np


def price_level(p0: float, inflation_per_month: float, t_hours: float) -> float:
    """Prices compound monthly inflation continuously over the run."""
    return p0 * (1.0 + inflation_per_month) ** (t_hours / (24.0 * 30.0))


def hardship(pay: np.ndarray, need: np.ndarray, price: float) -> np.ndarray:
    """H = clip(1 - real pay / need, 0, 1): the share of need that pay leaves uncovered."""
    return np.clip(1.0 - (pay / np.float32(price)) / np.maximum(need, 1.0), 0.0, 1.0)
