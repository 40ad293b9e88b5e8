"""Where the registry is: :func:`open_store` picks the back end from a location.

A file path or ``sqlite:///path`` is an SQLite registry (:class:`pcf.registry.store.SQLiteStore`),
a ``postgresql://`` URL a PostgreSQL one (:class:`pcf.registry.pgstore.PgStore`); with no
location, the URL in ``PCF_REGISTRY_URL`` (:data:`URL_ENV`), else ``PCF_HOME/registry.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import RegistryError
from .pgstore import PgStore
from .store import SQLiteStore, Store


def default_registry_path() -> Path:
    """``PCF_HOME/registry.db``."""
    from pcf.core.bw import pcf_home

    return pcf_home() / "registry.db"


def is_url(location) -> bool:
    """True when ``location`` is a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


#: The environment variable naming a PostgreSQL registry (``postgresql://...``); it is read when
#: no location is given, before the default SQLite file.
URL_ENV = "PCF_REGISTRY_URL"


def open_store(location: str | Path | None = None, create: bool = True, readonly: bool = False) -> Store:
    """Open the registry.

    Parameters
    ----------
    location : str or Path, optional
        A file path (SQLite), ``sqlite:///path``, or a ``postgresql://`` URL
        (:class:`pcf.registry.pgstore.PgStore`); default the URL in ``PCF_REGISTRY_URL``, else
        ``PCF_HOME/registry.db``.
    create : bool
        Create a missing SQLite registry, or the tables in an empty PostgreSQL database [default True].
    readonly : bool
        For a command that only reads: an SQLite file is opened read-only (``mode=ro``;
        :func:`pcf.registry.store.connect_readonly`), so a registry on a read-only mount is
        served; nothing is created [default False]. A PostgreSQL registry is opened as usual.

    Returns
    -------
    Store

    Raises
    ------
    RegistryError
        Unknown scheme, a missing registry with ``create=False``, a PostgreSQL server that
        cannot be reached or refuses the login, a missing database.
    RegistryCorrupt
        Not a pcf registry, or another schema version.
    """
    if location is None:
        location = os.environ.get(URL_ENV) or None
        if location is None:
            return SQLiteStore(default_registry_path(), create=create, readonly=readonly)
    text = str(location)
    if is_url(text):
        return PgStore(text, create=create)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1:]
    elif "://" in text:
        raise RegistryError(f"unknown registry location {text.split('://')[0]}://...: give a file path (SQLite) or a "
                            "postgresql:// URL").about("registry")
    return SQLiteStore(Path(text), create=create, readonly=readonly)
