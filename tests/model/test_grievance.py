"""Legitimacy and grievance (ODD 7.3): L = legitimacy x affinity_g, G = H (1 - L); loyalty
(7.7) = affinity_g + loyalty_r + officer_loyalty for officers and generals."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import CONSCRIPT, GENERAL, NCO, OFFICER, engine, part

from rout.model.economy import Economy, pay_raise
from rout.model.grievance import Grievance, grievance, legitimacy, loyalty
from rout.scenario.schema import PayRaise


def test_grievance_by_hand_for_two_groups():
    affinity = np.array([0.8, 0.3], dtype=np.float32)
    group = np.array([0, 1, 1, 0], dtype=np.int8)
    legit = legitimacy(0.5, affinity, group)
    np.testing.assert_allclose(legit, [0.4, 0.15, 0.15, 0.4], rtol=1e-6)
    h = np.array([0.5, 0.5, 1.0, 0.0], dtype=np.float32)
    np.testing.assert_allclose(grievance(h, legit), [0.3, 0.425, 0.85, 0.0], rtol=1e-6)


def test_full_legitimacy_excuses_all_hardship_and_none_excuses_nothing():
    h = np.array([0.2, 0.9], dtype=np.float32)
    one = legitimacy(1.0, np.array([1.0], dtype=np.float32), np.zeros(2, dtype=np.int8))
    zero = legitimacy(0.0, np.array([1.0], dtype=np.float32), np.zeros(2, dtype=np.int8))
    np.testing.assert_array_equal(grievance(h, one), [0.0, 0.0])
    np.testing.assert_allclose(grievance(h, zero), h)


def test_the_submodel_gives_each_soldier_his_groups_grievance():
    # garrison: legitimacy 0.3; core affinity 0.8 -> 1 - L = 0.76, other 0.3 -> 0.91
    eng = engine()
    w = eng.world
    part(eng, Economy).step(w)
    part(eng, Grievance).step(w)
    g = w.soldier_inputs["grievance"]
    excused = np.where(w.army.group == 0, 0.76, 0.91)
    np.testing.assert_allclose(g, w.hardship * excused, rtol=1e-5)
    assert g.max() > 0.5 and not w.hardship_changed


def test_grievance_follows_a_pay_raise():
    eng = engine()
    w, eco, griev = eng.world, part(eng, Economy), part(eng, Grievance)
    eco.step(w)
    griev.step(w)
    before = w.soldier_inputs["grievance"].copy()
    pay_raise(w, PayRaise(kind="pay_raise", day=0.0, percent=100.0, ranks=["conscript"]))
    eco.step(w)
    griev.step(w)
    after = w.soldier_inputs["grievance"]
    conscript = w.army.rank == CONSCRIPT
    assert (after[conscript] < before[conscript]).all()
    np.testing.assert_array_equal(after[~conscript], before[~conscript])


@pytest.mark.parametrize("lever", [0.0, 0.5])
def test_loyalty_adds_affinity_rank_loyalty_and_the_officer_lever(lever):
    eng = engine({"officer_loyalty": lever})
    w = eng.world
    # garrison: affinity core 0.8, other 0.3; rank loyalty 0.1 for officers, 0 elsewhere
    table = np.zeros((4, 2))
    table[CONSCRIPT] = table[NCO] = [0.8, 0.3]
    table[OFFICER] = [0.8 + 0.1 + lever, 0.3 + 0.1 + lever]
    table[GENERAL] = [0.8 + lever, 0.3 + lever]
    expected = table[w.army.rank, w.army.group]
    np.testing.assert_allclose(loyalty(w), expected, rtol=1e-6)
    np.testing.assert_allclose(w.soldier_inputs["loyalty"], expected, rtol=1e-6)


def test_with_grievance_off_g_is_zero_and_loyalty_still_holds():
    eng = engine({"mechanisms.grievance": False})
    w = eng.world
    part(eng, Economy).step(w)
    part(eng, Grievance).step(w)
    assert w.hardship.max() > 0.5
    np.testing.assert_array_equal(w.soldier_inputs["grievance"], 0.0)
    assert w.soldier_inputs["loyalty"].min() >= 0.3 - 1e-6
