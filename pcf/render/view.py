"""View model: the values a label or report shows, computed once from a declaration.

Templates only lay these out; all arithmetic (shares, per-declared-unit values, class
ranges) and all number formatting happen here, so they are tested once. The declared figure
is never derived here: :func:`headline` takes it from
:meth:`pcf.declaration.Declaration.declared_value`.
"""

from __future__ import annotations

import math

from pcf.core import numbers, vocabulary
from pcf.core.codec import ABSENT
from pcf.core.vocabulary import GHG_DISPLAY
from pcf.declaration import Declaration
from pcf.core.errors import RenderError
from pcf.lca.result import FootprintResult, Product
from pcf.pcr.assessment import Grade
from pcf.pcr.loader import shipped_rule
from pcf.render import fmt

DEFAULT_CLASSES = ["A", "B", "C", "D", "E"]


def present(value):
    """``value``, or None when a document left it out (:data:`pcf.core.codec.ABSENT`)."""
    return None if value is ABSENT else value


def reference_flow_text(product: Product) -> str:
    """The reference flow as text, e.g. ``1 item`` or ``2.5 kg``."""
    ref = product.reference_flow
    return f"{fmt.amount(ref.amount)} {ref.unit}"


def per_unit(product: Product, declared: bool) -> str:
    """Unit of a value per declared unit (``kg CO2e / kWh``) or per reference flow.

    A reference flow other than one unit is written out (``kg CO2e / 2.5 kg``).
    """
    if declared and product.declared_unit:
        return f"kg CO2e / {product.declared_unit.unit}"
    ref = product.reference_flow
    if float(ref.amount) == 1.0:
        return f"kg CO2e / {ref.unit}"
    return f"kg CO2e / {reference_flow_text(product)}"


def headline(declaration: Declaration) -> dict:
    """The one number a label shows: the declared figure.

    Parameters
    ----------
    declaration : Declaration

    Returns
    -------
    dict
        ``value`` [kg CO2e / declared unit, or kg CO2e / reference flow when the product has no
        declared unit], :meth:`Declaration.declared_value`; ``text`` (3 significant figures),
        ``plain`` (no digit grouping), ``unit``, ``basis_zh``, ``basis_en``, ``declared``
        (bool: per declared unit).

    Raises
    ------
    RenderError
        The declared figure is not a finite number.
    """
    product = declaration.result.product
    declared = product.declared_unit is not None
    value = declaration.declared_value("declared_unit" if declared else "reference_flow")
    if value is None or not math.isfinite(value):
        raise RenderError(f"the declared figure is {value!r}; a finite number is needed: "
                          "check the model and recompute with `pcf footprint`")
    return {
        "value": float(value),
        "text": fmt.sig(value),
        "plain": fmt.sig(value, grouping=False),
        "unit": per_unit(product, declared),
        "declared": declared,
        "basis_zh": "每声明单位" if declared else "每参考流",
        "basis_en": "per declared unit" if declared else "per reference flow",
    }


def check_finite(declaration: Declaration) -> None:
    """Refuse a result whose figures are not finite numbers (JSON readers accept NaN).

    Raises
    ------
    RenderError
        ``total_kg_co2e``, a stage or the declared figure is NaN or infinite.
    """
    result = declaration.result
    figures = [("total_kg_co2e", result.total_kg_co2e)] + [(f"stages.{k}", v) for k, v in result.stages.items()]
    for name, value in figures:
        if not math.isfinite(value):
            raise RenderError(f"result key '{name}' is {value!r}; a finite number is needed: "
                              "check the model and recompute with `pcf footprint`")


def declared_per_reference_flow(declaration: Declaration) -> float:
    """The declared figure per reference flow [kg CO2e / reference flow]
    (:meth:`Declaration.declared_value`), e.g. for the label's "= ... kg CO2e / item" line."""
    return declaration.declared_value("reference_flow")


def stage_rows(result: FootprintResult) -> list[dict]:
    """Life-cycle stages with values and shares, in life-cycle order (:data:`pcf.core.vocabulary.STAGES`;
    a stage outside it after them, as the result lists it), whatever the order of the result's
    ``stages``: a declaration read back from the registry has its keys sorted (RFC 8785), which
    drew a renewed label's stage bar and legend in alphabetical order and other colours (issue 20).

    Returns
    -------
    list of dict
        ``key``, ``zh``, ``en``, ``short`` (English, for the label), ``kg``
        [kg CO2e per reference flow], ``kg_du`` [kg CO2e per declared unit, or None],
        ``share`` [-] or None, formatted ``kg_text``, ``kg_du_text``, ``share_text``,
        and ``colour``.
    """
    total = float(result.total_kg_co2e)
    du = _declared_per_ref(result)
    rows = []
    order = {stage: i for i, stage in enumerate(vocabulary.STAGES)}
    stages = sorted(result.stages.items(), key=lambda item: order.get(item[0], len(order)))  # stable
    for i, (key, kg) in enumerate(stages):
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


def stage_note(result: FootprintResult) -> tuple[str, str] | None:
    """(Chinese, English) note for a stage table whose rounded stages do not add up to its
    rounded total, per reference flow or per declared unit (:func:`pcf.core.numbers.rounded_parts`);
    None when they do."""
    parts = [float(v) for v in result.stages.values()]
    total = float(result.total_kg_co2e)
    checks = [numbers.rounded_parts(parts, total)]
    du = _declared_per_ref(result)
    if du is not None:
        checks.append(numbers.rounded_parts([p / du for p in parts], total / du))
    return next((c.note for c in checks if c.note), None)


def ghg_rows(result: FootprintResult) -> list[dict]:
    """ISO 14067:2018 7.3 separate reporting rows (aircraft as an indented "of which").

    Returns
    -------
    list of dict
        ``key``, ``zh``, ``en``, ``indent`` (bool), ``kg_text`` [kg CO2e per reference
        flow], ``kg_du_text`` [kg CO2e per declared unit], ``share_text``.
    """
    total = float(result.total_kg_co2e)
    du = _declared_per_ref(result)
    rows = []
    for key in GHG_DISPLAY:
        kg = float(getattr(result.ghg, key))
        zh, en = vocabulary.GHG_NAMES[key]
        rows.append({
            "key": key, "zh": zh, "en": en, "indent": key == "aircraft",
            "kg_text": fmt.sig(kg), "kg_du_text": fmt.DASH if du is None else fmt.sig(kg / du),
            "share_text": fmt.pct(fmt.share(kg, total)),
        })
    return rows


def class_scale(declaration: Declaration) -> dict:
    """Performance-class scale of a declaration, like the EU energy label's.

    The classes and ranges come from ``assessment.performance_class.thresholds`` (best
    first, each with the inclusive upper bound ``max`` or None for "above the previous");
    without a performance class the scale is A..E, ungraded.

    Returns
    -------
    dict
        ``graded`` (bool), ``cls`` (the product's class or None), ``unit`` of the
        thresholds, ``illustrative`` (bool), ``source``, ``value_text``, ``has_thresholds``
        (bool), and ``rows``:
        ``cls``, ``range`` (e.g. ``≤ 60``, ``60 – 80``, ``> 120``: the thresholds as the PCR states them), ``colour``,
        ``ink`` (text colour), ``current`` (bool).
    """
    a = declaration.assessment
    pc = a.performance_class if a is not None else None
    thresholds = list(present(pc.thresholds) or ()) if pc is not None else []
    cls = declaration.graded_class
    names = [str(t.class_) for t in thresholds] or DEFAULT_CLASSES
    colours = fmt.class_colours(len(names))
    rows = []
    previous = None
    for i, name in enumerate(names):
        hi = thresholds[i].max if thresholds else None
        if not thresholds:
            text = ""
        elif hi is None:
            text = f"> {fmt.amount(previous)}" if previous is not None else "all"
        elif previous is None:  # thresholds as the PCR states them (60, not 60.00)
            text = f"≤ {fmt.amount(hi)}"
        else:
            text = f"{fmt.amount(previous)} – {fmt.amount(hi)}"
        previous = hi if hi is not None else previous
        rows.append({"cls": name, "range": text, "colour": colours[i],
                     "ink": fmt.text_colour(colours[i]), "current": cls is not None and name == cls})
    value = present(pc.value) if pc is not None else None
    return {
        "graded": cls is not None,
        "cls": cls,
        "unit": (present(pc.unit) if pc is not None else None) or "",
        "value_text": fmt.sig(value) if value is not None else fmt.DASH,
        "illustrative": bool(pc is not None and pc.illustrative),
        "source": (present(pc.source) if pc is not None else None) or "",
        "has_thresholds": bool(thresholds),
        "rows": rows,
    }


def pcr_text(declaration: Declaration) -> str:
    """The PCR as ``id v<version>``; from the study when not assessed; ``none`` without."""
    a = declaration.assessment
    if a is not None:
        version = f" v{a.pcr.version}" if a.pcr.version else ""
        return f"{a.pcr.id or fmt.DASH}{version}"
    study_pcr = declaration.result.study.pcr
    return f"{study_pcr} (not assessed)" if study_pcr else "none"


def study_value(result: FootprintResult, key: str) -> str:
    """A ``study`` field (standard, boundary, background) or the result's own, or an en dash."""
    value = getattr(result.study, key, None) or getattr(result, key, None)
    return str(value) if value else fmt.DASH


def standard_text(declaration: Declaration) -> str:
    """The standard the study follows, as labels, declarations and reports print it: the one
    its PCR names (``standard:`` of a shipped rule file of the same id and version, e.g.
    GB/T 24067-2024 for the China label), else ``study.standard``, else an en dash."""
    pcr = _shipped_pcr(declaration)
    if pcr is not None and pcr.standard:
        return pcr.standard
    return study_value(declaration.result, "standard")


def outside_boundary(declaration: Declaration) -> frozenset[str]:
    """Names of the PCR stages a cradle-to-gate study leaves out: those of its shipped rule whose
    model stages all come after the factory gate (distribution, use, end of life). A declaration
    and a report print "not included" for such a stage when it holds nothing, rather than a 0
    that reads as measured (issue 20: the PV declaration said "End of life 0" while the report's
    limitations said the end of life is not included). Empty for a cradle-to-grave study or
    without a shipped rule."""
    if declaration.result.study.boundary != "cradle-to-gate":
        return frozenset()
    pcr = _shipped_pcr(declaration)
    if pcr is None:
        return frozenset()
    return frozenset(s.name for s in pcr.stages if not set(s.model_stages) & set(vocabulary.CRADLE_TO_GATE))


def declared_unit_words(declaration: Declaration) -> tuple[str, str] | None:
    """(Chinese, English) words that say what the declared unit is, for every label size (a
    reader of "kg CO2e/kWh" on a battery would take kWh of capacity): the PCR's ``label_zh`` /
    ``label_en`` (shipped rule of the same id, version and unit), else 每声明单位 and "per" + the
    model's description; None without a declared unit (the figure is per reference flow)."""
    declared = declaration.result.product.declared_unit
    if declared is None:
        return None
    return unit_words(_shipped_pcr(declaration), declared.unit, declared.description)


def unit_words(pcr, unit: str, description: str | None) -> tuple[str, str]:
    """(Chinese, English) words for a declared unit ``unit`` described as ``description``: the
    rule's ``label_zh`` / ``label_en`` when ``pcr`` (a :class:`pcf.pcr.schema.PCR` or None) declares
    the same unit with them, else 每声明单位 and "per" + the description."""
    rule = pcr.declared_unit if pcr is not None else None
    if rule is not None and rule.unit == unit and rule.label_zh and rule.label_en:
        return rule.label_zh, rule.label_en
    description = (description or "").strip()
    return "每声明单位", f"per {description}" if description else f"per declared unit ({unit})"


def _shipped_pcr(declaration: Declaration):
    """The shipped rule file the declaration was assessed against (same id and version), or
    None (not assessed, a rule file given by path, another version)."""
    a = declaration.assessment
    if a is None or not a.pcr.id:
        return None
    return shipped_rule(a.pcr.id, str(a.pcr.version or ""))


def created_date(result: FootprintResult) -> str:
    """The date part of ``created_at`` (``YYYY-MM-DD``), or an en dash."""
    created = result.created_at
    return str(created)[:10] if created else fmt.DASH


def _declared_per_ref(result: FootprintResult) -> float | None:
    """Declared units per reference flow [-], or None without a usable declared unit."""
    declared = result.product.declared_unit
    if not declared:
        return None
    n = float(declared.per_reference_flow)
    return n if n != 0 else None


def issue_state(declaration: Declaration, issued: dict | None = None) -> dict:
    """What a label shows about its issuance: the label number and the validity period.

    A label rendered from a result is a draft: its number is a placeholder until a
    certification body issues it (:mod:`pcf.registry`), which renders the same template with
    ``issued`` filled in.

    Parameters
    ----------
    declaration : Declaration
        ``assessment.label.validity_years`` (the PCR's label rule) is shown on a draft when
        present.
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
    a = declaration.assessment
    years = a.label.validity_years if a is not None and a.label is not None else None
    if years:
        n = fmt.amount(years)
        zh, en = f"签发起 {n} 年", f"{n} years from issue"
    else:
        zh, en = "签发时确定", "set at issue"
    return {"issued": False, "number": None, "number_zh": "待签发", "number_en": "to be issued",
            "validity_zh": zh, "validity_en": en, "issuer": None}


#: The watermark of every draft (a label, declaration or report not issued by a registry).
DRAFT_MARK = ("草稿 DRAFT", "— not issued")


def draft_watermark(width: float, height: float, issued: dict | None = None) -> dict | None:
    """Where a draft's diagonal watermark goes (issue 20 part 3): "草稿 DRAFT — not issued" along
    the page's rising diagonal, sized to about 65 % of it; None for an issued label.

    Parameters
    ----------
    width, height : float
        The page [SVG user units].
    issued : dict, optional
        An issued label's ``issued`` (:func:`pcf.render.label.label_context`): no watermark.

    Returns
    -------
    dict or None
        ``text`` (the whole mark), ``lines`` (two lines), ``x``, ``y`` (centre), ``angle`` [deg],
        ``size`` and ``size2`` (font sizes of the two lines) [user units], ``dy`` (offset of
        each line from the centre, along the rotated vertical).
    """
    if issued:
        return None
    diagonal = math.hypot(width, height)
    angle = -math.degrees(math.atan2(height, width))
    first, second = DRAFT_MARK
    size = 0.65 * diagonal / _ems(first)  # the first line across ~65 % of the diagonal
    size = min(size, 0.22 * min(width, height) * diagonal / width)
    size2 = min(0.55 * size, 0.8 * diagonal / _ems(second))
    return {"text": f"{first} {second}", "lines": [first, second], "x": width / 2, "y": height / 2,
            "angle": round(angle, 1), "size": round(size, 1), "size2": round(size2, 1),
            "dy": [round(-0.05 * size, 1), round(0.2 * size + size2, 1)]}


def _ems(text: str) -> float:
    """Width of a line in em: CJK characters 1 em, others about 0.6 em (bold Noto Sans)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text)


def _grade(pc: Grade) -> dict:
    cls = present(pc.class_)
    return {"title": present(pc.title), "cls": cls, "graded": cls is not None,
            "illustrative": bool(pc.illustrative), "reason": present(pc.reason), "unit": present(pc.unit) or ""}


def grades(declaration: Declaration) -> list[dict]:
    """Every grading of a declaration: the PCR's performance class, then its alternative class sets.

    Returns
    -------
    list of dict
        ``title`` (None for the PCR's own classes), ``cls`` (None when not graded), ``graded``
        (bool), ``illustrative`` (bool), ``reason`` (why not graded, or None), ``unit``.
    """
    a = declaration.assessment
    if a is None:
        return []
    return [_grade(pc) for pc in (a.performance_class, *a.alternative_classes) if pc is not None]


def not_graded_reason(declaration: Declaration) -> tuple[str, str] | None:
    """(Chinese, English) reason a declaration that has classes is not graded, or None."""
    a = declaration.assessment
    if a is None or a.performance_class is None or declaration.graded_class is not None:
        return None
    if a.conforms is False:
        return "不符合产品类别规则", "does not conform to its PCR"
    return "无等级", "no class"


def no_classes(declaration: Declaration) -> tuple[str, str, str] | None:
    """(Chinese, English, detail) when there is no class scale to draw: the result was not
    assessed against a PCR, or its PCR defines no performance classes (e.g. GB/T 24067
    generic, the China label pilot, whose label shows the value only); None otherwise."""
    a = declaration.assessment
    if a is None:
        return "未按产品类别规则评估", "Not assessed against a PCR", "无碳足迹等级 no performance class"
    if a.performance_class is None:
        return "该规则不设等级", "The PCR defines no performance classes", "标签仅显示数值 the label shows the value"
    return None
