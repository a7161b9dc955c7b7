"""Epstein (2002) civil violence, Model I, vectorized with NumPy.

The rules are those of Mesa 3.3.1's ``EpsteinCivilViolence`` example, so that the
two can be compared seed for seed in distribution:

* torus grid, at most one agent per cell; each cell holds a citizen with
  probability ``citizen_density``, else a cop with probability ``cop_density``;
* vision is a von Neumann neighbourhood: the cells at Manhattan distance
  1..vision (Mesa's ``get_neighborhood(radius)`` on an ``OrthogonalVonNeumannGrid``);
* a free citizen estimates P = 1 - exp(-k [C / A]), C the cops and A the active
  citizens in vision, A counting the citizen itself, [.] the rounding chosen by
  ``ratio_rounding`` (Mesa: Python's ``round``, half to even); it is active when
  G - R P > T, with grievance G = H (1 - L);
* a cop arrests one random active citizen in vision; the term is uniform on
  0..max_jail_term inclusive; a jailed citizen keeps its cell (Mesa does not
  remove it; Epstein's and NetLogo's versions take it off the grid) and sits out
  one tick of its term per tick;
* after acting, each free agent moves to a random empty cell in its vision.

Mesa activates agents one at a time in a fresh random order each tick, each
seeing what those before it did. That would take a Python loop per agent, so a
tick here is a few whole-array passes that keep what the order decides:

1. each agent gets a random turn within the tick; every free agent moves to a
   uniformly random empty cell of its vision, with cells vacated earlier in the
   tick open to movers after (see `_move`);
2. every free citizen decides, seeing the cops where they stood at the start of
   the tick and each neighbour as it is at the citizen's turn: old state at its
   old cell if its turn comes later, new state at its new cell if it came
   earlier, nothing if it was arrested before;
3. every cop, at its turn and from its starting cell, sees each citizen the same
   way and arrests one visible active citizen at random; of two cops after one
   citizen the earlier wins and the other chooses again; a citizen caught before
   its turn loses it (unless its term is 0);
4. 2 and 3 repeat until the decisions stop changing, which plays out a cascade
   of activation within the tick, and its suppression by arrests, as Mesa does.

Departures, both small: citizens judge the cops by where they stood at the
start of the tick, not where those who went earlier moved to; a citizen caught
before its turn has already moved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from rout.model.enforcement import arrest_probability

QUIET, ACTIVE, JAILED = 0, 1, 2
Rounding = Literal["round", "floor", "none"]

_FAST_ROUNDS = 4  # rounds of sampled candidates before enumerating whole visions
_CANDIDATES = 16  # cells a straggling mover samples per round
_SWITCH = 0.125  # empty cells choose movers while movers are more than this many per empty cell
_MAX_DRAWS = 48  # most draws per empty cell and round
_MAX_CASCADE = 12  # passes over a cascade within one tick (almost all settle in 8)


@dataclass(frozen=True, slots=True)
class EpsteinParams:
    """Model I's parameters; names and defaults are those of Mesa's example."""

    width: int = 40
    height: int = 40
    citizen_density: float = 0.7
    cop_density: float = 0.074
    citizen_vision: int = 7
    cop_vision: int = 7
    legitimacy: float = 0.8
    max_jail_term: int = 1000
    active_threshold: float = 0.1
    arrest_prob_constant: float = 2.3
    ratio_rounding: Rounding = "round"
    movement: bool = True

    def check(self) -> None:
        """Raise ValueError for parameters that have no meaning."""
        if self.width < 1 or self.height < 1:
            raise ValueError("width and height must be positive")
        if not (0 <= self.citizen_density <= 1 and 0 <= self.cop_density <= 1):
            raise ValueError("densities must lie in [0, 1]")
        if self.citizen_density + self.cop_density > 1:
            raise ValueError("citizen_density + cop_density must not exceed 1")
        for name in ("citizen_vision", "cop_vision"):
            v = getattr(self, name)
            if v < 1 or 2 * v + 1 > min(self.width, self.height):
                raise ValueError(f"{name} must be >= 1 with 2 * {name} + 1 <= width, height")
        if not 0 <= self.legitimacy <= 1:
            raise ValueError("legitimacy must lie in [0, 1]")
        if self.max_jail_term < 0:
            raise ValueError("max_jail_term must be >= 0")
        if self.ratio_rounding not in ("round", "floor", "none"):
            raise ValueError("ratio_rounding must be 'round', 'floor' or 'none'")


PARAM_NAMES = tuple(f.name for f in fields(EpsteinParams))


def estimated_arrest_probability(
    cops: np.ndarray, actives: np.ndarray, k: float, rounding: Rounding = "round"
) -> np.ndarray:
    """P = 1 - exp(-k C/A) with C/A rounded as asked.

    "round" is Python's round (half to even), which Mesa 3.3.1 uses; "floor" is
    NetLogo's Rebellion; "none" is the ratio as printed in the paper.
    """
    if rounding == "floor":
        return arrest_probability(cops, actives, k, floor=True)
    if rounding == "round":
        ratio = np.rint(np.asarray(cops, dtype=np.float64) / np.maximum(1.0, actives))
        return arrest_probability(ratio, np.ones_like(ratio), k)
    if rounding == "none":
        return arrest_probability(cops, actives, k)
    raise ValueError(f"ratio_rounding must be 'round', 'floor' or 'none', not {rounding!r}")


def vision_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(dy, dx) of the cells at Manhattan distance 1..radius."""
    d = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    dist = np.abs(dy) + np.abs(dx)
    keep = (dist >= 1) & (dist <= radius)
    return dy[keep], dx[keep]


def _window(f: np.ndarray, length: int, stride: int) -> np.ndarray:
    """g[..., q] = sum over k < length of f[..., q + k stride], by binary doubling."""
    out_len = f.shape[-1] - (length - 1) * stride
    total = None
    offset, span, power = 0, 1, f
    while length:
        if length & 1:
            term = power[..., offset : offset + out_len]
            total = term if total is None else total + term
            offset += span * stride
        length >>= 1
        if length:
            power = power[..., : -span * stride] + power[..., span * stride :]
            span *= 2
    assert total is not None
    return total


@dataclass(frozen=True, slots=True)
class Torus:
    """A torus grid stored with a wrapped margin, so that vision needs no modulo.

    A cell (y, x) has the padded index (y + margin) * pw + x + margin; the margin
    copies the opposite edges. Offsets into the padded array are then plain
    additions, and the Manhattan ball splits into two lattices that are boxes
    along the diagonals, so ball sums cost a dozen array operations.
    """

    height: int
    width: int
    margin: int
    pw: int
    source: np.ndarray  # padded index -> cell
    padded: np.ndarray  # cell -> padded index

    @classmethod
    def make(cls, height: int, width: int, margin: int) -> Torus:
        """Index tables for a height x width torus with the given margin."""
        pw = width + 2 * margin
        yy = (np.arange(height + 2 * margin) - margin) % height
        xx = (np.arange(pw) - margin) % width
        source = (yy[:, None] * width + xx[None, :]).ravel()
        y, x = np.divmod(np.arange(height * width), width)
        padded = (y + margin) * pw + x + margin
        return cls(height, width, margin, pw, source, padded)

    def ball_sum(self, layer: np.ndarray, at: np.ndarray, radius: int) -> np.ndarray:
        """Sum of `layer` (per cell, leading axes allowed) over each ball of radius
        `radius` (Manhattan, centre included) centred on the padded indices `at`."""
        f = layer[..., self.source]
        d1, d2 = self.pw + 1, self.pw - 1  # the two diagonals
        m = radius // 2  # even lattice: dy = i + j, dx = i - j, |i|, |j| <= m
        even = _window(_window(f, 2 * m + 1, d2), 2 * m + 1, d1)
        a = -((radius + 1) // 2)  # odd lattice: dy = i + j + 1, dx = i - j, i, j in [a, b]
        n_odd = (radius - 1) // 2 - a + 1
        odd = _window(_window(f, n_odd, d2), n_odd, d1)
        return even[..., at - 2 * m * self.pw] + odd[..., at + (1 + 2 * a) * self.pw]

    def count_near(self, sources: np.ndarray, at: np.ndarray, radius: int) -> np.ndarray:
        """How many of the cells `sources` lie in the ball of radius `radius` (centre
        included) around each cell of `at`. A few sources are scattered onto the grid;
        many go through ball_sum, whose cost does not depend on their number."""
        n_cells = self.height * self.width
        ball = _padded_vision(radius, self.pw)[0]
        if sources.size * (ball.size + 1) <= self.source.size:
            near = self.source[self.padded[sources][:, None] + np.append(ball, 0)]
            return np.bincount(near.ravel(), minlength=n_cells)[at]
        layer = np.zeros(n_cells, dtype=np.int16)
        layer[sources] = 1
        return self.ball_sum(layer, self.padded[at], radius)

    def ball_sum_grid(self, layer: np.ndarray, radius: int) -> np.ndarray:
        """ball_sum at every cell, shaped (..., height, width)."""
        s = self.ball_sum(layer, self.padded, radius)
        return s.reshape(*s.shape[:-1], self.height, self.width)


@lru_cache(maxsize=16)
def _padded_vision(radius: int, pw: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vision as offsets into a padded grid of row length pw, plus lookup tables from
    random bytes (or 16-bit words) to an offset and its distance.

    A value past the vision maps to offset 0, the agent's own cell (never empty,
    never a pending mover seen by a hole), so a random value is a uniform vision
    cell or a miss.
    """
    dy, dx = vision_offsets(radius)
    every = dy * pw + dx
    bits = int(np.ceil(np.log2(every.size)))
    v = np.arange(256 if bits <= 8 else 1 << 16) & ((1 << bits) - 1)
    inside = v < every.size
    j = np.minimum(v, every.size - 1)
    lut = np.where(inside, every[j], 0)
    dist = np.where(inside, (np.abs(dy) + np.abs(dx))[j], radius + 1)
    return every, lut, dist


def _draw(rng: np.random.Generator, rows: int, per_row: int, table_size: int) -> np.ndarray:
    """rows x per_row uniform indices into a lookup table of 256 or 65536 entries."""
    dtype = np.uint8 if table_size == 256 else np.uint16
    n = rows * per_row
    words = -(-n * np.dtype(dtype).itemsize // 8)
    return rng.bit_generator.random_raw(words).view(dtype)[:n].reshape(rows, per_row)


@dataclass(slots=True)
class World:
    """One run's state, owning its generator; agents 0..n_citizens-1 are citizens,
    the rest cops. Make it with `init_world`, advance it with `step`."""

    params: EpsteinParams
    rng: np.random.Generator
    torus: Torus
    n_citizens: int
    occupant: np.ndarray  # cell -> agent id, -1 if empty
    pos: np.ndarray  # agent id -> cell
    hardship: np.ndarray
    risk_aversion: np.ndarray
    state: np.ndarray
    sentence: np.ndarray
    claim: np.ndarray  # scratch per cell for settling clashes


def _move(w: World, movers: np.ndarray) -> None:
    """Move each mover to a uniformly random empty cell in its vision, if it has one.

    While movers outnumber empty cells, the empty cells do the choosing: each
    picks a random waiting mover in its vision (vision is symmetric, so a mover
    lands on each empty cell of its vision alike), a mover picked twice goes with
    one at random, and each empty cell moves to where its mover came from, ready
    for the next round, as cells vacated early in Mesa's tick are taken by agents
    moving later. The few movers left at the end choose empty cells themselves.
    """
    t, p, rng = w.torus, w.params, w.rng
    pending = np.zeros(t.height * t.width, dtype=bool)
    pending[w.pos[movers]] = True
    left = movers.size
    holes = np.flatnonzero(w.occupant < 0)
    holes = holes[rng.permutation(holes.size)]
    radius = max(p.citizen_vision, p.cop_vision)
    _, lut, dist = _padded_vision(radius, t.pw)
    vision = None
    if p.citizen_vision != p.cop_vision:  # the cell must lie within the mover's own vision
        vision = np.full(w.pos.size + 1, -1)
        vision[: w.n_citizens] = p.citizen_vision
        vision[w.n_citizens : w.pos.size] = p.cop_vision
    rows = np.arange(holes.size)
    valid = np.count_nonzero(lut) / lut.size  # share of draws that land in the vision
    while holes.size and left > _SWITCH * holes.size:
        # enough draws that a hole usually finds a waiting mover as they thin out
        per_row = min(_MAX_DRAWS, max(3, math.ceil(2.0 * pending.size / (valid * left))))
        draws = _draw(rng, holes.size, per_row, lut.size)
        cand = t.padded[holes][:, None] + np.take(lut, draws)
        hit = pending[t.source][cand]
        pick = hit.argmax(axis=1)
        ok = hit[rows, pick]
        src = t.source[cand[rows, pick]]
        if vision is not None:
            ok &= dist[draws[rows, pick]] <= vision[w.occupant[src]]
        w.claim[src] = rows
        won = ok & (w.claim[src] == rows)
        src, dest = src[won], holes[won]
        if not src.size:
            break
        who = w.occupant[src]
        w.occupant[dest] = who
        w.occupant[src] = -1
        w.pos[who] = dest
        pending[src] = False
        holes[won] = src  # the empty cell moves to where its mover came from
        left -= src.size
    rest = w.occupant[np.flatnonzero(pending)]
    rest = rest[rng.permutation(rest.size)]
    if vision is None:
        _choose_cells(w, rest, radius)
    else:
        _choose_cells(w, rest[rest < w.n_citizens], p.citizen_vision)
        _choose_cells(w, rest[rest >= w.n_citizens], p.cop_vision)


def _choose_cells(w: World, movers: np.ndarray, radius: int) -> None:
    """Each mover draws cells of its vision until one is empty (uniform on the empty
    cells); `movers` in random order, since a clash goes to the claimant numpy
    writes last. After a few rounds the stragglers enumerate their whole vision,
    and those with no empty cell stay."""
    t, rng = w.torus, w.rng
    every, lut, _ = _padded_vision(radius, t.pw)
    pending = movers
    where = t.padded[w.pos[pending]]
    rnd = 0
    while pending.size:
        empty = (w.occupant < 0)[t.source]
        n = pending.size
        if rnd < _FAST_ROUNDS:
            cand = where[:, None] + np.take(lut, _draw(rng, n, _CANDIDATES, lut.size))
            hit = empty[cand]
            pick = hit.argmax(axis=1)
        else:
            cand = where[:, None] + every
            hit = empty[cand]
            pick = np.where(hit, rng.random(hit.shape), -1.0).argmax(axis=1)
            has = hit.any(axis=1)
            pending, where, cand, pick = pending[has], where[has], cand[has], pick[has]
            n = pending.size
        rows = np.arange(n)
        target_p = cand[rows, pick]
        target = t.source[target_p]
        w.claim[target] = rows
        won = (w.claim[target] == rows) & empty[target_p]
        who, dest = pending[won], target[won]
        src = w.pos[who]
        w.occupant[dest] = who
        w.occupant[src] = -1
        w.pos[who] = dest
        pending, where = pending[~won], where[~won]
        rnd += 1


def _arrest(
    w: World, start_pos: np.ndarray, start_occupant: np.ndarray,
    old: np.ndarray, new: np.ndarray, when: np.ndarray, key: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each cop arrests one random active citizen it can see at its own time.

    At time `when[c]` cop c is still where it started; a citizen who acted earlier
    shows its new state at its new cell, one who acts later its old state at its
    old cell. Cops go through in time order, so of two cops after one citizen the
    earlier gets it and the other chooses again. A cop takes the visible citizen
    with the highest `key` (uniform, so a uniform choice; fixed within the tick so
    the tick's fixed point is well defined). `old` and `new` are per agent with a
    spare False slot at the end, read through the index -1 of an empty cell.
    Returns the arrested citizens and their arrest times.
    """
    t, p = w.torus, w.params
    nc, n = w.n_citizens, w.pos.size
    shown = np.union1d(start_pos[:nc][old[:nc]], w.pos[:nc][new[:nc]])
    cops = np.arange(nc, n)
    hunters = cops[t.count_near(shown, start_pos[cops], p.cop_vision) > 0]
    hunters = hunters[np.argsort(when[hunters], kind="stable")]  # earliest first
    cells = t.source[t.padded[start_pos[hunters]][:, None]
                     + _padded_vision(p.cop_vision, t.pw)[0]]
    now, before = w.occupant[cells], start_occupant[cells]
    own = when[hunters][:, None]
    who = np.concatenate([now, before], axis=1)
    visible = np.concatenate([new[now] & (when[now] < own), old[before] & (when[before] > own)],
                             axis=1)
    caught_list, at_list = [], []
    taken = np.zeros(n + 1, dtype=bool)
    while hunters.size:
        visible &= ~taken[who]
        has = visible.any(axis=1)
        hunters, who, visible = hunters[has], who[has], visible[has]
        if not hunters.size:
            break
        pick = np.where(visible, key[who], -1.0).argmax(axis=1)
        target = who[np.arange(hunters.size), pick]
        caught, first = np.unique(target, return_index=True)  # first = earliest cop
        taken[caught] = True
        caught_list.append(caught)
        at_list.append(when[hunters[first]])
        lost = np.ones(hunters.size, dtype=bool)
        lost[first] = False
        hunters, who, visible = hunters[lost], who[lost], visible[lost]
    if not caught_list:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(caught_list), np.concatenate(at_list)


def _seen_between(
    w: World, agents: np.ndarray, cells: np.ndarray, lo: np.ndarray,
    hi: np.ndarray, start_occupant: np.ndarray, when: np.ndarray,
) -> np.ndarray:
    """Per agent, how many of `agents` (standing at `cells`) it sees, counting only
    viewers whose turn falls in (lo, hi) of each; viewers are taken at their cells
    at the start of the tick."""
    t, p = w.torus, w.params
    around = t.source[t.padded[cells][:, None] + _padded_vision(p.citizen_vision, t.pw)[0]]
    viewer = start_occupant[around]
    turn = when[viewer]
    inside = (turn > lo[:, None]) & (turn < hi[:, None]) & (viewer >= 0)
    return np.bincount(viewer[inside], minlength=w.pos.size + 1)


def step(w: World, legitimacy: float | None = None) -> int:
    """Advance the world one tick (at `legitimacy`, default the parameter's);
    returns the number of arrests."""
    p, rng = w.params, w.rng
    legitimacy = p.legitimacy if legitimacy is None else legitimacy
    t = w.torus
    nc, n = w.n_citizens, w.pos.size
    free = np.flatnonzero(w.sentence == 0)  # includes the jailed whose term is over
    np.maximum(w.sentence - 1, 0, out=w.sentence)
    old = np.zeros(n + 1, dtype=bool)
    old[:nc] = w.state == ACTIVE
    start_pos, start_occupant = w.pos.copy(), w.occupant.copy()
    if p.movement:
        _move(w, np.concatenate([free, np.arange(nc, n)]))

    # only citizens with G > T >= G - R depend on what they see: the others are
    # never active (G <= T) or active even if arrest were certain (P < 1)
    grievance = w.hardship[free] * (1.0 - legitimacy)
    risk = w.risk_aversion[free]
    sure = grievance - risk > p.active_threshold
    torn = np.flatnonzero((grievance > p.active_threshold) & ~sure)
    at = start_pos[free[torn]]
    cops = t.ball_sum((start_occupant >= nc).astype(np.int16), t.padded[at], p.citizen_vision)
    actives = np.ones(torn.size, dtype=np.int64)
    if old.any():
        actives += t.count_near(start_pos[:nc][old[:nc]], at, p.citizen_vision) - old[free[torn]]
    g_torn, r_torn = grievance[torn], risk[torn]

    def decide(a: np.ndarray) -> np.ndarray:
        prob = estimated_arrest_probability(cops, a, p.arrest_prob_constant, p.ratio_rounding)
        decision = sure.copy()
        decision[torn] = g_torn - r_torn * prob > p.active_threshold
        return decision

    decision = decide(actives)
    if not (old.any() or decision.any()):
        w.state[free] = QUIET
        return 0
    new = np.zeros(n + 1, dtype=bool)
    new[free] = decision
    when = rng.random(n + 1)  # each agent's turn; the spare slot serves index -1
    key = rng.random(n + 1)
    was_old = np.flatnonzero(old[:nc])
    never = np.full(n + 1, np.inf)
    # Seen from a later turn, a citizen who went before shows its new state at its
    # new cell, and one already arrested shows nothing. Decisions and arrests are
    # repeated until they agree: a cascade (or its suppression) within the tick.
    for _ in range(_MAX_CASCADE):
        caught, at_time = _arrest(w, start_pos, start_occupant, old, new, when, key)
        caught_at = never.copy()
        caught_at[caught] = at_time
        acts = new.copy()
        acts[caught[when[caught] > at_time]] = False  # caught before its turn
        now = np.flatnonzero(acts[:nc])
        seen = (_seen_between(w, now, w.pos[now], when[now], caught_at[now],
                              start_occupant, when)
                - _seen_between(w, was_old, start_pos[was_old],
                                np.minimum(when[was_old], caught_at[was_old]),
                                never[was_old], start_occupant, when))
        decision = decide(actives + seen[free[torn]])
        if np.array_equal(decision, new[free]):
            break
        new[free] = decision
    else:  # no fixed point within the cap: arrest on the last decisions
        caught, at_time = _arrest(w, start_pos, start_occupant, old, new, when, key)
    w.state[free] = np.where(new[free], ACTIVE, QUIET)
    term = rng.integers(0, p.max_jail_term + 1, caught.size)
    before_turn = when[caught] > at_time
    # caught before its turn, it sits out this tick of its term (and, unlike in Mesa,
    # keeps the cell it moved to); with a term of 0 its turn goes ahead
    loses_turn = before_turn & (term > 0)
    w.state[caught[~before_turn | loses_turn]] = JAILED
    w.sentence[caught] = np.where(loses_turn, term - 1, term)
    return caught.size


def run(
    steps: int = 200,
    *,
    legitimacy: float | Sequence[float] | np.ndarray | None = None,
    rng: np.random.Generator | int | None = None,
    **params: object,
) -> pd.DataFrame:
    """Run Model I for `steps` ticks; one row per tick, row 0 the initial state.

    `legitimacy` may be one number or one value per tick (Epstein's runs 3-4 let
    it fall during the run). Other keywords are EpsteinParams fields.
    Columns: step, legitimacy, quiescent, active, jailed, arrests.
    """
    if legitimacy is not None and np.ndim(legitimacy) == 0:
        params["legitimacy"] = float(legitimacy)  # type: ignore[arg-type]
        legitimacy = None
    w = init_world(rng, **params)
    p = w.params
    if steps < 0:
        raise ValueError("steps must be >= 0")
    if legitimacy is None:
        lvals = np.full(steps, p.legitimacy)
    else:
        lvals = np.asarray(legitimacy, dtype=float)
        if lvals.shape != (steps,):
            raise ValueError(f"legitimacy schedule must have one value per step ({steps})")
        if np.any((lvals < 0) | (lvals > 1)):
            raise ValueError("legitimacy must lie in [0, 1]")

    out = np.zeros((steps + 1, 4), dtype=np.int64)
    out[0, :3] = np.bincount(w.state, minlength=3)
    for s in range(steps):
        out[s + 1, 3] = step(w, float(lvals[s]))
        out[s + 1, :3] = np.bincount(w.state, minlength=3)
    return pd.DataFrame({
        "step": np.arange(steps + 1),
        "legitimacy": np.concatenate([[lvals[0] if steps else p.legitimacy], lvals]),
        "quiescent": out[:, QUIET],
        "active": out[:, ACTIVE],
        "jailed": out[:, JAILED],
        "arrests": out[:, 3],
    })


def init_world(rng: np.random.Generator | int | None = None, **params: object) -> World:
    """A fresh world: keywords are EpsteinParams fields; advance it with `step`."""
    unknown = set(params) - set(PARAM_NAMES)
    if unknown:
        raise TypeError(f"unknown parameters: {sorted(unknown)}")
    p = EpsteinParams(**params)  # type: ignore[arg-type]
    p.check()
    return _build(p, np.random.default_rng(rng))


def counts(w: World) -> tuple[int, int, int]:
    """Quiescent, active and jailed citizens."""
    q, a, j = np.bincount(w.state, minlength=3)
    return int(q), int(a), int(j)


def _build(p: EpsteinParams, rng: np.random.Generator) -> World:
    """Fill the grid as Mesa does: each cell citizen, cop or empty, independently."""
    n_cells = p.width * p.height
    u = rng.random(n_cells)
    citizen_cells = np.flatnonzero(u < p.citizen_density)
    cop_cells = np.flatnonzero((u >= p.citizen_density)
                               & (u < p.citizen_density + p.cop_density))
    nc = citizen_cells.size
    pos = np.concatenate([citizen_cells, cop_cells])
    occupant = np.full(n_cells, -1, dtype=np.intp)
    occupant[pos] = np.arange(pos.size)
    return World(
        params=p, rng=rng, torus=Torus.make(p.height, p.width, max(p.citizen_vision, p.cop_vision)),
        n_citizens=nc, occupant=occupant, pos=pos,
        hardship=rng.random(nc), risk_aversion=rng.random(nc),
        state=np.full(nc, QUIET, dtype=np.int8), sentence=np.zeros(nc, dtype=np.int64),
        claim=np.zeros(n_cells, dtype=np.intp),
    )


def bursts(active: np.ndarray | pd.Series, threshold: float, min_gap: int = 1) -> pd.DataFrame:
    """Outbursts: maximal runs of ticks with more than `threshold` active citizens.

    Runs separated by fewer than `min_gap` calm ticks are merged. Returns start,
    end (inclusive), peak and total (sum of actives over the run).
    """
    a = np.asarray(active, dtype=float)
    edges = np.diff(np.concatenate([[0], (a > threshold).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    if starts.size > 1:
        split = starts[1:] - ends[:-1] - 1 >= min_gap
        starts = np.concatenate([starts[:1], starts[1:][split]])
        ends = np.concatenate([ends[:-1][split], ends[-1:]])
    rows = [(s, e, a[s : e + 1].max(), a[s : e + 1].sum())
            for s, e in zip(starts, ends, strict=True)]
    return pd.DataFrame(rows, columns=["start", "end", "peak", "total"])
