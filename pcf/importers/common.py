"""What the format readers of ``pcf db import`` share: the import report, greenhouse-gas names,
and linking elementary flows to biosphere3 by name (after openLCA synonyms)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Name fragments of greenhouse gases (lower case); a flow whose name contains one is a GHG.
GHG_PATTERNS = (
    "carbon dioxide", "methane", "dinitrogen monoxide", "nitrous oxide", "sulfur hexafluoride",
    "sulphur hexafluoride", "nitrogen trifluoride", "nitrogen fluoride", "hfc", "pfc", "cfc",
    "hcfc", "perfluoro", "tetrafluoro", "hexafluoro", "halon", "r-14", "fc-14", "co2", "ch4",
    "n2o", "sf6", "nf3",
)


#: Not GHGs although their names match a pattern above.
GHG_EXCLUDE = ("methanesulfonic", "methanearsonate", "methanol", "coalbed methane", "pit methane",
               "non-methane", "other than methane", "diisocyanatodiphenylmethane", "in ground")


#: openLCA / US LCI elementary flow names -> biosphere3 (ecoinvent 3.9) names.
NAME_SYNONYMS = {
    "carbon dioxide": "Carbon dioxide, fossil",
    "carbon dioxide, biogenic": "Carbon dioxide, non-fossil",
    "carbon dioxide, land transformation": "Carbon dioxide, from soil or biomass stock",
    "methane": "Methane, fossil",
    "methane, biogenic": "Methane, non-fossil",
    "nitrous oxide": "Dinitrogen monoxide",
    "methane, tetrafluoro-, cfc-14": "Methane, tetrafluoro-, R-14",
    "methane, tetrafluoro-, fc-14": "Methane, tetrafluoro-, R-14",
    "nitrous oxide (laughing gas)": "Dinitrogen monoxide",
    "methane, tetrachloro-, cfc-10": "Methane, tetrachloro-, R-10",
    "methane, difluromonochloro-, hcfc-22": "Methane, chlorodifluoro-, HCFC-22",
    "ethane, 2-chloro-1,1,1,2-tetra-fluoro-, hcfc-124": "Ethane, 2-chloro-1,1,1,2-tetrafluoro-, HCFC-124",
    "ethane, 1,1,1-trifluoro-2,2-dichloro-, hcfc-123": "Ethane, 2,2-dichloro-1,1,1-trifluoro-, HCFC-123",
    "carbon monoxide": "Carbon monoxide, fossil",
    "lead": "Lead II",
    "mercury": "Mercury II",
    "nitrogen oxide": "Nitrogen oxides",
    "particulates, < 10 um": "Particulate Matter, < 10 um",
    "particulates, < 2.5 um": "Particulate Matter, < 2.5 um",
    "particulates, > 2.5 um, and < 10um": "Particulate Matter, > 2.5 um and < 10um",
    "particulates, > 10 um": "Particulate Matter, > 10 um",
    "voc, volatile organic compounds": "NMVOC, non-methane volatile organic compounds",
    "nmvoc, non-methane volatile organic compounds, unspecified origin":
        "NMVOC, non-methane volatile organic compounds",
}


@dataclass
class UnlinkedFlow:
    """A distinct flow that no provider or biosphere3 flow matched.

    Attributes
    ----------
    type : str
        ``technosphere``, ``substitution``, ``biosphere`` or ``production``.
    name : str
        Flow name as in the source.
    categories : str
        Compartment / sub-compartment joined by ``/`` (biosphere) or ``""``.
    unit : str
        Unit after bw2io's unit normalisation.
    location : str
        Location of a technosphere flow, or ``""``.
    exchanges : int
        Number of exchanges with this flow.
    ghg : bool
        The name looks like a greenhouse gas (its GWP is lost when unlinked).
    reason : str
        For a greenhouse gas: why it stays unlinked (no biosphere3 flow, an unspecified
        mixture, a compartment GWP100 does not characterise).
    """

    type: str
    name: str
    categories: str
    unit: str
    location: str
    exchanges: int
    ghg: bool = False
    reason: str = ""


@dataclass
class ImportReport:
    """What ``pcf db import`` wrote.

    Attributes
    ----------
    name : str
        Brightway database name (what a model puts in ``study.background``).
    format : str
        ``jsonld``, ``ecospold1``, ``ecospold2`` or ``excel``.
    source : str
        File or folder name of the input.
    sha256 : str
        SHA-256 of the input file [hex]; of the sorted (path, content) pairs for a folder.
    processes : int
        Datasets read from the source (processes / activities) before allocation.
    activities : int
        Activities written, including allocated splits and placeholders.
    exchanges : int
        Exchanges written (production, technosphere, biosphere).
    placeholders : int
        Zero-burden placeholder activities written for unlinked technosphere inputs.
    linked_by_name : int
        Technosphere inputs (EcoSpold1) that bw2io left unlinked and pcf linked to the only
        activity of that name (and location), with unit conversion.
    biosphere_database : str
        Companion database holding unlinked elementary flows, or ``""`` when none.
    unlinked : dict of str to int
        Unlinked exchanges by type (``technosphere``, ``biosphere``, ``production``, ...).
    unlinked_flows : list of UnlinkedFlow
        Distinct unlinked flows, most exchanges first; their ``exchanges`` sum to ``unlinked``.
    unlinked_ghg : list of UnlinkedFlow
        The unlinked biosphere flows that look like greenhouse gases (a warning).
    allocation : str
        Basis asked for datasets with several products and no allocation factors of their own:
        ``mass`` (default), ``energy``, ``economic`` or ``none`` (:mod:`pcf.importers.allocation`).
    allocations : list of dict
        One entry per multi-output dataset: ``process``, ``location``, ``reference_product``,
        ``method`` (the basis used; ``none`` when not allocated; ``stored in the source (...)``
        for the dataset's own factors), ``factors`` (product -> share of the burdens),
        ``sources`` (product -> where its quantity came from: ``flow property``, ``unit``,
        ``declared``) and ``note`` (why not allocated, totals, water passed through).
    coproducts_cut_off : list of dict
        Outputs not written as activities (``process``, ``flow``, ``amount``, ``unit``,
        ``why``): co-products of datasets that were not allocated (all burdens stay with the
        reference product) and water passed through.
    linked_gases : list of dict
        Elementary flows linked to biosphere3 by CAS number or by their refrigerant / halon
        designation (``name``, ``categories``, ``to``, ``by``, ``exchanges``).
    duplicates : list of str
        Names of datasets whose code (bw2io's hash of name, category, unit, location) was
        already taken: written with a numbered code; inputs linked by name go to the first.
    schema_violations : int
        EcoSpold1 XSD violations tolerated while reading (0 for other formats).
    seconds : float
        Wall time of the import [s].
    """

    name: str
    format: str
    source: str
    sha256: str
    processes: int = 0
    activities: int = 0
    exchanges: int = 0
    placeholders: int = 0
    linked_by_name: int = 0
    biosphere_database: str = ""
    unlinked: dict[str, int] = field(default_factory=dict)
    unlinked_flows: list[UnlinkedFlow] = field(default_factory=list)
    unlinked_ghg: list[UnlinkedFlow] = field(default_factory=list)
    allocation: str = "mass"
    allocations: list[dict] = field(default_factory=list)
    coproducts_cut_off: list[dict] = field(default_factory=list)
    linked_gases: list[dict] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    schema_violations: int = 0
    seconds: float = 0.0

    @property
    def unlinked_total(self) -> int:
        """Unlinked exchanges of every type."""
        return sum(self.unlinked.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["unlinked_total"] = self.unlinked_total
        return d


@functools.lru_cache(maxsize=65536)
def is_ghg(name: str) -> bool:
    """Whether an elementary flow name looks like a greenhouse gas (CO2, CH4, N2O, SF6, NF3, HFC, PFC ...)."""
    low = name.lower()
    if any(x in low for x in GHG_EXCLUDE):
        return False
    return any(re.search(rf"(^|[^a-z]){re.escape(p)}", low) for p in GHG_PATTERNS)


def single_root(folder: Path, marker: Callable[[Path], bool]) -> Path:
    """The folder in ``folder`` (itself or one level down) that satisfies ``marker``."""
    if marker(folder):
        return folder
    subs = [p for p in folder.iterdir() if p.is_dir() and marker(p)]
    if len(subs) == 1:
        return subs[0]
    for p in folder.rglob("*"):
        if p.is_dir() and marker(p):
            return p
    return folder


def apply_synonyms(db: list) -> list:
    """Apply :data:`NAME_SYNONYMS` to unlinked emissions (not resources); strip ``[...]`` suffixes.

    A resource ``Carbon dioxide`` is ``Carbon dioxide, in air`` (natural resource, in air); an
    emission of a greenhouse gas whose category names no compartment is taken as one to air.
    """
    for ds in db:
        for exc in ds["exchanges"]:
            if exc.get("type") != "biosphere" or "input" in exc:
                continue
            n = re.sub(r"\s*\[[^\]]*\]\s*$", "", exc["name"]).strip()
            cats = tuple(exc.get("categories") or ())
            if cats[:1] == ("natural resource",):
                if n.lower() in ("carbon dioxide", "carbon dioxide, in air"):
                    n, cats = "Carbon dioxide, in air", ("natural resource", "in air")
            else:
                n = NAME_SYNONYMS.get(n.lower(), n)
                if cats[:1] not in (("air",), ("water",), ("soil",)) and is_ghg(n):
                    cats = ("air",)
            exc["name"], exc["categories"] = n, cats
    return db


def link_biosphere(db: list, biosphere: str, bd) -> list:
    """Link unlinked biosphere exchanges to ``biosphere`` by (name, categories, unit), case-insensitive,
    falling back to the flow of the same name and unit in the top compartment."""
    index: dict[tuple, tuple] = {}
    for flow in bd.Database(biosphere):
        cats = tuple(flow.get("categories") or ())
        key = (flow["name"].lower(), cats, (flow.get("unit") or "").lower())
        index[key] = flow.key
    for ds in db:
        for exc in ds["exchanges"]:
            if exc.get("type") != "biosphere" or "input" in exc:
                continue
            cats = tuple(exc.get("categories") or ())
            n, u = exc["name"].lower(), (exc.get("unit") or "").lower()
            key = index.get((n, cats, u)) or (index.get((n, cats[:1], u)) if cats else None)
            if key:
                exc["input"] = key
    return db


#: A refrigerant / halon / PFC designation as biosphere3 ends its names with (``..., HFC-134a``).
DESIGNATION = re.compile(r"^(?:HFC|HCFC|CFC|HCC|PFC|FC|R|Halon)[- ]?\d+[A-Za-z]{0,3}$", re.IGNORECASE)

#: Names of groups of gases, not one substance (no single GWP100).
MIXTURE = re.compile(r"unspecified|\b(?:CFCs|HFCs|HCFCs|PFCs|perfluorocarbons)\b|^PFC \(", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)
def normalise_cas(cas: str | None) -> str:
    """``000811-97-2`` -> ``811-97-2``; ``""`` for nothing or something that is not a CAS number."""
    m = re.fullmatch(r"0*(\d{1,7})-(\d{2})-(\d)", (cas or "").strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""


@functools.lru_cache(maxsize=65536)
def _designation(name: str) -> str:
    """The refrigerant designation a flow name gives (``HFC-134a`` in ``Ethane, ..., HFC-134a`` or
    alone), upper-cased with one hyphen; ``""`` for none."""
    last = name.rsplit(",", 1)[-1].strip()
    if not DESIGNATION.match(last):
        return ""
    m = re.match(r"([A-Za-z]+)[- ]?(\d+[A-Za-z]{0,3})$", last)
    return f"{m.group(1).upper()}-{m.group(2).lower()}" if m else ""


def link_gases(db: list, biosphere: str, bd, report: ImportReport) -> list:
    """Link the greenhouse gases :func:`link_biosphere` left unlinked by CAS number, then by the
    refrigerant / halon designation their name ends with, to the biosphere3 flow of that
    substance in the same compartment (or its top compartment) and unit.

    The mapping is built from biosphere3 itself (its flows carry CAS numbers and end their names
    with the designation: ``Ethane, 1,1,1,2-tetrafluoro-, HFC-134a``), so openLCA / FEDEFL names
    such as ``HFC-134a`` or ``Methane, monochloro, R-40`` find their flow. A CAS number or a
    designation shared by several substance names (``Methane, fossil`` / ``non-fossil``) links
    nothing. Unlinked greenhouse gases get ``pcf_unlinked_reason`` (read into the report).
    Each link is listed in ``report.linked_gases``.
    """
    index: dict[tuple, tuple] = {}
    by_cas: dict[str, set] = {}
    by_designation: dict[str, set] = {}
    compartments: dict[str, set] = {}
    for flow in bd.Database(biosphere):
        cats = tuple(flow.get("categories") or ())
        name = flow["name"]
        index[(name.lower(), cats, (flow.get("unit") or "").lower())] = flow.key
        compartments.setdefault(name.lower(), set()).add(cats[:1])
        if cats[:1] == ("natural resource",):
            continue
        cas = normalise_cas(flow.get("CAS number"))
        if cas:
            by_cas.setdefault(cas, set()).add(name)
        d = _designation(name)
        if d:
            by_designation.setdefault(d, set()).add(name)
    seen: dict[tuple, dict] = {}
    for ds in db:
        for exc in ds["exchanges"]:
            if exc.get("type") != "biosphere" or "input" in exc:
                continue
            cats = tuple(exc.get("categories") or ())
            if cats[:1] == ("natural resource",):
                continue
            unit = (exc.get("unit") or "").lower()
            target, by = _gas_target(exc, by_cas, by_designation)
            if not (is_ghg(exc["name"]) or is_ghg(target)):
                continue  # greenhouse gases only: other substances keep bw2io's name matching
            key = (index.get((target.lower(), cats, unit)) or index.get((target.lower(), cats[:1], unit))) if target else None
            if key:
                exc["input"] = key
                entry = seen.setdefault((exc["name"], cats, target), {"name": exc["name"], "categories": "/".join(cats),
                                                                     "to": target, "by": by, "exchanges": 0})
                entry["exchanges"] += 1
            elif is_ghg(exc["name"]):
                exc["pcf_unlinked_reason"] = _why_unlinked(exc["name"], target, cats, compartments)
    report.linked_gases = sorted(seen.values(), key=lambda e: (-e["exchanges"], e["name"]))
    return db


def _gas_target(exc: dict, by_cas: dict, by_designation: dict) -> tuple[str, str]:
    """(biosphere3 substance name, ``CAS`` or ``designation``) for an exchange, or ``("", "")``."""
    cas = normalise_cas(exc.get("CAS number"))
    if cas and len(by_cas.get(cas, ())) == 1:
        return next(iter(by_cas[cas])), f"CAS {cas}"
    d = _designation(exc.get("name") or "")
    if d and len(by_designation.get(d, ())) == 1:
        return next(iter(by_designation[d])), f"designation {d}"
    return "", ""


def _why_unlinked(name: str, target: str, cats: tuple, compartments: dict) -> str:
    top = cats[0] if cats else "no compartment"
    substance = target or name
    if substance.lower() in compartments:
        there = sorted(c[0] for c in compartments[substance.lower()] if c)
        why = f"biosphere3 has {substance!r} only in {', '.join(there)}, not in {top}"
        return why + ("; GWP100 characterises emissions to air" if top != "air" else "")
    if MIXTURE.search(name):
        return "an unspecified mixture of gases: no biosphere3 flow and no single GWP100"
    return "no biosphere3 flow with this name, CAS number or designation"


def strip_names(db: list) -> list:
    """Trim surrounding whitespace from activity names, reference products and exchange names
    (US LCI has names such as ``"Ethylene glycol, at plant "``; a model could not name them)."""
    for ds in db:
        for k in ("name", "reference product"):
            if isinstance(ds.get(k), str):
                ds[k] = ds[k].strip()
        for exc in ds.get("exchanges", []):
            for k in ("name", "reference product"):
                if isinstance(exc.get(k), str):
                    exc[k] = exc[k].strip()
    return db
