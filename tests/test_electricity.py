"""Electricity with its source (issue 4.3): model statements, the result's electricity section,
the PCR's electricity modes, validation errors and the report table.

Hand-worked numbers (test-bg ``elec`` per kWh: 0.5 kg CO2 fossil + 0.001 kg CH4 fossil +
0.0001 kg N2O; IPCC AR6 GWP100, checked against the installed method below: CH4 fossil 29.8,
N2O 273, IPCC AR6 WG1 Table 7.15):

    elec = 0.5 + 0.001 * 29.8 + 0.0001 * 273 = 0.5 + 0.0298 + 0.0273 = 0.5571 kg CO2e / kWh

Mini pack (``PACK`` below), per item:

    pack:     10 kWh elec                 = 10 * 0.5571  = 5.571
    cells:    1 kg steel (2.0 kg CO2/kg)  = 2.0
    shipping: 0.1 tkm air (1.0 /tkm)      = 0.1
    eol:      0.01 kg steel               = 0.02
    total                                 = 7.691 kg CO2e; electricity share 5.571 / 7.691
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.api import compute
from pcf.declaration import build_declaration
from pcf.core.errors import ModelError, PCFError, PCRError
from pcf.lca import footprint
from pcf.model import load_model
from pcf.pcr import RULES_DIR, load_pcr
from tests.builders import assessed
from pcf.render import render_report
from tests.conftest import REPO
from tests.pcr_util import DECLARATION_YAML
from builders import document

ELEC = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # 0.5571 kg CO2e / kWh
PACK_TOTAL = 10 * ELEC + 2.0 + 0.1 + 0.02  # 7.691 kg CO2e / item

PACK = """\
format: pcf-model/1
product:
  id: MINI-PACK
  name: Mini battery pack
  process: pack
  reference_flow: {amount: 1, unit: item}
  declared_unit: {unit: kWh, description: lifetime energy, per_reference_flow: capacity_kwh * cycles_per_year * service_life_years}
study: {boundary: cradle-to-grave, pcr: eu-battery-cfb-ev, method: ef-3.1-climate-change, background: test-bg}
parameters: {capacity_kwh: 1, cycles_per_year: 60, service_life_years: 8}
processes:
  - id: pack
    name: Pack assembly
    stage: production
    location: CN-east
    data: primary
    output: {amount: 1, unit: item}
    inputs:
      - {process: cells, amount: 1, unit: kg}
      - {process: shipping, amount: 1, unit: item}
      - {process: eol, amount: 1, unit: item}
      - background: elec
        amount: 10
        unit: kWh
        electricity: ELEC
  - id: cells
    name: Cell materials
    stage: raw_material_acquisition
    location: CN
    output: {amount: 1, unit: kg}
    inputs:
      - {background: steel, amount: 1, unit: kg}
  - id: shipping
    name: Shipping
    stage: distribution
    output: {amount: 1, unit: item}
    inputs:
      - {background: air, amount: 0.1, unit: tkm}
  - id: eol
    name: Collection
    stage: end_of_life
    output: {amount: 1, unit: item}
    inputs:
      - {background: steel, amount: 0.01, unit: kg}
""" + DECLARATION_YAML
ELEC_LINE = PACK.splitlines().index("      - background: elec") + 1  # 1-based line of the input

EVIDENCE = "{ids: [PPA-2024-017], issuer: Inner Mongolia power exchange, period: '2024', volume_mwh: 1200, retired: true}"
WIND = "{name: Wind farm A, technology: wind onshore, location: CN-NM}"
CASES = {
    "grid_cn": "{source: grid, region: CN, year: 2023}",
    "grid_east": "{source: grid, region: CN-east, year: 2023}",
    "grid_de": "{source: grid, region: DE, year: 2023}",
    "direct": "{source: direct, generator: {name: roof PV of plant 2, technology: solar PV rooftop, capacity: 2 MWp}, "
              "connection: 'on-site, behind the meter'}",
    "ppa": f"{{source: contractual, instrument: ppa, generator: {WIND}, evidence: {EVIDENCE}}}",
    "ppa_bare": "{source: contractual, instrument: ppa}",
    "go": f"{{source: contractual, instrument: guarantee_of_origin, generator: {WIND}, evidence: {EVIDENCE}}}",
}
NC, OBS = "nonconformity", "observation"
# electricity findings (rule, severity) per case and mode; the PV rule accepts the grid at any
# level and says nothing on direct and contractual supply (observations)
EXPECTED = {
    "grid_cn": {"national_mix": set(), "jrc_hierarchy": set(), "direct_line": set(), "pv": set()},
    "grid_east": {m: {("electricity-grid-level", NC)} for m in ("national_mix", "jrc_hierarchy", "direct_line")}
                 | {"pv": set()},
    "grid_de": {m: {("electricity-grid-country", NC)} for m in ("national_mix", "jrc_hierarchy", "direct_line")}
               | {"pv": set()},
    "direct": {"national_mix": {("electricity-source", NC)}, "jrc_hierarchy": set(), "direct_line": set(),
               "pv": {("electricity-source", OBS)}},
    "ppa": {"national_mix": {("electricity-source", NC)}, "jrc_hierarchy": set(),
            "direct_line": {("electricity-source", NC)}, "pv": {("electricity-source", OBS)}},
    "ppa_bare": {"national_mix": {("electricity-source", NC)}, "jrc_hierarchy": {("electricity-evidence", NC)},
                 "direct_line": {("electricity-source", NC)},
                 "pv": {("electricity-source", OBS), ("electricity-evidence", NC)}},
    "go": {"national_mix": {("electricity-source", NC)}, "jrc_hierarchy": {("electricity-instrument", OBS)},
           "direct_line": {("electricity-source", NC)}, "pv": {("electricity-source", OBS)}},
}


def pack_text(statement: str) -> str:
    return PACK.replace("electricity: ELEC", f"electricity: {statement}")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("elec-models")
    paths = {}
    for name, statement in CASES.items():
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_text(pack_text(statement), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def footprints(bd, models):
    """The footprint result of each case's pack model."""
    return {name: footprint(load_model(path)) for name, path in models.items()}


@pytest.fixture(scope="module")
def results(footprints):
    """The ``pcf-result/1`` document of each case (no PCR)."""
    return {name: document(result) for name, result in footprints.items()}


def elec_findings(assessment: dict) -> set[tuple[str, str]]:
    return {(f["rule"], f["severity"]) for f in assessment["findings"] if f["rule"].startswith("electricity")}


# --------------------------------------------------------------------------- numbers


def test_method_factors_of_the_elec_flows(bd):
    """The AR6 characterisation factors of the flows test-bg ``elec`` emits are the ones used in
    the hand arithmetic (CH4 fossil 29.8, N2O 273, CO2 1; IPCC AR6 WG1 Table 7.15)."""
    from pcf.background import database_name, method_spec

    elec = bd.get_node(database=database_name("test-bg"), code="elec")
    emitted = {exc.input["name"]: exc["amount"] for exc in elec.biosphere()}
    wanted = {exc.input.id: exc.input["name"] for exc in elec.biosphere()}
    cfs = {}
    for flow, cf in bd.Method(method_spec("ipcc-2021-gwp100").name).load():
        node = bd.get_node(id=flow) if isinstance(flow, int) else bd.get_node(database=flow[0], code=flow[1])
        if node.id in wanted:
            cfs[wanted[node.id]] = cf
    assert emitted == {"Carbon dioxide, fossil": pytest.approx(0.5), "Methane, fossil": pytest.approx(0.001),
                       "Dinitrogen monoxide": pytest.approx(0.0001)}
    assert cfs["Methane, fossil"] == pytest.approx(29.8) and cfs["Dinitrogen monoxide"] == pytest.approx(273)
    assert cfs["Carbon dioxide, fossil"] == pytest.approx(1.0)
    assert sum(a * cfs[n] for n, a in emitted.items()) == pytest.approx(ELEC) == pytest.approx(0.5571)


def test_grid_input_is_reported_with_its_source(results):
    r = results["grid_cn"]
    assert r["total_kg_co2e"] == pytest.approx(PACK_TOTAL, rel=1e-6)
    [e] = r["electricity"]
    assert e["process"] == "pack" and e["stage"] == "production" and e["process_location"] == "CN-east"
    assert (e["source"], e["region"], e["year"], e["stated"]) == ("grid", "CN", 2023, True)
    assert e["kwh"] == pytest.approx(10.0)
    assert e["kg_co2e_per_kwh"] == pytest.approx(0.5571, rel=1e-6)
    assert e["kg_co2e"] == pytest.approx(5.571, rel=1e-6)
    assert e["share"] == pytest.approx(5.571 / 7.691, rel=1e-6)
    assert e["activity"]["key"] == "elec" and e["activity"]["location"] == "CN" and e["activity"]["year"] == 2023
    assert e["line"] == ELEC_LINE
    # the same kg CO2e is inside contributions
    [c] = [c for c in r["contributions"] if c.get("background") == "elec"]
    assert c["kg_co2e"] == pytest.approx(e["kg_co2e"], rel=1e-9)
    s = r["electricity_summary"]
    assert s["total_kwh"] == pytest.approx(10.0) and s["kg_co2e"] == pytest.approx(5.571, rel=1e-6)
    assert s["kg_co2e_per_kwh"] == pytest.approx(0.5571, rel=1e-6) and s["not_stated"] == 0
    assert s["by_source"]["grid"]["kwh"] == pytest.approx(10.0) and s["by_source"]["contractual"]["kwh"] == 0


def test_direct_and_contractual_statements_are_carried(results):
    [d] = results["direct"]["electricity"]
    assert d["source"] == "direct" and d["region"] is None and d["instrument"] is None
    assert d["generator"] == {"name": "roof PV of plant 2", "technology": "solar PV rooftop", "capacity": "2 MWp"}
    assert d["connection"] == "on-site, behind the meter"
    [p] = results["ppa"]["electricity"]
    assert p["source"] == "contractual" and p["instrument"] == "ppa"
    assert p["evidence"] == {"ids": ["PPA-2024-017"], "issuer": "Inner Mongolia power exchange", "period": "2024",
                             "volume_mwh": 1200.0, "retired": True}
    # the model's number: the factor of the linked activity, whatever the source says
    assert p["kg_co2e"] == pytest.approx(5.571, rel=1e-6)
    assert results["ppa"]["electricity_summary"]["by_source"]["contractual"]["kg_co2e"] == pytest.approx(5.571, rel=1e-6)


@pytest.mark.parametrize("amount, unit", [(0.01, "MWh"), (36, "MJ"), (0.036, "GJ")])
def test_energy_units_convert_to_kwh(bd, write_model, amount, unit):
    """0.01 MWh = 36 MJ = 0.036 GJ = 10 kWh (1 kWh = 3.6 MJ)."""
    text = pack_text(CASES["grid_cn"]).replace("amount: 10\n        unit: kWh", f"amount: {amount}\n        unit: {unit}")
    [e] = document(footprint(load_model(write_model(text))))["electricity"]
    assert e["kwh"] == pytest.approx(10.0, rel=1e-9)
    assert e["kg_co2e"] == pytest.approx(5.571, rel=1e-6)


ALLOCATED = """\
format: pcf-model/1
product: {id: ALLOC, name: Allocated, process: p, reference_flow: {amount: 2, unit: kg}}
study: {background: test-bg}
processes:
  - id: p
    name: Two products
    stage: production
    location: CN
    output: {amount: 1, unit: kg}
    coproducts:
      - {name: by-product, amount: 3, unit: kg}
    allocation: {method: mass, justification: test}
    inputs:
      - {background: elec, amount: 10, unit: kWh, electricity: {source: grid, region: CN, year: 2023}}
"""


def test_runs_and_allocation_scale_the_electricity(bd, write_model):
    """Mass allocation 1 / (1 + 3) = 0.25 to the main product; 2 kg reference flow = 2 runs:
    10 kWh x 2 x 0.25 = 5 kWh -> 5 x 0.5571 = 2.7855 kg CO2e, the whole footprint."""
    r = document(footprint(load_model(write_model(ALLOCATED))))
    [e] = r["electricity"]
    assert e["kwh"] == pytest.approx(5.0)
    assert e["kg_co2e"] == pytest.approx(2.7855, rel=1e-6) == pytest.approx(r["total_kg_co2e"], rel=1e-6)
    assert e["share"] == pytest.approx(1.0, rel=1e-6)


def test_unstated_grid_input_is_taken_from_the_activity(open_default, write_model):
    """electricity_cn_east_2023 (MEE/NBS, CO2 only, 0.55 kg CO2/kWh) without a statement: listed
    as grid CN-east 2023, not stated; 10 kWh -> 5.5 kg CO2e. A steel input is not electricity."""
    text = (PACK.replace("background: test-bg", "background: open-default")
            .replace("      - background: elec\n        amount: 10\n        unit: kWh\n        electricity: ELEC\n",
                     "      - {background: electricity_cn_east_2023, amount: 10, unit: kWh}\n")
            .replace("{background: steel, amount: 1, unit: kg}", "{background: steel_world_avg_ice, amount: 1, unit: kg}")
            .replace("{background: steel, amount: 0.01, unit: kg}", "{background: steel_world_avg_ice, amount: 0.01, unit: kg}")
            .replace("{background: air, amount: 0.1, unit: tkm}", "{background: transport_lorry_wtw, amount: 0.1, unit: tkm}"))
    result = footprint(load_model(write_model(text)))
    r = document(result)
    [e] = r["electricity"]
    assert (e["source"], e["stated"], e["region"], e["year"]) == ("grid", False, "CN-east", 2023)
    assert e["kg_co2e"] == pytest.approx(5.5, rel=1e-6) and e["kg_co2e_per_kwh"] == pytest.approx(0.55, rel=1e-6)
    assert r["electricity_summary"]["not_stated"] == 1
    a = assessed(result, load_pcr("eu-battery-cfb-ev"))
    assert ("electricity-not-stated", OBS) in elec_findings(a)
    assert ("electricity-grid-level", NC) in elec_findings(a)  # a regional grid where the mode asks for national
    assert a["electricity"]["mode"] == "national_mix" and a["electricity"]["selected_by"] == "pcr default"


def test_on_site_pv_uses_the_generator_row(open_default, write_model):
    """100 kWh from the roof PV, linked to electricity_pv_rooftop_ipcc_ar5 (IPCC AR5 WG3 Annex III
    median 41 g CO2eq/kWh): 100 x 0.041 = 4.1 kg CO2e; accepted as direct supply by jrc_hierarchy
    and direct_line, a nonconformity under national_mix."""
    text = f"""\
format: pcf-model/1
product: {{id: ROOF, name: Roof PV user, process: p, reference_flow: {{amount: 1, unit: item}}}}
processes:
  - id: p
    name: Plant
    stage: production
    location: CN
    output: {{amount: 1, unit: item}}
    inputs:
      - {{background: electricity_pv_rooftop_ipcc_ar5, amount: 100, unit: kWh, electricity: {CASES["direct"]}}}
"""
    result = footprint(load_model(write_model(text)))
    r = document(result)
    [e] = r["electricity"]
    assert e["kg_co2e"] == pytest.approx(4.1, rel=1e-6) and e["kg_co2e_per_kwh"] == pytest.approx(0.041, rel=1e-6)
    assert r["electricity_summary"]["by_source"]["direct"]["kwh"] == pytest.approx(100.0)
    pcr = load_pcr("eu-battery-cfb-ev")
    assert (elec_findings(assessed(result, pcr, "jrc_hierarchy")) == set()
            == elec_findings(assessed(result, pcr, "direct_line")))
    assert elec_findings(assessed(result, pcr)) == {("electricity-source", NC)}


# --------------------------------------------------------------------------- PCR modes


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["national_mix", "jrc_hierarchy", "direct_line", "pv"])
def test_pcr_mode_verdicts(footprints, case, mode):
    if mode == "pv":
        a = assessed(footprints[case], load_pcr("pv-module"))
        assert a["electricity"]["mode"] == "grid"
    else:
        a = assessed(footprints[case], load_pcr("eu-battery-cfb-ev"), mode)
        assert a["electricity"]["mode"] == mode and a["electricity"]["selected_by"] == "requested"
    assert elec_findings(a) == EXPECTED[case][mode]


def test_mini_pack_conforms_only_where_the_mode_accepts_its_electricity(footprints):
    """Everything else in the mini pack conforms to eu-battery-cfb-ev (its declaration items
    and primary plant data are stated), so the verdict is the electricity's: a grid CN pack conforms under the default mode, a PPA pack does not, and a
    PPA with its evidence conforms under jrc_hierarchy."""
    pcr = load_pcr("eu-battery-cfb-ev")
    assert assessed(footprints["grid_cn"], pcr)["conforms"] is True
    ppa = assessed(footprints["ppa"], pcr)
    assert ppa["conforms"] is False
    [f] = [f for f in ppa["findings"] if f["rule"] == "electricity-source"]
    assert "model the plant's electricity with the national mix of CN" in f["fix"]
    assert f"model line {ELEC_LINE}" in f["message"] and "Ares(2024)3131389" in f["clause"]
    assert assessed(footprints["ppa"], pcr, "jrc_hierarchy")["conforms"] is True
    [ev] = [f for f in assessed(footprints["ppa_bare"], pcr, "jrc_hierarchy")["findings"] if f["rule"] == "electricity-evidence"]
    assert "ISO 14067:2018 6.4.9.4" in ev["clause"]
    for part in ("evidence.ids", "evidence.issuer", "evidence.period", "evidence.volume_mwh", "evidence.retired",
                 "generator"):
        assert part in ev["message"], part


def test_unknown_mode_is_a_nonconformity_and_the_api_refuses_it(footprints, models):
    a = assessed(footprints["grid_cn"], load_pcr("eu-battery-cfb-ev"), "greenest")
    assert ("electricity-mode", NC) in elec_findings(a) and a["conforms"] is False
    with pytest.raises(PCFError, match="national_mix, jrc_hierarchy, direct_line"):
        compute(models["grid_cn"], electricity_mode="greenest")
    with pytest.raises(PCFError, match="no electricity rules"):
        compute(models["grid_cn"], pcr_id=str(_pcr_without_electricity(models["grid_cn"].parent)),
                electricity_mode="national_mix")


def _pcr_without_electricity(folder: Path) -> Path:
    text = (RULES_DIR / "eu-battery-cfb-ev.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\nelectricity:\n") + 1]
    path = folder / "no-elec" / "eu-battery-cfb-ev.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(head, encoding="utf-8")
    return path


def test_grid_year_older_than_the_pcr_allows(footprints, tmp_path):
    """max_age_years 1: a 2023 factor in a result computed in 2026 is 3 years old."""
    path, _ = write_variant(tmp_path, "  default_mode: national_mix\n",
                            "  default_mode: national_mix\n  max_age_years: 1\n  age_clause: test clause 9.9\n")
    result = dataclasses.replace(footprints["grid_cn"], created_at="2026-03-01T00:00:00+00:00")
    [f] = [f for f in assessed(result, load_pcr(path))["findings"] if f["rule"] == "electricity-year"]
    assert f["severity"] == NC and f["clause"] == "test clause 9.9" and "2023" in f["message"]
    assert "2025 or later" in f["fix"]
    ok = dataclasses.replace(footprints["grid_cn"], created_at="2024-03-01T00:00:00+00:00")
    assert not [f for f in assessed(ok, load_pcr(path))["findings"] if f["rule"] == "electricity-year"]


def test_cli_check_takes_the_electricity_mode(results, models):
    runner = CliRunner()
    def flat(output: str) -> str:  # rich wraps lines at the terminal width
        return re.sub(r"\s+", " ", output)

    default = runner.invoke(cli.app, ["check", str(models["ppa"])])
    assert default.exit_code == 1, default.output
    assert "electricity-source" in default.output and "electricity mode national_mix" in flat(default.output)
    jrc = runner.invoke(cli.app, ["check", str(models["ppa"]), "--electricity-mode", "jrc_hierarchy"])
    assert jrc.exit_code == 0, jrc.output
    assert "electricity mode jrc_hierarchy" in flat(jrc.output)
    # 10 kWh x 0.5571 = 5.571 kg CO2e, 5.571 / 7.691 = 72.4 % of the pack
    assert "Electricity: 10.00 kWh, 5.571 kg CO2e (72.4 %, 0.5571 kg CO2e/kWh); contractual 10.00 kWh" in flat(jrc.output)
    bad = runner.invoke(cli.app, ["check", str(models["ppa"]), "--electricity-mode", "greenest"])
    assert bad.exit_code == 2 and "greenest" in bad.output


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("statement, unit, message", [
    ("{source: grid, region: CN}", "kWh", "a grid source needs year: add year: 2023"),
    ("{source: grid, year: 2023}", "kWh", "a grid source needs region"),
    ("{source: grid, region: CN, year: 2023, instrument: ppa}", "kWh", "instrument does not go with source 'grid'"),
    ("{source: direct, generator: {name: roof PV, technology: PV}}", "kWh", "a direct source needs connection"),
    ("{source: direct, connection: on-site}", "kWh", "a direct source needs generator"),
    ("{source: contractual, evidence: {ids: [X1]}}", "kWh", "a contractual source needs instrument"),
    ("{source: contractual, instrument: carbon_offset}", "kWh", "instrument"),
    ("{source: contractual, instrument: ppa, region: CN}", "kWh", "region does not go with source 'contractual'"),
    ("{source: contractual, instrument: ppa, evidence: {volume_mwh: -5}}", "kWh", "greater than 0"),
    ("{source: contractual, instrument: ppa, evidence: {serial: 7}}", "kWh", "unknown field"),
    ("{source: grid, region: CN, year: 1850}", "kWh", "greater than or equal to 1990"),
    ("{source: nuclear_plant}", "kWh", "source"),
    ("{source: grid, region: CN, year: 2023}", "kg", "give its unit as kWh, MWh, MJ or GJ, not 'kg' (mass)"),
    ("{source: grid, region: CN, year: 2023}", "tkm", "give its unit as kWh, MWh, MJ or GJ"),
])
def test_invalid_statements_point_at_the_line(bd, write_model, statement, unit, message):
    text = pack_text(statement).replace("amount: 10\n        unit: kWh", f"amount: 10\n        unit: {unit}")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert message in str(info.value)
    # the error names the electricity statement's line, or the unit's line for a wrong unit
    expected = ELEC_LINE + (2 if unit != "kWh" else 3)
    assert str(info.value).startswith(f"{path}:{expected}: "), str(info.value)


def test_electricity_on_an_avoided_product_is_refused(bd, write_model):
    text = ALLOCATED.replace("{method: mass, justification: test}", "{method: system_expansion, justification: test}").replace(
        "{name: by-product, amount: 3, unit: kg}",
        "{name: by-product, amount: 3, unit: kg, avoided: {background: elec, amount: 1, unit: kWh, "
        "electricity: {source: grid, region: CN, year: 2023}}}")
    path = write_model(text)
    with pytest.raises(ModelError, match=rf"^{path}:11: electricity: goes on a process's inputs only"):
        load_model(path)


# --------------------------------------------------------------------------- PCR file errors


def write_variant(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """Copy the battery rule to tmp_path with ``old`` replaced by ``new`` (once); the path and
    the 1-based line where the replacement starts."""
    text = (RULES_DIR / "eu-battery-cfb-ev.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture text {old!r} must occur once"
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "eu-battery-cfb-ev.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, line


@pytest.mark.parametrize("old, new, offset, message", [
    ("  default_mode: national_mix\n", "  default_mode: cheapest\n", 0,
     "default_mode 'cheapest' is not one of the modes (national_mix, jrc_hierarchy, direct_line)"),
    ("      sources: {grid: accepted, direct: not_accepted, contractual: not_accepted}\n",
     "      sources: {grid: accepted, direct: maybe, contractual: not_accepted}\n", 0, "'maybe' is not allowed"),
    ("      sources: {grid: accepted, direct: accepted, contractual: not_accepted}\n",
     "      sources: {grid: accepted, direct: accepted, contractual: not_accepted}\n      instruments: {ppa: accepted}\n",
     1, "instruments and evidence go with sources.contractual accepted or unknown"),
    ("      evidence_clause: >-\n", "      evidence_clauses: >-\n", 0, "unknown key 'evidence_clauses'"),
    ("    - id: direct_line\n", "    - id: national_mix\n", 0, "mode 'national_mix' is listed twice"),
    ("        guarantee_of_origin: unknown\n", "        guarantee_of_origin: unknown\n        carbon_credit: accepted\n",
     1, "carbon_credit"),
    ("      grid_level: national\n      same_country: true\n      instruments:\n",
     "      grid_level: regional\n      same_country: true\n      instruments:\n", 0, "'regional' is not allowed"),
])
def test_wrong_electricity_section_is_refused_with_file_and_line(tmp_path, old, new, offset, message):
    path, line = write_variant(tmp_path, old, new)
    with pytest.raises(PCRError) as info:
        load_pcr(path)
    assert str(info.value).startswith(f"{path}:{line + offset}: "), str(info.value)
    assert message in str(info.value)


def test_evidence_needs_its_clause(tmp_path):
    text = (RULES_DIR / "pv-module.yaml").read_text(encoding="utf-8")
    start = text.index("      evidence_clause: >-\n")
    end = text.index("      clause: >-\n", start)
    path = tmp_path / "pv-module.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    line = text[:text.index("      evidence: [ids")].count("\n") + 1
    with pytest.raises(PCRError, match=rf"^{path}:{line}: electricity.modes\[0\].evidence: .*evidence_clause"):
        load_pcr(path)


# --------------------------------------------------------------------------- examples and report


@pytest.mark.parametrize("example, pcr, regions", [
    ("battery/nmc811-pack.yaml", "eu-battery-cfb-ev", {"CN"}),
    ("battery/lfp-pack.yaml", "eu-battery-cfb-ev", {"CN"}),
    ("battery/nmc622-pack.yaml", "eu-battery-cfb-ev", {"CN"}),
    ("pv/mono-si-module-cn.yaml", "pv-module", {"CN", "CN-east"}),
])
def test_examples_state_their_electricity_and_it_conforms(open_default, example, pcr, regions):
    """Every example's electricity is accepted by its PCR's default mode (whether the example
    conforms as a whole is tested in test_examples)."""
    r = compute(REPO / "examples" / example).to_json()
    assert r["electricity"], "no electricity input"
    for e in r["electricity"]:
        assert e["stated"] and e["source"] == "grid", e["process"]
        assert e["region"] in regions and e["year"] == 2023, e["process"]
        assert e["activity"]["location"] == e["region"], e["process"]  # the statement matches the linked grid
    assert r["assessment"]["pcr"]["id"] == pcr and r["assessment"]["electricity"]["selected_by"] == "pcr default"
    assert not [f for f in r["assessment"]["findings"] if f["rule"].startswith("electricity")]
    s = r["electricity_summary"]
    assert s["kg_co2e"] == pytest.approx(sum(e["kg_co2e"] for e in r["electricity"]), rel=1e-12)


def test_report_shows_the_electricity_table(footprints, tmp_path):
    pdf = render_report(build_declaration(footprints["ppa"], load_pcr("eu-battery-cfb-ev"), "jrc_hierarchy"), tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "2.3 电力 Electricity" in flat
    for expected in ("合同工具 contractual", "PPA 购电协议", "Wind farm A", "PPA-2024-017",
                     "1,200 MWh", "注销 retired", "0.557", "5.57", "72.4 %",
                     "Electricity mode", "jrc_hierarchy"):
        assert expected in flat, expected
    # after 2.2 and before section 3 (the table of contents names section 3 earlier on the page)
    assert flat.index("2.2 分类报告") < flat.index("2.3 电力 Electricity") < flat.rindex("贡献分析 Contributions")
