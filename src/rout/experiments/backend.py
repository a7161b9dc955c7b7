"""Where runs execute: the pure run function, and the executors that map it.

A run is a pure function of (scenario, overrides, seed), so the same task gives the
same result bit for bit whichever executor runs it: a plain loop, local processes or
a Dask cluster. Only top-level functions cross process boundaries, so everything
here works under the 'spawn' start method and from Jupyter.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.model.results import Run, simulate
from rout.scenario.schema import Scenario

SERIES = ("left", "on_duty", "power_share", "mean_effort", "mean_credibility")
"""The per-step columns an ensemble keeps of each run (besides `step` and `day`)."""

BACKENDS = ("sequential", "processes", "dask")
LOCAL_CLUSTER = {
    # Dask sets MALLOC_TRIM_THRESHOLD_ for its workers (and, doing so, in this process),
    # which makes glibc map and unmap every large array: rout runs 5x slower
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # a worker samples its own stack every 10 ms and every process watches itself twice
    # a second: on a laptop that CPU comes out of the runs, and nobody reads the profiles
    "distributed.worker.profile.enabled": False,
    # the same for a worker its nanny starts again after one died (read from its environment)
    "distributed.nanny.pre-spawn-environ.DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
}
"""Dask settings for the LocalCluster rout starts (a given scheduler keeps its own)."""

ScenarioLike = str | Path | Scenario


@dataclass(frozen=True)
class Result:
    """What one run leaves behind: scalar outcomes and a reduced per-step series.

    Small on purpose (never agent arrays), so thousands of runs fit in memory and
    travel cheaply from workers.
    """

    outcomes: dict[str, float]
    series: pd.DataFrame


Runner = Callable[[ScenarioLike, dict[str, Any], np.random.SeedSequence], Result]


SCALARS = ("left_share", "deserted_share", "final_power_share", "quarter_power_day")


def outcome_names(scenario: Scenario, held: bool = False) -> list[str]:
    """The outcomes `run` reports for a scenario: `fall:PLACE` for each place the
    government holds at the start, then the scalars; with `held`, `held:PLACE` too
    (derived from the fall: 1 where the place did not fall, else 0)."""
    places = [p.name for p in scenario.places if p.control == "government"]
    return [f"fall:{p}" for p in places] + ([f"held:{p}" for p in places] if held else []) \
        + list(SCALARS)


def held_of(outcomes: dict[str, float]) -> dict[str, float]:
    """`held:PLACE` for each `fall:PLACE` of a run's outcomes: 1.0 if it did not fall
    (its fall day is NaN), else 0.0; a number, so an optimiser can use it."""
    return {f"held:{k.removeprefix('fall:')}": float(np.isnan(v))
            for k, v in outcomes.items() if k.startswith("fall:")}


def outcomes_of(result: Run) -> dict[str, float]:
    """The scalar outcomes of a run: fall day of each government place (NaN if held),
    shares gone at the end and the day effective strength drops below a quarter."""
    s = result.series
    last = s.iloc[-1]
    n = result.n_soldiers
    held_at_start = {p.name for p in result.scenario.places if p.control == "government"}
    out = {f"fall:{name}": float(day) for name, day in result.fall_days.items()
           if name in held_at_start}
    out["left_share"] = float(last["left"] / n)
    out["deserted_share"] = float((last["deserting"] + last["deserted"]) / n)
    out["final_power_share"] = float(last["power_share"])
    out["quarter_power_day"] = result.day_power_below(0.25)
    return out


def run(scenario: ScenarioLike, overrides: dict[str, Any],
        seed: np.random.SeedSequence | int) -> Result:
    """Run a scenario once and keep only what experiments need (the pure, mappable task)."""
    r = simulate(scenario, seed=seed, overrides=overrides)
    return Result(outcomes_of(r), r.series[["step", "day", *SERIES]].reset_index(drop=True))


def identifier(name: str) -> str:
    """An outcome name as a Python identifier (`fall:Maarat al-Numan`: `fall_Maarat_al_Numan`).

    The one mapping between the store's names and EMA's: every character that cannot be
    in an identifier becomes `_`. `outcome_key` maps back, given the scenario's names."""
    return re.sub(r"\W", "_", name)


def outcome_key(name: str, known: Iterable[str]) -> str:
    """The outcome `name` stands for among `known`, in either spelling: the store's
    (`fall:Damascus`) or its identifier (`fall_Damascus`); else a ValueError naming them."""
    names = list(known)
    if name in names:
        return name
    matches = [k for k in names if identifier(k) == name]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"unknown outcome {name!r}; outcomes are {', '.join(names)}")


def model(scenario: ScenarioLike = "syria-2024", seed: int = 0, replication: int | None = None,
          **params: Any) -> dict[str, Any]:
    """EMA Workbench's shape, `f(**params) -> outcomes`, for `ema_workbench.Model`
    (`rout.ema.model` builds the whole Model around it).

    Parameters are override keys, with `__` standing for a dot (`army__strength`),
    since EMA names must be identifiers; so are the outcome names returned
    (`fall_Damascus`, see `identifier`). Alone, `seed` seeds the run as `rout run --seed`
    does; with a `replication` r the run is replicate r of any rout experiment under the
    root seed `seed` (the root's child r, see `rout.experiments.plan`), so an EMA
    experiment and a rout one with the same point and seeds are the same run.

    Returned: every outcome of `run` (a fall day is NaN where the place held), `held_PLACE`
    (1.0 where the place did not fall, else 0.0: a number EMA's optimisers can use), the
    reduced series as arrays over the whole horizon (a run that ended early, the war
    decided, keeps its last values, so every run's arrays have one length) and `TIME`,
    the day of each step.
    """
    from rout.experiments.plan import plain, replicate_seed, root_entropy
    from rout.scenario.loader import load_scenario

    overrides = {key.replace("__", "."): plain(value) for key, value in params.items()}
    rng = np.random.SeedSequence(seed) if replication is None else \
        replicate_seed(root_entropy(seed), int(replication))
    res = run(scenario, overrides, rng)
    out: dict[str, Any] = {identifier(k): v for k, v in res.outcomes.items()}
    out.update({identifier(k): v for k, v in held_of(res.outcomes).items()})
    sc = load_scenario(scenario, overrides)
    steps = max(len(res.series), int(np.ceil(sc.days * 24.0 / sc.step_hours - 1e-9)))
    for name in SERIES:
        values = res.series[name].to_numpy()
        out[name] = np.concatenate([values, np.full(steps - len(values), values[-1])])
    out["TIME"] = np.arange(steps) * sc.step_hours / 24.0
    return out


def _dask_executor(workers: int | None, scheduler: str | None, retries: int
                   ) -> tuple[Executor, list[Any]]:
    """A Dask executor plus what must be closed after it (client, and a cluster we started)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client = Client(scheduler, timeout="10s")
        closing: list[Any] = [client]
    else:
        with dask.config.set(LOCAL_CLUSTER):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        closing = [client, cluster]
    # pure=False: every run is a new task even if two look alike; retries: a run whose
    # worker raised is tried again (a worker that dies is replaced by its nanny and the
    # scheduler reruns its tasks elsewhere)
    return client.get_executor(pure=False, retries=retries), closing


def check_sendable(fn: Callable[..., Any]) -> None:
    """Refuse, before any run, a runner that worker processes cannot import: one defined in
    a notebook or at an interactive prompt (`__main__` with no file: the spawned workers
    would die one after another trying to load it), a lambda or a nested function."""
    import pickle
    import sys

    inner = getattr(fn, "func", fn)  # a functools.partial: the function it wraps
    name = getattr(inner, "__qualname__", type(inner).__name__)
    fix = ("put it in a module (a .py file beside the notebook, imported from there), or "
           "use backend='dask' (which sends the function itself) or 'sequential'")
    if getattr(inner, "__module__", None) == "__main__" and \
            not getattr(sys.modules.get("__main__"), "__file__", None):
        raise TypeError(f"the runner {name} is defined in the notebook or at the prompt "
                        f"(__main__), and worker processes cannot import it: {fix}")
    try:
        pickle.dumps(fn)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError(f"the runner {name} cannot be sent to worker processes ({exc}): "
                        f"{fix}") from None


class Backend:
    """Runs tasks on a plain loop, local processes or Dask, yielding results as they finish.

    Use it as a context manager to start the pool or cluster once and reuse it for
    several experiments (a calibration submits a batch per generation). Any
    `concurrent.futures.Executor` may be passed instead, e.g. `client.get_executor()`
    for a Dask cluster you manage yourself; it is used, never shut down.
    """

    def __init__(self, kind: str = "sequential", workers: int | None = None,
                 scheduler: str | None = None, executor: Executor | None = None,
                 retries: int = 2) -> None:
        if scheduler is not None:
            kind = "dask"
        if kind not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {kind!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.kind = kind
        self.workers = workers
        self.scheduler = scheduler
        self.retries = retries
        self._given = executor
        self._executor: Executor | None = executor
        self._closing: list[Any] = []

    def __repr__(self) -> str:
        return f"<Backend {self.kind} workers={self.workers} scheduler={self.scheduler}>"

    def __enter__(self) -> Backend:
        if self._executor is None:
            self._start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(wait=kind is None)

    def _start(self) -> None:
        if self.kind == "processes":
            spawn = multiprocessing.get_context("spawn")  # as on macOS, Windows and Jupyter
            self._executor = ProcessPoolExecutor(self.workers or os.cpu_count() or 1,
                                                 mp_context=spawn)
        elif self.kind == "dask":
            self._executor, self._closing = _dask_executor(self.workers, self.scheduler,
                                                           self.retries)

    def close(self, wait: bool = True) -> None:
        """Stop the pool or cluster this backend started (not an executor it was given);
        after an error or Ctrl-C, without waiting for the runs still queued."""
        if isinstance(self._executor, ProcessPoolExecutor) and self._executor is not self._given:
            self._executor.shutdown(wait=wait, cancel_futures=True)
        elif self._executor is not None and self._executor is not self._given:
            self._executor.shutdown(wait=wait)  # Dask's: without waiting, it cancels
        for thing in self._closing:
            thing.close()
        self._executor, self._closing = self._given, []

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple[Any, ...]]
            ) -> Iterator[tuple[int, Any]]:
        """Yield `(index, fn(*jobs[index]))` as runs finish, in any order.

        A process pool broken by a dying worker is replaced and the unfinished jobs
        resubmitted, up to `retries` times; an exception raised by a run is raised here.
        """
        if self.kind == "sequential" and self._executor is None:
            for i, job in enumerate(jobs):
                yield i, fn(*job)
            return
        if self._executor is None:
            self._start()
        if isinstance(self._executor, ProcessPoolExecutor):
            check_sendable(fn)
        todo = list(range(len(jobs)))
        for attempt in range(self.retries + 1):
            broken = yield from self._round(fn, jobs, todo)
            if not broken:
                return
            if attempt == self.retries:
                raise BrokenProcessPool(f"workers kept dying: {len(broken)} runs not done "
                                        f"after {self.retries} retries")
            self.close()
            self._start()
            todo = broken

    def _round(self, fn: Callable[..., Any], jobs: Sequence[tuple[Any, ...]],
               todo: Iterable[int]) -> Generator[tuple[int, Any], None, list[int]]:
        """Submit jobs, yield results as they come; return the jobs lost to a broken pool."""
        assert self._executor is not None
        pending: dict[Future, int] = {self._executor.submit(fn, *jobs[i]): i for i in todo}
        broken: list[int] = []
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = pending.pop(fut)
                    try:
                        value = fut.result()
                    except BrokenProcessPool:
                        broken.append(i)
                        continue
                    yield i, value
        finally:
            for fut in pending:
                fut.cancel()
        return sorted(broken)
