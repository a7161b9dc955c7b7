"""The built-in syria-2024 scenario: the recorded timeline, and what would have held."""

from __future__ import annotations

import numpy as np
import pytest

import rout
from rout.explain import quarter_power_day

SEEDS = range(20)


def _outcomes(overrides: dict | None = None, seeds=SEEDS) -> list[dict[str, float]]:
    out = []
    for s in seeds:
        run = rout.simulate("syria-2024", seed=s, overrides=overrides)
        row = run.timeline().set_index("place")["simulated"].to_dict()
        row["quarter"] = quarter_power_day(run.series)
        ser = run.series
        upto = row["Damascus"] if np.isfinite(row["Damascus"]) else np.inf
        row["power_at_damascus"] = float(ser.loc[ser["day"] <= upto, "power_share"].iloc[-1])
        row["left_share"] = float(ser["left"].iloc[-1] / run.engine.army.n)
        out.append(row)
    return out


def _median(rows, key, horizon=np.inf) -> float:
    return float(np.median([r[key] if np.isfinite(r[key]) else horizon for r in rows]))


@pytest.fixture(scope="module")
def base():
    return _outcomes()


def test_the_recorded_timeline_within_a_day_in_order(base):
    sc = rout.load_scenario("syria-2024")
    observed = {o.place: o.day for o in sc.observed}
    medians = {p: _median(base, p, horizon=99.0) for p in observed}
    for place, day in observed.items():
        assert abs(medians[place] - day) <= 1.0, (place, medians[place], day)
    order = sorted(observed, key=observed.get)
    assert [medians[p] for p in order] == sorted(medians[p] for p in order)


def test_effective_strength_collapses_before_damascus(base):
    assert _median(base, "power_at_damascus") < 0.25


COUNTER = range(8)


# backers committed as in the years before 2024, and every promise of backup real
CREDIBLE_AND_STRONG = {
    "backup_real": True,
    **{f"backers.{b}.commitment": [{"day": 0, "value": 1.0}]
       for b in ("Russia", "Iran", "Hezbollah")},
}


def test_credible_backup_and_strong_backers_keep_damascus(base):
    rows = _outcomes(CREDIBLE_AND_STRONG, COUNTER)
    held = np.mean([not np.isfinite(r["Damascus"]) for r in rows])
    assert held > 0.5


def test_tripled_pay_delays_the_collapse(base):
    rows = _outcomes({"pay_multiplier": 3.0}, COUNTER)
    ref = [base[s] for s in COUNTER]
    assert _median(rows, "quarter", 99.0) > _median(ref, "quarter", 99.0)
    assert _median(rows, "left_share") < _median(ref, "left_share")


def test_no_amnesty_delays_the_collapse(base):
    rows = _outcomes({"amnesty_on": False}, COUNTER)
    ref = [base[s] for s in COUNTER]
    assert _median(rows, "left_share") < _median(ref, "left_share")


def test_officers_who_stay_delay_the_collapse(base):
    rows = _outcomes({"officer_loyalty": 1.0}, COUNTER)
    ref = [base[s] for s in COUNTER]
    assert _median(rows, "quarter", 99.0) > _median(ref, "quarter", 99.0)
