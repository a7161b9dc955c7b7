"""Checkpoints (ODD 7.8): a deserter from p meets Poisson(checkpoints_p x density) checkpoints,
one an hour; each stops him with checkpoint_stop x (1 - gone_p) x (1 - id_pass if civilian ID);
a stopped one is jailed (checkpoint_jail) or returned to duty; past the last he is home."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import CONSCRIPT, REAR, TOWN, engine, part, where, within

from rout.model.checkpoints import Checkpoints, assign_route, route, stop_probability
from rout.model.registry import DESERTED, DESERTING, JAILED, ON_DUTY


def test_stop_probability_by_hand():
    p = stop_probability(0.3, np.array([0.0, 0.5, 0.0, 0.5, 1.0]),
                         np.array([False, False, True, True, False]), 0.7)
    np.testing.assert_allclose(p, [0.3, 0.15, 0.09, 0.045, 0.0], rtol=1e-12)


def test_route_has_the_poisson_mean():
    n = 40000
    cps = np.where(np.arange(n) % 2 == 0, 2.0, 1.0)
    k = route(cps, 1.5, np.random.default_rng(3))
    assert k.dtype == np.int16
    for c in (2.0, 1.0):
        m = 1.5 * c
        x = k[cps == c]
        assert abs(x.mean() - m) < 4 * np.sqrt(m / x.size)
        assert abs(x.var() - m) < 0.1 * m  # Poisson: variance = mean
    np.testing.assert_array_equal(route(np.zeros(10), 3.0, np.random.default_rng(0)), 0)


def test_new_deserters_get_routes_from_their_places_checkpoints():
    # garrison: Town has 2 checkpoints, Rear 1
    eng = engine({"checkpoint_density": 2.0})
    w = eng.world
    idx = where(w)
    assign_route(w, idx)
    place = w.soldier_place(idx)
    for p, mean in ((TOWN, 4.0), (REAR, 2.0)):
        x = w.army.checkpoints_left[idx[place == p]]
        assert abs(x.mean() - mean) < 4 * np.sqrt(mean / x.size)
    off = engine({"mechanisms.checkpoints": False})
    off.world.army.checkpoints_left[:] = 5
    assign_route(off.world, where(off.world))
    np.testing.assert_array_equal(off.world.army.checkpoints_left[where(off.world)], 0)


def test_a_deserter_past_his_last_checkpoint_is_home_the_next_step():
    eng = engine({"checkpoint_stop": 0.0})
    w, cp = eng.world, part(eng, Checkpoints)
    a = w.army
    idx = where(w, rank=CONSCRIPT)[:30]
    w.move(idx, DESERTING)
    a.checkpoints_left[idx] = np.repeat([0, 1, 2], 10)
    home = []
    for k in range(3):
        w.t = float(k)
        cp.step(w)
        state = a.state[idx].reshape(3, 10)
        home.append((state == DESERTED).mean(axis=1).tolist())
        assert np.isin(a.state[idx], [DESERTING, DESERTED]).all()
    # none left: home in the first step; one left: passes it, home in the second; two: third
    assert home == [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    assert (a.checkpoints_left[idx] == 0).all()


def test_with_checkpoints_off_a_deserter_is_home_the_next_step():
    eng = engine({"mechanisms.checkpoints": False, "checkpoint_stop": 1.0})
    w = eng.world
    idx = where(w, rank=CONSCRIPT)[:30]
    assign_route(w, idx)
    w.move(idx, DESERTING)
    part(eng, Checkpoints).step(w)
    np.testing.assert_array_equal(w.army.state[idx], DESERTED)


@pytest.mark.parametrize("seed", [0, 1])
def test_stopped_deserters_are_jailed_or_returned_in_the_documented_shares(seed):
    stop, id_pass, jail = 0.8, 0.5, 0.3
    eng = engine({"checkpoint_stop": stop, "checkpoint_id_pass": id_pass,
                  "checkpoint_jail": jail}, seed)
    w = eng.world
    a = w.army
    town = where(w, place=TOWN)
    deserters = np.concatenate([town[::2], where(w, place=REAR)[::4]])
    w.move(deserters, DESERTING)
    a.checkpoints_left[deserters] = 3
    # staff gone: Town half its garrison, Rear a quarter
    size = w.per_place(a.unit_size0)
    gone = np.bincount(w.soldier_place(deserters), minlength=2) / size
    part(eng, Checkpoints).step(w)
    state = a.state[deserters]
    stopped = state != DESERTING
    assert set(np.unique(state)) == {DESERTING, JAILED, ON_DUTY}
    place, civ = w.soldier_place(deserters), a.civ_id[deserters]
    for p in (TOWN, REAR):
        for c in (False, True):
            sel = (place == p) & (civ == c)
            expected = stop * (1 - gone[p]) * (1 - id_pass if c else 1.0)
            assert within(stopped[sel].sum(), int(sel.sum()), expected)
    jailed = (state == JAILED).sum()
    assert within(jailed, int(stopped.sum()), jail)
    # those not stopped passed one checkpoint
    np.testing.assert_array_equal(a.checkpoints_left[deserters[~stopped]], 2)
