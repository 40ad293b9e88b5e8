"""The README runs (issue 20 part 6).

1. Every command of the README's Use section (its fenced ``sh`` blocks, between ``## Use`` and
   the next ``## `` heading) runs in the order written, in a fresh folder holding a copy of
   ``examples/``, after the demo (the ``pcf`` commands of the Makefile's ``demo`` recipe, which
   is what `make demo` runs after installing), with what its comment says: the exit status
   ("exit N"; 0 when the comment names none), every quoted phrase of the comment in the output,
   and every file or folder named by ``--out`` written. ``pcf`` commands run in this process
   (typer's runner; the session's PCF_HOME, tests/conftest.py, with the background of ``pcf
   setup``), other lines in ``bash``; ``. .venv/bin/activate`` is what this test process already is.
2. Every ``--variant X`` and ``--format X`` that README.md and docs/*.md name is a value the
   command line takes: the commands' options are read from click's command objects, each
   option's values from the library list the command passes them to, and each option's help
   names all of them.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import cli
from tests.conftest import REPO
from tests.conftest import flat

README = REPO / "README.md"


@dataclass
class Command:
    line: int        # 1-based line of README.md
    text: str        # the shell command (continuation lines joined)
    comment: str     # its comment, including comment lines under it

    @property
    def exit_code(self) -> int:
        found = re.search(r"\bexit (\d)\b", self.comment)
        return int(found.group(1)) if found else 0

    @property
    def phrases(self) -> list[str]:
        return re.findall(r'"([^"]+)"', self.comment)


def _split_comment(line: str) -> tuple[str, str]:
    """(command, comment): the comment starts at the first `#` after a space outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def use_section_commands(text: str) -> list[Command]:
    """The commands of the Use section's ``sh`` blocks, in order."""
    lines = text.splitlines()
    start = lines.index("## Use")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    commands: list[Command] = []
    in_block, continued = False, False
    for number in range(start + 1, end):
        raw = lines[number]
        if raw.startswith("```"):
            in_block = raw.strip() == "```sh"
            continue
        if not in_block or not raw.strip():
            continue
        command, comment = _split_comment(raw)
        if continued:
            commands[-1].text = commands[-1].text.rstrip("\\").rstrip() + " " + command.strip()
            commands[-1].comment += (" " + comment) if comment else ""
        elif not command.strip():  # a comment line under a command belongs to it
            commands[-1].comment += " " + comment
        else:
            commands.append(Command(number + 1, command.strip(), comment))
        continued = command.endswith("\\")
    return commands


def demo_commands() -> list[str]:
    """The ``pcf`` commands of the Makefile's ``demo`` recipe (``$(BIN)/pcf ...``)."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(makefile) if line.startswith("demo:"))
    recipe = []
    for line in makefile[start + 1:]:
        if not line.startswith("\t"):
            break
        if line.strip().startswith("$(BIN)/pcf "):
            recipe.append(line.strip().removeprefix("$(BIN)/"))
    return recipe


runner = CliRunner()


def run(command: str, folder: Path) -> tuple[int, str]:
    """Run one command in ``folder``: (exit status, stdout + stderr)."""
    args = shlex.split(command)
    if args[0] == "pcf":
        result = runner.invoke(cli.app, args[1:])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output
    done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def test_the_use_section_is_parsed_as_written():
    commands = use_section_commands(README.read_text(encoding="utf-8"))
    assert commands[0].text == ". .venv/bin/activate" and commands[1].text == "pcf setup"
    assert len(commands) > 20 and all(c.text.startswith(("pcf ", ". ", "printf ")) for c in commands), \
        [c.text for c in commands if not c.text.startswith(("pcf ", ". ", "printf "))]
    assert not any(" MODEL " in c.text or "OLD." in c.text for c in commands)  # no placeholder left
    assert demo_commands()[0].startswith("pcf footprint examples/battery/nmc811-pack.yaml")


def test_readme_use_section_runs_in_order(open_default, tmp_path, monkeypatch):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for command in demo_commands():
        code, output = run(command, tmp_path)
        assert code == 0, f"make demo: {command}\n{output}"
    for c in use_section_commands(README.read_text(encoding="utf-8")):
        if c.text.startswith(". "):
            continue
        code, output = run(c.text, tmp_path)
        where = f"README.md:{c.line}: {c.text}"
        assert code == c.exit_code, f"{where}: exit {code}, the README says {c.exit_code}\n{output}"
        flat = " ".join(output.split())
        for phrase in c.phrases:
            assert phrase in flat, f"{where}: the README quotes {phrase!r}, the output does not say it\n{output}"
        for target in re.findall(r"--out (\S+)", c.text):
            assert (tmp_path / target).exists(), f"{where}: {target} was not written"


# --------------------------------------------------------------------------- options named in docs


def accepted_values() -> dict[tuple[str, str], set[str]]:
    """(command, option) -> the values the library behind it takes."""
    from pcf.exchange.export import FORMATS
    from pcf.exchange.modelexport import MODEL_FORMATS
    from pcf.importers.database import FORMATS as IMPORT_FORMATS
    from pcf.render.label import VARIANTS

    return {("export", "--format"): set(FORMATS), ("export-model", "--format"): set(MODEL_FORMATS),
            ("db import", "--format"): set(IMPORT_FORMATS), ("label", "--variant"): set(VARIANTS) | {"all"}}


def cli_options(names=("--format", "--variant")) -> dict[tuple[str, str], str]:
    """(command path, option) -> help text, for every command of the CLI with one of ``names``."""
    found = {}

    def walk(command, path):
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt in names:
                    found[(path, opt)] = param.help or ""
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(cli.app), "")
    return found


def test_every_format_and_variant_option_is_known_and_its_help_names_its_values():
    accepted = accepted_values()
    options = cli_options()
    assert set(options) == set(accepted)
    for key, values in accepted.items():
        for value in values:
            assert value in options[key], f"pcf {key[0]} {key[1]}: the help does not name {value!r}"


def test_docs_name_only_variants_and_formats_that_exist():
    accepted = accepted_values()
    named = 0
    for doc in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for match in re.finditer(r"--(format|variant)[ =]([A-Za-z0-9@._-]*[A-Za-z0-9])", line):
                option, value = "--" + match.group(1), match.group(2)
                if value.isupper():  # a placeholder: --format FORMAT
                    continue
                named += 1
                command = re.findall(r"pcf ((?:db |registry )?[a-z-]+)", line[:match.start()])
                key = (command[-1], option) if command and (command[-1], option) in accepted else None
                allowed = accepted[key] if key else set().union(*(v for (_, o), v in accepted.items() if o == option))
                assert value in allowed, f"{doc.name}:{number}: {option} {value} is not an option value of pcf " \
                                         f"{key[0] if key else '(any command)'}: {sorted(allowed)}"
    assert named >= 10


@pytest.mark.parametrize("name", ["model.yaml", "model.json"])
def test_a_model_given_for_a_result_says_to_compute_it_first(tmp_path, name):
    """`pcf label MODEL.yaml` said "not valid JSON"; a model (by its suffix or its `format:`
    line) now gets what to do, exit 2, nothing written."""
    model = tmp_path / name
    model.write_text((REPO / "examples" / "pv" / "mono-si-module-cn.yaml").read_text(encoding="utf-8"),
                     encoding="utf-8")
    for args in (["label", str(model), "--out", str(tmp_path / "out")],
                 ["report", str(model), "--out", str(tmp_path / "out")]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 2, result.output
        text = flat(result.output)
        assert "this is a product model, not a result: compute it first with `pcf footprint" in text, text
        assert "not valid JSON" not in text and not (tmp_path / "out").exists()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(cli.app, ["label", str(broken), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not valid JSON" in flat(result.output)


# --------------------------------------------------------------------------- the registry walk-through

REGISTRY_SECTION = "## Issuing, verifying and revoking labels (certification bodies)"


def registry_script(text: str, port: int) -> str:
    """The walk-through's ``sh`` block as a bash script that stops at the first surprise: ``set -e``
    (a pipe into grep fails when grep finds nothing), each ``CMD; echo $?   # N: ...`` line turned
    into a check that CMD exits N, the server on ``port`` (waited for, stopped at the end) instead of 8080."""
    lines = text.splitlines()
    start = lines.index(REGISTRY_SECTION)
    begin = next(i for i in range(start, len(lines)) if lines[i] == "```sh") + 1
    end = next(i for i in range(begin, len(lines)) if lines[i].startswith("```"))
    script = ["set -e"]
    for number in range(begin, end):
        line = lines[number].replace("8080", str(port))
        status = re.match(r"^(.*?);\s*echo \$\?\s*#\s*(\d)\b", line)
        if status:
            line = (f's=0; {status.group(1)} || s=$?; [ "$s" = {status.group(2)} ] || '
                    f'{{ echo "README.md:{number + 1}: exit $s, the README says {status.group(2)}" >&2; exit 97; }}')
        if re.match(r"^pcf serve .*&", line):  # its own output to a file: our pipes must close when the script ends
            line = re.sub(r"\s&", " > serve.log 2>&1 &", line, count=1) + "\nSERVER=$!"
            line += f"\nfor t in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:{port}/ && break; sleep 0.2; done"
        script.append(line)
    return "\n".join(script) + '\n[ -z "$SERVER" ] || kill "$SERVER"\n'



def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_registry_walk_through_runs(open_default, tmp_path):
    """The certification body's cycle as written: each exit status its comment states, the live
    page and the static pages with the statuses the comments name, the PACT API serving the
    labels issued from cn/ (the README served `--results out`, which held none: `{"data": []}`).
    The registry is a file in tmp_path (PCF_REGISTRY_URL), not the session's PCF_HOME."""
    import os
    import signal
    import sys

    shutil.copytree(REPO / "examples", tmp_path / "examples")
    script = tmp_path / "walk.sh"
    script.write_text(registry_script(README.read_text(encoding="utf-8"), free_port()), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PCF_REGISTRY_URL": str(tmp_path / "registry.db")}
    env.pop("PCF_REGISTRY", None)
    proc = subprocess.Popen(["bash", str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=1200)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the walk-through leaves `pcf serve` running
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, f"exit {proc.returncode}\n{err[-3000:]}"
    assert out.count("已撤销 REVOKED") == 2 and "已被替代 SUPERSEDED" in out, out[-3000:]
    assert out.count('"status":"Deprecated"') == 2, out[-3000:]
