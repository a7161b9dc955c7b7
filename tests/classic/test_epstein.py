"""Epstein (2002) civil violence, Model I: mechanics and the published patterns."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rout.classic import epstein as ep


@pytest.mark.parametrize(("h", "w", "r"), [(40, 40, 7), (17, 23, 3), (15, 15, 7), (20, 31, 6),
                                           (9, 12, 1), (30, 30, 2)])
def test_ball_sum_matches_a_brute_force_sum_on_the_torus(h, w, r):
    rng = np.random.default_rng(h * w + r)
    torus = ep.Torus.make(h, w, r + 1)
    g = rng.integers(0, 3, (2, h * w)).astype(np.int16)
    grid = g.reshape(2, h, w)
    expected = grid.astype(int).copy()
    dy, dx = ep.vision_offsets(r)
    for a, b in zip(dy, dx, strict=True):
        expected += np.roll(grid, (-a, -b), axis=(1, 2))
    assert np.array_equal(torus.ball_sum_grid(g, r), expected)


@pytest.mark.parametrize("n_sources", [3, 40, 600])
def test_count_near_agrees_whether_it_scatters_or_sums(n_sources):
    rng = np.random.default_rng(n_sources)
    torus = ep.Torus.make(30, 36, 7)
    sources = rng.choice(30 * 36, n_sources, replace=False)
    at = rng.choice(30 * 36, 200, replace=False)
    layer = np.zeros(30 * 36, dtype=np.int16)
    layer[sources] = 1
    expected = torus.ball_sum_grid(layer, 5).ravel()[at]
    assert np.array_equal(torus.count_near(sources, at, 5), expected)


@pytest.mark.parametrize("r", [1, 2, 5, 7])
def test_vision_is_the_von_neumann_ball_without_its_centre(r):
    dy, dx = ep.vision_offsets(r)
    dist = np.abs(dy) + np.abs(dx)
    assert dy.size == 2 * r * (r + 1) == len(set(zip(dy, dx, strict=True)))
    assert dist.min() == 1 and dist.max() == r


def test_ratio_rounding_modes():
    cops, actives = np.array([1, 3, 5, 7]), np.array([2, 2, 2, 2])
    k = 2.3
    ratio = {"round": [0, 2, 2, 4], "floor": [0, 1, 2, 3], "none": [0.5, 1.5, 2.5, 3.5]}
    for mode, r in ratio.items():  # "round" is Python's: halves go to the even number
        p = ep.estimated_arrest_probability(cops, actives, k, mode)
        np.testing.assert_allclose(p, 1 - np.exp(-k * np.array(r)))
    with pytest.raises(ValueError):
        ep.estimated_arrest_probability(cops, actives, k, "ceil")  # type: ignore[arg-type]


def test_same_seed_same_run_and_seeds_differ():
    a = ep.run(30, rng=5, width=20, height=20, cop_density=0.03)
    assert a.equals(ep.run(30, rng=5, width=20, height=20, cop_density=0.03))
    assert not a.equals(ep.run(30, rng=6, width=20, height=20, cop_density=0.03))
    g = np.random.default_rng(5)
    assert a.equals(ep.run(30, rng=g, width=20, height=20, cop_density=0.03))


def _torus_distance(a: np.ndarray, b: np.ndarray, h: int, w: int) -> np.ndarray:
    (ya, xa), (yb, xb) = np.divmod(a, w), np.divmod(b, w)
    dy, dx = np.abs(ya - yb), np.abs(xa - xb)
    return np.minimum(dy, h - dy) + np.minimum(dx, w - dx)


def test_agents_keep_their_cells_consistent_and_move_within_vision():
    w = ep.init_world(2, width=30, height=24, cop_vision=3, citizen_vision=5,
                      cop_density=0.05, max_jail_term=5, legitimacy=0.5)
    p = w.params
    n, nc = w.pos.size, w.n_citizens
    moved = total = 0
    for _ in range(40):
        before, serving = w.pos.copy(), np.flatnonzero(w.sentence > 0)
        ep.step(w)
        assert (w.occupant[w.pos] == np.arange(n)).all()
        assert (w.occupant >= 0).sum() == n
        d = _torus_distance(before, w.pos, p.height, p.width)
        assert (d[:nc] <= p.citizen_vision).all() and (d[nc:] <= p.cop_vision).all()
        assert (d[serving] == 0).all()  # the jailed sit still
        free = np.setdiff1d(np.arange(n), serving)
        moved, total = moved + np.count_nonzero(d[free]), total + free.size
    assert moved / total > 0.97  # everyone free moves, unless caught before its turn


def test_moves_land_uniformly_on_the_vision_cells():
    w = ep.init_world(9, width=30, height=30, citizen_vision=3, cop_vision=3, cop_density=0.05,
                      legitimacy=1.0)
    dy, dx = ep.vision_offsets(3)
    index = {(a, b): i for i, (a, b) in enumerate(zip(dy, dx, strict=True))}
    counts = np.zeros(dy.size)
    for _ in range(25):
        before = w.pos.copy()
        ep.step(w)
        (y0, x0), (y1, x1) = np.divmod(before, 30), np.divmod(w.pos, 30)
        sy, sx = (y1 - y0 + 15) % 30 - 15, (x1 - x0 + 15) % 30 - 15
        for a, b in zip(sy, sx, strict=True):
            if a or b:
                counts[index[(a, b)]] += 1
    assert stats.chisquare(counts).pvalue > 0.001


def test_bursts_detector_finds_and_merges_runs():
    a = np.array([0, 0, 9, 12, 0, 11, 0, 0, 0, 20, 30, 0])
    b = ep.bursts(a, threshold=5)
    assert list(b["start"]) == [2, 5, 9] and list(b["peak"]) == [12, 11, 30]
    assert list(ep.bursts(a, threshold=5, min_gap=2)["start"]) == [2, 9]
    assert ep.bursts(np.zeros(5), threshold=1).empty


def test_punctuated_outbursts_need_the_ratio_rounded_down():
    # Epstein's run 2: vision 7, legitimacy 0.82, jail terms up to 30, cop density 0.04
    kw = dict(legitimacy=0.82, max_jail_term=30, cop_density=0.04)
    df = ep.run(250, rng=1, ratio_rounding="floor", **kw)
    active = df["active"].to_numpy()[10:]  # skip the opening transient
    b = ep.bursts(active, threshold=50, min_gap=5)
    assert len(b) >= 4
    for (_, left), (_, right) in zip(b.iloc[:-1].iterrows(), b.iloc[1:].iterrows(), strict=True):
        calm = active[int(left["end"]) + 1 : int(right["start"])]
        assert calm.min() < 0.1 * min(left["peak"], right["peak"])  # quiet between outbursts
    assert np.median(active) < 0.25 * b["peak"].median()
    plain = ep.run(250, rng=1, ratio_rounding="none", **kw)
    assert plain["active"].max() < 50  # with the ratio as printed: no outbursts


def test_a_sudden_loss_of_legitimacy_sparks_an_outburst_a_gradual_one_does_not():
    # Epstein's runs 3-4: legitimacy 0.9, cops 0.074, jail terms effectively unbounded
    steps, t0 = 90, 30
    abrupt = np.full(steps, 0.9)
    abrupt[t0:] = 0.7
    gradual = np.full(steps, 0.9)
    gradual[t0:] = np.maximum(0.9 - 0.01 * np.arange(1, steps - t0 + 1), 0.7)
    peaks = {"abrupt": 0, "gradual": 0}
    for seed in range(3):
        for name, lv in (("abrupt", abrupt), ("gradual", gradual)):
            df = ep.run(steps, rng=seed, legitimacy=lv, max_jail_term=10**6)
            peaks[name] += int(df["active"].iloc[t0:].max())
    assert peaks["abrupt"] > 3 * peaks["gradual"]


def test_fewer_cops_more_rebellion():
    def mean_active(density: float) -> float:
        return float(np.mean([ep.run(60, rng=s, cop_density=density, max_jail_term=30)
                              ["active"].iloc[10:].mean() for s in range(2)]))
    assert mean_active(0.03) > 5 * mean_active(0.074) + 1


def test_bad_parameters_are_refused():
    for kw in (dict(citizen_density=0.9, cop_density=0.2), dict(citizen_vision=20),
               dict(max_jail_term=-1), dict(ratio_rounding="ceil"), dict(legitimacy=1.5)):
        with pytest.raises(ValueError):
            ep.run(5, rng=0, **kw)
    with pytest.raises(ValueError):
        ep.run(5, rng=0, legitimacy=[0.8, 0.8])  # one value per step
    with pytest.raises(TypeError):
        ep.run(5, rng=0, vision=3)
