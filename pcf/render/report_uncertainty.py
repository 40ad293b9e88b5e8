"""Section 2.5 of the CFP study report: the Monte Carlo uncertainty assessment
(ISO 14067:2018 7.3: the report states the uncertainty of the CFP), formatted for
``label_templates/report_uncertainty.html.j2``."""

from __future__ import annotations

from pcf.lca.result import FootprintResult, Uncertainty
from pcf.render import fmt

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
    """What section 2.5 shows: ``{run: False}`` without a Monte Carlo run; otherwise the
    statistics as text (3 significant figures), per reference flow and per declared unit,
    the top drivers, what was sampled, the notes and the histogram geometry."""
    u = result.uncertainty
    if not u:
        return {"run": False}
    du = u.per_declared_unit
    sampled = u.sampled or {}
    background = sampled.get("background_exchanges") or {}
    return {
        "run": True,
        "iterations": u.iterations, "requested": u.requested, "failed": u.failed,
        "seed": u.seed,
        "deterministic": fmt.sig(u.deterministic_kg_co2e),
        "mean": fmt.sig(u.mean), "median": fmt.sig(u.median), "sd": fmt.sig(u.sd),
        "interval": f"{fmt.sig(u.p2_5)} {fmt.DASH} {fmt.sig(u.p97_5)}",
        "relative": (f"{fmt.sig(100 * (u.p2_5 / u.median - 1), 2)} % / +{fmt.sig(100 * (u.p97_5 / u.median - 1), 2)} %"
                     if u.median else fmt.DASH),
        "du": ({"mean": fmt.sig(du.mean), "median": fmt.sig(du.median), "sd": fmt.sig(du.sd),
                "interval": f"{fmt.sig(du.p2_5)} {fmt.DASH} {fmt.sig(du.p97_5)}"} if du else None),
        "sampled_foreground": _sampled_foreground(sampled.get("foreground_amounts", 0), u.defaults),
        "sampled_background": ", ".join(f"{n} in {db}" for db, n in sorted(background.items())) or "none",
        "drivers": [{"rank": i, "input": d.input or "", "process": d.process or "",
                     "kind": "前景 foreground" if d.kind == "foreground" else "背景 background",
                     "distribution": d.distribution or "", "rho": f"{d.spearman:+.2f}",
                     "share": fmt.pct(d.share)}
                    for i, d in enumerate(u.drivers[:TOP], start=1)],
        "defaults": defaults_context(u),
        "background_note": u.background_note or "",
        "method_note": u.method_note or "",
        "histogram": histogram_chart(u) if u.histogram else None,
    }


#: Where a default's pedigree scores came from, in plain words.
SOURCE_WORDS = {"dqr of the input": "the input's PEF rating", "dqr of the process": "the process's PEF rating",
                "primary data default": "the default for primary data",
                "secondary data default": "the default for secondary data"}


def _sampled_foreground(n: int, defaults) -> str:
    """``12 foreground amounts (4 with stated uncertainty, 8 with a default)`` [count]."""
    if not defaults or not defaults.applied:
        return f"{n} foreground amounts"
    n_default = len(defaults.amounts)
    return f"{n} foreground amounts ({n - n_default} with stated uncertainty, {n_default} with a default)"


def defaults_context(u: Uncertainty) -> dict | None:
    """What the report says about default uncertainty (issue 14 part 5), in plain words next to
    the interval: ``{text, note}``, or None for a result written before defaults existed.

    ``text`` says how many amounts without ``uncertainty:`` were sampled with a default from
    their data quality, their share of the variance [%] and the interval without them; or,
    when switched off, that those amounts were held fixed and the interval understates the
    uncertainty.
    """
    d = u.defaults
    if not d:
        return None
    if not d.applied:
        if not d.unannotated:
            return {"text": "Default uncertainty switched off; every amount states its own uncertainty.", "note": d.note}
        return {"text": f"Default uncertainty switched off: {d.unannotated} amounts without stated uncertainty were held "
                        "fixed, so this interval understates the uncertainty.", "note": d.note}
    if not d.amounts:
        return {"text": "Every sampled foreground amount states its own uncertainty; no default was needed.",
                "note": d.note}
    by_source: dict[str, int] = {}
    for a in d.amounts:
        source = SOURCE_WORDS.get(a.source, a.source)
        by_source[source] = by_source.get(source, 0) + 1
    gsds = sorted(a.gsd for a in d.amounts)
    span = fmt.sig(gsds[0], 4) if gsds[0] == gsds[-1] else f"{fmt.sig(gsds[0], 4)} {fmt.DASH} {fmt.sig(gsds[-1], 4)}"
    text = (f"{len(d.amounts)} amounts without stated uncertainty were sampled with a default lognormal from their data "
            f"quality (GSD {span}; " + ", ".join(f"{n} from {src}" for src, n in sorted(by_source.items())) + ")")
    if d.variance_share is not None:
        text += f"; they give {fmt.pct(d.variance_share)} of the variance"
    w = d.without_defaults
    if w:
        text += f". Without them the 95 % interval would be {fmt.sig(w.p2_5)} {fmt.DASH} {fmt.sig(w.p97_5)}"
    return {"text": text + ".", "note": d.note}
