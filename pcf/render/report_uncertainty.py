"""Section 2.5 of the CFP study report: the Monte Carlo uncertainty assessment
(ISO 14067:2018 7.3: the report states the uncertainty of the CFP), formatted for
``label_templates/report_uncertainty.html.j2``."""

from __future__ import annotations

from pcf.lca.result import FootprintResult, Uncertainty
from pcf.render import fmt

#: How to run one, shown when the result has none.
HOW_TO = "pcf footprint MODEL --out DIR --monte-carlo 1000 --seed 1"
#: Drivers listed in the report.
TOP = 8


def histogram_chart(u: Uncertainty) -> dict:
    """Geometry of the score histogram [SVG units, 640 x 170] with the 2.5 / 97.5 % quantiles,
    the median and the deterministic value marked.

    Parameters
    ----------
    u : Uncertainty
        The result's ``uncertainty`` (``histogram: {edges, counts}``, ``p2_5``, ``median``,
        ``p97_5``, ``deterministic_kg_co2e`` [kg CO2e / reference flow]).

    Returns
    -------
    dict
        ``width``, ``height``, ``bars`` (``x``, ``y``, ``w``, ``h``), ``ticks`` (``x``,
        ``text``), ``marks`` (``x``, ``label``, ``kind``), ``base_y``.
    """
    edges = [float(e) for e in u.histogram.edges]
    counts = [int(c) for c in u.histogram.counts]
    left, right, top, base = 40.0, 620.0, 22.0, 130.0
    lo, hi = edges[0], edges[-1]
    marks_at = [u.p2_5, u.median, u.p97_5, u.deterministic_kg_co2e]
    lo, hi = min(lo, *marks_at), max(hi, *marks_at)
    span = (hi - lo) or abs(hi) or 1.0

    def xpos(v: float) -> float:
        return left + (v - lo) / span * (right - left)

    peak = max(counts) or 1
    bars = [{"x": xpos(a), "w": max(xpos(b) - xpos(a) - 0.6, 0.6), "y": base - c / peak * (base - top),
             "h": c / peak * (base - top)} for a, b, c in zip(edges, edges[1:], counts)]
    step = fmt.nice_step(span)
    first = -(-lo // step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + 1e-12 * span and k < 50:
        v = first + k * step
        ticks.append({"x": xpos(v), "text": fmt.sig(v)})
        k += 1
    marks = [{"x": xpos(u.p2_5), "label": "2.5 %", "kind": "q"},
             {"x": xpos(u.median), "label": "median", "kind": "m"},
             {"x": xpos(u.p97_5), "label": "97.5 %", "kind": "q"},
             {"x": xpos(u.deterministic_kg_co2e), "label": "", "kind": "d"}]
    return {"width": 640, "height": 170, "bars": bars, "ticks": ticks, "marks": marks, "base_y": base,
            "top_y": top}


def uncertainty_context(result: FootprintResult) -> dict:
    """What section 2.5 shows: ``{run: False, how}`` without a Monte Carlo run; otherwise the
    statistics as text (3 significant figures), per reference flow and per declared unit,
    the top drivers, what was sampled, the notes and the histogram geometry."""
    u = result.uncertainty
    if not u:
        return {"run": False, "how": HOW_TO}
    du = u.per_declared_unit
    sampled = u.sampled or {}
    background = sampled.get("background_exchanges") or {}
    return {
        "run": True, "how": HOW_TO,
        "iterations": u.iterations, "requested": u.requested, "failed": u.failed,
        "seed": u.seed,
        "deterministic": fmt.sig(u.deterministic_kg_co2e),
        "mean": fmt.sig(u.mean), "median": fmt.sig(u.median), "sd": fmt.sig(u.sd),
        "interval": f"{fmt.sig(u.p2_5)} {fmt.DASH} {fmt.sig(u.p97_5)}",
        "relative": (f"{fmt.sig(100 * (u.p2_5 / u.median - 1), 2)} % / +{fmt.sig(100 * (u.p97_5 / u.median - 1), 2)} %"
                     if u.median else fmt.DASH),
        "du": ({"mean": fmt.sig(du.mean), "median": fmt.sig(du.median), "sd": fmt.sig(du.sd),
                "interval": f"{fmt.sig(du.p2_5)} {fmt.DASH} {fmt.sig(du.p97_5)}"} if du else None),
        "sampled_foreground": sampled.get("foreground_amounts", 0),
        "sampled_background": ", ".join(f"{n} in {db}" for db, n in sorted(background.items())) or "none",
        "drivers": [{"rank": i, "input": d.input or "", "process": d.process or "",
                     "kind": "前景 foreground" if d.kind == "foreground" else "背景 background",
                     "distribution": d.distribution or "", "rho": f"{d.spearman:+.2f}",
                     "share": fmt.pct(d.share)}
                    for i, d in enumerate(u.drivers[:TOP], start=1)],
        "background_note": u.background_note or "",
        "method_note": u.method_note or "",
        "histogram": histogram_chart(u) if u.histogram else None,
    }
