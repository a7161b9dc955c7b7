"""Runs are pure: the same experiment gives the same stored bytes on every backend."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rout.experiments import Backend, ensemble, model, run
from rout.experiments.backend import Result, ScenarioLike
from rout.experiments.store import MANIFEST, RUNS
from rout.scenario.loader import ScenarioError

RUNS_N = 4
DAYS = {"days": 2}


def stored(out: Path) -> dict[str, bytes]:
    """Every file of a store by name, manifest included."""
    files = {p.name: p.read_bytes() for p in (out / RUNS).iterdir()}
    files[MANIFEST] = (out / MANIFEST).read_bytes()
    return files


def die_once(marker: Path, scenario: ScenarioLike, overrides: dict,
             seed: np.random.SeedSequence) -> Result:
    """A run whose worker process dies the first time any run is tried, then runs normally."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return run(scenario, overrides, seed)
    os._exit(1)


@pytest.fixture(scope="module")
def process_backend():
    """One pool of 2 spawned worker processes for the module."""
    with Backend("processes", workers=2) as backend:
        yield backend


@pytest.fixture(scope="module")
def dask_backend():
    """One LocalCluster of 2 single-threaded worker processes for the module (slow to start)."""
    with Backend("dask", workers=2) as backend:
        yield backend


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path_factory.mktemp("ref") / "sequential"
    ensemble("garrison", RUNS_N, overrides=DAYS, seed=11, out=out)
    return out, stored(out)


def test_run_i_uses_child_i_of_the_root_seed(reference):
    out, _ = reference
    from rout.experiments import open as open_store

    runs = open_store(out).runs
    children = np.random.SeedSequence(11).spawn(RUNS_N)
    for row, child in zip(runs.itertuples(), children, strict=True):
        assert row.spawn_key == f"[{child.spawn_key[0]}]"
        direct = run("garrison", DAYS, child).outcomes
        assert direct["left_share"] == row.left_share
    assert runs["root_entropy"].eq("11").all()
    assert runs["numpy_version"].eq(np.__version__).all()
    assert runs["left_share"].nunique() == RUNS_N  # replications differ


def test_process_pools_of_1_and_2_workers_store_the_same_bytes(reference, tmp_path,
                                                               process_backend):
    one, two = tmp_path / "one", tmp_path / "two"
    ensemble("garrison", RUNS_N, overrides=DAYS, seed=11, out=one, backend="processes",
             workers=1)
    ensemble("garrison", RUNS_N, overrides=DAYS, seed=11, out=two, backend=process_backend)
    assert stored(one) == reference[1]
    assert stored(two) == reference[1]


def test_dask_cluster_stores_the_same_bytes(reference, tmp_path, dask_backend):
    out = tmp_path / "dask"
    ensemble("garrison", RUNS_N, overrides=DAYS, seed=11, out=out, backend=dask_backend)
    assert stored(out) == reference[1]


def test_a_dead_process_worker_is_replaced_and_its_runs_retried(tmp_path, process_backend):
    marker = tmp_path / "died"
    jobs = [("garrison", DAYS, np.random.SeedSequence(11, spawn_key=(i,)))
            for i in range(RUNS_N)]
    got = dict(process_backend.map(functools.partial(die_once, marker), jobs))
    assert marker.exists()
    assert sorted(got) == list(range(RUNS_N))
    want = ensemble("garrison", RUNS_N, overrides=DAYS, seed=11).runs["left_share"].tolist()
    assert [got[i].outcomes["left_share"] for i in range(RUNS_N)] == want


def test_a_dead_dask_worker_is_replaced_and_its_runs_retried(tmp_path, dask_backend):
    marker = tmp_path / "died"
    jobs = [("garrison", DAYS, np.random.SeedSequence(11, spawn_key=(i,)))
            for i in range(RUNS_N)]
    got = dict(dask_backend.map(functools.partial(die_once, marker), jobs))
    assert marker.exists()
    want = ensemble("garrison", RUNS_N, overrides=DAYS, seed=11).runs["left_share"].tolist()
    assert [got[i].outcomes["left_share"] for i in range(RUNS_N)] == want


def test_a_failing_run_raises_instead_of_being_lost(process_backend):
    with pytest.raises(ScenarioError):
        list(process_backend.map(run, [("garrison", {"nope": 1}, np.random.SeedSequence(1))]))


def test_ema_function_returns_the_outcomes_of_the_pure_run():
    out = model(scenario="garrison", seed=5, days=2, act_rate=0.2,
                mechanisms__checkpoints=False)
    res = run("garrison", {"days": 2, "act_rate": 0.2, "mechanisms.checkpoints": False},
              np.random.SeedSequence(5))
    assert out["left_share"] == res.outcomes["left_share"]
    assert np.isnan(out["fall_Town"])
    assert all(name.isidentifier() for name in out)
    assert np.array_equal(out["power_share"], res.series["power_share"].to_numpy())


def test_backend_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="backend must be one of"):
        Backend("threads")


def test_dask_workers_keep_the_default_allocator(dask_backend):
    # Dask's default MALLOC_TRIM_THRESHOLD_ makes rout's large arrays 5x slower to allocate
    got = dict(dask_backend.map(os.environ.get, [("MALLOC_TRIM_THRESHOLD_",)]))
    assert got == {0: None}
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ


def test_dask_workers_do_not_profile_themselves():
    # the statistical profiler samples every worker's stack every 10 ms, CPU the runs need
    # (a cluster of its own: the module's has a worker killed on purpose above)
    import dask

    key = ("distributed.worker.profile.enabled",)
    with Backend("dask", workers=2) as backend:
        got = dict(backend.map(dask.config.get, [key] * 8))
    assert set(got.values()) == {False}


NOTEBOOK_RUNNER = """
from rout.experiments.plan import map_runs, replicates

def runner(scenario, overrides, seed):
    return 1

try:
    map_runs(replicates("garrison", 2, 1, {"days": 0.1}), runner, backend="processes",
             workers=1)
except TypeError as exc:
    print(exc)
"""


def test_a_runner_from_a_notebook_is_refused_with_the_fix_before_any_run():
    res = subprocess.run([sys.executable, "-c", NOTEBOOK_RUNNER], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "the runner runner is defined in the notebook or at the prompt (__main__)" \
        in res.stdout
    assert "put it in a module" in res.stdout and "backend='dask'" in res.stdout
    assert "workers kept dying" not in res.stdout + res.stderr


def test_a_runner_that_cannot_be_pickled_is_refused_in_python_terms(process_backend):
    with pytest.raises(TypeError, match="cannot be sent to worker processes.*put it in a"):
        list(process_backend.map(lambda *a: 1, [("garrison", {}, None)]))
