"""The GWP basis of a footprint's figures in the report: per data source (section 4) and in the
limitations (section 7), from ``data_sources[].gwp_basis`` and ``gwp_basis_summary``
(:mod:`pcf.lca.gwpbasis`)."""

from __future__ import annotations

from pcf.lca.gwpbasis import BASES, LABELS
from pcf.render import fmt

#: Basis key -> short words of a data source row.
SHORT = {"per_gas": "gas masses", "co2e_AR6": "CO2e AR6", "co2e_AR5": "CO2e AR5", "co2e_AR4": "CO2e AR4",
         "co2e_unknown": "CO2e, vintage not stated", "co2_only": "CO2 only"}


def source_text(source) -> str:
    """``"CO2e AR5"``, ``"gas masses + CO2e, vintage not stated"``: the bases of one data source
    (:class:`pcf.lca.result.DataSource`), empty for a result written before issue 14."""
    basis = source.gwp_basis
    if not basis:
        return ""
    return " + ".join(SHORT[b] for b in BASES if basis.kg_co2e.get(b))


def summary_context(result) -> dict | None:
    """Section 4's paragraph: ``{zh, en, parts: [{label, kg, share, on_basis}]}``; None without
    a ``gwp_basis_summary``."""
    words = fmt.gwp_basis_words(result)
    if words is None:
        return None
    s = result.gwp_basis_summary
    parts = [{"label": LABELS[b], "kg": fmt.sig(p.kg_co2e), "share": fmt.pct(p.share), "on_basis": p.on_basis}
             for b, p in s.by_basis.items()]
    return {"zh": words[0], "en": words[1], "method": fmt.method_label(result), "vintage": s.method_gwp_vintage,
            "parts": parts}


def limitation(result) -> list[tuple[str, str]]:
    """The (Chinese, English) limitation sentence on GWP bases, e.g. ``IPCC 2021 (AR6) GWP100;
    37.0 % of the total from factors on other GWP bases: CO2 only (other gases missing) 20.0 %,
    ...``; nothing for a result without ``gwp_basis_summary``."""
    words = fmt.gwp_basis_words(result)
    if words is None:
        return []
    s = result.gwp_basis_summary
    off = [(b, p) for b, p in s.by_basis.items() if not p.on_basis]
    detail = "; ".join(f"{LABELS[b]} {fmt.pct(p.share)}" for b, p in off)
    method = fmt.method_label(result)
    if not off:
        return [(f"{method}：{words[0]}。", f"{method}: {words[1]}.")]
    return [(f"{method}；总量的 {words[0]}（预聚合CO2e的GWP版本不同或未说明，或仅有CO2）：{detail}（第 4 节）。",
             f"{method}; {words[1]} (pre-aggregated CO2e of another or an unstated GWP vintage, or CO2 only, "
             f"so other gases are missing): {detail} (section 4).")]
