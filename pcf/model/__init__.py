"""Product models: the ``pcf-model/1`` file, its validation, units and expressions."""

from .expressions import evaluate
from .loader import ProductSystem, ResolvedFlow, ResolvedInput, ResolvedProcess, load_model
from .scenarios import BASE, AppliedScenario, scenario_names
from .schema import ProductModel
from ..core.units import conversion_factor, parse_unit

__all__ = [
    "BASE", "AppliedScenario", "ProductModel", "ProductSystem", "ResolvedFlow", "ResolvedInput", "ResolvedProcess",
    "conversion_factor", "evaluate", "load_model", "parse_unit", "scenario_names",
]
