"""A digest of pcf's own Python source: what made a cached figure, so a cache written by another
pcf (another version, or the same version with edited code) is never used."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .. import __version__


@lru_cache(maxsize=1)
def source_digest() -> str:
    """``pcf <version> src <first 16 hex digits of a SHA-256>`` over every ``pcf/**/*.py`` file
    (relative path and bytes, in path order), like the PACT cache's exporter version
    (:func:`pcf.serve.host.exporter_version`).

    Returns
    -------
    str
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return f"pcf {__version__} src {digest.hexdigest()[:16]}"
