"""Why it collapsed: drivers, ablation and stories."""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

import rout
from rout.cli import app
from rout.explain import QUARTER, ablation


@pytest.fixture(scope="module")
def run():
    return rout.simulate("garrison", seed=3)


def test_driver_shares_sum_to_the_number_of_departures(run):
    total = run.drivers()
    assert total["departures"].sum() == pytest.approx(len(run.departures), rel=1e-5)
    assert total["share"].sum() == pytest.approx(1.0, rel=1e-5)
    for by in ("rank", "group", "place", "day", ["rank", "day"]):
        d = run.drivers(by)
        assert d["departures"].sum() == pytest.approx(len(run.departures), rel=1e-5)
        keys = [by] if isinstance(by, str) else by
        assert np.allclose(d.groupby(keys, observed=True)["share"].sum(), 1.0)


def test_drivers_follow_the_mechanisms(run):
    # under a scripted threat danger drives departures; with danger off it drives none
    on = run.drivers().set_index("mechanism")["share"]
    off = rout.simulate("garrison", seed=3, overrides={"mechanisms.danger": False})
    off_shares = off.drivers().set_index("mechanism")["share"]
    assert on["danger"] > 0.05
    assert off_shares["danger"] == 0.0


def test_drivers_reject_unknown_grouping(run):
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        run.drivers("colour")


def test_ablation_measures_what_each_mechanism_did():
    table = ablation("garrison", runs=2, mechanisms=("danger", "enforcement"))
    q = table[table["outcome"] == QUARTER].set_index("mechanism")
    # without danger the garrison never breaks (power never drops below a quarter);
    # without enforcement it breaks sooner
    assert q.loc["danger", "happened"] < 0.5 and np.isnan(q.loc["danger", "median_day"])
    assert q.loc["enforcement", "shift_days"] < 0
    assert q.loc["all on", "shift_days"] == 0


def test_explain_command_prints_the_ablation():
    result = CliRunner().invoke(app, ["explain", "garrison", "--runs", "1"])
    assert result.exit_code == 0, result.output
    assert "switched off" in result.output and "enforcement" in result.output


def test_story_tells_a_tracked_soldiers_path(run):
    sid = run.tracked_ids[0]
    text = run.story(sid)
    lines = text.splitlines()
    assert re.search(r"\)  (a conscript|an NCO|an officer) at ", lines[0])
    assert len(lines) >= 2
    with pytest.raises(KeyError, match="not tracked"):
        run.story(-5)
