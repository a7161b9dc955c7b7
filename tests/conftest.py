"""Shared helpers: small runs of the built-in `garrison` scenario."""

from __future__ import annotations

import numpy as np

import rout

SEEDS = (0, 1, 2, 3)


def mean_over_seeds(fn, overrides: dict, seeds=SEEDS, scenario: str = "garrison") -> float:
    """Average of fn(run) over several seeds of a scenario with overrides."""
    return float(np.mean([fn(rout.simulate(scenario, seed=s, overrides=overrides))
                          for s in seeds]))


def left_area(run) -> float:
    """Mean share of the army gone over the run: larger when the collapse comes earlier."""
    return float(run.series["left"].mean() / run.n_soldiers)
