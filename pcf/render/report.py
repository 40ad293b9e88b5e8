"""CFP study report (HTML -> WeasyPrint PDF, A4) with a verification statement section.

Sections: title page (with the label), 1 goal and scope (1.1 allocation, 1.2 use stage and
end of life, 1.3 system-boundary diagram, 1.4 model checks of ``pcf lint``), 2 results (2.1 stages table and chart, 2.2 ISO
14067 separate reporting, 2.3 electricity, 2.4 biogenic carbon and the declared total, 2.5
uncertainty), 3 contributions (top 15, chart of the top 10), 4 data sources (4.1 data
quality), 5 cut-off, 6 PCR findings, performance class and alternative gradings (6.4 contents
of the declaration, 6.5 contents of the report and where they are), 7 limitations, 8
provenance, 9 verification statement (the body of the one-page template,
:mod:`pcf.render.verification`).

References
----------
ISO 14067:2018, 7 (CFP study report) and 8 (critical review); ISO 14064-3:2019
(verification); GB/T 24067-2024.
"""

from __future__ import annotations

import math
from pathlib import Path

from markupsafe import Markup

from pcf.core import vocabulary
from pcf.core.codec import ABSENT, to_json
from pcf.declaration import Declaration
from pcf.lca.result import FootprintResult
from pcf.render import biogenic_view, fmt, gwpbasis_view, output, view
from pcf.core.errors import RenderError
from pcf.render.electricity import electricity_context
from pcf.render.label import prepare
from pcf.render.qr import label_verification_text
from pcf.render.boundary import boundary_context
from pcf.render.report_checklist import checklists, limitations
from pcf.render.report_dataquality import data_quality_context
from pcf.render.verification import verification_context
from pcf.render.report_eol import use_eol_context
from pcf.render.report_uncertainty import uncertainty_context

#: Number of contributions listed in section 3, and drawn in its chart.
TOP_CONTRIBUTIONS = 15
TOP_CHART = 10

KINDS = {"direct": "直接 direct", "background": "背景 background"}

SEVERITY = {
    "nonconformity": ("不符合项", "Nonconformity"),
    "observation": ("观察项", "Observation"),
}


def stage_chart(stages: list[dict]) -> dict:
    """Geometry of the horizontal stage bar chart [SVG units, 640 wide].

    Bars start at zero, so a negative stage (credits) points left of the axis.

    Parameters
    ----------
    stages : list of dict
        Rows of :func:`pcf.render.view.stage_rows` (``kg`` [kg CO2e per reference flow]).

    Returns
    -------
    dict
        ``width``, ``height``, ``axis_x``, ``bars`` (``x``, ``y``, ``w``, ``h``, label
        and value positions) and ``ticks`` (``x``, ``text``).
    """
    left, right, row_h, bar_h, top = 200.0, 540.0, 36.0, 18.0, 8.0
    values = [s["kg"] for s in stages] or [0.0]
    step = fmt.nice_step(max(0.0, *values) - min(0.0, *values))
    vmin = math.floor(min(0.0, *values) / step) * step
    vmax = math.ceil(max(0.0, *values) / step) * step
    span = (vmax - vmin) or 1.0

    def xpos(v: float) -> float:
        return left + (v - vmin) / span * (right - left)

    axis = xpos(0.0)
    bars = []
    y = top
    for s in stages:  # a row with name_lines is as tall as its lines (11 units each) and its sub-line
        h = max(row_h, 11.0 * len(s.get("name_lines") or ()) + 18.0)
        x1 = xpos(s["kg"])
        bars.append({**s, "x": min(axis, x1), "w": max(abs(x1 - axis), 0.8), "y": y + (h - bar_h) / 2,
                     "h": bar_h, "ty": y + h / 2, "vx": max(axis, x1) + 6, "top": y})
        y += h
    plot_bottom = y
    ticks = [{"x": xpos(vmin + k * step), "text": fmt.amount(round(vmin + k * step, 12))}  # round steps: 200, not 200.0
             for k in range(int(round(span / step)) + 1)]
    return {"width": 640, "height": plot_bottom + 34, "axis_x": axis, "bars": bars, "ticks": ticks,
            "plot_top": top, "plot_bottom": plot_bottom}


def _contributions(result: FootprintResult) -> dict:
    """Top contributions with shares, and the remainder [kg CO2e per reference flow]."""
    total = float(result.total_kg_co2e)
    items = sorted(result.contributions, key=lambda c: -abs(float(c.kg_co2e)))
    rows = []
    for i, c in enumerate(items[:TOP_CONTRIBUTIONS], start=1):
        kg = float(c.kg_co2e)
        s = c.share
        s = fmt.share(kg, total) if s is None else float(s)
        zh, en = fmt.stage_name(c.stage or "")
        rows.append({"rank": i, "key": c.process or c.background or fmt.DASH,
                     "name": c.name or "", "kind": KINDS.get(c.kind or "", c.kind or ""),
                     "stage_zh": zh, "stage_en": vocabulary.STAGE_SHORT.get(c.stage or "", en),
                     "kg_text": fmt.sig(kg), "share_text": fmt.pct(s)})
    rest = items[TOP_CONTRIBUTIONS:]
    rest_kg = sum(float(c.kg_co2e) for c in rest)
    return {"rows": rows, "rest_n": len(rest), "rest_kg_text": fmt.sig(rest_kg),
            "rest_share_text": fmt.pct(fmt.share(rest_kg, total)), "n": len(items)}


def contribution_rows(result: FootprintResult, n: int = TOP_CHART) -> list[dict]:
    """The ``n`` largest contributions as rows for :func:`stage_chart`: ``kg`` [kg CO2e per
    reference flow], ``zh`` (the name) and ``name_lines`` (it wrapped at 34 characters), ``en``
    (stage and process), ``colour`` of the
    stage, ``kg_text``, ``share_text``."""
    total = float(result.total_kg_co2e)
    order = list(vocabulary.STAGE_NAMES)
    items = [c for c in result.contributions if c.kind != "other"]
    items = sorted(items, key=lambda c: -abs(float(c.kg_co2e)))[:n]
    rows = []
    for c in items:
        kg = float(c.kg_co2e)
        stage = c.stage or ""
        colour = fmt.STAGE_COLOURS[order.index(stage) % len(fmt.STAGE_COLOURS)] if stage in order else "#7a7a7a"
        lines = fmt.wrap(c.name or c.background or c.process or "", 34)  # whole, never cut (issue 20)
        rows.append({"kg": kg, "zh": " ".join(lines), "name_lines": lines, "colour": colour,
                     "en": f"{vocabulary.STAGE_SHORT.get(stage, stage)} · {c.process or ''}".strip(" ·"),
                     "kg_text": fmt.sig(kg), "share_text": fmt.pct(fmt.share(kg, total))})
    return rows


def _declaration_rows(result: FootprintResult) -> list[dict]:
    """Rows of the model's ``declaration:`` shown in section 1 (only what it states)."""
    d = result.declaration or {}
    rows = []
    m = d.get("manufacturer") or {}
    if m.get("name"):
        rows.append({"zh": "制造商", "en": "Manufacturer",
                     "value": ", ".join(x for x in (m.get("name"), m.get("address"), m.get("contact")) if x)})
    if d.get("product_model"):
        rows.append({"zh": "型号", "en": "Model", "value": d["product_model"]})
    plant = d.get("plant") or {}
    if plant.get("location"):
        rows.append({"zh": "生产工厂", "en": "Manufacturing plant",
                     "value": ", ".join(x for x in (plant.get("name"), plant.get("location"), plant.get("country")) if x)})
    if d.get("conformity_declaration_id"):
        rows.append({"zh": "合格声明编号", "en": "EU declaration of conformity", "value": d["conformity_declaration_id"]})
    if d.get("study_url"):
        rows.append({"zh": "公开研究报告", "en": "Public study", "value": d["study_url"]})
    return rows


def _assessment(declaration: Declaration) -> dict | None:
    """PCR section: PCR, conformity, findings, PCR stages, performance class."""
    a = declaration.assessment
    if a is None:
        return None
    findings = []
    for f in a.findings:
        sev = str(f.severity or "observation")
        zh, en = SEVERITY.get(sev, ("", sev))
        findings.append({"severity": sev, "zh": zh, "en": en, "rule": f.rule or "",
                         "clause": f.clause or "", "message": fmt.plain_text(f.message or ""),
                         "fix": fmt.plain_text(f.fix or "")})
    declared_unit = declaration.result.product.declared_unit
    du = declared_unit.unit if declared_unit is not None else None
    outside = view.outside_boundary(declaration)  # cradle-to-gate: "not included", not a measured 0
    pcr_stages = [{"name": k, "text": "不含 not included (cradle-to-gate)" if k in outside and v == 0 else fmt.sig(v)}
                  for k, v in (a.stages or {}).items()]
    return {"pcr": to_json(a.pcr), "conforms": a.conforms, "findings": findings,
            "n_nonconformities": sum(f["severity"] == "nonconformity" for f in findings),
            "stages": pcr_stages, "stages_unit": f"kg CO2e / {du}" if du else "kg CO2e",
            "pc": to_json(a.performance_class), "electricity": a.electricity}


# ------------------------------------------------------------------ section builders of report_context

def _percent(x: float | None) -> str:
    """A share of the cut-off table [-] as a percentage with two decimals (``0.25 %``); a share
    that is not zero but rounds to 0.00 is ``< 0.01 %`` (a cut-off input is never shown as
    nothing), None an en dash."""
    if x is None:
        return fmt.DASH
    if x != 0 and abs(100 * x) < 0.005:
        return "< 0.01 %" if x > 0 else "> -0.01 %"
    return f"{100 * x:.2f} %"


def _data_source_rows(result: FootprintResult) -> list[dict]:
    """Section 4: the background activities drawn, with factors [kg CO2e / unit] and DQR."""
    return [{
        "key": d.background or fmt.DASH, "name": d.name or "",
        "location": d.location or fmt.DASH, "year": d.year or fmt.DASH,
        "unit": d.unit or fmt.DASH, "factor_text": fmt.sig(d.kg_co2e_per_unit),
        "source": d.source or fmt.DASH, "database": d.database or "",
        "amount_text": (f"{fmt.amount(d.amount)} {d.unit or ''}".strip()
                        if d.amount is not None else fmt.DASH),
        "kg_text": fmt.sig(d.kg_co2e) if d.kg_co2e is not None else fmt.DASH,
        "dqr_text": f"{d.dqr.dqr:.1f}" if d.dqr else fmt.DASH,
        "dqr_parts": f"{d.dqr.ter}/{d.dqr.ger}/{d.dqr.tir}/{d.dqr.p}" if d.dqr else "",
        "basis_text": gwpbasis_view.source_text(d),
    } for d in result.data_sources]


def _allocation_rows(result: FootprintResult) -> list[dict]:
    """Section 1.1: multi-output processes, their products' shares and system-expansion credits."""
    return [{
        "process": a.process or "", "name": a.name or "", "method": a.method or "",
        "justification": a.justification or fmt.DASH,
        "products": [{
            "name": p.name or "", "amount": f"{fmt.amount(p.amount)} {p.unit or ''}".strip(),
            "basis": (f"{fmt.amount(p.basis)} {a.basis_unit or ''}".strip()
                      if p.basis is not None else fmt.DASH),
            "share": f"{100 * p.factor:.1f} %" if p.factor is not None else fmt.DASH,
        } for p in a.products],
        "credits": [{
            "coproduct": c.coproduct or "", "avoided": c.avoided or "",
            "amount": f"{fmt.amount(c.amount)} {c.unit or ''}".strip(),
            "kg_text": fmt.sig(c.kg_co2e),
        } for c in a.credits],
    } for a in result.allocation]


def _cut_off_section(result: FootprintResult) -> dict:
    """Section 5: the excluded inputs, the study's cut-off criteria and where they break."""
    rows = [{
        "process": c.process or fmt.DASH, "name": c.name or "",
        "amount": f"{fmt.amount(c.amount)} {c.unit or ''}".strip(),
        "reason": c.reason or fmt.DASH,
        "share": _percent(c.mass_share if c.mass_share is not None else c.energy_share),
        "proxy": c.proxy or fmt.DASH,
        "estimate": fmt.sig(c.kg_co2e_estimate) if c.kg_co2e_estimate is not None else fmt.DASH,
        "ghg_share": _percent(c.ghg_share),
    } for c in result.cut_off]
    summary = result.cut_off_summary
    crit = summary.criteria
    criteria = (
        "; ".join(f"{label} ≤ {100 * getattr(crit, k):g} %" for k, label in
                  (("mass", "mass"), ("energy", "energy"), ("ghg", "GHG"), ("total", "total"))
                  if getattr(crit, k) is not None)
        + (f" ({crit.source})" if crit.source else "")
    ) if crit else None
    return {"cut_off": rows, "cut_off_criteria": criteria, "cut_off_findings": [to_json(f) for f in summary.findings],
            "cut_off_total": _percent(summary.estimated_share)}


def _scenario(result: FootprintResult) -> dict | None:
    """The variant of the model this report is for (model ``scenarios:``), or None."""
    scenario = result.scenario
    if not scenario:
        return None
    return {"name": scenario.name, "description": scenario.description or "", "changes": (
        [f"{k} = {fmt.amount(v)}" for k, v in (scenario.parameters or {}).items()]
        + [f"{c.process}: {c.from_} → {c.to}" for c in (*scenario.replaced, *scenario.transport)])}


def _study_section(declaration: Declaration) -> dict:
    """Title page and section 1 (goal and scope): product, units, study, method, background."""
    result = declaration.result
    product = result.product
    declared = product.declared_unit
    boundary = view.study_value(result, "boundary")
    prov = result.provenance
    return {
        "pid": product.id, "name": product.name,
        "ref_unit": view.per_unit(product, False),
        "ref_flow": view.reference_flow_text(product),
        "declared": to_json(declared),
        "declared_n": fmt.amount(declared.per_reference_flow) if declared else None,
        "du_unit": view.per_unit(product, True),
        "standard": view.standard_text(declaration),
        "pcr": view.pcr_text(declaration),
        "boundary": boundary, "boundary_zh": fmt.BOUNDARY_NAMES.get(boundary, ("", ""))[0],
        "method": fmt.method_label(result), "method_id": result.method,
        "method_name": " / ".join(result.method_name or []),
        "background": view.study_value(result, "background"),
        "background_version": prov.background_version or fmt.DASH,
        "background_database": prov.background_database or "",
        "background_sha256": prov.background_sha256 or fmt.DASH,
        "brightway": ", ".join(f"{k} {v}" for k, v in (prov.brightway or {}).items()) or fmt.DASH,
        "parameters": [{"name": k, "value": fmt.amount(v)} for k, v in (result.parameters or {}).items()],
        "databases": [{
            "database": b.get("database") or "", "kind": b.get("kind") or "", "source": b.get("source") or fmt.DASH,
            "activities": b.get("activities"), "sha256": b.get("sha256") or fmt.DASH,
        } for b in prov.databases],
        "allocation": _allocation_rows(result),
        "use_eol": use_eol_context(result),
        "declaration_rows": _declaration_rows(result),
        "boundary_map": boundary_context(result),
    }


def _results_section(declaration: Declaration) -> dict:
    """Sections 2 (stages, ISO 14067 categories, electricity, biogenic, uncertainty) and 3
    (contributions)."""
    result = declaration.result
    stages = view.stage_rows(result)
    total = float(result.total_kg_co2e)
    declared = result.product.declared_unit
    return {
        "head": view.headline(declaration),
        "total_text": fmt.sig(total),
        "stages": stages,
        "total_share": fmt.pct(fmt.share(total, total)),
        "stage_total_du": fmt.sig(result.per_declared_unit_kg_co2e) if declared else fmt.DASH,
        "stage_note": view.stage_note(result),
        "chart": stage_chart(stages),
        "ghg": view.ghg_rows(result),
        "biogenic": biogenic_view.context(declaration),
        "electricity": electricity_context(declaration),
        "uncertainty": uncertainty_context(result),
        "contrib": _contributions(result),
        "contrib_chart": stage_chart(contribution_rows(result)),
    }


def _pcr_section(declaration: Declaration) -> dict:
    """Section 6 (PCR findings, class, gradings, contents), 7 (limitations) and 9 (verification)."""
    a = declaration.assessment
    return {
        "scale": view.class_scale(declaration),
        "assessment": _assessment(declaration),
        "alternative_classes": [to_json(g) for g in a.alternative_classes] if a is not None else [],
        "not_graded": view.not_graded_reason(declaration),
        "checklists": checklists(declaration),
        "limitations": limitations(declaration),
        "verification": verification_context(declaration),
    }


def _provenance_section(declaration: Declaration) -> dict:
    """Section 8 (provenance) and the QR text of the label."""
    result = declaration.result
    return {
        "software_version": result.software_version or fmt.DASH,
        "model_file": result.model_file or fmt.DASH,
        "model_sha256": result.model_sha256,
        "created_at": result.created_at or fmt.DASH,
        "date": view.created_date(result),
        "qr_text": label_verification_text(declaration),
        # the report is made from a result, never issued: every page carries the draft watermark
        "watermark": view.DRAFT_MARK,
    }


#: Lint severity -> (Chinese, English) for section 1.4.
LINT_SEVERITY = {"error": ("错误", "Error"), "warning": ("警告", "Warning"), "info": ("说明", "Note")}


def lint_rows(result: FootprintResult) -> list[dict] | None:
    """Rows of section 1.4 (model lint, :mod:`pcf.model.lint`): ``{severity_zh, severity_en,
    check, where (file name:line), message, fix}`` per finding of the result's ``lint``; None
    when the result was made without lint (older results)."""
    if result.lint is ABSENT:
        return None
    rows = []
    for f in result.lint:
        zh, en = LINT_SEVERITY.get(f.severity, (f.severity, f.severity))
        where = Path(f.file).name + (f":{f.line}" if f.line is not None else "")
        rows.append({"severity_zh": zh, "severity_en": en, "severity": f.severity, "check": f.check,
                     "where": where, "message": fmt.plain_text(f.message), "fix": fmt.plain_text(f.fix)})
    return rows


def report_context(declaration: Declaration, font: str, label_svg: str) -> dict:
    """Everything ``report.html.j2`` shows, formatted, one builder per group of sections.

    Parameters
    ----------
    declaration : Declaration
    font : str
        CJK font family.
    label_svg : str
        The rendered label (shown on the title page).

    Returns
    -------
    dict
        The keys of :func:`_study_section`, :func:`_results_section`, :func:`_pcr_section`,
        :func:`_provenance_section` and :func:`_cut_off_section`, plus ``scenario``, ``font``,
        ``label``, ``data_sources`` / ``data_quality`` / ``gwp_basis`` (section 4) and ``lint``
        (section 1.4, :func:`lint_rows`).
    """
    result = declaration.result
    context = {"scenario": _scenario(result), "font": font, "label": Markup(label_svg),
               "data_sources": _data_source_rows(result), "data_quality": data_quality_context(result),
               "gwp_basis": gwpbasis_view.summary_context(result), "lint": lint_rows(result)}
    for part in (_study_section(declaration), _cut_off_section(result), _results_section(declaration),
                 _pcr_section(declaration), _provenance_section(declaration)):
        clash = context.keys() & part.keys()
        if clash:  # a shadowed key can make WeasyPrint lay out a dict as a table for minutes (DEVELOPERS.md)
            raise RenderError(f"report context keys {sorted(clash)} are built twice; please report this")
        context.update(part)
    return context


def render_report(declaration: Declaration, out_dir: Path, templates_dir: Path | None = None) -> Path:
    """Write the CFP study report of a declaration as an A4 PDF.

    Parameters
    ----------
    declaration : Declaration
        What the report is about (:func:`pcf.declaration.read_declaration` reads a result file).
    out_dir : Path
        Output folder; created if missing.
    templates_dir : Path, optional
        Folder of ``report.html.j2``, ``report.css`` and ``label.svg.j2``
        [default: ``label_templates/``].

    Returns
    -------
    Path
        ``<out_dir>/<product id>.report.pdf`` (``<product id>.<scenario>.report.pdf`` for a
        scenario result).

    Raises
    ------
    RenderError
        On a product id that cannot name a file, a missing template, no CJK font (install
        fonts-noto-cjk), a WeasyPrint failure or an unwritable folder; no file is written then.
    """
    font, env, svg = prepare(declaration, templates_dir)
    css = output.read_template_file(env, "report.css")
    html = output.render_template(env, "report.html.j2", R=report_context(declaration, font, svg),
                                  css=Markup(css))
    pdf = output.html_to_pdf(html, output.template_folder(env))
    out = output.prepare_out_dir(out_dir)
    path = out / f"{output.file_stem(declaration)}.report.pdf"
    output.write_atomic({path: pdf})
    return path
