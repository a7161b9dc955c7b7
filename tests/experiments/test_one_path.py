"""Every view of many runs takes the same seeds and summarises them the same way."""

from __future__ import annotations

import numpy as np

from rout.experiments.ensemble import ensemble
from rout.experiments.summary import describe, quantiles, summarise_days
from rout.explain import ablation
from rout.viz import plots, report

OVER = {"army.strength": 20000, "days": 3}


def test_report_and_ensemble_run_the_same_seeds_and_tell_the_same_story():
    ens = ensemble("syria-2024", runs=3, seed=2, overrides=OVER)
    runs = report.simulate_runs("syria-2024", runs=3, seed=2, overrides=OVER)
    assert [r.seed.spawn_key for r in runs] == [(0,), (1,), (2,)]
    per_run = ens.runs.sort_values("replicate")
    for place in ("Aleppo", "Hama"):
        days = np.array([r.fall_days[place] for r in runs])
        np.testing.assert_array_equal(per_run[f"fall:{place}"].to_numpy(), days)
        event = ens.events.set_index("event").loc[f"fall:{place}"]
        table = plots.fall_table(runs).set_index("place").loc[place]
        assert event["runs"] == table["runs"] == 3
        np.testing.assert_equal([event["median"], event["p05"], event["p95"]],
                                [table["median"], table["p05"], table["p95"]])
    base = ablation("syria-2024", runs=3, mechanisms=(), overrides=OVER, seed=2)
    aleppo = base.set_index("outcome").loc["Aleppo"]
    assert aleppo["median_day"] == ens.events.set_index("event").loc["fall:Aleppo", "median"]


def test_a_place_that_fell_in_fewer_than_half_the_runs_held():
    s = summarise_days(np.array([8.5, np.nan, np.nan, np.nan]))
    assert s.held and s.happened == 1 and s.runs == 4
    assert describe(s) == "held (fell in 1 of 4 runs)"
    half = summarise_days(np.array([8.5, 9.0, np.nan, np.nan]))
    assert not half.held and half.median == 9.0 and np.isnan(half.p95)
    assert "fell in 2 of 4" in describe(half)


def test_quantiles_rank_what_never_happened_last():
    v = np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 6.0], [np.nan, 7.0]])
    q = quantiles(v, (0.05, 0.5, 0.95), axis=0)
    np.testing.assert_array_equal(q[:, 0], [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(q[:, 1], [5.0, 6.0, np.nan])
