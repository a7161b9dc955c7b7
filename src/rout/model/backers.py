"""Backers: outside allies whose air support and reinforcements follow their commitment."""

from __future__ import annotations

import numpy as np

from rout.scenario.schema import Backer


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
