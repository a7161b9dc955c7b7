"""Ensembles: many seeds of one scenario, reduced to medians and 5-95% bands."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.backend import SERIES, ScenarioLike
from rout.experiments.plan import BackendLike, Progress, execute, replicates, split
from rout.experiments.summary import QUANTILES, is_day, quantiles, summarise_days
from rout.scenario.loader import load_scenario


@dataclass(frozen=True)
class Ensemble:
    """An ensemble's results as frames.

    `runs`: one row per run (ids, seed, outcomes); `series`: one row per run and
    step; `bands`: per step and variable, the 5%, 50% and 95% quantiles over runs;
    `events`: per dated outcome (each place's fall, the day power drops below a
    quarter), the share of runs in which it happened, its quantiles and the
    observed day if the scenario records one.
    """

    runs: pd.DataFrame
    series: pd.DataFrame
    bands: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any]


def bands(series: pd.DataFrame, variables: tuple[str, ...] = SERIES) -> pd.DataFrame:
    """Per step and variable: the 5%, 50% and 95% quantiles over runs (tidy)."""
    wide = series.pivot_table(index="step", columns="run_id", values=["day", *variables],
                              sort=True)
    steps = wide.index.to_numpy()
    days = wide["day"].to_numpy()[:, 0]
    parts = []
    for var in variables:
        p05, med, p95 = quantiles(wide[var].to_numpy(), QUANTILES, axis=1)
        parts.append(pd.DataFrame({"step": steps, "day": days, "variable": var,
                                   "p05": p05, "median": med, "p95": p95}))
    return pd.concat(parts, ignore_index=True)


def events(runs: pd.DataFrame, observed: dict[str, float]) -> pd.DataFrame:
    """Per dated outcome: runs, the share in which it happened, quantiles of its day (NaN
    where it happened in fewer runs than the quantile needs) and the observed day."""
    rows = []
    for name in [c for c in runs if is_day(c)]:
        s = summarise_days(runs[name].to_numpy(dtype=float))
        rows.append({"event": name, "observed": observed.get(name, np.nan), "runs": s.runs,
                     "happened": s.share, "p05": s.p05, "median": s.median, "p95": s.p95})
    return pd.DataFrame(rows, columns=["event", "observed", "runs", "happened", "p05",
                                       "median", "p95"])


def observed_days(scenario: ScenarioLike, overrides: dict[str, Any]) -> dict[str, float]:
    """The scenario's recorded fall days, keyed like the outcomes (`fall:PLACE`)."""
    return {f"fall:{o.place}": o.day for o in load_scenario(scenario, overrides).observed}


def ensemble(scenario: ScenarioLike = "syria-2024", runs: int = 20, *, seed: int | None = 1,
             overrides: dict[str, Any] | None = None, out: str | Path | None = None,
             resume: bool = False, backend: BackendLike = "sequential",
             workers: int | None = None, scheduler: str | None = None,
             executor: Executor | None = None, progress: Progress | None = None) -> Ensemble:
    """Run `runs` seeds of a scenario (run i uses the root seed's child i) and reduce them.

    With `out` the runs are stored (and `resume` finishes an interrupted ensemble).
    """
    over = dict(overrides or {})
    plan = replicates(scenario, runs, seed, over)
    rows = execute(plan, out=out, resume=resume, backend=backend, workers=workers,
                   scheduler=scheduler, executor=executor, progress=progress)
    per_run, series = split(rows)
    return Ensemble(per_run, series, bands(series), events(per_run, observed_days(scenario, over)),
                    plan.manifest())
