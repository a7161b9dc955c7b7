"""Recording: per-step arrays sized for the horizon that grow past it, and the frames of a run."""

from __future__ import annotations

import numpy as np
from worlds import REAR, engine, scenario

from rout.model.engine import Engine
from rout.model.record import Recorder, observe
from rout.model.registry import DESERTED, STATES
from rout.model.results import Run


def test_an_engine_run_past_its_horizon_records_every_step_and_builds_its_frames():
    sc = scenario(events=True)
    assert sc.days == 1 and sc.step_hours == 1.0
    eng = Engine(sc, np.random.default_rng(0))
    eng.track([0, 7, 2500])
    eng.run_until(30)
    w, rec = eng.world, eng.recorder
    assert eng.steps == 30 and eng.t == 30.0
    assert rec.t.size >= 30
    np.testing.assert_array_equal(rec.t[:30], np.arange(30.0))
    np.testing.assert_array_equal(rec.counts[:30].sum(axis=1), w.army.n)
    np.testing.assert_array_equal(rec.counts[29], w.counts)
    run = Run(sc, eng, np.random.SeedSequence(0), 0.0)
    assert len(run.series) == 30
    np.testing.assert_array_equal(run.series["step"], np.arange(30))
    np.testing.assert_array_equal(
        run.series[[s.name for s in STATES]].sum(axis=1), w.army.n)
    assert len(run.places) == 30 * 2
    assert len(run.tracked) == 30 * 3
    assert run.counts["step"].max() == 29
    assert run.final_counts() == {s.name: w.in_state(i) for i, s in enumerate(STATES)}


def test_the_recorders_arrays_double_when_a_run_goes_past_them():
    eng = engine()
    w = eng.world
    rec = Recorder(w)
    assert rec.t.size == 24
    w.steps, w.t = 24, 99.0
    rec.record(w)
    assert rec.t.size == 48 and rec.t[24] == 99.0
    assert rec.counts.shape == (48, w.counts.size)


def test_mass_desertion_is_logged_once_when_half_a_places_garrison_has_gone():
    eng = engine()
    w = eng.world
    a = w.army
    rear = np.flatnonzero(w.soldier_place(np.arange(a.n)) == REAR)
    half = rear.size // 2
    w.move(rear[:half - 1], DESERTED)
    observe(w)
    assert w.log == []
    w.move(rear[half - 1:half], DESERTED)
    observe(w)
    w.move(rear[half:half + 50], DESERTED)
    observe(w)
    assert [(e["kind"], e["place"]) for e in w.log] == [("mass_desertion", "Rear")]
    assert w.mass_reported.tolist() == [False, True]
