"""`pcf db search` (issue 17 part 2): fuzzy search of the installed backgrounds.

Expected figures are worked out by hand from the tables:

- databases/open-default.csv, the graphite rows (the only rows whose name or reference product
  says graphite): ``graphite_natural_battery_cn`` has only ``co2e_unsplit`` = 10.56048913 and
  ``graphite_synthetic_battery_cn`` only ``co2e_unsplit`` = 43.87147799 [kg CO2e / kg]; pcf writes
  ``co2e_unsplit`` as fossil CO2 (factor 1 under every method), so these are their kg CO2e per kg.
  Both rate TeR 2, GeR 1, TiR 1, P 2: DQR = 6 / 4 = 1.5; unit kg, location CN; neither says proxy.
- tests/conftest.py's ``test-bg``: ``steel`` 2.0 kg CO2 fossil / kg = 2.0 kg CO2e / kg; ``elec``
  0.5 kg CO2 + 0.001 kg CH4 fossil + 0.0001 kg N2O per kWh: IPCC 2021 (AR6 Table 7.15: CH4 fossil
  29.8, N2O 273) 0.5 + 0.0298 + 0.0273 = 0.5571; IPCC 2013 as in the ecoinvent 3.9 LCIA file (AR5
  Table 8.A.1 values, CH4 fossil 29.7, N2O 264.8; tests/test_lca.py) 0.5 + 0.0297 + 0.02648 = 0.55618
  kg CO2e / kWh.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.background.search import search_activities, yaml_scalar
from pcf.core.errors import BackgroundError, UnitError
from pcf.lca import footprint
from pcf.model import load_model
from tests.conftest import REPO, flat
from tests.test_import import ecospold2_dir  # noqa: F401  (fixture)

runner = CliRunner()

GRAPHITE = {  # key -> kg CO2e / kg, from the CSV's co2e_unsplit (module docstring)
    "graphite_natural_battery_cn": 10.56048913,
    "graphite_synthetic_battery_cn": 43.87147799,
}


def search_json(*args: str) -> list[dict]:
    result = runner.invoke(cli.app, ["db", "search", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def csv_rows() -> list[dict]:
    with (REPO / "databases" / "open-default.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_graphite_lists_the_open_default_graphite_rows_first_with_kg_co2e_per_kg(open_default):
    in_csv = {r["key"] for r in csv_rows() if "graphite" in (r["name"] + r["reference_product"]).lower()}
    assert in_csv == set(GRAPHITE)  # the hand-worked figures cover every graphite row of the table
    records = search_json("graphite", "--limit", "50")
    first = records[:len(GRAPHITE)]
    assert {r["code"] for r in first} == set(GRAPHITE)
    assert not any("graphite" in (r["name"] + r["reference_product"]).lower() for r in records[len(GRAPHITE):])
    for r in first:
        assert r["kg_co2e_per_unit"] == pytest.approx(GRAPHITE[r["code"]], rel=1e-6)  # float32 amounts
        assert (r["database"], r["unit"], r["location"], r["proxy"]) == ("open-default", "kg", "CN", False)
        assert r["reference"] == "{background: %s}" % r["code"]
        assert r["dqr"] == {"ter": 2, "ger": 1, "tir": 1, "p": 2, "dqr": 1.5}
        assert r["source"].startswith("[graphite_") and "Istrate" in r["source"]
        assert r["score"] == 100.0


def test_table_at_80_columns_shows_references_whole_and_figures(open_default):
    result = runner.invoke(cli.app, ["db", "search", "graphite"], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for key in GRAPHITE:
        assert "{background: %s}" % key in result.stdout  # on one line, never folded
    assert "10.56 / kg" in result.stdout and "43.87 / kg" in result.stdout
    assert "DQR 1.50 · proxy no" in result.stdout


def test_wide_table_has_a_column_per_field(open_default):
    """The console reads COLUMNS when cli is imported: the installed command in a process of its own."""
    exe = shutil.which("pcf") or str(Path(sys.executable).parent / "pcf")
    result = subprocess.run([exe, "db", "search", "eva encapsulant", "--limit", "1"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 160
    header = result.stdout.splitlines()[2]
    for title in ("reference", "name", "reference product", "loc", "kg CO2e / unit", "DQR", "proxy", "source"):
        assert title in header
    row = next(line for line in result.stdout.splitlines() if "eva_proxy_ldpe_ice" in line)
    # the CSV row: TeR 4, GeR 3, TiR 5, P 3 -> 3.75; name "PROXY: ethylene vinyl acetate ..."
    assert "3.75" in row and "yes" in row


def test_pasted_reference_is_the_model_input_form(open_default, write_model):
    """The reference, pasted into a model as printed, gives 2 kg x the row's figure."""
    [hit] = search_activities("natural graphite spherical", limit=1)
    model = write_model(textwrap.dedent(f"""\
        format: pcf-model/1
        product: {{id: ANODE, name: Anode, process: anode, reference_flow: {{amount: 1, unit: item}}}}
        processes:
          - id: anode
            name: Anode
            stage: production
            output: {{amount: 1, unit: item}}
            inputs:
              - {hit.reference[:-1]}, amount: 2, unit: kg}}
        """))
    result = footprint(load_model(model))
    assert result.total_kg_co2e == pytest.approx(2 * GRAPHITE["graphite_natural_battery_cn"], rel=1e-6)


def test_location_unit_and_database_filters(open_default):
    rows = csv_rows()
    east = search_json("electricity", "--location", "cn-EAST", "--limit", "50")
    assert {r["code"] for r in east} == {r["key"] for r in rows if r["location"] == "CN-east"
                                         and "electricity" in (r["name"] + r["reference_product"]).lower()}
    assert {r["location"] for r in east} == {"CN-east"}
    gas = search_json("natural gas", "--unit", "kWh", "--limit", "50")
    assert gas and {r["unit"] for r in gas} == {"kWh"}
    assert "natural_gas_combusted_mj" not in {r["code"] for r in gas}
    by_name = search_json("graphite", "--unit", "kilogram")  # Brightway's unit name is the same unit
    assert {r["code"] for r in by_name[:2]} == set(GRAPHITE)
    only = search_json("steel", "--database", "test-bg")
    assert [(r["database"], r["code"], r["reference"]) for r in only] == [
        ("test-bg", "steel", "{database: test-bg, code: steel}")]
    assert only[0]["kg_co2e_per_unit"] == pytest.approx(2.0, rel=1e-6)
    assert only[0]["proxy"] is False and only[0]["dqr"]["dqr"] == 1.0


def test_method_changes_the_figure(bd):
    ar6 = search_json("electricity", "--database", "test-bg")
    ar5 = search_json("electricity", "--database", "test-bg", "--method", "ipcc-2013-gwp100")
    assert ar6[0]["code"] == ar5[0]["code"] == "elec"
    assert ar6[0]["kg_co2e_per_unit"] == pytest.approx(0.5571, rel=1e-6)
    assert ar5[0]["kg_co2e_per_unit"] == pytest.approx(0.55618, rel=1e-6)


def test_ranking_is_fuzzy(open_default):
    # within the open default: other tests of the session import models that name the same
    # products (an openLCA re-import of NMC811 holds "nmc811" activities of hashed codes)
    od = "open-default"
    assert search_activities("nmc 811", database=od, limit=1)[0].code == "cam_nmc811_greet"  # "nmc" begins "nmc811"
    assert search_activities("aluminum foil", database=od, limit=1)[0].code == "aluminium_foil_defra"  # misspelt
    top = search_activities("electricity east china", database=od, limit=2)
    assert {m.code for m in top} == {"electricity_cn_east_2022", "electricity_cn_east_2023"}  # before northeast
    assert search_activities("steel", database="open-default", limit=1)[0].code.startswith("steel_")  # before stainless


def test_no_match_exits_1(open_default):
    result = runner.invoke(cli.app, ["db", "search", "xyzzy"])
    assert result.exit_code == 1
    assert "no activity matches 'xyzzy' in open-default" in result.stderr
    result = runner.invoke(cli.app, ["db", "search", "graphite", "--location", "FR", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout) == []
    assert "location 'FR'" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["steel", "--database", "nope"], "no background database 'nope' installed; installed: open-default"),
    (["steel", "--database", "biosphere3"], "no background database 'biosphere3' installed"),
    (["steel", "--method", "nope"], "unknown method 'nope'; known methods: ipcc-2021-gwp100, ipcc-2013-gwp100, "
                                    "ef-3.1-climate-change (--method)"),
    (["steel", "--unit", "bogus"], "unknown unit 'bogus'"),
    (["  ,, "], "nothing to search for"),
    (["steel", "--limit", "0"], "limit 0 must be at least 1 (--limit)"),
])
def test_bad_input_exits_2(open_default, args, message):
    result = runner.invoke(cli.app, ["db", "search", *args])
    assert result.exit_code == 2
    assert message in flat(result.stderr)  # messages wrap at 80 columns
    assert "Traceback" not in result.output


def test_library_errors_name_no_flag(bd):
    with pytest.raises(BackgroundError, match="installed: .*test-bg") as exc:
        search_activities("steel", database="nope")
    assert exc.value.option == "database"
    with pytest.raises(UnitError) as exc:
        search_activities("steel", unit="bogus")
    assert exc.value.option == "unit"


@pytest.mark.parametrize("text, scalar", [
    ("graphite_natural_battery_cn", "graphite_natural_battery_cn"),
    ("uslci-fy17", "uslci-fy17"),
    ("123", '"123"'),  # YAML would read an int
    ("true", '"true"'),
    ("a: b", '"a: b"'),
    ("x, y", '"x, y"'),
    (" lead", '" lead"'),
])
def test_yaml_scalar(text, scalar):
    assert yaml_scalar(text) == scalar


def test_imported_database_rows_and_placeholders(ecospold2_dir, bd):
    """tests/test_import.py's EcoSpold2 pair: widget = 0.5 + 2 kg steel x 3 = 6.5 kg CO2e / kg (hand);
    its unlinked input 'mystery paint' is a zero-burden placeholder, never offered."""
    from pcf.api import import_database, remove_database

    import_database(ecospold2_dir, "ecospold2", "search-es2", replace=True)
    try:
        [widget] = search_json("widget", "--database", "search-es2")
        assert widget["name"] == "widget production" and widget["unit"] == "kilogram"
        assert widget["reference"] == "{database: search-es2, code: %s}" % widget["code"]
        assert widget["kg_co2e_per_unit"] == pytest.approx(6.5, rel=1e-6)
        assert widget["dqr"] is None and widget["proxy"] is None  # an import records neither
        assert widget["source"].endswith("(ecospold2); unlinked: technosphere 1")
        [steel] = search_json("steel", "--database", "search-es2", "--unit", "kg")  # kg = kilogram
        assert steel["name"] == "steel production" and steel["kg_co2e_per_unit"] == pytest.approx(3.0, rel=1e-6)
        result = runner.invoke(cli.app, ["db", "search", "mystery paint", "--database", "search-es2"])
        assert result.exit_code == 1 and "no activity matches 'mystery paint' in search-es2" in result.stderr
    finally:
        remove_database("search-es2")
