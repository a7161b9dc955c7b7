"""Runs per minute of an ensemble on 1 and 2 workers (process pool and Dask), against a loop.

    .venv/bin/python benchmarks/experiments_speed.py [--runs 8] [--scenario syria-2024]

Each backend is started and warmed up (one short run per worker, so every worker
has imported rout) before the clock starts; the start-up time is reported apart.
The same runs (root seed 1, run i on child i) go through every path:

- loop: `run(scenario, {}, seed_i)` in a plain for loop, nothing else;
- sequential: the experiment driver (`execute`) with the sequential backend;
- processes / dask: the driver with a spawned process pool or a Dask LocalCluster
  of single-threaded worker processes.

Efficiency is the speed-up over the same path on 1 worker divided by the number of
workers; overhead is the extra wall time of a 1-worker path over the plain loop.
"cores had" is the CPU time the runs got divided by the wall time: on an idle
machine it equals the number of workers; below that, other processes took the
cores, and no executor can reach full efficiency.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8, help="runs per measurement")
    ap.add_argument("--scenario", default="syria-2024")
    args = ap.parse_args()
    entropy = root_entropy(1)
    loop, loop_cpu = timed_loop(args.scenario, args.runs, entropy)
    rows = [("loop", 1, 0.0, loop, loop_cpu)]
    for kind, workers in [("sequential", 1), ("processes", 1), ("processes", 2), ("dask", 1),
                          ("dask", 2)]:
        rows.append((kind, workers, *timed_backend(args.scenario, args.runs, entropy, kind,
                                                   workers)))
        print(f"  {kind} x{workers}: {rows[-1][3]:.1f} s", flush=True)
    single = {kind: wall for kind, workers, _, wall, _ in rows if workers == 1}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{args.scenario}: {args.runs} runs per row, {os.cpu_count()} cores, load average "
          f"{load} at the end (other processes slow the parallel rows)\n")
    print("| path | workers | start-up s | wall s | runs/min | efficiency | overhead vs loop "
          "| CPU s/run | cores had |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, workers, startup, wall, cpu in rows:
        per_min = 60.0 * args.runs / wall
        efficiency = single[kind] / (workers * wall)
        overhead = f"{wall / loop - 1:+.1%}" if workers == 1 and kind != "loop" else ""
        print(f"| {kind} | {workers} | {startup:.1f} | {wall:.1f} | {per_min:.1f} | "
              f"{efficiency:.0%} | {overhead} | {cpu / args.runs:.2f} | {cpu / wall:.2f} |")


if __name__ == "__main__":
    main()
