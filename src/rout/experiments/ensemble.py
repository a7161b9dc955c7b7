"""Ensembles: many seeds of one scenario, reduced to medians and 5-95% bands."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.backend import SERIES, ScenarioLike
from rout.experiments.plan import (
    BackendLike,
    Progress,
    RNGLike,
    execute,
    pick_rng,
    replicates,
    split,
)
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

    def __repr__(self) -> str:
        m = self.manifest
        return (f"<Ensemble of {m.get('scenario')!r}: {m.get('replicates')} runs, root seed "
                f"{m.get('root_entropy')}>")

    def _repr_html_(self) -> str:
        """In a notebook: what was run, the record against the runs, where they ended."""
        from rout.experiments import display

        return ("<div>" + display.header(self.manifest, "ensemble")
                + display.table(display.outcomes(self.events), len(self.events))
                + display.final(self.bands) + "</div>")


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


def ensemble(scenario: ScenarioLike = "syria-2024", runs: int = 20, *, rng: RNGLike = None,
             seed: RNGLike = 1, overrides: dict[str, Any] | None = None,
             out: str | Path | None = None, resume: bool = False,
             backend: BackendLike = "sequential", workers: int | None = None,
             scheduler: str | None = None, executor: Executor | None = None,
             progress: Progress | None = None) -> Ensemble:
    """Run `runs` seeds of a scenario (run i uses the root seed's child i) and reduce them.

    Parameters
    ----------
    scenario
        A built-in scenario's name, a YAML file or a loaded `Scenario`.
    runs
        How many runs: the root seed's children 0..runs-1.
    rng
        The root seed: an int, a root `numpy.random.SeedSequence`, or a
        `numpy.random.Generator` (128 bits drawn from it become the root, recorded in the
        manifest).
    seed
        The older name of `rng`, used when `rng` is not given.
    overrides
        Values that replace the scenario's, by dotted path, as `--set` does.
    out
        A folder to store the runs in (Parquet, queried by `rout query`).
    resume
        Finish an interrupted ensemble stored in `out`: run only what is missing.
    backend, workers, scheduler, executor
        Where the runs go: "sequential", "processes" or "dask", with so many workers, a
        Dask scheduler's address, or any `concurrent.futures.Executor`.
    progress
        Called with the number of runs finished (for a progress bar).

    Returns
    -------
    Ensemble
        Its runs, series, bands over the runs and dated outcomes.
    """
    over = dict(overrides or {})
    plan = replicates(scenario, runs, pick_rng(rng, seed), over)
    rows = execute(plan, out=out, resume=resume, backend=backend, workers=workers,
                   scheduler=scheduler, executor=executor, progress=progress)
    per_run, series = split(rows)
    return Ensemble(per_run, series, bands(series), events(per_run, observed_days(scenario, over)),
                    plan.manifest())
