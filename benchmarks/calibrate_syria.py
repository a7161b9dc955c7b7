"""Calibrate the syria-2024 scenario to the recorded fall dates.

The procedure behind the scenario's defaults, repeatable by anyone:

    .venv/bin/python benchmarks/calibrate_syria.py [--seeds 6] [--generations 6] [--workers 2]

Differential evolution (SciPy) searches the parameters below within their
bounds. Each candidate runs the scenario over the same seeds (common random
numbers, so the objective is a deterministic function of the parameters) and
scores the median simulated fall day of each observed city against the record:

    loss = sum_city (median_day - observed_day)^2
           + 5 x (pairs of cities falling out of the recorded order)
           + 10 x max(0, effective power share when Damascus falls - 0.25)

A city that does not fall within the horizon counts as falling 3 days after it.
The best parameters are printed as a YAML `parameters`/`forces` fragment to be
copied into src/rout/scenario/data/syria-2024.yaml, and checked over 20 seeds.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.optimize import differential_evolution

import rout

SCENARIO = "syria-2024"
BOUNDS = {
    "army.threshold.mean": (0.35, 0.6),
    "w_collapse": (0.5, 1.5),
    "danger_km": (20.0, 90.0),
    "consolidation_hours": (2.0, 36.0),
    "forces.0.speed": (0.8, 2.5),
    "forces.1.start_day": (8.0, 9.5),
    "forces.1.speed": (1.0, 3.5),
}
# the starting point: the values in the scenario file before this search
START = {"army.threshold.mean": 0.45, "w_collapse": 1.0, "danger_km": 40.0,
         "consolidation_hours": 24.0, "forces.0.speed": 1.5, "forces.1.start_day": 9.0,
         "forces.1.speed": 1.5}


def outcomes(overrides: dict, seed: int) -> dict[str, float]:
    """Fall day of each observed place and the power share when Damascus falls."""
    run = rout.simulate(SCENARIO, seed=seed, overrides=overrides)
    out = run.timeline().set_index("place")["simulated"].to_dict()
    s = run.series
    damascus = out.get("Damascus", np.nan)
    upto = damascus if np.isfinite(damascus) else np.inf
    out["power_share"] = float(s.loc[s["day"] <= upto, "power_share"].iloc[-1])
    return out


def score(medians: dict[str, float], observed: dict[str, float], horizon: float) -> float:
    """The calibration loss of median outcomes (see the module docstring)."""
    sim = {p: (medians[p] if np.isfinite(medians[p]) else horizon + 3.0) for p in observed}
    loss = sum((sim[p] - observed[p]) ** 2 for p in observed)
    names = sorted(observed, key=observed.get)
    loss += 5.0 * sum(sim[a] > sim[b] for i, a in enumerate(names) for b in names[i + 1:])
    return loss + 10.0 * max(0.0, medians["power_share"] - 0.25)


def evaluate(x: np.ndarray, seeds: list[int]) -> tuple[float, dict[str, float]]:
    overrides = dict(zip(BOUNDS, map(float, x), strict=True))
    runs = [outcomes(overrides, s) for s in seeds]
    medians = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    sc = rout.load_scenario(SCENARIO)
    observed = {o.place: o.day for o in sc.observed}
    return score(medians, observed, sc.days), medians


def _loss(x: np.ndarray, seeds: list[int]) -> float:
    return evaluate(x, seeds)[0]


def _report(intermediate_result) -> None:
    """Print the best point so far after each generation."""
    best = dict(zip(BOUNDS, map(float, intermediate_result.x), strict=True))
    print(f"loss {intermediate_result.fun:.3f}", json.dumps({k: round(v, 3)
          for k, v in best.items()}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--generations", type=int, default=6)
    ap.add_argument("--popsize", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--check-seeds", type=int, default=20)
    args = ap.parse_args()
    seeds = list(range(args.seeds))
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        result = differential_evolution(
            _loss, list(BOUNDS.values()), args=(seeds,), maxiter=args.generations,
            popsize=args.popsize, seed=2024, polish=False, updating="deferred",
            workers=pool.map, x0=[START[k] for k in BOUNDS], callback=_report,
        )
    best = dict(zip(BOUNDS, map(float, result.x), strict=True))
    print(f"best loss {result.fun:.3f} after {result.nfev} evaluations, "
          f"{time.perf_counter() - start:.0f} s")
    print(json.dumps({k: round(v, 3) for k, v in best.items()}, indent=2))
    loss, med = evaluate(result.x, list(range(args.check_seeds)))
    print(f"check over {args.check_seeds} seeds: loss {loss:.3f}")
    print(json.dumps({k: round(v, 2) for k, v in med.items()}, indent=2))


if __name__ == "__main__":
    main()
