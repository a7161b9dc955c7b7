"""The vocabulary of experiment inputs and outputs, and the EMA Workbench adapter."""

from __future__ import annotations

import numpy as np
import pytest

from rout import ema
from rout.experiments.backend import identifier, model, outcome_key, outcome_names, run
from rout.experiments.plan import replicate_seed, root_entropy
from rout.model.parameters import Parameters
from rout.scenario.loader import load_scenario

SMALL = {"days": 2, "army.strength": 500}


@pytest.mark.parametrize("table", [ema.LEVERS, ema.UNCERTAINTIES])
def test_every_documented_range_is_a_parameter_within_its_declared_bounds(table):
    assert table
    for name, item in table.items():
        assert name in Parameters.model_fields, name
        low, high, kind = ema.declared(name)
        if item.switch:
            assert kind is bool, name
            continue
        assert item.low < item.high, name
        assert low is None or item.low >= low, name
        assert high is None or item.high <= high, name
        default = Parameters.model_fields[name].default
        assert item.low <= default <= item.high, f"{name}: the default is outside its range"


def test_calibrated_uncertainties_span_the_calibration_bounds():
    from rout.ema import UNCERTAINTIES
    from rout.experiments.joint import BOUNDS

    shared = set(UNCERTAINTIES) & set(BOUNDS)
    assert shared  # the weights the calibration fits are explored over the same ranges
    for name in shared:
        assert (UNCERTAINTIES[name].low, UNCERTAINTIES[name].high) == BOUNDS[name], name


def test_every_lever_of_the_model_is_in_the_table():
    from rout.model.levers import NEUTRAL

    levers = set(NEUTRAL) | {n for n, f in Parameters.model_fields.items()
                             if (f.description or "").startswith("lever:")}
    assert levers == set(ema.LEVERS)


def test_a_parameter_outside_the_table_takes_its_declared_bounds_or_is_refused():
    share = ema.documented("capture_share")
    assert (share.low, share.high) == (0.0, 1.0) and not share.switch
    assert ema.documented("arrest_floor").switch
    assert ema.documented("friends_outside").integer
    with pytest.raises(ValueError, match="LOW:HIGH"):
        ema.documented("w_loyalty")  # no declared bounds
    with pytest.raises(ValueError, match="not a parameter"):
        ema.documented("army.strength")
    with pytest.raises(ValueError, match="outside its declared bounds"):
        ema.inputs({"enforcement": (0.0, 11.0)})
    assert ema.inputs({"army.strength": (100, 900)})["army.strength"].integer
    with pytest.raises(ValueError, match="switch"):
        ema.bounds(["backup_real"])


def test_the_dashboard_sliders_read_the_same_table():
    pytest.importorskip("fastapi")
    from rout.web.app import LEVERS

    assert set(LEVERS) == {n for n, i in ema.LEVERS.items() if not i.switch}
    for name, (_, low, high, _, _) in LEVERS.items():
        assert (low, high) == ema.LEVERS[name].bounds()


def test_outcome_names_read_in_either_spelling():
    known = outcome_names(load_scenario("syria-2024"), held=True)
    assert "held:Maarat al-Numan" in known
    for name in known:
        assert identifier(name).isidentifier()
        assert outcome_key(name, known) == name
        assert outcome_key(identifier(name), known) == name
    with pytest.raises(ValueError, match="unknown outcome"):
        outcome_key("fall_Paris", known)


def test_the_ema_function_keeps_curves_whole_when_a_run_ends_early():
    over = {"army__strength": 5000}
    out = model(scenario="syria-2024", seed=3, replication=1, **over)
    res = run("syria-2024", {"army.strength": 5000}, replicate_seed(root_entropy(3), 1))
    assert out["left_share"] == res.outcomes["left_share"]
    sc = load_scenario("syria-2024")
    steps = int(np.ceil(sc.days * 24 / sc.step_hours))
    assert len(res.series) < steps, "the run should end early, the war decided"
    assert out["power_share"].shape == out["TIME"].shape == (steps,)
    kept = len(res.series)
    assert np.array_equal(out["power_share"][:kept], res.series["power_share"].to_numpy())
    assert np.all(out["power_share"][kept:] == res.series["power_share"].iloc[-1])
    for place in ("Damascus", "Hama"):
        assert out[f"held_{place}"] == float(np.isnan(res.outcomes[f"fall:{place}"]))


@pytest.fixture(scope="module")
def experiments():
    perform_experiments = ema.workbench().perform_experiments  # imported without its warnings
    m = ema.model("garrison", levers=["pay_multiplier", "backup_real"],
                  uncertainties={"act_rate": (0.1, 0.5), "friends_in_unit": None},
                  overrides=SMALL, seed=4)
    return m, *perform_experiments(m, scenarios=3, policies=2)


def test_perform_experiments_runs_rout_through_its_own_run_and_seeds(experiments):
    m, exps, outs = experiments
    assert len(exps) == 6
    assert {p.name for p in m.levers} == {"pay_multiplier", "backup_real"}
    assert {p.name for p in m.uncertainties} == {"act_rate", "friends_in_unit"}
    for i, row in exps.iterrows():
        over = {**SMALL, "pay_multiplier": float(row.pay_multiplier),
                "backup_real": bool(row.backup_real), "act_rate": float(row.act_rate),
                "friends_in_unit": int(row.friends_in_unit)}
        res = run("garrison", over, replicate_seed(root_entropy(4), 0))
        assert outs["left_share"][i] == res.outcomes["left_share"]
    assert set(np.unique(outs["held_Town"])) <= {0.0, 1.0}
    assert outs["power_share"].shape == outs["TIME"].shape == (6, 48)
    assert np.all(np.diff(outs["TIME"][0]) > 0)


def test_outcomes_say_what_an_optimiser_should_do(experiments):
    ScalarOutcome = ema.workbench().ScalarOutcome  # noqa: N806
    m, _, _ = experiments
    kinds = {o.name: o.kind for o in m.outcomes}
    assert kinds["held_Town"] == ScalarOutcome.MAXIMIZE
    assert kinds["left_share"] == ScalarOutcome.MINIMIZE
    assert kinds["final_power_share"] == ScalarOutcome.MAXIMIZE
    assert kinds["fall_Town"] == ScalarOutcome.INFO  # NaN where it held: no use to optimise


def test_replications_are_the_plan_replicates_reduced_the_one_way():
    m = ema.model("garrison", levers=["pay_multiplier"], uncertainties=(), overrides=SMALL,
                  seed=9, replications=3)
    exps, outs = ema.workbench().perform_experiments(m, policies=1)
    over = {**SMALL, "pay_multiplier": float(exps["pay_multiplier"].iloc[0])}
    shares = [run("garrison", over, replicate_seed(root_entropy(9), r)).outcomes["left_share"]
              for r in range(3)]
    assert len(set(shares)) > 1, "replications should differ"
    assert outs["left_share"][0] == pytest.approx(np.median(shares))
    assert outs["power_share"].shape == (1, 48)


def test_model_refuses_no_replications():
    with pytest.raises(ValueError, match="replications"):
        ema.model("garrison", replications=0)
