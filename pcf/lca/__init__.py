"""Footprint calculation (bw2calc) and the result it gives."""

from .calculate import flow_category, footprint
from .result import GHG_CATEGORIES, FootprintResult

__all__ = ["GHG_CATEGORIES", "FootprintResult", "flow_category", "footprint"]
