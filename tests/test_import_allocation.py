"""`pcf db import`: physical allocation of multi-output datasets, greenhouse gases linked by CAS
number or designation, trimmed names — on small openLCA JSON-LD and EcoSpold1 files written here.

Every expected number is worked out by hand in the fixture's docstring (GWP100 values: IPCC
AR6 WG1 Chapter 7, Table 7.SM.7: HFC-134a 1530, CH3Cl (R-40) 5.54, CO2 1, HFC-245fa 962,
HFC-143 364 — the last two on pcf's supplement flows, pcf/background/supplement.py).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.background.methods import METHODS
from pcf.core.errors import ImportFailed
from pcf.importers import import_database
from tests.conftest import flat

runner = CliRunner()

MASS_G, VOLUME_G, ENERGY_G = "ug-mass", "ug-volume", "ug-energy"
MASS, VOLUME, ENERGY = "fp-mass", "fp-volume", "fp-energy"
UNITS = {"kg": ("u-kg", MASS_G), "l": ("u-l", VOLUME_G), "m3": ("u-m3", VOLUME_G), "MJ": ("u-mj", ENERGY_G),
         "kWh": ("u-kwh", ENERGY_G)}
PROPERTY = {MASS_G: MASS, VOLUME_G: VOLUME, ENERGY_G: ENERGY}


def unit_groups() -> dict[str, dict]:
    def group(gid, name, units):
        return {"@type": "UnitGroup", "@id": gid, "name": name,
                "units": [{"@type": "Unit", "@id": uid, "name": n, "conversionFactor": f, **({"referenceUnit": True} if f == 1 else {})}
                          for uid, n, f in units]}
    return {MASS_G: group(MASS_G, "Units of mass", [("u-kg", "kg", 1.0)]),
            VOLUME_G: group(VOLUME_G, "Units of volume", [("u-m3", "m3", 1.0), ("u-l", "l", 0.001)]),
            ENERGY_G: group(ENERGY_G, "Units of energy", [("u-mj", "MJ", 1.0), ("u-kwh", "kWh", 3.6)])}


def flow(fid: str, name: str, ref: str, kind: str = "PRODUCT_FLOW", extra: dict | None = None,
         category: str | None = None, cas: str | None = None) -> dict:
    """A flow whose reference property is ``ref`` (a property id); ``extra``: property -> conversion
    factor (units of that property per unit of the reference property)."""
    props = [{"@type": "FlowPropertyFactor", "referenceFlowProperty": True, "conversionFactor": 1.0,
              "flowProperty": {"@type": "FlowProperty", "@id": ref}}]
    props += [{"@type": "FlowPropertyFactor", "conversionFactor": f, "flowProperty": {"@type": "FlowProperty", "@id": p}}
              for p, f in (extra or {}).items()]
    out = {"@type": "Flow", "@id": fid, "name": name, "flowType": kind, "flowProperties": props}
    if category:
        out["category"] = {"@type": "Category", "@id": category}
    if cas:
        out["cas"] = cas
    return out


def exchange(flows: dict, fid: str, amount: float, unit: str, is_input: bool = False, ref: bool = False,
             description: str | None = None, **extra) -> dict:
    uid, group = UNITS[unit]
    out = {"@type": "Exchange", "input": is_input, "amount": amount,
           "flow": {"@type": "Flow", "@id": fid, "name": flows[fid]["name"], "flowType": flows[fid]["flowType"]},
           "unit": {"@type": "Unit", "@id": uid, "name": unit},
           "flowProperty": {"@type": "FlowProperty", "@id": PROPERTY[group]}}
    if ref:
        out["quantitativeReference"] = True
    if description:
        out["description"] = description
    out.update(extra)
    return out


def process(pid: str, name: str, exchanges: list) -> dict:
    return {"@type": "Process", "@id": pid, "name": name, "processType": "UNIT_PROCESS",
            "location": {"@type": "Location", "@id": "loc-us", "name": "US"}, "exchanges": exchanges}


def write_zip(path: Path, records: dict[str, list[dict]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for folder, items in records.items():
            for item in items:
                z.writestr(f"db/{folder}/{item['@id']}.json", json.dumps(item))
    return path


def olca_zip(tmp_path: Path, economic: bool = False) -> Path:
    """An openLCA (olca-schema 1) export, built like US LCI FY17's.

    - ``crude oil extraction``: 1 kg crude oil, emits 0.1 kg CO2.
    - ``Refinery`` (no allocation factors): 2 kg crude in, 1.0 kg CO2 out; products fuel A
      2 l (its flow has a mass property: 800 kg per m3, so 1.6 kg; quantitative reference) and
      fuel B 0.4 kg. Mass shares 1.6 / 2.0 = 0.8 and 0.4 / 2.0 = 0.2 of the burden
      0.2 + 1.0 = 1.2 kg CO2: fuel A 0.96 / 2 l = 0.48 kg CO2 per l = 480 per m3; fuel B
      0.24 / 0.4 = 0.6 per kg. (Economic, with costValue 3 and 1: 0.75 / 0.25.) Its 0.5 kg
      refinery sludge is a waste output (to treatment), not a co-product: no share.
    - ``Splitter``: emits 2 kg CO2; products "total" 1 kg (the sum of the others: not a
      co-product), oil X 1 l with no mass property but "Mass (0.6 kg/kg output) used for
      allocation", oil Y 0.4 kg. X: 0.6 of 2 = 1.2 kg CO2 per l; Y: 0.8 / 0.4 = 2.0 per kg;
      the total: the unallocated 2.0 per kg.
    - ``Resin plant``: 1 kg resin (reference) and 3 MJ recovered energy (energy only), emits
      1 kg CO2. No mass for the energy: not allocated, resin keeps 1.0 kg CO2 per kg.
    - ``CHP``: 1 kWh electricity (3.6 MJ) and 6.4 MJ heat, emits 1 kg CO2: energy shares
      0.36 / 0.64 (0.36 kg CO2 per kWh); no mass for either: not allocated by mass.
    - ``Widget, at plant `` (trailing space): 1 l fuel A, emits 0.01 kg HFC-134a (no such name
      in biosphere3; CAS 811-97-2), 0.1 kg "Methane, monochloro, R-40" (no CAS; designation
      R-40), 0.02 kg "HFCs and HCFCs, unspecified" (a mixture: no GWP) and 0.005 kg HFC-245fa
      (CAS 460-73-1, on pcf's supplement flow). Mass allocation: 0.48 + 0.01 * 1530 + 0.1 * 5.54
      + 0.005 * 962 = 0.48 + 15.3 + 0.554 + 4.81 = 21.144 kg CO2e.
    """
    air = [{"@type": "Category", "@id": "c-ef", "name": "Elementary flows"},
           {"@type": "Category", "@id": "c-air", "name": "Emission to air", "category": {"@id": "c-ef"}}]
    flows = {f["@id"]: f for f in [
        flow("f-crude", "Crude oil", MASS), flow("f-a", "Fuel A", VOLUME, extra={MASS: 800.0}),
        flow("f-b", "Fuel B", MASS), flow("f-total", "Refined total", MASS), flow("f-x", "Oil X", VOLUME),
        flow("f-y", "Oil Y", MASS), flow("f-resin", "Resin", MASS), flow("f-rec", "Recovered energy", ENERGY),
        flow("f-el", "Electricity, CHP", ENERGY), flow("f-heat", "Heat, CHP", ENERGY),
        flow("f-widget", "Widget, at plant ", MASS), flow("f-sludge", "Refinery sludge", MASS, "WASTE_FLOW"),
        flow("f-co2", "Carbon dioxide, fossil", MASS, "ELEMENTARY_FLOW", category="c-air"),
        flow("f-134a", "HFC-134a", MASS, "ELEMENTARY_FLOW", category="c-air", cas="811-97-2"),
        flow("f-r40", "Methane, monochloro, R-40", MASS, "ELEMENTARY_FLOW", category="c-air"),
        flow("f-mix", "HFCs and HCFCs, unspecified", MASS, "ELEMENTARY_FLOW", category="c-air"),
        flow("f-245", "1,1,1,3,3-Pentafluoropropane, HFC-245fa", MASS, "ELEMENTARY_FLOW", category="c-air", cas="460-73-1"),
    ]}
    ex = lambda *a, **k: exchange(flows, *a, **k)  # noqa: E731
    cost_a = {"costValue": 3.0} if economic else {}
    cost_b = {"costValue": 1.0} if economic else {}
    processes = [
        process("p-crude", "crude oil extraction", [ex("f-crude", 1.0, "kg", ref=True), ex("f-co2", 0.1, "kg")]),
        process("p-refinery", "Refinery", [ex("f-a", 2.0, "l", ref=True, **cost_a), ex("f-b", 0.4, "kg", **cost_b),
                                           ex("f-crude", 2.0, "kg", is_input=True), ex("f-co2", 1.0, "kg"),
                                           ex("f-sludge", 0.5, "kg")]),
        process("p-split", "Splitter", [
            ex("f-total", 1.0, "kg", ref=True, description="Product Output added for EcoSpold Semantic validation."),
            ex("f-x", 1.0, "l", description="Mass (0.6 kg/kg output) used for allocation. Conversion to volume used 1 L/kg."),
            ex("f-y", 0.4, "kg", description="Mass (0.4 kg/kg output) used for allocation."),
            ex("f-co2", 2.0, "kg")]),
        process("p-resin", "Resin plant", [ex("f-resin", 1.0, "kg", ref=True), ex("f-rec", 3.0, "MJ"), ex("f-co2", 1.0, "kg")]),
        process("p-chp", "CHP", [ex("f-el", 1.0, "kWh", ref=True), ex("f-heat", 6.4, "MJ"), ex("f-co2", 1.0, "kg")]),
        process("p-widget", "Widget, at plant ", [
            ex("f-widget", 1.0, "kg", ref=True), ex("f-a", 1.0, "l", is_input=True), ex("f-134a", 0.01, "kg"),
            ex("f-r40", 0.1, "kg"), ex("f-mix", 0.02, "kg"), ex("f-245", 0.005, "kg")]),
    ]
    properties = [{"@type": "FlowProperty", "@id": pid, "name": name, "unitGroup": {"@type": "UnitGroup", "@id": gid}}
                  for pid, name, gid in ((MASS, "Mass", MASS_G), (VOLUME, "Volume", VOLUME_G), (ENERGY, "Energy", ENERGY_G))]
    return write_zip(tmp_path / ("olca-economic.zip" if economic else "olca.zip"), {
        "processes": processes, "flows": list(flows.values()), "flow_properties": properties,
        "unit_groups": list(unit_groups().values()), "categories": air,
        "locations": [{"@type": "Location", "@id": "loc-us", "name": "US", "code": "US"}]})


def score(bd, database: str, name: str, product: str | None = None) -> float:
    """kg CO2e (IPCC 2021 GWP100) of one unit of the activity, straight from bw2calc."""
    import bw2calc

    acts = [a for a in bd.Database(database) if a["name"] == name and not a.get("pcf_unlinked")
            and (product is None or a.get("reference product") == product)]
    assert len(acts) == 1, [(a["name"], a.get("reference product")) for a in acts]
    lca = bw2calc.LCA({acts[0]: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    return lca.score


def entry(report, process: str) -> dict:
    return next(a for a in report.allocations if a["process"] == process)


@pytest.fixture(autouse=True)
def remove_written_databases(bd):
    """Leave the session's Brightway project as found (other tests list every database)."""
    before = set(bd.databases)
    yield
    from pcf.core.bw import quiet

    with quiet():
        for name in set(bd.databases) - before:
            del bd.databases[name]


@pytest.fixture
def olca(bd, tmp_path):
    return olca_zip(tmp_path)


def test_mass_allocation_by_hand(olca, bd):
    r = import_database(olca, "jsonld", "t-alloc-mass", replace=True)
    assert r.allocation == "mass"
    refinery = entry(r, "Refinery")
    assert refinery["method"] == "mass"
    assert refinery["factors"] == {"Fuel A": pytest.approx(0.8), "Fuel B": pytest.approx(0.2)}
    assert refinery["sources"] == {"Fuel A": "flow property", "Fuel B": "flow property"}
    sludge = next(c for c in r.coproducts_cut_off if c["flow"] == "Refinery sludge")
    assert "waste" in sludge["why"] and "waste outputs" in refinery["note"]
    assert score(bd, "t-alloc-mass", "Refinery", "Fuel A") == pytest.approx(480.0, rel=1e-6)  # per m3
    assert score(bd, "t-alloc-mass", "Refinery", "Fuel B") == pytest.approx(0.6, rel=1e-6)
    # the quantitative reference keeps the process's code (models naming it by code still work)
    assert bd.get_node(database="t-alloc-mass", code="p-refinery")["reference product"] == "Fuel A"


def test_declared_masses_and_a_total_output(olca, bd):
    r = import_database(olca, "jsonld", "t-alloc-split", replace=True)
    split = entry(r, "Splitter")
    assert split["factors"] == {"Refined total": 1.0, "Oil X": pytest.approx(0.6), "Oil Y": pytest.approx(0.4)}
    assert split["sources"]["Oil X"] == "declared" and split["sources"]["Oil Y"] == "flow property"
    assert "total of the other outputs" in split["note"]
    assert score(bd, "t-alloc-split", "Splitter", "Oil X") == pytest.approx(1200.0, rel=1e-6)  # 1.2 per l
    assert score(bd, "t-alloc-split", "Splitter", "Oil Y") == pytest.approx(2.0, rel=1e-6)
    assert score(bd, "t-alloc-split", "Splitter", "Refined total") == pytest.approx(2.0, rel=1e-6)


def test_missing_property_refuses_the_dataset(olca, bd):
    r = import_database(olca, "jsonld", "t-alloc-refuse", replace=True)
    resin = entry(r, "Resin plant")
    assert resin["method"] == "none" and resin["factors"] == {"Resin": 1.0}
    assert "no mass for: Recovered energy [megajoule]" in resin["note"]
    assert {"process": "Resin plant", "flow": "Recovered energy"}.items() <= next(
        c for c in r.coproducts_cut_off if c["flow"] == "Recovered energy").items()
    assert score(bd, "t-alloc-refuse", "Resin plant") == pytest.approx(1.0, rel=1e-6)
    assert entry(r, "CHP")["method"] == "none"


def test_energy_and_economic_and_none(olca, bd, tmp_path):
    r = import_database(olca, "jsonld", "t-alloc-energy", replace=True, allocation="energy")
    assert entry(r, "CHP")["factors"] == {"Electricity, CHP": pytest.approx(0.36), "Heat, CHP": pytest.approx(0.64)}
    assert score(bd, "t-alloc-energy", "CHP", "Electricity, CHP") == pytest.approx(0.36 / 3.6, rel=1e-6)  # per MJ
    assert entry(r, "Refinery")["method"] == "none"  # fuels carry no energy property
    assert "no energy for" in entry(r, "Refinery")["note"]

    r = import_database(olca_zip(tmp_path, economic=True), "jsonld", "t-alloc-econ", replace=True, allocation="economic")
    assert entry(r, "Refinery")["factors"] == {"Fuel A": pytest.approx(0.75), "Fuel B": pytest.approx(0.25)}
    assert score(bd, "t-alloc-econ", "Refinery", "Fuel B") == pytest.approx(0.25 * 1.2 / 0.4, rel=1e-6)

    r = import_database(olca, "jsonld", "t-alloc-none", replace=True, allocation="none")
    assert {a["method"] for a in r.allocations} == {"none"}
    assert score(bd, "t-alloc-none", "Refinery") == pytest.approx(1.2 / 0.002, rel=1e-6)  # all on fuel A
    assert not [a for a in bd.Database("t-alloc-none") if a.get("reference product") == "Fuel B"]


def test_gases_link_by_cas_and_designation(olca, bd):
    r = import_database(olca, "jsonld", "t-gases", replace=True)
    linked = {g["name"]: (g["to"], g["by"]) for g in r.linked_gases}
    assert linked["HFC-134a"] == ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", "CAS 811-97-2")
    assert linked["Methane, monochloro, R-40"] == ("Methane, monochloro-, R-40", "designation R-40")
    assert linked["1,1,1,3,3-Pentafluoropropane, HFC-245fa"] == ("Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa",
                                                                 "CAS 460-73-1")
    reasons = {f.name: f.reason for f in r.unlinked_ghg}
    assert set(reasons) == {"HFCs and HCFCs, unspecified"}
    assert "unspecified mixture" in reasons["HFCs and HCFCs, unspecified"]
    # trailing space trimmed: the activity is found by its plain name
    assert score(bd, "t-gases", "Widget, at plant") == pytest.approx(21.144, rel=1e-6)


def supplement_zip(tmp_path: Path) -> Path:
    """One process under US LCI's (FEDEFL) names of the two gases biosphere3 lacks:
    ``Foam blowing`` makes 1 kg foam and emits 1 kg 1,1,1,3,3-pentafluoropropane (HFC-245fa,
    CAS 460-73-1) and 1 kg 1,1,2-trifluoroethane (HFC-143, CAS 430-66-0; written 0000430-66-0).
    By hand with their AR6 GWP100 (Table 7.SM.7): 1 * 962 + 1 * 364 = 1326 kg CO2e per kg foam."""
    air = [{"@type": "Category", "@id": "c-ef", "name": "Elementary flows"},
           {"@type": "Category", "@id": "c-air", "name": "Emission to air", "category": {"@id": "c-ef"}}]
    flows = {f["@id"]: f for f in [
        flow("f-foam", "Foam", MASS),
        flow("f-245", "1,1,1,3,3-Pentafluoropropane", MASS, "ELEMENTARY_FLOW", category="c-air", cas="460-73-1"),
        flow("f-143", "1,1,2-Trifluoroethane", MASS, "ELEMENTARY_FLOW", category="c-air", cas="0000430-66-0"),
    ]}
    ex = lambda *a, **k: exchange(flows, *a, **k)  # noqa: E731
    processes = [process("p-foam", "Foam blowing", [ex("f-foam", 1.0, "kg", ref=True), ex("f-245", 1.0, "kg"),
                                                    ex("f-143", 1.0, "kg")])]
    properties = [{"@type": "FlowProperty", "@id": MASS, "name": "Mass", "unitGroup": {"@type": "UnitGroup", "@id": MASS_G}}]
    return write_zip(tmp_path / "supplement.zip", {
        "processes": processes, "flows": list(flows.values()), "flow_properties": properties,
        "unit_groups": [unit_groups()[MASS_G]], "categories": air,
        "locations": [{"@type": "Location", "@id": "loc-us", "name": "US", "code": "US"}]})


def test_gases_biosphere3_lacks_link_to_pcf_supplement_flows(bd, tmp_path):
    r = import_database(supplement_zip(tmp_path), "jsonld", "t-supplement", replace=True)
    linked = {g["name"]: (g["to"], g["by"]) for g in r.linked_gases}
    assert linked == {"1,1,1,3,3-Pentafluoropropane": ("Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa", "CAS 460-73-1"),
                      "1,1,2-Trifluoroethane": ("Ethane, 1,1,2-trifluoro-, HFC-143", "CAS 430-66-0")}
    assert r.unlinked_ghg == [] and r.unlinked_total == 0
    assert score(bd, "t-supplement", "Foam blowing") == pytest.approx(1.0 * 962 + 1.0 * 364, rel=1e-9)


def test_model_names_a_trimmed_activity(olca, bd, tmp_path):
    from builders import document
    from pcf.lca import footprint
    from pcf.model import load_model

    import_database(olca, "jsonld", "t-trim", replace=True)
    model = tmp_path / "trim.yaml"
    model.write_text("""\
format: pcf-model/1
product: {id: TRIM, name: Trim test, process: use, reference_flow: {amount: 1, unit: item}}
study: {background: t-trim}
processes:
  - id: use
    name: Use
    stage: production
    output: {amount: 1, unit: item}
    inputs:
      - {database: t-trim, name: "Widget, at plant", amount: 2, unit: kg}
      - {database: t-trim, name: "Refinery", reference_product: "Fuel B", amount: 1, unit: kg}
""", encoding="utf-8")
    result = document(footprint(load_model(model)))
    assert result["total_kg_co2e"] == pytest.approx(2 * 21.144 + 0.6, rel=1e-6)


def test_unknown_allocation_is_refused(olca, bd):
    with pytest.raises(ImportFailed, match="unknown allocation basis 'volume'"):
        import_database(olca, "jsonld", "t-alloc-bad", allocation="volume")
    assert "t-alloc-bad" not in bd.databases
    result = runner.invoke(cli.app, ["db", "import", str(olca), "--format", "jsonld", "--name", "t-alloc-bad",
                                     "--allocation", "volume"])
    assert result.exit_code == 2 and "unknown allocation basis" in flat(result.output)
    assert "--allocation" in result.output


def test_cli_states_the_allocation(olca, bd):
    result = runner.invoke(cli.app, ["db", "import", str(olca), "--format", "jsonld", "--name", "t-alloc-cli", "--replace"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # the console may wrap the report at its width
    assert "Refinery: mass: Fuel A 0.8000, Fuel B 0.2000" in out  # 4 significant figures (issue 20)
    assert "Resin plant: none" in out
    assert "HFCs and HCFCs, unspecified [air]" in out and "unspecified mixture" in out  # compartment shown
    assert "HFC-245fa [air]" not in out  # linked to pcf's supplement flow
    result = runner.invoke(cli.app, ["db", "import", str(olca), "--format", "jsonld", "--name", "t-alloc-cli",
                                     "--replace", "--allocation", "none", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["allocation"] == "none" and entry_of(report, "Refinery")["method"] == "none"


def entry_of(report: dict, process: str) -> dict:
    return next(a for a in report["allocations"] if a["process"] == process)


# --- EcoSpold1 written here -----------------------------------------------------------------

ES1_DATASET = """  <dataset number="{number}" generator="pcf test">
    <metaInformation>
      <processInformation>
        <referenceFunction datasetRelatesToProduct="true" name="{name}" infrastructureProcess="false" amount="1.0"
            unit="{unit}" category="{category}" subCategory="{category}" generalComment=""/>
        <geography location="US" text="US"/>
        <technology text="test"/>
        <timePeriod dataValidForEntirePeriod="true"><startDate>2020-01-01</startDate><endDate>2020-12-31</endDate></timePeriod>
        <dataSetInformation type="1" impactAssessmentResult="false" timestamp="2020-01-01T00:00:00" version="1.0"
            internalVersion="0.0" energyValues="0" languageCode="en" localLanguageCode="en"/>
      </processInformation>
      <modellingAndValidation/>
      <administrativeInformation>
        <dataEntryBy person="1"/>
        <dataGeneratorAndPublication person="1" dataPublishedIn="0" copyright="false" accessRestrictedTo="0"/>
        <person number="1" name="pcf test" address="x" telephone="0" companyCode="x" countryCode="US"/>
      </administrativeInformation>
    </metaInformation>
    <flowData>
{exchanges}
    </flowData>
  </dataset>"""


def es1_exchange(number: int, name: str, amount: float, unit: str, group: str, category: str = "Products",
                 sub: str = "Products", cas: str = "", location: str = ' location="US"') -> str:
    cas_attr = f' CASNumber="{cas}"' if cas else ""
    return (f'      <exchange number="{number}" category="{category}" subCategory="{sub}" name="{name}"{location}'
            f' unit="{unit}" meanValue="{amount}"{cas_attr} infrastructureProcess="false">{group}</exchange>')


@pytest.fixture
def es1_zip(bd, tmp_path):
    """Three EcoSpold1 datasets (products in kg: EcoSpold1 has no flow properties, mass comes from the unit).

    - ``Crude, at well``: 1 kg, emits 0.1 kg CO2.
    - ``Fuel A, at refinery``: 1.6 kg fuel A (reference, outputGroup 0), 0.4 kg fuel B and
      1000 kg "Water (river water from technosphere, turbined)" (outputGroup 2); 2 kg crude in,
      1.0 kg CO2 out; 0.3 kg sludge to treatment (outputGroup 3). Water is passed through and
      the sludge is a waste, neither a co-product; mass shares 0.8 / 0.2 of
      1.2 kg CO2: 0.6 kg CO2 per kg of either fuel.
    - ``Widget, at plant `` (trailing space): 1 kg fuel B (a co-product: linked, not a
      placeholder) and 0.01 kg "HFC-134a" (CAS 811-97-2): 0.6 + 0.01 * 1530 = 15.9 kg CO2e.
    """
    out, co2 = "<outputGroup>0</outputGroup>", "<outputGroup>4</outputGroup>"
    byproduct, tech_in = "<outputGroup>2</outputGroup>", "<inputGroup>5</inputGroup>"
    air = dict(category="air", sub="unspecified", location="")
    datasets = [
        ES1_DATASET.format(number=1, name="Crude, at well", unit="kg", category="Products", exchanges="\n".join([
            es1_exchange(1, "Crude, at well", 1.0, "kg", out),
            es1_exchange(2, "Carbon dioxide, fossil", 0.1, "kg", co2, cas="124-38-9", **air)])),
        ES1_DATASET.format(number=2, name="Fuel A, at refinery", unit="kg", category="Products", exchanges="\n".join([
            es1_exchange(3, "Fuel A, at refinery", 1.6, "kg", out),
            es1_exchange(4, "Fuel B, at refinery", 0.4, "kg", byproduct),
            es1_exchange(5, "Water (river water from technosphere, turbined)", 1000.0, "kg", byproduct),
            es1_exchange(11, "Sludge, to treatment", 0.3, "kg", "<outputGroup>3</outputGroup>"),
            es1_exchange(6, "Crude, at well", 2.0, "kg", tech_in),
            es1_exchange(7, "Carbon dioxide, fossil", 1.0, "kg", co2, cas="124-38-9", **air)])),
        ES1_DATASET.format(number=3, name="Widget, at plant ", unit="kg", category="Products", exchanges="\n".join([
            es1_exchange(8, "Widget, at plant", 1.0, "kg", out),
            es1_exchange(9, "Fuel B, at refinery", 1.0, "kg", tech_in),
            es1_exchange(10, "HFC-134a", 0.01, "kg", co2, cas="811-97-2", **air)])),
    ]
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold01">\n'
           + "\n".join(datasets) + "\n</ecoSpold>\n")
    path = tmp_path / "es1.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("EcoSpold01/test.xml", xml)
    return path


def test_ecospold1_allocation_gases_and_names(es1_zip, bd):
    r = import_database(es1_zip, "ecospold1", "t-es1-alloc", replace=True)
    refinery = entry(r, "Fuel A, at refinery")
    assert refinery["method"] == "mass"
    assert refinery["factors"] == {"Fuel A, at refinery": pytest.approx(0.8), "Fuel B, at refinery": pytest.approx(0.2)}
    assert refinery["sources"] == {"Fuel A, at refinery": "unit", "Fuel B, at refinery": "unit"}
    assert "water passed through" in refinery["note"]
    assert sorted(c["flow"] for c in r.coproducts_cut_off) == ["Sludge, to treatment",
                                                               "Water (river water from technosphere, turbined)"]
    assert score(bd, "t-es1-alloc", "Fuel A, at refinery") == pytest.approx(0.6, rel=1e-6)
    assert score(bd, "t-es1-alloc", "Fuel B, at refinery") == pytest.approx(0.6, rel=1e-6)
    assert r.placeholders == 0  # the widget's fuel B links to the co-product's activity
    assert [(g["name"], g["by"]) for g in r.linked_gases] == [("HFC-134a", "CAS 811-97-2")]
    assert not r.unlinked_ghg
    assert score(bd, "t-es1-alloc", "Widget, at plant") == pytest.approx(0.6 + 0.01 * 1530, rel=1e-6)
