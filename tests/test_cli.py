"""Command line: exit codes, no output on invalid input, help examples. (Library behaviour is
tested in the library's test modules; these test the thin CLI layer.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import cli
from pcf.core.errors import PCFError
from tests.builders import loop_model
from tests.conftest import flat

runner = CliRunner()


def _command_paths():
    for command in cli.app.registered_commands:
        yield [command.name or command.callback.__name__]
    for group in cli.app.registered_groups:
        for command in group.typer_instance.registered_commands:
            yield [group.name, command.name or command.callback.__name__]


def test_every_command_help_has_an_example():
    paths = list(_command_paths())
    assert ["db", "list"] in paths and ["footprint"] in paths
    for path in paths:
        result = runner.invoke(cli.app, path + ["--help"])
        assert result.exit_code == 0, path
        assert "Example: pcf" in flat(result.output), f"{' '.join(path)} --help has no example"


def test_footprint_writes_result_and_prints_summary(bd, write_model, tmp_path):
    model = write_model(loop_model())
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "LOOP.result.json").read_text())
    assert data["total_kg_co2e"] == pytest.approx(17.89625, rel=1e-6)
    assert "Total" in result.output and "17.9" in result.output
    assert [p.name for p in out.iterdir()] == ["LOOP.result.json"]  # no staging left behind


def test_invalid_model_exits_2_with_file_line_and_writes_nothing(bd, write_model, tmp_path):
    model = write_model(loop_model().replace("stage: production", "stage: manufacturing"))
    out = tmp_path / "never"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{model}:13:" in flat(result.output)
    assert not out.exists()


def test_unlinked_background_exits_2_and_keeps_existing_output(bd, write_model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous run")
    model = write_model(loop_model().replace("background: steel,", "background: steal,"))
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)])
    assert result.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_check_without_pcr_exits_2(bd, write_model):
    result = runner.invoke(cli.app, ["check", str(write_model(loop_model()))])
    assert result.exit_code == 2
    assert "no PCR" in flat(result.output)


def test_check_nonconformity_exits_1(bd, write_model):
    # the EU battery PCR needs a kWh declared unit over the service life and four stages;
    # the loop model has two stages and none of the PCR's parameters
    result = runner.invoke(cli.app, ["check", str(write_model(loop_model())), "--pcr", "eu-battery-cfb-ev"])
    assert result.exit_code == 1, result.output
    assert "nonconformity" in result.output


def test_check_unknown_pcr_exits_2(bd, write_model):
    result = runner.invoke(cli.app, ["check", str(write_model(loop_model())), "--pcr", "no-such-pcr"])
    assert result.exit_code == 2
    assert "eu-battery-cfb-ev" in result.output  # lists the available ids


def test_label_of_missing_result_exits_2(tmp_path):
    result = runner.invoke(cli.app, ["label", str(tmp_path / "nope.result.json"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "file not found" in flat(result.output)


def test_an_error_message_with_markup_like_text_is_printed_as_is(tmp_path):
    """Rich markup is off for what the message quotes: a path like ``no[/x]such`` once crashed
    the error handler itself (MarkupError, a traceback) instead of exiting 2."""
    missing = tmp_path / "no[/x]such[bold].result.json"
    result = runner.invoke(cli.app, ["label", str(missing), "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "no[/x]such[bold].result.json" in result.output and "file not found" in flat(result.output)


def test_console_script_is_installed():
    exe = shutil.which("pcf") or str(__import__("pathlib").Path(sys.executable).parent / "pcf")
    proc = subprocess.run([exe, "version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == __import__("pcf").__version__


def test_cli_imports_only_the_api_errors_and_vocabulary():
    """The CLI is thin (issue 13 point 7): it reaches the library through ``pcf.api`` only (plus
    the errors it handles and the names it displays), so every command calls an api function."""
    import ast
    from pathlib import Path

    allowed = {"pcf.api", "pcf.core.errors", "pcf.core.vocabulary"}
    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"pcf.{a.name}" for a in node.names] if node.module == "pcf" else [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        imported.update(n for n in names if n == "pcf" or n.startswith("pcf."))
    assert imported and imported <= allowed, sorted(imported - allowed)


def test_every_option_a_library_error_is_about_is_a_cli_option():
    """Library messages name no flags; the handler adds the option of ``PCFError.about(argument)``,
    so every such argument must map to an option some command has."""
    import re
    from pathlib import Path

    import typer.main

    options = set()
    for path in _command_paths():
        group = cli.app if len(path) == 1 else next(g.typer_instance for g in cli.app.registered_groups
                                                   if g.name == path[0])
        command = typer.main.get_command(group)
        command = command.commands[path[-1]] if hasattr(command, "commands") else command
        options.update(opt for param in command.params for opt in [*param.opts, *param.secondary_opts])  # --no-x too
    arguments = set()
    for source in Path(cli.__file__).parent.joinpath("pcf").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for call in re.findall(r"\.about\(([^)]*)\)", text):
            arguments.update(re.findall(r"[\"']([a-z_]+)[\"']", call))
    assert {"jobs", "size_mm", "iterations", "fmt", "name", "product", "stage", "tls_cert"} <= arguments
    missing = {a: cli.option_of(PCFError("x").about(a)) for a in arguments
               if cli.option_of(PCFError("x").about(a)) not in options}
    assert not missing, missing


@pytest.mark.parametrize("args, flag", [
    (["batch", "skus.csv", "--out", "out", "--jobs", "0"], "(--jobs)"),
    (["batch", "skus.csv", "--out", "out", "--executor", "spark"], "(--executor)"),
    (["serve", "--results", "nowhere", "--clients", "c.json"], "(--results)"),
    (["serve", "--results", "."], "(--clients)"),  # the PACT API needs both (issue 15 part 8: pages need neither)
    (["serve", "--results", ".", "--clients", "c.json", "--tls-cert", "cert.pem"], "(--tls-key)"),
    (["serve", "--results", ".", "--clients", "c.json", "--host", "0.0.0.0"], "(--tls-cert)"),
])
def test_library_errors_get_their_option_from_the_cli(args, flag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert flag in " ".join(result.output.split()), result.output


def test_label_size_without_the_compact_variant(tmp_path):
    """The CLI says which options to combine; the library says it without flags and marks the argument."""
    import gzip
    from pathlib import Path

    from pcf.api import render_outputs

    golden = Path(__file__).parent / "golden" / "lfp-pack.grid_east_china.result.json.gz"
    result = tmp_path / "lfp.result.json"
    result.write_bytes(gzip.decompress(golden.read_bytes()))
    run = runner.invoke(cli.app, ["label", str(result), "--out", str(tmp_path / "out"), "--size", "20"])
    assert run.exit_code == 2 and "--variant compact" in flat(run.output), run.output
    with pytest.raises(PCFError, match="side of the compact label") as raised:
        render_outputs(result, tmp_path / "out", "label", size_mm=20)
    assert "--" not in str(raised.value) and cli.option_of(raised.value) == "--size"
