"""Footprints that travel: PACT v2 / v3, Catena-X and Battery Pass exports
(:func:`export_result`). Supplier footprints are read as primary data by :mod:`pcf.model.supplier`;
the read-only PACT host API is :mod:`pcf.serve`. Mapping tables: ``docs/exchange.md``."""

from __future__ import annotations

from .export import FORMATS, export_result, write_export

__all__ = ["FORMATS", "export_result", "write_export"]
