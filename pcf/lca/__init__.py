"""Footprint calculation (bw2calc) and the result it gives."""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "calculate": ['flow_category', 'footprint'],
    "result": ['GHG_CATEGORIES', 'FootprintResult'],
})
