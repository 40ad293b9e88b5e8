"""GWP100 characterisation methods, written offline from the LCIA file bundled with bw2io.

pcf method ids and what they are:

``ipcc-2021-gwp100``
    IPCC AR6 (2021) GWP100 as implemented in the ecoinvent 3.9 LCIA file shipped with
    bw2io 0.9.17 (``('IPCC 2021', 'climate change', 'global warming potential (GWP100)')``),
    plus biogenic CO2 characterised +1 (``Carbon dioxide, non-fossil`` to air, in every air
    sub-compartment) and its uptake -1 (``Carbon dioxide, in air`` and ``Carbon dioxide,
    non-fossil, resource correction``), the -1/+1 approach by which ISO 14067:2018 6.4.9.2
    includes biogenic emissions and removals in the CFP (they are also reported separately).
    The source method gives biogenic CO2 0 (it treats it as neutral); a database imported from
    ecoinvent or US LCI reports it in sub-compartments (urban air, high stacks, ...), so every
    one of them is characterised, or its emissions would count 0 while its uptake counts -1.
``ipcc-2013-gwp100``
    The same for IPCC AR5 (2013).

The source method is written too, under its original name, for comparison.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BackgroundError

BIOGENIC_FACTORS: tuple[tuple[str, str, float], ...] = (
    ("Carbon dioxide, non-fossil", "air", 1.0),
    ("Carbon dioxide, in air", "natural resource", -1.0),
    ("Carbon dioxide, non-fossil, resource correction", "natural resource", -1.0),
)
"""``(flow name, top compartment, factor)``: every biosphere3 flow of that name under that
compartment gets the factor [kg CO2e / kg CO2] unless the source method characterises it."""

METHODS_VERSION = 2
"""Stored with the written methods; ``pcf setup`` rewrites methods of another version
(1: biogenic CO2 +1 only in the unspecified ``air`` compartment)."""


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
    gwp_vintage : str
        IPCC assessment report of its GWP100 factors (``AR6``, ``AR5``): pre-aggregated CO2e
        of another vintage is "on another GWP basis" (:mod:`pcf.lca.gwpbasis`). EF 3.1 climate
        change takes its GWP100 from AR6 (JRC, EF 3.1 method, 2022), so the default.
    """

    id: str
    name: tuple[str, ...]
    source: tuple[str, ...]
    label: str
    gwp_vintage: str = "AR6"


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
        gwp_vintage="AR5",
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
    from ..core.bw import quiet

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
        for flow_name, compartment, factor in BIOGENIC_FACTORS:
            keys = [key for (name, cats), key in bio.items() if name == flow_name and cats[:1] == (compartment,)]
            if not keys:
                raise BackgroundError(f"biosphere3 has no flow {flow_name!r} in {compartment!r}")
            extra += [(key, factor) for key in sorted(keys)]
        present = {k for k, _ in cfs}
        method = bd.Method(spec.name)
        metadata = dict(
            unit="kg CO2-Eq",
            description=(
                f"{spec.label}: {' | '.join(spec.source)} from bw2io lcia_39_ecoinvent.zip, with "
                "biogenic CO2 +1 (all air compartments) and CO2 uptake from air -1 (ISO 14067:2018 6.4.9.2)"
            ),
            pcf_id=spec.id,
            pcf_methods_version=METHODS_VERSION,
        )
        method.register(**metadata)  # does nothing when already registered: update explicitly
        bd.methods[spec.name] = {**bd.methods[spec.name], **metadata}
        method.write(cfs + [e for e in extra if e[0] not in present])
        written += [spec.source, spec.name]
    return written


def method_sha256(bd, name: tuple[str, ...]) -> str:
    """Content hash of a written method's characterisation factors (issue 14 part 6: a
    recomputation names a method whose factors changed under the same id).

    Parameters
    ----------
    bd : module
        ``bw2data`` in the pcf project.
    name : tuple of str
        Brightway method name (:attr:`MethodSpec.name`).

    Returns
    -------
    str
        Hex SHA-256 of the RFC 8785 canonical JSON (:mod:`pcf.core.canonical`) of the sorted
        list ``[[flow database, flow code, factor [kg CO2e / unit of flow]], ...]`` (a regional
        factor adds its location as a fourth item). Flows are named by their key, not by
        Brightway's ids, so the hash is the same in every ``PCF_HOME`` holding the same factors.
    """
    from bw2data.backends import ActivityDataset as AD

    from ..core.canonical import canonical_bytes

    rows = [list(cf) for cf in bd.Method(name).load()]
    ids = [r[0] for r in rows if isinstance(r[0], int)]
    keys: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        for row in AD.select(AD.id, AD.database, AD.code).where(AD.id.in_(ids[start:start + 500])):
            keys[row.id] = (row.database, row.code)
    items = []
    for row in rows:
        flow = keys.get(row[0], ("", str(row[0]))) if isinstance(row[0], int) else tuple(row[0])
        amount = row[1]["amount"] if isinstance(row[1], dict) else row[1]
        items.append([str(flow[0]), str(flow[1]), float(amount)] + [str(x) for x in row[2:3]])
    return hashlib.sha256(canonical_bytes(sorted(items))).hexdigest()
