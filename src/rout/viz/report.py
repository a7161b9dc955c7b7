"""One self-contained HTML report of a run or an ensemble.

Everything is inside the file (figures as base64 PNG, styles inline, no
script, no external asset), so it can be mailed, archived or opened offline.
It is built from plain string templates: no template engine is needed, and
every value from the scenario is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import rout
from rout.model.state import STATES
from rout.run import Run, simulate
from rout.viz import plots
from rout.viz.map import MapLayers

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>rout report: $name</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #1a202c; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #cbd5e0; margin-top: 2em; }
.meta { color: #4a5568; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 14px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0 1.5em; }
pre { background: #f7fafc; padding: 0.7em; overflow-x: auto; font-size: 13px; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
.set { background: #fefcbf; }
</style>
</head>
<body>
<h1>rout report: $name</h1>
<p class="meta">$description</p>
<p class="meta">$meta</p>

<h2 id="outcome">Where the soldiers ended</h2>
$outcome

<h2 id="timeline">Timeline against the record</h2>
$timeline

<h2 id="plots">The collapse over time</h2>
$plots

<h2 id="map">The map</h2>
$map

<h2 id="drivers">What drove the departures</h2>
$drivers

<h2 id="events">Events</h2>
$events

<h2 id="stories">Tracked soldiers</h2>
$stories

<h2 id="parameters">Parameters used</h2>
$parameters
</body>
</html>
""")

QUIET_EVENTS = ("generals_fled",)  # one row per hour and place: summarised as a count


def simulate_seeds(scenario: str | Path, runs: int = 1, seed: int = 1,
                   overrides: dict[str, Any] | None = None, days: float | None = None,
                   progress: Callable[[int], None] | None = None) -> list[Run]:
    """Runs with seeds seed..seed+runs-1, one after another (the report's ensemble)."""
    out = []
    for s in range(seed, seed + runs):
        out.append(simulate(scenario, seed=s, overrides=overrides, days=days))
        if progress is not None:
            progress(1)
    return out


def png(fig: Figure, dpi: int = 100) -> str:
    """A figure as an <img> with its PNG inline, so the page needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def table(df: pd.DataFrame, numeric: Sequence[str] = ()) -> str:
    """A frame as an HTML table, every cell escaped; `numeric` columns right-aligned."""
    def attr(column: str) -> str:
        return ' class="n"' if column in numeric else ""

    head = "".join(f"<th{attr(c)}>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for values in df.itertuples(index=False):
        cells = "".join(f"<td{attr(c)}>{escape(str(v))}</td>"
                        for c, v in zip(df.columns, values, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _spread(values: np.ndarray, fmt: str) -> str:
    """`median` for one run, `median (5-95%: lo-hi)` for several."""
    mid, lo, hi = np.percentile(values, [50, 5, 95])
    text = format(mid, fmt)
    return text if values.size == 1 else f"{text} ({format(lo, fmt)} to {format(hi, fmt)})"


def _outcome(runs: list[Run]) -> str:
    n = runs[0].engine.army.n
    rows = []
    for s in STATES:
        last = np.array([r.series[s].iloc[-1] for r in runs], dtype=float)
        rows.append({"state": s.replace("_", " "), "soldiers": _spread(last, ",.0f"),
                     "share": _spread(last / n, ".1%")})
    left = np.array([r.series["left"].iloc[-1] / n for r in runs])
    power = np.array([r.series["power_share"].iloc[-1] for r in runs])
    return (table(pd.DataFrame(rows), numeric=("soldiers", "share"))
            + f"<p>Left the army (visibly): <b>{_spread(left, '.1%')}</b>; effective power at "
              f"the end: <b>{_spread(power, '.0%')}</b> of the start.</p>")


def _timeline(runs: list[Run]) -> str:
    t = plots.fall_table(runs)
    if t.empty:
        return "<p>This scenario records no outcomes to compare with.</p>"
    r0, several = runs[0], len(runs) > 1
    rows = []
    for row in t.itertuples():
        sim = plots.date_label(r0, row.median)
        if several and row.fell > 0:
            sim += f" (5-95%: {row.p5:.1f} to {row.p95:.1f})"
        rows.append({"place": row.place, "recorded": plots.date_label(r0, row.observed),
                     "simulated": sim if row.fell > 0 else "held",
                     "error (days)": f"{row.median - row.observed:+.1f}" if row.fell else "-",
                     "fell in": f"{row.fell:.0%} of runs"})
    return (table(pd.DataFrame(rows), numeric=("error (days)", "fell in"))
            + png(plots.falls(runs)))


def _plots(runs: list[Run]) -> str:
    parts = [
        ("Soldiers by state", plots.strength(runs)),
        ("Desertion by rank", plots.desertion(runs, by="rank")),
        ("Desertion by group", plots.desertion(runs, by="group")),
        ("Effort, credibility and effective power", plots.morale(runs)),
        ("Decisions to leave each day, by what drove them", plots.drivers(runs)),
    ]
    return "\n".join(f"<h3>{escape(title)}</h3>{png(fig)}" for title, fig in parts)


def _map(run: Run) -> str:
    days = run.series["day"].to_numpy()
    fig = Figure(figsize=(16, 6), layout="constrained")
    picks = np.unique(np.linspace(0, days.size - 1, 3).round().astype(int))
    for i, step in enumerate(picks):
        MapLayers(run, fig.add_subplot(1, len(picks), i + 1)).show(step)
    return (f"<p>Seed {escape(str(run.seed.entropy))}, at the start, half-way and at the end. "
            "Blue: held by the government; orange: taken; marker area: soldiers on duty; "
            "triangles: attacking forces.</p>" + png(fig, dpi=80))


def _drivers(runs: list[Run]) -> str:
    total = pd.concat([r.drivers() for r in runs]).groupby("mechanism", sort=False)[
        "departures"].sum() / len(runs)
    share = total / total.sum() if total.sum() > 0 else total
    df = pd.DataFrame({"mechanism": total.index,
                       "decisions to leave": [f"{v:,.0f}" for v in total],
                       "share": [f"{v:.1%}" for v in share]})
    note = " (mean over runs)" if len(runs) > 1 else ""
    return (f"<p>Each decision to leave split over the terms that pushed it{note}.</p>"
            + table(df, numeric=("decisions to leave", "share")))


def _events(run: Run) -> str:
    ev = run.events
    if ev.empty:
        return "<p>No events.</p>"
    quiet = ev[ev["kind"].isin(QUIET_EVENTS)]
    shown = ev[~ev["kind"].isin(QUIET_EVENTS)]
    df = pd.DataFrame({"day": [plots.date_label(run, d) for d in shown["day"]],
                       "event": shown["kind"].str.replace("_", " "),
                       "place": shown["place"].fillna(""), "detail": shown["detail"].fillna("")})
    extra = ""
    if len(quiet):
        fled = int(quiet["count"].sum()) if "count" in quiet else len(quiet)
        extra = f"<p>Besides: {fled:,} generals fled over the run.</p>"
    return f"<p>Seed {escape(str(run.seed.entropy))}.</p>" + table(df) + extra


def _stories(run: Run) -> str:
    ids = [int(i) for i in run.engine.track]
    if not ids:
        return "<p>The scenario follows no soldiers.</p>"
    ranks = run.tracked.drop_duplicates("soldier").set_index("soldier")["rank"]
    parts = []
    for i in ids:
        story = run.story(i)
        lines = [line.split(")  ", 1)[-1] for line in story.splitlines()]
        gist = lines[0] if len(lines) < 2 else f"{lines[0]}; last: {lines[-1]}"
        parts.append(f"<details><summary>soldier {i} ({escape(str(ranks[i]))}): "
                     f"{escape(gist)}</summary><pre>{escape(story)}</pre></details>")
    return f"<p>Seed {escape(str(run.seed.entropy))}.</p>" + "\n".join(parts)


def _parameters(runs: list[Run], overrides: dict[str, Any]) -> str:
    sc = runs[0].scenario
    seeds = [r.seed.entropy for r in runs]
    given = (table(pd.DataFrame({"key": list(overrides), "value": list(overrides.values())}))
             if overrides else "<p>No overrides: the scenario as written.</p>")
    rows = [f'<tr{" class=set" if k in overrides else ""}><td>{escape(k)}</td>'
            f'<td class="n">{escape(str(v))}</td></tr>'
            for k, v in sc.parameters.model_dump().items()]
    off = [m for m, on in sc.mechanisms.items() if not on]
    return (f"<p>Seeds: {escape(', '.join(map(str, seeds)))}. Horizon {sc.days:g} days in "
            f"steps of {sc.step_hours:g} h. Mechanisms switched off: "
            f"{escape(', '.join(off)) if off else 'none'}.</p><h3>Overrides</h3>{given}"
            "<h3>All parameters</h3><table><thead><tr><th>parameter</th><th class=\"n\">value"
            f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render(runs: Run | Sequence[Run], overrides: dict[str, Any] | None = None) -> str:
    """The report as one HTML string (runs: one Run or several seeds of one scenario)."""
    rs = plots.as_runs(runs)
    sc, over = rs[0].scenario, dict(overrides or {})
    start = f", starting {sc.start_date:%d %B %Y}" if sc.start_date else ""
    wall = sum(r.wall_seconds for r in rs)
    meta = (f"{rs[0].engine.army.n:,} soldiers, {len(sc.places)} places, {sc.days:g} days"
            f"{start}; {len(rs)} run{'s' if len(rs) > 1 else ''} ({wall:.1f} s of simulation). "
            f"rout {rout.__version__}, generated {dt.datetime.now():%Y-%m-%d %H:%M}.")
    return PAGE.substitute(
        name=escape(sc.name), description=escape(sc.description), meta=escape(meta),
        outcome=_outcome(rs), timeline=_timeline(rs), plots=_plots(rs), map=_map(rs[0]),
        drivers=_drivers(rs), events=_events(rs[0]), stories=_stories(rs[0]),
        parameters=_parameters(rs, over),
    )


def write(runs: Run | Sequence[Run], path: str | Path,
          overrides: dict[str, Any] | None = None) -> Path:
    """Write the report to an HTML file and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(runs, overrides), encoding="utf-8")
    return path
