"""Supplier footprints as primary data (``inputs: [{supplier_pcf: FILE, amount, unit}]``) and the round trip.

Hand-worked supplier (PACT v3, written below), per declaredUnitAmount = 2 kg of cathode material:

    fossil 3.0, biogenic non-CO2 0.2, biogenic CO2 uptake -0.5, land-use change 0.1, aircraft 0.4
    pcfExcludingBiogenicUptake = 3.0 + 0.1 + 0.2 = 3.3; pcfIncludingBiogenicUptake = 3.3 - 0.5 = 2.8
    per kg: fossil 1.5, biogenic 0.1, uptake -0.25, dLUC 0.05, aircraft 0.2, total 1.4; PDS 40 %

Buyer: 3000 g of it (activity data primary) + 10 kWh of ``elec`` (0.5571 kg CO2e/kWh, test-bg):

    supplier 3 kg x 1.4 = 4.2; fossil 3 x 1.5 + 5.571 = 10.071; biogenic 0.3; uptake -0.75; dLUC 0.15;
    aircraft 0.6; total 4.2 + 5.571 = 9.771
    PDS (Pathfinder 4.2.2, |kg|-weighted): 0.40 x 4.2 / 9.771 = 0.1719988
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import textwrap
from pathlib import Path

import pytest
import yaml

import pact_specs as specs
from pcf.api import compute
from pcf.core.errors import ModelError
from pcf.exchange import export_result
from pcf.model import load_model
from tests.exchange_util import declared

E = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # 0.5571 kg CO2e/kWh

CAM_V3 = {
    "id": "0b7b5b0e-2a51-4a4e-9d8a-3d2f1c1e0a01", "specVersion": "3.0.0", "created": "2025-01-31T00:00:00Z",
    "status": "Active", "companyName": "CAM Supplier Co", "companyIds": ["urn:pcf:test:company:cam"],
    "productDescription": "NMC811 cathode active material", "productIds": ["urn:pcf:test:product:cam811"],
    "productNameCompany": "NMC811 CAM",
    "pcf": {"declaredUnitOfMeasurement": "kilogram", "declaredUnitAmount": "2", "productMassPerDeclaredUnit": "2",
            "referencePeriodStart": "2024-01-01T00:00:00Z", "referencePeriodEnd": "2025-01-01T00:00:00Z",
            "pcfExcludingBiogenicUptake": "3.3", "pcfIncludingBiogenicUptake": "2.8", "fossilGhgEmissions": "3.0",
            "fossilCarbonContent": "0", "biogenicNonCO2Emissions": "0.2", "biogenicCO2Uptake": "-0.5",
            "landUseChangeGhgEmissions": "0.1", "aircraftGhgEmissions": "0.4", "ipccCharacterizationFactors": ["AR6"],
            "crossSectoralStandards": ["ISO14067"], "exemptedEmissionsPercent": "1.5", "primaryDataShare": "40",
            "dqi": {"technologicalDQR": "2", "geographicalDQR": "1.5", "temporalDQR": "1"}},
}

# PACT v2, per kilogram: 2.0 kg CO2e fossil; DQI on the v2 scale 1..3 with reliability -> PEF
# TeR 2 x 1.5 - 1 = 2, GeR 2 x 2 - 1 = 3, TiR 2 x 1 - 1 = 1, P 2 x 3 - 1 = 5, DQR 11 / 4 = 2.75
FOIL_V2 = {
    "id": "6a1d9d4e-7f0e-4c9a-8d55-1b2c3d4e5f60", "specVersion": "2.3.0", "version": 1,
    "created": "2025-01-31T00:00:00Z", "status": "Active", "comment": "", "companyName": "Foil Co",
    "companyIds": ["urn:pcf:test:company:foil"], "productDescription": "copper foil",
    "productIds": ["urn:pcf:test:product:foil"], "productCategoryCpc": "41515", "productNameCompany": "Cu foil",
    "pcf": {"declaredUnit": "kilogram", "unitaryProductAmount": "1", "pCfExcludingBiogenic": "2.0",
            "pCfIncludingBiogenic": "2.0", "fossilGhgEmissions": "2.0", "fossilCarbonContent": "0",
            "biogenicCarbonContent": "0", "characterizationFactors": "AR6", "ipccCharacterizationFactorsSources": ["AR6"],
            "crossSectoralStandardsUsed": ["ISO Standard 14067"], "boundaryProcessesDescription": "cradle to gate",
            "referencePeriodStart": "2024-01-01T00:00:00Z", "referencePeriodEnd": "2025-01-01T00:00:00Z",
            "exemptedEmissionsPercent": 0, "exemptedEmissionsDescription": "", "packagingEmissionsIncluded": False,
            "primaryDataShare": 100,
            "dqi": {"coveragePercent": 100, "technologicalDQR": 1.5, "temporalDQR": 1, "geographicalDQR": 2,
                    "completenessDQR": 2, "reliabilityDQR": 3}},
}


def buyer(inputs: str, pid: str = "BUYER", extra: str = "") -> str:
    return textwrap.dedent(f"""\
        format: pcf-model/1
        product: {{id: {pid}, name: Buyer product, process: make, reference_flow: {{amount: 1, unit: item}}}}
        study: {{background: test-bg}}
        processes:
          - id: make
            name: making
            stage: production
            output: {{amount: 1, unit: item}}
            inputs:
        """) + textwrap.indent(textwrap.dedent(inputs), "      ") + extra


def write(folder: Path, name: str, doc) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_hand_written_suppliers_are_valid_pact():
    assert specs.errors(specs.openapi_validator(specs.PACT_V3), CAM_V3) == []
    assert specs.errors(specs.openapi_validator(specs.PACT_V2), FOIL_V2) == []


def test_supplier_footprint_replaces_the_background(bd, tmp_path):
    cam = write(tmp_path, "cam.json", CAM_V3)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("""\
        - {supplier_pcf: cam.json, amount: 3000, unit: g, data: primary}
        - {background: elec, amount: 10, unit: kWh}
        """), encoding="utf-8")
    r = compute(model).to_json()
    assert r["total_kg_co2e"] == pytest.approx(4.2 + 10 * E, rel=1e-6)
    g = r["ghg"]
    assert g["fossil"] == pytest.approx(4.5 + 10 * E, rel=1e-6)
    assert g["biogenic_emissions"] == pytest.approx(0.3, rel=1e-6)
    assert g["biogenic_removals"] == pytest.approx(-0.75, rel=1e-6)
    assert g["dluc"] == pytest.approx(0.15, rel=1e-6)
    assert g["aircraft"] == pytest.approx(0.6, rel=1e-6)
    # the biogenic non-CO2 part stays non-CO2: it is in the excluding figure, the uptake is not
    assert r["totals"]["excluding_biogenic"] == pytest.approx(4.5 + 10 * E + 0.15 + 0.3, rel=1e-6)
    assert r["biogenic_carbon"]["co2_removals_kg"] == pytest.approx(0.75, rel=1e-6)
    # primary data share: 40 % of the supplier's 4.2 kg over |items| 9.771
    dq = r["data_quality"]
    assert dq["primary_data_share"] == pytest.approx(0.4 * 4.2 / (4.2 + 10 * E), rel=1e-6)
    item = next(i for i in dq["items"] if i.get("supplier"))
    assert item["primary_share"] == pytest.approx(0.4) and item["emission_factor"] == "primary"
    assert item["kg_co2e"] == pytest.approx(4.2, rel=1e-6)
    assert item["supplier"]["dqi"] == CAM_V3["pcf"]["dqi"]  # kept as given
    assert item["dqr"] is None  # v3 gives no precision: no PEF rating (the DQI is kept instead)
    assert dq["coverage"] == pytest.approx(10 * E / (4.2 + 10 * E), rel=1e-6)
    # provenance: the file's hash and what was read
    sup = r["provenance"]["supplier_footprints"]
    assert len(sup) == 1 and sup[0]["sha256"] == hashlib.sha256(cam.read_bytes()).hexdigest()
    assert sup[0]["kg_co2e_per_unit"] == pytest.approx(1.4) and sup[0]["primary_data_share"] == pytest.approx(0.4)
    source = next(d for d in r["data_sources"] if d["database"].startswith("pcf-sup-"))
    assert source["kg_co2e_per_unit"] == pytest.approx(1.4, rel=1e-6) and "CAM Supplier Co" in source["source"]
    # exported again, the parts keep their categories
    d = declared(r)
    exchange = dataclasses.replace(d.result.exchange, company={"name": "Buyer", "ids": ["urn:pcf:test:buyer"]},
                                   reference_period={"start": "2024-01-01", "end": "2025-01-01"},
                                   fossil_carbon_content_kg_c=0.0, product_mass_kg=1.0)
    pcf = export_result(d.replace(result=dataclasses.replace(d.result, exchange=exchange)), "pact-v3")["pcf"]
    assert float(pcf["biogenicNonCO2Emissions"]) == pytest.approx(0.3, rel=1e-6)
    assert float(pcf["landUseChangeGhgEmissions"]) == pytest.approx(0.15, rel=1e-6)
    assert float(pcf["aircraftGhgEmissions"]) == pytest.approx(0.6, rel=1e-6)


def test_v2_supplier_keeps_its_data_quality(bd, tmp_path):
    write(tmp_path, "foil.json", {"data": FOIL_V2})  # a GetFootprint response body is read too
    model = tmp_path / "b.yaml"
    model.write_text(buyer("- {supplier_pcf: foil.json, amount: 2, unit: kg, data: primary}\n", "FOILB"), encoding="utf-8")
    dq = compute(model).to_json()["data_quality"]
    assert dq["primary_data_share"] == pytest.approx(1.0)
    item = dq["items"][0]
    assert item["dqr_source"] == "supplier"
    assert item["dqr"] == pytest.approx({"ter": 2.0, "ger": 3.0, "tir": 1.0, "p": 5.0, "dqr": 2.75})
    assert dq["dqr"]["dqr"] == pytest.approx(2.75)


def test_supplier_counts_as_primary_only_with_primary_activity_data(bd, tmp_path):
    write(tmp_path, "foil.json", FOIL_V2)
    model = tmp_path / "b.yaml"
    model.write_text(buyer("- {supplier_pcf: foil.json, amount: 2, unit: kg}\n", "FOILS"), encoding="utf-8")
    dq = compute(model).to_json()["data_quality"]
    assert dq["primary_data_share"] == 0.0  # the amount was not stated as primary (Pathfinder 4.2.2)


def test_mass_converts_to_pieces_through_the_product_mass(bd, tmp_path):
    doc = copy.deepcopy(CAM_V3)
    doc["pcf"].update(declaredUnitOfMeasurement="piece", declaredUnitAmount="1", productMassPerDeclaredUnit="5")
    write(tmp_path, "part.json", doc)
    model = tmp_path / "b.yaml"
    model.write_text(buyer("- {supplier_pcf: part.json, amount: 10, unit: kg}\n", "PIECES"), encoding="utf-8")
    # 10 kg / 5 kg per piece = 2 pieces x 2.8 kg CO2e per piece
    assert compute(model).to_json()["total_kg_co2e"] == pytest.approx(5.6, rel=1e-6)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(status="Deprecated"), "Active"),
    (lambda d: d["pcf"].update(pcfIncludingBiogenicUptake="9.9"), "do not add up"),
    (lambda d: d["pcf"].update(declaredUnitOfMeasurement="megabit second"), "declared unit"),
    (lambda d: d["pcf"].update(ccsTechnologicalCO2Capture="-1"), "technological CO2"),
    (lambda d: d.pop("pcf"), "not a PACT ProductFootprint"),
])
def test_invalid_supplier_documents_are_refused_at_the_input(bd, tmp_path, change, message):
    doc = copy.deepcopy(CAM_V3)
    change(doc)
    write(tmp_path, "cam.json", doc)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("- {background: elec, amount: 1, unit: kWh}\n- {supplier_pcf: cam.json, amount: 3, unit: kg}\n"),
                     encoding="utf-8")
    with pytest.raises(ModelError, match=message) as info:
        load_model(model)
    assert info.value.line == 11  # the supplier_pcf input's line


def test_unit_and_boundary_are_checked(bd, tmp_path):
    write(tmp_path, "cam.json", CAM_V3)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("- {supplier_pcf: cam.json, amount: 3, unit: kWh}\n"), encoding="utf-8")
    with pytest.raises(ModelError, match="give the input in kg"):
        load_model(model)
    gate = copy.deepcopy(FOIL_V2)
    gate["pcf"]["assurance"] = {"assurance": True, "providerName": "X", "boundary": "Gate-to-Gate"}
    write(tmp_path, "foil.json", gate)
    model.write_text(buyer("- {supplier_pcf: foil.json, amount: 3, unit: kg}\n"), encoding="utf-8")
    with pytest.raises(ModelError, match="gate-to-gate"):
        load_model(model)
    model.write_text(buyer("- {supplier_pcf: missing.json, amount: 3, unit: kg}\n"), encoding="utf-8")
    with pytest.raises(ModelError, match="cannot read"):
        load_model(model)
    model.write_text(buyer("- {supplier_pcf: cam.json, amount: 3, unit: kg, electricity: {source: grid, region: CN, year: 2023}}\n"),
                     encoding="utf-8")
    with pytest.raises(ModelError, match="not a supplier footprint"):
        load_model(model)


def test_other_ipcc_factors_are_refused(bd, tmp_path):
    doc = copy.deepcopy(CAM_V3)
    doc["pcf"]["ipccCharacterizationFactors"] = ["AR5"]
    write(tmp_path, "cam.json", doc)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("- {supplier_pcf: cam.json, amount: 3, unit: kg}\n", "AR5B"), encoding="utf-8")
    with pytest.raises(ModelError, match="AR5 factors, the study's method ipcc-2021-gwp100 with AR6"):
        compute(model)


def test_a_scenario_swaps_a_background_input_for_a_supplier_footprint(bd, tmp_path):
    write(tmp_path, "cam.json", CAM_V3)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("- {background: steel, amount: 3, unit: kg, id: cam}\n", "SCEN", textwrap.dedent("""\
        scenarios:
          supplier:
            replace:
              - {input: cam, with: {supplier_pcf: cam.json}}
        """)), encoding="utf-8")
    assert compute(model).to_json()["total_kg_co2e"] == pytest.approx(6.0, rel=1e-6)  # 3 kg steel x 2.0
    r = compute(model, scenario="supplier").to_json()
    assert r["total_kg_co2e"] == pytest.approx(4.2, rel=1e-6)  # 3 kg x 1.4
    assert "supplier_pcf: cam.json" in r["scenario"]["replaced"][0]["to"]


# --------------------------------------------------------------------------- round trip

def pack_level_model(folder: Path, supplier_input: dict) -> Path:
    """The NMC811 pack bought from its maker: the pack's cradle-to-gate footprint comes from the supplier
    document, the model adds the same shipment to the EU and end of life as the direct model."""
    from test_examples import BATTERY

    direct = yaml.safe_load(BATTERY.read_text(encoding="utf-8"))
    procs = {p["id"]: p for p in direct["processes"]}
    top = dict(procs["pack_system"], inputs=[supplier_input] + procs["pack_system"]["inputs"][1:])
    model = {"format": "pcf-model/1",
             "product": {k: v for k, v in direct["product"].items() if k != "id"} | {"id": "SKU-NMC811-PACK-BOUGHT"},
             "study": direct["study"], "parameters": direct["parameters"], "exchange": direct["exchange"],
             "processes": [top, procs["distribution_cn_eu"], procs["end_of_life"]]}
    path = folder / "pack-level.yaml"
    path.write_text(yaml.safe_dump(model, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def direct(open_default):
    from test_examples import BATTERY

    return compute(BATTERY).to_json()


@pytest.mark.parametrize("fmt, supplier_input", [
    ("pact-v3", {"supplier_pcf": "nmc811.json", "amount": 1, "unit": "item"}),                       # 1 piece
    ("pact-v2", {"supplier_pcf": "nmc811.json", "amount": "capacity_kwh * pack_mass_per_kwh", "unit": "kg"}),  # per kg
])
def test_round_trip_gives_the_direct_number(direct, tmp_path, fmt, supplier_input):
    """Export the NMC811 pack (cradle-to-gate part: raw materials + production), import it as the
    supplier footprint of a pack-level model that adds the same distribution and end of life:
    the same footprint as the direct model (float32 storage: rel 1e-6)."""
    write(tmp_path, "nmc811.json", export_result(declared(direct), fmt))
    bought = compute(pack_level_model(tmp_path, supplier_input)).to_json()
    assert bought["total_kg_co2e"] == pytest.approx(direct["total_kg_co2e"], rel=1e-6)
    assert bought["per_declared_unit_kg_co2e"] == pytest.approx(direct["per_declared_unit_kg_co2e"], rel=1e-6)
    for cat in ("fossil", "biogenic_emissions", "biogenic_removals", "dluc", "aircraft"):
        assert bought["ghg"][cat] == pytest.approx(direct["ghg"][cat], rel=1e-6, abs=1e-9)
    gate = direct["stages"]["raw_material_acquisition"] + direct["stages"]["production"]
    assert bought["stages"]["production"] == pytest.approx(gate, rel=1e-6)
    assert bought["stages"]["distribution"] == pytest.approx(direct["stages"]["distribution"], rel=1e-6)
    # and exported again it says the same cradle-to-gate figure
    again = export_result(declared(bought), "pact-v3")["pcf"]
    first = export_result(declared(direct), "pact-v3")["pcf"]
    assert float(again["pcfExcludingBiogenicUptake"]) == pytest.approx(float(first["pcfExcludingBiogenicUptake"]), rel=1e-6)
