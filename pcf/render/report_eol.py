"""Report section 1.2: use stage (service life, use-stage inputs) and end of life per material.

Reads the ``use_stage`` and ``end_of_life`` parts of a result (docs/result-json.md) and
formats them for ``label_templates/report_eol.html.j2``.
"""

from __future__ import annotations

import re

from pcf.lca.result import FootprintResult
from pcf.render import fmt

APPROACHES = {"cut_off": ("截断法", "cut-off (recycled content)"),
              "cff": ("循环足迹公式", "Circular Footprint Formula (PEF 2021/2279 Annex I 4.4.8)")}
#: A model parameter that states the service life (``service_life_years``, ``lifetime_h``,
#: ``life``), with the unit its suffix names.
LIFE_PARAMETER = re.compile(r"^(?:.*_)?(?:service_life|lifetime|life)(?:_(?P<unit>years?|yr|a|months?|hours?|h|cycles))?$")
LIFE_UNITS = {"year": "years", "years": "years", "yr": "years", "a": "years", "month": "months", "months": "months",
              "hour": "h", "hours": "h", "h": "h", "cycles": "cycles"}

#: parameter order in the report
PARAMETERS = ("R1", "R2", "R3", "A", "B", "Qsin/Qp", "Qsout/Qp", "LHV", "XER,heat", "XER,elec")


def _materials(result: FootprintResult) -> list[dict]:
    """End of life per material (:class:`pcf.lca.result.EndOfLife`), formatted."""
    materials = []
    for m in result.end_of_life:
        zh, en = APPROACHES.get(m.approach, ("", m.approach or ""))
        params = m.parameters or {}
        materials.append({
            "material": m.material or "", "process": m.process or fmt.DASH,
            "approach_zh": zh, "approach_en": en,
            "mass_text": f"{fmt.amount(m.mass_kg)} kg",
            "parameters_text": "; ".join(f"{k} = {fmt.amount(params[k])}" for k in PARAMETERS
                                         if params.get(k) is not None) or fmt.DASH,
            "terms": [{"term": t.term or "", "side": t.side or "",
                       "activity": t.activity or fmt.DASH,
                       "amount_text": f"{fmt.amount(t.amount)} {t.unit or ''}".strip(),
                       "kg_text": fmt.sig(t.kg_co2e)} for t in m.terms],
            "kg_text": fmt.sig(m.kg_co2e),
        })
    return materials


def _life_from_parameters(result: FootprintResult) -> dict | None:
    """The service life a model states as a parameter (when its use stage states none):
    ``{text, parameter}``, or None."""
    for name, value in (result.parameters or {}).items():
        m = LIFE_PARAMETER.match(name)
        if m and isinstance(value, (int, float)) and not isinstance(value, bool):
            unit = LIFE_UNITS.get(m.group("unit") or "", "")
            return {"text": f"{fmt.amount(value)} {unit}".strip(), "parameter": name}
    return None


def _declared_unit_over_life(result: FootprintResult) -> str | None:
    """The declared unit as text when it is counted over the service life (its description
    says so), e.g. ``1 kWh = kWh of total energy ...; 11,280 kWh per 1 item``; None otherwise."""
    declared = result.product.declared_unit
    if declared is None or "life" not in (declared.description or "").lower():
        return None
    ref = result.product.reference_flow
    return (f"1 {declared.unit} = {declared.description}; {fmt.amount(declared.per_reference_flow)} {declared.unit} "
            f"per {fmt.amount(ref.amount)} {ref.unit}")


def use_eol_context(result: FootprintResult) -> dict:
    """Formatted rows of section 1.2.

    Parameters
    ----------
    result : FootprintResult
        Its ``use_stage`` and ``end_of_life``; a result with neither gives an empty section
        (``present`` False).

    Returns
    -------
    dict
        ``present``, ``life`` (service life text or None: the use stage's, else a model parameter
        named for it, ``life_parameter``), ``declared_over_life`` (the declared unit when it is
        counted over the service life, or None), ``use_in_boundary`` (a ``use`` stage in the
        result), ``grave_without_use`` (cradle-to-grave without a use stage) and ``pcr`` (study.pcr), ``inputs`` and ``emissions`` (use
        stage, per period and over the service life), ``materials`` (per material: process,
        approach, parameters text, terms with amounts [per reference flow] and kg CO2e, total).
    """
    use = result.use_stage
    life = use.service_life if use is not None else None
    inputs = [{
        "process": i.process or fmt.DASH, "activity": i.activity or fmt.DASH,
        "per_text": f"{fmt.amount(i.amount_per)} {i.unit or ''} / {i.per}",
        "amount_text": f"{fmt.amount(i.amount)} {i.unit or ''}".strip(),
        "kg_text": fmt.sig(i.kg_co2e),
    } for i in (use.inputs if use is not None else ())]
    emissions = [{
        "process": e.process or fmt.DASH, "substance": f"{e.substance} ({e.origin})",
        "per_text": f"{fmt.amount(e.amount_per)} kg / {e.per}",
        "amount_text": f"{fmt.amount(e.amount)} kg",
    } for e in (use.emissions if use is not None else ())]
    materials = _materials(result)
    life_text = f"{fmt.amount(life.amount)} {life.unit}" if life else None
    parameter = None if life else _life_from_parameters(result)
    if parameter:
        life_text = parameter["text"]
    over_life = _declared_unit_over_life(result)
    return {"present": bool(life_text or over_life or inputs or emissions or materials),
            "life": life_text, "life_parameter": parameter["parameter"] if parameter else None,
            "declared_over_life": over_life,
            "use_in_boundary": "use" in result.stages,
            "grave_without_use": result.study.boundary == "cradle-to-grave" and "use" not in result.stages,
            "pcr": result.study.pcr,
            "inputs": inputs, "emissions": emissions, "materials": materials}
