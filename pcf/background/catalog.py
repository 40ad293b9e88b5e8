"""The installed background databases: list and remove (``pcf db list``, ``pcf db remove``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..core.bw import OPEN_DEFAULT_DATABASE as OPEN_DEFAULT
from ..core.bw import brightway, locked, quiet
from ..core.errors import BackgroundError


@dataclass(frozen=True)
class DatabaseEntry:
    """One installed Brightway database.

    Attributes
    ----------
    name : str
        Name a model uses in ``study.background`` (``open-default`` for ``pcf-open-default``).
    database : str
        Brightway database name.
    kind : str
        ``open-default``, ``table`` (a pcf background table), ``biosphere`` (biosphere3, or
        the ``<name>-biosphere`` companion of an import), ``foreground`` (written by
        ``pcf footprint``) or ``imported`` (``pcf db import``).
    activities : int
        Number of activities (or elementary flows, for the biosphere).
    source : str
        Description recorded when it was written; for an import: file, format, unlinked counts.
    version : str
        ``sha256:<first 12 hex>`` of the source content where pcf knows it, else ``""``.
    sha256 : str
        Full content hash of the source [hex], or ``""``.
    """

    name: str
    database: str
    kind: str
    activities: int
    source: str
    version: str
    sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


def _kind(database: str, meta: dict) -> str:
    if database == OPEN_DEFAULT:
        return "open-default"
    if database == "biosphere3" or meta.get("backend") == "biosphere":
        return "biosphere"
    if database.startswith("pcf-fg-"):
        return "foreground"
    if meta.get("pcf_kind") == "table":
        return "table"
    if meta.get("pcf_kind") == "imported-biosphere":
        return "biosphere"
    return "imported"


def _source(meta: dict) -> str:
    """Description; for ``pcf db import`` databases: file, format and unlinked counts."""
    if meta.get("pcf_kind") != "imported":
        return meta.get("description", "")
    unlinked = meta.get("pcf_unlinked") or {}
    counts = ", ".join(f"{k} {v}" for k, v in sorted(unlinked.items())) or "none"
    return f"{meta.get('pcf_source', '')} ({meta.get('pcf_format', '')}); unlinked: {counts}"


def list_databases() -> list[DatabaseEntry]:
    """Every database in the pcf Brightway project, backgrounds first; not those of an import in
    progress or interrupted (``pcf_import_pending``, :func:`pcf.importers.database.recover_interrupted`).

    Returns
    -------
    list of DatabaseEntry
        Sorted by kind (open default, tables, imported, biosphere, foregrounds), then name.
    """
    bd = brightway()
    order = {"open-default": 0, "table": 1, "imported": 2, "biosphere": 3, "foreground": 4}
    entries = []
    for database in bd.databases:
        meta = bd.databases[database]
        if meta.get("pcf_import_pending"):  # being imported, or left by a killed import (removed by the next one)
            continue
        sha = meta.get("pcf_sha256") or meta.get("pcf_model_sha256") or ""
        entries.append(DatabaseEntry(
            name="open-default" if database == OPEN_DEFAULT else database,
            database=database,
            kind=_kind(database, meta),
            activities=len(bd.Database(database)),
            source=_source(meta),
            version=f"sha256:{sha[:12]}" if sha else "",
            sha256=sha,
        ))
    return sorted(entries, key=lambda e: (order[e.kind], e.name))


def remove_database(name: str) -> DatabaseEntry:
    """Remove an installed database.

    Parameters
    ----------
    name : str
        As listed by :func:`list_databases` (``open-default`` or a Brightway name).

    Returns
    -------
    DatabaseEntry
        What was removed.

    Raises
    ------
    BackgroundError
        Unknown name (the message lists the installed ones), or ``biosphere3``, which every
        background links to (rebuild everything with ``pcf setup --force`` instead).
    """
    entries = {e.name: e for e in list_databases()} | {e.database: e for e in list_databases()}
    entry = entries.get(name)
    if entry is None:
        names = ", ".join(sorted({e.name for e in entries.values()})) or "none"
        raise BackgroundError(f"no database {name!r} installed; installed: {names}")
    if entry.kind == "biosphere" and bd_meta(entry.database).get("pcf_kind") != "imported-biosphere":
        raise BackgroundError(f"{entry.database} holds the elementary flows every background links to; "
                              "to rebuild it run `pcf setup --force`")
    bd = brightway()
    with locked(), quiet():
        if entry.database not in bd.databases:  # removed by another run meanwhile
            raise BackgroundError(f"no database {entry.database!r} installed any more (removed meanwhile)")
        companion = bd.databases[entry.database].get("pcf_biosphere") if entry.kind == "imported" else ""
        del bd.databases[entry.database]
        if companion and companion in bd.databases:  # elementary flows written by `pcf db import`
            del bd.databases[companion]
    return entry


def bd_meta(database: str) -> dict:
    """Metadata of an installed database ({} when absent)."""
    bd = brightway()
    return dict(bd.databases[database]) if database in bd.databases else {}
