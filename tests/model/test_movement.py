"""Movement (ODD 7.12) and its dated pauses (7.13): a force that has taken the place a halt
names waits there until the halt's day, resting, and then goes on."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import rout
from rout.scenario.loader import ScenarioError, read_raw, validate

AXIS = "HTS-led offensive, Aleppo axis"


def syria_with(halts: list[dict]) -> rout.Scenario:
    raw, _ = read_raw("syria-2024")
    raw = copy.deepcopy(raw)
    raw["forces"][0]["halts"] = halts
    raw.update(scale=5, days=12)
    return validate(raw)


def test_a_force_waits_behind_the_place_its_halt_names_until_the_day():
    fell = float(rout.simulate(syria_with([]), seed=1).fall_days["Aleppo"])
    assert np.isfinite(fell)
    until = float(np.ceil(fell) + 0.5)  # half a day or more after Aleppo falls
    run = rout.simulate(syria_with([{"after": "Aleppo", "until_day": until}]), seed=1)
    halts = run.events[run.events.kind == "halt"]
    assert list(halts["place"]) == ["Aleppo"] and len(halts) == 1  # logged once
    began = float(halts["day"].iloc[0])
    assert began < until
    axis = run.forces[run.forces.force == AXIS].set_index("day")
    waiting = axis.loc[(axis.index >= began) & (axis.index < until), ["lat", "lon"]]
    assert len(waiting) > 12 and (waiting.nunique() == 1).all()  # it stayed where it was
    later = axis.loc[axis.index >= until, ["lat", "lon"]]
    assert (later.nunique() > 1).any()  # and went on after the day
    resting = axis.loc[(axis.index > began) & (axis.index < until), "readiness"]
    assert resting.is_monotonic_increasing


def test_a_halt_whose_place_is_never_taken_changes_nothing():
    plain = rout.simulate(syria_with([]), seed=1)
    never = rout.simulate(syria_with([{"after": "Latakia", "until_day": 8}]), seed=1)
    assert "halt" not in set(never.events.kind)
    assert plain.fall_days.equals(never.fall_days)


def test_a_halt_must_name_a_place():
    with pytest.raises(ScenarioError, match=r"forces\.0\.halts\.0\.after: unknown place "
                                            r"'Nowhere'"):
        syria_with([{"after": "Nowhere", "until_day": 3}])
