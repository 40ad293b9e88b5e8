"""Primary data share (PACT) and contribution-weighted data quality rating (PEF), by hand.

Background ``test-dq`` (written here like conftest's ``test-bg``, with other ratings),
per unit [kg gas] and PEF rating TeR/GeR/TiR/P:

    elec  [kWh]  0.5 CO2 fossil, 0.001 CH4 fossil, 0.0001 N2O     2/2/1/3  (DQR 2.0)
    steel [kg]   2.0 CO2 fossil                                   3/4/3/2  (DQR 3.0)

GWP100 AR6 (IPCC AR6 WG1 Table 7.15): CH4 fossil 29.8, N2O 273, so
e = 0.5 + 0.001 * 29.8 + 0.0001 * 273 = 0.5571 kg CO2e/kWh; steel 2 kg CO2e/kg.

PDS rule (PACT Methodology = Pathfinder Framework v2.0, 4.2.2): an item is primary only when
both its activity data and its emission factor are primary; items weighted by |kg CO2e|.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pcf.api import compute
from pcf.declaration import Declaration
from pcf.core.errors import ModelError
from pcf.lca import footprint
from pcf.lca.dataquality import quality_level
from pcf.model import load_model
from pcf.render import render_report
from builders import document

E = 0.5 + 0.001 * 29.8 + 0.0001 * 273  # 0.5571 kg CO2e per kWh

TABLE = """\
key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,co2_dluc,sf6,nf3,cf4,c2f6,co2e_unsplit,gwp_basis,aircraft,factor_ids,source,note,dqr_ter,dqr_ger,dqr_tir,dqr_p
elec,electricity,electricity,kWh,CN,2023,0.5,0.001,,0.0001,,,,,,,,AR6,,,test table written by hand,,2,2,1,3
steel,steel,steel,kg,GLO,2022,2.0,,,,,,,,,,,AR6,,,test table written by hand,,3,4,3,2
"""


@pytest.fixture(scope="module")
def dq(bd, tmp_path_factory):
    """bw2data with the ``test-dq`` background written."""
    from pcf.background.opendefault import write_open_default

    table = tmp_path_factory.mktemp("dq") / "test-dq.csv"
    table.write_text(TABLE, encoding="utf-8")
    write_open_default(bd, table, "test-dq")
    return bd


def model(processes: str, pid: str = "DQ") -> str:
    head = textwrap.dedent(f"""\
        format: pcf-model/1
        product: {{id: {pid}, name: Data quality test, process: p, reference_flow: {{amount: 1, unit: item}}}}
        study: {{background: test-dq}}
        processes:
        """)
    return head + textwrap.indent(textwrap.dedent(processes), "  ")


# One process, primary site data; its electricity comes with a supplier-specific factor:
#   elec   10 kWh, data primary (process), factor primary   10 e = 5.571   primary   rated 2/2/1/3 (database)
#   steel  2 kg,   data secondary,         factor secondary  4.0            secondary rated 3/4/3/2 (database)
#   steel  1 kg,   data primary (process), factor secondary  2.0            secondary rated 5/5/5/5 (model)
#   direct 1 kg CO2 fossil, process data primary           1.0            primary   rated 1/1/2/1 (model)
MIXED = model("""\
    - id: p
      name: P
      stage: production
      data: primary
      dqr: {ter: 1, ger: 1, tir: 2, p: 1}
      output: {amount: 1, unit: item}
      inputs:
        - {background: elec, amount: 10, unit: kWh, emission_factor: primary}
        - {background: steel, amount: 2, unit: kg, data: secondary}
        - {background: steel, amount: 1, unit: kg, dqr: {ter: 5, ger: 5, tir: 5, p: 5}}
      emissions:
        - {substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}
    """)


@pytest.fixture(scope="module")
def mixed(dq, tmp_path_factory):
    path = tmp_path_factory.mktemp("mixed") / "model.yaml"
    path.write_text(MIXED, encoding="utf-8")
    return document(footprint(load_model(path)))


def test_primary_data_share_counts_primary_activity_and_factor_only(mixed):
    """PDS = (10 e + 1) / (10 e + 4 + 2 + 1) = 6.571 / 12.571 = 0.52271..."""
    total = 10 * E + 4.0 + 2.0 + 1.0
    assert mixed["total_kg_co2e"] == pytest.approx(total, rel=1e-6)
    q = mixed["data_quality"]
    assert q["primary_data_share"] == pytest.approx((10 * E + 1.0) / total, rel=1e-6)
    assert q["primary_data_share"] == pytest.approx(0.522711, rel=1e-5)
    assert q["primary_data_share_percent"] == pytest.approx(100 * (10 * E + 1.0) / total, rel=1e-6)
    assert q["primary_kg_co2e"] == pytest.approx(10 * E + 1.0, rel=1e-6)
    assert sum(i["kg_co2e"] for i in q["items"]) == pytest.approx(mixed["total_kg_co2e"], rel=1e-6)
    by = {(i["kind"], i["index"]): i for i in q["items"]}
    assert by[("input", 0)]["primary_share"] == 1.0 and by[("input", 0)]["data"] == "primary"
    assert by[("input", 1)]["data"] == "secondary" and by[("input", 1)]["primary_share"] == 0.0
    # primary activity data (inherited from the process) times a database factor is secondary
    assert by[("input", 2)]["data"] == "primary" and by[("input", 2)]["emission_factor"] == "secondary"
    assert by[("input", 2)]["primary_share"] == 0.0
    assert by[("direct", None)]["primary_share"] == 1.0
    assert by[("input", 0)]["weight"] == pytest.approx(10 * E / total, rel=1e-6)
    assert [i["kind"] for i in q["items"]][0] == "input" and q["items"][0]["index"] == 0  # largest first


def test_weighted_dqr_and_level(mixed):
    """Weights |kg| / 12.571 over 5.571 (2/2/1/3), 4 (3/4/3/2), 2 (5/5/5/5), 1 (1/1/2/1):

    TeR = (5.571*2 + 4*3 + 2*5 + 1*1) / 12.571 = 34.142 / 12.571 = 2.71593
    GeR = (5.571*2 + 4*4 + 2*5 + 1*1) / 12.571 = 38.142 / 12.571 = 3.03413
    TiR = (5.571*1 + 4*3 + 2*5 + 1*2) / 12.571 = 29.571 / 12.571 = 2.35232
    P   = (5.571*3 + 4*2 + 2*5 + 1*1) / 12.571 = 35.713 / 12.571 = 2.84090
    DQR = (34.142 + 38.142 + 29.571 + 35.713) / (4 * 12.571) = 2.73582  -> good (2 < DQR <= 3)
    """
    q = mixed["data_quality"]
    t = 10 * E + 7.0
    w = 10 * E
    expected = {"ter": (w * 2 + 12 + 10 + 1) / t, "ger": (w * 2 + 16 + 10 + 1) / t,
                "tir": (w * 1 + 12 + 10 + 2) / t, "p": (w * 3 + 8 + 10 + 1) / t}
    for k, v in expected.items():
        assert q["dqr"][k] == pytest.approx(v, rel=1e-6), k
    assert q["dqr"]["dqr"] == pytest.approx(sum(expected.values()) / 4, rel=1e-6)
    assert q["dqr"]["dqr"] == pytest.approx(2.73582, rel=1e-5)
    assert q["level"] == "good"
    assert q["coverage"] == pytest.approx(1.0, rel=1e-9)
    assert q["unrated_significant"] == []
    by = {(i["kind"], i["index"]): i for i in q["items"]}
    assert by[("input", 2)]["dqr_source"] == "model" and by[("input", 2)]["dqr"]["dqr"] == 5.0
    assert by[("input", 1)]["dqr_source"] == "database" and by[("input", 1)]["dqr"]["dqr"] == 3.0
    assert by[("direct", None)]["dqr"]["dqr"] == pytest.approx(1.25)


def test_defaults_are_secondary_and_unrated_direct_emissions_lower_coverage(dq, write_model):
    """No data fields: everything is secondary, PDS 0.

    elec 10 e = 5.571 (rated 2/2/1/3), direct 1 kg CO2 = 1.0 (unrated):
    coverage = 5.571 / 6.571 = 0.84782; DQR = 2.0 (only elec rated) -> very good (<= 2.0);
    the direct emissions (weight 1 / 6.571 = 15.2 % > 5 %) are listed as unrated.
    """
    path = write_model(model("""\
        - id: p
          name: P
          stage: production
          output: {amount: 1, unit: item}
          inputs:
            - {background: elec, amount: 10, unit: kWh}
          emissions:
            - {substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}
        """))
    q = document(footprint(load_model(path)))["data_quality"]
    assert q["primary_data_share"] == 0.0 and q["primary_kg_co2e"] == 0.0
    assert {i["data"] for i in q["items"]} == {"secondary"}
    assert q["coverage"] == pytest.approx(10 * E / (10 * E + 1.0), rel=1e-6)
    assert q["dqr"]["dqr"] == pytest.approx(2.0, rel=1e-6)
    assert q["level"] == "very good"
    assert q["unrated_significant"] == ["p: direct emissions"]


def test_measured_amount_with_database_factor_is_not_primary(dq, write_model):
    """The brief's case: 10 kWh metered (primary) and 2 kg steel (secondary). With the grid
    factor from a database, Pathfinder 4.2.2 counts nothing as primary: PDS = 0. With a
    supplier-specific factor for the electricity: PDS = 10 e / (10 e + 4) = 5.571 / 9.571 = 0.58207."""
    base = """\
        - id: p
          name: P
          stage: production
          output: {amount: 1, unit: item}
          inputs:
            - {background: elec, amount: 10, unit: kWh, data: primary%s}
            - {background: steel, amount: 2, unit: kg, data: secondary}
        """
    q = document(footprint(load_model(write_model(model(base % "")))))["data_quality"]
    assert q["primary_data_share"] == 0.0
    q = document(footprint(load_model(write_model(model(base % ", emission_factor: primary")))))["data_quality"]
    assert q["primary_data_share"] == pytest.approx(10 * E / (10 * E + 4.0), rel=1e-6)
    assert q["primary_data_share"] == pytest.approx(0.582071, rel=1e-5)


def test_credits_count_by_magnitude(dq, write_model):
    """System expansion: slag displaces 1 kg steel, a credit of -2.0.

    elec 10 e = 5.571 primary (data and factor), credit -2.0 secondary; total 3.571.
    PDS = 5.571 / (5.571 + |-2.0|) = 0.73584 (the signed ratio 5.571 / 3.571 = 1.56 would exceed 1).
    DQR weights 5.571 and 2.0: (5.571 * 2.0 + 2.0 * 3.0) / 7.571 = 2.26416.
    """
    path = write_model(model("""\
        - id: p
          name: P
          stage: production
          data: primary
          output: {amount: 1, unit: item}
          coproducts:
            - {name: slag, amount: 3, unit: kg, avoided: {background: steel, amount: 1, unit: kg}}
          allocation: {method: system_expansion, justification: slag replaces steel}
          inputs:
            - {background: elec, amount: 10, unit: kWh, emission_factor: primary}
        """))
    r = document(footprint(load_model(path)))
    q = r["data_quality"]
    assert r["total_kg_co2e"] == pytest.approx(10 * E - 2.0, rel=1e-6)
    assert q["primary_data_share"] == pytest.approx(10 * E / (10 * E + 2.0), rel=1e-6)
    assert q["primary_kg_co2e"] == pytest.approx(10 * E, rel=1e-6)
    credit = next(i for i in q["items"] if i["kind"] == "credit")
    assert credit["kg_co2e"] == pytest.approx(-2.0, rel=1e-6) and credit["primary_share"] == 0.0
    assert credit["data"] == "primary" and credit["emission_factor"] == "secondary"
    assert sum(i["kg_co2e"] for i in q["items"]) == pytest.approx(r["total_kg_co2e"], rel=1e-6)
    assert q["dqr"]["dqr"] == pytest.approx((10 * E * 2.0 + 2.0 * 3.0) / (10 * E + 2.0), rel=1e-6)


def test_foreground_loop_scales_items_by_supply(dq, write_model):
    """a uses 2 kg of b per item, b uses 0.1 item of a per kg (tests/test_lca.py's loop):
    s_a = 1.25, s_b = 2.5. a: 10 kWh elec, primary data and factor -> 12.5 e = 6.96375;
    b: 1 kg steel, secondary -> 2.5 * 2 = 5. PDS = 6.96375 / 11.96375 = 0.58207."""
    path = write_model(model("""\
        - id: p
          name: A
          stage: production
          data: primary
          output: {amount: 1, unit: item}
          inputs:
            - {process: b, amount: 2, unit: kg}
            - {background: elec, amount: 10, unit: kWh, emission_factor: primary}
        - id: b
          name: B
          stage: raw_material_acquisition
          output: {amount: 1, unit: kg}
          inputs:
            - {process: p, amount: 0.1, unit: item}
            - {background: steel, amount: 1, unit: kg}
        """))
    q = document(footprint(load_model(path)))["data_quality"]
    assert q["primary_kg_co2e"] == pytest.approx(12.5 * E, rel=1e-6)
    assert q["primary_data_share"] == pytest.approx(12.5 * E / (12.5 * E + 5.0), rel=1e-6)
    steel = next(i for i in q["items"] if i["process"] == "b")
    assert steel["kg_co2e"] == pytest.approx(5.0, rel=1e-6)


@pytest.mark.parametrize("level,dqr", [("excellent", 1.0), ("excellent", 1.5), ("very good", 1.51),
                                       ("very good", 2.0), ("good", 2.01), ("good", 3.0), ("fair", 3.5),
                                       ("fair", 4.0), ("poor", 4.01), ("poor", 5.0)])
def test_quality_levels(level, dqr):
    """PEF levels (2021/2279 Annex I 4.6.5): <= 1.5, <= 2, <= 3, <= 4, above."""
    assert quality_level(dqr) == level


PROCESS = """\
    - id: p
      name: P
      stage: production
      output: {amount: 1, unit: item}
      inputs:
        - {background: elec, amount: 10, unit: kWh}
    """


@pytest.mark.parametrize("old,new,line,message", [
    ("{background: elec, amount: 10, unit: kWh}", "{background: elec, amount: 10, unit: kWh, dqr: {ter: 7, ger: 1, tir: 1, p: 1}}",
     10, "between 1 (very good) and 5 (very poor), got 7"),
    ("{background: elec, amount: 10, unit: kWh}", "{background: elec, amount: 10, unit: kWh, dqr: {ter: 1, ger: 1, tir: 1}}",
     10, "missing required field"),
    ("      output:", "      dqr: {ter: 0.5, ger: 1, tir: 1, p: 1}\n      output:", 8, "got 0.5"),
    ("{background: elec, amount: 10, unit: kWh}", "{background: elec, amount: 10, unit: kWh, data: measured}",
     10, "'primary' or 'secondary', got 'measured'"),
    ("      output:", "      data: site\n      output:", 8, "'primary' or 'secondary', got 'site'"),
    ("{background: elec, amount: 10, unit: kWh}", "{background: elec, amount: 10, unit: kWh, emission_factor: supplier}",
     10, "got 'supplier'"),
])
def test_invalid_data_quality_fields_give_file_line(dq, write_model, old, new, line, message):
    path = write_model(model(PROCESS.replace(old, new)))
    with pytest.raises(ModelError) as exc:
        load_model(path)
    assert str(exc.value).startswith(f"{path}:{line}:"), str(exc.value)
    assert message in str(exc.value)


def test_rating_an_input_from_a_foreground_process_is_refused(dq, write_model):
    # PROCESS ends in the indentation of its closing quotes: without rstrip, q's keys landed in
    # p's mapping (duplicate keys that the YAML 1.1 reader let win silently)
    path = write_model(model(PROCESS.rstrip(" ") + """\
    - id: q
      name: Q
      stage: production
      output: {amount: 1, unit: item}
      inputs:
        - {process: p, amount: 1, unit: item, data: primary}
    """))
    with pytest.raises(ModelError) as exc:
        load_model(path)
    assert str(exc.value).startswith(f"{path}:16:"), str(exc.value)
    assert "set it there" in str(exc.value) and "'p'" in str(exc.value)


def pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_report_shows_pds_dqr_and_items(mixed, tmp_path):
    """Section 4.1 shows PDS 52.3 % (0.522711), DQR 2.74 good, coverage 100.0 %, and the
    items with their weights."""
    text = pdftotext(render_report(Declaration.from_json(mixed), tmp_path))
    assert "4.1 数据质量" in text and "Data quality" in text
    assert "52.3 %" in text
    assert "DQR 2.74" in text and "good" in text
    assert "100.0 %" in text
    assert "31.8 %" in text  # weight of 2 kg steel: 4 / 12.571
    assert "初级 primary" in text and "次级" in text and "secondary" in text


def test_report_of_an_old_result_without_data_quality(mixed, tmp_path):
    old = json.loads(json.dumps(mixed))
    del old["data_quality"]
    text = pdftotext(render_report(Declaration.from_json(old), tmp_path))
    assert "no data-quality assessment" in text


def test_cli_summary_prints_pds_and_dqr(dq, write_model, tmp_path):
    path = write_model(MIXED)
    result = CliRunner().invoke(cli.app, ["footprint", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "primary data share 52.3 % (PACT)" in out
    assert "DQR 2.74 good" in out and "100.0 % rated" in out


@pytest.mark.parametrize("name", ["battery/nmc811-pack.yaml", "pv/mono-si-module-cn.yaml"])
def test_examples_are_secondary_data(open_default, name):
    """Both examples are bill-of-materials models from literature (premise, after Dai et al.
    2019 and IEA PVPS T12 2020): nothing in them is primary data, so PDS = 0."""
    q = compute(Path(__file__).resolve().parent.parent / "examples" / name).to_json()["data_quality"]
    assert q["primary_data_share"] == 0.0
    assert all(i["primary_share"] == 0.0 for i in q["items"])
    assert q["dqr"] is not None and 1.0 <= q["dqr"]["dqr"] <= 5.0
    assert q["coverage"] > 0.9
