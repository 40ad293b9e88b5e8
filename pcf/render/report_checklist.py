"""Report sections 6.4 / 6.5 (what the declaration and the report must contain, and where the
report shows it) and 7 (limitations), from a result.

The report-contents checklist is the PCR's ``report:`` rule when it has one (e.g. the GB/T
24067 items), otherwise the ISO 14067 clause 7 items as a third-party tool transcribes them
(``pcr-sources/NOTES.md`` 5, confidence W). Limitations are stated from what the result
shows (data, cut-off, method, rule confidence, uncertainty, boundary); none is written by hand.
"""

from __future__ import annotations

from pcf.core.codec import to_json
from pcf.declaration import Declaration
from pcf.pcr.contents import LOOKUPS, NAMES
from pcf.render import fmt
from pcf.render.gwpbasis_view import limitation as gwp_basis_limitation

#: Where the report shows each content item (section numbers of report.html.j2).
SECTIONS: dict[str, str] = {
    "manufacturer": "1", "product_model": "1", "plant_location": "1", "conformity_declaration_id": "1",
    "public_study_link": "1", "functional_unit": "1", "reference_flow": "1", "gwp_values": "1, 8",
    "allocation": "1.1", "system_boundary": "1.3", "unit_processes": "1.3, 3",
    "footprint_per_declared_unit": "2.1", "stage_breakdown": "2.1, 6.2", "separate_ghg": "2.2",
    "electricity_sources": "2.3", "biogenic_carbon_content": "2.4", "uncertainty": "2.5",
    "data_sources": "4", "data_quality": "4.1", "primary_data_share": "4.1", "cut_off_criteria": "5",
    "limitations": "7", "other": "9",
}

#: ISO 14067 clause 7 report items (third-party transcription, NOTES.md 5 [W]) used without a PCR rule.
ISO_14067_ITEMS = ("functional_unit", "reference_flow", "system_boundary", "separate_ghg", "gwp_values",
                   "allocation", "unit_processes", "data_sources", "data_quality", "cut_off_criteria",
                   "electricity_sources", "uncertainty", "limitations")
ISO_14067_CLAUSE = "ISO 14067:2018 clause 7 items (third-party transcription, NOTES.md 5) [W]"

STATUS = {"present": ("有", "present"), "missing": ("缺", "missing"), "verifier": ("核查员确认", "verifier confirms")}


def _shown(item: str, found: str | None, result) -> str:
    """What the checklist prints for an item the result has: the life-cycle stages by the
    names the rest of the report uses (``Raw material acquisition``, not the stored key
    ``raw_material_acquisition``), the figure per declared unit by the one number policy
    (:mod:`pcf.core.numbers`), any other stored text with its numbers written plainly. The
    stored ``found`` of the result JSON is left as it is."""
    if not found:
        return ""
    if item == "stage_breakdown" and result.stages:
        return ", ".join(fmt.stage_name(key)[1] for key in result.stages)
    du = result.product.declared_unit if result.product else None
    if item == "footprint_per_declared_unit" and du is not None and result.per_declared_unit_kg_co2e is not None:
        return f"{fmt.sig(result.per_declared_unit_kg_co2e)} kg CO2e/{du.unit}"
    return fmt.plain_text(found)


def _rows(rows: list[dict], result) -> list[dict]:
    out = []
    for r in rows:
        zh, en = STATUS[r["status"]]
        out.append({**r, "section": SECTIONS.get(r["item"], ""), "status_zh": zh, "status_en": en,
                    "found": _shown(r["item"], r.get("found"), result)})
    return out


def checklists(declaration: Declaration) -> dict:
    """The declaration and report checklists of sections 6.4 and 6.5.

    Returns
    -------
    dict
        ``declaration`` (rows or None without a PCR declaration rule), ``report`` (rows),
        ``report_source`` (the PCR's rule or the ISO 14067 default), each row ``{item, zh, en,
        status, status_zh, status_en, found, section, clause, confidence, severity}``.
    """
    contents = declaration.assessment.contents if declaration.assessment is not None else None
    report = contents.report if contents is not None else None
    source = "pcr"
    if report is None:
        source = "iso"
        report = []
        for item in ISO_14067_ITEMS:
            found = LOOKUPS[item](declaration.result)
            report.append({"item": item, "zh": NAMES[item][0], "en": NAMES[item][1], "text": None,
                           "status": "present" if found else "missing", "found": found,
                           "severity": "observation", "clause": ISO_14067_CLAUSE, "confidence": "W"})
    else:
        report = [to_json(r) for r in report]
    rows = contents.declaration if contents is not None else None
    result = declaration.result
    return {"declaration": _rows([to_json(r) for r in rows], result) if rows is not None else None,
            "report": _rows(report, result),
            "report_source": source}


def limitations(declaration: Declaration) -> list[tuple[str, str]]:
    """Limitations of the study as (Chinese, English) sentences, from the declaration.

    Covers: a scenario instead of the model as written; the boundary (cradle-to-gate: a
    partial CFP); primary data share and data quality; cut-off exclusions; the PCR's method
    observation and the confidence of its rules; the share of the total from factors on other
    GWP bases (:mod:`pcf.render.gwpbasis_view`); illustrative thresholds; nonconformities;
    uncertainty (or its absence); electricity statements; end of life.
    """
    result = declaration.result
    out = _data_limitations(result)
    out += gwp_basis_limitation(result)
    out += _rule_limitations(declaration)
    out += _uncertainty_limitations(result)
    return out


def _data_limitations(result) -> list[tuple[str, str]]:
    """Scenario, boundary, primary data, data quality and cut-off."""
    out: list[tuple[str, str]] = []
    scenario = result.scenario
    if scenario:
        out.append((f"本报告针对情景 {scenario.name}，而非模型原样。",
                    f"This report is for the scenario {scenario.name!r}, not for the model as written."))
    if result.study.boundary == "cradle-to-gate":
        out.append(("从摇篮到大门：不含使用与寿命终止阶段，为部分产品碳足迹。",
                    "Cradle-to-gate: the use and end-of-life stages are not included; this is a partial CFP."))
    dq = result.data_quality
    pds = dq.primary_data_share if dq is not None else None
    if pds is not None:
        if pds == 0:
            out.append(("所有活动数据与排放因子均为次级数据（文献清单与数据库），结果不代表某一具体工厂。",
                        "All activity data and emission factors are secondary (published inventories, databases): "
                        "the result is not that of a specific plant."))
        else:
            out.append((f"初级数据占比 {fmt.pct(pds)}，其余为次级数据。",
                        f"Primary data make up {fmt.pct(pds)} of the footprint; the rest is secondary data."))
    dqr = dq.dqr.dqr if dq is not None and dq.dqr is not None else None
    if dqr is not None:
        out.append((f"数据质量评级 DQR {dqr:.2f}（{dq.level}），覆盖 {fmt.pct(dq.coverage)}。",
                    f"Data quality rating DQR {dqr:.2f} ({dq.level}), rated data cover "
                    f"{fmt.pct(dq.coverage)} of |kg CO2e|."))
    cut = result.cut_off
    if cut:
        summary = result.cut_off_summary
        estimated = summary.estimated_share
        missing = summary.not_estimated or 0
        out.append((f"排除 {len(cut)} 项输入；有代理估算者合计约 {fmt.pct(estimated)}，{missing} 项无估算。",
                    f"{len(cut)} inputs are excluded; those with a proxy estimate add about {fmt.pct(estimated)}, "
                    f"{missing} have no estimate (section 5)."))
    return out


def _rule_limitations(declaration: Declaration) -> list[tuple[str, str]]:
    """The PCR's method observation, the confidence of its rules, illustrative thresholds,
    nonconformities."""
    out: list[tuple[str, str]] = []
    a = declaration.assessment
    findings = a.findings if a is not None else ()
    for f in findings:
        if f.rule == "method-characterisation":
            out.append(("所用特征化方法与产品类别规则规定的方法不同（见 6.1）。", f.message))
    weak = sorted({f.clause for f in findings if f.confidence in ("S", "W")})
    if weak:
        out.append((f"所列发现依据的规则条款中有 {len(weak)} 条仅依据二手来源（S）或弱来源（W）编码，原文未见。",
                    f"{len(weak)} of the rule clauses behind the findings were encoded from secondary (S) or weak (W) "
                    "sources; their primary text was not seen (pcr-sources/NOTES.md)."))
    pc = a.performance_class if a is not None else None
    if pc is not None and pc.illustrative:
        out.append(("等级阈值为示意性（非官方），不得作为官方等级使用。",
                    "The performance-class thresholds are illustrative (pcf's, not the rule-maker's): not an "
                    "official class."))
    nc = sum(f.severity == "nonconformity" for f in findings)
    if a is not None and nc:
        out.append((f"研究不符合其产品类别规则（{nc} 项不符合，见 6.1），因此不分级。",
                    f"The study does not conform to its PCR ({nc} nonconformities, section 6.1), so it is not graded."))
    return out


def _default_uncertainty_limitation(d) -> list[tuple[str, str]]:
    """What the interval rests on (issue 14 part 5): defaults from data quality, or amounts held
    fixed; nothing for a result written before defaults existed."""
    if not d:
        return []
    if d.applied and d.amounts:
        share = f"{fmt.pct(d.variance_share)} " if d.variance_share is not None else ""
        return [(f"{len(d.amounts)} 项未给出不确定性的数量按数据质量采用默认分布（谱系矩阵），占方差 {share}。",
                 f"{len(d.amounts)} amounts without stated uncertainty were sampled with a default distribution from "
                 f"their data quality (pedigree matrix); they give {share}of the variance.")]
    if not d.applied and d.unannotated:
        return [(f"{d.unannotated} 项未给出不确定性的数量在蒙特卡洛中保持固定，区间偏窄。",
                 f"{d.unannotated} amounts without stated uncertainty were held fixed in the Monte Carlo: the interval "
                 "understates the uncertainty.")]
    return []


def _uncertainty_limitations(result) -> list[tuple[str, str]]:
    """Uncertainty (or its absence), unstated electricity sources, end of life not modelled."""
    out: list[tuple[str, str]] = []
    u = result.uncertainty
    if u:
        out.append((f"不确定性：95 % 区间 {fmt.sig(u.p2_5)}–{fmt.sig(u.p97_5)} kg CO2e（2.5 节）。",
                    f"Uncertainty: 95 % interval {fmt.sig(u.p2_5)}–{fmt.sig(u.p97_5)} kg CO2e per "
                    "reference flow (section 2.5); input distributions partly derived from data quality ratings."))
        out += _default_uncertainty_limitation(u.defaults)
    else:
        out.append(("未进行不确定性分析（蒙特卡洛），结果为点值。",
                    "No uncertainty analysis (Monte Carlo) was run: the result is a point value."))
    unstated = result.electricity_summary.not_stated or 0
    if unstated:
        out.append((f"{unstated} 项电力输入未说明来源，按电网电力处理。",
                    f"{unstated} electricity inputs state no source and are taken as grid electricity."))
    if result.stages.get("end_of_life") is not None and not result.end_of_life:
        out.append(("寿命终止阶段未按材料建模（无截断法或循环足迹公式参数）。",
                    "The end-of-life stage is not modelled per material (no cut-off or CFF parameters)."))
    return out
