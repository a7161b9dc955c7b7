"""The words for what became of the soldiers, each with one meaning, and the table of who
left, used alike by `rout run`, its JSON and the report.

The states (on duty, on leave, absent, ... in reserve) are the model's registry
(`rout.model.registry.STATES`). Beyond them, three words count departures, and they
are never mixed in one column:

- **left** (`Run.series["left"]`, `left_share` of the summary): soldiers who, at that
  moment, are visibly out of the army: absent, deserting, deserted, fled, surrendered
  or defected. It is what the others see, and it can fall again (a recall answered).
- **ever left**: soldiers who decided to leave at least once during the run, in any
  way (bought leave and caught leaving included), each counted once.
- **decisions to leave**: every decision (a row of `Run.departures`, split over its
  causes by `Run.drivers()`); one soldier may take several.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rout.model.registry import ACTIONS

if TYPE_CHECKING:
    from rout.model.results import Run

GLOSSARY = {
    "left": "visibly out of the army at that moment: absent, deserting, deserted, fled, "
            "surrendered or defected",
    "ever left": "decided to leave at least once, in any way; each soldier counted once",
    "decisions to leave": "every decision to leave; one soldier may take several",
}
"""The departure words, as the README's glossary and the ODD's Observation section give
them."""


def first_departures(run: Run) -> pd.DataFrame:
    """Each soldier's first decision to leave: one row per agent who ever left."""
    dep = run.departures.sort_values("t_hours", kind="stable")
    return dep.drop_duplicates("soldier")


def ever_left(run: Run) -> int:
    """Soldiers who ever left (each agent's soldiers counted once)."""
    return len(first_departures(run)) * run.scale


def who_left(run: Run) -> pd.DataFrame:
    """Per rank and per group: its soldiers, how many never left and how many ever left
    (with the share and the median day they first left), and how each first left.

    Every column counts soldiers, each once: `never left` and the ways sum to `soldiers`,
    the ways to `ever left`."""
    first = first_departures(run)
    ways = [a.label for a in ACTIONS]
    rows = []
    for dim in ("rank", "group"):
        for name, total in run.sizes(dim).items():
            mine = first[first[dim] == name]
            gone = len(mine) * run.scale
            how = mine["action"].value_counts()
            rows.append({"by": dim, "who": name, "soldiers": total, "never left": total - gone,
                         "ever left": gone, "share ever left": gone / total,
                         "median day first left": float(mine["day"].median()) if len(mine)
                         else np.nan,
                         **{label: int(how.get(a.name, 0)) * run.scale
                            for a, label in zip(ACTIONS, ways, strict=True)}})
    return pd.DataFrame(rows, columns=["by", "who", "soldiers", "never left", "ever left",
                                       "share ever left", "median day first left", *ways])
