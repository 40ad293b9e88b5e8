"""Commands that compute nothing start light (issue 18 part 5): ``pcf --help``, ``pcf verify``,
``pcf registry ...``, ``pcf keys ...`` and ``pcf export`` import neither Brightway nor the LCA
and render stack (SciPy, WeasyPrint, Jinja2, ...).

Each command runs in a fresh Python process (the console script's ``cli.main``), which then
lists the modules it loaded (``sys.modules``); a top-level import of a heavy package anywhere
on a command's path (a package ``__init__`` that imports all its submodules, a module-level
``import pint``) makes this test fail. Not timed: the times are in benchmarks/fast_commands.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry_util import location, make_declaration, new_registry, verified_issue
from tests.test_exchange import EXCHANGE, MODEL

REPO = Path(__file__).resolve().parent.parent

#: Run ``cli.main()`` with the arguments after the output file, then write the names of the
#: loaded modules and the exit status there.
DRIVER = """
import json, sys
out, sys.argv = sys.argv[1], ["pcf"] + sys.argv[2:]
import cli
code = 0
try:
    cli.main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""

#: Never loaded by a command that computes nothing: Brightway, the solvers, the render stack and
#: pcf's calculation and rendering modules.
HEAVY = ("bw2data", "bw2calc", "bw2io", "bw_processing", "scipy", "pandas", "weasyprint", "jinja2", "matplotlib",
         "pcf.lca.calculate", "pcf.lca.prepare", "pcf.graph", "pcf.background.setup", "pcf.model.loader",
         "pcf.render.report", "pcf.render.label", "pcf.pcr.loader")

#: Not loaded either: Pint (and NumPy and Dask, which Pint imports when they are installed);
#: ``export`` converts the reference flow's unit to itself (pcf.core.units.COMMON_DIMENSIONS).
UNITS = ("pint", "numpy", "dask")


def _loaded(tmp_path: Path, env: dict, *args) -> tuple[int, set[str], str]:
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(out), *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stderr
    found = json.loads(out.read_text())
    return found["code"], set(found["modules"]), proc.stderr


def _heavy(modules: set[str], names) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


@pytest.fixture(scope="module")
def issued(tmp_path_factory, bd):
    """A registry (SQLite) with one issued label, its declaration file, the issuer's public
    key and a computed result file (the export model of tests/test_exchange.py): (environment, label
    number, declaration path, public key, result)."""
    from pcf.api import run_footprint

    tmp = tmp_path_factory.mktemp("light")
    store, key, _, public = new_registry(tmp)
    declaration = make_declaration()
    issued = verified_issue(store, declaration, key, 730, tmp / "labels")
    store.close()
    (tmp / "model.yaml").write_text(MODEL + EXCHANGE, encoding="utf-8")
    result = run_footprint(tmp / "model.yaml", tmp / "out").files["result"]
    env = {**os.environ, "PCF_REGISTRY": location(tmp)}
    env.pop("PCF_REGISTRY_URL", None)
    return env, issued.number, issued.files["declaration.json"], public, result


def _commands(issued, tmp: Path):
    env, number, declaration, public, result = issued
    yield ["--help"], UNITS, 0
    yield ["verify", number], UNITS, 0
    yield ["verify", declaration, "--offline", "--key", public], UNITS, 3  # genuine, status unknown offline
    yield ["registry", "list"], UNITS, 0
    yield ["registry", "check"], UNITS, 0
    yield ["keys", "list"], UNITS, 0
    yield ["export", result, "--format", "pact-v3", "--out", tmp / "pact.json"], UNITS, 0  # item to item: no Pint
    yield ["version"], UNITS, 0


def test_commands_that_compute_nothing_load_no_calculation_or_render_stack(issued, tmp_path):
    env = issued[0]
    for args, also, expected in _commands(issued, tmp_path):
        code, modules, stderr = _loaded(tmp_path, env, *args)
        assert (code or 0) == expected, (args, code, stderr)
        assert "pcf.core.errors" in modules and "cli" in modules  # the driver ran the real CLI
        assert not _heavy(modules, HEAVY + also), (args, _heavy(modules, HEAVY + also))


def test_the_check_sees_a_heavy_import(issued, tmp_path):
    """The driver does see what a command loads: ``pcf db list`` needs Brightway."""
    code, modules, _ = _loaded(tmp_path, issued[0], "db", "list")
    assert "bw2data" in modules, code


def test_the_units_answered_without_pint_are_pints_answers():
    """:data:`pcf.core.units.COMMON_DIMENSIONS` (dimension names and the factor 1 of a unit to
    itself, given without importing Pint) says what Pint says."""
    from pcf.core import units

    for unit, name in units.COMMON_DIMENSIONS.items():
        dim = str(units.parse_unit(unit).dimensionality)
        assert units._DIMENSION_NAMES.get(dim, dim) == name, unit
        assert float(units.registry().Quantity(1.0, units.parse_unit(unit)).to(units.parse_unit(unit)).magnitude) == 1.0
        assert units.conversion_factor(unit, unit) == 1.0


def test_the_other_spellings_answered_without_pint_are_the_same_units_to_pint():
    """:data:`pcf.core.units.SPELLINGS` (Brightway's unit names of the common units, answered
    without Pint) are, to Pint, the very unit they stand for: factor exactly 1, same dimension;
    a unit that is not common still goes to Pint (and an unknown one is refused)."""
    from pcf.core import units
    from pcf.core.errors import UnitError

    for spelling, unit in units.SPELLINGS.items():
        assert unit in units.COMMON_DIMENSIONS, spelling
        factor = units.registry().Quantity(1.0, units.parse_unit(spelling)).to(units.parse_unit(unit)).magnitude
        assert float(factor) == 1.0, spelling
        assert units.conversion_factor(spelling, unit) == units.conversion_factor(unit, spelling) == 1.0
        assert units.dimension_name(spelling) == units.COMMON_DIMENSIONS[unit]
        units.check_unit(spelling)
    assert units.conversion_factor("t", "kg") == 1000.0  # different units: Pint's factor
    with pytest.raises(UnitError, match="cannot convert 'kilogram' to 'kWh'"):
        units.conversion_factor("kilogram", "kWh")
    with pytest.raises(UnitError, match="unknown unit 'kilogramme'"):
        units.check_unit("kilogramme")


def test_issuing_a_label_loads_no_numpy(tmp_path):
    """``pcf issue RESULT`` checks the result against its PCR (its expressions, its declared unit)
    and draws the label's PDFs: WeasyPrint, but neither NumPy nor Pint nor Brightway (issue 18
    part 5: importing NumPy for a PCR's plain numbers was 0.1-0.2 s of an issuing command's CPU)."""
    from pcf.declaration import write_declaration

    store, _, private, _ = new_registry(tmp_path)
    store.close()
    result = write_declaration(make_declaration(), tmp_path / "result")
    env = {**os.environ, "PCF_REGISTRY": location(tmp_path)}
    env.pop("PCF_REGISTRY_URL", None)
    code, modules, stderr = _loaded(tmp_path, env, "issue", result, "--key", private, "--valid-days", 730,
                                    "--out", tmp_path / "labels")
    assert (code or 0) == 0, stderr
    assert len(list((tmp_path / "labels").glob("*.statement.pdf"))) == 1  # the label was issued and drawn
    assert "weasyprint" in modules and "pcf.pcr.assess" in modules
    assert not _heavy(modules, ("numpy", "pint", "bw2data", "bw2calc", "scipy", "pandas")), \
        _heavy(modules, ("numpy", "pint", "bw2data", "bw2calc", "scipy", "pandas"))
