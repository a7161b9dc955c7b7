"""Leave-one-case-out validation of the behavioural model, written to docs/validation.md.

    .venv/bin/python benchmarks/validate.py [--points 64] [--runs 1] [--final-runs 10]
                                            [--final-scale 1] [--workers 2]
                                            [--out out/validation] [--doc docs/validation.md]

One Latin-hypercube design over the bounds of the calibrated parameters
(`rout.experiments.joint.BOUNDS`) runs on every case with the same seeds (common random
numbers), at the calibration's super-individual scales. In-sample, the point with
the least mean loss over all cases is chosen; out-of-sample, for each case, the
point with the least mean loss over the other cases
(`rout.experiments.joint.leave_one_out`), which never saw the case. The shipped
defaults (the joint fit of benchmarks/calibrate.py) and every chosen point are
then scored on every case over FINAL_RUNS seeds at FINAL_SCALE, and the table of
docs/validation.md is written from those scores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rout.experiments.joint import (
    BOUNDS,
    CASES,
    SCALES,
    evaluate,
    in_sample,
    joint_loss,
    leave_one_out,
)
from rout.experiments.plan import design_rng, root_entropy
from rout.experiments.score import loss, score, table
from rout.experiments.sweep import lhs

COLUMNS = {
    "mean_abs_error_days": "mean error, days",
    "error_share_of_span": "error / span",
    "rank_correlation": "order (Spearman)",
    "falls": "falls right",
    "holds": "holds right",
    "gone_at_record_end": "army gone at record's end",
    "loss": "loss",
}


def design(points: int, runs: int, workers: int, seed: int, out: Path) -> pd.DataFrame:
    """The design's points with each case's loss (read back from OUT if already run)."""
    path = out / "design.csv"
    if path.exists():
        return pd.read_csv(path)
    pts = lhs(BOUNDS, points, design_rng(root_entropy(seed)))
    done = [0]
    total = points * len(CASES) * runs

    def tick(n: int) -> None:
        done[0] += n
        if done[0] % 20 == 0 or done[0] == total:
            print(f"  design: {done[0]}/{total} runs", flush=True)

    scores = evaluate(pts, CASES, runs, root_entropy(seed), SCALES, {"days": 60},
                      "processes" if workers > 1 else "sequential", workers, tick)
    rows = [{**pt, "loss": joint_loss(sc), **{f"loss:{c}": loss(s) for c, s in sc.items()}}
            for pt, sc in zip(pts, scores, strict=True)]
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False)
    return frame


def final(point: dict[str, float], runs: int, scale: int, workers: int, seed: int
          ) -> pd.DataFrame:
    """Every case's score row at a point, over `runs` seeds."""
    rows = []
    for case in CASES:
        sc = score(case, runs, seed=seed, overrides={**point, "days": 60, "scale": scale},
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
        f"Design: {args.points} Latin-hypercube points over the bounds of "
        "`benchmarks/calibrate.py`, "
        f"{args.runs} seed(s) per case, at the calibration's scales; chosen points scored over "
        f"{args.final_runs} seeds at scale {args.final_scale}.",
        "",
        "- **defaults**: the shipped parameters (the joint fit of `benchmarks/calibrate.py`).",
        "- **in-sample**: the design point best for every case together.",
        "- **left out**: the design point best for the other cases, a fit that never saw "
        "this case.",
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
        for fit in ("defaults", "in-sample", "left out"):
            row = rows[(rows["case"] == case) & (rows["fit"] == fit)].iloc[0]
            lines.append(f"| {case} | {fit} | "
                         + " | ".join(cell(row, k) for k in COLUMNS) + " |")
    gap = {}
    for fit in ("defaults", "in-sample", "left out"):
        sub = rows[rows["fit"] == fit]
        gap[fit] = (float(sub["error_share_of_span"].mean()), float(sub["loss"].mean()))
    lines += [
        "",
        "Mean over cases of the error as a share of the span, and of the loss: "
        + "; ".join(f"{fit} {e:.0%}, loss {v:.2f}" for fit, (e, v) in gap.items()) + ".",
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
    ap.add_argument("--points", type=int, default=64, help="design points")
    ap.add_argument("--runs", type=int, default=1, help="seeds per case and design point")
    ap.add_argument("--final-runs", type=int, default=10, help="seeds of the final scores")
    ap.add_argument("--final-scale", type=int, default=1, help="agent scale of the final scores")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("out/validation"))
    ap.add_argument("--doc", type=Path, default=Path("docs/validation.md"))
    args = ap.parse_args()
    if args.points < 2 or args.runs < 1 or args.final_runs < 1 or args.final_scale < 1:
        ap.error("--points must be at least 2, and --runs, --final-runs and --final-scale "
                 "at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    samples = design(args.points, args.runs, args.workers, args.seed, args.out)
    names = list(BOUNDS)
    chosen = {"in-sample": in_sample(samples, CASES)}
    loco = leave_one_out(samples, CASES)
    points = {"defaults": {}, "in-sample": samples.loc[chosen["in-sample"], names].to_dict()}
    for case, i in loco.items():
        points[f"without {case}"] = samples.loc[i, names].to_dict()
    scored: dict[str, pd.DataFrame] = {}
    for label, point in points.items():
        print(f"scoring {label}", flush=True)
        scored[label] = final(point, args.final_runs, args.final_scale, args.workers, args.seed)
    rows = []
    for case_i, case in enumerate(CASES):
        for fit, label in (("defaults", "defaults"), ("in-sample", "in-sample"),
                           ("left out", f"without {case}")):
            rows.append({"case": case, "fit": fit, **scored[label].iloc[case_i].to_dict()})
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out / "validation.csv", index=False)
    (args.out / "points.json").write_text(json.dumps(points, indent=1))
    args.doc.write_text(markdown(frame, points, args, time.perf_counter() - start))
    print(frame[["case", "fit", *[k for k in COLUMNS if k in frame]]].to_string(index=False))
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
