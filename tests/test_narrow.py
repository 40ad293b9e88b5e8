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


def test_a_long_message_wraps_at_80_columns_and_stays_one_line_in_a_pipe(tmp_path):
    """An error message of about 150 characters: under COLUMNS=80 no line is longer than 80 and
    the words are all there; in a pipe without COLUMNS it is one line, whole for grep."""
    a, b = tmp_path / ("a" * 40 + ".result.json"), tmp_path / "b.result.json"
    wrapped = pcf("compare", a, b, "--scenario", "x")
    assert wrapped.returncode == 2
    message = "--scenario, --method and --electricity-mode apply to a model; results are compared as computed"
    assert len(wrapped.stderr.splitlines()) > 1
    assert_narrow(wrapped.stderr)
    assert message in " ".join(wrapped.stderr.split())
    piped = pcf("compare", a, b, "--scenario", "x", columns=None)
    assert piped.returncode == 2 and message in piped.stderr and len(piped.stderr.splitlines()) == 1


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
