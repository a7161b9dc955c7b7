"""Plots draw what the runs hold: medians and 5-95% bands, shares, drivers, falls."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import rout
from rout.experiments.summary import quantiles
from rout.model.results import series_column
from rout.viz import plots

SMALL_SYRIA = {"army.strength": 20000}


@pytest.fixture(scope="module")
def garrison() -> list[rout.Run]:
    return [rout.simulate("garrison", seed=s, days=3) for s in (1, 2, 3)]


@pytest.fixture(scope="module")
def syria() -> list[rout.Run]:
    return [rout.simulate("syria-2024", seed=s, days=3, overrides=SMALL_SYRIA) for s in (1, 2)]


def line(fig: Figure, label: str):
    ax = fig.axes[0]
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert found, f"no line {label!r}: {[ln.get_label() for ln in ax.get_lines()]}"
    return found[0]


def bands(fig: Figure) -> list[PolyCollection]:
    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


def test_strength_draws_the_median_and_a_band_over_seeds(garrison):
    fig = plots.strength(garrison)
    on_duty = np.stack([r.series["on_duty"].to_numpy(dtype=float) for r in garrison])
    np.testing.assert_allclose(line(fig, "on duty").get_ydata(), np.median(on_duty, axis=0))
    assert len(bands(fig)) == len(fig.axes[0].get_lines())
    # the band spans the seeds: its lowest point is below the median where seeds differ
    assert np.ptp(on_duty, axis=0).max() > 0


def test_one_run_draws_its_own_series_without_bands(garrison):
    run = garrison[0]
    fig = plots.strength(run, states=["on_duty", "deserted"])
    np.testing.assert_allclose(line(fig, "deserted").get_ydata(), run.series["deserted"])
    assert bands(fig) == []
    assert "seed 1" in fig.axes[0].get_title(loc="left")


def test_unknown_state_is_refused(garrison):
    with pytest.raises(ValueError, match="unknown state 'asleep'"):
        plots.strength(garrison, states=["asleep"])


@pytest.mark.parametrize("by", ["rank", "group"])
def test_desertion_is_the_share_of_each_rank_or_group_that_left(garrison, by):
    fig = plots.desertion(garrison, by=by)
    run = garrison[0]
    sizes = run.sizes(by)
    drawn = {ln.get_label() for ln in fig.axes[0].get_lines()}
    assert drawn == set(sizes)
    for label, size in sizes.items():
        left = np.stack([r.series[series_column(by, label, "left")].to_numpy(float)
                         for r in garrison])
        expected = np.median(left, axis=0) / size
        np.testing.assert_allclose(line(fig, label).get_ydata(), expected)
        assert 0 <= expected.min() and expected.max() <= 1


def test_desertion_by_something_else_is_refused(garrison):
    with pytest.raises(ValueError, match="rank or group"):
        plots.desertion(garrison, by="place")


def test_morale_shows_effort_credibility_and_power(garrison):
    fig = plots.morale(garrison)
    labels = {ln.get_label() for ln in fig.axes[0].get_lines()}
    assert {"mean effort", "mean credibility", "effective power (share of start)"} <= labels


def test_drivers_by_day_accounts_for_every_departure(garrison):
    wide = plots.drivers_by_day(garrison)
    assert list(wide.index) == list(range(4))  # days 0..3 of a 3-day run
    assert wide.to_numpy().sum() == pytest.approx(
        np.mean([len(r.departures) for r in garrison]), rel=1e-6)
    fig = plots.drivers(garrison)
    heights = sum(p.get_height() for p in fig.axes[0].patches)
    assert heights == pytest.approx(wide.to_numpy().sum(), rel=1e-6)


def test_fall_table_matches_each_runs_timeline(syria):
    table = plots.fall_table(syria).set_index("place")
    sims = [r.timeline().set_index("place")["simulated"] for r in syria]
    fell_in_both = table.index[table["fell"] == 1.0]
    assert len(fell_in_both) > 0
    first = fell_in_both[0]
    assert table.loc[first, "median"] == pytest.approx(
        quantiles([s[first] for s in sims], [0.5])[0])
    assert table.loc["Damascus", "fell"] == 0.0  # 3 days: Damascus holds
    assert np.isnan(table.loc["Damascus", "median"])
    fig = plots.falls(syria)
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert notes.count("held (fell in 0 of 2 runs)") == int((table["fell"] == 0.0).sum())


def test_figures_are_saved_by_suffix_and_bad_suffixes_refused(garrison, tmp_path):
    plots.morale(garrison, path=tmp_path / "m.png")
    plots.morale(garrison, path=tmp_path / "sub" / "m.svg")
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "sub" / "m.svg").read_text()[:2000]
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plots.morale(garrison, path=tmp_path / "m.jpeg")


def test_plots_draw_into_given_axes_and_leave_pyplot_alone(garrison):
    before = plt.get_fignums()
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert plots.strength(garrison, ax=ax1) is fig
    assert plots.drivers(garrison, ax=ax2) is fig
    assert plt.get_fignums() == before  # no global figures: safe in servers and loops


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match="no runs"):
        plots.strength([])


def test_explain_draws_each_mechanisms_shift_and_the_runs_interval():
    import pandas as pd

    table = pd.DataFrame({
        "mechanism": ["all on", "danger", "enforcement"] * 2,
        "outcome": ["Town"] * 3 + ["Rear"] * 3, "runs": 4,
        "happened": [1.0, 1.0, 0.25, 0.25, 1.0, 1.0],
        "median_day": [2.0, 3.5, np.nan, np.nan, 1.0, 1.0],
        "p05": [1.5, 3.0, np.nan, np.nan, 0.5, 0.5], "p95": [2.5, 4.0, np.nan, np.nan, 1.5, 1.5],
        "shift_days": [0.0, 1.5, np.nan, np.nan, np.nan, np.nan]})
    fig = plots.explain(table)
    town, rear = fig.axes[:2]
    assert town.get_title(loc="left") == "Town (all on: day 2.0)"
    assert rear.get_title(loc="left") == "Rear: held (fell in 1 of 4 runs) with all on"
    dots = [line for line in town.lines if line.get_marker() == "o"]
    assert [tuple(d.get_xydata()[0]) for d in dots] == [(1.5, 0.0)]  # danger: 1.5 d later
    bars = [line for line in town.lines if line.get_linewidth() == 3]
    assert list(bars[0].get_xdata()) == [1.0, 2.0]  # its runs' 5-95%, against day 2.0
    assert [t.get_text() for t in town.texts] == ["held"]  # without enforcement it held
    assert [label.get_text() for label in town.get_yticklabels()] == ["danger", "enforcement"]
