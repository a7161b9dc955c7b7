"""Wall time of one evaluation of the joint calibration loss: every built-in case with a
record, over SEEDS seeds, at the shipped defaults, on both cores.

    .venv/bin/python benchmarks/joint_loss_speed.py [--seeds 10] [--workers 2] [--rounds 1]

Once at full scale (one agent per soldier) and once with every case at scale 10 (one agent
for ten soldiers, ODD 7.16), each with a warm process pool (the workers have imported
rout and loaded the compiled kernels before the clock starts). The target is 30 s at
full scale.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

from rout.experiments.joint import CASES, evaluate, joint_loss
from rout.experiments.plan import root_entropy, using


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1, help="timed evaluations per scale")
    args = ap.parse_args()
    if min(args.seeds, args.workers, args.rounds) < 1:
        ap.error("--seeds, --workers and --rounds must be at least 1")
    table = Table(title=f"One joint loss: {len(CASES)} cases x {args.seeds} seeds, "
                        f"{args.workers} workers")
    for column in ("scale", "wall s (median)", "runs", "s per run", "loss", "target"):
        table.add_column(column, justify="right")
    entropy = root_entropy(1)
    with using("processes" if args.workers > 1 else "sequential", args.workers) as pool:
        evaluate([{}], CASES, args.workers, entropy, 100, {"days": 2}, pool)  # warm up
        for scale in (1, 10):
            walls, loss = [], float("nan")
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                scores = evaluate([{}], CASES, args.seeds, entropy, scale, {"days": 60}, pool)
                walls.append(time.perf_counter() - t0)
                loss = joint_loss(scores[0])
            wall = statistics.median(walls)
            runs = len(CASES) * args.seeds
            table.add_row(str(scale), f"{wall:.1f}", str(runs), f"{wall / runs:.2f}",
                          f"{loss:.2f}", ("met" if wall <= 30 else "not met") if scale == 1
                          else "-")
    Console().print(table)


if __name__ == "__main__":
    main()
