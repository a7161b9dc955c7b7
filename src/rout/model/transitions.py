"""Changes of state, and the running tallies that follow every change.

All changes go through `move`, so the counts by (state, rank, group, place),
the departures each unit and each friend has seen, and the officers fled per
unit stay true at every step without recounting the whole army. Each change
also flags the units it touches (`Army.unit_changed`), so the decision and the
sums of effort know which units to pass over again (ODD 7.7, quiet units).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rout.model.registry import FLED, ON_DUTY, STATES
from rout.model.state import EFFORT, FRIENDS, INPUTS, VISIBLE, Army


def cell(army: Army, idx: np.ndarray, n_ranks: int, n_groups: int, n_places: int) -> np.ndarray:
    """Index of (rank, group, place) for soldiers idx, within one state's block of counts."""
    place = army.unit_place[army.unit[idx]]
    return (army.rank[idx].astype(np.int64) * n_groups + army.group[idx]) * n_places + place


def tally(army: Army, shape: tuple[int, int, int]) -> np.ndarray:
    """Counts by (state, rank, group, place), from scratch."""
    n_r, n_g, n_p = shape
    block = n_r * n_g * n_p
    key = army.state.astype(np.int64) * block + cell(army, np.arange(army.n), n_r, n_g, n_p)
    return np.bincount(key, minlength=len(STATES) * block).astype(np.int64)


@njit(cache=True)
def _apply(
    idx, new, t, n_groups, n_places, enforcer, visible,
    state, rank, group, unit, unit_place, unit_start, unit_end, friends_indptr, friends_indices,
    counts, unit_gone, unit_fled, friend_gone, effort, left_at, unit_changed,
) -> None:
    """One soldier after another: every tally, then the soldier's own state, flagging his
    unit and his friends' units as changed."""
    block = counts.size // len(visible)
    for k in range(idx.size):
        i, to = idx[k], np.int64(new[k])
        old = np.int64(state[i])  # int64 before any product, compiled or not
        u = unit[i]
        c = (np.int64(rank[i]) * n_groups + group[i]) * n_places + unit_place[u]
        counts[old * block + c] -= 1
        counts[to * block + c] += 1
        dv = np.int64(visible[to]) - np.int64(visible[old])
        unit_changed[u] |= INPUTS | EFFORT
        if dv != 0:
            unit_gone[u] += dv
            unit_changed[u] |= FRIENDS
            first, last = unit_start[u], unit_end[u]
            for j in range(friends_indptr[i], friends_indptr[i + 1]):
                friend = friends_indices[j]
                friend_gone[friend] += np.float32(dv)
                if not first <= friend < last:  # most friends are in his own unit
                    unit_changed[unit[friend]] |= INPUTS | FRIENDS
        if enforcer[rank[i]] and (to == FLED) != (old == FLED):
            unit_fled[u] += 1 if to == FLED else -1
        state[i] = to
        if to != ON_DUTY:
            effort[i] = 0.0
            if old == ON_DUTY:
                left_at[i] = t
        else:
            left_at[i] = np.nan


def move(
    army: Army,
    counts: np.ndarray,
    shape: tuple[int, int, int],
    enforcer: np.ndarray,
    idx: np.ndarray,
    new: int | np.ndarray,
    t: float,
) -> None:
    """Put soldiers idx (each at most once) into state(s) new, keeping every tally true."""
    if idx.size == 0:
        return
    new = np.broadcast_to(np.asarray(new, dtype=np.int8), idx.shape)
    a = army
    _apply(idx, new, t, shape[1], shape[2], enforcer, VISIBLE, a.state, a.rank, a.group, a.unit,
           a.unit_place, a.unit_start, a.unit_end, a.friends_indptr, a.friends_indices, counts,
           a.unit_gone, a.unit_fled, a.friend_gone, a.effort, a.left_at, a.unit_changed)
