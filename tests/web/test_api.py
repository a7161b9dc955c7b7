"""The dashboard's JSON API: ensembles with bands, explanations, and readable refusals of bad
input."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

import rout
import rout.scenario.loader
from rout.explain import BASELINE, QUARTER, ablation
from rout.model.schedule import switches
from rout.viz.map import regions, territory
from rout.web.app import CASES, MAX_RUNS, create_app

BASE = {"scenario": "garrison", "runs": 3, "seed": 1, "days": 1}


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(workers=1)) as c:
        yield c


@pytest.fixture(scope="module")
def answer(client) -> dict:
    r = client.post("/api/run", json={**BASE, "levers": {"enforcement": 2.5}})
    assert r.status_code == 200, r.text
    return r.json()


def test_page_and_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<script src="/static/app.js">' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_scenarios_list_the_builtins_with_their_lever_values(client):
    data = client.get("/api/scenarios").json()
    names = [s["name"] for s in data["scenarios"]]
    assert names == list(rout.scenario.loader.builtin_scenarios())
    syria = data["scenarios"][names.index("syria-2024")]
    record = rout.load_scenario("syria-2024").observed
    assert syria["soldiers"] == 130000 and syria["observed"] == len(record)
    assert set(syria["levers"]) == {"pay_multiplier", "backer_commitment", "backup_real",
                                    "enforcement", "amnesty_on", "checkpoint_density",
                                    "officer_loyalty"}
    assert data["limits"]["runs"] == [1, MAX_RUNS]


def test_run_returns_bands_over_the_seeds(answer):
    assert answer["runs"] == 3 and answer["seed"] == 1
    assert answer["overrides"] == {"enforcement": 2.5, "days": 1.0}
    n = len(answer["day"])
    assert answer["day"][0] == 0 and answer["day"][-1] == pytest.approx(23 / 24, abs=1e-3)
    for group in answer["curves"].values():
        for band in group.values():
            lo, mid, hi = (np.array(band[k], dtype=float) for k in ("lo", "median", "hi"))
            assert lo.size == mid.size == hi.size == n
            assert np.all(lo <= mid + 1e-9) and np.all(mid <= hi + 1e-9)
    on_duty = answer["curves"]["strength"]["on_duty"]
    assert max(h - low for h, low in zip(on_duty["hi"], on_duty["lo"], strict=True)) > 0
    shares = answer["curves"]["rank"]
    assert set(shares) == {"conscript", "nco", "officer", "general"}
    assert all(0 <= v <= 1 for band in shares.values() for v in band["hi"])


def test_run_sends_the_first_seeds_map(answer):
    m = answer["map"]
    assert [p["name"] for p in m["places"]] == ["Town", "Rear"]
    assert m["roads"] == [[0, 1]]
    assert len(m["government"]) == len(m["on_duty"]) == len(answer["day"])
    assert sum(m["on_duty"][0]) > sum(m["on_duty"][-1])  # soldiers leave
    # each place's ground, as the report's map computes it: rings of [lon, lat]
    places = rout.load_scenario("garrison").places
    cells = territory(tuple(m["bounds"]), tuple(p.lon for p in places),
                      tuple(p.lat for p in places))
    want = regions(cells, tuple(m["bounds"]), len(places))
    assert [len(rings) for rings in m["ground"]] == [len(w.to_polygons()) for w in want]
    ring = np.array(m["ground"][0][0])
    np.testing.assert_allclose(ring, want[0].to_polygons()[0][:-1], atol=1e-4)


def test_levers_reach_the_model(client):
    def left(enforcement: float) -> float:
        r = client.post("/api/run", json={**BASE, "days": 3,  # past the garrison's crisis
                                          "levers": {"enforcement": enforcement}})
        return r.json()["curves"]["strength"]["left"]["median"][-1]

    assert left(0.0) > left(3.0)


def test_timeline_compares_with_the_record(client):
    r = client.post("/api/run", json={"scenario": "syria-2024", "runs": 2, "days": 3,
                                      "population": 20000})
    rows = {row["place"]: row for row in r.json()["timeline"]}
    record = {o.place: o.day for o in rout.load_scenario("syria-2024").observed}
    assert set(rows) == set(record)
    assert all(rows[p]["observed"] == day for p, day in record.items())
    # censored the same way as everywhere: the median only where it fell in most runs
    for row in rows.values():
        assert 0 <= row["fell"] <= 1
        assert (row["median"] is None) == (row["fell"] < 0.5)
    # three days in, the first places of the record have fallen and Damascus has not
    assert rows["Base 46"]["fell"] == 1 and 0 < rows["Base 46"]["median"] < 3
    assert rows["Damascus"]["fell"] == 0 and rows["Damascus"]["median"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"runs": 0}, "runs"),
    ({"runs": MAX_RUNS + 1}, "runs"),
    ({"population": 10}, "population"),
    ({"population": 10_000_000}, "population"),
    ({"days": 365}, "days"),
    ({"seed": -1}, "seed"),
    ({"levers": {"enforcement": 50}}, "levers.enforcement"),
    ({"levers": {"pay_multiplier": 0}}, "levers.pay_multiplier"),
    ({"levers": {"officer_loyalty": -5}}, "levers.officer_loyalty"),
    ({"levers": {"amnesty_on": "perhaps"}}, "levers.amnesty_on"),
    ({"scenario": "/etc/passwd"}, "scenario"),
    ({"scenario": "../scenario/data/garrison.yaml"}, "scenario"),
    ({"path": "/etc/passwd"}, "path"),
])
def test_out_of_bounds_input_is_refused_readably(client, change, field):
    r = client.post("/api/run", json={**BASE, **change})
    assert r.status_code == 422
    message = r.json()["message"]
    assert message.startswith(f"{field}: "), message
    assert "\n" not in message


def test_nan_is_refused(client):
    r = client.post("/api/run", content=b'{"scenario": "garrison", "levers": {"enforcement": NaN}}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["message"].startswith("levers.enforcement: ")


def test_too_much_work_is_refused(client):
    r = client.post("/api/run", json={"scenario": "syria-2024", "runs": MAX_RUNS, "days": 30,
                                      "population": 200_000})
    assert r.status_code == 400
    assert "too much work" in r.json()["message"]


def test_process_pool_gives_the_same_answer_as_one_thread(answer):
    with TestClient(create_app(workers=2)) as pooled:
        r = pooled.post("/api/run", json={**BASE, "levers": {"enforcement": 2.5}})
    assert r.status_code == 200
    data = r.json()
    assert data["curves"] == answer["curves"]
    assert data["timeline"] == answer["timeline"]


EXPLAIN = {"scenario": "garrison", "runs": 2, "seed": 1, "days": 3}  # past its crisis


@pytest.fixture(scope="module")
def explained(client) -> dict:
    r = client.post("/api/explain", json=EXPLAIN)
    assert r.status_code == 200, r.text
    return r.json()


def test_explain_answers_rout_explains_table_as_json(explained):
    mechanisms = list(switches())
    assert explained["runs"] == 2 and explained["cases"] == CASES == len(mechanisms) + 1
    assert explained["total_runs"] == 2 * CASES
    assert [m["name"] for m in explained["mechanisms"]] == mechanisms
    assert [o["name"] for o in explained["outcomes"]] == [QUARTER]  # garrison: no record
    rows = explained["rows"]
    assert {(r["mechanism"], r["outcome"]) for r in rows} == {
        (m, QUARTER) for m in (BASELINE, *mechanisms)}
    assert all(r["runs"] == 2 for r in rows)
    # the same plan and the same table as `rout explain` (its own function, not a copy)
    table = ablation("garrison", runs=2, overrides={"days": 3.0}, seed=1).set_index("mechanism")
    for r in rows:
        want = table.loc[r["mechanism"]]
        for key in ("median_day", "p05", "p95", "shift_days"):
            assert r[key] == (None if np.isnan(want[key]) else pytest.approx(want[key],
                                                                             abs=1e-4))
        assert r["held"] == bool(np.isnan(want["median_day"]))
    base = next(r for r in rows if r["mechanism"] == BASELINE)
    assert not base["held"] and base["shift_days"] == 0
    moved = next(r for r in rows if r["mechanism"] == "enforcement")
    assert moved["shift_days"] < 0  # without enforcement the garrison breaks sooner
    assert moved["shift_p05"] == pytest.approx(moved["p05"] - base["median_day"], abs=1e-3)


def test_explain_refuses_a_bad_request_in_one_message(client):
    r = client.post("/api/explain", json={**EXPLAIN, "runs": 0})
    assert r.status_code == 422
    assert r.json() == {"message": "runs: Input should be greater than or equal to 1"}
    r = client.post("/api/explain", json={"scenario": "syria-2024", "runs": 3})
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"too much work for the dashboard: {CASES} cases x 3")
