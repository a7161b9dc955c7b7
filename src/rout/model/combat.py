"""Combat: battles that last, decided by the defenders.

At a place a force attacks, each hour the two sides exchange fire
(Lanchester's square law) and the attacker advances through the place's
defended depth at a rate set by the resistance it meets: at full speed
where nobody fights, at the rate of an attack on a defender that holds
where the defenders are many and fight (CDB90). The place falls when the
attacker is through its depth, or at once when nobody is left to defend it.
A force whose attack costs it too much breaks it off (movement, 7.12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from pydantic import Field

from rout.model.checkpoints import assign_route
from rout.model.credibility import settle_at
from rout.model.enforcement import refresh_amnesty
from rout.model.lanchester import losses
from rout.model.movement import distances
from rout.model.registry import CAPTURED, DESERTING, KILLED, ON_DUTY
from rout.model.state import EFFORT
from rout.scenario.fields import NonNegative, Positive, Share, Strict

if TYPE_CHECKING:
    from rout.model.movement import Force
    from rout.model.world import World
    from rout.scenario.schema import Reinforcement

SWITCHES = {"combat": "forces fight the defenders of the places they attack (off: they "
            "never take a defended place)"}


class Params(Strict):
    attacker_kill_rate: NonNegative = Field(
        0.0005, description="defenders hit per hour per unit of attacking power (CDB90: "
        "defenders lose 1-3% a day)")
    defender_kill_rate: NonNegative = Field(
        0.0008, description="attacking strength lost per hour per unit of defending power "
        "(CDB90: attackers lose 1-2% a day)")
    held_km_day: Positive = Field(0.32, description="advance against defenders who hold, km "
                                  "a day (CDB90 median)")
    ratio_exponent: NonNegative = Field(
        0.5, description="how the advance against defenders who hold grows with the attacker's "
        "power ratio (CDB90: 0.3-0.6)")
    depth_km: Positive = Field(3.0, description="defended depth of a place, km (a place's "
                               "own `depth_km` overrides it)")
    capture_share: Share = Field(0.4, description="share of present defenders captured at a "
                                 "fall")
    scatter_share: Share = Field(0.4, description="share scattered as deserters at a fall")


def exchange(
    attackers: float, power: float, alpha: float, beta: float, fortification: float,
    dt: float, rng: np.random.Generator,
) -> tuple[int, float]:
    """One step of square-law fire: defenders killed (a Poisson count) and attacker losses.

    Fortification shields the defenders: their losses are divided by it.
    """
    lost_att, lost_def = losses(attackers, power, alpha, beta, dt)
    return int(rng.poisson(lost_def / fortification)), lost_att


def resistance(presence: float, effort: float) -> float:
    """R = share of the garrison still present x their mean effort: the defenders' will,
    0 where nobody fights, 1 where all who stood are there and fight."""
    return min(max(presence * effort, 0.0), 1.0)


def advance_rate(free_km_h: float, held_km_h: float, ratio: float, exponent: float,
                 r: float) -> float:
    """v = v_free^(1 - R) v_opp^R with v_opp = v_held (ratio / 2)^exponent: the unopposed
    speed where nobody resists, the rate of an attack on defenders who hold where all
    resist (faster, but only a little, for a stronger attacker: CDB90), geometric between."""
    opposed = held_km_h * min(max(ratio / 2.0, 0.1), 10.0) ** exponent
    return free_km_h ** (1.0 - r) * min(opposed, free_km_h) ** r


def fates(
    n: int, capture: float, scatter: float, rng: np.random.Generator
) -> np.ndarray:
    """For the soldiers present at a fall: 0 captured, 1 scattered (deserting), 2 retreat."""
    u = rng.random(n)
    return np.where(u < capture, 0, np.where(u < capture + scatter, 1, 2))


def retreat_place(
    fallen: int, government: np.ndarray, dist: np.ndarray, enemy_dist: np.ndarray
) -> int:
    """Nearest government-held place farther from the enemy than the fallen one (-1: none)."""
    d = dist[fallen].copy()
    d[~government] = np.inf
    d[fallen] = np.inf
    behind = enemy_dist > enemy_dist[fallen]
    if np.isfinite(d[behind]).any():
        d[~behind] = np.inf
    return int(np.argmin(d)) if np.isfinite(d).any() else -1


def reinforcement(w: World, e: Reinforcement) -> None:
    """Event: reinforcements arrive at a place (defender power), or never come (a broken
    promise there)."""
    p = w.index[e.place]
    if e.arrives and w.government[p]:
        w.extra_power[p] += e.soldiers * w.p.reinforcement_effort
        w.event("reinforcement", p, f"{e.soldiers} arrive")
    elif not e.arrives:
        settle_at(w, w.places_mask([e.place]), kept=False)
        w.event("reinforcement_failed", p, f"{e.soldiers} promised, none came")


@njit(cache=True)
def changed_sums(effort, cv, enforcer, unit_start, unit_end, changed, power, total,
                 enforcers):
    """Per unit whose effort may have changed (flagged EFFORT by the decision or by a move),
    in one pass: sum of effort x combat value (its power), of effort, and of effort over its
    enforcers (the loyal enforcers of 7.6); the flag is cleared, the others' sums are as they
    were. The sums are float64 whether compiled or not."""
    for u in range(unit_start.size):
        if changed[u] & EFFORT:
            changed[u] &= ~EFFORT
            p = e = f = np.float64(0.0)
            for i in range(unit_start[u], unit_end[u]):
                p += effort[i] * cv[i]
                e += effort[i]
                f += effort[i] * enforcer[i]
            power[u], total[u], enforcers[u] = p, e, f


def present_at(w: World, place: int) -> int:
    """Soldiers on duty at a place, from the running tally."""
    from rout.model.registry import STATES

    block = w.counts.reshape(len(STATES), *w.shape)[ON_DUTY]
    return int(block[..., place].sum())


class Combat:
    """Step 10: defenders' power, then an hour of battle at every place a force attacks."""

    def __init__(self, w: World) -> None:
        pass

    def step(self, w: World) -> None:
        a = w.army
        changed_sums(a.effort, w.cv, w.is_enforcer, a.unit_start, a.unit_end, a.unit_changed,
                     w.unit_power, w.unit_effort, w.unit_enforcers)
        w.place_power = w.defender_power()
        w.contact_mercy[:] = np.nan
        for f in w.forces:
            f.fought = False
        if not w.on["combat"]:
            return
        for place in sorted({f.engaged for f in w.forces if f.attacking}):
            attackers = [f for f in w.forces if f.attacking and f.engaged == place]
            if not w.government[place]:  # taken by another force this hour
                for f in attackers:
                    f.disengage(w.p)
                continue
            battle(w, place, attackers)


def battle(w: World, place: int, forces: list[Force]) -> None:
    """One hour of battle at a place: fire both ways, the attacker's advance through its
    depth, and its fall when the attacker is through or nobody is left to defend it."""
    a, p, rng = w.army, w.p, w.rng
    for f in forces:
        f.fought = True
    w.contact_mercy[place] = max(f.mercy for f in forces)
    if present_at(w, place) == 0 and w.extra_power[place] == 0:
        fall(w, place, forces[0], abandoned=True)
        return
    attack = sum(f.power() for f in forces)
    defence = w.place_power[place] + (p.air_power * w.air + w.backing)
    fort = w.fortification[place]
    killed, lost = exchange(attack, defence, p.attacker_kill_rate, p.defender_kill_rate,
                            fort * w.k, w.dt, rng)  # killed: agents, each k soldiers
    if killed:
        here = w.members(np.flatnonzero(a.unit_place == place))
        here = here[a.state[here] == ON_DUTY]
        w.move(rng.choice(here, size=min(killed, here.size), replace=False), KILLED)
    dt_days = w.dt / 24.0
    for f in forces:
        share = f.power() / attack if attack > 0 else 1.0 / len(forces)
        own = lost * share + f.strength * p.air_attrition * w.air * dt_days
        f.suffer(own, w.dt, p)
    present = present_at(w, place)
    effort = float(w.unit_effort[a.unit_place == place].sum()) / max(present, 1)
    r = resistance(present / max(w.assault_present[place], 1.0), effort)
    free = max(f.speed for f in forces)
    ratio = attack / max(defence, 1e-9)
    v = advance_rate(free, p.held_km_day / 24.0, ratio, p.ratio_exponent, r)
    w.progress[place] += v * w.dt / w.depth[place]
    w.resistance[place] = r
    if w.progress[place] >= 1.0:
        fall(w, place, max(forces, key=lambda f: f.power()))
        return
    for f in forces:
        if f.readiness < p.readiness_min:
            f.break_off(w)


def fall(w: World, place: int, force: Force, abandoned: bool = False) -> None:
    """A place falls: its present defenders are captured, scattered or retreat behind."""
    a, p = w.army, w.p
    w.government[place] = False
    w.fall_hour[place] = w.t
    w.heard.append((w.t, float(w.garrison0[place])))
    w.extra_power[place] = 0.0
    w.progress[place] = 1.0
    for f in w.forces:
        if f.engaged == place:
            f.disengage(p)
        if f.objectives and f.objectives[0] == place:
            f.objectives.pop(0)
    force.last_gain = w.t
    units = np.flatnonzero(a.unit_place == place)
    here = w.members(units)
    here = here[a.state[here] == ON_DUTY]
    fate = fates(here.size, p.capture_share, p.scatter_share, w.rng)
    enemy = distances(force, w.roads)
    dest = retreat_place(place, w.government, w.roads.dist, enemy)
    if dest < 0:
        fate[fate == 2] = 0
    assign_route(w, here[fate == 1])
    w.move(here, np.array([CAPTURED, DESERTING, ON_DUTY])[fate])
    how = "abandoned; occupied by" if abandoned else "taken by"
    w.event("fall", place, f"{how} {force.name}", force=force.name,
            captured=int((fate == 0).sum()) * w.k, scattered=int((fate == 1).sum()) * w.k,
            retreated=int((fate == 2).sum()) * w.k)
    if dest >= 0 and units.size:
        relocate(w, units, dest)
        w.assault_present[dest] += int((fate == 2).sum())
        w.event("retreat", place, f"to {w.place_names[dest]}")


def relocate(w: World, units: np.ndarray, dest: int) -> None:
    """Units move to another place: tallies and amnesties follow them."""
    w.army.unit_place[units] = dest
    w.retally()
    refresh_amnesty(w)
