"""Cached characterised backgrounds (issue 18 part 3, pcf/lca/bgcache.py).

A small background ``cache-bg`` with a loop, per unit [kg CO2 fossil unless said]:

    ore   [kg]   1.0 CO2
    power [kWh]  0.1 CO2, 0.05 kg metal
    metal [kg]   0.5 CO2, 2 kg ore, 1 kWh power, 0.01 kg CH4 fossil

    m_metal = 0.5 + 0.01 * 29.8 + 2 * 1 + m_power,  m_power = 0.1 + 0.05 * m_metal
    => 0.95 m_metal = 2.898  => m_metal = 2.898 / 0.95,  m_power = 0.1 + 0.05 * m_metal

(CH4 fossil 29.8 kg CO2e/kg, IPCC AR6 WG1 Table 7.15.) The product draws 1 kg metal and
2 kWh power and emits 1 kg CO2: total = m_metal + 2 m_power + 1 = 1.1 m_metal + 1.2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from pcf.lca import bgcache
from pcf.lca.calculate import evaluate
from pcf.lca.prepare import prepare
from pcf.model import load_model
from tests.conftest import flat

REPO = Path(__file__).resolve().parent.parent
CH4 = 29.8
METHOD = ("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1")


def expected_total(ore_per_metal: float = 2.0, ch4_cf: float = CH4) -> float:
    """The module docstring's sums, by hand."""
    m_metal = (0.5 + 0.01 * ch4_cf + ore_per_metal * 1.0 + 0.1) / (1 - 0.05)
    return 1.1 * m_metal + 1.2


MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product: {id: CACHED, name: cached product, process: make, reference_flow: {amount: 1, unit: item}}
    study: {background: DB}
    processes:
      - id: make
        name: make
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {database: DB, code: metal, amount: 1, unit: kg}
          - {database: DB, code: power, amount: 2, unit: kWh}
        emissions:
          - {substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}
    """)


def write_background(bd, name: str) -> None:
    """``cache-bg`` of the module docstring as Brightway database ``name``."""
    co2 = bd.get_node(database="biosphere3", name="Carbon dioxide, fossil", categories=("air",)).key
    ch4 = bd.get_node(database="biosphere3", name="Methane, fossil", categories=("air",)).key

    def act(code, unit, co2_kg, inputs=(), extra=()):
        exchanges = [{"input": (name, code), "amount": 1.0, "type": "production"},
                     {"input": co2, "amount": co2_kg, "type": "biosphere"}, *extra]
        exchanges += [{"input": (name, c), "amount": a, "type": "technosphere"} for c, a in inputs]
        return (name, code), {"name": code, "unit": unit, "location": "GLO", "type": "process",
                              "reference product": code, "exchanges": exchanges}

    from pcf.core.bw import quiet

    data = dict([act("ore", "kilogram", 1.0), act("power", "kilowatt hour", 0.1, [("metal", 0.05)]),
                 act("metal", "kilogram", 0.5, [("ore", 2.0), ("power", 1.0)],
                     [{"input": ch4, "amount": 0.01, "type": "biosphere"}])])
    with quiet():
        db = bd.Database(name)
        db.register(description="test database written by tests/test_bgcache.py")
        db.write(data)


@pytest.fixture
def cache_bg(bd, write_model, request):
    """A fresh background of its own name for each test, and the model on it."""
    name = f"cache-bg-{request.node.name}"[:60].replace("[", "-").replace("]", "")
    write_background(bd, name)
    yield name, write_model(MODEL.replace("DB", name))
    for db in ("pcf-fg-CACHED", name):  # the foreground first: it links the background
        if db in bd.databases:
            del bd.databases[db]


def run(model: Path) -> tuple[dict, str]:
    """The result JSON of ``pcf footprint`` (without its clock) and where its background came from."""
    system = load_model(model)
    prepared = prepare(system)
    result = evaluate(system, prepared).to_json()
    result.pop("created_at")
    return json.loads(json.dumps(result)), prepared.background_cache


def cache_key(bd, name: str) -> bgcache.BackgroundKey:
    from pcf.background.methods import method_sha256

    return bgcache.background_key(bd, [name], METHOD, method_sha256(bd, METHOD))


def test_a_cache_hit_gives_the_cold_run_result_field_by_field(cache_bg):
    name, model = cache_bg
    cold, state = run(model)
    assert state == "miss"
    assert cold["total_kg_co2e"] == pytest.approx(expected_total(), rel=1e-6)
    warm, state = run(model)
    assert state == "hit"
    assert warm == cold  # every field, every number to the last bit
    assert cold["provenance"]["bw2calc_score"] == pytest.approx(expected_total(), rel=1e-6)
    # the cache holds every activity of the background and biosphere3's none (no technosphere)
    assert bgcache.cache_info()["files"] >= 1


def test_a_changed_background_exchange_gives_the_new_number(bd, cache_bg):
    name, model = cache_bg
    assert run(model)[0]["total_kg_co2e"] == pytest.approx(expected_total(2.0), rel=1e-6)
    exc = next(e for e in bd.get_node(database=name, code="metal").technosphere() if e.input["code"] == "ore")
    exc["amount"] = 3.0
    exc.save()  # bw2data marks the database dirty; the key processes it first
    changed, state = run(model)
    assert state == "miss"
    assert changed["total_kg_co2e"] == pytest.approx(expected_total(3.0), rel=1e-6)  # 1.1 * 3.898/0.95 + 1.2


def test_a_changed_characterisation_factor_gives_the_new_number(bd, cache_bg):
    name, model = cache_bg
    assert run(model)[0]["total_kg_co2e"] == pytest.approx(expected_total(), rel=1e-6)
    method = bd.Method(METHOD)
    original = method.load()
    ch4 = bd.get_node(database="biosphere3", name="Methane, fossil", categories=("air",)).id
    changed_cfs = [(flow, 129.8 if flow == ch4 else cf) for flow, cf in original]
    assert changed_cfs != original
    from pcf.core.bw import quiet

    try:
        with quiet():
            method.write(changed_cfs)
        result, state = run(model)
        assert state == "miss"
        assert result["total_kg_co2e"] == pytest.approx(expected_total(ch4_cf=129.8), rel=1e-6)
    finally:
        with quiet():
            method.write(original)
    result, state = run(model)  # the factors as before: the first entry again
    assert state == "hit"
    assert result["total_kg_co2e"] == pytest.approx(expected_total(), rel=1e-6)


def test_a_corrupted_cache_file_is_rebuilt_not_trusted(bd, cache_bg):
    name, model = cache_bg
    cold, _ = run(model)
    path = bgcache.path_of(cache_key(bd, name))
    assert path.stat().st_mode & 0o777 == 0o600  # pcf's alone, whatever the umask (tests/test_files.py)
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF  # one flipped bit pattern inside the payload
    path.write_bytes(bytes(raw))
    assert bgcache.load(cache_key(bd, name)) is None
    again, state = run(model)
    assert state == "rebuilt"
    assert again == cold
    assert bgcache.load(cache_key(bd, name)) is not None  # written whole again
    path.write_bytes(b"pcf-background-cache/1\n" + b"0" * 10)  # truncated
    assert run(model)[1] == "rebuilt"


def test_a_cache_from_another_pcf_is_not_used(bd, cache_bg):
    from pcf.core.srcdigest import source_digest

    name, model = cache_bg
    cold, _ = run(model)
    key = cache_key(bd, name)
    assert key.material["pcf"] == source_digest()
    assert source_digest().startswith("pcf ")
    cached = bgcache.load(key)
    # the same file name, written by "another pcf" with other numbers: refused on its material
    other = bgcache.BackgroundKey({**key.material, "pcf": "pcf 0.0.1 src 0000000000000000"}, key.digest)
    bgcache.store(other, bgcache.Cached(cached.ids, cached.intensity * 2, cached.mass))
    assert bgcache.load(key) is None
    again, state = run(model)
    assert state == "rebuilt"
    assert again == cold
    assert bgcache.key_of(other.material).digest != key.digest  # another pcf's entry is another file


CHILD = textwrap.dedent("""\
    import json, sys, time
    from pathlib import Path
    from pcf.lca.prepare import prepare
    from pcf.lca.calculate import evaluate
    from pcf.model import load_model
    model, ready, go = sys.argv[1:4]
    system = load_model(model)
    from pcf.core.bw import brightway
    brightway()
    import bw2calc  # both children ready to compute: the race is the computing and writing
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.01)
    prepared = prepare(system, solve=False)
    result = evaluate(system, prepared).to_json()
    print(json.dumps({"state": prepared.background_cache, "total": result["total_kg_co2e"],
                      "ghg": result["ghg"]}))
    """)


def test_two_processes_filling_the_cache_at_once_both_succeed(bd, cache_bg, tmp_path):
    name, model = cache_bg
    assert bgcache.load(cache_key(bd, name)) is None
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    go = tmp_path / "go"
    children = [subprocess.Popen([sys.executable, str(script), str(model), str(tmp_path / f"ready{i}"), str(go)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                 env={**os.environ, "PYTHONPATH": str(REPO)}) for i in range(2)]
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline and all(c.poll() is None for c in children)
        time.sleep(0.05)
    go.touch()  # both start preparing together: both miss and both write the entry
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    # both normally miss and write the entry; under a heavy load one may start late enough to read
    # the other's (the writers' race itself: the next test)
    assert {o["state"] for o in outputs} <= {"miss", "hit"} and "miss" in {o["state"] for o in outputs}
    assert outputs[0]["total"] == outputs[1]["total"] == pytest.approx(expected_total(), rel=1e-6)
    assert outputs[0]["ghg"] == outputs[1]["ghg"]
    assert bgcache.load(cache_key(bd, name)) is not None  # a whole, valid entry
    result, state = run(model)
    assert state == "hit"
    assert result["total_kg_co2e"] == pytest.approx(outputs[0]["total"], rel=1e-15)
    assert not [p for p in bgcache.cache_folder().iterdir() if p.name.endswith(".tmp")]


WRITER = textwrap.dedent("""\
    import sys
    import numpy as np
    from pcf.lca import bgcache
    key = bgcache.BackgroundKey({"test": "hammer"}, "0" * 64)
    n = 20000
    cached = bgcache.Cached(np.arange(n), np.full((n, 4), float(sys.argv[1])), np.zeros((n, 2)))
    for _ in range(int(sys.argv[2])):
        bgcache.store(key, cached)
    """)


def test_a_reader_sees_a_whole_entry_or_none_while_two_processes_write_it(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    key = bgcache.BackgroundKey({"test": "hammer"}, "0" * 64)
    writers = [subprocess.Popen([sys.executable, str(script), value, "30"], cwd=REPO,
                                env={**os.environ, "PYTHONPATH": str(REPO)}) for value in ("1.0", "2.0")]
    seen = set()
    while any(w.poll() is None for w in writers):
        cached = bgcache.load(key)
        if cached is not None:
            values = np.unique(cached.intensity)
            assert len(values) == 1 and values[0] in (1.0, 2.0)  # one writer's whole entry
            seen.add(float(values[0]))
    assert [w.wait() for w in writers] == [0, 0]
    assert bgcache.load(key) is not None
    bgcache.path_of(key).unlink()


def test_cache_clear_removes_the_entries(cache_bg):
    name, model = cache_bg
    run(model)
    info = bgcache.cache_info()
    assert info["files"] >= 1 and info["bytes"] > 0
    assert bgcache.clear()["files"] == info["files"]
    assert bgcache.cache_info()["files"] == 0
    assert run(model)[1] == "miss"


def test_pcf_cache_info_and_clear_commands(cache_bg):
    from typer.testing import CliRunner

    import cli

    name, model = cache_bg
    run(model)
    runner = CliRunner()
    info = runner.invoke(cli.app, ["cache", "info"])
    assert info.exit_code == 0, info.output
    assert str(bgcache.cache_folder()) in flat(info.output)
    cleared = runner.invoke(cli.app, ["cache", "clear"])
    assert cleared.exit_code == 0, cleared.output
    assert "removed" in cleared.output
    assert bgcache.cache_info()["files"] == 0


def test_only_the_newest_entries_are_kept(tmp_path):
    cached = bgcache.Cached(np.arange(3), np.ones((3, 4)), np.zeros((3, 2)))
    keys = [bgcache.key_of({"test": "prune", "i": i}) for i in range(bgcache.MAX_ENTRIES + 3)]
    for i, key in enumerate(keys):
        bgcache.store(key, cached)
        os.utime(bgcache.path_of(key), (1e9 + i, 1e9 + i))  # written in this order
    assert [bgcache.load(k) is not None for k in keys] == [False] * 3 + [True] * bgcache.MAX_ENTRIES
    bgcache.clear()
