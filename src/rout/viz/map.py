"""The map of a run: places and roads at their real coordinates, who holds each place,
how many defenders are still there, and where the attacking forces are.

`draw_map` shows one moment; `animate` writes the whole run as a GIF (Pillow,
always there with matplotlib), an MP4 (when ffmpeg is installed) or a folder
of PNG frames, so a run can be shown without Python.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from rout.run import Run
from rout.viz.plots import date_label, save

GOVERNMENT = "#2b6cb0"
ATTACKER = "#dd6b20"
MAX_MARKER = 900.0  # points^2 of the largest garrison at the start


class MapLayers:
    """The artists of one map, built once and moved step by step (cheap to animate)."""

    def __init__(self, run: Run, ax: Axes) -> None:
        self.run, self.ax = run, ax
        sc = run.scenario
        self.lat = np.array([p.lat for p in sc.places])
        self.lon = np.array([p.lon for p in sc.places])
        names = run.places_
        k = len(names)
        places = run.places
        self.government = places["government"].to_numpy(dtype=bool).reshape(-1, k)
        series = run.series
        self.on_duty = np.stack([series[f"place.{p}.on_duty"].to_numpy(dtype=float)
                                 for p in names], axis=1)
        self.scale = MAX_MARKER / max(float(self.on_duty[0].max()), 1.0)
        index = {p: i for i, p in enumerate(names)}
        for road in sc.roads:
            a, b = index[road.a], index[road.b]
            ax.plot(self.lon[[a, b]], self.lat[[a, b]], color="#a0aec0", linewidth=1, zorder=1)
        self.dots = ax.scatter(self.lon, self.lat, s=self._size(0), c=self._colour(0),
                               edgecolors="white", linewidths=0.8, zorder=2)
        for name, x, y in zip(names, self.lon, self.lat, strict=True):
            ax.annotate(name, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7,
                        color="#2d3748", zorder=4)
        forces = run.forces
        self.force_names = list(dict.fromkeys(forces["force"]))
        nf = len(self.force_names)
        self.force_lon = forces["lon"].to_numpy().reshape(-1, nf) if nf else None
        self.force_lat = forces["lat"].to_numpy().reshape(-1, nf) if nf else None
        strength = forces["strength"].to_numpy().reshape(-1, nf) if nf else None
        self.force_size = (300.0 * strength / strength[0].max()) if nf else None
        self.arrows = ax.scatter(
            self.force_lon[0] if nf else [], self.force_lat[0] if nf else [],
            s=self.force_size[0] if nf else [], marker="^", color=ATTACKER,
            edgecolors="black", linewidths=0.8, zorder=3)
        pad = 0.4
        ax.set_xlim(self.lon.min() - pad, self.lon.max() + pad + 0.6)
        ax.set_ylim(self.lat.min() - pad, self.lat.max() + pad)
        ax.set_aspect(1.0 / np.cos(np.radians(self.lat.mean())))
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.grid(alpha=0.2)
        ax.legend(handles=self._legend(nf), loc="lower left", fontsize=7, framealpha=0.85)
        self.title = ax.set_title("", loc="left", fontsize=10)

    @property
    def steps(self) -> int:
        return self.government.shape[0]

    def _size(self, step: int) -> np.ndarray:
        return 12.0 + self.on_duty[step] * self.scale

    def _colour(self, step: int) -> list[str]:
        return [GOVERNMENT if g else ATTACKER for g in self.government[step]]

    def _legend(self, forces: int) -> list[Line2D]:
        dot = {"marker": "o", "linestyle": "", "markeredgecolor": "white"}
        handles = [Line2D([], [], color=GOVERNMENT, label="held by the government", **dot),
                   Line2D([], [], color=ATTACKER, label="taken by the attackers", **dot)]
        if forces:
            handles.append(Line2D([], [], marker="^", linestyle="", color=ATTACKER,
                                  markeredgecolor="black", label="attacking force"))
        return handles

    def show(self, step: int) -> list:
        """Move every artist to one step; returns the artists changed (for blitting)."""
        step = int(np.clip(step, 0, self.steps - 1))
        self.dots.set_sizes(self._size(step))
        self.dots.set_facecolor(self._colour(step))
        if self.force_lon is not None:
            self.arrows.set_offsets(np.column_stack([self.force_lon[step],
                                                     self.force_lat[step]]))
            self.arrows.set_sizes(self.force_size[step])
        day = float(self.run.series["day"].iloc[step])
        held = int(self.government[step].sum())
        defenders = int(self.on_duty[step].sum())
        self.title.set_text(f"{self.run.scenario.name}, {date_label(self.run, day)}: "
                            f"{held}/{self.government.shape[1]} places held, "
                            f"{defenders:,} on duty (marker area)")
        return [self.dots, self.arrows, self.title]


def _figure(run: Run, ax: Axes | None = None) -> tuple[Figure, MapLayers]:
    if ax is None:
        fig = Figure(figsize=(7.5, 7.0), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    return ax.figure, MapLayers(run, ax)


def draw_map(run: Run, day: float | None = None, ax: Axes | None = None,
             path: str | Path | None = None) -> Figure:
    """The map at one moment (default: the end of the run)."""
    fig, layers = _figure(run, ax)
    days = run.series["day"].to_numpy()
    step = layers.steps - 1 if day is None else int(np.searchsorted(days, day, side="right")) - 1
    layers.show(max(step, 0))
    return save(fig, path)


def animate(run: Run, path: str | Path, frames: int = 60, fps: int = 6,
            dpi: int = 90) -> Path:
    """Write the run as a moving map and return what was written.

    `.gif` uses Pillow, `.mp4` uses ffmpeg; a path without a suffix, or an .mp4
    when ffmpeg is missing (with a warning), becomes a folder of PNG frames.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ("", ".gif", ".mp4"):
        raise ValueError(f"{path}: use a .gif or .mp4 file name, or a folder for PNG frames")
    if frames < 1 or fps < 1:
        raise ValueError("animate: frames and fps must be at least 1")
    fig, layers = _figure(run)
    steps = np.unique(np.linspace(0, layers.steps - 1, min(frames, layers.steps)).round()
                      .astype(int))
    layers.show(steps[0])
    fig.canvas.draw()
    fig.set_layout_engine("none")  # lay out once: steadier frames, a third faster
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
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = animation.writers[writer_name](fps=fps)
    with writer.saving(fig, str(path), dpi):
        for step in steps:
            layers.show(step)
            writer.grab_frame()
    return path
