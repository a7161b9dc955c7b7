"""Granovetter (1978): a riot's size is decided by the whole threshold distribution."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rout.classic import granovetter as gr


def test_uniform_thresholds_everyone_riots_one_by_one():
    th = np.arange(100)
    path = gr.cascade(th)
    assert path[-1] == 100 == gr.equilibrium(th)
    assert np.all(np.diff(path) == 1)  # each round brings exactly the next person


def test_moving_one_threshold_from_1_to_2_stops_the_riot_at_one():
    th = np.arange(100)
    th[1] = 2
    assert gr.equilibrium(th) == 1
    assert gr.cascade(th)[-1] == 1


def test_cumulative_counts_thresholds_at_or_below():
    th = np.array([0, 0, 1, 3, 3, 7])
    assert list(gr.cumulative(th, [0, 1, 2, 3, 6, 7])) == [2, 3, 3, 5, 5, 6]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 60, allow_nan=False), min_size=1, max_size=60))
def test_dynamics_and_fixed_point_agree(thresholds):
    th = np.array(thresholds)
    r = gr.equilibrium(th)
    assert gr.cascade(th)[-1] == r
    assert gr.cumulative(th, r) == r  # a fixed point of r -> F(r) ...
    assert all(gr.cumulative(th, s) > s for s in range(r))  # ... and the least one


def test_normal_thresholds_jump_from_few_to_all_near_sd_12():
    df = gr.sweep_sd(np.arange(8.0, 16.01, 0.1), n=100, mean=25.0, expected=True)
    rioters = df["rioters"].to_numpy()
    assert rioters[df["sd"] <= 11.0].max() < 10  # narrow spread: a handful
    assert (rioters[df["sd"] >= 14.0] == 100).all()  # wide spread: everyone
    jumps = np.flatnonzero(np.diff(rioters) > 50)
    assert jumps.size == 1  # one abrupt jump, not a gradual climb
    sd_at_jump = df["sd"].iloc[jumps[0] + 1]
    assert 11.5 < sd_at_jump < 13.5  # Granovetter reports about 12.2


def test_random_crowds_riot_more_often_as_thresholds_spread():
    rng = np.random.default_rng(7)
    share = [np.mean([gr.equilibrium(gr.normal_thresholds(100, 25, sd, rng=rng)) > 50
                      for _ in range(200)]) for sd in (9.0, 13.0, 17.0)]
    assert share[0] < share[1] < share[2]
    assert share[0] < 0.1 and share[2] > 0.6


def test_same_seed_same_crowd():
    a = gr.normal_thresholds(50, 25, 10, rng=3)
    assert np.array_equal(a, gr.normal_thresholds(50, 25, 10, rng=3))
    assert not np.array_equal(a, gr.normal_thresholds(50, 25, 10, rng=4))
