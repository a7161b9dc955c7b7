"""Fit the shared behavioural parameters to every case of the library together.

    .venv/bin/python benchmarks/calibrate.py [--runs 3] [--generations 10] [--workers 2]
                                             [--out out/calibration]

Differential evolution over the bounds below (behavioural parameters only: no
input of any case, no speed, date, distance or strength, is fitted), each point
scored on every built-in case with `observed` data over the same seeds
(`rout.experiments.joint`). The cases run with super-individuals to make the
search affordable (the scales below; `tests/test_scale.py` checks that fall days
at these scales agree with one agent per soldier within their seed spread).
Every point is appended to OUT/points.jsonl as it is scored, and the best is
printed as the `Field` defaults to write into the mechanisms' `Params`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rout.experiments.joint import BOUNDS, CASES, SCALES, fit
from rout.scenario.loader import load_scenario


def default(name: str) -> float:
    """A calibrated parameter's value in the built-in syria-2024 (its default: no case sets
    one)."""
    node: object = load_scenario("syria-2024")
    for part in name.split(".") if "." in name else ("parameters", name):
        node = getattr(node, part)
    return float(node)  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="seeds per case and point")
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--popsize", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--out", type=Path, default=Path("out/calibration"))
    ap.add_argument("--start", type=Path, help="a JSON point (e.g. an earlier fit) to start "
                    "from; the bounds' parameters it lacks take their defaults")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    first = None
    if args.start:
        given = json.loads(args.start.read_text())
        first = {n: float(given[n]) if n in given else default(n) for n in BOUNDS}
    log = (args.out / "points.jsonl").open("a")
    start = time.perf_counter()
    best = [float("inf")]

    def heard(row: dict) -> None:
        log.write(json.dumps(row, default=float) + "\n")
        log.flush()
        if row["loss"] < best[0]:
            best[0] = row["loss"]
            print(f"{time.perf_counter() - start:7.0f} s  loss {row['loss']:.3f}  "
                  + "  ".join(f"{k}={row[k]:.3g}" for k in BOUNDS), flush=True)

    result = fit(args.cases, BOUNDS, runs=args.runs, seed=1,
                 scale={c: SCALES[c] for c in args.cases}, popsize=args.popsize,
                 generations=args.generations, overrides={"days": 60},
                 backend="processes" if args.workers > 1 else "sequential",
                 workers=args.workers, progress=heard, start=first)
    result.samples.to_csv(args.out / "samples.csv", index=False)
    print(f"best loss {result.loss:.3f} after {len(result.samples)} points, "
          f"{time.perf_counter() - start:.0f} s")
    for name, value in result.best.items():
        print(f"  {name}: {value:.4g}")


if __name__ == "__main__":
    main()
