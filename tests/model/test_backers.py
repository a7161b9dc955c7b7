"""Backers (ODD 7.11): commitment c_b(t) interpolates the dated points (times the lever); air
support a = sum_b air_support_b c_b(t); reinforcement R(t) = sum_b reinforcement_b c_b(t)."""

from __future__ import annotations

import pytest
from worlds import engine, part

from rout.model.backers import Backers, air_support, commitment, reinforcement
from rout.scenario.schema import Backer


def _backer(name: str, points: list[tuple[float, float]], air: float = 0.0,
            soldiers: float = 0.0) -> Backer:
    return Backer(name=name, air_support=air, reinforcement=soldiers,
                  commitment=[{"day": d, "value": v} for d, v in points])


RUSSIA = _backer("russia", [(6.0, 0.2), (2.0, 1.0)], air=3.0, soldiers=100.0)  # unsorted
IRAN = _backer("iran", [(0.0, 0.5)], air=1.0, soldiers=400.0)


@pytest.mark.parametrize(("day", "value"), [
    (0.0, 1.0), (2.0, 1.0),       # before the first point: its value
    (3.0, 0.8), (4.0, 0.6), (5.5, 0.3),
    (6.0, 0.2), (30.0, 0.2),      # after the last: its value
])
def test_commitment_interpolates_linearly_and_holds_the_end_values(day, value):
    assert commitment(RUSSIA, day) == pytest.approx(value)
    assert commitment(IRAN, day) == 0.5


def test_air_support_sums_the_backers_with_the_lever():
    # day 4: russia 3 x 0.6, iran 1 x 0.5
    assert air_support([RUSSIA, IRAN], 4.0, 1.0) == pytest.approx(1.8 + 0.5)
    assert air_support([RUSSIA, IRAN], 4.0, 2.0) == pytest.approx(2 * 2.3)
    assert air_support([], 4.0, 1.0) == 0.0


def test_reinforcement_sums_all_backers_or_the_one_named():
    assert reinforcement([RUSSIA, IRAN], 4.0, 1.0, None) == pytest.approx(60.0 + 200.0)
    assert reinforcement([RUSSIA, IRAN], 4.0, 0.5, "iran") == pytest.approx(100.0)
    assert reinforcement([RUSSIA, IRAN], 4.0, 1.0, "nobody") == 0.0


OVER = {"backers": [{"name": "russia", "air_support": 3.0, "reinforcement": 100.0,
                     "commitment": [{"day": 0.0, "value": 1.0}, {"day": 1.0, "value": 0.0}]}],
        "backer_commitment": 2.0, "reinforcement_effort": 0.5}


def test_the_submodel_sets_the_days_air_support_and_backing():
    eng = engine(OVER)
    w, sub = eng.world, part(eng, Backers)
    w.t = 6.0  # day 0.25: commitment 0.75, x lever 2
    sub.step(w)
    assert w.air == pytest.approx(3.0 * 0.75 * 2.0)
    assert w.backing == pytest.approx(0.5 * 100.0 * 0.75 * 2.0)


def test_with_backers_off_there_is_no_air_support_nor_backing():
    eng = engine({**OVER, "mechanisms.backers": False})
    w = eng.world
    w.air = w.backing = 9.0
    part(eng, Backers).step(w)
    assert w.air == 0.0 and w.backing == 0.0
