"""What a result needs, besides its numbers, to conform to the EU battery rule
(pcr_rules/eu-battery-cfb-ev.yaml 0.3): the declaration's administrative items of Regulation
(EU) 2023/1542 Art. 7(1)(a), (b), (c), (f), (g), and primary activity data in the plant's own
processes (Annex II point 1). The values are made up for tests."""

from __future__ import annotations

#: the model's ``declaration:`` section, as YAML text (top level of a model file)
DECLARATION_YAML = """\
declaration:
  manufacturer: {name: Example Cells Co., address: 'Ningde, Fujian, China'}
  product_model: MINI-1
  plant: {name: Plant 2, location: 'Ningde, Fujian', country: CN}
  conformity_declaration_id: EU-DoC-2026-0001
  study_url: https://example.org/cf-study
"""

#: the same as a result's ``declaration``
DECLARATION = {
    "manufacturer": {"name": "Example Cells Co.", "address": "Ningde, Fujian, China", "contact": ""},
    "product_model": "MINI-1",
    "plant": {"name": "Plant 2", "location": "Ningde, Fujian", "country": "CN"},
    "conformity_declaration_id": "EU-DoC-2026-0001",
    "study_url": "https://example.org/cf-study",
}


def primary_production(process: str, kg_co2e: float) -> dict:
    """``contributions`` and ``data_quality`` of a hand-written result whose production stage is
    one process with primary activity data (one direct item of ``kg_co2e``), rated DQR 2.0."""
    return {
        "contributions": [{"process": process, "stage": "production", "kind": "direct", "kg_co2e": kg_co2e}],
        "data_quality": {"primary_data_share": None, "coverage": 1.0,
                         "dqr": {"ter": 2, "ger": 2, "tir": 2, "p": 2, "dqr": 2.0},
                         "items": [{"process": process, "kind": "direct", "data": "primary", "kg_co2e": kg_co2e}]},
    }
