"""One builder of typed footprint results for tests (instead of hand-made result dicts).

``result(...)`` gives a small, self-consistent :class:`pcf.lca.result.FootprintResult`: the
GHG categories sum to the total, the stages sum to the total, the totals follow
:mod:`pcf.lca.biogenic`'s formulas. ``declaration(...)`` wraps it with an accounting rule and
an optional assessment. Tests change what they need with keyword arguments.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from pcf.core.codec import json_key
from pcf.pcr import list_pcrs, load_pcr
from pcf.pcr.assessment import Assessment
from pcf.declaration import Declaration
from pcf.declaration.accounting import AccountingRule, rule_for
from pcf.lca.biogenic import result_totals
from pcf.lca.result import (BiogenicCarbon, DeclaredUnit, FootprintResult, GhgSplit, Product, Provenance,
                            Quantity, Shares, Study, Totals, TotalsPerDeclaredUnit)


def result(*, fossil: float = 10.0, biogenic_emissions: float = 0.0, biogenic_co2_kg: float = 0.0,
           biogenic_removals: float = 0.0, dluc: float = 0.0, aircraft: float = 0.0,
           stages: dict[str, float] | None = None, declared_per_reference_flow: float | None = None,
           declared_unit: str = "kWh", product_id: str = "SKU-TEST", name: str = "Test product",
           reference_unit: str = "item", standard: str = "ISO 14067:2018", boundary: str = "cradle-to-gate",
           pcr: str | None = None, method: str = "ipcc-2021-gwp100", **fields: Any) -> FootprintResult:
    """A footprint result with the given ISO 14067 categories [kg CO2e / reference flow].

    ``stages`` defaults to everything in ``production``; ``declared_per_reference_flow`` None
    means no declared unit. Other :class:`FootprintResult` fields can be passed as keywords.
    """
    total = fossil + biogenic_emissions + biogenic_removals + dluc
    excluding = fossil + (biogenic_emissions - biogenic_co2_kg) + dluc
    per_du = None
    unit = None
    if declared_per_reference_flow:
        unit = DeclaredUnit(unit=declared_unit, description=f"{declared_unit} (test)",
                            per_reference_flow=declared_per_reference_flow)
        per_du = TotalsPerDeclaredUnit(including_biogenic=total / declared_per_reference_flow,
                                       excluding_biogenic=excluding / declared_per_reference_flow)
    shares = Shares(**{k: (v / total if total else None) for k, v in (
        ("fossil", fossil), ("aircraft", aircraft), ("biogenic_emissions", biogenic_emissions),
        ("biogenic_removals", biogenic_removals), ("dluc", dluc))})
    base = dict(
        product=Product(id=product_id, name=name, reference_flow=Quantity(amount=1.0, unit=reference_unit),
                        declared_unit=unit),
        study=Study(standard=standard, boundary=boundary, pcr=pcr, method=method, background="open-default"),
        parameters={},
        total_kg_co2e=total,
        per_declared_unit_kg_co2e=total / declared_per_reference_flow if declared_per_reference_flow else None,
        stages=stages if stages is not None else {"production": total},
        ghg=GhgSplit(fossil=fossil, biogenic_emissions=biogenic_emissions, biogenic_removals=biogenic_removals,
                     dluc=dluc, aircraft=aircraft),
        biogenic_carbon=BiogenicCarbon(co2_emissions_kg=biogenic_co2_kg, co2_removals_kg=-biogenic_removals,
                                       net_kg_co2e=biogenic_emissions + biogenic_removals,
                                       content_product_kg_c=None, content_packaging_kg_c=None,
                                       content_product_kg_co2e=None, content_packaging_kg_co2e=None,
                                       content_co2_per_c=44.009 / 12.011, content_source=None),
        contributions=(), cut_off=(), data_sources=(),
        method=method, method_name=("IPCC 2021", "climate change", "GWP 100a"), background="open-default",
        provenance=Provenance(method_label=method, method_source=(), method_description="test",
                              background_database="pcf-open-default", background_version="test",
                              background_sha256="0" * 64, background_activities=0, databases=(),
                              brightway={}, bw2calc_score=total),
        software_version="test", model_sha256="0" * 64, model_file="model.yaml",
        created_at="2026-12-04T00:00:00+00:00",
        totals=Totals(including_biogenic=total, excluding_biogenic=excluding, per_declared_unit=per_du,
                      shares=shares),
    )
    base.update(fields)
    return FootprintResult(**base)


def declaration(footprint: FootprintResult | None = None, *, rule: AccountingRule | None = None,
                **kwargs: Any) -> Declaration:
    """A declaration of ``footprint`` (default :func:`result` with ``kwargs``) under ``rule``
    (default the study standard's)."""
    footprint = footprint if footprint is not None else result(**kwargs)
    return Declaration(result=footprint, accounting=rule or rule_for(None, footprint.study.standard))


def document(footprint: FootprintResult) -> dict[str, Any]:
    """The ``pcf-result/1`` JSON of a computed result under its study standard's rule (no PCR)."""
    return declaration(footprint).to_json()


def typed(doc: dict[str, Any]) -> FootprintResult:
    """A :class:`FootprintResult` from a result document, also a partial, hand-written one.

    Fields the document leaves out are None (as ``doc.get(...)`` gave), values are kept as
    written (a test may give a wrong one on purpose), unknown keys are refused. When the
    document has a complete ``ghg`` split but no ``totals``, the totals are computed from it
    (:func:`pcf.lca.biogenic.result_totals`); the declared figure stored in ``totals`` is left
    out (the declaration owns it).
    """
    data = {k: v for k, v in doc.items() if k not in ("format", "assessment", "batch")}
    stored = data.get("totals")
    if isinstance(stored, dict):
        data["totals"] = {k: v for k, v in stored.items()
                          if k not in ("declared", "declared_total", "dluc_included", "rule")}
        if isinstance(stored.get("per_declared_unit"), dict):
            data["totals"]["per_declared_unit"] = {k: v for k, v in stored["per_declared_unit"].items()
                                                   if k != "declared"}
    elif "totals" not in data and _complete_ghg(data.get("ghg")):
        co2 = (data.get("biogenic_carbon") or {}).get("co2_emissions_kg")
        per_ref = ((data.get("product") or {}).get("declared_unit") or {}).get("per_reference_flow")
        usable = isinstance(per_ref, (int, float)) and not isinstance(per_ref, bool) and per_ref > 0
        data["totals"] = result_totals(data["ghg"], co2 if _is_number(co2) else 0.0, per_ref if usable else None)
    return _lenient(FootprintResult, data, "$")


def assessed(doc: dict[str, Any] | FootprintResult, pcr: Any, electricity_mode: str | None = None) -> dict[str, Any]:
    """The JSON ``assessment`` of a result document (or typed result) under ``pcr`` (id, path or
    PCR), as :func:`pcf.declaration.build_declaration` makes it. A hand-written document
    without a ``ghg`` split is graded on its ``per_declared_unit_kg_co2e``."""
    from pcf.declaration import build_declaration
    from pcf.pcr import assess
    from pcf.pcr.assess import resolve_pcr

    footprint = doc if isinstance(doc, FootprintResult) else typed(doc)
    if footprint.totals is not None:
        return build_declaration(footprint, pcr, electricity_mode).to_json()["assessment"]
    rule = resolve_pcr(pcr)
    plain = Declaration(result=footprint, accounting=rule_for(rule, (footprint.study and footprint.study.standard)
                                                                 or "ISO 14067:2018"))
    return plain.replace(assessment=assess(footprint, rule, footprint.per_declared_unit_kg_co2e,
                                           electricity_mode)).to_json()["assessment"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _complete_ghg(ghg: Any) -> bool:
    return isinstance(ghg, dict) and all(_is_number(ghg.get(k)) for k in
                                         ("fossil", "biogenic_emissions", "biogenic_removals", "dluc"))


def _lenient(tp: Any, value: Any, path: str) -> Any:
    """``value`` as type ``tp`` where its shape allows, else as written (see :func:`typed`)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            if dataclasses.is_dataclass(option) and isinstance(value, dict):
                return _lenient(option, value, path)
            if typing.get_origin(option) is tuple and isinstance(value, (list, tuple)):
                return _lenient(option, value, path)
        return value
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        hints = typing.get_type_hints(tp)
        fields = {json_key(f): f for f in dataclasses.fields(tp)}
        unknown = set(value) - set(fields)
        if unknown:
            raise AssertionError(f"{path}: unknown fields of {tp.__name__}: {sorted(unknown)}")
        return tp(**{f.name: _lenient(hints[f.name], value[k], f"{path}.{k}") if k in value else None
                     for k, f in fields.items()})
    if origin is tuple and isinstance(value, (list, tuple)):
        item = typing.get_args(tp)[0]
        return tuple(_lenient(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict and isinstance(value, dict):
        item = typing.get_args(tp)[1]
        return {k: _lenient(item, v, f"{path}.{k}") for k, v in value.items()}
    return value


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """A hand-written result document made whole, so the codec reads it (``pcf label``, the
    registry): required fields it leaves out get a neutral value (None where allowed, 0, "",
    empty), recursively; a complete ``ghg`` split without ``totals`` gets its totals and the
    figure its ``study.pcr`` (or standard) declares. What the document states is kept as written."""
    out = _filled(FootprintResult, {k: v for k, v in doc.items() if k not in ("format", "assessment", "batch")})
    if "totals" not in doc and _complete_ghg(out.get("ghg")):
        footprint = typed(out)
        pcr = footprint.study.pcr if footprint.study else None
        rule = rule_for(load_pcr(pcr) if pcr in list_pcrs() else None, footprint.study.standard or "ISO 14067:2018")
        out["totals"] = Declaration(result=footprint, accounting=rule).to_json()["totals"]
    if isinstance(doc.get("assessment"), dict):
        out["assessment"] = _filled(Assessment, doc["assessment"])
    elif "assessment" in doc:
        out["assessment"] = doc["assessment"]
    if "batch" in doc:
        out["batch"] = doc["batch"]
    return {**({"format": doc["format"]} if "format" in doc else {}), **out}


def _filled(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        for option in options:
            if dataclasses.is_dataclass(option) and isinstance(value, dict):
                return _filled(option, value)
            if typing.get_origin(option) is tuple and isinstance(value, (list, tuple)):
                return _filled(option, value)
        return value
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        hints = typing.get_type_hints(tp)
        out = dict(value)
        for f in dataclasses.fields(tp):
            k = json_key(f)
            if k in out:
                out[k] = _filled(hints[f.name], out[k])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                out[k] = _neutral(hints[f.name])
        return out
    if origin is tuple and isinstance(value, (list, tuple)):
        return [_filled(typing.get_args(tp)[0], v) for v in value]
    return value


def _neutral(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return None if type(None) in typing.get_args(tp) else _neutral(typing.get_args(tp)[0])
    if dataclasses.is_dataclass(tp):
        return _filled(tp, {})
    if origin is tuple or tp is tuple:
        return []
    if origin is dict or tp is dict:
        return {}
    return {float: 0.0, int: 0, str: "", bool: False}.get(tp)
