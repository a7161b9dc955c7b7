"""Experiments take `rng=` as `rout.simulate` does (an int, a SeedSequence or a Generator),
with `seed=` kept as its older name, and show themselves in a notebook."""

from __future__ import annotations

import numpy as np
import pytest

from rout.experiments.ensemble import ensemble
from rout.explain import ablation

OVER = {"days": 0.5}


def _same(a, b) -> bool:
    return a.runs.drop(columns="wall_seconds", errors="ignore").equals(
        b.runs.drop(columns="wall_seconds", errors="ignore"))


def test_an_ensemble_takes_an_int_a_seed_sequence_or_a_generator():
    by_int = ensemble("garrison", 2, rng=3, overrides=OVER)
    assert by_int.manifest["root_entropy"] == 3
    assert _same(by_int, ensemble("garrison", 2, seed=3, overrides=OVER))
    assert _same(by_int, ensemble("garrison", 2, rng=np.random.SeedSequence(3),
                                  overrides=OVER))
    g = np.random.default_rng(5)
    first = ensemble("garrison", 2, rng=g, overrides=OVER)
    second = ensemble("garrison", 2, rng=g, overrides=OVER)  # the generator moved on
    assert first.manifest["root_entropy"] != second.manifest["root_entropy"]
    again = ensemble("garrison", 2, rng=first.manifest["root_entropy"], overrides=OVER)
    assert _same(first, again)


def test_a_bad_rng_is_refused_in_python_terms():
    with pytest.raises(ValueError, match="root SeedSequence"):
        ensemble("garrison", 2, rng=np.random.SeedSequence(3).spawn(1)[0], overrides=OVER)
    with pytest.raises(TypeError, match="rng must be an int"):
        ensemble("garrison", 2, rng="3", overrides=OVER)


def test_explain_takes_rng_too():
    a = ablation("garrison", runs=2, mechanisms=(), overrides=OVER, rng=4)
    b = ablation("garrison", runs=2, mechanisms=(), overrides=OVER, seed=4)
    assert a.equals(b)


def test_an_ensemble_shows_what_was_run_and_the_record_in_a_notebook():
    ens = ensemble("garrison", 4, rng=2, overrides={"days": 1.0})
    assert repr(ens) == "<Ensemble of 'garrison': 4 runs, root seed 2>"
    html = ens._repr_html_()
    assert "<b>garrison</b>: ensemble of 4 runs, root seed 2" in html
    for event in ens.events["event"]:
        assert f"<td>{event}</td>" in html
    assert "<td>left</td>" in html and "at the end" in html
    assert len(html) < 4000
