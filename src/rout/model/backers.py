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
    return interpolate(points(backer), day)


def points(backer: Backer) -> tuple[np.ndarray, np.ndarray]:
    """A backer's commitment points, sorted by day: days, values."""
    pts = sorted(backer.commitment, key=lambda p: p.day)
    return np.array([p.day for p in pts], dtype=float), np.array([p.value for p in pts],
                                                                  dtype=float)


def interpolate(pts: tuple[np.ndarray, np.ndarray], day: float) -> float:
    """The commitment at a day between sorted points (see `points`)."""
    return float(np.interp(day, *pts))


def air_support(backers: list[Backer], day: float, scale: float,
                now: list[float] | None = None) -> float:
    """Visible air support: sum of each backer's air support x commitment x lever (`now`:
    the backers' commitments at the day, when already known)."""
    now = [commitment(b, day) for b in backers] if now is None else now
    return scale * sum(b.air_support * c for b, c in zip(backers, now, strict=True))


def reinforcement(backers: list[Backer], day: float, scale: float, name: str | None,
                  now: list[float] | None = None) -> float:
    """Soldier-equivalents the backers (or one named backer) would send now (`now`: their
    commitments at the day, when already known)."""
    now = [commitment(b, day) for b in backers] if now is None else now
    return scale * sum(b.reinforcement * c for b, c in zip(backers, now, strict=True)
                       if name is None or b.name == name)


class Backers:
    """Step 4a: visible air support, and the reinforcements fighting at contested places."""

    def __init__(self, w: World) -> None:
        w.air = w.backing = 0.0
        self.points = [points(b) for b in w.scenario.backers]  # sorted once

    def step(self, w: World) -> None:
        if not w.on["backers"]:
            w.air, w.backing, w.materiel = 0.0, 0.0, 1.0
            return
        bs, day, scale = w.scenario.backers, w.t / 24.0, levers.value(w, "backer_commitment")
        now = [interpolate(pts, day) for pts in self.points]  # each backer's commitment
        w.air = air_support(bs, day, scale, now)
        w.backing = w.p.reinforcement_effort * reinforcement(bs, day, scale, None, now)
        w.materiel = 1.0 + scale * sum(b.materiel * c for b, c in zip(bs, now, strict=True))
