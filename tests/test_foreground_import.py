"""Foreground import (pcf.importers.premise, ``pcf import-foreground``): link table
validation, a hand-solvable two-activity workbook, the premise NMC811 cell, the CLI.

The small workbook (written by the test with openpyxl), per 1 kg of widget::

    widget production (1 kg)                        part production (1 kg)
      0.5 kg part production  (internal)              0.6 kg nickel sulfate    -> proxy, x 1.698481
      0.4 kg reinforcing steel -> exact                0.4 kg unobtainium       -> unlinked
      0.4 kg sheet rolling, steel (service)           -0.001 m3 wastewater     (waste to treatment)
      0.2 kg tap water (water)
      1e-9 unit chemical factory (cut-off)
      0.1 kg Carbon dioxide, fossil to air (GHG)
      0.01 m3 Water to air (not a GHG: ignored)

    mass basis (part)   = 0.6 + 0.4 = 1.0 kg;  linked 0.6         -> share 0.6
    mass basis (widget) = 0.5 + 0.4 = 0.9 kg;  linked 0.5*0.6+0.4 -> share 0.7/0.9
    with water          = 1.1 kg                                  -> share 0.7/1.1
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcf.importers.premise import (LINKS, OPEN_DEFAULT, ForegroundImportError, LinkTableError, import_foreground,
                                   load_links, run_import)
from pcf.model import load_model
from pcf.core.units import conversion_factor
from tests.conftest import SHARED
from tests.conftest import flat

PREMISE = SHARED / "data" / "premise" / "lci-batteries-NMC111-811-NCA-LFP.xlsx"
HEADER = "ecoinvent_name,reference_product,location,open_default_key,factor,factor_unit,match,note\n"
SMALL_LINKS = HEADER + (
    "market for reinforcing steel,reinforcing steel,*,steel_world_avg_ice,1,kg/kg,exact,same material\n"
    "market for nickel sulfate,nickel sulfate,*,nickel_sulfate_hexahydrate_glo_excl_cn,1.698481,kg/kg,proxy,"
    "anhydrous -> hexahydrate 262.84/154.75\n"
    "\"market for sheet rolling, steel\",\"sheet rolling, steel\",*,,,,service,processing service\n"
    "market for tap water,tap water,*,,,,water,process water\n"
    "\"market for chemical factory, organics\",*,*,,,,cut-off,capital good\n"
)


def _od() -> dict[str, dict]:
    with open(OPEN_DEFAULT, newline="", encoding="utf-8") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


def _co2e(row: dict) -> float:
    """kg CO2e / unit of an open-default row that has only CO2 and unsplit CO2e (1:1 under AR6)."""
    for gas in ("ch4_fossil", "ch4_biogenic", "n2o", "sf6", "nf3", "cf4", "c2f6", "co2_biogenic", "co2_dluc"):
        assert not (row.get(gas) or "").strip(), f"{row['key']} has {gas}; pick a CO2-only row for a hand check"
    return sum(float(row[c] or 0) for c in ("co2_fossil", "co2e_unsplit"))


def write_workbook(path: Path, widget_extra: list | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Widgets"
    hdr = ["name", "amount", "unit", "location", "type", "reference product", "categories"]
    rows = [["Database", "widgets"], [],
            ["Activity", "widget production"], ["location", "GLO"], ["production amount", 1],
            ["reference product", "widget"], ["unit", "kilogram"], ["Exchanges"], hdr,
            ["widget production", 1, "kilogram", "GLO", "production", "widget"],
            ["part production", 0.5, "kilogram", "GLO", "technosphere", "part"],
            ["market for reinforcing steel", 0.4, "kilogram", "GLO", "technosphere", "reinforcing steel"],
            ["market for sheet rolling, steel", 0.4, "kilogram", "GLO", "technosphere", "sheet rolling, steel"],
            ["market for tap water", 0.2, "kilogram", "RoW", "technosphere", "tap water"],
            ["market for chemical factory, organics", 1e-9, "unit", "GLO", "technosphere", "chemical factory, organics"],
            ["Carbon dioxide, fossil", 0.1, "kilogram", None, "biosphere", None, "air"],
            ["Water", 0.01, "cubic meter", None, "biosphere", None, "air::non-urban air or from high stacks"],
            *(widget_extra or []),
            [],
            ["Activity", "part production"], ["location", "GLO"], ["production amount", 1],
            ["reference product", "part"], ["unit", "kilogram"], ["Exchanges"], hdr,
            ["part production", 1, "kilogram", "GLO", "production", "part"],
            ["market for nickel sulfate", 0.6, "kilogram", "GLO", "technosphere", "nickel sulfate"],
            ["market for unobtainium", 0.4, "kilogram", "GLO", "technosphere", "unobtainium"],
            ["market for wastewater, average", -0.001, "cubic meter", "RoW", "technosphere", "wastewater, average"],
            []]
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def small(tmp_path):
    links = tmp_path / "links.csv"
    links.write_text(SMALL_LINKS, encoding="utf-8")
    return write_workbook(tmp_path / "widgets.xlsx"), links


# ------------------------------------------------------------------ link table


def test_every_link_names_an_open_default_key_with_a_compatible_unit():
    od = _od()
    with open(LINKS, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        if row["match"] in ("exact", "proxy"):
            assert row["open_default_key"] in od, row
            to_unit, from_unit = row["factor_unit"].split("/")
            conversion_factor(to_unit, od[row["open_default_key"]]["unit"])  # raises on a dimension mismatch
            assert float(row["factor"]) > 0
            if row["match"] == "proxy":
                assert row["note"].strip()
        else:
            assert row["match"] in ("service", "water", "cut-off") and not row["open_default_key"] and row["note"]
    table = load_links()  # the library's own validation agrees
    assert len(table.links) == len(rows)


def test_hydrate_factors_state_their_arithmetic():
    table = load_links()
    ni = table.find("market for nickel sulfate", "nickel sulfate", "GLO")
    assert ni.key == "nickel_sulfate_hexahydrate_glo_excl_cn"
    assert ni.factor == pytest.approx(262.84 / 154.75, rel=1e-6) and "262.84/154.75" in ni.note
    li = table.find("market for lithium hydroxide, battery grade", "lithium hydroxide, battery grade", "GLO")
    assert li.factor == pytest.approx(41.96 / 23.95, rel=1e-6)


def test_link_table_unknown_key_is_a_file_line_error(tmp_path):
    bad = tmp_path / "links.csv"
    bad.write_text(HEADER + "market for steel,steel,*,steel_world_avg_ice,1,kg/kg,exact,ok\n"
                   "market for gold,gold,*,no_such_key,1,kg/kg,exact,x\n", encoding="utf-8")
    with pytest.raises(LinkTableError) as exc:
        load_links(bad)
    assert str(exc.value).startswith(f"{bad}:3: ") and "no_such_key" in str(exc.value)


@pytest.mark.parametrize("factor,unit,needle", [("-1", "kg/kg", "positive"), ("abc", "kg/kg", "not a number"),
                                                ("nan", "kg/kg", "positive"), ("1", "kWh/kg", "does not fit"),
                                                ("1", "kg", "must read")])
def test_link_table_bad_factor_is_a_file_line_error(tmp_path, factor, unit, needle):
    bad = tmp_path / "links.csv"
    bad.write_text(HEADER + f"market for steel,steel,*,steel_world_avg_ice,{factor},{unit},exact,ok\n", encoding="utf-8")
    with pytest.raises(LinkTableError) as exc:
        load_links(bad)
    assert str(exc.value).startswith(f"{bad}:2: ") and needle in str(exc.value)


def test_link_table_proxy_needs_a_note_and_duplicates_are_refused(tmp_path):
    bad = tmp_path / "links.csv"
    bad.write_text(HEADER + "market for steel,steel,*,steel_world_avg_ice,1,kg/kg,proxy,\n", encoding="utf-8")
    with pytest.raises(LinkTableError, match=r":2: a proxy link must say"):
        load_links(bad)
    bad.write_text(HEADER + "a,b,*,steel_world_avg_ice,1,kg/kg,exact,x\nA,B,*,steel_world_avg_ice,1,kg/kg,exact,x\n",
                   encoding="utf-8")
    with pytest.raises(LinkTableError, match=r":3: duplicate row"):
        load_links(bad)


def test_most_specific_row_wins(tmp_path):
    t = tmp_path / "links.csv"
    t.write_text(HEADER + "elec,*,*,electricity_cn_national_avg_2023,1,kWh/kWh,proxy,any\n"
                 "elec,*,CN-east,electricity_cn_east_2023,1,kWh/kWh,exact,east\n", encoding="utf-8")
    table = load_links(t)
    assert table.find("Elec", "x", "CN-east").key == "electricity_cn_east_2023"
    assert table.find("elec", "x", "RoW").key == "electricity_cn_national_avg_2023"
    assert table.find("gas", "x", "RoW") is None


# ------------------------------------------------------------------ small workbook


def test_small_workbook_shares_and_model(small):
    xlsx, links = small
    model, rep = import_foreground(xlsx, "widget", links=links)
    assert rep.linked_mass_share == pytest.approx(0.7 / 0.9)
    assert rep.linked_mass_share_incl_water == pytest.approx(0.7 / 1.1)
    assert rep.process_shares == {"widget_production": pytest.approx(0.7 / 0.9), "part_production": pytest.approx(0.6)}
    procs = {p["id"]: p for p in model["processes"]}
    assert model["product"]["process"] == "widget_production"
    assert procs["widget_production"]["stage"] == "production"
    assert procs["part_production"]["stage"] == "raw_material_acquisition"
    w, p = procs["widget_production"], procs["part_production"]
    # the product step is 'production': its background materials move to a raw-material sibling
    assert w["inputs"][0] == {"process": "widget_production_materials", "amount": 1, "unit": "item",
                              "comment": "materials and inbound transport of this step (raw material acquisition)"}
    assert procs["widget_production_materials"]["stage"] == "raw_material_acquisition"
    assert {"process": "part_production", "amount": 0.5, "unit": "kg"}.items() <= w["inputs"][1].items()
    steel = procs["widget_production_materials"]["inputs"][0]
    assert steel["background"] == "steel_world_avg_ice" and steel["amount"] == 0.4 and "market for reinforcing steel" in steel["comment"]
    ni = p["inputs"][0]
    assert ni["background"] == "nickel_sulfate_hexahydrate_glo_excl_cn" and ni["amount"] == pytest.approx(0.6 * 1.698481)
    assert w["emissions"] == [{"substance": "carbon dioxide", "origin": "fossil", "amount": 0.1, "unit": "kg",
                               "comment": "Carbon dioxide, fossil (row 16)"}]
    assert [f["name"] for f in rep.ignored_flows] == ["Water"]
    assert {e["name"].split(" [")[0] for e in w["excluded"]} == {
        "market for sheet rolling, steel", "market for tap water", "market for chemical factory, organics"}
    assert {e["name"].split(" [")[0]: e["amount"] for e in p["excluded"]} == {
        "market for unobtainium": 0.4, "market for wastewater, average": 0.001}
    status = {(r.process, r.ecoinvent_name): r for r in rep.rows}
    assert status[("widget_production", "market for reinforcing steel")].status == "linked exact"
    assert status[("widget_production", "market for reinforcing steel")].mass_share == pytest.approx(0.4 / 0.9)
    assert status[("part_production", "market for nickel sulfate")].status == "linked proxy"
    assert status[("part_production", "market for unobtainium")].status == "unlinked"
    assert status[("part_production", "market for wastewater, average")].status == "waste"
    assert status[("widget_production", "market for sheet rolling, steel")].status == "service"
    assert status[("widget_production", "market for tap water")].status == "water"
    assert status[("widget_production", "market for chemical factory, organics")].status == "cut-off"
    md = rep.to_markdown()
    assert "Linked mass share: 77.8 %" in md and "market for unobtainium" in md


def test_small_workbook_screening_estimate(small):
    """Unlinked 0.5*0.4 = 0.2 kg at the mass-weighted median of the linked intensities."""
    xlsx, links = small
    _, rep = import_foreground(xlsx, "widget production", links=links)
    od = _od()
    steel, ni = _co2e(od["steel_world_avg_ice"]), _co2e(od["nickel_sulfate_hexahydrate_glo_excl_cn"]) * 1.698481
    # linked mass per widget: steel 0.4 kg, nickel sulfate 0.3 kg (of 0.7): steel holds the mass median
    # whichever intensity is higher
    generic = steel
    assert rep.screening_kg_co2e_per_kg == pytest.approx(generic, rel=1e-6)
    un = [r for r in rep.rows if r.ecoinvent_name == "market for unobtainium"][0]
    assert un.kg_co2e_per_product == pytest.approx(0.2 * generic, rel=1e-6)
    total = 0.4 * steel + 0.3 * ni + 0.1 + 0.2 * generic
    assert rep.estimated_total_kg_co2e == pytest.approx(total, rel=1e-6)
    assert rep.unlinked_ghg_share == pytest.approx(0.2 * generic / total, rel=1e-6)


def test_small_workbook_model_loads_and_computes(small, tmp_path, open_default):
    from pcf.api import compute

    xlsx, links = small
    out = tmp_path / "widget.yaml"
    run = run_import(xlsx, "widget", out, links=links, product_id="WIDGET-1")
    assert set(run.files) == {"model", "links.md", "links.json"} and all(p.exists() for p in run.files.values())
    assert (tmp_path / "widget.links.md").exists() and (tmp_path / "widget.links.json").exists()
    load_model(out)
    od = _od()
    expected = (0.4 * _co2e(od["steel_world_avg_ice"]) + 0.1
                + 0.5 * 0.6 * 1.698481 * _co2e(od["nickel_sulfate_hexahydrate_glo_excl_cn"]))
    result = compute(out).to_json()
    assert result["product"]["id"] == "WIDGET-1"
    assert result["total_kg_co2e"] == pytest.approx(expected, rel=1e-5)


def test_internal_activity_replaced_by_an_exact_link_only_when_poorly_linked(small, tmp_path):
    xlsx, links = small
    links.write_text(links.read_text() + "part production,part,*,steel_world_avg_ice,1,kg/kg,exact,test\n")
    model, rep = import_foreground(xlsx, "widget", links=links)  # part is 60 % linked < 95 % -> link
    assert [p["id"] for p in model["processes"]] == ["widget_production", "widget_production_materials"]
    assert rep.linked_mass_share == pytest.approx(1.0)
    assert rep.linked_internal[0]["share_if_expanded"] == pytest.approx(0.6)
    model, rep = import_foreground(xlsx, "widget", links=links, internal="expand")
    assert [p["id"] for p in model["processes"]] == ["widget_production", "widget_production_materials", "part_production"]
    links.write_text(links.read_text().replace("exact,test", "proxy,test"))
    model, _ = import_foreground(xlsx, "widget", links=links)  # proxies never replace an activity
    assert len(model["processes"]) == 3


def test_product_choice_errors(small):
    xlsx, links = small
    with pytest.raises(ForegroundImportError, match="no activity matches product 'gizmo'"):
        import_foreground(xlsx, "gizmo", links=links)
    with pytest.raises(ForegroundImportError, match="is ambiguous: 'widget production'.*'part production'"):
        import_foreground(xlsx, "production", links=links)


def test_stage_override_and_unknown_stage(small):
    xlsx, links = small
    model, _ = import_foreground(xlsx, "widget", links=links, stages={"part_production": "production"})
    assert {p["id"]: p["stage"] for p in model["processes"]}["part_production"] == "production"
    from pcf.core.errors import PCFError

    with pytest.raises(PCFError, match="not one of"):
        import_foreground(xlsx, "widget", links=links, stages={"part_production": "mining"})


def test_not_a_workbook_is_a_file_error(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("not excel")
    with pytest.raises(ForegroundImportError, match=r"x.xlsx: not a readable .xlsx workbook"):
        import_foreground(bad, "widget")


# ------------------------------------------------------------------ premise NMC811 cell

needs_premise = pytest.mark.skipif(not PREMISE.exists(), reason="../shared premise data not present")


def _independent_share(path: Path) -> float:
    """Linked mass share of 'battery cell production, Li-ion, NMC811', computed from the workbook
    with openpyxl and the link table's CSV rows only (not the importer's code): recursive
    mass-weighted rule; services, water, waste and capital goods outside the mass basis; an
    internal activity with an exact link is linked whole when its own share is below 95 %."""
    import openpyxl

    with open(LINKS, newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))

    def link(name, rp, loc):
        best = None
        for r in table:
            if r["ecoinvent_name"].lower() != name.lower():
                continue
            if r["reference_product"] not in ("*", rp) or r["location"] not in ("*", loc):
                continue
            score = (r["reference_product"] != "*") * 2 + (r["location"] != "*")
            if best is None or score > best[0]:
                best = (score, r)
        return best[1] if best else None

    ws = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
    acts, cur, hdr = {}, None, None
    for row in ws.iter_rows(values_only=True):
        if row[0] == "Activity":
            cur, hdr = acts.setdefault(row[1], []), None
        elif row[0] == "Exchanges":
            hdr = "next"
        elif hdr == "next":
            hdr = list(row)
        elif isinstance(hdr, list) and row[0] is not None:
            rec = dict(zip(hdr, row))
            cur.append(rec)
    memo = {}

    def share(name):
        if name in memo:
            return memo[name]
        num = den = 0.0
        for ex in acts[name]:
            if ex["type"] != "technosphere" or ex["unit"] != "kilogram" or ex["amount"] <= 0:
                continue
            kg = ex["amount"]
            lk = link(ex["name"], ex.get("reference product"), ex.get("location"))
            if ex["name"] in acts:
                sub = share(ex["name"])
                whole = lk is not None and lk["match"] == "exact" and sub < 0.95
                num, den = num + kg * (1.0 if whole else sub), den + kg
            elif lk is not None and lk["match"] in ("service", "water"):
                continue
            else:
                num, den = num + (kg if lk is not None and lk["match"] in ("exact", "proxy") else 0.0), den + kg
        memo[name] = num / den if den else 1.0
        return memo[name]

    return share("battery cell production, Li-ion, NMC811")


@needs_premise
def test_nmc811_linked_mass_share_matches_an_independent_count():
    model, rep = import_foreground(PREMISE, "battery cell, NMC811")
    assert model["product"]["process"] == "battery_cell_production_li_ion_nmc811"  # not the market activity
    assert rep.linked_mass_share == pytest.approx(_independent_share(PREMISE), rel=1e-9)
    # floor only; the issue's 95 % target is asserted below (98.5 % once sodium hydroxide and sulfuric acid are linked)
    assert rep.linked_mass_share >= 0.90
    # with sodium hydroxide linked, premise's own 'NMC811 oxide' inventory is 99.8 % linked, so 'auto' expands
    # it rather than replacing it by the GREET CAM figure; 'link' still replaces it
    assert not any(li["key"] == "cam_nmc811_greet" for li in rep.linked_internal)
    _, rep_link = import_foreground(PREMISE, "battery cell, NMC811", internal="link")
    assert any(li["key"] == "cam_nmc811_greet" for li in rep_link.linked_internal)


@needs_premise
def test_nmc811_linked_mass_share_meets_the_issue_target():
    """The issue asks for at least 95 % of the cell's mass linked (92.8 % before the sodium hydroxide and sulfuric
    acid rows; the foils' etching chemicals were the largest unlinked inputs)."""
    _, rep = import_foreground(PREMISE, "battery cell, NMC811")
    assert rep.linked_mass_share >= 0.95


@needs_premise
def test_nmc811_model_computes_in_the_published_range(tmp_path, open_default):
    """Published cradle-to-gate NMC cell footprints are about 40-120 kg CO2e per kWh of cell
    (Emilsson E., Dahllöf L. (2019) Lithium-ion vehicle battery production, IVL report C444:
    61-106 kg CO2e/kWh; Dai et al. (2019) Batteries 5(2):48 and Crenna et al. (2021) RCR 170:105619
    lie in the same band). At the 0.28 kWh per kg of cell of the premise capacity workbook
    (lci-battery-capacity.xlsx, Hasselwander et al. 2023) that is about 11-34 kg CO2e per kg of
    cell; the open default's CO2-only Chinese grid factors sit at the low end."""
    from pcf.api import compute

    out = tmp_path / "nmc811-cell.yaml"
    run_import(PREMISE, "battery cell, NMC811", out)
    system = load_model(out)
    assert system.model.processes[0].inputs[1].comment.startswith("linked from ecoinvent")
    result = compute(out).to_json()
    total = result["total_kg_co2e"]
    # materials (CAM, graphite, foils' metal) are raw material acquisition, not cell production
    assert result["stages"]["raw_material_acquisition"] > result["stages"]["production"]
    assert math.isfinite(total) and 11 <= total <= 34
    assert 40 <= total / 0.28 <= 120


# ------------------------------------------------------------------ CLI


runner = CliRunner()


def test_cli_import_writes_model_and_report(small, tmp_path):
    import cli

    xlsx, links = small
    out = tmp_path / "w.yaml"
    res = runner.invoke(cli.app, ["import-foreground", str(xlsx), "--product", "widget", "--out", str(out),
                                  "--links", str(links), "--product-id", "W-1", "--stage", "part_production=production"])
    assert res.exit_code == 0, res.output
    assert "linked mass share 77.8 %" in flat(res.output) and "w.links.md" in res.output
    assert load_model(out).model.product.id == "W-1"


@pytest.mark.parametrize("args,needle", [(["--product", "gizmo"], "no activity matches"),
                                         (["--product", "production"], "ambiguous"),
                                         (["--product", "widget", "--stage", "nope"], "ID=STAGE"),
                                         (["--product", "widget", "--internal", "sometimes"], "internal must be")])
def test_cli_errors_exit_2_and_write_nothing(small, tmp_path, args, needle):
    import cli

    xlsx, links = small
    out = tmp_path / "w.yaml"
    res = runner.invoke(cli.app, ["import-foreground", str(xlsx), "--out", str(out), "--links", str(links), *args])
    assert res.exit_code == 2 and needle in flat(res.output)
    assert not list(tmp_path.glob("w.*"))


def test_cli_bad_link_table_exit_2(small, tmp_path):
    import cli

    xlsx, links = small
    links.write_text(HEADER + "x,y,*,nope,1,kg/kg,exact,z\n")
    res = runner.invoke(cli.app, ["import-foreground", str(xlsx), "--product", "widget", "--out", str(tmp_path / "w.yaml"),
                                  "--links", str(links)])
    assert res.exit_code == 2 and f"{links}:2:" in flat(res.output)
    assert not (tmp_path / "w.yaml").exists()


def test_cli_help_has_the_example():
    import cli

    res = runner.invoke(cli.app, ["import-foreground", "--help"])
    assert res.exit_code == 0 and "Example: pcf import-foreground" in flat(res.output)
