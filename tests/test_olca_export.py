"""``pcf export-model --format olca-jsonld``: the zip follows olca-schema 2 (tests/olca_rules.py),
is the same bytes on every export, and re-imports with bw2io's ``JSONLDImporter`` into a project
with the same background to the same score.

The hand-worked model is tests/test_model_export.py's ``MODEL`` on the hand-made ``test-bg``
background: 27.838 kg CO2e for 2 items (worked out there). There is no openLCA on these
machines: openLCA itself never reads these files in the tests.

Facts the tests compare with (not program output):

- openLCA reference ids: unit group "Units of mass" 93a60a57-a4c8-11da-a746-0800200c9a66,
  flow property "Mass" 93a60a56-a3c8-11da-a746-0800200b9a66, unit kg
  20aadc24-a391-41cf-b340-3e4529f44bde, "Number of items" 01846770-4cfe-4a25-8ad9-919d8d378345
  (US LCI FY17 JSON-LD zip, ``unit_groups/``, ``flow_properties/``; olca-schema
  ``examples/process.json``); kWh 86ad2244-1f0e-4912-af53-7865283103e4 with factor 3.6 to MJ
  (olca-schema ``examples/unit_group.json``); location CN
  7efdfc94-655a-35dc-aa3e-c85e9bb703fa (US LCI FY17 ``locations/``).
- "Methane, fossil" to air is ecoinvent's elementary flow 0795345f-c7ae-410c-ad25-1845784c75f5
  (the same id in the US LCI FY17 zip, ``flows/0795345f-....json``).
"""

from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.api import compute, export_model
from pcf.core.errors import ExchangeError
from tests import olca_rules
from tests.test_model_export import HAND_TOTAL, MODEL, project_copy
from tests.conftest import flat

runner = CliRunner()
WIDGET = MODEL.replace("PART_NAME", "part production")


def reimport_score(bd, archive: Path, background: str, amount: float, method: tuple, tmp_path: Path) -> float:
    """Import ``archive`` with bw2io's JSONLDImporter into a copy of pcf's project without its
    foreground databases and return bw2calc's score of ``amount`` of the zip's reference
    product (the copy is removed afterwards).

    bw2io links inputs by flow id, so the links to make by hand (as an openLCA user does) are:
    an elementary flow to biosphere3 by its ``@id`` (the biosphere3 code), and a background
    flow to the ``background`` activity named by its default provider (name, location) and the
    flow (reference product), converting the amount from the flow's openLCA reference unit
    (bw2io rewrites kWh to MJ) into the activity's unit."""
    import bw2calc
    from bw2io.importers.json_ld import JSONLDImporter

    from pcf.core.units import conversion_factor

    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    reference = json.loads((folder / "processes" / f"{_reference_id(folder)}.json").read_text(encoding="utf-8"))
    product = next(e["flow"]["@id"] for e in reference["exchanges"] if e["isQuantitativeReference"])
    with project_copy(bd, "reimport-olca"):
        imp = JSONLDImporter(folder, "olca-import")
        imp.apply_strategies(no_warning=True)
        made = {e["code"] for ds in imp.data for e in ds.get("exchanges", []) if e["type"] == "production"}
        nodes = {(a["name"], a["reference product"], a["location"]): a for a in bd.Database(background)}
        for ds in imp.data:
            for exc in ds.get("exchanges", []):
                if exc["type"] == "biosphere":
                    exc["input"] = bd.get_node(database="biosphere3", code=exc["code"]).key
                elif exc["type"] == "technosphere" and exc["code"] not in made:
                    provider = exc["defaultProvider"]
                    node = nodes[(provider["name"], exc["name"], provider["location"])]
                    exc["amount"] *= conversion_factor(exc["unit"], node["unit"])
                    exc["input"] = node.key
        assert imp.statistics(print_stats=False)[2] == 0  # no unlinked exchange
        imp.write_database()
        lca = bw2calc.LCA({bd.get_node(database="olca-import", code=product): amount}, method)
        lca.lci()
        lca.lcia()
        return float(lca.score)


def _reference_id(folder: Path) -> str:
    """@id of the reference process, from the README the zip carries."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    return text.split("Reference process: `processes/", 1)[1].split(".json`", 1)[0]


def test_hand_model_reimports_with_the_hand_worked_score(bd, write_model, tmp_path):
    from pcf.background import method_spec

    model = write_model(WIDGET)
    total = compute(model).result.total_kg_co2e
    assert total == pytest.approx(HAND_TOTAL, rel=1e-6)
    out = export_model(model, "olca-jsonld", tmp_path / "widget.zip")
    score = reimport_score(bd, out, "test-bg", 2.0, method_spec("ipcc-2021-gwp100").name, tmp_path)
    assert score == pytest.approx(HAND_TOTAL, rel=1e-6)


def test_zip_follows_olca_schema_2(bd, write_model, tmp_path):
    model = write_model(WIDGET)
    pkg = olca_rules.check(export_model(model, "olca-jsonld", tmp_path / "w.zip"))
    procs = {p["name"]: p for p in pkg["processes"].values()}
    assert set(procs) == {"widget assembly", "part production", "scrap"}
    assembly = procs["widget assembly"]
    assert assembly["location"] == {"@type": "Location", "@id": "7efdfc94-655a-35dc-aa3e-c85e9bb703fa", "name": "CN"}
    ref = next(e for e in assembly["exchanges"] if e["isQuantitativeReference"])
    assert ref["amount"] == 1.0 and ref["unit"]["name"] == "Item(s)"
    assert ref["flowProperty"]["@id"] == "01846770-4cfe-4a25-8ad9-919d8d378345"
    by_flow = {e["flow"]["name"]: e for e in assembly["exchanges"]}
    # part: a foreground product, its provider the part process in the zip, 3 kg (Mass / kg)
    part = by_flow["part production"]
    assert part["isInput"] and part["amount"] == 3.0 and part["defaultProvider"]["@id"] == procs["part production"]["@id"]
    assert (part["unit"]["@id"], part["flowProperty"]["@id"]) == ("20aadc24-a391-41cf-b340-3e4529f44bde",
                                                                  "93a60a56-a3c8-11da-a746-0800200b9a66")
    # electricity: a background flow (reference product), provider named by name and location, kWh
    elec = by_flow["electricity"]
    assert elec["amount"] == 10.0 and elec["unit"] == {"@type": "Unit", "@id": "86ad2244-1f0e-4912-af53-7865283103e4",
                                                         "name": "kWh"}
    assert (elec["defaultProvider"]["name"], elec["defaultProvider"]["location"]) == ("electricity", "CN")
    assert elec["defaultProvider"]["@id"] not in pkg["processes"]  # no stub of the background
    flow = pkg["flows"][elec["flow"]["@id"]]
    assert flow["category"] == "pcf background/test-bg" and flow["location"]["name"] == "CN"
    # methane: ecoinvent's elementary flow id, an output to air
    ch4 = by_flow["Methane, fossil"]
    assert ch4["flow"]["@id"] == "0795345f-c7ae-410c-ad25-1845784c75f5" and ch4["isInput"] is False
    assert ch4["amount"] == pytest.approx(0.01)
    # carbon dioxide taken up: a natural resource, an input
    uptake = next(e for e in procs["part production"]["exchanges"] if e["flow"]["name"] == "Carbon dioxide, in air")
    assert uptake["isInput"] is True and pkg["flows"][uptake["flow"]["@id"]]["category"].startswith(
        "Elementary flows/natural resource")
    mass = pkg["unit_groups"]["93a60a57-a4c8-11da-a746-0800200c9a66"]
    assert next(u for u in mass["units"] if u.get("isRefUnit"))["name"] == "kg"
    with zipfile.ZipFile(tmp_path / "w.zip") as z:
        readme = z.read("README.md").decode()
    assert "| electricity | electricity | CN | kWh | test-bg | elec |" in readme
    assert "Parameters and expressions" in readme and "no openLCA parameters" in readme


def test_two_exports_are_the_same_bytes(bd, write_model, tmp_path):
    model = write_model(WIDGET)
    first = export_model(model, "olca-jsonld", tmp_path / "a.zip").read_bytes()
    second = export_model(model, "olca-jsonld", tmp_path / "b.zip").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.namelist() == sorted(z.namelist())
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_ids_are_uuid5_of_the_model_ids(bd, write_model, tmp_path):
    """The process id is uuid5(uuid5(NAMESPACE_URL, 'urn:pcf:export-model:olca-jsonld'),
    'process' U+001F 'pcf-model-WIDGET' U+001F 'assembly'), computed here with uuid itself."""
    import uuid

    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pcf:export-model:olca-jsonld")
    expected = str(uuid.uuid5(namespace, "process\x1fpcf-model-WIDGET\x1fassembly"))
    pkg = olca_rules.read(export_model(write_model(WIDGET), "olca-jsonld", tmp_path / "w.zip"))
    assert pkg["processes"][expected]["name"] == "widget assembly"


def test_wp_is_a_unit_group_of_pcf_and_the_readme_says_so(bd, write_model, tmp_path):
    model = write_model(textwrap.dedent("""\
        format: pcf-model/1
        product: {id: PV, name: PV module, process: module, reference_flow: {amount: 400, unit: Wp}}
        study: {background: test-bg}
        processes:
          - id: module
            name: module assembly
            stage: production
            output: {amount: 1, unit: Wp}
            inputs:
              - {background: steel, amount: 0.05, unit: kg}
        """))
    out = export_model(model, "olca-jsonld", tmp_path / "pv.zip")
    pkg = olca_rules.check(out)
    groups = {g["name"]: g for g in pkg["unit_groups"].values()}
    assert [u["name"] for u in groups["Units of peak power (pcf)"]["units"] if u.get("isRefUnit")] == ["Wp"]
    with zipfile.ZipFile(out) as z:
        assert "`Wp` (peak watt" in z.read("README.md").decode()


@pytest.mark.parametrize("example", ["battery/nmc811-pack.yaml", "pv/mono-si-module-cn.yaml"])
def test_shipped_example_reimports_with_the_same_score(open_default, tmp_path, example):
    """The NMC811 pack, and the PV module (Wp: pcf's own unit group, read by bw2io like any other)."""
    from pcf.background import method_spec
    from pcf.model import load_model
    from tests.conftest import REPO

    model = REPO / "examples" / example
    system = load_model(model)
    total = compute(model).result.total_kg_co2e
    out = export_model(model, "olca-jsonld", tmp_path / "example.zip")
    olca_rules.check(out)
    score = reimport_score(open_default, out, "pcf-open-default", float(system.reference_amount),
                           method_spec(system.model.study.method).name, tmp_path)
    assert score == pytest.approx(total, rel=1e-6)


def test_existing_out_is_refused_and_kept(bd, write_model, tmp_path):
    model = write_model(WIDGET)
    out = tmp_path / "w.zip"
    out.write_bytes(b"keep me")
    with pytest.raises(ExchangeError, match="already exists"):
        export_model(model, "olca-jsonld", out)
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "olca-jsonld", "--out", str(out)])
    assert result.exit_code == 2 and "already exists" in flat(result.output) and "--out" in result.output
    assert out.read_bytes() == b"keep me" and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml", "w.zip"]


def test_unit_without_an_openlca_unit_is_refused(bd, write_model, tmp_path):
    model = write_model(textwrap.dedent("""\
        format: pcf-model/1
        product: {id: SALT, name: Salt, process: salt, reference_flow: {amount: 1, unit: mol}}
        study: {background: test-bg}
        processes:
          - id: salt
            name: salt making
            stage: production
            output: {amount: 1, unit: mol}
            inputs:
              - {background: steel, amount: 0.05, unit: kg}
        """))
    out = tmp_path / "s.zip"
    with pytest.raises(ExchangeError, match=r"process 'salt': unit 'mol' has no openLCA unit"):
        export_model(model, "olca-jsonld", out)
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "olca-jsonld", "--out", str(out)])
    assert result.exit_code == 2 and "'mol'" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml"]


def test_cli_writes_the_zip(bd, write_model, tmp_path):
    model = write_model(WIDGET)
    out = tmp_path / "sub" / "w.zip"
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "olca-jsonld", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out) and "wrote" in result.output
    shutil.rmtree(tmp_path / "sub")


def test_pcf_jsonld_importer_reads_the_zip(bd, write_model, tmp_path):
    """pcf's own JSON-LD reader (``pcf db import --format jsonld``) takes the zip: the 3
    processes, every elementary flow linked to biosphere3 by its id, and the background flows
    (steel, wood, elec, air: 4, none produced in the zip) as its zero-burden placeholders."""
    from pcf.importers.database import import_database

    out = export_model(write_model(WIDGET), "olca-jsonld", tmp_path / "w.zip")
    try:
        report = import_database(out, "jsonld", "olca-widget")
        assert report.processes == 3 and report.placeholders == 4
        assert report.biosphere_database == "" and not report.unlinked_ghg
    finally:
        for name in ("olca-widget", "olca-widget-biosphere"):
            if name in bd.databases:
                del bd.databases[name]


def test_model_uncertainty_becomes_openlca_distributions(bd, write_model, tmp_path):
    """elec 10 kWh, lognormal GSD 1.1 -> geometric mean 10, geometric SD 1.1; wood 1 kg,
    triangular 0.9..1.2 (mode the amount), in the part process with the mass allocation
    factor 0.25 -> 0.225 / 0.25 / 0.3 (olca-schema ``Uncertainty``)."""
    text = WIDGET.replace("{background: elec, amount: 10, unit: kWh}",
                          "{background: elec, amount: 10, unit: kWh, uncertainty: {distribution: lognormal, gsd: 1.1}}")
    text = text.replace("{background: wood, amount: 1, unit: kg}",
                        "{background: wood, amount: 1, unit: kg, uncertainty: {distribution: triangular, min: 0.9, "
                        "max: 1.2}}")
    pkg = olca_rules.check(export_model(write_model(text), "olca-jsonld", tmp_path / "u.zip"))
    exchanges = {(p["name"], e["flow"]["name"]): e for p in pkg["processes"].values() for e in p["exchanges"]}
    elec = exchanges[("widget assembly", "electricity")]["uncertainty"]
    assert elec["distributionType"] == "LOG_NORMAL_DISTRIBUTION"
    assert (elec["geomMean"], elec["geomSd"]) == (pytest.approx(10.0, rel=1e-9), pytest.approx(1.1, rel=1e-9))
    wood = exchanges[("part production", "wood chips")]["uncertainty"]
    assert wood["distributionType"] == "TRIANGLE_DISTRIBUTION"
    assert (wood["minimum"], wood["mode"], wood["maximum"]) == (pytest.approx(0.225), pytest.approx(0.25),
                                                                pytest.approx(0.3))
    assert "uncertainty" not in exchanges[("widget assembly", "part production")]


def test_write_new_never_replaces_a_file(tmp_path):
    """The race the existence check cannot close: ``write_new`` links its temporary file to the
    target, which fails when a file got there first; the file is kept, no temporary is left."""
    from pcf.core.files import write_new

    target = tmp_path / "x.zip"
    write_new(target, b"first")
    with pytest.raises(FileExistsError):
        write_new(target, b"second")
    assert target.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["x.zip"]


def test_what_openlca_cannot_hold_is_refused(bd):
    """Guards the linker never trips today, checked on hand-made exports: an exchange type other
    than technosphere / biosphere, and an activity with two product outputs."""
    from pcf.exchange.modelexport import ModelExport
    from pcf.exchange.olcajsonld import package

    production = {"name": "a", "reference product": "a", "unit": "kg", "location": "GLO", "database": "pcf-model-X",
                  "amount": 1.0, "type": "production", "input": ("pcf-fg-X", "a")}
    act = {"code": "a", "name": "a", "reference product": "a", "unit": "kg", "location": "GLO",
           "production amount": 1.0, "exchanges": [production, {**production, "type": "substitution"}]}
    with pytest.raises(ExchangeError, match="process 'a', input 'a': exchange type 'substitution' cannot be written"):
        package(ModelExport("pcf-model-X", "a", 1.0, [act], ["note"]), bd)
    act["exchanges"] = [production, production]
    with pytest.raises(ExchangeError, match="process 'a': openLCA JSON-LD needs exactly one product output"):
        package(ModelExport("pcf-model-X", "a", 1.0, [act], ["note"]), bd)


@pytest.mark.parametrize("tamper, complaint", [
    (lambda p: p["exchanges"][1].update(isInput="true"), "isInput"),
    (lambda p: p["exchanges"][1].update(inputs=True), "fields outside olca-schema 2"),
    (lambda p: p["exchanges"][0].update(unit={"@type": "Unit", "@id": "86ad2244-1f0e-4912-af53-7865283103e4",
                                              "name": "kWh"}), "not in the flow property's unit group"),
    (lambda p: p["exchanges"][0].update(isQuantitativeReference=False), "one quantitative reference"),
    (lambda p: p.update(processType="UNIT"), "processType"),
])
def test_the_checker_catches_a_broken_zip(bd, write_model, tmp_path, tamper, complaint):
    """tests/olca_rules.py is only worth its checks if it fails: a zip of the widget with one
    process edited against olca-schema 2 is refused."""
    out = export_model(write_model(WIDGET), "olca-jsonld", tmp_path / "w.zip")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.startswith("processes/") and b'"widget assembly"' in data:
                process = json.loads(data)
                tamper(process)
                data = json.dumps(process).encode()
            dst.writestr(name, data)
    with pytest.raises(AssertionError) as failure:
        olca_rules.check(broken)
    assert complaint in str(failure.value)
