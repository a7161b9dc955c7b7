"""Scenario discovery: the outcome language, designs, PRIM boxes, JSON, resuming, the CLI and
the report's section."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from rout.ema import inputs
from rout.experiments.commands import register
from rout.experiments.discover import (
    Discovery,
    OutcomeError,
    Term,
    analyse,
    discover,
    frame,
    parse,
    point_values,
    sample,
)
from rout.experiments.store import Experiment, StoreError

SMALL = {"army.strength": 1000, "days": 3.0}  # as `--set army.strength=1000 --days 3` gives
LEVERS = ["pay_multiplier", "enforcement", "backup_real"]
POINTS = 48


# ------------------------------------------------------------------- the language
@pytest.mark.parametrize(("text", "shown", "terms"), [
    ("held:Damascus", "held:Damascus", ["fall:Damascus"]),
    ("held_Maarat_al_Numan", "held:Maarat al-Numan", ["fall:Maarat al-Numan"]),
    ("fall:Maarat al-Numan > 3 and left_share<0.2",
     "fall:Maarat al-Numan > 3 and left_share < 0.2", ["fall:Maarat al-Numan", "left_share"]),
    ("power_share@11 > 0.25", "power_share@11 > 0.25", ["power_share@11"]),
    ('not ("fall:Deir ez-Zor" <= 4 or held:Homs)', "not (fall:Deir ez-Zor <= 4 or held:Homs)",
     ["fall:Deir ez-Zor", "fall:Homs"]),
])
def test_outcome_expressions_read_place_names_and_both_spellings(text, shown, terms):
    c = parse(text, "syria-2024")
    assert str(c) == shown
    assert [str(t) for t in c.terms()] == terms


@pytest.mark.parametrize(("text", "why"), [
    ("held:Paris", "unknown place"),
    ("left_share", "compare it"),
    ("power_share > 0.2", "give a day"),
    ("power_share@99 > 0.2", "outside the run"),
    ("left_share <", "ends too soon"),
    ("held:Hama or", "ends too soon"),
    ("held:Hama Homs", "unexpected"),
    ("nonsense > 1", "unknown outcome"),
    ("left_share < many", "expected a number"),
])
def test_bad_expressions_say_what_is_wrong(text, why):
    with pytest.raises(OutcomeError, match=why):
        parse(text, "syria-2024")


def test_a_point_is_judged_on_the_median_of_its_runs():
    nan = np.nan
    # point 0: Hama fell in 1 of 4 runs (held); point 1: in 2 of 4 (not held: the median fell)
    runs = pd.DataFrame({"run_id": [f"r{i}" for i in range(8)], "point": [0] * 4 + [1] * 4,
                         "replicate": [0, 1, 2, 3] * 2,
                         "fall:Hama": [2.0, nan, nan, nan, 3.0, 1.0, nan, nan],
                         "left_share": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]})
    # every run but r7 lasts to day 2 and reads power = 1 - day / 4; r7 ends at day 1 (0.5)
    series = pd.concat([pd.DataFrame({"run_id": rid, "step": range(n), "day": np.arange(n) / 2,
                                      "power_share": 1 - np.arange(n) / 8 if rid != "r7"
                                      else [1.0, 0.8, 0.5]})
                        for rid, n in zip(runs["run_id"], [5] * 7 + [3], strict=True)])
    held = parse("held:Hama", "syria-2024")
    assert held.node(point_values(held.terms(), runs, series, 2)).tolist() == [True, False]
    late = parse("fall:Hama > 2.5", "syria-2024")  # a place that held falls after every day
    assert late.node(point_values(late.terms(), runs, series, 2)).tolist() == [True, True]
    at = Term("power_share", 1.6)  # the last step at or before day 1.6: day 1.5
    each = point_values([at], runs.assign(point=range(8)), series, 8)[at]
    assert each.tolist() == [0.625] * 7 + [0.5]  # r7 keeps its last value after its end
    assert point_values([at], runs, series, 2)[at].tolist() == [0.625, 0.625]
    share = point_values([Term("left_share")], runs, series, 2)[Term("left_share")]
    assert share.tolist() == pytest.approx([0.25, 0.65])


# ------------------------------------------------------------------------ designs
@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_designs_stay_in_their_ranges_and_follow_the_seed(method):
    items = inputs({"pay_multiplier": None, "friends_in_unit": (1, 8), "backup_real": None})
    pts = sample(items, 64, method, np.random.default_rng(3))
    x = frame(pts, items)
    assert x["pay_multiplier"].between(0.25, 4.0).all()
    assert x["friends_in_unit"].dtype.kind == "i" and set(x["friends_in_unit"]) == set(range(1, 9))
    assert set(x["backup_real"]) == {False, True}
    assert pts == sample(items, 64, method, np.random.default_rng(3))
    assert pts != sample(items, 64, method, np.random.default_rng(4))


def test_sobol_needs_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        sample(inputs(["pay_multiplier"]), 100, "sobol", np.random.default_rng(0))


def test_a_second_box_explains_what_the_first_leaves_out():
    rng = np.random.default_rng(2)
    items = inputs({"pay_multiplier": None, "officer_loyalty": None})
    x = frame(sample(items, 600, "lhs", rng), items)
    # two separate regions where the outcome is true: high pay, or loyal officers on low pay
    y = ((x["pay_multiplier"] > 2.5) | ((x["officer_loyalty"] > 0.6)
                                         & (x["pay_multiplier"] < 1.2))).to_numpy()
    found, scores = analyse(x, y, items, boxes=3, density=0.8)
    assert [b.number for b in found][:2] == [1, 2]
    one, two = ({r.input for r in b.restrictions} for b in found[:2])
    assert one == {"pay_multiplier"} and "officer_loyalty" in two
    assert sum(b.k for b in found) <= y.sum()  # the second counts only what the first left
    assert sum(b.coverage for b in found) <= 1.0 + 1e-9
    assert {f["input"] for f in scores} == set(items)


# ---------------------------------------------------------------------- discovery
@pytest.fixture(scope="module")
def found(tmp_path_factory) -> tuple[Path, Discovery, float]:
    """A discovery on garrison, for an outcome that is true at half the points by
    construction: left_share below its median over a first pass of the same store."""
    store = tmp_path_factory.mktemp("discover") / "store"
    first = discover("garrison", "left_share < 0.5", store, levers=LEVERS, points=POINTS,
                     overrides=SMALL, seed=5)
    assert first.points == POINTS and first.runs == POINTS
    median = float(Experiment(store).runs["left_share"].median())
    outcome = f"left_share < {median!r}"
    stamps = {p: p.stat().st_mtime_ns for p in (store / "runs").iterdir()}
    disc = discover("garrison", outcome, store, levers=LEVERS, points=POINTS, overrides=SMALL,
                    seed=5, resume=True)
    assert {p: p.stat().st_mtime_ns for p in (store / "runs").iterdir()} == stamps, \
        "analysing another outcome of a finished store runs nothing"
    return store, disc, median


def test_discovery_finds_a_box_that_is_denser_than_the_whole(found):
    _, disc, _ = found
    assert 0 < disc.cases < disc.points
    assert disc.boxes, "an outcome true at about half the points should give a box"
    box = disc.boxes[0]
    assert box.density > disc.share
    assert 0 < box.coverage <= 1 and 0 < box.mass <= 1
    assert box.restrictions and {r.input for r in box.restrictions} <= set(LEVERS)
    for r in box.restrictions:
        assert r.qp_low is not None or r.qp_high is not None
        assert r.qp is None or 0 <= r.qp <= 1
    steps = box.trajectory
    assert steps[0].mass == 1.0 and steps[0].res_dim == 0
    reaching = [i for i, s in enumerate(steps) if s.density >= disc.density]
    if reaching:  # the step shown: the highest coverage that reaches the density asked
        assert box.meets
        assert box.coverage == max(steps[i].coverage for i in reaching)
    assert {f["input"] for f in disc.features} == set(LEVERS)


def test_the_box_describes_the_stored_points_it_claims(found):
    store, disc, median = found
    box = disc.boxes[0]
    runs = Experiment(store).runs.sort_values("point")
    inside = np.ones(len(runs), dtype=bool)
    for r in box.restrictions:
        v = runs[r.input]
        if r.values is not None:
            inside &= v.isin(r.values).to_numpy()
        else:
            inside &= ((v >= r.low) & (v <= r.high)).to_numpy()
    hit = (runs["left_share"] < median).to_numpy()
    assert inside.sum() == box.n and (inside & hit).sum() == box.k
    assert box.density == pytest.approx(box.k / box.n)
    assert box.coverage == pytest.approx(box.k / hit.sum())


def test_discovery_json_round_trips(found, tmp_path):
    store, disc, _ = found
    assert Discovery.read(store) == disc  # discover wrote OUT/discovery.json
    path = disc.write(tmp_path / "d.json")
    back = Discovery.read(path)
    assert back == disc and back.sentences() == disc.sentences()
    data = json.loads(path.read_text())
    assert data["kind"] == "discovery" and data["outcome"] == disc.outcome
    (tmp_path / "bad.json").write_text('{"kind": "sweep"}')
    with pytest.raises(ValueError, match="not a rout discovery"):
        Discovery.read(tmp_path / "bad.json")


def test_an_interrupted_discovery_resumes_to_the_same_result(found, tmp_path):
    store, disc, _ = found
    copy = tmp_path / "store"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((store / "manifest.json").read_bytes())
    (copy / "runs").mkdir()
    files = sorted((store / "runs").glob("*.parquet"))
    for f in files[: len(files) // 2]:  # as if killed half-way
        (copy / "runs" / f.name).write_bytes(f.read_bytes())
    again = discover("garrison", disc.outcome, copy, levers=LEVERS, points=POINTS,
                     overrides=SMALL, seed=5, resume=True)
    assert sorted(p.name for p in (copy / "runs").glob("*.parquet")) == [f.name for f in files]
    assert again.boxes == disc.boxes and again.cases == disc.cases


def test_a_store_of_another_design_is_refused(found):
    store, disc, _ = found
    with pytest.raises(StoreError, match="different experiment"):
        discover("garrison", disc.outcome, store, levers=LEVERS, points=POINTS + 1,
                 overrides=SMALL, seed=5, resume=True)
    with pytest.raises(StoreError, match="already holds"):
        discover("garrison", disc.outcome, store, levers=LEVERS, points=POINTS,
                 overrides=SMALL, seed=5)


def test_the_boxes_in_words(found):
    _, disc, _ = found
    (sentence,) = disc.sentences()
    assert sentence.startswith(f"“{disc.outcome}” is met in {disc.boxes[0].density:.0%} of runs")
    assert f"which covers {disc.boxes[0].coverage:.0%} of all runs where it is met" in sentence
    held = Discovery(**{**disc.__dict__, "outcome": "held:Hama"})
    assert held.sentences()[0].startswith("Hama holds in ")
    assert held.sentences()[0].endswith("where it holds.")
    never = Discovery(**{**disc.__dict__, "cases": 0, "boxes": []})
    assert "in none of the" in never.sentences()[0]


def test_an_outcome_that_never_varies_gives_no_box(found, tmp_path):
    store, _, _ = found
    disc = discover("garrison", "left_share >= 0", store, levers=LEVERS, points=POINTS,
                    overrides=SMALL, seed=5, resume=True, save=tmp_path / "always.json")
    assert disc.cases == disc.points and disc.boxes == [] and disc.features == []
    assert "nothing to explain" in disc.sentences()[0]


# ---------------------------------------------------------------------------- the CLI
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """A stand-in for the `rout` app."""


register(app)


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rout {' '.join(map(str, args))} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


def test_the_command_prints_and_writes_the_box(found, tmp_path):
    store, disc, median = found
    code, stdout, stderr = invoke(
        "discover", "garrison", "--outcome", f"left_share < {median!r}", "--lever",
        "pay_multiplier", "--lever", "enforcement", "--lever", "backup_real", "--points",
        POINTS, "--seed", 5, "--set", "army.strength=1000", "--days", 3, "--out", store,
        "--resume", "--json", tmp_path / "d.json")
    assert code == 0, stderr
    assert "coverage" in stdout and "Peeling trajectory" in stdout and "quasi-p" in stdout
    assert Discovery.read(tmp_path / "d.json").boxes == disc.boxes
    assert (tmp_path / "d.png").stat().st_size > 0
    code, stdout, _ = invoke(
        "discover", "garrison", "--outcome", f"left_share < {median!r}", "--lever",
        "pay_multiplier", "--lever", "enforcement", "--lever", "backup_real", "--points",
        POINTS, "--seed", 5, "--set", "army.strength=1000", "--days", 3, "--out", store,
        "--resume", "--json", tmp_path / "e.json", "--format", "json")
    assert code == 0 and json.loads(stdout)["boxes"] == json.loads(
        (tmp_path / "d.json").read_text())["boxes"]


@pytest.mark.parametrize(("args", "message"), [
    (["--outcome", "held:Paris"], "unknown place"),
    (["--outcome", "held_Town", "--lever", "w_loyalty"], "LOW:HIGH"),
    (["--outcome", "held:Town", "--lever", "enforcement=0:20"], "outside its declared bounds"),
    (["--outcome", "held:Town", "--sampler", "sobol", "--points", "100"], "power of 2"),
    (["--outcome", "held:Town", "--sampler", "grid"], "lhs or sobol"),
])
def test_the_command_refuses_bad_input_in_one_line(tmp_path, args, message):
    code, _, stderr = invoke("discover", "garrison", *args, "--out", tmp_path / "d")
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()


def test_sweep_and_sensitivity_take_documented_ranges_and_either_spelling(tmp_path):
    code, stdout, stderr = invoke(
        "sweep", "garrison", "--lhs", "pay_multiplier", "--points", 2, "--days", 0.5,
        "--set", "army.strength=300", "--out", tmp_path / "s", "--format", "json")
    assert code == 0, stderr
    assert all(0.25 <= p["pay_multiplier"] <= 4.0 for p in json.loads(stdout)["points"])
    code, _, stderr = invoke("sensitivity", "garrison", "--param", "w_loyalty",
                             "--outcome", "fall_Town")
    assert code == 2 and "w_loyalty" in stderr
    code, _, stderr = invoke("sensitivity", "garrison", "--param", "act_rate",
                             "--outcome", "fall_Nowhere")
    assert code == 2 and "'fall_Nowhere': unknown" in stderr


# ----------------------------------------------------------------------- the report
def test_the_report_says_what_would_have_held_it(found):
    from rout.model.results import simulate
    from rout.viz.report import _counterfactual, render

    store, disc, _ = found
    stored = Discovery.read(store)
    run = simulate("garrison", seed=1, overrides={"days": 2.0, "army.strength": 500})
    page = html.unescape(render(run, discovery=stored))
    section = page[page.index('id="counterfactual"'):page.index('id="events"')]
    assert "What would have held it" in section and disc.sentences()[0] in section
    assert section.count("data:image/png") == 1  # the trajectory and the box
    for r in disc.boxes[0].restrictions:
        assert r.input in section
    assert _counterfactual(None, "garrison") == ""  # no discovery, no section
    held = Discovery(**{**disc.__dict__, "outcome": "held:Town", "scenario": "other"})
    text = html.unescape(_counterfactual(held, "garrison"))
    assert "Town holds in " in text and "the discovery is of other" in text
