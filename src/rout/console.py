"""What every `rout` command shares: where it writes (results to stdout, progress and errors
to stderr), its app and common options, and the one way it reports a bad input.

Only Typer and Rich are imported here; what the commands need besides (the model, NumPy,
pandas) they import inside themselves, so `rout --help` answers at once."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from rout.scenario.schema import Scenario


class _Console:
    """A Rich console made when first used: Rich takes as long to import as Typer, and
    `rout --help` prints nothing through it."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
            if not self._stderr and not self._console.is_terminal:
                self._console.width = 120
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich(), name)


out = cast("Console", _Console())
err = cast("Console", _Console(stderr=True))

ScenarioArg = Annotated[str, typer.Argument(help="Built-in name or YAML file.")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario value: KEY=VALUE (repeatable).")]
SeedOption = Annotated[int, typer.Option(
    min=0, help="Root seed: run r of several uses its child SeedSequence r.")]
DaysOption = Annotated[float | None, typer.Option(min=0.01, help="Horizon in days.")]
FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]
RunsOption = Annotated[int, typer.Option(
    "--runs", min=1, max=1_000_000, help="Number of runs: the root seed's children 0..N-1.")]


class Group(TyperGroup):
    """A command of commands whose `--help`, when not given, is False rather than None:
    Typer coerces a None through a pydantic validator, which costs `rout sweep --help` and
    `rout classic epstein --help` the import of pydantic."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


class App(typer.Typer):
    """A Typer app as `rout` wants it: help when called bare, no shell-completion options,
    no traceback, and Click's plain help, which shows a flag as a flag (Typer's rich help
    writes `--resume <bool>`) and spares each `--help` a Markdown parser's import."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**{"cls": Group, "no_args_is_help": True, "add_completion": False,
                            "pretty_exceptions_enable": False, "rich_markup_mode": None,
                            "context_settings": {"max_content_width": 100}, **settings})


def with_signature(function: Callable[..., Any], params: list[inspect.Parameter]
                   ) -> Callable[..., Any]:
    """`function` (which takes its options as keywords) as Typer will read it: with these
    parameters, for decorators that add options to a command or turn one into several."""
    signature = inspect.Signature(params)
    function.__signature__ = signature  # type: ignore[attr-defined]
    function.__annotations__ = {p.name: p.annotation for p in params}
    return function


def fail(lines: list[str] | str) -> typer.Exit:
    """Print readable error lines to stderr and return the exit with status 2."""
    from rich.markup import escape

    for line in [lines] if isinstance(lines, str) else lines:
        err.print(f"[red]error:[/red] {escape(safe(line))}", highlight=False, soft_wrap=True,
                  emoji=False)
    return typer.Exit(2)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: object) -> str:
    """Text from a scenario (or any input) as the terminal may show it: control characters
    (escape sequences, carriage returns, newlines, bidirectional overrides) written as
    `\\x1b` or `\\u202e`, so they can neither move the cursor nor restyle the screen."""
    def escaped(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return _CONTROL.sub(escaped, str(text))


def shown(text: object) -> str:
    """Scenario text for Rich: `safe`, with its square brackets taken as text, not markup."""
    from rich.markup import escape

    return escape(safe(text))


def _command_context() -> Any:
    """The running command's context, or None outside a command. Newer typer carries its own
    copy of click (and click itself may not be installed)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context
    return get_current_context(silent=True)


def warn(lines: list[str]) -> None:
    """Print warnings to stderr, one line each, each once in a command."""
    from rich.markup import escape

    ctx = _command_context()
    warned: set[str] = ctx.find_root().meta.setdefault("rout.warned", set()) if ctx else set()
    for line in lines:
        if line not in warned:
            warned.add(line)
            err.print(f"[yellow]warning:[/yellow] {escape(safe(line))}", highlight=False,
                      soft_wrap=True, emoji=False)


def _try_writing(folder: Path, what: str) -> None:
    """Make a folder (and those above it) and write a test file there, or exit 2."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise fail(f"{what}: cannot write there: "
                   f"{exc.strerror or type(exc).__name__}") from None


def out_folder(path: Path, option: str = "--out") -> Path:
    """A folder to write into, created now (before any work) and tried with a test file,
    or exit 2 naming what is wrong: a file in its place or on its way, no permission."""
    if path.exists() and not path.is_dir():
        raise fail(f"{option} {path}: exists and is not a folder")
    _try_writing(path, f"{option} {path}")
    return path


def out_file(path: Path, option: str = "--out") -> Path:
    """A file to write later: its folder checked (and created) now, or exit 2."""
    if path.is_dir():
        raise fail(f"{option} {path}: is a folder, not a file")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise fail(f"{option} {path}: {folder} is not a folder")
    _try_writing(folder, f"{option} {path}")
    return path


def parse_sets(items: list[str] | None, days: float | None = None) -> dict[str, Any]:
    """--set KEY=VALUE pairs (and --days) as a dict of overrides."""
    from rout.scenario.loader import parse_value

    overrides: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"--set {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = parse_value(value)
    if days is not None:
        overrides["days"] = days
    return overrides


def check_format(value: str, allowed: tuple[str, ...] = ("table", "json")) -> str:
    """The --format value, or exit 2."""
    if value not in allowed:
        raise fail(f"--format must be {' or '.join(allowed)}, got {value!r}")
    return value


def load(scenario: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario with its overrides, or exit 2 with one line per problem; its warnings
    (`rout.scenario.loader.scenario_warnings`) printed to stderr, each once."""
    import warnings

    from rout.scenario.loader import ScenarioError, ScenarioWarning, load_scenario

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            loaded = load_scenario(scenario, overrides)
        except ScenarioError as exc:
            raise fail(str(exc).splitlines()) from None
    for w in caught:
        if not issubclass(w.category, ScenarioWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    warn([str(w.message) for w in caught if issubclass(w.category, ScenarioWarning)])
    # told once here: the runs this command makes in this process load it again, silently
    warnings.filterwarnings("ignore", category=ScenarioWarning)
    return loaded


@contextmanager
def progress(total: int, label: str, unit: str = "runs") -> Iterator[Callable[[int], None]]:
    """A Rich progress bar with the time left, on stderr; yields `advance(k)`."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn(f"{{task.completed}}/{{task.total}} {unit}"),
                  TimeRemainingColumn(), console=cast(_Console, err).rich(), transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


def table(frame: pd.DataFrame, title: str | None = None,
          cell: Callable[[Any], str] = str) -> Table:
    """A data frame as a Rich table: numeric columns to the right, each value written by `cell`
    (the title and the column names, which may hold scenario text, as `shown`)."""
    from pandas.api.types import is_numeric_dtype
    from rich.table import Table

    result = Table(title=None if title is None else shown(title), show_edge=False)
    for col in frame.columns:
        result.add_column(shown(col), justify="right" if is_numeric_dtype(frame[col]) else "left")
    for row in frame.itertuples(index=False):
        result.add_row(*(cell(v) for v in row))
    return result
