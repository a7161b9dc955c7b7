"""Fronts that rise: local armed groups take up arms when the regime visibly wobbles.

Each group waits at its place until what it sees of the regime's losses (the
army's strength at places already lost, the share of the army gone, and the
share of the nearest garrison gone) reaches its threshold; then it becomes an
attacking force. Nothing in the scenario says when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from rout.model.registry import STATES, VISIBLE
from rout.scenario.fields import Share, Strict

if TYPE_CHECKING:
    from rout.model.movement import Force
    from rout.model.world import World

SWITCHES = {"risings": "local armed groups rise when the regime wobbles (off: they never do)"}


class Params(Strict):
    rise_threshold: Share = Field(0.323, description="the regime's visible losses at which a "
                                  "local group rises (its own `threshold` overrides it)")


def wobble(w: World, place: int) -> float:
    """V = (share of the army's strength at places lost + share of the army gone + share of
    the nearest garrison gone) / 3, as a group at `place` sees it."""
    a = w.army
    lost = float(w.garrison0[~w.government & w.held0].sum())
    gone = float(w.counts.reshape(len(STATES), -1)[list(VISIBLE)].sum()) / a.n
    near = w.nearest_held(place)
    local = 0.0
    if near >= 0:
        units = a.unit_place == near
        local = float(a.unit_gone[units].sum() / max(a.unit_size0[units].sum(), 1))
    return (lost + gone + local) / 3.0


class Risings:
    """Step 12: groups that have waited rise once the regime's losses reach their threshold."""

    def __init__(self, w: World) -> None:
        self.waiting: list[tuple[Force, int, float]] = []
        for g, f in zip(w.scenario.risings, w.risen, strict=True):
            threshold = w.p.rise_threshold if g.threshold is None else g.threshold
            self.waiting.append((f, w.index[g.place], threshold))

    def step(self, w: World) -> None:
        if not w.on["risings"]:
            return
        for item in list(self.waiting):
            f, place, threshold = item
            v = wobble(w, place)
            if v >= threshold:
                self.waiting.remove(item)
                f.status, f.start_hour, f.last_gain = "advancing", w.t, w.t
                w.event("rising", place, f"{f.name} rises (regime losses seen: {v:.2f})",
                        force=f.name)
