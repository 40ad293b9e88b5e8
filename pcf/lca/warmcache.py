"""Warm footprints without Brightway (issue 18 part 3).

A second ``pcf footprint`` of an unchanged model needs nothing from Brightway that the first
did not already read: the background's intensities (:mod:`pcf.lca.bgcache`), the activities
and flows the foreground links, the method's description and the databases' provenance. The
first run keeps its whole preparation (:class:`pcf.lca.prepare.Prepared`, after the result
was evaluated, so with every activity the reports asked for) in
``PCF_HOME/cache/warm/<locator>.pickle``; the next run reads it, checks it against the
Brightway project *on disk* (never importing bw2data, which costs seconds) and computes the
foreground from it with NumPy / SciPy only.

The file is found by its *locator* (:func:`locate`: pcf's source digest, the foreground's
database, the method and the background); it is used only when its *state* equals the
project's state now (:func:`state`), read from the files bw2data keeps in the project folder:

- for every database of the calculation (the background and all it depends on, biosphere
  included; not the foreground): its entry in ``databases.json`` (bw2data's metadata, with the
  ``modified`` time of any edit and ``dirty`` before it is processed) and the SHA-256 of its
  processed datapackage (the matrices bw2calc reads);
- the SHA-256 of ``methods.json`` and of the method's processed datapackage (its factors);
- pcf's source digest (:func:`pcf.core.srcdigest.source_digest`) and the versions of the
  Brightway packages, NumPy and SciPy.

Any change of a database, of the method or of pcf gives another state (or locator) and the
footprint is computed as before (and the record written again). The foreground itself is
linked again from the model and must be what Brightway holds (:func:`pcf.graph.foreground_written`
on its ``databases.json`` entry): a changed model is written to Brightway by the full path.

A file is ``MAGIC``, the hex SHA-256 of the payload, a newline, and the payload (a pickle of
the record). It is written atomically (:func:`pcf.core.files.write_atomic`); a reader checks the
checksum and treats anything else as absent. The pickle is pcf's own, in the user's
``PCF_HOME`` (the same trust as the registry keys kept there); a file from another pcf is never
opened (the locator holds the source digest).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from importlib.metadata import version as dist_version
from pathlib import Path

from ..core.bw import pcf_home
from ..core.files import folder_usage, prune_oldest, read_private, remove_cache, write_atomic
from ..core.srcdigest import source_digest

MAGIC = b"pcf-warm-footprint/1\n"
PACKAGES = ("bw2data", "bw2calc", "bw2io", "bw_processing", "matrix_utils", "numpy", "scipy")
MAX_ENTRIES = 64
"""Records kept; storing one more removes the least recently written (each holds the
activities one model links: a few KB to a few hundred KB)."""


def cache_folder() -> Path:
    """``PCF_HOME/cache/warm`` (not created here)."""
    return pcf_home() / "cache" / "warm"


def locate(foreground: str, method: tuple, background: str) -> Path:
    """The record file of a model's foreground database under ``method`` on ``background``
    (written by this pcf: the source digest is part of the name)."""
    text = json.dumps([source_digest(), foreground, list(method), background], ensure_ascii=False)
    return cache_folder() / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}.pickle"


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def read_metadata(project: Path) -> dict | None:
    """bw2data's ``databases.json`` of the project folder ``project`` (name -> metadata), or
    None when it cannot be read."""
    try:
        return json.loads((project / "databases.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def state(project: Path, processed: dict, method_processed: str) -> dict | None:
    """What a warm record depends on, read from the project folder now.

    Parameters
    ----------
    project : Path
        bw2data's project folder (``projects.dir``).
    processed : dict of str to str
        Database name -> its processed datapackage, relative to ``project``.
    method_processed : str
        The method's processed datapackage, relative to ``project``.

    Returns
    -------
    dict or None
        ``{pcf, packages, databases: {name: {metadata, sha256}}, methods, method}``; None when
        a file is missing.
    """
    meta = read_metadata(project)
    if meta is None:
        return None
    databases = {}
    for name, rel in sorted(processed.items()):
        digest = _sha256(project / rel)
        if name not in meta or digest is None:
            return None
        databases[name] = {"metadata": meta[name], "processed": rel, "sha256": digest}
    methods, method = _sha256(project / "methods.json"), _sha256(project / method_processed)
    if methods is None or method is None:
        return None
    return {"pcf": source_digest(), "packages": {p: dist_version(p) for p in PACKAGES}, "databases": databases,
            "methods": methods, "method": {"processed": method_processed, "sha256": method}}


def load(path: Path) -> dict | None:
    """The record at ``path`` when it is whole and its state is the project's state now.

    Returns
    -------
    dict or None
        ``{project, processed, method_processed, state, prepared}``.
    """
    raw = read_private(path)  # written by this user alone (a pickle runs code)
    if raw is None:
        return None
    head = len(MAGIC)
    if not raw.startswith(MAGIC) or raw[head + 64:head + 65] != b"\n":
        return None
    payload = raw[head + 65:]
    if hashlib.sha256(payload).hexdigest().encode("ascii") != raw[head:head + 64]:
        return None
    try:
        record = pickle.loads(payload)
        project = Path(record["project"])
        now = state(project, record["processed"], record["method_processed"])
    except Exception:  # noqa: BLE001 - a record this pcf cannot read is absent, never an error
        return None
    if now is None or now != record["state"]:
        return None
    return record


def store(path: Path, project: Path, processed: dict, method_processed: str, before: dict | None,
          prepared) -> bool:
    """Write the record of ``prepared`` when the project's state now is ``before`` (what the
    preparation started from: nothing changed while it ran).

    Returns
    -------
    bool
        Whether it was written (False: the state changed, or the cache cannot be written).
    """
    now = state(project, processed, method_processed)
    if now is None or now != before:
        return False
    payload = pickle.dumps({"project": str(project), "processed": dict(processed), "method_processed": method_processed,
                            "state": now, "prepared": prepared}, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic({path: MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload}, mode=0o600)
    except OSError:  # a read-only PCF_HOME: every footprint is computed in full, as before
        return False
    prune_oldest(path.parent, "*.pickle", MAX_ENTRIES)
    return True


def cache_info() -> dict:
    """``{files, bytes}`` of the warm records."""
    return folder_usage(cache_folder(), "*.pickle")


def clear() -> dict:
    """Remove every warm record.

    Returns
    -------
    dict
        :func:`cache_info` of what was removed.

    Raises
    ------
    OSError
        A file cannot be removed.
    """
    return remove_cache(cache_folder(), "*.pickle")
