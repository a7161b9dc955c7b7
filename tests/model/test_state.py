"""The army as arrays (ODD 2 and 5): units as contiguous slices led by their highest rank,
counts by largest remainder, the scenario's distributions, the friendship network."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import GENERAL, REAR, TOWN, scenario, world

from rout.model.registry import ON_DUTY, ON_LEAVE, STATES
from rout.model.state import VISIBLE, _counts, _csr, beta_mean, rank_table, sample
from rout.model.world import World
from rout.scenario.schema import Dist


def test_visible_states_are_the_registrys():
    assert VISIBLE.tolist() == [int(s.visible) for s in STATES]


@pytest.mark.parametrize(("shares", "n", "expected"), [
    ([0.6, 0.25, 0.14, 0.01], 2400, [1440, 600, 336, 24]),
    ([1 / 3, 1 / 3, 1 / 3], 10, [4, 3, 3]),        # the remainder goes to the largest part
    ([0.5, 0.3, 0.2], 7, [4, 2, 1]),               # raw 3.5, 2.1, 1.4
    ([0.8, 0.2], 0, [0, 0]),
])
def test_counts_by_largest_remainder(shares, n, expected):
    got = _counts(np.array(shares), n)
    assert got.tolist() == expected and got.sum() == n


def test_csr_groups_edges_by_source_keeping_their_order():
    src = np.array([2, 0, 2, 1, 0])
    dst = np.array([1, 2, 0, 2, 1])
    indptr, indices = _csr(src, dst, 3)
    assert indptr.tolist() == [0, 2, 3, 5]
    assert indices.tolist() == [2, 1, 2, 1, 0]


def test_sample_draws_each_kind_of_distribution_as_documented():
    def draw(**kw):
        return sample(Dist(**kw), 5, np.random.default_rng(9))

    def rng():
        return np.random.default_rng(9)

    np.testing.assert_array_equal(draw(kind="constant", value=2.5), 2.5)
    np.testing.assert_allclose(draw(kind="normal", mean=1.0, sd=0.5),
                               rng().normal(1.0, 0.5, 5), rtol=1e-6)
    np.testing.assert_allclose(draw(kind="lognormal", median=3.0, sigma=0.4),
                               3.0 * np.exp(rng().normal(0.0, 0.4, 5)), rtol=1e-6)
    np.testing.assert_allclose(draw(kind="uniform", low=-1.0, high=2.0),
                               rng().uniform(-1.0, 2.0, 5), rtol=1e-6)
    np.testing.assert_allclose(draw(kind="beta", mean=0.3, concentration=4.0),
                               rng().beta(1.2, 2.8, 5), rtol=1e-6)
    np.testing.assert_array_equal(draw(kind="poisson", mean=2.0), rng().poisson(2.0, 5))
    assert draw(kind="normal", mean=1.0, sd=0.5).dtype == np.float32


def test_beta_mean_has_the_rows_means():
    mean = np.repeat([0.2, 0.7], 20000)
    x = beta_mean(mean, 6.0, np.random.default_rng(0))
    for m in (0.2, 0.7):
        sd = np.sqrt(m * (1 - m) / 7.0 / 20000)  # var of Beta with concentration 6
        assert abs(x[mean == m].mean() - m) < 4 * sd


def test_ranks_are_the_scenarios_own_in_the_order_it_lists_them():
    sc = scenario({"army.ranks": {"volunteer": {"share": 0.9, "pay": 40},
                                  "commander": {"share": 0.1, "pay": 200, "enforcer": True,
                                                "headquarters": True}},
                   "track": []})
    assert rank_table(sc, "pay").tolist() == [40.0, 200.0]
    w = World(sc, np.random.default_rng(0))
    assert w.ranks == ["volunteer", "commander"]
    a = w.army
    # the commanders sit in each place's headquarters, the first unit there
    hq = a.unit_place[a.unit[a.rank == 1]]
    first = {p: a.unit[a.unit_place[a.unit] == p].min() for p in np.unique(hq)}
    assert all(a.unit[i] == first[a.unit_place[a.unit[i]]] for i in np.flatnonzero(a.rank == 1))


def test_units_are_contiguous_slices_led_by_their_highest_rank():
    w = world()
    a = w.army
    assert (np.diff(a.unit) >= 0).all()
    np.testing.assert_array_equal(a.unit_end - a.unit_start, np.bincount(a.unit))
    np.testing.assert_array_equal(a.unit_start[1:], a.unit_end[:-1])
    for u in range(a.n_units):
        ranks = a.rank[a.unit_start[u]:a.unit_end[u]]
        assert ranks[0] == ranks.max()
        assert (np.diff(ranks.astype(int)) <= 0).all()
    np.testing.assert_array_equal(w.commander, a.unit_start)
    np.testing.assert_array_equal(a.unit_size0, np.bincount(a.unit))


def test_the_garrison_and_ranks_at_each_place_follow_the_shares():
    w = world()
    a = w.army
    place = w.soldier_place(np.arange(a.n))
    assert np.bincount(place).tolist() == [2400, 600]  # garrison shares 0.8, 0.2
    # ranks 0.6, 0.25, 0.14, 0.01 at each place
    assert np.bincount(a.rank[place == TOWN]).tolist() == [1440, 600, 336, 24]
    assert np.bincount(a.rank[place == REAR]).tolist() == [360, 150, 84, 6]
    enforcer = w.enforcer[a.rank]
    np.testing.assert_array_equal(a.unit_enforcers0,
                                  np.bincount(a.unit, weights=enforcer).astype(int))


def test_each_place_has_a_headquarters_over_its_other_units_holding_its_generals():
    w = world()
    a = w.army
    for p in (TOWN, REAR):
        units = np.flatnonzero(a.unit_place == p)
        (hq,) = units[a.unit_parent[units] < 0]
        np.testing.assert_array_equal(a.unit_parent[units[units != hq]], hq)
        generals = np.flatnonzero((a.rank == GENERAL) & (w.soldier_place(np.arange(a.n)) == p))
        np.testing.assert_array_equal(a.unit[generals], hq)
        assert a.rank[a.unit_start[hq]] == GENERAL


def test_the_friendship_network_is_symmetric_without_self_ties():
    w = world({"friends_in_unit": 3, "friends_outside": 1})
    a = w.army
    src = np.repeat(np.arange(a.n), np.diff(a.friends_indptr))
    dst = a.friends_indices.astype(np.int64)
    assert (src != dst).all()
    fwd = np.sort(src * a.n + dst)
    back = np.sort(dst * a.n + src)
    np.testing.assert_array_equal(fwd, back)
    np.testing.assert_array_equal(a.degree, np.diff(a.friends_indptr))
    # k_in + k_out ties named by each, as many named him: 8 on average, less self ties
    assert 7.5 < a.degree.mean() <= 8.0
    in_unit = a.unit[src] == a.unit[dst]
    assert 0.7 < in_unit.mean() < 0.8  # three of the four ties a soldier names


def test_the_draws_of_the_army_follow_the_scenario():
    w = world({"army.on_leave": 0.25, "army.non_military_id": 0.4})
    a = w.army
    n = a.n
    assert abs((a.state == ON_LEAVE).mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    assert set(np.unique(a.state)) == {ON_DUTY, ON_LEAVE}
    assert abs(a.civ_id.mean() - 0.4) < 4 * np.sqrt(0.24 / n)
    # need = 80 + 30 x Poisson(2) dependents (garrison)
    dependents = (a.need - 80.0) / 30.0
    np.testing.assert_allclose(dependents, np.round(dependents), atol=1e-4)
    assert abs(dependents.mean() - 2.0) < 4 * np.sqrt(2.0 / n)
    assert a.risk.min() >= 0.0 and a.risk.max() <= 1.0
    assert (a.threshold >= 0).all()
    np.testing.assert_array_equal(a.effort, (a.state == ON_DUTY).astype(np.float32))
    np.testing.assert_array_equal(a.unit_gone, 0)  # on leave is not a visible departure
    np.testing.assert_array_equal(a.friend_gone, 0.0)
