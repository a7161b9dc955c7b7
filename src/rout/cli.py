"""The `rout` command: run scenarios, check them, and read what happened."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rout.console import err, fail, out
from rout.scenario.loader import ScenarioError, builtin_scenarios, load_scenario, parse_value
from rout.scenario.schema import RANKS

app = typer.Typer(
    help="rout: simulate how armies hold together under attack, and how they fall apart.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

KEY_EVENTS = ("fall", "promise_broken", "promise_kept", "reinforcement_failed", "pay_raise",
              "recall", "amnesty", "officers_fled", "mass_desertion")


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """--set KEY=VALUE pairs as a dict of overrides."""
    overrides: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"--set {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = parse_value(value)
    return overrides


def checked(scenario: str, overrides: dict[str, Any], format_: str = "table"):
    """The scenario with its overrides, or a readable exit-2 error (bad format included)."""
    if format_ not in ("table", "json"):
        raise fail(f"--format must be table or json, got {format_!r}")
    try:
        return load_scenario(scenario, overrides)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None


SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: KEY=VALUE (repeatable)."),
]


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "syria-2024",
    seed: Annotated[int, typer.Option(help="Seed of the run's random generator.")] = 1,
    set_: SetOption = None,
    days: Annotated[float | None, typer.Option(min=0.01, help="Horizon in days.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write Parquet + JSON here.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Run a scenario once and report what happened."""
    from rout.run import simulate

    overrides = parse_sets(set_)
    sc = checked(scenario, {**overrides, **({"days": days} if days else {})}, format_)
    steps = int(np.ceil(sc.days * 24 / sc.step_hours))
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} steps"), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"{sc.name}, {sc.army.strength:,} soldiers", total=steps)
        result = simulate(sc, seed=seed, progress=lambda k: bar.advance(task, k))
    summary = result.summary()
    if out_dir is not None:
        result.save(out_dir)
    if format_ == "json":
        sys.stdout.write(json.dumps(summary, default=str) + "\n")
        return
    show_run(result, summary)
    if out_dir is not None:
        out.print(f"results written to [bold]{out_dir}[/bold]")


def show_run(result, summary: dict[str, Any]) -> None:
    """The readable report of one run in the terminal."""
    from rout.run import date_of

    sc = result.scenario
    out.print(
        f"[bold]{sc.name}[/bold]: {summary['soldiers']:,} soldiers, {summary['steps']} steps of "
        f"{sc.step_hours:g} h, seed {summary['seed']}, {summary['wall_seconds']:.2f} s"
    )
    counts = Table(title="Where the soldiers ended", show_edge=False)
    counts.add_column("state")
    counts.add_column("soldiers", justify="right")
    counts.add_column("share", justify="right")
    n = summary["soldiers"]
    for state, k in summary["final_counts"].items():
        counts.add_row(state, f"{k:,}", f"{k / n:.1%}")
    out.print(counts)

    dep = result.departures
    if len(dep):
        table = Table(title="Who left (share, median day of first departure) and how",
                      show_edge=False)
        for col in ("by", "who", "soldiers", "left", "day", "deserted", "fled",
                    "bought leave", "ignored recall"):
            table.add_column(col, justify="left" if col in ("by", "who") else "right")
        sizes = {"rank": result.engine.army.rank, "group": result.engine.army.group}
        labels = {"rank": list(RANKS), "group": result.groups_}
        for dim in ("rank", "group"):
            for code, name in enumerate(labels[dim]):
                total = int((sizes[dim] == code).sum())
                if total == 0:
                    continue
                rows = dep[dep[dim] == name]
                first = rows.drop_duplicates("soldier")
                acts = rows["action"].value_counts()
                table.add_row(dim, name, f"{total:,}", f"{len(first) / total:.1%}",
                              f"{first['day'].median():.1f}" if len(first) else "-",
                              *(f"{int(acts.get(a, 0)):,}" for a in
                                ("deserted", "fled", "bought_leave", "ignored_recall")))
        out.print(table)

    tl = result.timeline()
    if len(tl):
        table = Table(title="Timeline: simulated against the record", show_edge=False)
        for col in ("place", "observed", "simulated", "error (days)"):
            table.add_column(col, justify="left" if col == "place" else "right")
        for row in tl.itertuples():
            def fmt(day: float) -> str:
                if not np.isfinite(day):
                    return "held"
                d = date_of(sc, day)
                return f"day {day:.1f}" + (f" ({d:%d %b})" if d else "")
            table.add_row(row.place, fmt(row.observed), fmt(row.simulated),
                          f"{row.error_days:+.1f}" if np.isfinite(row.error_days) else "-")
        out.print(table)

    ev = result.events
    if len(ev):
        key = ev[ev["kind"].isin(KEY_EVENTS)]
        table = Table(title="Events", show_edge=False)
        for col in ("day", "event", "place", "detail"):
            table.add_column(col, justify="right" if col == "day" else "left")
        for row in key.itertuples():
            place = row.place if isinstance(row.place, str) else ""
            table.add_row(f"{row.day:.2f}", row.kind, place, row.detail)
        out.print(table)


@app.command()
def explain(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "syria-2024",
    seeds: Annotated[int, typer.Option(min=1, max=1000, help="Seeds per case.")] = 5,
    set_: SetOption = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Worker processes.")] = 1,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Switch each mechanism off in turn and show how many days it moved each fall."""
    from rout.explain import ablation
    from rout.scenario.schema import MECHANISMS

    overrides = parse_sets(set_)
    checked(scenario, overrides, format_)
    total = (len(MECHANISMS) + 1) * seeds
    with Progress(TextColumn("[bold]ablation"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total} runs"), TimeRemainingColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("runs", total=total)
        table_ = ablation(scenario, seeds, MECHANISMS, overrides, workers,
                          progress=lambda k: bar.advance(task, k))
    if format_ == "json":
        sys.stdout.write(table_.to_json(orient="records") + "\n")
        return
    places = list(dict.fromkeys(table_["place"]))
    table = Table(title=f"Days each mechanism moved each outcome (median of {seeds} seeds): "
                        "+ it hastened it, - it delayed it", show_edge=False)
    table.add_column("switched off")
    for p in places:
        table.add_column(p, justify="right")
    for mech, rows in table_.groupby("mechanism", sort=False):
        rows = rows.set_index("place")
        cells = []
        for p in places:
            r = rows.loc[p]
            if mech == "all on":
                cells.append("held" if r["held"] > 0.5 else f"day {r['median_day']:.1f}")
            else:
                cells.append(f"{r['shift_days']:+.1f}" + (" held" if r["held"] > 0.5 else ""))
        table.add_row(mech, *cells)
    out.print(table)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    table = Table(show_edge=False)
    table.add_column("name")
    table.add_column("description")
    for name, text in builtin_scenarios().items():
        table.add_row(name, text)
    out.print(table)


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")],
    set_: SetOption = None,
) -> None:
    """Check a scenario: one line per problem, exit status 2 if there are any."""
    try:
        sc = load_scenario(scenario, parse_sets(set_))
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    out.print(f"{scenario}: valid ({sc.army.strength:,} soldiers, {len(sc.places)} places, "
              f"{len(sc.forces)} forces, {len(sc.events)} events)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    from rout.scenario.schema import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


def _register_extensions() -> None:
    """Commands that live with their own subsystems."""
    from rout.classic.cli import app as classic_app
    from rout.experiments.commands import register as register_experiments
    from rout.viz.commands import register as register_viz

    app.add_typer(classic_app, name="classic", help="The classic models rout builds on.")
    register_viz(app)
    register_experiments(app)


_register_extensions()


def main() -> None:
    """Entry point: usage errors exit with status 2, scenario errors too, never a traceback."""
    app()


if __name__ == "__main__":
    main()
