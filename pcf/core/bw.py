"""Where pcf keeps its Brightway data, and the one place that imports bw2data.

bw2data reads ``BRIGHTWAY2_DIR`` when it is imported and creates a default project there;
:func:`brightway` sets it to ``PCF_HOME/brightway`` first, then selects the ``pcf``
project. Import bw2data through this module only.

With the user's own Brightway project (:mod:`pcf.core.bwproject`), ``BRIGHTWAY2_DIR`` is a
temporary overlay instead (:func:`open_overlay`) and :func:`where` names that project in
messages.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

from .errors import BackgroundError

PROJECT = "pcf"
OPEN_DEFAULT_DATABASE = "pcf-open-default"
"""The Brightway database ``pcf setup`` writes from ``databases/open-default.csv`` (``study.background:
open-default``); importers must not overwrite it."""


_USER = None
"""The :class:`pcf.core.bwproject.UserProject` open in this process, or None (pcf's own project)."""


def user_project():
    """The user's Brightway project open in this process (:func:`pcf.core.bwproject.open_project`),
    or None when pcf uses its own project under ``PCF_HOME``."""
    return _USER


def set_user_project(project) -> None:
    """Record the user's project :func:`pcf.core.bwproject.open_project` opened."""
    global _USER
    _USER = project


def attach_overlay(project) -> None:
    """In a worker process (``pcf batch --jobs N``): use the overlay of the user's project that
    the driver opened (:class:`pcf.core.bwproject.UserProject`, alive as long as the driver),
    without copying anything; bw2data is imported on it when first needed."""
    global _USER
    if project is not None and _USER is None and "bw2data" not in sys.modules:
        os.environ["BRIGHTWAY2_DIR"] = str(project.overlay)
        _import_quietly()
        _USER = project


_WRITTEN: list[str] = []
"""The databases this process wrote for its own runs (``pcf-fg-*``, ``pcf-sup-*``), in order."""


def note_written(database: str) -> None:
    """Record that this process wrote ``database`` for a run (:func:`discard_written`)."""
    _WRITTEN.append(database)


def written_count() -> int:
    """How many databases this process has recorded so far (a mark for :func:`discard_written`)."""
    return len(_WRITTEN)


def discard_written(since: int = 0) -> list[str]:
    """Delete the databases recorded after mark ``since`` (a failed run leaves none behind).

    Returns
    -------
    list of str
        The databases deleted.
    """
    names = list(dict.fromkeys(_WRITTEN[since:]))
    del _WRITTEN[since:]
    if not names or "bw2data" not in sys.modules:
        return []
    bd = brightway()
    with locked():
        return [name for name in names if delete_database(bd, name)]


def delete_database(bd, name: str) -> bool:
    """Delete Brightway database ``name`` with its files (bw2data's own delete keeps the processed
    datapackage and the search index). Call it holding :func:`locked`.

    Returns
    -------
    bool
        Whether there was such a database.
    """
    if name not in bd.databases:
        return False
    db = bd.Database(name)
    files = (db.dirpath_processed() / db.filename_processed(), bd.projects.dir / "search" / db.filename)
    with quiet():
        del bd.databases[name]
    for path in files:
        with contextlib.suppress(OSError):
            path.unlink()
    return True


def where() -> str:
    """Where pcf's Brightway data is, for messages: ``PCF_HOME/brightway`` or ``Brightway
    project 'NAME' in DIR``."""
    return _USER.describe() if _USER is not None else str(pcf_home())


def missing_hint() -> str:
    """What to do about a missing database or method: ``run `pcf setup``` in pcf's own project;
    in the user's project, name its databases (pcf does not write to it)."""
    if _USER is None:
        return "run `pcf setup`"
    return f"its databases are {', '.join(repr(d) for d in _USER.databases) or 'none'} (name one in study.background)"


def open_overlay(overlay: Path):
    """Import bw2data with ``BRIGHTWAY2_DIR=overlay`` and the ``pcf`` project there current
    (:mod:`pcf.core.bwproject`; bw2data must not be imported yet).

    Returns
    -------
    module
        ``bw2data``.
    """
    os.environ["BRIGHTWAY2_DIR"] = str(overlay)
    _import_quietly()
    import bw2data

    with quiet():
        bw2data.projects.set_current(PROJECT)
    return bw2data


def pcf_home() -> Path:
    """The pcf data folder: ``$PCF_HOME`` or the platform's user-data folder for ``pcf``."""
    env = os.environ.get("PCF_HOME")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("pcf", appauthor=False))


def _import_quietly() -> None:
    """Import bw2data with its feedback logger bound to a null stream.

    bw2data builds a structlog printer on ``sys.stdout`` at import time and keeps it; binding
    it to ``os.devnull`` keeps Brightway's chatter out of pcf's output (pcf reports what
    matters itself). The pypardiso hint of bw2calc is silenced too.
    """
    import contextlib
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning, module="bw2calc")
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        import bw2data  # noqa: F401
        import bw2data.logs

        bw2data.logs.stdout_feedback_logger.info("pcf: Brightway feedback silenced")


@contextlib.contextmanager
def quiet():
    """Hide the progress bars and prints Brightway writes to stdout/stderr inside the block."""
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        yield


class _HomeLock:
    """State of :func:`locked` in this process: the open lock file, how deep the calls nest,
    and the process that took it (a forked child starts without it)."""

    guard = threading.RLock()
    fd: int | None = None
    depth = 0
    pid = 0


def _lock_path() -> Path:
    """The lock file of the Brightway folder in use: ``PCF_HOME/brightway/.pcf-lock`` (or the
    overlay's, for the user's project)."""
    if _USER is not None:
        return Path(os.environ["BRIGHTWAY2_DIR"]) / ".pcf-lock"
    return pcf_home() / "brightway" / ".pcf-lock"


@contextlib.contextmanager
def locked():
    """Hold the exclusive lock of pcf's Brightway folder inside the block (re-entrant).

    Every process that creates the project or writes to it (``pcf setup``, a foreground
    database, ``pcf db import`` / ``db remove``) holds it, so two runs sharing one ``PCF_HOME``
    wait for each other instead of failing (``no such table: bw2schema``, ``database is
    locked``) or losing each other's database list: on entry bw2data's ``databases`` and
    ``methods`` are read again from disk (bw2data keeps them in memory and writes them back
    whole). POSIX ``flock`` on ``.pcf-lock``, released when the process ends, also by kill -9;
    without ``fcntl`` (Windows) or on a read-only folder the block runs unlocked.
    """
    with _HomeLock.guard:
        if _HomeLock.pid != os.getpid():
            _HomeLock.fd, _HomeLock.depth, _HomeLock.pid = None, 0, os.getpid()
        if _HomeLock.depth == 0:
            _HomeLock.fd = _take_lock(_lock_path())
            if "bw2data" in sys.modules:
                _reload_metadata()
        _HomeLock.depth += 1
        try:
            yield
        finally:
            _HomeLock.depth -= 1
            if _HomeLock.depth == 0 and _HomeLock.fd is not None:
                os.close(_HomeLock.fd)  # closing the last descriptor releases the flock
                _HomeLock.fd = None


def _take_lock(path: Path) -> int | None:
    """Open ``path`` and wait for its exclusive ``flock``; None when that is not possible."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a read-only PCF_HOME: nothing will be written there either
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # pragma: no cover - a file system without locks
        os.close(fd)
        return None
    return fd


def _reload_metadata() -> None:
    """Read bw2data's metadata files again (``databases``, ``methods``, ``geomapping``, ...:
    ``bw2data.configuration.config.metadata``, what bw2data reads when a project is selected):
    another process may have changed them since this one read them."""
    from bw2data.configuration import config

    for meta in config.metadata:
        meta.load()


def brightway():
    """Import bw2data with its data under ``PCF_HOME/brightway`` and the ``pcf`` project current.

    Returns
    -------
    module
        ``bw2data``.

    Raises
    ------
    BackgroundError
        bw2data was already imported with another data folder (set ``PCF_HOME`` before
        anything imports bw2data).
    """
    if _USER is not None:
        import bw2data

        if bw2data.projects.current != PROJECT:
            bw2data.projects.set_current(PROJECT)
        return bw2data
    bwdir = pcf_home() / "brightway"
    bwdir.mkdir(parents=True, exist_ok=True)
    if "bw2data" in sys.modules:
        current = os.environ.get("BRIGHTWAY2_DIR")
        if current is None or Path(current).resolve() != bwdir.resolve():
            raise BackgroundError(
                f"bw2data was imported before pcf chose its data folder ({bwdir}), with BRIGHTWAY2_DIR={current}: "
                "let pcf import bw2data first, or set BRIGHTWAY2_DIR to that folder; to compute against the Brightway "
                "project of that folder, run pcf in its own process and name the folder and the project"
            )
        import bw2data

        if bw2data.projects.current == PROJECT:
            return bw2data
    with locked():  # bw2data creates its project database on import; two processes must not race
        if "bw2data" not in sys.modules:
            os.environ["BRIGHTWAY2_DIR"] = str(bwdir)
            _import_quietly()
        import bw2data

        if bw2data.projects.current != PROJECT:
            bw2data.projects.set_current(PROJECT)
    return bw2data
