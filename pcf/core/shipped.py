"""Where the data files shipped with pcf are: ``pcr_rules/``, ``label_templates/`` and
``databases/`` (:data:`SHIPPED`).

In a checkout (and an editable install, ``pip install -e .``) they are the folders beside the
``pcf`` package. A wheel (``pip install .``) carries them inside the package, as
``pcf/_shipped/<name>/`` (setup.py maps each folder there), because nothing beside the package
in site-packages belongs to pcf.
"""

from __future__ import annotations

from pathlib import Path

import pcf

SHIPPED = ("pcr_rules", "label_templates", "databases")
"""The shipped data folders (also listed in setup.py)."""

_PACKAGE = Path(pcf.__file__).resolve().parent


def shipped(name: str) -> Path:
    """The folder of shipped data ``name`` (one of :data:`SHIPPED`).

    Returns
    -------
    Path
        ``pcf/_shipped/<name>`` when installed from a wheel, else ``<checkout>/<name>``.
        Not checked for existence (callers report a missing file with its path).
    """
    assert name in SHIPPED, name
    installed = _PACKAGE / "_shipped" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name
