"""Sweeps stream runs into the store; an interrupted sweep resumes without loss or duplicates."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rout.experiments import open as open_store
from rout.experiments import run, sweep
from rout.experiments.backend import Result, ScenarioLike
from rout.experiments.store import MANIFEST, RUNS, StoreError
from rout.experiments.sweep import grid, lhs

GRID = {"act_rate": [0.1, 0.3, 0.5]}
REPLICATES = 4
EXPECTED = {f"p{p:06d}-r{r:05d}" for p in range(3) for r in range(REPLICATES)}
SWEEP = ("sweep('garrison', OUT, grid_values={'act_rate': [0.1, 0.3, 0.5]}, "
         "runs_per_point=4, overrides={'days': 3}, seed=5)")


def stored_ids(out: Path) -> list[str]:
    return sorted(p.stem for p in (out / RUNS).glob("*.parquet")) if (out / RUNS).is_dir() \
        else []


def test_a_sweep_killed_halfway_resumes_to_exactly_the_expected_runs(tmp_path):
    out = tmp_path / "sweep"
    code = f"from rout.experiments import sweep\nOUT = {str(out)!r}\n{SWEEP}\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 120
        while len(stored_ids(out)) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    before = stored_ids(out)
    assert 3 <= len(before) < len(EXPECTED)
    (out / RUNS / ".p000002-r00003.999.tmp").write_bytes(b"half a run")  # as a kill leaves

    computed: list[int] = []
    exp = sweep("garrison", out, grid_values=GRID, runs_per_point=REPLICATES,
                overrides={"days": 3}, seed=5, resume=True, progress=computed.append)
    assert computed[0] == len(before)  # already stored, not recomputed
    assert computed[1:] == [1] * (len(EXPECTED) - len(before))
    assert set(stored_ids(out)) == EXPECTED
    assert not list((out / RUNS).glob(".*"))
    ids = exp.sql("SELECT run_id, count(*) AS n FROM runs GROUP BY run_id")
    assert set(ids["run_id"]) == EXPECTED and (ids["n"] == 1).all()
    steps = exp.sql("SELECT count(*) AS n FROM series")["n"].iloc[0]
    assert steps == len(EXPECTED) * 3 * 24
    # a run stored by the killed process is the run itself, bit for bit
    first = exp.sql(f"SELECT * FROM runs WHERE run_id = '{before[0]}'").iloc[0]
    direct = run("garrison", {"days": 3, "act_rate": first["act_rate"]},
                 np.random.SeedSequence(5, spawn_key=(int(first["replicate"]),)))
    assert direct.outcomes["left_share"] == first["left_share"]


def fail_on_replicate_two(flag: Path, scenario: ScenarioLike, overrides: dict,
                          seed: np.random.SeedSequence) -> Result:
    """A run that crashes for replicate 2 while the flag file exists."""
    if flag.exists() and seed.spawn_key == (2,):
        raise RuntimeError("injected crash")
    return run(scenario, overrides, seed)


def test_a_crashed_sweep_resumes_with_only_the_missing_runs(tmp_path):
    out, flag = tmp_path / "sweep", tmp_path / "flag"
    flag.touch()
    runner = functools.partial(fail_on_replicate_two, flag)
    kwargs = dict(grid_values={"act_rate": [0.2, 0.4]}, runs_per_point=3,
                  overrides={"days": 1}, runner=runner)
    with pytest.raises(RuntimeError, match="injected crash"):
        sweep("garrison", out, **kwargs)
    assert stored_ids(out) == ["p000000-r00000", "p000000-r00001"]
    flag.unlink()
    exp = sweep("garrison", out, resume=True, **kwargs)
    assert len(exp.runs) == 6 and exp.runs["run_id"].is_unique


def test_a_store_is_never_mixed_with_another_experiment(tmp_path):
    out = tmp_path / "sweep"
    sweep("garrison", out, grid_values={"act_rate": [0.2]}, overrides={"days": 0.5})
    with pytest.raises(StoreError, match=r"already holds an experiment: resume it "
                                         r"\(resume=True; on the command line --resume\)"):
        sweep("garrison", out, grid_values={"act_rate": [0.2]}, overrides={"days": 0.5})
    with pytest.raises(StoreError, match="design differs"):
        sweep("garrison", out, grid_values={"act_rate": [0.3]}, overrides={"days": 0.5},
              resume=True)
    with pytest.raises(StoreError, match="root_entropy differs"):
        sweep("garrison", out, grid_values={"act_rate": [0.2]}, overrides={"days": 0.5},
              resume=True, seed=2)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["numpy_version"] == np.__version__
    assert manifest["design"] == {"method": "grid", "grid": {"act_rate": [0.2]}}


def test_grid_takes_every_combination_in_order():
    assert grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_lhs_is_stratified_reproducible_and_keeps_integers():
    points = lhs({"x": (0.0, 1.0), "k": (1, 10)}, 10, np.random.default_rng(3))
    again = lhs({"x": (0.0, 1.0), "k": (1, 10)}, 10, np.random.default_rng(3))
    assert points == again
    xs = sorted(p["x"] for p in points)
    assert all(i / 10 <= x < (i + 1) / 10 for i, x in enumerate(xs))  # one per stratum
    assert all(isinstance(p["k"], int) and 1 <= p["k"] <= 10 for p in points)


def test_an_lhs_sweep_stores_its_design_and_can_be_queried(tmp_path):
    exp = sweep("garrison", tmp_path / "lhs", lhs_bounds={"act_rate": (0.1, 0.5)}, points=3,
                overrides={"days": 0.5}, seed=9)
    runs = exp.runs
    assert len(runs) == 3
    assert runs["act_rate"].between(0.1, 0.5).all()
    assert exp.manifest["points"] == [{"act_rate": v} for v in runs["act_rate"]]
    falls = exp.sql("SELECT place, count(*) AS n, count(day) AS fell FROM falls GROUP BY place")
    assert set(falls["place"]) == {"Town", "Rear"} and (falls["fell"] == 0).all()
    assert open_store(tmp_path / "lhs").runs.equals(runs)
