"""The experiment commands: results, stores, queries, and one readable line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from rout.experiments.commands import register

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """A stand-in for the `rout` app."""


register(app)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rout {' '.join(map(str, args))} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def ens(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "ens"
    code, stdout, stderr = invoke("ensemble", "garrison", "--runs", "3", "--days", "2",
                                  "--out", out, "--set", "act_rate=0.4")
    assert code == 0, stderr
    assert "quarter_power_day" in stdout and "Course of the runs" in stdout
    return out


def test_ensemble_stores_runs_and_bands(ens):
    assert len(list((ens / "runs").glob("*.parquet"))) == 3
    bands = pd.read_parquet(ens / "bands.parquet")
    assert set(bands["variable"]) == {"left", "on_duty", "power_share", "mean_effort",
                                      "mean_credibility"}
    assert (bands["p05"] <= bands["median"]).all() and (bands["median"] <= bands["p95"]).all()
    manifest = json.loads((ens / "manifest.json").read_text())
    assert manifest["overrides"] == {"act_rate": 0.4, "days": 2.0}


def test_ensemble_resume_computes_nothing_more_and_reports_the_same(ens):
    before = pd.read_parquet(ens / "events.parquet").set_index("event")
    stamps = {p: p.stat().st_mtime_ns for p in (ens / "runs").iterdir()}
    code, stdout, _ = invoke("ensemble", "garrison", "--runs", "3", "--days", "2", "--out",
                             ens, "--set", "act_rate=0.4", "--resume", "--format", "json")
    assert code == 0
    assert {p: p.stat().st_mtime_ns for p in (ens / "runs").iterdir()} == stamps
    events = {e["event"]: e for e in json.loads(stdout)["events"]}
    median = events["quarter_power_day"]["median"]  # JSON null: not reached in most runs
    np.testing.assert_equal(np.nan if median is None else median,
                            before.loc["quarter_power_day", "median"])


def test_query_answers_sql_as_table_csv_and_json(ens):
    code, stdout, _ = invoke("query", ens, "SELECT count(*) AS n FROM runs")
    assert code == 0 and "3" in stdout
    code, stdout, _ = invoke("query", ens, "SELECT run_id, max(\"left\") AS most FROM series "
                             "GROUP BY run_id ORDER BY run_id", "--format", "csv")
    lines = stdout.strip().splitlines()
    assert lines[0] == "run_id,most" and len(lines) == 4
    code, stdout, _ = invoke("query", ens, "SELECT place, day FROM falls", "--format", "json")
    assert {r["place"] for r in json.loads(stdout)} == {"Town", "Rear"}


def test_query_json_gives_list_columns_as_json_lists(ens):
    code, stdout, stderr = invoke(
        "query", ens, "SELECT run_id, list(\"left\" ORDER BY step) AS gone, "
        "{'n': count(*), 'days': list(day ORDER BY step)} AS s FROM series GROUP BY run_id",
        "--format", "json")
    assert code == 0, stderr
    rows = json.loads(stdout)
    assert len(rows) == 3
    for row in rows:
        assert isinstance(row["gone"], list) and len(row["gone"]) == row["s"]["n"] > 1
        assert all(isinstance(v, int | float) for v in row["gone"])
        assert isinstance(row["s"]["days"], list)


def test_sweep_grid_prints_one_row_per_point(tmp_path):
    code, stdout, stderr = invoke("sweep", "garrison", "--grid", "act_rate=0.1,0.4",
                                  "--runs-per-point", "2", "--days", "1", "--out",
                                  tmp_path / "s", "--format", "json")
    assert code == 0, stderr
    points = json.loads(stdout)["points"]
    assert [p["act_rate"] for p in points] == [0.1, 0.4] and all(p["runs"] == 2 for p in points)
    assert points[0]["left_share"] < points[1]["left_share"]


def test_sensitivity_and_calibrate_run_end_to_end(tmp_path):
    code, stdout, stderr = invoke("sensitivity", "garrison", "--param", "act_rate=0.1:0.5",
                                  "--param", "attacker_kill_rate=0.001:0.01", "--outcome",
                                  "left_share", "--method", "morris", "--n", "2", "--days", "1")
    assert code == 0, stderr
    assert "act_rate" in stdout and "mu*" in stdout
    fit = tmp_path / "fit.yaml"
    code, stdout, stderr = invoke("calibrate", "garrison", "--param", "act_rate=0.1:0.6",
                                  "--target", "left_share=0.5", "--points", "6", "--days", "1",
                                  "--out", fit)
    assert code == 0, stderr
    values = yaml.safe_load(fit.read_text())
    assert list(values) == ["act_rate"] and 0.1 <= values["act_rate"] <= 0.6
    assert len(pd.read_csv(tmp_path / "fit.posterior.csv")) == 1


@pytest.mark.parametrize("args,message", [
    (("sweep", "garrison", "--grid", "act_rate", "--out", "{tmp}/a"), "expected KEY=V1,V2"),
    (("sweep", "garrison", "--grid", "act_rate=0.1,7", "--out", "{tmp}/a"),
     "less than or equal to 1"),
    (("sweep", "garrison", "--lhs", "nope=0:1", "--out", "{tmp}/a"), "unknown key 'nope'"),
    (("sweep", "garrison", "--lhs", "act_rate=0.5:0.1", "--out", "{tmp}/a"),
     "LOW must be below HIGH"),
    (("sweep", "garrison", "--lhs", "act_rate=a:b", "--out", "{tmp}/a"), "is not a number"),
    (("sweep", "garrison", "--out", "{tmp}/a"), "give either --grid"),
    (("ensemble", "garrison", "--out", "{tmp}/a", "--backend", "threads"),
     "--backend must be one of"),
    (("ensemble", "garrison", "--out", "{tmp}/a", "--backend", "processes", "--scheduler",
      "tcp://127.0.0.1:1"), "needs the dask backend"),
    (("ensemble", "nowhere.yaml", "--out", "{tmp}/a"), "no such file"),
    (("ensemble", "garrison", "--out", "{tmp}/taken", "--runs", "1"), "already holds"),
    (("sensitivity", "garrison", "--param", "act_rate=0.1:0.5", "--outcome", "fall:Paris"),
     "unknown; outcomes are"),
    (("sensitivity", "garrison", "--param", "act_rate=0.1:0.5", "--n", "6"), "power of 2"),
    (("sensitivity", "garrison"), "at least one --param"),
    (("calibrate", "garrison", "--param", "act_rate=0.1:0.5"), "no observed block"),
    (("calibrate", "garrison", "--param", "act_rate=0.1:0.5", "--target", "x=1"),
     "expected OUTCOME=VALUE"),
    (("query", "{tmp}", "SELECT 1"), "not an experiment store"),
    (("query", "{tmp}/taken", "SELEKT"), "query: Parser Error"),
])
def test_bad_input_is_one_readable_line_and_status_2(tmp_path, args, message):
    taken = tmp_path / "taken"
    if not taken.exists():
        assert invoke("ensemble", "garrison", "--runs", "1", "--days", "0.2", "--out",
                      taken)[0] == 0
    code, stdout, stderr = invoke(*(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


def test_a_stored_experiment_shows_itself_in_a_notebook(ens):
    from rout.experiments.store import Experiment

    exp = Experiment(ens)
    html = exp._repr_html_()
    assert "<b>garrison</b>: ensemble of 3 runs, root seed 1; overrides act_rate=0.4" in html
    assert "3 runs stored in" in html and "<th>fall:Town</th>" in html
    exp.close()
