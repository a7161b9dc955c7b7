"""Runs per minute of an ensemble on 1 and 2 workers (process pool and Dask), against a loop.

    .venv/bin/python benchmarks/experiments_speed.py [--runs 32] [--rounds 3]

Each backend is started and warmed up (one short run per worker, so every worker
has imported rout) before the clock starts; the start-up time is reported apart.
The same runs (root seed 1, run i on child i) go through every path:

- loop: `run(scenario, {}, seed_i)` in a plain for loop, nothing else;
- sequential: the experiment driver (`execute`) with the sequential backend;
- processes / dask: the driver with a spawned process pool or a Dask LocalCluster
  of single-threaded worker processes.

Every round runs every path once, back to back, and the table gives the median
over rounds of each figure, each efficiency computed within its own round: on a
shared machine the speed of one core drifts from minute to minute.

Efficiency is the speed-up over the same path on 1 worker divided by the number of
workers; overhead is the extra wall time of a 1-worker path over the plain loop.
"cores had" is the CPU time the runs got divided by the wall time, and "busy" that
over the number of workers: the share of the workers' time spent in runs, what the
executor can lose to scheduling, transfers and an idle worker at the end. The rest
of a shortfall in efficiency is "CPU s/run" growing with the workers: two runs at
once slow each other down through the memory and caches the cores share (or other
machines' work on the same host), which no executor can avoid.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from rout.experiments import Backend, Plan, Result, execute, run
from rout.experiments.sweep import replicate_seed, root_entropy


def cpu_run(scenario: str, overrides: dict[str, Any], seed: np.random.SeedSequence) -> Result:
    """`run`, plus the CPU seconds it took in its worker."""
    start = time.process_time()
    res = run(scenario, overrides, seed)
    return Result({**res.outcomes, "cpu_seconds": time.process_time() - start}, res.series)


def timed_loop(scenario: str, runs: int, entropy: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the runs in a plain loop."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(runs):
        run(scenario, {}, replicate_seed(entropy, i))
    return time.perf_counter() - start, time.process_time() - cpu


def timed_backend(scenario: str, runs: int, entropy: int, kind: str,
                  workers: int) -> tuple[float, float, float]:
    """(start-up seconds, wall seconds, CPU seconds) of the runs on one backend."""
    start = time.perf_counter()
    with Backend(kind, workers=workers) as backend:
        warm = Plan(scenario, [{}], workers, entropy, "warm-up", overrides={"days": 0.25})
        execute(warm, backend=backend)
        ready = time.perf_counter()
        rows = execute(Plan(scenario, [{}], runs, entropy, "ensemble", runner=cpu_run),
                       backend=backend)
        done = time.perf_counter()
    cpu = rows.drop_duplicates("run_id")["cpu_seconds"].sum()
    return ready - start, done - ready, float(cpu)


PATHS = [("sequential", 1), ("processes", 1), ("processes", 2), ("dask", 1), ("dask", 2)]


def one_round(scenario: str, runs: int, entropy: int) -> dict[tuple[str, int], tuple]:
    """Every path once, back to back: {(path, workers): (start-up s, wall s, CPU s)}."""
    loop, loop_cpu = timed_loop(scenario, runs, entropy)
    out = {("loop", 1): (0.0, loop, loop_cpu)}
    for kind, workers in PATHS:
        out[kind, workers] = timed_backend(scenario, runs, entropy, kind, workers)
        print(f"  {kind} x{workers}: {out[kind, workers][1]:.1f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=32, help="runs per measurement")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of every path, back to back; the table gives medians")
    ap.add_argument("--scenario", default="syria-2024")
    args = ap.parse_args()
    entropy = root_entropy(1)
    rounds = []
    for r in range(args.rounds):
        print(f"round {r + 1} of {args.rounds}", flush=True)
        rounds.append(one_round(args.scenario, args.runs, entropy))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{args.scenario}: {args.runs} runs per row, medians of {args.rounds} rounds, "
          f"{os.cpu_count()} cores, load average {load} at the end\n")
    print("| path | workers | start-up s | wall s | runs/min | efficiency | overhead vs loop "
          "| CPU s/run | cores had | busy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, workers in [("loop", 1), *PATHS]:
        startup, wall, cpu = np.array([rd[kind, workers] for rd in rounds]).T
        single = np.array([rd[kind, 1][1] for rd in rounds])
        loop = np.array([rd["loop", 1][1] for rd in rounds])
        had = np.median(cpu / wall)
        overhead = (f"{np.median(single / loop) - 1:+.1%}"
                    if workers == 1 and kind != "loop" else "")
        print(f"| {kind} | {workers} | {np.median(startup):.1f} | {np.median(wall):.1f} | "
              f"{60.0 * args.runs / np.median(wall):.1f} | "
              f"{np.median(single / (workers * wall)):.0%} | {overhead} | "
              f"{np.median(cpu) / args.runs:.2f} | {had:.2f} | {had / workers:.0%} |")


if __name__ == "__main__":
    main()
