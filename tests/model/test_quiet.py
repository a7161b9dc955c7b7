"""Skipping quiet units (ODD 7.7) is an optimisation only: with the skip off, every unit is
decided every hour, and every output must be the same to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rout.model import decision
from rout.model.results import simulate
from rout.scenario.loader import builtin_scenarios

OUTPUTS = ("series", "events", "places", "forces", "departures", "tracked")
# every built-in case (the large ones with super-individuals and over their first weeks),
# and levers that change inputs mid-run
CASES = [
    ("garrison", 1, {}),
    ("garrison", 3, {"pay_multiplier": 1.5, "pay_multiplier_day": 1, "enforcement": 0.5,
                     "enforcement_day": 0.5, "officer_loyalty": 0.2, "officer_loyalty_day": 1}),
    ("syria-2024", 2, {"scale": 20, "days": 12}),
    ("mosul-2014", 1, {"scale": 40, "days": 10}),
    ("south-vietnam-1975", 1, {"scale": 40, "days": 25}),
    ("kyiv-2022", 1, {"scale": 20, "days": 10}),
]


def test_every_built_in_case_is_checked():
    assert {c[0] for c in CASES} == set(builtin_scenarios())


def outputs(name: str, seed: int, over: dict) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    run = simulate(name, seed=seed, overrides=over)
    a = run.engine.world.army
    return ({k: getattr(run, k) for k in OUTPUTS},
            np.concatenate([a.state.astype(np.float64), a.effort.astype(np.float64)]))


@pytest.mark.parametrize(("name", "seed", "over"), CASES)
def test_skipping_quiet_units_changes_no_result(monkeypatch, name, seed, over):
    skipped, army = outputs(name, seed, over)
    monkeypatch.setattr(decision, "SKIP_QUIET", False)
    every, army_every = outputs(name, seed, over)
    for k in OUTPUTS:
        pd.testing.assert_frame_equal(skipped[k], every[k], check_exact=True, obj=k)
    assert np.array_equal(army, army_every)
    assert skipped["series"].shape[0] > 1  # the run went on past its first hour
