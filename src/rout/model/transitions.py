"""Changes of state, and the running tallies that follow every change.

All changes go through `move`, so the counts by (state, rank, group, place),
the departures each unit and each friend has seen, and the officers fled per
unit stay true at every step without recounting the whole army.
"""

from __future__ import annotations

import numpy as np

from rout.model.state import FLED, ON_DUTY, STATES, VISIBLE, Army


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


def move(
    army: Army,
    counts: np.ndarray,
    shape: tuple[int, int, int],
    enforcer: np.ndarray,
    idx: np.ndarray,
    new: int | np.ndarray,
    t: float,
) -> None:
    """Put soldiers idx into state(s) new, keeping every running tally true."""
    if idx.size == 0:
        return
    n_r, n_g, n_p = shape
    block = n_r * n_g * n_p
    new = np.broadcast_to(np.asarray(new, dtype=np.int8), idx.shape)
    old = army.state[idx]
    c = cell(army, idx, n_r, n_g, n_p)
    size = counts.size
    counts -= np.bincount(old.astype(np.int64) * block + c, minlength=size)
    counts += np.bincount(new.astype(np.int64) * block + c, minlength=size)
    dv = VISIBLE[new].astype(np.int32) - VISIBLE[old]
    seen = np.flatnonzero(dv)
    if seen.size:
        who = idx[seen]
        army.unit_gone += np.bincount(
            army.unit[who], weights=dv[seen], minlength=army.unit_gone.size
        ).astype(np.int32)
        starts = army.friends_indptr[who]
        lens = army.friends_indptr[who + 1] - starts
        total = int(lens.sum())
        if total:
            offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
            np.add.at(army.friend_gone, army.friends_indices[np.arange(total) + offsets],
                      np.repeat(dv[seen].astype(np.float32), lens))
    if (new == FLED).any():
        fled = (new == FLED) & (old != FLED) & enforcer[army.rank[idx]]
        np.add.at(army.unit_fled, army.unit[idx[fled]], 1)
    army.state[idx] = new
    army.effort[idx[new != ON_DUTY]] = 0.0
    leaving = (old == ON_DUTY) & (new != ON_DUTY)
    army.left_at[idx[leaving]] = t
    army.left_at[idx[new == ON_DUTY]] = np.nan
