"""Plots of a run or an ensemble of runs, as matplotlib Figures.

Figures are built with `matplotlib.figure.Figure`, never pyplot: no global
state, no GUI backend needed (safe on headless servers and in worker
processes), and Jupyter still shows a returned Figure inline. Every function
takes one Run or several (same scenario, different seeds); with several it
draws the median and a 5-95% band, so the spread across seeds is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rout.model.engine import TERMS
from rout.model.state import STATES
from rout.run import Run, date_of
from rout.scenario.schema import RANKS

Runs = Run | Sequence[Run]

STATE_COLOURS = dict(zip(STATES, ("#2f855a", "#68d391", "#d69e2e", "#ed8936", "#c53030",
                                  "#9b2c2c", "#6b46c1", "#1a202c", "#718096"), strict=True))
MECHANISM_COLOURS = dict(zip((*TERMS, "baseline"), ("#c05621", "#c53030", "#6b46c1",
                                                    "#2b6cb0", "#2f855a", "#a0aec0"),
                             strict=True))
SUFFIXES = (".png", ".svg", ".pdf")


def as_runs(runs: Runs) -> list[Run]:
    """One Run or several as a non-empty list, so every plot handles both alike."""
    out = [runs] if isinstance(runs, Run) else list(runs)
    if not out:
        raise ValueError("no runs to plot")
    return out


def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 5th and 95th percentiles across runs (axis 0), ignoring NaN."""
    lo, mid, hi = np.nanpercentile(values, [5, 50, 95], axis=0)
    return mid, lo, hi


def stack(runs: list[Run], column: str) -> tuple[np.ndarray, np.ndarray]:
    """Days and a (runs, steps) array of one series column, cut to the shortest run."""
    n = min(len(r.series) for r in runs)
    days = runs[0].series["day"].to_numpy()[:n]
    return days, np.stack([r.series[column].to_numpy(dtype=float)[:n] for r in runs])


def sizes(run: Run, dim: str) -> dict[str, int]:
    """Soldiers of each rank or group in the army: the denominator of a desertion share."""
    army = run.engine.army
    if dim == "rank":
        labels, codes = list(RANKS), army.rank
    else:
        labels, codes = run.groups_, army.group
    counts = np.bincount(codes, minlength=len(labels))
    return {label: int(counts[i]) for i, label in enumerate(labels)
            if f"{dim}.{label}.left" in run.series.columns and counts[i] > 0}


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


def strength(runs: Runs, states: Sequence[str] = STATES, ax: Axes | None = None,
             path: str | Path | None = None) -> Figure:
    """Soldiers in each state over time: how the army drains away, and into what."""
    rs = as_runs(runs)
    bad = [s for s in states if s not in STATES]
    if bad:
        raise ValueError(f"unknown state {bad[0]!r}; states are {', '.join(STATES)}")
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
    for label, total in sizes(rs[0], by).items():
        days, values = stack(rs, f"{by}.{label}.left")
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


def fall_table(runs: Runs) -> pd.DataFrame:
    """Per observed place: the recorded fall day and the simulated median, 5-95% and the
    share of runs in which it fell within the horizon."""
    rs = as_runs(runs)
    tl = [r.timeline() for r in rs]
    sim = np.stack([t["simulated"].to_numpy(dtype=float) for t in tl])
    fell = np.isfinite(sim)
    rows = []
    for j, place in enumerate(tl[0]["place"]):
        got = sim[fell[:, j], j]
        mid, lo, hi = np.percentile(got, [50, 5, 95]) if got.size else (np.nan,) * 3
        rows.append({"place": place, "observed": float(tl[0]["observed"].iloc[j]),
                     "median": mid, "p5": lo, "p95": hi, "fell": fell[:, j].mean()})
    return pd.DataFrame(rows, columns=["place", "observed", "median", "p5", "p95", "fell"])


def falls(runs: Runs, ax: Axes | None = None, path: str | Path | None = None) -> Figure:
    """Simulated against recorded fall dates, place by place: the model's test."""
    rs = as_runs(runs)
    table = fall_table(rs).sort_values("observed", ascending=False).reset_index(drop=True)
    ax = _axes(ax, (8.0, max(2.0, 0.5 * len(table) + 1.2)))
    horizon = float(rs[0].series["day"].iloc[-1])
    y = np.arange(len(table))
    ax.scatter(table["observed"], y, marker="D", color="black", zorder=3, label="recorded")
    have = table["fell"] > 0
    t = table[have]
    ax.errorbar(t["median"], y[have], xerr=[t["median"] - t["p5"], t["p95"] - t["median"]],
                fmt="o", color="#c53030", capsize=3, zorder=2,
                label="simulated" + (" (median, 5-95%)" if len(rs) > 1 else ""))
    for yi, row in zip(y, table.itertuples(), strict=True):
        note = "held" if row.fell == 0 else (f"fell in {row.fell:.0%}" if row.fell < 1 else "")
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


def date_label(run: Run, day: float) -> str:
    """`day 2.5 (29 Nov)`, or `day 2.5` without a start date; `-` when it did not happen."""
    if not np.isfinite(day):
        return "-"
    when = date_of(run.scenario, day)
    return f"day {day:.1f}" + (f" ({when:%d %b})" if when else "")
