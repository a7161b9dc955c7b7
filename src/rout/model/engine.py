"""The engine: one run of a scenario, stepped hour by hour through the schedule.

Mesa's vocabulary: the engine owns its `rng`, advances with `step()`,
`run_for(n)` and `run_until(t)`. It keeps only what every submodel shares:
the world (with its clock and tallies), the schedule and the recorder; the
mechanisms themselves are the submodels of `rout.model.schedule`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from rout.model.movement import decided
from rout.model.record import Recorder
from rout.model.schedule import SCHEDULE, switches
from rout.model.world import World

if TYPE_CHECKING:
    from rout.scenario.schema import Scenario


class Engine:
    """One run of a scenario with one random generator.

    `rng` may be a `numpy.random.Generator`, a `SeedSequence` or an int seed.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator | np.random.SeedSequence
                 | int | None = None, track: list[int] | None = None) -> None:
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        self.rng = rng
        self.world = w = World(scenario, rng)
        w.on = {name: scenario.enabled(name) for name in switches()}
        self.submodels = [cls(w) for cls in SCHEDULE]
        self.track(track or [])

    @property
    def t(self) -> float:
        """Hours since the start."""
        return self.world.t

    @property
    def steps(self) -> int:
        """Steps taken so far."""
        return self.world.steps

    def track(self, ids: list[int]) -> None:
        """Follow these soldiers hour by hour (before the first step)."""
        self.world.track = np.asarray(ids, dtype=np.int64)
        self.recorder = Recorder(self.world)

    def step(self) -> None:
        """Advance one step through every submodel, in the documented order, and record it."""
        w = self.world
        for submodel in self.submodels:
            submodel.step(w)
        self.recorder.record(w)
        w.t += w.dt
        w.steps += 1

    def run_for(self, n: int, progress: Callable[[int], None] | None = None) -> None:
        """Advance n steps (a callback, if given, hears each step)."""
        for _ in range(n):
            self.step()
            if progress is not None:
                progress(1)

    def run_until(self, hours: float, progress: Callable[[int], None] | None = None) -> None:
        """Advance until the clock reaches the given hour."""
        while self.world.t < hours - 1e-9:
            self.step()
            if progress is not None:
                progress(1)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Advance until the war is decided (`movement.decided`) or the scenario's horizon;
        `world.end_reason` says which."""
        w = self.world
        while w.steps < w.n_steps:
            self.step()
            if progress is not None:
                progress(1)
            reason = decided(w)
            if reason:
                w.end_reason = reason
                w.event("end", None, reason)
                return
        w.end_reason = "the horizon"
        w.event("end", None, w.end_reason)
