"""Calibration recovers a parameter from data the model itself generated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import rout
from rout.experiments import run
from rout.experiments.calibration import calibrate, write_overrides
from rout.experiments.plan import replicate_seed, root_entropy
from rout.scenario.loader import read_raw

# A speed because fall days pin it sharply; the real cases never fit a speed (a fact).
TRUE_SPEED = 48.0
BOUNDS = {"forces.0.speed_km_day": (24.0, 96.0)}


@pytest.fixture(scope="module")
def siege(tmp_path_factory) -> Path:
    """garrison's town, held by soldiers who never leave, attacked by a force from a camp
    60 km away: its fall day is then set by when the force arrives and the battle, and its
    observed block is written from one run of the model at a known speed."""
    raw, _ = read_raw("garrison")
    raw.update(
        name="siege",
        places=[{"name": "Camp", "lat": 35.5, "lon": 35.8, "control": "attacker"},
                *raw["places"]],
        roads=[{"a": "Camp", "b": "Town", "km": 60}, *raw["roads"]],
        forces=[{"name": "Rebels", "start": "Camp", "strength": 12000, "speed_km_day": 48.0,
                 "objectives": ["Town"]}],
        events=[], track=[])
    raw["army"] = {**raw["army"], "threshold": {"kind": "constant", "value": 100.0},
                   "peacetime_desertion": 0.0}
    path = tmp_path_factory.mktemp("siege") / "siege.yaml"
    path.write_text(yaml.safe_dump(raw))
    # the seed of the calibration's own runs (common random numbers)
    truth = rout.simulate(path, seed=replicate_seed(root_entropy(1), 0),
                          overrides={"forces.0.speed_km_day": TRUE_SPEED})
    raw["observed"] = [{"place": "Town", "day": float(truth.fall_days["Town"])}]
    path.write_text(yaml.safe_dump(raw))
    return path


def test_abc_recovers_the_speed_that_generated_the_fall_days(siege, tmp_path):
    cal = calibrate(siege, BOUNDS, method="abc", points=40, accept=0.1)
    assert len(cal.posterior) == 4 and cal.posterior["accepted"].all()
    assert cal.best["forces.0.speed_km_day"] == pytest.approx(TRUE_SPEED, abs=5.0)
    assert cal.posterior["forces.0.speed_km_day"].between(38.0, 58.0).all()
    assert cal.distance < 0.2
    assert set(cal.fit["target"]) == {"fall:Town"}
    # the fitted values are a YAML mapping of override keys that rout runs with
    path = write_overrides(cal, tmp_path / "fit.yaml")
    overrides = yaml.safe_load(path.read_text())
    assert overrides == cal.best
    assert rout.simulate(siege, seed=1, overrides=overrides).timeline()["simulated"].notna().all()


def test_optimize_recovers_the_speed_too(siege):
    cal = calibrate(siege, BOUNDS, method="optimize", points=30)
    assert cal.best["forces.0.speed_km_day"] == pytest.approx(TRUE_SPEED, abs=5.0)
    assert len(cal.samples) >= 30


def test_explicit_targets_replace_the_observed_block():
    # the day power falls below a quarter, generated at act_rate 0.15, recovers act_rate
    # (where the day moves with it: about 0.3 days for each 0.05 of act_rate)
    truth = run("garrison", {"act_rate": 0.15, "days": 3}, replicate_seed(7, 0))
    cal = calibrate("garrison", {"act_rate": (0.08, 0.3)}, method="abc", points=20,
                    accept=0.1, targets={"quarter_power_day": truth.outcomes["quarter_power_day"]},
                    overrides={"days": 3}, seed=7)
    assert cal.best["act_rate"] == pytest.approx(0.15, abs=0.04)


def test_a_scenario_without_observations_needs_targets():
    with pytest.raises(ValueError, match="no observed block"):
        calibrate("garrison", {"act_rate": (0.1, 0.6)}, points=2)
