"""Cached characterised backgrounds (issue 18 part 3).

Characterising a background (:func:`pcf.lca.prepare.characterise`: one sparse LU of ``A^T``,
one solve per ISO 14067 category) is most of a footprint's time on a large background, and it
does not depend on the foreground. Its result, the intensities of every activity of the
background (per category [kg CO2e / unit] and biogenic CO2 masses [kg CO2 / unit], by
Brightway node id), is kept in ``PCF_HOME/cache/background/<key>.npz``.

The key is the SHA-256 of the canonical JSON of :func:`background_key`'s material: for every
database of the calculation (the linked databases and all they depend on, biosphere included)
the SHA-256 of its processed datapackage (the matrices bw2calc builds) and its metadata (which
holds bw2data's ``modified`` time of any edit, such as a renamed flow), the method's name and
the content hash of its characterisation factors (:func:`pcf.background.methods.method_sha256`),
pcf's version and source digest (:func:`pcf.core.srcdigest.source_digest`), and the versions of
the Brightway packages, NumPy and SciPy. Any change to any of them gives another key.

A file is ``MAGIC``, the hex SHA-256 of the payload, a newline, and the payload (an ``.npz``
with ``ids``, ``intensity``, ``mass`` and the key material as JSON). It is written to a
temporary file and renamed into place (:func:`pcf.core.files.write_atomic`), so two processes
filling the same entry at once each leave a whole file; a reader checks the checksum and the
material and treats anything else as absent (and the caller writes it again).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from importlib.metadata import version as dist_version
from pathlib import Path

import numpy as np

from ..core.bw import pcf_home
from ..core.files import folder_usage, prune_oldest, read_private, remove_cache, write_atomic
from ..core.srcdigest import source_digest

MAGIC = b"pcf-background-cache/1\n"
FORMAT = 1
PACKAGES = ("bw2data", "bw2calc", "bw_processing", "matrix_utils", "numpy", "scipy")
MAX_ENTRIES = 32
"""Entries kept; storing one more removes the least recently written (each is ~60 bytes per
background activity: 1.2 MB for 20,000 activities)."""


@dataclass(frozen=True)
class BackgroundKey:
    """What a cached characterisation was made from (``material``) and its SHA-256 (``digest``,
    the file name)."""

    material: dict
    digest: str


@dataclass(frozen=True)
class Cached:
    """A characterised background: node ids, shape (n,); ``intensity`` (n, 4) per ISO 14067
    category [kg CO2e / unit]; ``mass`` (n, 2) biogenic CO2 emitted and taken up [kg CO2 / unit]."""

    ids: np.ndarray
    intensity: np.ndarray
    mass: np.ndarray


def cache_folder() -> Path:
    """``PCF_HOME/cache/background`` (not created here)."""
    return pcf_home() / "cache" / "background"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def background_key(bd, databases: list[str], method: tuple, method_hash: str) -> BackgroundKey:
    """The key of the characterisation of ``databases`` (and every database they depend on)
    under ``method``.

    Parameters
    ----------
    bd : module
        ``bw2data`` in the pcf project (or the user-project overlay).
    databases : list of str
        The databases the foreground links.
    method : tuple of str
        Brightway method name.
    method_hash : str
        :func:`pcf.background.methods.method_sha256` of it.

    Returns
    -------
    BackgroundKey
    """
    bd.databases.clean()  # process edited databases first, as bw2data's prepare_lca_inputs does
    names = sorted(set().union(*(bd.Database(d).find_graph_dependents() for d in databases)))
    material = {
        "format": FORMAT,
        "pcf": source_digest(),
        "packages": {p: dist_version(p) for p in PACKAGES},
        "method": {"name": list(method), "sha256": method_hash},
        "databases": {n: {"processed_sha256": _file_sha256(Path(bd.Database(n).filepath_processed())),
                          "metadata": json.loads(_json(bd.databases[n]))} for n in names},
    }
    return key_of(material)


def key_of(material: dict) -> BackgroundKey:
    """The key of ``material``: the SHA-256 of its canonical JSON."""
    return BackgroundKey(material, hashlib.sha256(_json(material).encode("utf-8")).hexdigest())


def path_of(key: BackgroundKey) -> Path:
    """The cache file of ``key``."""
    return cache_folder() / f"{key.digest}.npz"


def load(key: BackgroundKey) -> Cached | None:
    """The cached characterisation of ``key``, or None when there is none, or the file is not
    whole (checksum), or it was made from other material (another pcf, other databases).

    Returns
    -------
    Cached or None
    """
    raw = read_private(path_of(key))  # written by this user alone (forged intensities change footprints)
    if raw is None:
        return None
    head = len(MAGIC)
    if not raw.startswith(MAGIC) or raw[head + 64:head + 65] != b"\n":
        return None
    payload = raw[head + 65:]
    if hashlib.sha256(payload).hexdigest().encode("ascii") != raw[head:head + 64]:
        return None
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            if json.loads(str(npz["key"])) != json.loads(_json(key.material)):
                return None
            cached = Cached(npz["ids"], npz["intensity"], npz["mass"])
    except (ValueError, KeyError, OSError):
        return None
    n = len(cached.ids)
    if cached.intensity.shape[0] != n or cached.mass.shape[0] != n:
        return None
    return cached


def store(key: BackgroundKey, cached: Cached) -> None:
    """Write ``cached`` as the entry of ``key`` (atomically; a concurrent writer of the same
    key leaves an equally whole file).

    Raises
    ------
    OSError
        The cache folder cannot be written.
    """
    buffer = io.BytesIO()
    np.savez(buffer, ids=np.asarray(cached.ids, dtype=np.int64), intensity=np.asarray(cached.intensity, dtype=float),
             mass=np.asarray(cached.mass, dtype=float), key=np.array(_json(key.material)))
    payload = buffer.getvalue()
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic({path_of(key): MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload},
                 mode=0o600)
    prune_oldest(folder, "*.npz", MAX_ENTRIES)


def cache_info() -> dict:
    """``{folder, files, bytes}`` of the background cache."""
    return {"folder": str(cache_folder()), **folder_usage(cache_folder(), "*.npz")}


def clear() -> dict:
    """Remove the background cache folder.

    Returns
    -------
    dict
        :func:`cache_info` of what was removed.

    Raises
    ------
    OSError
        A file cannot be removed.
    """
    info = remove_cache(cache_folder(), "*.npz")
    return {"folder": str(cache_folder()), **info}
