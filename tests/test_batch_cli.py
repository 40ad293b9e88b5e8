"""``pcf batch`` command line: exit status, counts, files, the dask executor. (What is
computed is tested in tests/test_batch.py.)"""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

import cli
from tests.test_batch import MODEL, TABLE
from tests.conftest import flat

runner = CliRunner()


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_all_rows_ok_exit_0(bd, model, tmp_path):
    skus = _write(tmp_path / "skus.csv", "id,cap\nA,2\nB,3\n")
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(out), "--json-per-sku"])
    assert result.exit_code == 0, result.output
    assert "2 SKUs: 2 computed, 0 skipped (done before), 0 failed" in flat(result.output)
    assert sorted(p.name for p in out.iterdir()) == ["A.result.json", "B.result.json", "batch-state.jsonl",
                                                     "summary.csv", "summary.parquet"]
    again = runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(out), "--json-per-sku"])
    assert again.exit_code == 0 and "0 computed, 2 skipped" in flat(again.output)


def test_failed_rows_exit_1_with_a_count(bd, model, tmp_path):
    skus = _write(tmp_path / "skus.csv", TABLE)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(out), "--summary-only"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "4 of 7 SKUs failed" in text and "row 7: duplicate id 'R1' (first on row 2)" in text
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == ["ok", "ok", "error", "error", "error", "error", "ok"]
    assert not list(out.glob("*.result.json"))


def test_invalid_model_exits_2_and_writes_nothing(bd, write_model, tmp_path):
    bad = write_model(MODEL.replace("stage: production", "stage: manufacturing"), "bad.yaml")
    skus = _write(tmp_path / "skus.csv", "id,cap\nA,2\n")
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["batch", str(skus), "--model", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{bad}:13:" in flat(result.output)
    assert not out.exists()


def test_missing_table_exits_2(tmp_path):
    result = runner.invoke(cli.app, ["batch", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "SKU table not found" in flat(result.output)


def test_dask_cluster_gives_the_local_results(bd, model, tmp_path):
    """A two-worker dask cluster (separate processes, loopback) computes the same summary and
    result files as the local run, and the same batch store."""
    from distributed import LocalCluster

    skus = _write(tmp_path / "skus.csv", TABLE)
    local, remote = tmp_path / "local", tmp_path / "dask"
    assert runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(local),
                                   "--json-per-sku"]).exit_code == 1
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        result = runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(remote),
                                         "--executor", "dask", "--scheduler", cluster.scheduler_address,
                                         "--json-per-sku"])
        stored = runner.invoke(cli.app, ["batch", str(skus), "--model", str(model), "--out", str(tmp_path / "store"),
                                         "--executor", "dask", "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 1, result.output
    assert "3 computed" in flat(result.output)
    assert stored.exit_code == 1 and "3 computed" in flat(stored.output), stored.output
    from pcf.batch.store import read_result

    for sku in ("R1", "R2", "R7"):  # the workers send the store rows back; the client writes the store
        import json

        x, y = json.loads((local / f"{sku}.result.json").read_text()), read_result(tmp_path / "store", sku)
        x.pop("created_at"), y.pop("created_at")
        assert x == y
    with open(local / "summary.csv", newline="") as a, open(remote / "summary.csv", newline="") as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))
    for name in ("R1.result.json", "R2.result.json", "R7.result.json"):
        import json

        x, y = (json.loads((d / name).read_text()) for d in (local, remote))
        x.pop("created_at"), y.pop("created_at")
        assert x == y
