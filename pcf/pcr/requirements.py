"""Allocation, primary-data and data-quality rules of a PCR, checked on a result.

Rule ids (stable):

============================  ==================================================================
``allocation-method``         each multi-output process uses a method the PCR accepts;
                              ``justify`` methods give an observation
``allocation-justification``  with ``justification_required``, each multi-output process states
                              why its method was chosen
``primary-data``              activity data of the processes of the PCR's stages are primary
                              (company-specific), and the primary data share is at least
                              ``min_share`` (PACT Methodology 4.2.2)
``data-quality``              the contribution-weighted PEF DQR is at most ``max_dqr`` and the
                              rated share at least ``min_coverage`` (2021/2279 Annex I 4.6.5)
``gwp-basis``                 the share of the total from figures on another GWP basis than the
                              method's is at most ``max_other_basis_share``; above it an
                              observation or a nonconformity, as the PCR's ``above`` says
``inventory``                 each flow of the PCR's ``inventory.flows`` is a direct emission of
                              the model, as the result's lint record shows (:mod:`pcf.pcr.lint`
                              ``pcr-inventory``, run by ``pcf footprint`` / ``check`` with the PCR)
============================  ==================================================================

Illustrative thresholds (pcf's, not the rule-maker's) give observations only; the loader
refuses anything else.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.numbers import amount
from ..lca.gwpbasis import LABELS
from ..lca.result import FootprintResult
from ..model.lanes import num
from .assessment import Finding
from .inventory import INVENTORY_CHECK, inventory_tag
from .schema import PCR

ALLOCATION_NAMES = {"system_expansion": "system expansion", "mass": "mass allocation",
                    "energy": "energy allocation", "economic": "economic allocation",
                    "factors": "allocation with stated factors"}
#: data-quality items that rest on activity data of the process itself
ACTIVITY_KINDS = ("direct", "input", "transport", "credit", "end_of_life")


def _finding(rule: str, source: Any, severity: str, message: str, fix: str) -> Finding:
    return Finding(rule=rule, clause=source.clause, confidence=source.confidence, severity=severity,
                   message=message, fix=fix)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _with_note(message: str, rule: Any) -> str:
    extra = []
    if getattr(rule, "illustrative", False):
        extra.append(f"The threshold is illustrative (pcf's, not the rule-maker's): {rule.rationale}")
    if rule.note:
        extra.append(rule.note)
    return " ".join([message] + extra)


def check_allocation(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """Allocation methods and justifications of ``result.allocation`` (ISO 14067:2018 6.4.6)."""
    rule = pcr.allocation
    if rule is None:
        return
    accepted = [ALLOCATION_NAMES[m] for m, v in rule.methods.items() if v != "not_accepted"]
    for entry in result.allocation or ():
        method = entry.method
        name = ALLOCATION_NAMES.get(method, repr(method))
        where = f"Process {entry.process!r} ({entry.name or ''})".replace(" ()", "")
        verdict = rule.methods.get(method, "not_accepted")
        justification = (entry.justification or "").strip()
        if verdict == "not_accepted":
            findings.append(_finding("allocation-method", rule, "nonconformity",
                                     _with_note(f"{where} uses {name}; the PCR accepts {', '.join(accepted)}.", rule),
                                     f"Set allocation.method to one the PCR accepts ({', '.join(accepted)})."))
        elif verdict == "justify":
            findings.append(_finding("allocation-method", rule, "observation",
                                     f"{where} uses {name}, which the PCR accepts only with a justification"
                                     + (f": {justification!r}." if justification else "."),
                                     "Show in the CFP study report why subdivision, system expansion and a "
                                     "physical relationship could not be used."))
        if rule.justification_required and not justification:
            findings.append(_finding("allocation-justification", rule, "nonconformity",
                                     f"{where} allocates with {name} without a justification.",
                                     "Add allocation.justification to the process: why this method "
                                     "and this basis."))


def _stage_of_processes(result: FootprintResult) -> dict[str, str]:
    """Foreground process id -> model stage, from the result's contributions and electricity."""
    stages: dict[str, str] = {}
    for c in list(result.contributions or ()) + list(result.electricity or ()):
        if c.process and c.stage:
            stages.setdefault(c.process, c.stage)
    return stages


def check_primary_data(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """Primary (company-specific) activity data where the PCR asks for it."""
    rule = pcr.primary_data
    if rule is None:
        return
    dq = result.data_quality
    items_all = (dq.items if dq else None) or ()
    pds = dq.primary_data_share if dq else None
    if not items_all and not _number(pds):
        findings.append(_finding("primary-data", rule, rule.severity,
                                 "The result has no data-quality assessment, so its primary data cannot be checked.",
                                 "Compute the footprint again with this pcf (result.data_quality)."))
        return
    if rule.stages:
        stage_of = _stage_of_processes(result)
        items = [i for i in items_all if stage_of.get(i.process) in rule.stages and i.kind in ACTIVITY_KINDS]
        secondary = [i for i in items if i.data != "primary"]
        if secondary:
            weight = sum(abs(num(i.kg_co2e or 0.0)) for i in secondary)
            total = sum(abs(num(i.kg_co2e or 0.0)) for i in items)
            share = f" ({100 * weight / total:.0f} % of their |kg CO2e|)" if total else ""
            names = sorted({f"{i.process}: {i.reference or i.name or i.kind}" for i in secondary})
            listed = "; ".join(names[:6]) + (f"; and {len(names) - 6} more" if len(names) > 6 else "")
            stages = ", ".join(rule.stages)
            findings.append(_finding(
                "primary-data", rule, rule.severity,
                _with_note(f"{len(secondary)} of {len(items)} activity data of the processes of stage {stages}"
                           f"{share} are secondary; the PCR asks for company-specific (primary) data there: "
                           f"{listed}.", rule),
                "Replace them with the plant's own metered or recorded data (bill of materials, energy, "
                "ancillary materials) and mark the processes or inputs data: primary (docs/model-format.md)."))
    if rule.min_share is not None:
        if not _number(pds) or pds < rule.min_share:
            shown = f"{100 * pds:.1f} %" if _number(pds) else "not known"
            findings.append(_finding(
                "primary-data", rule, rule.severity,
                _with_note(f"The primary data share is {shown}; the PCR asks for at least "
                           f"{amount(100 * rule.min_share)} %.", rule),
                "Use primary data (activity data and emission factors) for the largest contributions "
                "(report section 4.1 lists them)."))


def check_data_quality(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """Weighted data quality rating and rated coverage against the PCR's thresholds."""
    rule = pcr.data_quality
    if rule is None:
        return
    dq = result.data_quality
    if rule.max_dqr is not None:
        rating = dq.dqr if dq else None
        dqr = rating.dqr if rating else None
        if not _number(dqr):
            findings.append(_finding("data-quality", rule, rule.severity,
                                     _with_note("The result has no data quality rating (no rated data).", rule),
                                     "Give the main inputs a dqr: {ter, ger, tir, p} or use rated background data."))
        elif dqr > rule.max_dqr:
            findings.append(_finding(
                "data-quality", rule, rule.severity,
                _with_note(f"The contribution-weighted data quality rating is {dqr:.2f}; the PCR asks for at most "
                           f"{amount(rule.max_dqr)} (1 best, 5 worst).", rule),
                "Improve the data of the contributions with the worst rating (report section 4.1)."))
    if rule.min_coverage is not None:
        coverage = dq.coverage if dq else None
        if not _number(coverage) or coverage < rule.min_coverage:
            shown = f"{100 * coverage:.1f} %" if _number(coverage) else "not known"
            findings.append(_finding(
                "data-quality", rule, rule.severity,
                _with_note(f"Rated data carry {shown} of the |kg CO2e|; the PCR asks for at least "
                           f"{amount(100 * rule.min_coverage)} %.", rule),
                "Rate the unrated contributions (dqr on the input or the process)."))


def check_gwp_basis(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """The share of the total from figures on another GWP basis (``result.gwp_basis_summary``,
    :mod:`pcf.lca.gwpbasis`) against the PCR's ``gwp_basis.max_other_basis_share``; a result
    without the summary (written before issue 14) cannot be checked, a finding too."""
    rule = pcr.gwp_basis
    if rule is None:
        return
    summary = result.gwp_basis_summary
    if not summary:
        findings.append(_finding("gwp-basis", rule, rule.above,
                                 _with_note("The result does not state the GWP basis of its figures.", rule),
                                 "Compute the footprint again with this pcf (result.gwp_basis_summary)."))
        return
    share = summary.other_basis_share
    if share <= rule.max_other_basis_share:
        return
    off = sorted(((b, p) for b, p in summary.by_basis.items() if not p.on_basis), key=lambda x: -x[1].share)
    parts = "; ".join(f"{LABELS.get(b, b)} {100 * p.share:.1f} %" for b, p in off)
    sources = sorted((d for d in result.data_sources if d.gwp_basis and d.gwp_basis.other_basis_kg_co2e),
                     key=lambda d: -abs(d.gwp_basis.other_basis_kg_co2e))
    largest = ", ".join(d.background for d in sources[:3])
    findings.append(_finding(
        "gwp-basis", rule, rule.above,
        _with_note(f"{100 * share:.1f} % of the total comes from factors on other GWP bases than the method's "
                   f"({summary.method}, {summary.method_gwp_vintage}): {parts}; the PCR allows at most "
                   f"{amount(100 * rule.max_other_basis_share)} %.", rule),
        "Replace the largest of them" + (f" ({largest})" if largest else "") + " with per-gas data or factors "
        f"aggregated with {summary.method_gwp_vintage} GWP100 values (report section 4 shows each factor's basis)."))


def check_inventory(result: FootprintResult, pcr: PCR, findings: list) -> None:
    """Each flow of ``pcr.inventory`` is in the model's inventory, read from the result's lint
    record (``pcr-inventory`` findings of :func:`pcf.pcr.lint.lint_inventory`): an ``info`` for
    the flow passes; a ``warning``, or no record of the flow at all (a result computed without
    this PCR, or before issue 21), is a finding of the rule's ``severity``."""
    rule = pcr.inventory
    if rule is None:
        return
    lint = [f for f in (result.lint or ()) if f.check == INVENTORY_CHECK]
    for flow in rule.flows:
        tag = inventory_tag(pcr, flow)
        mine = [f for f in lint if f.message.startswith(tag)]
        if any(f.severity == "info" for f in mine):
            continue
        if mine:
            message, fix = mine[0].message, mine[0].fix
        else:
            message = (f"{tag}: the result does not show that its model's inventory was checked for this flow "
                       f"(computed without this PCR, or by an older pcf).")
            fix = f"Compute the footprint again with this PCR (study.pcr: {pcr.id})."
        findings.append(Finding(rule="inventory", clause=flow.clause, confidence=flow.confidence,
                                severity=rule.severity, message=_with_note(message, rule), fix=fix))
