"""rout: how armies hold together under attack, and how they fall apart."""

from rout.model.engine import Engine
from rout.run import Run, simulate
from rout.scenario.loader import ScenarioError, builtin_scenarios, load_scenario
from rout.scenario.schema import Scenario

__all__ = ["Engine", "Run", "Scenario", "ScenarioError", "builtin_scenarios", "load_scenario",
           "simulate"]
__version__ = "0.1.0"
