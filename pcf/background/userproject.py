"""pcf's methods for the user's own Brightway project (``--brightway-dir DIR --project NAME``).

:func:`use_project` opens the project read-only through a temporary overlay
(:mod:`pcf.core.bwproject`) and writes pcf's three methods there (:func:`pcf_method_tables`,
built from bw2io's full biosphere3 list as ``pcf setup`` builds them), keeping the factors of
the flows the project's ``biosphere3`` has. The source methods ``pcf setup`` also writes for
comparison are not written (no calculation reads them). With ``install_methods`` the three pcf methods
(``('pcf', ...)`` names) are also written into the user's project: the one write pcf makes
there, done by a child process that imports bw2data on the user's folder (this process has
bw2data on the overlay).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..core.bw import brightway, pcf_home, quiet
from ..core.files import write_atomic
from ..core.bwproject import BIOSPHERE, UserProject, open_project
from ..core.errors import BackgroundError
from .methods import METHODS, METHODS_VERSION, MethodTable, method_tables, write_table
from .supplement import supplement_records

def full_biosphere() -> dict:
    """``(name, categories) -> ("biosphere3", code)`` of every flow of bw2io's ecoinvent 3.9
    elementary-flow list and pcf's supplement flows (:mod:`pcf.background.supplement`): what
    ``pcf setup`` writes as biosphere3, read without writing."""
    with quiet():
        from bw2io.importers import Ecospold2BiosphereImporter

        importer = Ecospold2BiosphereImporter()
        importer.apply_strategies()
    return {**{(f["name"], tuple(f["categories"])): (BIOSPHERE, f["code"]) for f in importer.data},
            **supplement_records()}


def pcf_method_tables() -> list[MethodTable]:
    """pcf's three methods (:func:`pcf.background.methods.method_tables` on :func:`full_biosphere`,
    the pcf ones), kept in ``PCF_HOME/cache`` per bw2io version and :data:`METHODS_VERSION`
    (reading bw2io's LCIA file and biosphere list takes seconds).

    Raises
    ------
    BackgroundError
        As :func:`pcf.background.methods.method_tables`.
    """
    from importlib.metadata import version

    path = pcf_home() / "cache" / f"pcf-methods-bw2io-{version('bw2io')}-v{METHODS_VERSION}.json"
    try:
        return [MethodTable(tuple(m["name"]), [((d, c), cf) for d, c, cf in m["cfs"]], m["metadata"], True)
                for m in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    tables = [t for t in method_tables(full_biosphere()) if t.pcf]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic({path: json.dumps([{"name": list(t.name), "metadata": t.metadata,
                                     "cfs": [[k[0], k[1], cf] for k, cf in t.cfs]} for t in tables]).encode()})
    return tables


def use_project(directory: str | Path, project: str, install_methods: bool = False) -> UserProject:
    """Compute against the user's Brightway project for the rest of this process.

    Parameters
    ----------
    directory : str or Path
        The user's Brightway data folder (``BRIGHTWAY2_DIR``).
    project : str
        Project name.
    install_methods : bool
        Also write pcf's three methods into the user's project (changes its ``methods.json``,
        ``intermediate/`` and ``processed/``; nothing else).

    Returns
    -------
    UserProject
        With ``notes``: the factors of pcf's methods whose flows the project lacks, the methods
        installed.

    Raises
    ------
    BackgroundError
        As :func:`pcf.core.bwproject.open_project`; the project has no ``biosphere3``
        database (about ``project``); installing the methods failed.
    """
    opened = open_project(directory, project)
    bd = brightway()
    if not opened.methods:
        if BIOSPHERE not in bd.databases:
            raise BackgroundError(f"{opened.describe()} has no {BIOSPHERE} database: pcf's methods characterise "
                                  f"{BIOSPHERE} flows, and it has not exactly one other database of elementary flows to read as "
                                  f"{BIOSPHERE} (its databases: {', '.join(opened.databases) or 'none'})"
                                  ).about("project")
        from bw2data.backends import ActivityDataset as AD

        ids = {c: i for c, i in AD.select(AD.code, AD.id).where(AD.database == BIOSPHERE).tuples()}
        tables = pcf_method_tables()
        with quiet():
            for table in tables:  # by node id: one query, not one per factor
                write_table(bd, table, [(ids[key[1]], cf) for key, cf in _present(table, set(ids))])
        opened.notes.extend(_missing_notes(tables, set(ids)))
        opened.methods = tables
    if install_methods and not opened.installed:
        names = _install(opened, opened.methods)
        opened.notes.append(f"installed in {opened.describe()}: " + "; ".join(" | ".join(n) for n in names))
        opened.installed = names
    return opened


def _present(table: MethodTable, present: set) -> list:
    """The factors of ``table`` whose flows are in the project's biosphere3."""
    return [(key, cf) for key, cf in table.cfs if key[0] == BIOSPHERE and key[1] in present]


def _missing_notes(tables: list[MethodTable], present: set) -> list[str]:
    """A note naming, per pcf method, how many of its characterised flows the project's
    biosphere3 lacks (none when it has them all)."""
    counts = []
    for table in tables:
        missing = len(table.cfs) - len(_present(table, present))
        if table.pcf and missing:
            label = next(s.label for s in METHODS.values() if s.name == table.name)
            counts.append(f"{label} {missing} of {len(table.cfs)}")
    if not counts:
        return []
    return [f"the project's {BIOSPHERE} lacks flows pcf's methods characterise ({'; '.join(counts)}): nothing in "
            "its databases can emit them, but a model emission of one of them cannot be linked"]


def _install(opened: UserProject, tables: list[MethodTable]) -> list[tuple]:
    """Write ``tables`` into the user's project by a child process (:func:`install_child`).

    Raises
    ------
    BackgroundError
        The child failed (its last error line is in the message).
    """
    with tempfile.TemporaryDirectory(prefix="pcf-methods-") as tmp:
        spec = Path(tmp) / "methods.json"
        spec.write_text(json.dumps({"project": opened.project, "methods": [
            {"name": list(t.name), "metadata": t.metadata, "cfs": [[k[0], k[1], cf] for k, cf in t.cfs]}
            for t in tables]}), encoding="utf-8")
        env = {**os.environ, "BRIGHTWAY2_DIR": str(opened.directory)}
        done = subprocess.run([sys.executable, "-c", "from pcf.background.userproject import install_child; "
                               "install_child()", str(spec)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackgroundError(f"installing pcf's methods in {opened.describe()} failed: {last}").about(
            "install_methods")
    return [tuple(t.name) for t in tables]


def install_child() -> None:
    """Child process of :func:`_install`: bw2data on the user's folder (``BRIGHTWAY2_DIR`` set by
    the parent), the project current without automatic updates, the methods of the JSON file
    ``sys.argv[1]`` written with the factors of the flows the project has (by code, in its
    ``biosphere3`` or its other elementary-flow database)."""
    from ..core.bw import _import_quietly

    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    _import_quietly()
    import bw2data as bd
    from bw2data.backends import ActivityDataset as AD

    with quiet():
        bd.projects.set_current(spec["project"], update=False)
        flows = {}  # code -> the project's key of that elementary flow (biosphere3 first, else e.g. ecoinvent-3.10-biosphere)
        query = AD.select(AD.database, AD.code).where(~(AD.type << list(bd.labels.lci_node_types)))
        for database, code in sorted(query.tuples(), key=lambda r: r[0] == BIOSPHERE):
            flows[code] = (database, code)
        for method in spec["methods"]:
            table = MethodTable(tuple(method["name"]), [((d, c), cf) for d, c, cf in method["cfs"]],
                                method["metadata"], True)
            write_table(bd, table, [(flows[key[1]], cf) for key, cf in table.cfs if key[1] in flows])
