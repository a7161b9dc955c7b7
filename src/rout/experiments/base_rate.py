"""The base rate: how often random but plausible armies under attack suffer mass desertion.

Lyall (2020, "Divided Armies"; Project Mars, 250 conventional wars since 1800) reports
mass desertion, at least 10% of the fielded force abandoning the fight and going home,
for about half of the belligerents, more often the more unequal the army's treatment of
its ethnic groups. A model that collapses every army
it is given, or none, is wrong before any case is fitted. `armies` draws armies and
offensives from the documented ranges of `RANGES` (a front, two towns and a capital on
one road), `sweep` runs each once with the shared defaults, and `rate` gives the share
with mass desertion and its Wilson interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rout.experiments.plan import BackendLike, design_rng, replicate_seed, root_entropy, using

# name: (low, high, how drawn) - "log" uniform on the log scale, "uniform", "int" whole values
RANGES: dict[str, tuple[float, float, str]] = {
    "strength": (5_000, 300_000, "log"),            # soldiers present
    "attacker_ratio": (0.03, 0.5, "log"),           # attacking strength / army strength
    "attacker_quality": (0.8, 1.5, "uniform"),
    "speed_km_day": (15.0, 60.0, "uniform"),        # unopposed speed
    "mercy": (0.0, 1.0, "uniform"),                 # the attacker's expected mercy
    "front_km": (10.0, 60.0, "uniform"),            # start of the offensive to the front
    "leg_km": (30.0, 150.0, "uniform"),             # front - town - city
    "capital_km": (50.0, 300.0, "uniform"),         # city - capital
    "front_share": (0.05, 0.3, "uniform"),          # garrison shares of the front, town, city
    "town_share": (0.05, 0.2, "uniform"),
    "city_share": (0.05, 0.2, "uniform"),           # the capital holds the rest
    "pay_over_need": (0.3, 3.0, "log"),             # private's pay / a family's need
    "arrears": (0.0, 0.5, "uniform"),               # drawn for a third of the armies, else 0
    "legitimacy": (0.2, 0.9, "uniform"),
    "core_share": (0.5, 1.0, "uniform"),            # the regime's core group
    "core_affinity": (0.4, 0.9, "uniform"),
    "other_affinity": (0.05, 0.6, "uniform"),       # the rest: lower is more unequal
    "fear": (0.0, 0.6, "uniform"),
    "officer_share": (0.03, 0.12, "uniform"),       # enforcing officers
    "checkpoints": (0, 3, "int"),                   # per place
    "peacetime_desertion": (0.0, 0.03, "uniform"),  # per month
    "backer_air": (0.0, 1.0, "uniform"),            # drawn for half the armies, else none
    "backer_commitment": (0.0, 1.0, "uniform"),
}
DAYS = 30.0
MASS = 0.10  # Lyall's mass desertion: at least a tenth of the force gone home


def draw(rng: np.random.Generator) -> dict[str, Any]:
    """One army and offensive from `RANGES`."""
    out: dict[str, Any] = {}
    for name, (low, high, how) in RANGES.items():
        if how == "log":
            out[name] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        elif how == "int":
            out[name] = int(rng.integers(int(low), int(high) + 1))
        else:
            out[name] = float(rng.uniform(low, high))
    out["strength"] = int(round(out["strength"]))
    if rng.random() >= 1 / 3:
        out["arrears"] = 0.0
    if rng.random() >= 0.5:
        out["backer_air"] = 0.0
    out["homes"] = "garrison" if rng.random() < 0.5 else "elsewhere"
    return out


def scenario(army: dict[str, Any], name: str = "random army") -> dict[str, Any]:
    """The raw scenario of a drawn army: four places on one road north to south."""
    km = [army["front_km"], army["leg_km"], army["leg_km"], army["capital_km"]]
    lat = 36.0 - np.cumsum([0.0, *km]) / 111.0
    names = ["Border", "Front", "Town", "City", "Capital"]
    shares = [round(army[k], 6) for k in ("front_share", "town_share", "city_share")]
    shares.append(max(0.0, np.floor((1.0 - sum(shares)) * 1e6) / 1e6))  # the capital: the rest
    places = [{"name": "Border", "lat": float(lat[0]), "lon": 36.0, "control": "attacker"}]
    for i, (nm, g) in enumerate(zip(names[1:], shares, strict=True)):
        places.append({"name": nm, "lat": float(lat[i + 1]), "lon": 36.0,
                       "checkpoints": army["checkpoints"], "garrison": float(g),
                       **({"fortification": 1.3} if nm == "Capital" else {})})
    roads = [{"a": a, "b": b, "km": float(d)}
             for a, b, d in zip(names[:-1], names[1:], km, strict=True)]
    need_base, per_dependent, dependents = 100.0, 40.0, 2.0
    pay = army["pay_over_need"] * (need_base + per_dependent * dependents)
    officers = army["officer_share"]
    ranks = {
        "private": {"share": round(0.85 - officers, 6), "pay": pay, "combat_value": 0.8},
        "nco": {"share": 0.14, "pay": 1.3 * pay},
        "officer": {"share": round(officers, 6), "pay": 2.0 * pay, "combat_value": 1.2,
                    "enforcer": True, "loyalty": 0.1},
        "general": {"share": 0.01, "pay": 5.0 * pay, "enforcer": True, "headquarters": True,
                    "danger_weight": 3.0, "punishment_exposure": 0.3,
                    "threshold_shift": -0.3},
    }
    core = army["core_share"]
    groups = [{"name": "core", "share": round(core, 6), "affinity": army["core_affinity"],
               "fear": army["fear"]}]
    if core < 1.0:
        groups.append({"name": "other", "share": round(1.0 - core, 6),
                       "affinity": army["other_affinity"], "fear": army["fear"] / 2,
                       "sympathy": 0.1})
    raw: dict[str, Any] = {
        "name": name,
        "description": "a random army under attack (rout.experiments.base_rate)",
        "days": DAYS,
        "places": places,
        "roads": roads,
        "army": {"strength": army["strength"], "unit_size": 100, "ranks": ranks,
                 "groups": groups, "need_base": need_base,
                 "need_per_dependent": per_dependent,
                 "dependents": {"kind": "poisson", "mean": dependents},
                 "arrears": army["arrears"], "homes": army["homes"],
                 "peacetime_desertion": army["peacetime_desertion"]},
        "regime": {"legitimacy": army["legitimacy"]},
        "forces": [{"name": "Offensive", "start": "Border",
                    "strength": max(100.0, army["attacker_ratio"] * army["strength"]),
                    "quality": army["attacker_quality"],
                    "speed_km_day": army["speed_km_day"], "mercy": army["mercy"],
                    "objectives": ["Front", "Town", "City", "Capital"]}],
    }
    if army["backer_air"] > 0:
        raw["backers"] = [{"name": "Backer", "air_support": army["backer_air"],
                           "commitment": [{"day": 0, "value": army["backer_commitment"]}]}]
    return raw


def armies(n: int, seed: int | None = 1) -> list[dict[str, Any]]:
    """n armies drawn from the ranges, the same for the same seed."""
    rng = design_rng(root_entropy(seed))
    return [draw(rng) for _ in range(n)]


def gone_home(raw: dict[str, Any], overrides: dict[str, Any],
              seed: np.random.SeedSequence) -> dict[str, float]:
    """One run of a drawn army (with parameter overrides, as a calibration tries them): the
    share that abandoned the fight and went home (absent, deserting, deserted or fled: not
    the captured, killed, surrendered or defected) at the end, and whether the capital
    fell. Each agent stands for up to 20,000th of the army (`scale`), to keep runs cheap."""
    import warnings

    from rout.model.results import simulate
    from rout.scenario.loader import ScenarioWarning, load_scenario, validate

    sc = validate(raw, raw["name"])
    scale = max(1, sc.army.strength // 20_000)
    with warnings.catch_warnings():  # a drawn army may well pay above need: that is a draw
        warnings.simplefilter("ignore", ScenarioWarning)
        sc = load_scenario(sc, {**overrides, "scale": scale})
    run = simulate(sc, rng=seed)
    last = run.series.iloc[-1]
    home = sum(float(last[s]) for s in ("absent", "deserting", "deserted", "fled"))
    return {"gone_home": home / run.n_soldiers,
            "capital_fell": float(np.isfinite(run.fall_days["Capital"]))}


def sweep(n: int = 200, seed: int | None = 1, overrides: dict[str, Any] | None = None,
          backend: BackendLike = "sequential", workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """n drawn armies, one run each with the shared defaults (or `overrides` of them): their
    inputs and outcomes."""
    drawn = armies(n, seed)
    entropy = root_entropy(seed)
    jobs = [(scenario(a, f"random army {i}"), dict(overrides or {}), replicate_seed(entropy, i))
            for i, a in enumerate(drawn)]
    rows: list[dict[str, float] | None] = [None] * n
    with using(backend, workers) as b:
        for i, result in b.map(gone_home, jobs):
            rows[i] = result
            if progress is not None:
                progress(1)
    frame = pd.DataFrame(drawn)
    out = pd.DataFrame(rows)
    frame["gone_home"] = out["gone_home"]
    frame["capital_fell"] = out["capital_fell"].astype(bool)
    frame["mass_desertion"] = frame["gone_home"] >= MASS
    frame["inequality"] = np.where(frame["core_share"] < 1.0,
                                   frame["core_affinity"] - frame["other_affinity"], 0.0)
    return frame


def rate(frame: pd.DataFrame, column: str = "mass_desertion") -> tuple[float, float, float]:
    """The share of armies with the outcome, and its 95% Wilson interval."""
    from scipy.stats import binomtest

    k, n = int(frame[column].sum()), len(frame)
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return k / n, float(ci.low), float(ci.high)
