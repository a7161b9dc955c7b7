"""Draw the figures of docs/classic/*.md from rout's own classic models.

Run from anywhere: `.venv/bin/python docs/classic/make_figures.py`. Every figure is
seeded, so rerunning gives the same pictures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from rout.classic import epstein as ep
from rout.classic import granovetter as gr
from rout.classic import kuran as ku
from rout.classic import lanchester as la
from rout.classic.cli import granovetter_figure, kuran_figure

IMG = Path(__file__).parent / "img"


def granovetter() -> Figure:
    """Riot size against threshold spread, noiseless crowd."""
    return granovetter_figure(gr.sweep_sd(np.arange(8.0, 16.01, 0.1)), 100, 25.0)


def kuran() -> Figure:
    """The hysteresis loop for the default population."""
    return kuran_figure(ku.sweep(ku.population(), np.arange(-0.3, 0.3001, 0.01)))


def epstein() -> Figure:
    """Run 2's punctuated outbursts, and runs 3-4's sudden against gradual loss of legitimacy."""
    fig = Figure(figsize=(8, 6))
    top, bottom = fig.subplots(2, 1)
    kw = dict(legitimacy=0.82, max_jail_term=30, cop_density=0.04)
    floor = ep.run(300, rng=1, ratio_rounding="floor", **kw)
    plain = ep.run(300, rng=1, ratio_rounding="none", **kw)
    top.plot(floor["step"], floor["active"], lw=1, label="C/A rounded down (NetLogo)")
    top.plot(plain["step"], plain["active"], lw=1, label="C/A as printed")
    top.set(ylabel="active citizens",
            title="Run 2 (L 0.82, cops 0.04, jail up to 30): punctuated outbursts")
    top.legend(loc="upper right")
    steps, t0 = 150, 50
    abrupt, gradual = np.full(steps, 0.9), np.full(steps, 0.9)
    abrupt[t0:] = 0.7
    gradual[t0:] = np.maximum(0.9 - 0.01 * np.arange(1, steps - t0 + 1), 0.7)
    for name, lv in (("sudden drop 0.9 -> 0.7", abrupt), ("0.01 a tick, 0.9 -> 0.7", gradual)):
        runs = [ep.run(steps, rng=seed, legitimacy=lv, max_jail_term=10**6)["active"]
                for seed in range(10)]
        bottom.plot(np.arange(steps + 1), np.mean(runs, axis=0), lw=1, label=name)
    bottom.axvline(t0, color="grey", lw=0.5)
    bottom.set(xlabel="tick", ylabel="active citizens (mean of 10 runs)",
               title="Runs 3-4 (cops 0.074, jail unbounded): how legitimacy falls matters")
    bottom.legend(loc="upper right")
    fig.tight_layout()
    return fig


def lanchester() -> Figure:
    """Square and linear laws: solve_ivp, closed form and the engine's stepping."""
    fig = Figure(figsize=(8, 3.5))
    axes = fig.subplots(1, 2)
    for ax, law, (alpha, beta), t_end in ((axes[0], "square", (0.01, 0.01), 200.0),
                                          (axes[1], "linear", (0.001, 0.001), 300.0)):
        ode = la.solve(100.0, 80.0, alpha, beta, t_end, law)  # type: ignore[arg-type]
        t = ode["t"].to_numpy()
        closed = (la.square_closed_form if law == "square" else la.linear_closed_form)(
            100.0, 80.0, alpha, beta, t)
        euler = la.simulate(100.0, 80.0, alpha, beta, float(t[-1]), 0.5, law)  # type: ignore[arg-type]
        for side, col, y in (("A", "a", closed[0]), ("B", "b", closed[1])):
            ax.plot(t, np.maximum(y, 0), lw=2, alpha=0.5, label=f"{side} closed form")
            ax.plot(euler["t"], euler[col], "--", lw=1, label=f"{side} engine steps (dt 0.5)")
        ax.set(xlabel="time", ylabel="strength", title=f"{law} law, A0 100, B0 80")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def main() -> None:
    IMG.mkdir(exist_ok=True)
    for name, make in (("granovetter", granovetter), ("kuran", kuran), ("epstein", epstein),
                       ("lanchester", lanchester)):
        make().savefig(IMG / f"{name}.png", dpi=110, bbox_inches="tight")
        print(f"wrote {IMG / name}.png")


if __name__ == "__main__":
    main()
