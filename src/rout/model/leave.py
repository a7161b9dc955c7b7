"""Leaving: how a soldier who acts leaves (seized, buys leave, flees or deserts); recalls of
soldiers on leave, and absentees fetched from home."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from rout.model.checkpoints import assign_route
from rout.model.command import report_flight
from rout.model.decision import evaluate_soldiers, signed_terms
from rout.model.registry import (
    ABSENT,
    ACTIONS,
    BRIBE,
    CAUGHT,
    DEFECT,
    DESERT,
    FLEE,
    IGNORED,
    JAILED,
    ON_DUTY,
    ON_LEAVE,
    SURRENDER,
)
from rout.scenario.fields import NonNegative, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World
    from rout.scenario.schema import Recall as RecallEvent

SWITCHES = {
    "leave": "leavers with savings may buy leave from a corruptible commander (off: never)",
    "recall": "recalls bring soldiers on leave back, or make them absent (off: ignored)",
}
NEW_STATE = np.array([a.state for a in ACTIONS], dtype=np.int8)


class Params(Strict):
    bribe_months: NonNegative = Field(
        2.5, description="price of leave in months of the lowest rank's pay, where the "
        "scenario gives no `army.bribe_price` (about $100 for a $40 conscript in Syria, 2024)")
    savings_months: NonNegative = Field(1.0, description="median savings in months of the "
                                        "rank's pay, where the scenario gives none")
    fetch_rate: Share = Field(0.01, description="chance x P per hour that an absentee is "
                              "fetched")


def buys_leave(
    savings: np.ndarray,
    price: float,
    corruptibility: np.ndarray,
    commander_present: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A leaver buys leave if he can pay, his commander is there and takes the bribe."""
    return (savings >= price) & commander_present & (rng.random(savings.size) < corruptibility)


def answers_recall(net_wish: np.ndarray) -> np.ndarray:
    """Only those whose W - N - T is below zero come back; the rest stay away (absent)."""
    return net_wish < 0.0


def log_departures(w: World, idx: np.ndarray, action: int | np.ndarray,
                   terms: np.ndarray) -> None:
    """Record decisions to leave (or to stay away) with the terms that drove them."""
    if idx.size == 0:
        return
    a = w.army
    w.departures.append({
        "t_hours": np.full(idx.size, w.t),
        "soldier": idx,
        "action": np.broadcast_to(np.asarray(action, dtype=np.int8), idx.shape).copy(),
        "rank": a.rank[idx],
        "group": a.group[idx],
        "place": w.soldier_place(idx),
        "threshold": a.threshold[idx],
        "terms": terms,
    })


def depart(w: World, actors: np.ndarray, terms: np.ndarray) -> None:
    """Soldiers who act: seized on the spot, buy leave, go over to an attacker in contact or
    lay down their arms to it, flee (officers) or desert."""
    a, p, rng = w.army, w.p, w.rng
    unit = a.unit[actors]
    action = np.full(actors.size, DESERT, dtype=np.int8)
    if w.on["enforcement"]:
        caught = rng.random(actors.size) < p.caught_leaving * w.arrest[unit]
        action[caught] = CAUGHT
    if w.on["leave"]:
        cmd = w.commander[unit]
        cmd_present = (a.state[cmd] == ON_DUTY) & (cmd != actors)
        buys = buys_leave(a.savings[actors], w.bribe_price, a.unit_corruptibility[unit],
                          cmd_present, rng)
        action[buys & (action == DESERT)] = BRIBE
    mercy = w.contact_mercy[a.unit_place[unit]]
    contact = np.isfinite(mercy)
    if contact.any():
        u = rng.random(actors.size)
        sympathy = w.sympathy[a.group[actors]]
        hope = mercy * (1.0 - w.fear[a.group[actors]])  # the mercy he expects
        free = (action == DESERT) & contact
        action[free & (u < sympathy)] = DEFECT
        action[free & (u >= sympathy) & (u < sympathy + (1 - sympathy) * hope)] = SURRENDER
    action[(action == DESERT) & w.enforcer[a.rank[actors]]] = FLEE
    log_departures(w, actors, action, terms)
    a.savings[actors[action == BRIBE]] -= np.float32(w.bribe_price)
    assign_route(w, actors[action == DESERT])
    w.move(actors, NEW_STATE[action])
    fled = actors[action == FLEE]
    if fled.size:
        report_flight(w, fled)
    defected = actors[action == DEFECT]
    if defected.size:
        join_attacker(w, defected)


def join_attacker(w: World, defectors: np.ndarray) -> None:
    """Defectors add to the strongest force attacking their place."""
    where = w.soldier_place(defectors)
    for place in np.unique(where):
        forces = [f for f in w.forces if f.attacking and f.engaged == place]
        if not forces:
            continue
        k = int((where == place).sum()) * w.k
        max(forces, key=lambda f: f.power()).strength += k
        w.event("defection", int(place), f"{k} soldiers go over to the attacker", count=k)


def recall(w: World, e: RecallEvent) -> None:
    """Event: soldiers on leave at the places are ordered back (answered at step 7)."""
    if w.on["recall"]:
        w.recall = w.places_mask(e.places)
        w.event("recall", detail=e.note or "soldiers on leave recalled")


class Leaving:
    """Step 6b: the hour's actors (chosen by the decision) leave."""

    def __init__(self, w: World) -> None:
        w.actors = np.empty(0, dtype=np.int64)

    def step(self, w: World) -> None:
        if w.actors.size:
            depart(w, w.actors, signed_terms(evaluate_soldiers(w, w.actors)))


class Recall:
    """Step 7: soldiers on leave answer a recall or stay away; absentees may be fetched."""

    def __init__(self, w: World) -> None:
        w.recall = None

    def step(self, w: World) -> None:
        a, p = w.army, w.p
        if w.recall is not None:
            away = np.flatnonzero((a.state == ON_LEAVE) & w.recall[a.unit_place[a.unit]])
            w.recall = None
            rows = evaluate_soldiers(w, away)
            net = rows[:, -1]
            w.last_recall = (away, net)
            back = answers_recall(net)
            w.move(away[back], ON_DUTY)
            refused = away[~back]
            w.move(refused, ABSENT)
            log_departures(w, refused, IGNORED, signed_terms(rows[~back]))
        if w.on["enforcement"] and p.fetch_rate > 0 and w.in_state(ABSENT):
            absent = w.soldiers_in(ABSENT)
            fetched = absent[w.rng.random(absent.size) < p.fetch_rate * w.arrest[a.unit[absent]]]
            w.move(fetched, JAILED)
