"""Experiments at scale: ensembles, sweeps, sensitivity analysis and calibration.

Every experiment maps the pure `run(scenario, overrides, seed)` over design points x
replicates with any executor (a plain loop, local processes, Dask), under one root
`SeedSequence` (`rout.experiments.plan`), and can stream its runs into a Parquet store
queried with DuckDB. Loaded on first use.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "backend": ["Backend", "Result", "model", "run"],
        "ensemble": ["Ensemble", "ensemble"],
        "store": ["Experiment", "StoreError"],
        "plan": ["Plan", "execute"],
        "sweep": ["sweep"],
    },
)


def open(path):  # noqa: A001 - rout.experiments.open(path) reads like the builtin it echoes
    """Open a stored experiment for queries: an `Experiment` with DuckDB views."""
    from rout.experiments.store import Experiment

    return Experiment(path)


__all__ = sorted([*__all__, "open"])
