"""rout's Epstein civil violence model against Mesa 3.3.1's example: speed and outcomes.

Part 1 times both on square grids of growing size, same densities and parameters,
after one warm-up step each, and reports agent-steps per CPU second (the median of
`--repeats` timed chunks; both are single-threaded). Mesa runs at most
`--mesa-budget` agent-steps per chunk, so on big grids it takes fewer steps than
rout; per-agent-step rates keep the comparison fair. Mesa's step includes its
DataCollector, as the example ships.

Part 2 runs both at the default parameters (40 x 40) for `--seeds` seeds and
compares the time-averaged active and jailed counts (after `--burn-in` steps) per
seed with Mann-Whitney U and Kolmogorov-Smirnov tests.

    .venv/bin/python benchmarks/epstein_vs_mesa.py                  # a few minutes
    .venv/bin/python benchmarks/epstein_vs_mesa.py --sizes 40 80 --seeds 30 --stat-steps 100
    .venv/bin/python benchmarks/epstein_vs_mesa.py --sizes 40 --legitimacy 0.82 \
        --cop-density 0.04 --max-jail-term 30 --burn-in 10     # Epstein's run 2

Needs the bench extra: pip install -e '.[bench]' (mesa==3.3.1, networkx).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from rout.classic import epstein as ep


def _mesa_model(size: int, seed: int, **params: float):  # noqa: ANN202 (optional dependency)
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    return EpsteinCivilViolence(width=size, height=size, seed=seed, **params)


def _median_rate(step, n_agents: int, steps: int, repeats: int) -> float:
    """Median agent-steps per CPU second over `repeats` chunks of `steps` calls.

    CPU time of this process, so that other load on the machine skews neither side.
    """
    rates = []
    for _ in range(repeats):
        t = time.process_time()
        for _ in range(steps):
            step()
        rates.append(n_agents * steps / (time.process_time() - t))
    return float(np.median(rates))


def speed(sizes: list[int], steps: int, repeats: int, mesa_budget: int) -> None:
    """Print agent-steps per second of Mesa and rout, side by side."""
    header = (f"{'grid':>9} {'agents':>7} | {'mesa steps':>10} {'mesa agent-steps/s':>18} | "
              f"{'rout steps':>10} {'rout agent-steps/s':>18} | {'rout / mesa':>11}")
    print(header)
    print("-" * len(header))
    for size in sizes:
        model = _mesa_model(size, seed=1)
        n = len(model.agents)
        model.step()  # warm-up: Mesa builds its neighbourhood caches on first use
        mesa_steps = max(1, min(steps, mesa_budget // n))
        mesa = _median_rate(model.step, n, mesa_steps, repeats)
        world = ep.init_world(1, width=size, height=size)
        ep.step(world)
        rout = _median_rate(lambda w=world: ep.step(w), world.pos.size, steps, repeats)
        print(f"{size:>4}x{size:<4} {n:>7} | {mesa_steps:>10} {mesa:>18,.0f} | "
              f"{steps:>10} {rout:>18,.0f} | {rout / mesa:>10,.0f}x", flush=True)


def _mesa_series(args: tuple[int, int, dict]) -> np.ndarray:
    seed, steps, params = args
    model = _mesa_model(40, seed, **params)
    out = np.empty((steps, 2))
    for t in range(steps):
        model.step()
        out[t] = model.ACTIVE, model.ARRESTED
    return out


def outcomes(seeds: range, steps: int, burn_in: int, workers: int, params: dict) -> bool:
    """Compare per-seed time averages; True when no test finds a difference at 0.05."""
    with ProcessPoolExecutor(workers) as pool:
        mesa = np.stack(list(pool.map(_mesa_series, [(s, steps, params) for s in seeds])))
    rout = np.stack([ep.run(steps, rng=s, **params)[["active", "jailed"]].to_numpy()[1:]
                     for s in seeds])
    print(f"\n{len(seeds)} seeds ({seeds.start}..{seeds.stop - 1}), 40x40, "
          f"{params or 'default parameters'}, {steps} steps, "
          f"averages over steps {burn_in + 1}..{steps}")
    print(f"{'measure':>8} | {'Mesa mean':>9} {'sd':>7} | {'rout mean':>9} {'sd':>7} | "
          f"{'Mann-Whitney p':>14} {'KS p':>6}")
    same = True
    for k, name in enumerate(("active", "jailed")):
        m, r = mesa[:, burn_in:, k].mean(axis=1), rout[:, burn_in:, k].mean(axis=1)
        p_mw = stats.mannwhitneyu(m, r).pvalue
        p_ks = stats.ks_2samp(m, r).pvalue
        same &= min(p_mw, p_ks) >= 0.05
        print(f"{name:>8} | {m.mean():>9.3f} {m.std(ddof=1):>7.3f} | {r.mean():>9.3f} "
              f"{r.std(ddof=1):>7.3f} | {p_mw:>14.3f} {p_ks:>6.3f}")
    print("no significant difference at 0.05" if same else "SIGNIFICANT DIFFERENCE at 0.05")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 80, 160, 320])
    ap.add_argument("--steps", type=int, default=30, help="timed steps per chunk")
    ap.add_argument("--repeats", type=int, default=3, help="timed chunks (median)")
    ap.add_argument("--mesa-budget", type=int, default=50_000,
                    help="most agent-steps per Mesa chunk (fewer steps on big grids)")
    ap.add_argument("--seeds", type=int, default=30, help="seeds for the outcome comparison")
    ap.add_argument("--first-seed", type=int, default=0,
                    help="seeds first-seed .. first-seed + seeds - 1, for Mesa and rout alike")
    ap.add_argument("--stat-steps", type=int, default=80)
    ap.add_argument("--burn-in", type=int, default=20)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes for the Mesa runs of part 2")
    ap.add_argument("--legitimacy", type=float, help="part 2 only (default Mesa's 0.8)")
    ap.add_argument("--cop-density", type=float, help="part 2 only (default 0.074)")
    ap.add_argument("--max-jail-term", type=int, help="part 2 only (default 1000)")
    a = ap.parse_args()
    if a.steps < 1 or a.repeats < 1 or not 0 <= a.burn_in < a.stat_steps:
        ap.error("need --steps >= 1, --repeats >= 1 and 0 <= --burn-in < --stat-steps")
    speed(a.sizes, a.steps, a.repeats, a.mesa_budget)
    params = {k: v for k, v in (("legitimacy", a.legitimacy), ("cop_density", a.cop_density),
                                ("max_jail_term", a.max_jail_term)) if v is not None}
    if a.seeds > 1:
        outcomes(range(a.first_seed, a.first_seed + a.seeds), a.stat_steps, a.burn_in,
                 a.workers, params)


if __name__ == "__main__":
    main()
