"""The experiment commands of `rout`: ensemble, sweep, query, sensitivity, calibrate, discover,
score.

`register(app)` adds them to a Typer app. The options the experiments share (the
scenario, `--set`, `--seed`, `--days`, `--format`, and where the runs go: `--workers`,
`--backend`, `--scheduler`, `--resume`) are added to each by `@experiment` and handed
to it, checked, as one `Execution`. NumPy, pandas, DuckDB and the experiments are
imported inside the commands, so `rout --help` stays quick.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rout import console
from rout.console import fail, out

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from rout.scenario.schema import Scenario

Workers = Annotated[int | None, typer.Option(
    min=1, max=1024, help="Worker processes (default: 1; all cores with --backend processes "
                          "or dask).")]
BackendOpt = Annotated[str | None, typer.Option(
    "--backend", help="sequential, processes or dask (default: processes if --workers > 1).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies dask).")]
Resume = Annotated[bool, typer.Option(
    "--resume", help="Finish an interrupted experiment in its store: run only what is missing.")]
Params = Annotated[list[str] | None, typer.Option(
    "--param", help="A parameter and its range: KEY=LOW:HIGH, or KEY for its documented "
                    "range (repeatable).")]
RunsPerPoint = Annotated[int, typer.Option(
    "--runs-per-point", min=1, max=100_000,
    help="Runs of each design point: the root seed's children 0..N-1.")]
Store = Annotated[Path, typer.Option("--out", help="Store the runs here.")]

SHARED = (  # what `@experiment` adds after a command's own options: name, option, default
    ("set_", console.SetOption, None), ("seed", console.SeedOption, 1),
    ("days", console.DaysOption, None), ("workers", Workers, None),
    ("backend", BackendOpt, None), ("scheduler", Scheduler, None), ("resume", Resume, False),
    ("format_", console.FormatOption, "table"),
)


@dataclass(frozen=True)
class Execution:
    """The shared options of an experiment command, checked: the scenario (its name or
    file, and loaded with the overrides), the root seed and how the runs are run."""

    scenario: str
    loaded: Scenario
    overrides: dict[str, Any]
    seed: int
    workers: int | None
    backend: str
    scheduler: str | None
    resume: bool
    format: str

    def run(self, function: Callable[..., Any], *args: Any, total: int, label: str,
            out: Path | None, **kwargs: Any) -> Any:
        """`function(scenario, *args, ...)` with these options, a progress bar over `total`
        runs and readable exits; `out` is where the runs are stored (or None): checked, and
        made, before any run."""
        if out is not None:
            console.out_folder(out)
        with running(out), console.progress(total, f"{console.shown(self.loaded.name)} "
                                                   f"{label}") as advance:
            return function(self.scenario, *args, out=out, progress=advance, seed=self.seed,
                            overrides=self.overrides, resume=self.resume,
                            backend=self.backend, workers=self.workers,
                            scheduler=self.scheduler, **kwargs)

    def check(self, points: list[dict[str, Any]]) -> None:
        """Every value the design can take is valid for the scenario (else exit 2 now,
        not in a worker an hour later)."""
        for point in points:
            console.load(self.scenario, {**self.overrides, **point})

    def check_bounds(self, bounds: dict[str, tuple[float, float]]) -> None:
        """`check` at the low and at the high end of every range."""
        self.check([{k: b[0] for k, b in bounds.items()}, {k: b[1] for k, b in bounds.items()}])


def backend_kind(workers: int | None, backend: str | None, scheduler: str | None) -> str:
    """The backend the options ask for, or exit 2."""
    from rout.experiments.backend import BACKENDS

    if backend is not None and backend not in BACKENDS:
        raise fail(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler is not None:
        if backend not in (None, "dask"):
            raise fail(f"--scheduler needs the dask backend, not {backend!r}")
        return "dask"
    return backend or ("processes" if workers and workers > 1 else "sequential")


def experiment(command: Callable[..., None]) -> Callable[..., None]:
    """Give an experiment command the shared options: Typer sees the scenario argument,
    the command's own options, then `SHARED`; the command gets its own and `ex`."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "ex"]
    first = inspect.Parameter("scenario", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default="syria-2024", annotation=console.ScenarioArg)
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=default, annotation=option)
              for name, option, default in SHARED]

    @functools.wraps(command)
    def with_options(scenario: str, set_: list[str] | None, seed: int, days: float | None,
                     workers: int | None, backend: str | None, scheduler: str | None,
                     resume: bool, format_: str, **options: Any) -> None:
        fmt = console.check_format(format_)
        overrides = console.parse_sets(set_, days)
        loaded = console.load(scenario, overrides)
        kind = backend_kind(workers, backend, scheduler)
        command(Execution(scenario, loaded, overrides, seed, workers, kind, scheduler, resume,
                          fmt), **options)

    return console.with_signature(with_options, [first, *own, *shared])


def number(text: str, what: str) -> float:
    """A number given on the command line, or exit 2."""
    from rout.scenario.loader import parse_value

    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{what}: {text!r} is not a number")
    return value


def parse_bounds(items: list[str] | None, option: str) -> dict[str, tuple[float, float]]:
    """KEY=LOW:HIGH items as bounds (integers stay integers); a bare KEY takes its
    documented range (`rout.ema`: the levers' and uncertainties' table, else the bounds
    its parameter declares)."""
    bounds: dict[str, tuple[float, float]] = {}
    for key, rng in parse_inputs(items, option).items():
        if rng is None:
            from rout.ema import documented

            try:
                rng = documented(key).bounds()
            except ValueError as exc:
                raise fail(f"{option} {exc}") from None
        bounds[key] = rng
    return bounds


def parse_inputs(items: list[str] | None, option: str
                 ) -> dict[str, tuple[float, float] | None]:
    """KEY or KEY=LOW:HIGH items: each key's range, None where only the key is given."""
    ranges: dict[str, tuple[float, float] | None] = {}
    for item in items or []:
        key, sep, rng = item.partition("=")
        if not key.strip():
            raise fail(f"{option} {item!r}: expected KEY or KEY=LOW:HIGH")
        if not sep:
            ranges[key.strip()] = None
            continue
        low, colon, high = rng.partition(":")
        if not colon:
            raise fail(f"{option} {item!r}: expected KEY=LOW:HIGH")
        lo, hi = number(low, f"{option} {key}"), number(high, f"{option} {key}")
        if not lo < hi:
            raise fail(f"{option} {key}: LOW must be below HIGH, got {low}:{high}")
        ranges[key.strip()] = (lo, hi)
    return ranges


def parse_grid(items: list[str] | None) -> dict[str, list[Any]]:
    """KEY=V1,V2,... items as grid values."""
    from rout.scenario.loader import parse_value

    values: dict[str, list[Any]] = {}
    for item in items or []:
        key, sep, rest = item.partition("=")
        vals = [parse_value(v) for v in rest.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            raise fail(f"--grid {item!r}: expected KEY=V1,V2,...")
        values[key.strip()] = vals
    return values


def parse_params(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """The --param bounds: at least one, or exit 2."""
    bounds = parse_bounds(items, "--param")
    if not bounds:
        raise fail("give at least one --param KEY=LOW:HIGH (or KEY)")
    return bounds


@contextmanager
def running(store: Path | None) -> Iterator[None]:
    """Readable exits for what can go wrong while an experiment runs; the store's warnings
    (a corrupt run file set aside or left out) printed as one line each."""
    import warnings

    from rout.experiments.store import StoreWarning

    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StoreWarning)
            yield
    except KeyboardInterrupt:
        where = f"; finished runs are in {store}: add --resume to finish" if store else ""
        console.err.print(f"interrupted{where}")
        raise typer.Exit(130) from None
    except ValueError as exc:  # a StoreError too
        raise fail(str(exc)) from None
    except OSError as exc:  # e.g. no Dask scheduler at --scheduler, a full disk
        raise fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    finally:
        for w in caught:
            if not issubclass(w.category, StoreWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        console.warn([str(w.message) for w in caught if issubclass(w.category, StoreWarning)])


def _cell(value: Any) -> str:
    import numpy as np

    if isinstance(value, float | np.floating):
        return "-" if not np.isfinite(value) else f"{value:.4g}"
    return console.shown(value)


def _table(frame: pd.DataFrame, title: str | None = None) -> Table:
    return console.table(frame, title, _cell)


def _plain(value: Any) -> Any:
    """A JSON value: NumPy scalars as Python ones, NaN (did not happen) as null, and a list
    (a SQL list column arrives as an array) as a JSON list of such values."""
    import numpy as np

    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, floats exact."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _json(payload: dict[str, Any]) -> None:
    """One JSON object on stdout; frames as lists of records."""
    import pandas as pd

    shown = {k: _records(v) if isinstance(v, pd.DataFrame) else v for k, v in payload.items()}
    sys.stdout.write(json.dumps(shown, default=str) + "\n")


@experiment
def ensemble(ex: Execution, runs: console.RunsOption = 20, out_dir: Store = ...) -> None:
    """Run a scenario many times: medians and 5-95% bands of its course and events."""
    from rout.experiments import display
    from rout.experiments.ensemble import ensemble as run_ensemble

    sc = ex.loaded
    ens = ex.run(run_ensemble, runs, total=runs, label="ensemble", out=out_dir)
    ens.bands.to_parquet(out_dir / "bands.parquet", index=False)
    ens.events.to_parquet(out_dir / "events.parquet", index=False)
    if ex.format == "json":
        _json({"events": ens.events, "bands": ens.bands})
        return
    out.print(f"[bold]{console.shown(sc.name)}[/bold]: {runs} runs, {sc.army.strength:,} soldiers, "
              f"root seed {ex.seed}; runs stored in [bold]{out_dir}[/bold]")
    out.print(_table(display.outcomes(ens.events),
                     f"Days of events over {runs} runs: median (5%-95%); held: it happened "
                     "in fewer than half the runs"))
    out.print(_table(_daily(ens.bands, sc.army.strength),
                     "Course of the runs by day: median (5%-95%)"))


def _daily(bands: pd.DataFrame, strength: int) -> pd.DataFrame:
    """Bands at the end of each day, as `median (p05-p95)` cells; counts as shares."""
    import numpy as np
    import pandas as pd

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


@experiment
def sweep(
    ex: Execution,
    grid_: Annotated[list[str] | None, typer.Option(
        "--grid", help="Grid values: KEY=V1,V2,... (repeatable; every combination).")] = None,
    lhs_: Annotated[list[str] | None, typer.Option(
        "--lhs", help="Latin hypercube range: KEY=LOW:HIGH, or KEY for its documented "
                      "range (repeatable).")] = None,
    points: Annotated[int, typer.Option(min=1, max=1_000_000, help="LHS points.")] = 20,
    runs_per_point: RunsPerPoint = 1,
    out_dir: Store = ...,
) -> None:
    """Run a grid or a Latin hypercube of parameter values; the runs go into a store.

    Each point's row holds the medians over its runs."""
    from rout.experiments.sweep import grid, point_summary
    from rout.experiments.sweep import sweep as run_sweep

    if bool(grid_) == bool(lhs_):
        raise fail("give either --grid KEY=V1,V2,... or --lhs KEY=LOW:HIGH, not both")
    values = parse_grid(grid_)
    bounds = parse_bounds(lhs_, "--lhs")
    if values:
        ex.check([{k: v} for k, vs in values.items() for v in vs])
        total = len(grid(values)) * runs_per_point
    else:
        ex.check_bounds(bounds)
        total = points * runs_per_point
    exp = ex.run(run_sweep, total=total, label="sweep", out=out_dir,
                 grid_values=values or None, lhs_bounds=bounds or None, points=points,
                 runs_per_point=runs_per_point)
    summary = point_summary(exp.runs, list(values or bounds))
    if ex.format == "json":
        _json({"points": summary})
        return
    shown = [c for c in summary if not c.startswith("fall:") or summary[c].notna().any()]
    out.print(_table(summary[shown], f"{ex.loaded.name}: median over {runs_per_point} run(s) "
                                     f"per point; runs stored in {out_dir}"))


def query(
    directory: Annotated[Path, typer.Argument(help="An experiment's --out folder.")],
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over the views runs, series, falls.")],
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Query a stored experiment with SQL (views: runs, series, falls): one SELECT, read-only,
    over the store's runs only."""
    import duckdb

    from rout.experiments.store import Experiment

    fmt = console.check_format(format_, ("table", "csv", "json"))
    with running(None):
        try:
            frame = Experiment(directory).sql(sql)
        except duckdb.Error as exc:
            raise fail(f"query: {str(exc).splitlines()[0]}") from None
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(json.dumps(_records(frame), default=str) + "\n")
    else:
        out.print(_table(frame))


def _with_confidence(values: pd.Series, conf: pd.Series, digits: str, cdigits: str) -> list[str]:
    return [f"{v:{digits}} ± {c:{cdigits}}" for v, c in zip(values, conf, strict=True)]


@experiment
def sensitivity(
    ex: Execution,
    param: Params = None,
    outcome: Annotated[str, typer.Option(
        help="fall:PLACE, left_share, deserted_share, final_power_share or "
             "quarter_power_day.")] = "left_share",
    method: Annotated[str, typer.Option(help="sobol or morris.")] = "sobol",
    n: Annotated[int, typer.Option("--n", min=2, max=1_000_000, help=(
        "Sobol' base samples (a power of 2; n (D + 2) points) or Morris trajectories "
        "(n (D + 1) points)."))] = 64,
    runs_per_point: RunsPerPoint = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Store the runs here.")] = None,
) -> None:
    """Sobol' or Morris sensitivity of an outcome to parameters (SALib).

    A point's outcome is the mean over its runs."""
    import pandas as pd

    from rout.experiments.backend import outcome_key, outcome_names
    from rout.experiments.sensitivity import METHODS
    from rout.experiments.sensitivity import sensitivity as run_sensitivity

    if method not in METHODS:
        raise fail(f"--method must be sobol or morris, got {method!r}")
    if method == "sobol" and n & (n - 1):
        raise fail(f"--n must be a power of 2 for sobol, got {n}")
    if ex.resume and out_dir is None:
        raise fail("--resume needs --out")
    bounds = parse_params(param)
    known = outcome_names(ex.loaded)
    try:  # the store's spelling (fall:Damascus) or EMA's (fall_Damascus)
        outcome = outcome_key(outcome, known)
    except ValueError:
        raise fail(f"--outcome {outcome!r}: unknown; outcomes are {', '.join(known)}") from None
    ex.check_bounds(bounds)
    total = n * (len(bounds) + (2 if method == "sobol" else 1)) * runs_per_point
    res = ex.run(run_sensitivity, bounds, outcome, total=total, label=method, out=out_dir,
                 method=method, n=n, runs_per_point=runs_per_point)
    ix = res.indices
    if ex.format == "json":
        _json({"outcome": outcome, "method": method, "runs": total, "indices": ix})
        return
    if method == "sobol":
        shown = pd.DataFrame({"parameter": ix["param"],
                              "first order S1": _with_confidence(ix["S1"], ix["S1_conf"],
                                                                 ".3f", ".3f"),
                              "total ST": _with_confidence(ix["ST"], ix["ST_conf"],
                                                           ".3f", ".3f")})
    else:
        shown = pd.DataFrame({"parameter": ix["param"],
                              "mu*": _with_confidence(ix["mu_star"], ix["mu_star_conf"],
                                                      ".4g", ".2g"),
                              "sigma": [f"{s:.4g}" for s in ix["sigma"]]})
    out.print(_table(shown, f"Sensitivity of {outcome} ({method}, {total} runs; "
                            "± 95% confidence)"))


def _targets(items: list[str] | None, sc: Scenario, scenario: str) -> dict[str, float]:
    """The --target values (OUTCOME=VALUE), or exit 2; none if the scenario has its own."""
    from rout.experiments.backend import outcome_key, outcome_names

    known = outcome_names(sc)
    targets: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            name = outcome_key(name, known)
        except ValueError:
            sep = ""
        if not sep:
            raise fail(f"--target {item!r}: expected OUTCOME=VALUE with OUTCOME one of "
                       f"{', '.join(known)}")
        targets[name] = number(value, f"--target {name}")
    if not targets and not sc.observed:
        raise fail(f"{scenario}: no observed block to fit; give --target OUTCOME=VALUE")
    return targets


@experiment
def calibrate(
    ex: Execution,
    param: Params = None,
    target: Annotated[list[str] | None, typer.Option(
        help="A target instead of the scenario's observed block: OUTCOME=VALUE "
             "(repeatable).")] = None,
    method: Annotated[str, typer.Option(help="abc or optimize.")] = "abc",
    points: Annotated[int, typer.Option(min=2, max=1_000_000, help=(
        "Prior sample size (abc) or evaluation budget (optimize)."))] = 100,
    accept: Annotated[float, typer.Option(min=0.0, max=1.0, help=(
        "Fraction of closest points accepted (abc)."))] = 0.1,
    runs_per_point: RunsPerPoint = 1,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the fitted values here as YAML (KEY: VALUE per line).")] = None,
    store: Annotated[Path | None, typer.Option(help="Store the runs here (abc).")] = None,
) -> None:
    """Fit parameters to the recorded fall days by ABC or optimisation.

    A point's simulated value is the median over its runs."""
    import pandas as pd

    from rout.experiments.calibration import METHODS, write_overrides
    from rout.experiments.calibration import calibrate as run_calibration

    if method not in METHODS:
        raise fail(f"--method must be abc or optimize, got {method!r}")
    if store is not None and method != "abc":
        raise fail("--store works with --method abc only")
    if ex.resume and store is None:
        raise fail("--resume needs --store")
    if out_file is not None:  # checked now, not after the calibration
        console.out_file(out_file)
    bounds = parse_params(param)
    targets = _targets(target, ex.loaded, ex.scenario)
    ex.check_bounds(bounds)
    cal = ex.run(run_calibration, bounds, total=points * runs_per_point, label=method,
                 out=store, targets=targets or None, method=method, points=points,
                 accept=accept, runs_per_point=runs_per_point)
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
    if ex.format == "json":
        _json({"method": method, "distance": cal.distance, "best": cal.best, "fit": cal.fit,
               "posterior": cal.posterior})
        return
    label = (f"posterior median of {len(cal.posterior)} accepted of {points} points"
             if method == "abc" else f"best of {len(cal.samples)} points")
    out.print(_table(fit, f"Calibration of {ex.loaded.name} ({method}): {label}"))
    out.print(_table(cal.fit, f"Closest point: distance {cal.distance:.3g} (RMS)"))
    if out_file is not None:
        extra = f" (accepted points: {out_file.with_suffix('.posterior.csv')})" \
            if method == "abc" else ""
        out.print(f"fitted values written to [bold]{out_file}[/bold]{extra}")


@experiment
def discover(
    ex: Execution,
    outcome: Annotated[str, typer.Option(help=(
        "What to explain: held:PLACE, fall:PLACE, OUTCOME OP NUMBER (left_share < 0.2, "
        "fall:Hama > 8), SERIES@DAY OP NUMBER (power_share@11 > 0.25), joined by and, or, "
        "not and parentheses."))] = ...,
    lever: Annotated[list[str] | None, typer.Option(
        "--lever", help="A lever to vary: KEY, or KEY=LOW:HIGH for another range "
                        "(repeatable; default: every lever over its documented range).")] = None,
    uncertainty: Annotated[list[str] | None, typer.Option(
        "--uncertainty", help="A parameter to vary as an uncertainty: KEY (its documented "
                              "range) or KEY=LOW:HIGH (repeatable).")] = None,
    sampler: Annotated[str, typer.Option(help="lhs (Latin hypercube) or sobol.")] = "lhs",
    points: Annotated[int, typer.Option(min=2, max=1_000_000, help=(
        "Design points (a power of 2 for sobol)."))] = 200,
    runs_per_point: RunsPerPoint = 1,
    density: Annotated[float, typer.Option(min=0.0, max=1.0, help=(
        "Density a box should reach: the box shown is the step of the peeling trajectory "
        "of highest coverage that reaches it."))] = 0.8,
    boxes: Annotated[int, typer.Option(min=1, max=10, help=(
        "Boxes to look for, one after another (each explains what the others leave "
        "out)."))] = 1,
    step: Annotated[int | None, typer.Option(help=(
        "Show this step of the first box's peeling trajectory instead."))] = None,
    json_file: Annotated[Path | None, typer.Option(
        "--json", help="Write the discovery here (default: OUT/discovery.json; the plot "
                       "beside it, .png).")] = None,
    out_dir: Store = ...,
) -> None:
    """Scenario discovery: the ranges of levers and uncertainties in which an outcome
    happens (PRIM, EMA Workbench).

    Runs a Latin hypercube or Sobol' design into the store (resumable: with --resume and
    another --outcome it only analyses), then prints the box PRIM finds: its coverage,
    density and mass, the inputs it restricts with quasi-p-values, the peeling trajectory
    and feature scores."""
    from rout.ema import LEVERS, inputs
    from rout.experiments.discover import METHODS, OutcomeError, parse
    from rout.experiments.discover import discover as run_discover

    if sampler not in METHODS:
        raise fail(f"--sampler must be lhs or sobol, got {sampler!r}")
    if sampler == "sobol" and points & (points - 1):
        raise fail(f"--points must be a power of 2 for sobol, got {points}")
    try:
        condition = parse(outcome, ex.loaded)
        levers = inputs(parse_inputs(lever, "--lever") if lever else None, LEVERS)
        uncertain = inputs(parse_inputs(uncertainty, "--uncertainty"))
    except (OutcomeError, ValueError) as exc:
        raise fail(str(exc)) from None
    items = {**levers, **uncertain}
    ex.check([{k: i.low if not i.switch else False for k, i in items.items()},
              {k: i.high if not i.switch else True for k, i in items.items()}])
    target = json_file if json_file is not None else out_dir / "discovery.json"
    disc = ex.run(run_discover, outcome, total=points * runs_per_point, label="discover",
                  out=out_dir, levers={k: i.bounds() if not i.switch else None
                                       for k, i in levers.items()},
                  uncertainties={k: i.bounds() if not i.switch else None
                                 for k, i in uncertain.items()},
                  method=sampler, points=points, runs_per_point=runs_per_point,
                  density=density, boxes=boxes, choose=step, save=target)
    picture = target.with_suffix(".png")
    disc.figure().savefig(picture, dpi=100)
    if ex.format == "json":
        _json(disc.to_dict())
        return
    _show_discovery(disc, str(condition), target, picture)


def _show_discovery(disc: Any, outcome: str, target: Path, picture: Path) -> None:
    import pandas as pd

    from rout.experiments.discover import describe_box, trajectory

    out.print(f"[bold]{console.shown(disc.scenario)}[/bold]: {outcome} in {disc.cases} of "
              f"{disc.points} "
              f"{disc.unit} ({disc.share:.0%}); {disc.runs} runs, {disc.method} design over "
              f"{', '.join(disc.inputs)}")
    for sentence in disc.sentences():
        out.print(sentence)
    for box in disc.boxes:
        out.print(_table(describe_box(box),
                         f"Box {box.number} (step {box.step}): coverage {box.coverage:.1%}, "
                         f"density {box.density:.1%}, mass {box.mass:.1%} ({box.n} "
                         f"{disc.unit}, {box.k} where {outcome})"))
        traj = trajectory(box)
        if len(traj) > 16:  # every step would scroll away: a spread of them and the chosen
            keep = set(range(0, len(traj), -(-len(traj) // 12))) | {box.step, len(traj) - 1}
            traj = traj[traj["step"].isin(sorted(keep))]
        traj = traj.assign(chosen=["<-" if s == box.step else "" for s in traj["step"]])
        out.print(_table(traj, f"Peeling trajectory of box {box.number}"))
    if disc.features:
        out.print(_table(pd.DataFrame(disc.features),
                         "Feature scores (extra trees): which inputs matter most"))
    out.print(f"discovery written to [bold]{target}[/bold], its plot to [bold]{picture}[/bold]")


def score(
    scenarios: Annotated[list[str], typer.Argument(
        help="Built-in names or YAML files with an observed block.")],
    runs: console.RunsOption = 10,
    seed: console.SeedOption = 1,
    scale: Annotated[int, typer.Option(
        min=1, max=1000, help="Soldiers each agent stands for (1: one agent per soldier).")] = 1,
    set_: console.SetOption = None,
    workers: Workers = None,
    format_: console.FormatOption = "table",
) -> None:
    """Score scenarios against their record over runs: fall errors, order, holds, figures."""
    from rout.experiments.score import score as score_case
    from rout.experiments.score import table

    fmt = console.check_format(format_)
    overrides = {**console.parse_sets(set_), **({"scale": scale} if scale > 1 else {})}
    loaded = [console.load(sc, overrides) for sc in scenarios]
    missing = [sc.name for sc in loaded if not sc.observed]
    if missing:
        raise fail(f"{', '.join(missing)}: no observed block to score against")
    kind = backend_kind(workers, None, None)
    scores = []
    with running(None), console.progress(runs * len(scenarios), "score") as advance:
        for sc in scenarios:
            scores.append(score_case(sc, runs, seed=seed, overrides=overrides, backend=kind,
                                     workers=workers, progress=advance))
    summary = table(scores)
    if fmt == "json":
        _json({"cases": summary, "items": {s.scenario: s.table for s in scores}})
        return
    out.print(_table(summary, f"Scores over {runs} runs (root seed {seed}, scale {scale})"))
    for s in scores:
        out.print(_table(s.table, f"{s.scenario}: the record against the median run"))


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the `rout` app."""
    for command in (ensemble, sweep, query, sensitivity, calibrate, discover, score):
        app.command(command.__name__)(command)
