"""The map shows control, garrisons and forces at the chosen time; animations are written."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from matplotlib import animation
from matplotlib.colors import to_hex
from matplotlib.transforms import Bbox
from PIL import Image

import rout
from rout.model.results import series_column
from rout.viz import basemap
from rout.viz import map as rmap


@pytest.fixture(scope="module")
def syria() -> rout.Run:
    return rout.simulate("syria-2024", seed=1, days=3, overrides={"army.strength": 20000})


@pytest.fixture(scope="module")
def garrison() -> rout.Run:
    return rout.simulate("garrison", seed=1, days=1)


def test_places_sit_at_their_coordinates_and_roads_join_them(syria):
    fig = rmap.draw_map(syria)
    ax = fig.axes[0]
    dots = ax.collections[0].get_offsets()
    np.testing.assert_allclose(dots[:, 0], [p.lon for p in syria.scenario.places])
    np.testing.assert_allclose(dots[:, 1], [p.lat for p in syria.scenario.places])
    assert len(ax.get_lines()) == len(syria.scenario.roads)
    assert {t.get_text() for t in ax.texts} == {p.name for p in syria.scenario.places}


def test_control_and_garrison_size_follow_the_chosen_time(syria):
    falls = syria.fall_days.dropna()
    assert len(falls) > 0  # something fell within the run
    first, fell = falls.idxmin(), float(falls.min())
    place = syria.place_names.index(first)
    before = rmap.draw_map(syria, day=fell - 0.5).axes[0].collections[0]
    after = rmap.draw_map(syria, day=fell + 0.5).axes[0].collections[0]
    assert to_hex(before.get_facecolors()[place]) == rmap.GOVERNMENT
    assert to_hex(after.get_facecolors()[place]) == rmap.ATTACKER
    # marker area grows with the soldiers on duty there
    step = int(np.searchsorted(syria.series["day"], fell - 0.5, side="right")) - 1
    on_duty = np.array([syria.series[series_column("place", p, "on_duty")].iloc[step]
                        for p in syria.place_names])
    sizes = before.get_sizes()
    order = np.argsort(on_duty)
    assert np.all(np.diff(sizes[order]) >= 0)
    assert sizes[on_duty.argmax()] > sizes[on_duty.argmin()]


def test_forces_are_drawn_where_the_run_puts_them(syria):
    day = 2.0
    fig = rmap.draw_map(syria, day=day)
    arrows = fig.axes[0].collections[1].get_offsets()
    f = syria.forces
    step = int(np.searchsorted(syria.series["day"], day, side="right")) - 1
    at = f[f["step"] == step]
    np.testing.assert_allclose(arrows[:, 0], at["lon"])
    np.testing.assert_allclose(arrows[:, 1], at["lat"])
    assert "day 2.0 (29 Nov)" in fig.axes[0].get_title(loc="left")


def test_a_scenario_without_forces_still_maps(garrison, tmp_path):
    fig = rmap.draw_map(garrison, path=tmp_path / "g.png")
    assert len(fig.axes[0].collections[1].get_offsets()) == 0
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_gif_has_the_requested_frames(garrison, tmp_path):
    done: list[int] = []
    out = rmap.animate(garrison, tmp_path / "run.gif", frames=4, fps=4, dpi=40,
                       progress=done.append)
    assert out == tmp_path / "run.gif"
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == 4
    assert done == [1, 1, 1, 1]  # a progress bar moves with every frame


def test_mp4_is_written_with_ffmpeg(garrison, tmp_path):
    assert animation.writers.is_available("ffmpeg"), "ffmpeg is needed: apt-get install ffmpeg"
    out = rmap.animate(garrison, tmp_path / "run.mp4", frames=3, dpi=40)
    head = out.read_bytes()[:12]
    assert head[4:8] == b"ftyp"


def test_without_a_writer_frames_go_to_a_folder(garrison, tmp_path, monkeypatch):
    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.warns(UserWarning, match="PNG frames"):
        out = rmap.animate(garrison, tmp_path / "run.mp4", frames=3, dpi=40)
    assert out == tmp_path / "run"
    frames = sorted(out.glob("frame-*.png"))
    assert [f.name for f in frames] == ["frame-0000.png", "frame-0001.png", "frame-0002.png"]


def test_animation_refuses_other_formats(garrison, tmp_path):
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        rmap.animate(garrison, tmp_path / "run.avi")


# The basemap: shipped Natural Earth geography, clipped to the map's box.

SYRIA_BOX = (35.0, 32.0, 42.5, 37.5)  # west, south, east, north


def test_basemap_ships_coast_borders_rivers_and_lakes():
    base = basemap.load()
    for name in ("land", "coast", "borders", "rivers", "lakes", "countries"):
        assert len(base[name].parts) > 100, name
    assert basemap.load() is base  # read once
    assert "Natural Earth" in basemap.source() and "public domain" in basemap.source()
    assert basemap.DATA.stat().st_size < 3_000_000
    for name, parts in basemap.layers(SYRIA_BOX).items():
        assert parts, f"no {name} around Syria"


def test_layers_clip_to_the_box():
    box = (44.0, 31.0, 46.0, 34.0)  # Baghdad: the Tigris and Euphrates, no sea
    got = basemap.layers(box)
    assert got["rivers"] and not got["coast"]
    w, s, e, n = box
    for name in ("borders", "rivers"):
        for line in got[name]:
            inner = line[1:-1]  # each piece keeps one point beyond the edge at either end
            assert np.all((inner[:, 0] >= w) & (inner[:, 0] <= e)
                          & (inner[:, 1] >= s) & (inner[:, 1] <= n)), name
    for ring in got["land"] + got["lakes"]:
        assert np.array_equal(ring[0], ring[-1])
        assert ring[:, 0].min() >= w - 1e-9 and ring[:, 0].max() <= e + 1e-9
        assert ring[:, 1].min() >= s - 1e-9 and ring[:, 1].max() <= n + 1e-9
    # land cut to a box wholly on land is the box itself
    (land,) = got["land"]
    assert abs(land[:, 0].min() - w) < 1e-9 and abs(land[:, 1].max() - n) < 1e-9
    # open ocean: nothing but sea
    assert not any(basemap.layers((-140.0, -40.0, -130.0, -35.0)).values())


def test_countries_tell_which_side_of_a_border_a_point_is():
    names = basemap.countries()
    at = basemap.country_at(np.array([36.29, 44.37, 35.0]), np.array([33.51, 33.31, 34.0]))
    assert [names[i] if i >= 0 else None for i in at] == ["Syria", "Iraq", None]


def test_geojson_is_a_feature_collection_per_layer():
    g = json.loads(json.dumps(basemap.geojson(SYRIA_BOX)))
    assert g["type"] == "FeatureCollection"
    kinds = {f["properties"]["layer"]: f["geometry"]["type"] for f in g["features"]}
    assert kinds == {"land": "MultiPolygon", "lakes": "MultiPolygon", "coast": "MultiLineString",
                     "borders": "MultiLineString", "rivers": "MultiLineString"}
    land = next(f for f in g["features"] if f["properties"]["layer"] == "land")
    exterior = np.array(land["geometry"]["coordinates"][0][0])
    x, y = exterior[:, 0], exterior[:, 1]
    assert np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) > 0  # RFC 7946: counter-clockwise


# The map drawn on it: legible, nothing hiding anything.

def _markers(ax, fig) -> list:
    """Each place marker's box in pixels (centre plus its radius)."""
    dots = ax.collections[0]
    centres = ax.transData.transform(dots.get_offsets())
    radii = np.sqrt(dots.get_sizes()) / 2 * fig.dpi / 72
    return [Bbox.from_extents(x - r, y - r, x + r, y + r)
            for (x, y), r in zip(centres, radii, strict=True)]


def _no_overlap(boxes) -> list:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def test_syria_map_draws_every_basemap_layer(syria):
    fig = rmap.draw_map(syria)
    ax = fig.axes[0]
    gids = {a.get_gid() for a in [*ax.patches, *ax.collections]}
    assert {"basemap.land", "basemap.lakes", "basemap.coast", "basemap.borders",
            "basemap.rivers"} <= gids
    coast = next(a for a in ax.collections if a.get_gid() == "basemap.coast")
    rivers = next(a for a in ax.collections if a.get_gid() == "basemap.rivers")
    assert len(coast.get_segments()) > 0 and len(rivers.get_segments()) > 0


def test_place_labels_are_legible_and_do_not_overlap(syria):
    fig = rmap.draw_map(syria)
    fig.canvas.draw()
    ax = fig.axes[0]
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == len(syria.scenario.places)
    assert _no_overlap(boxes) == []
    assert all(t.get_fontsize() >= 8 for t in ax.texts)
    frame = ax.bbox
    for b in boxes:
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1
    # nor do they cover another place's marker
    markers = _markers(ax, fig)
    for i, b in enumerate(boxes):
        for j, m in enumerate(markers):
            if i != j:
                assert not b.overlaps(m.expanded(0.7, 0.7)), (i, j)  # the inscribed square


def test_legend_and_title_stay_off_the_places(syria):
    fig = rmap.draw_map(syria)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    title = ax.title.get_window_extent()
    for m in _markers(ax, fig):
        assert not legend.overlaps(m)
        assert not title.overlaps(m)
    assert not legend.overlaps(ax.bbox)


def test_report_panels_keep_titles_labels_and_legend_apart(syria):
    from rout.viz import report

    fig = report.map_figure(syria)
    fig.savefig(io.BytesIO(), format="png", dpi=report.MAP_DPI)
    maps = [ax for ax in fig.axes if ax.collections]
    assert len(maps) == 3
    titles = [ax.title.get_window_extent() for ax in maps]
    assert _no_overlap(titles) == []
    legend = next(ax.get_legend() for ax in fig.axes if ax.get_legend()).get_window_extent()
    for ax in maps:
        assert not ax.title.get_window_extent().overlaps(ax.bbox)
        assert _no_overlap([t.get_window_extent() for t in ax.texts]) == []
        assert not legend.overlaps(ax.bbox)
        for m in _markers(ax, fig):
            assert not legend.overlaps(m)
            assert all(not t.overlaps(m) for t in titles)


def test_the_front_and_the_routes_follow_the_run(syria):
    fig, layers = rmap._figure(syria)
    layers.show(0)
    start = len(layers.held.get_path().vertices)
    layers.show(layers.steps - 1)
    end = len(layers.held.get_path().vertices)
    taken = ~layers.government[-1]
    assert taken.sum() > (~layers.government[0]).sum() and end > start
    # the ground a place holds is land of its own country: never across a border, nor sea
    # (Latakia and Tartus sit a little off Natural Earth's 1:50m coast, and still hold land)
    cells = layers.cells
    w, s, e, n = layers.bounds
    ny, nx = cells.shape
    x, y = np.meshgrid(w + (np.arange(nx) + 0.5) * (e - w) / nx,
                       s + (np.arange(ny) + 0.5) * (n - s) / ny)
    country = basemap.country_at(x, y)
    names = basemap.countries()
    assert {names[c] for c in np.unique(country[cells >= 0])} == {"Syria"}
    assert {names[c] for c in np.unique(country) if c >= 0} > {"Syria", "Turkey", "Lebanon"}
    assert set(np.unique(cells)) == set(range(-1, len(layers.lon)))
    # each force's route runs from its start to where it stands now
    routes = layers.routes.get_segments()
    assert len(routes) == len(layers.force_names)
    for j, route in enumerate(routes):
        assert len(route) == layers.steps
        np.testing.assert_allclose(route[-1], [layers.force_lon[-1, j], layers.force_lat[-1, j]])
        np.testing.assert_allclose(route[0], [layers.force_lon[0, j], layers.force_lat[0, j]])


def test_gif_frames_keep_the_names_and_the_basemap(syria, tmp_path):
    out = rmap.animate(syria, tmp_path / "syria.gif", frames=3, dpi=60)
    with Image.open(out) as im:
        assert im.n_frames == 3
        im.seek(2)
        frame = np.asarray(im.convert("RGB")).astype(int)
    sea = np.array([int(basemap.SEA[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(frame - sea).sum(axis=-1) < 12).mean() > 0.01  # the Mediterranean
    assert (frame.sum(axis=-1) < 150).mean() > 0.002  # dark text: names, ticks, legend
