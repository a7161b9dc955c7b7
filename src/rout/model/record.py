"""Recording: what each step leaves behind, in arrays that grow with the run.

Counts by (state, rank, group, place) are copied from the running tally, so
recording costs no pass over the soldiers; tracked soldiers are few. The
arrays are sized for the scenario's horizon and double when a run goes past it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rout.model.decision import COLUMNS, evaluate_soldiers
from rout.model.movement import STATUSES
from rout.model.registry import ON_DUTY, STATES

if TYPE_CHECKING:
    from rout.model.world import World

STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
TRACKED = ("state", "effort", "wish", "net_risk", "net_wish", "danger", "collapse",
           "friends_gone", "unit_gone", "officers_fled", "credibility", "savings", "place")
_LEVEL = {name: COLUMNS.index(col) for name, col in
          (("wish", "wish"), ("net_risk", "level_risk"), ("net_wish", "net_wish"),
           ("danger", "level_danger"), ("collapse", "level_collapse"))}


def observe(w: World) -> None:
    """A mass-desertion event the first time half a place's garrison has gone."""
    a = w.army
    size, gone = w.per_place(a.unit_size0), w.per_place(a.unit_gone)
    new = (gone >= 0.5 * size) & (size > 0) & ~w.mass_reported
    for place in np.flatnonzero(new):
        w.mass_reported[place] = True
        w.event("mass_desertion", int(place), "half the garrison has gone")


class Recorder:
    """Per-step arrays for one run."""

    def __init__(self, w: World) -> None:
        n, k, nf = max(w.n_steps, 1), w.n_places, len(w.forces)
        self.arrays: dict[str, np.ndarray] = {
            "t": np.zeros(n),
            "counts": np.zeros((n, w.counts.size), dtype=np.int32),
            "mean_effort": np.zeros(n),
            "mean_credibility": np.zeros(n),
            "power": np.zeros(n),
            "place_power": np.zeros((n, k)),
            "place_danger": np.zeros((n, k)),
            "government": np.zeros((n, k), dtype=bool),
            "force_strength": np.zeros((n, nf)),
            "force_readiness": np.zeros((n, nf)),
            "force_status": np.zeros((n, nf), dtype=np.int8),
            "place_progress": np.zeros((n, k)),
            "force_node": np.zeros((n, nf), dtype=np.int32),
            "force_next": np.zeros((n, nf), dtype=np.int32),
            "force_along": np.zeros((n, nf)),
        }
        self.tracked = {name: np.zeros((n, w.track.size), dtype=np.float32) for name in TRACKED}

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    def _grow(self) -> None:
        """Double every array's length (a run went past the horizon it was sized for)."""
        def bigger(x: np.ndarray) -> np.ndarray:
            return np.concatenate([x, np.zeros_like(x)])
        self.arrays = {k: bigger(v) for k, v in self.arrays.items()}
        self.tracked = {k: bigger(v) for k, v in self.tracked.items()}

    def record(self, w: World) -> None:
        observe(w)
        i = w.steps
        if i >= self.arrays["t"].size:
            self._grow()
        r, a = self.arrays, w.army
        r["t"][i] = w.t
        r["counts"][i] = w.counts
        present = w.counts.reshape(len(STATES), -1)[ON_DUTY].sum()
        r["power"][i] = float(w.unit_power.sum())
        r["mean_effort"][i] = float(a.effort.sum()) / present if present else 0.0
        r["mean_credibility"][i] = w.mean_credibility
        r["place_power"][i] = w.place_power
        r["place_danger"][i] = w.place_danger
        r["government"][i] = w.government
        r["place_progress"][i] = w.progress
        forces = w.forces
        if forces:
            r["force_strength"][i] = [f.strength for f in forces]
            r["force_readiness"][i] = [f.readiness for f in forces]
            r["force_status"][i] = [STATUS_CODE[f.status] for f in forces]
            r["force_node"][i] = [f.node for f in forces]
            r["force_next"][i] = [f.nxt for f in forces]
            r["force_along"][i] = [f.along for f in forces]
        idx = w.track
        if idx.size:
            rows = evaluate_soldiers(w, idx)
            unit = a.unit[idx]
            values = {name: rows[:, col] for name, col in _LEVEL.items()}
            values.update({
                "state": a.state[idx],
                "effort": a.effort[idx],
                "friends_gone": a.friend_gone[idx] / np.maximum(a.degree[idx], 1.0),
                "unit_gone": a.unit_gone[unit] / np.maximum(a.unit_size0[unit], 1),
                "officers_fled": w.officer_signal[unit],
                "credibility": a.credibility[idx],
                "savings": a.savings[idx],
                "place": a.unit_place[unit],
            })
            for name in TRACKED:
                self.tracked[name][i] = values[name]
