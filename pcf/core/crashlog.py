"""Internal errors: the traceback goes to a log file, the user sees one line and its path.

A command that fails with an exception pcf did not raise on purpose (not a
:class:`pcf.core.errors.PCFError`) is a bug. The command line prints ``internal error`` with the
path of the file written here and exits 1 (issue 19 part 4); the traceback, the command line,
the pcf and Python versions are in the file, for a bug report. Only the newest :data:`KEEP` logs
are kept.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

KEEP = 50
"""Number of internal-error logs kept in ``PCF_HOME/logs`` (older ones are removed)."""


def log_folder() -> Path:
    """``PCF_HOME/logs`` (:func:`pcf.core.bw.pcf_home`)."""
    from .bw import pcf_home

    return pcf_home() / "logs"


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of ``exc`` to a new file and return its path.

    The file is ``PCF_HOME/logs/internal-error-<UTC time>-<pid>.log``; when that folder cannot
    be written (a read-only ``PCF_HOME``), the same name in the system's temporary folder.

    Parameters
    ----------
    exc : BaseException
        The unexpected exception (with its ``__traceback__``).

    Returns
    -------
    Path
        The log file written.
    """
    from .. import __version__

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"internal-error-{stamp}-{os.getpid()}.log"
    text = "".join([
        f"pcf {__version__}, Python {platform.python_version()} on {platform.platform()}\n",
        f"command: {' '.join(sys.argv)}\n",
        f"time: {stamp}\n\n",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ])
    for folder in _folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            with path.open("x", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
        except OSError:
            continue
        _prune(folder)
        return path
    raise OSError("no folder to write the internal-error log to")  # pragma: no cover - /tmp unwritable


def _folders():
    try:
        yield log_folder()
    except Exception:  # noqa: BLE001 - PCF_HOME itself unusable: the temporary folder still works
        pass
    yield Path(tempfile.gettempdir()) / "pcf-logs"


def _prune(folder: Path) -> None:
    """Remove all but the newest :data:`KEEP` internal-error logs of ``folder``."""
    logs = sorted(folder.glob("internal-error-*.log"))
    for old in logs[:-KEEP]:
        try:
            old.unlink()
        except OSError:
            pass
