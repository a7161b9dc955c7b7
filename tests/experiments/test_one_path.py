"""Every view of many runs takes the same seeds and summarises them the same way."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rout.experiments.ensemble import Ensemble, ensemble, events
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
    np.testing.assert_equal(aleppo["median_day"],  # NaN (held) equals NaN here
                            ens.events.set_index("event").loc["fall:Aleppo", "median"])


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


@pytest.fixture(scope="module")
def held_in_3_of_4():
    """Four short runs of syria-2024 in which the first recorded place fell in run 3 only
    (set by hand, so the test does not hang on the model's fall days), and its name."""
    runs = report.simulate_runs("syria-2024", runs=4, seed=2,
                                overrides={"army.strength": 5000, "days": 1.0})
    place = runs[0].scenario.observed[0].place
    j = runs[0].place_names.index(place)
    for i, run in enumerate(runs):
        run.engine.world.fall_hour[j] = 12.0 if i == 3 else np.nan
    return runs, place


HELD = "held (fell in 1 of 4 runs)"


def test_a_place_that_held_in_3_of_4_runs_reads_as_held_in_the_plots_and_report(
        held_in_3_of_4):
    runs, place = held_in_3_of_4
    row = plots.fall_table(runs).set_index("place").loc[place]
    assert row["held"] and row["fell_runs"] == 1 and row["runs"] == 4
    assert np.isnan(row["median"])
    assert HELD in [t.get_text() for t in plots.falls(runs).axes[0].texts]
    html = report.render(runs)
    assert f"<tr><td>{place}</td>" in html
    cells = html.split(f"<tr><td>{place}</td>", 1)[1].split("</tr>", 1)[0]
    assert cells.endswith(f"<td>{HELD}</td><td class=\"n\">-</td>")  # simulated, error


def test_a_place_that_held_in_3_of_4_runs_reads_as_held_in_the_dashboard(
        held_in_3_of_4, monkeypatch):
    pytest.importorskip("fastapi")
    from rout.web import app as web

    runs, place = held_in_3_of_4
    given = iter(runs)
    monkeypatch.setattr(web, "simulate", lambda *a, **k: next(given))
    answers = [web.run_one("syria-2024", {}, r.seed, i == 0) for i, r in enumerate(runs)]
    req = web.RunRequest(scenario="syria-2024", runs=4, seed=2)
    data = web.assemble(runs[0].scenario, req, answers, 0.0)
    row = next(r for r in data["timeline"] if r["place"] == place)
    assert row["held"] and row["median"] is None
    assert (row["fell_runs"], row["runs"]) == (1, 4)


def _fake_ensemble(runs_frame: pd.DataFrame) -> Callable[..., Ensemble]:
    def run(scenario, runs, **_: object) -> Ensemble:
        bands = pd.DataFrame({"step": [0, 24], "day": [0.0, 1.0], "variable": "left",
                              "p05": 0.0, "median": 0.0, "p95": 0.0})
        return Ensemble(runs_frame, runs_frame.iloc[:0], bands,
                        events(runs_frame, {"fall:Aleppo": 2.5}), {})
    return run


def test_a_place_that_held_in_3_of_4_runs_reads_as_held_in_the_cli(tmp_path, monkeypatch):
    from rout.cli import app

    ens_module = importlib.import_module("rout.experiments.ensemble")
    explain_module = importlib.import_module("rout.explain")

    frame = pd.DataFrame({"fall:Aleppo": [np.nan, np.nan, np.nan, 2.0],
                          "quarter_power_day": [np.nan, 1.0, 1.5, 2.0]})
    monkeypatch.setattr(ens_module, "ensemble", _fake_ensemble(frame))
    res = CliRunner().invoke(app, ["ensemble", "syria-2024", "--runs", "4", "--out",
                                   str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    line = next(s for s in res.stdout.splitlines() if "fall:Aleppo" in s)
    assert HELD in line and "day 2.5" in line
    assert "day 1.5 (5-95%: 1.0 to not reached; in 3 of 4)" in res.stdout

    table = pd.DataFrame({"mechanism": ["all on", "danger"], "outcome": "Aleppo", "runs": 4,
                          "happened": [0.25, 1.0], "median_day": [np.nan, 3.0],
                          "p05": [np.nan, 2.5], "p95": [np.nan, 3.5],
                          "shift_days": [np.nan, np.nan]})
    monkeypatch.setattr(explain_module, "ablation", lambda *a, **k: table)
    res = CliRunner().invoke(app, ["explain", "syria-2024", "--runs", "4"])
    assert res.exit_code == 0, res.output
    assert HELD in res.stdout
