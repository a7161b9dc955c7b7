"""Running a scenario and reading the results as tidy pandas frames."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rout.model.engine import ACTIONS, TERMS, Engine
from rout.model.record import TRACKED
from rout.model.state import ON_LEAVE, STATES, VISIBLE
from rout.scenario.loader import load_scenario
from rout.scenario.schema import RANKS, Scenario, Track


def pick_tracked(engine_army, scenario: Scenario, rng: np.random.Generator) -> list[int]:
    """Soldiers to follow, drawn by the scenario's `track` selectors."""
    a = engine_army
    index = {p.name: i for i, p in enumerate(scenario.places)}
    groups = [g.name for g in scenario.army.groups]
    ids: list[int] = []
    for sel in scenario.track:
        mask = _select(a, sel, index, groups)
        pool = np.flatnonzero(mask)
        pool = pool[~np.isin(pool, ids)]
        ids += rng.choice(pool, size=min(sel.count, pool.size), replace=False).tolist()
    return ids


def _select(a, sel: Track, index: dict[str, int], groups: list[str]) -> np.ndarray:
    mask = np.ones(a.n, dtype=bool)
    if sel.rank is not None:
        mask &= a.rank == RANKS.index(sel.rank)
    if sel.group is not None:
        mask &= a.group == groups.index(sel.group)
    if sel.place is not None:
        mask &= a.unit_place[a.unit] == index[sel.place]
    if sel.on_leave is not None:
        mask &= (a.state == ON_LEAVE) == sel.on_leave
    return mask


def simulate(
    scenario: str | Path | Scenario = "syria-2024",
    seed: int | np.random.SeedSequence | None = None,
    overrides: dict[str, Any] | None = None,
    days: float | None = None,
    track: list[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Run a scenario once: a pure function of (scenario, overrides, seed).

    `seed` may be an int or a SeedSequence (spawned by an ensemble); with None
    fresh entropy is drawn and recorded in the summary so the run can be redone.
    """
    over = dict(overrides or {})
    if days is not None:
        over["days"] = days
    sc = load_scenario(scenario, over)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    picker = rng.spawn(1)[0]
    start = time.perf_counter()
    eng = Engine(sc, rng, track=[])
    ids = list(track or []) + pick_tracked(eng.army, sc, picker)
    bad = [i for i in ids if not 0 <= i < eng.army.n]
    if bad:
        raise ValueError(f"track: soldier id {bad[0]} out of range 0..{eng.army.n - 1}")
    if ids:
        eng.track = np.asarray(ids, dtype=np.int64)
        eng.recorder = type(eng.recorder)(eng)
    eng.run(progress)
    wall = time.perf_counter() - start
    return Run(sc, eng, ss, wall)


class Run:
    """The results of one run, as tidy frames built on first use."""

    def __init__(self, scenario: Scenario, engine: Engine, seed: np.random.SeedSequence,
                 wall_seconds: float) -> None:
        self.scenario = scenario
        self.engine = engine
        self.seed = seed
        self.wall_seconds = wall_seconds
        self.places_ = engine.place_names
        self.groups_ = [g.name for g in scenario.army.groups]

    def __repr__(self) -> str:
        return (f"<Run {self.scenario.name!r} seed={self.seed.entropy} steps={self.engine.steps} "
                f"soldiers={self.engine.army.n}>")

    # --------------------------------------------------------------- frames
    def _time(self) -> pd.DataFrame:
        rec = self.engine.recorder
        t = rec.t[: self.engine.steps]
        out = pd.DataFrame({"step": np.arange(t.size), "t_hours": t, "day": t / 24.0})
        if self.scenario.start_date is not None:
            start = pd.Timestamp(self.scenario.start_date)
            out["time"] = start + pd.to_timedelta(t, unit="h")
        return out

    def _cube(self) -> np.ndarray:
        """Counts as an array of shape (step, state, rank, group, place)."""
        eng = self.engine
        return eng.recorder.counts[: eng.steps].reshape(eng.steps, len(STATES), *eng.shape)

    @cached_property
    def series(self) -> pd.DataFrame:
        """Per step: counts by state; present and left by rank, group and place; effort,
        credibility and effective power."""
        rec, n = self.engine.recorder, self.engine.steps
        cube = self._cube()
        out = self._time()
        for s, name in enumerate(STATES):
            out[name] = cube[:, s].sum(axis=(1, 2, 3))
        left = cube[:, VISIBLE.astype(bool)].sum(axis=1)
        out["left"] = left.sum(axis=(1, 2, 3))
        out["mean_effort"] = rec.mean_effort[:n]
        out["mean_credibility"] = rec.mean_credibility[:n]
        out["effective_power"] = rec.power[:n]
        out["power_share"] = rec.power[:n] / rec.power[0] if n and rec.power[0] else np.nan
        labels = {"rank": list(RANKS), "group": self.groups_, "place": self.places_}
        for axis, dim in enumerate(("rank", "group", "place")):
            other = tuple(i for i in range(3) if i != axis)
            duty = cube[:, 0].sum(axis=tuple(o + 1 for o in other))
            gone = left.sum(axis=tuple(o + 1 for o in other))
            for j, label in enumerate(labels[dim]):
                if dim == "rank" and label not in self.scenario.army.ranks:
                    continue
                out[f"{dim}.{label}.on_duty"] = duty[:, j]
                out[f"{dim}.{label}.left"] = gone[:, j]
        return out

    @cached_property
    def counts(self) -> pd.DataFrame:
        """Tidy counts: one row per (step, state, rank, group, place) with soldiers in it."""
        cube = self._cube()
        idx = np.nonzero(cube)
        ranks = np.array(RANKS)
        out = pd.DataFrame(
            {
                "step": idx[0],
                "state": pd.Categorical.from_codes(idx[1], STATES),
                "rank": pd.Categorical.from_codes(idx[2], ranks),
                "group": pd.Categorical.from_codes(idx[3], self.groups_),
                "place": pd.Categorical.from_codes(idx[4], self.places_),
                "count": cube[idx],
            }
        )
        out.insert(1, "day", self.engine.recorder.t[out["step"].to_numpy()] / 24.0)
        return out

    @cached_property
    def places(self) -> pd.DataFrame:
        """Per step and place: who holds it, the defenders' power and the danger felt."""
        rec, n, k = self.engine.recorder, self.engine.steps, self.engine.n_places
        time_ = self._time()
        return pd.DataFrame(
            {
                "step": np.repeat(time_["step"].to_numpy(), k),
                "day": np.repeat(time_["day"].to_numpy(), k),
                "place": pd.Categorical(np.tile(self.places_, n), categories=self.places_),
                "government": rec.government[:n].ravel(),
                "defender_power": rec.place_power[:n].ravel(),
                "danger": rec.place_danger[:n].ravel(),
            }
        )

    @cached_property
    def forces(self) -> pd.DataFrame:
        """Per step and attacking force: strength, momentum and position (lat, lon)."""
        eng, rec, n = self.engine, self.engine.recorder, self.engine.steps
        names = [f.name for f in eng.forces]
        lat = np.array([p.lat for p in self.scenario.places])
        lon = np.array([p.lon for p in self.scenario.places])
        node, nxt, along = rec.force_node[:n], rec.force_next[:n], rec.force_along[:n]
        edge = eng.roads.km[node, np.where(nxt >= 0, nxt, node)]
        frac = np.where(nxt >= 0, along / np.where(edge > 0, edge, 1.0), 0.0)
        to = np.where(nxt >= 0, nxt, node)
        k = len(names)
        return pd.DataFrame(
            {
                "step": np.repeat(np.arange(n), k),
                "day": np.repeat(rec.t[:n] / 24.0, k),
                "force": np.tile(names, n),
                "strength": rec.force_strength[:n].ravel(),
                "momentum": rec.force_momentum[:n].ravel(),
                "lat": (lat[node] + frac * (lat[to] - lat[node])).ravel(),
                "lon": (lon[node] + frac * (lon[to] - lon[node])).ravel(),
            }
        )

    @cached_property
    def events(self) -> pd.DataFrame:
        """What happened, when and where: one row per event."""
        cols = ["t_hours", "day", "kind", "place", "detail"]
        df = pd.DataFrame(self.engine.log)
        return df if len(df) else pd.DataFrame(columns=cols)

    @cached_property
    def departures(self) -> pd.DataFrame:
        """Every decision to leave: who, when, how, and the terms of W - N at that moment."""
        logs = self.engine.departures
        if not logs:
            return pd.DataFrame(columns=["t_hours", "day", "soldier", "action", "rank", "group",
                                         "place", "threshold", *TERMS])
        cat = {k: np.concatenate([d[k] for d in logs]) for k in logs[0]}
        out = pd.DataFrame(
            {
                "t_hours": cat["t_hours"],
                "day": cat["t_hours"] / 24.0,
                "soldier": cat["soldier"],
                "action": pd.Categorical.from_codes(cat["action"], ACTIONS),
                "rank": pd.Categorical.from_codes(cat["rank"], RANKS),
                "group": pd.Categorical.from_codes(cat["group"], self.groups_),
                "place": pd.Categorical.from_codes(cat["place"], self.places_),
                "threshold": cat["threshold"],
            }
        )
        for j, name in enumerate(TERMS):
            out[name] = cat["terms"][:, j]
        return out

    @cached_property
    def tracked(self) -> pd.DataFrame:
        """Hour by hour, the state and inner numbers of each tracked soldier."""
        eng, n = self.engine, self.engine.steps
        ids = eng.track
        k = ids.size
        rec = eng.recorder
        out = pd.DataFrame(
            {"step": np.repeat(np.arange(n), k), "day": np.repeat(rec.t[:n] / 24.0, k),
             "soldier": np.tile(ids, n)}
        )
        for name in TRACKED:
            out[name] = rec.tracked[name][:n].ravel()
        out["state"] = pd.Categorical.from_codes(out["state"].astype(int), STATES)
        out["place"] = pd.Categorical.from_codes(out["place"].astype(int), self.places_)
        a = eng.army
        out["rank"] = pd.Categorical.from_codes(np.tile(a.rank[ids], n), RANKS)
        return out

    @cached_property
    def _attribution(self) -> pd.DataFrame:
        """Each departure split over what pushed the soldier out: the standing pressures
        (grievance, danger, collapse, each at its level) and the restraints that weakened
        (enforcement, loyalty, each by how much it fell since the start of the run)."""
        d = self.departures
        terms = d[list(TERMS)].to_numpy()
        start = self.engine.terms0[d["soldier"].to_numpy()]
        pressure = np.array([t in ("grievance", "danger", "collapse") for t in TERMS])
        push = np.where(pressure, terms, terms - start).clip(0.0, None)
        total = push.sum(axis=1, keepdims=True)
        share = np.divide(push, total, out=np.zeros_like(push), where=total > 0)
        out = pd.DataFrame(share, columns=list(TERMS), index=d.index)
        out["baseline"] = (total[:, 0] <= 0).astype(float)
        return out

    def drivers(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Departures attributed to each mechanism, overall or by rank, group, place or day.

        Each decision to leave is split over the terms of W - N in proportion to
        their push: grievance, danger and perceived collapse by their level,
        enforcement and loyalty by how much the restraint weakened since the start
        of the run; a decision with no push at all is counted as `baseline`. The
        `departures` column sums to the number of decisions to leave; `share` sums
        to 1 within each group.
        """
        keys = [by] if isinstance(by, str) else list(by or [])
        d = self.departures.assign(day=np.floor(self.departures["day"]).astype(int))
        bad = [k for k in keys if k not in ("rank", "group", "place", "day", "action")]
        if bad:
            raise ValueError(f"drivers: cannot group by {bad[0]!r}; "
                             "use rank, group, place, day or action")
        att = self._attribution
        frame = pd.concat([d[keys], att], axis=1)
        mechanisms = [*TERMS, "baseline"]
        if keys:
            wide = frame.groupby(keys, observed=True)[mechanisms].sum()
            long = wide.stack().rename("departures").reset_index()
            long = long.rename(columns={long.columns[len(keys)]: "mechanism"})
            long["share"] = long["departures"] / long.groupby(keys, observed=True)[
                "departures"].transform("sum")
            return long
        totals = frame[mechanisms].sum()
        return pd.DataFrame({"mechanism": mechanisms, "departures": totals.to_numpy(),
                             "share": (totals / max(len(d), 1)).to_numpy()})

    def story(self, soldier: int) -> str:
        """A tracked soldier's path through the run, in plain words."""
        from rout.story import tell

        return tell(self.tracked, soldier, self.scenario, self.scenario.parameters.bribe_price)

    def timeline(self) -> pd.DataFrame:
        """Observed against simulated fall dates, with the error in days (NaN: did not fall)."""
        rows = []
        for o in self.scenario.observed:
            hour = self.engine.fall_hour[self.engine.index[o.place]]
            sim = hour / 24.0 if np.isfinite(hour) else np.nan
            rows.append({"place": o.place, "observed": o.day, "simulated": sim,
                         "error_days": sim - o.day})
        return pd.DataFrame(rows, columns=["place", "observed", "simulated", "error_days"])

    # --------------------------------------------------------------- summaries
    def final_counts(self) -> dict[str, int]:
        last = self.series.iloc[-1]
        return {s: int(last[s]) for s in STATES}

    def summary(self) -> dict[str, Any]:
        """The run in one JSON-ready mapping."""
        s = self.series
        tl = self.timeline()
        ev = self.events
        return {
            "scenario": self.scenario.name,
            "seed": self.seed.entropy,
            "spawn_key": list(self.seed.spawn_key),
            "numpy_version": np.__version__,
            "soldiers": int(self.engine.army.n),
            "steps": int(self.engine.steps),
            "step_hours": self.scenario.step_hours,
            "wall_seconds": round(self.wall_seconds, 4),
            "final_counts": self.final_counts(),
            "left_share": float(s["left"].iloc[-1] / self.engine.army.n),
            "final_power_share": float(s["power_share"].iloc[-1]),
            "events": json.loads(ev.to_json(orient="records")) if len(ev) else [],
            "timeline": json.loads(tl.to_json(orient="records")),
        }

    def save(self, out: str | Path) -> Path:
        """Write every frame as Parquet and the summary as JSON into a folder."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        frames = {"series": self.series, "counts": self.counts, "places": self.places,
                  "forces": self.forces, "events": self.events, "departures": self.departures,
                  "tracked": self.tracked, "timeline": self.timeline()}
        for name, df in frames.items():
            df.to_parquet(out / f"{name}.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=str))
        return out


def date_of(scenario: Scenario, day: float) -> dt.date | None:
    """The calendar date of a scenario day, if the scenario has a start date."""
    if scenario.start_date is None or not np.isfinite(day):
        return None
    return scenario.start_date + dt.timedelta(days=float(day))
