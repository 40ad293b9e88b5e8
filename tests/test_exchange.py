"""Exports (``pcf export``): PACT v3 / v2, Catena-X, Battery Pass; schemas from ../shared/specs.

Hand-worked system on ``test-bg`` (tests/conftest.py), reference flow 2 items made in DE:

    make (production)     steel 2 kg x 2.0                      = 4.0    kg CO2e fossil
                          elec 10 kWh x (0.5 + 0.001 x 29.8 + 0.0001 x 273)  = 5.571 (CH4 fossil 29.8,
                          N2O 273: IPCC AR6 GWP100)
    ship (distribution)   air 0.1 tkm x 1.0, aircraft           = 0.1
    total 9.671; cradle-to-gate (production only) 9.571; distribution 0.1 (PACT outbound logistics)

exchange: product mass 3 kg and fossil carbon 0.5 kg C per reference flow (2 items).
PACT v3 declares the 2 items: ``piece`` x 2, figures per the 2 pieces (9.571); PACT v2 has no
piece: per kilogram, 3 kg per reference flow -> 9.571 / 3 = 3.1903333 kg CO2e/kg, fossil carbon
0.5 / 3 = 0.1666667 kg C/kg; Catena-X per piece: 9.571 / 2 = 4.7855, distribution 0.05.
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import datetime

import pytest
from typer.testing import CliRunner

import cli
import pact_specs as specs
from pcf.api import compute
from pcf.core.errors import ExchangeError
from pcf.exchange import export_result
from pcf.exchange.common import decimal, geography
from pcf.lca.result import ExchangeFacts
from tests.builders import declaration
from tests.exchange_util import conforming_pack, declared

E = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # 0.5571 kg CO2e/kWh
GATE = 2 * 2.0 + 10 * E  # 9.571
TOTAL = GATE + 0.1
CO2_PER_C = 44.009 / 12.011

EXCHANGE = """\
exchange:
  company: {name: ACME Cells, ids: ["urn:pcf:test:company:acme"]}
  product_ids: ["urn:pcf:test:product:EXP"]
  cpc: "46420"
  product_mass: {amount: 3, unit: kg}
  fossil_carbon_content: {amount: 500, unit: g}
  packaging_included: true
  reference_period: {start: 2024-01-01, end: 2025-01-01}
"""

MODEL = """\
format: pcf-model/1
product: {id: EXP, name: Export test product, process: make, reference_flow: {amount: 2, unit: item},
          declared_unit: {unit: kWh, description: kWh delivered, per_reference_flow: 1000}}
study: {background: test-bg}
processes:
  - id: make
    name: making
    stage: production
    location: DE
    output: {amount: 2, unit: item}
    inputs:
      - {background: steel, amount: 2, unit: kg}
      - {background: elec, amount: 10, unit: kWh}
      - {process: ship, amount: 2, unit: item}
  - id: ship
    name: shipping
    stage: distribution
    output: {amount: 2, unit: item}
    inputs:
      - {background: air, amount: 0.1, unit: tkm}
"""

# 1 kg of a wood product: wood 1 kg (0.1 fossil, 1.5 biogenic CO2, 0.2 dLUC) and 0.01 kg biogenic CH4
# (GWP100 27.0, IPCC AR6 non-fossil) = 0.27; product carbon content 0.3 kg C.
WOOD = """\
format: pcf-model/1
product: {id: WOODY, name: Wood product, process: p, reference_flow: {amount: 1, unit: kg},
          biogenic_carbon_content: {product: 0.3, source: by hand}}
study: {background: test-bg}
processes:
  - id: p
    name: wood product
    stage: production
    location: RER
    output: {amount: 1, unit: kg}
    inputs:
      - {background: wood, amount: 1, unit: kg}
    emissions:
      - {substance: methane, origin: biogenic, amount: 0.01, unit: kg}
"""


@pytest.fixture(scope="module")
def tiny(bd, tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "exp.yaml"
    path.write_text(MODEL + EXCHANGE, encoding="utf-8")
    return declared(compute(path))


@pytest.fixture(scope="module")
def wood(bd, tmp_path_factory):
    path = tmp_path_factory.mktemp("wood") / "wood.yaml"
    path.write_text(WOOD + EXCHANGE.replace("  product_mass: {amount: 3, unit: kg}\n", ""), encoding="utf-8")
    return declared(compute(path))


def num(text: str) -> float:
    assert re.fullmatch(r"[+-]?\d+(\.\d+)?", text), text  # the PACT v3 Decimal pattern
    return float(text)


def test_decimal_is_fixed_notation_with_twelve_digits():
    assert decimal(1e-7) == "0.0000001"
    assert decimal(2258.017368473178) == "2258.01736847"
    assert decimal(-0.0) == "0"
    assert decimal(3.0) == "3"
    with pytest.raises(ExchangeError):
        decimal(float("nan"))


@pytest.mark.parametrize("code, expected", [
    ("CN-east", {"geographyCountry": "CN"}),          # a pcf grid region, not ISO 3166-2: its country
    ("CN-JS", {"geographyCountrySubdivision": "CN-JS"}),
    ("RER", {"geographyRegionOrSubregion": "Europe"}),
    ("GLO", {}),
    ("DE", {"geographyCountry": "DE"}),
])
def test_geography(code, expected):
    assert geography(declaration(exchange=ExchangeFacts(geography=code))) == expected


def test_geography_refuses_unknown_codes():
    with pytest.raises(ExchangeError, match="exchange.geography"):
        geography(declaration(exchange=ExchangeFacts(geography="Mars")))


def test_pact_v3_figures_by_hand(tiny):
    doc = export_result(tiny, "pact-v3")
    assert specs.errors(specs.openapi_validator(specs.PACT_V3), doc) == []
    pcf = doc["pcf"]
    assert pcf["declaredUnitOfMeasurement"] == "piece" and num(pcf["declaredUnitAmount"]) == 2
    assert num(pcf["productMassPerDeclaredUnit"]) == pytest.approx(3.0)
    # cradle-to-gate: production only, per the 2 pieces
    assert num(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(GATE, rel=1e-6)
    assert num(pcf["pcfIncludingBiogenicUptake"]) == pytest.approx(GATE, rel=1e-6)
    assert num(pcf["fossilGhgEmissions"]) == pytest.approx(GATE, rel=1e-6)
    assert num(pcf["outboundLogisticsGhgEmissions"]) == pytest.approx(0.1, rel=1e-6)
    assert num(pcf["aircraftGhgEmissions"]) == 0  # the air leg is after the gate
    assert num(pcf["fossilCarbonContent"]) == pytest.approx(0.5)
    assert num(pcf["biogenicCarbonContent"]) == 0 and num(pcf["biogenicCO2Uptake"]) == 0  # no biomass: "0"
    assert pcf["geographyCountry"] == "DE"
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    assert pcf["crossSectoralStandards"] == ["ISO14067"]
    assert pcf["referencePeriodStart"] == "2024-01-01T00:00:00Z" and pcf["referencePeriodEnd"] == "2025-01-01T00:00:00Z"
    assert pcf["packagingEmissionsIncluded"] is True
    assert num(pcf["primaryDataShare"]) == 0
    assert {k: num(v) for k, v in pcf["dqi"].items()} == {"technologicalDQR": 1, "geographicalDQR": 1, "temporalDQR": 1}
    assert pcf["secondaryEmissionFactorSources"][0]["name"].startswith("test-bg")
    assert doc["companyName"] == "ACME Cells" and doc["productIds"] == ["urn:pcf:test:product:EXP"]
    assert doc["productClassifications"] == ["urn:pact:productclassification:un-cpc:46420"]
    datetime.fromisoformat(doc["created"].replace("Z", "+00:00"))
    assert "distribution 0.1 kg CO2e" in doc["comment"]
    # the same result always gives the same id; the formats differ
    assert export_result(tiny, "pact-v3")["id"] == doc["id"] != export_result(tiny, "pact-v2")["id"]


def test_pact_v2_is_per_kilogram(tiny):
    doc = export_result(tiny, "pact-v2")
    assert specs.errors(specs.openapi_validator(specs.PACT_V2), doc) == []
    pcf = doc["pcf"]
    assert pcf["declaredUnit"] == "kilogram" and num(pcf["unitaryProductAmount"]) == pytest.approx(3.0)
    assert num(pcf["pCfExcludingBiogenic"]) == pytest.approx(GATE / 3, rel=1e-6)
    assert num(pcf["fossilCarbonContent"]) == pytest.approx(0.5 / 3, rel=1e-9)
    assert num(pcf["productMassPerDeclaredUnit"]) == pytest.approx(1.0)
    assert pcf["characterizationFactors"] == "AR6" and doc["productCategoryCpc"] == "46420"
    assert "dqi" not in pcf  # PACT v2 DQI needs completeness, which pcf does not rate


def test_catena_x_per_piece_with_its_required_fields(tiny):
    doc = export_result(tiny, "catena-x")
    assert catena_x_errors(doc) == []
    pcf = doc["pcf"]
    assert pcf["declaredUnit"] == "piece" and pcf["unitaryProductAmount"] == 2
    assert pcf["pcfExcludingBiogenic"] == pytest.approx(GATE / 2, rel=1e-6)
    assert pcf["distributionStagePcfExcludingBiogenic"] == pytest.approx(0.05, rel=1e-6)
    assert pcf["distributionStageAircraftGhgEmissions"] == pytest.approx(0.05, rel=1e-6)
    assert pcf["geographyRegionOrSubregion"] == "Western Europe" and pcf["geographyCountry"] == "DE"
    assert pcf["dataQualityRating"]["technologicalDQR"] == 1  # PEF 1 -> PACT 1
    assert pcf["productMassPerDeclaredUnit"] == pytest.approx(1.5)


def test_biogenic_parts_by_hand(wood):
    """ISO total 0.1 + 1.5 + 0.2 + 0.27 = 2.07; PACT leaves biogenic CO2 out and counts the product's
    uptake: excluding = 0.1 + 0.2 + 0.27 = 0.57, uptake = -0.3 x 44.009/12.011 = -1.0992174,
    including = -0.5292174."""
    assert wood.result.total_kg_co2e == pytest.approx(2.07, rel=1e-6)
    uptake = -0.3 * CO2_PER_C
    pcf = export_result(wood, "pact-v3")["pcf"]
    assert specs.errors(specs.openapi_validator(specs.PACT_V3), export_result(wood, "pact-v3")) == []
    assert pcf["declaredUnitOfMeasurement"] == "kilogram" and num(pcf["productMassPerDeclaredUnit"]) == 1
    assert num(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(0.57, rel=1e-6)
    assert num(pcf["biogenicNonCO2Emissions"]) == pytest.approx(0.27, rel=1e-6)
    assert num(pcf["landUseChangeGhgEmissions"]) == pytest.approx(0.2, rel=1e-6)
    assert num(pcf["biogenicCO2Uptake"]) == pytest.approx(uptake, rel=1e-9)
    assert num(pcf["pcfIncludingBiogenicUptake"]) == pytest.approx(0.57 + uptake, rel=1e-6)
    assert num(pcf["biogenicCarbonContent"]) == pytest.approx(0.3)
    assert pcf["geographyRegionOrSubregion"] == "Europe"
    v2 = export_result(wood, "pact-v2")
    assert specs.errors(specs.openapi_validator(specs.PACT_V2), v2) == []
    assert num(v2["pcf"]["biogenicCarbonWithdrawal"]) == pytest.approx(uptake, rel=1e-9)
    assert num(v2["pcf"]["otherBiogenicGhgEmissions"]) == pytest.approx(0.27, rel=1e-6)


def test_missing_exchange_data_is_named(bd, tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text(MODEL, encoding="utf-8")
    result = declared(compute(path))
    with pytest.raises(ExchangeError, match="exchange.company"):
        export_result(result, "pact-v3")
    with pytest.raises(ExchangeError, match="exchange.product_mass"):
        export_result(result, "pact-v2")  # no piece in v2 and no mass
    with pytest.raises(ExchangeError, match="performance class"):
        export_result(declared(compute(_with_exchange(tmp_path))), "battery-pass", study_url="https://example.com/s")
    with pytest.raises(ExchangeError, match="unknown format"):
        export_result(result, "pact-v9")


def _with_exchange(tmp_path):
    path = tmp_path / "with.yaml"
    path.write_text(MODEL + EXCHANGE, encoding="utf-8")
    return path


def test_cli_export_writes_the_file_and_exits_2_on_error(tiny, tmp_path):
    result_file = tmp_path / "EXP.result.json"
    result_file.write_text(json.dumps(tiny.to_json()), encoding="utf-8")
    out = tmp_path / "EXP.pact-v3.json"
    run = CliRunner().invoke(cli.app, ["export", str(result_file), "--format", "pact-v3", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert json.loads(out.read_text())["pcf"]["declaredUnitOfMeasurement"] == "piece"
    bad = tmp_path / "bad.json"
    run = CliRunner().invoke(cli.app, ["export", str(result_file), "--format", "battery-pass", "--out", str(bad)])
    assert run.exit_code == 2 and "performance class" in run.output and not bad.exists()
    help_text = CliRunner().invoke(cli.app, ["export", "--help"]).output
    assert "Example: pcf export" in help_text


# --------------------------------------------------------------------------- the two examples

@pytest.fixture(scope="module")
def examples(open_default):
    from test_examples import BATTERY, PV

    return {"battery": declared(compute(BATTERY)), "pv": declared(compute(PV))}


@pytest.mark.parametrize("name", ["battery", "pv"])
def test_examples_validate_against_every_schema(examples, name):
    result = examples[name]
    assert specs.errors(specs.openapi_validator(specs.PACT_V3), export_result(result, "pact-v3")) == []
    assert specs.errors(specs.openapi_validator(specs.PACT_V2), export_result(result, "pact-v2")) == []
    assert catena_x_errors(export_result(result, "catena-x")) == []
    if name == "battery":
        # the example does not conform to eu-battery-cfb-ev (secondary production data, no declaration
        # section): not graded, so no class; a preview says so
        with pytest.raises(ExchangeError, match="not graded"):
            export_result(result, "battery-pass", study_url="https://example.com/studies/SKU-NMC811-PACK.pdf")
        doc = export_result(result, "battery-pass", study_url="https://example.com/studies/SKU-NMC811-PACK.pdf",
                            allow_ungraded=True)
        assert specs.errors(specs.battery_pass_validator(), doc) == []
        assert doc["carbonFootprintPerformanceClass"] == "not graded"
    else:  # a PV module has no kWh of lifetime energy: the Battery Pass does not apply
        with pytest.raises(ExchangeError, match="per kWh of total energy"):
            export_result(result, "battery-pass", study_url="https://example.com/s")


def test_battery_pass_of_the_pack(examples):
    """Per kWh of lifetime energy: 23.5 kWh x 60 cycles/year x 8 years = 11,280 kWh per pack; the four
    stages in the Battery Pass names sum to the footprint; the class is the PCR's."""
    r = examples["battery"]
    doc = export_result(r, "battery-pass", study_url="https://example.com/s.pdf", allow_ungraded=True)
    assert doc["batteryCarbonFootprint"] == pytest.approx(r.result.total_kg_co2e / (23.5 * 60 * 8), rel=1e-9)
    names = [s["lifecycleStage"] for s in doc["carbonFootprintPerLifecycleStage"]]
    assert names == ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"]
    assert sum(s["carbonFootprint"] for s in doc["carbonFootprintPerLifecycleStage"]) == pytest.approx(
        doc["batteryCarbonFootprint"], rel=1e-9)
    assert doc["carbonFootprintPerLifecycleStage"][2]["carbonFootprint"] == pytest.approx(
        r.result.stages["distribution"] / 11280, rel=1e-9)
    assert doc["absoluteCarbonFootprint"] == pytest.approx(r.result.total_kg_co2e, rel=1e-9)
    assert doc["carbonFootprintStudy"] == "https://example.com/s.pdf"
    # the EF 3.1 climate-change total the PCR declares (issue 14 part 1)
    assert r.result.method == "ef-3.1-climate-change"
    assert doc["batteryCarbonFootprint"] == pytest.approx(r.result.sub_indicators[0].per_declared_unit, rel=1e-9)


def test_pack_pact_v3_is_cradle_to_gate(examples):
    r = examples["battery"]
    pcf = export_result(r, "pact-v3")["pcf"]
    gate = r.result.stages["raw_material_acquisition"] + r.result.stages["production"]
    assert num(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(gate, rel=1e-9)
    assert num(pcf["outboundLogisticsGhgEmissions"]) == pytest.approx(r.result.stages["distribution"], rel=1e-9)
    # 118.2 kg = 23.5 kWh x 5.0302 kg/kWh; 25.9 kg C (example's exchange section, worked there)
    assert num(pcf["productMassPerDeclaredUnit"]) == pytest.approx(23.5 * 5.030181086519114, rel=1e-9)
    assert num(pcf["fossilCarbonContent"]) == pytest.approx(118.2092555 * (0.71 * 0.3004 + 0.29 * 0.0207), rel=1e-6)


# --------------------------------------------------------------------------- Catena-X

CATENA_X_REQUIRED = ["id", "specVersion", "partialFullPcf", "version", "created", "extWBCSD_pfStatus", "companyName",
                     "companyIds", "productIds", "extWBCSD_productCodeCpc", "productName", "pcf"]
CATENA_X_PCF_REQUIRED = ["declaredUnit", "unitaryProductAmount", "productMassPerDeclaredUnit", "exemptedEmissionsPercent",
                         "geographyRegionOrSubregion", "referencePeriodStart", "referencePeriodEnd",
                         "crossSectoralStandardsUsed", "productOrSectorSpecificRules", "extWBCSD_characterizationFactors",
                         "extTFS_allocationWasteIncineration", "secondaryEmissionFactorSources",
                         "extWBCSD_packagingEmissionsIncluded", "pcfExcludingBiogenic"]


def catena_x_errors(doc: dict) -> list[str]:
    """The required fields and enumerations of io.catenax.pcf 7.0.0 (eclipse-tractusx/sldt-semantic-models,
    io.catenax.pcf/7.0.0/gen/Pcf-schema.json); no Catena-X schema is in ../shared/specs, so this is a
    transcription of its required lists and value ranges, not the schema itself."""
    out = [f"missing {k}" for k in CATENA_X_REQUIRED if k not in doc]
    pcf = doc.get("pcf", {})
    out += [f"missing pcf.{k}" for k in CATENA_X_PCF_REQUIRED if k not in pcf]
    if doc.get("partialFullPcf") not in ("Cradle-to-gate", "Cradle-to-grave"):
        out.append("partialFullPcf")
    if pcf.get("declaredUnit") not in ("liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule",
                                       "ton kilometer", "square meter", "piece"):
        out.append("declaredUnit")
    if not 0 <= pcf.get("exemptedEmissionsPercent", -1) <= 5:
        out.append("exemptedEmissionsPercent")
    if pcf.get("extWBCSD_characterizationFactors") not in ("AR5", "AR6"):
        out.append("extWBCSD_characterizationFactors")
    if pcf.get("extTFS_allocationWasteIncineration") not in ("cut-off", "reverse cut-off", "system expansion"):
        out.append("extTFS_allocationWasteIncineration")
    for k in ("pcfExcludingBiogenic", "fossilGhgEmissions", "dlucGhgEmissions", "aircraftGhgEmissions",
              "productMassPerDeclaredUnit"):
        if k in pcf and not (isinstance(pcf[k], (int, float)) and pcf[k] >= 0):
            out.append(k)
    if not (isinstance(pcf.get("unitaryProductAmount"), (int, float)) and pcf["unitaryProductAmount"] > 0):
        out.append("unitaryProductAmount")
    if "biogenicCarbonWithdrawal" in pcf and pcf["biogenicCarbonWithdrawal"] > 0:
        out.append("biogenicCarbonWithdrawal")
    for k, v in (pcf.get("dataQualityRating") or {}).items():
        if k != "coveragePercent" and not 1 <= v <= 3:
            out.append(f"dataQualityRating.{k}")
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", doc.get("id", "")):
        out.append("id")
    return out


def test_ghg_by_stage_by_hand(tiny, wood):
    """tiny: production fossil 9.571 (steel 4.0 + elec 5.571), distribution fossil 0.1 of which aircraft 0.1;
    wood (one production stage): fossil 0.1, biogenic 1.5 + 0.27, dLUC 0.2, biogenic CO2 mass 1.5 kg."""
    s = tiny.result.ghg_by_stage
    assert s["production"].fossil == pytest.approx(GATE, rel=1e-6) and s["production"].aircraft == 0
    assert s["distribution"].fossil == pytest.approx(0.1, rel=1e-6)
    assert s["distribution"].aircraft == pytest.approx(0.1, rel=1e-6)
    w = wood.result.ghg_by_stage["production"]
    assert (w.fossil, w.biogenic_emissions, w.dluc) == pytest.approx((0.1, 1.77, 0.2), rel=1e-6)
    assert w.co2_emissions_kg == pytest.approx(1.5, rel=1e-6)
    for r in (tiny.result, wood.result):  # a stage's categories sum to the stage; the stages to each category
        for stage, split in r.ghg_by_stage.items():
            assert sum(getattr(split, c) for c in ("fossil", "biogenic_emissions", "biogenic_removals", "dluc")) == \
                pytest.approx(r.stages[stage], rel=1e-9)
        for cat in ("fossil", "biogenic_emissions", "biogenic_removals", "dluc", "aircraft"):
            assert sum(getattr(split, cat) for split in r.ghg_by_stage.values()) == pytest.approx(
                getattr(r.ghg, cat), rel=1e-9, abs=1e-12)


def test_battery_pass_of_a_conforming_pack():
    """The conforming pack of tests/exchange_util.py: 960 kg CO2e over 10 kWh x 60 x 8 = 4800 kWh,
    0.200 kg CO2e/kWh, class C (0.15 < 0.2 <= 0.25); stages 600, 300, 30, 30 kg -> 0.125, 0.0625, 0.00625,
    0.00625 per kWh; the study link from the model's declaration."""
    result = declared(conforming_pack())
    doc = export_result(result, "battery-pass")
    assert specs.errors(specs.battery_pass_validator(), doc) == []
    assert doc["batteryCarbonFootprint"] == pytest.approx(0.2)
    assert doc["carbonFootprintPerformanceClass"] == "C"
    assert [s["carbonFootprint"] for s in doc["carbonFootprintPerLifecycleStage"]] == pytest.approx(
        [0.125, 0.0625, 0.00625, 0.00625])
    assert doc["absoluteCarbonFootprint"] == pytest.approx(960.0)
    assert doc["carbonFootprintStudy"] == result.result.declaration["study_url"]
