"""Plots of a run or an ensemble of runs, as matplotlib Figures.

Figures are built with `matplotlib.figure.Figure`, never pyplot: no global
state, no GUI backend needed (safe on headless servers and in worker
processes), and Jupyter still shows a returned Figure inline. Every function
takes one Run or several (same scenario, different seeds); with several it
draws the median and a 5-95% band, so the spread across seeds is visible.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rout.experiments.summary import QUANTILES, held_note, quantiles, summarise_days
from rout.model.registry import BASELINE, STATE_NAMES, STATES, TERMS
from rout.model.results import Run, date_of, series_column

Runs = Run | Sequence[Run]

STATE_COLOURS = {s.name: s.colour for s in STATES}
MECHANISM_COLOURS = {t.name: t.colour for t in (*TERMS, BASELINE)}
SUFFIXES = (".png", ".svg", ".pdf")


def as_runs(runs: Runs) -> list[Run]:
    """One Run or several as a non-empty list, so every plot handles both alike."""
    out = [runs] if isinstance(runs, Run) else list(runs)
    if not out:
        raise ValueError("no runs to plot")
    return out


def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 5th and 95th percentiles across runs (axis 0), as every summary takes them."""
    lo, mid, hi = quantiles(values, QUANTILES, axis=0)
    return mid, lo, hi


def stack(runs: list[Run], column: str) -> tuple[np.ndarray, np.ndarray]:
    """Days and a (runs, steps) array of one series column, cut to the shortest run."""
    n = min(len(r.series) for r in runs)
    days = runs[0].series["day"].to_numpy()[:n]
    return days, np.stack([r.series[column].to_numpy(dtype=float)[:n] for r in runs])


def save(fig: Figure, path: str | Path | None) -> Figure:
    """Write the figure if a path is given; the format follows the suffix."""
    if path is not None:
        path = Path(path)
        if path.suffix.lower() not in SUFFIXES:
            raise ValueError(f"{path}: use a .png, .svg or .pdf file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def _axes(ax: Axes | None, size: tuple[float, float] = (8.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


def _line(ax: Axes, days: np.ndarray, values: np.ndarray, label: str, colour: str) -> None:
    """A median line, with its 5-95% band when there are several runs."""
    mid, lo, hi = band(values)
    if values.shape[0] > 1:
        ax.fill_between(days, lo, hi, color=colour, alpha=0.2, linewidth=0)
    ax.plot(days, mid, color=colour, label=label, linewidth=1.8)


def _title(ax: Axes, runs: list[Run], what: str, stat: str = "median and 5-95%") -> None:
    k = len(runs)
    seeds = f"{k} seeds, {stat}" if k > 1 else f"seed {runs[0].seed.entropy}"
    ax.set_title(f"{runs[0].scenario.name}: {what} ({seeds})", loc="left", fontsize=10)


def _day_axis(ax: Axes, run: Run) -> None:
    start = run.scenario.start_date
    ax.set_xlabel(f"day (0 = {start:%d %b %Y})" if start else "day")
    ax.grid(alpha=0.3)


def strength(runs: Runs, states: Sequence[str] = STATE_NAMES, ax: Axes | None = None,
             path: str | Path | None = None) -> Figure:
    """Soldiers in each state over time: how the army drains away, and into what."""
    rs = as_runs(runs)
    bad = [s for s in states if s not in STATE_NAMES]
    if bad:
        raise ValueError(f"unknown state {bad[0]!r}; states are {', '.join(STATE_NAMES)}")
    ax = _axes(ax)
    for s in states:
        days, values = stack(rs, s)
        if np.nanmax(values) > 0:
            _line(ax, days, values, s.replace("_", " "), STATE_COLOURS[s])
    ax.set_ylabel("soldiers")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    _day_axis(ax, rs[0])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    _title(ax, rs, "soldiers by state")
    return save(ax.figure, path)


def desertion(runs: Runs, by: str = "rank", ax: Axes | None = None,
              path: str | Path | None = None) -> Figure:
    """Share of each rank or group that has left: who breaks first."""
    if by not in ("rank", "group"):
        raise ValueError(f"desertion: by must be rank or group, got {by!r}")
    rs = as_runs(runs)
    ax = _axes(ax)
    colours = iter(("#c53030", "#dd6b20", "#2b6cb0", "#2f855a", "#6b46c1", "#718096",
                    "#b7791f", "#285e61"))
    for label, total in rs[0].sizes(by).items():
        days, values = stack(rs, series_column(by, label, "left"))
        _line(ax, days, values / total, label, next(colours, "#4a5568"))
    ax.set_ylabel("share that has left")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter("{x:.0%}")
    _day_axis(ax, rs[0])
    ax.legend(frameon=False, fontsize=8)
    _title(ax, rs, f"desertion by {by}")
    return save(ax.figure, path)


def morale(runs: Runs, ax: Axes | None = None, path: str | Path | None = None) -> Figure:
    """Mean effort and mean credibility of promises: the army's will before it leaves."""
    rs = as_runs(runs)
    ax = _axes(ax)
    for column, label, colour in (("mean_effort", "mean effort", "#2f855a"),
                                  ("mean_credibility", "mean credibility", "#2b6cb0"),
                                  ("power_share", "effective power (share of start)",
                                   "#718096")):
        days, values = stack(rs, column)
        _line(ax, days, values, label, colour)
    ax.set_ylim(0, max(1.0, float(ax.get_ylim()[1])))
    _day_axis(ax, rs[0])
    ax.legend(frameon=False, fontsize=8)
    _title(ax, rs, "effort and credibility")
    return save(ax.figure, path)


def drivers_by_day(runs: Runs) -> pd.DataFrame:
    """Departures per day and mechanism, averaged over runs (a day with none counts as 0)."""
    rs = as_runs(runs)
    frames = [r.drivers("day") for r in rs]
    wide = pd.concat(frames).groupby(["day", "mechanism"])["departures"].sum().unstack(
        fill_value=0.0) / len(rs)
    days = np.arange(int(np.ceil(max(r.series["day"].iloc[-1] for r in rs))) + 1)
    cols = [m for m in MECHANISM_COLOURS if m in wide.columns]
    return wide.reindex(index=days, columns=cols, fill_value=0.0).rename_axis("day")


def drivers(runs: Runs, ax: Axes | None = None, path: str | Path | None = None) -> Figure:
    """Decisions to leave each day, split over what pushed the soldiers out."""
    rs = as_runs(runs)
    wide = drivers_by_day(rs)
    ax = _axes(ax)
    bottom = np.zeros(len(wide))
    for mech in wide.columns:
        values = wide[mech].to_numpy()
        if values.sum() > 0:
            ax.bar(wide.index, values, bottom=bottom, width=0.8, color=MECHANISM_COLOURS[mech],
                   label=mech, align="edge")
            bottom += values
    ax.set_ylabel("decisions to leave per day" + (" (mean over runs)" if len(rs) > 1 else ""))
    ax.yaxis.set_major_formatter("{x:,.0f}")
    _day_axis(ax, rs[0])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    _title(ax, rs, "drivers of desertion", stat="mean")
    return save(ax.figure, path)


FALL_COLUMNS = ["place", "observed", "runs", "fell_runs", "fell", "held", "median", "p05",
                "p95"]


def fall_table(runs: Runs) -> pd.DataFrame:
    """Per observed place: the recorded fall day, the runs, in how many it fell (and the
    share), whether it held (it fell in fewer than half the runs, `summary`'s one rule) and
    the simulated median and 5-95% (NaN where it fell in fewer runs than the quantile needs:
    a held place has no median)."""
    rs = as_runs(runs)
    tl = [r.timeline() for r in rs]
    sim = np.stack([t["simulated"].to_numpy(dtype=float) for t in tl])
    rows = []
    for j, place in enumerate(tl[0]["place"]):
        s = summarise_days(sim[:, j])
        rows.append({"place": place, "observed": float(tl[0]["observed"].iloc[j]),
                     "runs": s.runs, "fell_runs": s.happened, "fell": s.share, "held": s.held,
                     "median": s.median, "p05": s.p05, "p95": s.p95})
    return pd.DataFrame(rows, columns=FALL_COLUMNS)


def falls(runs: Runs, ax: Axes | None = None, path: str | Path | None = None) -> Figure:
    """Simulated against recorded fall dates, place by place: the model's test."""
    rs = as_runs(runs)
    table = fall_table(rs).sort_values("observed", ascending=False).reset_index(drop=True)
    ax = _axes(ax, (8.0, max(2.0, 0.5 * len(table) + 1.2)))
    horizon = float(rs[0].series["day"].iloc[-1])
    y = np.arange(len(table))
    ax.scatter(table["observed"], y, marker="D", color="black", zorder=3, label="recorded")
    have = table["median"].notna().to_numpy()
    t = table[have]
    upper = np.where(np.isfinite(t["p95"]), t["p95"], horizon)
    ax.errorbar(t["median"], y[have], xerr=[t["median"] - t["p05"], upper - t["median"]],
                fmt="o", color="#CC6677", capsize=3, zorder=2,
                label="simulated" + (" (median, 5-95%)" if len(rs) > 1 else ""))
    for yi, row in zip(y, table.itertuples(), strict=True):
        note = (held_note(row.fell_runs, row.runs) if row.held
                else f"fell in {row.fell_runs} of {row.runs}" if row.fell_runs < row.runs
                else "")
        if note:
            ax.annotate(note, (horizon, yi), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#4a5568")
    ax.axvline(horizon, color="#a0aec0", linestyle=":", linewidth=1)
    ax.set_yticks(y, table["place"])
    ax.set_xlim(0, horizon * 1.15 + 0.5)
    if len(table) == 0:
        ax.text(0.5, 0.5, "no recorded outcomes in this scenario", transform=ax.transAxes,
                ha="center", va="center", color="#4a5568")
    _day_axis(ax, rs[0])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    _title(ax, rs, "falls, simulated against the record")
    return save(ax.figure, path)


def explain(table: pd.DataFrame, path: str | Path | None = None) -> Figure:
    """Days each mechanism moved each outcome (`rout.explain.ablation`'s table): a panel per
    outcome, a row per mechanism switched off, the shift of the median day (positive: the
    mechanism hastened it) and, as a bar, where the ablated runs' 5-95% lie against the
    median with every mechanism on. `held` marks a case that happened in fewer than half
    its runs (it then has no median to move)."""
    from rout.explain import BASELINE

    outcomes = list(dict.fromkeys(table["outcome"]))
    if not outcomes:
        raise ValueError("explain: the table has no outcomes")
    mechanisms = [m for m in dict.fromkeys(table["mechanism"]) if m != BASELINE]
    cols = min(3, len(outcomes))
    rows = -(-len(outcomes) // cols)
    fig = Figure(figsize=(3.6 * cols, 0.22 * len(mechanisms) * rows + 1.1 * rows + 0.4),
                 layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    y = np.arange(len(mechanisms))
    runs = int(table["runs"].iloc[0])
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        t = table[table["outcome"] == outcome].set_index("mechanism")
        base = t.loc[BASELINE]
        ax.axvline(0, color="#4a5568", linewidth=0.8)
        name = outcome.replace("quarter_power_day", "power < 25%")
        ax.set_yticks(y, mechanisms, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8, labelbottom=True)
        day = base["median_day"]
        if not np.isfinite(day):  # nothing to move: say so
            ax.set_title(f"{name}: {held_note(round(base['happened'] * runs), runs)} with "
                         "all on", loc="left", fontsize=8)
            continue
        ax.set_title(f"{name} (all on: day {day:.1f})", loc="left", fontsize=9)
        for yi, mech in zip(y, mechanisms, strict=True):
            r = t.loc[mech]
            if not np.isfinite(r["median_day"]):
                ax.annotate("held", (0, yi), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="#882255")
                continue
            if np.isfinite(r["p95"]):  # the 5-95% of its runs, against the baseline
                ax.plot([r["p05"] - day, r["p95"] - day], [yi, yi], color="#88CCEE",
                        linewidth=3, solid_capstyle="butt")
            ax.plot(r["shift_days"], yi, "o", color="#332288", markersize=4)
    axes.flat[0].set_ylim(len(mechanisms) - 0.5, -0.5)  # shared: the first on top
    for ax in axes.flat[len(outcomes):]:
        ax.axis("off")
    fig.supxlabel("days later without the mechanism (+: it hastened the outcome); bar: "
                  f"5-95% of its {runs} runs", fontsize=9)
    return save(fig, path)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def show_inline_in_ipython() -> None:
    """In Jupyter or IPython, show a returned Figure as a PNG image at once.

    rout draws without pyplot, and it is pyplot's inline backend that teaches IPython
    to show figures, so in a fresh kernel a Figure would read `<Figure size 800x400>`
    until `%matplotlib inline`. Called when the plots are first imported; a printer
    already there (`%matplotlib inline`'s) is kept."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    if formatter.for_type(Figure) is None:
        formatter.for_type(Figure, _png)


def date_label(run: Run, day: float) -> str:
    """`day 2.5 (29 Nov)`, or `day 2.5` without a start date; `-` when it did not happen."""
    if not np.isfinite(day):
        return "-"
    when = date_of(run.scenario, day)
    return f"day {day:.1f}" + (f" ({when:%d %b})" if when else "")


show_inline_in_ipython()
