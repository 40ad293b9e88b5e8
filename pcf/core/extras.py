"""The optional parts of pcf (pyproject.toml ``[project.optional-dependencies]``) and the one
way to import their packages: at the use site, through :func:`require`, so that ``import pcf``
and ``pcf footprint`` never load them and a missing one is a clear :class:`MissingExtra` naming
the extra to install (exit 2 on the command line, no traceback).

=========  ================================  =================================================
extra      packages                          used by
=========  ================================  =================================================
dask       dask, distributed                 ``pcf batch --executor dask``
parquet    pyarrow                           ``pcf batch`` (summary.parquet)
postgres   psycopg (binary)                  a registry at a ``postgresql://`` location
server     starlette, uvicorn, anyio         ``pcf serve`` (the PACT host API)
=========  ================================  =================================================
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from .errors import PCFError

# extra -> the top-level modules it provides (the distribution names are in pyproject.toml).
EXTRAS: dict[str, tuple[str, ...]] = {
    "dask": ("dask", "distributed"),
    "parquet": ("pyarrow",),
    "postgres": ("psycopg",),
    "server": ("starlette", "uvicorn", "anyio"),
}


class MissingExtra(PCFError):
    """An optional package of pcf is not installed; the message names the extra."""


def require(extra: str, module: str, purpose: str) -> ModuleType:
    """Import ``module`` (one of ``EXTRAS[extra]``, or a submodule of one) for ``purpose``.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`.
    module : str
        Dotted module name, e.g. ``"pyarrow"`` or ``"distributed"``.
    purpose : str
        What needs it, for the message, e.g. ``"pcf batch writes summary.parquet"``.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtra
        The module cannot be imported: ``"<purpose> with <module>, which is not installed
        (...): pip install 'pcf[<extra>]'"``.
    """
    top = module.split(".")[0]
    assert top in EXTRAS[extra], (extra, module)
    try:
        importlib.import_module(top)
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(f"{purpose} with {top}, which is not installed ({exc}): "
                           f"pip install 'pcf[{extra}]'") from None


@contextmanager
def arrow_without_pandas() -> Iterator[None]:
    """Context in which pandas cannot be imported, unless it is already: pyarrow imports pandas
    (about 0.3 s of CPU, a sixth of a warm 100,000-row ``pcf batch --summary-only``) on its first
    conversion of Python objects (a list, a scalar) only to recognise pandas objects (``pd.NA``, a
    Series) among them, and pcf hands it none. Inside, an import of pandas raises
    ``ModuleNotFoundError`` (:class:`_NoPandas`), which pyarrow takes as pandas being absent, as
    does any package that imports pandas only if it can; after it, pandas imports as usual
    (``Table.to_pandas`` too: pyarrow tries again). Used where pcf's own code runs and imports
    nothing that needs pandas (:func:`pcf.batch.run_batch`'s chunks and summary)."""
    if "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _NoPandas:
    """An import finder that refuses ``pandas`` and its modules (:func:`arrow_without_pandas`)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (pcf keeps pyarrow from importing it)", name=name)
        return None
