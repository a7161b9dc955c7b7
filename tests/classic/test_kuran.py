"""Kuran (1989, 1991): preference falsification, sudden revolution, hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from rout.classic import kuran as ku


@pytest.fixture(scope="module")
def people() -> np.ndarray:
    return ku.population(1000, mean=0.4, sd=0.15)


def test_a_privately_opposed_majority_keeps_quiet_in_public(people):
    private = np.clip(people + 0.11, 0, 1)
    assert private.mean() > 0.5 and np.mean(private > 0.5) > 0.5
    assert ku.public_share(ku.thresholds(private), start=0.0) < 0.1


def test_a_small_shift_in_private_opinion_sets_off_a_revolution(people):
    df = ku.sweep(people, np.arange(0.0, 0.3, 0.005))
    up = df["rising"].to_numpy()
    assert np.all(np.diff(up) >= 0)
    i = int(np.argmax(np.diff(up)))
    assert up[i] < 0.1 and up[i + 1] > 0.9  # from quiet to revolt in one step
    assert df["private"].iloc[i + 1] - df["private"].iloc[i] <= 0.0051


def test_the_same_private_opinions_give_different_public_outcomes(people):
    df = ku.sweep(people, np.arange(-0.3, 0.3001, 0.01))
    gap = df["falling"] - df["rising"]
    assert gap.max() > 0.8  # revolt persists on the way down where quiet held on the way up
    assert abs(gap.iloc[0]) < 1e-12 and abs(gap.iloc[-1]) < 1e-12  # one outcome at the ends
    both = df[gap > 0.8]
    assert (both["quiet"] < 0.1).all() and (both["revolt"] > 0.9).all()
    # and the private opinions are literally the same for both outcomes
    t = ku.thresholds(np.clip(people + both["shift"].iloc[0], 0, 1))
    assert ku.public_share(t, 0.0) < 0.1 < 0.9 < ku.public_share(t, 1.0)


def test_public_path_is_monotone_and_settles_on_a_fixed_point(people):
    t = ku.thresholds(np.clip(people + 0.15, 0, 1))
    path = ku.public_path(t, 0.0)
    assert np.all(np.diff(path) > 0)
    assert np.mean(t < path[-1]) == path[-1]


def test_thresholds_fall_with_private_opposition_and_weight():
    x = np.array([0.1, 0.5, 0.9])
    assert np.all(np.diff(ku.thresholds(x)) < 0)
    assert np.all(ku.thresholds(x, weight=2.0) < ku.thresholds(x, weight=1.0))
    with pytest.raises(ValueError):
        ku.thresholds(x, cost=0.0)


def test_random_population_is_reproducible_and_shows_hysteresis():
    a = ku.population(500, rng=11)
    assert np.array_equal(a, ku.population(500, rng=11))
    df = ku.sweep(a, np.arange(-0.3, 0.3001, 0.02))
    assert (df["falling"] - df["rising"]).max() > 0.8
