"""Global sensitivity analysis through SALib: which parameters move an outcome.

SALib draws the design (Sobol' or Morris) from the root seed; rout runs it like any
other experiment (any backend, optionally stored and resumable), averages the outcome
over each point's replicates and hands it back to SALib. The runner is pluggable, so
the same path can be checked on a function with known indices (Ishigami).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.backend import Runner, ScenarioLike, run
from rout.experiments.calibration import run_plan
from rout.experiments.plan import (
    BackendLike,
    Plan,
    Progress,
    RNGLike,
    design_rng,
    pick_rng,
    root_entropy,
)
from rout.experiments.sweep import as_point

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class Sensitivity:
    """Indices of one outcome.

    `indices`, one row per parameter: for Sobol' the first-order `S1` and total
    `ST` indices with their 95% confidence half-widths (`S1_conf`, `ST_conf`); for
    Morris `mu_star` (mean absolute elementary effect), `mu_star_conf` and
    `sigma` (spread: interactions or non-linearity). `samples`: the design points
    with the outcome's mean over replicates.
    """

    outcome: str
    method: str
    indices: pd.DataFrame
    samples: pd.DataFrame

    def __repr__(self) -> str:
        return (f"<Sensitivity of {self.outcome!r} ({self.method}, {len(self.samples)} "
                "points)>")

    def _repr_html_(self) -> str:
        """In a notebook: the outcome, the method, the design's size and the indices."""
        from html import escape

        from rout.experiments import display

        return (f"<div><b>Sensitivity of {escape(self.outcome)}</b> ({escape(self.method)}, "
                f"{len(self.samples):,} design points)"
                + display.table(self.indices, len(self.indices)) + "</div>")


def problem(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem format for parameter bounds."""
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()]}


def sample(prob: dict[str, Any], method: str, n: int, seed: int) -> np.ndarray:
    """The SALib design: n (D + 2) Sobol' rows or n (D + 1) Morris rows."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, n, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed)


def analyze(prob: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray,
            seed: int) -> pd.DataFrame:
    """SALib's indices as a frame, one row per parameter."""
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
        cols = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        from SALib.analyze import morris

        res = morris.analyze(prob, x, y, num_levels=MORRIS_LEVELS, seed=seed)
        cols = ("mu_star", "mu_star_conf", "sigma", "mu")
    out = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols})
    out.insert(0, "param", prob["names"])
    return out


def sensitivity(scenario: ScenarioLike, bounds: dict[str, tuple[float, float]], outcome: str,
                *, method: str = "sobol", n: int = 64, runs_per_point: int = 1,
                rng: RNGLike = None, seed: RNGLike = 1,
                overrides: dict[str, Any] | None = None,
                runner: Runner = run, out: str | Path | None = None, resume: bool = False,
                backend: BackendLike = "sequential", workers: int | None = None,
                scheduler: str | None = None, executor: Executor | None = None,
                progress: Progress | None = None) -> Sensitivity:
    """Sobol' or Morris indices of an outcome over parameter bounds.

    Day outcomes that never happen count as the horizon + 3 days (see `summary.as_number`).
    `rng` is the root seed (an int, a root SeedSequence or a Generator; `seed` is its older
    name): it draws the design and, child r, replicate r of every point.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    over = dict(overrides or {})
    prob = problem(bounds)
    entropy = root_entropy(pick_rng(rng, seed))
    sample_seed, analyze_seed = (int(s) for s in design_rng(entropy).integers(1, 2**31, 2))
    x = sample(prob, method, n, sample_seed)
    points = [as_point(prob["names"], row, bounds) for row in x]
    design = {"method": method, "n": n, "bounds": prob["bounds"], "names": prob["names"]}
    plan = Plan(scenario, points, runs_per_point, entropy, "sensitivity", design, over, runner)
    y = run_plan(plan, [outcome], "mean", out=out, resume=resume, backend=backend,
                 workers=workers, scheduler=scheduler, executor=executor,
                 progress=progress)[outcome].to_numpy()
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{outcome} is not a number at some points: cannot analyse it")
    if np.ptp(y) == 0:
        raise ValueError(f"{outcome} is {y[0]:g} at every point: there is no sensitivity "
                         "to measure")
    samples = pd.DataFrame(points)
    samples[outcome] = y
    return Sensitivity(outcome, method, analyze(prob, method, x, y, analyze_seed), samples)
