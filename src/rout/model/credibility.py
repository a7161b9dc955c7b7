"""Promises and credibility: expected backup, and what a broken promise costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from pydantic import Field

from rout.model import backers, levers
from rout.scenario.fields import Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Promise

SWITCHES = {"credibility": "promises of backup are believed as far as credible, and "
            "settled at their deadline (off: promises have no effect)"}


class Params(Strict):
    backup_discount: Share = Field(0.6, description="how far expected backup lowers danger")
    credibility_loss: Share = Field(0.5, description="share of credibility lost to a broken "
                                    "promise")
    credibility_gain: Share = Field(0.3, description="share of missing credibility gained by a "
                                    "kept promise")
    backup_real: bool | None = Field(None, description="lever: if set, overrides whether "
                                     "promises are real")


@dataclass
class ActivePromise:
    """A promise of backup in force until its deadline."""

    level: float
    places: np.ndarray  # bool per place
    deadline_hour: float
    real: bool
    backer: str | None
    note: str


def promise_level(promises: list[ActivePromise], n_places: int) -> np.ndarray:
    """The strongest promise in force at each place."""
    level = np.zeros(n_places, dtype=np.float32)
    for p in promises:
        level[p.places] = np.maximum(level[p.places], p.level)
    return level


@njit(cache=True)
def expected_backup(credibility: np.float32, level: np.float32) -> np.float32:
    """B = credibility x the strongest promise in force at the soldier's place."""
    return credibility * level


def settle(credibility: np.ndarray, informed: np.ndarray, kept: bool, gain: float, loss: float):
    """At a deadline: a kept promise raises credibility, a broken one cuts it (in place)."""
    c = credibility[informed]
    credibility[informed] = c + np.float32(gain) * (1.0 - c) if kept else c * np.float32(1 - loss)


def settle_at(w: World, places: np.ndarray, kept: bool) -> None:
    """Soldiers at the places learn whether the promise made to them was kept."""
    if not w.on["credibility"]:
        return
    a = w.army
    informed = places[a.unit_place[a.unit]]
    settle(a.credibility, informed, kept, w.p.credibility_gain, w.p.credibility_loss)
    w.touch(np.flatnonzero(places[a.unit_place]))
    w.mean_credibility = float(a.credibility.mean())


def promise(w: World, e: Promise) -> None:
    """Event: a promise of backup at the places, in force until its deadline."""
    if not w.on["credibility"]:
        return
    real = e.real if w.p.backup_real is None else w.p.backup_real
    w.promises.append(ActivePromise(e.level, w.places_mask(e.places), e.deadline_day * 24.0,
                                    real, e.backer, e.note))
    w.event("promise", detail=e.note or "backup is on the way")


def settle_due(w: World) -> None:
    """Promises whose deadline falls within this step: kept (backers send help) or broken."""
    due = [pr for pr in w.promises if pr.deadline_hour < w.t + w.dt]
    for pr in due:
        w.promises.remove(pr)
        if pr.real and w.on["backers"]:
            sent = backers.reinforcement(w.scenario.backers, w.t / 24.0,
                                         levers.value(w, "backer_commitment"),
                                         pr.backer)
            w.extra_power[pr.places & w.government] += pr.level * sent
        settle_at(w, pr.places, kept=pr.real)
        w.event("promise_kept" if pr.real else "promise_broken", detail=pr.note or "backup")


class Credibility:
    """Step 3b: the strongest promise in force at each unit's place."""

    def __init__(self, w: World) -> None:
        w.promises = []

    def step(self, w: World) -> None:
        level = promise_level(w.promises, w.n_places)
        w.unit_inputs["level"] = level[w.army.unit_place]
