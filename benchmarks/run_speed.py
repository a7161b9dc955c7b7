"""How fast rout steps an army, and how much memory it needs, from 1e4 to 1e7 soldiers.

    .venv/bin/python benchmarks/run_speed.py [--sizes 1e4,1e5,1e6,1e7] [--steps 300] [--repeats 3]

Each size runs in a fresh subprocess pinned to one core, so its peak resident memory
(ru_maxrss) is its own and the timings are single-threaded. The built-in syria-2024
scenario runs at its own size and scaled to each population with the override
`army.strength`; building the soldiers (Engine(...)) is timed apart from stepping them
(Engine.run()). Step time is the median over repeats; each repeat builds a fresh engine.
"run s" is the median of build + steps: one whole run. "first run s" is the first
repeat alone, which also pays the process's one-time start of the compiled kernels
(numba loading them from its cache; after a fresh install, compiling them once).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
SINGLE_THREAD_ENV = {
    var: "1"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
}


@dataclass
class Result:
    """One size's measurements, as reported by its child process."""

    label: str
    soldiers: int
    steps: int
    repeats: int
    build_s: float
    run_s: float
    first_run_s: float
    step_s: float
    step_s_min: float
    ns_per_soldier_step: float
    peak_rss_mib: float
    baseline_rss_mib: float
    core: int | None


# ------------------------------------------------------------------ child
def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB else


def pin_to_one_core() -> int | None:
    """Pin this process to the first core it may use; None where that is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def measure(scenario: str, soldiers: int | None, steps: int, repeats: int, seed: int) -> Result:
    """Build and step the scenario `repeats` times in this process."""
    core = pin_to_one_core()
    import numpy as np

    import rout
    from rout.model.engine import Engine

    baseline = peak_rss_mib()
    sc0 = rout.load_scenario(scenario)
    overrides: dict[str, Any] = {"days": steps * sc0.step_hours / 24.0}
    if soldiers is not None:
        overrides["army.strength"] = soldiers
    sc = rout.load_scenario(scenario, overrides)
    builds: list[float] = []
    runs: list[float] = []
    for k in range(repeats):
        t0 = time.perf_counter()
        eng = Engine(sc, np.random.default_rng(seed + k))
        t1 = time.perf_counter()
        eng.run()
        t2 = time.perf_counter()
        if eng.steps != steps:
            raise RuntimeError(f"expected {steps} steps, the engine ran {eng.steps}")
        builds.append(t1 - t0)
        runs.append(t2 - t1)
        del eng
        gc.collect()
    n = sc.army.strength
    step_s = statistics.median(runs)
    label = f"{scenario} as is" if soldiers is None else f"scaled to {sci(n)}"
    return Result(
        label=label,
        soldiers=n,
        steps=steps,
        repeats=repeats,
        build_s=statistics.median(builds),
        run_s=statistics.median(b + r for b, r in zip(builds, runs, strict=True)),
        first_run_s=builds[0] + runs[0],
        step_s=step_s,
        step_s_min=min(runs),
        ns_per_soldier_step=step_s / (n * steps) * 1e9,
        peak_rss_mib=peak_rss_mib(),
        baseline_rss_mib=baseline,
        core=core,
    )


# ------------------------------------------------------------------ parent
def run_child(args: argparse.Namespace, soldiers: int | None, repeats: int) -> Result | str:
    """Measure one size in a fresh interpreter; the Result, or the reason it failed."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child",
           "own" if soldiers is None else str(soldiers), "--scenario", args.scenario,
           "--steps", str(args.steps), "--repeats", str(repeats), "--seed", str(args.seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, **SINGLE_THREAD_ENV})
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["killed (out of memory?)"])[-1]
        return f"exit {proc.returncode}: {tail}"
    return Result(**json.loads(proc.stdout.strip().splitlines()[-1]))


def sci(n: int) -> str:
    """1e4 for 10000, 2.5e6 for 2500000."""
    mantissa, exp = f"{n:.6e}".split("e")
    return f"{float(mantissa):g}e{int(exp)}"


def parse_sizes(text: str) -> list[int]:
    sizes = [int(float(s)) for s in text.split(",") if s.strip()]
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def verdict(ok: bool | None) -> str:
    return {True: "[green]met[/green]", False: "[red]NOT met[/red]",
            None: "[yellow]not measured[/yellow]"}[ok]


def report(results: list[tuple[str, Result | str]], args: argparse.Namespace) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console.width = 170
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    console.print(
        f"rout run speed: {args.scenario}, {args.steps} steps, seed {args.seed}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()} {cpu_name()}, {cores} usable cores, one core per run"
    )
    table = Table(show_edge=False)
    cols: tuple[tuple[str, Any], ...] = (
        ("run", "left"), ("soldiers", "right"), ("repeats", "right"), ("build s", "right"),
        ("steps s (median)", "right"), ("steps s (min)", "right"), ("run s", "right"),
        ("first run s", "right"),
        ("ns/soldier-step", "right"), ("peak RSS MiB", "right"), ("imports MiB", "right"),
    )
    for col, just in cols:
        table.add_column(col, justify=just)
    for label, r in results:
        if isinstance(r, str):
            table.add_row(label, "", "", "", f"[red]{r}[/red]", "", "", "", "", "", "")
            continue
        table.add_row(r.label, f"{r.soldiers:,}", str(r.repeats), f"{r.build_s:.2f}",
                      f"{r.step_s:.3f}", f"{r.step_s_min:.3f}", f"{r.run_s:.3f}",
                      f"{r.first_run_s:.3f}",
                      f"{r.ns_per_soldier_step:.1f}", f"{r.peak_rss_mib:,.0f}",
                      f"{r.baseline_rss_mib:,.0f}")
    console.print(table)

    by_size = {r.soldiers: r for lb, r in results if isinstance(r, Result) and lb != "own"}
    own = next((r for lb, r in results if lb == "own" and isinstance(r, Result)), None)
    small, big = by_size.get(100_000), by_size.get(10_000_000)
    targets = Table(title="Targets", show_edge=False)
    targets.add_column("target")
    targets.add_column("measured", justify="right")
    targets.add_column("verdict")
    if args.steps == 300 and small is not None:
        targets.add_row("1e5 soldiers x 300 steps under 1 s", f"{small.step_s:.3f} s",
                        verdict(small.step_s < 1.0))
    else:
        targets.add_row("1e5 soldiers x 300 steps under 1 s", "-", verdict(None))
    if own is not None:
        targets.add_row(f"one run of {args.scenario} (build + steps) under 1 s",
                        f"{own.run_s:.3f} s", verdict(own.run_s < 1.0))
    targets.add_row("1e7 soldiers within 8 GiB peak RSS",
                    f"{big.peak_rss_mib / 1024:.2f} GiB" if big else "-",
                    verdict(big.peak_rss_mib < 8 * 1024 if big else None))
    if small and big:
        ratio = big.ns_per_soldier_step / small.ns_per_soldier_step
        targets.add_row(f"ns/soldier-step, 1e7 over 1e5, at most {args.max_ratio:g} "
                        "(1 = linear scaling)", f"{ratio:.2f}", verdict(ratio <= args.max_ratio))
    else:
        targets.add_row("ns/soldier-step, 1e7 over 1e5", "-", verdict(None))
    console.print(targets)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("1e4,1e5,1e6,1e7"),
                        help="comma-separated populations (default 1e4,1e5,1e6,1e7)")
    parser.add_argument("--steps", type=int, default=300, help="hourly steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per size (median)")
    parser.add_argument("--big", type=float, default=1e7,
                        help="sizes at least this large use --big-repeats")
    parser.add_argument("--big-repeats", type=int, default=1, help="repeats for big sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default="syria-2024")
    parser.add_argument("--no-own", action="store_true",
                        help="skip the run at the scenario's own size")
    parser.add_argument("--max-ratio", type=float, default=1.5,
                        help="largest acceptable ns/soldier-step ratio of 1e7 over 1e5")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        soldiers = None if args.child == "own" else int(args.child)
        result = measure(args.scenario, soldiers, args.steps, args.repeats, args.seed)
        sys.stdout.write(json.dumps(asdict(result)) + "\n")
        return 0

    plan: list[tuple[str, int | None, int]] = [] if args.no_own else [
        ("own", None, args.repeats)]
    plan += [(sci(n), n, args.big_repeats if n >= args.big else args.repeats)
             for n in args.sizes]
    results: list[tuple[str, Result | str]] = []
    for label, soldiers, repeats in plan:
        print(f"measuring {label} ({repeats} repeat{'s' * (repeats != 1)}) ...",
              file=sys.stderr, flush=True)
        results.append((label, run_child(args, soldiers, repeats)))
    report(results, args)
    if args.json:
        args.json.write_text(json.dumps(
            [asdict(r) if isinstance(r, Result) else {"label": lb, "error": r}
             for lb, r in results], indent=2))
    return 0 if all(isinstance(r, Result) for _, r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
