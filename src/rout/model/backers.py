"""Backers: outside allies whose air support and reinforcements follow their commitment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.model import levers
from rout.scenario.fields import NonNegative, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Backer

SWITCHES = {"backers": "outside allies give air support and reinforcements (off: none)"}


class Params(Strict):
    backer_commitment: float = Field(1.0, ge=0.0, le=10.0, description="lever: multiplies "
                                     "every backer's commitment")
    air_power: NonNegative = Field(2000.0, description="defender power per unit of air support")
    air_attrition: NonNegative = Field(
        0.05, description="share of an engaged attacker's strength lost per day per unit of air")
    reinforcement_effort: Share = Field(0.8, description="power per reinforcing soldier")


def commitment(backer: Backer, day: float) -> float:
    """Commitment at a day, interpolated linearly between the scenario's points."""
    pts = sorted(backer.commitment, key=lambda p: p.day)
    return float(np.interp(day, [p.day for p in pts], [p.value for p in pts]))


def air_support(backers: list[Backer], day: float, scale: float) -> float:
    """Visible air support: sum of each backer's air support x commitment x lever."""
    return scale * sum(b.air_support * commitment(b, day) for b in backers)


def reinforcement(backers: list[Backer], day: float, scale: float, name: str | None) -> float:
    """Soldier-equivalents the backers (or one named backer) would send now."""
    return scale * sum(
        b.reinforcement * commitment(b, day) for b in backers if name is None or b.name == name
    )


class Backers:
    """Step 4a: visible air support, and the reinforcements fighting at contested places."""

    def __init__(self, w: World) -> None:
        w.air = w.backing = 0.0

    def step(self, w: World) -> None:
        if not w.on["backers"]:
            w.air, w.backing, w.materiel = 0.0, 0.0, 1.0
            return
        bs, day, scale = w.scenario.backers, w.t / 24.0, levers.value(w, "backer_commitment")
        w.air = air_support(bs, day, scale)
        w.backing = w.p.reinforcement_effort * reinforcement(bs, day, scale, None)
        w.materiel = 1.0 + scale * sum(b.materiel * commitment(b, day) for b in bs)
