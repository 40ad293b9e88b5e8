"""Section 2.3 of the CFP study report: electricity inputs with their sources (issue 4.3).

A pure function of the result's ``electricity`` and ``electricity_summary``
(docs/result-json.md) and of ``assessment.electricity`` (the PCR's mode).
"""

from __future__ import annotations

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


def electricity_context(result: dict) -> dict:
    """Rows and summary of the report's electricity table.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result; ``kwh`` [kWh], ``kg_co2e`` [kg CO2e] per reference flow,
        ``kg_co2e_per_kwh`` [kg CO2e / kWh].

    Returns
    -------
    dict
        ``rows`` (one per electricity input: process, stage, source names, detail, evidence,
        activity, stated, kWh, factor, kg, share as text), ``summary`` (text) and ``mode``
        (the PCR's electricity mode, or None).
    """
    rows = []
    for e in result.get("electricity") or []:
        zh, en = SOURCE_NAMES.get(e.get("source") or "", ("", e.get("source") or ""))
        if e.get("source") == "grid":
            detail = f"{e.get('region') or fmt.DASH} / {e.get('year') or fmt.DASH}"
            if e.get("mix") == "residual":
                detail += " (residual mix 剩余组合)"
        elif e.get("source") == "direct":
            detail = "; ".join(t for t in (_generator(e.get("generator")), e.get("connection") or "") if t)
        else:
            detail = "; ".join(t for t in (INSTRUMENTS.get(e.get("instrument"), e.get("instrument") or ""),
                                           _generator(e.get("generator"))) if t)
        activity = e.get("activity") or {}
        rows.append({
            "process": e.get("process") or fmt.DASH, "stage_zh": fmt.stage_name(e.get("stage") or "")[0],
            "source_zh": zh, "source_en": en, "stated": bool(e.get("stated")), "detail": detail or fmt.DASH,
            "evidence": _evidence(e.get("evidence")),
            "activity": activity.get("model_reference") or activity.get("key") or fmt.DASH,
            "activity_where": " / ".join(str(x) for x in (activity.get("location"), activity.get("year")) if x),
            "kwh": fmt.sig(e.get("kwh")), "factor": fmt.sig(e.get("kg_co2e_per_kwh")),
            "kg": fmt.sig(e.get("kg_co2e")), "share": fmt.pct(e.get("share")),
        })
    s = result.get("electricity_summary") or {}
    summary = None
    if rows and s:
        summary = {"kwh": fmt.sig(s.get("total_kwh")), "kg": fmt.sig(s.get("kg_co2e")),
                   "share": fmt.pct(s.get("share")), "factor": fmt.sig(s.get("kg_co2e_per_kwh")),
                   "not_stated": s.get("not_stated") or 0,
                   "by_source": [{"zh": SOURCE_NAMES[k][0], "en": SOURCE_NAMES[k][1], "kwh": fmt.sig(v.get("kwh")),
                                  "kg": fmt.sig(v.get("kg_co2e"))}
                                 for k, v in (s.get("by_source") or {}).items() if v.get("kwh")]}
    mode = ((result.get("assessment") or {}).get("electricity")) or None
    return {"rows": rows, "summary": summary, "mode": mode}
