"""rout's sensitivity path (design, runner, executor, SALib) recovers known indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from rout.experiments.backend import Result, ScenarioLike
from rout.experiments.sensitivity import sensitivity

PI = np.pi
ISHIGAMI = {"x1": (-PI, PI), "x2": (-PI, PI), "x3": (-PI, PI)}
# analytic indices of Ishigami (a=7, b=0.1)
S1 = [0.3139, 0.4424, 0.0]
ST = [0.5576, 0.4424, 0.2437]


def ishigami(scenario: ScenarioLike, overrides: dict, seed: np.random.SeedSequence) -> Result:
    """Ishigami's function in place of a simulation; a fourth input `x4` does nothing."""
    x = np.array([[overrides["x1"], overrides["x2"], overrides["x3"]]])
    return Result({"y": float(Ishigami.evaluate(x)[0])}, pd.DataFrame())


def test_sobol_indices_of_ishigami_are_recovered():
    res = sensitivity("garrison", ISHIGAMI, "y", method="sobol", n=1024, runner=ishigami)
    ix = res.indices.set_index("param")
    assert list(ix.index) == ["x1", "x2", "x3"]
    assert np.allclose(ix["S1"], S1, atol=0.05)
    assert np.allclose(ix["ST"], ST, atol=0.05)
    assert (ix["S1_conf"] < 0.1).all() and (ix["ST_conf"] < 0.1).all()
    assert len(res.samples) == 1024 * 5


def test_morris_finds_the_input_that_does_nothing():
    res = sensitivity("garrison", {**ISHIGAMI, "x4": (-PI, PI)}, "y", method="morris", n=20,
                      runner=ishigami)
    mu = res.indices.set_index("param")["mu_star"]
    assert mu["x4"] == 0.0
    assert (mu[["x1", "x2", "x3"]] > 1.0).all()


def test_on_rout_a_parameter_without_effect_gets_no_index():
    # garrison has no attacking force, so the attackers' kill rate cannot matter; common
    # random numbers make its elementary effects exactly zero
    bounds = {"act_rate": (0.05, 0.5), "attacker_kill_rate": (0.001, 0.01)}
    res = sensitivity("garrison", bounds, "left_share", method="morris", n=4,
                      overrides={"days": 3})  # past the garrison's crisis
    mu = res.indices.set_index("param")["mu_star"]
    assert mu["attacker_kill_rate"] == 0.0
    assert mu["act_rate"] > 0.01


def test_an_outcome_that_never_varies_is_refused():
    with pytest.raises(ValueError, match="no sensitivity"):
        sensitivity("garrison", {"act_rate": (0.1, 0.5)}, "fall:Town", method="morris", n=2,
                    overrides={"days": 0.5})
