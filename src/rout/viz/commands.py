"""`rout report` and `rout serve`, added to the main command by `register(app)`.

rout.cli is imported inside the commands, not at the top, so cli.py may call
`register` while it is itself being imported.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from rout.console import err, fail, out

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: KEY=VALUE (repeatable)."),
]


def report(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "syria-2024",
    runs: Annotated[int, typer.Option(min=1, max=200,
                                      help="Seeds seed..seed+N-1; N > 1 draws 5-95% bands.")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="First seed.")] = 1,
    set_: SetOption = None,
    days: Annotated[float | None, typer.Option(min=0.01, help="Horizon in days.")] = None,
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path(
        "report.html"),
) -> None:
    """Write one self-contained HTML report: timeline, plots, map, drivers, stories."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from rout.cli import parse_sets
    from rout.scenario.loader import ScenarioError, load_scenario
    from rout.viz.report import simulate_seeds, write

    if out_file.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--out {out_file}: the report is HTML; use a name ending in .html")
    if out_file.is_dir():
        raise fail(f"--out {out_file}: is a folder; give a file name ending in .html")
    overrides = parse_sets(set_)
    try:
        sc = load_scenario(scenario, {**overrides, **({"days": days} if days else {})})
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"{sc.name}, {sc.army.strength:,} soldiers", total=runs)
        results = simulate_seeds(scenario, runs, seed, overrides, days,
                                 progress=lambda k: bar.advance(task, k))
    try:
        path = write(results, out_file, overrides)
    except OSError as exc:
        raise fail(f"--out {out_file}: cannot write: {exc.strerror or exc}") from None
    out.print(f"report written to [bold]{path}[/bold] ({runs} run{'s' if runs > 1 else ''}, "
              f"seeds {seed}..{seed + runs - 1})")


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
    err.print(f"rout dashboard on http://{host}:{port}/ ({workers} workers; Ctrl+C to stop)",
              highlight=False)
    run_server(host, port, workers)


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
