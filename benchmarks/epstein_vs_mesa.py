"""rout's Epstein civil violence model against Mesa's own example: speed and outcomes.

Mesa's example (`mesa.examples.advanced.epstein_civil_violence`) runs in a
separate environment of the newest Mesa, which needs Python 3.12 or later: the
benchmark makes `benchmarks/.mesa-venv` on first use with a Python 3.12+ it
finds (`--python` to choose one), installs Mesa from PyPI there, and drives a
worker process of this same script in it. rout runs here, in the project's
environment.

At each measured point (grid size and parameters) and for each seed, Mesa and
then rout run `--steps` ticks from the same seed (Mesa through its scenario's
`rng=`, rout through `init_world(seed)`): the first tick is a warm-up (Mesa
builds its neighbourhood caches then), the others are timed, wall clock, with
the active and jailed counts of every tick recorded (Mesa's own step also runs
its DataCollector, as the example ships). rout's timed loop is one call of
`epstein.advance`; the column `step()` times the same ticks one call of
`epstein.step` each, plus `epstein.counts`. rout's few milliseconds are easily
cut into by other work on the machine, so it runs them `--repeats` times from
copies of the same state and keeps the median; Mesa's seconds are one run.
Speed is the median over seeds of the same-seed ratio of wall-clock times
(and, as a check against other load, of CPU times). Outcomes are the per-seed time averages of
active and jailed citizens after `--burn-in` ticks, compared with Mann-Whitney U
and Kolmogorov-Smirnov tests.

    .venv/bin/python benchmarks/epstein_vs_mesa.py               # both points, 30 seeds
    .venv/bin/python benchmarks/epstein_vs_mesa.py --seeds 5 --point 40
    .venv/bin/python benchmarks/epstein_vs_mesa.py --point 40:legitimacy=0.6 \
        --point 80:cop_density=0.04,vision=4

A point is SIZE[:name=value,...] with Mesa's parameter names; `vision` sets both
visions (Mesa 3.5's citizens look as far as its cops do, so the two must agree).
`--mesa 'mesa==3.5.1'` pins a version; `--upgrade` reinstalls the newest. A
project environment on Python 3.12+ with the bench extra (Mesa >= 3.5) runs
Mesa itself, with no separate environment.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

VENV = Path(__file__).resolve().parent / ".mesa-venv"
POINTS = ("60:legitimacy=0.7,cop_density=0.04,vision=4", "40")
TARGETS = {POINTS[0]: 500.0, POINTS[1]: 1000.0}
INTS = {"citizen_vision", "cop_vision", "max_jail_term"}


# --- the Mesa side: runs in the Mesa environment, needs neither rout nor scipy ---------------


def _mesa_worker() -> None:
    """Answer one JSON job per line of stdin: run Mesa's example, time its step loop."""
    from mesa.examples.advanced.epstein_civil_violence.model import (
        EpsteinCivilViolence,
        EpsteinScenario,
    )

    print(json.dumps({"mesa": version("mesa"), "python": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        scenario = EpsteinScenario(rng=job["seed"], **job["params"])
        model = EpsteinCivilViolence(width=job["size"], height=job["size"], scenario=scenario)
        model.step()  # warm-up
        series = [(model.ACTIVE, model.ARRESTED)]
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(job["steps"] - 1):
            model.step()
            series.append((model.ACTIVE, model.ARRESTED))
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(json.dumps({"seconds": seconds, "cpu": cpu, "agents": len(model.agents),
                          "series": series}), flush=True)


def _find_python(choice: str | None) -> str:
    """A Python 3.12 or later for Mesa's environment, the oldest found."""
    candidates = [choice] if choice else [
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python"))),
        *filter(None, (shutil.which(f"python3.{m}") for m in range(12, 20))),
    ]
    for exe in candidates:
        try:
            out = subprocess.run([exe, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                                 capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        if out.strip() == "True":
            return exe
    sys.exit("no Python 3.12+ found for Mesa's environment; give one with --python")


def mesa_python(a: argparse.Namespace) -> str:
    """The interpreter of Mesa's environment, made (or upgraded) if need be: this
    one, if it is 3.12+ and has Mesa 3.5 or later (the bench extra there)."""
    if a.python is None and not a.upgrade and sys.version_info >= (3, 12):
        try:
            have = tuple(int(x) for x in version("mesa").split(".")[:2])
        except PackageNotFoundError:
            have = ()
        if have >= (3, 5):
            return sys.executable
    exe = VENV / "bin" / "python"
    if not exe.exists():
        base = _find_python(a.python)
        print(f"making {VENV} with {base}", flush=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    elif not a.upgrade:
        return str(exe)
    subprocess.run([str(exe), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(exe), "-m", "pip", "install", "--quiet", "--upgrade", a.mesa, "networkx"],
                   check=True)
    return str(exe)


class Mesa:
    """A worker process of this script in Mesa's environment."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen([python, __file__, "--mesa-worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.versions = json.loads(self._line())

    def _line(self) -> str:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            sys.exit("Mesa's worker stopped (see its error above)")
        return line

    def run(self, size: int, seed: int, steps: int, params: dict) -> dict:
        """Run one seed; returns seconds (wall and CPU) of the timed ticks, the
        agents and the series (active, jailed per tick)."""
        job = {"size": size, "seed": seed, "steps": steps, "params": params}
        self.proc.stdin.write(json.dumps(job) + "\n")  # type: ignore[union-attr]
        return json.loads(self._line())

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait()


# --- the rout side and the comparison: runs in the project's environment ---------------------


def parse_point(text: str) -> tuple[int, dict]:
    """SIZE[:name=value,...] -> (size, Mesa's parameters)."""
    size, _, rest = text.partition(":")
    params: dict = {}
    for item in filter(None, rest.split(",")):
        name, _, value = item.partition("=")
        names = ("citizen_vision", "cop_vision") if name == "vision" else (name,)
        for n in names:
            params[n] = int(value) if n in INTS else float(value)
    if params.get("citizen_vision", 7) != params.get("cop_vision", 7):
        sys.exit("Mesa 3.5's citizens see as far as its cops: give one vision for both")
    return int(size), params


def _rout_run(ep, size: int, seed: int, steps: int, params: dict, repeats: int):  # noqa: ANN001, ANN202
    """rout's counterpart of one Mesa job: the medians over `repeats` runs of the
    same ticks from the same state of wall and CPU seconds of one `advance`,
    and of wall seconds of `step` calls; the agents; the series."""
    import copy

    import numpy as np

    w = ep.init_world(seed, width=size, height=size, **params)
    first = ep.advance(w, 1)
    wall, cpu, calls, runs = [], [], [], []
    for _ in range(repeats):
        v = copy.deepcopy(w)
        t, c = time.perf_counter(), time.process_time()
        runs.append(ep.advance(v, steps - 1))
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert np.array_equal(runs[0], runs[-1])  # the same ticks each time
        v = copy.deepcopy(w)
        t = time.perf_counter()
        for _ in range(steps - 1):
            ep.step(v)
            ep.counts(v)
        calls.append(time.perf_counter() - t)
    return (float(np.median(wall)), float(np.median(cpu)), float(np.median(calls)), w.pos.size,
            np.concatenate([first, runs[0]])[:, 1:3])


def measure(mesa: Mesa, point: str, seeds: range, steps: int, burn_in: int,
            repeats: int) -> dict:
    """Run every seed of a point on both sides; print and return the speed and outcomes."""
    import numpy as np
    from scipy import stats

    from rout.classic import epstein as ep

    size, params = parse_point(point)
    ep.run(2, rng=0, width=size, height=size, **params)  # compile (or load) rout's loop
    rows = []
    for seed in seeds:
        m = mesa.run(size, seed, steps, params)
        r_wall, r_cpu, r_calls, r_agents, r_series = _rout_run(ep, size, seed, steps, params,
                                                               repeats)
        rows.append((m["seconds"], m["cpu"], r_wall, r_cpu, r_calls, m["agents"], r_agents,
                     np.asarray(m["series"], dtype=float), r_series.astype(float)))
    mesa_s, mesa_cpu = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    rout_s, rout_cpu = np.array([r[2] for r in rows]), np.array([r[3] for r in rows])
    call_s = np.array([r[4] for r in rows])
    ratio, cpu_ratio, call_ratio = mesa_s / rout_s, mesa_cpu / rout_cpu, mesa_s / call_s
    timed = steps - 1
    target = TARGETS.get(point)
    label = f"{size}x{size} {params or 'Mesa defaults'}"
    print(f"\n== {label}: {len(seeds)} seeds ({seeds.start}..{seeds.stop - 1}), "
          f"{timed} timed ticks after a warm-up one")
    print(f"agents: Mesa {np.median([r[5] for r in rows]):.0f}, "
          f"rout {np.median([r[6] for r in rows]):.0f} (medians over seeds)")
    print(f"{'':>18} | {'median':>9} {'min':>9} {'max':>9}")
    for name, v, unit in (("Mesa ms/tick", mesa_s / timed * 1e3, ""),
                          ("rout us/tick", rout_s / timed * 1e6, ""),
                          ("step() us/tick", call_s / timed * 1e6, ""),
                          ("Mesa / rout", ratio, "x"),
                          ("same, CPU time", cpu_ratio, "x"),
                          ("Mesa / step()", call_ratio, "x")):
        print(f"{name:>18} | {np.median(v):>8.1f}{unit or ' '} {v.min():>8.1f}{unit or ' '} "
              f"{v.max():>8.1f}{unit or ' '}")
    if target:
        print(f"target {target:,.0f}x: {'met' if np.median(ratio) >= target else 'NOT MET'}")
    mesa_ts = np.stack([r[7] for r in rows])
    rout_ts = np.stack([r[8] for r in rows])
    print(f"outcomes, per-seed averages over ticks {burn_in + 1}..{steps}:")
    print(f"{'measure':>8} | {'Mesa mean':>9} {'sd':>7} | {'rout mean':>9} {'sd':>7} | "
          f"{'Mann-Whitney p':>14} {'KS p':>6}")
    same = True
    pvals = {}
    for k, name in enumerate(("active", "jailed")):
        a, b = mesa_ts[:, burn_in:, k].mean(axis=1), rout_ts[:, burn_in:, k].mean(axis=1)
        p_mw, p_ks = stats.mannwhitneyu(a, b).pvalue, stats.ks_2samp(a, b).pvalue
        pvals[name] = (float(p_mw), float(p_ks))
        same &= min(p_mw, p_ks) >= 0.05
        print(f"{name:>8} | {a.mean():>9.3f} {a.std(ddof=1):>7.3f} | {b.mean():>9.3f} "
              f"{b.std(ddof=1):>7.3f} | {p_mw:>14.3f} {p_ks:>6.3f}")
    print("no significant difference at 0.05" if same else "SIGNIFICANT DIFFERENCE at 0.05",
          flush=True)
    return {"point": point, "ratio": float(np.median(ratio)),
            "cpu_ratio": float(np.median(cpu_ratio)), "step_ratio": float(np.median(call_ratio)),
            "mesa_ms": float(np.median(mesa_s / timed * 1e3)),
            "rout_us": float(np.median(rout_s / timed * 1e6)), "p": pvals, "same": bool(same)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--point", action="append", help=f"SIZE[:name=value,...] (default {POINTS})")
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=80, help="ticks per run, the first a warm-up")
    ap.add_argument("--burn-in", type=int, default=20, help="ticks left out of the averages")
    ap.add_argument("--repeats", type=int, default=5,
                    help="rout runs each seed's timed ticks this many times (median)")
    ap.add_argument("--python", help="a Python 3.12+ for Mesa's environment")
    ap.add_argument("--mesa", default="mesa", help="what to pip install there (default newest)")
    ap.add_argument("--upgrade", action="store_true", help="reinstall --mesa in that environment")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--mesa-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.mesa_worker:
        _mesa_worker()
        return
    if a.seeds < 2 or a.steps < 2 or a.repeats < 1 or not 0 <= a.burn_in < a.steps:
        ap.error("need --seeds >= 2, --steps >= 2, --repeats >= 1, 0 <= --burn-in < --steps")
    mesa = Mesa(mesa_python(a))
    print(f"Mesa {mesa.versions['mesa']} on Python {mesa.versions['python']} against rout on "
          f"Python {sys.version.split()[0]}")
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    try:
        results = [measure(mesa, p, seeds, a.steps, a.burn_in, a.repeats)
                   for p in a.point or POINTS]
    finally:
        mesa.close()
    if a.json:
        a.json.write_text(json.dumps({"mesa": mesa.versions, "results": results}, indent=1))


if __name__ == "__main__":
    main()
