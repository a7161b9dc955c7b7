"""Lanchester's attrition laws: per-step losses used by the engine, and closed forms."""

from __future__ import annotations

from typing import Literal

import numpy as np

Law = Literal["square", "linear"]


def losses(
    a: float, b: float, alpha: float, beta: float, dt: float, law: Law = "square"
) -> tuple[float, float]:
    """Losses of sides A and B over one step of length dt.

    Square law (aimed fire): dA/dt = -beta B, dB/dt = -alpha A.
    Linear law (area fire): dA/dt = -beta A B, dB/dt = -alpha A B.
    Losses never exceed what a side has.
    """
    if law == "square":
        la, lb = beta * b * dt, alpha * a * dt
    else:
        la, lb = beta * a * b * dt, alpha * a * b * dt
    return min(la, a), min(lb, b)


def square_closed_form(
    a0: float, b0: float, alpha: float, beta: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Square-law strengths over time, valid while both sides are positive."""
    g = np.sqrt(alpha * beta)
    t = np.asarray(t, dtype=float)
    a = a0 * np.cosh(g * t) - np.sqrt(beta / alpha) * b0 * np.sinh(g * t)
    b = b0 * np.cosh(g * t) - np.sqrt(alpha / beta) * a0 * np.sinh(g * t)
    return a, b
