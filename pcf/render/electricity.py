"""Section 2.3 of the CFP study report: electricity inputs with their sources (issue 4.3).

A pure function of the result's ``electricity`` and ``electricity_summary``
(docs/result-json.md) and of ``assessment.electricity`` (the PCR's mode).
"""

from __future__ import annotations

from pcf.declaration import Declaration
from pcf.render import fmt

SOURCE_NAMES = {"grid": ("电网", "grid"), "direct": ("直连发电", "direct"), "contractual": ("合同工具", "contractual")}
INSTRUMENTS = {
    "ppa": "PPA 购电协议", "green_certificate": "绿证 green certificate", "guarantee_of_origin": "GO 来源担保",
    "rec": "REC", "i_rec": "I-REC", "green_electricity_trade": "绿电交易 green electricity trade",
    "green_tariff": "绿色电价 green tariff",
}


def _generator(g: dict | None) -> str:
    if not g:
        return ""
    return ", ".join(str(g[k]) for k in ("name", "technology", "capacity", "location") if g.get(k))


def _evidence(e: dict | None) -> str:
    if not e:
        return ""
    parts = []
    if e.get("ids"):
        parts.append("ids " + ", ".join(str(i) for i in e["ids"]))
    for key, label in (("issuer", "issuer"), ("period", "period")):
        if e.get(key):
            parts.append(f"{label} {e[key]}")
    if e.get("volume_mwh") is not None:
        parts.append(f"{fmt.amount(e['volume_mwh'])} MWh")
    if e.get("retired") is not None:
        parts.append("已注销 retired" if e["retired"] else "未注销 not retired")
    if e.get("documents"):
        parts.append(str(e["documents"]))
    return "; ".join(parts)


def _detail(e) -> str:
    """Where an electricity input comes from: region and year of the grid, the generator, the instrument."""
    if e.source == "grid":
        detail = f"{e.region or fmt.DASH} / {e.year or fmt.DASH}"
        if e.mix == "residual":
            detail += " (residual mix 剩余组合)"
        return detail
    if e.source == "direct":
        return "; ".join(t for t in (_generator(e.generator), e.connection or "") if t)
    return "; ".join(t for t in (INSTRUMENTS.get(e.instrument, e.instrument or ""), _generator(e.generator)) if t)


def electricity_context(declaration: Declaration) -> dict:
    """Rows and summary of the report's electricity table.

    Parameters
    ----------
    declaration : Declaration
        Its result's ``electricity`` (``kwh`` [kWh], ``kg_co2e`` [kg CO2e] per reference flow,
        ``kg_co2e_per_kwh`` [kg CO2e / kWh]) and ``electricity_summary``; its assessment's
        ``electricity`` (the PCR's mode).

    Returns
    -------
    dict
        ``rows`` (one per electricity input: process, stage, source names, detail, evidence,
        activity, stated, kWh, factor, kg, share as text), ``summary`` (text) and ``mode``
        (the PCR's electricity mode, or None).
    """
    result = declaration.result
    rows = []
    for e in result.electricity:
        zh, en = SOURCE_NAMES.get(e.source or "", ("", e.source or ""))
        activity = e.activity
        rows.append({
            "process": e.process or fmt.DASH, "stage_zh": fmt.stage_name(e.stage or "")[0],
            "source_zh": zh, "source_en": en, "stated": bool(e.stated), "detail": _detail(e) or fmt.DASH,
            "evidence": _evidence(e.evidence),
            "activity": activity.model_reference or activity.key or fmt.DASH,
            "activity_where": " / ".join(str(x) for x in (activity.location, activity.year) if x),
            "kwh": fmt.sig(e.kwh), "factor": fmt.sig(e.kg_co2e_per_kwh),
            "kg": fmt.sig(e.kg_co2e), "share": fmt.pct(e.share),
        })
    s = result.electricity_summary
    summary = None
    if rows and s:
        summary = {"kwh": fmt.sig(s.total_kwh), "kg": fmt.sig(s.kg_co2e),
                   "share": fmt.pct(s.share), "factor": fmt.sig(s.kg_co2e_per_kwh),
                   "not_stated": s.not_stated or 0,
                   "by_source": [{"zh": SOURCE_NAMES[k][0], "en": SOURCE_NAMES[k][1], "kwh": fmt.sig(v.kwh),
                                  "kg": fmt.sig(v.kg_co2e)}
                                 for k, v in (s.by_source or {}).items() if v.kwh]}
    mode = (declaration.assessment.electricity if declaration.assessment is not None else None) or None
    return {"rows": rows, "summary": summary, "mode": mode}
