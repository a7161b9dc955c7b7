"""The dashboard: a FastAPI app serving one HTML page and its JSON endpoints.

Why FastAPI + uvicorn: both are light, maintained and typed; the request is a
pydantic model (the project already speaks pydantic), so every bound on a
lever, the population, the horizon and the number of runs is declared once and
refused with a readable 422. The page itself is plain HTML/JS drawing SVG: no
front-end build and no asset fetched from the internet, so it works offline.

Runs go to a pool of worker processes (spawned once, at start-up, and kept
warm; a pool whose worker died is replaced, and its runs retried); each worker
sends back only the few arrays the page draws, never a whole Run. The browser
never names a file: scenarios are chosen among the built-in ones by name.
An explanation (`rout.explain`'s ablation: every mechanism switched off in
turn) is the same plan `rout explain` runs, handed to the same workers run by
run, so it obeys the same bounds, queue and cancellation as any ensemble.

Several people may share a dashboard: the `Scheduler` hands the workers one run
at a time, in turn to each request waiting, so a small request never waits for a
large one to finish; a small one may also run beside the pool, in the server's
own thread. The queue is bounded (MAX_ACTIVE requests, MAX_PER_CLIENT from one
address): beyond, 429. A request whose client went away is dropped (its runs
not yet started are never started). Each request is checked first (`Guard`):
its `Host` and `Origin` must be the address the server listens on (403: no DNS
rebinding, no other site's page driving it), and its body at most MAX_BODY bytes
(413). No message echoes more than a short excerpt of what was sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

import rout
from rout import ema
from rout.experiments.backend import Result
from rout.experiments.plan import Plan, replicates, split
from rout.experiments.store import Record, rows_of
from rout.experiments.summary import QUANTILES, quantiles, summarise_days
from rout.explain import BASELINE, QUARTER, ablation_plan, ablation_table
from rout.model.registry import STATE_NAMES, STATES
from rout.model.results import series_column, simulate
from rout.model.schedule import switches
from rout.scenario.loader import ScenarioError, builtin_scenarios, load_scenario
from rout.scenario.schema import Scenario
from rout.viz import basemap
from rout.viz.map import ATTACKER, GOVERNMENT, HELD_ALPHA, ROAD, regions, territory, view_bounds

STATIC = Path(__file__).parent / "static"
MAX_RUNS = 20
MAX_POPULATION = 200_000
MAX_DAYS = 30.0
MAX_SOLDIER_STEPS = 8e8  # 20 runs of syria-2024 as written: about a minute on 2 cores
MAX_POINTS = 240  # time points sent to the page per curve
MAX_BODY = 16 * 1024  # bytes of a request's body (a run request is a few hundred)
MAX_ACTIVE = 8  # requests running or waiting at once
MAX_PER_CLIENT = 2  # of which from one address
SMALL_WORK = 5e6  # soldier-steps of a request small enough to run beside the pool
RETRIES = 2  # times a run is tried again after its worker died
EXCERPT = 200  # characters of a refused input a message may show
LEFT_COLOUR = "#000000"  # the curve of all who have left, beside the states' own colours
CASES = len(switches()) + 1  # an explanation runs each case: all on, then each mechanism off
EXPLAIN_RUNS = 3  # the page's default runs per case of an explanation

# name: (label, low, high, step, help) of each slider: the levers' ranges of rout.ema, the one
# table every experiment explores (the switches, backup_real and amnesty_on, are checkboxes)
LEVERS: dict[str, tuple[str, float, float, float, str]] = {
    name: (i.label, i.low, i.high, i.step, i.help) for name, i in ema.LEVERS.items()
    if not i.switch
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

    scenario: str = Field("syria-2024", max_length=100)
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
            raise ValueError(f"unknown scenario {_cut(repr(name), 40)}; choose one of "
                             f"{', '.join(known)}")
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


class ExplainRequest(RunRequest):
    """One press of the Explain button: the Run form's scenario, population, horizon and
    levers, with its own (smaller) number of runs, since each is run CASES times."""

    runs: int = Field(EXPLAIN_RUNS, ge=1, le=MAX_RUNS)


def run_one(name: str, overrides: dict[str, Any], seed: np.random.SeedSequence,
            with_map: bool) -> dict[str, Any]:
    """One run in a worker, cut down to the arrays the page draws (cheap to send back)."""
    run = simulate(name, seed=seed, overrides=overrides)
    s = run.series
    n = len(s)
    idx = np.unique(np.r_[np.arange(0, n, max(1, -(-n // MAX_POINTS))), n - 1])
    pick = s.iloc[idx]
    out: dict[str, Any] = {"day": pick["day"].to_numpy()}
    for col in (*STATE_NAMES, "left", "mean_effort", "mean_credibility", "power_share"):
        out[col] = pick[col].to_numpy(dtype=float)
    for dim in ("rank", "group"):
        for label, size in run.sizes(dim).items():
            out[f"{dim}.{label}"] = pick[series_column(dim, label, "left")].to_numpy(
                dtype=float) / size
    out["fall"] = run.timeline()["simulated"].to_numpy(dtype=float)
    if with_map:
        k = len(run.place_names)
        out["map.government"] = run.places["government"].to_numpy(dtype=bool).reshape(n, k)[idx]
        out["map.on_duty"] = np.stack(
            [pick[series_column("place", p, "on_duty")].to_numpy(dtype=float)
             for p in run.place_names], axis=1)
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


def ground(sc: Scenario, bounds: basemap.Bounds) -> list[list[list[list[float]]]]:
    """Each place's ground (the report's `territory` and `regions`): its rings of
    [lon, lat], without the closing vertex; the page fills those of taken places."""
    lon = tuple(p.lon for p in sc.places)
    lat = tuple(p.lat for p in sc.places)
    paths = regions(territory(bounds, lon, lat), bounds, len(sc.places))
    return [[np.round(ring[:-1], 4).tolist() for ring in path.to_polygons()] for path in paths]


def steps_of(sc: Scenario) -> float:
    """Steps of one run of a scenario: with its soldiers, the unit of the dashboard's bounds."""
    return float(np.ceil(sc.days * 24 / sc.step_hours))


def _warm() -> None:
    """Import the model in a worker before the first request needs it."""
    simulate("garrison", seed=0, days=0.1)


def _list(values: Iterable[float], digits: int = 4) -> list[float | None]:
    """Rounded JSON numbers, NaN as null."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]


def _num(value: float, digits: int = 4) -> float | None:
    """One rounded JSON number, NaN as null."""
    return _list([value], digits)[0]


def _band(runs: list[dict[str, Any]], key: str) -> dict[str, list[float | None]]:
    lo, mid, hi = quantiles(np.stack([r[key] for r in runs]), QUANTILES, axis=0)
    return {"median": _list(mid), "lo": _list(lo), "hi": _list(hi)}


def assemble(sc: Scenario, req: RunRequest, runs: list[dict[str, Any]],
             elapsed: float) -> dict[str, Any]:
    """The page's JSON: bands over the ensemble, the timeline, the first run's map."""
    first = runs[0]
    curves = {
        "strength": {s: _band(runs, s) for s in (*STATE_NAMES, "left")},
        "morale": {k: _band(runs, k) for k in ("mean_effort", "mean_credibility",
                                                "power_share")},
        "rank": {k.split(".", 1)[1]: _band(runs, k) for k in first if k.startswith("rank.")},
        "group": {k.split(".", 1)[1]: _band(runs, k) for k in first if k.startswith("group.")},
    }
    falls = np.stack([r["fall"] for r in runs])
    observed = {o.place for o in sc.observed}
    timeline = []
    for j, obs in enumerate(sc.observed):
        d = summarise_days(falls[:, j])
        timeline.append({"place": obs.place, "observed": obs.day, "note": obs.note,
                         "median": _list([d.median])[0], "lo": _list([d.p05])[0],
                         "hi": _list([d.p95])[0], "fell": round(d.share, 4),
                         "fell_runs": d.happened, "runs": d.runs, "held": d.held})
    index = {p.name: i for i, p in enumerate(sc.places)}
    lon = np.array([p.lon for p in sc.places])
    lat = np.array([p.lat for p in sc.places])
    bounds = view_bounds(lon, lat)  # the report's and the animation's box
    return {
        "scenario": sc.name, "description": sc.description, "runs": len(runs),
        "seed": req.seed, "soldiers": sc.army.strength,
        "states": [*({"name": st.name, "label": st.label, "colour": st.colour}
                     for st in STATES),
                   {"name": "left", "label": "left (visibly)", "colour": LEFT_COLOUR}],
        "days": sc.days, "start_date": sc.start_date.isoformat() if sc.start_date else None,
        "elapsed": round(elapsed, 3), "overrides": req.overrides(),
        "day": _list(first["day"]), "curves": curves, "timeline": timeline,
        "map": {
            "seed": req.seed,
            "bounds": list(bounds), "basemap": basemap.geojson(bounds),
            "style": {"sea": basemap.SEA, "land": basemap.LAND,
                      **{k: basemap.STYLE[k].get("color", basemap.STYLE[k].get("edgecolor"))
                         for k in ("lakes", "rivers", "coast", "borders")},
                      "government": GOVERNMENT, "attacker": ATTACKER, "road": ROAD,
                      "held_alpha": HELD_ALPHA},
            "places": [{"name": p.name, "lat": p.lat, "lon": p.lon,
                        "observed": p.name in observed} for p in sc.places],
            "ground": ground(sc, bounds),
            "roads": [[index[r.a], index[r.b]] for r in sc.roads],
            "government": first["map.government"].astype(int).tolist(),
            "on_duty": np.round(first["map.on_duty"]).astype(int).tolist(),
            "forces": [{"name": f["name"], "lat": _list(f["lat"]), "lon": _list(f["lon"]),
                        "strength": _list(f["strength"], 1)} for f in first["map.forces"]],
            "falls": first["map.falls"],
        },
    }


def explanation(req: ExplainRequest, plan: Plan, results: list[Result],
                elapsed: float) -> dict[str, Any]:
    """The page's JSON of an explanation: `rout.explain`'s table of the plan's runs, a row
    per (mechanism, outcome), with the days moved against the median with all on."""
    records = [Record(rid, p, r, plan.points[p], (r,), res)
               for (rid, p, r), res in zip(plan.runs(), results, strict=True)]
    runs_, _ = split(rows_of(records, plan.entropy))
    table = ablation_table(plan, runs_)
    base = table[table["mechanism"] == BASELINE].set_index("outcome")["median_day"]
    rows = []
    for r in table.itertuples():
        day = base[r.outcome]
        rows.append({"mechanism": r.mechanism, "outcome": r.outcome, "runs": int(r.runs),
                     "happened_runs": round(r.happened * r.runs),
                     "held": not np.isfinite(r.median_day), "median_day": _num(r.median_day),
                     "p05": _num(r.p05), "p95": _num(r.p95), "shift_days": _num(r.shift_days),
                     "shift_p05": _num(r.p05 - day), "shift_p95": _num(r.p95 - day)})
    described = switches()
    outcomes = list(dict.fromkeys(table["outcome"]))
    return {
        "scenario": req.scenario, "runs": req.runs, "seed": req.seed, "cases": len(plan.points),
        "total_runs": plan.size, "elapsed": round(elapsed, 3), "overrides": req.overrides(),
        "baseline": BASELINE,
        "mechanisms": [{"name": m, "help": described[m]} for m in plan.design["mechanisms"]],
        "outcomes": [{"name": o, "label": "power < 25%" if o == QUARTER else o}
                     for o in outcomes],
        "rows": rows,
    }


def _cut(text: str, limit: int = EXCERPT) -> str:
    """At most `limit` characters of a text (an excerpt of input, in a message)."""
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def _readable(exc: RequestValidationError) -> str:
    """One line per refused input, field first, as the page shows it (never more than an
    excerpt of the input)."""
    lines = []
    for err in exc.errors()[:5]:
        loc = _cut(".".join(str(p) for p in err["loc"] if p != "body"), 60)
        msg = _cut(str(err["msg"]).removeprefix("Value error, "))
        lines.append(f"{loc}: {msg}" if loc else msg)
    return _cut("; ".join(lines), 2 * EXCERPT)


class Busy(Exception):
    """The queue is full, or this client has as many requests waiting as it may (429)."""


@dataclass(eq=False)
class Job:
    """One request's runs: those waiting for a worker, and the results as they come."""

    client: str
    tasks: list[tuple[Any, ...]]  # the arguments of `fn`, one tuple per run
    small: bool
    done: asyncio.Future[list[Any]]
    fn: Callable[..., Any] = run_one  # what a worker does with each task (top-level: it is sent)
    waiting: list[int] = field(default_factory=list)  # indices of runs not yet started
    results: dict[int, Any] = field(default_factory=dict)
    tries: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.waiting = list(range(len(self.tasks)))


class Scheduler:
    """The dashboard's runs on its workers, fairly and within bounds.

    Each free worker takes the next run of the next request in turn (round robin), so
    requests share the workers run by run, and a small request (at most SMALL_WORK
    soldier-steps) may also run in a thread of the server beside the pool. At most
    MAX_ACTIVE requests are running or waiting, MAX_PER_CLIENT from one address; beyond,
    `submit` raises Busy. A pool whose worker died (BrokenProcessPool) is replaced and the
    runs it lost are tried again, RETRIES times at most. With `workers` 1 every run goes
    to a thread of the server (no pool)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: Executor | None = None
        self.generation = 0  # pools made so far: a failure of an older one is not news
        self.side = ThreadPoolExecutor(1, thread_name_prefix="rout-small")
        self.jobs: list[Job] = []
        self.busy = 0  # runs on the pool (or its thread when workers is 1)
        self.side_busy = 0
        self.turn = 0

    def start(self) -> Executor | None:
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers,
                                            mp_context=multiprocessing.get_context("spawn"))
            self.generation += 1
        return self.pool

    def close(self) -> None:
        """Stop the workers now (a run in progress is abandoned) and wait until they are gone,
        so none outlives the server."""
        pool, self.pool = self.pool, None
        if isinstance(pool, ProcessPoolExecutor):
            workers = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in workers:
                process.terminate()
            for process in workers:
                process.join(10)
            pool.shutdown(wait=True)
        self.side.shutdown(wait=False, cancel_futures=True)

    def _renew(self, generation: int) -> None:
        """Replace a broken pool (once, however many of its runs failed)."""
        if generation != self.generation or self.workers <= 1:
            return
        old = self.pool
        self.start()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)

    def submit(self, client: str, tasks: list[tuple[Any, ...]], small: bool,
               fn: Callable[..., Any] = run_one) -> Job:
        if len(self.jobs) >= MAX_ACTIVE:
            raise Busy(f"the dashboard is busy with {len(self.jobs)} requests; try again in "
                       "a moment")
        if sum(j.client == client for j in self.jobs) >= MAX_PER_CLIENT:
            raise Busy(f"{MAX_PER_CLIENT} of your requests are still running; wait for them "
                       "(or close their pages) before asking for more")
        job = Job(client, tasks, small, asyncio.get_running_loop().create_future(), fn)
        self.jobs.append(job)
        self._dispatch()
        return job

    def cancel(self, job: Job) -> None:
        """Drop a request: its runs not yet started never start (those running finish)."""
        job.waiting.clear()
        if job in self.jobs:
            self.jobs.remove(job)
        if not job.done.done():
            job.done.cancel()

    def _next(self, small_only: bool) -> tuple[Job, int] | None:
        ready = [j for j in self.jobs if j.waiting and (j.small or not small_only)]
        if not ready:
            return None
        self.turn = (self.turn + 1) % len(ready)
        job = ready[self.turn]
        return job, job.waiting.pop(0)

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.busy < self.workers:
                picked, side = self._next(small_only=False), False
            elif self.side_busy < 1:
                picked, side = self._next(small_only=True), True
            else:
                return
            if picked is None:
                return
            job, i = picked
            executor = self.side if side else self.pool
            generation = self.generation
            try:
                future = loop.run_in_executor(executor, job.fn, *job.tasks[i])
            except BrokenProcessPool:
                self._renew(generation)
                job.waiting.insert(0, i)
                continue
            if side:
                self.side_busy += 1
            else:
                self.busy += 1
            future.add_done_callback(self._finished(job, i, side, generation))

    def _finished(self, job: Job, i: int, side: bool, generation: int
                  ) -> Callable[[asyncio.Future[Any]], None]:
        def finished(future: asyncio.Future[Any]) -> None:
            if side:
                self.side_busy -= 1
            else:
                self.busy -= 1
            if not job.done.done():
                exc = None if future.cancelled() else future.exception()
                if future.cancelled() or isinstance(exc, BrokenProcessPool):
                    self._renew(generation)
                    job.tries[i] = job.tries.get(i, 0) + 1
                    if job.tries[i] <= RETRIES:
                        job.waiting.insert(0, i)
                    else:
                        self._fail(job, RuntimeError("a worker died running it, "
                                                     f"{RETRIES + 1} times"))
                elif exc is not None:
                    self._fail(job, exc)
                else:
                    job.results[i] = future.result()
                    if len(job.results) == len(job.tasks):
                        self.jobs.remove(job)
                        job.done.set_result([job.results[k] for k in range(len(job.tasks))])
            self._dispatch()
        return finished

    def _fail(self, job: Job, exc: BaseException) -> None:
        job.waiting.clear()
        if job in self.jobs:
            self.jobs.remove(job)
        job.done.set_exception(exc)


def allowed_hosts(host: str) -> set[str]:
    """The names a request's Host (or Origin) may give for a server listening on `host`:
    that address, and for a loopback address the loopback names too (Starlette's test
    client calls itself `testserver`)."""
    names = {host.strip("[]").lower()}
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost"
    if loopback:
        names |= {"localhost", "127.0.0.1", "::1", "testserver"}
    return names


def _split_host(value: str) -> tuple[str, int | None]:
    """`name:port` (or `[v6]:port`) as (name, port); port None if absent; ('', None) if
    the value is not a host at all."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "", parts.port)
    except ValueError:
        return "", None


class Guard:
    """ASGI middleware: the Host and Origin of every request must be the server's own
    address (403 otherwise), and its body at most MAX_BODY bytes (413)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.app = app
        self.any_address = host in ("0.0.0.0", "::", "")
        self.names = allowed_hosts("127.0.0.1" if self.any_address else host) | {host}
        self.port = port

    def _ours(self, name: str, port: int | None) -> bool:
        if self.port is not None and port is not None and port != self.port:
            return False
        if name in self.names:
            return True
        if self.any_address:  # listening everywhere: any address of ours, but no name
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        name, port = _split_host(headers.get("host", ""))
        if not self._ours(name, port):
            await _refuse(scope, send, 403, "this dashboard answers only to its own address (the "
                                     "Host header names another)")
            return
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            try:
                o_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
            except ValueError:
                o_port = -1
            if parts.scheme not in ("http", "https") or not self._ours(parts.hostname or "",
                                                                        o_port):
                await _refuse(scope, send, 403, "this dashboard answers only to its own pages (the "
                                         "Origin header names another site)")
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _refuse(scope, send, 413, f"the request body may be at most {MAX_BODY:,} bytes")
            return
        seen = 0

        async def bounded() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    raise HTTPException(413, f"the request body may be at most {MAX_BODY:,} "
                                             "bytes")
            return message

        await self.app(scope, bounded, send)


async def _refuse(scope: dict[str, Any], send: Any, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    response = JSONResponse(status_code=status, content={"message": message})
    await response(scope, None, send)


def scenario_info(name: str) -> dict[str, Any]:
    """What the page needs to set up its controls for a scenario."""
    sc = load_scenario(name)
    params = sc.parameters.model_dump()
    return {"name": name, "description": sc.description, "soldiers": sc.army.strength,
            "days": sc.days, "observed": len(sc.observed),
            "levers": {k: params[k] for k in Levers.model_fields}}


def create_app(workers: int = 2, host: str = "127.0.0.1", port: int | None = None) -> FastAPI:
    """The dashboard app; `workers` processes run the ensembles (1: a thread, no pool).

    `host` and `port` are where it listens: requests naming another Host or Origin are
    refused (port None: any port)."""
    scheduler = Scheduler(workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        loop = asyncio.get_running_loop()
        ex = scheduler.start()
        warming = [loop.run_in_executor(scheduler.side, _warm)]
        if ex is not None:
            warming += [loop.run_in_executor(ex, _warm) for _ in range(workers)]
        await asyncio.gather(*warming)
        yield
        scheduler.close()

    app = FastAPI(title="rout dashboard", version=rout.__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(Guard, host=host, port=port)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def refused(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"message": _readable(exc)})

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code,
                            content={"message": _cut(str(exc.detail))},
                            headers=getattr(exc, "headers", None))

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
                "limits": limits, "levers": levers, "default_runs": 10,
                "explain": {"cases": CASES, "default_runs": EXPLAIN_RUNS}}

    @app.get("/api/status")
    async def status() -> dict[str, Any]:
        """How busy the dashboard is: requests running or waiting, and runs on the workers."""
        return {"requests": len(scheduler.jobs), "running": scheduler.busy,
                "beside": scheduler.side_busy, "workers": workers, "pools": scheduler.generation,
                "limits": {"requests": MAX_ACTIVE, "per_client": MAX_PER_CLIENT,
                           "body_bytes": MAX_BODY}}

    def prepare(req: RunRequest, cases: int = 1) -> Scenario | JSONResponse:
        """The request's scenario, or the 400 that refuses it: an override the scenario
        refuses, or more than MAX_SOLDIER_STEPS of work over its `cases` x runs."""
        try:
            sc = load_scenario(req.scenario, req.overrides())
        except ScenarioError as exc:
            return JSONResponse(status_code=400,
                                content={"message": _cut("; ".join(exc.problems), 2 * EXCERPT)})
        steps = steps_of(sc)
        if sc.army.strength * steps * req.runs * cases > MAX_SOLDIER_STEPS:
            each = f"{cases} cases x " if cases > 1 else ""
            return JSONResponse(status_code=400, content={
                "message": f"too much work for the dashboard: {each}{req.runs} runs x "
                           f"{sc.army.strength:,} soldiers x {steps:.0f} steps; lower the runs, "
                           "the population or the horizon"})
        return sc

    async def gather(request: Request, sc: Scenario, tasks: list[tuple[Any, ...]],
                     fn: Callable[..., Any] = run_one) -> list[Any] | JSONResponse:
        """The tasks' results from the workers, in order; or the answer that ends the
        request instead: 429 (queue full), 499 (the client left: its runs not started are
        dropped) or 500 (a run raised)."""
        work = sc.army.strength * steps_of(sc) * len(tasks)
        client = request.client.host if request.client else "?"
        try:
            job = scheduler.submit(client, tasks, small=work <= SMALL_WORK, fn=fn)
        except Busy as exc:
            return JSONResponse(status_code=429, content={"message": str(exc)},
                                headers={"Retry-After": "5"})
        try:
            while not job.done.done():
                await asyncio.wait([job.done], timeout=0.25)
                if not job.done.done() and await request.is_disconnected():
                    scheduler.cancel(job)  # nobody is waiting for it any more
                    return JSONResponse(status_code=499, content={"message": "gone"})
            return job.done.result()
        except Exception as exc:  # a run that raised: one line, an excerpt
            return JSONResponse(status_code=500, content={
                "message": _cut(f"the runs failed: {type(exc).__name__}: {exc}")})
        finally:
            scheduler.cancel(job)

    @app.post("/api/run")
    async def run(req: RunRequest, request: Request) -> JSONResponse:
        """An ensemble: bands over the runs, the timeline, the first run's map."""
        sc = prepare(req)
        if isinstance(sc, JSONResponse):
            return sc
        start = time.perf_counter()
        plan = replicates(req.scenario, req.runs, req.seed, req.overrides(), "dashboard")
        runs = await gather(request, sc, [(*plan.job(0, r), r == 0) for r in range(req.runs)])
        if isinstance(runs, JSONResponse):
            return runs
        return JSONResponse(assemble(sc, req, runs, time.perf_counter() - start))

    @app.post("/api/explain")
    async def explain(req: ExplainRequest, request: Request) -> JSONResponse:
        """What moved each fall: `rout explain`'s plan (CASES x runs), run by run on the
        workers, summarised by `rout.explain`'s own table."""
        sc = prepare(req, CASES)
        if isinstance(sc, JSONResponse):
            return sc
        start = time.perf_counter()
        plan = ablation_plan(req.scenario, req.runs, None, req.overrides(), req.seed)
        results = await gather(request, sc, [plan.job(p, r) for _, p, r in plan.runs()],
                               plan.runner)
        if isinstance(results, JSONResponse):
            return results
        return JSONResponse(explanation(req, plan, results, time.perf_counter() - start))

    app.state.scheduler = scheduler
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 2,
          ready: Callable[[], None] | None = None) -> None:
    """Run the dashboard until interrupted; `ready()` is called once it answers on its port
    (the workers warm, the socket listening), so an address announced then opens at once."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            if self.started and ready is not None:
                ready()

    config = uvicorn.Config(create_app(workers, host, port), host=host, port=port,
                            log_level="warning")
    Server(config).run()
