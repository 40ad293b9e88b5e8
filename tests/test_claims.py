"""Result comparisons for claims (issue 5.8): reduction against a previous generation (Carbon
Trust 'Reducing CO2'), carbon handprint against a baseline (VTT/LUT Carbon Handprint Guide),
and the refusals (different declared units, PCRs, boundaries, methods, declared totals).

Hand-worked pair (tests/test_pcr.py ``battery_result``, typed here by :func:`battery`, both
conforming to eu-battery-cfb-ev):

    baseline: 7 200 kg CO2e per pack / 36 000 kWh = 0.200 kg CO2e/kWh
              raw material acquisition 4 500 / 36 000 = 0.125
    product:  raw material acquisition 3 600 (900 less): 6 300 / 36 000 = 0.175
              raw material acquisition 3 600 / 36 000 = 0.100
    reduction: 0.200 - 0.175 = 0.025 kg CO2e/kWh = 12.5 % of 0.200; in raw material
               acquisition 0.025 = 20 % of 0.125; the other stages 0.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

import cli
from pcf.compare.claims import compare_footprints, comparison_csv
from pcf.core.errors import ComparisonRefused
from pcf.lca.result import (Contribution, DataQuality, DataQualityItem, DeclaredUnit, Dqr, ExchangeFacts, Product,
                            Quantity, Study)
from pcf.declaration import build_declaration
from pcf.pcr import load_pcr
from tests import builders
from tests.registry_util import assessed, with_result
from tests.test_labels import pages, pdf_text
from tests.test_render import embedded_cjk_fonts
from tests.conftest import flat

runner = CliRunner()

_DQR = Dqr(ter=2, ger=2, tir=2, p=2, dqr=2.0)
#: (process, kind, background, stage, data, kg CO2e) of tests/test_pcr.py ``battery_result``
_ITEMS = (("cam", "input", "nickel", "raw_material_acquisition", "secondary", 4500.0),
          ("cell_production", "input", "elec", "production", "primary", 2000.0),
          ("cell_production", "direct", None, "production", "primary", 400.0),
          ("distribution", "transport", "ship", "distribution", "secondary", 180.0),
          ("end_of_life", "input", "recycling", "end_of_life", "secondary", 120.0))


def battery(raw_material_acquisition: float = 4500.0, **fields):
    """tests/test_pcr.py ``battery_result`` as a typed declaration: 75 kWh x 60 x 8 = 36 000 kWh per
    pack, stages raw materials + 2 400 + 180 + 120 kg CO2e, all fossil; assessed under eu-battery-cfb-ev."""
    stages = {"raw_material_acquisition": raw_material_acquisition, "production": 2400.0, "distribution": 180.0,
              "end_of_life": 120.0}
    total = sum(stages.values())
    contributions = tuple(
        Contribution(process=process, name=background or process, stage=stage,
                     kind="background" if background else "direct", kg_co2e=kg, share=kg / total,
                     **({"background": background} if background else {}))
        for process, _, background, stage, _, kg in _ITEMS)
    items = tuple(DataQualityItem(process=process, kind=kind, index=None, background=background, database=None,
                                  reference=background, name=background or process, data=data,
                                  emission_factor=data, primary_share=1.0 if data == "primary" else 0.0, dqr=_DQR,
                                  dqr_source="process", kg_co2e=kg, weight=kg / total)
                  for process, kind, background, _, data, kg in _ITEMS)
    footprint = builders.result(
        fossil=total, stages=stages, declared_per_reference_flow=36000.0,
        product=Product(id="SKU-NMC811-75", name="EV battery pack, NMC811, 75 kWh",
                        reference_flow=Quantity(amount=1.0, unit="item"),
                        declared_unit=DeclaredUnit(unit="kWh", per_reference_flow=36000.0,
                                                   description="kWh of total energy delivered over the service life")),
        study=Study(standard="ISO 14067:2018", boundary="cradle-to-grave", pcr="eu-battery-cfb-ev",
                    method="ef-3.1-climate-change", background="open-default"),  # eu-battery-cfb-ev 0.4's
        method="ef-3.1-climate-change",
        parameters={"capacity_kwh": 75, "cycles_per_year": 60, "service_life_years": 8},
        contributions=contributions,
        data_quality=DataQuality(primary_data_share=2400.0 / 7200.0, primary_data_share_percent=100 * 2400.0 / 7200.0,
                                 primary_kg_co2e=2400.0, abs_kg_co2e=total, basis="test", dqr=_DQR, level="good",
                                 coverage=1.0, unrated_significant=(), items=items),
        declaration={
            "manufacturer": {"name": "Example Cells Co.", "address": "Ningde, Fujian, China", "contact": ""},
            "product_model": "NMC811-75", "plant": {"name": "Plant 2", "location": "Ningde, Fujian", "country": "CN"},
            "conformity_declaration_id": "EU-DoC-2026-0001", "study_url": "https://example.org/cf-study"},
        method_name=("pcf", "EF v3.1", "climate change", "ISO 14067 biogenic -1/+1"), **fields)
    return assessed(builders.declaration(footprint))


def pair():
    base = battery(model_sha256="a" * 64)
    prod = battery(3600.0, model_sha256="b" * 64)
    prod = with_result(prod, product=dataclasses.replace(prod.result.product, id="SKU-NMC811-75-G2"))
    for d in (base, prod):
        assert d.assessment.conforms is True
    return base, prod


def replace_du(d, **changes):
    product = d.result.product
    return with_result(d, product=dataclasses.replace(product, declared_unit=dataclasses.replace(
        product.declared_unit, **changes)))


def test_reduction_by_hand():
    base, prod = pair()
    c = compare_footprints(base, prod, "reduction")
    assert c["format"] == "pcf-comparison/1" and c["unit"] == "kg CO2e/kWh"
    t = c["total"]
    assert (t["baseline"], t["product"]) == pytest.approx((0.2, 0.175), rel=1e-12)
    assert t["reduction"] == pytest.approx(0.025, rel=1e-9) and t["reduction_pct"] == pytest.approx(12.5, rel=1e-9)
    stages = {r["name"]: r for r in c["stages"]}
    raw = stages["Raw material acquisition and pre-processing"]
    assert raw["reduction"] == pytest.approx(0.025, rel=1e-9) and raw["reduction_pct"] == pytest.approx(20.0, rel=1e-9)
    assert stages["Main product production"]["reduction"] == 0.0
    [fossil] = [r for r in c["ghg"] if r["name"] == "fossil"]
    assert fossil["reduction"] == pytest.approx(900 / 36000, rel=1e-9)
    assert c["supported"] is True and "emits 0.02500 kg CO2e/kWh (12.5 %) less than SKU-NMC811-75" in c["statement"]
    conditions = {x["condition"]: x["met"] for x in c["conditions"]}
    assert conditions["the data of both products fall within the 2-year certification period"] is None  # not stated
    assert conditions["no offsets counted as a reduction"] is True
    csv = comparison_csv(c).splitlines()
    assert csv[1].startswith("total,total,0.2,0.175,0.025")


def test_no_reduction_is_not_supported():
    base, prod = pair()
    c = compare_footprints(prod, base, "reduction")            # the 'previous' one is the lower one
    assert c["supported"] is False and c["total"]["reduction"] == pytest.approx(-0.025, rel=1e-9)
    # 0.025 more than 0.175: 0.025 / 0.175 = 14.3 %
    assert c["statement"].startswith("no reduction: SKU-NMC811-75 emits 0.02500 kg CO2e/kWh (14.3 %) more")


def test_reduction_needs_data_within_two_years_and_conforming_results():
    base, prod = pair()
    base = with_result(base, exchange=ExchangeFacts(reference_period={"start": "2021-01-01", "end": "2021-12-31"}))
    prod = with_result(prod, exchange=ExchangeFacts(reference_period={"start": "2024-01-01", "end": "2024-12-31"}))
    c = compare_footprints(base, prod, "reduction")                                        # 3.0 years later
    assert c["supported"] is False and "2-year certification period" in c["statement"]
    prod = with_result(prod, exchange=ExchangeFacts(reference_period={"start": "2024-01-01", "end": "2023-06-30"}))
    assert compare_footprints(base, prod, "reduction")["supported"] is True                # 1.5 years
    prod = prod.replace(assessment=dataclasses.replace(prod.assessment, conforms=False))
    c = compare_footprints(base, prod, "reduction")
    # the unmet condition is named in quotes: unquoted, "not met: the product result conforms to the PCR"
    # read as if it did conform (issue 20, the reduction PDF)
    assert c["supported"] is False and "conditions not met: “the product result conforms to the PCR”" in c["statement"]


def test_handprint_needs_a_justified_baseline():
    base, prod = pair()
    with pytest.raises(ComparisonRefused, match="justified baseline"):
        compare_footprints(base, prod, "handprint")
    c = compare_footprints(base, prod, "handprint", "the G1 pack is what the OEM buys today")
    assert c["supported"] is True and c["justification"] == "the G1 pack is what the OEM buys today"
    assert c["total"]["reduction"] == pytest.approx(0.025, rel=1e-9)          # CF(baseline) - CF(product)
    assert c["statement"].startswith("carbon handprint of SKU-NMC811-75-G2 against SKU-NMC811-75: 0.025")
    assert "Carbon Handprint Guide" in c["source"]


def _gbt(d):
    return d.replace(assessment=build_declaration(d.result, load_pcr("gbt-24067-generic")).assessment)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: replace_du(d, unit="kWp"), "different declared units"),
    (lambda d: replace_du(d, description="kWh of capacity"), "different declared units"),
    (lambda d: with_result(d, product=dataclasses.replace(d.result.product, declared_unit=None)),
     "has no declared unit"),
    (lambda d: d.replace(assessment=dataclasses.replace(d.assessment, pcr=dataclasses.replace(d.assessment.pcr,
                                                                                               version="0.2"))),
     r"different PCRs: eu-battery-cfb-ev v0.4 and eu-battery-cfb-ev v0.2"),
    (_gbt, "different PCRs"),
    (lambda d: d.replace(assessment=None), "was not assessed against a PCR"),
    (lambda d: with_result(d, study=dataclasses.replace(d.result.study, boundary="cradle-to-gate")),
     "different system boundaries"),
    (lambda d: with_result(d, method="ipcc-2013-gwp100"), "different characterisation methods"),
    (lambda d: d.replace(accounting=dataclasses.replace(d.accounting, declared_total="including_biogenic")),
     "different declared totals"),
    (lambda d: with_result(d, model_sha256="a" * 64), "same model, scenario and parameters"),
])
def test_refusals(change, message):
    base, prod = pair()
    prod = change(prod)
    with pytest.raises(ComparisonRefused, match=message):
        compare_footprints(base, prod, "reduction")


def test_unknown_claim():
    base, prod = pair()
    with pytest.raises(ComparisonRefused, match="unknown claim 'lower'"):
        compare_footprints(base, prod, "lower")


# --------------------------------------------------------------------------- command line


def write_pair(tmp_path):
    paths = []
    for d in pair():
        path = tmp_path / f"{d.result.product.id}.result.json"
        path.write_text(json.dumps(d.to_json()), encoding="utf-8")
        paths.append(path)
    return paths


def test_cli_reduction_writes_json_csv_pdf(tmp_path):
    a, b = write_pair(tmp_path)
    out = tmp_path / "out"
    r = runner.invoke(cli.app, ["compare", str(a), str(b), "--out", str(out)])
    assert r.exit_code == 0, r.output
    stem = "SKU-NMC811-75-G2.vs.SKU-NMC811-75.reduction"
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.csv", f"{stem}.json", f"{stem}.pdf"]
    data = json.loads((out / f"{stem}.json").read_text())
    assert data["supported"] is True and data["total"]["reduction"] == pytest.approx(0.025, rel=1e-9)
    pdf = out / f"{stem}.pdf"
    assert embedded_cjk_fonts(pdf) and pages(pdf) <= 2
    text = pdf_text(pdf)
    assert "减排声明" in text and "可声明 Claim supported" in text and "12.5 %" in text and "0.0250" in text
    assert "原材料获取与预处理" in text


def test_cli_refusals_and_misuse_exit_2(tmp_path, write_model):
    a, b = write_pair(tmp_path)
    assert runner.invoke(cli.app, ["compare", str(a)]).exit_code == 2                        # one result
    r = runner.invoke(cli.app, ["compare", str(a), str(b), "--scenario", "x"])
    assert r.exit_code == 2 and "apply to a model" in flat(r.output)
    r = runner.invoke(cli.app, ["compare", str(a), str(b), "--claim", "handprint"])
    assert r.exit_code == 2 and "justified baseline" in flat(r.output)
    model = write_model("format: pcf-model/1\n")
    r = runner.invoke(cli.app, ["compare", str(model), str(b)])
    assert r.exit_code == 2 and "is a model" in flat(r.output)
    r = runner.invoke(cli.app, ["compare", str(b), str(a)])                                 # no reduction
    assert r.exit_code == 1 and "no reduction" in flat(r.output)


# --------------------------------------------------------------------------- the NMC811 example


def test_nmc811_secondary_aluminium_housing_against_the_base(open_default, tmp_path):
    """The housing of secondary aluminium (scenario housing_secondary_aluminium) against the model as
    written: BoP mass x 0.498121 kg housing aluminium/kg x (1.81 - 15.1) kg CO2e/kg less (ICE secondary
    against IAI primary; tests/test_scenarios.py), over 23.5 x 60 x 8 = 11 280 kWh. Neither conforms
    (literature data), so the claim is stated but not supported."""
    from pcf.api import compare_results_claim, run_footprint
    from tests.conftest import REPO

    model = REPO / "examples" / "battery" / "nmc811-pack.yaml"
    base = run_footprint(model, tmp_path).files["result"]
    alt = run_footprint(model, tmp_path, scenario="housing_secondary_aluminium").files["result"]
    run = compare_results_claim(base, alt, "reduction", out_dir=tmp_path / "claims")
    c = run.comparison
    bop = 23.5 * 5.030181086519114 * 0.29
    expected = -bop * 0.49812105512787785 * (1.81 - 15.1) / 11280
    assert c["total"]["reduction"] == pytest.approx(expected, rel=1e-5)
    assert c["stages"][0]["reduction"] == pytest.approx(expected, rel=1e-5)   # raw materials only
    assert all(r["reduction"] == 0.0 for r in c["stages"][1:])
    assert c["supported"] is False and "conditions not met" in c["statement"]
    assert sorted(p.suffix for p in run.files.values()) == [".csv", ".json", ".pdf"]
