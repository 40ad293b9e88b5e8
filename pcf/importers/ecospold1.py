"""``pcf db import --format ecospold1``: one or more EcoSpold1 XML files (a zip, a folder or a file).

Parsed without the XSD (US LCI breaks it in 17,835 places, mostly CAS-number patterns and
over-long author names); the number of schema violations is reported. Technosphere inputs
bw2io leaves unlinked are linked by name (:func:`link_technosphere_by_name`).
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

from ..core.errors import ImportFailed, UnitError
from ..core.units import conversion_factor
from .allocation import allocate
from .common import ImportReport, apply_synonyms, link_biosphere, link_gases, strip_names


SAFE_XML = {"resolve_entities": False, "load_dtd": False, "no_network": True}
"""lxml parser options: no entity is expanded and no DTD or other document is read (the files
were checked for entity declarations before, :func:`pcf.importers.archive.check_xml`)."""


def read(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.extractors.ecospold1 import Ecospold1DataExtractor
    from bw2io.importers.ecospold1 import SingleOutputEcospold1Importer
    from lxml import etree, objectify
    from pyecospold.config import Defaults
    from pyecospold.core import EcospoldLookupV1

    files = _ecospold1_files(folder) if folder.is_dir() else [folder]
    files = [f for f in files if f.name != "categories.xml"]
    if not files:
        raise ImportFailed(f"{report.source}: no EcoSpold1 XML files found (expected <ecoSpold> documents)")
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
        def process_exchange(cls, exc, dataset):
            data = super().process_exchange(exc, dataset)
            if exc.groupsStr[0] == "WasteToTreatment":  # outputGroup 3: a waste, not a co-product
                data["pcf_waste"] = True
            return data

        @classmethod
        def process_file(cls, filepath, db_name):
            nonlocal violations
            raw = etree.parse(str(filepath), etree.XMLParser(huge_tree=True, **SAFE_XML))
            if not schema.validate(raw):
                violations += len(schema.error_log)
            repair(raw.getroot())
            parser = objectify.makeparser(huge_tree=True, **SAFE_XML)
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
        raise ImportFailed(f"{report.source}: not valid XML ({exc}); is it EcoSpold1? pick the right format"
                             ).about("fmt") from None
    imp.data = data
    report.processes = len(data)
    report.schema_violations = violations
    at = next(i for i, st in enumerate(imp.strategies) if getattr(st, "__name__", "") == "set_code_by_activity_hash"
              or getattr(getattr(st, "func", None), "__name__", "") == "set_code_by_activity_hash")
    imp.strategies.insert(at, strip_names)
    imp.strategies.insert(at + 1, partial(allocate, method=report.allocation, report=report, naming="product"))
    imp.apply_strategies(verbose=False)
    imp.apply_strategy(apply_synonyms, verbose=False)
    imp.apply_strategy(partial(link_biosphere, biosphere=biosphere, bd=bd), verbose=False)
    imp.apply_strategy(partial(link_gases, biosphere=biosphere, bd=bd, report=report), verbose=False)
    imp.apply_strategy(partial(link_technosphere_by_name, name=name, report=report), verbose=False)
    return imp


def _ecospold1_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*.xml") if p.is_file())
    spold = []
    for p in files:
        with p.open("rb") as handle:
            head = handle.read(4096)
        if b"EcoSpold01" in head and b"<dataset" in head or b"ecoSpold" in head and b"<dataset" in head:
            spold.append(p)
    return spold


def link_technosphere_by_name(db: list, name: str, report: ImportReport) -> list:
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
