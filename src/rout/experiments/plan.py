"""The one path every experiment takes: a plan of runs, its seeds, and its execution.

Every experiment (an ensemble, a sweep, a sensitivity sample, a calibration, the
ablation of `rout explain`, the report's runs and the dashboard's) is a `Plan`:
design points x replicates under one root seed. Replicate r of every point uses
the root's child r, `SeedSequence(root_entropy, spawn_key=(r,))`, the same seed
as `root.spawn(replicates)[r]`: common random numbers, so points differ only by
their parameters, and a run's seed never depends on the number of workers or on
the order in which runs finish.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.dataset as pa_dataset

import rout
from rout.experiments.backend import Backend, Runner, ScenarioLike, run
from rout.experiments.store import RESERVED, SERIES_COLUMNS, Record, Store, rows_of, run_id
from rout.scenario.loader import load_scenario
from rout.scenario.schema import Scenario

DESIGN_KEY = 2**32 - 1
"""Spawn key of the root's child that draws the design (LHS, Sobol, Morris): no run uses it."""

Progress = Callable[[int], None]
BackendLike = str | Backend


RNGLike = int | np.random.SeedSequence | np.random.Generator | None
"""Where an experiment's randomness comes from (SPEC 7), as `rout.simulate` takes it."""


def root_entropy(rng: RNGLike) -> int:
    """The root seed's entropy, recorded in the manifest: an int as given; a SeedSequence's
    own (a root: a spawned child's key would be lost); from a Generator, 128 bits drawn
    from it (the caller's generator moves on, the experiment can be redone from the
    manifest); None draws fresh entropy."""
    if isinstance(rng, np.random.Generator):
        return int.from_bytes(rng.bytes(16), "little")
    if isinstance(rng, np.random.SeedSequence):
        if rng.spawn_key:
            raise ValueError(f"rng: a root SeedSequence is needed, not a spawned child "
                             f"(spawn_key {rng.spawn_key}); pass its entropy or a Generator")
        return int(rng.entropy)
    if isinstance(rng, bool) or not (rng is None or isinstance(rng, int | np.integer)):
        raise TypeError(f"rng must be an int, a SeedSequence, a Generator or None, "
                        f"got {type(rng).__name__}")
    return int(np.random.SeedSequence(rng).entropy)


def pick_rng(rng: RNGLike, seed: RNGLike) -> RNGLike:
    """`rng=`, or its older name `seed=` when `rng` is not given."""
    return rng if rng is not None else seed


def replicate_seed(entropy: int, replicate: int) -> np.random.SeedSequence:
    """The seed of replicate r at any design point: the root's child r."""
    return np.random.SeedSequence(entropy, spawn_key=(replicate,))


def design_rng(entropy: int) -> np.random.Generator:
    """The generator that draws designs, independent of every run's stream."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(DESIGN_KEY,)))


def plain(value: Any) -> Any:
    """A JSON- and Parquet-friendly Python value (no NumPy scalars)."""
    return value.item() if isinstance(value, np.generic) else value


def scenario_label(scenario: ScenarioLike) -> str:
    return scenario.name if isinstance(scenario, Scenario) else str(scenario)


def scenario_digest(scenario: ScenarioLike) -> str:
    """SHA-256 of the resolved scenario, so a resumed experiment notices an edited file."""
    return hashlib.sha256(load_scenario(scenario).model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
    """An experiment: design points x replicates of one scenario under one root seed."""

    scenario: ScenarioLike
    points: list[dict[str, Any]]
    replicates: int
    entropy: int
    kind: str
    design: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    runner: Runner = run

    def __post_init__(self) -> None:
        clash = sorted({k for p in self.points for k in p} & RESERVED)
        if clash:
            raise ValueError(f"{clash[0]!r} is a column of the results, not a parameter")
        if self.replicates < 1 or not self.points:
            raise ValueError("an experiment needs at least one point and one replicate")

    @property
    def size(self) -> int:
        return len(self.points) * self.replicates

    def runs(self) -> Iterator[tuple[str, int, int]]:
        """(run id, point, replicate) of every run, point by point."""
        for p in range(len(self.points)):
            for r in range(self.replicates):
                yield run_id(p, r), p, r

    def job(self, point: int, replicate: int) -> tuple[ScenarioLike, dict[str, Any],
                                                        np.random.SeedSequence]:
        """The arguments of one run: (scenario, overrides, seed)."""
        return (self.scenario, {**self.overrides, **self.points[point]},
                replicate_seed(self.entropy, replicate))

    def manifest(self) -> dict[str, Any]:
        """What defines the experiment (and must match when it is resumed)."""
        fn = self.runner
        return {
            "format": 1,
            "kind": self.kind,
            "scenario": scenario_label(self.scenario),
            "scenario_sha256": scenario_digest(self.scenario),
            "overrides": {k: plain(v) for k, v in self.overrides.items()},
            "design": self.design,
            "points": self.points,
            "replicates": self.replicates,
            "root_entropy": self.entropy,
            "seeds": "run (point, replicate) uses SeedSequence(root_entropy, "
                     "spawn_key=(replicate,)) = root.spawn(replicates)[replicate]",
            "numpy_version": np.__version__,
            "rout_version": rout.__version__,
            "runner": f"{getattr(fn, '__module__', '?')}:"
                      f"{getattr(fn, '__qualname__', type(fn).__name__)}",
        }


@contextmanager
def using(backend: BackendLike, workers: int | None = None, scheduler: str | None = None,
          executor: Executor | None = None) -> Iterator[Backend]:
    """A started backend: the one given (left running for reuse) or a new one (closed after)."""
    if isinstance(backend, Backend):
        yield backend
        return
    with Backend(backend, workers=workers, scheduler=scheduler, executor=executor) as b:
        yield b


def stream(plan: Plan, store: Store | None, backend: BackendLike = "sequential",
           workers: int | None = None, scheduler: str | None = None,
           executor: Executor | None = None,
           progress: Progress | None = None) -> list[Record]:
    """Run what the store lacks, writing each run as it finishes; without a store, return
    the finished runs instead."""
    done = store.done() if store is not None else set()
    todo = [(rid, p, r) for rid, p, r in plan.runs() if rid not in done]
    if progress is not None and plan.size > len(todo):
        progress(plan.size - len(todo))
    jobs = [plan.job(p, r) for _, p, r in todo]
    records: list[Record] = []
    with using(backend, workers, scheduler, executor) as b:
        for i, result in b.map(plan.runner, jobs):
            rid, p, r = todo[i]
            rec = Record(rid, p, r, plan.points[p], (r,), result)
            if store is not None:
                store.write(rows_of([rec], plan.entropy))
            else:
                records.append(rec)
            if progress is not None:
                progress(1)
    return records


def execute(plan: Plan, *, out: str | Path | None = None, resume: bool = False,
            backend: BackendLike = "sequential", workers: int | None = None,
            scheduler: str | None = None, executor: Executor | None = None,
            progress: Progress | None = None) -> pd.DataFrame:
    """Run a plan and return every run as rows (one per run and step).

    With `out`, each run streams into the store as it finishes, and with `resume`
    only the runs not stored yet are computed; the rows then come from the store.
    """
    store = Store(out, plan.manifest(), resume) if out is not None else None
    records = stream(plan, store, backend, workers, scheduler, executor, progress)
    if store is None:
        records.sort(key=lambda rec: (rec.point, rec.replicate))
        return rows_of(records, plan.entropy)
    files = [str(store.runs / f"{rid}.parquet") for rid, _, _ in plan.runs()]
    rows = pa_dataset.dataset(files, format="parquet").to_table().to_pandas()
    return rows.sort_values(["point", "replicate"], kind="stable", ignore_index=True)


def replicates(scenario: ScenarioLike, runs: int, seed: RNGLike = 1,
               overrides: dict[str, Any] | None = None, kind: str = "ensemble",
               runner: Runner = run) -> Plan:
    """A plan of `runs` replicates of one scenario: run r uses the root seed's child r."""
    return Plan(scenario, [{}], runs, root_entropy(seed), kind, {"method": kind},
                dict(overrides or {}), runner)


def map_runs(plan: Plan, fn: Callable[..., Any], backend: BackendLike = "sequential",
             workers: int | None = None, progress: Progress | None = None) -> list[Any]:
    """`fn(scenario, overrides, seed)` for every run of a plan, in plan order (not stored):
    for callers that need more of a run than an experiment keeps (a whole `Run`)."""
    jobs = [plan.job(p, r) for _, p, r in plan.runs()]
    out: list[Any] = [None] * len(jobs)
    with using(backend, workers) as b:
        for i, value in b.map(fn, jobs):
            out[i] = value
            if progress is not None:
                progress(1)
    return out


def split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of an experiment as (runs: one row each, series: one row per run and step)."""
    series_cols = [c for c in SERIES_COLUMNS if c in rows]
    runs = rows.drop_duplicates("run_id").drop(columns=series_cols).reset_index(drop=True)
    series = rows[["run_id", "point", "replicate", *series_cols]] if "step" in rows else \
        rows.iloc[:0][["run_id", "point", "replicate"]]
    return runs, series.reset_index(drop=True)


def outcome_columns(runs: pd.DataFrame, params: list[str] | tuple[str, ...]) -> list[str]:
    """The outcome columns of a runs frame (what is neither an id, a seed nor a parameter)."""
    return [c for c in runs if c not in RESERVED and c not in params]
