"""Joint calibration: one set of behavioural parameters for every case of the library.

The loss of a parameter point is the mean, over cases, of each case's score loss
(`score.loss`: errors in units of the case's tolerance, so a slow collapse weighs
as much as a fast one, plus penalties for holds and falls the wrong way round).
Every case runs the same replicates at every point (common random numbers), on
any backend, optionally with super-individuals (`scale`) to make the search
affordable. Differential evolution (SciPy) searches the bounds. Leave-one-case-out
validation (`leave_one_out`) fits on all cases but one, and the one left out is scored
at that fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.plan import BackendLike, design_rng, replicate_seed, root_entropy, using
from rout.experiments.score import Score, loss, score_outcomes, score_run
from rout.experiments.sweep import as_point
from rout.scenario.loader import load_scenario

# The built-in cases with a record, scored together.
CASES = ("syria-2024", "mosul-2014", "south-vietnam-1975", "kyiv-2022")
# Super-individual scales that make the search affordable (tests/test_scale.py checks them).
SCALES = {"syria-2024": 5, "mosul-2014": 5, "south-vietnam-1975": 10, "kyiv-2022": 2}
# The behavioural parameters fitted jointly, and their bounds: no input of any case.
BOUNDS = {
    "w_grievance": (0.2, 1.5),
    "w_danger": (0.05, 1.5),
    "danger_km": (5.0, 60.0),
    "w_collapse": (0.2, 2.0),
    "collapse_officers": (0.1, 1.5),
    "collapse_news": (0.0, 0.8),
    "act_rate": (0.02, 0.4),
    "severity": (0.2, 2.0),
    "rise_threshold": (0.05, 0.5),
    "w_family": (0.0, 1.5),
    "army.threshold.mean": (0.25, 0.8),
    "withdraw_ratio": (0.1, 0.6),
}


@dataclass(frozen=True)
class Fit:
    """A joint fit: the best point, its loss, and every point evaluated (with each case's
    loss)."""

    best: dict[str, Any]
    loss: float
    samples: pd.DataFrame


def case_scales(cases: Sequence[str], scale: int | dict[str, int]) -> dict[str, int]:
    """The super-individual scale of each case (one for all, or one per case)."""
    return {c: (scale.get(c, 1) if isinstance(scale, dict) else scale) for c in cases}


def evaluate(points: Sequence[dict[str, Any]], cases: Sequence[str], runs: int, entropy: int,
             scale: int | dict[str, int] = 1, overrides: dict[str, Any] | None = None,
             backend: BackendLike = "sequential", workers: int | None = None,
             progress: Callable[[int], None] | None = None) -> list[dict[str, Score]]:
    """Every case's score at every point: all runs of all points mapped at once."""
    scales = case_scales(cases, scale)
    jobs, keys = [], []
    for i, point in enumerate(points):
        for case in cases:
            over = {**(overrides or {}), **point, "scale": scales[case]}
            for r in range(runs):
                jobs.append((case, over, replicate_seed(entropy, r)))
                keys.append((i, case))
    outcomes: dict[tuple[int, str], list[dict[str, float]]] = {}
    with using(backend, workers) as b:
        for j, result in b.map(score_run, jobs):
            outcomes.setdefault(keys[j], []).append(result.outcomes)
            if progress is not None:
                progress(1)
    scenarios = {c: load_scenario(c, {**(overrides or {}), "scale": scales[c]}) for c in cases}
    return [{c: score_outcomes(scenarios[c], pd.DataFrame(outcomes[(i, c)])) for c in cases}
            for i in range(len(points))]


def joint_loss(scores: dict[str, Score]) -> float:
    """The mean of the cases' losses."""
    return float(np.mean([loss(s) for s in scores.values()]))


def fit(cases: Sequence[str], bounds: dict[str, tuple[float, float]], *, runs: int = 4,
        seed: int | None = 1, scale: int | dict[str, int] = 1, popsize: int = 6,
        generations: int = 10, overrides: dict[str, Any] | None = None,
        backend: BackendLike = "sequential", workers: int | None = None,
        progress: Callable[[dict[str, Any]], None] | None = None,
        start: dict[str, float] | None = None) -> Fit:
    """Differential evolution over the bounds, each generation's population evaluated as one
    batch on the backend; `progress` hears every evaluated point. `start` (a point inside
    the bounds, e.g. an earlier fit) joins the first generation."""
    from scipy.optimize import differential_evolution

    names = list(bounds)
    entropy = root_entropy(seed)
    seen: list[dict[str, Any]] = []
    pool: list[Any] = []

    def batch(_func: Any, xs: Any) -> list[float]:
        pts = [as_point(names, x, bounds) for x in xs]
        scores = evaluate(pts, cases, runs, entropy, scale, overrides, pool[0])
        out = []
        for pt, sc in zip(pts, scores, strict=True):
            row = {**pt, "loss": joint_loss(sc), **{f"loss:{c}": loss(s) for c, s in sc.items()}}
            seen.append(row)
            out.append(row["loss"])
            if progress is not None:
                progress(row)
        return out

    with using(backend, workers) as b:
        pool.append(b)
        differential_evolution(lambda x: 0.0, [tuple(map(float, bounds[n])) for n in names],
                               popsize=popsize, maxiter=generations, polish=False,
                               updating="deferred", init="sobol",
                               workers=lambda f, xs: batch(f, list(xs)),
                               rng=design_rng(entropy),
                               x0=None if start is None else [start[n] for n in names])
    samples = pd.DataFrame(seen).sort_values("loss", kind="stable", ignore_index=True)
    best = {n: samples[n].iloc[0] for n in names}
    return Fit(best, float(samples["loss"].iloc[0]), samples)


def leave_one_out(cases: Sequence[str], bounds: dict[str, tuple[float, float]],
                  **options: Any) -> dict[str, Fit]:
    """For each case, the joint fit (`fit`, with `options`) over the other cases only: the
    parameters a calibration that never saw the case would ship."""
    if len(cases) < 2:
        raise ValueError("leave-one-case-out needs at least two cases")
    return {case: fit([c for c in cases if c != case], bounds, **options) for case in cases}
