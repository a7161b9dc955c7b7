"""The dashboard's JSON API: ensembles with bands, and readable refusals of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rout.web.app import MAX_RUNS, create_app

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
    assert names == ["garrison", "syria-2024"]
    syria = data["scenarios"][1]
    assert syria["soldiers"] == 130000 and syria["observed"] == 5
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


def test_levers_reach_the_model(client):
    def left(enforcement: float) -> float:
        r = client.post("/api/run", json={**BASE, "levers": {"enforcement": enforcement}})
        return r.json()["curves"]["strength"]["left"]["median"][-1]

    assert left(0.0) > left(3.0)


def test_timeline_compares_with_the_record(client):
    r = client.post("/api/run", json={"scenario": "syria-2024", "runs": 2, "days": 3,
                                      "population": 20000})
    rows = {row["place"]: row for row in r.json()["timeline"]}
    assert set(rows) == {"Aleppo", "Hama", "Daraa", "Homs", "Damascus"}
    assert rows["Aleppo"]["fell"] == 1 and rows["Aleppo"]["observed"] == 2.5
    assert 0 < rows["Aleppo"]["median"] < 3
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
