"""Economy (ODD 7.2): prices P(t) = P0 (1 + inflation)^(t / 720 h) and hardship
H = clip(1 - (pay / P) / need, 0, 1)."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import CONSCRIPT, GENERAL, NCO, OFFICER, engine, part, upto

from rout.model.economy import Economy, hardship, pay_raise, price_level
from rout.scenario.schema import PayRaise

INFLATION = {"regime": {"legitimacy": 0.3, "price_level": 2.0, "inflation": 0.5}}


def test_price_level_compounds_monthly_inflation():
    assert price_level(2.0, 0.1, 0.0) == 2.0
    assert price_level(2.0, 0.1, 30 * 24.0) == pytest.approx(2.2, rel=1e-12)
    assert price_level(2.0, 0.1, 15 * 24.0) == pytest.approx(2.0 * np.sqrt(1.1), rel=1e-12)
    assert price_level(1.0, 0.1, 60 * 24.0) == pytest.approx(1.21, rel=1e-12)
    assert price_level(3.0, 0.0, 1000.0) == 3.0


def test_hardship_is_the_share_of_need_pay_leaves_uncovered_clipped_to_0_1():
    pay = np.array([0.0, 50.0, 100.0, 150.0, 200.0, 500.0], dtype=np.float32)
    need = np.full(6, 100.0, dtype=np.float32)
    # real pay at price 2: 0, 25, 50, 75, 100, 250 of a need of 100
    h = hardship(pay, need, 2.0)
    np.testing.assert_allclose(h, [1.0, 0.75, 0.5, 0.25, 0.0, 0.0], atol=1e-7)
    assert h.min() >= 0.0 and h.max() <= 1.0


def test_hardship_in_between_is_one_minus_pay_over_price_times_need():
    rng = np.random.default_rng(3)
    need = rng.uniform(80.0, 300.0, 50).astype(np.float32)
    pay = (rng.uniform(0.05, 0.95, 50) * 1.7 * need).astype(np.float32)
    h = hardship(pay, need, 1.7)
    np.testing.assert_allclose(h, 1.0 - pay.astype(float) / (1.7 * need), rtol=1e-5)
    assert ((h > 0) & (h < 1)).all()


def _expected(w, price: float, mult: np.ndarray | None = None) -> np.ndarray:
    """Hardship of every soldier from the rank pay in the scenario, by hand (float64)."""
    pay_by_rank = np.array([40.0, 60.0, 90.0, 200.0])  # garrison: conscript, nco, officer, general
    if mult is not None:
        pay_by_rank = pay_by_rank * mult
    pay = pay_by_rank[w.army.rank]
    return np.clip(1.0 - pay / (price * w.army.need.astype(float)), 0.0, 1.0)


def test_the_economy_prices_hardship_daily_at_the_inflated_price():
    eng = engine(INFLATION)
    w, eco = eng.world, part(eng, Economy)
    eco.step(w)
    np.testing.assert_allclose(w.hardship, _expected(w, 2.0), atol=1e-6)
    assert 0.0 < w.hardship.mean() < 1.0
    first = w.hardship
    w.hardship_changed = False
    w.t = 23.0  # same day, no pay change: nothing recomputed
    eco.step(w)
    assert w.hardship is first and not w.hardship_changed
    w.t = 30 * 24.0  # a month on: prices x 1.5
    eco.step(w)
    assert w.hardship_changed
    np.testing.assert_allclose(w.hardship, _expected(w, 3.0), atol=1e-6)
    assert w.hardship.mean() > first.mean()


def test_the_pay_multiplier_lever_multiplies_every_rank_pay():
    eng = engine({**INFLATION, "pay_multiplier": 2.5})
    w = eng.world
    upto(eng, Economy)
    np.testing.assert_allclose(w.pay_mult, 2.5)
    np.testing.assert_allclose(w.hardship, _expected(w, 2.0, np.full(4, 2.5)), atol=1e-6)


def test_a_pay_raise_multiplies_only_the_listed_ranks_and_marks_hardship():
    eng = engine(INFLATION)
    w, eco = eng.world, part(eng, Economy)
    eco.step(w)
    before = w.hardship.copy()
    assert not w.pay_changed
    w.t = 5.0
    pay_raise(w, PayRaise(kind="pay_raise", day=0.0, percent=50.0, ranks=["conscript", "nco"]))
    mult = np.ones(4)
    mult[[CONSCRIPT, NCO]] = 1.5
    np.testing.assert_allclose(w.pay_mult, mult)
    assert w.pay_changed
    assert [e["kind"] for e in w.log] == ["pay_raise"]
    eco.step(w)  # the same day: recomputed all the same
    assert not w.pay_changed and w.hardship_changed
    np.testing.assert_allclose(w.hardship, _expected(w, price_level(2.0, 0.5, 5.0), mult),
                               atol=1e-6)
    raised = np.isin(w.army.rank, [CONSCRIPT, NCO])
    assert (w.hardship[raised] < before[raised]).any()
    np.testing.assert_allclose(w.hardship[~raised],
                               _expected(w, price_level(2.0, 0.5, 5.0))[~raised], atol=1e-6)
    assert np.isin(w.army.rank[~raised], [OFFICER, GENERAL]).all()


def test_pay_raises_compound():
    eng = engine()
    w = eng.world
    for pct in (50.0, -20.0):
        pay_raise(w, PayRaise(kind="pay_raise", day=0.0, percent=pct, ranks=["officer"]))
    assert w.pay_mult[OFFICER] == pytest.approx(1.5 * 0.8, rel=1e-6)
    assert w.pay_mult[CONSCRIPT] == 1.0


def test_with_economy_off_prices_and_pay_stay_as_at_the_start():
    eng = engine({**INFLATION, "mechanisms.economy": False})
    w, eco = eng.world, part(eng, Economy)
    eco.step(w)
    start = w.hardship.copy()
    w.t = 60 * 24.0
    eco.step(w)
    np.testing.assert_array_equal(w.hardship, start)
    np.testing.assert_allclose(start, _expected(w, 2.0), atol=1e-6)
    pay_raise(w, PayRaise(kind="pay_raise", day=0.0, percent=50.0))
    np.testing.assert_array_equal(w.pay_mult, np.ones(4))
    assert not w.pay_changed and w.log == []
