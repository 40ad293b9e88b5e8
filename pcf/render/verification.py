"""One-page verification statement template for the certification body (A4 PDF), and the
same statement as the last section of the CFP study report.

pcf fills in what the result says (product, study, PCR, conformity, the declared figure, the
class, the items the PCR leaves to the verifier); the certification body completes the
conclusion, level of assurance, label number, validity and signature by hand. An issued label's
statement is rendered by :mod:`pcf.registry` instead.

References
----------
ISO 14064-3:2019 (verification and validation of GHG statements); ISO 14067:2018 8
(critical review); GB/T 24067-2024 (鉴定性评审, critical review).
"""

from __future__ import annotations

from pathlib import Path

from pcf.core.files import output_stem
from pcf.render import fmt, output, view
from pcf.render.validate import check_result

#: Checks every verification asks for, whatever the PCR (ISO 14064-3:2019 evidence-gathering).
GENERAL_CHECKS = (
    ("模型中的活动数据可追溯至记录（物料清单、能源计量、采购）",
     "the model's activity data trace to records (bill of materials, metered energy, purchases)"),
    ("背景数据集与实际供应链（地区、技术、年份）相符",
     "the background datasets fit the actual supply chain (region, technology, year)"),
    ("结果可由模型文件（SHA-256）与背景数据库复现",
     "the result reproduces from the model file (SHA-256) and the background database"),
)


def verification_context(result: dict) -> dict:
    """What the verification statement shows, from a result.

    Returns
    -------
    dict
        Product, study and PCR facts, ``head`` (:func:`view.headline`), ``grades``,
        ``conforms`` / ``n_nonconformities`` / ``n_observations``, ``checks`` (the PCR's
        ``other`` items, then :data:`GENERAL_CHECKS`) as (zh, en, clause) tuples, ``state``.
    """
    a = result.get("assessment") or {}
    findings = a.get("findings") or []
    contents = a.get("contents") or {}
    checks = []
    for kind in ("declaration", "report"):
        for row in contents.get(kind) or []:
            if row.get("status") == "verifier":
                checks.append(("", row.get("text") or row.get("en") or "", row.get("clause") or ""))
    checks += [(zh, en, "") for zh, en in GENERAL_CHECKS]
    boundary = view.study_value(result, "boundary")
    return {
        "pid": result["product"]["id"], "name": result["product"]["name"],
        "head": view.headline(result), "grades": view.grades(result),
        "not_graded": view.not_graded_reason(result),
        "pcr": view.pcr_text(result), "pcr_title": (a.get("pcr") or {}).get("title") or "",
        "assessed": bool(a), "conforms": a.get("conforms"),
        "n_nonconformities": sum(f.get("severity") == "nonconformity" for f in findings),
        "n_observations": sum(f.get("severity") == "observation" for f in findings),
        "standard": view.study_value(result, "standard"),
        "boundary": f"{fmt.BOUNDARY_NAMES.get(boundary, ('', ''))[0]} {boundary}".strip(),
        "method": fmt.method_label(result), "created_at": result.get("created_at") or fmt.DASH,
        "model_sha256": result.get("model_sha256") or fmt.DASH, "software_version": result.get("software_version") or fmt.DASH,
        "scenario": (result.get("scenario") or {}).get("name"),
        "checks": checks, "state": view.issue_state(result),
    }


def render_verification(result: dict, out_dir: Path, templates_dir: Path | None = None) -> Path:
    """Write the one-page verification statement template ``<stem>.verification.pdf`` (A4).

    Raises
    ------
    RenderError
        On a bad result, a missing template, no CJK font, a WeasyPrint failure or an
        unwritable folder; no file is written then.
    """
    check_result(result)
    font = output.cjk_font()
    env = output.environment(templates_dir)
    html = output.render_template(env, "verification.html.j2", V=verification_context(result), font=font,
                                  css=output.read_template_file(env, "report.css"))
    pdf = output.html_to_pdf(html, output.template_folder(env))
    out = output.prepare_out_dir(out_dir)
    path = out / f"{output_stem(result)}.verification.pdf"
    output.write_atomic({path: pdf})
    return path
