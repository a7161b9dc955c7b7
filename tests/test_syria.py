"""syria-2024: the recorded timeline, decided by the army and not by a clock, and what would
have held it."""

from __future__ import annotations

import numpy as np
import pytest

import rout
from rout.experiments.summary import quantiles
from rout.model.movement import road_graph

SEEDS = range(20)
FEW = range(8)
OBSERVED = {o.place: o.day for o in rout.load_scenario("syria-2024").observed}
LOYAL = {"army.threshold": {"kind": "constant", "value": 100.0},
         "army.peacetime_desertion": 0.0}


def _outcomes(overrides: dict | None = None, seeds=SEEDS) -> list[dict[str, float]]:
    out = []
    for s in seeds:
        run = rout.simulate("syria-2024", seed=s, overrides=overrides)
        row = {p: float(run.fall_days[p]) for p in run.place_names}
        row["quarter"] = run.day_power_below(0.25)
        ser = run.series
        upto = row["Damascus"] if np.isfinite(row["Damascus"]) else np.inf
        row["power_at_damascus"] = float(ser.loc[ser["day"] <= upto, "power_share"].iloc[-1])
        row["end"] = float(ser["day"].iloc[-1])
        ev = run.events
        for kind in ("assault", "rising"):
            first = ev[ev["kind"] == kind].groupby("place", observed=True)["day"].min()
            row.update({f"{kind}:{p}": float(d) for p, d in first.items()})
        out.append(row)
    return out


def _median(rows, key) -> float:
    """The median over runs, a run where it never happened ranking last (NaN: held)."""
    return float(quantiles([r.get(key, np.nan) for r in rows], [0.5])[0])


@pytest.fixture(scope="module")
def base():
    return _outcomes()


@pytest.mark.xfail(strict=True, reason="not met at the joint defaults (20 seeds): the north "
                   "starts too slowly and ends too fast, Base 46 day 1.4 against 0.5, Aleppo "
                   "5.5 against 2.5, Hama 6.2 against 8.6, Damascus 8.4 against 11.2 "
                   "(docs/validation.md)")
def test_the_recorded_timeline_within_a_day_in_order(base):
    medians = {p: _median(base, p) for p in OBSERVED}
    for place, day in OBSERVED.items():
        assert abs(medians[place] - day) <= 1.0, (place, medians[place], day)
    order = sorted(OBSERVED, key=OBSERVED.get)
    assert [medians[p] for p in order] == sorted(medians[p] for p in order)


def test_effective_strength_collapses_before_damascus(base):
    assert _median(base, "power_at_damascus") < 0.25


def test_fall_dates_vary_between_seeds(base):
    spread = {p: np.subtract(*quantiles([r[p] for r in base], [0.95, 0.05])) * 24
              for p in OBSERVED}
    assert max(spread.values()) >= 6.0, spread


@pytest.mark.xfail(strict=True, reason="not met at the joint defaults: Hama's garrison has "
                   "mostly gone before the assault, which lasts 0.1 days (median of 20 seeds)")
def test_the_battle_for_hama_lasts_at_least_a_day_and_a_half(base):
    lasted = [r["Hama"] - r["assault:Hama"] for r in base if "assault:Hama" in r]
    assert len(lasted) >= len(base) // 2
    assert np.median(lasted) >= 1.5, lasted


def _clock(scenario) -> dict[str, float]:
    """When each observed place would fall if every force rolled on at its unopposed speed,
    from its start (or, for a rising, from the day it rose in the run) along its route."""
    roads = road_graph(scenario)
    index = {p.name: i for i, p in enumerate(scenario.places)}
    arrive: dict[str, float] = {}
    for f in [*scenario.forces, *scenario.risings]:
        start = getattr(f, "start", None) or f.place
        for o in f.objectives:
            km = roads.dist[index[start], index[o]]
            day = getattr(f, "start_day", 0.0) + km / f.speed_km_day
            arrive[o] = min(arrive.get(o, np.inf), day)
    return arrive


def test_no_fall_is_its_arrival_plus_a_constant(base):
    sc = rout.load_scenario("syria-2024")
    clock = _clock(sc)
    north = [p for p in ("Aleppo", "Hama", "Homs") if p in clock]
    # what the defenders add to the travel-time clock differs from place to place ...
    added = np.array([[r[p] - clock[p] for p in north] for r in base])
    assert np.median(np.ptp(added, axis=1)) * 24 >= 12.0
    # ... and from seed to seed
    assert (np.std(added, axis=0) * 24 >= 2.0).any()


def test_with_loyal_soldiers_nothing_beyond_aleppo_falls_in_twenty_days():
    rows = _outcomes({**LOYAL, "days": 20}, range(3))
    for r in rows:
        for place in ("Hama", "Daraa", "Homs", "Damascus"):
            assert not np.isfinite(r[place]), (place, r[place])


def test_a_bigger_army_holds_hama_longer_and_a_smaller_one_less(base):
    ref = _median([base[s] for s in FEW], "Hama")
    double = _median(_outcomes({"army.strength": 260000}, FEW), "Hama")
    half = _median(_outcomes({"army.strength": 65000}, FEW), "Hama")
    assert not np.isfinite(double) or double >= ref + 1.0, (double, ref)
    assert half < ref, (half, ref)


def test_the_southern_front_rises_on_its_own_and_not_without_the_north(base):
    risen = [r.get("rising:Tafas", np.nan) for r in base]
    assert np.isfinite(risen).mean() > 0.5
    # it rises after the north has taken Aleppo: when the regime visibly wobbles
    assert np.nanmedian(risen) > _median(base, "Aleppo")
    quiet = _outcomes({"forces": [], "days": 20}, range(3))
    assert all("rising:Tafas" not in r for r in quiet)


def test_before_the_offensive_soldiers_leave_at_the_peacetime_rate():
    sc = rout.load_scenario("syria-2024")
    per_day = sc.army.peacetime_desertion / 30.0 * sc.army.strength
    for seed in range(2):
        run = rout.simulate("syria-2024", seed=seed,
                            overrides={"forces": [], "risings": [], "events": [], "days": 7})
        daily = run.departures.groupby(np.floor(run.departures["day"])).size()
        assert len(daily) == 7
        assert daily.max() <= 2.0 * per_day, (daily.to_list(), per_day)


# counterfactuals, over 20 seeds and a horizon long enough to see the end


@pytest.mark.xfail(strict=True, reason="not met at the joint defaults: with real backup at "
                   "three times the commitment Hama or Homs holds in 0 of 20 seeds")
def test_credible_timely_backup_holds_hama_or_homs_in_most_runs():
    over = {"backup_real": True, "backer_commitment": 3.0}
    rows = _outcomes(over)
    held = np.mean([not (np.isfinite(r["Hama"]) and np.isfinite(r["Homs"])) for r in rows])
    assert held > 0.5, held


def test_the_real_raise_on_day_seven_changes_little(base):
    sc = rout.load_scenario("syria-2024")
    without = [e.model_dump() for e in sc.events if e.kind != "pay_raise"]
    rows = _outcomes({"events": without})
    for place in ("Hama", "Homs", "Damascus"):
        assert abs(_median(rows, place) - _median(base, place)) <= 0.5, place


@pytest.mark.parametrize(("lever", "value", "later"), [
    ("pay_multiplier", 3.0, True),
    pytest.param("amnesty_on", False, True, marks=pytest.mark.xfail(
        strict=True, reason="the amnesties come after the collapse in the model (Aleppo's on "
        "day 6, after it fell on 5.5; the national one on day 10.5, after power fell below a "
        "quarter on 6.5): without them the quarter day moves by at most 2 h")),
    ("officer_loyalty", 1.0, True),
    ("enforcement", 3.0, True),
])
def test_levers_move_the_collapse_the_documented_way(base, lever, value, later):
    ref = _median(base, "quarter")
    moved = _median(_outcomes({lever: value}), "quarter")
    if not np.isfinite(moved):
        assert later  # power never fell below a quarter: the collapse was delayed past the end
        return
    assert (moved > ref) == later, (lever, moved, ref)
