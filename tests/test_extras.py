"""Optional parts of pcf (pyproject.toml ``[project.optional-dependencies]``, pcf/core/extras.py):
a missing package is a clear error naming the extra to install, exit 2, no traceback, nothing
written; ``import pcf`` and ``pcf footprint`` load none of them.

A missing package is made the way the import system itself provides (Python reference, "The
module cache"): ``sys.modules[name] = None`` makes ``import name`` raise ImportError. pcf is
not mocked; the commands run for real up to the point where the package is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import cli
from pcf.core.extras import EXTRAS, MissingExtra, require
from tests.builders import loop_model
from tests.test_batch import MODEL

runner = CliRunner()

OPTIONAL = sorted({m for modules in EXTRAS.values() for m in modules})


def _hide(monkeypatch, *modules):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def _refused(result, extra: str, module: str) -> str:
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"pip install 'pcf[{extra}]'" in text and f"with {module}, which is not installed" in text
    assert "Traceback" not in result.output
    return text


def test_the_extras_are_those_of_pyproject():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(EXTRAS) | {"all", "test"} == set(extras)
    assert extras["all"] == [f"pcf[{','.join(sorted(EXTRAS))}]"]
    assert "pcf[all]" in extras["test"]
    runtime = " ".join(project["dependencies"])
    for name in ("dask", "pyarrow", "psycopg", "starlette", "uvicorn", "jsonschema", "hypothesis", "pytest"):
        assert name not in runtime, f"{name} is optional or test-only, not a dependency"


def test_require_names_the_extra(monkeypatch):
    _hide(monkeypatch, "pyarrow")
    with pytest.raises(MissingExtra, match=r"^summary with pyarrow, which is not installed .*: "
                                           r"pip install 'pcf\[parquet\]'$"):
        require("parquet", "pyarrow.parquet", "summary")


def test_batch_without_pyarrow_names_the_parquet_extra(monkeypatch, write_model, tmp_path):
    model = write_model(MODEL)
    (tmp_path / "skus.csv").write_text("id,cap\nA,2\n", encoding="utf-8")
    _hide(monkeypatch, "pyarrow")
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["batch", str(tmp_path / "skus.csv"), "--model", str(model), "--out", str(out)])
    assert "summary.parquet" in _refused(result, "parquet", "pyarrow")
    assert not out.exists()


def test_dask_executor_without_distributed_names_the_dask_extra(monkeypatch, write_model, tmp_path):
    model = write_model(MODEL)
    (tmp_path / "skus.csv").write_text("id,cap\nA,2\n", encoding="utf-8")
    _hide(monkeypatch, "distributed")
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["batch", str(tmp_path / "skus.csv"), "--model", str(model), "--out", str(out),
                                     "--executor", "dask"])
    assert "dask executor" in _refused(result, "dask", "distributed")
    assert not out.exists()


def test_postgresql_registry_without_psycopg_names_the_postgres_extra(monkeypatch):
    _hide(monkeypatch, "psycopg")
    # Port 1: nothing is reached; the refusal comes before any connection.
    result = runner.invoke(cli.app, ["registry", "list", "--registry", "postgresql://127.0.0.1:1/pcf"])
    assert "PostgreSQL" in _refused(result, "postgres", "psycopg")


@pytest.mark.parametrize("module", ["starlette", "uvicorn", "anyio"])
def test_serve_without_its_packages_names_the_server_extra(monkeypatch, tmp_path, module):
    _hide(monkeypatch, module)
    result = runner.invoke(cli.app, ["serve", "--registry", str(tmp_path / "registry.db")])
    assert "pcf serve" in _refused(result, "server", module)
    assert list(tmp_path.iterdir()) == []


IMPORT_PROBE = """
import json, sys
import pcf, pcf.api, cli
print(json.dumps(sorted(set(OPTIONAL) & set(sys.modules))))
"""

# Every optional module blocked: pint, pandas and peewee (dependencies of Brightway) import
# dask, pyarrow and psycopg on their own when they are installed, so "not loaded" is checked
# for pcf's imports above and "not needed" here, by running the command without them.
FOOTPRINT_PROBE = """
import sys
for name in OPTIONAL:
    sys.modules[name] = None
import cli
sys.argv = ["pcf", "footprint", MODEL, "--out", OUT]
cli.main()
"""


def _probe(code: str, **names) -> subprocess.CompletedProcess:
    head = "".join(f"{k} = {v!r}\n" for k, v in {"OPTIONAL": OPTIONAL, **names}.items())
    return subprocess.run([sys.executable, "-c", head + code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PCF_HOME": os.environ["PCF_HOME"]},
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_import_pcf_loads_no_optional_package():
    proc = _probe(IMPORT_PROBE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_footprint_runs_without_any_optional_package(bd, write_model, tmp_path):
    model = write_model(loop_model())
    out = tmp_path / "out"
    proc = _probe(FOOTPRINT_PROBE, MODEL=str(model), OUT=str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    # LOOP's total, worked by hand in tests/test_lca.py
    assert json.loads((out / "LOOP.result.json").read_text())["total_kg_co2e"] == pytest.approx(17.89625, rel=1e-6)


def test_pandas_imports_and_arrow_converts_to_it_after_arrow_without_pandas():
    """pcf.core.extras.arrow_without_pandas keeps pyarrow from importing pandas only inside it
    (pcf batch): after it, in the same fresh process, ``import pandas`` works and pyarrow's
    ``Table.to_pandas`` gives the table's values (pyarrow retries the import it was refused)."""
    script = ("import sys, pyarrow as pa\n"
              "from pcf.core.extras import arrow_without_pandas\n"
              "with arrow_without_pandas():\n"
              "    t = pa.table({'x': [1.5, 2.5], 's': ['a', 'b']})\n"
              "    assert 'pandas' not in sys.modules\n"
              "    try:\n"
              "        import pandas\n"
              "        raise SystemExit('pandas imported inside')\n"
              "    except ModuleNotFoundError:\n"
              "        pass\n"
              "frame = t.to_pandas()\n"
              "print(list(frame['x']), list(frame['s']))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[1.5, 2.5] ['a', 'b']"
