"""Assess a footprint result against a product category rule.

:func:`assess` reads a :class:`pcf.lca.result.FootprintResult` and the declared figure the
:class:`pcf.declaration.Declaration` hands in, and returns an
:class:`pcf.pcr.assessment.Assessment` (it writes nothing into the result): findings (nonconformities and observations, each with the rule id and
the clause it comes from), the footprint per PCR life-cycle stage and the performance class.
It never raises on a bad result: what is missing or wrong becomes a finding.

Rule ids (stable; tests and reports refer to them):

==================================  =============================================================
``method``                          the result's method is the PCR's
``method-characterisation``         observation: the PCR's own characterisation differs
``boundary``                        ``study.boundary`` is one the PCR accepts
``pcr-reference``                   observation: the model names another PCR
``declared-unit``                   a declared unit is present, in the PCR's unit
``declared-unit-parameter``         the parameters of the PCR's expression are in the result
``fixed-parameter``                 parameters the PCR fixes have the PCR's value
``declared-units-per-reference-flow`` the model's declared units per reference flow equal the
                                    PCR's expression evaluated on ``result.parameters``
``stage-names``                     the result's stages are model stages
``required-stage``                  each required stage is present with a nonzero value
``excluded-stage``                  each excluded stage is absent or zero
``performance-class``               observation: the class set is illustrative or has a note
``electricity-*``                   electricity sources under the PCR's electricity mode
                                    (:mod:`pcf.pcr.electricity`)
``ghg-accounting``                  observation: the PCR's declared total (biogenic carbon, dLUC)
                                    differs from the ISO 14067 total with every category
``end-of-life-approach``            each end-of-life material uses the PCR's approach (cut-off or
                                    CFF); observation when the model states no materials
``end-of-life-A``                   the CFF allocation factor A of a material equals the PCR's
``declared-unit-expression``        observation: the PCR fixes the declared unit but not how it
                                    is computed (its sources do not say)
``allocation-*``, ``primary-data``, allocation methods, primary data, data quality and the
``data-quality``, ``gwp-basis``     share of the total on other GWP bases (:mod:`pcf.pcr.requirements`)
``declaration-content``,            what the declaration and the CFP study report must contain
``report-content``                  (:mod:`pcf.pcr.contents`)
==================================  =============================================================

Grading (:func:`grade`) happens only when the result conforms: a nonconforming result keeps
the thresholds in ``performance_class`` but no class.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..core.codec import from_json
from ..core.errors import ExpressionError, PCFError
from ..core.numbers import amount, figure
from ..core.vocabulary import STAGES
from ..lca.result import FootprintResult
from ..model.expressions import evaluate
from ..model.lanes import isclose, num
from .assessment import Assessment, Contents, Finding, Grade, LabelRule, PcrRef
from .contents import check_contents
from .electricity import check_electricity
from .requirements import (check_allocation, check_data_quality, check_gwp_basis, check_inventory,
                           check_primary_data)
from .loader import load_pcr
from .schema import PCR, PerformanceClasses

REL_TOL = 1e-9
"""Relative tolerance of numeric comparisons (declared units, fixed parameters) [-]."""


def assess(result: FootprintResult, pcr: PCR, declared_per_declared_unit: float | None,
           electricity_mode: str | None = None, *,
           declared_per_reference_flow: float | None = None) -> Assessment:
    """Check a footprint result against a PCR.

    The figure that is graded is the declared one, which the caller hands in: it is the
    :class:`pcf.declaration.Declaration`'s to decide (:meth:`~pcf.declaration.Declaration.declared_value`,
    or :func:`pcf.declaration.build_declaration`, which calls this).

    Parameters
    ----------
    result : FootprintResult
        The result (:func:`pcf.lca.footprint`): its product and declared unit, study,
        parameters, stages [kg CO2e / reference flow], method, electricity, data quality, ...
    pcr : PCR
        The rule, from :func:`pcf.pcr.load_pcr`.
    declared_per_declared_unit : float or None
        The declared figure [kg CO2e / declared unit]; None without a declared unit (nothing
        is graded then).
    electricity_mode : str, optional
        Mode of the PCR's electricity rules chosen for the study (default: the PCR's
        ``electricity.default_mode``); an unknown mode is a nonconformity.
    declared_per_reference_flow : float, optional
        The declared figure [kg CO2e / reference flow]: when it differs from
        ``total_kg_co2e`` (a PCR that leaves biogenic CO2 or dLUC out), the ``ghg-accounting``
        observation says so. None: no such observation.

    Returns
    -------
    Assessment
        ``pcr``, ``conforms`` (no nonconformity), ``findings``, ``stages`` {PCR stage name:
        kg CO2e per declared unit, or None when the result has no usable declared unit},
        ``performance_class`` (:func:`grade`: None when the PCR defines no classes or there is
        no figure per declared unit; the class is None when the result does not conform),
        ``alternative_classes`` (the same for each of the PCR's other class sets, with ``id``
        and ``title``), ``electricity`` (the mode the electricity sources were checked under,
        None when the PCR has no electricity rules), ``contents`` (the declaration and report
        checklists of :func:`pcf.pcr.contents.check_contents`, None where the PCR has no such
        rule) and ``label`` (the PCR's label rules, or None). It never raises on a bad result:
        what is missing or wrong becomes a finding.

    References
    ----------
    The clause of every finding is the one given in the rule file, e.g. Regulation (EU)
    2023/1542 Art. 7(1)(d) for the declared unit of EV batteries.
    """
    findings: list[Finding] = []
    _check_method(result, pcr, findings)
    _check_boundary(result, pcr, findings)
    per_reference_flow = _check_declared_unit(result, pcr, findings)
    _check_stages(result, pcr, findings)
    _check_cut_off(result, findings)
    electricity = check_electricity(result, pcr, findings, electricity_mode)
    _check_end_of_life(result, pcr, findings)
    check_allocation(result, pcr, findings)
    check_primary_data(result, pcr, findings)
    check_data_quality(result, pcr, findings)
    check_gwp_basis(result, pcr, findings)
    check_inventory(result, pcr, findings)
    contents = Contents(declaration=check_contents(result, pcr.declaration, "declaration", findings),
                        report=check_contents(result, pcr.report, "report", findings))
    _check_ghg_accounting(result, pcr, declared_per_reference_flow, findings)
    for pc in [pcr.performance_classes] + list(pcr.alternative_classes):
        if pc is not None and (pc.illustrative or pc.note):
            _add(findings, "performance-class", pc, "observation", *_class_observation(pc))
    conforms = not any(f.severity == "nonconformity" for f in findings)
    value = declared_per_declared_unit
    graded = grade(value, pcr.performance_classes, conforms)
    label = pcr.label
    return Assessment(
        pcr=PcrRef(id=pcr.id, version=pcr.version, title=pcr.title, source=pcr.sources[0].citation),
        conforms=conforms,
        findings=tuple(findings),
        stages=_stages_per_declared_unit(result, pcr, per_reference_flow),
        performance_class=None if graded is None else from_json(Grade, graded),
        alternative_classes=tuple(from_json(Grade, {"id": alt.id, "title": alt.title,
                                                    **(grade(value, alt, conforms) or {})})
                                  for alt in pcr.alternative_classes),
        electricity=electricity,
        contents=contents,
        label=None if label is None else LabelRule(validity_years=label.validity_years, clause=label.clause,
                                                   confidence=label.confidence, note=label.note),
    )


def resolve_pcr(pcr: str | Path | PCR | None, electricity_mode: str | None = None) -> PCR | None:
    """The PCR a result is assessed against, and a check of the electricity mode asked for.

    Parameters
    ----------
    pcr : str, Path, PCR or None
        A PCR id, a rule file's path, or an already loaded PCR; None or empty: no PCR.
    electricity_mode : str, optional
        Mode of the PCR's electricity rules chosen for the study.

    Returns
    -------
    PCR or None

    Raises
    ------
    PCRError
        Unknown PCR id or invalid PCR file.
    PCFError
        ``electricity_mode`` is given without a PCR, or is not one of the PCR's modes.
    """
    if not pcr:
        if electricity_mode:
            raise PCFError(f"electricity mode {electricity_mode!r} needs a PCR: name one or set study.pcr"
                           ).about("electricity_mode")
        return None
    loaded = pcr if isinstance(pcr, PCR) else load_pcr(pcr)
    if electricity_mode:
        modes = [m.id for m in loaded.electricity.modes] if loaded.electricity else []
        if electricity_mode not in modes:
            raise PCFError(f"electricity mode {electricity_mode!r}: PCR {loaded.id!r} has "
                           + (f"the electricity modes {', '.join(modes)}" if modes else "no electricity rules")
                           ).about("electricity_mode")
    return loaded


def assess_result(result: FootprintResult, pcr: str | Path | PCR | None, declared_per_declared_unit: float | None,
                  electricity_mode: str | None = None, *,
                  declared_per_reference_flow: float | None = None) -> Assessment | None:
    """:func:`assess` against a PCR named by id, path or object (:func:`resolve_pcr`); None
    when no PCR is named.

    Raises
    ------
    PCRError, PCFError
        As :func:`resolve_pcr`.
    """
    loaded = resolve_pcr(pcr, electricity_mode)
    if loaded is None:
        return None
    return assess(result, loaded, declared_per_declared_unit, electricity_mode,
                  declared_per_reference_flow=declared_per_reference_flow)


def grade(value: float | None, classes: PerformanceClasses | None, conforms: bool) -> dict[str, Any] | None:
    """The performance class a result is graded with: only a conforming result gets one.

    Parameters
    ----------
    value : float or None
        The declared figure [kg CO2e per declared unit].
    classes : PerformanceClasses or None
        The class set.
    conforms : bool
        Whether the result conforms to the PCR (no nonconformity).

    Returns
    -------
    dict or None
        :func:`classify`'s dict with ``graded`` True; for a nonconforming result the same dict
        with ``class`` None, ``graded`` False and ``reason``; None when :func:`classify` gives None.
    """
    graded = classify(value, classes, choose=conforms)  # a nonconforming result's class is None: not chosen
    if graded is None:
        return None
    if not conforms:
        return {**graded, "class": None, "graded": False,
                "reason": "not graded: the result does not conform to the PCR (see the nonconformities)"}
    return {**graded, "graded": True, "reason": None}


def classify(value: float | None, classes: PerformanceClasses | None, choose: bool = True) -> dict[str, Any] | None:
    """Performance class of a footprint per declared unit.

    Parameters
    ----------
    value : float or None
        Footprint [kg CO2e per declared unit].
    classes : PerformanceClasses or None
        The PCR's class set.
    choose : bool, default True
        False: ``class`` is None, the value is not compared with the thresholds (:func:`grade`
        of a nonconforming result, which gets no class: ``pcf batch`` then computes the rows
        of every class in one evaluation, :mod:`pcf.model.lanes`).

    Returns
    -------
    dict or None
        {class, value, unit, thresholds [{class, max}], source, clause, strict, illustrative}:
        the class of the first threshold whose ``max`` >= ``value`` (> when ``strict``); a
        value above every threshold gets the last class. None when there is no class set
        or the value is not a finite number.
    """
    if classes is None or not _number(value):
        return None
    value = num(value)
    chosen = classes.thresholds[-1].class_ if choose else None
    for threshold in classes.thresholds if choose else ():
        if threshold.max is None or (value < threshold.max if classes.strict else value <= threshold.max):
            chosen = threshold.class_
            break
    return {
        "class": chosen,
        "value": value,
        "unit": classes.unit,
        "thresholds": [{"class": t.class_, "max": t.max} for t in classes.thresholds],
        "source": classes.source,
        "clause": classes.clause,
        "strict": classes.strict,
        "illustrative": classes.illustrative,
    }


# --------------------------------------------------------------------------- rules


def _add(findings: list, rule: str, source: Any, severity: str, message: str, fix: str) -> None:
    """Append a finding; ``source`` is the part of the PCR it comes from (its clause, confidence)."""
    findings.append(Finding(rule=rule, clause=source.clause, confidence=source.confidence, severity=severity,
                            message=message, fix=fix))


def _class_observation(pc: PerformanceClasses) -> tuple[str, str]:
    """Message and fix of the observation on an illustrative or annotated class set."""
    if pc.illustrative:
        message = "The performance-class thresholds are illustrative (pcf's, not the rule-maker's). "
        message += " ".join(t for t in (pc.rationale, pc.note) if t)
        return message, "Do not present the class as an official one."
    return pc.note or "", "State in the CFP study report how the class was obtained."


def _check_cut_off(result: FootprintResult, findings: list) -> None:
    """The study's own cut-off criteria (ISO 14067:2018 6.3.4.3), as computed with the result."""
    summary = result.cut_off_summary
    criteria = summary.criteria if summary else None
    source = criteria.source if criteria else None
    clause = "ISO 14067:2018 6.3.4.3" + (f"; {source}" if source else "; study.cut_off")
    for f in (summary.findings if summary else None) or ():
        findings.append(Finding(rule="cut-off", clause=clause, confidence="P", severity=f.severity,
                                message=f.message, fix=f.fix))


def _check_ghg_accounting(result: FootprintResult, pcr: PCR, declared: float | None, findings: list) -> None:
    """Observation when the declared figure [kg CO2e / reference flow] is not the ISO 14067
    total (every category)."""
    rule = pcr.ghg_accounting
    total = result.total_kg_co2e
    if rule is None or declared is None or not _number(total):
        return
    if isclose(declared, num(total), rel_tol=1e-9, abs_tol=1e-12):
        return
    left_out = {"including_biogenic": [], "excluding_biogenic": ["biogenic CO2 emissions and removals"]}[
        rule.declared_total]
    if rule.dluc == "excluded":
        left_out.append("dLUC emissions")
    _add(findings, "ghg-accounting", rule, "observation",
         f"The PCR declares the total without {' and '.join(left_out)}: {figure(declared)} kg CO2e per "
         f"reference flow, against {figure(total)} kg CO2e with every category (ISO 14067:2018).",
         "Report both figures and every category separately in the CFP study report (sections 2.2 and 2.4).")


def _check_end_of_life(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """End-of-life approach and CFF parameters the PCR fixes (``result.end_of_life``)."""
    rule = pcr.end_of_life
    if rule is None:
        return
    names = {"cut_off": "cut-off (recycled content) approach", "cff": "Circular Footprint Formula (CFF)"}
    wanted = names[rule.approach]
    entries = result.end_of_life or ()
    if not entries:
        _add(findings, "end-of-life-approach", rule, "observation",
             f"The PCR asks for the {wanted} for recycled content and end of life; the model states no "
             "end-of-life materials, so pcf cannot check how they were modelled."
             + (f" {rule.note}" if rule.note else ""),
             f"Model the product's materials under processes[].end_of_life with approach: {rule.approach}.")
        return
    fixed = {k.strip().lower(): v for k, v in rule.A.items()}
    for e in entries:
        where = f"{e.material!r} (process {e.process!r})"
        if e.approach != rule.approach:
            _add(findings, "end-of-life-approach", rule, "nonconformity",
                 f"End-of-life material {where} uses the {names.get(e.approach, e.approach)}; "
                 f"the PCR requires the {wanted}.",
                 f"Set approach: {rule.approach} on it"
                 + (" and state A, Qsin_Qp, Qsout_Qp and the recycling activity." if rule.approach == "cff" else "."))
            continue
        a = (e.parameters or {}).get("A")
        expected = fixed.get(str(e.material or "").strip().lower())
        if rule.approach == "cff" and expected is not None and not (_number(a) and _close(a, expected)):
            _add(findings, "end-of-life-A", rule, "nonconformity",
                 f"End-of-life material {where} has A = {_given(a)}; the PCR fixes A = {amount(expected)} for it.",
                 f"Set A: {amount(expected, grouping=False)}.")


def _check_method(result: FootprintResult, pcr: PCR, findings: list) -> None:
    rule = pcr.method
    method = result.method or (result.study.method if result.study else None)
    if method != rule.id:
        _add(findings, "method", rule, "nonconformity",
             f"The result was characterised with {method!r}; the PCR requires {rule.id!r}.",
             f"Set study.method: {rule.id} in the model and compute it again.")
    if rule.observation:
        _add(findings, "method-characterisation", rule, "observation", rule.observation,
             "State the characterisation used in the CFP study report.")


def _check_boundary(result: FootprintResult, pcr: PCR, findings: list) -> None:
    rule = pcr.boundary
    study = result.study
    boundary = study.boundary if study else None
    if boundary not in rule.study_boundary:
        accepted = " or ".join(rule.study_boundary)
        _add(findings, "boundary", rule, "nonconformity",
             f"The study boundary is {boundary!r}; the PCR requires {rule.description} ({accepted}).",
             f"Set study.boundary: {rule.study_boundary[0]} and model the stages the PCR requires.")
    named = study.pcr if study else None
    if named and named != pcr.id:
        _add(findings, "pcr-reference", rule, "observation",
             f"The model names PCR {named!r} but is assessed against {pcr.id!r}.",
             f"Set study.pcr: {pcr.id} if this is the PCR that applies.")


def _check_declared_unit(result: FootprintResult, pcr: PCR, findings: list) -> float | None:
    """Declared-unit rules; returns the model's declared units per reference flow if usable."""
    rule = pcr.declared_unit
    declared = result.product.declared_unit if result.product else None
    parameters = result.parameters or {}
    model_value: float | None = None
    if not declared:
        wanted = f"{rule.unit} ({rule.description})" if rule.unit else rule.description
        how = (f"unit: {rule.unit}" if rule.unit else "unit") + (
            f" and per_reference_flow: {rule.per_reference_flow}" if rule.per_reference_flow else " and per_reference_flow")
        _add(findings, "declared-unit", rule, rule.if_missing,
             f"The result has no declared unit; the PCR requires {wanted}.",
             f"Add product.declared_unit with {how}.")
    else:
        if rule.unit is not None and declared.unit != rule.unit:
            _add(findings, "declared-unit", rule, "nonconformity",
                 f"The declared unit is {declared.unit!r}; the PCR requires {rule.unit!r} "
                 f"({rule.description}).",
                 f"Set product.declared_unit.unit: {rule.unit}.")
        raw = declared.per_reference_flow
        if _number(raw) and raw > 0:
            model_value = num(raw)
        else:
            _add(findings, "declared-units-per-reference-flow", rule, "nonconformity",
                 f"The declared units per reference flow are {_given(raw)}, not a positive number.",
                 f"Set product.declared_unit.per_reference_flow: {rule.per_reference_flow or 'a positive expression'}.")
        if model_value is not None and rule.per_reference_flow is None and rule.note:
            _add(findings, "declared-unit-expression", rule, "observation",
                 f"The PCR fixes the declared unit, not how it is computed: {rule.note} The model's "
                 f"{amount(model_value)} {declared.unit} per reference flow is accepted as stated.",
                 "Justify the calculation of the declared unit in the CFP study report.")

    missing = False
    for p in rule.parameters:
        if p.name not in parameters:
            missing = True
            _add(findings, "declared-unit-parameter", p, "nonconformity",
                 f"The model has no parameter {p.name!r} ({p.description} [{p.unit}]).",
                 f"Add {p.name} [{p.unit}] to parameters"
                 + (f" (the PCR's value is {amount(p.value)})." if p.value is not None else "."))
            continue
        if p.value is not None and not _close(parameters[p.name], p.value):
            severity = p.if_different
            _add(findings, "fixed-parameter", p, severity,
                 f"Parameter {p.name} is {_given(parameters[p.name])} [{p.unit}]; the PCR fixes it at {amount(p.value)} "
                 f"({p.description}).",
                 f"Set {p.name}: {amount(p.value, grouping=False)}." + (f" {p.alternative}" if p.alternative else ""))

    if not missing and model_value is not None and rule.per_reference_flow is not None:
        try:
            expected = evaluate(rule.per_reference_flow, parameters)
        except ExpressionError as exc:
            _add(findings, "declared-units-per-reference-flow", rule, "nonconformity",
                 f"The PCR's expression cannot be evaluated on the model's parameters: {exc}.",
                 "Give the parameters numeric values the expression accepts.")
        else:
            if not _close(model_value, expected):
                _add(findings, "declared-units-per-reference-flow", rule, "nonconformity",
                     f"The model gives {amount(model_value)} {rule.unit} per reference flow; the PCR's "
                     f"{rule.per_reference_flow} gives {amount(expected)}.",
                     f"Set product.declared_unit.per_reference_flow: {rule.per_reference_flow}.")
    return model_value


def _check_stages(result: FootprintResult, pcr: PCR, findings: list) -> None:
    stages = result.stages or {}
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        rule = pcr.required_stages
        _add(findings, "stage-names", rule, "nonconformity",
             f"The result has stages the PCR cannot map: {', '.join(unknown)}.",
             f"Use the model stages {', '.join(STAGES)}.")
    rule = pcr.required_stages
    for stage in rule.stages:
        value = stages.get(stage)
        if not _number(value) or value == 0:
            state = "is missing" if stage not in stages else f"is {_given(value, figure)} kg CO2e"
            _add(findings, "required-stage", rule, "nonconformity",
                 f"Required life-cycle stage {stage!r} ({_pcr_stage_name(pcr, stage)}) {state}.",
                 f"Model the processes of this stage with stage: {stage}.")
    rule = pcr.excluded_stages
    for stage in rule.stages:
        value = stages.get(stage)
        if value is not None and (not _number(value) or value != 0):
            _add(findings, "excluded-stage", rule, "nonconformity",
                 f"Life-cycle stage {stage!r} is outside the PCR's system boundary but the result has "
                 f"{_given(value, figure)} kg CO2e in it.",
                 f"Remove the processes with stage: {stage} from the model.")


def _stages_per_declared_unit(
    result: FootprintResult, pcr: PCR, per_reference_flow: float | None
) -> dict[str, float | None]:
    stages = result.stages or {}
    out: dict[str, float | None] = {}
    for stage in pcr.stages:
        values = [stages.get(s, 0.0) for s in stage.model_stages]
        if per_reference_flow is None or not all(_number(v) for v in values):
            out[stage.name] = None
        else:
            out[stage.name] = sum(num(v) for v in values) / per_reference_flow
    return out


def _pcr_stage_name(pcr: PCR, model_stage: str) -> str:
    return next((s.name for s in pcr.stages if model_stage in s.model_stages), "not mapped")


def _given(value: object, write=amount) -> str:
    """A value in a finding's text: a number by the number policy (``write``: by default
    :func:`pcf.core.numbers.amount` for an amount as given, :func:`~pcf.core.numbers.figure` for
    a result [kg CO2e]; never an exponent, and a number of many variants keeps each row's text
    without a ``float()``), anything else (a text, None, NaN) as Python writes it, quoted."""
    return write(value) if _number(value) else repr(value)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _close(a: object, b: float) -> bool:
    return _number(a) and isclose(num(a), b, rel_tol=REL_TOL, abs_tol=0.0)
