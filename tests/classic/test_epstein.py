"""Epstein (2002) civil violence, Model I: mechanics and the published patterns."""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from rout.classic import epstein as ep


def _bits_for(n: int) -> int:
    """Bits of a choice among n in ep's loop: enough for n, and four spare."""
    return (n - 1).bit_length() + 4


class _Draws:
    """ep's random choices, drawn by plain Python from the world's generator: a
    pool of bits, refilled with the 53 bits of a uniform double when short, and
    Lemire's uniform integer below n on `bits` of them."""

    def __init__(self, w: ep.World) -> None:
        self.w, self.u, self.nb = w, int(w.pool[0]), int(w.pool[1])

    def below(self, n: int, bits: int) -> int:
        while True:
            if self.nb < bits:
                self.u, self.nb = int(self.w.rng.random() * 2**53), 53
            m = (self.u % 2**bits) * n
            self.u, self.nb = self.u >> bits, self.nb - bits
            if m % 2**bits >= 2**bits % n:
                return m >> bits

    def close(self) -> None:
        self.w.pool[:] = self.u, self.nb


def _mesa_tick_without_movement(w: ep.World) -> int:
    """One tick as Mesa's agents.py has it, one agent at a time, with movement off,
    drawing the same numbers as ep.step: the shuffle, then whom and for how long
    each cop arrests."""
    p, nc, draws = w.params, w.n_citizens, _Draws(w)
    # Those serving a term when the tick starts only count it down at their turn,
    # and nobody looks at it: rout counts it down first and shuffles the others.
    order = []
    for a in range(nc):
        if w.sentence[a]:
            w.sentence[a] -= 1
        else:
            order.append(a)
    order += range(nc, w.pos.size)
    for i in range(len(order) - 1, 0, -1):
        j = draws.below(i + 1, max(26, _bits_for(w.pos.size)))
        order[i], order[j] = order[j], order[i]
    pick = _bits_for(2 * w.layout.margin * (w.layout.margin + 1))

    def neighbours(a: int, radius: int) -> list[int]:
        y, x = divmod(int(w.pos[a]), p.width)
        dy, dx = ep.vision_offsets(radius)
        cells = (y + dy) % p.height * p.width + (x + dx) % p.width
        return [int(b) for b in w.occupant[cells] if b >= 0]

    arrests = 0
    for a in order:
        if a < nc:
            if w.sentence[a]:
                w.sentence[a] -= 1
                continue
            seen = neighbours(a, p.citizen_vision)
            cops = sum(b >= nc for b in seen)
            actives = 1 + sum(b < nc and w.state[b] == ep.ACTIVE for b in seen)
            prob = ep.estimated_arrest_probability(cops, actives, p.arrest_prob_constant,
                                                   p.ratio_rounding)
            grievance = w.hardship[a] * (1.0 - p.legitimacy)
            active = grievance - w.risk_aversion[a] * prob > p.active_threshold
            w.state[a] = ep.ACTIVE if active else ep.QUIET
        else:
            seen = [b for b in neighbours(a, p.cop_vision) if b < nc and w.state[b] == ep.ACTIVE]
            if seen:
                b = seen[draws.below(len(seen), pick)]
                w.sentence[b] = draws.below(p.max_jail_term + 1, _bits_for(p.max_jail_term + 1))
                w.state[b] = ep.JAILED
                arrests += 1
    draws.close()
    return arrests


@pytest.mark.parametrize("kw", [dict(citizen_vision=4, cop_vision=3),
                                dict(citizen_vision=3, cop_vision=3, ratio_rounding="floor")])
def test_a_tick_is_mesas_one_agent_at_a_time(kw):
    # without movement a plain transcription of Mesa's rules draws the same numbers
    w = ep.init_world(4, width=24, height=19, legitimacy=0.6, cop_density=0.06,
                      max_jail_term=3, movement=False, **kw)
    ref = copy.deepcopy(w)
    arrests = 0
    for _ in range(12):
        n = ep.step(w)
        assert _mesa_tick_without_movement(ref) == n
        assert np.array_equal(w.state, ref.state) and np.array_equal(w.sentence, ref.sentence)
        arrests += n
    assert w.rng.bit_generator.state == ref.rng.bit_generator.state
    assert np.array_equal(w.pool, ref.pool)
    assert arrests > 20 and 0 < ep.counts(w)[ep.ACTIVE]  # the test saw something happen


def _count_within(cells: np.ndarray, radius: int, h: int, w: int) -> np.ndarray:
    """How many of `cells` lie at torus distance 1..radius of each cell, by brute force."""
    out = np.zeros(h * w, dtype=int)
    dy, dx = ep.vision_offsets(radius)
    y, x = np.divmod(cells, w)
    np.add.at(out, (y[:, None] + dy) % h * w + (x[:, None] + dx) % w, 1)
    return out


@pytest.mark.parametrize("kw", [dict(width=13, height=11, citizen_vision=5, cop_vision=2),
                                dict(citizen_density=0.9, cop_density=0.09, max_jail_term=5),
                                dict(width=30, height=24, citizen_vision=4, cop_vision=6),
                                dict(width=21, height=18, citizen_vision=8, cop_vision=3)])
def test_the_counts_each_cell_keeps_match_a_recount(kw):
    # small grids wrap every vision; a crowded one leaves few empty cells to find;
    # beyond vision 7 the counts take two bytes
    w = ep.init_world(3, legitimacy=0.45, **kw)
    p, nc = w.params, w.n_citizens
    arrests = 0
    for _ in range(15):
        arrests += ep.step(w)
        assert (w.occupant[w.pos] == np.arange(w.pos.size)).all()
        active = w.pos[:nc][w.state == ep.ACTIVE]
        code = np.zeros(p.height * p.width, dtype=np.int8)
        code[w.pos], code[active] = 1, 2
        assert np.array_equal(w.grid, code)
        images = w.layout.images.reshape(-1, 4)  # every image of a cell holds its code
        real = images != w.layout.dummy
        assert np.array_equal(w.cells[images[real]], np.repeat(code, real.sum(axis=1)))
        assert np.array_equal(w.cops_near,
                              _count_within(w.pos[nc:], p.citizen_vision, p.height, p.width))
        assert np.array_equal(w.actives_near,
                              _count_within(active, p.citizen_vision, p.height, p.width))
        assert np.array_equal(w.actives_near_cop,
                              _count_within(active, p.cop_vision, p.height, p.width))
    assert arrests > 10  # citizens turned active and were caught


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


@pytest.mark.parametrize("crowded", [False, True])
def test_a_mover_lands_uniformly_on_the_empty_cells_of_its_vision(crowded):
    # The choice itself, on a fixed grid: over a tick the landing offsets are not
    # quite uniform, in Mesa as here (cells close by are empty a little more often).
    density = 0.97 if crowded else 0.7  # crowded: the random tries give up, the count decides
    w = ep.init_world(9, width=20, height=20, citizen_density=density, cop_density=0.0)
    lay, sight = w.layout, w.citizen_sight
    dy, dx = ep.vision_offsets(w.params.citizen_vision)
    u = nb = 0
    for y, x in ((10, 10), (1, 18)):  # clear of the edges, and wrapping round them
        ep._mark(w.cells, lay.images, y * 20 + x, 1)  # the mover's own cell is taken
        cells = (y + dy) % 20 * 20 + (x + dx) % 20
        empty = np.flatnonzero(w.grid[cells] == 0)
        assert empty.size > 1
        hits = np.zeros(dy.size)
        centre = int(lay.padded[y * 20 + x])
        for _ in range(300 * empty.size):
            c, u, nb = ep._land(w.rng, u, nb, w.cells, centre, sight.tries, sight.bits)
            if c < 0:
                c, u, nb = ep._pick(w.rng, u, nb, w.cells, centre, sight.offsets, 0, -1, 12)
            hits[np.flatnonzero(cells == lay.cell_of[c])] += 1
        assert hits.sum() == 300 * empty.size and hits[w.grid[cells] != 0].sum() == 0
        assert stats.chisquare(hits[empty]).pvalue > 0.001


@pytest.mark.parametrize("radius", [1, 4, 7, 9])
def test_every_cell_of_a_vision_gets_the_same_share_of_the_tries(radius):
    lay = ep.Layout.make(40, 40, 9)
    sight = ep.Sight.make(lay, radius)
    n = sight.offsets.size
    assert sight.tries.size == 2**sight.bits >= n
    values, count = np.unique(sight.tries[sight.tries != 0], return_counts=True)
    assert np.array_equal(np.sort(values), np.sort(sight.offsets))
    assert (count == 2**sight.bits // n).all()  # Lemire: the rest try the mover's own cell
    assert np.count_nonzero(sight.tries == 0) == 2**sight.bits % n


def test_the_bit_pool_draws_uniform_integers_as_plain_python_does():
    w = ep.init_world(1, width=20, height=20)
    draws = _Draws(copy.deepcopy(w))
    u = nb = 0
    for n, bits in [(3, 6), (1001, 14), (112, 11), (1, 4), (2**20 + 7, 26)] * 40:
        j, u, nb = ep._below(w.rng, u, nb, n, bits)
        assert j == draws.below(n, bits) and 0 <= j < n
    for n in (3, 10):
        x = [ep._below(w.rng, 0, 0, n, _bits_for(n))[0] for _ in range(3000)]
        assert stats.chisquare(np.bincount(x, minlength=n)).pvalue > 0.001


def test_the_padded_layout_lists_every_image_of_every_cell():
    h, w, m = 13, 11, 5
    lay = ep.Layout.make(h, w, m)
    images = lay.images.reshape(-1, 4)
    seen = images[images != lay.dummy]
    assert np.array_equal(np.sort(seen), np.arange(lay.dummy))  # each padded cell once
    assert (lay.cell_of[images] == np.where(images == lay.dummy, -1,
                                            np.arange(h * w)[:, None])).all()
    assert (images == lay.padded[:, None]).any(axis=1).all()
    y, x = np.divmod(np.arange(lay.dummy), lay.stride)
    assert np.array_equal(lay.cell_of[:-1], (y - m) % h * w + (x - m) % w)


def test_advancing_in_pieces_is_advancing_at_once():
    a, b = ep.init_world(3, width=24, height=24), ep.init_world(3, width=24, height=24)
    whole = ep.advance(a, 25)
    pieces = np.concatenate([ep.advance(b, 7), ep.advance(b, 0), ep.advance(b, 1),
                             ep.advance(b, 17)])
    assert np.array_equal(whole, pieces) and np.array_equal(a.pos, b.pos)
    assert np.array_equal(a.pool, b.pool) and np.array_equal(a.cops_seen, b.cops_seen)
    assert np.array_equal(whole[:, :3].sum(axis=1), np.full(25, a.n_citizens))
    assert np.array_equal(whole[-1, :3], ep.counts(a))


_WITHOUT_JIT = """
import hashlib, numpy as np
from rout.classic import epstein as ep
df = ep.run(12, rng=7, width=20, height=20, legitimacy=0.6, cop_density=0.06,
            citizen_vision=4, cop_vision=3, max_jail_term=5)
w = ep.init_world(7, width=20, height=20)
ep.advance(w, 6)
print(hashlib.sha256(df.to_numpy().tobytes() + w.pos.tobytes() + w.pool.tobytes()).hexdigest())
"""


def test_the_same_seed_gives_the_same_run_without_the_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", _WITHOUT_JIT], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    df = ep.run(12, rng=7, width=20, height=20, legitimacy=0.6, cop_density=0.06,
                citizen_vision=4, cop_vision=3, max_jail_term=5)
    w = ep.init_world(7, width=20, height=20)
    ep.advance(w, 6)
    here = hashlib.sha256(df.to_numpy().tobytes() + w.pos.tobytes() + w.pool.tobytes())
    assert out == here.hexdigest()


def test_bursts_detector_finds_and_merges_runs():
    a = np.array([0, 0, 9, 12, 0, 11, 0, 0, 0, 20, 30, 0])
    b = ep.bursts(a, threshold=5)
    assert list(b["start"]) == [2, 5, 9] and list(b["peak"]) == [12, 11, 30]
    assert list(ep.bursts(a, threshold=5, min_gap=2)["start"]) == [2, 9]
    assert ep.bursts(np.zeros(5), threshold=1).empty


def test_punctuated_outbursts_need_the_ratio_rounded_down():
    # Epstein's run 2: vision 7, legitimacy 0.82, jail terms up to 30, cop density 0.04
    kw = dict(legitimacy=0.82, max_jail_term=30, cop_density=0.04)
    df = ep.run(250, rng=0, ratio_rounding="floor", **kw)
    active = df["active"].to_numpy()[10:]  # skip the opening transient
    b = ep.bursts(active, threshold=50, min_gap=5)
    assert len(b) >= 4
    for (_, left), (_, right) in zip(b.iloc[:-1].iterrows(), b.iloc[1:].iterrows(), strict=True):
        calm = active[int(left["end"]) + 1 : int(right["start"])]
        assert calm.min() < 0.1 * min(left["peak"], right["peak"])  # quiet between outbursts
    assert np.median(active) < 0.25 * b["peak"].median()
    plain = ep.run(250, rng=0, ratio_rounding="none", **kw)
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
