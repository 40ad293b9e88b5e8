"""``pcf db import --format jsonld``: openLCA JSON-LD (a zip or its unpacked folder).

bw2io 0.9.17 reads olca-schema 2; exports
in olca-schema 1 (such as US LCI FY17) are first rewritten to it (category paths,
``isInput``, amounts in the flow's reference unit). Processes with several product
outputs are allocated with their own allocation factors when they have usable ones (bw2io),
else physically from their flow properties (:mod:`.allocation`, ``--allocation``; each product
becomes an activity named like the process, its ``reference product`` the product; the
quantitative reference keeps the process's code). Technosphere inputs link to
the process that produces their flow; elementary flows link to biosphere3 by name,
compartment and unit after bw2io's ecoinvent 2 -> 3 name and category migrations and a
short list of openLCA synonyms (``Methane`` -> ``Methane, fossil``, ...).
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from ..core.errors import ImportFailed, UnitError
from ..core.units import conversion_factor
from .allocation import allocate
from .common import ImportReport, apply_synonyms, link_biosphere, link_gases, single_root, strip_names

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


def read(folder: Path, name: str, biosphere: str, report: ImportReport, bd):
    from bw2io.extractors.json_ld import JSONLDExtractor
    from bw2io.importers.json_ld import JSONLDImporter
    from bw2io.strategies import (
        add_database_name, json_ld_allocate_datasets,
        json_ld_convert_unit_to_reference_unit, json_ld_fix_process_type,
        json_ld_get_activities_list_from_rawdata, json_ld_get_normalized_exchange_locations,
        json_ld_get_normalized_exchange_units, json_ld_label_exchange_type, json_ld_location_name,
        json_ld_remove_fields, json_ld_rename_metadata_fields, normalize_biosphere_categories,
        normalize_biosphere_names, normalize_units,
    )

    root = single_root(folder, lambda p: (p / "processes").is_dir())
    if not (root / "processes").is_dir():
        raise ImportFailed(f"{report.source}: no processes/ folder: not an openLCA JSON-LD export "
                           "(export the database from openLCA as JSON-LD, or pick another format)").about("fmt")
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
        _activity_unit,
        json_ld_rename_metadata_fields,
        json_ld_location_name,
        json_ld_remove_fields,
        json_ld_fix_process_type,
        json_ld_label_exchange_type,
        _prepare_exchanges,
        strip_names,
        partial(allocate, method=report.allocation, report=report, naming="process"),
        partial(add_database_name, name=name),
        partial(_jsonld_link, name=name, flows=flows),
        normalize_units,
        normalize_biosphere_categories,
        normalize_biosphere_names,
        apply_synonyms,
        partial(link_biosphere, biosphere=biosphere, bd=bd),
        partial(link_gases, biosphere=biosphere, bd=bd, report=report),
    ]
    imp.apply_strategies(verbose=False)
    return imp


def _activity_unit(db: list) -> list:
    """bw2io's ``json_ld_add_activity_unit`` for datasets with several products: the unit of the
    reference product (the quantitative reference, else the first product output)."""
    for ds in db:
        if ds.get("type") in {"emission", "product"}:
            continue
        prods = [e for e in ds["exchanges"] if e["flow"]["flowType"] == "PRODUCT_FLOW" and not e.get("isInput")]
        if prods:
            ds["unit"] = next((e for e in prods if e.get("pcf_reference") or e.get("quantitativeReference")), prods[0])["unit"]
    return db


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
        if len(outputs) <= 1 and proc.get("allocationFactors"):
            del proc["allocationFactors"]  # one product: nothing to allocate
        if proc.get("allocationFactors"):  # the source's own factors: bw2io allocates with them
            proc.setdefault("defaultAllocationMethod", "PHYSICAL_ALLOCATION")
            _report_stored(proc, outputs, report)
            continue
        for e in proc.get("exchanges", []):  # waste outputs are no co-products (.allocation cuts them)
            if not e["isInput"] and e["flow"].get("flowType") == "WASTE_FLOW":
                e["pcf_waste"] = True
        for e in outputs:  # several products, no factors: pcf allocates (.allocation) from these
            e["pcf_reference"] = bool(e.get("quantitativeReference"))
            e["pcf_properties"] = _properties(e, flows.get(e["flow"]["@id"], {}), units, group_ref, prop_group)
            if e.get("description"):
                e["comment"] = e["description"]


def _report_stored(proc: dict, outputs: list, report: ImportReport) -> None:
    method = proc["defaultAllocationMethod"]
    names = {e["flow"]["@id"]: e["flow"].get("name", "") for e in outputs}
    factors = {names.get((f.get("product") or {}).get("@id"), "?"): f.get("value")
               for f in proc["allocationFactors"] if f.get("allocationType") == method}
    report.allocations.append({"process": proc.get("name"), "location": "", "reference_product": "",
                               "method": f"stored in the source ({method})", "factors": factors, "sources": {},
                               "note": "the dataset's own allocation factors"})


def _properties(exc: dict, flow: dict, units: dict, group_ref: dict, prop_group: dict) -> dict:
    """Quantities of a product output under each allocation basis: ``mass`` [kg] and ``energy``
    [MJ] from the flow's properties (openLCA ``conversionFactor``: units of the property per unit
    of the reference property), ``economic`` from the exchange's ``costValue``. Empty when the
    exchange's amount could not be put in the reference unit."""
    out = {}
    if "refUnit" not in exc["flow"]:
        return out
    factors = flow.get("flowProperties", [])
    ref = next((f for f in factors if f.get("referenceFlowProperty")), None)
    if ref is None:
        return out
    ref_factor = ref.get("conversionFactor", 1.0) or 1.0
    for f in factors:
        unit = group_ref.get(prop_group.get(f["flowProperty"]["@id"]))
        if unit is None:
            continue
        amount = exc.get("amount", 0.0) * (f.get("conversionFactor", 1.0) or 1.0) / ref_factor
        for basis, target in (("mass", "kilogram"), ("energy", "megajoule")):
            try:
                out.setdefault(basis, amount * conversion_factor(unit[1], target))
            except (UnitError, ValueError):
                pass
    if isinstance(exc.get("costValue"), (int, float)):
        out["economic"] = float(exc["costValue"])
    return out


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
                if flow.get("cas"):
                    exc["CAS number"] = flow["cas"]
    return db
