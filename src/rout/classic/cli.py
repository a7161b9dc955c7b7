"""`rout classic NAME`: run one of the classic models and print (or plot) its result.

NumPy, pandas, matplotlib and the models are imported inside the commands, so
`rout --help` stays quick.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rout.console import App, fail, out, table, with_signature

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

app = App(help="The classic models rout builds on: Granovetter, Kuran, Epstein, Lanchester.")


def _plot_path(path: Path | None) -> Path | None:
    """Refuse a bad --plot while the options are read, before any work is done."""
    if path is not None:
        if path.suffix.lower() not in (".png", ".svg"):
            raise fail(f"--plot {path}: the file must end in .png or .svg")
        if not path.parent.is_dir():
            raise fail(f"--plot {path}: no directory {path.parent}")
    return path


PlotOption = Annotated[Path | None, typer.Option(
    "--plot", callback=_plot_path, help="Save a figure here (.png or .svg).")]
Population = Annotated[int, typer.Option("--n", help="Population size (people).")]
DrawOption = Annotated[int | None, typer.Option(
    "--seed", min=0, help="Draw a random population from this seed; without it, the expected "
                   "quantiles of the distribution.")]


Grid = Annotated["np.ndarray", "the values a sweep takes: filled in by @sweeping"]


def _grid(start: float, stop: float, step: float, name: str) -> np.ndarray:
    """Inclusive grid start..stop by step, with a readable error for bad bounds."""
    import numpy as np

    if step <= 0 or stop < start:
        raise fail(f"{name}: need step > 0 and max >= min")
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > 100_000:
        raise fail(f"{name}: {n} points is too many")
    return start + step * np.arange(n)


def sweeping(name: str, what: str, start: float, stop: float, step: float
             ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Let a command sweep its parameter `name` (a `Grid`): Typer sees, in its place, the
    options --NAME-min, --NAME-max and --NAME-step; the command gets the values they span."""
    bounds = {f"{name}_min": (f"Sweep {what} from this value.", start),
              f"{name}_max": (f"Sweep {what} up to this value.", stop),
              f"{name}_step": (f"Sweep {what} by this step.", step)}
    label = "/".join(f"--{key.replace('_', '-')}" for key in bounds)

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name != name:
                params.append(param.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD))
                continue
            params += [inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                         default=default,
                                         annotation=Annotated[float, typer.Option(help=text)])
                       for key, (text, default) in bounds.items()]

        @functools.wraps(command)
        def swept(**options: Any) -> None:
            low, high, by = (options.pop(key) for key in bounds)
            command(**options, **{name: _grid(low, high, by, label)})

        return with_signature(swept, params)

    return decorate


def _show(df: pd.DataFrame, title: str, note: str | None, plot: Path | None,
          figure: Callable[[], Figure], digits: int = 3) -> None:
    """Print the result's table and what it shows; save its figure if --plot asks."""
    out.print(table(df, title, lambda v: f"{v:.{digits}f}" if isinstance(v, float) else str(v)))
    if note:
        out.print(note)
    if plot is None:
        return
    try:
        figure().savefig(plot, dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise fail(f"--plot {plot}: {exc.strerror or exc}") from None
    out.print(f"figure written to {plot}")


# Figures are built on matplotlib's Figure, not pyplot, so no GUI backend is touched.


def _axes(size: tuple[float, float]) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.subplots()


def granovetter_figure(df: pd.DataFrame, n: int, mean: float) -> Figure:
    """Riot size against threshold sd (a `granovetter.sweep_sd` frame)."""
    fig, ax = _axes((6, 3.5))
    ax.step(df["sd"], df["rioters"], where="mid")
    ax.set(xlabel="sd of thresholds", ylabel="people who riot",
           title=f"Granovetter: {n} people, mean threshold {mean:g}")
    return fig


def kuran_figure(df: pd.DataFrame) -> Figure:
    """The hysteresis loop of a `kuran.sweep` frame."""
    fig, ax = _axes((6, 3.5))
    ax.plot(df["private"], df["rising"], "-o", ms=3, label="private opposition rising")
    ax.plot(df["private"], df["falling"], "-s", ms=3, label="falling back")
    ax.set(xlabel="mean private opposition", ylabel="public opposition",
           title="Kuran: preference falsification and hysteresis")
    ax.legend()
    return fig


def epstein_figure(df: pd.DataFrame, title: str = "Epstein civil violence, Model I") -> Figure:
    """Quiescent, active and jailed citizens of an `epstein.run` frame."""
    fig, ax = _axes((7, 3.5))
    for col in ("quiescent", "active", "jailed"):
        ax.plot(df["step"], df[col], label=col, lw=1)
    ax.set(xlabel="tick", ylabel="citizens", title=title)
    ax.legend()
    return fig


def lanchester_figure(ode: pd.DataFrame, euler: pd.DataFrame, law: str) -> Figure:
    """Strengths from solve_ivp (solid) and from the engine's stepping (dashed)."""
    fig, ax = _axes((6, 3.5))
    ax.plot(ode["t"], ode["a"], label="A (solve_ivp)")
    ax.plot(ode["t"], ode["b"], label="B (solve_ivp)")
    ax.plot(euler["t"], euler["a"], "--", label="A (engine steps)")
    ax.plot(euler["t"], euler["b"], "--", label="B (engine steps)")
    ax.set(xlabel="time", ylabel="strength", title=f"Lanchester {law} law")
    ax.legend()
    return fig


@app.command()
@sweeping("sd", "the threshold sd", 8.0, 16.0, 0.5)
def granovetter(
    n: Population = 100,
    mean: Annotated[float, typer.Option(help="Mean threshold (people).")] = 25.0,
    *,
    sd: Grid,
    seed: DrawOption = None,
    plot: PlotOption = None,
) -> None:
    """Riot size against the spread of normally distributed thresholds."""
    import numpy as np

    from rout.classic import granovetter as gr

    if n < 1 or sd[0] < 0:
        raise fail("--n must be >= 1 and --sd-min >= 0")
    df = gr.sweep_sd(sd, n, mean, rng=seed, expected=seed is None)
    jump = np.flatnonzero(np.diff(df["rioters"].to_numpy()) > n / 2)
    note = None
    if jump.size:
        i = jump[0]
        note = (f"the riot jumps from {df.rioters[i]} to {df.rioters[i + 1]} people "
                f"between sd {df.sd[i]:.2f} and {df.sd[i + 1]:.2f}")
    _show(df, f"Granovetter: {n} people, thresholds normal(mean {mean}, sd)", note, plot,
          lambda: granovetter_figure(df, n, mean), digits=2)


@app.command()
@sweeping("shift", "the shift of private opposition", -0.3, 0.3, 0.02)
def kuran(
    n: Population = 1000,
    mean: Annotated[float, typer.Option(help="Mean private opposition (0-1).")] = 0.4,
    sd: Annotated[float, typer.Option(help="Sd of private opposition.")] = 0.15,
    weight: Annotated[float, typer.Option(help="Weight of expressing one's view.")] = 1.25,
    cost: Annotated[float, typer.Option(help="Reputational cost of dissent.")] = 1.0,
    *,
    shift: Grid,
    seed: DrawOption = None,
    plot: PlotOption = None,
) -> None:
    """Kuran's hysteresis: public opposition as private opposition rises and falls back.

    Everyone's private opposition is shifted up through the sweep, then back down; each
    step starts from the public opposition the one before left."""
    import numpy as np

    from rout.classic import kuran as ku

    if n < 1 or sd < 0 or cost <= 0 or not 0 <= mean <= 1:
        raise fail("need --n >= 1, --sd >= 0, --cost > 0 and 0 <= --mean <= 1")
    df = ku.sweep(ku.population(n, mean, sd, rng=seed), shift, weight, cost)
    up = df["rising"].to_numpy()
    note = None
    if up.size > 1 and np.diff(up).max() > 0.5:
        i = int(np.argmax(np.diff(up)))
        note = (f"revolution: public opposition leaps from {up[i]:.2f} to {up[i + 1]:.2f} "
                f"as mean private opposition goes from {df.private[i]:.3f} "
                f"to {df.private[i + 1]:.3f}")
    _show(df[["shift", "private", "rising", "falling"]],
          "Kuran: public opposition on the way up and on the way down", note, plot,
          lambda: kuran_figure(df))


@app.command()
def epstein(
    steps: Annotated[int, typer.Option(min=1, help="Ticks to run.")] = 200,
    width: Annotated[int, typer.Option(help="Width of the torus grid (cells).")] = 40,
    height: Annotated[int, typer.Option(help="Height of the torus grid (cells).")] = 40,
    citizen_density: Annotated[float, typer.Option(help="Share of cells with a citizen.")] = 0.7,
    cop_density: Annotated[float, typer.Option(help="Share of cells with a cop.")] = 0.074,
    citizen_vision: Annotated[int, typer.Option(help="How far citizens see (cells).")] = 7,
    cop_vision: Annotated[int, typer.Option(help="How far cops see (cells).")] = 7,
    legitimacy: Annotated[float, typer.Option(help="L, the regime's legitimacy (0-1).")] = 0.8,
    max_jail_term: Annotated[int, typer.Option(help="Longest jail term (ticks).")] = 1000,
    active_threshold: Annotated[float, typer.Option(help="T: active when G - R P > T.")] = 0.1,
    arrest_prob_constant: Annotated[float, typer.Option(help="k in P = 1 - exp(-k [C/A]).")] = 2.3,
    ratio_rounding: Annotated[str, typer.Option(help="[C/A]: round, floor or none.")] = "round",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random generator.")] = 0,
    every: Annotated[int, typer.Option(min=0, help="Print every n-th tick (0: some 20 rows).")] = 0,
    plot: PlotOption = None,
) -> None:
    """Epstein's civil violence (Model I): quiescent, active and jailed over time.

    A citizen of hardship H and risk aversion R is active while its grievance G = H (1 - L)
    less its net risk R P exceeds T, P = 1 - exp(-k [C/A]) being its estimated chance of
    arrest with C cops and A active citizens (itself included) in sight; [C/A] is rounded
    as in Mesa (round), as in NetLogo (floor) or not at all (none, as printed in the paper).
    A cop arrests an active citizen in sight; jail terms are uniform on 0..max-jail-term.
    """
    from rout.classic import epstein as ep

    try:
        df = ep.run(
            steps, rng=seed, width=width, height=height, citizen_density=citizen_density,
            cop_density=cop_density, citizen_vision=citizen_vision, cop_vision=cop_vision,
            legitimacy=legitimacy, max_jail_term=max_jail_term,
            active_threshold=active_threshold, arrest_prob_constant=arrest_prob_constant,
            ratio_rounding=ratio_rounding,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    citizens = int(df.iloc[0][["quiescent", "active", "jailed"]].sum())
    least = max(5.0, 0.02 * citizens)
    b = ep.bursts(df["active"], threshold=least)
    title = "Epstein civil violence, Model I"
    _show(df.iloc[::every or max(1, steps // 20)].drop(columns="legitimacy"), title,
          f"{len(b)} outbursts of more than {least:.0f} actives; "
          f"mean active {df.active.mean():.1f}, peak {df.active.max()}", plot,
          lambda: epstein_figure(df, title))


@app.command()
def lanchester(
    a0: Annotated[float, typer.Option(help="Side A's initial strength.")] = 100.0,
    b0: Annotated[float, typer.Option(help="Side B's initial strength.")] = 80.0,
    alpha: Annotated[float, typer.Option(help="A's effectiveness against B.")] = 0.01,
    beta: Annotated[float, typer.Option(help="B's effectiveness against A.")] = 0.01,
    law: Annotated[str, typer.Option(help="square or linear.")] = "square",
    t_end: Annotated[float, typer.Option(help="Longest time to integrate.")] = 500.0,
    dt: Annotated[float, typer.Option(help="Euler step of the engine's combat.")] = 0.01,
    plot: PlotOption = None,
) -> None:
    """A fight to the finish: closed form, solve_ivp and the engine's stepping compared."""
    import numpy as np
    import pandas as pd

    from rout.classic import lanchester as la

    if law not in ("square", "linear"):
        raise fail(f"--law must be square or linear, got {law!r}")
    if min(a0, b0) <= 0 or min(alpha, beta) <= 0 or dt <= 0 or t_end <= 0:
        raise fail("strengths, alpha, beta, dt and t-end must all be > 0")
    if t_end / dt > 5e6:
        raise fail("t-end / dt is above 5,000,000 steps; raise --dt")
    ode = la.solve(a0, b0, alpha, beta, t_end, law)  # type: ignore[arg-type]
    euler = la.simulate(a0, b0, alpha, beta, float(ode["t"].iloc[-1]), dt, law)  # type: ignore[arg-type]
    if law == "square":
        winner, left, duration = la.square_outcome(a0, b0, alpha, beta)
        exact = la.square_closed_form(a0, b0, alpha, beta, ode["t"].to_numpy())
        note = f"closed form: {winner} wins with {left:.3f} left at t = {duration:.3f}"
    else:
        winner, left = la.linear_outcome(a0, b0, alpha, beta)
        exact = la.linear_closed_form(a0, b0, alpha, beta, ode["t"].to_numpy())
        note = f"closed form: {winner} is left with {left:.3f} (approached as t grows)"
    idx = np.linspace(0, len(ode) - 1, 11).round().astype(int)
    rows = pd.DataFrame({
        "t": ode["t"].to_numpy()[idx],
        "A closed": np.maximum(exact[0][idx], 0.0), "A solve_ivp": ode["a"].to_numpy()[idx],
        "B closed": np.maximum(exact[1][idx], 0.0), "B solve_ivp": ode["b"].to_numpy()[idx],
    })
    note += (f"\nengine stepping (dt {dt}): A {euler.a.iloc[-1]:.3f}, "
             f"B {euler.b.iloc[-1]:.3f} at t = {euler.t.iloc[-1]:.3f}")
    _show(rows, f"Lanchester {law} law", note, plot,
          lambda: lanchester_figure(ode, euler, law))
