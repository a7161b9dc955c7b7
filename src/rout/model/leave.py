"""Leave, bribery and recall: buying leave from a corruptible commander; answering a recall."""

from __future__ import annotations

import numpy as np


def buys_leave(
    savings: np.ndarray,
    price: float,
    corruptibility: np.ndarray,
    commander_present: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A leaver buys leave if he can pay, his commander is there and takes the bribe."""
    return (savings >= price) & commander_present & (rng.random(savings.size) < corruptibility)


def answers_recall(net_wish: np.ndarray) -> np.ndarray:
    """Only those whose W - N - T is below zero come back; the rest stay away (absent)."""
    return net_wish < 0.0
