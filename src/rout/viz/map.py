"""The map of a run: places and roads at their real coordinates on a real map.

Under the places lies the shipped Natural Earth geography (`rout.viz.basemap`:
land, sea, lakes, coast, borders, rivers). On it: who holds each place (blue:
the government, orange: taken), how many defenders are still there (marker
area), the ground the attackers hold (the land nearest each taken place,
shaded orange: the front), the attacking forces (triangles) and the routes
they have travelled so far. Place names are placed so that they overlap
neither each other nor the markers; the legend and the title sit outside the
map, so they never hide a place.

`draw_map` shows one moment; `animate` writes the whole run as a GIF (Pillow,
always there with matplotlib), an MP4 (when ffmpeg is installed) or a folder
of PNG frames, so a run can be shown without Python. The background, the
labels and the layout are computed once; each frame only moves the markers,
the shading, the routes and the title (the text that never changes is drawn
once into an overlay image), about 0.05-0.08 s a frame. On the 2-core
reference machine the default animation of syria-2024 (60 frames at 90 dpi,
730 x 548 px) takes about 7-8 s of CPU as a GIF (half of it Pillow's GIF
encoding) and about 4 s as an MP4 (plus ffmpeg's own encoding), on top of
the run itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib import animation
from matplotlib import patheffects as pe
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter

from rout.model.results import Run, series_column
from rout.viz import basemap
from rout.viz.plots import date_label, save

GOVERNMENT = "#2b6cb0"
ATTACKER = "#dd6b20"
ROAD = "#a0aec0"
MAX_MARKER = 900.0  # points^2 of the largest garrison at the start
LABEL_SIZE = 9.0  # points: legible at the report's 100 dpi
HELD_ALPHA = 0.26  # the shading of the ground the attackers hold
GRID = 260  # cells along the longer side of the shading


# The run's frames, read in one place each: a renamed column is a one-line fix.

def _names(run: Run) -> list[str]:
    """The places in the order of the frames' columns."""
    return list(run.place_names)


def _days(run: Run) -> np.ndarray:
    """The day of each recorded step."""
    return run.series["day"].to_numpy(dtype=float)


def _government(run: Run) -> np.ndarray:
    """(steps, places) bool: the government holds the place."""
    return run.places["government"].to_numpy(dtype=bool).reshape(-1, len(_names(run)))


def _on_duty(run: Run) -> np.ndarray:
    """(steps, places): soldiers on duty at each place."""
    series = run.series
    return np.stack([series[series_column("place", p, "on_duty")].to_numpy(dtype=float)
                     for p in _names(run)], axis=1)


def _forces(run: Run) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Force names and (steps, forces) arrays of longitude, latitude and strength."""
    f = run.forces
    names = list(dict.fromkeys(f["force"]))
    n = len(names)
    if not n:
        empty = np.zeros((0, 0))
        return names, empty, empty, empty

    def col(c: str) -> np.ndarray:
        return f[c].to_numpy(dtype=float).reshape(-1, n)
    return names, col("lon"), col("lat"), col("strength")


def view_bounds(lon: np.ndarray, lat: np.ndarray, margin: float = 0.35,
                widest: float = 1.35) -> basemap.Bounds:
    """The box a map shows: the places with a margin, neither too flat nor too tall.

    The margin is at least `margin` degrees and 8% of the extent; the shorter
    side (in ground distance) is widened until it is at least 1/`widest` of
    the longer, so a line of places does not make a sliver of a map.
    """
    w, s, e, n = basemap.bounds_of(lon, lat, 0.0)
    pad = max(margin, 0.08 * max(e - w, n - s))
    w, s, e, n = w - pad, s - pad, e + pad, n + pad
    k = np.cos(np.radians((s + n) / 2))
    width, height = (e - w) * k, n - s
    if width * widest < height:
        grow = (height / widest / k - (e - w)) / 2
        w, e = w - grow, e + grow
    elif height * widest < width:
        grow = (width / widest - (n - s)) / 2
        s, n = s - grow, n + grow
    return (w, s, e, n)


def _degrees(axis: str) -> FuncFormatter:
    hemi = ("E", "W") if axis == "x" else ("N", "S")
    return FuncFormatter(lambda v, _: f"{abs(v):g}°{hemi[0] if v >= 0 else hemi[1]}")


@lru_cache(maxsize=8)
def territory(bounds: basemap.Bounds, lon: tuple[float, ...],
              lat: tuple[float, ...]) -> np.ndarray:
    """A grid over the box: the index of the place each cell belongs to, -1 for none.

    A cell belongs to its nearest place if that place is within reach (12% of
    the map's larger side, 0.15-0.6 degrees), on land of the same country
    (a front does not spill over a border or into the sea) and not in a lake.
    Cached: the report draws three panels of one scenario.
    """
    w, s, e, n = bounds
    lon, lat = np.asarray(lon), np.asarray(lat)
    k = np.cos(np.radians((s + n) / 2))
    ratio = (n - s) / ((e - w) * k)
    nx, ny = ((GRID, max(int(GRID * ratio), 20)) if ratio <= 1
              else (max(int(GRID / ratio), 20), GRID))
    x, y = np.meshgrid(w + (np.arange(nx) + 0.5) * (e - w) / nx,
                       s + (np.arange(ny) + 0.5) * (n - s) / ny)
    d2 = ((x[..., None] - lon) * k) ** 2 + (y[..., None] - lat) ** 2
    nearest = d2.argmin(axis=-1)
    reach = float(np.clip(0.12 * max((e - w) * k, n - s), 0.15, 0.6))
    country = basemap.country_at(x, y)
    home = basemap.country_at(lon, lat)
    for i in np.flatnonzero(home < 0):  # a port a little off the coast: its neighbours' country
        near = country[(nearest == i) & (country >= 0)]
        home[i] = np.bincount(near).argmax() if near.size else -1
    cells = np.where((d2.min(axis=-1) <= reach ** 2) & (country >= 0)
                     & (country == home[nearest]), nearest, -1)
    pts = np.column_stack([x.ravel(), y.ravel()])
    wet = np.zeros(len(pts), dtype=bool)
    for ring in basemap.layers(bounds)["lakes"]:
        wet |= MplPath(ring).contains_points(pts)
    cells[wet.reshape(cells.shape)] = -1
    cells.setflags(write=False)
    return cells


def regions(cells: np.ndarray, bounds: basemap.Bounds, places: int) -> list[MplPath]:
    """Each place's cells of the `territory` grid as one path of rectangles.

    A row's run of cells of one place is one rectangle, so the shading is
    drawn as vectors (sharp at any dpi) and costs a few hundred rectangles.
    """
    w, s, e, n = bounds
    ny, nx = cells.shape
    padded = np.pad(cells, ((0, 0), (1, 1)), constant_values=-2)
    change = np.diff(padded, axis=1) != 0  # (ny, nx + 1): a run starts or ends here
    out = []
    rows, edges = np.nonzero(change)
    for i in range(places):
        boxes = []
        for row in np.unique(rows):
            at = edges[rows == row]
            starts, stops = at[:-1], at[1:]
            mine = cells[row, starts] == i
            for a, b in zip(starts[mine], stops[mine], strict=True):
                boxes.append((a, row, b, row + 1))
        if not boxes:
            out.append(MplPath(np.zeros((1, 2))))
            continue
        b = np.asarray(boxes, dtype=float)
        x0, x1 = w + b[:, 0] * (e - w) / nx, w + b[:, 2] * (e - w) / nx
        y0, y1 = s + b[:, 1] * (n - s) / ny, s + b[:, 3] * (n - s) / ny
        verts = np.stack([np.column_stack(c) for c in
                          ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))], axis=1)
        codes = np.tile([MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO,
                         MplPath.CLOSEPOLY], len(b))
        out.append(MplPath(verts.reshape(-1, 2), codes.astype(np.uint8)))
    return out


class _Overlay(Artist):
    """A prerendered RGBA image of the whole figure, composited as it is (no resampling)."""

    def __init__(self, rgba: np.ndarray) -> None:
        super().__init__()
        self.rgba = np.ascontiguousarray(rgba[::-1])  # the renderer counts rows from the bottom
        self.set_zorder(10)

    def draw(self, renderer) -> None:
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self.rgba)
        gc.restore()


class LabelPlacer(Artist):
    """Places text labels next to their points so they overlap neither each other
    nor the markers, and stay inside the axes.

    It is drawn first (lowest zorder), when the layout is final. For each
    label, in order of priority, it tries eight directions around its marker
    at four distances, nearest first, and keeps the first box that meets no
    label already placed, no marker and no edge of the axes, preferring one
    that is nearer its own marker than any other (so no label seems to name
    a neighbour); when none is free it takes the one that overlaps least. A
    label set further out gets a thin leader line to its marker. The result
    is kept until the axes move or change size, or the markers change size.

    `radius_pt` is each marker's radius in points, or a function returning it
    (read at each draw, so labels sit close to markers that shrink).
    """

    DIRECTIONS = ((1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (0, -1))
    RINGS = (0.0, 0.9, 2.0, 3.2)  # extra distance, in label heights

    def __init__(self, ax: Axes, texts: Sequence[Annotation], xy: np.ndarray,
                 radius_pt: np.ndarray | Callable[[], np.ndarray],
                 priority: np.ndarray | None = None,
                 gap_pt: float = 2.5, colour: str = "#4a5568") -> None:
        super().__init__()
        self.ax, self.texts, self.xy = ax, list(texts), np.asarray(xy, dtype=float)
        self.radius_pt = radius_pt
        self.order = (np.arange(len(self.texts)) if priority is None
                      else np.argsort(-np.asarray(priority), kind="stable"))
        self.gap_pt = gap_pt
        self.set_zorder(-100)
        self.set_in_layout(False)
        self.leaders = LineCollection([], colors=colour, linewidths=0.6, zorder=4.5)
        self.leaders.set_in_layout(False)
        ax.add_collection(self.leaders, autolim=False)
        self._key: tuple | None = None

    def draw(self, renderer) -> None:
        radius = np.asarray(self.radius_pt() if callable(self.radius_pt) else self.radius_pt,
                            dtype=float)
        key = (renderer.dpi if hasattr(renderer, "dpi") else self.ax.figure.dpi,
               tuple(np.round(self.ax.bbox.bounds, 2)), self.ax.get_xlim(), self.ax.get_ylim(),
               tuple(np.round(radius, 1)))
        if key != self._key:
            self.place(renderer, radius)
            self._key = key

    def place(self, renderer, radius_pt: np.ndarray) -> None:
        if not self.texts:
            return
        px = self.ax.figure.dpi / 72.0
        centre = self.ax.transData.transform(self.xy)
        radius = radius_pt * px
        frame = self.ax.bbox
        halo = 1.5 * px
        sizes = []
        for t in self.texts:
            t.set_horizontalalignment("left")
            t.set_verticalalignment("bottom")
            box = t.get_window_extent(renderer)
            sizes.append((box.width + 2 * halo, box.height + 2 * halo))
        placed: list[tuple[float, float, float, float]] = []
        leaders = []
        for i in self.order:
            w, h = sizes[i]
            best, best_cost = None, (np.inf, np.inf)
            for ring, extra in enumerate(self.RINGS):
                for dx, dy in self.DIRECTIONS:
                    gap = radius[i] + self.gap_pt * px + extra * h
                    norm = np.hypot(dx, dy)
                    ax_, ay_ = centre[i, 0] + gap * dx / norm, centre[i, 1] + gap * dy / norm
                    x0 = ax_ if dx > 0 else ax_ - w if dx < 0 else ax_ - w / 2
                    y0 = ay_ if dy > 0 else ay_ - h if dy < 0 else ay_ - h / 2
                    box = (x0, y0, x0 + w, y0 + h)
                    cost = self._cost(box, i, placed, centre, radius, frame)
                    if cost < best_cost:
                        best, best_cost = (box, dx, dy, ax_, ay_, ring), cost
                if best_cost == (0, 0):
                    break
            box, dx, dy, ax_, ay_, ring = best
            placed.append(box)
            t = self.texts[i]
            t.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
            t.set_verticalalignment("bottom" if dy > 0 else "top" if dy < 0 else "center")
            t.set_position(((ax_ - centre[i, 0] + halo * np.sign(dx)) / px,
                            (ay_ - centre[i, 1] + halo * np.sign(dy)) / px))
            if ring > 0:  # from the marker's edge to the box's nearest point
                near = np.clip(centre[i], [box[0], box[1]], [box[2], box[3]])
                v = near - centre[i]
                start = centre[i] + v / max(np.hypot(*v), 1e-9) * radius[i]
                leaders.append(self.ax.transData.inverted().transform([start, near]))
        self.leaders.set_segments(leaders)

    @staticmethod
    def _cost(box, i, placed, centre, radius, frame) -> tuple[float, float]:
        """(overlap, ambiguity): what the box covers, then how much nearer it is to
        another marker than to its own (both 0 for a free, unambiguous place)."""
        x0, y0, x1, y1 = box
        # outside the axes counts heavily: a cut label is worse than a crowded one
        cost = 4 * ((max(frame.x0 - x0, 0) + max(x1 - frame.x1, 0)) * (y1 - y0)
                    + (max(frame.y0 - y0, 0) + max(y1 - frame.y1, 0)) * (x1 - x0))
        for (a0, b0, a1, b1) in placed:
            ox, oy = min(x1, a1) - max(x0, a0), min(y1, b1) - max(y0, b0)
            if ox > 0 and oy > 0:
                cost += 2 * ox * oy
        # markers: the distance from each centre to the box against its radius
        cx = np.clip(centre[:, 0], x0, x1)
        cy = np.clip(centre[:, 1], y0, y1)
        d = np.hypot(centre[:, 0] - cx, centre[:, 1] - cy) - radius
        hit = np.clip(-d, 0, None)
        hit[i] = 0.0
        cost += float((hit * (y1 - y0)).sum())
        others = np.delete(d, i)
        ambiguity = max(d[i] - others.min(), 0.0) if others.size else 0.0
        return (cost, ambiguity)


class MapLayers:
    """The artists of one map, built once and moved step by step (cheap to animate).

    `legend=True` puts the legend to the right of the map, outside it; with
    False the caller draws `legend_handles()` where it likes (the report puts
    it in a panel of its own).
    """

    def __init__(self, run: Run, ax: Axes, legend: bool = True,
                 label_size: float = LABEL_SIZE, title_size: float = 10.0) -> None:
        self.run, self.ax = run, ax
        sc = run.scenario
        names = _names(run)
        coords = {p.name: (p.lon, p.lat) for p in sc.places}
        self.lon = np.array([coords[p][0] for p in names])
        self.lat = np.array([coords[p][1] for p in names])
        self.days = _days(run)
        self.government = _government(run)
        self.on_duty = _on_duty(run)
        self.scale = MAX_MARKER / max(float(self.on_duty[0].max()), 1.0)
        index = {p: i for i, p in enumerate(names)}
        for road in sc.roads:
            a, b = index[road.a], index[road.b]
            ax.plot(self.lon[[a, b]], self.lat[[a, b]], color=ROAD, linewidth=1.3,
                    solid_capstyle="round", zorder=1)
        # dots first and forces second: ax.collections[0] and [1], before any basemap layer
        self.dots = ax.scatter(self.lon, self.lat, s=self._size(0), c=self._colour(0),
                               edgecolors="white", linewidths=0.9, zorder=3)
        self.force_names, self.force_lon, self.force_lat, strength = _forces(run)
        nf = len(self.force_names)
        self.force_size = 260.0 * strength / max(float(strength[0].max()), 1.0) if nf else None
        self.arrows = ax.scatter(
            self.force_lon[0] if nf else [], self.force_lat[0] if nf else [],
            s=self.force_size[0] if nf else [], marker="^", color=ATTACKER,
            edgecolors="black", linewidths=0.8, zorder=4)

        self.bounds = view_bounds(self.lon, self.lat)
        w, s, e, n = self.bounds
        # a wider box than the view, so a layout that widens the limits still has a map
        dx, dy = (e - w) / 2, (n - s) / 2
        self.basemap = basemap.draw(ax, (w - dx, s - dy, e + dx, n + dy))
        self._shading(ax)
        ax.set_xlim(w, e)
        ax.set_ylim(s, n)
        ax.set_aspect(1.0 / np.cos(np.radians((s + n) / 2)))
        self.routes = LineCollection([], colors=ATTACKER, linewidths=2.0, alpha=0.75,
                                     capstyle="round", joinstyle="round", zorder=2)
        ax.add_collection(self.routes, autolim=False)

        self.labels = []
        for name, x, y in zip(names, self.lon, self.lat, strict=True):
            t = ax.annotate(name, (x, y), xytext=(5, 4), textcoords="offset points",
                            fontsize=label_size, color="#1a202c", zorder=5,
                            path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])
            t.set_in_layout(False)  # the placer keeps every label inside the axes
            self.labels.append(t)
        self.placer = LabelPlacer(ax, self.labels, np.column_stack([self.lon, self.lat]),
                                  lambda: np.sqrt(self.dots.get_sizes()) / 2,
                                  priority=self.on_duty.max(axis=0))
        ax.add_artist(self.placer)

        ax.xaxis.set_major_formatter(_degrees("x"))
        ax.yaxis.set_major_formatter(_degrees("y"))
        ax.tick_params(labelsize=8, length=2, color="#a0aec0", labelcolor="#4a5568")
        for spine in ax.spines.values():
            spine.set_color("#a0aec0")
        ax.grid(color="white", alpha=0.5, linewidth=0.5)
        ax.set_axisbelow(True)
        if legend:
            ax.legend(handles=self.legend_handles(), loc="upper left",
                      bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8.5,
                      frameon=False)
        self.title = ax.set_title("", loc="left", fontsize=title_size)

    def _shading(self, ax: Axes) -> None:
        """The ground nearest each place, as one patch redrawn at each step."""
        self.cells = territory(self.bounds, tuple(self.lon), tuple(self.lat))
        self.regions = regions(self.cells, self.bounds, len(self.lon))
        self.held = PathPatch(MplPath(np.zeros((1, 2))), facecolor=ATTACKER, alpha=HELD_ALPHA,
                              edgecolor="none", linewidth=0, zorder=-3.2)
        self.held.set_in_layout(False)
        ax.add_patch(self.held)

    @property
    def steps(self) -> int:
        return self.government.shape[0]

    def _size(self, step) -> np.ndarray:
        return 12.0 + self.on_duty[step] * self.scale

    def _colour(self, step: int) -> list[str]:
        return [GOVERNMENT if g else ATTACKER for g in self.government[step]]

    def legend_handles(self) -> list:
        dot = {"marker": "o", "linestyle": "", "markeredgecolor": "white", "markersize": 8}
        handles = [Line2D([], [], color=GOVERNMENT, label="held by the government", **dot),
                   Line2D([], [], color=ATTACKER, label="taken by the attackers", **dot),
                   Patch(facecolor=ATTACKER, alpha=HELD_ALPHA, label="ground the attackers hold")]
        if self.force_names:
            handles += [Line2D([], [], marker="^", linestyle="", color=ATTACKER,
                               markeredgecolor="black", markersize=8, label="attacking force"),
                        Line2D([], [], color=ATTACKER, alpha=0.75, linewidth=2,
                               label="its route so far")]
        handles += [Line2D([], [], color=ROAD, linewidth=1.3, label="road"),
                    Line2D([], [], label="border", **{k: v for k, v in
                                                      basemap.STYLE["borders"].items()
                                                      if k != "zorder"}),
                    Line2D([], [], color=basemap.STYLE["rivers"]["color"], linewidth=1,
                           label="river")]
        top = float(self.on_duty[0].max())
        if top >= 1:
            big = float(f"{top / 2:.0e}") if top >= 2 else 1.0
            for n in (big, big / 10) if big >= 10 else (big,):
                handles.append(Line2D([], [], marker="o", linestyle="",
                                      markersize=float(np.sqrt(12.0 + n * self.scale)),
                                      markerfacecolor="none", markeredgecolor="#4a5568",
                                      label=f"{n:,.0f} soldiers on duty"))
        return handles

    def show(self, step: int) -> list:
        """Move every artist to one step; returns the artists changed (for blitting)."""
        step = int(np.clip(step, 0, self.steps - 1))
        self.dots.set_sizes(self._size(step))
        self.dots.set_facecolor(self._colour(step))
        if self.force_names:
            self.arrows.set_offsets(np.column_stack([self.force_lon[step],
                                                     self.force_lat[step]]))
            self.arrows.set_sizes(self.force_size[step])
            tracks = [np.column_stack([self.force_lon[:step + 1, j],
                                       self.force_lat[:step + 1, j]])
                      for j in range(len(self.force_names))]
            self.routes.set_segments([t for t in tracks if len(t) > 1])
        taken = np.flatnonzero(~self.government[step])
        self.held.set_path(MplPath.make_compound_path(
            MplPath(np.zeros((1, 2))), *(self.regions[i] for i in taken)))
        held = int(self.government[step].sum())
        defenders = int(self.on_duty[step].sum())
        self.title.set_text(f"{self.run.scenario.name}, {date_label(self.run, self.days[step])}"
                            f"\n{held}/{self.government.shape[1]} places held, "
                            f"{defenders:,} soldiers on duty")
        return [self.dots, self.arrows, self.routes, self.held, self.title]


def _figure(run: Run, ax: Axes | None = None) -> tuple[Figure, MapLayers]:
    """The given axes, or a figure of its own sized to the map's shape: the map
    5 in wide (at most 8 in tall), the title above it, the legend beside it.

    Laid out by hand, not by a layout engine: a map keeps its aspect, and
    constrained layout then lets the outside legend run off the figure.
    """
    if ax is None:
        w, s, e, n = view_bounds(np.array([p.lon for p in run.scenario.places]),
                                 np.array([p.lat for p in run.scenario.places]))
        aspect = (n - s) / ((e - w) * np.cos(np.radians((s + n) / 2)))
        width = min(5.0, 8.0 / aspect)
        height = width * aspect
        left, right, bottom, top = 0.62, 2.5, 0.35, 0.62  # inches: ticks, legend, title
        size = (left + width + right, bottom + height + top)
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((left / size[0], bottom / size[1], width / size[0], height / size[1]))
    return ax.figure, MapLayers(run, ax)


def _freeze_text(fig: Figure, layers: MapLayers) -> None:
    """Draw the text that never changes (place names, ticks, legend) once into an
    overlay image and hide the artists: text is most of a frame's cost.

    Call it after the figure is laid out and drawn at the dpi the frames use;
    only the markers, shading, routes and title are drawn again for each frame.
    """
    ax = layers.ax
    static = [*layers.labels, ax.xaxis, ax.yaxis, *([ax.legend_] if ax.legend_ else [])]
    renderer = fig.canvas.get_renderer()
    renderer.clear()
    for artist in static:
        artist.draw(renderer)
    overlay = np.asarray(renderer.buffer_rgba()).copy()
    for artist in static:
        artist.set_visible(False)
    fig.add_artist(_Overlay(overlay))


def draw_map(run: Run, day: float | None = None, ax: Axes | None = None,
             path: str | Path | None = None) -> Figure:
    """The map at one moment (default: the end of the run)."""
    fig, layers = _figure(run, ax)
    step = (layers.steps - 1 if day is None
            else int(np.searchsorted(layers.days, day, side="right")) - 1)
    layers.show(max(step, 0))
    return save(fig, path)


def animate(run: Run, path: str | Path, frames: int = 60, fps: int = 6,
            dpi: int = 90, progress: Callable[[int], None] | None = None) -> Path:
    """Write the run as a moving map and return what was written.

    `.gif` uses Pillow, `.mp4` uses ffmpeg; a path without a suffix, or an .mp4
    when ffmpeg is missing (with a warning), becomes a folder of PNG frames.
    `progress(1)` is called after each frame (for a progress bar: `rout.console.progress`
    gives one with the time left).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ("", ".gif", ".mp4"):
        raise ValueError(f"{path}: use a .gif or .mp4 file name, or a folder for PNG frames")
    if frames < 1 or fps < 1:
        raise ValueError("animate: frames and fps must be at least 1")
    fig, layers = _figure(run)
    fig.set_dpi(dpi)
    # whole, even pixel sizes: video encoders need them, and the text overlay stays aligned
    fig.set_size_inches(*(2 * np.round(fig.get_size_inches() * dpi / 2) / dpi))
    steps = np.unique(np.linspace(0, layers.steps - 1, min(frames, layers.steps)).round()
                      .astype(int))
    layers.show(steps[-1])
    # labels fixed for the whole run, clear of each marker at its largest
    layers.placer.radius_pt = np.sqrt(layers._size(np.arange(layers.steps)).max(axis=0)) / 2
    fig.canvas.draw()
    _freeze_text(fig, layers)
    writer_name = {".gif": "pillow", ".mp4": "ffmpeg"}.get(suffix)
    if writer_name and not animation.writers.is_available(writer_name):
        folder = path.with_suffix("")
        warnings.warn(f"{writer_name} is not available: writing PNG frames to {folder}/ "
                      "instead", stacklevel=2)
        path, writer_name = folder, None
    if writer_name is None:
        path.mkdir(parents=True, exist_ok=True)
        for i, step in enumerate(steps):
            layers.show(step)
            fig.savefig(path / f"frame-{i:04d}.png", dpi=dpi)
            if progress is not None:
                progress(1)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = animation.writers[writer_name](fps=fps)
    with writer.saving(fig, str(path), dpi):
        for step in steps:
            layers.show(step)
            writer.grab_frame()
            if progress is not None:
                progress(1)
    return path
