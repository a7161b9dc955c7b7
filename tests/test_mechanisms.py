"""Each mechanism pushes the way the model says it does."""

from __future__ import annotations

import numpy as np

import rout
from conftest import left_area, mean_over_seeds
from rout.model.engine import Engine
from rout.model.registry import ABSENT, FLED, JAILED, ON_DUTY, ON_LEAVE
from rout.model.state import VISIBLE
from rout.scenario.loader import load_scenario


def test_higher_pay_lowers_desertion():
    poor = mean_over_seeds(left_area, {"pay_multiplier": 0.5})
    paid = mean_over_seeds(left_area, {"pay_multiplier": 3.0})
    assert paid < 0.9 * poor


def test_more_enforcement_lowers_the_share_leaving():
    # at the joint defaults enforcement saturates: above 1 more of it jails more soldiers
    # (who count as gone) as fast as it holds others
    none = mean_over_seeds(left_area, {"enforcement": 0.0})
    some = mean_over_seeds(left_area, {"enforcement": 1.0})
    assert some < 0.95 * none


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
    threat = [{"day": 0.0, "kind": "threat", "places": ["Town", "Rear"], "level": 0.3}]
    sc = load_scenario("garrison", {"events": threat, "mechanisms.leave": False})
    eng = Engine(sc, np.random.default_rng(seed))
    w = eng.world
    a = w.army
    units = np.arange(0, a.n_units, 3)
    if flee:
        officers = w.members(units)
        officers = officers[w.enforcer[a.rank[officers]] & (a.state[officers] == ON_DUTY)]
        w.move(officers, FLED)
    eng.run_for(hours)
    members = w.members(units)
    non_officers = members[~w.enforcer[a.rank[members]]]
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
    # on a third of the pay some of those on leave are past their threshold at the recall
    sc = load_scenario("garrison", {"pay_multiplier": 0.3})
    eng = Engine(sc, np.random.default_rng(4))
    recall_hour = int(next(e.day for e in sc.events if e.kind == "recall") * 24)
    eng.run_until(recall_hour)
    away = np.flatnonzero(eng.world.army.state == ON_LEAVE)
    eng.step()
    state = eng.world.army.state[away]
    # a refuser may be fetched by the police in the same hour
    back, refused = away[state == ON_DUTY], away[np.isin(state, [ABSENT, JAILED])]
    assert back.size > 0 and refused.size > 0
    assert back.size + refused.size == away.size
    asked, net_wish = eng.world.last_recall  # also those who bought leave in the same hour
    assert np.isin(away, asked).all()
    assert (net_wish[np.isin(asked, back)] < 0).all()
    assert (net_wish[np.isin(asked, refused)] >= 0).all()


def test_amnesty_hastens_collapse():
    threat = [{"day": 0.5, "kind": "threat", "places": ["Town"], "level": 0.5}]
    amnesty = [*threat, {"day": 0.5, "kind": "amnesty", "level": 1.0}]
    without = mean_over_seeds(left_area, {"events": threat})
    with_ = mean_over_seeds(left_area, {"events": amnesty})
    assert with_ > without


def _off(mech: str, scenario: str = "garrison", days: float | None = None, **over):
    return rout.simulate(scenario, seed=5, days=days,
                         overrides={f"mechanisms.{mech}": False, **over})


def _acts(run) -> set[str]:
    return set(run.departures["action"].astype(str))


def _kinds(run) -> set[str]:
    return set(run.events["kind"])


def _zero_term(term: str):
    def check(run) -> bool:
        d = run.departures
        return len(d) > 0 and (d[term] == 0).all()
    return check


# each switch, and what the model says happens when it is off (docs/ODD.md, section 7)
SWITCHED_OFF = {
    "economy": ({"events": [{"day": 0.5, "kind": "pay_raise", "percent": 50}]},
                lambda r: "pay_raise" not in _kinds(r)),
    "grievance": (dict(), _zero_term("grievance")),
    "information": (dict(), _zero_term("collapse")),
    "credibility": (dict(), lambda r: not {"promise", "promise_broken"} & _kinds(r)
                    and r.series["mean_credibility"].nunique() == 1),
    "danger": (dict(), lambda r: _zero_term("danger")(r) and (r.places["danger"] == 0).all()),
    "enforcement": (dict(), lambda r: _zero_term("enforcement")(r)
                    and "caught_leaving" not in _acts(r)),
    "leave": (dict(), lambda r: "bought_leave" not in _acts(r)),
    "recall": (dict(), lambda r: "ignored_recall" not in _acts(r) and "recall" not in _kinds(r)),
    "checkpoints": ({"mechanisms.recall": False},
                    lambda r: r.series["jailed"].iloc[-1] == (r.departures["action"]
                                                              == "caught_leaving").sum()),
    "officers": (dict(), lambda r: "fled" not in _acts(r) and r.series["fled"].max() == 0),
    "amnesty": ({"events": [{"day": 0.5, "kind": "amnesty", "level": 1.0}]},
                lambda r: "amnesty" not in _kinds(r)),
}


def test_each_switch_does_what_the_model_says_when_off():
    for mech, (over, holds) in SWITCHED_OFF.items():
        base = rout.simulate("garrison", seed=5, overrides=over)
        assert not holds(base), f"{mech}: already true when on"
        assert holds(_off(mech, **over)), mech


def test_war_switches_do_what_the_model_says_when_off():
    on = rout.simulate("syria-2024", seed=5, days=4)
    assert "fall" in _kinds(on)
    # without combat a force never takes a defended place: it only occupies abandoned ones
    falls = _off("combat", "syria-2024", days=4).events.query("kind == 'fall'")
    assert falls["detail"].str.startswith("abandoned").all()
    assert not on.events.query("kind == 'fall'")["detail"].str.startswith("abandoned").all()
    still = _off("movement", "syria-2024", days=4).forces
    first = still.groupby("force")[["lat", "lon"]].transform("first")
    assert (still[["lat", "lon"]] == first).all().all()
    calm = Engine(load_scenario("syria-2024", {"mechanisms.backers": False, "days": 1}), 5)
    backed = Engine(load_scenario("syria-2024", {"days": 1}), 5)
    calm.run()
    backed.run()
    assert calm.world.air == 0 and calm.world.backing == 0
    assert backed.world.air > 0 and backed.world.backing > 0
