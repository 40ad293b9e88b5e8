"""``pcf db import``: a background database from openLCA JSON-LD, EcoSpold1, EcoSpold2 or Excel.

Each format goes through bw2io's importer with its default strategies (one module per format:
:mod:`.jsonld`, :mod:`.ecospold1`, :mod:`.ecospold2`, :mod:`.excel`), plus the steps pcf needs so
that the result is a complete, solvable Brightway database in which nothing was dropped without
a trace.

What happens to exchanges still unlinked after the strategies (the explicit policy):

- **biosphere**: each distinct flow (name, categories, unit) is written to a companion
  biosphere database ``<name>-biosphere`` and linked there, so its mass is kept and
  visible. No LCIA method characterises it: those that look like greenhouse gases are
  listed separately in ``ImportReport.unlinked_ghg`` as a warning, because their GWP is lost.
- **technosphere** (and substitution): each distinct product without a provider in the
  source becomes a flagged placeholder activity in the database (``pcf_unlinked: True``,
  code ``pcf-unlinked-<hash>``) with a production exchange and no burden, i.e. an explicit
  cut-off. This is how US LCI itself treats its ``CUTOFF`` and ``Dummy`` flows. A model
  that relies on one understates its footprint: the report lists them.
- **production**: linked to the activity itself; any left is listed.

Datasets with several products (JSON-LD, EcoSpold1) are split by :mod:`.allocation` before
linking (``allocation``: mass by default); greenhouse gases left unlinked by name are linked by
CAS number or designation (:func:`.common.link_gases`); names are trimmed.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core.bw import OPEN_DEFAULT_DATABASE, brightway, delete_database, locked, quiet
from ..core.errors import ImportFailed
from . import archive, ecospold1, ecospold2, excel, jsonld
from .allocation import METHODS as ALLOCATIONS
from .archive import ArchiveLimits, limits_from_env
from .common import ImportReport, UnlinkedFlow, is_ghg

FORMATS = ("jsonld", "ecospold1", "ecospold2", "excel")
PROTECTED = ("biosphere3", OPEN_DEFAULT_DATABASE)
READERS = {"jsonld": jsonld.read, "ecospold1": ecospold1.read, "ecospold2": ecospold2.read, "excel": excel.read}
"""Format -> reader: each returns a bw2io importer whose strategies have been applied."""


def import_database(path: str | Path, fmt: str, name: str, *, biosphere: str = "biosphere3",
                    replace: bool = False, allocation: str = "mass",
                    progress: Callable[[str], None] = lambda msg: None,
                    limits: ArchiveLimits | None = None) -> ImportReport:
    """Import an LCI database with bw2io and write it as Brightway database ``name``.

    Parameters
    ----------
    path : str or Path
        A zip file, a folder, or (EcoSpold1, Excel) a single file.
    fmt : str
        ``jsonld``, ``ecospold1``, ``ecospold2`` or ``excel``.
    name : str
        Database name; a model refers to it with ``study.background: NAME``.
    biosphere : str
        Elementary-flow database to link to (``biosphere3``, written by ``pcf setup``).
    replace : bool
        Overwrite an existing database of that name (and its companion biosphere).
    allocation : str
        ``mass`` (default), ``energy``, ``economic`` or ``none``: the basis on which datasets
        with several products and no allocation factors of their own are split (JSON-LD,
        EcoSpold1; :mod:`pcf.importers.allocation`). Stated per dataset in
        ``ImportReport.allocations``.
    progress : callable
        Receives one line per step.
    limits : ArchiveLimits, optional
        Bounds on what a zip may unpack to (:mod:`pcf.importers.archive`); default
        :func:`pcf.importers.archive.limits_from_env`.

    Returns
    -------
    ImportReport
        Counts, unlinked exchanges (policy in the module docstring), content hash.

    Raises
    ------
    ImportFailed
        Unknown format or allocation basis, missing path, reserved or existing name,
        unreadable or empty input, biosphere database missing; a zip member outside the
        archive, a zip over the limits, an XML entity declaration (:mod:`.archive`). Nothing
        is left written: on any failure during writing the database and its companion are
        deleted (an existing one is kept unless writing the new one had begun with
        ``replace=True``).

    Both databases are written under the lock of ``PCF_HOME`` (:func:`pcf.core.bw.locked`) and
    marked ``pcf_import_pending`` until both are complete, when one write of bw2data's database
    list clears the mark on both. An import killed on the way (kill -9, power cut) leaves marked
    databases, which the next import removes before it checks the name
    (:func:`recover_interrupted`), as it removes a companion ``NAME-biosphere`` without its
    ``NAME`` left by an older pcf.
    """
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if allocation not in ALLOCATIONS:
        raise ImportFailed(f"unknown allocation basis {allocation!r}; use one of: {', '.join(ALLOCATIONS)}"
                           ).about("allocation")
    path = Path(path).expanduser()
    if not path.exists():
        raise ImportFailed(f"{path} does not exist; give the zip file or folder to import")
    limits = limits or limits_from_env()
    bd = brightway()
    with locked():
        for left in recover_interrupted(bd):
            progress(f"removed {left!r}, left by an interrupted import")
        _validate_name(name, bd, replace)
        if biosphere not in bd.databases:
            raise ImportFailed(f"biosphere database {biosphere!r} is not installed: run `pcf setup` first")
    report = ImportReport(name=name, format=fmt, source=path.name, sha256=_sha256(path), allocation=allocation)
    progress(f"reading {path.name} ({fmt}) ...")
    data = _read_activities(path, fmt, name, biosphere, report, bd, limits)
    seen: Counter = Counter()
    for ds in data:  # same name, unit, location and category twice: keep both, number the later ones
        seen[ds["code"]] += 1
        if seen[ds["code"]] > 1:
            report.duplicates.append(ds.get("name", ""))
            ds["code"] = f"{ds['code']}-{seen[ds['code']]}"
    progress("linking ...")
    _one_reference_product(data, name, report)
    placeholders, companion = _resolve_unlinked(data, name, report)
    records = {(name, ds["code"]): _clean(ds) for ds in data}
    records.update({k: _clean(v) for k, v in placeholders.items()})
    report.activities = len(records)
    report.exchanges = sum(len(r["exchanges"]) for r in records.values())
    progress(f"writing {report.activities} activities ...")
    with locked():
        _validate_name(name, bd, replace)  # again: another run may have taken the name while this one read
        _write(bd, path, fmt, name, biosphere, records, companion, report, started)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _read_activities(path: Path, fmt: str, name: str, biosphere: str, report: ImportReport, bd,
                     limits: ArchiveLimits) -> list[dict]:
    """The activities of ``path`` read by the format's bw2io importer, each with ``database``
    ``name`` and a ``code``.

    Raises
    ------
    ImportFailed
        The archive is refused (:mod:`.archive`), bw2io cannot read the input as ``fmt``, or
        it holds no activities.
    """
    from bw2io.migrations import create_core_migrations, migrations

    with quiet():
        if "biosphere-2-3-names" not in migrations:
            create_core_migrations()
    with _unpacked(path, limits) as folder:
        if fmt in ("ecospold1", "ecospold2"):
            archive.check_xml_files(folder)  # no entity declaration reaches an XML parser
        try:
            with quiet():
                imp = READERS[fmt](folder, name, biosphere, report, bd)
        except ImportFailed:
            raise
        except Exception as exc:  # bw2io / parser failures on malformed input
            raise ImportFailed(f"{path.name}: bw2io could not read it as {fmt} "
                               f"({type(exc).__name__}: {exc}); check the format and the file").about("fmt") from exc
    data = [ds for ds in imp.data if ds.get("type", "process") not in ("emission", "product")]
    if not data:
        raise ImportFailed(f"{path.name}: no activities found; check the format ({fmt}) and the file").about("fmt")
    for ds in data:
        ds["database"] = name
        if not ds.get("code"):
            ds["code"] = _code(ds.get("name"), ds.get("reference product"), ds.get("location"), ds.get("unit"))
    return data


def _write(bd, path: Path, fmt: str, name: str, biosphere: str, records: dict, companion: dict,
           report: ImportReport, started: float) -> None:
    """Write database ``name`` (and its companion biosphere of unmatched flows) in one go.

    Raises
    ------
    ImportFailed
        Writing failed; both databases are deleted, nothing is kept.
    """
    bio_db = f"{name}-biosphere"
    try:
        for db in (name, bio_db):
            delete_database(bd, db)
        with quiet():
            if companion:
                cdb = bd.Database(bio_db)
                cdb.register(description=f"elementary flows of {path.name} with no {biosphere} match (pcf import)",
                             pcf_kind="imported-biosphere", pcf_source=path.name, pcf_sha256=report.sha256,
                             pcf_import_pending=True)
                cdb.write({k: _clean(v) for k, v in companion.items()})
            db = bd.Database(name)
            report.seconds = round(time.perf_counter() - started, 2)
            db.register(
                description=f"{path.name} ({fmt}, imported by pcf)",
                pcf_kind="imported", pcf_format=fmt, pcf_source=path.name, pcf_sha256=report.sha256,
                pcf_unlinked=report.unlinked, pcf_placeholders=report.placeholders,
                pcf_biosphere=bio_db if companion else "", pcf_import_pending=True,
            )
            db.write(records)
        for d in (name, bio_db):  # both complete: one write of the database list clears both marks
            if d in bd.databases:
                bd.databases[d].pop("pcf_import_pending", None)
        bd.databases.flush()
    except Exception as exc:
        for d in (name, bio_db):
            delete_database(bd, d)
        raise ImportFailed(f"writing {name!r} failed ({type(exc).__name__}: {exc}); nothing was kept") from exc


def recover_interrupted(bd) -> list[str]:
    """Remove what interrupted imports left: databases still marked ``pcf_import_pending`` and
    companion ``NAME-biosphere`` databases (``pcf_kind: imported-biosphere``) whose ``NAME`` is
    missing or names another companion. Call it holding :func:`pcf.core.bw.locked` (an import
    in progress holds it, so what is marked here is not being written).

    Returns
    -------
    list of str
        The databases removed.
    """
    left = []
    for db in sorted(bd.databases):
        meta = bd.databases[db]
        owner = db[:-len("-biosphere")] if db.endswith("-biosphere") else None
        orphan = (meta.get("pcf_kind") == "imported-biosphere" and owner is not None
                  and (owner not in bd.databases or bd.databases[owner].get("pcf_biosphere") != db))
        if meta.get("pcf_import_pending") or orphan:
            left.append(db)
    for db in left:
        delete_database(bd, db)
    return left


def _validate_name(name: str, bd, replace: bool) -> None:
    if not name or not name.strip() or name != name.strip():
        raise ImportFailed("the database name is empty or has leading/trailing spaces; choose e.g. `uslci-2021`"
                           ).about("name")
    if name in PROTECTED or name == "open-default" or name.startswith("pcf-fg-") or name.endswith("-biosphere"):
        raise ImportFailed(f"{name!r} is reserved (biosphere3, pcf-open-default, open-default, pcf-fg-*, "
                           "*-biosphere are written by pcf itself); choose another name").about("name")
    if not replace:
        for db in (name, f"{name}-biosphere"):
            if db in bd.databases:
                raise ImportFailed(f"database {db!r} already exists; replace it or choose another name "
                                   "(`pcf db list` shows the installed ones)").about("replace")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(path)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _code(*parts) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:20]


@contextlib.contextmanager
def _unpacked(path: Path, limits: ArchiveLimits) -> Iterator[Path]:
    """The input as a folder: a zip is checked (:func:`.archive.check_zip`: names, sizes, ratio)
    and extracted to a temporary folder, removed afterwards; a workbook (itself a zip) is only
    checked."""
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        yield path
        return
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    tmp = None if workbook else Path(tempfile.mkdtemp(prefix="pcf-import-"))
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                members = archive.check_zip(path, zf, limits)
                if tmp is not None:
                    archive.extract(path, zf, members, tmp, limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError,
                RuntimeError) as exc:
            raise ImportFailed(f"{path}: cannot unpack the zip ({exc}); check the download "
                               "(compare its sha256) or import the unpacked folder") from None
        yield path if tmp is None else tmp
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _one_reference_product(data: list, name: str, report: ImportReport) -> None:
    """Keep one production exchange per activity (its reference product); list the others in
    ``report.coproducts_cut_off`` (all burdens stay with the reference product). JSON-LD and
    EcoSpold1 datasets were split before (:mod:`.allocation`); this is for EcoSpold2 / Excel."""
    for ds in data:
        prods = [e for e in ds.get("exchanges", []) if e.get("type") == "production"]
        own = (name, ds.get("code"))
        if len(prods) == 1 and not prods[0].get("input"):
            prods[0]["input"] = own
        if len(prods) <= 1:
            continue
        ref = next((e for e in prods if tuple(e.get("input") or ()) == own), None) or next(
            (e for e in prods if e.get("name") in (ds.get("reference product"), ds.get("name"))), prods[0])
        ref.setdefault("input", own)
        for e in prods:
            if e is not ref:
                report.coproducts_cut_off.append({"process": ds.get("name"), "flow": e.get("name"),
                                                  "amount": e.get("amount"), "unit": e.get("unit", ""),
                                                  "why": f"{report.format}: not allocated by pcf"})
        ds["exchanges"] = [e for e in ds["exchanges"] if e is ref or e.get("type") != "production"]


def _resolve_unlinked(data: list, name: str, report: ImportReport) -> tuple[dict, dict]:
    """Apply the unlinked-exchange policy; return (placeholder activities, companion flows)."""
    bio_db = f"{name}-biosphere"
    counts: Counter = Counter()
    flows: dict[tuple, UnlinkedFlow] = {}
    placeholders: dict[tuple, dict] = {}
    companion: dict[tuple, dict] = {}
    for ds in data:
        for exc in ds.get("exchanges", []):
            if exc.get("input"):
                continue
            kind = exc.get("type", "technosphere")
            counts[kind] += 1
            unit = exc.get("unit") or ""
            if kind == "production":
                exc["input"] = (name, ds["code"])
                cats, loc = "", ds.get("location") or ""
            elif kind == "biosphere":
                cats_t = tuple(c for c in (exc.get("categories") or ()) if c)
                cats, loc = "/".join(cats_t), ""
                code = _code(exc["name"], cats, unit)
                companion[(bio_db, code)] = {"name": exc["name"], "categories": cats_t, "unit": unit,
                                             "type": "emission", "exchanges": [], "pcf_unlinked": True,
                                             "comment": f"elementary flow of {report.source} with no biosphere3 match"}
                exc["input"] = (bio_db, code)
            else:
                cats, loc = "", exc.get("location") or ""
                code = "pcf-unlinked-" + _code(exc["name"], unit, loc)
                placeholders[(name, code)] = {
                    "name": exc["name"], "reference product": exc["name"], "unit": unit,
                    "location": loc or "GLO", "type": "process", "code": code, "database": name,
                    "pcf_unlinked": True,
                    "comment": (f"Placeholder written by pcf: no provider for this input in {report.source}; "
                                "zero burden (cut-off). Link or replace it before relying on it."),
                    "exchanges": [{"input": (name, code), "amount": 1.0, "type": "production", "unit": unit}],
                }
                exc["input"] = (name, code)
            key = (kind, exc["name"], cats, unit, loc)
            if key not in flows:
                ghg = kind == "biosphere" and is_ghg(exc["name"])
                flows[key] = UnlinkedFlow(kind, exc["name"], cats, unit, loc, 0, ghg,
                                          exc.get("pcf_unlinked_reason", "") if ghg else "")
            flows[key].exchanges += 1
    report.unlinked = dict(counts)
    report.unlinked_flows = sorted(flows.values(), key=lambda f: (-f.exchanges, f.type, f.name))
    report.unlinked_ghg = [f for f in report.unlinked_flows if f.ghg]
    report.placeholders = len(placeholders)
    report.biosphere_database = bio_db if companion else ""
    return placeholders, companion


def _clean(ds: dict) -> dict:
    out = {k: v for k, v in ds.items() if k not in ("database",) and v is not None}
    out["exchanges"] = [
        {k: v for k, v in exc.items() if v is not None and k != "code" and not k.startswith("pcf_")}
        for exc in ds.get("exchanges", [])
    ]
    for exc in out["exchanges"]:
        # no uncertainty (stats_arrays 0) or undefined (1): loc is the amount itself
        if exc.get("uncertainty type") in (0, 1) and "loc" in exc and "amount" in exc:
            exc["loc"] = exc["amount"]
    return out
