"""Where every `rout` command writes: results to stdout, progress and errors to stderr."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
if not out.is_terminal:
    out.width = 120
err = Console(stderr=True)


def fail(lines: list[str] | str) -> typer.Exit:
    """Print readable error lines to stderr and return the exit with status 2."""
    for line in [lines] if isinstance(lines, str) else lines:
        err.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)
