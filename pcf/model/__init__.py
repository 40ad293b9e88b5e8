"""Product models: the ``pcf-model/1`` file, its validation, units and expressions."""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "expressions": ['evaluate'],
    "loader": ['ProductSystem', 'ResolvedFlow', 'ResolvedInput', 'ResolvedProcess', 'load_model'],
    "scenarios": ['BASE', 'AppliedScenario', 'scenario_names'],
    "schema": ['ProductModel'],
    "pcf.core.units": ['conversion_factor', 'parse_unit'],
})
