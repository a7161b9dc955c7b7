"""The case library: inputs only, one set of behavioural parameters for every case."""

from __future__ import annotations

import copy
import warnings

import pytest

from rout.experiments.joint import BOUNDS, CASES, leave_one_out
from rout.model.parameters import Parameters
from rout.scenario.loader import (
    ScenarioWarning,
    builtin_scenarios,
    load_scenario,
    read_raw,
    scenario_warnings,
    validate,
)


def test_the_library_holds_the_cases_the_calibration_scores():
    assert set(CASES) <= set(builtin_scenarios())
    for case in CASES:
        assert load_scenario(case).observed, f"{case} has no record to score against"


@pytest.mark.parametrize("case", builtin_scenarios())
def test_no_case_sets_a_behavioural_parameter(case):
    raw, _ = read_raw(case)
    assert "parameters" not in raw, f"{case} sets {sorted(raw['parameters'])}"
    # and the fitted ones come from the model's defaults, not from the case
    sc = load_scenario(case)
    for name in BOUNDS:
        if name in Parameters.model_fields:
            assert getattr(sc.parameters, name) == Parameters.model_fields[name].default


def test_the_calibrated_names_are_behavioural_parameters():
    for name in BOUNDS:
        assert name in Parameters.model_fields or name == "army.threshold.mean", name
    assert not any(k.startswith(("forces", "places", "roads", "start")) for k in BOUNDS)


def test_pay_far_above_need_is_warned_about():
    raw, _ = read_raw("garrison")
    rich = copy.deepcopy(raw)
    rich["army"]["need_base"] = 1.0
    rich["army"]["need_per_dependent"] = 0.0
    lines = scenario_warnings(validate(rich))
    assert any(line.startswith("army: pay covers need for 100% of the soldiers") and
               "in the army's currency (USD)" in line for line in lines), lines
    # arrears put hardship back: no warning
    rich["army"]["arrears"] = 0.5
    assert not any(line.startswith("army: pay") for line in scenario_warnings(validate(rich)))


def test_every_case_loads_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        for case in CASES:
            load_scenario(case)


def test_leave_one_out_never_shows_a_fit_the_case_it_predicts(monkeypatch):
    from rout.experiments import joint

    seen = []

    def fake_fit(cases, bounds, **options):
        seen.append((tuple(cases), options))
        return joint.Fit({n: lo for n, (lo, hi) in bounds.items()}, 0.0, None)

    monkeypatch.setattr(joint, "fit", fake_fit)
    fits = leave_one_out(["a", "b", "c"], {"x": (0.0, 1.0)}, runs=2)
    assert list(fits) == ["a", "b", "c"]
    assert [cases for cases, _ in seen] == [("b", "c"), ("a", "c"), ("a", "b")]
    assert all(options == {"runs": 2} for _, options in seen)
    with pytest.raises(ValueError, match="at least two cases"):
        leave_one_out(["a"], {"x": (0.0, 1.0)})
