"""Leave-one-case-out validation of the behavioural model, written to docs/validation.md.

    .venv/bin/python benchmarks/validate.py [--popsize 2] [--generations 5] [--runs 1]
                                            [--final-runs 20] [--workers 2]
                                            [--out out/validation] [--doc docs/validation.md]

For each case of the library, the joint fit of `rout.experiments.joint.fit`
runs on the other cases only (`leave_one_out`: a calibration that never saw
the case), and the case is scored at that fit. A fit on every case with the
same budget gives the like-for-like in-sample figure; the shipped defaults
(the longer joint fit of benchmarks/calibrate.py) are scored too. Every fit
is scored on every case over FINAL_RUNS seeds at the calibration's scales
(tests/test_scale.py checks they agree with one agent per soldier), and the
table of docs/validation.md is written from those scores. Each fit's points
are kept in OUT, so a run that was stopped goes on where it was.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rout.experiments.joint import BOUNDS, CASES, SCALES, fit
from rout.experiments.score import loss, score, table

COLUMNS = {
    "mean_abs_error_days": "mean error, days",
    "error_share_of_span": "error / span",
    "rank_correlation": "order (Spearman)",
    "falls": "falls right",
    "holds": "holds right",
    "gone_at_record_end": "army gone at record's end",
    "loss": "loss",
}


def fitted(label: str, cases: list[str], args: argparse.Namespace) -> dict[str, float]:
    """The best point of a joint fit on `cases` (read back from OUT if already run)."""
    path = args.out / f"fit-{label}.json"
    if path.exists():
        return json.loads(path.read_text())["best"]
    start = time.perf_counter()
    result = fit(cases, BOUNDS, runs=args.runs, seed=args.seed,
                 scale={c: SCALES[c] for c in cases}, popsize=args.popsize,
                 generations=args.generations, overrides={"days": 60},
                 backend="processes" if args.workers > 1 else "sequential",
                 workers=args.workers)
    best = {k: float(v) for k, v in result.best.items()}
    path.write_text(json.dumps({"cases": cases, "best": best, "loss": result.loss,
                                "points": len(result.samples),
                                "seconds": time.perf_counter() - start}, indent=1))
    print(f"  fit {label}: loss {result.loss:.3f} over {len(result.samples)} points "
          f"({time.perf_counter() - start:.0f} s)", flush=True)
    return best


def final(point: dict[str, float], runs: int, workers: int, seed: int) -> pd.DataFrame:
    """Every case's score row at a point, over `runs` seeds at the calibration's scales."""
    rows = []
    for case in CASES:
        sc = score(case, runs, seed=seed,
                   overrides={**point, "days": 60, "scale": SCALES[case]},
                   backend="processes" if workers > 1 else "sequential", workers=workers)
        rows.append({**table([sc]).iloc[0].to_dict(), "loss": loss(sc)})
    return pd.DataFrame(rows)


def cell(row: pd.Series, key: str) -> str:
    if key == "falls":
        return f"{int(row['falls_right'])}/{int(row['falls'])}"
    if key == "holds":
        return f"{int(row['holds_right'])}/{int(row['holds'])}" if row["holds"] else "-"
    value = float(row[key])
    if not np.isfinite(value):
        return "-"
    shares = ("error_share_of_span", "gone_at_record_end")
    return f"{value:.0%}" if key in shares else f"{value:.2f}"


def markdown(rows: pd.DataFrame, points: dict[str, dict[str, float]], args: argparse.Namespace,
             seconds: float) -> str:
    head = "| case | fit | " + " | ".join(COLUMNS.values()) + " |"
    lines = [
        "# Validation",
        "",
        "How well one set of behavioural parameters explains every case of the library, in",
        "sample and out of sample (leave one case out). Regenerate with",
        "`.venv/bin/python benchmarks/validate.py` (it writes this page; "
        f"{seconds / 60:.0f} minutes on the 2-core reference machine).",
        "",
        f"Fits: differential evolution over the bounds of `benchmarks/calibrate.py` "
        f"(population {args.popsize} per parameter, {args.generations} generations, "
        f"{args.runs} seed(s) per case and point, at the calibration's scales); every fit "
        f"scored over {args.final_runs} seeds at those scales.",
        "",
        "- **defaults**: the shipped parameters (the longer joint fit of "
        "`benchmarks/calibrate.py`, which saw every case).",
        "- **in-sample**: a joint fit on every case with the same budget as the fits below.",
        "- **left out**: the joint fit on the other cases only, which never saw this case.",
        "",
        "A fall is right within a day, or a tenth of the record's span if longer (the "
        "tolerance of `rout score`); a hold is right when the place held in most runs. The",
        "loss is the calibration loss (squared errors in units of the tolerance, plus 4 for "
        "each hold or fall the wrong way).",
        "",
        head,
        "|" + "---|" * (len(COLUMNS) + 2),
    ]
    for case in CASES:
        for kind in ("defaults", "in-sample", "left out"):
            row = rows[(rows["case"] == case) & (rows["fit"] == kind)].iloc[0]
            lines.append(f"| {case} | {kind} | "
                         + " | ".join(cell(row, k) for k in COLUMNS) + " |")
    gap = {}
    for kind in ("defaults", "in-sample", "left out"):
        sub = rows[rows["fit"] == kind]
        gap[kind] = (float(sub["error_share_of_span"].mean()), float(sub["loss"].mean()))
    lines += [
        "",
        "Mean over cases of the error as a share of the span, and of the loss: "
        + "; ".join(f"{k} {e:.0%}, loss {v:.2f}" for k, (e, v) in gap.items()) + ".",
        "",
        "## The chosen points",
        "",
        "| parameter | " + " | ".join(points) + " |",
        "|---|" + "---|" * len(points),
    ]
    for name in BOUNDS:
        lines.append(f"| `{name}` | " + " | ".join(
            f"{points[p][name]:.3g}" if name in points[p] else "default" for p in points) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--popsize", type=int, default=2, help="population per parameter")
    ap.add_argument("--generations", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1, help="seeds per case and point of a fit")
    ap.add_argument("--final-runs", type=int, default=20, help="seeds of the final scores")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("out/validation"))
    ap.add_argument("--doc", type=Path, default=Path("docs/validation.md"))
    args = ap.parse_args()
    if min(args.popsize, args.runs, args.final_runs) < 1 or args.generations < 0:
        ap.error("--popsize, --runs and --final-runs must be at least 1, --generations at "
                 "least 0")
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    points = {"defaults": {}, "in-sample": fitted("all", list(CASES), args)}
    for case in CASES:
        points[f"without {case}"] = fitted(f"without-{case}",
                                           [c for c in CASES if c != case], args)
    scored: dict[str, pd.DataFrame] = {}
    for label, point in points.items():
        print(f"scoring {label}", flush=True)
        scored[label] = final(point, args.final_runs, args.workers, args.seed)
    rows = []
    for case_i, case in enumerate(CASES):
        for kind, label in (("defaults", "defaults"), ("in-sample", "in-sample"),
                            ("left out", f"without {case}")):
            rows.append({"case": case, "fit": kind, **scored[label].iloc[case_i].to_dict()})
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out / "validation.csv", index=False)
    (args.out / "points.json").write_text(json.dumps(points, indent=1))
    args.doc.write_text(markdown(frame, points, args, time.perf_counter() - start))
    print(frame[["case", "fit", *[k for k in COLUMNS if k in frame]]].to_string(index=False))
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
