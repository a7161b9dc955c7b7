"""`rout report` and `rout serve`, added to the main command by `register(app)`.

The heavy modules are imported inside the commands, so `rout --help` stays quick.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from rout.console import (
    DaysOption,
    RunsOption,
    ScenarioArg,
    SeedOption,
    SetOption,
    err,
    fail,
    load,
    out,
    parse_sets,
    progress,
)


def report(
    scenario: ScenarioArg = "syria-2024",
    runs: RunsOption = 1,
    seed: SeedOption = 1,
    set_: SetOption = None,
    days: DaysOption = None,
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path(
        "report.html"),
    discovery: Annotated[Path | None, typer.Option(
        help="A stored discovery (the --out folder of rout discover, or its JSON file): "
             "adds what would have held it.")] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Add what each mechanism did: each switched off in turn over the "
                          "same runs, as rout explain does (one more run per mechanism "
                          "and run).")] = False,
) -> None:
    """Write one self-contained HTML report: timeline, plots, map, drivers, stories."""
    from rout.viz.report import simulate_runs, write

    if out_file.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--out {out_file}: the report is HTML; use a name ending in .html")
    if out_file.is_dir():
        raise fail(f"--out {out_file}: is a folder; give a file name ending in .html")
    found = None
    if discovery is not None:
        from rout.experiments.discover import Discovery

        try:
            found = Discovery.read(discovery)
        except ValueError as exc:
            raise fail(f"--discovery {exc}") from None
    overrides = parse_sets(set_)
    sc = load(scenario, parse_sets(set_, days))
    with progress(runs, f"{sc.name}, {sc.army.strength:,} soldiers") as advance:
        results = simulate_runs(scenario, runs, seed, overrides, days, progress=advance)
    table = None
    if explain:
        from rout.explain import ablation
        from rout.model.schedule import switches

        over = parse_sets(set_, days)
        with progress(len(switches()) * runs + runs, "each mechanism off in turn") as advance:
            table = ablation(scenario, runs, None, over, seed, progress=advance)
    try:
        path = write(results, out_file, overrides, found, table)
    except OSError as exc:
        raise fail(f"--out {out_file}: cannot write: {exc.strerror or exc}") from None
    out.print(f"report written to [bold]{path}[/bold] ({runs} run{'s' if runs > 1 else ''}, "
              f"root seed {seed})")


def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on (keep it local).")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, max=32,
                                         help="Worker processes for the ensembles.")] = 2,
) -> None:
    """Open the dashboard: levers, an ensemble of runs, the map through time."""
    try:
        from rout.web.app import serve as run_server
    except ImportError as exc:
        raise fail(f"rout serve needs the web extra ({exc.name} is missing): "
                   "pip install 'rout[web]'") from None
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if not _local(host):
        err.print(f"[yellow]warning:[/yellow] {host} is reachable from other machines and the "
                  "dashboard has no login", highlight=False)
    err.print(f"starting the dashboard ({workers} workers)...", highlight=False)
    address = f"[{host}]" if ":" in host else host
    run_server(host, port, workers, ready=lambda: err.print(
        f"rout dashboard on http://{address}:{port}/ (Ctrl+C to stop)", highlight=False))


def _local(host: str) -> bool:
    """Whether an address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    """Add `report` and `serve` to a Typer app (the `rout` command)."""
    app.command("report")(report)
    app.command("serve")(serve)
