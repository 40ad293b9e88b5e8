"""Background inventories: building them (``pcf setup``) and finding activities in them."""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "catalog": ['DatabaseEntry', 'list_databases', 'remove_database'],
    "methods": ['METHODS', 'MethodSpec', 'method_spec'],
    "pcf.core.bw": ['OPEN_DEFAULT_DATABASE'],
    "setup": ['BackgroundInfo', 'background_info', 'database_name', 'database_provenance', 'setup'],
})
