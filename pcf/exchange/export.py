"""One entry point for every export format (``pcf export``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from ..declaration import Declaration
from ..core.errors import ExchangeError
from ..core.files import write_atomic

FORMATS: dict[str, str] = {
    "pact-v3": "PACT v3.0 ProductFootprint (WBCSD Partnership for Carbon Transparency)",
    "pact-v2": "PACT v2.3 ProductFootprint",
    "catena-x": "Catena-X io.catenax.pcf, the newest version pcf writes (9.0.0)",
    "catena-x@7.0.0": "Catena-X io.catenax.pcf 7.0.0 aspect (PCF Rulebook v3, PACT v2 names)",
    "catena-x@8.0.0": "Catena-X io.catenax.pcf 8.0.0 aspect (PCF Rulebook v4, PACT v3 names)",
    "catena-x@9.0.0": "Catena-X io.catenax.pcf 9.0.0 aspect (8.0.0 content, nested, R25.09)",
    "battery-pass": "Battery Pass carbon footprint 1.2.0 (DIN DKE SPEC 99100)",
}
"""Export formats: name -> what it is. ``catena-x`` is ``catena-x@`` the newest of
:data:`pcf.exchange.catenax.VERSIONS`."""


def _exporter(fmt: str) -> Callable:
    if fmt == "pact-v3":
        from .pact import pact_v3
        return pact_v3
    if fmt == "pact-v2":
        from .pact import pact_v2
        return pact_v2
    if fmt == "catena-x" or fmt.startswith("catena-x@"):
        from .catenax import LATEST, VERSIONS, catena_x
        version = fmt.partition("@")[2] or LATEST
        if version not in VERSIONS:
            raise ExchangeError(f"unknown Catena-X version {version!r}: pcf writes io.catenax.pcf "
                                f"{', '.join(VERSIONS)} (catena-x@VERSION; catena-x is {LATEST})").about("fmt")
        return lambda declaration: catena_x(declaration, version)
    if fmt == "battery-pass":
        from .batterypass import battery_pass
        return battery_pass
    raise ExchangeError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}").about("fmt")


def export_result(declaration: Declaration, fmt: str, study_url: str | None = None,
                  allow_ungraded: bool = False) -> dict:
    """A declaration in an exchange format.

    Parameters
    ----------
    declaration : Declaration
        A footprint result with its assessment (:func:`pcf.declaration.read_declaration` reads
        one from a ``pcf-result/1`` file, docs/result-json.md).
    fmt : str
        One of :data:`FORMATS`: ``pact-v3``, ``pact-v2``, ``catena-x`` (= ``catena-x@9.0.0``),
        ``catena-x@7.0.0``, ``catena-x@8.0.0``, ``catena-x@9.0.0``, ``battery-pass``.
    study_url : str, optional
        Link to the public CFP study (Battery Pass ``carbonFootprintStudy``); default the
        model's ``exchange.study_url``.
    allow_ungraded : bool
        Battery Pass: write ``not graded`` as the class of a result its PCR did not grade
        (a preview) instead of refusing.

    Returns
    -------
    dict
        The document (field mapping: docs/exchange.md).

    Raises
    ------
    ExchangeError
        Unknown format, or the result lacks what the format requires (the message names the
        model field to add).
    """
    exporter = _exporter(fmt)
    if fmt == "battery-pass":
        return exporter(declaration, study_url=study_url, allow_ungraded=allow_ungraded)
    return exporter(declaration)


def write_export(document: dict, out: str | Path) -> Path:
    """Write a document as UTF-8 JSON, atomically (a failure leaves no partial file).

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic({out: (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")})
    return out
