"""A second ``pcf footprint`` without Brightway (issue 18 part 3, pcf/lca/warmcache.py).

The background ``cache-bg`` of tests/test_bgcache.py (a loop of ore, power and metal; its module
docstring works the total out by hand: ``1.1 m_metal + 1.2`` with
``m_metal = (0.5 + 0.01 x 29.8 + 2 x 1 + 0.1) / 0.95``). Each ``pcf footprint`` runs as a user
runs it, the real CLI in a fresh process, which then lists the modules it loaded: the first run
imports Brightway and leaves its preparation; the second must import neither bw2data nor
bw2calc nor bw_processing and give the same result JSON, every field. Any change of a
database, of the method, of pcf or of the model makes the next run compute in full again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pcf.lca import warmcache
from pcf.lca.prepare import warm_prepare
from pcf.model import load_model
from tests.test_bgcache import CH4, METHOD, MODEL, expected_total, write_background
from tests.test_light_imports import DRIVER  # cli.main() in a fresh process, then its modules and exit status

REPO = Path(__file__).resolve().parent.parent

#: The environment a user runs pcf in: PCF_HOME, but not the BRIGHTWAY2_DIR this test process's
#: bw2data import set (with it, an import of bw2data before pcf chose its folder went unnoticed).
USER_ENV = {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}

BRIGHTWAY = ("bw2data", "bw2calc", "bw2io", "bw_processing", "matrix_utils")


@pytest.fixture
def warm_bg(bd, write_model, request):
    """A fresh ``cache-bg`` of its own name and the model on it."""
    name = f"warm-bg-{request.node.name}"[:60]
    write_background(bd, name)
    yield name, write_model(MODEL.replace("DB", name))
    for db in ("pcf-fg-CACHED", name):
        if db in bd.databases:
            del bd.databases[db]


def footprint(model: Path, out: Path, *extra: str) -> tuple[dict, set]:
    """``pcf footprint model --out out *extra`` in a fresh process: its result JSON (without its
    clock) and the modules it loaded."""
    record = out.parent / f"{out.name}.modules.json"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(record), "footprint", str(model), "--out", str(out),
                           *extra],
                          cwd=REPO, env=USER_ENV, capture_output=True, text=True, timeout=300)
    assert record.exists(), proc.stderr
    found = json.loads(record.read_text())
    from pcf.core.bw import brightway

    brightway().databases.load()  # what the child wrote (its foreground) in this process's bw2data too
    assert found["code"] in (0, None), proc.stderr
    result = json.loads(next(out.glob("*.result.json")).read_text(encoding="utf-8"))
    result.pop("created_at")
    return result, set(found["modules"])


def brightway_loaded(modules: set) -> list:
    return sorted(m for m in modules if m.split(".")[0] in BRIGHTWAY)


def test_a_second_footprint_imports_no_brightway_and_gives_the_same_result(warm_bg, tmp_path):
    name, model = warm_bg
    cold, cold_modules = footprint(model, tmp_path / "cold")
    assert "bw2data" in cold_modules  # the first run reads Brightway
    assert cold["total_kg_co2e"] == pytest.approx(expected_total(), rel=1e-6)
    warm, modules = footprint(model, tmp_path / "warm")
    assert brightway_loaded(modules) == []
    assert "pcf.lca.calculate" in modules  # it did compute
    # nor Pint (the model's units and the background's "kilogram" / "kilowatt hour" are common
    # ones, pcf.core.units.SPELLINGS) nor SciPy (the foreground's sums and solve are NumPy's)
    assert sorted(m for m in modules if m.split(".")[0] in ("pint", "scipy")) == []
    assert warm == cold  # every field, every number to the last bit
    again, modules = footprint(model, tmp_path / "again")
    assert again == cold and brightway_loaded(modules) == []


def test_a_changed_background_exchange_is_computed_in_full(bd, warm_bg, tmp_path):
    name, model = warm_bg
    footprint(model, tmp_path / "cold")
    assert warm_prepare(load_model(model)) is not None
    exc = next(e for e in bd.get_node(database=name, code="metal").technosphere() if e.input["code"] == "ore")
    exc["amount"] = 3.0
    exc.save()  # bw2data marks the database dirty; the record's state no longer matches
    assert warm_prepare(load_model(model)) is None
    changed, modules = footprint(model, tmp_path / "changed")
    assert "bw2data" in modules
    assert changed["total_kg_co2e"] == pytest.approx(expected_total(3.0), rel=1e-6)
    warm, modules = footprint(model, tmp_path / "warm")  # and warm again on the new state
    assert brightway_loaded(modules) == [] and warm == changed


def test_a_renamed_background_activity_is_computed_in_full(bd, warm_bg, tmp_path):
    """An edit that leaves the matrices as they were (the name of an activity the result
    reports) changes the database's metadata (``modified``): computed in full."""
    name, model = warm_bg
    cold, _ = footprint(model, tmp_path / "cold")
    node = bd.get_node(database=name, code="metal")
    node["name"] = "metal, renamed"
    node.save()
    bd.databases.clean()  # processed again: the same matrices, a new modified time
    assert warm_prepare(load_model(model)) is None
    renamed, modules = footprint(model, tmp_path / "renamed")
    assert "bw2data" in modules
    assert renamed["total_kg_co2e"] == cold["total_kg_co2e"]
    assert "metal, renamed" in json.dumps(renamed) and "metal, renamed" not in json.dumps(cold)


def test_a_changed_characterisation_factor_is_computed_in_full(bd, warm_bg, tmp_path):
    name, model = warm_bg
    footprint(model, tmp_path / "cold")
    method = bd.Method(METHOD)
    original = method.load()
    ch4 = bd.get_node(database="biosphere3", name="Methane, fossil", categories=("air",)).id
    from pcf.core.bw import quiet

    try:
        with quiet():
            method.write([(flow, 129.8 if flow == ch4 else cf) for flow, cf in original])
        assert warm_prepare(load_model(model)) is None
        result, modules = footprint(model, tmp_path / "changed")
        assert "bw2data" in modules
        assert result["total_kg_co2e"] == pytest.approx(expected_total(ch4_cf=129.8), rel=1e-6)
    finally:
        with quiet():
            method.write(original)
    result, modules = footprint(model, tmp_path / "restored")
    assert "bw2data" in modules  # the method file was written again: a new state
    assert result["total_kg_co2e"] == pytest.approx(expected_total(ch4_cf=CH4), rel=1e-6)


def test_a_changed_model_is_computed_in_full_and_written_to_brightway(bd, warm_bg, tmp_path):
    name, model = warm_bg
    footprint(model, tmp_path / "cold")
    text = model.read_text()
    assert "code: metal, amount: 1," in text
    model.write_text(text.replace("code: metal, amount: 1,", "code: metal, amount: 2,"), encoding="utf-8")
    assert warm_prepare(load_model(model)) is None
    changed, modules = footprint(model, tmp_path / "changed")
    assert "bw2data" in modules
    m_metal = (0.5 + 0.01 * CH4 + 2.0 + 0.1) / 0.95
    assert changed["total_kg_co2e"] == pytest.approx(2 * m_metal + 2 * (0.1 + 0.05 * m_metal) + 1, rel=1e-6)
    metal = next(e for e in bd.get_node(database="pcf-fg-CACHED", code="make").technosphere()
                 if e.input["code"] == "metal")
    assert metal["amount"] == 2.0  # the foreground in Brightway is the model's
    warm, modules = footprint(model, tmp_path / "warm")
    assert brightway_loaded(modules) == [] and warm == changed


def test_a_scenario_naming_another_background_activity_after_a_warm_run(bd, warm_bg, tmp_path):
    """The warm record knows the units of the activities the base model names (metal, power);
    a scenario swapping metal for the background activity ore asks Brightway for its unit. That read once imported
    bw2data before pcf had chosen its data folder ("bw2data was imported before pcf chose its
    data folder", exit 2): NMC811's plant_cn_southwest after a plain footprint."""
    name, model = warm_bg
    model.write_text(model.read_text() + textwrap.dedent(f"""\
        scenarios:
          ore_direct:
            description: ore instead of metal
            replace:
              - {{process: make, input: metal, with: {{background: ore}}}}
        """), encoding="utf-8")
    footprint(model, tmp_path / "cold")
    warm, modules = footprint(model, tmp_path / "warm")
    assert brightway_loaded(modules) == []  # the base model is warm
    swapped, _ = footprint(model, tmp_path / "scenario", "--scenario", "ore_direct")
    m_metal = (0.5 + 0.01 * CH4 + 2.0 + 0.1) / 0.95
    # 1 kg ore at 1 kg CO2e/kg, 2 kWh power at 0.1 + 0.05 m_metal each, 1 kg CO2 of its own
    assert swapped["total_kg_co2e"] == pytest.approx(1.0 + 2 * (0.1 + 0.05 * m_metal) + 1.0, rel=1e-6)


def test_a_foreground_changed_in_brightway_is_written_again(bd, warm_bg, tmp_path):
    name, model = warm_bg
    cold, _ = footprint(model, tmp_path / "cold")
    del bd.databases["pcf-fg-CACHED"]  # someone removed it: the next run writes it again
    assert warm_prepare(load_model(model)) is None
    again, modules = footprint(model, tmp_path / "again")
    assert "bw2data" in modules and again == cold
    assert "pcf-fg-CACHED" in bd.databases


def test_a_record_from_another_pcf_or_a_damaged_one_is_not_used(bd, warm_bg, tmp_path):
    from pcf.core.srcdigest import source_digest

    name, model = warm_bg
    cold, _ = footprint(model, tmp_path / "cold")
    system = load_model(model)
    path = warmcache.locate("pcf-fg-CACHED", METHOD, name)
    record = warmcache.load(path)
    assert record is not None and record["state"]["pcf"] == source_digest()
    # the same file, its state saying another pcf made it (checksum right): refused on its state
    payload = record | {"state": record["state"] | {"pcf": "pcf 0.0.1 src 0000000000000000"}}
    import hashlib
    import pickle

    raw = pickle.dumps(payload)
    path.write_bytes(warmcache.MAGIC + hashlib.sha256(raw).hexdigest().encode("ascii") + b"\n" + raw)
    assert warm_prepare(system) is None
    again, modules = footprint(model, tmp_path / "again")
    assert "bw2data" in modules and again == cold
    assert warm_prepare(load_model(model)) is not None  # written again by this pcf
    damaged = bytearray(path.read_bytes())
    damaged[-20] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert warmcache.load(path) is None and warm_prepare(load_model(model)) is None
    path.write_bytes(warmcache.MAGIC + b"0" * 10)  # truncated
    again, modules = footprint(model, tmp_path / "truncated")
    assert "bw2data" in modules and again == cold


def test_pcf_cache_clear_removes_the_warm_records(warm_bg, tmp_path):
    from pcf.api import background_cache

    name, model = warm_bg
    footprint(model, tmp_path / "cold")
    assert background_cache()["warm_files"] >= 1
    background_cache(clear=True)
    assert background_cache()["warm_files"] == 0
    assert warm_prepare(load_model(model)) is None


def _factorisations(monkeypatch) -> list:
    """Record the order of every sparse LU factorisation SciPy makes from now on (SuperLU's
    ``gstrf``, under ``splu``, ``factorized`` and bw2calc's solvers; ``gssv``, under
    ``spsolve``): the real functions run, each call's matrix order is appended."""
    from scipy.sparse.linalg._dsolve import _superlu

    orders = []
    for name in ("gstrf", "gssv"):
        real = getattr(_superlu, name)

        def counted(N, *args, _real=real, **kwargs):
            orders.append(N)
            return _real(N, *args, **kwargs)

        monkeypatch.setattr(_superlu, name, counted)
    return orders


def test_a_cold_footprint_factorises_the_background_once_and_a_warm_one_never(bd, warm_bg, monkeypatch):
    """Issue 18 part 3: a cold ``pcf footprint`` factorises once (the background's A^T for its
    intensities, pcf.lca.prepare.characterise; bw2calc's own lci() is not run), not twice; the
    foreground block (1 node here) is solved densely. A second run factorises nothing."""
    from pcf.lca import bgcache
    from pcf.lca.calculate import footprint as compute

    name, model = warm_bg
    bgcache.clear()
    warmcache.clear()
    orders = _factorisations(monkeypatch)
    cold = compute(load_model(model))
    assert cold.total_kg_co2e == pytest.approx(expected_total(), rel=1e-6)
    assert orders == [3]  # ore, power, metal: the background's 3 x 3 A^T, once
    assert warm_prepare(load_model(model)) is not None
    warm = compute(load_model(model))
    assert orders == [3] and warm.total_kg_co2e == cold.total_kg_co2e
