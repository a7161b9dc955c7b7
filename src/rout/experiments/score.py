"""Scores: how far a scenario's runs are from its record (`observed`), over seeds.

One row per case: the error of the median fall day of each recorded fall, the
rank correlation of the order of falls, the holds and falls right or wrong, the
figures of the record (prisoners, deserters, the share of the army gone) and
the share of the army gone when the record ends. The joint calibration and the
validation table are made of these rows; `rout score` prints them.

A fall is right when the median over runs falls within the case's tolerance of
the recorded day: a day, or a tenth of the record's span if that is longer. A
place the record says held is right when it held in most runs through the day
the record ends (`summary`'s one meaning of held).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.backend import Result, ScenarioLike, outcomes_of
from rout.experiments.plan import BackendLike, Plan, execute, root_entropy, split
from rout.experiments.summary import quantiles
from rout.scenario.loader import load_scenario
from rout.scenario.schema import Scenario


def tolerance(sc: Scenario) -> float:
    """How close a fall must be to count as right: a day, or a tenth of the record's span."""
    return max(1.0, 0.1 * span(sc))


def span(sc: Scenario) -> float:
    """The length of the record: its last dated observation, days."""
    return max((o.day for o in sc.observed), default=0.0)


def figure_name(o) -> str:
    return f"figure:{o.figure}@{o.day:g}"


def score_run(scenario: ScenarioLike, overrides: dict[str, Any],
              seed: np.random.SeedSequence | int) -> Result:
    """One run with what its scoring needs: every fall day, the day it ended and the value
    of each recorded figure on its day (the mappable task of a score)."""
    from rout.model.results import simulate

    run = simulate(scenario, seed=seed, overrides=overrides)
    out = outcomes_of(run)
    s = run.series
    out["end_day"] = float(s["day"].iloc[-1])
    for o in run.scenario.observed:
        if o.event != "figure":
            continue
        row = s.loc[s["day"] <= o.day].iloc[-1] if (s["day"] <= o.day).any() else s.iloc[0]
        if o.figure == "gone_share":
            out[figure_name(o)] = float(row["left"] / run.n_soldiers)
        else:
            out[figure_name(o)] = float(row[o.figure])
    record_end = span(run.scenario)
    row = s.loc[s["day"] <= record_end].iloc[-1] if (s["day"] <= record_end).any() else s.iloc[0]
    out["gone_at_record_end"] = float(row["left"] / run.n_soldiers)
    return Result(out, s[["step", "day"]].iloc[:0])


@dataclass(frozen=True)
class Score:
    """A case's score: `table` one row per observed item, `summary` the case's row."""

    scenario: str
    table: pd.DataFrame
    summary: dict[str, Any]


def score_outcomes(sc: Scenario, runs: pd.DataFrame) -> Score:
    """The score of a case from its runs' outcomes (one row per run)."""
    tol = tolerance(sc)
    rows = []
    for o in sc.observed:
        if o.event == "figure":
            sim = float(np.median(runs[figure_name(o)]))
            rows.append({"item": f"{o.figure} on day {o.day:g}", "event": "figure",
                         "observed": o.value, "simulated": sim,
                         "error": sim - o.value, "right": abs(sim - o.value)
                         <= 0.25 * max(o.value, 1e-9)})
            continue
        days = runs[f"fall:{o.place}"].to_numpy(dtype=float)
        if o.event == "hold":
            # held through the day the record ends: no fall, or a fall after that day
            fell_by = np.where(days <= o.day, days, np.nan)
            med = float(quantiles(fell_by, [0.5])[0])
            held = not np.isfinite(med)
            rows.append({"item": o.place, "event": "hold", "observed": o.day,
                         "simulated": med, "error": 0.0 if held else med - o.day,
                         "right": held})
            continue
        med = float(quantiles(days, [0.5])[0])
        # a fall the model holds counts as falling when the run ended
        end = float(np.median(runs["end_day"]))
        sim = med if np.isfinite(med) else end
        rows.append({"item": o.place, "event": "fall", "observed": o.day, "simulated": med,
                     "error": sim - o.day, "right": bool(np.isfinite(med))
                     and abs(med - o.day) <= tol})
    table = pd.DataFrame(rows, columns=["item", "event", "observed", "simulated", "error",
                                        "right"])
    falls = table[table["event"] == "fall"]
    holds = table[table["event"] == "hold"]
    order = _rank_correlation(falls["observed"].to_numpy(), falls["simulated"].to_numpy())
    summary = {
        "scenario": sc.name,
        "runs": len(runs),
        "span_days": span(sc),
        "tolerance_days": tol,
        "falls": len(falls),
        "mean_abs_error_days": float(falls["error"].abs().mean()) if len(falls) else np.nan,
        "max_abs_error_days": float(falls["error"].abs().max()) if len(falls) else np.nan,
        "error_share_of_span": (float(falls["error"].abs().mean()) / max(span(sc), 1e-9)
                                if len(falls) else np.nan),
        "rank_correlation": order,
        "falls_right": int(falls["right"].sum()),
        "false_holds": int((~np.isfinite(falls["simulated"].astype(float))).sum()),
        "holds": len(holds),
        "holds_right": int(holds["right"].sum()),
        "false_falls": int((~holds["right"].astype(bool)).sum()),
        "gone_at_record_end": float(np.median(runs["gone_at_record_end"])),
    }
    return Score(sc.name, table, summary)


def _rank_correlation(observed: np.ndarray, simulated: np.ndarray) -> float:
    """Spearman's rho between the recorded and the simulated order of falls (a place that
    held ranks after every fall); undefined (NaN) when either has no order at all."""
    from scipy.stats import spearmanr

    sim = np.where(np.isfinite(simulated), simulated, np.inf)
    if observed.size < 3 or np.unique(observed).size < 2 or np.unique(sim).size < 2:
        return np.nan
    rho = spearmanr(observed, sim).statistic
    return float(rho) if np.isfinite(rho) else np.nan


def loss(score: Score) -> float:
    """The calibration loss of a case: the mean squared error of its items in units of its
    tolerance (so a slow collapse weighs as much as a fast one), plus a penalty of 4 for
    each hold or fall the model gets wrong the other way."""
    t = score.table
    tol = score.summary["tolerance_days"]
    dated = t[t["event"] != "figure"]
    err = (dated["error"].to_numpy(dtype=float) / tol) ** 2
    wrong = score.summary["false_holds"] + score.summary["false_falls"]
    figures = t[t["event"] == "figure"]
    rel = (figures["error"] / figures["observed"].clip(lower=1e-9)).to_numpy(dtype=float) ** 2
    return float(np.mean(np.r_[err, rel]) if len(err) + len(rel) else 0.0) + 4.0 * wrong


def score(scenario: ScenarioLike, runs: int = 10, *, seed: int | None = 1,
          overrides: dict[str, Any] | None = None, backend: BackendLike = "sequential",
          workers: int | None = None, progress: Callable[[int], None] | None = None
          ) -> Score:
    """Run a scenario `runs` times (the root seed's children) and score it against its
    record."""
    over = dict(overrides or {})
    sc = load_scenario(scenario, over)
    if not sc.observed:
        raise ValueError(f"{sc.name}: no observed block to score against")
    plan = Plan(scenario, [{}], runs, root_entropy(seed), "score", {"method": "score"}, over,
                score_run)
    per_run, _ = split(execute(plan, backend=backend, workers=workers, progress=progress))
    return score_outcomes(sc, per_run)


def table(scores: Sequence[Score]) -> pd.DataFrame:
    """The summaries of several cases, one row each."""
    return pd.DataFrame([s.summary for s in scores])
