"""The user's own Brightway project, read without writing to it.

``--brightway-dir DIR --project NAME`` makes pcf compute against an existing bw2data project
(ecoinvent imported in Activity Browser, say) and leaves every file under ``DIR`` byte-identical.
bw2data cannot open a project read-only (importing it creates a ``default`` project, writing a
foreground writes ``lci/databases.db`` and ``processed/``), so pcf never imports bw2data on
``DIR``. Instead :func:`open_project` builds an *overlay*: a temporary ``BRIGHTWAY2_DIR``
holding a project ``pcf`` with

- every node row of the user's project (``activitydataset``: activities and elementary flows,
  with their ids unchanged), read through a read-only SQLite connection; the exchanges are not
  copied: the calculation reads the matrices from the processed datapackages, and pcf never
  reads the exchanges of a background;
- the user's database metadata (``databases.json``) and a copy of each database's processed
  datapackage (``processed/*.zip``, bw_processing), so bw2calc builds the same matrices as
  in the user's project (node ids are the user's); a database without pcf's own provenance
  gets ``pcf_source`` (the project and datapackage) and ``pcf_sha256`` (SHA-256 of the
  datapackage file), which the result's ``provenance.databases`` reports;
- pcf's methods, written there by :mod:`pcf.background.userproject`.

The foreground (``pcf-fg-*``) and everything else pcf writes go to the overlay, which is
removed when the process ends. A database that needs processing (``dirty``, never processed,
or its datapackage missing) is refused: processing writes to the project.

Only :func:`pcf.core.bw.brightway` is then used to reach bw2data, as always.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pickle
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import pathname2url

from . import bw
from .errors import BackgroundError

BIOSPHERE = "biosphere3"
"""The elementary-flow database pcf's methods and model emissions name."""

NODE_COLUMNS = ("id", "data", "code", "database", "location", "name", "product", "type")
"""Columns of bw2data 4's ``activitydataset`` table the overlay needs."""


@dataclass
class UserProject:
    """An opened user project.

    Attributes
    ----------
    directory : Path
        The user's Brightway data folder (``BRIGHTWAY2_DIR``); never written.
    project : str
        Name of the project in it.
    project_dir : Path
        The project's own folder under ``directory``.
    databases : tuple of str
        Names of the project's databases.
    overlay : Path
        The temporary ``BRIGHTWAY2_DIR`` pcf works in (removed at exit).
    notes : list of str
        What a user should know about this use (e.g. method flows the project lacks).
    methods : list
        The methods written into the overlay (:class:`pcf.background.methods.MethodTable`);
        empty until :func:`pcf.background.userproject.use_project` wrote them.
    installed : list of tuple
        Names of the methods installed into the user's project itself.
    """

    directory: Path
    project: str
    project_dir: Path
    databases: tuple[str, ...]
    overlay: Path
    notes: list[str] = field(default_factory=list)
    methods: list = field(default_factory=list)
    installed: list = field(default_factory=list)

    def describe(self) -> str:
        """``Brightway project 'NAME' in DIR``, for messages."""
        return f"Brightway project {self.project!r} in {self.directory}"


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only SQLite connection to ``path`` (``mode=ro``: the file is never written and no
    journal is created).

    Raises
    ------
    sqlite3.Error
        The file is not a readable SQLite database.
    """
    return sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro", uri=True)


def project_folder(directory: str | Path, project: str) -> Path:
    """The folder of ``project`` in the Brightway data folder ``directory``, checked.

    Parameters
    ----------
    directory : str or Path
        A Brightway data folder (``BRIGHTWAY2_DIR``: it holds ``projects.db``).
    project : str
        A project name in it.

    Returns
    -------
    Path

    Raises
    ------
    BackgroundError
        About ``brightway_dir``: the folder is missing, not a folder, or not a Brightway data
        folder (no readable ``projects.db``); about ``project``: no such project (the
        message lists the projects), or its folder or its ``lci/databases.db`` is missing.
    """
    from bw_processing import safe_filename

    d = Path(directory).expanduser()
    if not d.exists():
        raise BackgroundError(f"Brightway data folder {d} does not exist").about("brightway_dir")
    if not d.is_dir():
        raise BackgroundError(f"{d} is not a folder: give the Brightway data folder (BRIGHTWAY2_DIR)").about(
            "brightway_dir")
    if not (d / "projects.db").is_file():
        raise BackgroundError(f"{d} is not a Brightway data folder: it has no projects.db (give the folder "
                              "bw2data.projects._base_data_dir shows)").about("brightway_dir")
    try:
        con = read_only(d / "projects.db")
        try:
            rows = con.execute("SELECT name, full_hash FROM projectdataset").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise BackgroundError(f"{d} is not a Brightway 2.5 data folder: projects.db cannot be read ({exc})").about(
            "brightway_dir") from None
    hashes = {name: bool(full) for name, full in rows}
    if project not in hashes:
        names = ", ".join(repr(n) for n in sorted(hashes)) or "none"
        raise BackgroundError(f"no Brightway project {project!r} in {d}; its projects: {names}").about("project")
    folder = d / safe_filename(project, full=hashes[project])
    if not (folder / "lci" / "databases.db").is_file():
        raise BackgroundError(f"Brightway project {project!r} in {d} has no inventory data "
                              f"({folder / 'lci' / 'databases.db'} is missing)").about("project")
    return folder


def processed_name(database: str) -> str:
    """File name of a database's processed datapackage under ``processed/`` (as bw2data 4 names
    it: ``clean_datapackage_name(safe_filename(name) + ".zip")``)."""
    from bw_processing import clean_datapackage_name, safe_filename

    return clean_datapackage_name(safe_filename(database) + ".zip")


def project_databases(folder: Path) -> dict[str, dict]:
    """Metadata of every database of the project in ``folder`` (its ``databases.json``),
    checked to be usable without writing.

    Raises
    ------
    BackgroundError
        About ``project``: ``databases.json`` unreadable, or a database needs processing
        (``dirty``, never processed, or its datapackage is missing): processing writes to the
        project, so it is the user's step, in Brightway.
    """
    path = folder / "databases.json"
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise BackgroundError(f"{path} cannot be read: {exc}").about("project") from None
    stale = sorted(name for name, meta in metadata.items()
                   if meta.get("dirty") or not meta.get("processed")
                   or not (folder / "processed" / processed_name(name)).is_file())
    if stale:
        names = ", ".join(repr(n) for n in stale)
        raise BackgroundError(
            f"database{'s' if len(stale) > 1 else ''} {names} of {folder.name} need{'' if len(stale) > 1 else 's'} "
            "processing (changed since last processed, or never processed); processing writes to the project and "
            "pcf does not write to it: process it in Brightway first (bw2data.Database(NAME).process())"
        ).about("project")
    return metadata


def open_project(directory: str | Path, project: str) -> UserProject:
    """Open the user's project through a temporary overlay (module docstring) and make it the
    project :func:`pcf.core.bw.brightway` returns for the rest of the process.

    Parameters
    ----------
    directory : str or Path
        The user's Brightway data folder.
    project : str
        Project name.

    Returns
    -------
    UserProject
        The same object when that project is open already.

    Raises
    ------
    BackgroundError
        As :func:`project_folder` and :func:`project_databases`; bw2data already imported in
        this process (with another data folder, or pcf's own project in use): the overlay must
        be chosen before bw2data is imported.
    """
    opened = bw.user_project()
    folder = project_folder(directory, project)
    if opened is not None:
        if opened.project_dir.resolve() == folder.resolve():
            return opened
        raise BackgroundError(f"{opened.describe()} is open in this process already; one process computes "
                              "against one Brightway project").about("project")
    if "bw2data" in sys.modules:
        raise BackgroundError(
            f"bw2data is already imported in this process (BRIGHTWAY2_DIR={os.environ.get('BRIGHTWAY2_DIR')}): "
            "pcf reads a Brightway project through a temporary data folder of its own, which must be chosen "
            "before bw2data is imported; run pcf in its own process, or call it before importing bw2data"
        ).about("brightway_dir")
    metadata = project_databases(folder)
    overlay = Path(tempfile.mkdtemp(prefix="pcf-bw-"))
    atexit.register(shutil.rmtree, overlay, True)
    bd = bw.open_overlay(overlay)
    rows = _read_nodes(folder / "lci" / "databases.db")
    alias = _biosphere_alias(bd, rows, metadata)
    opened = UserProject(Path(directory).expanduser(), project, folder, tuple(sorted(metadata)), overlay)
    if alias is not None:
        rows = _renamed(rows, alias)
        metadata = {BIOSPHERE if name == alias else name: meta for name, meta in metadata.items()}
        for meta in metadata.values():
            meta["depends"] = [BIOSPHERE if d == alias else d for d in meta.get("depends") or []]
        opened.notes.append(f"the project's elementary flows {alias!r} are read as {BIOSPHERE} (pcf's methods and "
                            "model emissions name flows by their ecoinvent codes)")
    _write_nodes(rows)
    target = Path(bd.projects.dir) / "processed"
    for name, meta in metadata.items():
        copy = target / processed_name(name)
        shutil.copyfile(folder / "processed" / processed_name(alias if name == BIOSPHERE and alias else name), copy)
        meta.setdefault("pcf_source", f"{opened.describe()}, processed datapackage {copy.name}")
        meta.setdefault("pcf_sha256", hashlib.sha256(copy.read_bytes()).hexdigest())
    bd.databases.data.update(metadata)
    bd.databases.flush()
    bw.set_user_project(opened)
    return opened


def _read_nodes(source: Path) -> list[tuple]:
    """Every row of the user's ``activitydataset`` (:data:`NODE_COLUMNS`), read only.

    Raises
    ------
    BackgroundError
        The user's ``databases.db`` cannot be read or lacks a column bw2data 4 writes.
    """
    try:
        con = read_only(source)
        try:
            present = {row[1] for row in con.execute("PRAGMA table_info(activitydataset)")}
            if not set(NODE_COLUMNS) <= present:
                raise BackgroundError(f"{source} is not a Brightway 2.5 inventory (table activitydataset lacks "
                                      f"{', '.join(sorted(set(NODE_COLUMNS) - present))})").about("project")
            return con.execute(f"SELECT {', '.join(NODE_COLUMNS)} FROM activitydataset").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise BackgroundError(f"{source} cannot be read: {exc}").about("project") from None


def _biosphere_alias(bd, rows: list[tuple], metadata: dict) -> str | None:
    """The database to read as ``biosphere3`` when the project has none: its one database of
    elementary flows only (bw2io names ecoinvent 3.10's ``ecoinvent-3.10-biosphere``); None when
    it has ``biosphere3``, or no or several such databases."""
    if BIOSPHERE in metadata:
        return None
    types: dict[str, set] = {}
    for row in rows:
        types.setdefault(row[3], set()).add(row[7])
    lci = set(bd.labels.lci_node_types)  # processes and products; every other node type is an elementary flow
    candidates = [name for name, kinds in types.items() if name in metadata and kinds and not kinds & lci]
    return candidates[0] if len(candidates) == 1 else None


def _renamed(rows: list[tuple], alias: str) -> list[tuple]:
    """``rows`` with the nodes of ``alias`` moved to the database ``biosphere3`` (column and the
    pickled ``database`` field; ids unchanged, so the datapackages still fit)."""
    out = []
    for row in rows:
        if row[3] == alias:
            data = pickle.loads(bytes(row[1]))
            data["database"] = BIOSPHERE
            row = (row[0], pickle.dumps(data, protocol=4), row[2], BIOSPHERE, *row[4:])
        out.append(row)
    return out


def _write_nodes(rows: list[tuple]) -> None:
    """Insert ``rows`` into the overlay's ``activitydataset`` (ids unchanged), with the index on
    ``(database, code)`` bw2data gives it."""
    from bw2data.backends import sqlite3_lci_db

    db = sqlite3_lci_db.db
    with db.atomic():
        db.connection().executemany(
            f"INSERT INTO activitydataset ({', '.join(NODE_COLUMNS)}) VALUES ({', '.join('?' * len(NODE_COLUMNS))})",
            rows)
        # the index bw2data adds after writing a database (SQLiteBackend._add_indices): lookups by key
        db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "activitydataset_key" ON "activitydataset" ("database", "code")')
