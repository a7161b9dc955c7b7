"""Leaving, recall and fetching (ODD 7.7): an actor is seized with probability caught_leaving x P,
else buys leave (savings >= price, commander present and not himself, a draw under the unit's
corruptibility), else flees (officers, generals) or deserts; a recall brings back those with
W - N - T < 0, the rest are absent; an absentee is fetched with probability fetch_rate x P."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import CONSCRIPT, GENERAL, NCO, OFFICER, REAR, engine, part, where, within

from rout.model.leave import Recall, answers_recall, buys_leave, depart, recall
from rout.model.registry import (
    ABSENT,
    BRIBE,
    CAUGHT,
    DESERT,
    DESERTED,
    DESERTING,
    FLED,
    FLEE,
    IGNORED,
    JAILED,
    ON_DUTY,
    ON_LEAVE,
)
from rout.scenario.schema import Recall as RecallEvent


def _terms(k: int) -> np.ndarray:
    return np.zeros((k, 5), dtype=np.float32)


def _actions(w) -> np.ndarray:
    return np.concatenate([d["action"] for d in w.departures])


def test_a_seized_actor_goes_to_jail_when_p_is_one_and_caught_leaving_is_one():
    eng = engine({"caught_leaving": 1.0})
    w = eng.world
    w.arrest = np.ones(w.army.n_units)
    actors = np.concatenate([where(w, rank=CONSCRIPT)[:10], where(w, rank=OFFICER)[:3],
                             where(w, rank=GENERAL)[:1]])
    w.army.savings[actors] = 1e6  # could pay, but is seized first
    depart(w, actors, _terms(actors.size))
    np.testing.assert_array_equal(w.army.state[actors], JAILED)
    np.testing.assert_array_equal(_actions(w), CAUGHT)
    np.testing.assert_array_equal(w.army.savings[actors], 1e6)


def test_with_enforcement_off_nobody_is_seized():
    eng = engine({"caught_leaving": 1.0, "mechanisms.enforcement": False,
                  "mechanisms.leave": False})
    w = eng.world
    w.arrest = np.ones(w.army.n_units)
    actors = np.concatenate([where(w, rank=CONSCRIPT)[:10], where(w, rank=OFFICER)[:3]])
    depart(w, actors, _terms(actors.size))
    np.testing.assert_array_equal(w.army.state[actors[:10]], DESERTING)
    np.testing.assert_array_equal(w.army.state[actors[10:]], FLED)
    np.testing.assert_array_equal(_actions(w), [DESERT] * 10 + [FLEE] * 3)


def test_leave_is_bought_only_with_the_price_a_present_other_commander_and_a_corrupt_one():
    eng = engine({"army.bribe_price": 100.0, "mechanisms.enforcement": False})
    w = eng.world
    a = w.army
    w.move(np.flatnonzero(a.state != ON_DUTY), ON_DUTY)  # every commander present
    a.unit_corruptibility[:] = 1.0  # every draw is under it ...
    a.unit_corruptibility[9] = 0.0  # ... but in unit 9, none is

    def soldier(unit: int, rank: int, k: int = 0) -> int:
        m = w.members(np.array([unit]))
        return int(m[(a.rank[m] == rank) & (m != a.unit_start[unit])][k])

    w.move(np.array([a.unit_start[8]]), DESERTED)  # unit 8's commander is gone
    cases = [  # (soldier, savings, new state)
        (soldier(1, CONSCRIPT), 150.0, ON_LEAVE),
        (soldier(2, CONSCRIPT), 100.0, ON_LEAVE),     # exactly the price
        (soldier(3, CONSCRIPT), 99.5, DESERTING),     # cannot pay
        (soldier(4, NCO), 10.0, DESERTING),
        (soldier(5, OFFICER), 50.0, FLED),            # officers flee ...
        (soldier(6, OFFICER), 500.0, ON_LEAVE),       # ... unless they buy leave
        (int(a.unit_start[7]), 1e4, FLED),            # the commander cannot bribe himself
        (soldier(8, CONSCRIPT), 1e4, DESERTING),      # nobody to bribe
        (soldier(9, CONSCRIPT), 1e4, DESERTING),      # an honest commander
        (soldier(0, GENERAL), 1e4, ON_LEAVE),         # unit 0's commander is another general
    ]
    actors = np.array([c[0] for c in cases])
    a.savings[actors] = [c[1] for c in cases]
    before = a.savings[actors].copy()
    depart(w, actors, _terms(actors.size))
    np.testing.assert_array_equal(a.state[actors], [c[2] for c in cases])
    bribed = a.state[actors] == ON_LEAVE
    np.testing.assert_allclose(a.savings[actors], np.where(bribed, before - 100.0, before))
    assert a.savings[actors[1]] == 0.0
    logged = _actions(w)
    np.testing.assert_array_equal(logged[bribed], BRIBE)
    assert set(logged[~bribed]) == {DESERT, FLEE}
    assert (a.checkpoints_left[actors[a.state[actors] != DESERTING]] == 0).all()


def test_with_leave_off_nobody_buys_leave():
    eng = engine({"mechanisms.leave": False, "mechanisms.enforcement": False})
    w = eng.world
    a = w.army
    a.unit_corruptibility[:] = 1.0
    actors = where(w, rank=CONSCRIPT)[:20]
    a.savings[actors] = 1e4
    depart(w, actors, _terms(actors.size))
    np.testing.assert_array_equal(a.state[actors], DESERTING)
    np.testing.assert_array_equal(a.savings[actors], 1e4)


def test_buys_leave_takes_the_bribe_with_probability_corruptibility():
    n = 40000
    rng = np.random.default_rng(11)
    corrupt = np.where(np.arange(n) % 2 == 0, 0.3, 0.8)
    buys = buys_leave(np.full(n, 200.0), 100.0, corrupt, np.ones(n, dtype=bool), rng)
    for c in (0.3, 0.8):
        assert within(buys[corrupt == c].sum(), n // 2, c)
    none = buys_leave(np.full(n, 99.0), 100.0, np.ones(n), np.ones(n, dtype=bool), rng)
    absent = buys_leave(np.full(n, 200.0), 100.0, np.ones(n), np.zeros(n, dtype=bool), rng)
    assert not none.any() and not absent.any()


def test_the_departures_log_holds_who_what_where_and_the_terms():
    eng = engine({"mechanisms.enforcement": False, "mechanisms.leave": False})
    w = eng.world
    actors = where(w, rank=NCO, place=REAR)[:4]
    terms = np.arange(20, dtype=np.float32).reshape(4, 5)
    w.t = 7.0
    depart(w, actors, terms)
    (log,) = w.departures
    np.testing.assert_array_equal(log["soldier"], actors)
    np.testing.assert_array_equal(log["t_hours"], 7.0)
    np.testing.assert_array_equal(log["place"], REAR)
    np.testing.assert_array_equal(log["rank"], NCO)
    np.testing.assert_array_equal(log["terms"], terms)
    np.testing.assert_array_equal(log["threshold"], w.army.threshold[actors])


# ------------------------------------------------------------------ recall and fetching
def test_answers_recall_only_below_zero():
    np.testing.assert_array_equal(answers_recall(np.array([-0.1, -1e-7, 0.0, 0.2])),
                                  [True, True, False, False])


def _ready(over: dict | None = None, seed: int = 0):
    """An engine one step in (every input in place), nobody on leave or away."""
    eng = engine(over, seed)
    eng.step()
    w = eng.world
    away = np.flatnonzero(np.isin(w.army.state, [ON_LEAVE, ABSENT, DESERTING, JAILED]))
    w.move(away, ON_DUTY)
    return eng, w


def test_a_recall_brings_back_those_below_threshold_at_the_recalled_places_only():
    eng, w = _ready({"fetch_rate": 0.0})
    a = w.army
    leave = np.concatenate([where(w, rank=CONSCRIPT)[::10], where(w, rank=NCO, place=REAR)])
    w.move(leave, ON_LEAVE)
    refuse = leave[::3]
    a.threshold[leave] = 10.0
    a.threshold[refuse] = -10.0
    w.t = 30.0
    logged = len(w.departures)
    recall(w, RecallEvent(kind="recall", day=0.0, places=["Rear"]))
    assert [e["kind"] for e in w.log] == ["recall"]
    part(eng, Recall).step(w)
    rear = w.soldier_place(leave) == REAR
    assert rear.any() and (~rear).any()
    np.testing.assert_array_equal(a.state[leave[~rear]], ON_LEAVE)  # not recalled
    refused = np.isin(leave, refuse)
    np.testing.assert_array_equal(a.state[leave[rear & refused]], ABSENT)
    np.testing.assert_array_equal(a.state[leave[rear & ~refused]], ON_DUTY)
    asked, net = w.last_recall
    np.testing.assert_array_equal(np.sort(asked), np.sort(leave[rear]))
    assert (net[np.isin(asked, refuse)] > 0).all() and (net[~np.isin(asked, refuse)] < 0).all()
    (log,) = w.departures[logged:]
    np.testing.assert_array_equal(np.sort(log["soldier"]), np.sort(leave[rear & refused]))
    np.testing.assert_array_equal(log["action"], IGNORED)
    assert w.recall is None


def test_with_recall_off_a_recall_is_ignored():
    eng, w = _ready({"mechanisms.recall": False})
    recall(w, RecallEvent(kind="recall", day=0.0))
    assert w.recall is None and w.log == []


def test_an_absentee_is_fetched_with_probability_fetch_rate_times_p():
    eng, w = _ready({"fetch_rate": 0.5})
    a = w.army
    absent = where(w, rank=CONSCRIPT)
    w.move(absent, ABSENT)
    w.arrest = np.where(np.arange(a.n_units) % 2 == 0, 1.0, 0.0)
    part(eng, Recall).step(w)
    jailed = a.state[absent] == JAILED
    sure = w.arrest[a.unit[absent]] == 1.0
    assert not jailed[~sure].any()
    assert within(jailed[sure].sum(), int(sure.sum()), 0.5)
    np.testing.assert_array_equal(a.state[absent[~jailed]], ABSENT)


def test_with_enforcement_off_no_absentee_is_fetched():
    eng, w = _ready({"fetch_rate": 1.0, "mechanisms.enforcement": False})
    absent = where(w, rank=CONSCRIPT)[:50]
    w.move(absent, ABSENT)
    w.arrest = np.ones(w.army.n_units)
    part(eng, Recall).step(w)
    np.testing.assert_array_equal(w.army.state[absent], ABSENT)


def test_new_absentees_as_many_as_those_fetched_are_fetched_in_turn():
    """The bug fixed: the list of absentees was cached and rebuilt only when their number
    changed, so a second batch as large as the first, fetched one, was never fetched."""
    eng, w = _ready({"fetch_rate": 1.0})
    a, rec = w.army, part(eng, Recall)
    w.arrest = np.ones(a.n_units)
    conscripts = where(w, rank=CONSCRIPT)
    first, second, third = conscripts[:25], conscripts[100:125], conscripts[200:225]
    for batch in (first, second, third):
        w.move(batch, ABSENT)
        rec.step(w)
        np.testing.assert_array_equal(a.state[batch], JAILED)
        assert w.in_state(ABSENT) == 0
    assert w.in_state(JAILED) == 75


def test_absentees_of_two_recalls_of_equal_size_are_all_fetched():
    eng, w = _ready({"fetch_rate": 1.0})
    a, rec = w.army, part(eng, Recall)
    w.arrest = np.ones(a.n_units)
    a.threshold[:] = -10.0  # every soldier recalled stays away
    conscripts = where(w, rank=CONSCRIPT)
    for batch in (conscripts[:30], conscripts[500:530]):
        w.move(batch, ON_LEAVE)
        recall(w, RecallEvent(kind="recall", day=0.0))
        rec.step(w)
        np.testing.assert_array_equal(a.state[batch], JAILED)
    assert w.in_state(JAILED) == 60 and w.in_state(ABSENT) == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_in_the_engine_every_new_absentee_is_fetched_in_the_next_step(seed):
    # arrest_k so large that P = 1 in every unit that has an enforcer present
    eng, w = _ready({"fetch_rate": 1.0, "arrest_k": 1e6, "act_rate": 0.0}, seed)
    a = w.army
    conscripts = where(w, rank=CONSCRIPT)
    for batch in (conscripts[:40], conscripts[1000:1040]):
        w.move(batch, ABSENT)
        eng.step()
        np.testing.assert_array_equal(w.arrest, 1.0)
        np.testing.assert_array_equal(a.state[batch], JAILED)
        assert w.in_state(ABSENT) == 0
    assert w.in_state(JAILED) == 80
