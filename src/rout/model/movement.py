"""Movement: attacking forces advance along the road graph toward their objectives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from rout.scenario.schema import Scenario


@dataclass
class Roads:
    """All-pairs road distances (km, inf where unconnected) and next hops."""

    km: np.ndarray  # direct edge lengths, 0 where no road
    dist: np.ndarray
    pred: np.ndarray


def road_graph(scenario: Scenario) -> Roads:
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
    """An attacking force: where it is on the road graph and how strong and fast it is."""

    name: str
    node: int
    strength: float
    strength0: float
    quality: float
    speed: float
    objectives: list[int]
    start_hour: float
    momentum: float = 1.0
    nxt: int = -1  # next node while on a road
    along: float = 0.0  # km travelled from node toward nxt
    engaged: int = -1  # place under attack, -1 if none
    hold_until: float = 0.0  # hour until which the force consolidates a place it took

    def active(self, t: float) -> bool:
        return t >= self.start_hour and self.strength > 0 and bool(self.objectives)

    def threat(self) -> float:
        return self.strength * self.quality * self.momentum


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


def advance(force: Force, roads: Roads, government: np.ndarray, km: float) -> None:
    """Move km toward the current objective; stop at any government-held place on the way."""
    while force.objectives and not government[force.objectives[0]]:
        force.objectives.pop(0)
    if not force.objectives:
        return
    if force.nxt < 0:
        if government[force.node]:
            force.engaged = force.node
            return
        force.nxt = next_hop(roads, force.node, force.objectives[0])
        if force.nxt < 0:
            force.objectives.pop(0)
            return
    force.along += km
    edge = roads.km[force.node, force.nxt]
    if force.along >= edge:
        force.node, force.nxt, force.along = force.nxt, -1, 0.0
        if government[force.node]:
            force.engaged = force.node


def update_momentum(force: Force, won: bool, defenders_gone: float, losses: float,
                    air: float, dt_days: float, p) -> None:
    """m += win + collapse x defenders' departures - loss x own losses share - air x a dt."""
    m = force.momentum
    m += p.momentum_win * won + p.momentum_collapse * defenders_gone
    m -= p.momentum_loss * losses / max(force.strength0, 1.0) + p.momentum_air * air * dt_days
    force.momentum = float(np.clip(m, p.momentum_min, p.momentum_max))
