"""Enforcement: Epstein's arrest probability and the net risk of leaving; amnesties."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from pydantic import Field

from rout.model import levers
from rout.model.state import rank_table
from rout.scenario.fields import NonNegative, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Amnesty

SWITCHES = {
    "enforcement": "loyal enforcers make leaving risky (off: N = 0, nobody is seized or "
                   "fetched)",
    "amnesty": "amnesties lower the risk of leaving (off: none takes effect)",
}


class Params(Strict):
    arrest_k: NonNegative = Field(2.3, description="Epstein's arrest constant")
    arrest_floor: bool = Field(False, description="round E/A down")
    severity: NonNegative = Field(0.457, description="severity of punishment")
    amnesty_effect: Share = Field(0.6, description="how far a full amnesty lowers the net risk")
    caught_leaving: Share = Field(0.1, description="chance x P that a leaver is seized on the "
                                  "spot")
    enforcement: float = Field(1.0, ge=0.0, le=10.0, description="lever: multiplies the "
                               "enforcers")
    amnesty_on: bool = Field(True, description="lever: amnesties take effect")


def arrest_probability(
    enforcers: np.ndarray, actives: np.ndarray, k: float, floor: bool = False
) -> np.ndarray:
    """P = 1 - exp(-k E / max(1, A)), Epstein (2002).

    With floor=True the ratio E/A is rounded down (as NetLogo's Rebellion and
    older Mesa do), which is what produces Epstein's punctuated bursts.
    """
    ratio = np.asarray(enforcers, dtype=np.float64) / np.maximum(1.0, actives)
    if floor:
        ratio = np.floor(ratio)
    return 1.0 - np.exp(-k * ratio)


@njit(cache=True)
def net_risk(exposure: np.float32, arrest: np.float32, amnesty: np.float32) -> np.float32:
    """N = exposure x P x (1 - amnesty): exposure is risk aversion x severity x rank exposure."""
    return exposure * arrest * (np.float32(1.0) - amnesty)


def amnesty(w: World, e: Amnesty) -> None:
    """Event: an amnesty of a level for the listed ranks at the places, from now on."""
    if not w.on["amnesty"]:
        return
    ranks = e.ranks or w.ranks
    mask, cols = w.places_mask(e.places), [w.ranks.index(r) for r in ranks]
    w.amnesty[np.ix_(mask, cols)] = np.maximum(w.amnesty[np.ix_(mask, cols)], e.level)
    w.amnesty_changed = True
    w.event("amnesty", detail=e.note or f"for {', '.join(ranks)}")


class Enforcement:
    """Step 5: arrest probability P per unit, and the soldiers' exposure and amnesty."""

    def __init__(self, w: World) -> None:
        p = w.p
        if not p.amnesty_on:
            w.on["amnesty"] = False
        w.amnesty = np.zeros((w.n_places, len(w.ranks)), dtype=np.float32)
        refresh_amnesty(w)
        refresh_exposure(w)

    def step(self, w: World) -> None:
        a, p = w.army, w.p
        if w.on["enforcement"]:
            e_unit = w.unit_enforcers * w.k  # as the last hour's battles left them
            w.arrest = arrest_probability(levers.value(w, "enforcement") * e_unit,
                                          1.0 + w.k * a.unit_gone, p.arrest_k,
                                          p.arrest_floor)
        else:
            w.arrest = np.zeros(a.n_units)
        w.unit_inputs["arrest"] = w.arrest.astype(np.float32)
        if w.amnesty_changed:
            refresh_amnesty(w)


def refresh_exposure(w: World) -> None:
    """Each soldier's exposure to punishment: risk aversion x severity x his rank's exposure
    (at the start, and when a shock changes the severity)."""
    a = w.army
    w.soldier_inputs["exposure"] = (
        a.risk * np.float32(w.severity) * rank_table(w.scenario, "punishment_exposure")[a.rank])


def refresh_amnesty(w: World) -> None:
    """Each soldier's amnesty term, from the table by (place, rank): after an amnesty, or
    when units move to another place."""
    a = w.army
    w.amnesty_changed = False
    w.soldier_inputs["amnesty"] = (
        np.float32(w.p.amnesty_effect) * w.amnesty[a.unit_place][a.unit, a.rank]
        if w.amnesty.any() else np.zeros(a.n, dtype=np.float32)
    )
