"""Declarations the exchange and PACT host tests export (not a test module).

:func:`conforming_pack` is the conforming pack of tests/registry_util.py built through
tests/builders.py as a typed declaration: a 10 kWh pack, 60 full cycles a year for 8 years,
10 x 60 x 8 = 4800 kWh delivered over the service life; stages 600 + 300 + 30 + 30 = 960 kg
CO2e per pack (all fossil), 960 / 4800 = 0.200 kg CO2e/kWh, class C on the scale of PCR
``eu-battery-cfb-ev`` (0.15 < 0.200 <= 0.25); the declaration items and primary production
data that PCR asks for (tests/pcr_util.py).
"""

from __future__ import annotations

from typing import Any

from pcf.declaration import Declaration
from pcf.lca.result import Contribution, DataQuality, DataQualityItem, Dqr, ExchangeFacts, StageGhg
from pcf.pcr import load_pcr
from tests.builders import assessed, document, result
from tests.pcr_util import DECLARATION

STAGES = {"raw_material_acquisition": 600.0, "production": 300.0, "distribution": 30.0, "end_of_life": 30.0}


def _primary_production(process: str, kg_co2e: float) -> dict[str, Any]:
    """``contributions`` and ``data_quality`` of a production stage that is one process with
    primary activity data (one direct item of ``kg_co2e``), rated DQR 2.0 (as
    tests/pcr_util.primary_production)."""
    dqr = Dqr(ter=2, ger=2, tir=2, p=2, dqr=2.0)
    item = DataQualityItem(process=process, kind="direct", index=None, background=None, database=None,
                           reference=None, name=process, data="primary", emission_factor="primary",
                           primary_share=1.0, dqr=dqr, dqr_source=None, kg_co2e=kg_co2e, weight=1.0)
    return {"contributions": (Contribution(process=process, name=process, stage="production", kind="direct",
                                           kg_co2e=kg_co2e, share=kg_co2e / sum(STAGES.values())),),
            "data_quality": DataQuality(primary_data_share=1.0, primary_data_share_percent=100.0,
                                        primary_kg_co2e=kg_co2e, abs_kg_co2e=kg_co2e, basis="test", dqr=dqr,
                                        level="test", coverage=1.0, unrated_significant=(), items=(item,))}


def conforming_pack(product_id: str = "TEST-PACK-10", exchange: ExchangeFacts | None = None,
                    ghg_by_stage: bool = False) -> dict[str, Any]:
    """The ``pcf-result/1`` document of the conforming pack (module docstring), assessed
    against ``eu-battery-cfb-ev`` as ``pcf footprint`` does; ``ghg_by_stage`` adds the split
    by stage (all fossil) a cradle-to-gate export needs."""
    fields: dict[str, Any] = {}
    if exchange is not None:
        fields["exchange"] = exchange
    if ghg_by_stage:
        fields["ghg_by_stage"] = {stage: StageGhg(fossil=kg, biogenic_emissions=0.0, biogenic_removals=0.0, dluc=0.0,
                                                  aircraft=0.0, co2_emissions_kg=0.0, co2_removals_kg=0.0)
                                  for stage, kg in STAGES.items()}
    footprint = result(fossil=960.0, stages=dict(STAGES), declared_per_reference_flow=4800.0, product_id=product_id,
                       name="Test EV battery pack, 10 kWh", boundary="cradle-to-grave", pcr="eu-battery-cfb-ev",
                       parameters={"capacity_kwh": 10, "cycles_per_year": 60, "service_life_years": 8},
                       method="ef-3.1-climate-change",  # the PCR's method (issue 14 part 1)
                       declaration=DECLARATION, **_primary_production("pack_assembly", 300.0), **fields)
    doc = document(footprint)
    doc["assessment"] = assessed(footprint, load_pcr("eu-battery-cfb-ev"))
    return doc


def declared(doc: dict[str, Any] | Declaration) -> Declaration:
    """A ``pcf-result/1`` document (as :func:`pcf.api.compute` returns it) as a declaration."""
    return doc if isinstance(doc, Declaration) else Declaration.from_json(doc)
