"""The map shows control, garrisons and forces at the chosen time; animations are written."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import animation
from matplotlib.colors import to_hex
from PIL import Image

import rout
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
    fell = syria.timeline().set_index("place").loc["Aleppo", "simulated"]
    aleppo = syria.places_.index("Aleppo")
    before = rmap.draw_map(syria, day=fell - 0.5).axes[0].collections[0]
    after = rmap.draw_map(syria, day=fell + 0.5).axes[0].collections[0]
    assert to_hex(before.get_facecolors()[aleppo]) == rmap.GOVERNMENT
    assert to_hex(after.get_facecolors()[aleppo]) == rmap.ATTACKER
    # marker area grows with the soldiers on duty there
    step = int(np.searchsorted(syria.series["day"], fell - 0.5, side="right")) - 1
    on_duty = np.array([syria.series[f"place.{p}.on_duty"].iloc[step] for p in syria.places_])
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
    out = rmap.animate(garrison, tmp_path / "run.gif", frames=4, fps=4, dpi=40)
    assert out == tmp_path / "run.gif"
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == 4


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
