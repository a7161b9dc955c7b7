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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import rout
from rout.experiments.plan import map_runs, replicates
from rout.experiments.summary import DaySummary, describe
from rout.model.registry import STATE_NAMES
from rout.model.results import Run, simulate
from rout.viz import plots
from rout.viz.map import GOVERNMENT, MapLayers

if TYPE_CHECKING:
    from rout.experiments.discover import Discovery

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
figure.map { position: relative; display: inline-block; max-width: 100%; margin: 0.5em 0 1.5em; }
figure.map img { margin: 0; }
figure.map .key { position: absolute; }
figure.map .key.marker { border-radius: 50%; }
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
$explanation
$counterfactual

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


def simulate_runs(scenario: str | Path, runs: int = 1, seed: int = 1,
                  overrides: dict[str, Any] | None = None, days: float | None = None,
                  progress: Callable[[int], None] | None = None) -> list[Run]:
    """The report's runs: run r uses the root seed's child r, as every experiment does."""
    over = {**(overrides or {}), **({"days": days} if days is not None else {})}
    return map_runs(replicates(scenario, runs, seed, over, "report"), _whole_run,
                    progress=progress)


def _whole_run(scenario: Any, overrides: dict[str, Any], seed: np.random.SeedSequence) -> Run:
    return simulate(scenario, seed=seed, overrides=overrides)


def seed_label(run: Run) -> str:
    """`Seed 1` for a single run, `Root seed 1, run 0` for a run of several."""
    key = run.seed.spawn_key
    return f"Root seed {run.seed.entropy}, run {key[0]}" if key else f"Seed {run.seed.entropy}"


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
    n = runs[0].n_soldiers
    rows = []
    for s in STATE_NAMES:
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
    r0 = runs[0]
    rows = []
    for row in t.itertuples():
        s = DaySummary(row.runs, row.fell_runs, row.p05, row.median, row.p95)
        rows.append({"place": row.place, "recorded": plots.date_label(r0, row.observed),
                     "simulated": describe(s, lambda d: plots.date_label(r0, d)),
                     "error (days)": "-" if s.held else f"{s.median - row.observed:+.1f}"})
    n = len(runs)
    return (f"<p>Over {n} run{'s' * (n > 1)}: a place that fell in fewer than half of them "
            "held.</p>" + table(pd.DataFrame(rows), numeric=("error (days)",))
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


MAP_DPI = 100  # with MAP_WIDTH, the map's PNG is as wide as the page: shown at 1:1
MAP_WIDTH = 10.6  # inches


def map_figure(run: Run) -> Figure:
    """The start, half-way and the end on a 2 x 2 grid, the fourth cell the legend.

    Side by side, three maps of a country would each be a third of the page
    wide and their names too small to read; two a row, each is half the page
    at full size, the titles have room, and the legend covers no map.
    """
    return map_panels(run)[0]


def map_panels(run: Run) -> tuple[Figure, list[MapLayers]]:
    """`map_figure`, and the layers of each of its maps."""
    fig = Figure(figsize=(MAP_WIDTH, MAP_WIDTH), layout="constrained")
    grid = fig.add_gridspec(2, 2)
    first = MapLayers(run, fig.add_subplot(grid[0, 0]), legend=False)
    picks = np.unique(np.linspace(0, first.steps - 1, 3).round().astype(int))
    first.show(picks[0])
    panels = [first]
    for i, step in enumerate(picks[1:], start=1):
        panels.append(MapLayers(run, fig.add_subplot(grid[i // 2, i % 2]), legend=False))
        panels[-1].show(step)
    w, s, e, n = first.bounds
    aspect = (n - s) / ((e - w) * np.cos(np.radians((s + n) / 2)))
    fig.set_size_inches(MAP_WIDTH, MAP_WIDTH * float(np.clip(aspect, 0.45, 1.35)) + 1.2)
    key = fig.add_subplot(grid[1, 1]) if len(picks) == 3 else fig.add_subplot(grid[1, :])
    key.axis("off")
    key.legend(handles=first.legend_handles(), loc="center left", fontsize=10,
               frameon=False, labelspacing=0.9)
    return fig, panels


def map_keys(fig: Figure, panels: list[MapLayers], dpi: int = MAP_DPI
             ) -> tuple[bytes, list[dict[str, Any]]]:
    """The map as a PNG, and where on it (in shares of its width and height) each place
    name, each place marker, each panel title and the legend were drawn.

    The page lays these boxes over the image: hovering a marker names its place, and a
    test in a browser can check from the page that nothing covers a name."""
    FigureCanvasAgg(fig)  # the canvas whose renderer says where everything went
    fig.set_dpi(dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # not cropped: the image is the figure
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height

    def box(kind: str, x0: float, y0: float, x1: float, y1: float, **data: Any
            ) -> dict[str, Any]:
        return {"kind": kind, "left": x0 / width, "top": 1 - y1 / height,
                "width": (x1 - x0) / width, "height": (y1 - y0) / height, **data}

    keys = []
    run = panels[0].run
    observed = {o.place for o in run.scenario.observed}
    for k, layers in enumerate(panels):
        t = layers.title.get_window_extent(renderer)
        keys.append(box("title", t.x0, t.y0, t.x1, t.y1, panel=k))
        dots = layers.dots
        centres = layers.ax.transData.transform(dots.get_offsets())
        radii = np.sqrt(dots.get_sizes()) / 2 * dpi / 72
        held = [to_hex(c) == GOVERNMENT for c in dots.get_facecolors()]
        for name, (x, y), r, g, label in zip(run.place_names, centres, radii, held,
                                              layers.labels, strict=True):
            state = "held by the government" if g else "taken"
            keys.append(box("marker", x - r, y - r, x + r, y + r, panel=k, place=name,
                            observed=name in observed, title=f"{name}: {state}"))
            b = label.get_window_extent(renderer)
            keys.append(box("label", b.x0, b.y0, b.x1, b.y1, panel=k, place=name,
                            observed=name in observed))
    legend = next(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)
    b = legend.get_window_extent(renderer)
    keys.append(box("legend", b.x0, b.y0, b.x1, b.y1))
    return buf.getvalue(), keys


def _map(run: Run) -> str:
    image, keys = map_keys(*map_panels(run))
    spans = []
    for key in keys:
        style = "".join(f"{side}:{100 * key[side]:.3f}%;"
                        for side in ("left", "top", "width", "height"))
        data = "".join(f' data-{k}="{escape(str(v).lower() if isinstance(v, bool) else str(v))}"'
                       for k, v in key.items()
                       if k in ("kind", "panel", "place", "observed"))
        tip = f' title="{escape(key["title"])}"' if "title" in key else ' aria-hidden="true"'
        spans.append(f'<span class="key {key["kind"]}" style="{style}"{data}{tip}></span>')
    data = base64.b64encode(image).decode("ascii")
    return (f"<p>Seed {escape(str(run.seed.entropy))}, at the start, half-way and at the end. "
            "Blue: held by the government; orange: taken, with the ground nearest to it; "
            "marker area: soldiers on duty; triangles: attacking forces, with the routes "
            "they took. Coast, borders, rivers and lakes: Natural Earth 1:50m. Hover over a "
            "place to read its name and who holds it.</p>"
            f'<figure class="map"><img alt="map of the run" src="data:image/png;base64,{data}">'
            + "".join(spans) + "</figure>")


def _drivers(runs: list[Run]) -> str:
    total = pd.concat([r.drivers() for r in runs]).groupby("mechanism", sort=False)[
        "departures"].sum() / len(runs)
    share = total / total.sum() if total.sum() > 0 else total
    df = pd.DataFrame({"mechanism": total.index,
                       "decisions to leave": [f"{v:,.0f}" for v in total],
                       "share": [f"{v:.1%}" for v in share]})
    note = f" (mean over {len(runs)} runs)" if len(runs) > 1 else ""
    return (f"<p>Each decision to leave split over the terms that pushed it{note}.</p>"
            + table(df, numeric=("decisions to leave", "share")))


def _explanation(table: pd.DataFrame | None) -> str:
    """The ablation (`rout explain`): days each mechanism moved each outcome, with the
    5-95% of its runs (nothing without one)."""
    if table is None:
        return ""
    runs = int(table["runs"].iloc[0])
    return ('<h3 id="explain">What each mechanism did</h3>'
            f"<p>Each mechanism switched off in turn over the same {runs} runs: how many days "
            "later (+) or earlier (-) each recorded fall and the day power drops below a "
            "quarter then come, against the median with every mechanism on; the bar is the "
            "5-95% of the runs without it. Held: it happened in fewer than half the "
            "runs.</p>" + png(plots.explain(table)))


def _counterfactual(discovery: Discovery | None, scenario: str) -> str:
    """What would have held it: a stored discovery's boxes in words, their restrictions,
    the peeling trajectory and the feature scores (nothing without a discovery)."""
    if discovery is None:
        return ""
    from rout.experiments.discover import describe_box

    d = discovery
    other = (f" <b>Note: the discovery is of {escape(d.scenario)}, this report of "
             f"{escape(scenario)}.</b>" if d.scenario != scenario else "")
    intro = (f"<p>Scenario discovery (PRIM) over {d.runs:,} runs of {escape(d.scenario)} "
             f"({d.points:,} design points, {escape(d.method)}), varying "
             f"{escape(', '.join(d.inputs))}. The outcome <code>{escape(d.outcome)}</code> "
             f"is met in {d.cases:,} of {d.points:,} {d.unit} ({d.share:.0%}). Coverage: the "
             "share of all such cases inside a box; density: the share of the box's cases "
             f"that meet it.{other}</p>")
    parts = [f'<h2 id="counterfactual">What would have held it</h2>{intro}']
    parts += [f"<p><b>{escape(sentence)}</b></p>" for sentence in d.sentences()]
    for box in d.boxes:
        parts.append(f"<h3>Box {box.number}: coverage {box.coverage:.0%}, density "
                     f"{box.density:.0%}, mass {box.mass:.0%} (step {box.step} of its peeling "
                     f"trajectory)</h3>")
        shown = describe_box(box).assign(**{"quasi-p": lambda f: [
            f"{v:.2g}" for v in f["quasi-p"]]})
        parts.append(table(shown, numeric=("quasi-p",)))
    if d.boxes:
        parts.append(png(d.figure()))
    if d.features:
        scores = pd.DataFrame({"input": [f["input"] for f in d.features],
                               "feature score": [f"{f['score']:.3f}" for f in d.features]})
        parts.append("<p>Which inputs matter most (extra-trees feature scores):</p>"
                     + table(scores, numeric=("feature score",)))
    return "\n".join(parts)


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
    return f"<p>{escape(seed_label(run))}.</p>" + table(df) + extra


def _stories(run: Run) -> str:
    ids = run.tracked_ids
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
    return f"<p>{escape(seed_label(run))}.</p>" + "\n".join(parts)


def _parameters(runs: list[Run], overrides: dict[str, Any]) -> str:
    sc = runs[0].scenario
    seed = runs[0].seed
    seeds = (f"root seed {seed.entropy}, children 0..{len(runs) - 1}" if seed.spawn_key
             else f"seed {seed.entropy}")
    given = (table(pd.DataFrame({"key": list(overrides), "value": list(overrides.values())}))
             if overrides else "<p>No overrides: the scenario as written.</p>")
    rows = [f'<tr{" class=set" if k in overrides else ""}><td>{escape(k)}</td>'
            f'<td class="n">{escape(str(v))}</td></tr>'
            for k, v in sc.parameters.model_dump().items()]
    off = [m for m, on in sc.mechanisms.items() if not on]
    return (f"<p>Seeds: {escape(seeds)}. Horizon {sc.days:g} days in "
            f"steps of {sc.step_hours:g} h. Mechanisms switched off: "
            f"{escape(', '.join(off)) if off else 'none'}.</p><h3>Overrides</h3>{given}"
            "<h3>All parameters</h3><table><thead><tr><th>parameter</th><th class=\"n\">value"
            f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render(runs: Run | Sequence[Run], overrides: dict[str, Any] | None = None,
           discovery: Discovery | None = None, explanation: pd.DataFrame | None = None
           ) -> str:
    """The report as one HTML string (runs: one Run or several seeds of one scenario); with
    a discovery (`rout.experiments.discover`), a section on what would have held it; with
    an ablation's table (`rout.explain.ablation`), the figure of what each mechanism did."""
    rs = plots.as_runs(runs)
    sc, over = rs[0].scenario, dict(overrides or {})
    start = f", starting {sc.start_date:%d %B %Y}" if sc.start_date else ""
    wall = sum(r.wall_seconds for r in rs)
    meta = (f"{rs[0].n_soldiers:,} soldiers, {len(sc.places)} places, {sc.days:g} days"
            f"{start}; {len(rs)} run{'s' if len(rs) > 1 else ''} ({wall:.1f} s of simulation). "
            f"rout {rout.__version__}, generated {dt.datetime.now():%Y-%m-%d %H:%M}.")
    return PAGE.substitute(
        name=escape(sc.name), description=escape(sc.description), meta=escape(meta),
        outcome=_outcome(rs), timeline=_timeline(rs), plots=_plots(rs), map=_map(rs[0]),
        drivers=_drivers(rs), explanation=_explanation(explanation),
        counterfactual=_counterfactual(discovery, sc.name),
        events=_events(rs[0]), stories=_stories(rs[0]),
        parameters=_parameters(rs, over),
    )


def write(runs: Run | Sequence[Run], path: str | Path,
          overrides: dict[str, Any] | None = None, discovery: Discovery | None = None,
          explanation: pd.DataFrame | None = None) -> Path:
    """Write the report to an HTML file and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(runs, overrides, discovery, explanation), encoding="utf-8")
    return path
