"""``pcf export-model --format olca-jsonld``: a model's foreground as an openLCA JSON-LD zip.

The foreground is the one :func:`pcf.exchange.modelexport.collect` links (as ``pcf footprint``
does: allocation applied, amounts per run of each process in the unit of the activity drawn
on). The zip is an olca-schema 2 package (``olca-schema.json`` ``{"version": 2}`` at the root,
one JSON file per entity in ``processes/``, ``flows/``, ``flow_properties/``,
``unit_groups/``, ``locations/``; GreenDelta/olca-schema ``intro.md``, "Zip packages"):

- each foreground activity is a process (``UNIT_PROCESS``) with its exchanges, its product a
  ``PRODUCT_FLOW`` (the process's quantitative reference);
- each background activity drawn on is a product flow named by its reference product, with its
  location, and the exchange's ``defaultProvider`` names the background process (name,
  location); no process data set of the background is written (no empty stub that openLCA
  would link and count as zero): the user links these flows to their own database in openLCA
  (the README in the zip lists them);
- elementary flows keep their biosphere3 code as ``@id`` (ecoinvent 3's elementary-exchange
  UUIDs), so a database that holds ecoinvent's elementary flows merges them;
- units and flow properties are openLCA's reference ones (:mod:`pcf.exchange.olcaunits`),
  ``Wp`` in a unit group of pcf's own.

Every other id is a uuid5 of the model's ids (:func:`pcf.exchange.olcaunits.pcf_uuid`) and the
zip has fixed timestamps and a fixed member order: two exports of one model are the same bytes.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

from ..core.errors import ExchangeError
from .olcaunits import GROUPS, PCF_GROUPS, Group, location_id, olca_unit, pcf_uuid

#: Fixed timestamp of every zip member (the earliest a zip can hold), for identical bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

NOT_CARRIED = (
    "The background: its activities are product flows to link in openLCA (above), not processes.",
    "Parameters and expressions: every amount is the number pcf evaluated (no openLCA parameters or formulas).",
    "Scenarios: the zip is one variant, the model as written unless a scenario was chosen.",
    "Allocation: applied. A multi-output process is one process per product that has an id, each with its "
    "allocated share of the inputs and emissions; credits of avoided products (system expansion) are negative "
    "inputs of the main product.",
    "Transport legs: tonne-kilometre inputs of the transport activities (chargeable mass x distance).",
    "Supplier footprints (supplier_pcf): processes of this zip whose elementary flows give back the supplier's "
    "figures; aircraft emissions and the supplier's data quality are not carried.",
    "Excluded inputs and their proxies: not written (they are not part of the footprint).",
    "Data quality (data, emission_factor, dqr), electricity source statements, declared unit, biogenic carbon "
    "content, exchange facts and the PCR: not written; no product system, LCIA method or result.",
    "Uncertainty: the model's own uncertainty: fields as openLCA distributions; pcf's default distributions "
    "(from data quality) are not written.",
    "Life-cycle stage: in the process and exchange descriptions (openLCA does not use it).",
    "Characterisation: pcf's ISO 14067 split (fossil, biogenic, dLUC, aircraft) is not part of the file.",
)
"""What an openLCA JSON-LD zip of a pcf model does not carry (also in docs/model-format.md)."""

#: stats_arrays uncertainty type -> openLCA distribution type.
_DISTRIBUTIONS = {2: "LOG_NORMAL_DISTRIBUTION", 3: "NORMAL_DISTRIBUTION", 4: "UNIFORM_DISTRIBUTION",
                  5: "TRIANGLE_DISTRIBUTION"}


class _Package:
    """The entities of the zip being built: folder -> ``@id`` -> entity."""

    def __init__(self, export, bd):
        self.export = export
        self.bd = bd
        self.folders: dict[str, dict[str, dict]] = {k: {} for k in (
            "processes", "flows", "flow_properties", "unit_groups", "locations")}
        self.background: dict[tuple, dict] = {}  # (database, code) -> README row

    def location(self, code: str) -> dict:
        """Ref of location ``code``, adding the location entity."""
        lid = location_id(code)
        self.folders["locations"][lid] = {"@type": "Location", "@id": lid, "name": code, "code": code}
        return {"@type": "Location", "@id": lid, "name": code}

    def unit(self, unit: str, where: str) -> tuple[Group, dict, dict]:
        """The group, unit Ref and flow property Ref of ``unit``, adding the group and property.

        Raises
        ------
        ExchangeError
            The unit has no openLCA unit (``where`` says whose unit it is).
        """
        try:
            group, entry = olca_unit(unit)
        except ExchangeError as exc:
            raise ExchangeError(f"{where}: {exc}") from None
        self.folders["unit_groups"][group.id] = {
            "@type": "UnitGroup", "@id": group.id, "name": group.name,
            "category": "Technical unit groups" + (" (pcf)" if group.name in PCF_GROUPS else ""),
            "defaultFlowProperty": {"@type": "FlowProperty", "@id": group.prop_id, "name": group.prop},
            "units": [{"@type": "Unit", "@id": uid, "name": name, "conversionFactor": factor,
                       **({"isRefUnit": True} if i == 0 else {})}
                      for i, (name, uid, factor, _) in enumerate(group.units)]}
        self.folders["flow_properties"][group.prop_id] = {
            "@type": "FlowProperty", "@id": group.prop_id, "name": group.prop,
            "category": "Technical flow properties" + (" (pcf)" if group.name in PCF_GROUPS else ""),
            "flowPropertyType": "PHYSICAL_QUANTITY",
            "unitGroup": {"@type": "UnitGroup", "@id": group.id, "name": group.name}}
        return (group, {"@type": "Unit", "@id": entry[1], "name": entry[0]},
                {"@type": "FlowProperty", "@id": group.prop_id, "name": group.prop})

    def flow(self, fid: str, name: str, flow_type: str, unit: str, where: str, **fields) -> dict:
        """Ref of flow ``fid`` (``refUnit`` and ``flowType`` included: bw2io reads them),
        adding the flow entity with its one flow property."""
        group, _, prop = self.unit(unit, where)
        self.folders["flows"][fid] = {"@type": "Flow", "@id": fid, "name": name, "flowType": flow_type, **fields,
                                      "flowProperties": [{"@type": "FlowPropertyFactor", "isRefFlowProperty": True,
                                                          "conversionFactor": 1.0, "flowProperty": prop}]}
        ref = {"@type": "Flow", "@id": fid, "name": name, "flowType": flow_type, "refUnit": group.ref_unit}
        if "location" in fields:
            ref["location"] = fields["location"]["name"]
        return ref


def package(export, bd) -> _Package:
    """The olca-schema 2 entities of ``export`` (:class:`pcf.exchange.modelexport.ModelExport`
    whose exchange rows carry ``input``, the target's key); ``bd`` is bw2data (for the CAS
    numbers of elementary flows).

    Returns
    -------
    _Package
        ``folders``: folder (``processes``, ``flows``, ...) -> ``@id`` -> entity;
        ``background``: the background links, one README row per activity.

    Raises
    ------
    ExchangeError
        A unit without an openLCA unit, or an exchange type openLCA cannot hold.
    """
    pkg = _Package(export, bd)
    for act in export.activities:
        pid = pcf_uuid("process", export.database, act["code"])
        rows = [row for row in act["exchanges"] if row["type"] != "production"]
        if len(act["exchanges"]) - len(rows) != 1:
            raise ExchangeError(f"process {act['code']!r}: openLCA JSON-LD needs exactly one product output "
                                "(its quantitative reference)")
        exchanges = [_exchange(pkg, act, row, i + 2) for i, row in enumerate(rows)]
        product = _own_flow(pkg, act["code"], act)
        _, unit, prop = pkg.unit(act["unit"], f"process {act['code']!r}")
        production = {"@type": "Exchange", "internalId": 1, "amount": float(act["production amount"]),
                      "isInput": False, "isQuantitativeReference": True, "isAvoidedProduct": False,
                      "flow": product, "unit": unit, "flowProperty": prop}
        stage = f"life-cycle stage (pcf): {act['stage']}. " if act.get("stage") else ""
        pkg.folders["processes"][pid] = {
            "@type": "Process", "@id": pid, "name": act["name"], "category": export.database,
            "description": f"{stage}{act.get('comment') or ''}".strip() or None,
            "processType": "UNIT_PROCESS", "location": pkg.location(act["location"]),
            "exchanges": [production, *exchanges], "lastInternalId": len(exchanges) + 1}
        if pkg.folders["processes"][pid]["description"] is None:
            del pkg.folders["processes"][pid]["description"]
    return pkg


def _own_flow(pkg: _Package, code: str, act: dict) -> dict:
    """Ref of the product flow of exported activity ``code``."""
    return pkg.flow(pcf_uuid("flow", pkg.export.database, code), act["reference product"], "PRODUCT_FLOW",
                    act["unit"], f"process {code!r}", category=pkg.export.database)


def _exchange(pkg: _Package, act: dict, row: dict, internal_id: int) -> dict:
    """One input or output of a process (``row``: an exchange row of :class:`ModelExport`).

    Raises
    ------
    ExchangeError
        A unit without an openLCA unit, or a type other than technosphere / biosphere.
    """
    database, code = row["input"]
    where = f"process {act['code']!r}, input {row['name']!r}"
    if row["type"] == "biosphere":
        categories = tuple(c for c in (row.get("categories") or "").split("::") if c)
        node = pkg.bd.get_node(database=database, code=code)
        fields = {"category": "/".join(("Elementary flows", *categories))}
        if node.get("CAS number"):
            fields["cas"] = node["CAS number"]
        flow = pkg.flow(code, row["name"], "ELEMENTARY_FLOW", row["unit"], where, **fields)
        exchange = {"isInput": bool(categories) and categories[0] == "natural resource", "flow": flow}
    elif row["type"] == "technosphere":
        if row["database"] == pkg.export.database:
            own = next(a for a in pkg.export.activities if a["code"] == code)
            flow = _own_flow(pkg, code, own)
            provider = {"@type": "Process", "@id": pcf_uuid("process", pkg.export.database, code),
                        "name": own["name"], "location": own["location"], "processType": "UNIT_PROCESS"}
        else:
            flow, provider = _background(pkg, row, where)
        exchange = {"isInput": True, "flow": flow, "defaultProvider": provider}
    else:
        raise ExchangeError(f"{where}: exchange type {row['type']!r} cannot be written to openLCA JSON-LD")
    _, unit, prop = pkg.unit(row["unit"], where)
    out = {"@type": "Exchange", "internalId": internal_id, "amount": float(row["amount"]),
           "isInput": exchange.pop("isInput"), "isQuantitativeReference": False, "isAvoidedProduct": False,
           **exchange, "unit": unit, "flowProperty": prop}
    if row.get("pcf stage"):
        out["description"] = f"life-cycle stage (pcf): {row['pcf stage']}"
    uncertainty = _uncertainty(row)
    if uncertainty:
        out["uncertainty"] = uncertainty
    return out


def _background(pkg: _Package, row: dict, where: str) -> tuple[dict, dict]:
    """Flow Ref and provider Ref of a background activity (name, reference product, location)."""
    database, code = row["input"]
    location = pkg.location(row["location"])
    text = (f"Background activity of pcf database {database!r}: {row['name']!r} ({row['location']}, "
            f"{row['unit']}), code {code!r}. Link this flow to the process of your database that makes it.")
    flow = pkg.flow(pcf_uuid("product", database, code), row["reference product"], "PRODUCT_FLOW", row["unit"],
                    where, category=f"pcf background/{database}", description=text, location=location)
    provider = {"@type": "Process", "@id": pcf_uuid("provider", database, code), "name": row["name"],
                "location": row["location"], "processType": "UNIT_PROCESS"}
    pkg.background[(database, code)] = {"flow": row["reference product"], "provider": row["name"],
                                        "location": row["location"], "unit": row["unit"], "database": database,
                                        "code": code, "flow @id": flow["@id"], "provider @id": provider["@id"]}
    return flow, provider


def _uncertainty(row: dict) -> dict | None:
    """openLCA uncertainty (olca-schema ``Uncertainty``) of a row's stats_arrays fields, or None."""
    kind = _DISTRIBUTIONS.get(row.get("uncertainty type"))
    if kind is None:
        return None

    if kind == "LOG_NORMAL_DISTRIBUTION":
        sign = -1.0 if row.get("negative") else 1.0  # stats_arrays: loc = ln|amount|, the sign apart
        return {"distributionType": kind, "geomMean": sign * math.exp(row["loc"]), "geomSd": math.exp(row["scale"])}
    if kind == "NORMAL_DISTRIBUTION":
        return {"distributionType": kind, "mean": row["loc"], "sd": row["scale"]}
    if kind == "UNIFORM_DISTRIBUTION":
        return {"distributionType": kind, "minimum": row["minimum"], "maximum": row["maximum"]}
    return {"distributionType": kind, "minimum": row["minimum"], "mode": row["loc"], "maximum": row["maximum"]}


def readme(export, pkg: _Package) -> str:
    """The zip's README.md: the reference, the background links to make, what is not carried."""
    ref = pcf_uuid("process", export.database, export.reference)
    lines = [f"# {export.database}: a pcf model's foreground (openLCA JSON-LD, olca-schema 2)", "",
             f"Reference process: `processes/{ref}.json` (pcf activity `{export.reference}`); the footprint is that "
             f"of {export.reference_amount:g} x its quantitative reference.", "",
             "Import the zip with openLCA's JSON-LD import (File > Import) into a database that has openLCA's "
             "reference data (units, flow properties, locations) and, best, the background's database.", "",
             "## Background links to make in openLCA", "",
             "The background is not in this zip. Each background activity the foreground draws on is a product "
             "flow (category `pcf background/<database>`) named by its reference product, with its location; the "
             "exchange's default provider names the background process, whose data set is not included. Link "
             "these flows to the processes of your database that make them (or replace them with your database's "
             "flows); until then openLCA treats them as cut off.", "",
             "| flow (reference product) | provider (activity) | location | unit | pcf database | code |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(str(r[k]).replace("|", "\\|") for k in ("flow", "provider", "location", "unit",
                                                                         "database", "code")) + " |"
              for _, r in sorted(pkg.background.items())]
    lines += ["", "## Elementary flows", "",
              "Elementary flows keep their Brightway biosphere3 code as `@id`: ecoinvent 3's elementary-exchange "
              "UUIDs (ecoinvent master data). A database with ecoinvent's elementary flows (imported from "
              "EcoSpold 2) has them under the same ids; the EF reference package and FEDEFL (US LCI) use other "
              "ids, and openLCA then adds these flows as new ones, to be mapped to that list.", "",
              "## Units", "",
              "Units and flow properties are openLCA's reference ones (Mass/kg, Energy/MJ and kWh, Goods transport "
              "(mass*distance)/t*km, Number of items/Item(s), ...)."]
    if any(g.name in PCF_GROUPS for g in GROUPS if g.id in pkg.folders["unit_groups"]):
        lines += ["`Wp` (peak watt, rated power of a PV module) has no openLCA reference unit: it is in the unit "
                  "group `Units of peak power (pcf)` and flow property `Peak power (pcf)` defined in this zip."]
    lines += ["", "## What this export does not carry", "", *[f"- {n}" for n in (*NOT_CARRIED, export.notes[-1])], "",
              "Written by `pcf export-model --format olca-jsonld`; checked by re-import with bw2io's JSONLDImporter "
              "(not with openLCA itself)."]
    return "\n".join(lines) + "\n"


def jsonld_zip(export, bd) -> bytes:
    """The zip (bytes) of :class:`pcf.exchange.modelexport.ModelExport`: olca-schema 2 package
    plus ``README.md``; members sorted, fixed timestamps, JSON with sorted keys.

    Raises
    ------
    ExchangeError
        As :func:`package`.
    """
    pkg = package(export, bd)
    members = {"olca-schema.json": json.dumps({"version": 2}), "README.md": readme(export, pkg)}
    for folder, entities in pkg.folders.items():
        for eid, entity in entities.items():
            members[f"{folder}/{eid}.json"] = json.dumps(entity, indent=2, sort_keys=True, ensure_ascii=False)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name].encode("utf-8"))
    return buf.getvalue()
