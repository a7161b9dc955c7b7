"""The scenario's `parameters` block: every mechanism's parameters, flattened into one model.

Each mechanism module declares its own `Params`; this module joins them, in
schedule order, so a scenario file and `--set` name a parameter without its
mechanism, and `group_of` says which mechanism owns it (for the docs table).
"""

from __future__ import annotations

from rout.model.schedule import modules

_GROUPS = tuple(m.Params for m in modules())


class Parameters(*reversed(_GROUPS)):
    """Every weight and rate of the mechanisms, with its default (see docs/ODD.md)."""


def group_of(name: str) -> str:
    """The mechanism (module name) whose parameters include `name`."""
    for m in modules():
        if name in m.Params.model_fields:
            return m.__name__.rsplit(".", 1)[-1]
    raise KeyError(name)
