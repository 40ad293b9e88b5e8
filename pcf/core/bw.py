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
    else:
        os.environ["BRIGHTWAY2_DIR"] = str(bwdir)
        _import_quietly()
    import bw2data

    if bw2data.projects.current != PROJECT:
        bw2data.projects.set_current(PROJECT)
    return bw2data
