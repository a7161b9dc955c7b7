"""Officers and the chain of command: the flight of enforcers signalled down the unit tree,
and the commanders' decisions at places under attack: withdraw, or take the attacker's terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.model.registry import DESERTING, ON_DUTY, RESERVE, SURRENDERED
from rout.scenario.fields import Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Mobilisation, Withdrawal

SWITCHES = {
    "officers": "officers and generals decide to leave too (off: they never leave)",
    "command": "commanders order withdrawals and take the attacker's terms (off: garrisons "
               "stay until they fall)",
}


def officer_signal(
    unit_fled: np.ndarray, enforcers0: np.ndarray, parent: np.ndarray, decay: float
) -> np.ndarray:
    """O_u = min(1, fled_u / enforcers0_u + decay x O_parent(u)): flight above is seen below."""
    own = unit_fled / np.maximum(enforcers0, 1)
    signal = np.minimum(own, 1.0)
    has_parent = parent >= 0
    if not has_parent.any():
        return signal
    for _ in range(8):  # the tree is shallow: a few passes reach its leaves
        new = own.copy()
        new[has_parent] += decay * signal[parent[has_parent]]
        new = np.minimum(new, 1.0)
        if np.array_equal(new, signal):
            break
        signal = new
    return signal


class Officers:
    """Step 3a: the officers' flight signal O per unit, read by perceived collapse."""

    def __init__(self, w: World) -> None:
        w.officer_signal = np.zeros(w.army.n_units)
        self.fled = 0  # enforcers fled when the signal was last computed

    def step(self, w: World) -> None:
        a = w.army
        fled = int(a.unit_fled.sum())
        if w.on["officers"] and fled != self.fled:  # the signal changes only with a flight
            self.fled = fled
            w.officer_signal = officer_signal(a.unit_fled, a.unit_enforcers0, a.unit_parent,
                                              w.p.officer_signal_decay)


def report_flight(w: World, fled: np.ndarray) -> None:
    """Events: the headquarters' ranks (generals) who flee, and the hour a quarter of a
    place's enforcers have fled."""
    a = w.army
    where = w.soldier_place(fled)
    top = w.headquarters[a.rank[fled]]
    for place in np.unique(where[top]) if top.any() else ():
        here = fled[top & (where == place)]
        k = here.size * w.k
        name = w.ranks[int(a.rank[here[0]])]
        w.event("generals_fled", int(place), f"{k} {name}{'s' * (k > 1)} fled", count=k)
    total, gone = w.per_place(a.unit_enforcers0), w.per_place(a.unit_fled)
    new = (gone >= 0.25 * total) & (total > 0) & ~w.officers_reported
    for place in np.flatnonzero(new):
        w.officers_reported[place] = True
        w.event("officers_fled", int(place), "a quarter of the officers have fled")


class Params(Strict):
    withdraw_ratio: Share = Field(
        0.33, description="a commander whose garrison's power is below this share of the "
        "attacker's (the 3:1 rule of attack) orders it out once the attacker is half-way "
        "through the place")
    withdraw_presence: Share = Field(0.5, description="a commander orders his garrison out "
                                     "when fewer than this share of it are still present")
    withdraw_scatter: Share = Field(0.3, description="share of a withdrawing garrison that "
                                    "melts away on the road")


def intact(w: World, place: int) -> bool:
    """Someone is left to give orders at a place: an officer or general on duty there."""
    a = w.army
    here = w.members(np.flatnonzero(a.unit_place == place))
    return bool(((a.state[here] == ON_DUTY) & w.enforcer[a.rank[here]]).any())


def presence(w: World, place: int) -> float:
    """Share of the garrison present when the battle began (or who joined it since) that is
    still on duty."""
    from rout.model.combat import present_at

    return present_at(w, place) / max(w.assault_present[place], 1.0)


def outflanked(w: World, place: int) -> bool:
    """The attacker holds at least two of the place's road neighbours (a commander who is
    also outmatched withdraws then)."""
    near = np.flatnonzero(w.roads.km[place] > 0)
    return near.size >= 2 and int((~w.government[near]).sum()) >= 2


def withdraw(w: World, place: int, dest: int, why: str) -> None:
    """The garrison is ordered out: some melt away on the road, the rest join the place
    behind, which the attacker then occupies (and every soldier hears of it, 7.4)."""
    from rout.model.checkpoints import assign_route
    from rout.model.combat import relocate

    a = w.army
    units = np.flatnonzero(a.unit_place == place)
    here = w.members(units)
    here = here[a.state[here] == ON_DUTY]
    melt = here[w.rng.random(here.size) < w.p.withdraw_scatter]
    assign_route(w, melt)
    w.move(melt, DESERTING)
    relocate(w, units, dest)
    w.assault_present[dest] += here.size - melt.size
    w.extra_power[dest] += w.extra_power[place]
    w.extra_power[place] = 0.0
    w.event("withdrawal", place, f"{why}: to {w.place_names[dest]}",
            scattered=int(melt.size) * w.k, withdrew=int(here.size - melt.size) * w.k)


def ordered_withdrawal(w: World, e: Withdrawal) -> None:
    """Event: an order from the top abandons places; their garrisons withdraw to the place
    named (or the nearest place behind, away from the nearest force)."""
    from rout.model.combat import retreat_place
    from rout.model.movement import distances

    for place in np.flatnonzero(w.places_mask(e.places) & w.government):
        if e.to is not None:
            dest = w.index[e.to]
        else:
            near = [distances(f, w.roads) for f in w.forces if f.status != "waiting"]
            enemy = np.min(near, axis=0) if near else np.zeros(w.n_places)
            dest = retreat_place(int(place), w.government, w.roads.dist, enemy)
        if dest >= 0 and dest != place:
            withdraw(w, int(place), dest, e.note or "withdrawal ordered from the top")


def mobilise(w: World, e: Mobilisation) -> None:
    """Event: the named reserves are called up and join the garrisons of their places; like
    the army at the start, they are those not already past their threshold (7.7)."""
    from rout.model.decision import settle

    a = w.army
    units = np.flatnonzero(np.isin(w.reserve_of, [w.reserve_names.index(r) for r in e.reserves]))
    called = w.members(units)
    called = called[a.state[called] == RESERVE]
    w.move(called, ON_DUTY)
    if w.steps > 0:  # in the first hour the decision settles the whole army (7.7)
        settle(w, called)
    for place in np.unique(a.unit_place[units]):
        w.assault_present[place] += int((a.unit_place[a.unit[called]] == place).sum())
    w.event("mobilisation", detail=e.note or f"{called.size * w.k} called up",
            count=int(called.size) * w.k)


def surrender(w: World, place: int) -> None:
    """The garrison lays down its arms as a body, on terms the attacker offers."""
    a = w.army
    here = w.members(np.flatnonzero(a.unit_place == place))
    here = here[a.state[here] == ON_DUTY]
    w.move(here, SURRENDERED)
    k = int(here.size) * w.k
    w.event("surrender", place, f"{k} soldiers lay down their arms", count=k)


class Command:
    """Step 9: at every place under attack, a commander who is still there weighs his
    garrison against the attacker: he orders it out, or takes the attacker's terms."""

    def __init__(self, w: World) -> None:
        pass

    def step(self, w: World) -> None:
        from rout.model.combat import retreat_place
        from rout.model.movement import distances

        p = w.p
        if not w.on["command"]:
            return
        for place in sorted({f.engaged for f in w.forces if f.attacking}):
            if not w.government[place] or not intact(w, place):
                continue
            forces = [f for f in w.forces if f.attacking and f.engaged == place]
            attack = sum(f.power() for f in forces)
            defence = w.place_power[place] + (p.air_power * w.air + w.backing)
            why = ("outflanked" if outflanked(w, place) and defence < attack
                   else "the garrison is melting away" if presence(w, place) < p.withdraw_presence
                   else "outmatched and penetrated" if defence < p.withdraw_ratio * attack
                   and w.progress[place] >= 0.5 else "")
            if not why:
                continue
            enemy = np.min([distances(f, w.roads) for f in forces], axis=0)
            dest = retreat_place(place, w.government, w.roads.dist, enemy)
            if dest >= 0:
                withdraw(w, place, dest, f"withdrawal ordered ({why})")
            elif max(f.mercy for f in forces) >= 0.5:
                surrender(w, place)
