"""rout: how armies hold together under attack, and how they fall apart.

The public API is loaded on first use (scientific Python's lazy_loader), so
`import rout` stays quick: `simulate`, `Run`, `Engine`, `load_scenario`,
`Scenario`, `ScenarioError`, `builtin_scenarios`.
"""

import lazy_loader as _lazy

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "model.results": ["Run", "simulate"],
        "model.engine": ["Engine"],
        "scenario.loader": ["ScenarioError", "builtin_scenarios", "load_scenario"],
        "scenario.schema": ["Scenario"],
    },
)
