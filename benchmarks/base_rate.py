"""The base rate of mass desertion over random plausible armies, written to docs/base-rate.md.

    .venv/bin/python benchmarks/base_rate.py [--armies 200] [--workers 2] [--seed 1]

Draws armies and offensives from the ranges of `rout.experiments.base_rate.RANGES`,
runs each once with the shared defaults, and writes the share with mass desertion
(at least 10% of the force gone home; about half of all belligerents since 1800 in
Lyall 2020) with its 95% Wilson interval, and the same share by thirds of the inputs
that should matter.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from rout.experiments.base_rate import DAYS, MASS, RANGES, rate, sweep

BY = {
    "attacker_ratio": "attacker's strength / army's",
    "pay_over_need": "private's pay / a family's need",
    "legitimacy": "regime legitimacy",
    "inequality": "core group's affinity minus the others' (0: one group)",
}


def thirds(frame: pd.DataFrame, column: str) -> list[str]:
    """The share with mass desertion in the low, middle and high third of an input."""
    cut = pd.qcut(frame[column].rank(method="first"), 3, labels=["low", "middle", "high"])
    cells = []
    for label in ("low", "middle", "high"):
        part = frame[cut == label]
        share, low, high = rate(part)
        cells.append(f"{share:.0%} ({low:.0%}-{high:.0%})")
    return cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--armies", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--doc", type=Path, default=Path("docs/base-rate.md"))
    args = ap.parse_args()
    if args.armies < 3:
        ap.error("--armies must be at least 3")
    start = time.perf_counter()
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if done[0] % 20 == 0 or done[0] == args.armies:
            print(f"  {done[0]}/{args.armies} armies", flush=True)

    frame = sweep(args.armies, args.seed, backend="processes" if args.workers > 1
                  else "sequential", workers=args.workers, progress=tick)
    seconds = time.perf_counter() - start
    share, low, high = rate(frame)
    fell, _, _ = rate(frame, "capital_fell")
    lines = [
        "# The base rate of mass desertion",
        "",
        "A model of collapse must not collapse every army. Lyall (2020, *Divided Armies*; "
        "Project Mars,",
        "250 conventional wars, 1800-2011) reports mass desertion, at least a tenth of",
        "the fielded force abandoning the fight and going home, for about half of the "
        "belligerents, more",
        "often the more unequally an army treats its ethnic groups.",
        "",
        f"Regenerate with `.venv/bin/python benchmarks/base_rate.py` ({args.armies} armies, "
        f"seed {args.seed}; {seconds / 60:.0f} minutes on the 2-core reference machine).",
        "Each army and its offensive are drawn from the ranges below "
        "(`rout.experiments.base_rate.RANGES`:",
        "a front, two towns and a capital on one road; a core group and, unless it is the "
        "whole army,",
        f"the others) and run once for {DAYS:g} days with the shared defaults. Gone home: "
        "absent, deserting,",
        "deserted or fled at the end (not the captured, killed, surrendered or defected).",
        "",
        f"**Mass desertion (gone home at least {MASS:.0%}): {share:.0%} of the armies "
        f"(95% interval {low:.0%}-{high:.0%}).** The capital fell in {fell:.0%}.",
        "",
        "| share with mass desertion by third of | low | middle | high |",
        "|---|---|---|---|",
    ]
    for column, label in BY.items():
        lines.append(f"| {label} | " + " | ".join(thirds(frame, column)) + " |")
    lines += ["", "## The ranges", "", "| input | low | high | drawn |", "|---|---|---|---|"]
    for name, (lo, hi, how) in RANGES.items():
        lines.append(f"| `{name}` | {lo:g} | {hi:g} | {how} |")
    lines += ["", "Arrears are drawn for a third of the armies (else none), a backer's air "
              "support for half", "(else none); families live at the garrison for half.", ""]
    args.doc.write_text("\n".join(lines))
    print(f"mass desertion in {share:.0%} ({low:.0%}-{high:.0%}) of {args.armies} armies; "
          f"wrote {args.doc}")


if __name__ == "__main__":
    main()
