"""Checkpoints on the roads home: each may stop a deserter, less so when its staff desert."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.model import levers
from rout.model.registry import DESERTED, DESERTING, JAILED, ON_DUTY
from rout.scenario.fields import NonNegative, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES = {"checkpoints": "checkpoints on the roads home stop deserters (off: none does)"}


class Params(Strict):
    checkpoint_density: NonNegative = Field(1.0, description="multiplier of checkpoints on the "
                                            "roads")
    checkpoint_stop: Share = Field(0.3, description="chance a fully staffed checkpoint stops a "
                                   "deserter")
    checkpoint_id_pass: Share = Field(0.7, description="how far a non-military ID lowers that "
                                      "chance")
    checkpoint_jail: Share = Field(0.5, description="chance a stopped deserter is jailed (else "
                                   "returned)")


def route(
    checkpoints_at_place: np.ndarray, density: float, rng: np.random.Generator
) -> np.ndarray:
    """Checkpoints a deserter will meet: Poisson with mean the place's count x density."""
    return rng.poisson(checkpoints_at_place * density).astype(np.int16)


def stop_probability(
    base: float, staff_gone: np.ndarray, civ_id: np.ndarray, id_pass: float
) -> np.ndarray:
    """p = base x (1 - share of the checkpoint's garrison gone) x (1 - id_pass if civilian ID)."""
    return base * (1.0 - staff_gone) * np.where(civ_id, 1.0 - id_pass, 1.0)


def assign_route(w: World, idx: np.ndarray) -> None:
    """Checkpoints ahead of new deserters on their road home."""
    a = w.army
    if w.on["checkpoints"]:
        a.checkpoints_left[idx] = route(w.checkpoints_at[w.soldier_place(idx)],
                                        levers.value(w, "checkpoint_density"), w.rng)
    else:
        a.checkpoints_left[idx] = 0


class Checkpoints:
    """Step 8: deserters on the road meet checkpoints; past the last one they are home."""

    def __init__(self, w: World) -> None:
        pass

    def step(self, w: World) -> None:
        a, p, rng = w.army, w.p, w.rng
        on_road = w.soldiers_in(DESERTING)
        if not on_road.size:
            return
        home = on_road[a.checkpoints_left[on_road] <= 0]
        meet = on_road[a.checkpoints_left[on_road] > 0]
        if meet.size == 0:
            w.move(home, DESERTED)
            return
        size, gone = w.per_place(a.unit_size0), w.per_place(a.unit_gone)
        staff_gone = np.clip(gone / np.maximum(size, 1.0), 0.0, 1.0)
        stop = stop_probability(p.checkpoint_stop, staff_gone[w.soldier_place(meet)],
                                a.civ_id[meet], p.checkpoint_id_pass)
        stopped = rng.random(meet.size) < stop
        a.checkpoints_left[meet[~stopped]] -= 1
        caught = meet[stopped]
        jailed = rng.random(caught.size) < p.checkpoint_jail
        w.move(np.concatenate([home, caught]),
               np.concatenate([np.full(home.size, DESERTED),
                               np.where(jailed, JAILED, ON_DUTY)]).astype(np.int8))
