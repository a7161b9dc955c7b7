"""Lanchester's (1916) attrition laws: closed forms, and numerical solutions to check
the per-step losses the engine's combat uses (`rout.model.lanchester`) against them.

Square law (aimed fire, each shooter picks a target): dA/dt = -beta B,
dB/dt = -alpha A; alpha A^2 - beta B^2 is conserved, so numbers count twice.
Linear law (area fire, losses scale with the density of both sides):
dA/dt = -beta A B, dB/dt = -alpha A B; alpha (A0 - A) = beta (B0 - B).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from rout.model.lanchester import Law, losses


def square_closed_form(
    a0: float, b0: float, alpha: float, beta: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Square-law strengths over time, valid while both sides are positive."""
    g = np.sqrt(alpha * beta)
    t = np.asarray(t, dtype=float)
    a = a0 * np.cosh(g * t) - np.sqrt(beta / alpha) * b0 * np.sinh(g * t)
    b = b0 * np.cosh(g * t) - np.sqrt(alpha / beta) * a0 * np.sinh(g * t)
    return a, b


def linear_closed_form(
    a0: float, b0: float, alpha: float, beta: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Linear-law strengths over time.

    With m = beta B0 - alpha A0, dA/dt = -A (alpha A + m), whose solution is
    A(t) = m A0 / ((m + alpha A0) e^{m t} - alpha A0), or A0 / (1 + alpha A0 t)
    when m = 0; B follows from the invariant alpha (A0 - A) = beta (B0 - B).
    """
    t = np.asarray(t, dtype=float)
    m = beta * b0 - alpha * a0
    if np.isclose(m, 0.0, rtol=0.0, atol=1e-12 * max(alpha * a0, beta * b0, 1.0)):
        a = a0 / (1.0 + alpha * a0 * t)
    else:
        a = m * a0 / ((m + alpha * a0) * np.exp(m * t) - alpha * a0)
    b = b0 - alpha * (a0 - a) / beta
    return a, b


def square_outcome(a0: float, b0: float, alpha: float, beta: float) -> tuple[str, float, float]:
    """Winner, survivors and duration of a square-law fight to annihilation.

    alpha A^2 - beta B^2 is conserved, so A wins when alpha A0^2 > beta B0^2 and
    keeps sqrt(A0^2 - (beta/alpha) B0^2); B, symmetrically, keeps
    sqrt(B0^2 - (alpha/beta) A0^2). The loser reaches zero when
    tanh(g t) = (loser's sqrt(weight) x strength) / (winner's), g = sqrt(alpha beta).
    A tie ends with both sides gone after infinite time.
    """
    g = np.sqrt(alpha * beta)
    wa, wb = np.sqrt(alpha) * a0, np.sqrt(beta) * b0
    if np.isclose(wa, wb):
        return "draw", 0.0, float("inf")
    if wa > wb:
        return "A", float(np.sqrt(a0**2 - beta / alpha * b0**2)), float(np.arctanh(wb / wa) / g)
    return "B", float(np.sqrt(b0**2 - alpha / beta * a0**2)), float(np.arctanh(wa / wb) / g)


def linear_outcome(a0: float, b0: float, alpha: float, beta: float) -> tuple[str, float]:
    """Winner and survivors under the linear law: alpha (A0 - A) = beta (B0 - B)."""
    if np.isclose(alpha * a0, beta * b0):
        return "draw", 0.0
    if alpha * a0 > beta * b0:
        return "A", a0 - beta / alpha * b0
    return "B", b0 - alpha / beta * a0


def simulate(
    a0: float, b0: float, alpha: float, beta: float, t_end: float, dt: float = 1e-3,
    law: Law = "square",
) -> pd.DataFrame:
    """Step the fight with `losses` (explicit Euler), as the engine's combat does.

    Stops at t_end or when a side is gone. Columns: t, a, b.
    """
    if min(a0, b0) < 0 or min(alpha, beta) <= 0 or dt <= 0 or t_end < 0:
        raise ValueError("strengths must be >= 0; alpha, beta, dt > 0; t_end >= 0")
    n = int(np.ceil(t_end / dt))
    out = np.empty((n + 1, 3))
    a, b = float(a0), float(b0)
    out[0] = 0.0, a, b
    k = 0
    while k < n and a > 0 and b > 0:
        la, lb = losses(a, b, alpha, beta, dt, law)
        a, b = a - la, b - lb
        k += 1
        out[k] = k * dt, a, b
    return pd.DataFrame(out[: k + 1], columns=["t", "a", "b"])


def solve(
    a0: float, b0: float, alpha: float, beta: float, t_end: float, law: Law = "square",
    n_points: int = 201,
) -> pd.DataFrame:
    """Integrate the law's ODEs with scipy's solve_ivp, stopping when a side is gone.

    Columns: t, a, b, sampled on n_points times up to the end of the fight.
    """
    if law == "square":
        def rhs(_t: float, y: np.ndarray) -> list[float]:
            return [-beta * y[1], -alpha * y[0]]
    else:
        def rhs(_t: float, y: np.ndarray) -> list[float]:
            return [-beta * y[0] * y[1], -alpha * y[0] * y[1]]

    def a_gone(_t: float, y: np.ndarray) -> float:
        return y[0]

    def b_gone(_t: float, y: np.ndarray) -> float:
        return y[1]

    a_gone.terminal = b_gone.terminal = True  # type: ignore[attr-defined]
    first = solve_ivp(rhs, (0.0, t_end), [a0, b0], events=[a_gone, b_gone],
                      rtol=1e-10, atol=1e-10)
    stop = float(first.t[-1])
    t = np.linspace(0.0, stop, n_points)
    sol = solve_ivp(rhs, (0.0, stop), [a0, b0], t_eval=t, rtol=1e-10, atol=1e-10)
    return pd.DataFrame({"t": sol.t, "a": np.maximum(sol.y[0], 0.0),
                         "b": np.maximum(sol.y[1], 0.0)})
