"""The batch store (docs/batch.md "The batch store"): ``pcf batch result`` rebuilds each SKU's
full result equal to ``pcf footprint`` and to ``--json-per-sku``'s file, resume after a real
kill -9, ``--batch/--sku`` on ``pcf label``, and its errors (exit 2)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from pcf.batch import run_batch
from pcf.batch.store import FORMAT, StoreError, _plan_hash, decode, encode, read_index, read_plan, read_result
from tests.conftest import REPO
from tests.test_batch import MODEL, TABLE, _same_as_footprint

runner = CliRunner()


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


def _table(tmp_path, text=TABLE, name="skus.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _without_time(doc: dict) -> dict:
    """A result without ``created_at`` (the time each result was computed: two runs differ)."""
    return {k: v for k, v in doc.items() if k != "created_at"}


def test_encode_decode_round_trip():
    """Numbers, strings, other types, other shapes, -0.0 and keys with / and ~ come back as they were."""
    template = {"a": 1.0, "b": [1.0, 2.0, {"c/d": 3.0, "e~f": "x"}], "n": 1, "s": "t", "z": 0.0,
                "shape": [1.0], "keys": {"p": 1.0}}
    result = {"a": 1.5, "b": [1.0, 2.5, {"c/d": 3.0, "e~f": "y"}], "n": 1.0, "s": "t", "z": -0.0,
              "shape": [1.0, 2.0], "keys": {"q": 1.0}}
    numbers, patch = encode(template, result)
    assert numbers == {"/a": 1.5, "/b/1": 2.5, "/z": -0.0}
    assert patch == {"/b/2/e~0f": "y", "/n": 1.0, "/shape": [1.0, 2.0], "/keys": {"q": 1.0}}
    back = decode(json.dumps(template), numbers, patch)
    assert json.dumps(back) == json.dumps(result)
    assert decode(json.dumps({}), *encode({}, result)) == result  # an empty template keeps everything


def test_store_results_equal_pcf_footprint_and_json_files(bd, model, tmp_path):
    """Every field of ``pcf batch result`` equals ``pcf footprint`` of the row (apart from the
    allowances of tests/test_batch.py: the SKU's id and name, the time, the batch field,
    bw2calc's score) and the ``--json-per-sku`` file of the same row (apart from the time),
    for rows of two plans (the model and its scenario)."""
    table = _table(tmp_path)
    store, files = tmp_path / "store", tmp_path / "files"
    report = run_batch(table, store, model)
    assert (report.computed, report.failed) == (3, 4)
    run_batch(table, files, model, json_per_sku=True)
    assert not list(store.glob("*.result.json")) and (store / "plan.json").is_file()
    plan = read_plan(store)
    assert plan["format"] == FORMAT and len(plan["plans"]) == 2  # the model, and its steel_power scenario
    for sku in ("R1", "R2", "R7"):
        rebuilt = read_result(store, sku)
        written = json.loads((files / f"{sku}.result.json").read_text(encoding="utf-8"))
        assert _without_time(rebuilt) == _without_time(written), sku
    assert _same_as_footprint(read_result(store, "R1"), model, {"cap": 4, "loop": 0.2, "elec_a": 20}) == []
    assert _same_as_footprint(read_result(store, "R2"), model, {"loop": 0, "elec_a": 0}) == []
    assert _same_as_footprint(read_result(store, "R7"), model, {}, "steel_power") == []
    with open(store / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = {int(r["row"]): r for r in csv.DictReader(fh)}
    assert rows[2]["id"] == "R1" and rows[2]["result_file"] == "store/part-000001.parquet"


def test_a_chunk_on_arrays_is_written_as_its_own_part(bd, model, tmp_path, monkeypatch):
    """A chunk whose rows on arrays reach a part's size (``GROUP``, here 2) is written as a
    part by the process that computed it (pcf.batch.store.write_part, a temporary file) and
    renamed into place by the driver after the state (StoreWriter.adopt): the rows computed
    alone go to a part of their own, each summary row names its part, every SKU reads back
    equal to its ``--json-per-sku`` file, and a temporary part a killed run left is removed by
    the next run."""
    import pcf.batch.run as run

    monkeypatch.setattr(run, "GROUP", 2)
    text = "id,cap,elec_a,label\n" + "".join(f"S{i},{i},{10 + i},\n" for i in range(1, 6)) + "S6,6,16,yes\n"
    table = _table(tmp_path, text)
    store, files = tmp_path / "store", tmp_path / "files"
    report = run_batch(table, store, model, chunk_size=6)
    assert (report.computed, report.failed) == (6, 0)
    parts = sorted(p.name for p in (store / "store").glob("part-*.parquet"))
    assert parts == ["part-000001.parquet", "part-000002.parquet"]  # S6 alone (its label), S1-S5 on arrays
    assert not list((store / "store").glob(".part-*"))
    with open(store / "summary.csv", newline="", encoding="utf-8") as fh:
        where = {r["id"]: r["result_file"] for r in csv.DictReader(fh)}
    assert where == {**{f"S{i}": "store/part-000002.parquet" for i in range(1, 6)}, "S6": "store/part-000001.parquet"}
    assert read_index(store)["S3"][1] == "part-000002.parquet" and read_index(store)["S6"][1] == "part-000001.parquet"
    run_batch(table, files, model, json_per_sku=True)
    for i in range(1, 7):
        written = json.loads((files / f"S{i}.result.json").read_text(encoding="utf-8"))
        assert _without_time(read_result(store, f"S{i}")) == _without_time(written), i
    left = store / "store" / ".part-killed.tmp"
    left.write_bytes(b"half a part")
    assert run_batch(table, store, model).skipped == 6
    assert not left.exists()


def test_workers_write_their_parts_under_the_drivers_folder(bd, model, tmp_path, monkeypatch):
    """With ``--jobs 2`` and paths relative to the working folder, the worker (forked from the
    fork server, which got the driver's folder) writes the part of a 2,000-row chunk into the
    driver's ``out/store`` and the driver adopts it: one part, no temporary file left, every
    sampled SKU equal to its ``--json-per-sku`` file (computed alone, from a table of those
    rows: their row numbers apart)."""
    monkeypatch.chdir(tmp_path)
    text = "id,cap,elec_a\n" + "".join(f"S{i},{1 + i % 7},{10 + i % 13}\n" for i in range(2000))
    (tmp_path / "skus.csv").write_text(text, encoding="utf-8")
    report = run_batch("skus.csv", "out", model, jobs=2)
    assert (report.computed, report.failed) == (2000, 0)
    import pyarrow.parquet as pq

    parts = sorted((tmp_path / "out" / "store").glob("part-*.parquet"))
    assert [p.name for p in parts] == ["part-000001.parquet"] and pq.read_metadata(parts[0]).num_rows == 2000
    assert not list((tmp_path / "out" / "store").glob(".part-*"))
    (tmp_path / "few.csv").write_text("id,cap,elec_a\nS0,1,10\nS999,6,21\nS1999,5,20\n", encoding="utf-8")
    run_batch("few.csv", "files", model, json_per_sku=True)
    for sku in ("S0", "S999", "S1999"):
        written = json.loads((tmp_path / "files" / f"{sku}.result.json").read_text(encoding="utf-8"))
        rebuilt = read_result(tmp_path / "out", sku)
        assert rebuilt["batch"].pop("row") == int(sku[1:]) + 2 and written["batch"].pop("row") in (2, 3, 4)
        assert _without_time(rebuilt) == _without_time(written), sku  # the row's number apart: another table


def test_example_models_and_scenarios_in_one_store(open_default, tmp_path):
    """Rows of the NMC811 and LFP packs under several scenarios in one table: each equals
    ``pcf footprint`` of its model, scenario and parameters."""
    from pcf.batch import SkuTable

    skus = REPO / "examples" / "battery" / "skus.csv"
    wanted = {"NMC811-080-DE-8Y", "LFP-120-CNSW-10Y", "NMC811-040-CN-8Y", "LFP-040-PL-8Y"}
    small = tmp_path / "sample.csv"
    with open(skus, newline="", encoding="utf-8") as src, open(small, "w", newline="", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
        writer.writeheader()
        for r in reader:
            if r["id"] in wanted:
                writer.writerow(dict(r, model=str(skus.parent / r["model"]), label=""))
    rows = [r for r in SkuTable(small)]
    assert {r.id for r in rows} == wanted
    report = run_batch(small, tmp_path / "out")
    assert (report.computed, report.failed) == (4, 0)
    for row in rows:
        result = read_result(tmp_path / "out", row.id)
        assert _same_as_footprint(result, row.model, row.overrides, row.scenario or None) == [], row.id


def _battery_rows(tmp_path, every: int, extra: str = "") -> tuple:
    """Every ``every``-th row of examples/battery/skus.csv (all 14 plans: 2 models x 7 scenarios
    when ``every`` is 1..18) with absolute model paths, as a table; and its rows."""
    from pcf.batch import SkuTable

    skus = REPO / "examples" / "battery" / "skus.csv"
    small = tmp_path / "sample.csv"
    with open(skus, newline="", encoding="utf-8") as src, open(small, "w", newline="", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for i, r in enumerate(reader):
            if i % every == 0:
                writer.writerow(dict(r, model=str(skus.parent / r["model"]), label=""))
        dst.write(extra.replace("MODELS", str(skus.parent)))
    return small, list(SkuTable(small))


def test_example_full_results_are_computed_on_arrays(open_default, tmp_path):
    """The full results of the example plans (NMC811 and LFP packs under their seven grid
    scenarios, the PV modules) come from the arrays (pcf.batch.columns: no row left to the
    scalar path) and equal, every field as JSON text, the scalar full result of the row
    (``created_at`` apart)."""
    from pcf.batch.columns import full_rows, piece_row
    from pcf.batch.engine import full_result, input_hash
    from pcf.batch.plan import make_plan
    from pcf.batch.run import _templates
    from pcf.batch.table import SkuRow

    _table_path, rows = _battery_rows(tmp_path, 1)
    by_plan: dict = {}
    for r in rows:
        by_plan.setdefault((r.model, r.scenario), []).append(r)
    pv = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"
    by_plan[(str(pv), "")] = [SkuRow(2 + i, f"PV{i}", model=str(pv), overrides={"module_efficiency": e, "power_wp": w})
                              for i, (e, w) in enumerate([(0.17, 272.0), (0.21, 336.0), (0.19, 304.0)])]
    assert len(by_plan) == 15
    cache: dict = {}
    for (model, scenario), group in by_plan.items():
        plan = make_plan(model, scenario, cache)
        _fp, text, sha = _templates({plan.key: plan})[plan.key]
        template = json.loads(text)
        done = full_rows(plan, group, template, sha, {r.row: input_hash(plan, r) for r in group})
        assert (done.rest, done.notes) == ([], []), (model, scenario)
        assert sorted(done.figures) == sorted(r.row for r in group)
        piece = done.pieces[-1]
        for i in (0, len(piece.ids) - 1):
            row = next(r for r in group if r.id == piece.ids[i])
            numbers, patch = piece_row(piece, i)
            rebuilt = decode(text, numbers, patch, {"id": row.id, "row": row.row, "input_sha256": piece.hashes[i]},
                             piece.formulas)
            scalar = json.loads(json.dumps(full_result(plan, row).to_json(), ensure_ascii=False))
            assert json.dumps(_without_time(rebuilt)) == json.dumps(_without_time(scalar)), (model, scenario, row.id)


def test_lane_helpers_answer_each_row_without_a_decision():
    """zero_below and larger (the mass balance's rounding test) give plain floats what the
    scalar expressions give, and each row of many variants its own answer, no row diverged."""
    from pcf.model.lanes import Lane, lanes, larger, zero_below

    assert zero_below(1e-12, 1e-9) == 0.0 and zero_below(-1e-9, 1e-9) == 0.0 and zero_below(2.0, 1e-9) == 2.0
    assert larger(1.0, 2.0) == 2.0 and larger(3.0, 2.0) == 3.0
    with lanes(3) as state:
        scale = larger(Lane([1.0, 1.0, 1.0]), Lane([2.0, 0.5, 1.0]))  # 2, 1, 1
        assert scale.v.tolist() == [2.0, 1.0, 1.0]
        diff = zero_below(Lane([1.5e-9, 1e-12, 0.5]), 1e-9 * scale)  # limits 2e-9, 1e-9, 1e-9
        assert diff.v.tolist() == [0.0, 0.0, 0.5]
    assert not state.diverged.any()


def test_a_formula_names_the_operands_that_made_the_number():
    """A share made as (a * b) / a, its product freed before the result is stored: the formula is
    built from the product's own operands, never from a number of the result that happens to sit
    where the freed product sat (CPython gives a freed object's memory to the next object of its
    size, so an id-keyed record of the operand would name that number instead: the formulas, and
    with them the store's bytes, would then depend on the allocator)."""
    from pcf.batch.columns import formula
    from pcf.model.lanes import Lane, lanes

    with lanes(2):
        a, b = Lane([2.0, 4.0]), Lane([3.0, 5.0])
        share = (a * b) / a  # the product (6, 20) is freed as soon as the division is done
        stranger = Lane([7.0, 7.0])  # allocated now: likely where the product was
        pointers = {id(a): "/a", id(b): "/b", id(stranger): "/stranger"}
        assert formula(share.how, pointers) == ["truediv", ["mul", "/a", "/b"], "/a"]
        assert share.v.tolist() == [3.0, 5.0]


def test_two_runs_store_the_same_columns_and_formulas(open_default, tmp_path):
    """The same table run twice: the same store parts but for the time each result was computed
    (``created_at``, in the template and each row's patch): same columns, values and formulas."""
    import pyarrow.parquet as pq
    rows = [{"id": f"R{i:04d}", "capacity_kwh": 40 + i % 80, "service_life_years": 6 + i % 7}
            for i in range(2500)]
    table = tmp_path / "skus.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["id", "capacity_kwh", "service_life_years"])
        writer.writeheader()
        writer.writerows(rows)
    parts = []
    for run in ("one", "two"):
        run_batch(table, tmp_path / run, model=REPO / "examples" / "battery" / "nmc811-pack.yaml")
        (part,) = sorted((tmp_path / run / "store").glob("part-*.parquet"))
        parts.append(pq.read_table(part))
    first, second = parts
    assert first.column_names == second.column_names
    assert first.schema.metadata[b"pcf.formulas"] == second.schema.metadata[b"pcf.formulas"]
    for name in first.column_names:
        if name not in ("template", "patch"):
            assert first[name].equals(second[name]), name


def test_a_varied_table_takes_few_rounds(open_default, tmp_path):
    """2,000 NMC811 rows with four parameters varied (benchmarks/batch_store.py's table) answer
    one kind of the result code's decisions otherwise than the plan's own row: the order of
    the contributions and of the data-quality items (the same pair of items swaps in both):
    rows that answered the same decisions otherwise are evaluated together, so the chunk takes
    two evaluations (counted, not timed) and no row is computed alone: not one path per SKU,
    each re-evaluated row once. The rows fall in three classes of the PCR (B, C, D), but none
    conforms, so none is graded and the class is no decision of the full result; the mass
    balance's rounding test is each row's own (pcf.model.lanes.zero_below, larger). Before: 12
    evaluations of 3,566 rows (rows grouped by their first decision), 12 of 3,246 (grouped by
    all), 4 of 2,770 (the class no decision). The sampled rows equal their scalar full result."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from batch_store import write_table
    from pcf.batch import SkuTable
    from pcf.batch.columns import full_rows, piece_row
    from pcf.batch.engine import full_result, input_hash
    from pcf.batch.plan import make_plan
    from pcf.batch.run import _templates

    model = REPO / "examples" / "battery" / "nmc811-pack.yaml"
    table = tmp_path / "skus.csv"
    write_table(table, 2000)
    rows = list(SkuTable(table, model))
    plan = make_plan(str(model), "", {})
    _fp, text, sha = _templates({plan.key: plan})[plan.key]
    done = full_rows(plan, rows, json.loads(text), sha, {r.row: input_hash(plan, r) for r in rows})
    assert (done.rest, done.notes) == ([], [])
    assert sorted(done.figures) == [r.row for r in rows]
    classes = {c for cols in done.columns for c in np.atleast_1d(cols["class_of_declared_figure"]).tolist()}
    assert classes == {"B", "C", "D"}, classes  # the declared figures span three classes
    assert {v for cols in done.columns for v in np.atleast_1d(cols["performance_class"]).tolist()} == {None}
    assert done.rounds == 2, done.rounds
    assert done.evaluated <= 1.5 * len(rows), (done.evaluated, len(rows))
    for piece in done.pieces[:4]:
        i = len(piece.ids) - 1
        row = next(r for r in rows if r.id == piece.ids[i])
        numbers, patch = piece_row(piece, i)
        rebuilt = decode(text, numbers, patch, {"id": row.id, "row": row.row, "input_sha256": piece.hashes[i]},
                         piece.formulas)
        scalar = json.loads(json.dumps(full_result(plan, row).to_json(), ensure_ascii=False))
        assert json.dumps(_without_time(rebuilt)) == json.dumps(_without_time(scalar)), row.id


def test_sampled_store_rows_equal_pcf_footprint(open_default, tmp_path):
    """One row in nine of examples/battery/skus.csv (every plan), a row computed alone (it asks
    for a label: the scalar path) and a row the model refuses: ``pcf batch result`` equals
    ``pcf footprint`` of each row's model, scenario and parameters, every field."""
    extra = ("NMC811-LABEL,label row,MODELS/nmc811-pack.yaml,plant_de,70,9,yes\n"
             "NMC811-BAD,refused,MODELS/nmc811-pack.yaml,,-5,8,\n")
    table, rows = _battery_rows(tmp_path, 9, extra)
    assert len({(r.model, r.scenario) for r in rows}) == 14
    report = run_batch(table, tmp_path / "out")
    assert (report.computed, report.failed) == (len(rows) - 1, 1), report.errors
    assert "capacity" in report.errors[0] or "NMC811-BAD" in report.errors[0] or "row" in report.errors[0]
    assert (tmp_path / "out" / "NMC811-LABEL.label.pdf").is_file()
    for row in rows[::2] + [r for r in rows if r.id == "NMC811-LABEL"]:
        result = read_result(tmp_path / "out", row.id)
        assert _same_as_footprint(result, row.model, row.overrides, row.scenario or None) == [], row.id
    with pytest.raises(StoreError):
        read_result(tmp_path / "out", "NMC811-BAD")


KILL = textwrap.dedent("""\
    import os, signal, sys
    import pcf.batch.run as run
    run.GROUP = 1  # a part per SKU
    def progress(done, total):
        if done >= 3:
            os.kill(os.getpid(), signal.SIGKILL)
    run.run_batch(sys.argv[1], sys.argv[2], sys.argv[3], chunk_size=1, progress=progress)
    """)


def _killed_batch(script: str, model, tmp_path):
    """Run ``script`` (a batch that kills itself with SIGKILL) on an 8-SKU table; (table, its
    output folder, a folder for the clean run)."""
    text = "id,cap,elec_a\n" + "".join(f"S{i},{i},{10 + i}\n" for i in range(1, 9))
    table = _table(tmp_path, text)
    out, clean = tmp_path / "out", tmp_path / "clean"
    killed = subprocess.run([sys.executable, "-c", script, str(table), str(out), str(model)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    return table, out, clean


def test_resume_after_kill_9(bd, model, tmp_path):
    """A batch killed by SIGKILL mid-run: the parts it committed are whole; the resumed run
    computes only the rest; the store then holds each SKU once and equals a clean run."""
    table, out, clean = _killed_batch(KILL, model, tmp_path)
    assert not (out / "summary.csv").exists()
    done = read_index(out)
    assert 3 <= len(done) < 8
    report = run_batch(table, out, model)
    assert (report.skipped, report.computed, report.failed) == (len(done), 8 - len(done), 0)
    import pyarrow.parquet as pq

    stored = [i for p in sorted((out / "store").glob("part-*.parquet"))
              for i in pq.read_table(p, columns=["id"]).column("id").to_pylist()]
    assert sorted(stored) == sorted(f"S{i}" for i in range(1, 9))  # each SKU once
    run_batch(table, clean, model)
    for i in range(1, 9):
        assert _without_time(read_result(out, f"S{i}")) == _without_time(read_result(clean, f"S{i}"))


def test_recomputed_sku_replaces_its_row(bd, model, tmp_path):
    """A row that changed is computed again; the store keeps only its new result."""
    table = _table(tmp_path, "id,cap\nA,2\nB,3\n")
    out = tmp_path / "out"
    run_batch(table, out, model)
    table.write_text("id,cap\nA,2\nB,5\n", encoding="utf-8")
    report = run_batch(table, out, model)
    assert (report.skipped, report.computed) == (1, 1)
    assert read_result(out, "B")["batch"]["overrides"] == {"cap": 5.0}
    assert sorted(read_index(out)) == ["A", "B"]
    import pyarrow.parquet as pq

    assert sum(pq.read_metadata(p).num_rows for p in (out / "store").glob("part-*.parquet")) == 2
    # a store holding a SKU twice (a run killed after a part, before its compaction): the next
    # run, which computes nothing, drops the older row
    parts = sorted((out / "store").glob("part-*.parquet"))
    (out / "store" / "part-000009.parquet").write_bytes(parts[-1].read_bytes())
    assert run_batch(table, out, model).skipped == 2
    assert sum(pq.read_metadata(p).num_rows for p in (out / "store").glob("part-*.parquet")) == 2
    assert read_result(out, "B")["batch"]["overrides"] == {"cap": 5.0}


def test_label_from_the_store_equals_label_from_the_file(bd, model, tmp_path):
    table = _table(tmp_path, "id,name,cap\nA,Alpha,4\n")
    store, files = tmp_path / "store", tmp_path / "files"
    run_batch(table, store, model)
    run_batch(table, files, model, json_per_sku=True)
    a = runner.invoke(cli.app, ["label", "--batch", str(store), "--sku", "A", "--out", str(tmp_path / "la")])
    b = runner.invoke(cli.app, ["label", str(files / "A.result.json"), "--out", str(tmp_path / "lb")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    svg = sorted(p.name for p in (tmp_path / "la").glob("*.svg"))
    assert svg and svg == sorted(p.name for p in (tmp_path / "lb").glob("*.svg"))
    for name in svg:
        assert (tmp_path / "la" / name).read_bytes() == (tmp_path / "lb" / name).read_bytes()
    shown = runner.invoke(cli.app, ["batch", "result", str(store), "A"])
    assert shown.exit_code == 0, shown.output
    assert _without_time(json.loads(shown.output)) == _without_time(
        json.loads((files / "A.result.json").read_text(encoding="utf-8")))


def test_store_errors_exit_2(bd, model, tmp_path):
    table = _table(tmp_path, "id,cap\nA,2\n")
    out = tmp_path / "out"
    run_batch(table, out, model)

    def fails(*args) -> str:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    assert f"{out}: no SKU 'B' in the batch store" in fails("batch", "result", str(out), "B")
    assert "not a batch store (no plan.json" in fails("batch", "result", str(tmp_path), "A")
    summary_only = tmp_path / "summary-only"
    run_batch(table, summary_only, model, results=False)
    assert "not a batch store" in fails("label", "--batch", str(summary_only), "--sku", "A", "--out", str(tmp_path))
    assert "a batch store and a SKU go together" in fails("report", "--batch", str(out), "--out", str(tmp_path))
    assert "no SKU 'B'" in fails("issue", "--batch", str(out), "--sku", "B", "--key", "k", "--out", str(tmp_path))
    plan_file = out / "plan.json"
    good = plan_file.read_text(encoding="utf-8")
    body = json.loads(good)
    body["plans"][0]["scenario"] = "edited"
    plan_file.write_text(json.dumps(body), encoding="utf-8")
    assert "plan document's hash does not match its content" in fails("batch", "result", str(out), "A")
    body = dict(json.loads(good), pcf_version="0.0.1")
    body["sha256"] = _plan_hash(body)
    plan_file.write_text(json.dumps(body), encoding="utf-8")
    assert "written by pcf 0.0.1" in fails("batch", "result", str(out), "A")
    plan_file.write_text(good, encoding="utf-8")
    template = next((out / "store" / "templates").glob("*.json"))
    template.write_text(template.read_text(encoding="utf-8").replace('"LOOP"', '"LOOQ"'), encoding="utf-8")
    assert "plan hash mismatch" in fails("batch", "result", str(out), "A")
    with pytest.raises(StoreError, match="no such folder"):
        read_result(tmp_path / "nope", "A")


KILL_SUMMARY = textwrap.dedent("""\
    import os, signal, sys
    import pcf.batch.run as run
    def progress(done, total):
        if done >= 3:
            os.kill(os.getpid(), signal.SIGKILL)
    run.run_batch(sys.argv[1], sys.argv[2], sys.argv[3], chunk_size=1, progress=progress, results=False)
    """)


def test_summary_only_resumes_after_kill_9_by_chunks(bd, model, tmp_path):
    """A summary-only batch keeps its state per chunk (batch-state/chunk-<n>.parquet, named by a
    line of batch-state.jsonl written after the file): killed by SIGKILL after three chunks, the
    resumed run skips those three SKUs, removes a chunk file that has no line (a kill between
    the two), a temporary file and a streamed summary's temporary files, and writes the summary
    a clean run writes."""
    table, out, clean = _killed_batch(KILL_SUMMARY, model, tmp_path)
    lines = (out / "batch-state.jsonl").read_text().splitlines()
    assert [json.loads(line)["rows"] for line in lines] == [1, 1, 1]
    chunks = sorted((out / "batch-state").glob("chunk-*.parquet"))
    assert len(chunks) == 3
    orphan = out / "batch-state" / "chunk-000009.parquet"
    orphan.write_bytes(chunks[0].read_bytes())
    (out / "batch-state" / ".chunk-x.tmp").write_bytes(b"half")
    # what a run killed while it wrote its summary as it went leaves (pcf.batch.summary._Files)
    streamed = [out / ".summary.csv.k1ll3d.tmp", out / ".summary.parquet.k1ll3d.tmp"]
    for path in streamed:
        path.write_bytes(b"half")
    report = run_batch(table, out, model, results=False)
    assert (report.skipped, report.computed, report.failed) == (3, 5, 0)
    assert not orphan.exists() and not (out / "batch-state" / ".chunk-x.tmp").exists()
    assert not any(path.exists() for path in streamed)
    run_batch(table, clean, model, results=False)
    assert (out / "summary.csv").read_text() == (clean / "summary.csv").read_text()
    again = run_batch(table, out, model, results=False)
    assert (again.skipped, again.computed) == (8, 0)
    assert (out / "summary.csv").read_text() == (clean / "summary.csv").read_text()


def test_a_second_batch_uses_the_kept_plan_without_brightway(bd, model, tmp_path):
    """A batch keeps each plan's preparation (pcf.lca.warmcache, per kind of batch): the same
    ``pcf batch`` again, in a fresh process as a user runs it, imports no Brightway module and
    writes the same summary and results; a changed model is prepared again (with Brightway)."""
    from tests.test_light_imports import DRIVER
    from tests.test_warm_footprint import BRIGHTWAY, USER_ENV

    table = _table(tmp_path, "id,cap,elec_a\nA,2,10\nB,3,12\n")
    first, second, third = tmp_path / "one", tmp_path / "two", tmp_path / "three"
    run_batch(table, first, model)  # this process: prepared with Brightway, kept

    def batch(out, *extra):
        record = out.parent / f"{out.name}.modules.json"
        proc = subprocess.run([sys.executable, "-c", DRIVER, str(record), "batch", str(table), "--model", str(model),
                               "--out", str(out), *extra], cwd=REPO, env=USER_ENV, capture_output=True, text=True,
                              timeout=300)
        found = json.loads(record.read_text())
        assert found["code"] in (0, None), proc.stderr
        return {m.split(".")[0] for m in found["modules"]} & set(BRIGHTWAY)

    assert batch(second) == set()
    assert (second / "summary.csv").read_text() == (first / "summary.csv").read_text()
    for sku in ("A", "B"):
        assert _without_time(read_result(second, sku)) == _without_time(read_result(first, sku))
    model.write_text(model.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert "bw2data" in batch(third)


def test_full_results_stream_their_summary_in_table_order(open_default, tmp_path, monkeypatch):
    """A batch with full results whose chunks are the summary's blocks writes its summary as the
    chunks are committed (pcf.batch.summary.SummaryStream), as a summary-only run does: a
    chunk's rows come from two evaluations (a third of the NMC811 rows sort their contributions
    otherwise) and go to the stream in table order. The same bytes as the summary written from
    the state (the run resumed: every row skipped)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from batch_store import write_table
    from pcf.batch import run
    from pcf.batch.summary import SummaryStream

    model = REPO / "examples" / "battery" / "nmc811-pack.yaml"
    table = tmp_path / "skus.csv"
    write_table(table, 300)
    monkeypatch.setattr(run, "SUMMARY_BLOCK", 150)
    monkeypatch.setattr(run, "CHUNK", 150)
    monkeypatch.setattr(run, "GROUP", 150)  # a chunk is committed alone, as 25,000 rows are (GROUP 2,000)
    finished = []
    finish = SummaryStream.finish
    monkeypatch.setattr(SummaryStream, "finish", lambda self: finished.append(finish(self)) or finished[-1])
    out = tmp_path / "out"
    streamed = run_batch(table, out, model)
    assert (streamed.computed, streamed.failed) == (300, 0)
    assert finished == [{"csv": out / "summary.csv", "parquet": out / "summary.parquet"}]
    written = {name: (out / name).read_bytes() for name in ("summary.csv", "summary.parquet")}
    again = run_batch(table, out, model)  # every row done: the summary is written from the state
    assert (again.computed, again.skipped, len(finished)) == (0, 300, 1)
    for name, data in written.items():
        assert (out / name).read_bytes() == data, name
    assert len(read_index(out)) == 300
