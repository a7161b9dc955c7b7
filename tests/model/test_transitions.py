"""Changes of state: every move keeps the running tallies equal to a recount from scratch."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import OFFICER, world

from rout.model import transitions
from rout.model.registry import FLED, JAILED, ON_DUTY, STATES, VISIBLE
from rout.model.transitions import tally


def recount(w) -> dict[str, np.ndarray]:
    """Every tally of `move`, from the soldiers' states alone."""
    a = w.army
    visible = np.isin(a.state, VISIBLE)
    src = np.repeat(np.arange(a.n), np.diff(a.friends_indptr))
    fled = (a.state == FLED) & w.enforcer[a.rank]
    return {
        "counts": tally(a, w.shape),
        "unit_gone": np.bincount(a.unit, weights=visible, minlength=a.n_units),
        "unit_fled": np.bincount(a.unit, weights=fled, minlength=a.n_units),
        # a departure is seen by everyone who named the soldier, once per tie
        "friend_gone": np.bincount(a.friends_indices, weights=visible[src], minlength=a.n),
    }


def running(w) -> dict[str, np.ndarray]:
    a = w.army
    return {"counts": w.counts, "unit_gone": a.unit_gone, "unit_fled": a.unit_fled,
            "friend_gone": a.friend_gone}


def _check(w) -> None:
    want, have = recount(w), running(w)
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)
    counts = w.counts.reshape(len(STATES), -1).sum(axis=1)
    assert [w.in_state(s) for s in range(len(STATES))] == counts.tolist()


def _moves(w, rng, rounds: int, leave_fled: bool) -> None:
    a = w.army
    for r in range(rounds):
        movable = np.arange(a.n) if leave_fled else np.flatnonzero(a.state != FLED)
        idx = rng.choice(movable, size=rng.integers(1, 400), replace=False)
        new = rng.integers(0, len(STATES), idx.size) if r % 2 else rng.integers(len(STATES))
        w.t = float(r)
        w.move(idx, new)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tallies_equal_a_recount_after_moves_the_model_can_make(seed):
    # fled is final in the model: no submodel moves a soldier out of it
    w = world(seed=seed)
    _check(w)
    _moves(w, np.random.default_rng(seed), 60, leave_fled=False)
    assert (w.army.unit_fled > 0).any() and (w.army.friend_gone > 0).any()
    _check(w)


def test_tallies_equal_a_recount_after_arbitrary_moves():
    w = world(seed=3)
    _moves(w, np.random.default_rng(3), 60, leave_fled=True)
    _check(w)


def test_move_keeps_the_tallies_when_run_as_python(monkeypatch):
    w = world()
    assert w.counts.size // len(STATES) == 16  # 4 ranks x 2 groups x 2 places
    python = getattr(transitions._apply, "py_func", transitions._apply)
    monkeypatch.setattr(transitions, "_apply", python)
    with np.errstate(over="ignore"):
        w.move(np.flatnonzero(w.army.state == ON_DUTY)[:10], JAILED)
    assert w.in_state(JAILED) == 10
    _check(w)


def test_a_fleeing_enforcer_is_counted_once_and_seen_by_his_unit_and_friends():
    w = world()
    a = w.army
    officer = np.flatnonzero((a.rank == OFFICER) & (a.state == ON_DUTY))[:1]
    u = a.unit[officer]
    friends = a.friends_indices[a.friends_indptr[officer[0]]:a.friends_indptr[officer[0] + 1]]
    w.move(officer, FLED)
    w.move(officer, FLED)  # already fled: nothing changes
    assert a.unit_fled[u] == 1 and a.unit_fled.sum() == 1
    assert a.unit_gone[u] == 1 and a.unit_gone.sum() == 1
    np.testing.assert_array_equal(a.friend_gone[friends], np.bincount(friends)[friends])
    assert a.friend_gone.sum() == friends.size


def test_leaving_duty_zeroes_effort_and_stamps_the_hour_returning_clears_it():
    w = world()
    a = w.army
    idx = np.flatnonzero(a.state == ON_DUTY)[:5]
    a.effort[idx] = 0.7
    w.t = 13.0
    w.move(idx, JAILED)
    np.testing.assert_array_equal(a.effort[idx], 0.0)
    np.testing.assert_array_equal(a.left_at[idx], 13.0)
    w.t = 20.0
    w.move(idx, FLED)  # not from duty: the hour of leaving stays
    np.testing.assert_array_equal(a.left_at[idx], 13.0)
    w.move(idx, ON_DUTY)
    assert np.isnan(a.left_at[idx]).all()


def test_retally_recounts_after_units_change_place():
    w = world()
    a = w.army
    _moves(w, np.random.default_rng(5), 10, leave_fled=False)
    a.unit_place[a.unit_place == 1] = 0
    w.retally()
    _check(w)
    assert w.counts.reshape(len(STATES), *w.shape)[..., 1].sum() == 0
