"""Footprints that travel: PACT v2 / v3, Catena-X and Battery Pass exports
(:func:`export_result`), supplier footprints read as primary data (:mod:`.supplier`) and a
read-only PACT host API (:mod:`.server`). Mapping tables: ``docs/exchange.md``."""

from __future__ import annotations

from .export import FORMATS, export_result, write_export

__all__ = ["FORMATS", "export_result", "write_export"]
