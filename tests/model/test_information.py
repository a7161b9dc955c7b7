"""Information (ODD 7.4): perceived collapse C = w_unit s_u + w_friends f_i + w_news news_i
+ w_officers O_u, news_i = min(1, K_i / news_saturation); news of a fall at t_f reaches a
soldier at t_f + his lag, and adds to K_i the share of the army the place held."""

from __future__ import annotations

import math

import numpy as np
import pytest
from worlds import engine, part, world

from rout.model.decision import weights
from rout.model.information import Information, collapse, news_lag, unit_collapse
from rout.model.registry import DESERTING

f32 = np.float32


def test_collapse_by_hand():
    # unit part 0.2; 3 of 12 friends gone; news 0.5; weights 0.3 (friends), 0.2 (news)
    c = collapse(f32(0.2), f32(3.0), f32(1 / 12), f32(0.5), f32(0.3), f32(0.2))
    assert float(c) == pytest.approx(0.2 + 0.3 * 0.25 + 0.2 * 0.5, rel=1e-6)
    assert float(collapse(f32(0), f32(0), f32(1), f32(0), f32(0.3), f32(0.2))) == 0.0


def test_unit_collapse_by_hand():
    share = np.array([0.0, 0.5, 1.0])
    signal = np.array([1.0, 0.25, 0.0])
    np.testing.assert_allclose(unit_collapse(share, signal, 0.5, 0.4),
                               [0.4, 0.25 + 0.1, 0.5], rtol=1e-6)


def test_news_lag_better_connected_soldiers_hear_sooner():
    degree = np.array([1.0, 2.0, 3.0, 6.0], dtype=np.float32)  # mean degree 3
    lag = news_lag(np.full(4, 6.0), degree)
    np.testing.assert_allclose(lag, [18.0, 9.0, 6.0, 3.0], rtol=1e-6)
    assert lag.dtype == np.float32
    # a soldier without friends counts as one friend
    np.testing.assert_allclose(news_lag(np.array([2.0, 2.0]), np.array([0.0, 4.0])),
                               [4.0, 1.0], rtol=1e-6)


def test_news_lag_keeps_the_base_lag_at_equal_degrees_and_the_degree_weighted_mean():
    base = np.random.default_rng(0).exponential(8.0, 1000)
    np.testing.assert_allclose(news_lag(base, np.full(1000, 7.0)), base, rtol=1e-6)
    # the scaling preserves the mean lag per tie (weighted by degree) exactly
    degree = np.array([1.0, 3.0, 4.0, 12.0])
    lag = news_lag(np.full(4, 8.0), degree)
    assert float((degree * lag).sum() / degree.sum()) == pytest.approx(8.0, rel=1e-6)


def test_news_hours_is_the_mean_lag_of_a_soldier_with_the_mean_number_of_friends():
    degree = np.array([1.0, 3.0, 2.0])  # mean degree 2: the soldier with 2 friends waits 8
    assert float(news_lag(np.full(3, 8.0), degree)[2]) == pytest.approx(8.0, rel=1e-6)


def test_the_armys_lags_are_exponential_draws_of_mean_news_hours_rescaled():
    w = world({"news_hours": 5.0})
    a = w.army
    draw = a.news_lag * np.maximum(a.degree, 1.0) / a.degree.mean()
    assert abs(draw.mean() - 5.0) < 4 * 5.0 / math.sqrt(a.n)
    assert np.corrcoef(a.degree, a.news_lag)[0, 1] < 0


def _falls(w, hours: list[float], share: float = 1.0) -> None:
    """Falls whose news spreads: the World's `heard`, (hour, share of the army there) each."""
    w.heard = [(h, share) for h in hours]


LAGS = np.array([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.7, 7.0, 11.5], dtype=np.float32)


def _hearing(dt: float, falls: list[float], hours: float = 40.0):
    """Step the clock by hand through Information; the first hour each soldier's count of
    falls heard reaches 1, 2, ..., and the Information submodel."""
    w = world({"step_hours": dt, "news_saturation": 4.0})
    a = w.army
    a.news_lag[:] = np.resize(LAGS, a.n)
    info = Information(w)
    _falls(w, falls)
    first = np.full((len(falls), a.n), np.nan)
    for k in range(int(hours / dt)):
        w.t = k * dt
        info.step(w)
        for j in range(len(falls)):
            first[j, np.isnan(first[j]) & (info.known >= j + 1)] = w.t
    return w, info, first


@pytest.mark.parametrize("dt", [1.0, 0.5])
@pytest.mark.parametrize("tf", [5.0, 9.0])
def test_a_soldier_hears_of_a_fall_in_the_first_step_at_or_after_tf_plus_his_lag(dt, tf):
    """The step at clock t hears the news that reached soldiers in (t - dt, t]."""
    w, info, first = _hearing(dt, [tf])
    lag = w.army.news_lag.astype(float)
    np.testing.assert_array_equal(first[0], np.ceil((tf + lag) / dt) * dt)
    np.testing.assert_array_equal(info.known, 1.0)  # heard once, never twice
    np.testing.assert_allclose(info.news, 1.0 / 4.0)  # news_saturation 4


def test_two_falls_are_heard_one_after_the_other():
    w, info, first = _hearing(1.0, [5.0, 9.0])
    lag = w.army.news_lag.astype(float)
    np.testing.assert_array_equal(first[0], np.ceil(5.0 + lag))
    np.testing.assert_array_equal(first[1], np.ceil(9.0 + lag))
    np.testing.assert_array_equal(info.known, 2.0)
    np.testing.assert_allclose(info.news, 2.0 / 4.0)


def test_a_fall_counts_by_the_share_of_the_army_it_held():
    w = world({"news_saturation": 0.25})
    w.army.news_lag[:] = 0.5
    info = Information(w)
    _falls(w, [0.0], share=0.15)
    w.t = 1.0
    info.step(w)
    np.testing.assert_allclose(info.known, 0.15, rtol=1e-6)
    np.testing.assert_allclose(info.news, 0.15 / 0.25, rtol=1e-6)


def test_news_saturates_at_news_saturation_falls():
    w = world({"news_saturation": 1.5})
    w.army.news_lag[:] = 0.5
    info = Information(w)
    _falls(w, [0.0, 0.0, 0.0])
    w.t = 1.0
    info.step(w)
    np.testing.assert_array_equal(info.known, 3.0)
    np.testing.assert_array_equal(info.news, 1.0)
    assert w.soldier_inputs["news"] is info.news  # what the decision reads


def test_the_unit_part_of_collapse_counts_visible_departures_and_the_officer_signal():
    eng = engine()
    w = eng.world
    a = w.army
    unit = 3
    gone = w.members(np.array([unit]))[5:15]
    w.move(gone, DESERTING)
    w.officer_signal = np.zeros(a.n_units)
    w.officer_signal[unit] = 0.5
    part(eng, Information).step(w)
    part_c = w.unit_inputs["collapse"]
    assert part_c[unit] == pytest.approx(0.5 * 10 / a.unit_size0[unit]
                                         + w.p.collapse_officers * 0.5, rel=1e-6)
    others = np.arange(a.n_units) != unit
    np.testing.assert_array_equal(part_c[others], 0.0)


def test_with_information_off_nothing_is_seen_or_heard():
    eng = engine({"mechanisms.information": False})
    w = eng.world
    w.move(w.members(np.array([0, 1])), DESERTING)
    w.officer_signal = np.ones(w.army.n_units)
    _falls(w, [0.0])
    info = part(eng, Information)
    for k in range(30):
        w.t = float(k)
        info.step(w)
    np.testing.assert_array_equal(w.unit_inputs["collapse"], 0.0)
    np.testing.assert_array_equal(info.news, 0.0)
    w.calm = np.float32(1.0)
    wt = weights(w)
    assert wt.collapse_friends == 0.0 and wt.collapse_news == 0.0
    w.on["information"] = True
    wt = weights(w)
    assert wt.collapse_friends == f32(w.p.collapse_friends)
    assert wt.collapse_news == f32(w.p.collapse_news) > 0
