"""Use stage over a service life and end of life per material (issue 4 point 6).

Background ``eol-bg`` (written here, kg CO2 fossil per unit, so kg CO2e = the number):

    virgin       2.0  / kg      Ev and E*v
    recycled     0.5  / kg      Erecycled
    recycling    0.3  / kg      ErecyclingEoL
    incineration 0.8  / kg      EER
    landfill     0.1  / kg      ED
    heat         0.05 / MJ      ESE,heat
    power        0.5  / kWh     ESE,elec

The material: m = 10 kg, R1 = 0.3, R2 = 0.6, R3 = 0.1, A = 0.2, B = 0, Qsin/Qp = 0.9,
Qsout/Qp = 0.8, LHV = 40 MJ/kg, XER,heat = 0.5, XER,elec = 0.25.

CFF (Recommendation (EU) 2021/2279 Annex I 4.4.8.1), per kg:

    (1-R1) Ev                        0.7 * 2.0             =  1.4
    R1 A Erecycled                   0.3 * 0.2 * 0.5       =  0.03
    R1 (1-A) Ev Qsin/Qp              0.3 * 0.8 * 2.0 * 0.9 =  0.432
    (1-A) R2 ErecyclingEoL           0.8 * 0.6 * 0.3       =  0.144
    -(1-A) R2 E*v Qsout/Qp           0.8 * 0.6 * 2.0 * 0.8 = -0.768
    (1-B) R3 EER                     0.1 * 0.8             =  0.08
    -(1-B) R3 LHV XER,heat ESE,heat  0.1 * 40 * 0.5 = 2 MJ * 0.05            = -0.1
    -(1-B) R3 LHV XER,elec ESE,elec  0.1 * 40 * 0.25 = 1 MJ = 1/3.6 kWh * 0.5 = -0.138889
    (1-R2-R3) ED                     0.3 * 0.1             =  0.03
                                                      sum  =  1.109111  -> x 10 kg = 11.09111

cut-off, per kg: (1-R1) Ev + R1 Erecycled + R3 EER + (1-R2-R3) ED
               = 1.4 + 0.3 * 0.5 + 0.08 + 0.03 = 1.66        -> x 10 kg = 16.6

Use stage (test-bg ``elec`` 0.5571 kg CO2e/kWh with AR6 CH4 29.8 and N2O 273, ``steel`` 2.0/kg):
service life 10 years, 120 kWh per year and 0.05 kg of steel per month ->
1200 kWh * 0.5571 = 668.52 and 6 kg * 2.0 = 12.0; production 3 kg steel = 6.0.

The cradle-to-grave PV module (examples/pv/mono-si-module-cn-c2g.yaml) is checked against its
declared unit worked by hand, its stages worked from the open-default rows, and the published
range of g CO2e per kWh generated (test docstrings below).
"""

from __future__ import annotations

import csv
import subprocess

import pytest

from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.model import load_model
from pcf.pcr import load_pcr
from pcf.declaration import Declaration
from tests.builders import assessed
from tests.conftest import _HOME, REPO
from builders import document

EOL_BG = """\
key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,co2_dluc,sf6,nf3,cf4,c2f6,co2e_unsplit,gwp_basis,aircraft,factor_ids,source,note,dqr_ter,dqr_ger,dqr_tir,dqr_p
virgin,virgin material,material,kg,GLO,2024,2.0,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
recycled,recycled material,material,kg,GLO,2024,0.5,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
recycling,recycling at end of life,recycling,kg,GLO,2024,0.3,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
incineration,incineration with energy recovery,waste treatment,kg,GLO,2024,0.8,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
landfill,landfill,waste treatment,kg,GLO,2024,0.1,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
heat,heat,heat,MJ,GLO,2024,0.05,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
power,electricity,electricity,kWh,GLO,2024,0.5,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
"""

CFF_TOTAL = 10 * (1.4 + 0.03 + 0.432 + 0.144 - 0.768 + 0.08 - 0.1 - 0.5 / 3.6 + 0.03)
CUT_OFF_TOTAL = 10 * (1.4 + 0.15 + 0.08 + 0.03)

ENTRY = ("{{material: steel part, mass: 10, unit: kg, approach: {approach}, R1: 0.3, R2: 0.6, R3: 0.1, "
         "A: 0.2, Qsin_Qp: 0.9, Qsout_Qp: 0.8, LHV: 40, X_heat: 0.5, X_elec: 0.25, "
         "virgin: {{background: virgin}}, recycled: {{background: recycled}}, recycling: {{background: recycling}}, "
         "energy_recovery: {{background: incineration}}, heat_substituted: {{background: heat}}, "
         "electricity_substituted: {{background: power}}, disposal: {{background: landfill}}}}")

MODEL = """\
format: pcf-model/1
product: {{id: EOL-TEST, name: End-of-life test, process: p, reference_flow: {{amount: {ref}, unit: item}}}}
study: {{background: eol-bg, boundary: cradle-to-grave}}
processes:
  - id: p
    name: P
    stage: end_of_life
    output: {{amount: 1, unit: item}}
    end_of_life:
      - {entry}
"""


@pytest.fixture(scope="module")
def eol_bg(bd):
    from pcf.background.opendefault import write_open_default

    table = _HOME / "eol-bg.csv"
    table.write_text(EOL_BG, encoding="utf-8")
    write_open_default(bd, table, "eol-bg")
    return bd


def run(write_model, entry: str, ref: float = 1) -> dict:
    return document(footprint(load_model(write_model(MODEL.format(entry=entry, ref=ref)))))


# --------------------------------------------------------------------------- end of life


def test_cff_material_energy_and_disposal_by_hand(eol_bg, write_model):
    d = run(write_model, ENTRY.format(approach="cff"))
    assert d["total_kg_co2e"] == pytest.approx(CFF_TOTAL, rel=1e-6)  # 11.09111
    assert d["stages"] == {"end_of_life": pytest.approx(CFF_TOTAL, rel=1e-6)}
    [e] = d["end_of_life"]
    assert (e["process"], e["material"], e["approach"], e["mass_kg"]) == ("p", "steel part", "cff", 10.0)
    assert e["parameters"] == {"A": 0.2, "B": 0.0, "R1": 0.3, "R2": 0.6, "R3": 0.1, "Qsin/Qp": 0.9,
                               "Qsout/Qp": 0.8, "LHV": 40.0, "XER,heat": 0.5, "XER,elec": 0.25}
    terms = {t["term"]: t for t in e["terms"]}
    expected = {  # term: (activity, amount per reference flow, kg CO2e) from the module docstring
        "(1-R1)·Ev": ("virgin", 7.0, 14.0),
        "R1·A·Erecycled": ("recycled", 0.6, 0.3),
        "R1·(1-A)·Ev·Qsin/Qp": ("virgin", 2.16, 4.32),
        "(1-A)·R2·ErecyclingEoL": ("recycling", 4.8, 1.44),
        "-(1-A)·R2·E*v·Qsout/Qp": ("virgin", -3.84, -7.68),
        "(1-B)·R3·EER": ("incineration", 1.0, 0.8),
        "-(1-B)·R3·LHV·XER,heat·ESE,heat": ("heat", -20.0, -1.0),
        "-(1-B)·R3·LHV·XER,elec·ESE,elec": ("power", -10.0, -10.0 / 3.6 * 0.5),
        "(1-R2-R3)·ED": ("landfill", 3.0, 0.3),
    }
    assert set(terms) == set(expected)
    for name, (activity, amount, kg) in expected.items():
        assert terms[name]["activity"] == activity
        assert terms[name]["amount"] == pytest.approx(amount, rel=1e-9), name
        assert terms[name]["kg_co2e"] == pytest.approx(kg, rel=1e-6), name
    assert terms["-(1-B)·R3·LHV·XER,elec·ESE,elec"]["unit"] == "MJ"
    assert e["kg_co2e"] == pytest.approx(CFF_TOTAL, rel=1e-6)
    # the same activity three times in one process (Ev, Ev Qsin/Qp, credit E*v): 14 + 4.32 - 7.68
    virgin = [c for c in d["contributions"] if c.get("background") == "virgin"]
    assert sum(c["kg_co2e"] for c in virgin) == pytest.approx(10.64, rel=1e-6)


def test_cut_off_by_hand(eol_bg, write_model):
    d = run(write_model, ENTRY.format(approach="cut_off"))
    assert d["total_kg_co2e"] == pytest.approx(CUT_OFF_TOTAL, rel=1e-6)  # 16.6
    [e] = d["end_of_life"]
    kg = {t["term"]: t["kg_co2e"] for t in e["terms"]}
    # the recycling at end of life, its credit and the energy credits belong to the next system
    assert kg == {"(1-R1)·Ev": pytest.approx(14.0, rel=1e-6), "R1·Erecycled": pytest.approx(1.5, rel=1e-6),
                  "R3·EER": pytest.approx(0.8, rel=1e-6), "(1-R2-R3)·ED": pytest.approx(0.3, rel=1e-6)}
    assert e["approach"] == "cut_off"


def test_amounts_follow_the_reference_flow(eol_bg, write_model):
    d = run(write_model, ENTRY.format(approach="cff"), ref=2)
    [e] = d["end_of_life"]
    assert e["mass_kg"] == pytest.approx(20.0)
    assert e["kg_co2e"] == pytest.approx(2 * CFF_TOTAL, rel=1e-6)
    assert d["total_kg_co2e"] == pytest.approx(2 * CFF_TOTAL, rel=1e-6)


def test_material_input_and_end_of_life_in_their_own_stages(eol_bg, write_model):
    """The R1 terms on the raw-material process, the end-of-life terms on the end-of-life process:
    raw material 10 * (1.4 + 0.03 + 0.432) = 18.62; end of life 11.09111 - 18.62 = -7.52889."""
    text = """\
format: pcf-model/1
product: {id: EOL-SPLIT, name: Split, process: product, reference_flow: {amount: 1, unit: item}}
study: {background: eol-bg, boundary: cradle-to-grave}
processes:
  - id: product
    name: product over its life
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {process: material, amount: 1, unit: item}
      - {process: eol, amount: 1, unit: item}
  - id: material
    name: material supply
    stage: raw_material_acquisition
    output: {amount: 1, unit: item}
    end_of_life:
      - {material: steel part, mass: 10, approach: cff, R1: 0.3, A: 0.2, Qsin_Qp: 0.9, virgin: {background: virgin}, recycled: {background: recycled}}
  - id: eol
    name: end of life
    stage: end_of_life
    output: {amount: 1, unit: item}
    end_of_life:
      - {material: steel part, mass: 10, approach: cff, R2: 0.6, R3: 0.1, A: 0.2, Qsout_Qp: 0.8, LHV: 40, X_heat: 0.5, X_elec: 0.25, virgin_substituted: {background: virgin}, recycling: {background: recycling}, energy_recovery: {background: incineration}, heat_substituted: {background: heat}, electricity_substituted: {background: power}, disposal: {background: landfill}}
"""
    d = document(footprint(load_model(write_model(text))))
    assert d["stages"]["raw_material_acquisition"] == pytest.approx(18.62, rel=1e-6)
    assert d["stages"]["end_of_life"] == pytest.approx(CFF_TOTAL - 18.62, rel=1e-6)
    assert d["total_kg_co2e"] == pytest.approx(CFF_TOTAL, rel=1e-6)
    sides = [{t["side"] for t in e["terms"]} for e in d["end_of_life"]]
    assert sides == [{"material input"}, {"end of life"}]
    assert d["end_of_life"][0]["parameters"]["R2"] is None  # the input-side entry states no end of life


@pytest.mark.parametrize("entry, message", [
    ("{material: x, mass: 1, unit: kWh, disposal: {background: landfill}}",
     "the mass of an end-of-life material is a mass"),
    ("{material: x, mass: 1, R2: 1.2, recycling: {background: recycling}}", "R2 is a share between 0 and 1, got 1.2"),
    ("{material: x, mass: 1, R2: 0.7, R3: 0.5, recycling: {background: recycling}, energy_recovery: {background: incineration}}",
     "R2 + R3 = 1.2 exceeds 1"),
    ("{material: x, mass: 1}", "models neither its material input"),
    ("{material: x, mass: 1, R2: 0.5, disposal: {background: landfill}, approach: cff, Qsout_Qp: 1, recycling: {background: recycling}, virgin_substituted: {background: virgin}}",
     "the CFF needs the allocation factor A"),
    ("{material: x, mass: 1, R2: 0.5, A: 0.2, disposal: {background: landfill}, approach: cff, recycling: {background: recycling}, virgin_substituted: {background: virgin}}",
     "needs the quality ratio Qsout/Qp"),
    ("{material: x, mass: 1, R2: 0.5, A: 0.2, Qsout_Qp: 1, disposal: {background: landfill}, approach: cff, virgin_substituted: {background: virgin}}",
     "needs the end-of-life recycling activity (ErecyclingEoL): add recycling"),
    ("{material: x, mass: 1, R2: 0.5, A: 0.2, Qsout_Qp: 1, disposal: {background: landfill}, approach: cff, recycling: {background: recycling}}",
     "add virgin_substituted"),
    ("{material: x, mass: 1, R2: 0.5}", "the share 1 - R2 - R3 = 0.5 is disposed of and needs the disposal activity (ED): add disposal"),
    ("{material: x, mass: 1, R3: 1}", "R3 > 0 needs the energy recovery activity (EER): add energy_recovery"),
    ("{material: x, mass: 1, R1: 0.5, disposal: {background: landfill}}", "R1 (recycled content) needs the material input"),
    ("{material: x, mass: 1, R1: 0.5, virgin: {background: virgin}}", "add recycled"),
    ("{material: x, mass: 1, R1: 0.5, approach: cff, A: 0.5, virgin: {background: virgin}, recycled: {background: recycled}}",
     "needs the quality ratio Qsin/Qp"),
    ("{material: x, mass: 1, R3: 1, X_heat: 0.5, energy_recovery: {background: incineration}}", "X_heat needs LHV"),
    ("{material: x, mass: 1, R3: 1, LHV: 40, X_elec: 0.5, energy_recovery: {background: incineration}}",
     "X_elec needs electricity_substituted"),
    ("{material: x, mass: 1, approach: circular, disposal: {background: landfill}}", "approach"),
    ("{material: x, mass: 1, disposal: {background: nope}}", "background activity 'nope' is not in 'eol-bg'"),
    ("{material: x, mass: 1, approach: cff, R3: 1, LHV: 40, X_heat: 1, energy_recovery: {background: incineration}, heat_substituted: {background: virgin}}",
     "cannot convert 'MJ' to 'kg'"),
])
def test_end_of_life_errors_point_at_the_line(eol_bg, write_model, entry, message):
    """Each error names the entry's line (line 10 of MODEL) and what to fix; nothing is computed."""
    path = write_model(MODEL.format(entry=entry, ref=1))
    with pytest.raises(ModelError) as info:
        footprint(load_model(path))
    assert f"{path}:10:" in str(info.value)
    assert message in str(info.value)


# --------------------------------------------------------------------------- use stage

USE = """\
format: pcf-model/1
product: {{id: USE-TEST, name: Use test, process: product_use, reference_flow: {{amount: 1, unit: item}},
          service_life: {{amount: life, unit: {life_unit}}}}}
study: {{background: test-bg, boundary: cradle-to-grave}}
parameters: {{life: {life}}}
processes:
  - id: product_use
    name: product in use
    stage: {stage}
    output: {{amount: 1, unit: item}}
    inputs:
      - {{process: make, amount: 1, unit: item}}
      - {{background: elec, amount: 120, unit: kWh, per: {per}}}
      - {{background: steel, amount: 0.05, unit: kg, per: month}}
    emissions:
      - {{substance: methane, origin: fossil, amount: 0.01, unit: kg, per: year}}
  - id: make
    name: manufacturing
    stage: production
    output: {{amount: 1, unit: item}}
    inputs:
      - {{background: steel, amount: 3, unit: kg}}
"""


def use_model(write_model, life=10, life_unit="year", per="year", stage="use"):
    return write_model(USE.format(life=life, life_unit=life_unit, per=per, stage=stage))


def test_use_stage_amounts_scale_with_the_service_life(bd, write_model):
    """10 years: 1200 kWh * 0.5571 + 6 kg steel * 2.0 + 0.1 kg CH4 * 29.8 = 668.52 + 12 + 2.98."""
    d = document(footprint(load_model(use_model(write_model))))
    assert d["stages"]["use"] == pytest.approx(668.52 + 12.0 + 2.98, rel=1e-6)
    assert d["stages"]["production"] == pytest.approx(6.0, rel=1e-6)
    use = d["use_stage"]
    assert use["service_life"] == {"amount": 10.0, "unit": "year"}
    elec, steel = use["inputs"]
    assert (elec["activity"], elec["per"], elec["amount_per"], elec["unit"]) == ("elec", "year", 120.0, "kWh")
    assert elec["amount"] == pytest.approx(1200.0) and elec["kg_co2e"] == pytest.approx(668.52, rel=1e-6)
    assert (steel["per"], steel["amount_per"]) == ("month", 0.05)
    assert steel["amount"] == pytest.approx(6.0) and steel["kg_co2e"] == pytest.approx(12.0, rel=1e-6)
    [ch4] = use["emissions"]
    assert (ch4["substance"], ch4["per"], ch4["amount_per"]) == ("methane", "year", 0.01)
    assert ch4["amount"] == pytest.approx(0.1)
    # twice the service life (batch override): use stage doubles, production does not
    d20 = document(footprint(load_model(use_model(write_model), overrides={"life": 20})))
    assert d20["stages"]["use"] == pytest.approx(2 * (668.52 + 12.0 + 2.98), rel=1e-6)
    assert d20["stages"]["production"] == pytest.approx(6.0, rel=1e-6)


def test_service_life_in_months_converts(bd, write_model):
    """120 months = 10 years: the same 1200 kWh."""
    d = document(footprint(load_model(use_model(write_model, life=120, life_unit="month"))))
    assert d["use_stage"]["inputs"][0]["amount"] == pytest.approx(1200.0, rel=1e-9)


def test_model_without_use_stage_has_none(bd, write_model):
    text = ("format: pcf-model/1\nproduct: {id: X, name: X, process: p, reference_flow: {amount: 1, unit: item}}\n"
            "study: {background: test-bg}\nprocesses:\n  - {id: p, name: P, stage: production, "
            "output: {amount: 1, unit: item}, inputs: [{background: steel, amount: 1, unit: kg}]}\n")
    d = document(footprint(load_model(write_model(text))))
    assert d["use_stage"] is None and d["end_of_life"] == []


@pytest.mark.parametrize("kwargs, line, message", [
    ({"life_unit": "kg"}, 3, "service_life is a time unit (year, month, day, h), got 'kg'"),
    ({"life": -1}, 3, "service life must be positive"),
    ({"per": "kWh"}, 13, "per is a time unit"),
    ({"stage": "production"}, 13, "per: year goes with inputs and emissions of use-stage processes"),
])
def test_use_stage_errors_point_at_the_line(bd, write_model, kwargs, line, message):
    path = use_model(write_model, **kwargs)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:{line}:" in str(info.value)
    assert message in str(info.value)


def test_per_without_service_life_is_an_error(bd, write_model):
    text = USE.format(life=10, life_unit="year", per="year", stage="use").replace(
        ",\n          service_life: {amount: life, unit: year}", "")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert f"{path}:12:" in str(info.value)
    assert "needs the product's service life: add product.service_life" in str(info.value)


# --------------------------------------------------------------------------- PCR


def pcr_file(tmp_path, approach: str, a_values: str = "{}") -> object:
    """The battery PCR with its end_of_life rule replaced (approach, A per material)."""
    import yaml

    from pcf.pcr.loader import RULES_DIR

    data = yaml.safe_load((RULES_DIR / "eu-battery-cfb-ev.yaml").read_text(encoding="utf-8"))
    data["end_of_life"] = {"approach": approach, "A": yaml.safe_load(a_values), "clause": "test clause",
                           "confidence": "P"}
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    path = folder / "eu-battery-cfb-ev.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_pcr(path)


def eol_findings(result: dict, pcr) -> list[dict]:
    """The end-of-life findings of a result document (:func:`run`) under ``pcr``."""
    return [f for f in assessed(Declaration.from_json(result).result, pcr)["findings"]
            if f["rule"].startswith("end-of-life")]


def test_pcr_requiring_cff_flags_a_cut_off_model(eol_bg, write_model, tmp_path):
    cut_off = run(write_model, ENTRY.format(approach="cut_off"))
    [f] = eol_findings(cut_off, pcr_file(tmp_path, "cff"))
    assert (f["rule"], f["severity"], f["clause"]) == ("end-of-life-approach", "nonconformity", "test clause")
    assert "'steel part' (process 'p') uses the cut-off (recycled content) approach" in f["message"]
    assert "Circular Footprint Formula" in f["message"]
    assert "approach: cff" in f["fix"]
    cff = run(write_model, ENTRY.format(approach="cff"))
    assert eol_findings(cff, pcr_file(tmp_path, "cff")) == []
    # and the other way round: a cut-off PCR flags a CFF model
    [f] = eol_findings(cff, pcr_file(tmp_path, "cut_off"))
    assert f["severity"] == "nonconformity"


def test_pcr_fixed_a_value(eol_bg, write_model, tmp_path):
    cff = run(write_model, ENTRY.format(approach="cff"))  # A = 0.2
    assert eol_findings(cff, pcr_file(tmp_path, "cff", "{Steel Part: 0.2}")) == []
    [f] = eol_findings(cff, pcr_file(tmp_path, "cff", "{steel part: 0.5}"))
    assert (f["rule"], f["severity"]) == ("end-of-life-A", "nonconformity")
    assert "A = 0.2; the PCR fixes A = 0.5" in f["message"]


def test_pcr_cff_without_end_of_life_materials_is_an_observation(bd, write_model):
    d = document(footprint(load_model(use_model(write_model))))
    [f] = eol_findings(d, load_pcr("eu-battery-cfb-ev"))
    assert (f["rule"], f["severity"]) == ("end-of-life-approach", "observation")
    assert "not found" in f["message"]  # the PCR's note: CFB-EV parameter values were not found


def test_pcr_a_out_of_range_is_refused(tmp_path):
    from pcf.core.errors import PCRError

    with pytest.raises(PCRError, match="A of 'steel' is a share between 0 and 1, got 1.5"):
        pcr_file(tmp_path, "cff", "{steel: 1.5}")


# --------------------------------------------------------------------------- report


def test_report_section_shows_life_use_inputs_and_terms(eol_bg, write_model, tmp_path):
    """Section 1.2 of the PDF: service life, use-stage input per year and over the life, and per
    material the approach, parameters and terms."""
    from pcf.declaration import Declaration
    from pcf.render import render_report

    use = document(footprint(load_model(use_model(write_model))))
    eol = run(write_model, ENTRY.format(approach="cff"))
    result = dict(use, end_of_life=eol["end_of_life"])
    pdf = render_report(Declaration.from_json(result), tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "1.2 使用阶段与寿命终止" in text and "Use stage and end of life" in text
    assert "10 year" in text  # service life
    assert "120 kWh / year" in text and "1,200 kWh" in text and "668.5" in text  # 668.52 kg CO2e
    assert "steel part" in text and "Circular Footprint Formula" in text
    assert "A = 0.2" in text and "Qsout/Qp = 0.8" in text and "R1 = 0.3" in text
    assert "-(1-A)·R2·E*v·Qsout/Qp" in text and "-7.680" in text  # the credit, kg CO2e
    assert "11.09" in text  # the material's total, 11.0911 (CFF_TOTAL)


def test_end_of_life_terms_are_data_quality_items(eol_bg, write_model):
    """Each term is a rated item with the database's DQR (eol-bg rates every row 1/1/1/1)."""
    d = run(write_model, ENTRY.format(approach="cff"))
    items = [i for i in d["data_quality"]["items"] if i["kind"] == "end_of_life"]
    assert sorted(tuple(i["index"]) for i in items) == [(0, t) for t in range(9)]
    assert sum(i["kg_co2e"] for i in items) == pytest.approx(CFF_TOTAL, rel=1e-6)
    assert all(i["dqr"]["dqr"] == 1.0 for i in items)
    assert d["data_quality"]["coverage"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- PV module, cradle-to-grave

PV_GATE = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"
PV_C2G = REPO / "examples" / "pv" / "mono-si-module-cn-c2g.yaml"
#: lifetime yield per kWp [kWh/kWp]: 975 kWh/kWp/year over 30 years with 0.7 %/year linear
#: degradation, sum over t = 0..29 of (1 - 0.007 t) = 30 - 0.007 * 435 = 26.955 -> 26,281.125
LIFETIME_KWH_PER_KWP = 975 * (30 - 0.007 * 30 * 29 / 2)


def open_default_factor(key: str) -> float:
    """AR6 kg CO2e per unit of an open-default row, from its gas masses (CH4 fossil 29.8, N2O 273;
    IPCC AR6 WG1 Table 7.15), as tests/test_transport.py does."""
    with open(REPO / "databases" / "open-default.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["key"] == key)
    g = {k: float(row[k] or 0) for k in ("co2_fossil", "ch4_fossil", "n2o", "co2e_unsplit")}
    return g["co2_fossil"] + 29.8 * g["ch4_fossil"] + 273 * g["n2o"] + g["co2e_unsplit"]


@pytest.fixture(scope="module")
def pv_c2g(open_default):
    from pcf.api import compute

    return compute(PV_C2G).to_json()


def test_pv_c2g_declared_unit_is_the_lifetime_generation(pv_c2g):
    """286.4 Wp x 975 kWh/kWp/year x 26.955 (30 years, 0.7 %/year linear degradation) = 7,526.91 kWh."""
    assert LIFETIME_KWH_PER_KWP == pytest.approx(26281.125, rel=1e-12)
    du = pv_c2g["product"]["declared_unit"]
    assert du["unit"] == "kWh"
    assert du["per_reference_flow"] == pytest.approx(0.2864 * 975 * 26.955, rel=1e-12)  # 7,526.9142
    assert pv_c2g["per_declared_unit_kg_co2e"] == pytest.approx(pv_c2g["total_kg_co2e"] / 7526.9142, rel=1e-9)
    assert pv_c2g["use_stage"]["service_life"] == {"amount": 30.0, "unit": "year"}
    assert pv_c2g["study"]["boundary"] == "cradle-to-grave" and pv_c2g["assessment"] is None  # no PCR (see header)


def test_pv_c2g_in_the_published_range(pv_c2g):
    """g CO2e per kWh generated, between two published figures at the same yield and lifetime:

    - upper: 42.5 g CO2e/kWh, the IEA PVPS Task 12 fact sheet for a complete 3 kWp mono-Si rooftop
      SYSTEM in Europe (module + inverter + mounting + cabling), 975 kWh/kWp, 30 years, 0.7 %/year
      degradation (factors.csv pv_electricity_rooftop_mono_eu_ieapvps; CHECK.md); the module-only
      product system must stay below it;
    - lower: the lowest module production footprint of the published range test_examples uses,
      0.45 kg CO2e/Wp (Mueller et al. 2021, Sol. Energy Mater. Sol. Cells 230:111277: EU-made
      modules), over the same lifetime yield: 450 kg/kWp / 26,281 kWh/kWp = 17.1 g/kWh.
    """
    g_per_kwh = 1000 * pv_c2g["per_declared_unit_kg_co2e"]
    assert 450 / LIFETIME_KWH_PER_KWP * 1000 <= g_per_kwh <= 42.5


def test_pv_c2g_manufacturing_equals_the_cradle_to_gate_model(open_default, pv_c2g):
    from pcf.api import compute

    gate = compute(PV_GATE).to_json()
    made = pv_c2g["stages"]["raw_material_acquisition"] + pv_c2g["stages"]["production"]
    assert made == pytest.approx(gate["total_kg_co2e"], rel=1e-9)


def test_pv_c2g_distribution_use_and_end_of_life_by_hand(pv_c2g):
    """Module mass M = 1.6 m2 x 13.19994486 kg/m2 = 21.11991 kg.
    Distribution: M / 1000 t x 10,600 nmi x 1.852 km/nmi x container ship [kg CO2e/tkm].
    End of life (cut-off): M x take-back and recycling + 10 % of 14.1 kg glass landfilled
    + M x 0.1469 kg plastics incinerated (collection only) + M x 0.025652 kg landfilled;
    recycled aluminium, copper and 90 % of the glass carry nothing. Use: nothing."""
    m = 1.6 * 13.19994486
    landfill = open_default_factor("eol_plastics_landfill_defra")
    distribution = m / 1000 * 10600 * 1.852 * open_default_factor("transport_container_ship_wtw")
    eol = (m * open_default_factor("eol_pv_module_recycling_derived") + 0.1 * 1.6 * 8.8125 * landfill
           + m * 0.1469 * open_default_factor("eol_plastics_incineration_defra") + m * 0.025652 * landfill)
    stages = pv_c2g["stages"]
    assert stages["distribution"] == pytest.approx(distribution, rel=1e-6)
    assert stages["end_of_life"] == pytest.approx(eol, rel=1e-6)
    assert stages["use"] == 0
    materials = {e["material"]: e for e in pv_c2g["end_of_life"]}
    assert materials["aluminium frame"]["terms"] == [] and materials["aluminium frame"]["parameters"]["R2"] == 1.0
    assert materials["solar glass"]["mass_kg"] == pytest.approx(14.1)
    assert {e["approach"] for e in pv_c2g["end_of_life"]} == {"cut_off"}


def test_pv_c2g_report_states_lifetime_and_recycled_materials(open_default, pv_c2g, tmp_path):
    from pcf.declaration import Declaration
    from pcf.render import render_report

    text = subprocess.run(["pdftotext", str(render_report(Declaration.from_json(pv_c2g), tmp_path)), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "30 year" in text and "aluminium frame" in text and "R2 = 0.9" in text
    assert "No term counted: every factor is zero" in text  # aluminium and copper, R2 = 1 under cut-off
