"""The GWP basis of every figure of a footprint, and the share on another basis than the method's.

A study's method characterises elementary flows with one set of GWP100 factors, its vintage
(:attr:`pcf.background.MethodSpec.gwp_vintage`: ``ipcc-2021-gwp100`` and
``ef-3.1-climate-change`` AR6, ``ipcc-2013-gwp100`` AR5). A background figure is on that basis
or not:

==================  ==============================================================  ==========
basis key           what the figure is                                              on basis
==================  ==============================================================  ==========
``per_gas``         gas masses (elementary flows) the method characterises          yes
``co2e_AR6`` ...    pre-aggregated CO2e of that GWP vintage (AR4 / AR5 / AR6)        when the
                                                                                    vintage is
                                                                                    the method's
``co2e_unknown``    pre-aggregated CO2e whose source does not state its vintage     no
``co2_only``        a source that gives CO2 only (other gases missing)              no
==================  ==============================================================  ==========

Where a figure's basis comes from: a row of a background table (``databases/README.md``:
``gas_basis``, ``co2e_gwp``) splits into its gas part and its ``co2e_unsplit`` part by its
characterised amounts: ``co2e_unsplit`` [kg CO2e / unit] (booked as fossil CO2, factor 1 in
every method) is on its ``co2e_gwp`` vintage, the rest of the row's intensity on its
``gas_basis`` (``masses`` -> ``per_gas``, ``co2_only``), except ``co2_only_fossil`` [kg CO2 /
unit] of a ``masses`` row (CO2 from a CO2-only factor in a derived row), which is ``co2_only``. A table row has no upstream
(:func:`pcf.background.opendefault.write_open_default` writes biosphere exchanges only), so
its own split is the split of what the foreground draws from it. A supplier footprint (PACT)
is pre-aggregated CO2e of the vintage it states (``ipccCharacterizationFactors``; the method's
when it lists it, unknown when it lists none). Every other activity (ecoinvent, US LCI, any
imported database) and the foreground's own elementary flows are ``per_gas``. A table written
before the bases were recorded (table format < 3) counts as ``co2e_unknown``; `pcf setup`
rewrites it.

Share: ``other_basis_share = sum |off-basis parts| / sum |all parts|`` [-], a part being the
kg CO2e of one data source on one basis, the foreground's own flows one ``per_gas`` part. It
equals off-basis kg CO2e / total when nothing is negative (a credit would otherwise let the
share pass 100 %).
"""

from __future__ import annotations

PER_GAS = "per_gas"
CO2_ONLY = "co2_only"
UNKNOWN = "co2e_unknown"
BASES = (PER_GAS, "co2e_AR6", "co2e_AR5", "co2e_AR4", UNKNOWN, CO2_ONLY)
"""Basis keys, in the order reports list them."""

LABELS = {PER_GAS: "gas masses characterised by the method", "co2e_AR6": "CO2e aggregated with AR6 GWPs",
          "co2e_AR5": "CO2e aggregated with AR5 GWPs", "co2e_AR4": "CO2e aggregated with AR4 GWPs",
          UNKNOWN: "CO2e of an unstated GWP vintage", CO2_ONLY: "CO2 only (other gases missing)"}
"""Basis key -> plain words (report, label)."""


def on_basis(basis: str, vintage: str) -> bool:
    """Whether figures on ``basis`` (a key of :data:`BASES`) are on the basis of a method of GWP
    ``vintage`` (``AR6``, ``AR5``)."""
    return basis == PER_GAS or basis == f"co2e_{vintage}"


def source_basis(node, drawn: float, intensity: float, vintage: str) -> dict:
    """The GWP basis of one background activity the foreground draws.

    Parameters
    ----------
    node : mapping
        The activity's stored fields (``pcf_co2e_unsplit``, ``pcf_gas_basis``,
        ``pcf_co2e_gwp``, ``gwp_note`` of a table row; ``pcf_supplier`` of a supplier
        footprint).
    drawn : float
        Amount drawn [unit / reference flow].
    intensity : float
        Its characterised intensity [kg CO2e / unit].
    vintage : str
        GWP vintage of the study's method.

    Returns
    -------
    dict
        ``{gases: masses | co2_only | None, co2e_gwp: AR4 | AR5 | AR6 | unknown | None, note,
        kg_co2e: {basis: kg CO2e / reference flow}, other_basis_kg_co2e}``.
    """
    per_unit, gases, gwp, note = _per_unit(node, intensity, vintage)
    parts = {basis: drawn * value for basis, value in per_unit.items() if value}
    other = sum(v for b, v in parts.items() if not on_basis(b, vintage))
    return {"gases": gases, "co2e_gwp": gwp, "note": note, "kg_co2e": parts, "other_basis_kg_co2e": other}


def _per_unit(node, intensity: float, vintage: str) -> tuple[dict, str | None, str | None, str | None]:
    """``({basis: kg CO2e / unit}, gases, co2e_gwp, note)`` of an activity."""
    if "pcf_co2e_unsplit" in node:  # a background table row (table format >= 3)
        gases, gwp = node.get("pcf_gas_basis"), node.get("pcf_co2e_gwp")
        unsplit = min(float(node.get("pcf_co2e_unsplit") or 0.0), intensity) if gases else intensity
        gas = intensity - unsplit if gases else 0.0
        co2_only = gas if gases == "co2_only" else min(float(node.get("pcf_co2_only_fossil") or 0.0), gas)
        per_unit = {PER_GAS: gas - co2_only, CO2_ONLY: co2_only}
        if gwp:
            key = f"co2e_{gwp}" if gwp != "unknown" else UNKNOWN
            per_unit[key] = per_unit.get(key, 0.0) + unsplit
        return per_unit, gases, gwp, node.get("gwp_note") or None
    if node.get("pcf_supplier"):
        stated = tuple(node["pcf_supplier"].get("ipcc") or ())
        gwp = vintage if vintage in stated else (stated[0] if stated else "unknown")
        key = f"co2e_{gwp}" if gwp in ("AR4", "AR5", "AR6") else UNKNOWN
        return {key: intensity}, None, gwp if key != UNKNOWN else "unknown", "supplier footprint (PACT), pre-aggregated"
    if "gwp_basis" in node:  # a table written before its rows stated their basis
        return {UNKNOWN: intensity}, None, "unknown", "table written before GWP bases were recorded: run `pcf setup`"
    return {PER_GAS: intensity}, "masses", None, None


def summarise(sources: list[dict], total: float, method: str, vintage: str) -> dict:
    """The result's ``gwp_basis_summary``.

    Parameters
    ----------
    sources : list of dict
        The ``gwp_basis`` of every data source (:func:`source_basis`), with its ``kg_co2e``.
    total : float
        The footprint [kg CO2e / reference flow]; what the sources do not account for is the
        foreground's own elementary flows, counted ``per_gas``.
    method, vintage : str
        The study's method id and its GWP vintage.

    Returns
    -------
    dict
        ``{method, method_gwp_vintage, other_basis_kg_co2e [kg CO2e / reference flow],
        other_basis_share [-], by_basis: {basis: {kg_co2e, share [-], on_basis}}}``.
    """
    kg = {b: 0.0 for b in BASES}
    gross = {b: 0.0 for b in BASES}
    drawn = 0.0
    for source in sources:
        for basis, value in source["kg_co2e"].items():
            kg[basis] += value
            gross[basis] += abs(value)
            drawn += value
    kg[PER_GAS] += total - drawn
    gross[PER_GAS] += abs(total - drawn)
    whole = sum(gross.values())
    by_basis = {b: {"kg_co2e": kg[b], "share": gross[b] / whole if whole else 0.0, "on_basis": on_basis(b, vintage)}
                for b in BASES if gross[b]}
    off = [b for b in by_basis if not by_basis[b]["on_basis"]]
    return {"method": method, "method_gwp_vintage": vintage,
            "other_basis_kg_co2e": sum(kg[b] for b in off),
            "other_basis_share": sum(gross[b] for b in off) / whole if whole else 0.0,
            "by_basis": by_basis}

