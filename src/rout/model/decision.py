"""Decision: thresholds (Granovetter) over a wish to leave kept private (Kuran).

W = w_g G + w_d D + w_c C - w_l Loyalty. A soldier leaves when W - N > T.
Presence is the public act; effort is private motivation: coercion buys
presence, not effort, so a soldier whose wish exceeds his threshold but who
stays for fear fights at minimum effort (feigned compliance).

`decide` makes the hour's decision of every soldier in one compiled pass,
unit by unit, reading each unit's shared values once; `terms` gives the terms
of W - N - T for the few soldiers whose reasons are recorded.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rout.model.credibility import expected_backup
from rout.model.danger import soldier_danger
from rout.model.enforcement import net_risk
from rout.model.information import collapse as perceived_collapse
from rout.model.state import ON_DUTY

# the float32 weights handed to `decide` and `terms`, in this order
WEIGHTS = ("w_danger", "w_collapse", "collapse_friends", "collapse_news", "backup_discount",
           "calm", "effort_slope", "effort_room", "effort_min")


@njit(cache=True)
def effort(wish: np.float32, threshold: np.float32, slope: np.float32, room: np.float32,
           minimum: np.float32) -> np.float32:
    """e = e_min + (1 - e_min) clip((T - W) / band, 0, 1), with slope = (1 - e_min) / band."""
    e = (threshold - wish) * slope
    return min(max(e, np.float32(0.0)), room) + minimum


@njit(cache=True)
def _wish(c_unit, d_unit, level, arrest, friend_gone, inv_degree, news, credibility,
          danger_weight, exposure, amnesty, static_wish, threshold,
          w_danger, w_collapse, w_friends, w_news, discount, calm):
    """One soldier's C, D, N, W and W - T - N (W's grievance and loyalty part is static)."""
    c = perceived_collapse(c_unit, friend_gone, inv_degree, news, w_friends, w_news)
    d = soldier_danger(d_unit, danger_weight, expected_backup(credibility, level), discount,
                       calm)
    n = net_risk(exposure, arrest, amnesty)
    wish = w_danger * d + static_wish + w_collapse * c
    return c, d, n, wish, wish - threshold - n


@njit(cache=True)
def decide(unit_start, unit_end, unit_collapse, unit_danger, unit_level, unit_arrest,
           friend_gone, inv_degree, news, credibility, danger_weight, exposure, amnesty,
           static_wish, threshold, state, w, out_effort, out_acts):
    """Effort of every soldier, and whether he is on duty with W - N > T (into out_*).

    Per-unit inputs first (collapse part, place danger, promised level, arrest
    probability), then per-soldier ones; `w` holds the float32 WEIGHTS.
    """
    w_danger, w_collapse, w_friends, w_news, discount, calm = w[0], w[1], w[2], w[3], w[4], w[5]
    slope, room, minimum = w[6], w[7], w[8]
    zero = np.float32(0.0)
    for u in range(unit_start.size):
        c_unit, d_unit, level, arrest = unit_collapse[u], unit_danger[u], unit_level[u], \
            unit_arrest[u]
        s, e = unit_start[u], unit_end[u]
        # slices indexed from 0, so the compiler knows no index is negative and vectorizes
        fg, inv, nw, cr = friend_gone[s:e], inv_degree[s:e], news[s:e], credibility[s:e]
        dw, ex, am, sw, th = (danger_weight[s:e], exposure[s:e], amnesty[s:e],
                              static_wish[s:e], threshold[s:e])
        st, o_e, o_a = state[s:e], out_effort[s:e], out_acts[s:e]
        for j in range(e - s):
            _, _, _, wish, net_wish = _wish(
                c_unit, d_unit, level, arrest, fg[j], inv[j], nw[j], cr[j], dw[j], ex[j], am[j],
                sw[j], th[j], w_danger, w_collapse, w_friends, w_news, discount, calm)
            on_duty = st[j] == ON_DUTY
            o_e[j] = effort(wish, th[j], slope, room, minimum) * np.float32(on_duty)
            o_a[j] = on_duty & (net_wish > zero)


@njit(cache=True)
def terms(idx, unit, unit_collapse, unit_danger, unit_level, unit_arrest,
          friend_gone, inv_degree, news, credibility, danger_weight, exposure, amnesty,
          static_wish, threshold, w):
    """C, D, N, W and W - T - N of soldiers idx, one row each (arguments as in `decide`)."""
    out = np.empty((idx.size, 5), dtype=np.float32)
    for k in range(idx.size):
        i = idx[k]
        u = unit[i]
        out[k] = _wish(
            unit_collapse[u], unit_danger[u], unit_level[u], unit_arrest[u], friend_gone[i],
            inv_degree[i], news[i], credibility[i], danger_weight[i], exposure[i], amnesty[i],
            static_wish[i], threshold[i], w[0], w[1], w[2], w[3], w[4], w[5])
    return out


def acting(candidates: np.ndarray, act_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Of the soldiers past their threshold (indices), those who act this hour."""
    return candidates[rng.random(candidates.size) < act_rate]
