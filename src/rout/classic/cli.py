"""`rout classic NAME`: run one of the classic models and print (or plot) its result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from matplotlib.figure import Figure
from rich.table import Table

from rout.classic import epstein as ep
from rout.classic import granovetter as gr
from rout.classic import kuran as ku
from rout.classic import lanchester as la
from rout.console import fail, out

app = typer.Typer(
    help="The classic models rout builds on: Granovetter, Kuran, Epstein, Lanchester.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
PlotOption = Annotated[
    Path | None, typer.Option("--plot", help="Save a figure here (.png or .svg).")
]


def _check_plot(path: Path | None) -> None:
    """Refuse a bad --plot before any work is done."""
    if path is None:
        return
    if path.suffix.lower() not in (".png", ".svg"):
        raise fail(f"--plot {path}: the file must end in .png or .svg")
    if not path.parent.is_dir():
        raise fail(f"--plot {path}: no directory {path.parent}")


def _grid(start: float, stop: float, step: float, name: str) -> np.ndarray:
    """Inclusive grid start..stop by step, with a readable error for bad bounds."""
    if step <= 0 or stop < start:
        raise fail(f"{name}: need step > 0 and max >= min")
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > 100_000:
        raise fail(f"{name}: {n} points is too many")
    return start + step * np.arange(n)


def _table(df: pd.DataFrame, title: str, digits: int = 3) -> None:
    t = Table(title=title)
    for col in df.columns:
        t.add_column(str(col), justify="right")
    for row in df.itertuples(index=False):
        t.add_row(*[f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row])
    out.print(t)


def _save(fig: Figure, path: Path) -> None:
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise fail(f"--plot {path}: {exc.strerror or exc}") from None
    out.print(f"figure written to {path}")


# Figures are built on matplotlib's Figure, not pyplot, so no GUI backend is touched.


def granovetter_figure(df: pd.DataFrame, n: int, mean: float) -> Figure:
    """Riot size against threshold sd (a `granovetter.sweep_sd` frame)."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.step(df["sd"], df["rioters"], where="mid")
    ax.set(xlabel="sd of thresholds", ylabel="people who riot",
           title=f"Granovetter: {n} people, mean threshold {mean:g}")
    return fig


def kuran_figure(df: pd.DataFrame) -> Figure:
    """The hysteresis loop of a `kuran.sweep` frame."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.plot(df["private"], df["rising"], "-o", ms=3, label="private opposition rising")
    ax.plot(df["private"], df["falling"], "-s", ms=3, label="falling back")
    ax.set(xlabel="mean private opposition", ylabel="public opposition",
           title="Kuran: preference falsification and hysteresis")
    ax.legend()
    return fig


def epstein_figure(df: pd.DataFrame, title: str = "Epstein civil violence, Model I") -> Figure:
    """Quiescent, active and jailed citizens of an `epstein.run` frame."""
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    for col in ("quiescent", "active", "jailed"):
        ax.plot(df["step"], df[col], label=col, lw=1)
    ax.set(xlabel="tick", ylabel="citizens", title=title)
    ax.legend()
    return fig


def lanchester_figure(ode: pd.DataFrame, euler: pd.DataFrame, law: str) -> Figure:
    """Strengths from solve_ivp (solid) and from the engine's stepping (dashed)."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.plot(ode["t"], ode["a"], label="A (solve_ivp)")
    ax.plot(ode["t"], ode["b"], label="B (solve_ivp)")
    ax.plot(euler["t"], euler["a"], "--", label="A (engine steps)")
    ax.plot(euler["t"], euler["b"], "--", label="B (engine steps)")
    ax.set(xlabel="time", ylabel="strength", title=f"Lanchester {law} law")
    ax.legend()
    return fig


@app.command()
def granovetter(
    n: Annotated[int, typer.Option(help="Crowd size.")] = 100,
    mean: Annotated[float, typer.Option(help="Mean threshold (people).")] = 25.0,
    sd_min: Annotated[float, typer.Option(help="Smallest threshold sd.")] = 8.0,
    sd_max: Annotated[float, typer.Option(help="Largest threshold sd.")] = 16.0,
    sd_step: Annotated[float, typer.Option(help="Step of the sd sweep.")] = 0.5,
    seed: Annotated[
        int | None, typer.Option(help="Draw random crowds; without it, expected quantiles.")
    ] = None,
    plot: PlotOption = None,
) -> None:
    """Riot size against the spread of normally distributed thresholds."""
    _check_plot(plot)
    if n < 1 or sd_min < 0:
        raise fail("--n must be >= 1 and --sd-min >= 0")
    sds = _grid(sd_min, sd_max, sd_step, "--sd-min/--sd-max/--sd-step")
    df = gr.sweep_sd(sds, n, mean, rng=seed, expected=seed is None)
    _table(df, f"Granovetter: {n} people, thresholds normal(mean {mean}, sd)", 2)
    jump = np.flatnonzero(np.diff(df["rioters"].to_numpy()) > n / 2)
    if jump.size:
        i = jump[0]
        out.print(f"the riot jumps from {df.rioters[i]} to {df.rioters[i + 1]} people "
                  f"between sd {df.sd[i]:.2f} and {df.sd[i + 1]:.2f}")
    if plot:
        _save(granovetter_figure(df, n, mean), plot)


@app.command()
def kuran(
    n: Annotated[int, typer.Option(help="Population size.")] = 1000,
    mean: Annotated[float, typer.Option(help="Mean private opposition (0-1).")] = 0.4,
    sd: Annotated[float, typer.Option(help="Sd of private opposition.")] = 0.15,
    weight: Annotated[float, typer.Option(help="Weight of expressing one's view.")] = 1.25,
    cost: Annotated[float, typer.Option(help="Reputational cost of dissent.")] = 1.0,
    shift_min: Annotated[float, typer.Option(help="Lowest shift of private opposition.")] = -0.3,
    shift_max: Annotated[float, typer.Option(help="Highest shift.")] = 0.3,
    shift_step: Annotated[float, typer.Option(help="Step of the shift.")] = 0.02,
    seed: Annotated[
        int | None, typer.Option(help="Random population; without it, expected quantiles.")
    ] = None,
    plot: PlotOption = None,
) -> None:
    """Public opposition as private opposition rises and falls back: the hysteresis loop."""
    _check_plot(plot)
    if n < 1 or sd < 0 or cost <= 0 or not 0 <= mean <= 1:
        raise fail("need --n >= 1, --sd >= 0, --cost > 0 and 0 <= --mean <= 1")
    shifts = _grid(shift_min, shift_max, shift_step, "--shift-min/--shift-max/--shift-step")
    df = ku.sweep(ku.population(n, mean, sd, rng=seed), shifts, weight, cost)
    _table(df[["shift", "private", "rising", "falling"]],
           "Kuran: public opposition on the way up and on the way down")
    up = df["rising"].to_numpy()
    if up.size > 1 and np.diff(up).max() > 0.5:
        i = int(np.argmax(np.diff(up)))
        out.print(f"revolution: public opposition leaps from {up[i]:.2f} to {up[i + 1]:.2f} "
                  f"as mean private opposition goes from {df.private[i]:.3f} "
                  f"to {df.private[i + 1]:.3f}")
    if plot:
        _save(kuran_figure(df), plot)


@app.command()
def epstein(
    steps: Annotated[int, typer.Option(help="Ticks to run.")] = 200,
    width: Annotated[int, typer.Option()] = 40,
    height: Annotated[int, typer.Option()] = 40,
    citizen_density: Annotated[float, typer.Option()] = 0.7,
    cop_density: Annotated[float, typer.Option()] = 0.074,
    citizen_vision: Annotated[int, typer.Option()] = 7,
    cop_vision: Annotated[int, typer.Option()] = 7,
    legitimacy: Annotated[float, typer.Option()] = 0.8,
    max_jail_term: Annotated[int, typer.Option()] = 1000,
    active_threshold: Annotated[float, typer.Option()] = 0.1,
    arrest_prob_constant: Annotated[float, typer.Option()] = 2.3,
    ratio_rounding: Annotated[
        str, typer.Option(help="round (Mesa), floor (NetLogo) or none (paper as printed).")
    ] = "round",
    seed: Annotated[int, typer.Option(help="Seed of the random generator.")] = 0,
    every: Annotated[int, typer.Option(help="Print every n-th tick (0: about 20 rows).")] = 0,
    plot: PlotOption = None,
) -> None:
    """Epstein's civil violence (Model I): quiescent, active and jailed over time."""
    _check_plot(plot)
    if steps < 1 or every < 0:
        raise fail("--steps must be >= 1 and --every >= 0")
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
    stride = every or max(1, steps // 20)
    _table(df.iloc[::stride].drop(columns="legitimacy"), "Epstein civil violence, Model I")
    citizens = int(df.iloc[0][["quiescent", "active", "jailed"]].sum())
    b = ep.bursts(df["active"], threshold=max(5.0, 0.02 * citizens))
    out.print(f"{len(b)} outbursts of more than {max(5.0, 0.02 * citizens):.0f} actives; "
              f"mean active {df.active.mean():.1f}, peak {df.active.max()}")
    if plot:
        _save(epstein_figure(df), plot)


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
    """A fight to the finish: closed form, solve_ivp and the engine's stepping side by side."""
    _check_plot(plot)
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
    _table(rows, f"Lanchester {law} law")
    out.print(note)
    out.print(f"engine stepping (dt {dt}): A {euler.a.iloc[-1]:.3f}, B {euler.b.iloc[-1]:.3f} "
              f"at t = {euler.t.iloc[-1]:.3f}")
    if plot:
        _save(lanchester_figure(ode, euler, law), plot)
