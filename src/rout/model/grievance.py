"""Legitimacy, grievance and loyalty (Epstein 2002): G = H (1 - L), L = regime legitimacy x
affinity; loyalty holds a soldier back by his group's affinity and his rank."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.model import levers
from rout.model.state import rank_table
from rout.scenario.fields import Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Shock

SWITCHES = {"grievance": "hardship not excused by legitimacy pushes soldiers out (off: G = 0)"}


class Params(Strict):
    officer_loyalty: float = Field(0.0, description="lever: added to officers' and generals' "
                                   "loyalty")


def shock(w: World, e: Shock) -> None:
    """Event: a shock to the regime (the leader's flight, a coup, harsher penalties): the
    legitimacy and the severity of punishment it gives replace the regime's."""
    from rout.model.enforcement import refresh_exposure

    parts = []
    if e.legitimacy is not None:
        w.legitimacy = e.legitimacy
        w.hardship_changed = True
        parts.append(f"legitimacy {e.legitimacy:g}")
    if e.severity is not None:
        w.severity = e.severity
        refresh_exposure(w)
        parts.append(f"severity {e.severity:g}")
    w.event("shock", detail=e.note or ", ".join(parts))


def legitimacy(regime: float, affinity: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Perceived legitimacy: the regime's, as seen through the soldier's group affinity."""
    return (np.float32(regime) * affinity.astype(np.float32))[group]


def grievance(hardship: np.ndarray, legit: np.ndarray) -> np.ndarray:
    """Epstein's grievance: hardship not excused by legitimacy."""
    return hardship * (1.0 - legit)


def loyalty(w: World) -> np.ndarray:
    """Loy = affinity of the group + the rank's loyalty + the officer-loyalty lever (for the
    enforcing ranks: officers and generals)."""
    a = w.army
    officer = w.enforcer.astype(np.float32)  # the lever lifts the ranks that enforce
    lift = np.float32(levers.value(w, "officer_loyalty"))
    by_rank = rank_table(w.scenario, "loyalty") + lift * officer
    return w.affinity[a.group] + by_rank[a.rank]


class Grievance:
    """Step 2 (when hardship changes): grievance G of every soldier."""

    def __init__(self, w: World) -> None:
        w.soldier_inputs["loyalty"] = loyalty(w)

    def step(self, w: World) -> None:
        if "officer_loyalty" in w.lever_changed:
            w.lever_changed.discard("officer_loyalty")
            w.soldier_inputs["loyalty"] = loyalty(w)
        if not w.hardship_changed:
            return
        w.hardship_changed = False
        a = w.army
        legit = legitimacy(w.legitimacy, w.affinity, a.group)
        g = grievance(w.hardship, legit)
        w.soldier_inputs["grievance"] = g if w.on["grievance"] else np.zeros_like(g)
