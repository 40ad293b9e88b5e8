"""Electricity sources against a PCR's ``electricity:`` rules (issue 4.3).

The footprint counts the factor of the activity each electricity input links, whatever its
source (:mod:`pcf.lca.electricity`); this module decides, under the PCR's chosen *mode*,
whether that source counts, and says what to change when it does not.

Rule ids (stable):

==========================  ================================================================
``electricity-mode``        the requested mode is not one of the PCR's modes
``electricity-source``      the source (grid / direct / contractual) is accepted by the mode;
                            ``unknown`` in the PCR gives an observation
``electricity-instrument``  the contractual instrument is one the mode accepts
``electricity-evidence``    a contractual instrument documents the evidence the mode lists
                            (ISO 14067:2018 6.4.9.4 criteria)
``electricity-grid-level``  a national mix where the mode asks for one (not a province,
                            regional or multi-country grid)
``electricity-grid-country`` the grid is the country the process is located in
``electricity-year``        the grid factor's year is recent enough (``max_age_years``)
``electricity-not-stated``  observation: inputs taken as grid electricity without a statement
==========================  ================================================================
"""

from __future__ import annotations

import re
from typing import Any

from ..lca.result import ElectricityInput, FootprintResult
from .assessment import Finding
from .schema import PCR, ElectricityMode, ElectricityRules

_COUNTRY = re.compile(r"^([A-Za-z]{2})(?:$|[-_ ])")
INSTRUMENT_NAMES = {
    "ppa": "a power purchase agreement (PPA)",
    "green_certificate": "a green electricity certificate",
    "guarantee_of_origin": "a guarantee of origin",
    "rec": "a renewable energy certificate (REC)",
    "i_rec": "an I-REC",
    "green_electricity_trade": "a green electricity trade (绿电交易)",
    "green_tariff": "a supplier green tariff",
}
EVIDENCE_NAMES = {
    "ids": "contract or certificate ids (evidence.ids)",
    "issuer": "issuer or registry (evidence.issuer)",
    "period": "period covered (evidence.period)",
    "volume_mwh": "volume in MWh (evidence.volume_mwh)",
    "retired": "cancellation / retirement on the company's behalf (evidence.retired: true)",
    "generator": "the generating plant and its technology (generator: {name, technology})",
}


def country_of(region: str | None) -> str | None:
    """ISO 3166-1 alpha-2 country at the start of a region code (``CN-east`` -> ``CN``), or None."""
    match = _COUNTRY.match((region or "").strip())
    return match.group(1).upper() if match else None


def is_national(region: str | None) -> bool:
    """True for a country's mix: the region is an ISO 3166-1 alpha-2 code (``CN``, ``DE``)."""
    return bool(re.fullmatch(r"[A-Za-z]{2}", (region or "").strip()))


def select_mode(rules: ElectricityRules, requested: str | None) -> ElectricityMode | None:
    """The mode ``requested`` (None: the default mode), or None when the PCR has no such mode."""
    wanted = requested or rules.default_mode
    return next((m for m in rules.modes if m.id == wanted), None)


def check_electricity(result: FootprintResult, pcr: PCR, findings: list,
                      mode_id: str | None = None) -> dict[str, Any] | None:
    """Check the result's electricity inputs under one mode of the PCR.

    Parameters
    ----------
    result : FootprintResult
        Reads ``electricity`` (the inputs) and ``created_at``.
    pcr : PCR
    findings : list
        :class:`pcf.pcr.assessment.Finding` records are appended here.
    mode_id : str, optional
        The mode chosen for the study; default the PCR's
        ``electricity.default_mode``.

    Returns
    -------
    dict or None
        ``Assessment.electricity``: ``{mode, selected_by ("pcr default" | "requested"),
        default_mode, modes, description, clause, confidence, note, sources, grid_level,
        same_country, checked}``; None when the PCR has no ``electricity`` section.
    """
    rules = pcr.electricity
    if rules is None:
        return None
    mode = select_mode(rules, mode_id)
    if mode is None:
        findings.append(_finding("electricity-mode", rules.clause, rules.confidence, "nonconformity",
                                 f"Electricity mode {mode_id!r} is not a mode of PCR {pcr.id!r}; "
                                 "its electricity sources were not checked.",
                                 f"Choose one of: {', '.join(m.id for m in rules.modes)}."))
        return {"mode": mode_id, "selected_by": "requested", "default_mode": rules.default_mode,
                "modes": [m.id for m in rules.modes], "description": None, "clause": rules.clause,
                "confidence": rules.confidence, "note": rules.note, "sources": None, "grid_level": None,
                "same_country": None, "checked": 0}
    items = [e for e in result.electricity or ()
             if rules.stages is None or e.stage in rules.stages]
    calc_year = _year_of(result.created_at)
    unstated = []
    for item in items:
        if not item.stated:
            unstated.append(item)
        _check_item(item, mode, rules, calc_year, findings)
    if unstated:
        where = ", ".join(f"{i.process} ({_activity_key(i)})" for i in unstated[:8])
        more = f" and {len(unstated) - 8} more" if len(unstated) > 8 else ""
        findings.append(_finding(
            "electricity-not-stated", rules.clause, rules.confidence, "observation",
            f"{len(unstated)} electricity input{'s' if len(unstated) > 1 else ''} state{'' if len(unstated) > 1 else 's'} "
            f"no source and {'were' if len(unstated) > 1 else 'was'} taken as grid electricity of the linked "
            f"activity's location and year: {where}{more}.",
            "State the source on each input: electricity: {source: grid, region: CN, year: 2023} "
            "(or direct / contractual, see docs/model-format.md)."))
    return {"mode": mode.id, "selected_by": "requested" if mode_id else "pcr default",
            "default_mode": rules.default_mode, "modes": [m.id for m in rules.modes],
            "description": mode.description, "clause": mode.clause, "confidence": mode.confidence,
            "note": rules.note, "sources": mode.sources.model_dump(), "grid_level": mode.grid_level,
            "same_country": mode.same_country, "checked": len(items)}


def _check_item(item: ElectricityInput, mode: ElectricityMode, rules: ElectricityRules,
                calc_year: int | None, findings: list) -> None:
    source = item.source
    process = item.process
    line = f" (model line {item.line})" if item.line else ""
    where = f"Process {process!r}{line}"
    plant = country_of(item.process_location) or country_of(item.region)
    instead = (f"model the plant's electricity with the national mix of {plant} "
               f"(electricity: {{source: grid, region: {plant}, year: ...}} on a {plant} grid activity)"
               if plant else "model the plant's electricity with the national mix of its country")
    extra = f" {mode.fix}" if mode.fix else ""

    def add(rule: str, severity: str, message: str, fix: str, clause: str | None = None) -> None:
        findings.append(_finding(rule, clause or mode.clause, mode.confidence, severity, message, fix + extra))

    verdict = getattr(mode.sources, source, None) if source else None
    if verdict is None:
        add("electricity-source", "nonconformity", f"{where} has an electricity input with source {source!r}.",
            "State source: grid, direct or contractual.")
        return
    what = {"grid": f"grid electricity ({item.region}, {item.year})",
            "direct": f"electricity from a directly connected generator ({_generator(item)})",
            "contractual": f"electricity bought with {INSTRUMENT_NAMES.get(item.instrument, item.instrument)}"
                           f" ({_generator(item)})"}[source]
    if verdict == "not_accepted":
        add("electricity-source", "nonconformity",
            f"{where} uses {what}; under electricity mode {mode.id!r} ({mode.description}) this source "
            f"is not recognised.", f"Under mode {mode.id!r}, {instead}.")
        return
    if verdict == "unknown":
        add("electricity-source", "observation",
            f"{where} uses {what}; the PCR's sources do not say whether this source counts (mode "
            f"{mode.id!r}). The footprint uses the factor of the linked activity "
            f"({_activity_key(item)}).",
            f"Have the verifier confirm the source is acceptable, or {instead}.")
    if source == "contractual":
        _check_contract(item, mode, where, instead, add)
    if source == "grid":
        _check_grid(item, mode, rules, where, plant, calc_year, add)


def _check_contract(item, mode: ElectricityMode, where: str, instead: str, add) -> None:
    instrument = item.instrument
    if mode.instruments is not None:
        verdict = mode.instruments.get(instrument, "not_accepted")
        if verdict == "not_accepted":
            accepted = [i for i, v in mode.instruments.items() if v == "accepted"]
            add("electricity-instrument", "nonconformity",
                f"{where} uses {INSTRUMENT_NAMES.get(instrument, instrument)}; mode {mode.id!r} does not "
                f"accept it (accepted: {', '.join(accepted) or 'none'}).", f"Use an accepted instrument, or {instead}.")
            return
        if verdict == "unknown":
            add("electricity-instrument", "observation",
                f"{where} uses {INSTRUMENT_NAMES.get(instrument, instrument)}; the PCR's sources do not say "
                f"whether mode {mode.id!r} accepts it.", f"Have the verifier confirm it, or {instead}.")
    evidence = item.evidence or {}
    generator = item.generator or {}
    missing = []
    for part in mode.evidence:
        if part == "generator":
            ok = bool(generator.get("technology"))
        elif part == "ids":
            ok = bool(evidence.get("ids"))
        elif part == "retired":
            ok = evidence.get("retired") is True
        else:
            ok = evidence.get(part) is not None
        if not ok:
            missing.append(EVIDENCE_NAMES[part])
    if missing:
        add("electricity-evidence", "nonconformity",
            f"{where} claims {INSTRUMENT_NAMES.get(instrument, instrument)} without the evidence the criteria "
            f"ask for: missing {'; '.join(missing)}.",
            f"Add the missing evidence to the input's electricity statement, or {instead}.",
            clause=mode.evidence_clause)


def _check_grid(item, mode: ElectricityMode, rules: ElectricityRules, where: str, plant: str | None,
                calc_year: int | None, add) -> None:
    region = item.region
    if mode.grid_level == "national" and not is_national(region):
        add("electricity-grid-level", "nonconformity",
            f"{where} uses the grid of {region!r}, which is not a national mix; mode {mode.id!r} "
            f"({mode.description}) asks for the national mix.",
            f"Model the plant's electricity with the national mix of {plant or 'its country'}: "
            f"electricity: {{source: grid, region: {plant or 'XX'}, year: ...}} on a national grid activity.")
    elif mode.same_country:
        here = country_of(item.process_location)
        if here and country_of(region) and country_of(region) != here:
            add("electricity-grid-country", "nonconformity",
                f"{where} is located in {here} but uses the grid mix of {region!r}.",
                f"Model the plant's electricity with the national mix of {here}.")
    year = item.year
    if rules.max_age_years is not None and isinstance(year, int) and calc_year is not None \
            and calc_year - year > rules.max_age_years:
        add("electricity-year", "nonconformity",
            f"{where} uses a {year} grid factor, {calc_year - year} years before the calculation "
            f"({calc_year}); the PCR allows at most {rules.max_age_years}.",
            f"Use a grid factor of {calc_year - rules.max_age_years} or later.", clause=rules.age_clause)


def _generator(item: ElectricityInput) -> str:
    g = item.generator or {}
    if not g:
        return "generator not stated"
    return ", ".join(str(g[k]) for k in ("name", "technology", "capacity", "location") if g.get(k))


def _year_of(created_at: object) -> int | None:
    text = str(created_at or "")
    return int(text[:4]) if text[:4].isdigit() else None


def _activity_key(item: ElectricityInput) -> str | None:
    return item.activity.key if item.activity else None


def _finding(rule: str, clause: str, confidence: str, severity: str, message: str, fix: str) -> Finding:
    return Finding(rule=rule, clause=clause, confidence=confidence, severity=severity, message=message, fix=fix)
