"""GWP basis of every figure and the share of the total on another basis (issue 14 part 2), by hand.

Background ``test-gwp`` (written here), per kg [kg gas; co2e_unsplit kg CO2e]:

    pergas   CO2 1.0, CH4 fossil 0.01, N2O 0.001           gas_basis masses
    ar5      co2e_unsplit 2.0                               co2e_gwp AR5
    co2only  CO2 3.0                                        gas_basis co2_only
    mixed    CO2 1.0, CH4 fossil 0.01 + co2e_unsplit 0.5    masses, co2e_gwp AR6
    derived  CO2 2.0 of which 1.5 from a CO2-only factor    masses, co2_only_fossil 1.5

The model draws 1 kg of each and emits 0.2 kg fossil CO2 itself (per gas).

GWP100 as implemented in the ecoinvent 3.9 LCIA file (tests/test_lca.py): AR6 CH4 fossil 29.8,
N2O 273; AR5 CH4 fossil 29.7, N2O 264.8. Pre-aggregated CO2e is booked as fossil CO2 (1).

ipcc-2021-gwp100 (AR6):
    pergas 1 + 0.298 + 0.273 = 1.571 per gas; ar5 2.0 off (AR5 CO2e); co2only 3.0 off;
    mixed 1.298 per gas + 0.5 AR6 CO2e (on); derived 0.5 per gas + 1.5 CO2 only (off); direct 0.2.
    total = 1.571 + 2 + 3 + 1.798 + 2 + 0.2 = 10.569; off = 2 + 3 + 1.5 = 6.5; share 6.5 / 10.569.
ipcc-2013-gwp100 (AR5):
    pergas 1 + 0.297 + 0.2648 = 1.5618; ar5 2.0 on; co2only 3.0 off; mixed 1.297 per gas +
    0.5 AR6 CO2e (off); derived 1.5 off; direct 0.2.
    total = 1.5618 + 2 + 3 + 1.797 + 2 + 0.2 = 10.5588; off = 3 + 0.5 + 1.5 = 5.0.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from pcf.background.opendefault import read_rows
from pcf.core.errors import SourceError
from pcf.lca import footprint
from pcf.model import load_model
from builders import document

HEADER = ("key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,"
          "co2_dluc,sf6,nf3,cf4,c2f6,co2e_unsplit,gas_basis,co2e_gwp,co2_only_fossil,gwp_note,aircraft,factor_ids,"
          "source,note,dqr_ter,dqr_ger,dqr_tir,dqr_p\n")
TABLE = HEADER + """\
pergas,per-gas row,x,kg,GLO,2024,1.0,0.01,,0.001,,,,,,,,masses,,,gas masses,,,test table written by hand,,1,1,1,1
ar5,AR5 row,x,kg,GLO,2024,,,,,,,,,,,2.0,,AR5,,DESNZ AR5 total,,,test table written by hand,,1,1,1,1
co2only,CO2-only row,x,kg,GLO,2024,3.0,,,,,,,,,,,co2_only,,,CO2 only,,,test table written by hand,,1,1,1,1
mixed,mixed row,x,kg,GLO,2024,1.0,0.01,,,,,,,,,0.5,masses,AR6,,GREET,,,test table written by hand,,1,1,1,1
derived,derived row,x,kg,GLO,2024,2.0,,,,,,,,,,,masses,,1.5,CO2-only grid inside,,,test table written by hand,,1,1,1,1
"""
REL = 1e-6


def model(method: str) -> str:
    return textwrap.dedent(f"""\
        format: pcf-model/1
        product: {{id: GWP, name: GWP basis test, process: p, reference_flow: {{amount: 1, unit: item}}}}
        study: {{background: test-gwp, method: {method}}}
        processes:
          - id: p
            name: P
            stage: production
            output: {{amount: 1, unit: item}}
            inputs:
              - {{background: pergas, amount: 1, unit: kg}}
              - {{background: ar5, amount: 1, unit: kg}}
              - {{background: co2only, amount: 1, unit: kg}}
              - {{background: mixed, amount: 1, unit: kg}}
              - {{background: derived, amount: 1, unit: kg}}
            emissions:
              - {{substance: carbon dioxide, origin: fossil, amount: 0.2, unit: kg}}
        """)


@pytest.fixture(scope="module")
def gwp_bg(bd, tmp_path_factory):
    from pcf.background.opendefault import write_open_default

    table = tmp_path_factory.mktemp("gwp") / "test-gwp.csv"
    table.write_text(TABLE, encoding="utf-8")
    write_open_default(bd, table, "test-gwp")
    return bd


def run(gwp_bg, tmp_path, method: str) -> dict:
    path = tmp_path / "model.yaml"
    path.write_text(model(method), encoding="utf-8")
    return document(footprint(load_model(path)))


def test_share_under_ar6_by_hand(gwp_bg, tmp_path):
    d = run(gwp_bg, tmp_path, "ipcc-2021-gwp100")
    total = 1.571 + 2 + 3 + 1.798 + 2 + 0.2
    assert d["total_kg_co2e"] == pytest.approx(total, rel=REL)
    s = d["gwp_basis_summary"]
    assert s["method"] == "ipcc-2021-gwp100" and s["method_gwp_vintage"] == "AR6"
    assert s["other_basis_kg_co2e"] == pytest.approx(6.5, rel=REL)
    assert s["other_basis_share"] == pytest.approx(6.5 / total, rel=REL)
    by = s["by_basis"]
    assert list(by) == ["per_gas", "co2e_AR6", "co2e_AR5", "co2_only"]
    assert by["per_gas"]["kg_co2e"] == pytest.approx(1.571 + 1.298 + 0.5 + 0.2, rel=REL)
    assert by["co2e_AR6"] == {"kg_co2e": pytest.approx(0.5, rel=REL), "share": pytest.approx(0.5 / total, rel=REL),
                              "on_basis": True}
    assert by["co2e_AR5"]["kg_co2e"] == pytest.approx(2.0, rel=REL) and by["co2e_AR5"]["on_basis"] is False
    assert by["co2_only"]["kg_co2e"] == pytest.approx(4.5, rel=REL) and by["co2_only"]["on_basis"] is False
    sources = {x["background"]: x["gwp_basis"] for x in d["data_sources"]}
    assert sources["pergas"] == {"gases": "masses", "co2e_gwp": None, "note": "gas masses",
                                 "kg_co2e": {"per_gas": pytest.approx(1.571, rel=REL)}, "other_basis_kg_co2e": 0.0}
    assert sources["ar5"]["gases"] is None and sources["ar5"]["co2e_gwp"] == "AR5"
    assert sources["ar5"]["other_basis_kg_co2e"] == pytest.approx(2.0, rel=REL)
    assert sources["mixed"]["kg_co2e"] == {"per_gas": pytest.approx(1.298, rel=REL), "co2e_AR6": pytest.approx(0.5, rel=REL)}
    assert sources["derived"]["kg_co2e"] == {"per_gas": pytest.approx(0.5, rel=REL), "co2_only": pytest.approx(1.5, rel=REL)}
    assert sources["co2only"]["gases"] == "co2_only"


def test_share_under_ar5_by_hand(gwp_bg, tmp_path):
    d = run(gwp_bg, tmp_path, "ipcc-2013-gwp100")
    total = 1.5618 + 2 + 3 + 1.797 + 2 + 0.2
    assert d["total_kg_co2e"] == pytest.approx(total, rel=REL)
    s = d["gwp_basis_summary"]
    assert s["method_gwp_vintage"] == "AR5"
    assert s["other_basis_kg_co2e"] == pytest.approx(3 + 0.5 + 1.5, rel=REL)
    assert s["other_basis_share"] == pytest.approx(5.0 / total, rel=REL)
    assert s["by_basis"]["co2e_AR5"]["on_basis"] is True and s["by_basis"]["co2e_AR6"]["on_basis"] is False
    mixed = next(x["gwp_basis"] for x in d["data_sources"] if x["background"] == "mixed")
    assert mixed["other_basis_kg_co2e"] == pytest.approx(0.5, rel=REL)


def test_open_default_rows_state_their_basis():
    """Every shipped row with a gas column says how it was made; every co2e_unsplit has a vintage
    (read_rows refuses the latter; the former would default to masses)."""
    import csv

    from pcf.background.opendefault import SOURCE

    with SOURCE.open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            gas = any(record[c].strip() for c in ("co2_fossil", "ch4_fossil", "ch4_biogenic", "n2o", "co2_biogenic",
                                                    "co2_dluc", "sf6", "nf3", "cf4", "c2f6"))
            assert (record["gas_basis"] in ("masses", "co2_only")) == gas, record["key"]
            assert bool(record["co2e_gwp"]) == bool(record["co2e_unsplit"].strip()), record["key"]
    rows = {r.key: r for r in read_rows()}
    # the China MEE/NBS grid factors are combustion CO2 only; DESNZ totals are AR5; Ember states no vintage
    assert rows["electricity_cn_east_2023"].gas_basis == "co2_only"
    assert rows["electricity_gb_2023"].co2e_gwp == "AR5"
    assert rows["electricity_eu27_2024"].co2e_gwp == "unknown"
    assert rows["polysilicon_siemens_cn_derived"].co2_only_fossil == pytest.approx(49 * 0.5306 + 1.13 * 9.4174)


# ------------------------------------------------------------------ validation errors

def _bad(tmp_path, row: str):
    path = tmp_path / "bg.csv"
    path.write_text(HEADER + "ok,ok,x,kg,GLO,2024,1.0,,,,,,,,,,,masses,,,,,,test source,,1,1,1,1\n" + row + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("row, message", [
    ("bad,bad,x,kg,GLO,2024,1.0,,,,,,,,,,,perhaps,,,,,,src,,1,1,1,1", "gas_basis = 'perhaps' is not one of masses, co2_only"),
    ("bad,bad,x,kg,GLO,2024,,,,,,,,,,,1.0,masses,AR5,,,,,src,,1,1,1,1", "gas_basis = 'masses' but the row has no gas column"),
    ("bad,bad,x,kg,GLO,2024,1.0,0.1,,,,,,,,,,co2_only,,,,,,src,,1,1,1,1", "gas_basis = 'co2_only' but ch4_fossil is filled"),
    ("bad,bad,x,kg,GLO,2024,,,,,,,,,,,1.0,,,,,,,src,,1,1,1,1", "co2e_unsplit is filled but co2e_gwp is empty"),
    ("bad,bad,x,kg,GLO,2024,,,,,,,,,,,1.0,,AR3,,,,,src,,1,1,1,1", "co2e_gwp = 'AR3' is not one of AR4, AR5, AR6, unknown"),
    ("bad,bad,x,kg,GLO,2024,1.0,,,,,,,,,,,masses,AR6,,,,,src,,1,1,1,1", "co2e_gwp = 'AR6' but co2e_unsplit is empty"),
    ("bad,bad,x,kg,GLO,2024,1.0,,,,,,,,,,,masses,,x,,,,src,,1,1,1,1", "co2_only_fossil = 'x' is not a number"),
    ("bad,bad,x,kg,GLO,2024,1.0,,,,,,,,,,,masses,,2.0,,,,src,,1,1,1,1", "co2_only_fossil = '2.0' must be a part of co2_fossil"),
    ("bad,bad,x,kg,GLO,2024,1.0,,,,,,,,,,,co2_only,,0.5,,,,src,,1,1,1,1", "co2_only_fossil is for gas_basis = masses rows"),
])
def test_basis_errors_name_file_and_line(tmp_path, row, message):
    path = _bad(tmp_path, row)
    with pytest.raises(SourceError, match=rf"{re.escape(str(path))}:3: {re.escape(message)}"):
        read_rows(path)


def test_vintage_is_case_insensitive_and_blank_gas_basis_is_masses(tmp_path):
    path = _bad(tmp_path, "fine,fine,x,kg,GLO,2024,1.0,,,,,,,,,,0.5,,ar5,,,,,src,,1,1,1,1")
    fine = read_rows(path)[1]
    assert (fine.gas_basis, fine.co2e_gwp, fine.co2_only_fossil) == ("masses", "AR5", 0.0)


# ------------------------------------------------------------------ report and label say it

def test_label_line_and_report_limitation_state_the_share(gwp_bg, tmp_path):
    """6.5 / 10.569 = 61.50 % -> "61.5 %" (pcf.render.fmt.pct, one decimal)."""
    from pcf.render.label import label_svg
    from pcf.render.report_checklist import limitations
    from builders import declaration

    path = tmp_path / "model.yaml"
    path.write_text(model("ipcc-2021-gwp100"), encoding="utf-8")
    decl = declaration(footprint(load_model(path)))
    svg = label_svg(decl)
    assert "IPCC 2021 (AR6) GWP100; 61.5 % of the total from factors on other GWP bases" in svg
    [(zh, en)] = [x for x in limitations(decl) if "GWP bases" in x[1]]
    assert en.startswith("IPCC 2021 (AR6) GWP100; 61.5 % of the total from factors on other GWP bases")
    assert "CO2e aggregated with AR5 GWPs 18.9 %" in en and "CO2 only (other gases missing) 42.6 %" in en  # 2/10.569, 4.5/10.569
    assert "61.5 % 来自其他GWP基准的因子" in zh


def test_a_result_without_a_summary_keeps_the_plain_method_line():
    """Results written before issue 14 have no gwp_basis_summary: the method alone, no limitation."""
    from pcf.render import fmt
    from pcf.render.gwpbasis_view import limitation
    from builders import result

    old = result()
    assert fmt.method_line(old) == fmt.method_label(old) and limitation(old) == []


# ------------------------------------------------------------------ other kinds of activity

def test_imported_database_activities_are_per_gas():
    """An ecoinvent / US LCI / imported activity has elementary flows only: all of it per gas."""
    from pcf.lca.gwpbasis import source_basis

    basis = source_basis({"name": "steel, from ecoinvent", "database": "ecoinvent"}, 2.0, 1.5, "AR6")
    assert basis == {"gases": "masses", "co2e_gwp": None, "note": None, "kg_co2e": {"per_gas": 3.0},
                     "other_basis_kg_co2e": 0.0}


@pytest.mark.parametrize("stated, vintage, key, off", [
    (["AR6"], "AR6", "co2e_AR6", 0.0),          # the method's vintage: on basis
    (["AR5", "AR6"], "AR5", "co2e_AR5", 0.0),   # lists the method's (AR5) too
    (["AR5"], "AR6", "co2e_AR5", 4.0),          # another vintage (a method without the PACT check, e.g. EF 3.1)
    ([], "AR6", "co2e_unknown", 4.0),           # states none
])
def test_supplier_footprints_are_pre_aggregated_co2e_of_their_stated_vintage(stated, vintage, key, off):
    from pcf.lca.gwpbasis import source_basis

    basis = source_basis({"pcf_supplier": {"ipcc": stated}}, 2.0, 2.0, vintage)
    assert basis["kg_co2e"] == {key: 4.0} and basis["other_basis_kg_co2e"] == off and basis["gases"] is None


def test_a_table_written_before_the_bases_counts_as_unknown():
    """Table format < 3 (no pcf_co2e_unsplit, the old gwp_basis text): unknown until `pcf setup` rewrites it."""
    from pcf.lca.gwpbasis import source_basis

    basis = source_basis({"gwp_basis": "AR6"}, 1.0, 0.5, "AR6")
    assert basis["kg_co2e"] == {"co2e_unknown": 0.5} and basis["other_basis_kg_co2e"] == 0.5


def test_a_negative_draw_counts_by_magnitude_in_the_share():
    """A credit of -1 kg CO2e CO2 only against +3 kg per gas: share |-1| / (3 + 1) = 0.25, kg -1."""
    from pcf.lca.gwpbasis import source_basis, summarise

    credit = source_basis({"pcf_co2e_unsplit": 0.0, "pcf_gas_basis": "co2_only"}, -2.0, 0.5, "AR6")
    s = summarise([credit], total=2.0, method="ipcc-2021-gwp100", vintage="AR6")  # own flows: 2 - (-1) = 3
    assert s["other_basis_kg_co2e"] == pytest.approx(-1.0) and s["other_basis_share"] == pytest.approx(0.25)
    assert s["by_basis"]["per_gas"] == {"kg_co2e": pytest.approx(3.0), "share": pytest.approx(0.75), "on_basis": True}
