"""Background inventories: building them (``pcf setup``) and finding activities in them."""

from .catalog import DatabaseEntry, list_databases, remove_database
from .methods import METHODS, MethodSpec, method_spec
from ..core.bw import OPEN_DEFAULT_DATABASE
from .setup import BackgroundInfo, background_info, database_name, database_provenance, setup

__all__ = [
    "METHODS", "MethodSpec", "method_spec", "OPEN_DEFAULT_DATABASE",
    "DatabaseEntry", "list_databases", "remove_database",
    "BackgroundInfo", "background_info", "database_name", "database_provenance", "setup",
]
