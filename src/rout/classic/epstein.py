"""Epstein (2002) civil violence, Model I, compiled with Numba.

The rules are those of Mesa's ``EpsteinCivilViolence`` example (3.3.1 and 3.5.1
agree on them, but for 3.5.1's citizens looking as far as its cops do), so that
the two can be compared seed for seed in distribution:

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
loop is compiled with Numba (`_run`, any number of ticks in one call). What
keeps it cheap:

* the torus is laid out with a margin (`Layout`), so that every cell of a
  vision is a fixed offset away and every row of it contiguous;
* rather than look through its vision at every turn, a citizen reads at its own
  cell how many cops and active citizens are within sight of it (`_seen`):
  counts kept up to date as cops move and citizens turn active, quiet or jailed
  or move while active (`_paint`, eight counts at a time);
* a mover tries random cells of its vision until one is empty, a table look-up
  a try (`Sight`, `_land`), and every random choice takes only the bits it
  needs from a pool refilled one uniform double at a time (`_below`);
* citizens serving a term when a tick starts are left out of its shuffle: all
  they do at their turn is count it down, whenever it comes.
"""

from __future__ import annotations

import functools
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
_TRIES = 48  # random cells a mover tries before counting the empty ones
_BITS = 53  # random bits in one uniform double


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

    "round" is Python's round (half to even), which Mesa's example uses; "floor"
    is NetLogo's Rebellion; "none" is the ratio as printed in the paper.
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
class Layout:
    """Where the compiled loop keeps a height x width torus: in a padded array
    that reaches every vision by fixed offsets and holds each of its rows whole.

    The padded array has height + 2 margin rows of `stride` = width + 2 margin
    cells. Padded cell (Y, X) is an image of torus cell
    ((Y - margin) mod height, (X - margin) mod width); one more cell at the end,
    `dummy`, stands for "no image". Torus cell y * width + x has its canonical
    image at Y = y + margin, X = x + margin (`padded`), and one or two images
    along each axis, since 2 margin < height, width: up to four in all
    (`images`, four slots per cell, unused ones pointing at the dummy).
    """

    height: int
    width: int
    margin: int
    stride: int
    padded: np.ndarray  # torus cell -> its canonical image
    cell_of: np.ndarray  # padded index -> torus cell, -1 for the dummy
    images: np.ndarray  # 4 * torus cell + k -> its k-th image, or the dummy

    @classmethod
    def make(cls, height: int, width: int, margin: int) -> Layout:
        """The layout of a height x width torus for visions up to `margin`."""
        if not 0 <= 2 * margin < min(height, width):
            raise ValueError("the margin must be less than half the torus's sides")
        stride = width + 2 * margin
        rows = height + 2 * margin
        big = rows * stride + 1 >= 2**31
        index = np.int64 if big else np.int32
        y, x = np.divmod(np.arange(rows * stride), stride)
        cell = (y - margin) % height * width + (x - margin) % width
        cell_of = np.append(cell, -1).astype(index)
        real = np.flatnonzero(cell_of >= 0)
        real = real[np.argsort(cell_of[real], kind="stable")]  # grouped by torus cell
        n = np.bincount(cell_of[real], minlength=height * width)
        rank = np.arange(real.size) - np.repeat(np.cumsum(n) - n, n)
        images = np.full(4 * height * width, rows * stride, dtype=index)
        images[4 * cell_of[real] + rank] = real
        c = np.arange(height * width)
        padded = ((c // width + margin) * stride + c % width + margin).astype(index)
        return cls(height, width, margin, stride, padded, cell_of, images)

    @property
    def dummy(self) -> int:
        """The padded index that is no image of any cell."""
        return (self.height + 2 * self.margin) * self.stride

    def fold(self, field: np.ndarray) -> np.ndarray:
        """Per torus cell, the sum of `field` over its images."""
        return field[self.images].reshape(-1, 4).sum(axis=1)


@dataclass(frozen=True, slots=True)
class Sight:
    """A vision for the compiled loop: its radius, the padded offsets of its cells
    (in `vision_offsets` order), and how a mover tries them at random.

    A try spends `bits` random bits v, and goes to offset `tries[v]`. That is
    Lemire's uniform choice among the n cells, offsets[v n >> bits], for the v
    whose low part v n mod 2^bits is at least 2^bits mod n; the others, which
    his method rejects, go to offset 0, the mover's own cell, never empty, so
    that they count as a miss. Every cell of the vision has the same number of
    v, and the first empty cell tried is uniform on the empty cells.
    """

    radius: int
    offsets: np.ndarray
    bits: int
    tries: np.ndarray

    @classmethod
    def make(cls, layout: Layout, radius: int) -> Sight:
        """The vision of `radius` on `layout`; its tries spend the fewest bits."""
        dy, dx = vision_offsets(radius)
        offsets = (dy * layout.stride + dx).astype(layout.padded.dtype)
        n = offsets.size
        least = (n - 1).bit_length()
        bits = min(range(least, least + 4), key=lambda b: b / (1.0 - (2**b % n) / 2**b))
        v = np.arange(2**bits, dtype=np.int64) * n
        tries = np.where(v % 2**bits >= 2**bits % n, offsets[v >> bits], 0)
        return cls(radius, offsets, bits, tries.astype(offsets.dtype))


@njit(cache=True)
def _spare_bits(n: int) -> int:
    """Bits for a uniform choice among n by `_below` that rejects less than 1/16."""
    b = 0
    while (1 << b) < n:
        b += 1
    return b + 4


@njit(cache=True, inline="always")
def _below(rng: np.random.Generator, u: int, nb: int, n: int,
           bits: int) -> tuple[int, int, int]:
    """A uniform integer in [0, n), and the pool's new state (u, nb).

    The pool u holds nb random bits not used yet; when fewer than `bits` are
    left, it is refilled with the 53 bits of one uniform double of `rng`. The
    value is Lemire's: the high part of v n for v the next `bits` bits (2^bits >=
    n), tried again while the low part is below 2^bits mod n, which is only
    worked out when it can matter (when the low part is below n).
    """
    mask = (1 << bits) - 1
    while True:
        if nb < bits:
            u = int(rng.random() * 9007199254740992.0)  # 2^53
            nb = _BITS
        m = (u & mask) * n
        u >>= bits
        nb -= bits
        low = m & mask
        if low >= n or low >= (mask + 1 - n) % n:
            return m >> bits, u, nb


@njit(cache=True, inline="always")
def _land(rng: np.random.Generator, u: int, nb: int, grid: np.ndarray, centre: int,
          tries: np.ndarray, bits: int) -> tuple[int, int, int]:
    """A random empty cell of a vision around padded cell `centre`: the first
    empty one of up to _TRIES cells tried at random (see `Sight`), -1 if all
    were taken (then `_pick` decides). Returns the padded cell (not always the
    canonical image) and the pool's state (see `_below`)."""
    mask = (1 << bits) - 1
    for _ in range(_TRIES):
        if nb < bits:
            u = int(rng.random() * 9007199254740992.0)  # 2^53
            nb = _BITS
        c = centre + tries[u & mask]
        u >>= bits
        nb -= bits
        if grid[uint64(c)] == _EMPTY:
            return c, u, nb
    return -1, u, nb


@njit(cache=True)
def _pick(rng: np.random.Generator, u: int, nb: int, grid: np.ndarray, centre: int,
          offsets: np.ndarray, value: int, count: int, bits: int) -> tuple[int, int, int]:
    """A uniformly random cell of the vision `offsets` around `centre` whose code
    is `value`, given how many are (counted here if `count` < 0); -1 if none is.
    Only arrests and crowded moves need it, so it is called, not inlined."""
    if count < 0:
        count = 0
        for o in range(offsets.size):
            count += grid[centre + offsets[o]] == value
    if count == 0:
        return -1, u, nb
    j, u, nb = _below(rng, u, nb, count, bits)
    for o in range(offsets.size):  # the j-th, in `vision_offsets` order
        c = centre + offsets[o]
        if grid[c] == value:
            if j == 0:
                return c, u, nb
            j -= 1
    return -1, u, nb


@functools.cache
def _lane_masks(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """For counts of `dtype` seen 8 bytes at a time: first[j] holds 1 in lanes
    j.. of a 64-bit word and 0 below, last[j] 1 in lanes ..j (`_paint`)."""
    lanes = 8 // np.dtype(dtype).itemsize
    ones = np.tril(np.ones((lanes, lanes), dtype=dtype))  # row j: 1 in lanes 0..j
    last = np.ascontiguousarray(ones).view(np.uint64).ravel()
    first = np.ascontiguousarray(ones[::-1, ::-1]).view(np.uint64).ravel()
    return first, last


@njit(cache=True, inline="always")
def _paint(words: np.ndarray, field: np.ndarray, centre: int, radius: int, stride: int,
           delta: int, first: np.ndarray, last: np.ndarray) -> None:
    """Add `delta` (+1 or -1) to `field` over the cells at distance 1..radius of
    padded cell `centre`, a row at a time and 8 bytes at a time.

    `words` is `field` seen as 64-bit words, each holding `first.size` counts.
    Adding 1 to some counts of a word is adding a word with 1 in their lanes
    (`first`, `last` and `first[0]` for the whole word). The rows cover the
    centre too, which is set right separately: after adding, before taking
    away, so that no count ever goes below 0 or beyond its type (which holds
    one more than a vision's cells) and no lane carries into another.
    """
    lanes = first.size
    shift = 3 if lanes == 8 else (2 if lanes == 4 else 1)
    if delta < 0:
        field[uint64(centre)] += 1
    top = centre - radius * stride
    for dy in range(2 * radius + 1):
        half = radius - abs(dy - radius)
        lo = top + dy * stride - half
        hi = lo + 2 * half
        wa, wb = uint64(lo >> shift), uint64(hi >> shift)
        ma, mb = first[uint64(lo & (lanes - 1))], last[uint64(hi & (lanes - 1))]
        if wa == wb:
            ma &= mb
        if delta > 0:
            words[wa] += ma
            for k in range(wa + uint64(1), wb):
                words[k] += first[0]
            if wb != wa:
                words[wb] += mb
        else:
            words[wa] -= ma
            for k in range(wa + uint64(1), wb):
                words[k] -= first[0]
            if wb != wa:
                words[wb] -= mb
    if delta > 0:
        field[uint64(centre)] -= 1


@njit(cache=True, inline="always")
def _seen(field: np.ndarray, images: np.ndarray, cell: int) -> int:
    """What torus cell `cell` sees: `field` summed over its images."""
    i = uint64(4 * cell)
    return int(field[uint64(images[i])]) + int(field[uint64(images[i + 1])]) \
        + int(field[uint64(images[i + 2])]) + int(field[uint64(images[i + 3])])


@njit(cache=True, inline="always")
def _mark(grid: np.ndarray, images: np.ndarray, cell: int, code: int) -> None:
    """Set the code of torus cell `cell` at all its images (and the dummy)."""
    i = uint64(4 * cell)
    for k in range(4):
        grid[uint64(images[i + k])] = code


@njit(cache=True)
def _paint_all(field: np.ndarray, centres: np.ndarray, radius: int, stride: int,
               first: np.ndarray, last: np.ndarray) -> None:
    """Count, at every padded cell, the `centres` within distance 1..radius."""
    words = field.view(np.uint64)
    for c in centres:
        _paint(words, field, c, radius, stride, 1, first, last)


@njit(cache=True)
def _run(
    rng: np.random.Generator, pool: np.ndarray, one_minus_legitimacy: np.ndarray,
    out: np.ndarray, order: np.ndarray, grid: np.ndarray, occupant: np.ndarray,
    pos: np.ndarray, at: np.ndarray, state: np.ndarray, sentence: np.ndarray,
    hardship: np.ndarray, risk_aversion: np.ndarray, prob: np.ndarray,
    cops_seen: np.ndarray, actives_seen: np.ndarray, actives_seen_cop: np.ndarray,
    images: np.ndarray, cell_of: np.ndarray, padded: np.ndarray, stride: int,
    c_radius: int, c_offsets: np.ndarray, c_bits: int, c_tries: np.ndarray,
    p_radius: int, p_offsets: np.ndarray, p_bits: int, p_tries: np.ndarray,
    first: np.ndarray, last: np.ndarray, threshold: float, max_jail_term: int, movement: bool,
) -> None:
    """Mesa's loop for one tick per entry of `one_minus_legitimacy`: shuffle the
    agents, then each acts and moves in turn; row t of `out` gets the quiescent,
    active and jailed citizens after tick t, and its arrests.

    Agents 0..n_citizens-1 are citizens, the rest cops; `pos` holds their torus
    cells, `at` the canonical images (see `Layout`). `grid` holds, at every
    image, whether the cell is empty, an active citizen or another agent;
    `cops_seen` counts, at every image, the cops within citizen vision of its
    centre, `actives_seen` the active citizens likewise and `actives_seen_cop`
    those within cop vision (the same array when the visions agree): what an
    agent sees is the sum over its cell's images (`_seen`). Random choices are
    drawn from the bit pool `pool` (see `_below`), in order: the shuffle
    (Fisher-Yates), then at each turn whom a cop arrests and the term, then
    where the agent moves.
    """
    n_citizens = state.size
    two_visions = c_radius != p_radius
    cops_w = cops_seen.view(np.uint64)  # the counts 8 bytes at a time, for `_paint`
    actives_w = actives_seen.view(np.uint64)
    cop_actives_w = actives_seen_cop.view(np.uint64)
    u, nb = pool[0], pool[1]
    jail_bits = _spare_bits(max_jail_term + 1)
    pick_bits = _spare_bits(max(c_offsets.size, p_offsets.size))
    shuffle_bits = max(26, _spare_bits(order.size))  # two swaps a double
    active = jailed = 0
    for a in range(n_citizens):
        if state[a] == ACTIVE:
            active += 1
        elif state[a] == JAILED:
            jailed += 1
    for t in range(one_minus_legitimacy.size):
        grievance_scale = one_minus_legitimacy[t]
        # Those serving a term when the tick starts count one tick off at their
        # turn and do nothing else, nor does anyone look at their term: when
        # their turn comes does not matter, so they count it off here and the
        # others are shuffled.
        n = 0
        for a in range(n_citizens):
            if sentence[a] > 0:
                sentence[a] -= 1
            else:
                order[n] = a
                n += 1
        for a in range(n_citizens, order.size):
            order[n] = a
            n += 1
        for i in range(n - 1, 0, -1):  # Fisher-Yates, j uniform on 0..i
            j, u, nb = _below(rng, u, nb, i + 1, shuffle_bits)
            order[i], order[j] = order[j], order[i]
        arrests = 0
        for i in range(n):
            a = order[i]
            cell = pos[a]
            here = at[a]
            dest = -1
            if a < n_citizens:
                if sentence[a] > 0:  # arrested this tick, before its turn
                    sentence[a] -= 1
                    continue
                cops = _seen(cops_seen, images, cell)
                others = _seen(actives_seen, images, cell)
                was = state[a]
                net_risk = risk_aversion[a] * prob[others, cops]
                now = hardship[a] * grievance_scale - net_risk > threshold
                if movement:
                    dest, u, nb = _land(rng, u, nb, grid, here, c_tries, c_bits)
                    if dest < 0:
                        dest, u, nb = _pick(rng, u, nb, grid, here, c_offsets, _EMPTY, -1,
                                            pick_bits)
                to_cell, to = cell, here
                if dest >= 0:
                    to_cell = cell_of[uint64(dest)]
                    to = padded[uint64(to_cell)]
                if was == ACTIVE and (not now or dest >= 0):  # no longer seen active here
                    _paint(actives_w, actives_seen, here, c_radius, stride, -1, first, last)
                    if two_visions:
                        _paint(cop_actives_w, actives_seen_cop, here, p_radius, stride, -1,
                               first, last)
                if now and (was != ACTIVE or dest >= 0):  # seen active from now on
                    _paint(actives_w, actives_seen, to, c_radius, stride, 1, first, last)
                    if two_visions:
                        _paint(cop_actives_w, actives_seen_cop, to, p_radius, stride, 1,
                               first, last)
                if was == ACTIVE:
                    active -= 1
                elif was == JAILED:
                    jailed -= 1
                if now:
                    active += 1
                state[a] = ACTIVE if now else QUIET
                code = _ACTIVE if now else _AGENT
            else:
                seen = _seen(actives_seen_cop, images, cell)
                if seen > 0:
                    victim_at, u, nb = _pick(rng, u, nb, grid, here, p_offsets, _ACTIVE, seen,
                                             pick_bits)
                    victim_cell = cell_of[uint64(victim_at)]
                    victim = occupant[uint64(victim_cell)]
                    term, u, nb = _below(rng, u, nb, max_jail_term + 1, jail_bits)
                    sentence[victim] = term
                    state[victim] = JAILED
                    active -= 1
                    jailed += 1
                    arrests += 1
                    _mark(grid, images, victim_cell, _AGENT)
                    _paint(actives_w, actives_seen, at[victim], c_radius, stride, -1, first, last)
                    if two_visions:
                        _paint(cop_actives_w, actives_seen_cop, at[victim], p_radius, stride, -1,
                               first, last)
                if movement:
                    dest, u, nb = _land(rng, u, nb, grid, here, p_tries, p_bits)
                    if dest < 0:
                        dest, u, nb = _pick(rng, u, nb, grid, here, p_offsets, _EMPTY, -1,
                                            pick_bits)
                to_cell, to = cell, here
                if dest >= 0:
                    to_cell = cell_of[uint64(dest)]
                    to = padded[uint64(to_cell)]
                    _paint(cops_w, cops_seen, here, c_radius, stride, -1, first, last)
                    _paint(cops_w, cops_seen, to, c_radius, stride, 1, first, last)
                code = _AGENT
            if dest >= 0:
                _mark(grid, images, cell, _EMPTY)
                _mark(grid, images, to_cell, code)
                occupant[uint64(cell)] = -1
                occupant[uint64(to_cell)] = a
                pos[a] = to_cell
                at[a] = to
            elif grid[uint64(here)] != code:
                _mark(grid, images, cell, code)
        out[t, 0] = n_citizens - active - jailed
        out[t, 1] = active
        out[t, 2] = jailed
        out[t, 3] = arrests
    pool[0], pool[1] = u, nb


@dataclass(slots=True)
class World:
    """One run's state, owning its generator; agents 0..n_citizens-1 are citizens,
    the rest cops. Make it with `init_world`, advance it with `step` or `advance`.

    `cells`, `cops_seen` and the `actives_seen` counts live on the padded array
    of `layout` (see `_run`) and follow from `pos` and `state`; `grid`,
    `cops_near`, `actives_near` and `actives_near_cop` give them per torus cell.
    """

    params: EpsteinParams
    rng: np.random.Generator
    pool: np.ndarray  # the random bits drawn from rng and not used yet (see `_below`)
    layout: Layout
    citizen_sight: Sight
    cop_sight: Sight
    n_citizens: int
    occupant: np.ndarray  # torus cell -> agent id, -1 if empty
    pos: np.ndarray  # agent id -> torus cell
    at: np.ndarray  # agent id -> canonical image of its cell
    hardship: np.ndarray
    risk_aversion: np.ndarray
    state: np.ndarray
    sentence: np.ndarray
    prob: np.ndarray  # [active citizens seen, cops seen] -> estimated arrest probability
    order: np.ndarray  # the activation order, shuffled in place each tick
    cells: np.ndarray  # padded index -> empty, agent or active citizen
    cops_seen: np.ndarray
    actives_seen: np.ndarray
    actives_seen_cop: np.ndarray

    @property
    def grid(self) -> np.ndarray:
        """Per torus cell: 0 empty, 1 an agent, 2 an active citizen."""
        return self.cells[self.layout.padded]

    @property
    def cops_near(self) -> np.ndarray:
        """Per torus cell, the cops within citizen vision of it."""
        return self.layout.fold(self.cops_seen)

    @property
    def actives_near(self) -> np.ndarray:
        """Per torus cell, the active citizens within citizen vision of it."""
        return self.layout.fold(self.actives_seen)

    @property
    def actives_near_cop(self) -> np.ndarray:
        """Per torus cell, the active citizens within cop vision of it."""
        return self.layout.fold(self.actives_seen_cop)


def advance(
    w: World, steps: int, legitimacy: float | Sequence[float] | np.ndarray | None = None
) -> np.ndarray:
    """Advance the world `steps` ticks in one call of the compiled loop, at
    `legitimacy` (default the parameter's; one number or one value per tick).

    Returns an int64 array of one row per tick: quiescent, active and jailed
    citizens after it, and its arrests.
    """
    p = w.params
    if steps < 0:
        raise ValueError("steps must be >= 0")
    lvals = np.asarray(p.legitimacy if legitimacy is None else legitimacy, dtype=np.float64)
    if lvals.ndim == 0:
        lvals = np.full(steps, float(lvals))
    if lvals.shape != (steps,):
        raise ValueError(f"legitimacy schedule must have one value per step ({steps})")
    if np.any((lvals < 0) | (lvals > 1)):
        raise ValueError("legitimacy must lie in [0, 1]")
    out = np.zeros((steps, 4), dtype=np.int64)
    if steps == 0:
        return out
    lay, cs, ps = w.layout, w.citizen_sight, w.cop_sight
    _run(w.rng, w.pool, 1.0 - lvals, out, w.order, w.cells, w.occupant, w.pos, w.at, w.state,
         w.sentence, w.hardship, w.risk_aversion, w.prob, w.cops_seen, w.actives_seen,
         w.actives_seen_cop, lay.images, lay.cell_of, lay.padded, lay.stride,
         cs.radius, cs.offsets, cs.bits, cs.tries, ps.radius, ps.offsets, ps.bits, ps.tries,
         *_lane_masks(w.cops_seen.dtype), p.active_threshold, p.max_jail_term, p.movement)
    return out


def step(w: World, legitimacy: float | None = None) -> int:
    """Advance the world one tick (at `legitimacy`, default the parameter's);
    returns the number of arrests."""
    return int(advance(w, 1, legitimacy)[0, 3])


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
    lvals = np.full(steps, p.legitimacy) if legitimacy is None else legitimacy
    out = np.zeros((steps + 1, 4), dtype=np.int64)
    out[0, :3] = counts(w)
    out[1:] = advance(w, steps, lvals)
    lvals = np.asarray(lvals, dtype=float)
    return pd.DataFrame({
        "step": np.arange(steps + 1),
        "legitimacy": np.concatenate([[lvals[0] if steps else p.legitimacy], lvals]),
        "quiescent": out[:, QUIET],
        "active": out[:, ACTIVE],
        "jailed": out[:, JAILED],
        "arrests": out[:, 3],
    })


def init_world(rng: np.random.Generator | int | None = None, **params: object) -> World:
    """A fresh world: keywords are EpsteinParams fields; advance it with `step`
    or `advance`."""
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
    lay = Layout.make(p.height, p.width, max(p.citizen_vision, p.cop_vision))
    cs, ps = Sight.make(lay, p.citizen_vision), Sight.make(lay, p.cop_vision)
    pos = np.concatenate([citizen_cells, cop_cells]).astype(lay.padded.dtype)
    occupant = np.full(n_cells, -1, dtype=np.int32)
    occupant[pos] = np.arange(pos.size)
    cells = np.where(occupant[lay.cell_of] >= 0, _AGENT, _EMPTY).astype(np.int8)
    cells[-1] = _AGENT  # the dummy
    seen_c = 2 * p.citizen_vision * (p.citizen_vision + 1)
    most = max(seen_c, 2 * p.cop_vision * (p.cop_vision + 1))
    count = np.dtype(next(t for t in (np.int8, np.int16, np.int32) if most < np.iinfo(t).max))
    def counts_field() -> np.ndarray:  # one count per padded cell, in whole 64-bit words
        return np.zeros(-(-(lay.dummy + 1) * count.itemsize // 8), dtype=np.uint64).view(count)

    cops_seen = counts_field()
    _paint_all(cops_seen, lay.padded[cop_cells], cs.radius, lay.stride, *_lane_masks(count))
    actives_seen = counts_field()  # everyone starts quiet
    # every (actives, cops) a citizen can see: at most all other citizens, all cops
    others = np.arange(min(seen_c, max(nc - 1, 0)) + 1)[:, None]
    cops = np.arange(min(seen_c, n_cops) + 1)[None, :]
    return World(
        params=p, rng=rng, pool=np.zeros(2, dtype=np.int64), layout=lay, citizen_sight=cs,
        cop_sight=ps, n_citizens=nc, occupant=occupant, pos=pos, at=lay.padded[pos],
        hardship=rng.random(nc), risk_aversion=rng.random(nc),
        state=np.full(nc, QUIET, dtype=np.int8),
        sentence=np.zeros(nc, dtype=np.int32 if p.max_jail_term < 2**31 else np.int64),
        prob=estimated_arrest_probability(cops, others + 1, p.arrest_prob_constant,
                                          p.ratio_rounding),
        order=np.arange(pos.size, dtype=np.int32), cells=cells, cops_seen=cops_seen,
        actives_seen=actives_seen,
        actives_seen_cop=(actives_seen if p.cop_vision == p.citizen_vision
                          else counts_field()),
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
