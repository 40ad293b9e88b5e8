"""Lazy package namespaces (PEP 562): a package's ``__init__`` names what it offers and from
which submodule, and a submodule is imported only when one of its names is first used.

Why: importing a leaf module (``pcf.lca.result``, ``pcf.registry.verify``) imports its
package's ``__init__`` first; an ``__init__`` that imports every submodule would pull the
calculation stack (Brightway, SciPy, Pint) and the render stack (WeasyPrint) into commands that
need neither (``pcf verify``, ``pcf registry``, ``pcf keys``, ``pcf export``, ``pcf --help``:
issue 18 part 5; ``tests/test_light_imports.py`` checks it). The import edges stay the same
for import-linter, which reads the ``import`` statements inside :func:`exports` callers too.

Examples
--------
In ``pcf/lca/__init__.py``::

    from ..core.lazy import exports
    __getattr__, __dir__, __all__ = exports(__name__, {"calculate": ["footprint"], "result": ["FootprintResult"]})
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable


def exports(package: str, names: dict[str, Iterable[str]]) -> tuple[Callable[[str], object], Callable[[], list[str]],
                                                                      list[str]]:
    """The ``__getattr__``, ``__dir__`` and ``__all__`` of a lazy package.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to iterable of str
        Submodule (of the package, e.g. ``"calculate"``, or absolute, e.g. ``"pcf.core.bw"``)
        -> the names the package offers from it.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)``. ``__getattr__(name)`` imports the submodule that
        offers ``name`` and returns the attribute; any other name that is a submodule is
        imported as one (``pkg.sub`` after ``import pkg``); else AttributeError. A name, once
        looked up, is stored in the package's namespace. A name that is also a submodule's
        (``pcf.registry.verify``, the function, from ``pcf.registry.verify``, the module) stays
        the name: importing the submodule does not rebind it (the package's class becomes
        :class:`_Namespace`), as with ``from .verify import verify`` in an eager ``__init__``.
    """
    origin = {name: module for module, offered in names.items() for name in offered}
    public = sorted(origin)
    shadowed = frozenset(origin) & frozenset(names)
    if shadowed:
        namespace = sys.modules[package]
        namespace.__class__ = type("_Namespace", (_Namespace,), {"shadowed": shadowed})

    def __getattr__(name: str) -> object:
        module = origin.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module if "." in module else f"{package}.{module}"), name)
            setattr(sys.modules[package], name, value)
        else:
            if name.startswith("__"):
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return value

    def __dir__() -> list[str]:
        return sorted(set(public) | set(vars(sys.modules[package])))

    return __getattr__, __dir__, public



class _Namespace(types.ModuleType):
    """A package whose ``shadowed`` names are functions or classes named like their submodule:
    the import system's binding of the submodule (``setattr(package, "verify", module)``) is
    ignored for those names, so the name keeps meaning the function."""

    shadowed: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.shadowed and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)
