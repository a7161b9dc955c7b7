"""The world of one run: every array the submodels read and write, and the common services.

A submodel's `step(world)` reads and writes only what is here, through
these fields (each says which submodel writes it) and the services
every submodel shares: `move` (the only way a soldier changes state, keeping
every tally true), `touch` (a decision input changed in place), `event` (the log)
and `members` (soldiers of some units).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from rout.model.movement import Force, Roads, road_graph
from rout.model.registry import STATES
from rout.model.state import INPUTS, build_army, rank_table
from rout.model.transitions import move, tally

if TYPE_CHECKING:
    from rout.scenario.schema import Scenario


@njit(cache=True)
def place_sums(unit_place: np.ndarray, per_unit: np.ndarray, n_places: int) -> np.ndarray:
    """Sum of per_unit over the units at each place, in float64, in the order of the units."""
    out = np.zeros(n_places)
    for u in range(unit_place.size):
        out[unit_place[u]] += per_unit[u]
    return out


@njit(cache=True)
def find(state: np.ndarray, code: int, count: int) -> np.ndarray:
    """Indices, in order, of the first `count` soldiers in state `code` (one pass that stops
    when it has them all)."""
    out = np.empty(count, dtype=np.int64)
    k = 0
    for i in range(state.size):
        if k == count:
            break
        if state[i] == code:
            out[k] = i
            k += 1
    return out[:k]


class World:
    """The state of one run: soldiers, units, places and forces, plus the hour's shared values."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.scenario = scenario
        self.p = scenario.parameters
        self.rng = rng
        self.dt = scenario.step_hours
        self.t = 0.0
        self.steps = 0
        self.n_steps = math.ceil(scenario.days * 24.0 / self.dt)
        self.k = scenario.scale  # soldiers each agent stands for
        self.on: dict[str, bool] = {}  # mechanism switches, filled in by the schedule
        self.lever_changed: set[str] = set()  # levers: those that took effect this hour

        # the army (state.py) and its static per-soldier values
        self.army = a = build_army(scenario, rng)
        self.ranks = list(scenario.army.ranks)  # in the order listed: lowest first
        self.headquarters = rank_table(scenario, "headquarters").astype(bool)
        groups = scenario.army.groups
        self.enforcer = rank_table(scenario, "enforcer").astype(bool)
        self.rank_pay = rank_table(scenario, "pay")
        self.bribe_price = (scenario.army.bribe_price if scenario.army.bribe_price is not None
                            else scenario.parameters.bribe_months * float(self.rank_pay.min()))
        self.legitimacy = scenario.regime.legitimacy  # events: a shock may change it
        self.severity = scenario.parameters.severity  # events: a shock may change it
        self.fear = np.array([g.fear for g in scenario.army.groups], dtype=np.float32)
        self.affinity = np.array([g.affinity for g in groups], dtype=np.float32)
        self.sympathy = np.array([g.sympathy for g in groups])
        self.cv = rank_table(scenario, "combat_value")[a.rank] * np.float32(self.k)
        self.is_enforcer = self.enforcer[a.rank].astype(np.float32)
        self.inv_degree = (1.0 / np.maximum(a.degree, 1.0)).astype(np.float32)
        self.commander = a.unit_start.astype(np.int64)
        self.reserve_names = [r.name for r in scenario.army.reserves]
        self.reserve_of = a.unit_reserve

        # places and roads
        places = scenario.places
        self.place_names = [pl.name for pl in places]
        self.n_places = len(places)
        self.index = {name: i for i, name in enumerate(self.place_names)}
        self.fortification = np.array([pl.fortification for pl in places])
        self.government = np.array([pl.control == "government" for pl in places])
        self.checkpoints_at = np.array([pl.checkpoints for pl in places], dtype=np.float64)
        self.scripted = np.zeros(self.n_places)  # events: a scripted threat level
        self.extra_power = np.zeros(self.n_places)  # events, combat: reinforcements arrived
        self.fall_hour = np.full(self.n_places, np.nan)  # combat
        self.heard: list[tuple[float, float]] = []  # combat: (hour, army share) of each fall
        self.roads: Roads = road_graph(scenario)
        default_depth = scenario.parameters.depth_km
        self.depth = np.array([pl.depth_km or default_depth for pl in places])
        self.progress = np.zeros(self.n_places)  # combat: the attacker's way through a place
        self.resistance = np.zeros(self.n_places)  # combat: R met at each place this hour
        self.mass_reported = np.zeros(self.n_places, dtype=bool)  # record
        self.officers_reported = np.zeros(self.n_places, dtype=bool)  # command

        # the attacking forces: the offensives, then the local groups that may rise
        self.forces = [
            Force(name=f.name, node=self.index[f.start], strength=f.strength,
                  quality=f.quality, speed=f.speed_km_day / 24.0, mercy=f.mercy,
                  supply_km=f.supply_km or np.inf,
                  objectives=[self.index[o] for o in f.objectives],
                  start_hour=f.start_day * 24.0, status="advancing",
                  halts=[(self.index[h.after], h.until_day * 24.0) for h in f.halts])
            for f in scenario.forces
        ]
        self.risen = [
            Force(name=g.name, node=self.index[g.place], strength=g.strength,
                  quality=g.quality, speed=g.speed_km_day / 24.0, mercy=g.mercy,
                  supply_km=g.supply_km or np.inf,
                  objectives=[self.index[o] for o in g.objectives], start_hour=np.inf)
            for g in scenario.risings
        ]
        self.forces += self.risen

        # tallies by (state, rank, group, place), kept true by `move`
        self.shape = (len(self.ranks), len(groups), self.n_places)
        self.counts = tally(a, self.shape)

        # the hour's shared values, each written by one submodel
        self.unit_inputs: dict[str, np.ndarray] = {}  # per unit, read by the decision
        self.soldier_inputs: dict[str, np.ndarray] = {}  # per soldier, read by the decision
        self.air = 0.0  # backers: visible air support
        self.officer_signal = np.zeros(a.n_units)  # information: officers' flight signal
        self.place_danger = np.zeros(self.n_places, dtype=np.float32)  # danger
        self.arrest = np.zeros(a.n_units)  # enforcement: arrest probability per unit
        self.recall: np.ndarray | None = None  # events: places recalled this hour
        self.last_recall: tuple[np.ndarray, np.ndarray] | None = None  # leave: who, W - N - T
        self.mean_credibility = float(a.credibility.mean())  # events (promises settled)
        self.terms0: np.ndarray | None = None  # decision: every soldier's terms at the start
        self.weights_seen: tuple[Any, bool, Any] | None = None  # decision: the last weights
        a.effort = (a.state == 0).astype(np.float32)
        # combat: per unit, the sums of effort x combat value, of effort, and of the
        # enforcers' effort (read by enforcement the next hour)
        self.unit_power = np.add.reduceat(a.effort * self.cv, a.unit_start)
        self.unit_effort = np.add.reduceat(a.effort, a.unit_start)
        self.unit_enforcers = np.add.reduceat(a.effort * self.is_enforcer, a.unit_start)
        self.materiel = 1.0  # backers: their arms multiply the defenders' power
        self.place_power = self.defender_power()  # combat: defenders' power per place
        self.held0 = self.government.copy()  # who held what at the start
        self.garrison0 = self.per_place(a.unit_size0.astype(float)) / max(a.n, 1)
        self.contact_mercy = np.full(self.n_places, np.nan)  # combat: terms offered there
        self.assault_present = np.zeros(self.n_places)  # movement: garrison when attacked
        self.end_reason = ""  # engine: why the run ended

        # what the run leaves behind besides the recorder's arrays
        self.log: list[dict[str, Any]] = []
        self.departures: list[dict[str, np.ndarray]] = []
        self.track = np.empty(0, dtype=np.int64)

    # ------------------------------------------------------------------ services
    def move(self, idx: np.ndarray, new: int | np.ndarray) -> None:
        """Put soldiers idx into state(s) new; every tally follows (transitions.move)."""
        move(self.army, self.counts, self.shape, self.enforcer, idx, new, self.t)

    def touch(self, units: np.ndarray | None) -> None:
        """Flag units (None: all) whose soldiers' decision inputs changed other than by `move`
        (news heard, a promise settled, thresholds drawn again), so the hour's decision
        passes over them again instead of skipping them as quiet (ODD 7.7)."""
        if units is None:
            self.army.unit_changed |= INPUTS
        else:
            self.army.unit_changed[units] |= INPUTS

    def retally(self) -> None:
        """Recount the tallies from scratch (after units change place)."""
        self.counts = tally(self.army, self.shape)

    def event(self, kind: str, place: int | None = None, detail: str = "", **extra: Any) -> None:
        """Log an event of a kind in the registry, at this hour."""
        self.log.append({
            "t_hours": self.t,
            "day": self.t / 24.0,
            "kind": kind,
            "place": self.place_names[place] if place is not None and place >= 0 else None,
            "detail": detail,
            **extra,
        })

    def places_mask(self, names: list[str]) -> np.ndarray:
        """Places named (all of them for an empty list) as a boolean mask."""
        if not names:
            return np.ones(self.n_places, dtype=bool)
        mask = np.zeros(self.n_places, dtype=bool)
        mask[[self.index[n] for n in names]] = True
        return mask

    def members(self, units: np.ndarray) -> np.ndarray:
        """Soldier indices of the given units, concatenated."""
        a = self.army
        starts, ends = a.unit_start[units], a.unit_end[units]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        return np.arange(total) + np.repeat(starts - np.cumsum(lens) + lens, lens)

    def per_place(self, per_unit: np.ndarray) -> np.ndarray:
        """A per-unit quantity summed over the units at each place (in float64, unit by unit,
        as `np.bincount` with weights sums it, without its conversions of every input)."""
        return place_sums(self.army.unit_place, per_unit, self.n_places)

    def in_state(self, state: int) -> int:
        """How many soldiers are in a state now, from the running tally."""
        return int(self.counts.reshape(len(STATES), -1)[state].sum())

    def soldiers_in(self, state: int) -> np.ndarray:
        """The soldiers in a state now, in order (as np.flatnonzero(army.state == state)),
        found in one pass that ends at the last of them the running tally counts."""
        return find(self.army.state, state, self.in_state(state))

    def soldier_place(self, idx: np.ndarray) -> np.ndarray:
        """The place of soldiers idx (through their units)."""
        a = self.army
        return a.unit_place[a.unit[idx]]

    def nearest_held(self, place: int) -> int:
        """The government-held place nearest by road to a place (itself if held; -1: none)."""
        d = np.where(self.government, self.roads.dist[place], np.inf)
        return int(np.argmin(d)) if np.isfinite(d).any() else -1

    def defender_power(self) -> np.ndarray:
        """DP per place from the units' power: fortification x effort x combat value, plus
        arrived reinforcements, at government-held places only."""
        raw = self.per_place(self.unit_power) * self.materiel
        return (raw * self.fortification + self.extra_power) * self.government

