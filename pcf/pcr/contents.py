"""What a carbon-footprint declaration or a CFP study report must contain (PCR ``declaration:``
and ``report:``), looked up in a result.

Each item id of :data:`pcf.pcr.schema.ContentId` names one thing pcf can find in a
:class:`pcf.lca.result.FootprintResult` (:data:`LOOKUPS`); ``other`` is a requirement pcf cannot check, which
becomes an observation for the verifier.

Rule ids (stable): ``declaration-content`` and ``report-content``: a required item is missing
(severity of the item; ``other`` items are observations).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..core.numbers import figure
from ..core.vocabulary import GHG_REPORTED
from ..lca.result import FootprintResult
from .assessment import ContentItem, Finding
from .schema import Contents

#: item id -> (Chinese, English) name shown in findings, the report's checklist and the declaration.
NAMES: dict[str, tuple[str, str]] = {
    "manufacturer": ("制造商信息", "manufacturer (administrative information)"),
    "product_model": ("产品型号", "product model"),
    "plant_location": ("生产工厂地理位置", "geographic location of the manufacturing plant"),
    "footprint_per_declared_unit": ("每声明单位碳足迹", "carbon footprint per declared unit"),
    "stage_breakdown": ("按生命周期阶段分解", "carbon footprint by life-cycle stage"),
    "conformity_declaration_id": ("合格声明编号", "identification number of the declaration of conformity"),
    "public_study_link": ("公开研究报告链接", "web link to the public version of the study"),
    "functional_unit": ("功能单位或声明单位", "functional or declared unit"),
    "reference_flow": ("基准流", "reference flow"),
    "system_boundary": ("系统边界", "system boundary"),
    "separate_ghg": ("分类报告（化石、生物源、土地利用变化、航空）",
                     "separate reporting of fossil, biogenic, dLUC and aircraft GHG"),
    "biogenic_carbon_content": ("生物源碳含量", "biogenic carbon content"),
    "gwp_values": ("全球变暖潜势值及来源", "GWP values and their source"),
    "allocation": ("分配程序", "allocation procedures"),
    "data_quality": ("数据质量", "data quality rating"),
    "primary_data_share": ("初级数据占比", "primary data share"),
    "cut_off_criteria": ("取舍准则", "cut-off criteria"),
    "electricity_sources": ("电力来源", "electricity and its sources"),
    "data_sources": ("数据来源与排放因子", "data sources and emission factors"),
    "unit_processes": ("单元过程清单", "list of unit processes"),
    "uncertainty": ("不确定性分析", "uncertainty analysis"),
    "limitations": ("局限性", "limitations"),
    "other": ("其他", "other"),
}

#: item id -> how to add it when missing (the finding's fix). Stored in result files (a finding, not an
#: error: the flag stays, tests/golden holds these texts).
FIXES: dict[str, str] = {
    "manufacturer": "Add declaration: {manufacturer: {name, address}} to the model (docs/model-format.md).",
    "product_model": "Add declaration.product_model (the model identifier) to the model.",
    "plant_location": "Add declaration: {plant: {name, location, country}} to the model.",
    "footprint_per_declared_unit": "Add product.declared_unit to the model.",
    "stage_breakdown": "Give the processes their life-cycle stage and a declared unit.",
    "conformity_declaration_id": "Add declaration.conformity_declaration_id (the EU declaration of conformity's "
                                 "number) to the model.",
    "public_study_link": "Publish the study and add declaration.study_url to the model.",
    "functional_unit": "Add product.declared_unit (unit, description, per_reference_flow) to the model.",
    "reference_flow": "Add product.reference_flow to the model.",
    "system_boundary": "Set study.boundary in the model.",
    "separate_ghg": "Compute the result again with this pcf (result.ghg).",
    "biogenic_carbon_content": "State product.biogenic_carbon_content (0 when the product holds no biogenic "
                               "carbon) in the model.",
    "gwp_values": "Compute the result again with this pcf (method and method_name).",
    "allocation": "Compute the result again with this pcf (result.allocation).",
    "data_quality": "Compute the result again with this pcf, with dqr ratings on the main inputs.",
    "primary_data_share": "Compute the result again with this pcf (result.data_quality).",
    "cut_off_criteria": "Declare study.cut_off (mass, energy, ghg, total) in the model.",
    "electricity_sources": "Compute the result again with this pcf (result.electricity).",
    "data_sources": "Compute the result again with this pcf (result.data_sources).",
    "unit_processes": "Compute the result again with this pcf (result.contributions).",
    "uncertainty": "Compute the footprint with --monte-carlo N (uncertainty on the main inputs), or justify "
                   "in the report why no uncertainty analysis was done.",
    "limitations": "Render the CFP study report with this pcf (it has a limitations section).",
    "other": "The verifier confirms it.",
}


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _declaration(r: FootprintResult) -> dict:
    """The model's ``declaration:`` section (a plain dict of the result)."""
    return r.declaration or {}


def _declared_unit(r: FootprintResult):
    return r.product.declared_unit if r.product else None


def _manufacturer(r: FootprintResult) -> str | None:
    """The declaration's manufacturer, else the data owner of the exchange section (PACT companyName)."""
    m = _declaration(r).get("manufacturer") or {}
    name = _text(m.get("name"))
    if not name:
        company = (r.exchange.company if r.exchange else None) or {}
        return _text(company.get("name"))
    return ", ".join(x for x in (name, _text(m.get("address"))) if x)


def _plant(r: FootprintResult) -> str | None:
    p = _declaration(r).get("plant") or {}
    location = _text(p.get("location"))
    return location and ", ".join(x for x in (_text(p.get("name")), location, _text(p.get("country"))) if x)


def _per_du(r: FootprintResult) -> str | None:
    v = r.per_declared_unit_kg_co2e
    unit = _declared_unit(r).unit if _declared_unit(r) else None
    return f"{figure(v)} kg CO2e/{unit}" if _number(v) and unit else None


def _stages(r: FootprintResult) -> str | None:
    stages = r.stages or {}
    return ", ".join(stages) if stages and _declared_unit(r) else None


def _ghg(r: FootprintResult) -> str | None:
    return ("fossil, biogenic emissions and removals, dLUC, aircraft"
            if r.ghg and all(_number(getattr(r.ghg, k, None)) for k in GHG_REPORTED) else None)


def _biogenic_content(r: FootprintResult) -> str | None:
    v = r.biogenic_carbon.content_product_kg_c if r.biogenic_carbon else None
    return f"{figure(v)} kg C per reference flow" if _number(v) else None


def _dqr(r: FootprintResult) -> str | None:
    rating = r.data_quality.dqr if r.data_quality else None
    value = rating.dqr if rating else None
    return f"DQR {value:.2f}" if _number(value) else None


def _pds(r: FootprintResult) -> str | None:
    v = r.data_quality.primary_data_share if r.data_quality else None
    return f"{100 * v:.1f} %" if _number(v) else None


def _cut_off(r: FootprintResult) -> str | None:
    return "stated" if r.cut_off_summary and r.cut_off_summary.criteria else None


def _uncertainty(r: FootprintResult) -> str | None:
    return "Monte Carlo" if r.uncertainty else None


def _study_link(r: FootprintResult) -> str | None:
    return _text(_declaration(r).get("study_url")) or _text(r.exchange.study_url if r.exchange else None)


def _allocation(r: FootprintResult) -> str | None:
    if r.allocation is None:
        return None
    return f"{len(r.allocation)} multi-output processes" if r.allocation else "no multi-output process"


LOOKUPS: dict[str, Callable[[FootprintResult], str | None]] = {
    "manufacturer": _manufacturer,
    "product_model": lambda r: _text(_declaration(r).get("product_model")) or _text(r.product.id if r.product else None),
    "plant_location": _plant,
    "footprint_per_declared_unit": _per_du,
    "stage_breakdown": _stages,
    "conformity_declaration_id": lambda r: _text(_declaration(r).get("conformity_declaration_id")),
    "public_study_link": _study_link,
    "functional_unit": lambda r: _text(_declared_unit(r).unit if _declared_unit(r) else None),
    "reference_flow": lambda r: "stated" if r.product and r.product.reference_flow else None,
    "system_boundary": lambda r: _text(r.study.boundary if r.study else None),
    "separate_ghg": _ghg,
    "biogenic_carbon_content": _biogenic_content,
    "gwp_values": lambda r: _text(r.method) if r.method_name else None,
    "allocation": _allocation,
    "data_quality": _dqr,
    "primary_data_share": _pds,
    "cut_off_criteria": _cut_off,
    "electricity_sources": lambda r: (f"{len(r.electricity)} electricity inputs" if r.electricity is not None
                                      else None),
    "data_sources": lambda r: f"{len(r.data_sources)} activities" if r.data_sources else None,
    "unit_processes": lambda r: "stated" if r.contributions else None,
    "uncertainty": _uncertainty,
    "limitations": lambda r: "CFP study report",
}
"""item id -> function(result) giving what was found (text) or None when the item is missing."""


def check_contents(result: FootprintResult, contents: Contents | None, kind: str,
                   findings: list) -> tuple[ContentItem, ...] | None:
    """Look up every item of a ``declaration:`` or ``report:`` rule in a result.

    Parameters
    ----------
    result : FootprintResult
    contents : Contents or None
        The PCR's rule; None gives None.
    kind : {"declaration", "report"}
        Which rule (names the finding: ``declaration-content`` / ``report-content``).
    findings : list
        Findings are appended to it: a missing item with the item's severity, an ``other``
        item as an observation for the verifier.

    Returns
    -------
    tuple of ContentItem or None
        The checklist, one row per item: ``item, zh, en, text, status (present | missing |
        verifier), found (text or None), severity, clause, confidence``.
    """
    if contents is None:
        return None
    rule = f"{kind}-content"
    what = {"declaration": "carbon-footprint declaration", "report": "CFP study report"}[kind]
    rows = []
    for item in contents.items:
        zh, en = NAMES[item.item]
        label = item.text if item.item == "other" else en
        if item.item == "other":
            status, found = "verifier", None
            findings.append(Finding(rule=rule, clause=item.clause, confidence=item.confidence,
                                    severity="observation",
                                    message=f"The {what} must contain: {item.text}. pcf cannot check this.",
                                    fix=FIXES["other"]))
        else:
            found = LOOKUPS[item.item](result)
            status = "present" if found else "missing"
            if not found:
                findings.append(Finding(rule=rule, clause=item.clause, confidence=item.confidence,
                                        severity=item.severity,
                                        message=f"The {what} must contain the {en}"
                                                + (f" ({item.text})" if item.text else "") + "; the result has none.",
                                        fix=FIXES[item.item]))
        rows.append(ContentItem(item=item.item, zh=zh, en=label, text=item.text, status=status, found=found,
                                severity=item.severity if item.item != "other" else "observation",
                                clause=item.clause, confidence=item.confidence))
    return tuple(rows)
