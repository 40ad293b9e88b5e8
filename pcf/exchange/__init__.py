"""Footprints that travel: PACT v2 / v3, Catena-X and Battery Pass exports
(:func:`export_result`). Supplier footprints are read as primary data by :mod:`pcf.model.supplier`;
the read-only PACT host API is :mod:`pcf.serve`. Mapping tables: ``docs/exchange.md``."""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "export": ['FORMATS', 'export_result', 'write_export'],
})
