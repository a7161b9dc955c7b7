"""The Python API of a run: where its randomness comes from, and how it shows itself."""

from __future__ import annotations

import numpy as np
import pytest

import rout
from rout.model.results import series_column


def _same(a: rout.Run, b: rout.Run) -> bool:
    return a.series.equals(b.series) and a.tracked.equals(b.tracked) and \
        a.events.equals(b.events)


def test_rng_takes_an_int_a_seed_sequence_or_a_generator():
    by_int = rout.simulate("garrison", rng=4, days=1)
    assert _same(by_int, rout.simulate("garrison", seed=4, days=1))  # seed= is an alias
    ss = np.random.SeedSequence(4)
    assert _same(by_int, rout.simulate("garrison", rng=ss, days=1))
    # the same SeedSequence object twice gives the same run: simulate does not spawn from it
    assert _same(by_int, rout.simulate("garrison", rng=ss, days=1))
    assert ss.n_children_spawned == 0
    # a Generator: each run draws from a new child, recorded so it can be redone
    g = np.random.default_rng(9)
    first, second = (rout.simulate("garrison", rng=g, days=1) for _ in range(2))
    assert not first.series.equals(second.series)
    assert _same(first, rout.simulate("garrison", rng=first.seed, days=1))


def test_bad_rng_is_refused_in_python_terms():
    with pytest.raises(TypeError, match="rng or seed, not both"):
        rout.simulate("garrison", rng=1, seed=1, days=1)
    with pytest.raises(TypeError, match="rng must be an int"):
        rout.simulate("garrison", rng="7", days=1)
    with pytest.raises(ValueError, match="non-negative"):
        rout.simulate("garrison", rng=-1, days=1)


def test_a_run_shows_itself_as_html_in_a_notebook():
    run = rout.simulate("garrison", rng=2, days=1)
    html = run._repr_html_()
    assert "<b>garrison</b>: seed 2" in html and f"{run.n_soldiers:,} soldiers" in html
    for state, n in run.final_counts().items():
        if n:
            assert f"<td>{state}</td><td>{n:,}</td>" in html


def test_series_columns_are_plain_names_without_spaces():
    run = rout.simulate("syria-2024", rng=1, days=0.5, overrides={"army.strength": 5000})
    assert not [c for c in run.series.columns if any(ch.isspace() for ch in c)]
    column = series_column("place", "Maarat al-Numan", "on_duty")
    assert column == "place.Maarat_al-Numan.on_duty" and column in run.series
    for dim in ("rank", "group", "place"):
        names = {"rank": run.rank_names, "group": run.group_names,
                 "place": run.place_names}[dim]
        for name in names:
            assert series_column(dim, name, "left") in run.series


def test_event_counts_are_integers_not_floats():
    run = rout.simulate("syria-2024", rng=1, days=1.0, overrides={"army.strength": 5000})
    ev = run.events
    assert "count" in ev
    for col in ev.columns[5:]:
        if col != "force":
            assert str(ev[col].dtype) == "Int64", col
    counted = ev["count"].dropna()
    assert len(counted) and (counted >= 1).all()
    assert ev.loc[ev["kind"] == "end", "count"].isna().all()  # a kind that counts nobody


def test_departures_say_which_decisions_drivers_counts_as_baseline():
    quiet = {"forces": [], "risings": [], "events": [], "days": 5, "scale": 5}
    run = rout.simulate("syria-2024", seed=1, overrides=quiet)
    d, drivers = run.departures, run.drivers()
    assert d["baseline"].dtype == bool and d["baseline"].any()
    counted = drivers.loc[drivers["mechanism"] == "baseline", "departures"].sum()
    assert d["baseline"].sum() * run.scale == counted
