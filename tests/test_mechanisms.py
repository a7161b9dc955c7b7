"""Each mechanism pushes the way the model says it does."""

from __future__ import annotations

import numpy as np

import rout
from conftest import left_area, mean_over_seeds
from rout.model.engine import Engine
from rout.model.state import ABSENT, FLED, JAILED, ON_DUTY, ON_LEAVE, VISIBLE
from rout.scenario.loader import load_scenario


def test_higher_pay_lowers_desertion():
    base = mean_over_seeds(left_area, {})
    paid = mean_over_seeds(left_area, {"pay_multiplier": 3.0})
    assert paid < 0.9 * base


def test_more_enforcement_lowers_the_share_leaving():
    weak = mean_over_seeds(left_area, {"enforcement": 0.2})
    strong = mean_over_seeds(left_area, {"enforcement": 3.0})
    assert strong < 0.9 * weak


def test_switching_enforcement_off_hastens_collapse():
    on = mean_over_seeds(left_area, {})
    off = mean_over_seeds(left_area, {"mechanisms.enforcement": False})
    assert off > on


def test_broken_promise_lowers_credibility_and_kept_one_raises_it():
    broken = rout.simulate("garrison", seed=1, overrides={"backup_real": False})
    kept = rout.simulate("garrison", seed=1, overrides={"backup_real": True})
    s_b, s_k = broken.series, kept.series
    before = s_b.loc[s_b["day"] < 1.5, "mean_credibility"].iloc[-1]
    after_b = s_b.loc[s_b["day"] >= 1.5, "mean_credibility"].iloc[0]
    after_k = s_k.loc[s_k["day"] >= 1.5, "mean_credibility"].iloc[0]
    assert after_b < before < after_k
    assert "promise_broken" in set(broken.events["kind"])
    assert "promise_kept" in set(kept.events["kind"])


def _promises(first_real: bool) -> list[dict]:
    return [
        {"day": 0.5, "kind": "threat", "places": ["Town"], "level": 0.6},
        {"day": 0.5, "kind": "promise", "deadline_day": 1.0, "real": first_real},
        {"day": 1.0, "kind": "promise", "deadline_day": 6.0, "real": False},
    ]


def test_a_kept_promise_makes_the_next_one_believed_and_delays_desertion():
    lie = mean_over_seeds(left_area, {"events": _promises(False)})
    kept = mean_over_seeds(left_area, {"events": _promises(True)})
    assert kept < lie


def _unit_gone_after(seed: int, flee: bool, hours: int = 12) -> float:
    """Share of a few units gone some hours after their officers are made to flee (or not)."""
    sc = load_scenario("garrison", {"events": [], "mechanisms.leave": False})
    eng = Engine(sc, np.random.default_rng(seed))
    a = eng.army
    units = np.arange(0, a.n_units, 3)
    if flee:
        officers = eng.members(units)
        officers = officers[eng.enforcer[a.rank[officers]] & (a.state[officers] == ON_DUTY)]
        eng._move(officers, FLED)
    eng.run_for(hours)
    members = eng.members(units)
    non_officers = members[~eng.enforcer[a.rank[members]]]
    return float(VISIBLE[a.state[non_officers]].mean())


def test_officers_flight_raises_his_units_desertion():
    stay = np.mean([_unit_gone_after(s, flee=False) for s in range(3)])
    flee = np.mean([_unit_gone_after(s, flee=True) for s in range(3)])
    assert flee > stay + 0.05


def _checkpoint_jailed(id_share: float) -> float:
    over = {"army.non_military_id": id_share, "checkpoint_density": 3.0,
            "mechanisms.leave": False}
    runs = [rout.simulate("garrison", seed=s, overrides=over) for s in range(3)]
    return float(np.mean([r.series["jailed"].iloc[-1] / max(r.series["left"].iloc[-1], 1)
                          for r in runs]))


def test_non_military_id_lets_more_deserters_past_checkpoints():
    assert _checkpoint_jailed(1.0) < 0.8 * _checkpoint_jailed(0.0)


def test_recall_brings_back_only_those_below_threshold():
    sc = load_scenario("garrison")
    eng = Engine(sc, np.random.default_rng(4))
    recall_hour = int(next(e.day for e in sc.events if e.kind == "recall") * 24)
    eng.run_until(recall_hour)
    away = np.flatnonzero(eng.army.state == ON_LEAVE)
    eng.step()
    state = eng.army.state[away]
    # a refuser may be fetched by the police in the same hour
    back, refused = away[state == ON_DUTY], away[np.isin(state, [ABSENT, JAILED])]
    assert back.size > 0 and refused.size > 0
    assert back.size + refused.size == away.size
    asked, net_wish = eng.last_recall  # also those who bought leave in the same hour
    assert np.isin(away, asked).all()
    assert (net_wish[np.isin(asked, back)] < 0).all()
    assert (net_wish[np.isin(asked, refused)] >= 0).all()


def test_amnesty_hastens_collapse():
    threat = [{"day": 0.5, "kind": "threat", "places": ["Town"], "level": 0.5}]
    amnesty = [*threat, {"day": 0.5, "kind": "amnesty", "level": 1.0}]
    without = mean_over_seeds(left_area, {"events": threat})
    with_ = mean_over_seeds(left_area, {"events": amnesty})
    assert with_ > without


def test_each_mechanism_switches_off_and_changes_the_run():
    base = rout.simulate("garrison", seed=5).series["left"].to_numpy()
    for mech in ("grievance", "information", "danger", "enforcement", "officers"):
        off = rout.simulate("garrison", seed=5, overrides={f"mechanisms.{mech}": False})
        assert not np.array_equal(off.series["left"].to_numpy(), base), mech
