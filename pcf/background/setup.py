"""``pcf setup``: build the background once, then reuse it.

Steps, each skipped when already done: biosphere3 (bw2io's ecoinvent 3.9 elementary flows),
the GWP100 methods (:mod:`pcf.background.methods`) with pcf's supplement flows added to
biosphere3 (:mod:`pcf.background.supplement`; rewritten when biosphere3 was rebuilt or lacks
them, or the methods are of another ``METHODS_VERSION``: an existing ``PCF_HOME`` gets them
on its next ``pcf setup``), the open default (rewritten when the
content hash of ``databases/open-default.csv`` or the way pcf writes it, ``TABLE_FORMAT``,
changes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.bw import brightway, locked, missing_hint, pcf_home, quiet, where
from ..core.errors import BackgroundError
from .methods import METHODS, METHODS_VERSION, write_methods
from .supplement import supplement_present
from .opendefault import DATABASE, SOURCE, TABLE_FORMAT, source_sha256, write_open_default


def database_name(background: str) -> str:
    """Brightway database name of a model's ``study.background`` (``open-default`` -> ``pcf-open-default``)."""
    return DATABASE if background == "open-default" else background


@dataclass(frozen=True)
class BackgroundInfo:
    """Provenance of a background database.

    Attributes
    ----------
    name : str
        As in the model (``open-default``).
    database : str
        Brightway database name.
    version : str
        Human version string.
    sha256 : str
        Content hash of the source table [hex].
    activities : int
        Number of activities.
    """

    name: str
    database: str
    version: str
    sha256: str
    activities: int


def background_info(background: str = "open-default") -> BackgroundInfo:
    """Provenance of an installed background.

    Raises
    ------
    BackgroundError
        Not installed (run ``pcf setup``).
    """
    bd = brightway()
    name = database_name(background)
    if name not in bd.databases:
        raise BackgroundError(f"background {background!r} is not installed in {where()}: {missing_hint()}")
    meta = bd.databases[name]
    sha = meta.get("pcf_sha256", "")
    return BackgroundInfo(background, name, f"{background} sha256:{sha[:12]}", sha, len(bd.Database(name)))


def database_provenance(database: str) -> dict:
    """What a result says about one Brightway database it drew on.

    Parameters
    ----------
    database : str
        Brightway database name.

    Returns
    -------
    dict
        ``{database, kind, source, format, sha256, activities}``: ``kind`` is ``table`` (a
        pcf source table such as the open default), ``imported`` (``pcf db import``, with the
        file it came from and that file's SHA-256) or ``brightway`` (written by other tools;
        no content hash is known then).

    Raises
    ------
    BackgroundError
        The database is not installed.
    """
    bd = brightway()
    if database not in bd.databases:
        raise BackgroundError(f"database {database!r} is not installed in {where()}")
    meta = bd.databases[database]
    kind = meta.get("pcf_kind") or "brightway"
    if kind == "table":
        source = f"databases/{SOURCE.name}" if database == DATABASE else meta.get("description", "")
    else:
        source = meta.get("pcf_source") or meta.get("description") or ""
    from bw2data.backends import ActivityDataset as AD

    return {
        "database": database,
        "kind": kind,
        "source": source,
        "format": meta.get("pcf_format") or ("csv" if kind == "table" else None),
        "sha256": meta.get("pcf_sha256"),
        "activities": AD.select().where(AD.database == database).count(),
    }


def setup(force: bool = False, report: Callable[[str], None] = lambda msg: None) -> dict[str, str]:
    """Build the background under ``PCF_HOME`` (idempotent).

    Parameters
    ----------
    force : bool
        Rebuild every part even when present.
    report : callable
        Receives one line per step, for progress output.

    Returns
    -------
    dict of str to str
        Step -> ``"built"`` or ``"present"``.

    Raises
    ------
    BackgroundError, SourceError
        bw2io data missing, or the open-default table is invalid (nothing is replaced then:
        the table is validated before the database is rewritten).
    """
    bd = brightway()
    with locked():  # a second `pcf setup` (or a footprint) on this PCF_HOME waits, then finds it built
        done: dict[str, str] = {}
        if force or "biosphere3" not in bd.databases:
            report("writing biosphere3 (ecoinvent 3.9 elementary flows from bw2io) ...")
            with quiet():
                import bw2io

                bw2io.create_default_biosphere3(overwrite=True)
            done["biosphere3"] = "built"
        else:
            done["biosphere3"] = "present"
        if (force or done["biosphere3"] == "built" or not supplement_present(bd)
                or any(spec.name not in bd.methods or bd.methods[spec.name].get("pcf_methods_version") != METHODS_VERSION
                       for spec in METHODS.values())):
            report("writing pcf's supplement gases and the IPCC 2021, IPCC 2013 GWP100 and EF 3.1 climate-change methods ...")
            with quiet():
                write_methods(bd)
            done["methods"] = "built"
        else:
            done["methods"] = "present"
        sha = source_sha256(SOURCE) if SOURCE.exists() else None
        if sha is None:
            raise BackgroundError(f"{SOURCE} not found: the open default background table is missing")
        if (force or DATABASE not in bd.databases or bd.databases[DATABASE].get("pcf_sha256") != sha
                or bd.databases[DATABASE].get("pcf_table_format") != TABLE_FORMAT):
            report(f"writing the open default background from {SOURCE.name} ...")
            n = write_open_default(bd, SOURCE)
            done["open-default"] = f"built ({n} activities)"
        else:
            done["open-default"] = "present"
    return done
