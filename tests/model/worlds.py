"""Small worlds for the mechanism tests: the garrison scenario, one day long, stepped by hand.

The garrison has 3,000 soldiers in 60 units at two places (Town, 48 units; Rear, 12);
its ranks are conscript, nco, officer and general (the last two are enforcers), its groups
`core` (affinity 0.8) and `other` (affinity 0.3), and the regime's legitimacy is 0.3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rout.model.engine import Engine
from rout.model.registry import ON_DUTY
from rout.model.world import World
from rout.scenario.loader import load_scenario

# the garrison scenario's ranks, in the order it lists them
CONSCRIPT, NCO, OFFICER, GENERAL = range(4)
TOWN, REAR = 0, 1


def scenario(over: dict[str, Any] | None = None, *, events: bool = False):
    """The garrison scenario for one day, without its dated events unless asked for."""
    base: dict[str, Any] = {"days": 1}
    if not events:
        base["events"] = []
    return load_scenario("garrison", {**base, **(over or {})})


def engine(over: dict[str, Any] | None = None, seed: int = 0, *, events: bool = False) -> Engine:
    """An engine on the small scenario: the world and every submodel built, no step taken."""
    return Engine(scenario(over, events=events), np.random.default_rng(seed))


def world(over: dict[str, Any] | None = None, seed: int = 0) -> World:
    """A bare World (no submodel built), every switch on."""
    from rout.model.schedule import switches

    w = World(scenario(over), np.random.default_rng(seed))
    w.on = {name: True for name in switches()}
    return w


def part(eng: Engine, cls: type):
    """The engine's submodel of a class."""
    (found,) = [s for s in eng.submodels if type(s) is cls]
    return found


def upto(eng: Engine, cls: type) -> None:
    """One step of the engine's submodels, in schedule order, up to and including cls."""
    for sub in eng.submodels:
        sub.step(eng.world)
        if type(sub) is cls:
            return
    raise LookupError(cls)


def where(w: World, *, rank: int | None = None, place: int | None = None,
          state: int | None = ON_DUTY) -> np.ndarray:
    """Indices of the soldiers of a rank, at a place, in a state (any, for None)."""
    a = w.army
    mask = np.ones(a.n, dtype=bool)
    if rank is not None:
        mask &= a.rank == rank
    if place is not None:
        mask &= a.unit_place[a.unit] == place
    if state is not None:
        mask &= a.state == state
    return np.flatnonzero(mask)


def within(count: float, n: int, p: float, k: float = 4.0) -> bool:
    """Whether a count of successes in n draws is within k binomial sd of n p."""
    sd = np.sqrt(n * p * (1.0 - p))
    return abs(count - n * p) <= k * max(sd, 1e-12)
