"""Carbon-footprint declaration (A5, SVG and PDF), bilingual.

For a result assessed against ``eu-battery-cfb-ev`` it is the battery carbon-footprint
declaration of Regulation (EU) 2023/1542 Art. 7(1): (a) manufacturer, (b) battery model,
(c) plant location, (d) kg CO2e per kWh of total energy over the service life, (e) the
four life-cycle stages of Annex II point 4 with their shares, (f) the EU declaration of
conformity's number, (g) the link to the public study; and, per Art. 7(2), the performance
class (only when the result conforms). For other rules it lists that PCR's ``declaration:``
items. What the result lacks is printed as "not stated", never filled in.

The label number is a placeholder until a certification body issues the declaration
(:mod:`pcf.registry`), which renders the same template with ``issued``.
"""

from __future__ import annotations

import math
import re

from pcf.declaration import Declaration
from pcf.pcr.contents import LOOKUPS, NAMES
from pcf.render import fmt, view
from pcf.render.qr import qr_path

#: A5 portrait [mm] and its user space [units, 4 per mm].
DECLARATION_MM = (148, 210)
DECLARATION_UNITS = (592, 840)

#: Chinese names of PCR stage names given in English only: the four stages of Reg. (EU)
#: 2023/1542 Annex II point 4 and those of pv-module (GB/T and China rules name theirs in both).
STAGE_ZH = {
    "Raw material acquisition and pre-processing": "原材料获取与预处理",
    "Main product production": "主要产品生产",
    "Distribution": "分销",
    "End of life and recycling": "寿命终止与回收",
    "Module manufacturing (silicon to module)": "组件制造（硅料至组件）",
    "End of life": "寿命终止",
}
#: Product name layouts, tried in turn: (font size, most lines) [SVG units]. The name is set from y = 124
#: down to the value box (y = 186) and wraps (:data:`NAME_WIDTH`, measured in the bold face:
#: :func:`pcf.render.fmt.wrap_measured`), smaller when it must; it is never cut (issue 20: names were cut
#: after two lines).
NAME_LAYOUTS = ((15.0, 3), (12.0, 4), (9.5, 5), (8.0, 6))
#: Width of a name line [SVG units]: from x = 20 to the right margin at 572.
NAME_WIDTH = 552.0
#: Baseline of the first name line for a font size: the top of the block plus the ascent.
NAME_TOP = 124.0


def _name_block(name: str) -> dict:
    """``name_lines``, ``name_size``, ``name_y`` (baselines) and ``name_dy`` [SVG units] of the
    product name: the first of :data:`NAME_LAYOUTS` it fits, else the last one with every line,
    the rest of the page then moved down by ``name_dy``."""
    for size, most in NAME_LAYOUTS:
        lines = fmt.wrap_measured(name, NAME_WIDTH, size, bold=True)
        if len(lines) <= most:
            break
    step = round(size * 1.2, 2)
    first = NAME_TOP + round(size * 0.93, 2)
    ys = [round(first + i * step, 2) for i in range(len(lines))]
    return {"name_lines": lines, "name_size": size, "name_y": ys,
            "name_dy": round(max(0.0, ys[-1] + 0.25 * size - 182.0), 2)}


def _id_size(product_id: str) -> float:
    """Font size [SVG units] of the product id's line (``产品编号 Product ID`` then the id in bold, right-aligned
    at x = 572): at most 10, the line within 330 units (:func:`pcf.render.fmt.text_width`)."""
    ems = fmt.text_width("产品编号 Product ID ", 1.0) + fmt.text_width(product_id, 1.0, bold=True)
    return min(10.0, math.floor(330.0 / ems * 10) / 10)


#: Items shown in the table when the PCR has no declaration rule.
DEFAULT_ITEMS = ("manufacturer", "product_model", "plant_location")
#: Items drawn elsewhere on the page (the headline value and the stage table), or not at all.
DRAWN_APART = ("footprint_per_declared_unit", "stage_breakdown", "other")


def _point(clause: str) -> str:
    """The Art. 7(1) letter a clause names, e.g. ``(a)``, or ''."""
    m = re.search(r"Art\. 7\(1\)(\([a-g]\))", clause or "")
    return m.group(1) if m else ""


def _rows(declaration: Declaration) -> list[dict]:
    """The administrative rows: PCR declaration items (or the defaults) with what the result has."""
    a = declaration.assessment
    contents = a.contents.declaration if a is not None else None
    if contents is None:
        items = [(i, NAMES[i][0], NAMES[i][1], LOOKUPS[i](declaration.result), "", None) for i in DEFAULT_ITEMS]
    else:
        items = [(c.item, c.zh, c.en, c.found, c.clause, c.severity) for c in contents]
    rows = []
    for item, zh, en, found, clause, severity in items:
        if item in DRAWN_APART:
            continue
        lines = fmt.ellipsize(fmt.wrap(fmt.plain_text(found), 58), 2) if found else []
        rows.append({"point": _point(clause or ""), "zh": zh, "en": en, "lines": lines,
                     "missing": not found, "required": severity == "nonconformity"})
    y = 0.0
    for r in rows:  # offsets below the rule line [units]: 31 per row, 13 more per extra line of value
        r["dy"] = y
        y += 31.0 + 13.0 * max(len(r["lines"]) - 1, 0)
    return rows


def _stages(declaration: Declaration) -> tuple[list[dict], str]:
    """PCR stages (kg CO2e per declared unit) with shares and bar geometry, and their unit."""
    assessed = declaration.assessment.stages if declaration.assessment is not None else {}
    head = view.headline(declaration)
    if assessed and all(v is not None for v in assessed.values()):
        items = [(STAGE_ZH.get(name, ""), name, float(v)) for name, v in assessed.items()]
        unit = head["unit"]
    else:
        rows = view.stage_rows(declaration.result)
        declared = head["declared"]
        items = [(r["zh"], r["en"], r["kg_du"] if declared else r["kg"]) for r in rows]
        unit = head["unit"]
    positive = sum(v for _, _, v in items if v > 0)
    total = sum(v for _, _, v in items)
    outside = view.outside_boundary(declaration)
    x, out = 20.0, []
    for i, (zh, en, v) in enumerate(items):
        w = 552.0 * v / positive if positive > 0 and v > 0 else 0.0
        share = fmt.share(v, total)
        left_out = en in outside and v == 0  # after the gate of a cradle-to-gate study: not a measured 0
        out.append({"zh": zh, "en": en, "text": "不含 not included" if left_out else fmt.sig(v),
                    "share_text": fmt.DASH if left_out else fmt.pct(share),
                    "colour": fmt.STAGE_COLOURS[i % len(fmt.STAGE_COLOURS)], "x": x, "w": w})
        x += w
    return out, unit


def _unit_description(declaration: Declaration) -> str:
    """The declared unit's description with its Chinese words in front (both languages), or ''."""
    declared = declaration.result.product.declared_unit
    if declared is None:
        return ""
    words = view.declared_unit_words(declaration)
    english = declared.description or words[1]
    return f"{words[0]}（{english}）" if words[0] != "每声明单位" else english


def declaration_context(declaration: Declaration, font: str, issued: dict | None = None) -> dict:
    """Everything ``declaration.svg.j2`` draws [user units, 4 per mm, A5 portrait].

    Parameters
    ----------
    declaration : Declaration
    font : str
        CJK font family.
    issued : dict, optional
        An issued declaration's ``number``, ``valid_from``, ``valid_until``, ``issuer``, ``qr``.

    Returns
    -------
    dict
        ``eu`` (assessed against eu-battery-cfb-ev), titles, ``head`` (:func:`view.headline`),
        ``e_total`` text, ``rows`` (administrative items), ``stages`` and ``stage_unit``,
        ``grades`` (:func:`view.grades`), ``not_graded``, ``conforms``, ``n_nonconformities``,
        ``state`` (:func:`view.issue_state`), ``qr``, study facts.
    """
    result = declaration.result
    a = declaration.assessment
    pcr_id = a.pcr.id if a is not None else None
    eu = pcr_id == "eu-battery-cfb-ev"
    head = view.headline(declaration)
    product = result.product
    declared = product.declared_unit
    e_total = None
    if declared:
        e_total = (f"{fmt.amount(declared.per_reference_flow)} {declared.unit} / {view.reference_flow_text(product)}"
                   f" · {fmt.sig(view.declared_per_reference_flow(declaration))} "
                   f"{view.per_unit(product, False)}")
    stages, stage_unit = _stages(declaration)
    rows = _rows(declaration)
    findings = a.findings if a is not None else ()
    qr = qr_path(issued["qr"]) if issued else None  # a draft has no code to scan (issue 20 part 3)
    return {
        "font": font, "mm": DECLARATION_MM, "units": DECLARATION_UNITS, "eu": eu,
        "title_zh": "电池碳足迹声明" if eu else "产品碳足迹声明",
        "title_en": "Battery carbon footprint declaration" if eu else "Carbon footprint declaration",
        "basis": "Regulation (EU) 2023/1542, Art. 7 · Annex II" if eu else (
            f"PCR {view.pcr_text(declaration)}" if pcr_id else "ISO 14067:2018 / GB/T 24067-2024"),
        **_name_block(product.name), "product_id": product.id,
        "id_size": _id_size(product.id),
        "head": head, "description": _unit_description(declaration), "e_total": e_total,
        "value_size": round(max(30.0, min(56.0, 330.0 / (0.6 * max(len(head["text"]), 1)))), 1),
        "rows": rows, "rows_height": sum(31.0 + 13.0 * max(len(r["lines"]) - 1, 0) for r in rows),
        "stages": stages, "stage_unit": stage_unit,
        "stage_point": "(e)" if eu else "", "value_point": "(d)" if eu else "",
        "grades": view.grades(declaration), "not_graded": view.not_graded_reason(declaration),
        "assessed": a is not None, "conforms": a.conforms if a is not None else None,
        "n_nonconformities": sum(f.severity == "nonconformity" for f in findings),
        "state": view.issue_state(declaration, issued),
        "qr": qr, "qr_units": 92.0, "watermark": view.draft_watermark(*DECLARATION_UNITS, issued),
        "pcr": view.pcr_text(declaration), "standard": view.standard_text(declaration),
        "method": fmt.method_line(result), "date": view.created_date(result),
        "method_size": fmt.fit_size("方法 Method " + fmt.method_line(result), 552.0, 9.5),
        "sha": result.model_sha256[:12].lower(),
    }
