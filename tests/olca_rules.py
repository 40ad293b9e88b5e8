"""A checker of openLCA JSON-LD zips (olca-schema 2) for the classes pcf writes.

The field lists are those of GreenDelta/olca-schema's class definitions (``yaml/Entity.yaml``,
``RefEntity.yaml``, ``RootEntity.yaml``, ``Ref.yaml``, ``Process.yaml``, ``Exchange.yaml``,
``Flow.yaml``, ``FlowPropertyFactor.yaml``, ``FlowProperty.yaml``, ``UnitGroup.yaml``,
``Unit.yaml``, ``Location.yaml``, ``Uncertainty.yaml`` and the enums ``FlowType``,
``ProcessType``, ``FlowPropertyType``, ``UncertaintyType``), and the zip layout of its
``intro.md`` ("Zip packages": one folder per root entity type, ``<@id>.json`` files,
``olca-schema.json`` at the root). Written out by hand (the schema repository is not
reachable from CI, and pcf commits nothing fetched from it), like tests/catenax_rules.py.
"""

from __future__ import annotations

import json
import uuid
import zipfile

ENTITY = {"@type"}
REF_ENTITY = ENTITY | {"@id", "name", "description"}
ROOT_ENTITY = REF_ENTITY | {"category", "lastChange", "tags", "version", "library"}
REF = REF_ENTITY | {"category", "refUnit", "location", "flowType", "processType"}

FIELDS = {
    "Process": ROOT_ENTITY | {"allocationFactors", "defaultAllocationMethod", "exchanges", "lastInternalId", "location",
                              "parameters", "processDocumentation", "processType", "dqSystem", "exchangeDqSystem",
                              "socialDqSystem", "dqEntry", "isInfrastructureProcess", "socialAspects"},
    "Exchange": ENTITY | {"amount", "amountFormula", "baseUncertainty", "costFormula", "costValue", "currency",
                          "defaultProvider", "description", "dqEntry", "flow", "flowProperty", "internalId",
                          "isAvoidedProduct", "isInput", "isQuantitativeReference", "location", "uncertainty", "unit"},
    "Flow": ROOT_ENTITY | {"cas", "flowProperties", "flowType", "formula", "isInfrastructureFlow", "location",
                           "synonyms"},
    "FlowPropertyFactor": ENTITY | {"conversionFactor", "isRefFlowProperty", "flowProperty"},
    "FlowProperty": ROOT_ENTITY | {"flowPropertyType", "unitGroup"},
    "UnitGroup": ROOT_ENTITY | {"defaultFlowProperty", "units"},
    "Unit": REF_ENTITY | {"conversionFactor", "isRefUnit", "synonyms"},
    "Location": ROOT_ENTITY | {"code", "latitude", "longitude", "geometry"},
    "Uncertainty": ENTITY | {"distributionType", "geomMean", "geomSd", "maximum", "mean", "minimum", "mode", "sd"},
}
FOLDERS = {"processes": "Process", "flows": "Flow", "flow_properties": "FlowProperty", "unit_groups": "UnitGroup",
           "locations": "Location"}
FLOW_TYPES = {"ELEMENTARY_FLOW", "PRODUCT_FLOW", "WASTE_FLOW"}
PROCESS_TYPES = {"LCI_RESULT", "UNIT_PROCESS"}
DISTRIBUTIONS = {"LOG_NORMAL_DISTRIBUTION", "NORMAL_DISTRIBUTION", "TRIANGLE_DISTRIBUTION", "UNIFORM_DISTRIBUTION"}


def read(path) -> dict[str, dict[str, dict]]:
    """folder -> @id -> entity of a zip, checking its layout (``AssertionError`` if wrong)."""
    out: dict[str, dict[str, dict]] = {k: {} for k in FOLDERS}
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert json.loads(archive.read("olca-schema.json")) == {"version": 2}
        for name in names:
            if name in ("olca-schema.json", "README.md"):
                continue
            folder, _, file = name.partition("/")
            assert folder in FOLDERS and file.endswith(".json") and "/" not in file, name
            entity = json.loads(archive.read(name))
            assert entity["@type"] == FOLDERS[folder] and entity["@id"] == file[:-5], name
            uuid.UUID(entity["@id"])
            out[folder][entity["@id"]] = entity
    return out


def _fields(obj: dict, kind: str, where: str) -> None:
    extra = set(obj) - FIELDS[kind]
    assert not extra, f"{where}: {kind} has fields outside olca-schema 2: {sorted(extra)}"
    assert obj.get("@type", kind) == kind, where


def _ref(ref: dict, kind: str, where: str, pool: dict | None = None) -> None:
    assert set(ref) <= REF and ref["@type"] == kind and isinstance(ref["@id"], str), f"{where}: bad Ref {ref}"
    if pool is not None:
        assert ref["@id"] in pool, f"{where}: {kind} {ref['@id']} is not in the zip"


def check(path) -> dict[str, dict[str, dict]]:
    """Check a zip against the olca-schema 2 rules above; returns :func:`read`'s entities.

    Background providers (``defaultProvider`` of a flow in category ``pcf background/...``) are
    the one kind of reference allowed to point outside the zip (pcf's documented choice)."""
    pkg = read(path)
    units = {}
    for gid, group in pkg["unit_groups"].items():
        _fields(group, "UnitGroup", gid)
        refs = [u for u in group["units"] if u.get("isRefUnit")]
        assert len(refs) == 1 and refs[0]["conversionFactor"] == 1.0, gid
        for unit in group["units"]:
            _fields(unit, "Unit", gid)
            units[unit["@id"]] = gid
        _ref(group["defaultFlowProperty"], "FlowProperty", gid, pkg["flow_properties"])
    for pid, prop in pkg["flow_properties"].items():
        _fields(prop, "FlowProperty", pid)
        assert prop["flowPropertyType"] in ("PHYSICAL_QUANTITY", "ECONOMIC_QUANTITY")
        _ref(prop["unitGroup"], "UnitGroup", pid, pkg["unit_groups"])
    for lid, loc in pkg["locations"].items():
        _fields(loc, "Location", lid)
    for fid, flow in pkg["flows"].items():
        _fields(flow, "Flow", fid)
        assert flow["flowType"] in FLOW_TYPES
        factors = flow["flowProperties"]
        assert sum(1 for f in factors if f.get("isRefFlowProperty")) == 1, fid
        for factor in factors:
            _fields(factor, "FlowPropertyFactor", fid)
            _ref(factor["flowProperty"], "FlowProperty", fid, pkg["flow_properties"])
        if "location" in flow:
            _ref(flow["location"], "Location", fid, pkg["locations"])
    for pid, proc in pkg["processes"].items():
        _check_process(pkg, units, pid, proc)
    return pkg


def _check_process(pkg: dict, units: dict, pid: str, proc: dict) -> None:
    _fields(proc, "Process", pid)
    assert proc["processType"] in PROCESS_TYPES, f"{pid}: processType {proc['processType']!r}"
    _ref(proc["location"], "Location", pid, pkg["locations"])
    ids = [e["internalId"] for e in proc["exchanges"]]
    assert len(set(ids)) == len(ids) and min(ids) >= 1 and proc["lastInternalId"] >= max(ids), pid
    refs = [e for e in proc["exchanges"] if e.get("isQuantitativeReference")]
    assert len(refs) == 1 and not refs[0]["isInput"], f"{pid}: one quantitative reference, an output"
    for exc in proc["exchanges"]:
        where = f"{pid} #{exc['internalId']}"
        _fields(exc, "Exchange", where)
        assert isinstance(exc["amount"], float), f"{where}: amount is not a number"
        assert isinstance(exc["isInput"], bool), f"{where}: isInput is not a boolean"
        _ref(exc["flow"], "Flow", where, pkg["flows"])
        flow = pkg["flows"][exc["flow"]["@id"]]
        assert exc["flow"]["flowType"] == flow["flowType"] and exc["flow"]["name"] == flow["name"], where
        _ref(exc["flowProperty"], "FlowProperty", where, pkg["flow_properties"])
        assert exc["flowProperty"]["@id"] in {f["flowProperty"]["@id"] for f in flow["flowProperties"]}, where
        _ref(exc["unit"], "Unit", where)
        group = pkg["flow_properties"][exc["flowProperty"]["@id"]]["unitGroup"]["@id"]
        assert units.get(exc["unit"]["@id"]) == group, f"{where}: unit not in the flow property's unit group"
        if "defaultProvider" in exc:
            outside = flow.get("category", "").startswith("pcf background/")
            _ref(exc["defaultProvider"], "Process", where, None if outside else pkg["processes"])
            assert exc["isInput"] and flow["flowType"] == "PRODUCT_FLOW", where
        if "uncertainty" in exc:
            _fields(exc["uncertainty"], "Uncertainty", where)
            assert exc["uncertainty"]["distributionType"] in DISTRIBUTIONS, where
