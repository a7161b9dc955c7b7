"""Information: what each soldier perceives of the collapse around him.

Perceived collapse mixes the share of his unit seen leaving, the share of his
friends (unit mates and phone contacts) seen leaving, the fallen places he has
heard of, and the flight of officers above him.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from pydantic import Field

from rout.scenario.fields import NonNegative, Positive, Share, Strict

if TYPE_CHECKING:
    from rout.model.world import World

SWITCHES = {"information": "departures, falls and officers' flight are seen (off: C = 0)"}


class Params(Strict):
    collapse_unit: NonNegative = Field(0.5, description="weight of the unit's departures in C")
    collapse_friends: NonNegative = Field(0.3, description="weight of friends' departures in C")
    collapse_news: NonNegative = Field(0.283, description="weight of the losses heard of in C")
    collapse_officers: NonNegative = Field(1.37, description="weight of the officers' flight "
                                           "signal in C")
    news_hours: Positive = Field(8.0, description="mean lag of news for a soldier with the "
                                 "army's mean number of friends, hours")
    news_saturation: Positive = Field(0.25, description="share of the army at places heard "
                                      "lost at which the news term saturates")
    officer_signal_decay: Share = Field(0.5, description="share of a parent unit's flight "
                                        "signal seen below")
    friends_in_unit: int = Field(4, ge=0, le=50, description="ties named inside the unit")
    friends_outside: int = Field(2, ge=0, le=50, description="ties named anywhere (phones)")


def news_lag(base: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Hours until news reaches a soldier: better-connected soldiers hear sooner."""
    mean_deg = max(float(degree.mean()), 1.0)
    return (base * mean_deg / np.maximum(degree, 1.0)).astype(np.float32)


def unit_collapse(
    unit_share: np.ndarray, officer_signal: np.ndarray, w_unit: float, w_officers: float
) -> np.ndarray:
    """The part of C every soldier of a unit shares: w_unit s_u + w_officers O_u."""
    return (w_unit * unit_share + w_officers * officer_signal).astype(np.float32)


@njit(cache=True)
def collapse(
    unit_part: np.float32,
    friend_gone: np.float32,
    inv_degree: np.float32,
    news: np.float32,
    w_friends: np.float32,
    w_news: np.float32,
) -> np.float32:
    """C_i = unit part + w_friends f_i + w_news news_i, with f_i the share of friends gone."""
    return unit_part + w_friends * (friend_gone * inv_degree) + w_news * news


class Information:
    """Step 3: news of falls, and the part of C a unit shares (its departures, its officers)."""

    def __init__(self, w: World) -> None:
        a = w.army
        self.lag_order = np.argsort(a.news_lag, kind="stable")
        self.lag_sorted = a.news_lag[self.lag_order]
        self.known = np.zeros(a.n, dtype=np.float32)
        self.news = np.zeros(a.n, dtype=np.float32)
        self.first = 0  # falls before this one in w.heard have reached everyone
        w.soldier_inputs["news"] = self.news

    def step(self, w: World) -> None:
        a, p = w.army, w.p
        if w.on["information"]:
            self.hear(w)
            unit_share = a.unit_gone / np.maximum(a.unit_size0, 1)
            part = unit_collapse(unit_share, w.officer_signal, p.collapse_unit,
                                 p.collapse_officers)
        else:
            part = np.zeros(a.n_units, dtype=np.float32)
        w.unit_inputs["collapse"] = part

    def hear(self, w: World) -> None:
        """Soldiers whom news of a fall reaches this step learn it (7.4)."""
        t, dt = w.t, w.dt
        lag_max = float(self.lag_sorted[-1])
        while self.first < len(w.heard) and t - dt - w.heard[self.first][0] > lag_max:
            self.first += 1  # everyone has heard of this fall already
        if self.first == len(w.heard):
            return
        falls = np.array(w.heard[self.first:])
        hour = falls[:, 0]
        # for each fall, the soldiers (in order of their lag) it reaches within this step
        his = np.searchsorted(self.lag_sorted, (t - hour).astype(np.float32), side="right")
        los = np.where(t - dt >= hour, np.searchsorted(
            self.lag_sorted, (t - dt - hour).astype(np.float32), side="right"), 0)
        for k in np.flatnonzero(his > los):
            who = self.lag_order[los[k]:his[k]]
            self.known[who] += np.float32(falls[k, 1])
            self.news[who] = np.minimum(1.0, self.known[who] / w.p.news_saturation)
            w.touch(w.army.unit[who])
