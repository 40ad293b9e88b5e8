"""``--brightway-dir DIR --project NAME``: a footprint against the user's own Brightway project,
which pcf reads and never writes (pcf/core/bwproject.py, pcf/background/userproject.py).

Each test creates the user's project in a child process with bw2data itself (this process has
bw2data on the test PCF_HOME): project ``mine`` in a fresh ``BRIGHTWAY2_DIR`` holding

- ``biosphere3``: three flows of bw2io's ecoinvent 3.9 list (Carbon dioxide, fossil; Dinitrogen
  monoxide; Carbon dioxide, in air), with their biosphere3 codes;
- ``userdb`` (processed by ``Database.write``), per unit:

      code  name         unit           inputs       emissions
      coal  coal         kilogram       -            0.1 kg CO2 fossil, 0.001 kg N2O
      elec  electricity  kilowatt hour  0.4 kg coal  0.9 kg CO2 fossil

IPCC 2021 GWP100 (AR6 WG1 ch. 7 table 7.15, as in bw2io's LCIA file): CO2 1, N2O 273.
coal: 0.1 + 0.001 * 273 = 0.373 kg CO2e / kg; electricity: 0.9 + 0.4 * 0.373 = 1.0492 kg CO2e / kWh.

The model makes one widget from 10 kWh electricity (by database and code), 2 kg coal (by
``{background: coal}``, study.background ``userdb``) and 1 kg CO2 fossil emitted directly:
10 * 1.0492 + 2 * 0.373 + 1 = 12.238 kg CO2e.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import flat

PCF = str(Path(sys.executable).parent / "pcf")

MAKE_PROJECT = textwrap.dedent("""\
    import sys
    import bw2data as bd
    from bw2io.importers import Ecospold2BiosphereImporter

    importer = Ecospold2BiosphereImporter()
    importer.apply_strategies()
    wanted = {("Carbon dioxide, fossil", ("air",)), ("Dinitrogen monoxide", ("air",)),
              ("Carbon dioxide, in air", ("natural resource", "in air"))}
    flows = {f["name"]: f for f in importer.data if (f["name"], tuple(f["categories"])) in wanted}
    bd.projects.set_current("mine")
    bio = sys.argv[1]  # biosphere3, or ecoinvent-3.10-biosphere as bw2io's import_ecoinvent_release names it
    bd.Database(bio).write({(bio, f["code"]): {
        "name": f["name"], "categories": f["categories"], "unit": f["unit"], "type": f["type"]} for f in flows.values()})
    co2 = (bio, flows["Carbon dioxide, fossil"]["code"])
    n2o = (bio, flows["Dinitrogen monoxide"]["code"])
    def act(code, name, unit, location, inputs, emissions):
        return ("userdb", code), {
            "name": name, "reference product": name, "unit": unit, "location": location, "type": "process",
            "exchanges": [{"input": ("userdb", code), "amount": 1, "type": "production"}]
            + [{"input": ("userdb", c), "amount": a, "type": "technosphere"} for c, a in inputs]
            + [{"input": k, "amount": a, "type": "biosphere"} for k, a in emissions]}
    bd.Database("userdb").write(dict([
        act("coal", "coal", "kilogram", "GLO", [], [(co2, 0.1), (n2o, 0.001)]),
        act("elec", "electricity", "kilowatt hour", "DE", [("coal", 0.4)], [(co2, 0.9)]),
    ]))
    """)

MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product: {id: WIDGET, name: Widget, process: make, reference_flow: {amount: 1, unit: item}}
    study: {background: userdb}
    processes:
      - id: make
        name: Make widget
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {database: userdb, code: elec, amount: 10, unit: kWh}
          - {background: coal, amount: 2, unit: kg}
        emissions:
          - {substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}
    """)

HAND_TOTAL = 10 * (0.9 + 0.4 * (0.1 + 0.001 * 273)) + 2 * (0.1 + 0.001 * 273) + 1  # 12.238


def make_project(folder: Path, biosphere: str) -> Path:
    """Write project ``mine`` into the Brightway folder ``folder`` in a child process."""
    folder.mkdir()
    env = {**os.environ, "BRIGHTWAY2_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", MAKE_PROJECT, biosphere], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A pristine user Brightway folder with project ``mine`` (copied by the tests that change it)."""
    return make_project(tmp_path_factory.mktemp("user-bw") / "bw", "biosphere3")


@pytest.fixture
def user(made, tmp_path) -> Path:
    """A copy of the user folder for one test."""
    return Path(shutil.copytree(made, tmp_path / "bw", symlinks=True))


def hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``pcf ARGS`` in a child process with its own PCF_HOME and TMPDIR (so what pcf leaves in
    the temporary folder can be seen)."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir(exist_ok=True)
    full = {**os.environ, "PCF_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp), "COLUMNS": "200", **(env or {})}
    for name in ("PCF_BRIGHTWAY_DIR", "PCF_BRIGHTWAY_PROJECT"):
        if env is None or name not in env:
            full.pop(name, None)
    return subprocess.run([PCF, *args], env=full, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def model(tmp_path: Path, text: str = MODEL) -> str:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def footprint(tmp_path: Path, user: Path, out: str = "out", *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    """``pcf footprint`` of the widget model against project ``mine`` in ``user``: the run (which
    must succeed) and its result JSON."""
    done = run(tmp_path, "footprint", model(tmp_path), "--out", str(tmp_path / out),
               "--brightway-dir", str(user), "--project", "mine", *extra)
    assert done.returncode == 0, done.stderr
    return done, json.loads((tmp_path / out / "WIDGET.result.json").read_text(encoding="utf-8"))


def test_footprint_against_the_users_project_hand_checked_and_no_file_changed(user, tmp_path):
    before = hashes(user)
    done, result = footprint(tmp_path, user)
    assert result["total_kg_co2e"] == pytest.approx(HAND_TOTAL, rel=1e-6)
    assert HAND_TOTAL == pytest.approx(12.238, rel=1e-12)
    (userdb,) = [d for d in result["provenance"]["databases"] if d["database"] == "userdb"]
    processed = next(user.glob("mine.*/processed/userdb.*.zip"))
    assert userdb["source"] == f"Brightway project 'mine' in {user}, processed datapackage {processed.name}"
    assert userdb["sha256"] == hashlib.sha256(processed.read_bytes()).hexdigest()
    assert hashes(user) == before  # every file byte-identical, none added or removed
    assert list((tmp_path / "tmpdir").iterdir()) == []  # the overlay (foreground, methods) is gone
    assert not (tmp_path / "home" / "brightway").exists()  # pcf's own project was not used
    assert "lacks flows pcf's methods characterise (IPCC 2021 (AR6) GWP100 232 of 235" in flat(done.stderr)


def test_environment_variables_name_the_project(user, tmp_path):
    before = hashes(user)
    done = run(tmp_path, "db", "list", "--json", env={"PCF_BRIGHTWAY_DIR": str(user), "PCF_BRIGHTWAY_PROJECT": "mine"})
    assert done.returncode == 0, done.stderr
    assert sorted(e["database"] for e in json.loads(done.stdout)) == ["biosphere3", "userdb"]
    done = run(tmp_path, "db", "search", "electricity", "--json", "--brightway-dir", str(user), "--project", "mine")
    assert done.returncode == 0, done.stderr
    hit = json.loads(done.stdout)[0]
    assert hit["kg_co2e_per_unit"] == pytest.approx(0.9 + 0.4 * 0.373, rel=1e-6)
    assert hashes(user) == before


def test_install_methods_adds_the_methods_and_changes_nothing_else(user, tmp_path):
    before = hashes(user)
    done = run(tmp_path, "footprint", model(tmp_path), "--out", str(tmp_path / "out"),
               "--brightway-dir", str(user), "--project", "mine", "--install-methods")
    assert done.returncode == 0, done.stderr
    after = hashes(user)
    changed = {p for p in before if after.get(p) != before[p]}
    added = set(after) - set(before)
    project = next(p for p in user.iterdir() if p.name.startswith("mine."))
    assert changed == {f"{project.name}/methods.json"}
    assert added and all(a.startswith((f"{project.name}/intermediate/pcf", f"{project.name}/processed/pcf"))
                         for a in added), added
    methods = {tuple(name): meta for name, meta in json.loads((project / "methods.json").read_text(encoding="utf-8"))}
    assert sorted(methods) == sorted([("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1"),
                                      ("pcf", "IPCC 2013", "GWP100", "ISO 14067 biogenic -1/+1"),
                                      ("pcf", "EF v3.1", "climate change", "ISO 14067 biogenic -1/+1")])
    # the factors of the project's three flows: CO2 fossil 1, N2O 273, CO2 in air -1 (ISO 14067 uptake)
    assert methods[("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1")]["num_cfs"] == 3
    assert "installed in Brightway project 'mine'" in flat(done.stderr)


def error(done: subprocess.CompletedProcess) -> str:
    """The one-line error of a refused command (exit 2, no traceback)."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return " ".join(done.stderr.split())


def test_missing_folder_not_a_brightway_folder_and_missing_project_are_refused(user, tmp_path):
    m = model(tmp_path)
    out = str(tmp_path / "out")
    message = error(run(tmp_path, "footprint", m, "--out", out, "--brightway-dir", str(tmp_path / "nowhere"),
                        "--project", "mine"))
    assert "does not exist" in message and "(--brightway-dir)" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    message = error(run(tmp_path, "footprint", m, "--out", out, "--brightway-dir", str(empty), "--project", "mine"))
    assert "is not a Brightway data folder: it has no projects.db" in message and "(--brightway-dir)" in message
    message = error(run(tmp_path, "db", "list", "--brightway-dir", str(user), "--project", "theirs"))
    assert "no Brightway project 'theirs'" in message and "'mine'" in message and "(--project)" in message
    message = error(run(tmp_path, "footprint", m, "--out", out, "--project", "mine"))
    assert "give the folder too" in message and "(--brightway-dir)" in message
    message = error(run(tmp_path, "footprint", m, "--out", out, "--install-methods"))
    assert "(--install-methods)" in message
    assert not (tmp_path / "out").exists()
    assert list((tmp_path / "tmpdir").iterdir()) == []


def test_missing_database_and_background_are_refused_with_the_projects_databases(user, tmp_path):
    before = hashes(user)
    out = str(tmp_path / "out")
    m = model(tmp_path, MODEL.replace("{database: userdb, code: elec", "{database: ecoinvent, code: elec"))
    message = error(run(tmp_path, "footprint", m, "--out", out, "--brightway-dir", str(user), "--project", "mine"))
    assert "model.yaml:10:" in message and "database 'ecoinvent' is not installed" in message
    assert "biosphere3, userdb" in message
    m = model(tmp_path, MODEL.replace("study: {background: userdb}\n", ""))
    message = error(run(tmp_path, "footprint", m, "--out", out, "--brightway-dir", str(user), "--project", "mine"))
    assert "background 'open-default' is not installed in Brightway project 'mine'" in message
    assert "'biosphere3', 'userdb' (name one in study.background)" in message
    assert hashes(user) == before
    assert not (tmp_path / "out").exists()


def test_a_database_that_needs_processing_is_refused_not_processed(user, tmp_path):
    project = next(p for p in user.iterdir() if p.name.startswith("mine."))
    meta = json.loads((project / "databases.json").read_text(encoding="utf-8"))
    meta["userdb"]["dirty"] = True  # what bw2data records when an activity changed since processing
    (project / "databases.json").write_text(json.dumps(meta), encoding="utf-8")
    before = hashes(user)
    message = error(run(tmp_path, "footprint", model(tmp_path), "--out", str(tmp_path / "out"),
                        "--brightway-dir", str(user), "--project", "mine"))
    assert "database 'userdb' of mine." in message and "needs processing" in message and "(--project)" in message
    assert hashes(user) == before


def test_bw2data_imported_before_is_a_clear_error(user, tmp_path):
    script = textwrap.dedent(f"""\
        import bw2data
        from pcf.api import use_brightway_project
        from pcf.core.errors import PCFError
        try:
            use_brightway_project({str(user)!r}, "mine")
        except PCFError as exc:
            print(exc, exc.option)
        """)
    other = tmp_path / "other-bw"
    other.mkdir()
    env = {**os.environ, "BRIGHTWAY2_DIR": str(other), "PCF_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"bw2data is already imported in this process (BRIGHTWAY2_DIR={other})" in flat(done.stdout)
    assert "run pcf in its own process" in flat(done.stdout) and done.stdout.strip().endswith("brightway_dir")


OWN_MODEL = textwrap.dedent("""\
    format: pcf-model/1
    product: {id: OWN, name: Own, process: make, reference_flow: {amount: 1, unit: item}}
    study: {background: test-bg}
    processes:
      - id: make
        name: Make
        stage: production
        output: {amount: 1, unit: item}
        inputs:
          - {background: elec, amount: 3, unit: kWh}
          - {background: wood, amount: 2, unit: kg}
        emissions:
          - {substance: methane, origin: fossil, amount: 0.01, unit: kg}
    """)


def test_pcf_own_project_read_as_a_user_project_gives_the_same_result(bd, tmp_path):
    """pcf's own test project (full biosphere3, the test-bg table) copied and named as the user's
    project: every figure and the method's factor hash equal the in-process footprint, and the
    copy is unchanged."""
    from builders import document
    from pcf.core.bw import pcf_home
    from pcf.lca import footprint
    from pcf.model import load_model

    path = model(tmp_path, OWN_MODEL)
    own = document(footprint(load_model(path)))
    folder = Path(shutil.copytree(pcf_home() / "brightway", tmp_path / "own-bw"))
    before = hashes(folder)
    done = run(tmp_path, "footprint", path, "--out", str(tmp_path / "out"), "--brightway-dir", str(folder),
               "--project", "pcf")
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "OWN.result.json").read_text(encoding="utf-8"))
    assert result["total_kg_co2e"] == pytest.approx(own["total_kg_co2e"], rel=1e-9)
    assert result["ghg"] == pytest.approx(own["ghg"], rel=1e-9)
    assert result["provenance"]["method_sha256"] == own["provenance"]["method_sha256"]
    assert "lacks flows" not in flat(done.stderr)  # the full biosphere3: every factor of the method applies
    assert hashes(folder) == before


def test_batch_against_the_users_project(user, tmp_path):
    """Two SKUs of the widget with 10 and 20 kWh electricity (parameter ``kwh``), two worker
    processes: 12.238 and 12.238 + 10 * 1.0492 = 22.730 kg CO2e; the folder unchanged."""
    text = MODEL.replace("processes:\n", "parameters: {kwh: 10}\nprocesses:\n", 1).replace("amount: 10, unit: kWh",
                                                                                          "amount: kwh, unit: kWh")
    model(tmp_path, text)
    (tmp_path / "skus.csv").write_text("id,kwh\nW10,10\nW20,20\n", encoding="utf-8")
    before = hashes(user)
    done = run(tmp_path, "batch", str(tmp_path / "skus.csv"), "--model", str(tmp_path / "model.yaml"),
               "--out", str(tmp_path / "out"), "--jobs", "2", "--brightway-dir", str(user), "--project", "mine")
    assert done.returncode == 0, done.stderr
    rebuilt = {sku: run(tmp_path, "batch", "result", str(tmp_path / "out"), sku) for sku in ("W10", "W20")}
    assert all(r.returncode == 0 for r in rebuilt.values()), [r.stderr for r in rebuilt.values()]
    totals = {sku: json.loads(r.stdout)["total_kg_co2e"] for sku, r in rebuilt.items()}
    assert totals["W10"] == pytest.approx(HAND_TOTAL, rel=1e-6)
    assert totals["W20"] == pytest.approx(HAND_TOTAL + 10 * (0.9 + 0.4 * 0.373), rel=1e-6)
    assert hashes(user) == before
    message = error(run(tmp_path, "batch", str(tmp_path / "skus.csv"), "--model", str(tmp_path / "model.yaml"),
                        "--out", str(tmp_path / "out2"), "--executor", "dask", "--brightway-dir", str(user),
                        "--project", "mine"))
    assert "dask workers cannot read Brightway project 'mine'" in message and "(--executor)" in message


def test_an_elementary_flow_database_under_another_name_is_read_as_biosphere3(tmp_path):
    """The same project with its flows in ``ecoinvent-3.10-biosphere`` (bw2io's name for
    ecoinvent 3.10's): the same hand-checked total, a note saying so, the folder unchanged; and
    --install-methods links the methods to that database's flows."""
    user = make_project(tmp_path / "bw", "ecoinvent-3.10-biosphere")
    before = hashes(user)
    done, result = footprint(tmp_path, user)
    assert result["total_kg_co2e"] == pytest.approx(HAND_TOTAL, rel=1e-6)
    assert "the project's elementary flows 'ecoinvent-3.10-biosphere' are read as biosphere3" in flat(done.stderr)
    assert hashes(user) == before
    done = run(tmp_path, "footprint", model(tmp_path), "--out", str(tmp_path / "out2"),
               "--brightway-dir", str(user), "--project", "mine", "--install-methods")
    assert done.returncode == 0, done.stderr
    project = next(p for p in user.iterdir() if p.name.startswith("mine."))
    methods = {tuple(name): meta for name, meta in json.loads((project / "methods.json").read_text(encoding="utf-8"))}
    assert methods[("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1")]["num_cfs"] == 3


def test_a_project_without_elementary_flows_is_refused(tmp_path):
    folder = tmp_path / "bw"
    folder.mkdir()
    script = textwrap.dedent("""\
        import bw2data as bd
        bd.projects.set_current("bare")
        bd.Database("tech").write({("tech", "a"): {"name": "a", "unit": "kilogram", "type": "process",
                                                   "exchanges": [{"input": ("tech", "a"), "amount": 1, "type": "production"}]}})
        """)
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "BRIGHTWAY2_DIR": str(folder)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    before = hashes(folder)
    message = error(run(tmp_path, "db", "list", "--brightway-dir", str(folder), "--project", "bare"))
    assert "Brightway project 'bare'" in message and "has no biosphere3 database" in message
    assert "its databases: tech" in message and "(--project)" in message
    assert hashes(folder) == before


def test_bw2data_imported_on_another_folder_before_pcfs_own_project_is_a_clear_error(tmp_path):
    other = tmp_path / "other-bw"
    other.mkdir()
    script = textwrap.dedent("""\
        import bw2data
        from pcf.core.bw import brightway
        from pcf.core.errors import PCFError
        try:
            brightway()
        except PCFError as exc:
            print(exc)
        """)
    env = {**os.environ, "BRIGHTWAY2_DIR": str(other), "PCF_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"bw2data was imported before pcf chose its data folder ({tmp_path / 'home' / 'brightway'}), " \
           f"with BRIGHTWAY2_DIR={other}" in flat(done.stdout)
    assert "name the folder and the project" in flat(done.stdout)


EDIT_PROJECT = textwrap.dedent("""\
    import bw2data as bd
    bd.projects.set_current("mine")
    elec = bd.get_node(database="userdb", code="elec")
    (coal,) = [e for e in elec.technosphere() if e.input["code"] == "coal"]
    coal["amount"] = 0.5
    coal.save()
    bd.Database("userdb").process()
    """)


def test_the_background_cache_is_keyed_on_the_users_databases(user, tmp_path):
    """Issue 18 part 3: a second footprint reads the cached characterisation (the entry is not
    written again); an edit in the user's project gives another entry and the new hand total."""
    cache = tmp_path / "home" / "cache" / "background"

    def without_time(out: str) -> dict:
        result = footprint(tmp_path, user, out)[1]
        result.pop("created_at")
        return result

    first = without_time("a")
    (entry,) = cache.glob("*.npz")
    written = entry.stat().st_mtime_ns
    assert without_time("b") == first  # every field
    assert [p.name for p in cache.glob("*.npz")] == [entry.name] and entry.stat().st_mtime_ns == written
    done = subprocess.run([sys.executable, "-c", EDIT_PROJECT], env={**os.environ, "BRIGHTWAY2_DIR": str(user)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    edited = without_time("c")
    assert edited["total_kg_co2e"] == pytest.approx(10 * (0.9 + 0.5 * (0.1 + 0.001 * 273)) + 2 * (0.1 + 0.001 * 273) + 1,
                                                    rel=1e-6)  # 12.611
    assert len(list(cache.glob("*.npz"))) == 2
