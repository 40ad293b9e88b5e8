"""View model: the values a label or report shows, computed once from a result dict.

Templates only lay these out; all arithmetic (shares, per-declared-unit values, class
ranges) and all number formatting happen here, so they are tested once.
"""

from __future__ import annotations

from pcf.core import vocabulary
from pcf.core.vocabulary import GHG_DISPLAY
from pcf.render import fmt

DEFAULT_CLASSES = ["A", "B", "C", "D", "E"]


def reference_flow_text(product: dict) -> str:
    """The reference flow as text, e.g. ``1 item`` or ``2.5 kg``."""
    ref = product["reference_flow"]
    return f"{fmt.amount(ref['amount'])} {ref['unit']}"


def per_unit(product: dict, declared: bool) -> str:
    """Unit of a value per declared unit (``kg CO2e / kWh``) or per reference flow.

    A reference flow other than one unit is written out (``kg CO2e / 2.5 kg``).
    """
    if declared and product.get("declared_unit"):
        return f"kg CO2e / {product['declared_unit']['unit']}"
    ref = product["reference_flow"]
    if float(ref["amount"]) == 1.0:
        return f"kg CO2e / {ref['unit']}"
    return f"kg CO2e / {reference_flow_text(product)}"


def headline(result: dict) -> dict:
    """The one number a label shows.

    Returns
    -------
    dict
        ``value`` [kg CO2e per declared unit, or per reference flow when there is no
        declared unit; the declared total, ``totals.declared``, when the result has it], ``text`` (3 significant figures), ``unit``, ``basis_zh``,
        ``basis_en``, ``declared`` (bool).
    """
    product = result["product"]
    declared = product.get("declared_unit") is not None
    value = result["per_declared_unit_kg_co2e"] if declared else result["total_kg_co2e"]
    totals = result.get("totals") or {}
    if "declared" in totals:  # the figure the PCR's (or standard's) rule declares, pcf.lca.biogenic
        value = (totals.get("per_declared_unit") or {}).get("declared", value) if declared else totals["declared"]
    return {
        "value": float(value),
        "text": fmt.sig(value),
        "plain": fmt.sig(value, grouping=False),
        "unit": per_unit(product, declared),
        "declared": declared,
        "basis_zh": "每声明单位" if declared else "每参考流",
        "basis_en": "per declared unit" if declared else "per reference flow",
    }


def stage_rows(result: dict) -> list[dict]:
    """Life-cycle stages with values and shares, in the order of the model.

    Returns
    -------
    list of dict
        ``key``, ``zh``, ``en``, ``short`` (English, for the label), ``kg``
        [kg CO2e per reference flow], ``kg_du`` [kg CO2e per declared unit, or None],
        ``share`` [-] or None, formatted ``kg_text``, ``kg_du_text``, ``share_text``,
        and ``colour``.
    """
    total = float(result["total_kg_co2e"])
    du = _declared_per_ref(result)
    rows = []
    for i, (key, kg) in enumerate(result["stages"].items()):
        zh, en = fmt.stage_name(key)
        kg = float(kg)
        s = fmt.share(kg, total)
        rows.append({
            "key": key, "zh": zh, "en": en, "short": vocabulary.STAGE_SHORT.get(key, en),
            "kg": kg, "kg_text": fmt.sig(kg),
            "kg_du": None if du is None else kg / du,
            "kg_du_text": fmt.DASH if du is None else fmt.sig(kg / du),
            "share": s, "share_text": fmt.pct(s),
            "colour": fmt.STAGE_COLOURS[i % len(fmt.STAGE_COLOURS)],
        })
    return rows


def ghg_rows(result: dict) -> list[dict]:
    """ISO 14067:2018 7.3 separate reporting rows (aircraft as an indented "of which").

    Returns
    -------
    list of dict
        ``key``, ``zh``, ``en``, ``indent`` (bool), ``kg_text`` [kg CO2e per reference
        flow], ``kg_du_text`` [kg CO2e per declared unit], ``share_text``.
    """
    ghg = result.get("ghg") or {}
    total = float(result["total_kg_co2e"])
    du = _declared_per_ref(result)
    rows = []
    for key in GHG_DISPLAY:
        if key not in ghg:
            continue
        kg = float(ghg[key])
        zh, en = vocabulary.GHG_NAMES[key]
        rows.append({
            "key": key, "zh": zh, "en": en, "indent": key == "aircraft",
            "kg_text": fmt.sig(kg), "kg_du_text": fmt.DASH if du is None else fmt.sig(kg / du),
            "share_text": fmt.pct(fmt.share(kg, total)),
        })
    return rows


def class_scale(result: dict) -> dict:
    """Performance-class scale of a result, like the EU energy label's.

    The classes and ranges come from ``assessment.performance_class.thresholds`` (best
    first, each with the inclusive upper bound ``max`` or null for "above the previous");
    without a performance class the scale is A..E, ungraded.

    Returns
    -------
    dict
        ``graded`` (bool), ``cls`` (the product's class or None), ``unit`` of the
        thresholds, ``illustrative`` (bool), ``source``, ``value_text``, ``has_thresholds``
        (bool), and ``rows``:
        ``cls``, ``range`` (e.g. ``≤ 60.0``, ``60.0 – 80.0``, ``> 120``), ``colour``,
        ``ink`` (text colour), ``current`` (bool).
    """
    assessment = result.get("assessment") or {}
    pc = assessment.get("performance_class") or {}
    thresholds = pc.get("thresholds") or []
    cls = pc.get("class")
    names = [str(t["class"]) for t in thresholds] or DEFAULT_CLASSES
    colours = fmt.class_colours(len(names))
    rows = []
    previous = None
    for i, name in enumerate(names):
        hi = thresholds[i].get("max") if thresholds else None
        if not thresholds:
            text = ""
        elif hi is None:
            text = f"> {fmt.sig(previous)}" if previous is not None else "all"
        elif previous is None:
            text = f"≤ {fmt.sig(hi)}"
        else:
            text = f"{fmt.sig(previous)} – {fmt.sig(hi)}"
        previous = hi if hi is not None else previous
        rows.append({"cls": name, "range": text, "colour": colours[i],
                     "ink": fmt.text_colour(colours[i]), "current": cls is not None and name == cls})
    return {
        "graded": cls is not None,
        "cls": cls,
        "unit": pc.get("unit") or "",
        "value_text": fmt.sig(pc.get("value")) if pc.get("value") is not None else fmt.DASH,
        "illustrative": bool(pc.get("illustrative")),
        "source": pc.get("source") or "",
        "has_thresholds": bool(thresholds),
        "rows": rows,
    }


def pcr_text(result: dict) -> str:
    """The PCR as ``id v<version>``; from the study when not assessed; ``none`` without."""
    assessment = result.get("assessment")
    if assessment and isinstance(assessment.get("pcr"), dict):
        pcr = assessment["pcr"]
        version = f" v{pcr['version']}" if pcr.get("version") else ""
        return f"{pcr.get('id', fmt.DASH)}{version}"
    study_pcr = (result.get("study") or {}).get("pcr")
    return f"{study_pcr} (not assessed)" if study_pcr else "none"


def study_value(result: dict, key: str) -> str:
    """A ``study`` field (standard, boundary, ...) or the top-level one, or an en dash."""
    value = (result.get("study") or {}).get(key) or result.get(key)
    return str(value) if value else fmt.DASH


def created_date(result: dict) -> str:
    """The date part of ``created_at`` (``YYYY-MM-DD``), or an en dash."""
    created = result.get("created_at")
    return str(created)[:10] if created else fmt.DASH


def _declared_per_ref(result: dict) -> float | None:
    """Declared units per reference flow [-], or None without a usable declared unit."""
    declared = result["product"].get("declared_unit")
    if not declared:
        return None
    n = float(declared["per_reference_flow"])
    return n if n != 0 else None


def issue_state(result: dict, issued: dict | None = None) -> dict:
    """What a label shows about its issuance: the label number and the validity period.

    A label rendered from a result is a draft: its number is a placeholder until a
    certification body issues it (:mod:`pcf.registry`), which renders the same template with
    ``issued`` filled in.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result; ``assessment.label.validity_years`` (the PCR's label rule)
        is shown on a draft when present.
    issued : dict, optional
        ``number``, ``valid_from``, ``valid_until`` (dates as printed), ``issuer``.

    Returns
    -------
    dict
        ``issued`` (bool), ``number`` (or None), ``number_zh`` / ``number_en`` (the number, or
        待签发 / "to be issued"), ``validity_zh`` / ``validity_en`` (the period, or what the
        PCR says, or 签发时确定 / "set at issue"), ``issuer`` (or None).
    """
    if issued:
        period = f"{issued['valid_from']} – {issued['valid_until']}"
        return {"issued": True, "number": issued["number"], "number_zh": issued["number"],
                "number_en": issued["number"], "validity_zh": period, "validity_en": period,
                "issuer": issued.get("issuer")}
    years = ((result.get("assessment") or {}).get("label") or {}).get("validity_years")
    if years:
        n = fmt.amount(years)
        zh, en = f"签发起 {n} 年", f"{n} years from issue"
    else:
        zh, en = "签发时确定", "set at issue"
    return {"issued": False, "number": None, "number_zh": "待签发", "number_en": "to be issued",
            "validity_zh": zh, "validity_en": en, "issuer": None}


def grades(result: dict) -> list[dict]:
    """Every grading of a result: the PCR's performance class, then its alternative class sets.

    Returns
    -------
    list of dict
        ``title`` (None for the PCR's own classes), ``cls`` (None when not graded), ``graded``
        (bool), ``illustrative`` (bool), ``reason`` (why not graded, or None), ``unit``.
    """
    a = result.get("assessment") or {}
    out = []
    for pc in [a.get("performance_class")] + list(a.get("alternative_classes") or []):
        if not pc:
            continue
        cls = pc.get("class")
        out.append({"title": pc.get("title"), "cls": cls, "graded": cls is not None,
                    "illustrative": bool(pc.get("illustrative")), "reason": pc.get("reason"),
                    "unit": pc.get("unit") or ""})
    return out


def not_graded_reason(result: dict) -> tuple[str, str] | None:
    """(Chinese, English) reason a result that has classes is not graded, or None."""
    a = result.get("assessment") or {}
    pc = a.get("performance_class")
    if not pc or pc.get("class") is not None:
        return None
    if a.get("conforms") is False:
        return "不符合产品类别规则", "does not conform to its PCR"
    return "无等级", "no class"


def no_classes(result: dict) -> tuple[str, str, str] | None:
    """(Chinese, English, detail) when there is no class scale to draw: the result was not
    assessed against a PCR, or its PCR defines no performance classes (e.g. GB/T 24067
    generic, the China label pilot, whose label shows the value only); None otherwise."""
    a = result.get("assessment")
    if not a:
        return "未按产品类别规则评估", "Not assessed against a PCR", "无碳足迹等级 no performance class"
    if a.get("performance_class") is None:
        return "该规则不设等级", "The PCR defines no performance classes", "标签仅显示数值 the label shows the value"
    return None
