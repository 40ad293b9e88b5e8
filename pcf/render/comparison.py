"""The comparison report (A4 PDF, bilingual) of :func:`pcf.compare.claims.compare_footprints`: the
claim in words, the two products, the totals and per-stage values per declared unit, the
conditions the claim rests on and, for a handprint, the justification of the baseline."""

from __future__ import annotations

from pcf.core import vocabulary
from pcf.render import fmt, output
from pcf.render.declaration import STAGE_ZH

CLAIM_NAMES = {"reduction": ("减排声明（与上一代产品比较）", "Reduction claim against the previous generation"),
               "handprint": ("碳手印（与基准产品比较）", "Carbon handprint against a baseline product")}
GHG_ZH = {k: v[0] for k, v in vocabulary.GHG_NAMES.items()}


def _fmt_row(r: dict) -> dict:
    return {**r, "baseline_text": fmt.sig(r["baseline"]) if r["baseline"] is not None else fmt.DASH,
            "product_text": fmt.sig(r["product"]) if r["product"] is not None else fmt.DASH,
            "reduction_text": fmt.sig(r["reduction"]) if r["reduction"] is not None else fmt.DASH,
            "pct_text": fmt.pct(r["reduction_pct"] / 100) if r["reduction_pct"] is not None else fmt.DASH}


#: Width of the chart's stage names [Latin characters at 9.5 units, left of the bars: 212 units].
LABEL_CHARS = 40


def _label_lines(zh: str, en: str) -> list[dict]:
    """A bar's name in at most three lines that fit left of the bars (never cut): the Chinese
    name, then the English one wrapped; ``dy`` [SVG units] from the bar pair's top."""
    if en == "total":
        en = ""
    text = f"{zh} {en}".strip()
    lines = fmt.wrap(text, LABEL_CHARS)
    if len(lines) > 1 and zh:
        lines = [zh, *fmt.wrap(en, LABEL_CHARS)]
    lines = [line for line in lines if line][:3]
    size = 9.5 if len(lines) < 3 else 8.5
    first = 11 + (1 - len(lines)) * size / 2 + size * 0.35  # centred on the pair of bars (22 units high)
    return [{"text": line, "dy": round(first + i * size, 1), "size": size} for i, line in enumerate(lines)]


def _bars(comparison: dict) -> dict:
    """Paired bars (baseline, product) per PCR stage and total [SVG units, 640 wide]."""
    rows = [comparison["total"]] + list(comparison["stages"])
    values = [v for r in rows for v in (r["baseline"], r["product"]) if v is not None] or [0.0]
    hi = max(0.0, *values)
    step = fmt.nice_step(hi - min(0.0, *values))
    top = (int(hi / step) + 1) * step if hi > 0 else 1.0
    left, right, pitch = 220.0, 560.0, 34.0
    bars = []
    for i, r in enumerate(rows):
        y = 8 + i * pitch
        for j, (key, colour) in enumerate((("baseline", "#9aa5b1"), ("product", "#17533a"))):
            v = r[key] or 0.0
            bars.append({"x": left, "y": y + j * 12, "w": max(0.8, (right - left) * max(v, 0.0) / top), "h": 10,
                         "colour": colour, "text": fmt.sig(v), "tx": left + (right - left) * max(v, 0.0) / top + 4})
    labels = [{"y": 8 + i * pitch, "lines": _label_lines(r.get("zh") or "", r["name"])} for i, r in enumerate(rows)]
    ticks = [{"x": left + (right - left) * k * step / top, "text": fmt.amount(round(k * step, 12))}
             for k in range(int(round(top / step)) + 1)]
    return {"bars": bars, "labels": labels, "ticks": ticks, "height": 8 + len(rows) * pitch + 24,
            "bottom": 8 + len(rows) * pitch}


def comparison_context(comparison: dict, font: str) -> dict:
    """What ``comparison.html.j2`` shows, formatted."""
    zh, en = CLAIM_NAMES[comparison["claim"]]
    total = dict(comparison["total"], name="total", zh="合计 Total")
    comparison = dict(comparison, stages=[dict(r, zh=STAGE_ZH.get(r["name"], "")) for r in comparison["stages"]])
    return {
        "font": font, "c": comparison, "claim_zh": zh, "claim_en": en,
        "total": _fmt_row(total),
        "stages": [_fmt_row(dict(r, zh=r.get("zh") or STAGE_ZH.get(r["name"], ""))) for r in comparison["stages"]],
        "ghg": [_fmt_row(dict(r, zh=GHG_ZH.get(r["name"], ""), name=vocabulary.GHG_NAMES.get(r["name"], ("", r["name"]))[1]))
                for r in comparison["ghg"]],
        "chart": _bars(dict(comparison, total=total)),
        "conditions": [{**c, "mark": {True: "✓", False: "✗", None: "?"}[c["met"]]} for c in comparison["conditions"]],
    }


def comparison_pdf(comparison: dict, templates_dir=None) -> bytes:
    """The comparison report as PDF bytes.

    Raises
    ------
    RenderError
        No CJK font, a missing template or a WeasyPrint failure.
    """
    font = output.cjk_font()
    env = output.environment(templates_dir)
    html = output.render_template(env, "comparison.html.j2", C=comparison_context(comparison, font),
                                  css=output.read_template_file(env, "report.css"))
    return output.html_to_pdf(html, output.template_folder(env))
