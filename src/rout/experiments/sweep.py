"""Designs (grids, Latin hypercubes) and sweeps over them, streamed into a store."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from rout.experiments.backend import Runner, ScenarioLike, run
from rout.experiments.plan import (
    BackendLike,
    Plan,
    Progress,
    RNGLike,
    design_rng,
    outcome_columns,
    pick_rng,
    plain,
    root_entropy,
    stream,
)
from rout.experiments.store import Experiment, Store
from rout.experiments.summary import is_day, quantiles


def as_point(names: Sequence[str], row: Sequence[float],
             bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """A sampled row as overrides; a parameter whose bounds are both integers stays integer."""
    out: dict[str, Any] = {}
    for name, x in zip(names, row, strict=True):
        lo, hi = bounds[name]
        integral = all(isinstance(b, int) and not isinstance(b, bool) for b in (lo, hi))
        out[name] = int(round(float(x))) if integral else float(x)
    return out


def grid(values: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the given values, the last key varying fastest."""
    keys = list(values)
    return [dict(zip(keys, map(plain, combo), strict=True))
            for combo in itertools.product(*(values[k] for k in keys))]


def lhs(bounds: dict[str, tuple[float, float]], points: int,
        rng: np.random.Generator) -> list[dict[str, Any]]:
    """A Latin hypercube of `points` points within the bounds (SciPy's qmc)."""
    names = list(bounds)
    unit = qmc.LatinHypercube(d=len(names), rng=rng).random(points)
    lows = [bounds[n][0] for n in names]
    highs = [bounds[n][1] for n in names]
    return [as_point(names, row, bounds) for row in qmc.scale(unit, lows, highs)]


def point_summary(runs: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Per design point: its parameters, the number of runs and the median of each outcome
    (a day outcome is NaN where it happened in fewer than half the runs: see `summary`)."""
    rows = []
    for p, group in runs.groupby("point", sort=True):
        row: dict[str, Any] = {"point": int(p), **{k: group[k].iloc[0] for k in params},
                               "runs": len(group)}
        for name in outcome_columns(runs, list(params)):
            values = group[name].to_numpy(dtype=float)
            row[name] = (float(quantiles(values, [0.5])[0]) if is_day(name)
                         else float(np.median(values)))
        rows.append(row)
    return pd.DataFrame(rows)


def sweep(scenario: ScenarioLike, out: str | Path, *,
          grid_values: dict[str, Sequence[Any]] | None = None,
          lhs_bounds: dict[str, tuple[float, float]] | None = None, points: int = 10,
          runs_per_point: int = 1, rng: RNGLike = None, seed: RNGLike = 1,
          overrides: dict[str, Any] | None = None, resume: bool = False,
          backend: BackendLike = "sequential", workers: int | None = None,
          scheduler: str | None = None, executor: Executor | None = None,
          runner: Runner = run, progress: Progress | None = None) -> Experiment:
    """Run a grid or a Latin hypercube of override values, streaming runs into a store.

    Give exactly one of `grid_values` (key -> values) or `lhs_bounds` (key -> (low,
    high), `points` points drawn from the root seed). `rng` is the root seed (an int, a
    root SeedSequence or a Generator; `seed` is its older name). Returns the stored
    experiment.
    """
    if (grid_values is None) == (lhs_bounds is None):
        raise ValueError("give either grid values or LHS bounds")
    entropy = root_entropy(pick_rng(rng, seed))
    if grid_values is not None:
        design: dict[str, Any] = {"method": "grid",
                                  "grid": {k: [plain(v) for v in vs]
                                           for k, vs in grid_values.items()}}
        pts = grid(grid_values)
    else:
        assert lhs_bounds is not None
        design = {"method": "lhs", "bounds": {k: list(b) for k, b in lhs_bounds.items()},
                  "points": points}
        pts = lhs(lhs_bounds, points, design_rng(entropy))
    plan = Plan(scenario, pts, runs_per_point, entropy, "sweep", design, dict(overrides or {}),
                runner)
    stream(plan, Store(out, plan.manifest(), resume), backend, workers, scheduler, executor,
           progress)
    return Experiment(out)
