"""The dashboard: a FastAPI app serving one HTML page and two JSON endpoints.

Why FastAPI + uvicorn: both are light, maintained and typed; the request is a
pydantic model (the project already speaks pydantic), so every bound on a
lever, the population, the horizon and the number of runs is declared once and
refused with a readable 422. The page itself is plain HTML/JS drawing SVG: no
front-end build and no asset fetched from the internet, so it works offline.

Runs go to a pool of worker processes (spawned once, at start-up, and kept
warm); each worker sends back only the few arrays the page draws, never a
whole Run. The browser never names a file: scenarios are chosen among the
built-in ones by name.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator

import rout
from rout.model.state import STATES
from rout.run import simulate
from rout.scenario.loader import ScenarioError, builtin_scenarios, load_scenario
from rout.scenario.schema import RANKS, Scenario

STATIC = Path(__file__).parent / "static"
MAX_RUNS = 20
MAX_POPULATION = 200_000
MAX_DAYS = 30.0
MAX_SOLDIER_STEPS = 8e8  # 20 runs of syria-2024 as written: about a minute on 2 cores
MAX_POINTS = 240  # time points sent to the page per curve

# name: (label, low, high, step, help); the bounds keep runs meaningful and quick
LEVERS: dict[str, tuple[str, float, float, float, str]] = {
    "pay_multiplier": ("Pay", 0.25, 4.0, 0.05, "multiplies every rank's pay"),
    "backer_commitment": ("Backers' commitment", 0.0, 3.0, 0.05,
                          "scales allies' air support and reinforcements"),
    "enforcement": ("Enforcement", 0.0, 3.0, 0.05, "scales the risk of being caught leaving"),
    "checkpoint_density": ("Checkpoints", 0.0, 3.0, 0.05, "checkpoints on the roads home"),
    "officer_loyalty": ("Officer loyalty", -1.0, 1.0, 0.05,
                        "added to officers' loyalty, which holds them back"),
}


class Levers(BaseModel):
    """The counterfactual levers; None keeps the scenario's own value."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    pay_multiplier: float | None = Field(None, ge=LEVERS["pay_multiplier"][1],
                                         le=LEVERS["pay_multiplier"][2])
    backer_commitment: float | None = Field(None, ge=LEVERS["backer_commitment"][1],
                                            le=LEVERS["backer_commitment"][2])
    backup_real: bool | None = None
    enforcement: float | None = Field(None, ge=LEVERS["enforcement"][1],
                                      le=LEVERS["enforcement"][2])
    amnesty_on: bool | None = None
    checkpoint_density: float | None = Field(None, ge=LEVERS["checkpoint_density"][1],
                                             le=LEVERS["checkpoint_density"][2])
    officer_loyalty: float | None = Field(None, ge=LEVERS["officer_loyalty"][1],
                                          le=LEVERS["officer_loyalty"][2])


class RunRequest(BaseModel):
    """One press of the Run button: a built-in scenario, an ensemble size and the levers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scenario: str = "syria-2024"
    runs: int = Field(10, ge=1, le=MAX_RUNS)
    seed: int = Field(1, ge=0, le=2**31 - 1)
    days: float | None = Field(None, ge=0.5, le=MAX_DAYS)
    population: int | None = Field(None, ge=100, le=MAX_POPULATION)
    levers: Levers = Levers()

    @field_validator("scenario")
    @classmethod
    def _builtin(cls, name: str) -> str:
        known = builtin_scenarios()
        if name not in known:
            raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(known)}")
        return name

    def overrides(self) -> dict[str, Any]:
        """The request as scenario overrides (only what the user set)."""
        over: dict[str, Any] = {k: v for k, v in self.levers.model_dump().items()
                                if v is not None}
        if self.days is not None:
            over["days"] = self.days
        if self.population is not None:
            over["army.strength"] = self.population
        return over


def run_one(name: str, seed: int, overrides: dict[str, Any], with_map: bool) -> dict[str, Any]:
    """One run in a worker, cut down to the arrays the page draws (cheap to send back)."""
    run = simulate(name, seed=seed, overrides=overrides)
    s = run.series
    n = len(s)
    idx = np.unique(np.r_[np.arange(0, n, max(1, -(-n // MAX_POINTS))), n - 1])
    pick = s.iloc[idx]
    out: dict[str, Any] = {"day": pick["day"].to_numpy()}
    for col in (*STATES, "left", "mean_effort", "mean_credibility", "power_share"):
        out[col] = pick[col].to_numpy(dtype=float)
    army = run.engine.army
    for dim, labels, codes in (("rank", RANKS, army.rank), ("group", run.groups_, army.group)):
        sizes = np.bincount(codes, minlength=len(labels))
        for j, label in enumerate(labels):
            if f"{dim}.{label}.left" in s.columns and sizes[j]:
                out[f"{dim}.{label}"] = pick[f"{dim}.{label}.left"].to_numpy(dtype=float) / sizes[j]
    out["fall"] = run.timeline()["simulated"].to_numpy(dtype=float)
    if with_map:
        k = len(run.places_)
        out["map.government"] = run.places["government"].to_numpy(dtype=bool).reshape(n, k)[idx]
        out["map.on_duty"] = np.stack(
            [pick[f"place.{p}.on_duty"].to_numpy(dtype=float) for p in run.places_], axis=1)
        f = run.forces
        out["map.forces"] = [
            {"name": name, **{c: f.loc[f["force"] == name, c].to_numpy()[idx]
                              for c in ("lat", "lon", "strength")}}
            for name in dict.fromkeys(f["force"])]
        falls = run.events[run.events["kind"] == "fall"]
        out["map.falls"] = [
            {"day": float(r.day), "place": str(r.place), "detail": str(r.detail)}
            for r in falls.itertuples()]
    return out


def _warm() -> None:
    """Import the model in a worker before the first request needs it."""
    simulate("garrison", seed=0, days=0.1)


def _list(values: Iterable[float], digits: int = 4) -> list[float | None]:
    """Rounded JSON numbers, NaN as null."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]


def _band(runs: list[dict[str, Any]], key: str) -> dict[str, list[float | None]]:
    values = np.stack([r[key] for r in runs])
    lo, mid, hi = np.nanpercentile(values, [5, 50, 95], axis=0)
    return {"median": _list(mid), "lo": _list(lo), "hi": _list(hi)}


def assemble(sc: Scenario, req: RunRequest, runs: list[dict[str, Any]],
             elapsed: float) -> dict[str, Any]:
    """The page's JSON: bands over the ensemble, the timeline, the first run's map."""
    first = runs[0]
    curves = {
        "strength": {s: _band(runs, s) for s in (*STATES, "left")},
        "morale": {k: _band(runs, k) for k in ("mean_effort", "mean_credibility",
                                                "power_share")},
        "rank": {k.split(".", 1)[1]: _band(runs, k) for k in first if k.startswith("rank.")},
        "group": {k.split(".", 1)[1]: _band(runs, k) for k in first if k.startswith("group.")},
    }
    falls = np.stack([r["fall"] for r in runs])
    timeline = []
    for j, obs in enumerate(sc.observed):
        got = falls[:, j][np.isfinite(falls[:, j])]
        mid, lo, hi = np.percentile(got, [50, 5, 95]) if got.size else (np.nan,) * 3
        timeline.append({"place": obs.place, "observed": obs.day, "note": obs.note,
                         "median": _list([mid])[0], "lo": _list([lo])[0], "hi": _list([hi])[0],
                         "fell": round(got.size / len(runs), 4)})
    index = {p.name: i for i, p in enumerate(sc.places)}
    return {
        "scenario": sc.name, "description": sc.description, "runs": len(runs),
        "seeds": list(range(req.seed, req.seed + req.runs)), "soldiers": sc.army.strength,
        "days": sc.days, "start_date": sc.start_date.isoformat() if sc.start_date else None,
        "elapsed": round(elapsed, 3), "overrides": req.overrides(),
        "day": _list(first["day"]), "curves": curves, "timeline": timeline,
        "map": {
            "seed": req.seed,
            "places": [{"name": p.name, "lat": p.lat, "lon": p.lon} for p in sc.places],
            "roads": [[index[r.a], index[r.b]] for r in sc.roads],
            "government": first["map.government"].astype(int).tolist(),
            "on_duty": np.round(first["map.on_duty"]).astype(int).tolist(),
            "forces": [{"name": f["name"], "lat": _list(f["lat"]), "lon": _list(f["lon"]),
                        "strength": _list(f["strength"], 1)} for f in first["map.forces"]],
            "falls": first["map.falls"],
        },
    }


def _readable(exc: RequestValidationError) -> str:
    """One line per refused input, field first, as the page shows it."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "body")
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines)


def scenario_info(name: str) -> dict[str, Any]:
    """What the page needs to set up its controls for a scenario."""
    sc = load_scenario(name)
    params = sc.parameters.model_dump()
    return {"name": name, "description": sc.description, "soldiers": sc.army.strength,
            "days": sc.days, "observed": len(sc.observed),
            "levers": {k: params[k] for k in Levers.model_fields}}


def create_app(workers: int = 2) -> FastAPI:
    """The dashboard app; `workers` processes run the ensemble (1: in a thread, no pool)."""
    pool: dict[str, Executor | None] = {"executor": None}

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if workers > 1:
            ex = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(ex, _warm) for _ in range(workers)))
            pool["executor"] = ex
        yield
        if pool["executor"] is not None:
            pool["executor"].shutdown(cancel_futures=True)

    app = FastAPI(title="rout dashboard", version=rout.__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def refused(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"message": _readable(exc)})

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/scenarios")
    async def scenarios() -> dict[str, Any]:
        limits = {"runs": [1, MAX_RUNS], "population": [100, MAX_POPULATION],
                  "days": [0.5, MAX_DAYS]}
        levers = [{"name": k, "label": v[0], "min": v[1], "max": v[2], "step": v[3],
                   "help": v[4]} for k, v in LEVERS.items()]
        return {"scenarios": [scenario_info(n) for n in builtin_scenarios()],
                "limits": limits, "levers": levers, "default_runs": 10}

    @app.post("/api/run")
    async def run(req: RunRequest) -> JSONResponse:
        over = req.overrides()
        try:
            sc = load_scenario(req.scenario, over)
        except ScenarioError as exc:
            return JSONResponse(status_code=400, content={"message": "; ".join(exc.problems)})
        steps = np.ceil(sc.days * 24 / sc.step_hours)
        work = sc.army.strength * steps * req.runs
        if work > MAX_SOLDIER_STEPS:
            return JSONResponse(status_code=400, content={
                "message": f"too much work for the dashboard: {req.runs} runs x "
                           f"{sc.army.strength:,} soldiers x {steps:.0f} steps; lower the runs, "
                           "the population or the horizon"})
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        jobs = [loop.run_in_executor(pool["executor"], run_one, req.scenario, s, over, i == 0)
                for i, s in enumerate(range(req.seed, req.seed + req.runs))]
        runs = await asyncio.gather(*jobs)
        return JSONResponse(assemble(sc, req, runs, time.perf_counter() - start))

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 2) -> None:
    """Run the dashboard until interrupted."""
    import uvicorn

    uvicorn.run(create_app(workers), host=host, port=port, log_level="warning")
