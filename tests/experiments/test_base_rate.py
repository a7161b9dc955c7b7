"""The base rate: random plausible armies under attack suffer mass desertion about half the
time (Lyall 2020), not always and not never."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rout.experiments.base_rate import MASS, RANGES, armies, rate, scenario, sweep
from rout.scenario.loader import validate


def test_armies_are_drawn_within_the_documented_ranges_and_reproducibly():
    drawn = armies(200, seed=3)
    assert drawn == armies(200, seed=3) and drawn != armies(200, seed=4)
    frame = pd.DataFrame(drawn)
    for name, (low, high, _) in RANGES.items():
        assert frame[name].between(0 if name in ("arrears", "backer_air") else low, high).all()
    assert 0.2 < (frame["arrears"] > 0).mean() < 0.5  # arrears for about a third
    assert set(frame["homes"]) == {"garrison", "elsewhere"}


def test_every_drawn_army_is_a_valid_scenario():
    for i, army in enumerate(armies(100, seed=5)):
        sc = validate(scenario(army, f"army {i}"))
        assert sc.army.strength == army["strength"]
        assert sum(p.garrison for p in sc.places) <= 1.0


def test_the_rate_has_a_wilson_interval():
    share, low, high = rate(pd.DataFrame({"mass_desertion": [True] * 3 + [False] * 7}))
    assert share == 0.3 and low == pytest.approx(0.108, abs=1e-3) \
        and high == pytest.approx(0.603, abs=1e-3)


@pytest.mark.slow
def test_mass_desertion_is_neither_universal_nor_absent():
    frame = sweep(40, seed=1, backend="processes", workers=2)
    assert frame["mass_desertion"].equals(frame["gone_home"] >= MASS)
    share, low, high = rate(frame)
    assert 0.3 <= share <= 0.7, f"mass desertion in {share:.0%} of 40 armies ({low:.0%}-{high:.0%})"
    # a strong attacker breaks armies more often than a weak one
    strong = frame["attacker_ratio"] > frame["attacker_ratio"].median()
    assert frame.loc[strong, "gone_home"].mean() > frame.loc[~strong, "gone_home"].mean()
    assert np.isfinite(frame["gone_home"]).all()
