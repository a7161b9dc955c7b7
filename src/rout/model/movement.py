"""Movement: attacking forces advance along the road graph toward their objectives.

A force moves at its unopposed speed (a scenario input with a source) while
nothing defends the road ahead; where a government-held place has defenders
it attacks (combat, 7.10). Its readiness (organisation, fatigue) falls while
it fights and with its losses, and comes back while it rests: a force moves
and attacks only when ready, so the pause after a hard victory follows from
the fight, and an attack that costs too much is broken off. A force that has
lost most of its strength is exhausted and stops for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from rout.scenario.fields import Positive, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Scenario

SWITCHES = {"movement": "attacking forces advance along the roads (off: they stay put)"}

STATUSES = ("waiting", "advancing", "attacking", "regrouping", "exhausted", "done")


class Params(Strict):
    fatigue_per_hour: Share = Field(
        0.012, description="readiness a force loses per hour of battle (a failing attack "
        "breaks off after about two days, CDB90)")
    loss_weight: Positive = Field(3.0, description="readiness lost per share of its strength "
                                  "a force loses")
    recovery_per_hour: Share = Field(0.03, description="share of lost readiness a resting "
                                     "force recovers per hour")
    readiness_move: Share = Field(0.6, description="readiness a force needs to move and "
                                  "attack")
    readiness_min: Share = Field(0.3, description="readiness below which a force breaks off "
                                 "an attack")
    exhausted_share: Share = Field(0.5, description="a force with less than this share of "
                                   "its strength left is exhausted and stops")
    stall_days: Positive = Field(7.0, description="days without a gain after which a force "
                                 "counts as stopped (the run may end)")


@dataclass
class Roads:
    """All-pairs road distances (km, inf where unconnected) and next hops."""

    km: np.ndarray  # direct edge lengths, 0 where no road
    dist: np.ndarray
    pred: np.ndarray


def road_graph(scenario: Scenario) -> Roads:
    """Edge lengths, all-pairs shortest road distances and next hops (SciPy)."""
    index = {p.name: i for i, p in enumerate(scenario.places)}
    n = len(index)
    km = np.zeros((n, n))
    for r in scenario.roads:
        a, b = index[r.a], index[r.b]
        km[a, b] = km[b, a] = r.km if km[a, b] == 0 else min(km[a, b], r.km)
    dist, pred = shortest_path(csr_matrix(km), directed=False, return_predecessors=True)
    return Roads(km=km, dist=dist, pred=pred)


@dataclass
class Force:
    """An attacking force: where it is on the road graph, how strong, fast and ready it is."""

    name: str
    node: int
    strength: float
    quality: float
    speed: float  # km per hour, unopposed
    objectives: list[int]
    start_hour: float
    mercy: float = 0.5  # how far those who lay down arms before it expect to be spared
    supply_km: float = np.inf  # beyond this road distance from its start it is not resupplied
    halts: list[tuple[int, float]] = field(default_factory=list)  # (place, until hour) pauses
    halts_logged: set[int] = field(default_factory=set)  # pauses whose start is in the log
    strength0: float = field(init=False)
    readiness: float = 1.0
    status: str = "waiting"
    nxt: int = -1  # next node while on a road
    along: float = 0.0  # km travelled from node toward nxt
    engaged: int = -1  # place under attack, -1 if none
    last_gain: float = 0.0  # hour of its last km gained or place taken
    fought: bool = False  # fought this hour (combat), so does not move

    def __post_init__(self) -> None:
        self.strength0 = self.strength
        self.last_gain = self.start_hour
        self.origin = self.node

    @property
    def attacking(self) -> bool:
        return self.status == "attacking"

    def halted(self, w: World) -> bool:
        """In one of its pauses: a place it waits behind is out of the government's hands and
        the date has not come (the first hour of each pause is logged)."""
        for k, (place, until) in enumerate(self.halts):
            if w.t < until and not w.government[place]:
                if k not in self.halts_logged:
                    self.halts_logged.add(k)
                    w.event("halt", place, f"{self.name} halts until day {until / 24:g}",
                            force=self.name)
                return True
        return False

    def active(self, t: float) -> bool:
        """Started, not exhausted and with objectives left."""
        return self.status in ("advancing", "attacking", "regrouping") and t >= self.start_hour

    def power(self) -> float:
        """AP = strength x quality x readiness."""
        return self.strength * self.quality * self.readiness

    def threat(self) -> float:
        """What defenders fear of it (danger): its fighting power."""
        return self.power()

    def suffer(self, lost: float, dt: float, p) -> None:
        """An hour of battle: losses, and readiness worn by fatigue and losses."""
        share = lost / max(self.strength, 1e-9)
        self.strength = max(self.strength - lost, 0.0)
        self.readiness = max(self.readiness - p.fatigue_per_hour * dt - p.loss_weight * share,
                             0.0)

    def disengage(self, p) -> None:
        """The battle is over (won, or the place was taken by another force)."""
        self.engaged = -1
        self.status = "advancing" if self.readiness >= p.readiness_move else "regrouping"

    def break_off(self, w: World) -> None:
        """The attack has cost too much: the force pulls back to regroup."""
        w.event("attack_broken_off", self.engaged, f"{self.name} breaks off its attack",
                force=self.name)
        self.engaged = -1
        self.status = "regrouping"


def distances(force: Force, roads: Roads) -> np.ndarray:
    """Road distance from the force to every place."""
    if force.nxt < 0:
        return roads.dist[force.node]
    edge = roads.km[force.node, force.nxt]
    return np.minimum(force.along + roads.dist[force.node],
                      edge - force.along + roads.dist[force.nxt])


def next_hop(roads: Roads, src: int, dst: int) -> int:
    """The neighbour of src on a shortest road path to dst (-1 if unreachable)."""
    if src == dst or not np.isfinite(roads.dist[src, dst]):
        return -1
    node = dst
    while roads.pred[src, node] != src:
        node = roads.pred[src, node]
    return int(node)


def advance(force: Force, roads: Roads, government: np.ndarray, km: float) -> int:
    """Move km toward the current objective; stop at any government-held place on the way
    (returned, -1 if none reached)."""
    while force.objectives and not government[force.objectives[0]]:
        force.objectives.pop(0)
    if not force.objectives:
        return -1
    if force.nxt < 0:
        if government[force.node]:
            return force.node
        force.nxt = next_hop(roads, force.node, force.objectives[0])
        if force.nxt < 0:
            force.objectives.pop(0)
            return -1
    force.along += km
    edge = roads.km[force.node, force.nxt]
    if force.along >= edge:
        force.node, force.nxt, force.along = force.nxt, -1, 0.0
        if government[force.node]:
            return force.node
    return -1


class Movement:
    """Step 11: forces rest or advance; one that reaches a defended place attacks it."""

    def __init__(self, w: World) -> None:
        for f in w.forces:
            if f.status == "waiting" and f.start_hour < np.inf:
                f.status = "advancing"

    def step(self, w: World) -> None:
        from rout.model.combat import fall, present_at

        p = w.p
        for f in w.forces:
            if f.status in ("waiting", "exhausted", "done") or w.t < f.start_hour:
                continue
            if f.strength < p.exhausted_share * f.strength0:
                f.status, f.engaged = "exhausted", -1
                w.event("exhausted", None, f"{f.name} is exhausted and stops", force=f.name)
                continue
            if not f.fought:
                supplied = w.roads.dist[f.origin, f.node] < f.supply_km
                f.readiness += p.recovery_per_hour * w.dt * (1.0 - f.readiness) * supplied
            if f.status == "regrouping" and f.readiness >= p.readiness_move:
                f.status = "advancing"
            if f.status != "advancing" or not w.on["movement"]:
                continue
            if f.halted(w):
                f.last_gain = w.t  # a pause of the record is not a stall
                continue
            reached = advance(f, w.roads, w.government, f.speed * w.dt)
            if not f.objectives:
                f.status = "done"
                continue
            if f.nxt >= 0:
                f.last_gain = w.t
            if reached < 0:
                continue
            if present_at(w, reached) == 0 and w.extra_power[reached] == 0:
                fall(w, reached, f, abandoned=True)
            elif w.on["combat"]:
                if not any(g.attacking and g.engaged == reached for g in w.forces):
                    w.assault_present[reached] = present_at(w, reached)
                f.engaged, f.status = reached, "attacking"
                w.event("assault", reached, f"{f.name} attacks", force=f.name)


def decided(w: World) -> str:
    """Why the war is decided, or "" while it is not: every force that has started has
    taken all its objectives, is exhausted, or has gained nothing for `stall_days`."""
    started = [f for f in w.forces if f.status != "waiting"]
    if not started:
        return ""
    stall = w.p.stall_days * 24.0
    over = {"done": 0, "exhausted": 0, "stopped": 0}
    for f in started:
        if f.status in ("done", "exhausted"):
            over[f.status] += 1
        elif w.t - f.last_gain >= stall:
            over["stopped"] += 1
        else:
            return ""
    said = {"done": "taken every objective", "exhausted": "been exhausted",
            "stopped": f"stopped for {w.p.stall_days:g} days"}
    return "every force has " + " or ".join(said[k] for k, v in over.items() if v)
