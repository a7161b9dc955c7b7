"""The geography under a map: land, coast, borders, rivers and lakes, offline.

The data ships with rout as `rout/viz/data/basemap.npz`: Natural Earth 1:50m
(public domain), built once by `rout/viz/data/make_basemap.py`, which says
which packages and versions it came from and how to rebuild it. Nothing is
downloaded at run time; the file is read once and kept.

Bounds are `(west, south, east, north)` in degrees (longitude, latitude), as
`bounds_of` makes them from a scenario's places.

    from rout.viz import basemap
    box = basemap.bounds_of(lons, lats, margin=0.5)
    basemap.layers(box)["rivers"]       # list of (n, 2) lon/lat arrays within the box
    basemap.draw(ax, box)               # matplotlib: land, lakes, coast, borders, rivers
    basemap.geojson(box)                # a FeatureCollection, for a web page to draw
    basemap.country_at(lons, lats)      # index into basemap.countries(); -1 at sea
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

DATA = Path(__file__).with_name("data") / "basemap.npz"
LINES = ("coast", "borders", "rivers")
POLYGONS = ("land", "lakes")
LAYERS = (*POLYGONS, *LINES)

SEA = "#dcebf5"
LAND = "#f6f3ec"
STYLE = {  # restrained: the places and forces on top are what the map is about
    "land": {"facecolor": LAND, "edgecolor": "none", "zorder": -5},
    "lakes": {"facecolor": SEA, "edgecolor": "#8fb6d3", "linewidth": 0.5, "zorder": -4},
    "rivers": {"color": "#7fb0d6", "linewidth": 0.8, "zorder": -4.5},  # under the lakes
    "coast": {"color": "#7d9fba", "linewidth": 0.7, "zorder": -3},
    "borders": {"color": "#8c8c8c", "linewidth": 0.9, "linestyle": (0, (4, 2.5)),
                "zorder": -2.5},
}

Bounds = tuple[float, float, float, float]


class Layer:
    """One layer's polylines (or rings) and their bounding boxes, for quick selection."""

    def __init__(self, xy: np.ndarray, start: np.ndarray) -> None:
        self.owner: np.ndarray | None = None  # countries: the country of each ring
        self.names: list[str] = []
        self.parts = [xy[a:b] for a, b in zip(start[:-1], start[1:], strict=True)]
        if self.parts:
            self.box = np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()]
                                 for p in self.parts])
        else:
            self.box = np.zeros((0, 4))

    def touching(self, bounds: Bounds) -> np.ndarray:
        w, s, e, n = bounds
        b = self.box
        return np.flatnonzero((b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n) & (b[:, 3] >= s))


@cache
def load() -> dict[str, Layer]:
    """The shipped basemap, read once: a Layer per name in LAYERS, and "countries"."""
    with np.load(DATA) as f:
        out = {name: Layer(f[f"{name}_xy"], f[f"{name}_start"])
               for name in ("land", "lakes", "borders", "rivers", "countries")}
        out["countries"].owner = f["countries_country"]
        out["countries"].names = [str(n) for n in f["countries_name"]]
    out["coast"] = out["land"]  # the coast is the outline of the land
    return out


def countries() -> list[str]:
    """The names of the countries, indexed as `country_at` returns them."""
    return load()["countries"].names


def country_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The index in `countries()` of the country at each point; -1 at sea."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    pts = np.column_stack([lon.ravel(), lat.ravel()])
    out = np.full(len(pts), -1, dtype=np.int64)
    if not len(pts):
        return out.reshape(lon.shape)
    layer = load()["countries"]
    box = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
    inside: dict[int, np.ndarray] = {}
    for i in layer.touching(box):
        k = int(layer.owner[i])
        hit = MplPath(layer.parts[i]).contains_points(pts)
        inside[k] = inside.get(k, np.zeros(len(pts), dtype=bool)) ^ hit  # holes flip back
    for k, hit in inside.items():
        out[hit] = k
    return out.reshape(lon.shape)


def source() -> str:
    """Where the shipped geography came from (data, package, version, licence)."""
    with np.load(DATA) as f:
        return str(f["source"])


def bounds_of(lon: Iterable[float], lat: Iterable[float], margin: float = 0.5) -> Bounds:
    """The box around some points, `margin` degrees wider on every side."""
    lon, lat = np.asarray(list(lon), dtype=float), np.asarray(list(lat), dtype=float)
    return (float(lon.min() - margin), float(lat.min() - margin),
            float(lon.max() + margin), float(lat.max() + margin))


def clip_line(line: np.ndarray, bounds: Bounds) -> list[np.ndarray]:
    """The pieces of a polyline that run inside the box.

    Cheap rather than exact: each piece keeps the first point outside at either
    end, so it reaches the edge and the axes clip the overshoot when drawing.
    """
    w, s, e, n = bounds
    x, y = line[:, 0], line[:, 1]
    inside = (x >= w) & (x <= e) & (y >= s) & (y <= n)
    if inside.all():
        return [line]
    keep = inside.copy()
    keep[1:] |= inside[:-1]
    keep[:-1] |= inside[1:]
    # a segment may cross the box with both ends outside: keep it when its box overlaps
    x0, x1 = np.minimum(x[:-1], x[1:]), np.maximum(x[:-1], x[1:])
    y0, y1 = np.minimum(y[:-1], y[1:]), np.maximum(y[:-1], y[1:])
    cross = (x0 <= e) & (x1 >= w) & (y0 <= n) & (y1 >= s)
    keep[:-1] |= cross
    keep[1:] |= cross
    if not keep.any():
        return []
    edges = np.diff(np.concatenate([[0], keep.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [line[a:b] for a, b in zip(starts, stops, strict=True) if b - a >= 2]


def clip_ring(ring: np.ndarray, bounds: Bounds) -> np.ndarray | None:
    """A closed ring cut to the box (Sutherland-Hodgman), still closed; None if nothing is left.

    Orientation is kept, so holes still cancel their exteriors when filled.
    """
    w, s, e, n = bounds
    p = ring[:-1] if len(ring) > 1 and np.array_equal(ring[0], ring[-1]) else ring
    for axis, edge, keep_above in ((0, w, True), (0, e, False), (1, s, True), (1, n, False)):
        if len(p) == 0:
            return None
        q = np.roll(p, -1, axis=0)
        pin = p[:, axis] >= edge if keep_above else p[:, axis] <= edge
        qin = q[:, axis] >= edge if keep_above else q[:, axis] <= edge
        if pin.all():
            continue
        d = q[:, axis] - p[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(d != 0, (edge - p[:, axis]) / d, 0.0)
        cut = p + t[:, None] * (q - p)
        first = np.where((pin & qin)[:, None], q, cut)
        slots = np.stack([first, q], axis=1)
        valid = np.stack([pin | qin, ~pin & qin], axis=1)
        p = slots[valid]
    if len(p) < 3:
        return None
    return np.vstack([p, p[:1]])


def layers(bounds: Bounds) -> dict[str, list[np.ndarray]]:
    """Every layer's lon/lat polylines within the box.

    "coast", "borders" and "rivers" are open polylines; "land" and "lakes" are
    closed rings cut to the box (exteriors counter-clockwise, holes clockwise).
    """
    base = load()
    out: dict[str, list[np.ndarray]] = {}
    for name in LAYERS:
        layer = base[name]
        parts = [layer.parts[i] for i in layer.touching(bounds)]
        if name in POLYGONS:
            rings = (clip_ring(r.astype(float), bounds) for r in parts)
            out[name] = [r for r in rings if r is not None]
        else:
            out[name] = [piece for p in parts for piece in clip_line(p, bounds)]
    return out


def _patch(rings: list[np.ndarray], **style) -> PathPatch:
    """Rings as one compound path: holes, wound the other way, stay empty."""
    verts = np.concatenate(rings)
    codes = np.full(len(verts), MplPath.LINETO, dtype=np.uint8)
    at = np.cumsum([0] + [len(r) for r in rings[:-1]])
    codes[at] = MplPath.MOVETO
    return PathPatch(MplPath(verts, codes), **style)


def draw(ax: Axes, bounds: Bounds, style: dict[str, dict] | None = None) -> dict[str, object]:
    """Draw the basemap of the box under whatever else the axes show.

    The sea is the axes' background; land and lakes are filled, coast, borders
    and rivers stroked. Returns the artist of each layer drawn (a layer with
    nothing in the box is left out). Axis limits are not changed.
    """
    style = {k: {**v, **(style or {}).get(k, {})} for k, v in STYLE.items()}
    ax.set_facecolor(SEA)
    drawn: dict[str, object] = {}
    for name, parts in layers(bounds).items():
        if not parts:
            continue
        if name in POLYGONS:
            artist = ax.add_patch(_patch(parts, **style[name]))
        else:
            artist = ax.add_collection(LineCollection(parts, **style[name]),
                                       autolim=False)
        artist.set_gid(f"basemap.{name}")
        artist.set_in_layout(False)  # within the axes anyway: keeps layouts fast
        drawn[name] = artist
    return drawn


def geojson(bounds: Bounds, digits: int = 4) -> dict:
    """The basemap of the box as a GeoJSON FeatureCollection, one Feature per layer.

    Land and lakes are MultiPolygons (RFC 7946 winding: exteriors
    counter-clockwise), coast, borders and rivers MultiLineStrings; each
    feature's `properties.layer` names it. Coordinates are rounded to `digits`.
    """
    def coords(a: np.ndarray) -> list[list[float]]:
        return np.round(a.astype(float), digits).tolist()

    features = []
    for name, parts in layers(bounds).items():
        if name in POLYGONS:
            polygons: list[list] = []
            for ring in parts:
                x, y = ring[:, 0], ring[:, 1]
                hole = np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) < 0
                if hole and polygons:
                    polygons[-1].append(coords(ring))
                elif not hole:
                    polygons.append([coords(ring)])
            geometry = {"type": "MultiPolygon", "coordinates": polygons}
        else:
            geometry = {"type": "MultiLineString", "coordinates": [coords(p) for p in parts]}
        features.append({"type": "Feature", "properties": {"layer": name},
                         "geometry": geometry})
    return {"type": "FeatureCollection", "bbox": list(bounds), "features": features}
