"""The `rout` command: run scenarios, check them, and read what happened.

Heavy modules (the model, pandas, the experiments) are imported inside the
commands, so `rout --help` answers at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rout.console import (
    App,
    DaysOption,
    FormatOption,
    RunsOption,
    ScenarioArg,
    SeedOption,
    SetOption,
    check_format,
    fail,
    load,
    out,
    out_folder,
    parse_sets,
    progress,
    shown,
)

if TYPE_CHECKING:
    from rout.model.results import Run

app = App(help="rout: simulate how armies hold together under attack, and how they fall apart.")


def _print_version(value: bool) -> None:
    if value:
        from rout import __version__

        sys.stdout.write(f"rout {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print rout's version and exit."),
    ] = False,
) -> None:
    """rout: simulate how armies hold together under attack, and how they fall apart."""


@app.command()
def run(
    scenario: ScenarioArg = "syria-2024",
    seed: SeedOption = 1,
    set_: SetOption = None,
    days: DaysOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write Parquet + JSON here.")
    ] = None,
    format_: FormatOption = "table",
) -> None:
    """Run a scenario once and report what happened."""
    import numpy as np

    from rout.model.results import simulate

    check_format(format_)
    sc = load(scenario, parse_sets(set_, days))
    if out_dir is not None:  # checked and made now, not after the run
        out_folder(out_dir)
    steps = int(np.ceil(sc.days * 24 / sc.step_hours))
    with progress(steps, f"{shown(sc.name)}, {sc.army.strength:,} soldiers",
                  "steps") as advance:
        result = simulate(sc, seed=seed, progress=advance)
    summary = result.summary()
    if out_dir is not None:
        try:
            result.save(out_dir)
        except OSError as exc:
            raise fail(f"--out {out_dir}: cannot write: {exc.strerror or exc}") from None
    if format_ == "json":
        from rout.outcomes import ever_left, who_left

        summary["ever_left"] = ever_left(result)
        summary["who_left"] = json.loads(who_left(result).to_json(orient="records"))
        sys.stdout.write(json.dumps(summary, default=str) + "\n")
        return
    show_run(result, summary)
    if out_dir is not None:
        out.print(f"results written to [bold]{shown(out_dir)}[/bold]")


def show_run(result: Run, summary: dict[str, Any]) -> None:
    """The readable report of one run in the terminal."""
    import numpy as np
    from rich import box
    from rich.table import Table

    from rout.model.results import date_of
    from rout.outcomes import GLOSSARY, who_left

    sc = result.scenario
    out.print(
        f"[bold]{shown(sc.name)}[/bold]: {summary['soldiers']:,} soldiers, "
        f"{summary['steps']} steps of {sc.step_hours:g} h, seed {summary['seed']}, "
        f"{summary['wall_seconds']:.2f} s"
    )
    counts = Table(title="Where the soldiers ended", show_edge=False)
    counts.add_column("state")
    counts.add_column("soldiers", justify="right")
    counts.add_column("share", justify="right")
    n = summary["soldiers"]
    for state, k in summary["final_counts"].items():
        counts.add_row(state, f"{k:,}", f"{k / n:.1%}")
    out.print(counts)

    who = who_left(result)
    if len(who):
        table = Table(title="Who left, and how each first left (soldiers, each counted once)",
                      caption=f"ever left: {GLOSSARY['ever left'].split(';')[0]}; day: the "
                              "median day they first left",
                      show_edge=False, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
        cells = [[shown(who_), f"{soldiers:,}", f"{never:,}", f"{ever:,} ({share:.0%})",
                  f"{day:.1f}" if np.isfinite(day) else "-", *(f"{k:,}" for k in ways)]
                 for _, who_, soldiers, never, ever, share, day, *ways
                 in who.itertuples(index=False)]
        heads = ["rank or group", "soldiers", "never left", "ever left", "day",
                 *who.columns[7:]]
        for j, col in enumerate(heads):  # a header a word a line: the numbers stay whole
            table.add_column(shown(col).replace(" ", "\n") if j else shown(col),
                             justify="left" if j == 0 else "right")
        for i, row in enumerate(cells):
            if i and who["by"].iloc[i] != who["by"].iloc[i - 1]:
                table.add_section()
            table.add_row(*row)
        out.print(table)

    tl = result.timeline()
    if len(tl):
        table = Table(title="Timeline: simulated against the record", show_edge=False)
        for col in ("place", "observed", "simulated", "error (days)"):
            table.add_column(col, justify="left" if col == "place" else "right")

        def fmt(day: float) -> str:
            if not np.isfinite(day):
                return "held"
            d = date_of(sc, day)
            return f"day {day:.1f}" + (f" ({d:%d %b})" if d else "")

        for row in tl.itertuples():
            table.add_row(shown(row.place), fmt(row.observed), fmt(row.simulated),
                          f"{row.error_days:+.1f}" if np.isfinite(row.error_days) else "-")
        out.print(table)

    ev = result.events
    if len(ev):
        table = Table(title="Events", show_edge=False)
        for col in ("day", "event", "place", "detail"):
            table.add_column(col, justify="right" if col == "day" else "left")
        for row in ev.itertuples():
            place = row.place if isinstance(row.place, str) else ""
            table.add_row(f"{row.day:.2f}", row.kind, shown(place), shown(row.detail))
        out.print(table)


@app.command()
def explain(
    scenario: ScenarioArg = "syria-2024",
    runs: RunsOption = 5,
    seed: SeedOption = 1,
    set_: SetOption = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Worker processes.")] = 1,
    format_: FormatOption = "table",
) -> None:
    """Switch each mechanism off in turn and show how many days it moved each outcome."""
    import numpy as np
    from rich.table import Table

    from rout.experiments.summary import held_note
    from rout.explain import BASELINE, ablation
    from rout.model.schedule import switches

    check_format(format_)
    overrides = parse_sets(set_)
    load(scenario, overrides)
    total = (len(switches()) + 1) * runs
    with progress(total, "ablation") as advance:
        table_ = ablation(scenario, runs, None, overrides, seed,
                          "processes" if workers > 1 else "sequential", workers,
                          progress=advance)
    if format_ == "json":
        sys.stdout.write(table_.to_json(orient="records") + "\n")
        return
    outcomes = list(dict.fromkeys(table_["outcome"]))
    table = Table(title=f"Days each mechanism moved each outcome (medians over {runs} runs; "
                        "+ it hastened it, - it delayed it; held: it happened in fewer than "
                        "half the runs)", show_edge=False)
    table.add_column("switched off")
    for o in outcomes:
        table.add_column(shown(o.replace("quarter_power_day", "power < 25%")), justify="right")
    for mech, rows in table_.groupby("mechanism", sort=False):
        rows = rows.set_index("outcome")
        cells = []
        for o in outcomes:
            r = rows.loc[o]
            if not np.isfinite(r["median_day"]):
                cells.append(held_note(round(r["happened"] * r["runs"]), int(r["runs"])))
            elif mech == BASELINE:
                cells.append(f"day {r['median_day']:.1f}")
            elif np.isfinite(r["shift_days"]):
                cells.append(f"{r['shift_days']:+.1f}")
            else:
                cells.append(f"day {r['median_day']:.1f}")
        table.add_row(mech, *cells)
    out.print(table)


@app.command()
def scenarios(
    show: Annotated[str | None, typer.Option(
        "--show", metavar="NAME",
        help="Print this built-in scenario's YAML, to save as a file and edit.")] = None,
) -> None:
    """List the built-in scenarios, or print one to start a new scenario from."""
    from rich.table import Table

    from rout.scenario.loader import DATA, builtin_scenarios

    known = builtin_scenarios()
    if show is not None:
        if show not in known:
            raise fail(f"--show {show!r}: no such built-in scenario (built-in: "
                       f"{', '.join(known)})")
        sys.stdout.write((DATA / f"{show}.yaml").read_text(encoding="utf-8"))
        return
    table = Table(show_edge=False)
    table.add_column("name")
    table.add_column("description")
    for name, text in known.items():
        table.add_row(name, text)
    out.print(table)


@app.command()
def validate(scenario: ScenarioArg, set_: SetOption = None) -> None:
    """Check a scenario: one line per problem, exit status 2 if there are any."""
    sc = load(scenario, parse_sets(set_))
    events = len(sc.events)
    out.print(f"{shown(scenario)}: valid ({sc.army.strength:,} soldiers, {len(sc.places)} places, "
              f"{len(sc.forces)} forces, {events} event{'s' * (events != 1)})")


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
