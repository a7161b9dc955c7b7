"""Epstein (2002) civil violence, Model I, compiled with Numba.

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

A tick is Mesa's: every agent acts in turn, in a fresh random order, seeing what
those before it did. Python would spend microseconds per agent on that, so the
loop is compiled with Numba (`_tick`). Rather than look through its vision at
every turn, a citizen reads at its own cell how many cops and active citizens
are within sight of it, counts kept up to date as cops move and citizens turn
active, quiet or jailed (`_paint`); an agent moving tries random cells of its
vision until one is empty (`_try_empty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd
from numba import njit, uint64

from rout.model.enforcement import arrest_probability

QUIET, ACTIVE, JAILED = 0, 1, 2
Rounding = Literal["round", "floor", "none"]

_EMPTY, _AGENT, _ACTIVE = 0, 1, 2  # a cell of the grid: empty, an agent, an active citizen
_TRIES = 8  # uniform doubles spent on trying cells before counting the empty ones


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
    """(dy, dx) of the cells at Manhattan distance 1..radius, row by row."""
    d = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    dist = np.abs(dy) + np.abs(dx)
    keep = (dist >= 1) & (dist <= radius)
    return dy[keep], dx[keep]


@dataclass(frozen=True, slots=True)
class Torus:
    """Wrap tables of a height x width torus, so that vision needs no modulo.

    Cell (y, x) is y * width + x. With Y = y + margin and X = x + margin, the
    cell at (y + dy, x + dx) is rows[Y + dy] + cols[X + dx] for |dy|, |dx| up to
    the margin; away from the edges it is simply cell + dy * width + dx.
    """

    height: int
    width: int
    margin: int
    rows: np.ndarray  # Y -> first cell of row (Y - margin) mod height
    cols: np.ndarray  # X -> (X - margin) mod width

    @classmethod
    def make(cls, height: int, width: int, margin: int) -> Torus:
        """Wrap tables for a height x width torus, shifts up to `margin`."""
        rows = (np.arange(height + 2 * margin) - margin) % height * width
        cols = (np.arange(width + 2 * margin) - margin) % width
        return cls(height, width, margin, rows, cols)

    def compiled(self) -> tuple[int, int, int, np.ndarray, np.ndarray]:
        """What the compiled loop needs: width, height, margin, rows, cols."""
        return self.width, self.height, self.margin, self.rows, self.cols

    def sight(self, radius: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int, int]:
        """A vision for the compiled loop: radius, dy, dx, dy * width + dx, and
        the bits per random try with how many of their values to reject (see
        `_try_empty`)."""
        dy, dx = vision_offsets(radius)
        bits = next(b for b in (8, 16, 32) if dy.size <= 1 << b)
        return radius, dy, dx, dy * self.width + dx, bits, (1 << bits) % dy.size


@njit(cache=True, inline="always")
def _where(cell: int, width: int, height: int, margin: int) -> tuple[int, int, bool]:
    """Shifted (y, x) of a cell (see `Torus`), and whether every vision around it
    stays clear of the edges.

    Indices in the compiled loop are never negative; cast to unsigned, they skip
    Numba's check for negative ones. The helpers the loop inlines take care not to
    inline others that take arrays: Numba would then count references to the
    arrays at every call.
    """
    y = uint64(cell) // uint64(width)
    x = int(uint64(cell) - y * uint64(width)) + margin
    y = int(y) + margin
    return y, x, 2 * margin <= y < height and 2 * margin <= x < width


@njit(cache=True, inline="always")
def _paint(field: np.ndarray, cell: int, radius: int, delta: int, torus: tuple) -> None:
    """Add `delta` to `field` over the cells at distance 1..radius of `cell`."""
    width, height, margin, rows, cols = torus
    y, x, inside = _where(cell, width, height, margin)
    for dy in range(-radius, radius + 1):
        half = radius - abs(dy)
        if inside:
            row = cell + dy * width
            for k in range(uint64(row - half), uint64(row + half + 1)):
                field[k] += delta
        else:
            row = rows[uint64(y + dy)]
            for k in range(uint64(x - half), uint64(x + half + 1)):
                field[uint64(row + cols[k])] += delta
    field[uint64(cell)] -= delta


@njit(cache=True)
def _paint_all(field: np.ndarray, cells: np.ndarray, radius: int, torus: tuple) -> None:
    """Count, for every cell, the `cells` within distance 1..radius."""
    for cell in cells:
        _paint(field, cell, radius, 1, torus)


@njit(cache=True, inline="always")
def _try_empty(rng: np.random.Generator, grid: np.ndarray, cell: int, torus: tuple,
               sight: tuple) -> int:
    """A uniformly random empty cell of the vision `sight` around `cell`, or -1 if
    a few dozen tries found none (then `_pick` decides).

    Each uniform double gives 53 // bits tries, a try mapping `bits` bits to a
    vision cell without bias by Lemire's method (rejecting `reject` of the
    2^bits values); the first empty cell tried is uniform on the empty cells.
    """
    width, height, margin, rows, cols = torus
    _, dys, dxs, flat, bits, reject = sight
    y, x, inside = _where(cell, width, height, margin)
    mask = (1 << bits) - 1
    for _ in range(_TRIES):
        u = int(rng.random() * 9007199254740992.0)  # the double's 53 random bits
        for _ in range(53 // bits):
            m = (u & mask) * dys.size
            u >>= bits
            o = uint64(m >> bits)
            if inside:
                c = cell + flat[o]
            else:
                c = rows[uint64(y + dys[o])] + cols[uint64(x + dxs[o])]
            if m & mask >= reject and grid[uint64(c)] == _EMPTY:
                return c
    return -1


@njit(cache=True)
def _pick(rng: np.random.Generator, grid: np.ndarray, cell: int, torus: tuple,
          sight: tuple, value: int, count: int) -> int:
    """A uniformly random cell of the vision `sight` around `cell` whose grid holds
    `value`, given how many do (counted here if `count` < 0); -1 if none does.
    Only arrests and crowded moves need it, so it is called, not inlined."""
    width, height, margin, rows, cols = torus
    dys, dxs = sight[1], sight[2]
    y, x, _ = _where(cell, width, height, margin)
    if count < 0:
        count = 0
        for o in range(dys.size):
            count += grid[rows[y + dys[o]] + cols[x + dxs[o]]] == value
    j = int(rng.random() * count) if count > 0 else -1
    for o in range(dys.size):  # the j-th, in `vision_offsets` order
        c = rows[y + dys[o]] + cols[x + dxs[o]]
        if grid[c] == value:
            if j == 0:
                return c
            j -= 1
    return -1


@njit(cache=True)
def _tick(
    rng: np.random.Generator, order: np.ndarray, grid: np.ndarray, occupant: np.ndarray,
    pos: np.ndarray, state: np.ndarray, sentence: np.ndarray, hardship: np.ndarray,
    risk_aversion: np.ndarray, prob: np.ndarray, cops_near: np.ndarray,
    actives_near: np.ndarray, actives_near_cop: np.ndarray, torus: tuple,
    citizen_sight: tuple, cop_sight: tuple, one_minus_legitimacy: float, threshold: float,
    max_jail_term: int, movement: bool,
) -> int:
    """One tick of Mesa's loop: shuffle the agents, then each acts and moves in turn.

    `grid` tells empty cells, active citizens and other agents apart; `cops_near`
    counts, per cell, the cops within citizen vision of it (what a citizen there
    sees), `actives_near` the active citizens likewise, and `actives_near_cop`
    those within cop vision (the same array when the visions agree). The uniform
    doubles drawn go, in order, to the shuffle (Fisher-Yates, one a swap), then to
    each turn: whom a cop arrests and the term, then where the agent moves (see
    `_try_empty`). A choice among m is the whole part of u m. Returns the number
    of arrests.
    """
    n_citizens = state.size
    citizen_vision, cop_vision = citizen_sight[0], cop_sight[0]
    two_visions = citizen_vision != cop_vision
    for i in range(order.size - 1, 0, -1):  # Fisher-Yates
        j = int(rng.random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    arrests = 0
    for a in order:
        cell = pos[a]
        dest = -1
        if a < n_citizens:
            if sentence[a] > 0:
                sentence[a] -= 1
                continue
            cops = cops_near[cell]
            actives = 1 + actives_near[cell]
            was = state[a] == ACTIVE
            net_risk = risk_aversion[a] * prob[cops, actives - 1]
            now = hardship[a] * one_minus_legitimacy - net_risk > threshold
            state[a] = ACTIVE if now else QUIET
            if movement:
                dest = _try_empty(rng, grid, cell, torus, citizen_sight)
                if dest < 0:
                    dest = _pick(rng, grid, cell, torus, citizen_sight, _EMPTY, -1)
            if was and (not now or dest >= 0):  # no longer seen active here
                _paint(actives_near, cell, citizen_vision, -1, torus)
                if two_visions:
                    _paint(actives_near_cop, cell, cop_vision, -1, torus)
            if now and (not was or dest >= 0):  # seen active from now on
                at = cell if dest < 0 else dest
                _paint(actives_near, at, citizen_vision, 1, torus)
                if two_visions:
                    _paint(actives_near_cop, at, cop_vision, 1, torus)
            code = _ACTIVE if now else _AGENT
        else:
            seen = actives_near_cop[cell]
            if seen:
                victim_cell = _pick(rng, grid, cell, torus, cop_sight, _ACTIVE, seen)
                victim = occupant[victim_cell]
                sentence[victim] = int(rng.random() * (max_jail_term + 1))
                state[victim] = JAILED
                grid[victim_cell] = _AGENT
                _paint(actives_near, victim_cell, citizen_vision, -1, torus)
                if two_visions:
                    _paint(actives_near_cop, victim_cell, cop_vision, -1, torus)
                arrests += 1
            if movement:
                dest = _try_empty(rng, grid, cell, torus, cop_sight)
                if dest < 0:
                    dest = _pick(rng, grid, cell, torus, cop_sight, _EMPTY, -1)
                if dest >= 0:
                    _paint(cops_near, cell, citizen_vision, -1, torus)
                    _paint(cops_near, dest, citizen_vision, 1, torus)
            code = _AGENT
        if dest >= 0:
            grid[cell] = _EMPTY
            occupant[cell], occupant[dest], pos[a] = -1, a, dest
            cell = dest
        grid[cell] = code
    return arrests


@dataclass(slots=True)
class World:
    """One run's state, owning its generator; agents 0..n_citizens-1 are citizens,
    the rest cops. Make it with `init_world`, advance it with `step`.

    `grid`, `cops_near` and the `actives_near` counts (see `_tick`) follow from
    `occupant` and `state`; the compiled loop keeps them in step.
    """

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
    prob: np.ndarray  # [cops, actives - 1] -> estimated arrest probability
    order: np.ndarray  # the activation order, shuffled in place each tick
    grid: np.ndarray
    cops_near: np.ndarray
    actives_near: np.ndarray
    actives_near_cop: np.ndarray
    compiled: tuple  # the torus, the citizens' and the cops' vision, for `_tick`


def step(w: World, legitimacy: float | None = None) -> int:
    """Advance the world one tick (at `legitimacy`, default the parameter's);
    returns the number of arrests."""
    p = w.params
    legitimacy = p.legitimacy if legitimacy is None else legitimacy
    return _tick(
        w.rng, w.order, w.grid, w.occupant, w.pos, w.state, w.sentence, w.hardship,
        w.risk_aversion, w.prob, w.cops_near, w.actives_near, w.actives_near_cop,
        *w.compiled, 1.0 - legitimacy, p.active_threshold, p.max_jail_term, p.movement,
    )


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
    nc, n_cops = citizen_cells.size, cop_cells.size
    pos = np.concatenate([citizen_cells, cop_cells]).astype(np.int32)
    occupant = np.full(n_cells, -1, dtype=np.int32)
    occupant[pos] = np.arange(pos.size)
    t = Torus.make(p.height, p.width, max(p.citizen_vision, p.cop_vision))
    grid = np.where(occupant >= 0, _AGENT, _EMPTY).astype(np.int8)
    seen_c = 2 * p.citizen_vision * (p.citizen_vision + 1)
    count = np.int16 if max(seen_c, 2 * p.cop_vision * (p.cop_vision + 1)) < 2**15 else np.int32
    cops_near = np.zeros(n_cells, dtype=count)
    _paint_all(cops_near, cop_cells, p.citizen_vision, t.compiled())
    actives_near = np.zeros(n_cells, dtype=count)  # everyone starts quiet
    # every (cops, actives) a citizen can see: at most all cops, at most all citizens
    cops = np.arange(min(seen_c, n_cops) + 1)[:, None]
    actives = np.arange(1, min(seen_c, max(nc - 1, 0)) + 2)[None, :]
    return World(
        params=p, rng=rng, torus=t, n_citizens=nc, occupant=occupant, pos=pos,
        hardship=rng.random(nc), risk_aversion=rng.random(nc),
        state=np.full(nc, QUIET, dtype=np.int8), sentence=np.zeros(nc, dtype=np.int64),
        prob=estimated_arrest_probability(cops, actives, p.arrest_prob_constant,
                                          p.ratio_rounding),
        order=np.arange(pos.size, dtype=np.int32), grid=grid, cops_near=cops_near,
        actives_near=actives_near,
        actives_near_cop=(actives_near if p.cop_vision == p.citizen_vision
                          else np.zeros(n_cells, dtype=count)),
        compiled=(t.compiled(), t.sight(p.citizen_vision), t.sight(p.cop_vision)),
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
