"""Enforcement (ODD 7.6): P_u = 1 - exp(-k E_u / max(1, A_u)), N = exposure x P x (1 - amnesty),
and the amnesty table A_{p,r} = max over amnesties of their level."""

from __future__ import annotations

import math

import numpy as np
import pytest
from worlds import CONSCRIPT, GENERAL, NCO, OFFICER, REAR, TOWN, engine, part, where

from rout.model.combat import Combat, changed_sums
from rout.model.decision import COLUMNS, evaluate_soldiers
from rout.model.enforcement import (
    Enforcement,
    amnesty,
    arrest_probability,
    net_risk,
)
from rout.model.registry import DESERTING, FLED
from rout.model.state import EFFORT
from rout.scenario.schema import Amnesty

f32 = np.float32


def test_arrest_probability_against_the_closed_form():
    e = np.array([0.0, 1.0, 3.0, 5.0, 2.0, 0.5])
    act = np.array([1.0, 1.0, 2.0, 4.0, 0.0, 0.2])  # A below 1 counts as 1
    expected = [1 - math.exp(-2.3 * x) for x in (0.0, 1.0, 1.5, 1.25, 2.0, 0.5)]
    np.testing.assert_allclose(arrest_probability(e, act, 2.3), expected, rtol=1e-12)


def test_arrest_probability_with_the_floor_rounds_e_over_a_down():
    e = np.array([3.0, 5.0, 1.0, 7.9, 2.0])
    act = np.array([2.0, 4.0, 2.0, 2.0, 0.5])
    # E / max(1, A) = 1.5, 1.25, 0.5, 3.95, 2 -> 1, 1, 0, 3, 2
    expected = [1 - math.exp(-2.3 * x) for x in (1, 1, 0, 3, 2)]
    np.testing.assert_allclose(arrest_probability(e, act, 2.3, floor=True), expected,
                               rtol=1e-12)


def test_net_risk_is_exposure_times_p_times_what_amnesty_leaves():
    assert float(net_risk(f32(0.5), f32(0.6), f32(0.5))) == pytest.approx(0.15, rel=1e-6)
    assert float(net_risk(f32(0.5), f32(0.6), f32(1.0))) == 0.0
    assert float(net_risk(f32(0.8), f32(1.0), f32(0.0))) == pytest.approx(0.8, rel=1e-6)


def test_unit_sums_add_power_effort_and_the_enforcers_effort_per_flagged_unit():
    effort = np.array([1.0, 0.5, 1.0, 0.2, 0.7, 0.0, 1.0], dtype=np.float32)
    cv = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1.0], dtype=np.float32)
    enforcer = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0], dtype=np.float32)
    power, total, enforcers = np.full(3, -1.0), np.full(3, -1.0), np.full(3, -1.0)
    changed = np.array([EFFORT, EFFORT, 0], dtype=np.uint8)  # the third unit: nothing new
    changed_sums(effort, cv, enforcer, np.array([0, 3, 6]), np.array([3, 6, 7]), changed,
                 power, total, enforcers)
    np.testing.assert_allclose(power, [3.5, 0.9, -1.0])
    np.testing.assert_allclose(total, [2.5, 0.9, -1.0])
    np.testing.assert_allclose(enforcers, [1.5, 0.2, -1.0])
    assert not (changed & EFFORT).any()  # the flags are cleared


def test_the_submodel_gives_each_unit_epsteins_p_from_its_present_enforcers():
    eng = engine({"enforcement": 2.0, "arrest_k": 0.7})
    w = eng.world
    a = w.army
    rng = np.random.default_rng(1)
    a.effort[:] = rng.uniform(0.05, 1.0, a.n).astype(np.float32)
    officers = where(w, rank=OFFICER)
    w.move(officers[::5], FLED)  # no longer present: effort 0
    w.move(where(w, rank=CONSCRIPT)[::4], DESERTING)
    part(eng, Combat).step(w)  # the hour's sums of the enforcers' effort per unit
    part(eng, Enforcement).step(w)
    for u in range(a.n_units):
        s, e = a.unit_start[u], a.unit_end[u]
        enforcing = np.isin(a.rank[s:e], [OFFICER, GENERAL])
        e_u = 2.0 * float(a.effort[s:e][enforcing].sum())
        a_u = 1.0 + a.unit_gone[u]
        assert w.arrest[u] == pytest.approx(1 - math.exp(-0.7 * e_u / a_u), rel=1e-5)
    assert a.unit_gone.min() > 0
    np.testing.assert_array_equal(w.unit_inputs["arrest"], w.arrest.astype(np.float32))
    assert np.all(a.effort[officers[::5]] == 0)


def test_exposure_is_risk_aversion_times_severity_times_rank_exposure():
    eng = engine({"severity": 2.0})
    w = eng.world
    a = w.army
    rank_exposure = np.array([1.0, 1.0, 1.0, 0.3])  # garrison: generals 0.3
    np.testing.assert_allclose(w.soldier_inputs["exposure"], a.risk * 2.0 * rank_exposure[a.rank],
                               rtol=1e-6)


def test_the_amnesty_table_keeps_the_strongest_level_per_place_and_rank():
    eng = engine({"amnesty_effect": 0.6})
    w = eng.world
    amnesty(w, Amnesty(kind="amnesty", day=0.0, level=0.5, places=["Town"], ranks=["conscript"]))
    amnesty(w, Amnesty(kind="amnesty", day=0.0, level=0.3, ranks=["conscript", "nco"]))
    amnesty(w, Amnesty(kind="amnesty", day=0.0, level=0.9, places=["Rear"], ranks=["general"]))
    table = np.zeros((2, 4))
    table[TOWN, CONSCRIPT], table[REAR, CONSCRIPT] = 0.5, 0.3
    table[TOWN, NCO] = table[REAR, NCO] = 0.3
    table[REAR, GENERAL] = 0.9
    np.testing.assert_allclose(w.amnesty, table, rtol=1e-6)
    assert [e["kind"] for e in w.log] == ["amnesty"] * 3
    assert w.amnesty_changed
    np.testing.assert_array_equal(w.soldier_inputs["amnesty"], 0.0)  # not before the step
    part(eng, Enforcement).step(w)
    a = w.army
    place = w.soldier_place(np.arange(a.n))
    np.testing.assert_allclose(w.soldier_inputs["amnesty"], 0.6 * table[place, a.rank], rtol=1e-6)
    assert not w.amnesty_changed


def test_the_amnesty_reaches_the_decision_as_a_lower_net_risk():
    eng = engine()
    w = eng.world
    eng.step()
    amnesty(w, Amnesty(kind="amnesty", day=0.0, level=1.0, ranks=["conscript"]))
    part(eng, Enforcement).step(w)
    idx = where(w, rank=CONSCRIPT)[:20]
    rows = evaluate_soldiers(w, idx)
    s = w.soldier_inputs
    p = w.unit_inputs["arrest"][w.army.unit[idx]]
    risk = rows[:, COLUMNS.index("level_risk")]
    np.testing.assert_allclose(risk, s["exposure"][idx] * p * (1 - 0.6), rtol=1e-5)
    assert risk.max() > 0
    np.testing.assert_allclose(rows[:, COLUMNS.index("enforcement")], -risk)


@pytest.mark.parametrize("over", [{"mechanisms.amnesty": False}, {"amnesty_on": False}])
def test_with_amnesty_off_none_takes_effect(over):
    eng = engine(over)
    w = eng.world
    assert not w.on["amnesty"]
    amnesty(w, Amnesty(kind="amnesty", day=0.0, level=1.0))
    part(eng, Enforcement).step(w)
    np.testing.assert_array_equal(w.amnesty, 0.0)
    np.testing.assert_array_equal(w.soldier_inputs["amnesty"], 0.0)
    assert w.log == []


def test_with_enforcement_off_p_is_zero():
    eng = engine({"mechanisms.enforcement": False})
    w = eng.world
    part(eng, Enforcement).step(w)
    np.testing.assert_array_equal(w.arrest, 0.0)
    np.testing.assert_array_equal(w.unit_inputs["arrest"], 0.0)
    on = engine()
    part(on, Enforcement).step(on.world)
    assert on.world.arrest.min() > 0.9  # all present at full effort: P near 1
