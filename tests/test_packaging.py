"""Packaging: pyproject's ranges, the exact pins of constraints.txt that ``make venv`` installs
with, and the data folders a wheel carries (DEVELOPERS.md, "Dependencies")."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pcf.core.shipped import SHIPPED, shipped

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_has_a_range_and_a_pin_inside_it():
    project = _project()
    lines = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = _pins()
    for req in map(Requirement, lines):
        if canonicalize_name(req.name) == "pcf":
            continue
        assert req.specifier and not any(s.operator == "==" for s in req.specifier), f"{req}: a range, not a pin"
        assert req.specifier.contains(pins[canonicalize_name(req.name)]), f"constraints.txt pin outside {req}"
    assert project["requires-python"] == ">=3.11,<3.14"


def test_constraints_are_what_this_venv_has():
    # make venv installs with -c constraints.txt, so the file equals the installed closure.
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "update-constraints"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_make_venv_installs_with_the_constraints():
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install -q -c constraints\.txt -e '\.\[test\]'", make)
    assert re.search(r"^\$\(VENV\)/\.installed: pyproject\.toml constraints\.txt$", make, re.M)


def test_setup_py_ships_the_data_folders_shipped_reads():
    tree = ast.parse((ROOT / "setup.py").read_text())
    listed = next(ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and node.targets[0].id == "SHIPPED")
    assert tuple(listed) == SHIPPED
    for name in SHIPPED:  # in a checkout (editable install): the folder beside the package
        assert shipped(name) == ROOT / name and any(shipped(name).iterdir())
