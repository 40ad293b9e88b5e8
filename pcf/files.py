"""Atomic file output: a reader never sees a half-written file, a failure changes nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def output_stem(result: dict) -> str:
    """File-name stem of a result's outputs: ``<product id>`` for the model as written,
    ``<product id>.<scenario>`` for a scenario, so scenarios never overwrite each other
    (``SKU-1.result.json``, ``SKU-1.grid_east_china.result.json``, ``...label.pdf``)."""
    pid = result["product"]["id"]
    scenario = (result.get("scenario") or {}).get("name")
    return f"{pid}.{scenario}" if scenario else pid


def write_atomic(files: dict[Path, bytes]) -> None:
    """Write files atomically: each goes to a temporary file in its folder, then ``os.replace``.

    All temporary files are written (and fsynced) before any is moved into place, so a
    failure while writing leaves none of the target files changed.

    Parameters
    ----------
    files : dict of Path to bytes
        Target path -> content. Folders must exist.

    Raises
    ------
    OSError
        A file cannot be written; the temporary files are removed first.
    """
    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            fd, tmp = tempfile.mkstemp(dir=Path(target).parent, prefix=f".{Path(target).name}.", suffix=".tmp")
            temps.append((tmp, Path(target)))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
