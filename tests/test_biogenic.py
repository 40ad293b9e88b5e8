"""Biogenic carbon and dLUC (issue 4.5): separate reporting, totals both ways, the declared
total under the PCR's rule, the biogenic carbon content, and the report.

Hand-worked system (``test-bg`` of tests/conftest.py, per kg of ``wood``: 0.1 kg CO2 fossil,
1.5 kg CO2 non-fossil, 0.2 kg CO2 from soil or biomass stock; per kWh of ``elec``: 0.5 CO2 +
0.001 CH4 fossil x 29.8 + 0.0001 N2O x 273 = 0.5571 kg CO2e). One crate is made from 2 kg
wood and 1 kWh, emits 0.01 kg biogenic CH4 (``Methane, non-fossil``, GWP100 27.0, IPCC AR6
as in the ecoinvent LCIA file of bw2io) and takes up 3.2 kg CO2. The reference flow is
2 crates; 80 L of storage volume per reference flow (declared unit L).

Per reference flow (x 2 crates):

    wood 4 kg      fossil 0.4        biogenic CO2 6.0     dLUC 0.8
    elec 2 kWh     fossil 1.1142
    CH4  0.02 kg                     biogenic 0.02 x 27 = 0.54 (non-CO2)
    uptake 6.4 kg                    removals -6.4

    fossil 1.5142, biogenic emissions 6.54, biogenic removals -6.4, dLUC 0.8

    including_biogenic       = 1.5142 + 6.54 - 6.4 + 0.8  = 2.4542   (= total_kg_co2e)
    excluding_biogenic       = 1.5142 + (6.54 - 6.0) + 0.8 = 2.8542   (biogenic CO2 out, CH4 kept)
    without dLUC, each - 0.8 = 1.6542, 2.0542
    per declared unit (/ 80 L) = 0.0306775, 0.0356775; without dLUC 0.0206775, 0.0256775

Biogenic carbon content per reference flow: product 2 x 2 kg wood x 0.4 kg C/kg = 1.6 kg C,
packaging 50 g = 0.05 kg C. M(CO2) = 12.011 + 2 x 15.999 = 44.009 g/mol (IUPAC/CIAAW),
44.009 / 12.011 = 3.664058; 1.6 kg C = 5.862493 kg CO2, 0.05 kg C = 0.183203 kg CO2.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from pcf.core.errors import ModelError, PCRError
from pcf.lca import footprint
from pcf.lca.biogenic import CO2_PER_C, MOLAR_MASS_CO2
from pcf.model import load_model
from pcf.pcr import RULES_DIR, load_pcr
from builders import document
from pcf.declaration import Declaration, build_declaration
from pcf.declaration.accounting import rule_for
from pcf.lca.result import FootprintResult
from pcf.pcr import assess
from tests import builders
from tests.builders import assessed
from tests.pcr_util import DECLARATION, primary_production

REL = 1e-6  # bw_processing stores amounts as float32

CRATE = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: CRATE
      name: Wooden crate
      process: crate
      reference_flow: {amount: 2, unit: item}
      declared_unit: {unit: L, description: litre of storage volume, per_reference_flow: 2 * 40}
      biogenic_carbon_content:
        product: 2 * wood_kg * carbon_fraction * 1000
        packaging: 50
        unit: g
        source: dry wood at 0.4 kg C per kg (test figure)
    study: {background: test-bg}
    parameters: {wood_kg: 2, carbon_fraction: 0.4}
    processes:
      - id: crate
        name: Crate making
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {background: wood, amount: wood_kg, unit: kg}
          - {background: elec, amount: 1, unit: kWh}
        emissions:
          - {substance: methane, origin: biogenic, amount: 0.01, unit: kg}
        removals:
          - {substance: carbon dioxide, origin: biogenic, amount: 3.2, unit: kg}
    """)
CONTENT_LINES = ("  biogenic_carbon_content:", "    product:", "    packaging:", "    unit:", "    source:")
CRATE_WITHOUT_CONTENT = "".join(line for line in CRATE.splitlines(keepends=True)
                                if not line.startswith(CONTENT_LINES))

HAND = {"including_biogenic": 2.4542, "excluding_biogenic": 2.8542}
DLUC = 0.8


@pytest.fixture
def crate(bd, write_model):
    """The crate's result document under the ISO 14067 default rule (no PCR)."""
    return document(footprint(load_model(write_model(CRATE))))


def battery_rule(tmp_path: Path, declared_total: str, dluc: str = "included") -> Path:
    """The shipped battery PCR with its ghg_accounting changed, written to tmp_path."""
    text = (RULES_DIR / "eu-battery-cfb-ev.yaml").read_text(encoding="utf-8")
    old = "  declared_total: excluding_biogenic\n  dluc: included\n"
    assert text.count(old) == 1
    path = tmp_path / "eu-battery-cfb-ev.yaml"
    path.write_text(text.replace(old, f"  declared_total: {declared_total}\n  dluc: {dluc}\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- result


def test_categories_and_masses_match_the_hand_calculation(crate):
    g = crate["ghg"]
    assert g["fossil"] == pytest.approx(1.5142, rel=REL)
    assert g["biogenic_emissions"] == pytest.approx(6.54, rel=REL)
    assert g["biogenic_removals"] == pytest.approx(-6.4, rel=REL)
    assert g["dluc"] == pytest.approx(0.8, rel=REL)
    assert crate["biogenic_carbon"]["co2_emissions_kg"] == pytest.approx(6.0, rel=REL)
    assert crate["biogenic_carbon"]["co2_removals_kg"] == pytest.approx(6.4, rel=REL)
    assert crate["biogenic_carbon"]["net_kg_co2e"] == pytest.approx(6.54 - 6.4, rel=1e-5)


def test_totals_both_ways_under_the_iso_default(crate):
    t = crate["totals"]
    for key, value in HAND.items():
        assert t[key] == pytest.approx(value, rel=REL), key
    assert t["including_biogenic"] == pytest.approx(crate["total_kg_co2e"], rel=1e-9)
    # no PCR: ISO 14067 includes everything
    assert t["declared_total"] == "including_biogenic" and t["dluc_included"] is True
    assert t["declared"] == pytest.approx(2.4542, rel=REL)
    assert t["rule"]["source"] == "ISO 14067:2018 (standard default)"
    assert "6.4.9.2" in t["rule"]["clause"]
    per_du = t["per_declared_unit"]
    assert per_du["including_biogenic"] == pytest.approx(0.0306775, rel=REL)
    assert per_du["excluding_biogenic"] == pytest.approx(0.0356775, rel=REL)
    assert per_du["declared"] == pytest.approx(0.0306775, rel=REL)


def test_dluc_has_its_own_share(crate):
    shares = crate["totals"]["shares"]
    assert shares["dluc"] == pytest.approx(0.8 / 2.4542, rel=REL)          # 32.6 %
    assert shares["biogenic_removals"] == pytest.approx(-6.4 / 2.4542, rel=REL)
    assert shares["aircraft"] == 0


def test_carbon_content_converted_by_hand(crate):
    b = crate["biogenic_carbon"]
    assert MOLAR_MASS_CO2 == pytest.approx(44.009, abs=1e-12)
    assert CO2_PER_C == pytest.approx(3.664058, rel=1e-6)
    assert b["content_product_kg_c"] == pytest.approx(1.6, rel=1e-12)
    assert b["content_packaging_kg_c"] == pytest.approx(0.05, rel=1e-12)
    assert b["content_product_kg_co2e"] == pytest.approx(5.862493, rel=1e-6)
    assert b["content_packaging_kg_co2e"] == pytest.approx(0.183203, rel=1e-5)
    assert b["content_source"].startswith("dry wood")
    # reported, not added
    assert crate["total_kg_co2e"] == pytest.approx(2.4542, rel=REL)


def test_content_is_none_when_not_stated(bd, write_model):
    assert "biogenic_carbon_content" not in CRATE_WITHOUT_CONTENT
    result = footprint(load_model(write_model(CRATE_WITHOUT_CONTENT)))
    assert result.biogenic_carbon.content_product_kg_c is None
    assert result.biogenic_carbon.content_packaging_kg_co2e is None
    assert result.total_kg_co2e == pytest.approx(2.4542, rel=REL)


# --------------------------------------------------------------------------- PCR rule


@pytest.mark.parametrize(("declared_total", "dluc", "expected"), [
    ("including_biogenic", "included", 2.4542),
    ("excluding_biogenic", "included", 2.8542),
    ("including_biogenic", "excluded", 2.4542 - DLUC),
    ("excluding_biogenic", "excluded", 2.8542 - DLUC),
])
def test_declared_total_follows_the_pcr_rule(bd, write_model, tmp_path, declared_total, dluc, expected):
    pcr = load_pcr(battery_rule(tmp_path, declared_total, dluc))
    declaration = build_declaration(footprint(load_model(write_model(CRATE))), pcr)
    result = declaration.to_json()
    assert result["totals"]["declared"] == pytest.approx(expected, rel=REL)
    assert result["totals"]["per_declared_unit"]["declared"] == pytest.approx(expected / 80, rel=REL)
    assert result["totals"]["rule"]["source"] == "PCR eu-battery-cfb-ev 0.4"
    assert result["total_kg_co2e"] == pytest.approx(2.4542, rel=REL)  # keeps its meaning
    a = result["assessment"]
    assert a["declared_total"]["kg_co2e"] == pytest.approx(expected, rel=REL)
    assert a["declared_total"]["per_declared_unit"] == pytest.approx(expected / 80, rel=REL)
    differs = not (declared_total == "including_biogenic" and dluc == "included")
    assert ("ghg-accounting" in [f["rule"] for f in a["findings"]]) is differs


def battery_result(ghg: dict, co2_emissions_kg: float) -> FootprintResult:
    """A hand-made battery pack result (tests/builders.py): 36 000 kWh per pack (75 x 60 x 8), with
    the declaration items and primary plant data the EU rule asks for (tests/pcr_util.py), so it
    is graded; ``ghg`` the ISO 14067 split, ``co2_emissions_kg`` the biogenic CO2 emitted [kg CO2]."""
    total = sum(ghg[k] for k in ("fossil", "biogenic_emissions", "biogenic_removals", "dluc"))
    return builders.result(
        **ghg, biogenic_co2_kg=co2_emissions_kg, product_id="P", name="pack",
        declared_per_reference_flow=36000.0, declared_unit="kWh", declared_unit_description="",
        boundary="cradle-to-grave", parameters={"capacity_kwh": 75, "cycles_per_year": 60, "service_life_years": 8},
        method="ef-3.1-climate-change",  # the rule's method (issue 14 part 1)
        stages={"raw_material_acquisition": total / 2, "production": total / 4,
                "distribution": total / 8, "end_of_life": total / 8},
        declaration=DECLARATION, **primary_production("cells", total / 4))


@pytest.mark.parametrize(("declared_total", "dluc", "value", "cls"), [
    # fossil 7000 + biogenic 3000 (2900 of it CO2) - removals 4800 + dLUC 2000 = 7200 kg per pack
    ("including_biogenic", "included", 7200 / 36000, "C"),   # 0.2                     in (0.15, 0.25]
    ("excluding_biogenic", "included", 9100 / 36000, "D"),   # 7000 + 100 + 2000: 0.2528 in (0.25, 0.35]
    ("excluding_biogenic", "excluded", 7100 / 36000, "C"),   # 7000 + 100: 0.1972
    ("including_biogenic", "excluded", 5200 / 36000, "B"),   # 7200 - 2000: 0.1444     in (0.10, 0.15]
])
def test_performance_class_uses_the_declared_figure(tmp_path, declared_total, dluc, value, cls):
    result = battery_result({"fossil": 7000.0, "biogenic_emissions": 3000.0, "biogenic_removals": -4800.0,
                             "dluc": 2000.0, "aircraft": 0.0}, 2900.0)
    a = assessed(result, load_pcr(battery_rule(tmp_path, declared_total, dluc)))
    assert a["performance_class"]["value"] == pytest.approx(value, rel=1e-12)
    assert a["performance_class"]["class"] == cls


def test_result_without_ghg_split_is_classified_on_its_total():
    """The result is partial on purpose: one written before results had a ghg split (and so no
    totals to declare from). Its declaration cannot decide a declared figure (no declared
    total); the PCR grades the figure per declared unit the result states."""
    result = dataclasses.replace(battery_result({"fossil": 7200.0, "biogenic_emissions": 0.0, "biogenic_removals": 0.0,
                                                 "dluc": 0.0, "aircraft": 0.0}, 0.0), ghg=None, totals=None)
    pcr = load_pcr("eu-battery-cfb-ev")
    plain = Declaration(result=result, accounting=rule_for(pcr, result.study.standard))
    a = plain.replace(assessment=assess(result, pcr, result.per_declared_unit_kg_co2e)).to_json()["assessment"]
    assert a["declared_total"] is None
    assert a["performance_class"]["value"] == pytest.approx(0.2)


def test_shipped_rules_state_their_accounting():
    battery, pv = load_pcr("eu-battery-cfb-ev"), load_pcr("pv-module")
    # EF 3.1 climate change: biogenic CO2 and its uptake 0, dLUC in (issue 14 part 1)
    assert battery.ghg_accounting.declared_total == "excluding_biogenic"
    assert battery.ghg_accounting.dluc == "included"
    assert "3(21)" in battery.ghg_accounting.clause and "2021/2279" in battery.ghg_accounting.clause
    assert battery.ghg_accounting.confidence == "S"
    assert pv.ghg_accounting.declared_total == "including_biogenic" and pv.ghg_accounting.confidence == "W"


def test_api_compute_declares_under_the_pcr_it_assesses(bd, write_model, tmp_path):
    from pcf.api import compute

    path = battery_rule(tmp_path, "excluding_biogenic", "excluded")
    result = compute(write_model(CRATE), pcr_id=str(path)).to_json()
    assert result["totals"]["declared"] == pytest.approx(2.8542 - DLUC, rel=REL)
    assert result["assessment"]["declared_total"]["kg_co2e"] == pytest.approx(2.8542 - DLUC, rel=REL)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  declared_total: excluding_biogenic\n", "  declared_total: excluding_biogenic_co2\n",
     r"ghg_accounting\.declared_total: 'excluding_biogenic_co2' is not allowed"),
    ("  dluc: included\n", "  dluc: yes\n", r"ghg_accounting\.dluc"),
    ("  dluc: included\n", "  dluc: included\n  credit_content: true\n", r"ghg_accounting\.credit_content: unknown key 'credit_content'"),
])
def test_wrong_ghg_accounting_section_is_refused_with_file_and_line(tmp_path, old, new, message):
    text = (RULES_DIR / "eu-battery-cfb-ev.yaml").read_text(encoding="utf-8")
    start = text.index("ghg_accounting:")
    at = text.index(old, start)
    line = text[:at].count("\n") + 1 + (1 if new.count("\n") > old.count("\n") else 0)
    path = tmp_path / "eu-battery-cfb-ev.yaml"
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    with pytest.raises(PCRError, match=rf"^{path}:{line}: {message}"):
        load_pcr(path)


# --------------------------------------------------------------------------- model errors


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    packaging: 50\n", "    packaging: -5\n",
     "biogenic carbon content of the packaging must be a finite number >= 0"),
    ("    unit: g\n", "    unit: kWh\n", "biogenic carbon content is a mass of carbon"),
    ("    unit: g\n", "    unit: grams of stuff\n", "grams of stuff"),
    ("    packaging: 50\n", "    packaging: 50 * pallets\n", "pallets"),
    ("    packaging: 50\n", "    pallet: 50\n", "unknown field 'product.biogenic_carbon_content.pallet'"),
])
def test_invalid_carbon_content_gives_file_and_line(write_model, old, new, message):
    assert CRATE.count(old) == 1
    line = CRATE[: CRATE.index(old)].count("\n") + 1
    path = write_model(CRATE.replace(old, new))
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


# --------------------------------------------------------------------------- report


def report_text(result: dict, out: Path) -> tuple[str, str]:
    """(text of the report's HTML without tags, text of its PDF), whitespace collapsed.

    The HTML keeps each table row together; the PDF (pdftotext) shows what is printed.
    """
    from markupsafe import Markup

    from pcf.declaration import Declaration
    from pcf.render import output, render_report
    from pcf.render.label import prepare
    from pcf.render.report import report_context

    result = Declaration.from_json(result)
    font, env, svg = prepare(result, None)
    html = output.render_template(env, "report.html.j2", R=report_context(result, font, svg), css=Markup(""))
    html_text = " ".join(re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").split())
    pdf = render_report(result, out)
    pdf_text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
    return html_text, pdf_text


def test_report_shows_biogenic_section(crate, tmp_path):
    text, pdf = report_text(crate, tmp_path)
    assert "2.4 生物源碳、dLUC 与声明总量 Biogenic carbon, dLUC and the declared total" in pdf
    assert "5.862" in pdf and "2.854" in pdf and "0.1832" in pdf     # 4 significant figures (pcf.core.numbers)
    # totals per reference flow and per litre (/ 80): 2.4542 -> 2.454, 0.0306775 -> 0.03068 (declared);
    # 2.8542 -> 2.854, 0.0356775 -> 0.03568
    assert "Including biogenic emissions and removals 2.454 0.03068 ◀ 声明 declared" in text
    assert re.search(r"Excluding biogenic CO2 emissions and removals 2\.854 0\.03568 声明值", text)
    assert "Declared: including biogenic emissions and removals 2.454 0.03068" in text
    assert "Rule: ISO 14067:2018 (standard default)" in text
    assert "dLUC: 0.8000 kg CO2e (32.6 %)" in text                      # 0.8 / 2.4542
    # masses of biogenic CO2 and the content: 1.6 kg C = 5.86 kg CO2e, 0.05 kg C = 0.183 kg CO2e
    assert "Biogenic CO2 emitted 6.000 kg CO2" in text and "Biogenic CO2 taken up 6.400 kg CO2" in text
    assert "Net biogenic (emissions + removals) 0.1400 kg CO2e" in text   # 6.54 - 6.4
    # 1.6 x 44.009 / 12.011 = 5.8625; 0.05 x 44.009 / 12.011 = 0.18320
    assert "Biogenic carbon content of the product 1.600 kg C = as CO2 5.862 kg CO2e" in text
    assert "Biogenic carbon content of the packaging 0.05000 kg C = as CO2 0.1832 kg CO2e" in text
    assert "dry wood at 0.4 kg C per kg" in text


def test_report_shows_the_pcr_declared_figure(bd, write_model, tmp_path):
    """Without biogenic CO2 and without dLUC the declared figure is 2.0542 (/ 80 = 0.0256775)."""
    from pcf.api import compute

    result = compute(write_model(CRATE), pcr_id=str(battery_rule(tmp_path, "excluding_biogenic", "excluded"))).to_json()
    text, pdf = report_text(result, tmp_path / "out")
    assert "Excluding biogenic CO2 emissions and removals 2.854 0.03568 ◀ 声明 declared" in text
    assert "Declared: excluding biogenic CO2 emissions and removals, without dLUC 2.054 0.02568" in text
    assert "Rule: PCR eu-battery-cfb-ev 0.4" in text and "Rule: PCR eu-battery-cfb-ev 0.4" in pdf
    assert "not in the declared figure" in text
    # the label's headline follows the declared figure: 0.02568 kg CO2e / L (total: 0.03068)
    assert "0.02568 kg CO2e / L" in pdf
