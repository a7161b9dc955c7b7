"""The experiment commands of `rout`: ensemble, sweep, query, sensitivity, calibrate.

`register(app)` adds them to the main Typer app. `rout.cli` is imported inside the
commands, so this module and `rout.cli` can import each other in either order.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rout.console import err, fail, out
from rout.experiments.backend import BACKENDS, outcome_names
from rout.experiments.store import StoreError
from rout.scenario.loader import ScenarioError, load_scenario, parse_value

Scenario_ = Annotated[str, typer.Argument(help="Built-in name or YAML file.")]
Sets = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario value for every run: KEY=VALUE (repeatable).")]
Seed = Annotated[int, typer.Option(help="Root seed: run (point, replicate) uses its child "
                                        "SeedSequence number `replicate`.")]
Days = Annotated[float | None, typer.Option(min=0.01, help="Horizon in days.")]
Workers = Annotated[int | None, typer.Option(
    min=1, max=1024, help="Worker processes (default: 1; all cores with --backend processes "
                          "or dask).")]
BackendOpt = Annotated[str | None, typer.Option(
    "--backend", help="sequential, processes or dask (default: processes if --workers > 1).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies dask).")]
Resume = Annotated[bool, typer.Option(
    "--resume", help="Finish an interrupted experiment in --out: run only what is missing.")]
Format = Annotated[str, typer.Option("--format", help="table or json.")]
Params = Annotated[list[str] | None, typer.Option(
    "--param", help="A parameter and its range: KEY=LOW:HIGH (repeatable).")]


def _overrides(sets: list[str] | None, days: float | None) -> dict[str, Any]:
    from rout.cli import parse_sets

    over = parse_sets(sets)
    if days is not None:
        over["days"] = days
    return over


def _load(scenario: str, overrides: dict[str, Any]) -> Any:
    """The scenario with these overrides, or exit 2 with its problems."""
    try:
        return load_scenario(scenario, overrides)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None


def _backend(workers: int | None, backend: str | None, scheduler: str | None) -> str:
    if backend is not None and backend not in BACKENDS:
        raise fail(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler is not None:
        if backend not in (None, "dask"):
            raise fail(f"--scheduler needs the dask backend, not {backend!r}")
        return "dask"
    return backend or ("processes" if workers and workers > 1 else "sequential")


def _format(value: str, allowed: tuple[str, ...] = ("table", "json")) -> str:
    if value not in allowed:
        raise fail(f"--format must be {' or '.join(allowed)}, got {value!r}")
    return value


def _number(text: str, what: str) -> float:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{what}: {text!r} is not a number")
    return value


def parse_bounds(items: list[str] | None, option: str) -> dict[str, tuple[float, float]]:
    """KEY=LOW:HIGH items as bounds (integers stay integers)."""
    bounds: dict[str, tuple[float, float]] = {}
    for item in items or []:
        key, sep, rng = item.partition("=")
        low, colon, high = rng.partition(":")
        if not sep or not colon or not key.strip():
            raise fail(f"{option} {item!r}: expected KEY=LOW:HIGH")
        lo, hi = _number(low, f"{option} {key}"), _number(high, f"{option} {key}")
        if not lo < hi:
            raise fail(f"{option} {key}: LOW must be below HIGH, got {low}:{high}")
        bounds[key.strip()] = (lo, hi)
    return bounds


def parse_grid(items: list[str] | None) -> dict[str, list[Any]]:
    """KEY=V1,V2,... items as grid values."""
    values: dict[str, list[Any]] = {}
    for item in items or []:
        key, sep, rest = item.partition("=")
        vals = [parse_value(v) for v in rest.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            raise fail(f"--grid {item!r}: expected KEY=V1,V2,...")
        values[key.strip()] = vals
    return values


def _check_points(scenario: str, overrides: dict[str, Any],
                  points: list[dict[str, Any]]) -> None:
    """Every value the design can take is valid for the scenario (else exit 2 now,
    not in a worker an hour later)."""
    for point in points:
        _load(scenario, {**overrides, **point})


def _check_bounds(scenario: str, overrides: dict[str, Any],
                  bounds: dict[str, tuple[float, float]]) -> None:
    _check_points(scenario, overrides, [{k: b[0] for k, b in bounds.items()},
                                        {k: b[1] for k, b in bounds.items()}])


@contextmanager
def _bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar over the whole experiment, on stderr; yields `advance(k)`."""
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


@contextmanager
def _running(out: Path | None) -> Iterator[None]:
    """Readable exits for what can go wrong while an experiment runs."""
    try:
        yield
    except KeyboardInterrupt:
        where = f"; finished runs are in {out}: add --resume to finish" if out else ""
        err.print(f"interrupted{where}")
        raise typer.Exit(130) from None
    except (StoreError, ValueError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:  # e.g. no Dask scheduler at --scheduler, a full disk
        raise fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "-" if not np.isfinite(value) else f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame, title: str | None = None) -> Table:
    table = Table(title=title, show_edge=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _plain(value: Any) -> Any:
    """A JSON value: NumPy scalars as Python ones, NaN (did not happen) as null."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, floats exact."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _json(payload: dict[str, pd.DataFrame | Any]) -> None:
    """One JSON object on stdout; frames as lists of records."""
    out = {k: _records(v) if isinstance(v, pd.DataFrame) else v for k, v in payload.items()}
    sys.stdout.write(json.dumps(out, default=str) + "\n")


def ensemble(
    scenario: Scenario_ = "syria-2024",
    runs: Annotated[int, typer.Option(min=1, max=1_000_000, help="Number of seeds.")] = 20,
    out_dir: Annotated[Path, typer.Option("--out", help="Store the runs here.")] = ...,
    set_: Sets = None, seed: Seed = 1, days: Days = None, workers: Workers = None,
    backend: BackendOpt = None, scheduler: Scheduler = None, resume: Resume = False,
    format_: Format = "table",
) -> None:
    """Run many seeds of a scenario: medians and 5-95% bands of its course and its events."""
    from rout.experiments.ensemble import ensemble as run_ensemble

    fmt = _format(format_)
    over = _overrides(set_, days)
    sc = _load(scenario, over)
    kind = _backend(workers, backend, scheduler)
    with _running(out_dir), _bar(runs, f"{sc.name} ensemble") as advance:
        ens = run_ensemble(scenario, runs, seed=seed, overrides=over, out=out_dir, resume=resume,
                           backend=kind, workers=workers, scheduler=scheduler, progress=advance)
    ens.bands.to_parquet(out_dir / "bands.parquet", index=False)
    ens.events.to_parquet(out_dir / "events.parquet", index=False)
    if fmt == "json":
        _json({"events": ens.events, "bands": ens.bands})
        return
    out.print(f"[bold]{sc.name}[/bold]: {runs} runs, {sc.army.strength:,} soldiers, "
              f"root seed {seed}; runs stored in [bold]{out_dir}[/bold]")
    ev = ens.events.rename(columns={"p05": "5%", "p95": "95%"})
    out.print(_table(ev, "Days of events over runs (-: not within the horizon)"))
    out.print(_table(_daily(ens.bands, sc.army.strength),
                     "Course of the runs by day: median (5%-95%)"))


def _daily(bands: pd.DataFrame, strength: int) -> pd.DataFrame:
    """Bands at the end of each day, as `median (p05-p95)` cells; counts as shares."""
    wide = {}
    for var, rows in bands.groupby("variable", sort=False):
        rows = rows.set_index("step")
        day_end = rows.groupby(np.ceil(rows["day"]).astype(int)).tail(1)
        scale = 1.0 / strength if var in ("left", "on_duty") else 1.0
        wide[f"{var} share" if scale != 1.0 else var] = [
            f"{m * scale:.2f} ({lo * scale:.2f}-{hi * scale:.2f})"
            for lo, m, hi in day_end[["p05", "median", "p95"]].itertuples(index=False)]
        days = day_end["day"].to_numpy()
    return pd.DataFrame({"day": [f"{d:.1f}" for d in days], **wide})


def sweep(
    scenario: Scenario_ = "syria-2024",
    grid_: Annotated[list[str] | None, typer.Option(
        "--grid", help="Grid values: KEY=V1,V2,... (repeatable; every combination).")] = None,
    lhs_: Annotated[list[str] | None, typer.Option(
        "--lhs", help="Latin hypercube range: KEY=LOW:HIGH (repeatable).")] = None,
    points: Annotated[int, typer.Option(min=1, max=1_000_000,
                                        help="LHS points.")] = 20,
    runs_per_point: Annotated[int, typer.Option(min=1, max=100_000,
                                                help="Seeds per design point.")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="Store the runs here.")] = ...,
    set_: Sets = None, seed: Seed = 1, days: Days = None, workers: Workers = None,
    backend: BackendOpt = None, scheduler: Scheduler = None, resume: Resume = False,
    format_: Format = "table",
) -> None:
    """Run a grid or a Latin hypercube of parameter values, streaming runs into a store."""
    from rout.experiments.sweep import grid, point_summary
    from rout.experiments.sweep import sweep as run_sweep

    fmt = _format(format_)
    if bool(grid_) == bool(lhs_):
        raise fail("give either --grid KEY=V1,V2,... or --lhs KEY=LOW:HIGH, not both")
    over = _overrides(set_, days)
    sc = _load(scenario, over)
    values = parse_grid(grid_)
    bounds = parse_bounds(lhs_, "--lhs")
    if values:
        _check_points(scenario, over, [{k: v} for k, vs in values.items() for v in vs])
        total = len(grid(values)) * runs_per_point
    else:
        _check_bounds(scenario, over, bounds)
        total = points * runs_per_point
    kind = _backend(workers, backend, scheduler)
    with _running(out_dir), _bar(total, f"{sc.name} sweep") as advance:
        exp = run_sweep(scenario, out_dir, grid_values=values or None,
                        lhs_bounds=bounds or None, points=points,
                        runs_per_point=runs_per_point, seed=seed, overrides=over,
                        resume=resume, backend=kind, workers=workers, scheduler=scheduler,
                        progress=advance)
    params = list(values or bounds)
    summary = point_summary(exp.runs, params)
    if fmt == "json":
        _json({"points": summary})
        return
    shown = [c for c in summary if not c.startswith("fall:") or summary[c].notna().any()]
    out.print(_table(summary[shown], f"{sc.name}: median over {runs_per_point} run(s) "
                                            f"per point; runs stored in {out_dir}"))


def query(
    directory: Annotated[Path, typer.Argument(help="An experiment's --out folder.")],
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over the views runs, series, falls.")],
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Query a stored experiment with SQL (views: runs, series, falls)."""
    import duckdb

    from rout.experiments.store import Experiment

    fmt = _format(format_, ("table", "csv", "json"))
    try:
        frame = Experiment(directory).sql(sql)
    except StoreError as exc:
        raise fail(str(exc)) from None
    except duckdb.Error as exc:
        raise fail(f"query: {str(exc).splitlines()[0]}") from None
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(json.dumps(_records(frame), default=str) + "\n")
    else:
        out.print(_table(frame))


def sensitivity(
    scenario: Scenario_ = "syria-2024",
    param: Params = None,
    outcome: Annotated[str, typer.Option(
        help="fall:PLACE, left_share, deserted_share, final_power_share or "
             "quarter_power_day.")] = "left_share",
    method: Annotated[str, typer.Option(help="sobol or morris.")] = "sobol",
    n: Annotated[int, typer.Option("--n", min=2, max=1_000_000, help=(
        "Sobol' base samples (a power of 2; n (D + 2) points) or Morris trajectories "
        "(n (D + 1) points)."))] = 64,
    runs_per_point: Annotated[int, typer.Option(min=1, max=100_000,
                                                help="Seeds averaged per point.")] = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Store the runs here.")] = None,
    set_: Sets = None, seed: Seed = 1, days: Days = None, workers: Workers = None,
    backend: BackendOpt = None, scheduler: Scheduler = None, resume: Resume = False,
    format_: Format = "table",
) -> None:
    """Sobol' or Morris sensitivity of an outcome to parameters (SALib)."""
    from rout.experiments.sensitivity import METHODS
    from rout.experiments.sensitivity import sensitivity as run_sensitivity

    fmt = _format(format_)
    if method not in METHODS:
        raise fail(f"--method must be sobol or morris, got {method!r}")
    if method == "sobol" and n & (n - 1):
        raise fail(f"--n must be a power of 2 for sobol, got {n}")
    if resume and out_dir is None:
        raise fail("--resume needs --out")
    over = _overrides(set_, days)
    sc = _load(scenario, over)
    bounds = parse_bounds(param, "--param")
    if not bounds:
        raise fail("give at least one --param KEY=LOW:HIGH")
    known = outcome_names(sc)
    if outcome not in known:
        raise fail(f"--outcome {outcome!r}: unknown; outcomes are {', '.join(known)}")
    _check_bounds(scenario, over, bounds)
    d = len(bounds)
    total = n * (d + 2 if method == "sobol" else d + 1) * runs_per_point
    kind = _backend(workers, backend, scheduler)
    with _running(out_dir), _bar(total, f"{sc.name} {method}") as advance:
        res = run_sensitivity(scenario, bounds, outcome, method=method, n=n,
                              runs_per_point=runs_per_point, seed=seed, overrides=over,
                              out=out_dir, resume=resume, backend=kind, workers=workers,
                              scheduler=scheduler, progress=advance)
    if fmt == "json":
        _json({"outcome": outcome, "method": method, "runs": total, "indices": res.indices})
        return
    ix = res.indices
    if method == "sobol":
        shown = pd.DataFrame({
            "parameter": ix["param"],
            "first order S1": [f"{s:.3f} ± {c:.3f}" for s, c in zip(ix["S1"], ix["S1_conf"],
                                                                      strict=True)],
            "total ST": [f"{s:.3f} ± {c:.3f}" for s, c in zip(ix["ST"], ix["ST_conf"],
                                                               strict=True)]})
    else:
        shown = pd.DataFrame({
            "parameter": ix["param"],
            "mu*": [f"{s:.4g} ± {c:.2g}" for s, c in zip(ix["mu_star"], ix["mu_star_conf"],
                                                          strict=True)],
            "sigma": [f"{s:.4g}" for s in ix["sigma"]]})
    out.print(_table(shown, f"Sensitivity of {outcome} ({method}, {total} runs; "
                                   "± 95% confidence)"))


def calibrate(
    scenario: Scenario_ = "syria-2024",
    param: Params = None,
    target: Annotated[list[str] | None, typer.Option(
        help="A target instead of the scenario's observed block: OUTCOME=VALUE "
             "(repeatable).")] = None,
    method: Annotated[str, typer.Option(help="abc or optimize.")] = "abc",
    points: Annotated[int, typer.Option(min=2, max=1_000_000, help=(
        "Prior sample size (abc) or evaluation budget (optimize)."))] = 100,
    accept: Annotated[float, typer.Option(min=0.0, max=1.0, help=(
        "Fraction of closest points accepted (abc)."))] = 0.1,
    runs_per_point: Annotated[int, typer.Option(min=1, max=100_000,
                                                help="Seeds per point (median).")] = 1,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the fitted values here as YAML (KEY: VALUE per line).")] = None,
    store: Annotated[Path | None, typer.Option(help="Store the runs here (abc).")] = None,
    set_: Sets = None, seed: Seed = 1, days: Days = None, workers: Workers = None,
    backend: BackendOpt = None, scheduler: Scheduler = None, resume: Resume = False,
    format_: Format = "table",
) -> None:
    """Fit parameters to the recorded fall days by ABC or optimisation."""
    from rout.experiments.calibration import METHODS, write_overrides
    from rout.experiments.calibration import calibrate as run_calibration

    fmt = _format(format_)
    if method not in METHODS:
        raise fail(f"--method must be abc or optimize, got {method!r}")
    if store is not None and method != "abc":
        raise fail("--store works with --method abc only")
    if resume and store is None:
        raise fail("--resume needs --store")
    over = _overrides(set_, days)
    sc = _load(scenario, over)
    bounds = parse_bounds(param, "--param")
    if not bounds:
        raise fail("give at least one --param KEY=LOW:HIGH")
    known = outcome_names(sc)
    targets: dict[str, float] = {}
    for item in target or []:
        name, sep, value = item.partition("=")
        if not sep or name not in known:
            raise fail(f"--target {item!r}: expected OUTCOME=VALUE with OUTCOME one of "
                        f"{', '.join(known)}")
        targets[name] = _number(value, f"--target {name}")
    if not targets and not sc.observed:
        raise fail(f"{scenario}: no observed block to fit; give --target OUTCOME=VALUE")
    _check_bounds(scenario, over, bounds)
    kind = _backend(workers, backend, scheduler)
    with _running(store), _bar(points * runs_per_point, f"{sc.name} {method}") as advance:
        cal = run_calibration(scenario, bounds, targets=targets or None, method=method,
                              points=points, accept=accept, runs_per_point=runs_per_point,
                              seed=seed, overrides=over, out=store, resume=resume,
                              backend=kind, workers=workers, scheduler=scheduler,
                              progress=advance)
    if out_file is not None:
        write_overrides(cal, out_file)
        if method == "abc":
            cal.posterior.to_csv(out_file.with_suffix(".posterior.csv"), index=False)
    fit = pd.DataFrame({"parameter": list(bounds), "fit": [cal.best[k] for k in bounds],
                        "low": [b[0] for b in bounds.values()],
                        "high": [b[1] for b in bounds.values()]})
    if method == "abc":
        fit["posterior 5%"] = [cal.posterior[k].quantile(0.05) for k in bounds]
        fit["posterior 95%"] = [cal.posterior[k].quantile(0.95) for k in bounds]
    if fmt == "json":
        _json({"method": method, "distance": cal.distance, "best": cal.best, "fit": cal.fit,
               "posterior": cal.posterior})
        return
    label = (f"posterior median of {len(cal.posterior)} accepted of {points} points"
             if method == "abc" else f"best of {len(cal.samples)} points")
    out.print(_table(fit, f"Calibration of {sc.name} ({method}): {label}"))
    out.print(_table(cal.fit, f"Closest point: distance {cal.distance:.3g} (RMS)"))
    if out_file is not None:
        extra = f" (accepted points: {out_file.with_suffix('.posterior.csv')})" \
            if method == "abc" else ""
        out.print(f"fitted values written to [bold]{out_file}[/bold]{extra}")


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the `rout` app."""
    app.command("ensemble")(ensemble)
    app.command("sweep")(sweep)
    app.command("query")(query)
    app.command("sensitivity")(sensitivity)
    app.command("calibrate")(calibrate)
