"""Danger: how close and how strong the enemy is against the defenders of each place."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from rout.model.movement import distances
from rout.model.state import rank_table
from rout.scenario.fields import NonNegative, Positive, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Atrocity, Threat

SWITCHES = {"danger": "the enemy's nearness and strength push soldiers out (off: D = 0)"}


class Homes(NamedTuple):
    """Where families live near the front (`army.homes: garrison`): per unit, the danger at
    its home place (where it garrisoned at the start); per soldier, 1 if his family lives
    there. A soldier's home danger is their product (0 for an army without such homes)."""

    danger: np.ndarray
    family: np.ndarray


class Params(Strict):
    danger_km: Positive = Field(7.44, description="distance scale of danger, km")
    air_calm: NonNegative = Field(0.5, description="how far visible air support lowers danger")


def place_danger(
    distance_km: np.ndarray,
    threat: np.ndarray,
    defender_power: np.ndarray,
    danger_km: float,
    scripted: np.ndarray,
) -> np.ndarray:
    """D_p = max over forces f of exp(-d_fp / danger_km) x T_f / (T_f + DP_p), or a scripted level.

    distance_km has one row per active force and one column per place;
    threat is each force's strength x quality x momentum.
    """
    if threat.size == 0:
        return scripted.astype(np.float32)
    ratio = threat[:, None] / (threat[:, None] + np.maximum(defender_power[None, :], 1e-9))
    d = np.exp(-distance_km / danger_km) * ratio
    return np.maximum(d.max(axis=0), scripted).astype(np.float32)


@njit(cache=True)
def soldier_danger(
    place_danger: np.float32,
    weight: np.float32,
    backup: np.float32,
    backup_discount: np.float32,
    calm: np.float32,
) -> np.float32:
    """D_i = D_place x rank weight x (1 - b B_i) x calm: expected backup and air support calm.

    One soldier, in float32; calm = 1 - air_calm a / (1 + a) for visible air support a.
    """
    return place_danger * weight * (np.float32(1.0) - backup_discount * backup) * calm


def air_calm(air: float, air_calm: float) -> np.float32:
    """The factor by which visible air support a scales every soldier's danger."""
    return np.float32(1.0 - air_calm * air / (1.0 + air))


def refresh_fear(w: World) -> None:
    """Each soldier's weight of danger: his rank's, raised by his group's fear of the
    attacker (at the start, and after an atrocity)."""
    a = w.army
    weight = rank_table(w.scenario, "danger_weight")[a.rank] * (1.0 + w.fear[a.group])
    w.soldier_inputs["danger_weight"] = weight.astype(np.float32)


def atrocity(w: World, e: Atrocity) -> None:
    """Event: an attacker's atrocity becomes known: every group's fear rises by the level,
    and nobody expects that force's mercy any more."""
    w.fear = np.minimum(w.fear + np.float32(e.fear), np.float32(1.0))
    for f in w.forces:
        if f.name == e.force:
            f.mercy = 0.0
    refresh_fear(w)
    w.event("atrocity", detail=e.note or f"{e.force}: fear {e.fear:+g}")


def threat(w: World, e: Threat) -> None:
    """Event: a scripted danger level at places (for scenarios without forces)."""
    w.scripted[w.places_mask(e.places)] = e.level
    w.event("threat", detail=f"level {e.level:g}")


class Danger:
    """Step 4: danger D per place from the attacking forces, and the calm of air support."""

    def __init__(self, w: World) -> None:
        refresh_fear(w)
        a = w.army
        # a unit's soldiers share its home: where it garrisoned at the start
        self.home = a.unit_place.copy() if w.scenario.army.homes == "garrison" else None
        w.homes = Homes(danger=np.zeros(a.n_units, dtype=np.float32),
                        family=(a.dependents > 0).astype(np.float32))

    def step(self, w: World) -> None:
        if w.on["danger"]:
            active = [f for f in w.forces if f.active(w.t)]
            dist = np.array([distances(f, w.roads) for f in active]).reshape(
                len(active), w.n_places)
            strength = np.array([f.threat() for f in active])
            place_d = place_danger(dist, strength, w.place_power, w.p.danger_km, w.scripted)
            place_d[~w.government] = 0.0
        else:
            place_d = np.zeros(w.n_places, dtype=np.float32)
        w.place_danger = place_d
        w.unit_inputs["danger"] = place_d[w.army.unit_place]
        if self.home is not None:  # families at the place their soldiers garrison
            at_home = np.where(w.held0 & ~w.government, np.float32(1.0), place_d)
            w.homes = w.homes._replace(danger=at_home[self.home])
        w.calm = air_calm(w.air, w.p.air_calm)
