"""CFP study report (HTML -> WeasyPrint PDF, A4) with a verification statement section.

Sections: title page (with the label), 1 goal and scope (1.1 allocation, 1.2 use stage and
end of life, 1.3 system-boundary diagram), 2 results (2.1 stages table and chart, 2.2 ISO
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
from pcf.core.files import output_stem
from pcf.render import biogenic_view, fmt, output, view
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
    for i, s in enumerate(stages):
        y = top + i * row_h
        x1 = xpos(s["kg"])
        bars.append({**s, "x": min(axis, x1), "w": max(abs(x1 - axis), 0.8), "y": y + (row_h - bar_h) / 2,
                     "h": bar_h, "ty": y + row_h / 2, "vx": max(axis, x1) + 6})
    plot_bottom = top + len(stages) * row_h
    ticks = [{"x": xpos(vmin + k * step), "text": fmt.sig(vmin + k * step)}
             for k in range(int(round(span / step)) + 1)]
    return {"width": 640, "height": plot_bottom + 34, "axis_x": axis, "bars": bars, "ticks": ticks,
            "plot_top": top, "plot_bottom": plot_bottom}


def _contributions(result: dict) -> dict:
    """Top contributions with shares, and the remainder [kg CO2e per reference flow]."""
    total = float(result["total_kg_co2e"])
    items = sorted(result.get("contributions") or [], key=lambda c: -abs(float(c["kg_co2e"])))
    rows = []
    for i, c in enumerate(items[:TOP_CONTRIBUTIONS], start=1):
        kg = float(c["kg_co2e"])
        s = c.get("share")
        s = fmt.share(kg, total) if s is None else float(s)
        zh, en = fmt.stage_name(c.get("stage") or "")
        rows.append({"rank": i, "key": c.get("process") or c.get("background") or fmt.DASH,
                     "name": c.get("name") or "", "kind": KINDS.get(c.get("kind") or "", c.get("kind") or ""),
                     "stage_zh": zh, "stage_en": vocabulary.STAGE_SHORT.get(c.get("stage") or "", en),
                     "kg_text": fmt.sig(kg), "share_text": fmt.pct(s)})
    rest = items[TOP_CONTRIBUTIONS:]
    rest_kg = sum(float(c["kg_co2e"]) for c in rest)
    return {"rows": rows, "rest_n": len(rest), "rest_kg_text": fmt.sig(rest_kg),
            "rest_share_text": fmt.pct(fmt.share(rest_kg, total)), "n": len(items)}


def contribution_rows(result: dict, n: int = TOP_CHART) -> list[dict]:
    """The ``n`` largest contributions as rows for :func:`stage_chart`: ``kg`` [kg CO2e per
    reference flow], ``zh`` (name, shortened), ``en`` (stage and process), ``colour`` of the
    stage, ``kg_text``, ``share_text``."""
    total = float(result["total_kg_co2e"])
    order = list(vocabulary.STAGE_NAMES)
    items = [c for c in result.get("contributions") or [] if c.get("kind") != "other"]
    items = sorted(items, key=lambda c: -abs(float(c["kg_co2e"])))[:n]
    rows = []
    for c in items:
        kg = float(c["kg_co2e"])
        stage = c.get("stage") or ""
        colour = fmt.STAGE_COLOURS[order.index(stage) % len(fmt.STAGE_COLOURS)] if stage in order else "#7a7a7a"
        name = fmt.ellipsize(fmt.wrap(c.get("name") or c.get("background") or c.get("process") or "", 34), 1)[0]
        rows.append({"kg": kg, "zh": name, "colour": colour,
                     "en": f"{vocabulary.STAGE_SHORT.get(stage, stage)} · {c.get('process') or ''}".strip(" ·"),
                     "kg_text": fmt.sig(kg), "share_text": fmt.pct(fmt.share(kg, total))})
    return rows


def _declaration_rows(result: dict) -> list[dict]:
    """Rows of the model's ``declaration:`` shown in section 1 (only what it states)."""
    d = result.get("declaration") or {}
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


def _assessment(result: dict) -> dict | None:
    """PCR section: PCR, conformity, findings, PCR stages, performance class."""
    a = result.get("assessment")
    if not a:
        return None
    findings = []
    for f in a.get("findings") or []:
        sev = str(f.get("severity") or "observation")
        zh, en = SEVERITY.get(sev, ("", sev))
        findings.append({"severity": sev, "zh": zh, "en": en, "rule": f.get("rule") or "",
                         "clause": f.get("clause") or "", "message": f.get("message") or "",
                         "fix": f.get("fix") or ""})
    du = (result["product"].get("declared_unit") or {}).get("unit")
    pcr_stages = [{"name": k, "text": fmt.sig(v)} for k, v in (a.get("stages") or {}).items()]
    return {"pcr": a.get("pcr") or {}, "conforms": a.get("conforms"), "findings": findings,
            "n_nonconformities": sum(f["severity"] == "nonconformity" for f in findings),
            "stages": pcr_stages, "stages_unit": f"kg CO2e / {du}" if du else "kg CO2e",
            "pc": a.get("performance_class"), "electricity": a.get("electricity")}


def report_context(result: dict, font: str, label_svg: str) -> dict:
    """Everything ``report.html.j2`` shows, formatted.

    Parameters
    ----------
    result : dict
        A checked ``pcf-result/1`` result.
    font : str
        CJK font family.
    label_svg : str
        The rendered label (shown on the title page).

    Returns
    -------
    dict
    """
    product = result["product"]
    stages = view.stage_rows(result)
    total = float(result["total_kg_co2e"])
    declared = product.get("declared_unit")
    boundary = view.study_value(result, "boundary")
    prov = result.get("provenance") or {}
    brightway = prov.get("brightway") or {}
    data_sources = [{
        "key": d.get("background") or fmt.DASH, "name": d.get("name") or "",
        "location": d.get("location") or fmt.DASH, "year": d.get("year") or fmt.DASH,
        "unit": d.get("unit") or fmt.DASH, "factor_text": fmt.sig(d.get("kg_co2e_per_unit")),
        "source": d.get("source") or fmt.DASH, "database": d.get("database") or "",
        "amount_text": (f"{fmt.amount(d['amount'])} {d.get('unit') or ''}".strip()
                        if d.get("amount") is not None else fmt.DASH),
        "kg_text": fmt.sig(d.get("kg_co2e")) if d.get("kg_co2e") is not None else fmt.DASH,
        "dqr_text": f"{d['dqr']['dqr']:.1f}" if d.get("dqr") else fmt.DASH,
        "dqr_parts": (f"{d['dqr']['ter']}/{d['dqr']['ger']}/{d['dqr']['tir']}/{d['dqr']['p']}"
                      if d.get("dqr") else ""),
    } for d in result.get("data_sources") or []]
    allocation = [{
        "process": a.get("process") or "", "name": a.get("name") or "", "method": a.get("method") or "",
        "justification": a.get("justification") or fmt.DASH,
        "products": [{
            "name": p.get("name") or "", "amount": f"{fmt.amount(p.get('amount'))} {p.get('unit') or ''}".strip(),
            "basis": (f"{fmt.amount(p['basis'])} {a.get('basis_unit') or ''}".strip()
                      if p.get("basis") is not None else fmt.DASH),
            "share": f"{100 * p['factor']:.1f} %" if p.get("factor") is not None else fmt.DASH,
        } for p in a.get("products") or []],
        "credits": [{
            "coproduct": c.get("coproduct") or "", "avoided": c.get("avoided") or "",
            "amount": f"{fmt.amount(c.get('amount'))} {c.get('unit') or ''}".strip(),
            "kg_text": fmt.sig(c.get("kg_co2e")),
        } for c in a.get("credits") or []],
    } for a in result.get("allocation") or []]
    databases = [{
        "database": b.get("database") or "", "kind": b.get("kind") or "", "source": b.get("source") or fmt.DASH,
        "activities": b.get("activities"), "sha256": b.get("sha256") or fmt.DASH,
    } for b in (result.get("provenance") or {}).get("databases") or []]
    def pct(x):
        return f"{100 * x:.2f} %" if x is not None else fmt.DASH

    cut_off = [{
        "process": c.get("process") or fmt.DASH, "name": c.get("name") or "",
        "amount": f"{fmt.amount(c.get('amount'))} {c.get('unit') or ''}".strip(),
        "reason": c.get("reason") or fmt.DASH,
        "share": pct(c.get("mass_share") if c.get("mass_share") is not None else c.get("energy_share")),
        "proxy": c.get("proxy") or fmt.DASH,
        "estimate": fmt.sig(c["kg_co2e_estimate"]) if c.get("kg_co2e_estimate") is not None else fmt.DASH,
        "ghg_share": pct(c.get("ghg_share")),
    } for c in result.get("cut_off") or []]
    summary = result.get("cut_off_summary") or {}
    crit = summary.get("criteria")
    cut_off_criteria = (
        "; ".join(f"{label} ≤ {100 * crit[k]:g} %" for k, label in
                  (("mass", "mass"), ("energy", "energy"), ("ghg", "GHG"), ("total", "total")) if crit.get(k) is not None)
        + (f" ({crit['source']})" if crit.get("source") else "")
    ) if crit else None
    scenario = result.get("scenario")
    if scenario:  # the variant of the model this report is for (model scenarios:)
        scenario = {"name": scenario["name"], "description": scenario.get("description") or "", "changes": (
            [f"{k} = {fmt.amount(v)}" for k, v in (scenario.get("parameters") or {}).items()]
            + [f"{c['process']}: {c['from']} → {c['to']}"
               for c in (scenario.get("replaced") or []) + (scenario.get("transport") or [])])}
    return {
        "scenario": scenario,
        "font": font,
        "label": Markup(label_svg),
        "pid": product["id"], "name": product["name"],
        "databases": databases,
        "allocation": allocation,
        "use_eol": use_eol_context(result),
        "cut_off_criteria": cut_off_criteria, "cut_off_findings": summary.get("findings") or [],
        "cut_off_total": pct(summary.get("estimated_share")),
        "head": view.headline(result),
        "total_text": fmt.sig(total),
        "ref_unit": view.per_unit(product, False),
        "ref_flow": view.reference_flow_text(product),
        "declared": declared,
        "declared_n": fmt.amount(declared["per_reference_flow"]) if declared else None,
        "du_unit": view.per_unit(product, True),
        "scale": view.class_scale(result),
        "standard": view.study_value(result, "standard"),
        "pcr": view.pcr_text(result),
        "boundary": boundary, "boundary_zh": fmt.BOUNDARY_NAMES.get(boundary, ("", ""))[0],
        "method": fmt.method_label(result), "method_id": result["method"],
        "method_name": " / ".join(result.get("method_name") or []),
        "background": view.study_value(result, "background"),
        "background_version": prov.get("background_version") or fmt.DASH,
        "background_database": prov.get("background_database") or "",
        "background_sha256": prov.get("background_sha256") or fmt.DASH,
        "brightway": ", ".join(f"{k} {v}" for k, v in brightway.items()) or fmt.DASH,
        "parameters": [{"name": k, "value": fmt.amount(v)}
                       for k, v in (result.get("parameters") or {}).items()],
        "stages": stages,
        "total_share": fmt.pct(fmt.share(total, total)),
        "stage_total_du": fmt.sig(result["per_declared_unit_kg_co2e"]) if declared else fmt.DASH,
        "chart": stage_chart(stages),
        "ghg": view.ghg_rows(result),
        "biogenic": biogenic_view.context(result),
        "contrib": _contributions(result),
        "electricity": electricity_context(result),
        "data_sources": data_sources,
        "data_quality": data_quality_context(result),
        "cut_off": cut_off,
        "assessment": _assessment(result),
        "alternative_classes": list((result.get("assessment") or {}).get("alternative_classes") or []),
        "not_graded": view.not_graded_reason(result),
        "declaration_rows": _declaration_rows(result),
        "boundary_map": boundary_context(result),
        "contrib_chart": stage_chart(contribution_rows(result)),
        "checklists": checklists(result),
        "limitations": limitations(result),
        "verification": verification_context(result),
        "uncertainty": uncertainty_context(result),
        "software_version": result.get("software_version") or fmt.DASH,
        "model_file": result.get("model_file") or fmt.DASH,
        "model_sha256": result["model_sha256"],
        "created_at": result.get("created_at") or fmt.DASH,
        "date": view.created_date(result),
        "qr_text": label_verification_text(result),
    }


def render_report(result: dict, out_dir: Path, templates_dir: Path | None = None) -> Path:
    """Write the CFP study report of a result as an A4 PDF.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result (see docs/result-json.md).
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
        On a bad result, a missing template, no CJK font (install fonts-noto-cjk), a
        WeasyPrint failure or an unwritable folder; no file is written then.
    """
    font, env, svg = prepare(result, templates_dir)
    css = output.read_template_file(env, "report.css")
    html = output.render_template(env, "report.html.j2", R=report_context(result, font, svg),
                                  css=Markup(css))
    pdf = output.html_to_pdf(html, output.template_folder(env))
    out = output.prepare_out_dir(out_dir)
    path = out / f"{output_stem(result)}.report.pdf"
    output.write_atomic({path: pdf})
    return path
