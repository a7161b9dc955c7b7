"""Calibration: parameters that make simulated fall days match the recorded ones.

Two methods. `abc`: rejection approximate Bayesian computation. A Latin hypercube
over the bounds is the prior sample (uniform priors); each point runs its
replicates, and the closest fraction of points is accepted as the posterior
sample. `optimize`: SciPy's differential evolution minimises the same distance,
each generation's population mapped over the backend.

The distance of a point is the root mean square, over targets, of the difference
between the median simulated value over its replicates and the target; a place
that does not fall counts as falling 3 days after the horizon. Replicate r uses
the same seed at every point, so the distance is a deterministic function of the
parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rout.experiments.backend import Runner, ScenarioLike, run
from rout.experiments.ensemble import observed_days
from rout.experiments.plan import (
    BackendLike,
    Plan,
    Progress,
    design_rng,
    execute,
    plain,
    replicate_seed,
    root_entropy,
    split,
    using,
)
from rout.experiments.summary import as_number
from rout.experiments.sweep import as_point, lhs
from rout.scenario.loader import load_scenario

METHODS = ("abc", "optimize")
POPSIZE = 10
"""Differential evolution's population per parameter."""


@dataclass(frozen=True)
class Calibration:
    """A fit.

    `best`: override values to use (ABC: the posterior median of each parameter;
    optimize: the best point found). `distance`: the smallest distance reached,
    at the point whose medians are in `fit` (target, observed, simulated).
    `samples`: every evaluated point with its distance (and, for ABC, whether it
    was accepted); `posterior`: the accepted points, closest first (optimize: the
    best point).
    """

    method: str
    targets: dict[str, float]
    best: dict[str, Any]
    distance: float
    fit: pd.DataFrame
    samples: pd.DataFrame
    posterior: pd.DataFrame


def per_point(runs: pd.DataFrame, outcomes: Iterable[str], horizon: float,
              how: str = "median") -> pd.DataFrame:
    """Per design point, the median (or the mean: `how`) over its replicates of each
    outcome; a day that never came counts as the horizon + 3 (`summary.as_number`)."""
    cols = {t: as_number(t, runs[t].to_numpy(), horizon) for t in outcomes}
    return pd.DataFrame(cols).groupby(runs["point"].to_numpy()).agg(how)


def run_plan(plan: Plan, outcomes: Iterable[str], how: str = "median",
             **execution: Any) -> pd.DataFrame:
    """Run a plan (`execute` with these keywords, so resumable) and reduce the outcomes of
    its runs per point (`per_point`)."""
    names = list(outcomes)
    runs, _ = split(execute(plan, **execution))
    missing = [t for t in names if t not in runs]
    if missing:
        raise ValueError(f"no outcome {missing[0]!r} in the results")
    return per_point(runs, names, load_scenario(plan.scenario, plan.overrides).days, how)


def medians(outcomes: pd.DataFrame, targets: dict[str, float], horizon: float
            ) -> pd.DataFrame:
    """Per point, the median over replicates of each target outcome (censored days)."""
    return per_point(outcomes, targets, horizon)


def distances(meds: pd.DataFrame, targets: dict[str, float]) -> np.ndarray:
    """Root mean square difference between simulated medians and targets, per point."""
    diff = meds[list(targets)].to_numpy() - np.array(list(targets.values()))
    return np.sqrt(np.mean(diff**2, axis=1))


def point_medians(point: dict[str, Any], scenario: ScenarioLike, targets: dict[str, float],
                  horizon: float, replicates: int, entropy: int, overrides: dict[str, Any],
                  runner: Runner) -> pd.Series:
    """The median of each target over one point's replicates, run here."""
    results = [runner(scenario, {**overrides, **point}, replicate_seed(entropy, r)).outcomes
               for r in range(replicates)]
    return medians(pd.DataFrame(results).assign(point=0), targets, horizon).iloc[0]


def point_distance(x: np.ndarray, scenario: ScenarioLike, names: list[str],
                   bounds: dict[str, tuple[float, float]], targets: dict[str, float],
                   horizon: float, replicates: int, entropy: int,
                   overrides: dict[str, Any], runner: Runner) -> float:
    """The distance of one parameter vector (one optimize task, mapped over the backend)."""
    meds = point_medians(as_point(names, x, bounds), scenario, targets, horizon, replicates,
                         entropy, overrides, runner)
    return float(distances(meds.to_frame().T, targets)[0])


def calibrate(scenario: ScenarioLike, bounds: dict[str, tuple[float, float]], *,
              targets: dict[str, float] | None = None, method: str = "abc", points: int = 100,
              accept: float = 0.1, runs_per_point: int = 1, seed: int | None = 1,
              overrides: dict[str, Any] | None = None, runner: Runner = run,
              out: str | Path | None = None, resume: bool = False,
              backend: BackendLike = "sequential", workers: int | None = None,
              scheduler: str | None = None, executor: Executor | None = None,
              progress: Progress | None = None) -> Calibration:
    """Fit parameters within bounds to targets (default: the scenario's observed fall days).

    `points` is the prior sample size (abc) or the evaluation budget (optimize);
    `accept` the fraction of closest points kept (abc). With `out` the ABC runs are
    stored and `resume` finishes an interrupted calibration.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < accept <= 1:
        raise ValueError(f"accept must be a fraction in (0, 1], got {accept}")
    over = dict(overrides or {})
    goal = dict(targets) if targets else observed_days(scenario, over)
    if not goal:
        raise ValueError("no targets: the scenario has no observed block")
    horizon = load_scenario(scenario, over).days
    entropy = root_entropy(seed)
    names = list(bounds)
    if method == "abc":
        pts = lhs(bounds, points, design_rng(entropy))
        design = {"method": "abc", "bounds": {k: list(b) for k, b in bounds.items()},
                  "points": points}
        plan = Plan(scenario, pts, runs_per_point, entropy, "calibration", design, over, runner)
        meds = run_plan(plan, goal, out=out, resume=resume, backend=backend, workers=workers,
                        scheduler=scheduler, executor=executor, progress=progress)
        samples = pd.DataFrame(pts)
        samples["distance"] = distances(meds, goal)
        keep = max(1, round(accept * len(samples)))
        order = np.argsort(samples["distance"].to_numpy(), kind="stable")
        samples["accepted"] = False
        samples.loc[order[:keep], "accepted"] = True
        posterior = samples.iloc[order[:keep]].reset_index(drop=True)
        best = as_point(names, [posterior[n].median() for n in names], bounds)
    else:
        if out is not None:
            raise ValueError("optimize evaluates points one generation at a time and does not "
                             "store runs; use abc to store them")
        samples = _optimize(scenario, bounds, goal, horizon, points, runs_per_point, entropy,
                            over, runner, backend, workers, scheduler, executor, progress)
        order = np.argsort(samples["distance"].to_numpy(), kind="stable")
        posterior = samples.iloc[order[:1]].reset_index(drop=True)
        best = {n: plain(posterior[n].iloc[0]) for n in names}
        meds = point_medians(best, scenario, goal, horizon, runs_per_point, entropy, over,
                             runner).to_frame().T.set_axis([int(order[0])])
    closest = int(order[0])
    fit = pd.DataFrame({"target": list(goal), "observed": list(goal.values()),
                        "simulated": [meds.loc[closest, t] for t in goal]})
    return Calibration(method, goal, best, float(samples["distance"].iloc[closest]), fit,
                       samples, posterior)


def _optimize(scenario: ScenarioLike, bounds: dict[str, tuple[float, float]],
              goal: dict[str, float], horizon: float, budget: int, replicates: int,
              entropy: int, over: dict[str, Any], runner: Runner, backend: BackendLike,
              workers: int | None, scheduler: str | None, executor: Executor | None,
              progress: Progress | None) -> pd.DataFrame:
    """Differential evolution over the bounds; every evaluated point with its distance."""
    from scipy.optimize import differential_evolution

    names = list(bounds)
    args = (scenario, names, bounds, goal, horizon, replicates, entropy, over, runner)
    seen: list[dict[str, Any]] = []

    with using(backend, workers, scheduler, executor) as b:
        def mapper(func: Any, xs: Any) -> list[float]:
            xs = list(xs)
            out = [0.0] * len(xs)
            for i, value in b.map(func, [(x,) for x in xs]):
                out[i] = value
                if progress is not None:
                    progress(replicates)
            seen.extend({**as_point(names, x, bounds), "distance": d}
                        for x, d in zip(xs, out, strict=True))
            return out

        generations = max(1, budget // (POPSIZE * len(names)) - 1)
        differential_evolution(point_distance, [tuple(map(float, bounds[n])) for n in names],
                               args=args, popsize=POPSIZE, maxiter=generations, polish=False,
                               updating="deferred", workers=mapper, rng=design_rng(entropy))
    return pd.DataFrame(seen)


def write_overrides(cal: Calibration, path: str | Path) -> Path:
    """Write the fitted override values as a YAML mapping of override keys to values
    (what `--set KEY=VALUE` takes, one per line), with the fit as a comment."""
    path = Path(path)
    head = (f"# rout calibrate ({cal.method}): distance {cal.distance:.3g} to "
            f"{', '.join(f'{k}={v:g}' for k, v in cal.targets.items())}\n")
    path.write_text(head + yaml.safe_dump({k: plain(v) for k, v in cal.best.items()},
                                          sort_keys=False))
    return path
