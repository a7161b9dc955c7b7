"""Officers and the chain of command (ODD 7.9):
O_u = min(1, fled_u / enforcers0_u + officer_signal_decay x O_parent(u))."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import GENERAL, OFFICER, REAR, TOWN, engine, part, where

from rout.model.command import Officers, officer_signal, report_flight
from rout.model.registry import FLED

# root 0; children 1 and 2; grandchildren 3 (of 1) and 4 (of 2)
PARENT = np.array([-1, 0, 0, 1, 2])
ENFORCERS0 = np.array([4, 2, 2, 2, 2])


def test_the_signal_flows_down_the_tree_by_hand():
    fled = np.array([2, 1, 0, 0, 1])  # own shares 0.5, 0.5, 0, 0, 0.5
    # O0 = 0.5; O1 = 0.5 + 0.5 x 0.5 = 0.75; O2 = 0.25; O3 = 0.375; O4 = 0.5 + 0.125 = 0.625
    np.testing.assert_allclose(officer_signal(fled, ENFORCERS0, PARENT, 0.5),
                               [0.5, 0.75, 0.25, 0.375, 0.625])


def test_the_signal_is_capped_at_one():
    fled = np.array([4, 2, 0, 0, 2])  # the root all gone, child 1 all gone, grandchild 4 too
    sig = officer_signal(fled, ENFORCERS0, PARENT, 0.5)
    assert sig.max() == 1.0
    np.testing.assert_allclose(sig[[0, 1, 2, 4]], [1.0, 1.0, 0.5, 1.0])


def test_a_grandchild_sees_its_parents_capped_signal():
    fled = np.array([4, 2, 0, 0, 0])  # O0 = 1, O1 = min(1, 1 + 0.5) = 1, so O3 = 0.5 x 1
    sig = officer_signal(fled, ENFORCERS0, PARENT, 0.5)
    assert sig[3] == pytest.approx(0.5)


def test_no_decay_means_only_the_units_own_flight_counts_and_roots_alone_work():
    fled = np.array([2, 1, 0, 0, 1])
    np.testing.assert_allclose(officer_signal(fled, ENFORCERS0, PARENT, 0.0),
                               [0.5, 0.5, 0.0, 0.0, 0.5])
    roots = np.array([-1, -1])
    np.testing.assert_allclose(officer_signal(np.array([1, 0]), np.array([4, 0]), roots, 0.5),
                               [0.25, 0.0])


def test_the_submodel_signals_the_flight_of_the_armys_officers():
    eng = engine({"officer_signal_decay": 0.5})
    w = eng.world
    a = w.army
    hq = int(np.flatnonzero((a.unit_parent < 0) & (a.unit_place == TOWN))[0])
    officers = w.members(np.array([hq]))
    officers = officers[w.enforcer[a.rank[officers]]][:10]
    w.move(officers, FLED)
    part(eng, Officers).step(w)
    own = 10 / a.unit_enforcers0[hq]
    assert w.officer_signal[hq] == pytest.approx(own)
    below = (a.unit_parent == hq)
    np.testing.assert_allclose(w.officer_signal[below], 0.5 * own)
    np.testing.assert_array_equal(w.officer_signal[a.unit_place == REAR], 0.0)
    off = engine({"mechanisms.officers": False})
    off.world.move(officers, FLED)
    part(off, Officers).step(off.world)
    np.testing.assert_array_equal(off.world.officer_signal, 0.0)


def test_report_flight_logs_generals_per_place_with_their_count():
    eng = engine()
    w = eng.world
    fled = np.concatenate([where(w, rank=GENERAL, place=TOWN)[:2],
                           where(w, rank=GENERAL, place=REAR)[:1]])
    w.move(fled, FLED)
    report_flight(w, fled)
    generals = [e for e in w.log if e["kind"] == "generals_fled"]
    assert [(e["place"], e["count"], e["detail"]) for e in generals] == [
        ("Town", 2, "2 generals fled"), ("Rear", 1, "1 general fled")]
    assert not [e for e in w.log if e["kind"] == "officers_fled"]


def test_officers_fled_is_logged_once_when_a_quarter_of_a_places_officers_have_fled():
    eng = engine()
    w = eng.world
    a = w.army
    town = where(w, rank=OFFICER, place=TOWN)
    total = int(a.unit_enforcers0[a.unit_place == TOWN].sum())
    quarter = int(np.ceil(0.25 * total))

    def flee(idx):
        w.move(idx, FLED)
        report_flight(w, idx)
        return [e["place"] for e in w.log if e["kind"] == "officers_fled"]

    assert flee(town[:quarter - 1]) == []
    assert flee(town[quarter - 1:quarter]) == ["Town"]
    assert flee(town[quarter:quarter + 20]) == ["Town"]  # not again
    assert w.officers_reported.tolist() == [True, False]
