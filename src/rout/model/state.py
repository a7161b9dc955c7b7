"""The army as arrays: one row per soldier, one per unit, one per place.

Soldiers are stored sorted by unit, so a unit is a contiguous slice
`[unit_start[u], unit_end[u])` and its commander (its highest rank) is the
first soldier of the slice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from rout.model.information import news_lag
from rout.model.registry import ON_DUTY, ON_LEAVE, RESERVE, STATES
from rout.model.registry import VISIBLE as _VISIBLE

if TYPE_CHECKING:
    from rout.scenario.schema import Dist, Scenario

# bits of Army.unit_changed: what changed in a unit since the decision (or the sums) last saw it
INPUTS = np.uint8(1)  # a soldier's state or a decision input: decide this unit again
FRIENDS = np.uint8(2)  # departures among its soldiers' friends: their counts to copy
EFFORT = np.uint8(4)  # someone's effort: sum the unit's power again

# 1 for the departures other soldiers can see (they feed perceived collapse), per state code
VISIBLE = np.zeros(len(STATES), dtype=np.int8)
VISIBLE[list(_VISIBLE)] = 1


def sample(dist: Dist, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw n values of a scenario distribution as float32."""
    if dist.kind == "normal":
        x = rng.normal(dist.mean, dist.sd, n)
    elif dist.kind == "lognormal":
        x = dist.median * np.exp(rng.normal(0.0, dist.sigma, n))
    elif dist.kind == "uniform":
        x = rng.uniform(dist.low, dist.high, n)
    elif dist.kind == "beta":
        a = dist.mean * dist.concentration
        x = rng.beta(a, dist.concentration - a if dist.concentration > a else 1e-3, n)
    elif dist.kind == "poisson":
        x = rng.poisson(dist.mean, n)
    else:
        x = np.full(n, dist.value)
    return x.astype(np.float32)


def sample_above(dist: Dist, lower: np.ndarray, rng: np.random.Generator,
                 tries: int = 64) -> np.ndarray:
    """Draws of a distribution conditioned on exceeding `lower` (one bound per draw).

    Normal and uniform draws invert the CDF above the bound; other kinds are redrawn
    until they exceed it, and a draw that never does sits just above its bound.
    """
    lower = np.asarray(lower, dtype=np.float64)
    if dist.kind == "normal" and dist.sd > 0:
        from scipy.special import ndtr, ndtri

        lo = ndtr((lower - dist.mean) / dist.sd)
        u = lo + (1.0 - lo) * rng.random(lower.size)
        x = dist.mean + dist.sd * ndtri(np.clip(u, 0.0, 1.0 - 1e-12))
    elif dist.kind == "uniform" and dist.high > dist.low:
        lo = np.clip(lower, dist.low, dist.high)
        x = lo + (dist.high - lo) * rng.random(lower.size)
    else:
        x = sample(dist, lower.size, rng).astype(np.float64)
        for _ in range(tries):
            bad = x <= lower
            if not bad.any():
                break
            x[bad] = sample(dist, int(bad.sum()), rng)
    return np.maximum(x, lower + 1e-6).astype(np.float32)


def beta_mean(mean: np.ndarray, concentration: float, rng: np.random.Generator) -> np.ndarray:
    """Beta draws with per-row means and one concentration."""
    a = mean * concentration
    return rng.beta(a, concentration - a).astype(np.float32)


@dataclass
class Army:
    """Per-soldier, per-unit and per-place arrays of one run."""

    # soldiers
    rank: np.ndarray  # int8 index into the scenario's ranks, in the order listed
    group: np.ndarray  # int8 index into scenario.army.groups
    unit: np.ndarray  # int32
    need: np.ndarray  # float32, USD/month
    savings: np.ndarray  # float32, USD
    risk: np.ndarray  # float32 risk aversion in [0, 1]
    threshold: np.ndarray  # float32 private threshold
    civ_id: np.ndarray  # bool: carries a non-military ID
    unpaid: np.ndarray  # bool: his pay is in arrears (he is paid nothing now)
    dependents: np.ndarray  # float32 people who depend on his pay
    credibility: np.ndarray  # float32 in [0, 1]
    news_lag: np.ndarray  # float32 hours until news reaches the soldier
    degree: np.ndarray  # float32 number of friends
    state: np.ndarray  # int8 index into STATES
    effort: np.ndarray  # float32 in [0, 1]
    checkpoints_left: np.ndarray  # int16
    left_at: np.ndarray  # float32 hour of leaving duty, nan while on duty
    # units
    unit_place: np.ndarray  # int32
    unit_start: np.ndarray  # int64
    unit_end: np.ndarray  # int64
    unit_parent: np.ndarray  # int32, -1 for a root
    unit_corruptibility: np.ndarray  # float32
    unit_size0: np.ndarray  # int32 soldiers at the start
    unit_enforcers0: np.ndarray  # int32 enforcer-rank soldiers at the start
    # friendship network (CSR without data: neighbours of i are indices[indptr[i]:indptr[i+1]])
    friends_indptr: np.ndarray
    friends_indices: np.ndarray
    # incremental aggregates, updated on every change of state
    unit_reserve: np.ndarray = field(default=None)  # index of its reserve entry, -1 if none
    unit_gone: np.ndarray = field(default=None)  # visible departures per unit
    unit_fled: np.ndarray = field(default=None)  # enforcers fled per unit
    friend_gone: np.ndarray = field(default=None)  # visible departures among friends
    unit_changed: np.ndarray = field(default=None)  # uint8 bits per unit (transitions.INPUTS...)

    @property
    def n(self) -> int:
        return self.rank.size

    @property
    def n_units(self) -> int:
        return self.unit_place.size


def rank_table(scenario: Scenario, attr: str) -> np.ndarray:
    """A rank attribute as a float32 lookup table indexed by rank code (0 where absent)."""
    return np.array([getattr(spec, attr) for spec in scenario.army.ranks.values()],
                    dtype=np.float32)


def _counts(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer counts with the given shares that add up to n exactly (largest remainder)."""
    raw = shares * n
    base = np.floor(raw).astype(np.int64)
    rest = n - int(base.sum())
    if rest > 0:
        base[np.argsort(-(raw - base), kind="stable")[:rest]] += 1
    return base


def _network(
    unit: np.ndarray,
    start: np.ndarray,
    size: np.ndarray,
    k_in: int,
    k_out: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A symmetric friendship graph: k_in ties inside the unit, k_out anywhere (phones)."""
    n = unit.size
    src = []
    dst = []
    me = np.arange(n, dtype=np.int64)
    for _ in range(k_in):
        j = start[unit] + (rng.random(n) * size[unit]).astype(np.int64)
        src.append(me)
        dst.append(j)
    for _ in range(k_out):
        src.append(me)
        dst.append(rng.integers(0, n, n))
    if not src:
        return np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.int32)
    a = np.concatenate(src + dst)
    b = np.concatenate(dst + src).astype(np.int32)
    del src, dst
    keep = a != b
    return _csr(a[keep], b[keep], n)


@njit(cache=True)
def _csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges grouped by source, in their original order within each source (a counting sort)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for s in src:
        indptr[s + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    indices = np.empty(src.size, dtype=np.int32)
    for k in range(src.size):
        indices[fill[src[k]]] = dst[k]
        fill[src[k]] += 1
    return indptr, indices


def build_army(scenario: Scenario, rng: np.random.Generator) -> Army:
    """Draw the population, its units and its friendship network from a scenario."""
    army = scenario.army
    prm = scenario.parameters
    scale = scenario.scale
    n = max(1, round(army.strength / scale))  # agents: each stands for `scale` soldiers
    unit_size = max(2, round(army.unit_size / scale))
    headquarters = rank_table(scenario, "headquarters").astype(bool)
    rank_names = list(army.ranks)
    rank_code = np.arange(len(rank_names), dtype=np.int8)
    rank_share = np.array([army.ranks[r].share for r in rank_names])
    garrison = np.array([p.garrison for p in scenario.places])
    per_place = _counts(garrison, n)

    ranks, units, places, parents = [], [], [], []
    n_units = 0
    for p, n_p in enumerate(per_place):
        if n_p == 0:
            continue
        k = _counts(rank_share, int(n_p))
        # highest rank first, so each unit's first soldier commands it
        r = np.repeat(rank_code, k)[::-1]
        u_count = max(1, -(-int(n_p) // unit_size))
        local = np.arange(n_p) % u_count
        local[headquarters[r]] = 0  # generals sit at the place's headquarters
        ranks.append(r)
        units.append(n_units + local)
        places.append(np.full(u_count, p, dtype=np.int32))
        parents.append(np.r_[-1, np.full(u_count - 1, n_units)].astype(np.int32))
        n_units += u_count
    # reserves: their own units at their places, under the headquarters there, called up later
    index = {pl.name: i for i, pl in enumerate(scenario.places)}
    hq = {int(pl[0]): int(first)
          for pl, first in zip(places, np.cumsum([0, *map(len, places)]), strict=False)}
    reserve = []
    for res in army.reserves:
        n_r = max(1, round(res.soldiers / scale))
        u_count = max(1, -(-n_r // unit_size))
        p = index[res.place]
        ranks.append(np.full(n_r, rank_names.index(res.rank), dtype=np.int8))
        units.append(n_units + np.arange(n_r) % u_count)
        places.append(np.full(u_count, p, dtype=np.int32))
        parents.append(np.full(u_count, hq.get(p, -1), dtype=np.int32))
        reserve.append((n_units, n_units + u_count, [g.name for g in army.groups].index(res.group)))
        n_units += u_count
    rank = np.concatenate(ranks).astype(np.int8)
    unit = np.concatenate(units).astype(np.int32)
    order = np.lexsort((-rank.astype(np.int16), unit))
    rank, unit = rank[order], unit[order]
    unit_place = np.concatenate(places)
    unit_parent = np.concatenate(parents)
    size = np.bincount(unit, minlength=n_units).astype(np.int64)
    unit_end = np.cumsum(size)
    unit_start = unit_end - size
    n = rank.size

    group_share = np.array([g.share for g in army.groups])
    group = rng.choice(len(army.groups), size=n, p=group_share / group_share.sum()).astype(
        np.int8
    )
    in_reserve = np.zeros(n, dtype=bool)
    for first, last, g in reserve:
        members = slice(unit_start[first], unit_end[last - 1])
        group[members], in_reserve[members] = g, True

    def per_rank(attr: str) -> np.ndarray:
        return rank_table(scenario, attr)[rank]

    dependents = sample(army.dependents, n, rng).clip(0, None)
    need = (army.need_base + army.need_per_dependent * dependents).astype(np.float32)
    median = np.array([spec.savings if spec.savings is not None
                       else prm.savings_months * spec.pay for spec in army.ranks.values()],
                      dtype=np.float32)[rank]
    savings = (median * np.exp(rng.normal(0.0, army.savings_sigma, n))).astype(np.float32)
    risk = sample(army.risk_aversion, n, rng).clip(0.0, 1.0)
    threshold = (sample(army.threshold, n, rng) + per_rank("threshold_shift")).clip(0.0, None)
    civ_id = rng.random(n) < army.non_military_id
    credibility = beta_mean(per_rank("credibility"), army.credibility_concentration, rng)
    lag_draw = rng.exponential(prm.news_hours, n)
    state = np.where(rng.random(n) < army.on_leave, ON_LEAVE, ON_DUTY).astype(np.int8)
    state[in_reserve] = RESERVE
    unpaid = rng.random(n) < army.arrears
    corrupt = sample(army.corruptibility, n_units, rng).clip(0.0, 1.0)
    enforcer = per_rank("enforcer").astype(bool)
    indptr, indices = _network(
        unit, unit_start, size, prm.friends_in_unit, prm.friends_outside, rng
    )
    degree = np.diff(indptr).astype(np.float32)
    a = Army(
        rank=rank,
        group=group,
        unit=unit,
        need=need,
        savings=savings,
        risk=risk,
        threshold=threshold,
        civ_id=civ_id,
        unpaid=unpaid,
        dependents=dependents,
        credibility=credibility,
        news_lag=news_lag(lag_draw, degree),
        degree=degree,
        state=state,
        effort=np.ones(n, dtype=np.float32),
        checkpoints_left=np.zeros(n, dtype=np.int16),
        left_at=np.full(n, np.nan, dtype=np.float32),
        unit_place=unit_place,
        unit_start=unit_start,
        unit_end=unit_end,
        unit_parent=unit_parent,
        unit_corruptibility=corrupt,
        unit_size0=size.astype(np.int32),
        unit_enforcers0=np.bincount(unit, weights=enforcer, minlength=n_units).astype(np.int32),
        friends_indptr=indptr,
        friends_indices=indices,
    )
    a.unit_reserve = np.full(n_units, -1, dtype=np.int32)
    for i, (first, last, _) in enumerate(reserve):
        a.unit_reserve[first:last] = i
    a.unit_gone = np.zeros(n_units, dtype=np.int32)
    a.unit_fled = np.zeros(n_units, dtype=np.int32)
    a.friend_gone = np.zeros(n, dtype=np.float32)
    a.unit_changed = np.full(n_units, 0xFF, dtype=np.uint8)  # nothing seen yet
    return a
