"""GWP100 characterisation methods, written offline from the LCIA file bundled with bw2io.

pcf method ids and what they are:

``ipcc-2021-gwp100``
    IPCC AR6 (2021) GWP100 as implemented in the ecoinvent 3.9 LCIA file shipped with
    bw2io 0.9.17 (``('IPCC 2021', 'climate change', 'global warming potential (GWP100)')``),
    plus biogenic CO2 characterised +1 (``Carbon dioxide, non-fossil`` to air, in every air
    sub-compartment) and its uptake -1 (``Carbon dioxide, in air`` and ``Carbon dioxide,
    non-fossil, resource correction``), the -1/+1 approach by which ISO 14067:2018 6.4.9.2
    includes biogenic emissions and removals in the CFP (they are also reported separately).
    pcf adds the AR6 GWP100 of two gases that biosphere3 and the source method lack, on flows
    pcf adds to biosphere3 (:mod:`pcf.background.supplement`): HFC-245fa 962 and HFC-143 364
    (IPCC AR6 WG1 Chapter 7 Supplementary Material, Table 7.SM.7, Smith et al. 2021,
    doi:10.1017/9781009157896.009 supplementary material).
    The source method gives biogenic CO2 0 (it treats it as neutral); a database imported from
    ecoinvent or US LCI reports it in sub-compartments (urban air, high stacks, ...), so every
    one of them is characterised, or its emissions would count 0 while its uptake counts -1.
``ipcc-2013-gwp100``
    The same for IPCC AR5 (2013), without pcf's supplement gases (they count 0 there).
``ef-3.1-climate-change``
    EF 3.1 climate change (GWP100) as implemented in the same file (``('EF v3.1', 'climate
    change', 'global warming potential (GWP100)')``, 223 factors; the EF reference package
    3.1 of the JRC, Andreasi Bassi S. et al. (2023) *Updated characterisation and
    normalisation factors for the Environmental Footprint 3.1 method*, EUR 31414 EN,
    doi:10.2760/798894, whose climate-change factors are the IPCC AR6 GWP100: CH4 fossil
    29.8, CH4 non-fossil 27.0, N2O 273, SF6 25 200, NF3 17 400). The EF method gives biogenic
    CO2 emissions and its uptake from air 0 (they are not among its 223 factors: the "0/0"
    simplification of PEF, Recommendation (EU) 2021/2279 Annex I 4.4.10); its sub-indicator
    "climate change: biogenic" is biogenic CH4 only. pcf writes it like the IPCC methods, with
    biogenic CO2 +1 / uptake -1, so the ISO 14067 split (fossil, biogenic emissions and
    removals, dLUC) is in every result; the EF figure itself (biogenic CO2 0/0) is then the
    result's ``totals.excluding_biogenic`` and ``sub_indicators`` (which a PCR declaring this
    method selects with ``ghg_accounting: declared_total: excluding_biogenic``). Two factors
    the source leaves out of one sub-compartment are added with the factor of the same gas
    in its other air compartments (:data:`SUBCOMPARTMENT_FILL`): ``Methane, chloro-fluoro-,
    HCFC-31`` 79.4 and ``Monochloroethane`` 0.481 in ``air, low population density,
    long-term`` (the IPCC 2021 method of the same file has them). ``Perfluoropentane``
    (air), which IPCC 2021 characterises, is not in EF 3.1 and stays 0; so do pcf's supplement
    gases HFC-245fa and HFC-143 (:mod:`pcf.background.supplement`): the EF 3.1 reference
    package has no factor for them and pcf does not add any to it.

The source methods are written too, under their original names, for comparison (for EF 3.1
also its three sub-indicators: fossil, biogenic, land use and land use change).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BackgroundError
from .supplement import CATEGORIES, SOURCE_AR6, SUPPLEMENT, supplement_records, write_supplement

BIOGENIC_FACTORS: tuple[tuple[str, str, float], ...] = (
    ("Carbon dioxide, non-fossil", "air", 1.0),
    ("Carbon dioxide, in air", "natural resource", -1.0),
    ("Carbon dioxide, non-fossil, resource correction", "natural resource", -1.0),
)
"""``(flow name, top compartment, factor)``: every biosphere3 flow of that name under that
compartment gets the factor [kg CO2e / kg CO2] unless the source method characterises it."""

METHODS_VERSION = 4
"""Stored with the written methods; ``pcf setup`` rewrites methods of another version
(1: biogenic CO2 +1 only in the unspecified ``air`` compartment; 2: no EF 3.1; 3: no
supplement gases, :mod:`pcf.background.supplement`)."""

SUBCOMPARTMENT_FILL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Methane, chloro-fluoro-, HCFC-31", ("air", "low population density, long-term")),
    ("Monochloroethane", ("air", "low population density, long-term")),
)
"""``(flow name, categories)`` a source method leaves out although it characterises the gas in
its other sub-compartments of the same compartment (found in EF v3.1 of bw2io 0.9.17 by
comparing with biosphere3); a spec with ``fill_subcompartments`` gives them that factor.
:func:`write_methods` checks that nothing else is missing and that the gas has one factor."""


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
    sub_indicators : tuple of (str, tuple of str)
        ``(indicator, source method name)`` of each sub-indicator the method reports, the
        method's own total first (EF 3.1: climate change, fossil, biogenic, land use and land
        use change); empty for the IPCC methods. Reported as the result's ``sub_indicators``
        (:func:`pcf.lca.biogenic.sub_indicators`).
    fill_subcompartments : bool
        Add :data:`SUBCOMPARTMENT_FILL`.
    supplement : bool
        Add the AR6 GWP100 of pcf's supplement gases (:mod:`pcf.background.supplement`).
    """

    id: str
    name: tuple[str, ...]
    source: tuple[str, ...]
    label: str
    gwp_vintage: str = "AR6"
    sub_indicators: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fill_subcompartments: bool = False
    supplement: bool = False


METHODS: dict[str, MethodSpec] = {
    "ipcc-2021-gwp100": MethodSpec(
        "ipcc-2021-gwp100",
        ("pcf", "IPCC 2021", "GWP100", "ISO 14067 biogenic -1/+1"),
        ("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        "IPCC 2021 (AR6) GWP100",
        supplement=True,
    ),
    "ipcc-2013-gwp100": MethodSpec(
        "ipcc-2013-gwp100",
        ("pcf", "IPCC 2013", "GWP100", "ISO 14067 biogenic -1/+1"),
        ("IPCC 2013", "climate change", "global warming potential (GWP100)"),
        "IPCC 2013 (AR5) GWP100",
        gwp_vintage="AR5",
    ),
    "ef-3.1-climate-change": MethodSpec(
        "ef-3.1-climate-change",
        ("pcf", "EF v3.1", "climate change", "ISO 14067 biogenic -1/+1"),
        ("EF v3.1", "climate change", "global warming potential (GWP100)"),
        "EF 3.1 climate change (GWP100)",
        sub_indicators=tuple((name, ("EF v3.1", name, "global warming potential (GWP100)")) for name in (
            "climate change", "climate change: fossil", "climate change: biogenic",
            "climate change: land use and land use change")),
        fill_subcompartments=True,
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


@dataclass(frozen=True)
class MethodTable:
    """A method as pcf writes it to Brightway.

    Attributes
    ----------
    name : tuple of str
        Brightway method name.
    cfs : list of (tuple, float)
        ``((database, code) of the flow, factor [kg CO2e / unit of the flow])``.
    metadata : dict
        What it is registered with (unit, description, ...).
    pcf : bool
        A pcf method (:attr:`MethodSpec.name`), not one of the source methods written for comparison.
    """

    name: tuple[str, ...]
    cfs: list
    metadata: dict
    pcf: bool


def method_tables(bio: dict) -> list[MethodTable]:
    """The source methods and the pcf methods, with their factors, in the order they are written.

    Parameters
    ----------
    bio : dict
        ``(flow name, categories) -> (database, code)`` of every biosphere3 flow (the full
        ecoinvent 3.9 elementary flow list bw2io ships, and pcf's supplement flows).

    Raises
    ------
    BackgroundError
        The LCIA file is missing from bw2io, a needed method or flow is not in it, or a source
        method leaves out a sub-compartment that :data:`SUBCOMPARTMENT_FILL` does not list, or
        ``bio`` lacks a supplement flow.
    """
    path = _lcia_zip()
    if not path.exists():
        raise BackgroundError(f"{path} not found: reinstall bw2io==0.9.17, which ships it")
    with zipfile.ZipFile(path) as archive:
        data = json.load(archive.open("data.json"))
    by_name = {tuple(m["name"]): m for m in data}
    tables = []
    for spec in METHODS.values():
        cfs = []
        for source_name in dict.fromkeys([spec.source, *(name for _, name in spec.sub_indicators)]):
            if source_name not in by_name:
                raise BackgroundError(f"method {source_name} is not in {path.name}")
            source = by_name[source_name]
            source_cfs = [(tuple(exc["input"]), float(exc["amount"])) for exc in source["exchanges"]]
            tables.append(MethodTable(source_name, source_cfs, dict(
                unit=source.get("unit", "kg CO2-Eq"), description="bw2io lcia_39_ecoinvent.zip",
                filename=source.get("filename")), False))
            if source_name == spec.source:
                cfs = source_cfs
        added = _subcompartment_fill(bio, cfs, spec) if spec.fill_subcompartments else []
        extra = _supplement(bio) if spec.supplement else []
        tables.append(MethodTable(spec.name, cfs + added + extra + _biogenic_extra(bio, {k for k, _ in cfs}),
                                  _pcf_metadata(spec, added), True))
    return tables


def write_methods(bd) -> list[tuple[str, ...]]:
    """Write the source methods and the pcf methods (:func:`method_tables`) into the current
    Brightway project.

    pcf's supplement flows (:func:`pcf.background.supplement.write_supplement`) are added to
    biosphere3 first when missing.

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
        As :func:`method_tables`.
    """
    write_supplement(bd)
    bio = {(f["name"], tuple(f["categories"])): f.key for f in bd.Database("biosphere3")}
    written = []
    for table in method_tables(bio):
        write_table(bd, table, table.cfs)
        written.append(table.name)
    return written


def write_table(bd, table: MethodTable, cfs: list) -> None:
    """Register ``table`` (its metadata updated when it is registered already) and write ``cfs``
    (its factors, or those of them whose flows the project has)."""
    method = bd.Method(table.name)
    method.register(**table.metadata)  # does nothing when already registered: update explicitly
    bd.methods[table.name] = {**bd.methods[table.name], **table.metadata}
    method.write(cfs)


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
def _biogenic_extra(bio: dict, present: set) -> list[tuple]:
    """:data:`BIOGENIC_FACTORS` for every biosphere3 flow they name that the source method
    does not characterise: ``[(key, factor)]``."""
    extra = []
    for flow_name, compartment, factor in BIOGENIC_FACTORS:
        keys = [key for (name, cats), key in bio.items() if name == flow_name and cats[:1] == (compartment,)]
        if not keys:
            raise BackgroundError(f"biosphere3 has no flow {flow_name!r} in {compartment!r}")
        extra += [(key, factor) for key in sorted(keys) if key not in present]
    return extra


def _supplement(bio: dict) -> list[tuple]:
    """The AR6 GWP100 of pcf's supplement gases (:mod:`pcf.background.supplement`):
    ``[(key, factor)]``.

    Raises
    ------
    BackgroundError
        ``bio`` lacks one of their flows (biosphere3 written without them).
    """
    missing = [name for name, cats in supplement_records() if (name, cats) not in bio]
    if missing:
        raise BackgroundError(f"biosphere3 lacks pcf's supplement flows {missing}: run pcf setup again")
    return [(bio[(f.name, CATEGORIES)], f.gwp100_ar6) for f in SUPPLEMENT]


def _subcompartment_fill(bio: dict, cfs: list[tuple], spec: MethodSpec) -> list[tuple]:
    """The factors of :data:`SUBCOMPARTMENT_FILL` (the gas's one factor in the method's other
    sub-compartments of that compartment): ``[(key, factor)]``.

    Raises
    ------
    BackgroundError
        Another biosphere3 flow of a characterised gas and compartment has no factor, a listed
        flow is characterised already or missing, or its gas has several factors.
    """
    names = {key: (name, cats) for (name, cats), key in bio.items()}
    factors: dict[tuple, set] = {}
    for key, cf in cfs:
        name, cats = names[key]
        factors.setdefault((name, cats[:1]), set()).add(cf)
    present = {names[key] for key, _ in cfs}
    missing = sorted((name, cats) for (name, cats) in bio if (name, cats[:1]) in factors and (name, cats) not in present)
    if missing != sorted(SUBCOMPARTMENT_FILL):
        raise BackgroundError(f"method {spec.source}: sub-compartments without a factor {missing} are not the "
                              f"expected {sorted(SUBCOMPARTMENT_FILL)}; check bw2io's LCIA file")
    added = []
    for name, cats in SUBCOMPARTMENT_FILL:
        values = factors[(name, cats[:1])]
        if len(values) != 1:
            raise BackgroundError(f"method {spec.source}: {name!r} has several factors {sorted(values)}")
        added.append((bio[(name, cats)], values.pop()))
    return added


def _pcf_metadata(spec: MethodSpec, added: list[tuple]) -> dict:
    """What the pcf method ``spec`` is registered with (``added``: the factors filled into
    sub-compartments, named in its description)."""
    return dict(
        unit="kg CO2-Eq",
        description=(
            f"{spec.label}: {' | '.join(spec.source)} from bw2io lcia_39_ecoinvent.zip, with "
            "biogenic CO2 +1 (all air compartments) and CO2 uptake from air -1 (ISO 14067:2018 6.4.9.2)"
            + ("; factors filled into sub-compartments the source leaves out: "
               + ", ".join(f"{n} ({', '.join(c)}) {cf:g}" for (n, c), (_, cf) in zip(SUBCOMPARTMENT_FILL, added))
               if added else "")
            + ("; pcf's additions (gases biosphere3 lacks, on flows pcf adds to it): "
               + ", ".join(f"{f.name} {f.gwp100_ar6:g}" for f in SUPPLEMENT) + f" from {SOURCE_AR6}"
               if spec.supplement else "")
        ),
        pcf_id=spec.id,
        pcf_methods_version=METHODS_VERSION,
    )
