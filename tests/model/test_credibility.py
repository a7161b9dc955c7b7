"""Promises and credibility (ODD 7.4): B = credibility x the strongest promise in force; at
its deadline a kept promise gives c + gain (1 - c), a broken one c (1 - loss)."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import REAR, TOWN, engine, part

from rout.model import credibility
from rout.model.credibility import (
    ActivePromise,
    Credibility,
    expected_backup,
    promise_level,
    settle,
)
from rout.model.events import Events

f32 = np.float32


def test_settle_a_kept_promise_raises_credibility_toward_one():
    c = np.array([0.2, 0.5, 0.9, 0.0], dtype=np.float32)
    settle(c, np.array([True, False, True, True]), kept=True, gain=0.3, loss=0.5)
    np.testing.assert_allclose(c, [0.2 + 0.3 * 0.8, 0.5, 0.9 + 0.3 * 0.1, 0.3], rtol=1e-6)


def test_settle_a_broken_promise_cuts_credibility_by_the_loss():
    c = np.array([0.2, 0.5, 0.9, 1.0], dtype=np.float32)
    settle(c, np.array([True, False, True, True]), kept=False, gain=0.3, loss=0.5)
    np.testing.assert_allclose(c, [0.1, 0.5, 0.45, 0.5], rtol=1e-6)
    assert c.dtype == np.float32


def _promise(level: float, places: list[bool], deadline: float = 10.0, real: bool = False):
    return ActivePromise(level, np.array(places), deadline, real, None, "")


def test_promise_level_takes_the_strongest_promise_at_each_place():
    promises = [_promise(0.4, [True, True, False]), _promise(0.7, [False, True, True]),
                _promise(0.2, [True, True, True])]
    np.testing.assert_allclose(promise_level(promises, 3), [0.4, 0.7, 0.7], rtol=1e-6)
    np.testing.assert_array_equal(promise_level([], 3), 0.0)


def test_expected_backup_is_credibility_times_level():
    assert float(expected_backup(f32(0.5), f32(0.8))) == pytest.approx(0.4, rel=1e-6)
    assert float(expected_backup(f32(0.0), f32(1.0))) == 0.0


def _deadline_run(deadline_hour: float, over: dict | None = None, real: bool = False,
                  hours: int = 14):
    """Events and Credibility stepped by hand over a promise at Town made at hour 0."""
    event = {"day": 0.0, "kind": "promise", "places": ["Town"], "level": 0.8,
             "deadline_day": deadline_hour / 24.0, "real": real}
    eng = engine({"events": [event], **(over or {})})
    w, ev, cred = eng.world, part(eng, Events), part(eng, Credibility)
    a = w.army
    start = a.credibility.copy()
    levels, settled = [], None
    for k in range(hours):
        w.t = float(k)
        ev.step(w)
        cred.step(w)
        levels.append(w.unit_inputs["level"].copy())
        if settled is None and not w.promises and k > 0:
            settled = k
    return w, start, levels, settled


def test_a_promise_is_believed_at_its_places_until_its_deadline_step():
    w, start, levels, settled = _deadline_run(10.5)
    town = w.army.unit_place == TOWN
    for k in range(10):
        np.testing.assert_allclose(levels[k][town], 0.8, rtol=1e-6)
        np.testing.assert_array_equal(levels[k][~town], 0.0)
    np.testing.assert_array_equal(levels[10], 0.0)  # settled at the start of step 10


@pytest.mark.parametrize("deadline", [10.0, 10.5, 10.99])
def test_a_promise_is_settled_in_the_step_its_deadline_falls_in(deadline):
    w, start, _, settled = _deadline_run(deadline)
    assert settled == 10  # the step [10, 11) holds the deadline
    (broken,) = [e for e in w.log if e["kind"] == "promise_broken"]
    assert broken["t_hours"] == 10.0
    a = w.army
    town = w.soldier_place(np.arange(a.n)) == TOWN
    np.testing.assert_allclose(a.credibility[town], start[town] * f32(0.5), rtol=1e-6)
    np.testing.assert_array_equal(a.credibility[~town], start[~town])
    assert w.mean_credibility == pytest.approx(float(a.credibility.mean()), rel=1e-6)


def test_the_backup_real_lever_makes_a_false_promise_kept():
    w, start, _, settled = _deadline_run(6.0, {"backup_real": True})
    assert settled == 6
    assert "promise_kept" in [e["kind"] for e in w.log]
    a = w.army
    town = w.soldier_place(np.arange(a.n)) == TOWN
    np.testing.assert_allclose(a.credibility[town], start[town] + f32(0.3) * (1 - start[town]),
                               rtol=1e-6)
    np.testing.assert_array_equal(a.credibility[~town], start[~town])


ALLY = {"backers": [{"name": "ally", "reinforcement": 200.0,
                     "commitment": [{"day": 0.0, "value": 0.5}]}]}


def test_a_kept_real_promise_leaves_the_backers_reinforcement_at_its_places():
    w, *_ = _deadline_run(3.0, {**ALLY, "backer_commitment": 2.0}, real=True)
    # level 0.8 x reinforcement 200 x commitment 0.5 x lever 2
    assert w.extra_power[TOWN] == pytest.approx(0.8 * 200 * 0.5 * 2.0)
    assert w.extra_power[REAR] == 0.0
    w, *_ = _deadline_run(3.0, {**ALLY, "mechanisms.backers": False}, real=True)
    np.testing.assert_array_equal(w.extra_power, 0.0)
    assert "promise_kept" in [e["kind"] for e in w.log]


def test_with_credibility_off_promises_have_no_effect():
    w, start, levels, _ = _deadline_run(3.0, {"mechanisms.credibility": False})
    assert all((lv == 0).all() for lv in levels)
    np.testing.assert_array_equal(w.army.credibility, start)
    assert w.log == [] and w.promises == []
    credibility.settle_at(w, np.ones(w.n_places, dtype=bool), kept=False)
    np.testing.assert_array_equal(w.army.credibility, start)
