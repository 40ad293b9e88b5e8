"""``pcf batch --executor dask`` on a cluster started as a user starts one: ``dask scheduler`` and
``dask worker`` (distributed's own command line) as separate processes on 127.0.0.1, each in
its own temporary folder, the worker with another working folder and an empty ``PCF_HOME``
(no background database). The client runs in a third folder with a table whose ``model``
cells are relative (one model reads a supplier footprint next to it) and a relative
``--out``: the summary must equal the local run's byte for byte, ``pcf batch result`` the
local one, and nothing may land in the worker's folders. Refusals before any work: no
scheduler at the address, a scheduler without a worker, a worker running another pcf.

Every process is started in its own session and killed with its group when the test ends,
whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from tests.conftest import REPO
from tests.test_batch import MODEL
from tests.test_supplier import CAM_V3, buyer
from tests.conftest import flat

runner = CliRunner()
DASK = (str(Path(sys.executable).with_name("dask")) if Path(sys.executable).with_name("dask").exists()
        else shutil.which("dask"))  # distributed's command line, installed with the dask extra

# R1/R2 the loop model (hand-worked in tests/test_batch.py), R7 its steel_power scenario, B1/B2 a buyer
# of 3 kg (B2: 3000 g) of the supplier's cathode material, R3 singular (an error row), L1 with a label.
TABLE = """\
id,name,model,scenario,cap,loop,elec_a,label
R1,first,models/loop.yaml,,4,0.2,20,
R2,,models/loop.yaml,,,0,0,
R3,singular,models/loop.yaml,,2,0.5,10,
R7,swap,models/loop.yaml,steel_power,,,,
B1,buyer,models/buyer.yaml,,,,,
L1,labelled,models/loop.yaml,,3,,,yes
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(argv: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as fh:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process and everything in its session (a worker's nanny and its child)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    with contextlib.suppress(ProcessLookupError):  # children left behind in the group
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_for(check, what: str, proc: subprocess.Popen, log: Path, seconds: float = 45.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"{what}: the process ended ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")


def _scheduler_address(info: Path):
    try:
        return json.loads(info.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def dask_cluster(root: Path, workers: int = 1, worker_pythonpath: str | None = None):
    """A scheduler and ``workers`` worker processes, each in a folder of its own under ``root``;
    yields ``(address, folders)``: the scheduler's address and the folders each worker was
    started in (working folder, ``PCF_HOME``, dask's local directory)."""
    procs: list[subprocess.Popen] = []
    env = {k: v for k, v in os.environ.items() if k not in ("BRIGHTWAY2_DIR", "PCF_HOME", "PYTHONPATH")}
    try:
        sched = root / "scheduler"
        sched.mkdir(parents=True)
        info, log = sched / "scheduler.json", sched / "scheduler.log"
        procs.append(_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(info)], sched, env, log))
        address = _wait_for(lambda: _scheduler_address(info), "dask scheduler", procs[0], log)
        folders = []
        for i in range(workers):
            cwd, home = root / f"worker{i}" / "cwd", root / f"worker{i}" / "home"
            cwd.mkdir(parents=True)
            home.mkdir()
            wenv = dict(env, PCF_HOME=str(home), **({"PYTHONPATH": worker_pythonpath} if worker_pythonpath else {}))
            procs.append(_start([DASK, "worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                                 "--no-dashboard", "--local-directory", str(cwd / "dask-space"),
                                 "--death-timeout", "60"], cwd, wenv, cwd.parent / "worker.log"))
            folders.append(cwd.parent)
        yield address, folders
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _client_folder(root: Path) -> Path:
    """The client's folder: the table and, under ``models/``, the loop model, the buyer model
    and the supplier footprint it reads (``supplier_pcf: cam.json``, relative to the model)."""
    models = root / "models"
    models.mkdir(parents=True)
    (models / "loop.yaml").write_text(MODEL, encoding="utf-8")
    (models / "cam.json").write_text(json.dumps(CAM_V3), encoding="utf-8")
    (models / "buyer.yaml").write_text(buyer("- {supplier_pcf: cam.json, amount: 3000, unit: g, data: primary}\n"
                                             "- {background: elec, amount: 10, unit: kWh}\n"), encoding="utf-8")
    (root / "skus.csv").write_text(TABLE, encoding="utf-8")
    return root


def _batch(*args: str):
    return runner.invoke(cli.app, ["batch", "skus.csv", *args])


def _without_created_at(text: str) -> dict:
    data = json.loads(text)
    data.pop("created_at")
    return data


def test_cluster_in_other_folders_gives_the_local_summary(bd, tmp_path, monkeypatch):
    client = _client_folder(tmp_path / "client")
    monkeypatch.chdir(client)
    local = _batch("--out", "local")
    assert local.exit_code == 1, local.output  # R3 is singular
    with dask_cluster(tmp_path / "cluster") as (address, workers):
        remote = _batch("--out", "remote", "--executor", "dask", "--scheduler", address)
        json_per_sku = _batch("--out", "remote-json", "--executor", "dask", "--scheduler", address, "--json-per-sku")
        again = _batch("--out", "remote", "--executor", "dask", "--scheduler", address)
    assert remote.exit_code == 1, remote.output
    assert "5 computed" in flat(remote.output) and "1 failed" in flat(remote.output), remote.output
    # the client's state file and store make a re-run skip what is done (the failed row runs again)
    assert again.exit_code == 1 and "0 computed, 5 skipped" in flat(again.output), again.output
    # the summary names the same relative model files and holds the same numbers, to the byte
    assert (client / "remote" / "summary.csv").read_bytes() == (client / "local" / "summary.csv").read_bytes()
    import pyarrow.parquet as pq

    assert pq.read_table(client / "remote" / "summary.parquet").equals(pq.read_table(client / "local" / "summary.parquet"))
    for sku in ("R1", "R7", "B1"):
        a, b = (runner.invoke(cli.app, ["batch", "result", out, sku]) for out in ("local", "remote"))
        assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
        assert _without_created_at(b.stdout) == _without_created_at(a.stdout)
    buyer_result = json.loads(runner.invoke(cli.app, ["batch", "result", "remote", "B1"]).stdout)
    assert buyer_result["total_kg_co2e"] == pytest.approx(4.2 + 10 * 0.5571, rel=1e-6)  # tests/test_supplier.py
    # the label the L1 row asked for was drawn on the worker and written here
    assert (client / "remote" / "L1.label.svg").read_bytes() == (client / "local" / "L1.label.svg").read_bytes()
    assert (client / "remote" / "L1.label.pdf").stat().st_size > 0
    # --json-per-sku: the result files are written where the client asked
    assert json_per_sku.exit_code == 1, json_per_sku.output
    local_r1 = runner.invoke(cli.app, ["batch", "result", "local", "R1"]).stdout
    assert _without_created_at((client / "remote-json" / "R1.result.json").read_text()) == _without_created_at(local_r1)
    # the worker wrote nothing of the batch in its own folders, and read no background database
    written = [p.relative_to(workers[0]) for p in workers[0].rglob("*")
               if p.is_file() and (p.suffix in (".json", ".csv", ".parquet", ".svg", ".pdf", ".jsonl"))]
    assert written == []
    assert not list((workers[0] / "home").rglob("*.sqlite*")) and not list((workers[0] / "home").rglob("*.db"))


def _refused(result, message: str, out: Path) -> None:
    assert result.exit_code == 2, result.output
    assert message in flat(result.output) and "Traceback" not in result.output, result.output
    assert not out.exists()  # refused before anything was prepared or written


def test_no_scheduler_at_the_address_is_refused_before_any_work(bd, tmp_path, monkeypatch):
    import dask

    client = _client_folder(tmp_path / "client")
    monkeypatch.chdir(client)
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = _batch("--out", "out", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    _refused(result, "cannot reach the dask scheduler at tcp://127.0.0.1:", client / "out")


def test_scheduler_without_workers_is_refused_before_any_work(bd, tmp_path, monkeypatch):
    from pcf.batch import run

    client = _client_folder(tmp_path / "client")
    monkeypatch.chdir(client)
    monkeypatch.setattr(run, "WORKER_WAIT", 1.0)
    with dask_cluster(tmp_path / "cluster", workers=0) as (address, _):
        result = _batch("--out", "out", "--executor", "dask", "--scheduler", address)
    _refused(result, f"the dask scheduler at {address} has no worker", client / "out")


def test_worker_running_another_pcf_is_refused_before_any_work(bd, tmp_path, monkeypatch):
    """A worker whose pcf differs (here: a copy of this pcf with one more comment line, first
    on its PYTHONPATH) would compute other numbers: refused, naming the worker."""
    other = tmp_path / "other-pcf"
    shutil.copytree(REPO / "pcf", other / "pcf", ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "pcf" / "batch" / "run.py", "a", encoding="utf-8") as fh:
        fh.write("# another pcf\n")
    client = _client_folder(tmp_path / "client")
    monkeypatch.chdir(client)
    with dask_cluster(tmp_path / "cluster", worker_pythonpath=str(other)) as (address, _):
        result = _batch("--out", "out", "--executor", "dask", "--scheduler", address)
    _refused(result, "1 dask worker(s) of", client / "out")
    assert "run another pcf than this one" in flat(result.output)
