"""The micro-stories the model is built from, reproduced by individual soldiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rout


@pytest.fixture(scope="module")
def run():
    track = [{"rank": "conscript", "place": "Town", "count": 300},
             {"rank": "officer", "count": 200}]
    return rout.simulate("garrison", seed=7, overrides={"track": track})


def test_a_coerced_conscript_stays_and_fires_into_nothing_until_his_unit_breaks(run):
    t = run.tracked
    p = run.scenario.parameters
    wants_out = (t["net_wish"] + t["net_risk"]) > 0  # W - T > 0: privately he would go
    held = t["net_wish"] < 0  # W - N - T < 0: fear keeps him
    t = t.assign(coerced=(t["state"] == "on_duty") & wants_out & held)
    stories = []
    for sid, rows in t.groupby("soldier"):
        rows = rows.sort_values("step")
        coerced = rows["coerced"].to_numpy()
        on_duty = (rows["state"] == "on_duty").to_numpy()
        if not coerced.any() or on_duty[-1]:
            continue
        # the longest unbroken spell of coerced presence
        runs = np.diff(np.r_[0, coerced.astype(int), 0])
        spell = (np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)).max()
        left = int(np.flatnonzero(~on_duty & (np.arange(on_duty.size) > np.argmax(on_duty)))[0])
        efforts = rows["effort"].to_numpy()[coerced]
        stories.append((sid, spell, rows["unit_gone"].to_numpy()[left], efforts.max()))
    assert stories, "no conscript was held in place by fear"
    amr = [
        s for s in stories
        if s[1] >= 6  # hours present against his own wish
        and s[3] == pytest.approx(p.effort_min, abs=1e-6)  # shooting into nothing
        and s[2] >= 0.3  # he went when his unit was breaking
    ]
    assert amr


def test_an_officer_with_savings_buys_leave(run):
    d = run.departures
    bought = d[(d["action"] == "bought_leave") & (d["rank"] == "officer")]
    assert len(bought) > 0
    # a tracked officer who bought leave paid the price out of his savings in that hour
    # and was then on leave, not deserting
    price = run.bribe_price
    t = run.tracked.set_index(["soldier", "step"])
    tracked = bought[bought["soldier"].isin(run.tracked_ids)]
    assert len(tracked) > 0
    for row in tracked.itertuples():
        step = int(round(row.t_hours / run.scenario.step_hours))
        before, after = t.loc[(row.soldier, step - 1)], t.loc[(row.soldier, step)]
        assert before["savings"] >= price
        assert before["savings"] - after["savings"] == pytest.approx(price)
        assert after["state"] == "on_leave"
    buyers_rate = len(bought) / max((d["rank"] == "officer").sum(), 1)
    conscripts = d[d["rank"] == "conscript"]
    conscript_rate = (conscripts["action"] == "bought_leave").mean()
    assert buyers_rate > conscript_rate  # savings make leave something officers can buy


def test_a_sergeant_on_leave_ignores_the_recall():
    # in syria-2024, where the recall comes as the offensive does (in garrison every soldier
    # on leave is still below his threshold at its recall)
    run = rout.simulate("syria-2024", seed=1)
    d = run.departures
    ignored = d[(d["action"] == "ignored_recall") & (d["rank"] == "nco")]
    assert len(ignored) > 0
    recall_day = next(e.day for e in run.scenario.events if e.kind == "recall")
    assert (ignored["day"] - recall_day).abs().max() < 1.0 / 24 + 1e-9
    # his wish to stay away exceeded fear and threshold: W - N - T >= 0
    terms = ignored[["grievance", "danger", "collapse", "enforcement", "loyalty"]].sum(axis=1)
    assert (terms - ignored["threshold"] >= 0).all()


def test_generals_leave_first():
    firsts = []
    for seed in range(4):
        d = rout.simulate("garrison", seed=seed).departures.drop_duplicates("soldier")
        threat = next(e.day for e in rout.load_scenario("garrison").events
                      if e.kind == "threat")
        d = d[d["day"] >= threat]
        firsts.append(d.groupby("rank", observed=True)["day"].median())
    med = pd.concat(firsts, axis=1).mean(axis=1)
    assert med["general"] < med[["conscript", "nco", "officer"]].min()
