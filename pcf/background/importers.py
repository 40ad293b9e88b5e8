"""``pcf db import``: a background database from openLCA JSON-LD, EcoSpold1, EcoSpold2 or Excel.

Each format goes through bw2io's importer with its default strategies, plus the steps pcf
needs so that the result is a complete, solvable Brightway database in which nothing was
dropped without a trace:

``jsonld``
    openLCA JSON-LD (a zip or its unpacked folder). bw2io 0.9.17 reads olca-schema 2; exports
    in olca-schema 1 (such as US LCI FY17) are first rewritten to it (category paths,
    ``isInput``, amounts in the flow's reference unit). Processes with several product
    outputs and no allocation factors keep their quantitative reference as the only
    product: all burdens stay with it (as openLCA does without allocation) and the other
    outputs are listed in the report (``coproducts_cut_off``). Technosphere inputs link to
    the process that produces their flow; elementary flows link to biosphere3 by name,
    compartment and unit after bw2io's ecoinvent 2 -> 3 name and category migrations and a
    short list of openLCA synonyms (``Methane`` -> ``Methane, fossil``, ...).
``ecospold1``
    One or more EcoSpold1 XML files (a zip, a folder or a file). Parsed without the XSD
    (US LCI breaks it in 17,835 places, mostly CAS-number patterns and over-long author
    names); the number of schema violations is reported.
``ecospold2``
    A folder of ``.spold`` files (ecoinvent's ``datasets`` folder) or a zip of them. bw2io's
    strategies that delete exchanges without a provider are left out; pcf handles them.
``excel``
    A Brightway Excel workbook (bw2io ``ExcelImporter`` layout); its ``Database`` line is
    replaced by ``name``.

What happens to exchanges still unlinked after the strategies (the explicit policy):

- **biosphere**: each distinct flow (name, categories, unit) is written to a companion
  biosphere database ``<name>-biosphere`` and linked there, so its mass is kept and
  visible. No LCIA method characterises it: those that look like greenhouse gases are
  listed separately in ``ImportReport.unlinked_ghg`` as a warning, because their GWP is lost.
- **technosphere** (and substitution): each distinct product without a provider in the
  source becomes a flagged placeholder activity in the database (``pcf_unlinked: True``,
  code ``pcf-unlinked-<hash>``) with a production exchange and no burden, i.e. an explicit
  cut-off. This is how US LCI itself treats its ``CUTOFF`` and ``Dummy`` flows. A model
  that relies on one understates its footprint: the report lists them.
- **production**: linked to the activity itself; any left is listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import shutil
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from ..core.bw import brightway, quiet
from ..core.errors import ImportFailed as _ImportError
from .opendefault import DATABASE as OPEN_DEFAULT

FORMATS = ("jsonld", "ecospold1", "ecospold2", "excel")
PROTECTED = ("biosphere3", OPEN_DEFAULT)

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
#: Compartment words of openLCA category paths -> biosphere3 top compartment.
COMPARTMENTS = {"air": "air", "water": "water", "soil": "soil", "resource": "natural resource",
                "natural resource": "natural resource", "emission to air": "air",
                "emission output to atmosphere": "air", "emissions to water": "water",
                "emission output to freshwater": "water"}
#: openLCA / ecoinvent 2 sub-compartments -> biosphere3 ones (the rest go through bw2io's
#: ``biosphere-2-3-categories`` migration or fall back to the top compartment).
SUBCOMPARTMENTS = {
    ("air", "low. pop."): "non-urban air or from high stacks",
    ("air", "low population density"): "non-urban air or from high stacks",
    ("air", "high population density"): "urban air close to ground",
    ("air", "stratosphere"): "lower stratosphere + upper troposphere",
    ("water", "river"): "surface water",
    ("water", "lake"): "surface water",
    ("water", "fresh water"): "surface water",
    ("water", "ground-"): "ground-",
    ("natural resource", "in ground"): "in ground",
    ("natural resource", "in water"): "in water",
    ("natural resource", "in air"): "in air",
    ("natural resource", "land"): "land",
    ("natural resource", "biotic"): "biotic",
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
    """

    type: str
    name: str
    categories: str
    unit: str
    location: str
    exchanges: int
    ghg: bool = False


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
    coproducts_cut_off : list of dict
        Co-products of datasets without usable allocation factors (``process``, ``flow``,
        ``amount``, ``unit``): not written; all burdens stay with the reference product.
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
    coproducts_cut_off: list[dict] = field(default_factory=list)
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


# --------------------------------------------------------------------------------------------
# helpers


def is_ghg(name: str) -> bool:
    """Whether an elementary flow name looks like a greenhouse gas (CO2, CH4, N2O, SF6, NF3, HFC, PFC ...)."""
    low = name.lower()
    if any(x in low for x in GHG_EXCLUDE):
        return False
    return any(re.search(rf"(^|[^a-z]){re.escape(p)}", low) for p in GHG_PATTERNS)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(path)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _code(*parts) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:20]


@contextlib.contextmanager
def _unpacked(path: Path) -> Iterator[Path]:
    """The input as a folder: a zip is extracted to a temporary folder, removed afterwards."""
    if path.is_dir():
        yield path
        return
    if path.suffix.lower() in (".xlsx", ".xlsm") or not zipfile.is_zipfile(path):
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="pcf-import-"))
    try:
        try:
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():  # no path traversal out of tmp
                    target = (tmp / member).resolve()
                    if not target.is_relative_to(tmp.resolve()):
                        raise _ImportError(f"{path}: zip member {member!r} points outside the archive; "
                                           "unpack it yourself and import the folder")
                archive.extractall(tmp)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _ImportError(f"{path}: cannot unpack the zip ({exc}); check the download "
                               "(compare its sha256) or import the unpacked folder") from None
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _single_root(folder: Path, marker: Callable[[Path], bool]) -> Path:
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


# --------------------------------------------------------------------------------------------
# JSON-LD (olca-schema 1 -> 2, co-products, provider and biosphere linking)


def _olca_category_paths(folder: Path) -> dict[str, str]:
    cats = {}
    for p in (folder / "categories").glob("*.json"):
        obj = json.loads(p.read_text(encoding="utf-8"))
        cats[obj["@id"]] = obj

    def path(cid: str) -> str:
        parts, seen = [], set()
        while cid and cid in cats and cid not in seen:
            seen.add(cid)
            parts.insert(0, cats[cid]["name"])
            cid = (cats[cid].get("category") or {}).get("@id")
        return "/".join(parts)

    return {cid: path(cid) for cid in cats}


def _jsonld_normalise(data: dict, folder: Path, report: ImportReport) -> None:
    """Rewrite olca-schema 1 records in place to the olca-schema 2 fields bw2io 0.9.17 reads."""
    paths = _olca_category_paths(folder)
    for group in data.values():
        for obj in group.values():
            cat = obj.get("category")
            if isinstance(cat, dict):
                obj["category"] = paths.get(cat.get("@id"), cat.get("name", ""))
    units = {}  # unit @id -> (factor, group @id)
    group_ref = {}  # unit group @id -> (reference unit @id, name)
    for g in data.get("unit_groups", {}).values():
        for u in g.get("units", []):
            units[u["@id"]] = (u.get("conversionFactor", 1.0), g["@id"])
            if u.get("referenceUnit"):
                group_ref[g["@id"]] = (u["@id"], u["name"])
    prop_group = {fp["@id"]: (fp.get("unitGroup") or {}).get("@id") for fp in data.get("flow_properties", {}).values()}
    flows = data.get("flows", {})
    for proc in data.get("processes", {}).values():
        if isinstance(proc.get("parameters"), list):  # openLCA parameters: kept as metadata, not evaluated
            proc["olca_parameters"] = proc.pop("parameters")
        for exc in proc.get("exchanges", []):
            if "isInput" not in exc:
                exc["isInput"] = bool(exc.get("input"))
            exc["input"] = exc["isInput"]  # bw2io's allocation step reads ``input``
            flow = flows.get(exc["flow"]["@id"], {})
            exc["flow"].setdefault("flowType", flow.get("flowType"))
            # amount in the reference unit of the flow's reference flow property
            factors = {f["flowProperty"]["@id"]: f.get("conversionFactor", 1.0) for f in flow.get("flowProperties", [])}
            ref_prop = next((f["flowProperty"]["@id"] for f in flow.get("flowProperties", []) if f.get("referenceFlowProperty")), None)
            unit = exc.get("unit") or {}
            if ref_prop is None or unit.get("@id") not in units or "refUnit" in exc["flow"]:
                continue
            ufactor, _ = units[unit["@id"]]
            prop = (exc.get("flowProperty") or {}).get("@id", ref_prop)
            pfactor = factors.get(prop, 1.0) or 1.0
            ref_unit = group_ref.get(prop_group.get(ref_prop))
            if ref_unit is None:
                continue
            exc["amount"] = exc.get("amount", 0.0) * ufactor / pfactor
            unc = exc.get("uncertainty")
            if isinstance(unc, dict):  # openLCA uncertainty in the exchange's unit: rescale it too
                for k in ("geomMean", "mean", "minimum", "maximum", "mode", "sd"):
                    if isinstance(unc.get(k), (int, float)) and not (k == "sd" and unc.get("distributionType") == "LOG_NORMAL_DISTRIBUTION"):
                        unc[k] = unc[k] * ufactor / pfactor
            exc["unit"] = {"@type": "Unit", "@id": ref_unit[0], "name": ref_unit[1]}
            exc["flow"]["refUnit"] = ref_unit[1]
        outputs = [e for e in proc.get("exchanges", []) if not e["isInput"] and e["flow"].get("flowType") == "PRODUCT_FLOW"]
        if proc.get("allocationFactors") and not _usable_allocation(proc):
            del proc["allocationFactors"]
        if len(outputs) > 1 and not proc.get("allocationFactors"):
            ref = next((e for e in outputs if e.get("quantitativeReference")), outputs[0])
            for e in outputs:
                if e is not ref:
                    report.coproducts_cut_off.append({"process": proc["name"], "flow": e["flow"].get("name"),
                                                      "amount": e.get("amount"), "unit": (e.get("flow") or {}).get("refUnit", "")})
            proc["exchanges"] = [e for e in proc["exchanges"] if e is ref or e not in outputs]
        elif len(outputs) <= 1 and proc.get("allocationFactors"):
            del proc["allocationFactors"]  # one product: nothing to allocate
        if not proc.get("defaultAllocationMethod") and proc.get("allocationFactors"):
            proc["defaultAllocationMethod"] = "PHYSICAL_ALLOCATION"


def _usable_allocation(proc: dict) -> bool:
    """Whether bw2io can allocate with the factors: each names its product (and, for causal
    factors, its exchange) and the default method's factors add up to more than zero."""
    factors = proc.get("allocationFactors") or []
    if any("product" not in f or (f.get("allocationType") == "CAUSAL_ALLOCATION" and "exchange" not in f) for f in factors):
        return False
    method = proc.get("defaultAllocationMethod") or "PHYSICAL_ALLOCATION"
    return sum(f.get("value", 0.0) for f in factors if f.get("allocationType") == method) > 0


def _biosphere_categories(path: str) -> tuple[str, ...]:
    """openLCA category path -> biosphere3-style categories tuple."""
    parts = [p.strip() for p in (path or "").split("/") if p.strip()]
    for i, part in enumerate(parts):
        top = COMPARTMENTS.get(part.lower())
        if top:
            rest = [p for p in parts[i + 1:] if p.lower() not in ("unspecified", "(unspecified)")]
            if not rest:
                return (top,)
            sub = SUBCOMPARTMENTS.get((top, rest[0].lower()), rest[0])
            return (top, sub)
    return tuple(parts[-1:]) if parts else ()


def _jsonld_link(db: list, name: str, flows: dict) -> list:
    """Link production to the activity itself and technosphere inputs to the producer of their flow."""
    producers: dict[str, list[dict]] = {}
    for ds in db:
        for exc in ds["exchanges"]:
            if exc["type"] == "production":
                producers.setdefault(exc["code"], []).append(ds)
    for ds in db:
        for exc in ds["exchanges"]:
            if exc["type"] == "production":
                exc["input"] = (name, ds["code"])
            elif exc["type"] in ("technosphere", "substitution"):
                candidates = producers.get(exc["code"], [])
                if len(candidates) > 1:  # several producers: prefer the same location
                    same = [c for c in candidates if c.get("location") == ds.get("location")]
                    candidates = same or sorted(candidates, key=lambda c: c["code"])
                if candidates:
                    exc["input"] = (name, candidates[0]["code"])
                else:
                    flow = flows.get(exc["code"], {})
                    exc["location"] = (flow.get("location") or {}).get("name", "") if isinstance(flow.get("location"), dict) else ""
            elif exc["type"] == "biosphere":
                flow = flows.get(exc["code"], {})
                exc["categories"] = _biosphere_categories(flow.get("category", ""))
                exc["name"] = exc["name"].strip()
    return db


def _synonyms(db: list) -> list:
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


def _link_biosphere(db: list, biosphere: str, bd) -> list:
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


# --------------------------------------------------------------------------------------------
# format readers: each returns a bw2io importer whose strategies have been applied


def _read_jsonld(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.extractors.json_ld import JSONLDExtractor
    from bw2io.importers.json_ld import JSONLDImporter
    from bw2io.strategies import (
        add_database_name, json_ld_add_activity_unit, json_ld_allocate_datasets,
        json_ld_convert_unit_to_reference_unit, json_ld_fix_process_type,
        json_ld_get_activities_list_from_rawdata, json_ld_get_normalized_exchange_locations,
        json_ld_get_normalized_exchange_units, json_ld_label_exchange_type, json_ld_location_name,
        json_ld_remove_fields, json_ld_rename_metadata_fields, normalize_biosphere_categories,
        normalize_biosphere_names, normalize_units,
    )

    root = _single_root(folder, lambda p: (p / "processes").is_dir())
    if not (root / "processes").is_dir():
        raise _ImportError(f"{report.source}: no processes/ folder: not an openLCA JSON-LD export "
                           "(export the database from openLCA as JSON-LD, or pick another --format)")
    data = JSONLDExtractor.extract(root)
    for group in ("processes", "flows", "unit_groups", "flow_properties", "locations"):
        data.setdefault(group, {})
    report.processes = len(data["processes"])
    _jsonld_normalise(data, root, report)
    flows = {f["@id"]: f for f in data["flows"].values()}

    imp = JSONLDImporter.__new__(JSONLDImporter)
    imp.data, imp.db_name, imp._biosphere_database_warned = data, name, True
    imp.biosphere_database, imp.products = [], []
    imp.strategies = [
        json_ld_allocate_datasets,
        json_ld_get_normalized_exchange_locations,
        json_ld_convert_unit_to_reference_unit,
        json_ld_get_activities_list_from_rawdata,
        json_ld_get_normalized_exchange_units,
        json_ld_add_activity_unit,
        json_ld_rename_metadata_fields,
        json_ld_location_name,
        json_ld_remove_fields,
        json_ld_fix_process_type,
        json_ld_label_exchange_type,
        _prepare_exchanges,
        partial(add_database_name, name=name),
        partial(_jsonld_link, name=name, flows=flows),
        normalize_units,
        normalize_biosphere_categories,
        normalize_biosphere_names,
        _synonyms,
        partial(_link_biosphere, biosphere=biosphere, bd=bd),
    ]
    imp.apply_strategies(verbose=False)
    return imp


def _prepare_exchanges(db: list) -> list:
    """bw2io's ``json_ld_prepare_exchange_fields_for_linking``, keeping ``code`` as the flow id."""
    drop = {"input", "isInput", "internalId", "quantitativeReference", "avoidedProduct", "flowProperty", "@type"}
    for ds in db:
        for exc in ds["exchanges"]:
            for f in drop & set(exc):
                del exc[f]
            flow = exc.pop("flow")
            exc["name"], exc["code"] = flow["name"], flow["@id"]
    return db


def _ecospold1_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*.xml") if p.is_file())
    spold = []
    for p in files:
        with p.open("rb") as handle:
            head = handle.read(4096)
        if b"EcoSpold01" in head and b"<dataset" in head or b"ecoSpold" in head and b"<dataset" in head:
            spold.append(p)
    return spold


def _read_ecospold1(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.extractors.ecospold1 import Ecospold1DataExtractor
    from bw2io.importers.ecospold1 import SingleOutputEcospold1Importer
    from lxml import etree, objectify
    from pyecospold.config import Defaults
    from pyecospold.core import EcospoldLookupV1

    files = _ecospold1_files(folder) if folder.is_dir() else [folder]
    files = [f for f in files if f.name != "categories.xml"]
    if not files:
        raise _ImportError(f"{report.source}: no EcoSpold1 XML files found (expected <ecoSpold> documents)")
    schema = etree.XMLSchema(file=Defaults.SCHEMA_V1_FILE)
    violations = 0
    ns = "{http://www.EcoInvent.org/EcoSpold01}"

    def repair(root) -> None:
        """Fill what bw2io's extractor needs and the US LCI files omit."""
        for tp in root.iter(f"{ns}timePeriod"):
            have = {etree.QName(c).localname for c in tp}
            starts = [c for c in tp if etree.QName(c).localname in ("startYear", "startYearMonth", "startDate")]
            ends = [c for c in tp if etree.QName(c).localname in ("endYear", "endYearMonth", "endDate")]
            if not starts and ends:
                el = etree.SubElement(tp, f"{ns}{etree.QName(ends[0]).localname.replace('end', 'start')}")
                el.text = ends[0].text
            if not ends and starts:
                el = etree.SubElement(tp, f"{ns}{etree.QName(starts[0]).localname.replace('start', 'end')}")
                el.text = starts[0].text
            if not starts and not ends and not have & {"startYear"}:
                for tag in ("startYear", "endYear"):
                    etree.SubElement(tp, f"{ns}{tag}").text = "2000"
        for mi in root.iter(f"{ns}metaInformation"):
            if not any(etree.QName(c).localname == "modellingAndValidation" for c in mi):
                etree.SubElement(mi, f"{ns}modellingAndValidation")
        for ai in root.iter(f"{ns}administrativeInformation"):
            persons = [c for c in ai if etree.QName(c).localname == "person"]
            if not any(etree.QName(c).localname == "dataEntryBy" for c in ai):
                el = etree.SubElement(ai, f"{ns}dataEntryBy")
                el.set("person", persons[0].get("number", "1") if persons else "1")
                if not persons:
                    p = etree.SubElement(ai, f"{ns}person")
                    p.set("number", "1")
                    p.set("name", "unknown")

    class Extractor(Ecospold1DataExtractor):
        @classmethod
        def process_file(cls, filepath, db_name):
            nonlocal violations
            raw = etree.parse(str(filepath), etree.XMLParser(huge_tree=True))
            if not schema.validate(raw):
                violations += len(schema.error_log)
            repair(raw.getroot())
            parser = objectify.makeparser(huge_tree=True)
            parser.set_element_class_lookup(EcospoldLookupV1())
            root = objectify.fromstring(etree.tostring(raw), parser)
            return [cls.process_dataset(ds, filepath, db_name) for ds in root.iterchildren(f"{ns}dataset")]

    data = []
    imp = None
    try:
        for f in files:
            imp = SingleOutputEcospold1Importer(f, name, use_mp=False, extractor=Extractor)
            data.extend(imp.data)
    except etree.XMLSyntaxError as exc:
        raise _ImportError(f"{report.source}: not valid XML ({exc}); is it EcoSpold1? pick the right --format") from None
    imp.data = data
    report.processes = len(data)
    report.schema_violations = violations
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(_synonyms, verbose=False)
    imp.apply_strategy(partial(_link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    imp.apply_strategy(partial(_link_technosphere_by_name, name=name, report=report), verbose=False)
    return imp


def _link_technosphere_by_name(db: list, name: str, report: ImportReport) -> list:
    """Link technosphere inputs that bw2io left unlinked to the one activity of the same
    database with the same name (and location, when that is unique), converting the unit when
    both are of one dimension (e.g. MJ -> kWh).

    US LCI's EcoSpold1 export names providers whose category differs from the provider's own
    dataset, so bw2io's activity-hash linking misses them and the grid mixes would draw on
    zero-burden placeholders. Only unambiguous matches are linked; the rest stay unlinked and
    are reported.
    """
    from ..core.errors import UnitError
    from ..core.units import conversion_factor

    by_name_loc: dict[tuple, list] = {}
    by_name: dict[str, list] = {}
    for ds in db:
        by_name_loc.setdefault((ds["name"].lower(), ds.get("location")), []).append(ds)
        by_name.setdefault(ds["name"].lower(), []).append(ds)
    linked = 0
    for ds in db:
        for exc in ds.get("exchanges", []):
            if exc.get("input") or exc.get("type") != "technosphere" or not exc.get("name"):
                continue
            key = exc["name"].lower()
            candidates = by_name_loc.get((key, exc.get("location"))) or []
            if len(candidates) != 1:
                candidates = by_name.get(key) or []
            if len(candidates) != 1 or candidates[0] is ds:
                continue
            target = candidates[0]
            try:
                factor = conversion_factor(exc.get("unit") or target.get("unit"), target.get("unit"))
            except UnitError:
                continue
            exc["input"] = (name, target["code"])
            exc["amount"] = exc["amount"] * factor
            _scale_uncertainty(exc, factor)
            exc["unit"] = target.get("unit")
            linked += 1
    report.linked_by_name = linked
    return db


def _read_ecospold2(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.importers.ecospold2 import SingleOutputEcospold2Importer
    from bw2io.strategies import (
        delete_exchanges_missing_activity, delete_ghost_exchanges, drop_temporary_outdated_biosphere_flows,
    )

    root = _single_root(folder, lambda p: any(p.glob("*.spold")))
    if not any(root.glob("*.spold")):
        raise _ImportError(f"{report.source}: no .spold files found; point at ecoinvent's `datasets` folder")
    imp = SingleOutputEcospold2Importer(str(root), name, biosphere_database_name=biosphere, use_mp=False,
                                        add_product_information=False)
    dropping = {delete_exchanges_missing_activity, delete_ghost_exchanges, drop_temporary_outdated_biosphere_flows}
    imp.strategies = [s for s in imp.strategies if s not in dropping]
    report.processes = len(imp.data)
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(partial(_link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    return imp


def _read_excel(path: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.importers.excel import ExcelImporter
    from bw2io.strategies import link_iterable_by_fields

    if path.is_dir():
        books = sorted(path.rglob("*.xlsx"))
        if len(books) != 1:
            raise _ImportError(f"{report.source}: expected one .xlsx workbook, found {len(books)}; pass the file")
        path = books[0]
    imp = ExcelImporter(str(path))
    old = imp.db_name
    for ds in imp.data:
        ds["database"] = name
        for exc in ds.get("exchanges", []):
            if exc.get("database") == old:
                exc["database"] = name
    imp.db_name = name
    report.processes = len(imp.data)
    imp.strategies = [
        partial(link_iterable_by_fields, other=bd.Database(biosphere), edge_kinds=["biosphere"])
        if getattr(s, "func", None) is link_iterable_by_fields else s for s in imp.strategies
    ]
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(_synonyms, verbose=False)
    imp.apply_strategy(partial(_link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    return imp


READERS = {"jsonld": _read_jsonld, "ecospold1": _read_ecospold1, "ecospold2": _read_ecospold2, "excel": _read_excel}


# --------------------------------------------------------------------------------------------
# unlinked exchanges, writing


def _resolve_unlinked(data: list, name: str, report: ImportReport) -> tuple[dict, dict]:
    """Apply the unlinked-exchange policy; return (placeholder activities, companion flows)."""
    bio_db = f"{name}-biosphere"
    counts: Counter = Counter()
    flows: dict[tuple, UnlinkedFlow] = {}
    placeholders: dict[tuple, dict] = {}
    companion: dict[tuple, dict] = {}
    for ds in data:
        for exc in ds.get("exchanges", []):
            if exc.get("input"):
                continue
            kind = exc.get("type", "technosphere")
            counts[kind] += 1
            unit = exc.get("unit") or ""
            if kind == "production":
                exc["input"] = (name, ds["code"])
                cats, loc = "", ds.get("location") or ""
            elif kind == "biosphere":
                cats_t = tuple(c for c in (exc.get("categories") or ()) if c)
                cats, loc = "/".join(cats_t), ""
                code = _code(exc["name"], cats, unit)
                companion[(bio_db, code)] = {"name": exc["name"], "categories": cats_t, "unit": unit,
                                             "type": "emission", "exchanges": [], "pcf_unlinked": True,
                                             "comment": f"elementary flow of {report.source} with no biosphere3 match"}
                exc["input"] = (bio_db, code)
            else:
                cats, loc = "", exc.get("location") or ""
                code = "pcf-unlinked-" + _code(exc["name"], unit, loc)
                placeholders[(name, code)] = {
                    "name": exc["name"], "reference product": exc["name"], "unit": unit,
                    "location": loc or "GLO", "type": "process", "code": code, "database": name,
                    "pcf_unlinked": True,
                    "comment": (f"Placeholder written by pcf: no provider for this input in {report.source}; "
                                "zero burden (cut-off). Link or replace it before relying on it."),
                    "exchanges": [{"input": (name, code), "amount": 1.0, "type": "production", "unit": unit}],
                }
                exc["input"] = (name, code)
            key = (kind, exc["name"], cats, unit, loc)
            if key not in flows:
                flows[key] = UnlinkedFlow(kind, exc["name"], cats, unit, loc, 0, kind == "biosphere" and is_ghg(exc["name"]))
            flows[key].exchanges += 1
    report.unlinked = dict(counts)
    report.unlinked_flows = sorted(flows.values(), key=lambda f: (-f.exchanges, f.type, f.name))
    report.unlinked_ghg = [f for f in report.unlinked_flows if f.ghg]
    report.placeholders = len(placeholders)
    report.biosphere_database = bio_db if companion else ""
    return placeholders, companion


def _one_reference_product(data: list, name: str, report: ImportReport) -> None:
    """Keep one production exchange per activity (its reference product); list the others in
    ``report.coproducts_cut_off`` (all burdens stay with the reference product)."""
    for ds in data:
        prods = [e for e in ds.get("exchanges", []) if e.get("type") == "production"]
        own = (name, ds.get("code"))
        if len(prods) == 1 and not prods[0].get("input"):
            prods[0]["input"] = own
        if len(prods) <= 1:
            continue
        ref = next((e for e in prods if tuple(e.get("input") or ()) == own), None) or next(
            (e for e in prods if e.get("name") in (ds.get("reference product"), ds.get("name"))), prods[0])
        ref.setdefault("input", own)
        for e in prods:
            if e is not ref:
                report.coproducts_cut_off.append({"process": ds.get("name"), "flow": e.get("name"),
                                                  "amount": e.get("amount"), "unit": e.get("unit", "")})
        ds["exchanges"] = [e for e in ds["exchanges"] if e is ref or e.get("type") != "production"]


def _scale_uncertainty(exc: dict, factor: float) -> None:
    """Rescale a Brightway uncertainty dict after ``amount`` was multiplied by ``factor``
    (stats_arrays: 2 lognormal keeps its ``scale`` and shifts ``loc`` by ln(factor); the
    others scale ``loc``, ``scale``, ``minimum``, ``maximum``)."""
    kind = exc.get("uncertainty type")
    if kind == 2 and isinstance(exc.get("loc"), (int, float)) and factor > 0:
        exc["loc"] = exc["loc"] + math.log(factor)
        return
    for k in ("loc", "scale", "minimum", "maximum"):
        if isinstance(exc.get(k), (int, float)) and not (k == "scale" and kind == 2):
            exc[k] = exc[k] * factor


def _clean(ds: dict) -> dict:
    out = {k: v for k, v in ds.items() if k not in ("database",) and v is not None}
    out["exchanges"] = [
        {k: v for k, v in exc.items() if v is not None and k != "code"}
        for exc in ds.get("exchanges", [])
    ]
    for exc in out["exchanges"]:
        # no uncertainty (stats_arrays 0) or undefined (1): loc is the amount itself
        if exc.get("uncertainty type") in (0, 1) and "loc" in exc and "amount" in exc:
            exc["loc"] = exc["amount"]
    return out


def _validate_name(name: str, bd, replace: bool) -> None:
    if not name or not name.strip() or name != name.strip():
        raise _ImportError("--name is empty or has leading/trailing spaces; choose e.g. `uslci-2021`")
    if name in PROTECTED or name == "open-default" or name.startswith("pcf-fg-") or name.endswith("-biosphere"):
        raise _ImportError(f"{name!r} is reserved (biosphere3, pcf-open-default, open-default, pcf-fg-*, "
                           "*-biosphere are written by pcf itself); choose another --name")
    if not replace:
        for db in (name, f"{name}-biosphere"):
            if db in bd.databases:
                raise _ImportError(f"database {db!r} already exists; pass --replace to overwrite it "
                                   "or choose another --name (`pcf db list` shows the installed ones)")


def import_database(path: str | Path, fmt: str, name: str, *, biosphere: str = "biosphere3",
                    replace: bool = False, progress: Callable[[str], None] = lambda msg: None) -> ImportReport:
    """Import an LCI database with bw2io and write it as Brightway database ``name``.

    Parameters
    ----------
    path : str or Path
        A zip file, a folder, or (EcoSpold1, Excel) a single file.
    fmt : str
        ``jsonld``, ``ecospold1``, ``ecospold2`` or ``excel``.
    name : str
        Database name; a model refers to it with ``study.background: NAME``.
    biosphere : str
        Elementary-flow database to link to (``biosphere3``, written by ``pcf setup``).
    replace : bool
        Overwrite an existing database of that name (and its companion biosphere).
    progress : callable
        Receives one line per step.

    Returns
    -------
    ImportReport
        Counts, unlinked exchanges (policy in the module docstring), content hash.

    Raises
    ------
    ImportFailed
        Unknown format, missing path, reserved or existing name, unreadable or empty input,
        biosphere database missing. Nothing is left written: on any failure during writing
        the database and its companion are deleted (an existing one is kept unless writing
        the new one had begun with ``replace=True``).
    """
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise _ImportError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    path = Path(path).expanduser()
    if not path.exists():
        raise _ImportError(f"{path} does not exist; give the zip file or folder to import")
    bd = brightway()
    _validate_name(name, bd, replace)
    if biosphere not in bd.databases:
        raise _ImportError(f"biosphere database {biosphere!r} is not installed: run `pcf setup` first")
    report = ImportReport(name=name, format=fmt, source=path.name, sha256=_sha256(path))
    progress(f"reading {path.name} ({fmt}) ...")
    from bw2io.migrations import create_core_migrations, migrations

    with quiet():
        if "biosphere-2-3-names" not in migrations:
            create_core_migrations()
    with _unpacked(path) as folder:
        try:
            with quiet():
                imp = READERS[fmt](folder, name, biosphere, report, bd)
        except _ImportError:
            raise
        except Exception as exc:  # bw2io / parser failures on malformed input
            raise _ImportError(f"{path.name}: bw2io could not read it as {fmt} "
                               f"({type(exc).__name__}: {exc}); check --format and the file") from exc
    data = [ds for ds in imp.data if ds.get("type", "process") not in ("emission", "product")]
    if not data:
        raise _ImportError(f"{path.name}: no activities found; check --format ({fmt}) and the file")
    for ds in data:
        ds["database"] = name
        if not ds.get("code"):
            ds["code"] = _code(ds.get("name"), ds.get("reference product"), ds.get("location"), ds.get("unit"))
    seen: Counter = Counter()
    for ds in data:  # same name, unit, location and category twice: keep both, number the later ones
        seen[ds["code"]] += 1
        if seen[ds["code"]] > 1:
            report.duplicates.append(ds.get("name", ""))
            ds["code"] = f"{ds['code']}-{seen[ds['code']]}"
    progress("linking ...")
    _one_reference_product(data, name, report)
    placeholders, companion = _resolve_unlinked(data, name, report)
    records = {(name, ds["code"]): _clean(ds) for ds in data}
    records.update({k: _clean(v) for k, v in placeholders.items()})
    report.activities = len(records)
    report.exchanges = sum(len(r["exchanges"]) for r in records.values())
    progress(f"writing {report.activities} activities ...")
    bio_db = f"{name}-biosphere"
    try:
        with quiet():
            for db in (name, bio_db):
                if db in bd.databases:
                    del bd.databases[db]
            if companion:
                cdb = bd.Database(bio_db)
                cdb.register(description=f"elementary flows of {path.name} with no {biosphere} match (pcf import)",
                             pcf_kind="imported-biosphere", pcf_source=path.name, pcf_sha256=report.sha256)
                cdb.write({k: _clean(v) for k, v in companion.items()})
            db = bd.Database(name)
            report.seconds = round(time.perf_counter() - started, 2)
            db.register(
                description=f"{path.name} ({fmt}, imported by pcf)",
                pcf_kind="imported", pcf_format=fmt, pcf_source=path.name, pcf_sha256=report.sha256,
                pcf_unlinked=report.unlinked, pcf_placeholders=report.placeholders,
                pcf_biosphere=bio_db if companion else "",
            )
            db.write(records)
    except Exception as exc:
        with quiet():
            for d in (name, bio_db):
                if d in bd.databases:
                    del bd.databases[d]
        raise _ImportError(f"writing {name!r} failed ({type(exc).__name__}: {exc}); nothing was kept") from exc
    report.seconds = round(time.perf_counter() - started, 2)
    return report
