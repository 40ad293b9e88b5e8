"""``pcf export-model --format brightway-excel``: the workbook re-imports with bw2io's
``ExcelImporter`` into a project with the same background and gives the same score.

A small model on the hand-made ``test-bg`` background (tests/conftest.py), per unit:
elec 0.5571 kg CO2e/kWh (0.5 CO2 + 0.001 CH4 x 29.8 + 0.0001 N2O x 273), steel 2.0/kg,
air 1.0/tkm, wood 1.8/kg (0.1 fossil + 1.5 biogenic CO2 counted +1 + 0.2 dLUC)::

    part (1 kg, co-product scrap 3 kg, mass allocation: part's share 1 / (1 + 3) = 0.25)
      4 kg steel            8.0
      1 kg wood             1.8
      0.4 kg CO2 removal   -0.4      (Carbon dioxide, in air, factor -1)
      per run               9.4  ->  part: 0.25 x 9.4 = 2.35 kg CO2e / kg
    assembly (1 item)
      3 kg part             3 x 2.35       = 7.05
      10 kWh elec           10 x 0.5571    = 5.571
      flight 5 kg x 200 km  1 tkm x 1.0    = 1.0
      0.01 kg CH4 fossil    0.01 x 29.8    = 0.298
      per item                               13.919
    reference flow 2 items: 27.838 kg CO2e

GWP100 of CH4 fossil 29.8 and N2O 273: IPCC AR6 WG1 Table 7.15.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import cli
from pcf.api import compute, export_model
from pcf.core.errors import ModelError
from tests.conftest import REPO
from tests.conftest import flat

runner = CliRunner()

MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product: {id: WIDGET, name: Widget, process: assembly, reference_flow: {amount: 2, unit: item}}
    study: {background: test-bg, method: ipcc-2021-gwp100}
    processes:
      - id: assembly
        name: widget assembly
        stage: production
        location: CN
        output: {amount: 1, unit: item}
        inputs:
          - {process: part, amount: 3, unit: kg}
          - {background: elec, amount: 10, unit: kWh}
        transport:
          - {name: flight, mode: air_longhaul, distance: 200, mass: 5, activity: {background: air}}
        emissions:
          - {substance: methane, origin: fossil, amount: 0.01, unit: kg}
      - id: part
        name: PART_NAME
        stage: raw_material_acquisition
        output: {amount: 1, unit: kg}
        coproducts:
          - {id: scrap, name: scrap, amount: 3, unit: kg}
        allocation: {method: mass, justification: physical relationship}
        inputs:
          - {background: steel, amount: 4, unit: kg}
          - {background: wood, amount: 1, unit: kg}
        removals:
          - {substance: carbon dioxide, origin: biogenic, amount: 0.4, unit: kg}
    """)
HAND_TOTAL = 27.838


@contextmanager
def project_copy(bd, name: str) -> Iterator[None]:
    """Within the block, a copy ``name`` of pcf's Brightway project without its foreground
    databases (``pcf-fg-*``, ``pcf-sup-*``) is the current project; afterwards pcf's project is
    current again and the copy is deleted (also used by tests/test_olca_export.py)."""
    home = bd.projects.current
    bd.projects.copy_project(name)
    try:
        for database in [d for d in bd.databases if d.startswith(("pcf-fg-", "pcf-sup-"))]:
            del bd.databases[database]
        yield
    finally:
        bd.projects.set_current(home)
        bd.projects.delete_project(name, delete_dir=True)


def reimport_score(bd, workbook: Path, background: str, reference: str, amount: float, method: tuple) -> float:
    """Import ``workbook`` with bw2io's ExcelImporter into a copy of pcf's project without its
    foreground databases, link it to ``background`` and return bw2calc's score of ``amount``
    of activity ``reference`` (the copy is removed afterwards)."""
    import bw2calc
    import bw2io

    with project_copy(bd, "reimport"):
        imp = bw2io.ExcelImporter(str(workbook))
        imp.apply_strategies()
        imp.match_database(background, fields=("name", "reference product", "location"))
        assert imp.statistics(print_stats=False)[2] == 0  # no unlinked exchange
        imp.write_database()
        lca = bw2calc.LCA({bd.get_node(database=imp.db_name, code=reference): amount}, method)
        lca.lci()
        lca.lcia()
        return float(lca.score)


def test_small_model_reimports_with_the_hand_worked_score(bd, write_model, tmp_path):
    from pcf.background import method_spec

    model = write_model(MODEL.replace("PART_NAME", "part production"))
    total = compute(model).result.total_kg_co2e
    assert total == pytest.approx(HAND_TOTAL, rel=1e-6)
    out = export_model(model, "brightway-excel", tmp_path / "widget.xlsx")
    score = reimport_score(bd, out, "test-bg", "assembly", 2.0, method_spec("ipcc-2021-gwp100").name)
    assert score == pytest.approx(HAND_TOTAL, rel=1e-6)
    assert score == pytest.approx(total, rel=1e-6)


def test_process_named_like_a_background_activity_stays_apart(bd, write_model, tmp_path):
    """A foreground process that looks like the ``elec`` activity (name, location, unit) to
    bw2io's internal linking gets ``[code]`` in its reference product, so the input of the
    background electricity is not taken from the foreground: 1 kWh of the model's
    'electricity' = 1 kWh of elec (0.5571) + 0.1 kg CH4 x 29.8 (2.98) = 3.5371 kg CO2e."""
    from pcf.background import method_spec

    model = write_model(textwrap.dedent("""\
        format: pcf-model/1
        product: {id: GREEN, name: Electricity, process: mix, reference_flow: {amount: 1, unit: kWh}}
        study: {background: test-bg}
        processes:
          - id: mix
            name: Electricity
            stage: production
            location: CN
            output: {amount: 1, unit: kWh}
            inputs:
              - {background: elec, amount: 1, unit: kWh}
            emissions:
              - {substance: methane, amount: 0.1, unit: kg}
        """))
    out = export_model(model, "brightway-excel", tmp_path / "g.xlsx")
    rows = list(openpyxl.load_workbook(out)["Database"].iter_rows(values_only=True))
    assert ("reference product", "Electricity [mix]") in [r[:2] for r in rows]
    score = reimport_score(bd, out, "test-bg", "mix", 1.0, method_spec("ipcc-2021-gwp100").name)
    assert score == pytest.approx(3.5371, rel=1e-6)


def test_workbook_layout(bd, write_model, tmp_path):
    model = write_model(MODEL.replace("PART_NAME", "part production"))
    wb = openpyxl.load_workbook(export_model(model, "brightway-excel", tmp_path / "w.xlsx"))
    assert wb.sheetnames == ["Notes", "Database"]
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    assert notes[0] == "skip"  # ExcelImporter ignores the sheet
    assert any("Parameters and expressions" in n for n in notes) and any("Scenarios" in n for n in notes)
    rows = list(wb["Database"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Database", "pcf-model-WIDGET")
    starts = [i for i, r in enumerate(rows) if r[0] == "Activity"]
    assert [rows[i][1] for i in starts] == ["widget assembly", "part production", "scrap"]
    block = rows[starts[0]:starts[1]]
    fields = {r[0]: r[1] for r in block[1:block.index(next(r for r in block if r[0] == "Exchanges"))]}
    assert fields["code"] == "assembly" and fields["location"] == "CN" and fields["unit"] == "item"
    header = list(next(r for r in block if r[0] == "name"))
    table = [dict(zip(header, r)) for r in block[block.index(tuple(header)) + 1:] if r[0]]
    elec = next(e for e in table if e["name"] == "electricity")
    assert (elec["amount"], elec["unit"], elec["location"], elec["reference product"], elec["database"],
            elec["type"]) == (10, "kWh", "CN", "electricity", "test-bg", "technosphere")
    flight = next(e for e in table if e["name"] == "air freight")
    assert flight["amount"] == pytest.approx(1.0) and flight["unit"] == "tkm"
    ch4 = next(e for e in table if e["type"] == "biosphere")
    assert (ch4["name"], ch4["categories"], ch4["database"], ch4["amount"]) == ("Methane, fossil", "air",
                                                                                 "biosphere3", 0.01)
    part = next(e for e in table if e["name"] == "part production")
    assert (part["database"], part["amount"], part["unit"]) == ("pcf-model-WIDGET", 3, "kg")
    # allocation applied: the part activity carries 0.25 of the steel
    block = rows[starts[1]:starts[2]]
    steel = next(r for r in block if r[0] == "steel")
    assert steel[1] == pytest.approx(1.0)


def test_shipped_example_reimports_with_the_same_score(open_default, tmp_path):
    from pcf.background import method_spec
    from pcf.model import load_model

    model = REPO / "examples" / "battery" / "nmc811-pack.yaml"
    system = load_model(model)
    total = compute(model).result.total_kg_co2e
    out = export_model(model, "brightway-excel", tmp_path / "nmc811.xlsx")
    score = reimport_score(open_default, out, "pcf-open-default", system.model.product.process,
                           float(system.reference_amount), method_spec(system.model.study.method).name)
    assert score == pytest.approx(total, rel=1e-6)


def test_scenario_is_exported_and_named(bd, write_model, tmp_path):
    text = MODEL.replace("PART_NAME", "part production") + textwrap.dedent("""\
        scenarios:
          more_power:
            replace:
              - {input: elec, with: {amount: 20}}
        """)
    model = write_model(text)
    wb = openpyxl.load_workbook(export_model(model, "brightway-excel", tmp_path / "s.xlsx", scenario="more_power"))
    elec = next(r for r in wb["Database"].iter_rows(values_only=True) if r[0] == "electricity")
    assert elec[1] == 20
    assert any("scenario 'more_power'" in (c.value or "") for c in wb["Notes"]["A"])
    out = tmp_path / "x.xlsx"
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "brightway-excel", "--out", str(out),
                                     "--scenario", "nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output and not out.exists()


def test_cli_writes_the_workbook(bd, write_model, tmp_path):
    model = write_model(MODEL.replace("PART_NAME", "part production"))
    out = tmp_path / "sub" / "w.xlsx"
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "brightway-excel", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "wrote" in result.output


def test_unknown_format_exit_2_nothing_written(bd, write_model, tmp_path):
    model = write_model(MODEL.replace("PART_NAME", "part production"))
    out = tmp_path / "w.xlsx"
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "simapro-csv", "--out", str(out)])
    assert result.exit_code == 2
    assert "unknown model format 'simapro-csv'" in flat(result.output) and "--format" in result.output
    assert "brightway-excel, olca-jsonld" in flat(result.output)
    assert not out.exists() and "Traceback" not in result.output


def test_name_bw2io_would_read_as_a_number_is_refused(bd, write_model, tmp_path):
    model = write_model(MODEL.replace("PART_NAME", '"2024"'))
    out = tmp_path / "w.xlsx"
    with pytest.raises(ModelError, match=r"model.yaml:18: process 'part': name '2024' .* bw2io would read it as a number"):
        export_model(model, "brightway-excel", out)
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "brightway-excel", "--out", str(out)])
    assert result.exit_code == 2 and "rename it in the model" in flat(result.output)
    assert list(tmp_path.glob("w.xlsx*")) == [] and list(tmp_path.glob(".w.xlsx*")) == []


def test_unknown_background_key_is_a_model_error_with_its_line(bd, write_model, tmp_path):
    model = write_model(MODEL.replace("PART_NAME", "part production").replace("background: steel", "background: steal"))
    out = tmp_path / "w.xlsx"
    with pytest.raises(ModelError, match=r"model.yaml:\d+: background activity 'steal' is not in 'test-bg'"):
        export_model(model, "brightway-excel", out)
    result = runner.invoke(cli.app, ["export-model", str(model), "--format", "brightway-excel", "--out", str(out)])
    assert result.exit_code == 2 and "steal" in result.output and not out.exists()


def test_missing_model_file_exit_2(bd, tmp_path):
    out = tmp_path / "w.xlsx"
    result = runner.invoke(cli.app, ["export-model", str(tmp_path / "none.yaml"), "--format", "brightway-excel",
                                     "--out", str(out)])
    assert result.exit_code == 2 and not out.exists() and "Traceback" not in result.output
