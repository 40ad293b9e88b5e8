"""Report section 1.2: use stage (service life, use-stage inputs) and end of life per material.

Reads the ``use_stage`` and ``end_of_life`` parts of a result (docs/result-json.md) and
formats them for ``label_templates/report_eol.html.j2``.
"""

from __future__ import annotations

from pcf.render import fmt

APPROACHES = {"cut_off": ("截断法", "cut-off (recycled content)"),
              "cff": ("循环足迹公式", "Circular Footprint Formula (PEF 2021/2279 Annex I 4.4.8)")}
#: parameter order in the report
PARAMETERS = ("R1", "R2", "R3", "A", "B", "Qsin/Qp", "Qsout/Qp", "LHV", "XER,heat", "XER,elec")


def use_eol_context(result: dict) -> dict:
    """Formatted rows of section 1.2.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result; results without ``use_stage`` / ``end_of_life`` give an
        empty section (``present`` False).

    Returns
    -------
    dict
        ``present``, ``life`` (service life text or None), ``inputs`` and ``emissions`` (use
        stage, per period and over the service life), ``materials`` (per material: process,
        approach, parameters text, terms with amounts [per reference flow] and kg CO2e, total).
    """
    use = result.get("use_stage") or {}
    life = use.get("service_life")
    inputs = [{
        "process": i.get("process") or fmt.DASH, "activity": i.get("activity") or fmt.DASH,
        "per_text": f"{fmt.amount(i.get('amount_per'))} {i.get('unit') or ''} / {i.get('per')}",
        "amount_text": f"{fmt.amount(i.get('amount'))} {i.get('unit') or ''}".strip(),
        "kg_text": fmt.sig(i.get("kg_co2e")),
    } for i in use.get("inputs") or []]
    emissions = [{
        "process": e.get("process") or fmt.DASH, "substance": f"{e.get('substance')} ({e.get('origin')})",
        "per_text": f"{fmt.amount(e.get('amount_per'))} kg / {e.get('per')}",
        "amount_text": f"{fmt.amount(e.get('amount'))} kg",
    } for e in use.get("emissions") or []]
    materials = []
    for m in result.get("end_of_life") or []:
        zh, en = APPROACHES.get(m.get("approach"), ("", m.get("approach") or ""))
        params = m.get("parameters") or {}
        materials.append({
            "material": m.get("material") or "", "process": m.get("process") or fmt.DASH,
            "approach_zh": zh, "approach_en": en,
            "mass_text": f"{fmt.amount(m.get('mass_kg'))} kg",
            "parameters_text": "; ".join(f"{k} = {fmt.amount(params[k])}" for k in PARAMETERS
                                         if params.get(k) is not None) or fmt.DASH,
            "terms": [{"term": t.get("term") or "", "side": t.get("side") or "",
                       "activity": t.get("activity") or fmt.DASH,
                       "amount_text": f"{fmt.amount(t.get('amount'))} {t.get('unit') or ''}".strip(),
                       "kg_text": fmt.sig(t.get("kg_co2e"))} for t in m.get("terms") or []],
            "kg_text": fmt.sig(m.get("kg_co2e")),
        })
    return {"present": bool(life or inputs or emissions or materials),
            "life": f"{fmt.amount(life['amount'])} {life['unit']}" if life else None,
            "inputs": inputs, "emissions": emissions, "materials": materials}
