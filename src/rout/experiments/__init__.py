"""Experiments at scale: ensembles, sweeps, sensitivity analysis and calibration.

Every experiment maps the pure `run(scenario, overrides, seed)` over design points x
replicates with any executor (a plain loop, local processes, Dask), under one root
`SeedSequence`, and can stream its runs into a Parquet store queried with DuckDB.
"""

from rout.experiments.backend import Backend, Result, model, run
from rout.experiments.ensemble import Ensemble, ensemble
from rout.experiments.store import Experiment, StoreError
from rout.experiments.store import open_experiment as open
from rout.experiments.sweep import Plan, execute, sweep

__all__ = ["Backend", "Ensemble", "Experiment", "Plan", "Result", "StoreError", "ensemble",
           "execute", "model", "open", "run", "sweep"]
