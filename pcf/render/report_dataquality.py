"""Section 4.1 of the CFP study report: primary data share and data quality rating.

Formats the result's ``data_quality`` (:mod:`pcf.lca.dataquality`) for
``label_templates/report_dataquality.html.j2``. A result written before pcf computed data
quality has no such field; the section then says so.

References
----------
PACT Methodology (Pathfinder Framework v2.0) 4.2.2 (primary data share); Commission
Recommendation (EU) 2021/2279, Annex I, 4.6.5 (DQR and quality levels); ISO 14067:2018
6.3.5 and 7.2 (data quality in the CFP study report).
"""

from __future__ import annotations

from pcf.lca.result import Dqr, FootprintResult
from pcf.render import fmt

#: Contributions listed in the data-quality table.
TOP_ITEMS = 12

#: PEF overall data quality levels: (Chinese, English).
LEVEL_NAMES = {"excellent": ("优秀", "excellent"), "very good": ("很好", "very good"),
               "good": ("良好", "good"), "fair": ("一般", "fair"), "poor": ("较差", "poor")}
DATA_NAMES = {"primary": "初级 primary", "secondary": "次级 secondary"}
KIND_NAMES = {"direct": "直接排放 direct emissions", "input": "输入 input", "transport": "运输 transport",
              "credit": "抵扣 credit", "other": "其他 other"}


def _dqr_text(dqr: Dqr | None, digits: int = 1) -> tuple[str, str]:
    if not dqr:
        return fmt.DASH, ""
    parts = "/".join(f"{float(getattr(dqr, k)):.{digits}f}".rstrip("0").rstrip(".") for k in ("ter", "ger", "tir", "p"))
    return f"{float(dqr.dqr):.2f}", parts


def _item_row(rank: int, item) -> dict:
    """One row of the data-quality table (a :class:`pcf.lca.result.DataQualityItem`)."""
    text, item_parts = _dqr_text(item.dqr)
    return {
        "rank": rank, "process": item.process or fmt.DASH,
        "what": item.reference or item.name or "",
        "name": item.name or "",
        "kind": KIND_NAMES.get(item.kind or "", item.kind or ""),
        "activity": DATA_NAMES.get(item.data or "", item.data or fmt.DASH),
        "factor": DATA_NAMES.get(item.emission_factor or "", item.emission_factor or fmt.DASH),
        "primary": bool(item.primary_share),
        "dqr": text, "dqr_parts": item_parts,
        "dqr_source": {"model": "model", "database": "database", "supplier": "supplier DQI"}.get(
            item.dqr_source or "", ""),
        "kg_text": fmt.sig(item.kg_co2e), "weight_text": fmt.pct(item.weight),
    }


def data_quality_context(result: FootprintResult) -> dict | None:
    """What section 4.1 shows, formatted; None when the result has no ``data_quality``.

    Parameters
    ----------
    result : FootprintResult
        Its ``data_quality`` (masses [kg CO2e per reference flow]).

    Returns
    -------
    dict or None
        ``pds`` (percent text), ``primary_kg``, ``abs_kg``, ``has_dqr``, ``dqr``/``dqr_parts``, ``level_zh``/
        ``level_en``, ``coverage``, ``unrated`` (labels of unrated items above 5 %), ``basis``,
        ``rows`` (largest items: process, what, kind, data of activity / factor, DQR, kg,
        weight), ``n`` (items in all).
    """
    dq = result.data_quality
    if not dq:
        return None
    dqr, parts = _dqr_text(dq.dqr, digits=2)
    zh, en = LEVEL_NAMES.get(dq.level or "", ("", dq.level or ""))
    return {
        "pds": fmt.pct(dq.primary_data_share),
        "primary_kg": fmt.sig(dq.primary_kg_co2e), "abs_kg": fmt.sig(dq.abs_kg_co2e),
        "has_dqr": dq.dqr is not None, "dqr": dqr, "dqr_parts": parts, "level_zh": zh, "level_en": en,
        "coverage": fmt.pct(dq.coverage),
        "unrated": list(dq.unrated_significant or ()),
        "basis": dq.basis or "",
        "rows": [_item_row(rank, item) for rank, item in enumerate(dq.items[:TOP_ITEMS], start=1)],
        "n": len(dq.items),
    }
