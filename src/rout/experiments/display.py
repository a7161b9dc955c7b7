"""How the results of many runs show themselves in a notebook: a few lines of HTML saying
what was run (scenario, runs, root seed), how it compares with the record and where the
soldiers ended, instead of a dump of their frames."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.summary import DaySummary, describe

ROWS = 20  # rows of a frame shown; the rest is counted


def cell(value: Any) -> str:
    """One value as a table shows it: numbers short, NaN as `-`, text escaped."""
    if isinstance(value, float | np.floating):
        return "-" if not np.isfinite(value) else f"{value:.4g}"
    return escape(str(value))


def table(frame: pd.DataFrame, rows: int = ROWS) -> str:
    """A frame as an HTML table of at most `rows` rows (and how many were left out)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.head(rows).itertuples(index=False))
    more = (f"<p>... and {len(frame) - rows:,} more rows</p>" if len(frame) > rows else "")
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def header(manifest: dict[str, Any], what: str) -> str:
    """`<b>syria-2024</b>: ensemble of 20 runs, root seed 1, overrides ...`."""
    points = len(manifest.get("points") or [{}])
    reps = manifest.get("replicates", 0)
    runs = f"{points:,} points x {reps:,} runs" if points > 1 else f"{reps:,} runs"
    over = manifest.get("overrides") or {}
    given = ", ".join(f"{escape(str(k))}={escape(str(v))}" for k, v in over.items())
    return (f"<b>{escape(str(manifest.get('scenario')))}</b>: {escape(what)} of {runs}, "
            f"root seed {manifest.get('root_entropy')}"
            + (f"; overrides {given}" if given else "") + "<br>")


def outcomes(events: pd.DataFrame) -> pd.DataFrame:
    """An ensemble's dated outcomes (`Ensemble.events`) against the record, in words and
    censored the one way: `held (fell in 1 of 4 runs)` where a place fell in fewer than half
    the runs, else the median day and its 5-95% over the runs (the terminal and the notebook
    show this same frame)."""
    rows = []
    for e in events.itertuples():
        s = DaySummary(int(e.runs), round(e.happened * e.runs), e.p05, e.median, e.p95)
        if e.event.startswith("fall:"):
            simulated = describe(s)
        elif s.held:  # a day that came in fewer than half the runs
            simulated = f"not reached (in {s.happened} of {s.runs} runs)"
        else:
            hi = f"{s.p95:.1f}" if np.isfinite(s.p95) else "not reached"
            simulated = f"day {s.median:.1f}" + (
                f" (5-95%: {s.p05:.1f} to {hi}; in {s.happened} of {s.runs})"
                if s.runs > 1 else "")
        rows.append({"event": e.event,
                     "observed": f"day {e.observed:.1f}" if np.isfinite(e.observed) else "-",
                     "simulated": simulated})
    return pd.DataFrame(rows, columns=["event", "observed", "simulated"])


def final(bands: pd.DataFrame) -> str:
    """Each kept series at the last step: median and 5-95% over the runs."""
    last = bands[bands["step"] == bands["step"].max()]
    shown = pd.DataFrame({"at the end": last["variable"],
                          "median": last["median"], "5%": last["p05"], "95%": last["p95"]})
    return table(shown, len(shown))
