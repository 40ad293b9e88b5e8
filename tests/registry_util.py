"""Shared fixtures of the registry tests (not a test module).

The result is written by hand to conform to PCR ``eu-battery-cfb-ev``: a 10 kWh pack,
60 full cycles a year (the PCR's fixed value) for 8 years gives 10 x 60 x 8 = 4800 kWh
delivered over the service life per pack; stages 600 + 300 + 30 + 30 = 960 kg CO2e per
pack; so 960 / 4800 = 0.200 kg CO2e/kWh, class C on the PCR's scale (0.15 < 0.200 <= 0.25).
It states the declaration items and primary production data the PCR asks for (tests/pcr_util.py).
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from pcf.pcr import assess, load_pcr
from pcf.registry import new_keys, open_store
from tests.pcr_util import DECLARATION, primary_production

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

_RESULT = {
    "format": "pcf-result/1",
    "product": {"id": "TEST-PACK-10", "name": "Test EV battery pack, 10 kWh",
                "reference_flow": {"amount": 1.0, "unit": "item"},
                "declared_unit": {"unit": "kWh", "description": "kWh delivered over the service life",
                                  "per_reference_flow": 4800.0}},
    "study": {"standard": "ISO 14067:2018", "boundary": "cradle-to-grave", "pcr": "eu-battery-cfb-ev",
              "method": "ipcc-2021-gwp100", "background": "test-bg"},
    "parameters": {"capacity_kwh": 10, "cycles_per_year": 60, "service_life_years": 8},
    "total_kg_co2e": 960.0,
    "per_declared_unit_kg_co2e": 0.2,
    "stages": {"raw_material_acquisition": 600.0, "production": 300.0, "distribution": 30.0, "end_of_life": 30.0},
    "ghg": {"fossil": 960.0, "biogenic_emissions": 0.0, "biogenic_removals": 0.0, "dluc": 0.0, "aircraft": 0.0},
    "biogenic_carbon": {}, "contributions": [], "cut_off": [], "data_sources": [],
    "method": "ipcc-2021-gwp100",
    "method_name": ["IPCC 2021", "climate change", "global warming potential (GWP100)"],
    "background": "test-bg",
    "provenance": {"background_version": "test-bg sha256:0123", "background_sha256": "cd" * 32,
                   "databases": [{"database": "test-bg", "sha256": "cd" * 32}]},
    "software_version": "0.1.0", "model_sha256": "ab" * 32, "model_file": "test.yaml",
    "created_at": "2026-01-01T00:00:00+00:00",
    "declaration": DECLARATION,
    **primary_production("pack_assembly", 300.0),
}


def make_result(**product) -> dict:
    """The hand-made conforming result (module docstring), assessed like `pcf footprint` does."""
    result = copy.deepcopy(_RESULT)
    result["product"].update(product)
    result["assessment"] = assess(result, load_pcr("eu-battery-cfb-ev"))
    return result


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def new_registry(tmp_path, name="registry.db", issuer="cb-test", now=None):
    """A registry with one issuer key: (store, key, private key path, public key path)."""
    store = open_store(tmp_path / name)
    key, private, public, _ = new_keys(store, issuer, tmp_path / "keys", now=now)
    return store, key, private, public
