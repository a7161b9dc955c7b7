"""Decision (ODD 7.7): W = w_g G + w_d D + w_c C - w_l Loy; a soldier on duty is past threshold
when W - N > T; effort e = e_min + (1 - e_min) clip((T - W) / band, 0, 1) on duty, else 0."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import OFFICER, engine, part, where

from rout.model.decision import (
    COLUMNS,
    Decision,
    Levels,
    SoldierInputs,
    Terms,
    UnitInputs,
    Weights,
    decide,
    effort,
    evaluate,
    net_wish,
    terms_of,
    weights,
    wish,
)
from rout.model.registry import DESERTING, ON_DUTY, ON_LEAVE, TERM_NAMES

f32 = np.float32

# the default weights, with visible air support calming danger to 0.8
W = Weights(w_grievance=f32(1.0), w_danger=f32(0.8), w_collapse=f32(1.0), w_loyalty=f32(1.0),
            w_family=f32(0.5), collapse_friends=f32(0.3), collapse_news=f32(0.2),
            backup_discount=f32(0.6),
            calm=f32(0.8), effort_slope=f32(0.95 / 0.25), effort_room=f32(0.95),
            effort_min=f32(0.05))

# soldier A, by hand:
#   C = 0.1 + 0.3 x (3 friends gone / 12) + 0.2 x 0.5 = 0.275
#   B = credibility 0.5 x level 1.0 = 0.5; D = 0.5 x weight 1 x (1 - 0.6 x 0.5) x 0.8 = 0.28
#   N = exposure 0.5 x P 0.6 x (1 - amnesty 0.5) = 0.15
#   his family's home is in danger 0.2: F = 0.5 x 0.2 = 0.1
#   terms: G 0.4, D 0.8 x 0.28 = 0.224, C 0.275, -N = -0.15, -Loy = -0.3, F 0.1
#   W = 0.4 + 0.224 + 0.275 - 0.3 + 0.1 = 0.699; with T = 0.4, W - N - T = 0.149
A_UNIT = dict(c_unit=0.1, d_unit=0.5, level=1.0, arrest=0.6)
A_SOLDIER = dict(friend_gone=3.0, inv_degree=1 / 12, news=0.5, credibility=0.5,
                 danger_weight=1.0, exposure=0.5, amnesty=0.5, grievance=0.4, loyalty=0.3,
                 home_danger=0.2)


def _evaluate(unit: dict, soldier: dict, w: Weights = W):
    args = [f32(v) for v in (*unit.values(), *soldier.values())]
    return evaluate(*args, w)


def test_evaluate_returns_the_levels_and_signed_terms_by_hand():
    lv, t = _evaluate(A_UNIT, A_SOLDIER)
    assert tuple(Levels._fields) == ("grievance", "danger", "collapse", "risk", "loyalty",
                                     "family")
    np.testing.assert_allclose(tuple(lv), (0.4, 0.28, 0.275, 0.15, 0.3, 0.2), rtol=1e-6)
    assert tuple(Terms._fields) == TERM_NAMES
    np.testing.assert_allclose(tuple(t), (0.4, 0.224, 0.275, -0.15, -0.3, 0.1), rtol=1e-6)
    assert float(wish(t)) == pytest.approx(0.699, rel=1e-6)
    assert float(net_wish(t, f32(0.4))) == pytest.approx(0.149, rel=1e-5)


def test_a_rank_danger_weight_and_the_weights_scale_their_terms():
    soldier = {**A_SOLDIER, "danger_weight": 3.0, "loyalty": 1.2}
    w = W._replace(w_grievance=f32(2.0), w_loyalty=f32(0.5), calm=f32(1.0))
    lv, t = _evaluate(A_UNIT, soldier, w)
    assert float(lv.danger) == pytest.approx(0.5 * 3.0 * 0.7, rel=1e-6)
    assert float(t.danger) == pytest.approx(0.8 * 1.05, rel=1e-6)
    assert float(t.grievance) == pytest.approx(0.8, rel=1e-6)
    assert float(t.loyalty) == pytest.approx(-0.6, rel=1e-6)


def test_w_sums_the_terms_but_the_enforcement_term():
    rng = np.random.default_rng(2)
    for _ in range(20):
        unit = {k: rng.uniform(0, 1) for k in A_UNIT}
        soldier = {k: rng.uniform(0, 1) for k in A_SOLDIER}
        soldier["friend_gone"] = rng.integers(0, 10)
        _, t = _evaluate(unit, soldier)
        assert float(wish(t)) == pytest.approx(
            float(t.grievance + t.danger + t.collapse + t.loyalty + t.family), abs=1e-6)
        th = f32(rng.uniform(0, 1))
        assert float(net_wish(t, th)) == pytest.approx(float(wish(t) - th + t.enforcement),
                                                       abs=1e-6)


@pytest.mark.parametrize(("gap", "expected"), [
    (-0.5, 0.05), (-0.01, 0.05), (0.0, 0.05),       # W >= T: stays for fear, at e_min
    (0.05, 0.05 + 0.95 * 0.2), (0.125, 0.05 + 0.95 * 0.5), (0.2, 0.05 + 0.95 * 0.8),
    (0.25, 1.0), (0.4, 1.0), (3.0, 1.0),            # T - W >= band: full effort
])
def test_effort_ramps_linearly_from_e_min_at_threshold_to_one_a_band_below(gap, expected):
    th = f32(0.5)
    e = effort(f32(th - f32(gap)), th, W.effort_slope, W.effort_room, W.effort_min)
    assert float(e) == pytest.approx(expected, abs=2e-6)


def _reference(U: dict, S: dict, unit: np.ndarray, w: Weights):
    """W, W - N - T and effort (ignoring state) of every soldier, from the ODD's equations."""
    c = (U["collapse"][unit] + w.collapse_friends * S["friend_gone"] * S["inv_degree"]
         + w.collapse_news * S["news"])
    d = (U["danger"][unit] * S["danger_weight"]
         * (1 - w.backup_discount * S["credibility"] * U["level"][unit]) * w.calm)
    n = S["exposure"] * U["arrest"][unit] * (1 - S["amnesty"])
    wish_ = (w.w_grievance * S["grievance"] + w.w_danger * d + w.w_collapse * c
             - w.w_loyalty * S["loyalty"] + w.w_family * S["home_danger"])
    band = 0.25
    e = 0.05 + 0.95 * np.clip((S["threshold"] - wish_) / band, 0, 1)
    return wish_, wish_ - n - S["threshold"], e


def _small_army(rng):
    """Two units (4 and 5 soldiers) with random inputs, as float32 records."""
    start, end = np.array([0, 4]), np.array([4, 9])
    unit = np.repeat([0, 1], [4, 5])
    U = {k: rng.uniform(0, 0.6, 2).astype(np.float32) for k in UnitInputs._fields}
    S = {k: rng.uniform(0, 0.6, 9).astype(np.float32) for k in SoldierInputs._fields}
    S["friend_gone"] = rng.integers(0, 6, 9).astype(np.float32)
    S["inv_degree"] = (1.0 / rng.integers(4, 12, 9)).astype(np.float32)
    S["threshold"] = rng.uniform(-0.3, 0.6, 9).astype(np.float32)
    return start, end, unit, U, S


def test_decide_flags_exactly_the_on_duty_soldiers_past_threshold():
    state = np.array([ON_DUTY, ON_DUTY, ON_LEAVE, ON_DUTY, DESERTING, ON_DUTY, ON_DUTY,
                      ON_DUTY, ON_LEAVE], dtype=np.int8)
    seen_past = seen_below = seen_off_past = 0
    for seed in range(12):
        start, end, unit, U, S = _small_army(np.random.default_rng(seed))
        out_e = np.full(9, -1.0, dtype=np.float32)
        out_a = np.zeros(9, dtype=bool)
        decide(start, end, UnitInputs(**U), SoldierInputs(**S), W, state, out_e, out_a)
        _, net, e = _reference(U, S, unit, W)
        on = state == ON_DUTY
        np.testing.assert_array_equal(out_a, on & (net > 0))
        np.testing.assert_allclose(out_e[on], e[on], atol=2e-6)
        np.testing.assert_array_equal(out_e[~on], 0.0)
        seen_past += int((on & (net > 0)).sum())
        seen_below += int((on & (net < 0)).sum())
        seen_off_past += int((~on & (net > 0)).sum())
    assert seen_past and seen_below and seen_off_past  # every case was met


def test_terms_of_rows_agree_with_evaluate():
    start, end, unit, U, S = _small_army(np.random.default_rng(5))
    idx = np.array([8, 0, 3, 5], dtype=np.int64)
    rows = terms_of(idx, unit.astype(np.int32), UnitInputs(**U), SoldierInputs(**S), W)
    n = len(Levels._fields)
    assert rows.shape == (4, len(COLUMNS)) == (4, 2 * n + 2)
    for row, i in zip(rows, idx, strict=True):
        u = unit[i]
        lv, t = evaluate(U["collapse"][u], U["danger"][u], U["level"][u], U["arrest"][u],
                         *(S[k][i] for k in SoldierInputs._fields if k != "threshold"), W)
        # (evaluate hands Python floats back, so W and W - N - T are summed in float64 here)
        np.testing.assert_allclose(row[:n], tuple(lv), rtol=1e-6)
        np.testing.assert_allclose(row[n:2 * n], tuple(t), rtol=1e-6)
        assert row[COLUMNS.index("wish")] == pytest.approx(float(wish(t)), abs=1e-6)
        assert row[COLUMNS.index("net_wish")] == pytest.approx(
            float(net_wish(t, S["threshold"][i])), abs=1e-6)
    wish_, net, _ = _reference(U, S, unit, W)
    np.testing.assert_allclose(rows[:, COLUMNS.index("wish")], wish_[idx], atol=2e-6)
    np.testing.assert_allclose(rows[:, COLUMNS.index("net_wish")], net[idx], atol=2e-6)


TO_FIELD = {"w_grievance": ["w_grievance"], "w_danger": ["w_danger"],
            "w_collapse": ["w_collapse"], "w_loyalty": ["w_loyalty"], "w_family": ["w_family"],
            "collapse_friends": ["collapse_friends"], "collapse_news": ["collapse_news"],
            "backup_discount": ["backup_discount"], "effort_band": ["effort_slope"],
            "effort_min": ["effort_slope", "effort_room", "effort_min"]}


@pytest.mark.parametrize("name", list(TO_FIELD))
def test_weights_are_read_by_name(name):
    eng = engine()
    w = eng.world
    w.calm = f32(0.9)
    base = weights(w)
    value = 0.123
    w.p = w.p.model_copy(update={name: value})
    new = weights(w)
    changed = [f for f in Weights._fields if getattr(new, f) != getattr(base, f)]
    assert changed == TO_FIELD[name]
    if name not in ("effort_band", "effort_min"):
        assert getattr(new, name) == f32(value)
    assert new.effort_slope == f32((1 - new.effort_min) / w.p.effort_band)
    assert new.calm == f32(0.9)


def test_the_submodel_picks_actors_among_those_past_threshold_at_act_rate():
    eng = engine({"act_rate": 1.0})
    w = eng.world
    eng.step()  # every input in place
    a = w.army
    a.threshold[:] = 10.0
    past = where(w)[::7]
    a.threshold[past] = -10.0
    dec = part(eng, Decision)
    dec.step(w)
    np.testing.assert_array_equal(w.actors, past)
    assert (a.effort[past] == f32(0.05)).all()
    w.p = w.p.model_copy(update={"act_rate": 0.3})
    dec.step(w)
    assert np.isin(w.actors, past).all()
    assert abs(w.actors.size - 0.3 * past.size) <= 4 * np.sqrt(past.size * 0.21)


def test_with_officers_off_no_officer_or_general_acts():
    eng = engine({"act_rate": 1.0, "mechanisms.officers": False})
    w = eng.world
    eng.step()
    a = w.army
    a.threshold[:] = -10.0
    part(eng, Decision).step(w)
    duty = where(w)
    enforcer = w.enforcer[a.rank]
    np.testing.assert_array_equal(w.actors, duty[~enforcer[duty]])
    assert (a.rank[duty] == OFFICER).any()


def test_the_first_step_keeps_every_soldiers_terms():
    eng = engine()
    eng.step()
    w = eng.world
    assert w.terms0.shape == (w.army.n, len(TERM_NAMES))
    assert (w.terms0[:, TERM_NAMES.index("loyalty")] < 0).all()
