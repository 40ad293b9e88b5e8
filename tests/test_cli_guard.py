"""The command line never shows a traceback (issue 19 part 4): a known error is its message and
exit 2 with nothing written; an unexpected one is ``internal error`` with the path of a log file
under ``PCF_HOME/logs`` and exit 1; a failed run leaves no database, staging folder or output
folder behind; runs sharing one ``PCF_HOME`` wait for each other instead of failing.

The reproducers are the red team's (issue 19, "Through the CLI"): a model of foreground
processes only, ``--out`` naming an existing file, two runs on one ``PCF_HOME``, and the
``pcf-fg-*`` database a failed run left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from tests.conftest import _HOME, REPO, flat
from tests.builders import loop_model

runner = CliRunner()

#: Two foreground processes, no background input, no elementary flow: nothing is emitted, so
#: every total is 0 kg CO2e (bw2calc's ``lcia()`` raised EmptyBiosphere on such a system; the
#: CLI printed 83 lines of traceback).
FOREGROUND_ONLY = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: FG-ONLY
      name: Foreground only
      process: a
      reference_flow: {amount: 1, unit: item}
    study: {background: test-bg, method: ipcc-2021-gwp100}
    processes:
      - id: a
        name: A
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {process: b, amount: 2, unit: kg, uncertainty: {distribution: normal, sd: 0.1}}
      - id: b
        name: B
        stage: raw_material_acquisition
        output: {amount: 1, unit: kg}
    """)


#: The same without ``uncertainty:``: with ``--no-default-uncertainty`` a Monte Carlo run has
#: nothing to sample, an error raised after the foreground database was written.
NOTHING_TO_SAMPLE = FOREGROUND_ONLY.replace(", uncertainty: {distribution: normal, sd: 0.1}", "")


def _files(folder: Path) -> set[str]:
    """Every path under ``folder``, relative (what a run may have left behind)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _pcf(*args, home: Path, timeout: float = 300) -> subprocess.Popen:
    """Start the console script's ``cli.main`` in a fresh process on ``home``."""
    env = dict(os.environ, PCF_HOME=str(home))
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


# --- reproducers ------------------------------------------------------------------------------


def test_a_model_of_foreground_processes_only_has_a_zero_footprint(bd, write_model, tmp_path):
    model = write_model(FOREGROUND_ONLY)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--monte-carlo", "20",
                                     "--seed", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "FG-ONLY.result.json").read_text())
    assert data["total_kg_co2e"] == 0.0  # nothing emitted, nothing drawn from a background
    assert data["uncertainty"]["mean"] == 0.0


def test_monte_carlo_of_a_system_without_elementary_flows_in_the_library(bd, write_model):
    """The library's own reference path (bw2calc solves the deterministic system) is where
    EmptyBiosphere was raised."""
    from pcf.lca.uncertainty import monte_carlo
    from pcf.model import load_model

    drawn = monte_carlo(load_model(write_model(FOREGROUND_ONLY)), 20, seed=1)
    assert drawn.deterministic == 0.0 and not drawn.scores.any()


def test_out_naming_an_existing_file_is_refused_before_computing(bd, write_model, tmp_path):
    model = write_model(loop_model(product_id="OUT-IS-A-FILE"))
    target = tmp_path / "taken"
    target.write_text("keep me")
    for out in (target, target / "sub"):
        result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "FileExistsError" not in result.output
        assert "not a folder" in flat(result.output) and "(--out)" in result.output
    assert target.read_text() == "keep me"
    assert "pcf-fg-OUT-IS-A-FILE" not in bd.databases  # refused before the foreground was written


def test_batch_out_naming_an_existing_file_is_refused_before_running(bd, write_model, tmp_path):
    model = write_model(loop_model())
    table = tmp_path / "skus.csv"
    table.write_text("sku,name,cap\nS1,one,2\n")
    target = tmp_path / "taken"
    target.write_text("keep me")
    result = runner.invoke(cli.app, ["batch", str(table), "--model", str(model), "--out", str(target)])
    assert result.exit_code == 2, result.output
    assert "not a folder" in flat(result.output) and "(--out)" in result.output and "Traceback" not in result.output
    assert target.read_text() == "keep me"


def test_a_failed_footprint_leaves_no_database_staging_or_output_folder(bd, write_model, tmp_path):
    """The foreground is written, then the Monte Carlo run refuses (nothing to sample: no
    ``uncertainty:``, no default, no background): exit 2, and the run's ``pcf-fg-*`` database,
    staging folder and the output folder it would have made are gone."""
    model = write_model(NOTHING_TO_SAMPLE.replace("id: FG-ONLY", "id: FAILS-LATE"))
    bd.databases.load()
    before_dbs = set(bd.databases)
    before_home = _files(_HOME / "brightway")
    out = tmp_path / "new-out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--monte-carlo", "20",
                                     "--no-default-uncertainty"])
    assert result.exit_code == 2, result.output
    assert "nothing to sample" in flat(result.output)
    bd.databases.load()
    assert set(bd.databases) == before_dbs and "pcf-fg-FAILS-LATE" not in bd.databases
    left = {p for p in _files(_HOME / "brightway") - before_home if "FAILS-LATE" in p.upper() or "fails-late" in p}
    assert not left  # no processed datapackage of it either
    assert not out.exists()


def test_a_failed_run_into_an_existing_folder_keeps_it_as_it_was(bd, write_model, tmp_path):
    model = write_model(NOTHING_TO_SAMPLE.replace("id: FG-ONLY", "id: FAILS-LATE-2"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous run")
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--monte-carlo", "20",
                                     "--no-default-uncertainty"])
    assert result.exit_code == 2, result.output
    assert _files(out) == {"keep.txt"}  # no .pcf-staging-* folder, no partial output
    assert "pcf-fg-FAILS-LATE-2" not in bd.databases


def test_runs_sharing_one_pcf_home_wait_for_each_other(bd, tmp_path):
    """Four footprints at once on one ``PCF_HOME``, each a different model with the same product
    id (so each rewrites the same ``pcf-fg-*`` database): all succeed, and each total is its own.
    (Without the lock: ``database is locked``, or ``KeyError`` from a stale bw2data list.)

    By hand: the reference flow of copy k is k items of LOOP, so its total is k times LOOP's
    17.89625 kg CO2e (test_lca.py works LOOP out)."""
    procs = []
    for k in (1, 2, 3, 4):
        model = tmp_path / f"loop{k}.yaml"
        model.write_text(loop_model(product_id="SHARED", reference_items=k))
        procs.append((k, tmp_path / f"out{k}", _pcf("footprint", model, "--out", tmp_path / f"out{k}", home=_HOME)))
    for k, out, proc in procs:
        code, stdout, stderr = _finish(proc)
        assert code == 0, stderr
        total = json.loads((out / "SHARED.result.json").read_text())["total_kg_co2e"]
        assert total == pytest.approx(17.89625 * k, rel=1e-6)


def test_two_setups_on_a_fresh_pcf_home_both_succeed(tmp_path):
    """Two ``pcf setup`` at once on an empty ``PCF_HOME``: one builds, the other waits for it and
    finds everything present. (Without the lock one failed with ``no such table: bw2schema``
    and the other with ``database is locked``.)"""
    home = tmp_path / "home"
    procs = [_pcf("setup", home=home) for _ in range(2)]
    outputs = [_finish(p, timeout=600) for p in procs]
    for code, stdout, stderr in outputs:
        assert code == 0, stderr
        assert "Traceback" not in stderr
    said = sorted(stdout for _, stdout, _ in outputs)
    assert "biosphere3: built" in said[0] + said[1] and "biosphere3: present" in said[0] + said[1]


# --- the handler itself ---------------------------------------------------------------------


#: A command group with a command that fails with a bug (a KeyError) and one whose group
#: callback fails (outside any command: main()'s own handler).
BUGGY = """
import sys, cli
app = cli.Commands()

@app.command()
def lookup():
    {}["missing key"]

@app.command()
def fine():
    print("fine")

cli.app = app
if sys.argv[1] == "callback":
    @app.callback()
    def broken():
        raise ValueError("broken callback")
    sys.argv = ["pcf", "fine"]
else:
    sys.argv = ["pcf", sys.argv[1]]
cli.main()
"""


@pytest.mark.parametrize("argument,what", [("lookup", "KeyError: 'missing key'"),
                                           ("callback", "ValueError: broken callback")])
def test_an_unexpected_exception_is_an_internal_error_with_a_log_file(tmp_path, argument, what):
    home = tmp_path / "home"
    proc = subprocess.run([sys.executable, "-c", BUGGY, argument], cwd=REPO, env=dict(os.environ, PCF_HOME=str(home)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"internal error: {what}" in flat(proc.stderr)
    logs = list((home / "logs").glob("internal-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in proc.stderr
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and what in text


def test_a_pcf_home_that_is_a_file_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    code, stdout, stderr = _finish(_pcf("db", "list", home=home))
    assert code == 2, stderr
    assert "Traceback" not in stderr and f"{home}" in stderr and "Not a directory" in stderr
    assert home.read_text() == "not a folder"


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    """A real SIGINT to ``pcf setup`` once it is inside the command (its lock file exists)."""
    home = tmp_path / "home"
    proc = _pcf("setup", home=home)
    lock = home / "brightway" / ".pcf-lock"
    deadline = time.monotonic() + 300
    while not lock.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    code, stdout, stderr = _finish(proc)
    assert code == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr + stdout


def test_internal_error_logs_are_kept_bounded(tmp_path, monkeypatch):
    from pcf.core import crashlog

    monkeypatch.setenv("PCF_HOME", str(tmp_path))
    for _ in range(crashlog.KEEP + 5):
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            path = crashlog.write_crash_log(exc)
    assert path.parent == tmp_path / "logs"
    assert len(list(path.parent.glob("internal-error-*.log"))) == crashlog.KEEP
    assert path.exists()  # the newest is kept
