"""Why it collapsed: ablation of each mechanism over seeds, in days of each outcome.

Each mechanism is switched off in turn; every case runs the same replicates
(the root seed's children), through the experiments' one path, and each
outcome is summarised the one way (`rout.experiments.summary`). The plan and
the table are separate functions so that the dashboard can run the same plan
on its own workers, run by run, and summarise it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from rout.experiments.plan import Plan, RNGLike, execute, pick_rng, root_entropy, split
from rout.experiments.summary import summarise_days
from rout.model.schedule import switches
from rout.scenario.loader import load_scenario

QUARTER = "quarter_power_day"
BASELINE = "all on"


def ablation(
    scenario: str = "syria-2024",
    runs: int = 5,
    mechanisms: tuple[str, ...] | None = None,
    overrides: dict[str, Any] | None = None,
    seed: RNGLike = 1,
    backend: str = "sequential",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    rng: RNGLike = None,
) -> pd.DataFrame:
    """Each observed fall (and the day power drops below a quarter) with every mechanism on,
    and with each switched off.

    Parameters
    ----------
    scenario
        A built-in scenario's name or a YAML file.
    runs
        Runs of each case (the root seed's children 0..runs-1, the same in every case).
    mechanisms
        The switches to turn off one at a time (default: all of `rout.model.schedule`).
    overrides
        Values that replace the scenario's, by dotted path.
    seed
        The older name of `rng`, used when `rng` is not given.
    backend, workers
        Where the runs go ("sequential", "processes" or "dask") and on how many workers.
    progress
        Called with the number of runs finished.
    rng
        The root seed: an int, a root SeedSequence or a Generator.

    Returns
    -------
    pandas.DataFrame
        One row per (mechanism, outcome): the runs, the share in which it happened, its
        median day and 5-95% (NaN: held, it happened in fewer than half the runs) and
        `shift_days`, the ablated median minus the baseline's (positive: switching the
        mechanism off delays it, so the mechanism hastened it; NaN where either held).
    """
    plan = ablation_plan(scenario, runs, mechanisms, overrides, pick_rng(rng, seed))
    runs_, _ = split(execute(plan, backend=backend, workers=workers, progress=progress))
    return ablation_table(plan, runs_)


def ablation_plan(scenario: str = "syria-2024", runs: int = 5,
                  mechanisms: tuple[str, ...] | None = None,
                  overrides: dict[str, Any] | None = None, rng: RNGLike = 1) -> Plan:
    """The ablation's runs: point 0 with every mechanism on, then point k+1 with
    mechanism k off, each with the same `runs` replicates of the root seed `rng`."""
    mechanisms = tuple(switches()) if mechanisms is None else mechanisms
    over = dict(overrides or {})
    load_scenario(scenario, over)  # a bad scenario or override fails here, before any run
    points = [{}] + [{f"mechanisms.{m}": False} for m in mechanisms]
    return Plan(scenario, points, runs, root_entropy(rng), "explain",
                {"method": "ablation", "mechanisms": list(mechanisms)}, over)


def ablation_outcomes(plan: Plan) -> list[str]:
    """What an ablation reads of each run: the fall of each observed place (of each place
    the government holds, for a scenario with forces and no record), then QUARTER."""
    sc = load_scenario(plan.scenario, plan.overrides)
    places = [o.place for o in sc.observed] or [p.name for p in sc.places
                                               if p.control == "government" and sc.forces]
    return [f"fall:{p}" for p in places] + [QUARTER]


def ablation_table(plan: Plan, runs_: pd.DataFrame) -> pd.DataFrame:
    """`ablation`'s table from the runs of `ablation_plan` (one row each, with its `point`
    and its outcome columns, as `split` gives them)."""
    outcomes = ablation_outcomes(plan)
    rows = []
    for p, name in enumerate((BASELINE, *plan.design["mechanisms"])):
        chunk = runs_[runs_["point"] == p]
        for outcome in outcomes:
            s = summarise_days(chunk[outcome].to_numpy(dtype=float))
            rows.append({"mechanism": name, "outcome": outcome.removeprefix("fall:"),
                         "runs": s.runs, "happened": s.share, "median_day": s.median,
                         "p05": s.p05, "p95": s.p95})
    out = pd.DataFrame(rows)
    ref = out[out["mechanism"] == BASELINE].set_index("outcome")["median_day"]
    out["shift_days"] = out["median_day"] - out["outcome"].map(ref)
    return out

