"""The scale lever (one agent stands for k soldiers, ODD 7.16) is honest: at 5, at 10 and at
the scales the calibration uses, fall days and the share of the army gone agree with one
agent per soldier within their spread over seeds, on every case of the library."""

from __future__ import annotations

import numpy as np
import pytest

from rout.experiments.joint import CASES, SCALES
from rout.experiments.score import score_run
from rout.scenario.loader import load_scenario

SEEDS = range(6)


def outcomes(case: str, k: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per observed place its fall days over SEEDS (the horizon where it held), and the
    shares gone at the record's end."""
    sc = load_scenario(case)
    runs = [score_run(case, {"scale": k}, seed) for seed in SEEDS]
    falls = {o.place: np.array([r.outcomes[f"fall:{o.place}"] for r in runs])
             for o in sc.observed if o.event != "figure"}
    falls = {p: np.where(np.isfinite(d), d, sc.days) for p, d in falls.items()}
    return falls, np.array([r.outcomes["gone_at_record_end"] for r in runs])


def spread(x: np.ndarray) -> float:
    """The 10-90% range over seeds."""
    return float(np.subtract(*np.percentile(x, [90, 10])))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_calibration_scales_agree_with_one_agent_per_soldier(case):
    one_falls, one_gone = outcomes(case, 1)
    for k in sorted({5, 10, SCALES[case]}):
        falls, gone = outcomes(case, k)
        for place, days in falls.items():
            allowed = max(spread(days), spread(one_falls[place]), 1.0)
            gap = abs(np.median(days) - np.median(one_falls[place]))
            assert gap <= allowed, (k, place, gap, allowed)
        gap = abs(np.median(gone) - np.median(one_gone))
        assert gap <= max(spread(gone), spread(one_gone), 0.05), (k, gap)
