"""Footprint calculation (bw2calc) and the result it gives."""

from .calculate import flow_category, footprint
from .result import GHG_CATEGORIES, FootprintResult, atomic_write_text, read_result, write_result

__all__ = ["GHG_CATEGORIES", "FootprintResult", "atomic_write_text", "flow_category", "footprint",
           "read_result", "write_result"]
