"""GWP100 characterisation methods, written offline from the LCIA file bundled with bw2io.

pcf method ids and what they are:

``ipcc-2021-gwp100``
    IPCC AR6 (2021) GWP100 as implemented in the ecoinvent 3.9 LCIA file shipped with
    bw2io 0.9.17 (``('IPCC 2021', 'climate change', 'global warming potential (GWP100)')``),
    plus biogenic CO2 characterised +1 (``Carbon dioxide, non-fossil``) and its uptake -1
    (``Carbon dioxide, in air``), the -1/+1 approach by which ISO 14067:2018 6.4.9.2 includes
    biogenic emissions and removals in the CFP (they are also reported separately).
``ipcc-2013-gwp100``
    The same for IPCC AR5 (2013).

The source method is written too, under its original name, for comparison.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackgroundError

BIOGENIC_CO2 = ("Carbon dioxide, non-fossil", ("air",), 1.0)
BIOGENIC_UPTAKE = ("Carbon dioxide, in air", ("natural resource", "in air"), -1.0)


@dataclass(frozen=True)
class MethodSpec:
    """A pcf characterisation method.

    Attributes
    ----------
    id : str
        pcf id used in models (``study.method``).
    name : tuple of str
        Brightway method name pcf writes.
    source : tuple of str
        Name of the method in bw2io's ``lcia_39_ecoinvent.zip`` it derives from.
    label : str
        Short human label, e.g. ``IPCC 2021 (AR6) GWP100``.
    """

    id: str
    name: tuple[str, ...]
    source: tuple[str, ...]
    label: str


METHODS: dict[str, MethodSpec] = {
    "ipcc-2021-gwp100": MethodSpec(
        "ipcc-2021-gwp100",
        ("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1"),
        ("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        "IPCC 2021 (AR6) GWP100",
    ),
    "ipcc-2013-gwp100": MethodSpec(
        "ipcc-2013-gwp100",
        ("pcf", "IPCC 2013", "GWP100", "ISO 14067 biogenic -1/+1"),
        ("IPCC 2013", "climate change", "global warming potential (GWP100)"),
        "IPCC 2013 (AR5) GWP100",
    ),
}


def method_spec(method_id: str) -> MethodSpec:
    """The :class:`MethodSpec` of a pcf method id.

    Raises
    ------
    BackgroundError
        Unknown id (the message lists the known ones).
    """
    try:
        return METHODS[method_id]
    except KeyError:
        raise BackgroundError(f"unknown method {method_id!r}; known methods: {', '.join(METHODS)}") from None


def _lcia_zip() -> Path:
    from ..bw import quiet

    with quiet():
        import bw2io

    return Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"


def write_methods(bd) -> list[tuple[str, ...]]:
    """Write the source methods and the pcf methods into the current Brightway project.

    Parameters
    ----------
    bd : module
        ``bw2data``, with ``biosphere3`` already written.

    Returns
    -------
    list of tuple
        Names of the methods written.

    Raises
    ------
    BackgroundError
        The LCIA file is missing from bw2io, or a needed method or flow is not in it.
    """
    path = _lcia_zip()
    if not path.exists():
        raise BackgroundError(f"{path} not found: reinstall bw2io==0.9.17, which ships it")
    with zipfile.ZipFile(path) as archive:
        data = json.load(archive.open("data.json"))
    by_name = {tuple(m["name"]): m for m in data}
    bio = {(f["name"], tuple(f["categories"])): f.key for f in bd.Database("biosphere3")}
    written = []
    for spec in METHODS.values():
        if spec.source not in by_name:
            raise BackgroundError(f"method {spec.source} is not in {path.name}")
        source = by_name[spec.source]
        cfs = [(tuple(exc["input"]), float(exc["amount"])) for exc in source["exchanges"]]
        original = bd.Method(spec.source)
        original.register(unit=source.get("unit", "kg CO2-Eq"), description="bw2io lcia_39_ecoinvent.zip",
                          filename=source.get("filename"))
        original.write(cfs)
        extra = []
        for flow_name, categories, factor in (BIOGENIC_CO2, BIOGENIC_UPTAKE):
            key = bio.get((flow_name, categories))
            if key is None:
                raise BackgroundError(f"biosphere3 has no flow {flow_name!r} {categories}")
            extra.append((key, factor))
        present = {k for k, _ in cfs}
        method = bd.Method(spec.name)
        method.register(
            unit="kg CO2-Eq",
            description=(
                f"{spec.label}: {' | '.join(spec.source)} from bw2io lcia_39_ecoinvent.zip, with "
                "biogenic CO2 +1 and CO2 uptake from air -1 (ISO 14067:2018 6.4.9.2)"
            ),
            pcf_id=spec.id,
        )
        method.write(cfs + [e for e in extra if e[0] not in present])
        written += [spec.source, spec.name]
    return written
