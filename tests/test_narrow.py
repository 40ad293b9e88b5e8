"""Narrow terminals (issue 20 part 7): at 80 columns (COLUMNS=80, or a pipe, where Rich takes 80)
`pcf compare` and `pcf db list` print no line over 80 characters and cut no number, and long
messages wrap.

The console reads COLUMNS when it is made, so each command runs as the installed `pcf` in a
process of its own, on this session's PCF_HOME (tests/conftest.py). Numbers are checked against
the command's own JSON (`--json`, `--out`) to the 4 significant figures the table prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_scenarios import MODEL

PCF = shutil.which("pcf") or str(Path(sys.executable).parent / "pcf")
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def pcf(*args, columns: str | None = "80", **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run([PCF, *map(str, args)], capture_output=True, text=True, env=env, **kw)


def assert_narrow(text: str, width: int = 80) -> None:
    lines = text.splitlines()
    assert lines, "no output"
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, f"{len(too_long)} lines over {width}: {too_long[0]!r}"
    assert "…" not in text


def numbers_in(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(text)]


def close(printed: list[float], value: float) -> bool:
    """``value`` is among the printed numbers to the 4 significant figures the table gives."""
    return any(abs(p - value) <= 5e-4 * abs(value) + 1e-12 for p in printed)


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "pipe"])
def test_db_list_at_80_columns(open_default, columns):
    listed = pcf("db", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    table = pcf("db", "list", columns=columns)
    assert table.returncode == 0, table.stderr
    assert_narrow(table.stdout)
    lines = table.stdout.splitlines()
    for e in entries:
        rows = [line for line in lines if re.search(rf"│ {re.escape(e['name'])} +│", line)]
        if len(e["name"]) > 30:  # a long name (other tests' databases of the session) may fold in its cell
            assert any((e["sha256"] or "")[:12] in line and f" {e['activities']} " in line for line in lines), e
            continue
        [row] = rows  # whole, not folded
        cells = [c.strip() for c in row.split("│")[1:-1]]
        assert cells[1:] == [e["kind"], str(e["activities"]), (e["sha256"] or "")[:12]], row


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "pipe"])
def test_compare_at_80_columns_folds_columns_and_keeps_every_number(bd, tmp_path, columns):
    """The scenario test model (tests/test_scenarios.py): 5 scenarios and base, 2 stages, a
    declared unit: 8 columns, more than 80 characters, so the table comes in two parts, each
    with the scenario names; every total, difference and stage figure is there whole."""
    model = tmp_path / "model.yaml"
    model.write_text(MODEL, encoding="utf-8")
    run = pcf("compare", model, "--out", tmp_path / "out", columns=columns)
    assert run.returncode == 0, run.stderr
    assert_narrow(run.stdout)
    comparison = json.loads((tmp_path / "out" / "SCN.scenarios.json").read_text())
    assert run.stdout.count("┏") == 2   # two tables
    for row in comparison["scenarios"]:
        lines = [line for line in run.stdout.splitlines() if re.search(rf"│ {re.escape(row['scenario'])} +│", line)]
        assert len(lines) == 2, row["scenario"]   # its row in each part
        printed = numbers_in(" ".join(lines))
        figures = [row["total_kg_co2e"], row["per_declared_unit_kg_co2e"], row["diff_pct"],
                   row["per_declared_unit_diff_pct"], *row["stages"].values()]
        if abs(row["diff_kg_co2e"]) > 1e-9:
            figures.append(row["diff_kg_co2e"])
        for value in figures:
            assert close(printed, round(value, 1) if value in (row["diff_pct"], row["per_declared_unit_diff_pct"])
                         else value), (row["scenario"], value, lines)


@pytest.mark.parametrize("columns", ["80", None, "60"], ids=["COLUMNS=80", "pipe", "COLUMNS=60"])
def test_a_long_message_wraps_at_80_columns_also_in_a_pipe(tmp_path, columns):
    """An error message of about 150 characters wraps at COLUMNS when set, else at 80 in a pipe
    (issue 20 part 7; it stayed one line in a pipe before), at spaces only: the words are all
    there, in order, and the 40-letter file name is never broken."""
    a, b = tmp_path / ("a" * 40 + ".result.json"), tmp_path / "b.result.json"
    run = pcf("compare", a, b, "--scenario", "x", columns=columns)
    assert run.returncode == 2
    message = "--scenario, --method and --electricity-mode apply to a model; results are compared as computed"
    assert len(run.stderr.splitlines()) > 1
    assert_narrow(run.stderr, int(columns or 80))
    assert message in " ".join(run.stderr.split())
    assert run.stderr.startswith("error: ")


def test_wrap_message_keeps_the_location_paths_and_numbers_whole():
    """cli.wrap_message at 40 columns: breaks at spaces only; the file:line: location (its path
    has a space) stays whole on the first line; a path longer than a line stays whole on a line
    of its own; a list line's continuation is indented under its text."""
    from cli import wrap_message

    text = ("error: /tmp/my models/pack.yaml:12: amount 1,500.25 kg is more than the 1,000 kg the "
            "process makes; see /very/long/path/to/a/file/that/is/longer/than/forty.yaml\n"
            "  - declared-unit (Annex II point 1): the result has no declared unit at all")
    lines = wrap_message(text, 40).splitlines()
    assert lines[0] == "error: /tmp/my models/pack.yaml:12:"
    assert "  /very/long/path/to/a/file/that/is/longer/than/forty.yaml" in lines
    assert all(len(line) <= 40 for line in lines if "/very/long" not in line)
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())
    assert "1,500.25 kg" in " ".join(lines) and "1,000 kg" in " ".join(lines)
    start = lines.index("  - declared-unit (Annex II point 1):")   # 37 columns; " the" would make 41
    assert lines[start + 1:] == ["      the result has no declared unit at", "      all"]   # 6 + 34 = 40


def test_the_issue_refusal_wraps_at_80_columns_in_a_pipe(tmp_path, monkeypatch):
    """`pcf issue` of a battery result without a declared unit (four nonconformities under
    eu-battery-cfb-ev, tests/test_pcr.py), run as the installed command with stderr a pipe and
    no COLUMNS: exit 2, every line at most 80 columns, and the message is the library's
    refusal (IssueRefused) word for word."""
    from pcf.declaration import build_declaration
    from pcf.registry.errors import IssueRefused
    from pcf.registry.lifecycle import check_conformance
    from tests.registry_util import location, new_registry
    from tests.test_pcr import battery_result

    declaration = build_declaration(battery_result(declared_per_reference_flow=None), "eu-battery-cfb-ev")
    with pytest.raises(IssueRefused) as refused:
        check_conformance(declaration)
    result = tmp_path / "bad.result.json"
    result.write_text(json.dumps(declaration.to_json()), encoding="utf-8")
    store, _, private, _ = new_registry(tmp_path, case=False)
    store.close()
    run = subprocess.run([PCF, "issue", str(result), "--key", str(private), "--valid-days", "730", "--out",
                          str(tmp_path / "labels")], capture_output=True, text=True,
                         env={**{k: v for k, v in os.environ.items() if k != "COLUMNS"},
                              "PCF_REGISTRY": location(tmp_path)})
    assert run.returncode == 2, run.stderr
    assert_narrow(run.stderr)
    assert len(run.stderr.splitlines()) > len(str(refused.value).splitlines())   # wrapped, not only split
    assert " ".join(run.stderr.split()) == "error: " + " ".join(str(refused.value).split())
    assert not (tmp_path / "labels").exists()


def test_the_issue_refusal_lists_one_nonconformity_a_line():
    """The refusal of `pcf issue` was one 1,500-character line: now a line per nonconformity
    (here the four of a battery result without a declared unit, tests/test_pcr.py)."""
    from pcf.registry.errors import IssueRefused
    from pcf.declaration import build_declaration
    from pcf.registry.lifecycle import check_conformance
    from tests.test_pcr import battery_result

    declaration = build_declaration(battery_result(declared_per_reference_flow=None), "eu-battery-cfb-ev")
    with pytest.raises(IssueRefused) as refused:
        check_conformance(declaration)
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("the result does not conform to PCR eu-battery-cfb-ev")
    assert [line.split(" (")[0] for line in lines[1:-1]] == [
        "  - declared-unit", "  - declaration-content", "  - declaration-content", "  - report-content"]
    assert lines[-1].startswith("Fix the model")


def test_lint_findings_wrap_in_a_pipe_and_count_in_the_singular():
    """`pcf lint` of tests/test_lint.py's mass-balance model (one warning, as `pcf footprint`
    counts it there) in a pipe: every line at most 80 columns (the finding and its fix were one
    line each), the finding whole, and "1 warning", not "1 warnings". The model sits in a short
    folder: its `file:line:` location is never split, so a pytest folder would make it the one
    line over 80."""
    import tempfile

    from tests.test_lint import MASS

    with tempfile.TemporaryDirectory(prefix="pl") as folder:
        path = Path(folder) / "m.yaml"
        path.write_text(MASS, encoding="utf-8")
        run = pcf("lint", path, columns=None)
    assert run.returncode == 0, run.stderr
    assert_narrow(run.stdout)
    text = " ".join(run.stdout.split())
    assert f"warning {path}:" in text and "mass-balance Product mass" in text and " fix: " in text
    assert "0 errors, 1 warning," in text
