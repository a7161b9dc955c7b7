"""Lanchester's (1916) attrition laws, one step at a time, as combat uses them.

Square law (aimed fire): dA/dt = -beta B, dB/dt = -alpha A.
Linear law (area fire): dA/dt = -beta A B, dB/dt = -alpha A B.
`rout.classic.lanchester` checks these steps against the closed forms.
"""

from __future__ import annotations

from typing import Literal

Law = Literal["square", "linear"]


def losses(
    a: float, b: float, alpha: float, beta: float, dt: float, law: Law = "square"
) -> tuple[float, float]:
    """Losses of sides A and B over one step of length dt; never more than a side has."""
    if law == "square":
        la, lb = beta * b * dt, alpha * a * dt
    else:
        la, lb = beta * a * b * dt, alpha * a * b * dt
    return min(la, a), min(lb, b)
