"""`pcf db import`: US LCI (JSON-LD, EcoSpold1), an EcoSpold2 and an Excel file written here."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.background import list_databases
from pcf.importers import import_database, is_ghg
from pcf.background.methods import METHODS
from pcf.core.errors import ImportFailed, PCFError
from tests.conftest import SHARED
from builders import document
from tests.conftest import flat

USLCI = SHARED / "data" / "uslci"
JSONLD = USLCI / "uslci-fy17-json-ld.zip"
ES1 = USLCI / "uslci-fy21-q3-ecospold1.zip"
runner = CliRunner()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_report_consistent(report, bd):
    """Listed unlinked flows add up to the counts; the database is listed as imported with the hash."""
    assert sum(f.exchanges for f in report.unlinked_flows) == report.unlinked_total
    for kind, n in report.unlinked.items():
        assert sum(f.exchanges for f in report.unlinked_flows if f.type == kind) == n
    assert report.unlinked_ghg == [f for f in report.unlinked_flows if f.ghg]
    assert report.placeholders == len({(f.name, f.unit, f.location) for f in report.unlinked_flows
                                       if f.type in ("technosphere", "substitution")})
    entry = {e.name: e for e in list_databases()}[report.name]
    assert entry.kind == "imported"
    assert entry.activities == report.activities == len(bd.Database(report.name))
    assert entry.sha256 == report.sha256
    meta = bd.databases[report.name]
    assert meta["pcf_kind"] == "imported" and meta["pcf_format"] == report.format
    assert meta["pcf_unlinked"] == report.unlinked
    if report.biosphere_database:
        assert {e.name: e for e in list_databases()}[report.biosphere_database].kind == "biosphere"
    json.dumps(report.to_dict())  # serialisable


# --- US LCI (module-scoped: each runs once) ----------------------------------------------


@pytest.fixture(scope="module")
def uslci_jsonld(bd):
    assert JSONLD.exists(), f"{JSONLD} is missing: the tests need ../shared beside the clone"
    return import_database(JSONLD, "jsonld", "test-uslci-jsonld", replace=True)


@pytest.fixture(scope="module")
def uslci_es1(bd):
    assert ES1.exists(), f"{ES1} is missing: the tests need ../shared beside the clone"
    return import_database(ES1, "ecospold1", "test-uslci-es1", replace=True)


def test_uslci_jsonld(uslci_jsonld, bd):
    with zipfile.ZipFile(JSONLD) as z:
        processes = [n for n in z.namelist() if "/processes/" in n and n.endswith(".json")]
    assert len(processes) == 766
    r = uslci_jsonld
    assert r.processes == len(processes)
    assert r.sha256 == sha256(JSONLD)
    check_report_consistent(r, bd)
    kinds = {a.get("type") for a in bd.Database(r.name)}
    assert "product" not in kinds and "emission" not in kinds  # one node per activity (no product nodes)
    real = [a for a in bd.Database(r.name) if not a.get("pcf_unlinked")]
    assert len(real) == r.activities - r.placeholders >= r.processes
    assert r.unlinked.get("production", 0) == 0
    # most elementary exchanges link to biosphere3 (CO2, CH4, N2O among them)
    linked = sum(1 for a in real for e in a.biosphere() if e.input["database"] == "biosphere3")
    assert linked > r.unlinked["biosphere"]
    assert not any(f.name in ("Carbon dioxide, fossil", "Methane, fossil", "Dinitrogen monoxide")
                   for f in r.unlinked_ghg if f.categories.startswith("air"))
    # FY17 gives these two gases no CAS number: they link to pcf's supplement flows by designation
    linked = {g["name"]: (g["to"], g["by"]) for g in r.linked_gases}
    assert linked["1,1,1,3,3-Pentafluoropropane, HFC-245fa"] == ("Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa",
                                                                 "designation HFC-245fa")
    assert linked["Ethane, trifluoro-, HFC-143"] == ("Ethane, 1,1,2-trifluoro-, HFC-143", "designation HFC-143")


def test_uslci_jsonld_solves(uslci_jsonld, bd):
    import bw2calc

    act = next(a for a in bd.Database(uslci_jsonld.name) if a["name"] == "Electricity, at eGrid, SRVC, 2010")
    lca = bw2calc.LCA({act: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    assert 0.05 < lca.score < 0.5  # kg CO2e per MJ of SERC Virginia/Carolinas grid electricity


def test_uslci_jsonld_refinery_allocated_by_its_declared_mass_shares(uslci_jsonld, bd):
    """"Petroleum refining, at refinery" has ten product outputs and no allocation factors. Its
    exchange descriptions declare the mass used for allocation ("Mass (0.2188 kg/kg output)" for
    diesel, 0.4213 gasoline, 0.0910 kerosene, ...); coke, bitumen and the coproduct are in kg
    (0.0596, 0.0372, 0.0515: the 'kg/kg output' values rounded). The nine add up to 0.9999 kg;
    the tenth output, "Petroleum refining, at refinery" 1 kg, is their total. So diesel's share
    is 0.2188 / 0.9999 and, as both activities carry the same exchanges scaled by their factor,
    diesel per m3 = share / 0.000252345 m3 * (the total's activity per kg), exactly.
    (Before allocation the refinery put all burdens on diesel.)"""
    import bw2calc

    refinery = next(a for a in uslci_jsonld.allocations if a["process"] == "Petroleum refining, at refinery")
    assert refinery["method"] == "mass"
    assert refinery["factors"]["Diesel, at refinery"] == pytest.approx(0.2188 / 0.9999, rel=2e-4)
    assert refinery["factors"]["Gasoline, at refinery"] == pytest.approx(0.4213 / 0.9999, rel=2e-4)
    assert refinery["factors"]["Petroleum refining, at refinery"] == 1.0
    scores = {}
    for act in bd.Database(uslci_jsonld.name):
        if act["name"] == "Petroleum refining, at refinery":
            lca = bw2calc.LCA({act: 1}, METHODS["ipcc-2021-gwp100"].name)
            lca.lci()
            lca.lcia()
            scores[act["reference product"]] = lca.score
    assert len(scores) == 10  # every product is an activity (none a zero-burden placeholder)
    assert scores["Diesel, at refinery"] == pytest.approx(
        refinery["factors"]["Diesel, at refinery"] / 0.000252345277453289 * scores["Petroleum refining, at refinery"], rel=1e-6)
    # every greenhouse gas left unlinked says why
    assert all(f.reason for f in uslci_jsonld.unlinked_ghg)
    # a trailing space in US LCI's name does not stop a lookup by the plain name
    from pcf.graph import find_activity
    assert find_activity(bd, uslci_jsonld.name, {"name": "Ethylene glycol, at plant"})["name"] == "Ethylene glycol, at plant"


def test_uslci_ecospold1_gases_link_by_cas(uslci_es1):
    """US LCI FY21 names gases as FEDEFL does (HFC-134a, CFC-12, Halon 1301, Hexafluoroethane,
    Nitrogen trifluoride ...) with their CAS numbers; those biosphere3 has link, and HFC-245fa
    (CAS 460-73-1) and HFC-143 (430-66-0), which biosphere3 3.9 lacks, link to pcf's supplement
    flows (pcf/background/supplement.py). What stays: the mixture "Perfluorocarbons" (no GWP100)."""
    linked = {g["name"]: g["by"] for g in uslci_es1.linked_gases}
    assert {"HFC-134a", "CFC-12", "Halon 1301", "Hexafluoroethane", "Nitrogen trifluoride"} <= set(linked)
    assert (linked["HFC-245fa"], linked["HFC-143"]) == ("CAS 460-73-1", "CAS 430-66-0")
    assert {f.name for f in uslci_es1.unlinked_ghg} == {"Perfluorocarbons"}
    assert all(f.reason for f in uslci_es1.unlinked_ghg)


def test_uslci_ecospold1(uslci_es1, bd):
    with zipfile.ZipFile(ES1) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml") and "categories" not in n)
    assert xml.count(b"<dataset ") == 639
    r = uslci_es1
    assert r.processes == 639
    assert r.sha256 == sha256(ES1)
    assert r.schema_violations > 0  # US LCI breaks the EcoSpold1 XSD; tolerated and counted
    check_report_consistent(r, bd)
    assert r.unlinked.get("production", 0) == 0


def test_uslci_ecospold1_grid_mix_links_its_power_plants(uslci_es1, bd):
    """US LCI's EcoSpold1 grid mix names its power plants with another category than their own
    datasets; they must link (not fall back to zero-burden placeholders)."""
    grids = [a for a in bd.Database(uslci_es1.name) if a["name"] == "Electricity, at grid" and a["location"] == "US"]
    assert len(grids) == 3  # Western US, Texas, Eastern US (named alike in the file)
    for grid in grids:
        coal = [e for e in grid.technosphere() if e.input["name"] == "Electricity, bituminous coal, at power plant"]
        assert coal and not coal[0].input.get("pcf_unlinked")
    assert uslci_es1.linked_by_name > 0


def test_model_computes_against_both_us_lci_imports(uslci_jsonld, uslci_es1, bd, tmp_path):
    """A pcf model drawing on both imports by name; its total must equal the two activities'
    scores computed directly with bw2calc (independent of pcf's graph and decomposition):

        100 kWh SRVC 2010 grid (JSON-LD, per MJ)  -> 360 MJ * score_srvc
         50 kWh US coal power (EcoSpold1, per kWh) ->  50    * score_coal

    ("Electricity, at grid" [US] is not used: US LCI's EcoSpold1 file has three datasets of that
    name and location (Western US, Texas, Eastern US in their comments); a model would name
    one by code.)
    """
    from pcf.lca import footprint
    from pcf.model import load_model

    srvc = footprint_of(bd, uslci_jsonld.name, "Electricity, at eGrid, SRVC, 2010")
    coal = footprint_of(bd, uslci_es1.name, "Electricity, bituminous coal, at power plant", location="RNA",
                        unit="kilowatt hour", pcf_unlinked=None)
    # Plausibility [kg CO2e / kWh]: fossil-heavy US grids around 2010-2014 emitted roughly
    # 0.5-0.7 kg CO2 per kWh at the stack (EPA eGRID), a little more with the fuel chain.
    assert 0.4 < srvc * 3.6 < 0.9
    # coal-fired power: about 1 kg CO2 per kWh at the stack (EPA eGRID coal plants), more with mining
    assert 0.8 < coal < 1.5
    model = tmp_path / "uslci.yaml"
    model.write_text(f"""\
format: pcf-model/1
product: {{id: USLCI-KIT, name: US LCI test, process: use, reference_flow: {{amount: 1, unit: item}}}}
study: {{background: {uslci_jsonld.name}}}
processes:
  - id: use
    name: Electricity use
    stage: production
    output: {{amount: 1, unit: item}}
    inputs:
      - {{database: {uslci_jsonld.name}, name: "Electricity, at eGrid, SRVC, 2010", amount: 100, unit: kWh}}
      - {{database: {uslci_es1.name}, name: "Electricity, bituminous coal, at power plant", amount: 50, unit: kWh}}
""", encoding="utf-8")
    result = document(footprint(load_model(model)))
    assert result["total_kg_co2e"] == pytest.approx(360 * srvc + 50 * coal, rel=1e-6)
    dbs = {d["database"]: d for d in result["provenance"]["databases"]}
    assert dbs[uslci_jsonld.name]["kind"] == "imported" and dbs[uslci_jsonld.name]["sha256"] == sha256(JSONLD)
    assert dbs[uslci_es1.name]["sha256"] == sha256(ES1)
    sources = {d["database"]: d["source"] for d in result["data_sources"]}
    assert JSONLD.name in sources[uslci_jsonld.name]
    amounts = {d["database"]: (d["amount"], d["unit"]) for d in result["data_sources"]}
    assert amounts[uslci_jsonld.name] == (pytest.approx(360.0), "megajoule")


def footprint_of(bd, database: str, name: str, **fields) -> float:
    """Score of one unit of an activity, straight from bw2calc [kg CO2e / unit]."""
    import bw2calc

    placeholder = fields.pop("pcf_unlinked", False)
    matches = [a for a in bd.Database(database) if a["name"] == name
               and all(a.get(k) == v for k, v in fields.items()) and (placeholder is not None or not a.get("pcf_unlinked"))]
    assert len(matches) == 1, [(a["code"], a.get("location"), a.get("unit")) for a in matches]
    act = matches[0]
    lca = bw2calc.LCA({act: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    return lca.score


# --- EcoSpold2 written here ---------------------------------------------------------------

SPOLD = """<?xml version="1.0" encoding="UTF-8"?>
<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02">
  <activityDataset>
    <activityDescription>
      <activity id="{act}" activityNameId="{act_name}" inheritanceDepth="0" type="1" specialActivityType="0">
        <activityName xml:lang="en">{name}</activityName>
      </activity>
      <geography geographyId="{geo}"><shortname xml:lang="en">GLO</shortname></geography>
      <technology technologyLevel="3"/>
      <timePeriod startDate="2020-01-01" endDate="2020-12-31" isDataValidForEntirePeriod="true"/>
    </activityDescription>
    <flowData>
      <intermediateExchange id="{ref_ex}" unitId="{unit_id}" amount="1" intermediateExchangeId="{product}">
        <name xml:lang="en">{product_name}</name>
        <unitName xml:lang="en">kg</unitName>
        <outputGroup>0</outputGroup>
      </intermediateExchange>
{inputs}
      <elementaryExchange id="{co2_ex}" unitId="{unit_id}" amount="{co2}" elementaryExchangeId="{co2_id}">
        <name xml:lang="en">Carbon dioxide, fossil</name>
        <unitName xml:lang="en">kg</unitName>
        <compartment subcompartmentId="{sub}"><compartment xml:lang="en">air</compartment><subcompartment xml:lang="en">unspecified</subcompartment></compartment>
        <outputGroup>4</outputGroup>
      </elementaryExchange>
    </flowData>
    <modellingAndValidation><representativeness/></modellingAndValidation>
    <administrativeInformation>
      <dataEntryBy personId="{person}" personName="pcf test" personEmail="test@example.org"/>
      <dataGeneratorAndPublication personId="{person}" personName="pcf test" personEmail="test@example.org" isCopyrightProtected="false" accessRestrictedTo="0"/>
      <fileAttributes majorRelease="3" minorRelease="0" majorRevision="0" minorRevision="0" defaultLanguage="en"/>
    </administrativeInformation>
  </activityDataset>
</ecoSpold>
"""

INPUT = """      <intermediateExchange id="{ex}" unitId="{unit_id}" amount="{amount}" intermediateExchangeId="{product}" activityLinkId="{provider}">
        <name xml:lang="en">{product_name}</name>
        <unitName xml:lang="en">kg</unitName>
        <inputGroup>5</inputGroup>
      </intermediateExchange>"""


def u() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def ecospold2_dir(bd, tmp_path):
    """Two activities: widget (1 kg) uses 2 kg steel and emits 0.5 kg CO2; steel emits 3 kg CO2 per kg.

    Technosphere matrix A (rows widget, steel; columns widget, steel) and CO2 row B::

        A = | 1   0 |      B = | 0.5  3 |
            | -2  1 |

    Widget footprint = 0.5 + 2 * 3 = 6.5 kg CO2 = 6.5 kg CO2e (CO2 fossil: GWP100 1).
    An unlinked input (a product no activity in the set provides) becomes a placeholder.
    """
    co2 = next(f for f in bd.Database("biosphere3")
               if f["name"] == "Carbon dioxide, fossil" and tuple(f["categories"]) == ("air",))
    common = dict(geo=u(), unit_id=u(), sub=u(), person=u(), co2_id=co2["code"])
    steel_act, steel_prod, widget_act, widget_prod = u(), u(), u(), u()
    folder = tmp_path / "datasets"
    folder.mkdir()
    steel = SPOLD.format(act=steel_act, act_name=u(), name="steel production", ref_ex=u(), product=steel_prod,
                         product_name="steel", inputs="", co2_ex=u(), co2=3.0, **common)
    inputs = INPUT.format(ex=u(), amount=2.0, product=steel_prod, provider=steel_act, product_name="steel", **common)
    inputs += "\n" + INPUT.format(ex=u(), amount=0.1, product=u(), provider=u(), product_name="mystery paint",
                                  **common).replace(' activityLinkId="', ' data-x="')
    widget = SPOLD.format(act=widget_act, act_name=u(), name="widget production", ref_ex=u(), product=widget_prod,
                          product_name="widget", inputs=inputs, co2_ex=u(), co2=0.5, **common)
    (folder / f"{steel_act}_{steel_prod}.spold").write_text(steel, encoding="utf-8")
    (folder / f"{widget_act}_{widget_prod}.spold").write_text(widget, encoding="utf-8")
    return folder


def footprint(bd, database: str, name: str) -> float:
    import bw2calc

    act = next(a for a in bd.Database(database) if a["name"] == name)
    lca = bw2calc.LCA({act: 1}, METHODS["ipcc-2021-gwp100"].name)
    lca.lci()
    lca.lcia()
    return lca.score


def test_ecospold2_import_and_hand_computed_score(ecospold2_dir, bd):
    r = import_database(ecospold2_dir, "ecospold2", "test-es2", replace=True)
    assert r.processes == 2
    assert r.unlinked == {"technosphere": 1}
    assert [(f.type, f.name) for f in r.unlinked_flows] == [("technosphere", "mystery paint")]
    assert r.placeholders == 1 and r.activities == 3 and not r.biosphere_database
    check_report_consistent(r, bd)
    assert footprint(bd, "test-es2", "widget production") == pytest.approx(6.5, rel=1e-6)
    placeholder = next(a for a in bd.Database("test-es2") if a.get("pcf_unlinked"))
    assert placeholder["name"] == "mystery paint"


# --- Excel written here -------------------------------------------------------------------


@pytest.fixture
def excel_file(bd, tmp_path):
    """bw2io ExcelImporter layout. Frame (1 item) uses 4 kg aluminium (1.5 kg CO2/kg) and emits
    0.2 kg CO2 and 0.01 kg CH4 fossil; 'Unobtainium gas' has no biosphere3 match.

    Score (IPCC 2021 GWP100): 0.2 + 4 * 1.5 + 0.01 * GWP(CH4, fossil) = 6.2 + 0.01 * cf.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    rows = [
        ["Database", "ignored-name"],
        [],
        ["Activity", "aluminium"],
        ["reference product", "aluminium"], ["unit", "kilogram"], ["location", "GLO"],
        ["Exchanges"],
        ["name", "amount", "unit", "type", "categories", "location", "reference product"],
        ["aluminium", 1, "kilogram", "production", None, "GLO", "aluminium"],
        ["Carbon dioxide, fossil", 1.5, "kilogram", "biosphere", "air", None, None],
        [],
        ["Activity", "frame"],
        ["reference product", "frame"], ["unit", "unit"], ["location", "GLO"],
        ["Exchanges"],
        ["name", "amount", "unit", "type", "categories", "location", "reference product"],
        ["frame", 1, "unit", "production", None, "GLO", "frame"],
        ["aluminium", 4, "kilogram", "technosphere", None, "GLO", "aluminium"],
        ["Carbon dioxide, fossil", 0.2, "kilogram", "biosphere", "air", None, None],
        ["Methane, fossil", 0.01, "kilogram", "biosphere", "air", None, None],
        ["Unobtainium gas", 0.3, "kilogram", "biosphere", "air", None, None],
    ]
    for row in rows:
        ws.append(row)
    path = tmp_path / "frame.xlsx"
    wb.save(path)
    return path


def test_excel_import(excel_file, bd):
    r = import_database(excel_file, "excel", "test-xlsx", replace=True)
    assert r.processes == 2 and r.activities == 2
    assert r.unlinked == {"biosphere": 1}
    assert r.biosphere_database == "test-xlsx-biosphere"
    assert [(f.name, f.categories) for f in r.unlinked_flows] == [("Unobtainium gas", "air")]
    check_report_consistent(r, bd)
    ch4 = next(f for f in bd.Database("biosphere3")
               if f["name"] == "Methane, fossil" and tuple(f["categories"]) == ("air",))
    cf = dict((bd.get_node(id=k).key if isinstance(k, int) else tuple(k), v)
              for k, v in bd.Method(METHODS["ipcc-2021-gwp100"].name).load())[ch4.key]
    assert footprint(bd, "test-xlsx", "frame") == pytest.approx(0.2 + 4 * 1.5 + 0.01 * cf, rel=1e-6)
    # the companion keeps the unlinked flow's mass
    frame = next(a for a in bd.Database("test-xlsx") if a["name"] == "frame")
    assert any(e.input["database"] == "test-xlsx-biosphere" and e["amount"] == pytest.approx(0.3) for e in frame.biosphere())


# --- errors: clear, nothing left behind -------------------------------------------------


def test_errors_leave_nothing(bd, tmp_path, ecospold2_dir):
    cases = [
        (dict(path=ecospold2_dir, fmt="simapro", name="t-bad"), "unknown format 'simapro'"),
        (dict(path=tmp_path / "nope.zip", fmt="jsonld", name="t-bad"), "does not exist"),
        (dict(path=ecospold2_dir, fmt="ecospold2", name="biosphere3"), "reserved"),
        (dict(path=ecospold2_dir, fmt="ecospold2", name="pcf-open-default"), "reserved"),
        (dict(path=ecospold2_dir, fmt="ecospold2", name="pcf-fg-x"), "reserved"),
    ]
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    cases.append((dict(path=corrupt, fmt="jsonld", name="t-bad"), "corrupt.zip"))
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((dict(path=empty, fmt="ecospold2", name="t-bad"), "no .spold files"))
    for kwargs, message in cases:
        with pytest.raises(ImportFailed, match=message):
            import_database(kwargs["path"], kwargs["fmt"], kwargs["name"])
        assert "t-bad" not in bd.databases and "t-bad-biosphere" not in bd.databases
    assert issubclass(ImportFailed, PCFError)


def test_existing_name_needs_replace(bd, ecospold2_dir):
    import_database(ecospold2_dir, "ecospold2", "test-es2-twice", replace=True)
    with pytest.raises(ImportFailed, match="already exists; replace it"):
        import_database(ecospold2_dir, "ecospold2", "test-es2-twice")
    assert len(bd.Database("test-es2-twice")) == 3  # untouched


def test_ghg_names():
    assert is_ghg("Carbon dioxide, fossil") and is_ghg("HFC-134a") and is_ghg("Sulfur hexafluoride")
    assert is_ghg("Nitrogen trifluoride") and is_ghg("Methane, non-fossil")
    assert not is_ghg("Methanol") and not is_ghg("NMVOC, non-methane volatile organic compounds")


# --- CLI ----------------------------------------------------------------------------------


def test_cli_import_ecospold2(ecospold2_dir, bd):
    result = runner.invoke(cli.app, ["db", "import", str(ecospold2_dir), "--format", "ecospold2",
                                     "--name", "test-cli-es2", "--replace"])
    assert result.exit_code == 0, result.output
    assert "unlinked exchanges: 1" in flat(result.output)
    assert "mystery paint" in flat(result.output)
    result = runner.invoke(cli.app, ["db", "import", str(ecospold2_dir), "--format", "ecospold2",
                                     "--name", "test-cli-es2", "--json"])
    assert result.exit_code == 2
    assert "already exists" in flat(result.output)


def test_cli_import_json_and_bad_input(ecospold2_dir, bd, tmp_path):
    result = runner.invoke(cli.app, ["db", "import", str(ecospold2_dir), "--format", "ecospold2",
                                     "--name", "test-cli-json", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unlinked_total"] == 1
    result = runner.invoke(cli.app, ["db", "import", str(tmp_path / "missing"), "--format", "jsonld", "--name", "x"])
    assert result.exit_code == 2
    assert "does not exist" in flat(result.output)
