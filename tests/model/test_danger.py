"""Danger felt by a soldier (ODD 7.5): D_i = D_p x danger_weight_r x (1 - backup_discount B_i)
x (1 - air_calm a / (1 + a)). (The place-level danger D_p is not tested here.)"""

from __future__ import annotations

import numpy as np
import pytest
from worlds import engine, part

from rout.model.backers import Backers
from rout.model.danger import Danger, air_calm, soldier_danger
from rout.model.decision import weights

f32 = np.float32


def test_soldier_danger_by_hand():
    # 0.5 x 3 x (1 - 0.6 x 0.4) x 0.75
    d = soldier_danger(f32(0.5), f32(3.0), f32(0.4), f32(0.6), f32(0.75))
    assert float(d) == pytest.approx(0.5 * 3 * 0.76 * 0.75, rel=1e-6)
    assert float(soldier_danger(f32(0.8), f32(1.0), f32(0.0), f32(0.6), f32(1.0))) \
        == pytest.approx(0.8, rel=1e-6)
    assert float(soldier_danger(f32(0.8), f32(1.0), f32(1.0), f32(1.0), f32(1.0))) == 0.0


@pytest.mark.parametrize(("air", "calm", "expected"), [
    (0.0, 0.5, 1.0), (1.0, 0.5, 0.75), (3.0, 0.5, 1 - 0.5 * 0.75), (1.0, 0.0, 1.0),
    (1e9, 0.5, 0.5),  # much air: danger x (1 - air_calm)
])
def test_air_calm_by_hand(air, calm, expected):
    c = air_calm(air, calm)
    assert isinstance(c, np.float32)
    assert float(c) == pytest.approx(expected, rel=1e-6)


def test_the_days_air_support_calms_every_soldiers_danger():
    eng = engine({"backers": [{"name": "ally", "air_support": 2.0,
                               "commitment": [{"day": 0.0, "value": 0.5}]}],
                  "air_calm": 0.4})
    w = eng.world
    part(eng, Backers).step(w)
    part(eng, Danger).step(w)
    assert w.air == pytest.approx(1.0)
    assert float(w.calm) == pytest.approx(1 - 0.4 * 0.5, rel=1e-6)
    assert weights(w).calm == w.calm
    rank_weight = np.array([1.0, 1.0, 1.0, 3.0])  # garrison: generals 3
    np.testing.assert_allclose(w.soldier_inputs["danger_weight"], rank_weight[w.army.rank])
