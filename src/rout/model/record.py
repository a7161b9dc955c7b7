"""Recording: what each step leaves behind, in preallocated arrays.

Counts by (state, rank, group, place) are copied from the running tally, so
recording costs no pass over the soldiers; tracked soldiers are few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rout.model.engine import Engine

TRACKED = ("state", "effort", "wish", "net_risk", "net_wish", "danger", "collapse",
           "friends_gone", "unit_gone", "officers_fled", "credibility", "savings", "place")


class Recorder:
    """Per-step arrays for one run."""

    def __init__(self, eng: Engine) -> None:
        n = eng.n_steps
        self.t = np.zeros(n)
        self.counts = np.zeros((n, eng.counts.size), dtype=np.int32)
        self.mean_effort = np.zeros(n)
        self.mean_credibility = np.zeros(n)
        self.power = np.zeros(n)
        self.place_power = np.zeros((n, eng.n_places))
        self.place_danger = np.zeros((n, eng.n_places))
        self.government = np.zeros((n, eng.n_places), dtype=bool)
        nf = len(eng.forces)
        self.force_strength = np.zeros((n, nf))
        self.force_momentum = np.zeros((n, nf))
        self.force_node = np.zeros((n, nf), dtype=np.int32)
        self.force_next = np.zeros((n, nf), dtype=np.int32)
        self.force_along = np.zeros((n, nf))
        k = eng.track.size
        self.tracked = {name: np.zeros((n, k), dtype=np.float32) for name in TRACKED}

    def record(self, eng: Engine, unit_power: np.ndarray) -> None:
        i = eng.steps
        a = eng.army
        self.t[i] = eng.t
        self.counts[i] = eng.counts
        present = eng.counts.reshape(9, -1)[0].sum()
        self.power[i] = float(unit_power.sum())
        self.mean_effort[i] = float(a.effort.sum()) / present if present else 0.0
        self.mean_credibility[i] = eng.mean_credibility
        self.place_power[i] = eng.place_power
        self.place_danger[i] = eng.place_danger
        self.government[i] = eng.government
        for j, f in enumerate(eng.forces):
            self.force_strength[i, j] = f.strength
            self.force_momentum[i, j] = f.momentum
            self.force_node[i, j] = f.node
            self.force_next[i, j] = f.nxt
            self.force_along[i, j] = f.along
        idx = eng.track
        if idx.size:
            collapse, danger, net, wish, net_wish = eng.soldier_terms(idx).T
            friends = a.friend_gone[idx] / np.maximum(a.degree[idx], 1.0)
            unit = a.unit[idx]
            values = {
                "state": a.state[idx],
                "effort": a.effort[idx],
                "wish": wish,
                "net_risk": net,
                "net_wish": net_wish,
                "danger": danger,
                "collapse": collapse,
                "friends_gone": friends,
                "unit_gone": a.unit_gone[unit] / np.maximum(a.unit_size0[unit], 1),
                "officers_fled": eng.officer_signal[unit],
                "credibility": a.credibility[idx],
                "savings": a.savings[idx],
                "place": a.unit_place[unit],
            }
            for name in TRACKED:
                self.tracked[name][i] = values[name]
