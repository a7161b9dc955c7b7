"""Why it collapsed: ablation of each mechanism over seeds, in days of each outcome.

Each mechanism is switched off in turn; every case runs the same replicates
(the root seed's children), through the experiments' one path, and each
outcome is summarised the one way (`rout.experiments.summary`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from rout.experiments.plan import Plan, execute, root_entropy, split
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
    seed: int | None = 1,
    backend: str = "sequential",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Each observed fall (and the day power drops below a quarter) with every mechanism on,
    and with each switched off.

    One row per (mechanism, outcome): the runs, the share in which it happened, its median
    day (NaN: held, it happened in fewer than half the runs) and `shift_days`, the ablated
    median minus the baseline's (positive: switching the mechanism off delays it, so the
    mechanism hastened it; NaN where either held).
    """
    mechanisms = tuple(switches()) if mechanisms is None else mechanisms
    over = dict(overrides or {})
    sc = load_scenario(scenario, over)
    places = [o.place for o in sc.observed] or [p.name for p in sc.places
                                               if p.control == "government" and sc.forces]
    outcomes = [f"fall:{p}" for p in places] + [QUARTER]
    points = [{}] + [{f"mechanisms.{m}": False} for m in mechanisms]
    plan = Plan(scenario, points, runs, root_entropy(seed), "explain",
                {"method": "ablation", "mechanisms": list(mechanisms)}, over)
    runs_, _ = split(execute(plan, backend=backend, workers=workers, progress=progress))
    rows = []
    for p, name in enumerate((BASELINE, *mechanisms)):
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

