"""Lanchester's laws: numerical solutions against the closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rout.classic import lanchester as la


def test_losses_keep_the_engine_contract():
    assert la.losses(100, 50, 0.02, 0.01, 0.5) == (0.25, 1.0)
    assert la.losses(100, 50, 0.02, 0.01, 0.5, "linear") == (25.0, 50.0)
    assert la.losses(1.0, 1000.0, 0.1, 0.1, 1.0) == (1.0, 0.1)  # never more than a side has


def test_square_law_solve_ivp_and_stepping_follow_the_closed_form():
    a0, b0, alpha, beta = 100.0, 80.0, 0.012, 0.01
    ode = la.solve(a0, b0, alpha, beta, 500.0, "square")
    exact_a, exact_b = la.square_closed_form(a0, b0, alpha, beta, ode["t"].to_numpy())
    np.testing.assert_allclose(ode["a"], exact_a, atol=1e-6)
    np.testing.assert_allclose(ode["b"], np.maximum(exact_b, 0), atol=1e-6)
    euler = la.simulate(a0, b0, alpha, beta, 20.0, dt=1e-3)
    ea, eb = la.square_closed_form(a0, b0, alpha, beta, euler["t"].to_numpy())
    np.testing.assert_allclose(euler["a"], ea, rtol=1e-3)
    np.testing.assert_allclose(euler["b"], eb, rtol=1e-3)


def test_square_law_conserves_alpha_a2_minus_beta_b2():
    a0, b0, alpha, beta = 60.0, 90.0, 0.03, 0.01
    ode = la.solve(a0, b0, alpha, beta, 500.0, "square")
    q = alpha * ode["a"] ** 2 - beta * ode["b"] ** 2
    np.testing.assert_allclose(q, alpha * a0**2 - beta * b0**2, atol=1e-5)


def test_square_law_winner_keeps_the_square_root_survivors():
    a0, b0, alpha, beta = 60.0, 90.0, 0.01, 0.01  # B wins: numbers count twice
    winner, left, duration = la.square_outcome(a0, b0, alpha, beta)
    assert winner == "B"
    assert left == pytest.approx(np.sqrt(b0**2 - alpha / beta * a0**2))
    ode = la.solve(a0, b0, alpha, beta, 1000.0, "square")
    assert ode["a"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    assert ode["b"].iloc[-1] == pytest.approx(left, rel=1e-6)
    assert ode["t"].iloc[-1] == pytest.approx(duration, rel=1e-6)
    euler = la.simulate(a0, b0, alpha, beta, 1000.0, dt=1e-3)
    assert euler["a"].iloc[-1] == 0.0
    assert euler["b"].iloc[-1] == pytest.approx(left, rel=1e-3)


def test_linear_law_keeps_its_invariant_and_matches_the_closed_form():
    a0, b0, alpha, beta = 100.0, 80.0, 0.001, 0.0015
    ode = la.solve(a0, b0, alpha, beta, 1000.0, "linear")
    np.testing.assert_allclose(alpha * (a0 - ode["a"]), beta * (b0 - ode["b"]), atol=1e-6)
    ca, cb = la.linear_closed_form(a0, b0, alpha, beta, ode["t"].to_numpy())
    np.testing.assert_allclose(ode["a"], ca, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ode["b"], cb, rtol=1e-6, atol=1e-8)
    euler = la.simulate(a0, b0, alpha, beta, 300.0, dt=0.01, law="linear")
    np.testing.assert_allclose(alpha * (a0 - euler["a"]), beta * (b0 - euler["b"]), atol=1e-9)
    winner, left = la.linear_outcome(a0, b0, alpha, beta)
    assert winner == "B" and left == pytest.approx(b0 - alpha / beta * a0)
    assert ode["b"].iloc[-1] == pytest.approx(left, rel=1e-3)


def test_linear_closed_form_handles_equal_strength():
    a, b = la.linear_closed_form(50.0, 50.0, 0.01, 0.01, np.array([0.0, 1.0, 10.0]))
    np.testing.assert_allclose(a, 50.0 / (1 + 0.5 * np.array([0.0, 1.0, 10.0])))
    np.testing.assert_allclose(a, b)


@settings(max_examples=40, deadline=None)
@given(st.floats(10, 200), st.floats(10, 200), st.floats(0.002, 0.05), st.floats(0.002, 0.05))
def test_square_outcome_matches_the_integrated_fight(a0, b0, alpha, beta):
    winner, left, duration = la.square_outcome(a0, b0, alpha, beta)
    if winner == "draw" or abs(np.sqrt(alpha) * a0 - np.sqrt(beta) * b0) < 1e-3 * a0:
        return  # near a draw the fight lasts for ever
    ode = la.solve(a0, b0, alpha, beta, 10 * duration + 10, "square")
    side = "a" if winner == "A" else "b"
    assert ode[side].iloc[-1] == pytest.approx(left, rel=1e-5, abs=1e-6)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        la.simulate(-1.0, 10.0, 0.1, 0.1, 10.0)
